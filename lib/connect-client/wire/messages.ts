/**
 * Every problem and warning text in one place. A message names the key, says what is wrong and how to fix it.
 * Values that may be secret (credentials, URLs that could carry them) are never echoed.
 */
import { NOT_REQUIRED } from "./keys.js";

const KEY_RULE =
  "use lowercase letters, digits and single dashes, starting with a letter, with at least 3 letters or digits";
const STATUS_SHAPE = 'a JSON array of {"code", "message", "resolution"} objects';
const URL_FORM = "http(s)://<host>[:<port>]";

/** A short, safe rendering of a secret key or sentinel candidate (never used for URLs or credentials). */
export function quote(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 39)}…` : value;
  return JSON.stringify(shown);
}

export const msg = {
  empty: (key: string) => `${key} is empty; remove the key or give a value`,
  notString: (key: string) => `${key} must be a string: Juju databags hold only strings`,
  notMapping: () => "the databag must be a mapping of keys to string values",

  // plugin-url
  pluginUrlMissing: () =>
    `plugin-url is missing: set it to the ${URL_FORM}/<path> URL of the plugin tarball, or to ${NOT_REQUIRED}`,
  pluginUrlSentinel: (value: string) =>
    `plugin-url ${quote(value)} is not the sentinel: did you mean ${NOT_REQUIRED}?`,

  // URL faults, for plugin-url and for each endpoints item (`subject`)
  urlSpaces: (subject: string) => `${subject} has leading or trailing spaces; remove them`,
  urlNotAbsolute: (subject: string, form: string, alternative: string) =>
    `${subject} is not an absolute URL: write ${form} (with the scheme)${alternative}`,
  urlScheme: (subject: string, scheme: string, alternative: string) =>
    `${subject} has the scheme ${quote(scheme)}: use http:// or https://${alternative}`,
  urlNoHost: (subject: string, form: string) => `${subject} has no host: write ${form}`,
  urlCredentials: (subject: string, where: string) =>
    `${subject} contains credentials (user info before "@"); remove them: ${where}`,
  urlPort: (subject: string) => `${subject} has an invalid port: use a number from 1 to 65535`,
  urlHost: (subject: string) =>
    `${subject} has an invalid host: use a DNS name, an IPv4 address or a bracketed IPv6 address`,
  urlWhitespace: (subject: string) => `${subject} contains whitespace; percent-encode it (%20)`,
  urlInvalid: (subject: string, form: string) => `${subject} is not a valid URL: write ${form}`,
  urlCharacters: (subject: string) =>
    `${subject} contains characters a URL cannot hold as they are (controls, non-ASCII, "\\", "|", "{", "}", "^", ` +
    '"`", """, "<", ">", "[", "]", or a "%" without two hex digits); percent-encode them',
  urlIpv6Brackets: (subject: string, suggestion: string | undefined) =>
    `${subject} has an IPv6 address without brackets: write it in brackets, ` +
    (suggestion ? `e.g. ${suggestion}` : "http(s)://[<IPv6 address>]:<port>"),

  // endpoints
  endpointsMissing: () =>
    "endpoints is missing: the provider must publish its Kafka Connect REST URLs, comma-separated",
  endpointsItemEmpty: (position: number) =>
    `endpoints item ${position} is empty; remove the extra comma (write url1,url2)`,

  // requested-secrets / provided-secrets
  requestedSecretsMissing: () =>
    'requested-secrets is missing: the requirer is expected to provide it, e.g. ["username", "password", ' +
    '"tls", "tls-ca"]; without it a provider can only write the credentials in cleartext',
  secretsNotJson: (key: string) =>
    `${key} is not valid JSON: write a JSON array of secret keys, e.g. ["username", "password"]`,
  secretsNotArray: (key: string, got: string) =>
    `${key} must be a JSON array of secret keys, got ${got}: write e.g. ["username", "password"]`,
  secretsItemNotString: (key: string, position: number, got: string) =>
    `${key} item ${position} is ${got}, not a string: write each secret key as a JSON string`,
  secretsItemInvalid: (key: string, item: string, reason: string) =>
    `${key} item ${quote(item)} is not a valid secret key (${reason}): ${KEY_RULE}`,
  secretsLackCredentials: (missing: readonly string[]) =>
    `requested-secrets lacks ${missing.map((m) => JSON.stringify(m)).join(" and ")}: ` +
    'include "username" and "password" so that the provider shares the REST credentials in secret-user',
  secretsForm: (key: string) =>
    `${key} is not in the plain form expected: write a JSON array of secret keys, e.g. ["username", "password"]`,

  // secret URIs
  secretUriScheme: (key: string) =>
    `${key} is not a Juju secret URI: write secret:<id> or secret://<model-uuid>/<id>`,
  secretUriNoId: (key: string) => `${key} has no secret id: write secret://<model-uuid>/<id>`,
  secretUriModel: (key: string) =>
    `${key} has an invalid model UUID: write secret://<model-uuid>/<id> with a lowercase UUID, or secret:<id>`,
  secretUriSpaces: (key: string) =>
    `${key} has leading or trailing spaces, which Juju's secret URI parser refuses; remove them`,
  secretUriId: (key: string) =>
    `${key} has an invalid secret id: a Juju secret id is 20 characters of 0-9 and a-v, ending in 0 or g`,

  // credentials
  secretUserMissing: () =>
    "secret-user is missing: the provider must publish secret-user (or, legacy, cleartext username and password)",
  credentialHalf: (missing: "username" | "password", present: "username" | "password") =>
    `${missing} is missing: a cleartext ${present} needs a ${missing} too; better, publish secret-user instead`,

  // tls (legacy cleartext)
  tlsFlag: (value: string) => `tls must be "enabled" or "disabled", got ${quote(value)}`,

  // status
  statusNotJson: () => `status is not valid JSON: write ${STATUS_SHAPE}`,
  statusNotArray: (got: string) => `status must be ${STATUS_SHAPE}, got ${got}`,
  statusItemNotObject: (position: number, got: string) =>
    `status item ${position} is ${got}: each item must be an object with code, message and resolution`,
  statusItemLacks: (position: number, field: "code" | "message" | "resolution") =>
    field === "code"
      ? `status item ${position} lacks "code": give an integer (1xxx info, 4xxx transitory, 5xxx fatal)`
      : `status item ${position} lacks "${field}": give a string`,
  statusItemCode: (position: number) =>
    `status item ${position} has a "code" that is not an integer: give an integer (1xxx info, 4xxx transitory, 5xxx fatal)`,
  statusItemText: (position: number, field: "message" | "resolution") =>
    `status item ${position} has a "${field}" that is not a string: give a string`,
  statusItemExtra: (position: number, fields: readonly string[]) =>
    `status item ${position} has ${fields.length > 1 ? "fields" : "a field"} other than code, message and ` +
    `resolution (${fields.map((f) => quote(f)).join(", ")}): remove ${fields.length > 1 ? "them" : "it"}; ` +
    "Canonical's requirers build RelationStatus(**item) and fail on any other field",

  statusForm: () =>
    `status is not in the plain form expected: write ${STATUS_SHAPE} with a plain integer code, ` +
    "each field once, and nothing else",

  /** Fallback when a value passes every specific check but not the published pattern. */
  pattern: (key: string) => `${key} does not match the connect_client v0 schema for this key`,
} as const;

/** Why a string is not a valid secret key, in order of what a person most likely got wrong. */
export function secretKeyFault(item: string): string {
  if (item === "") return "it is empty";
  if (/[A-Z]/.test(item)) return "it contains uppercase letters";
  if (item.includes("_")) return 'it contains "_"';
  if (/[^a-z0-9-]/.test(item)) return 'it contains characters other than a-z, 0-9 and "-"';
  if (/^[0-9]/.test(item)) return "it starts with a digit";
  if (item.startsWith("-")) return 'it starts with "-"';
  if (item.endsWith("-")) return 'it ends with "-"';
  if (item.includes("--")) return 'it contains "--"';
  return "it has fewer than 3 letters or digits";
}

export const warn = {
  cleartextCredentials: () =>
    "legacy: credentials in cleartext; ask the provider to use secrets by sending requested-secrets",
  noRequestedSecrets: () =>
    "legacy: no requested-secrets, so the provider will write the credentials in cleartext; " +
    'send requested-secrets, e.g. ["username", "password", "tls", "tls-ca"]',
  httpsWithoutTls: () =>
    "endpoints use https but secret-tls is missing: the requirer has no CA to verify the REST certificate",
  /** Canonical's RequirerData appends additional_secret_fields to its defaults without removing repeats. */
  secretsItemRepeated: (key: string, item: string) =>
    `${key} item ${quote(item)} appears more than once; the repeats are ignored (list each key once)`,
  endpointsSpaces: () =>
    "endpoints has spaces around its items, which the interface does not allow; read trimmed (a peer that " +
    "splits on commas gets them with the spaces): remove them",
  secretUriSpaces: (key: string) =>
    `${key} has leading or trailing spaces, which Juju's secret URI parser refuses; read trimmed (as ops does): ` +
    "remove them",
  statusItemExtra: (position: number, fields: readonly string[]) =>
    `status item ${position} has ${fields.map((f) => quote(f)).join(", ")} besides code, message and ` +
    "resolution, which Canonical's requirers cannot read; ignored",
  cleartextTlsShadowed: (keys: readonly string[]) =>
    `${keys.join(" and ")} in cleartext alongside secret-tls: secret-tls wins, the cleartext ` +
    `${keys.length > 1 ? "values are" : "value is"} ignored`,
} as const;
