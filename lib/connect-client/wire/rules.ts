/**
 * The diagnosis behind each key: pure functions from a wire string to the messages that explain what is wrong
 * with it (empty list: nothing found). The zod models call these first and then check the published pattern,
 * so a message always explains a refusal and the pattern is never looser than the model.
 */
import { isModelUuid, isXid } from "../../juju/secret-uri.js";
import { jsonTypeName, tryParseJson } from "./json-text.js";
import {
  HOST_SOURCE,
  HOST_WITHOUT_IPV6,
  NOT_REQUIRED,
  REQUIRED_SECRETS,
  SECRET_KEY_PATTERN,
  TLS_FLAG_VALUES,
  URL_CHAR,
} from "./keys.js";
import { msg, secretKeyFault } from "./messages.js";

type UrlFault =
  | {
      kind:
        | "spaces"
        | "notAbsolute"
        | "noHost"
        | "credentials"
        | "port"
        | "host"
        | "whitespace"
        | "characters"
        | "invalid";
    }
  | { kind: "scheme"; scheme: string }
  | { kind: "ipv6Brackets"; suggestion?: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])/;
/** The host grammar of the published patterns (IPv4 octets 0-255, RFC 4291 IPv6, no numeric last label). */
const HOST_NOT_BRACKETED = new RegExp(`^${HOST_WITHOUT_IPV6}$`, "u");
// Compiled on first use: the IPv6 alternation costs ~100 ms to compile, and most hosts are not bracketed.
let hostAny: RegExp | undefined;
function isHost(host: string): boolean {
  if (!host.startsWith("[")) return HOST_NOT_BRACKETED.test(host);
  hostAny ??= new RegExp(`^${HOST_SOURCE}$`, "u");
  return hostAny.test(host);
}
/** What may follow the authority, raw (RFC 3986 characters; one "#"). */
const TAIL = new RegExp(`^(?:[/?]${URL_CHAR}*)?(?:#${URL_CHAR}*)?$`, "u");
const PORT = /^(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})$/;

/** What is wrong with an absolute http(s) URL, checked in the order a person most likely got it wrong. */
export function urlFault(text: string): UrlFault | undefined {
  if (text !== text.trim()) return { kind: "spaces" };
  // Credentials first: every later message may name a part of the text, and user info must never be shown.
  const authorityStart = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, "");
  if (/^[^/?#]*@/.test(authorityStart)) return { kind: "credentials" };
  const scheme = SCHEME.exec(text);
  if (!scheme) return { kind: "notAbsolute" };
  const name = scheme[1] ?? "";
  if (name !== "http" && name !== "https") return { kind: "scheme", scheme: name };
  const rest = text.slice(scheme[0].length);
  if (!rest.startsWith("//")) return { kind: "noHost" };
  const afterSlashes = rest.slice(2);
  const end = afterSlashes.search(/[/?#]/);
  const authority = end < 0 ? afterSlashes : afterSlashes.slice(0, end);
  const tail = end < 0 ? "" : afterSlashes.slice(end);
  if (!authority.startsWith("[") && authority.indexOf(":") !== authority.lastIndexOf(":")) {
    return ipv6WithoutBrackets(name, authority);
  }
  const bracketEnd = authority.startsWith("[") ? authority.indexOf("]") + 1 : 0;
  const colon = authority.indexOf(":", bracketEnd);
  const host = colon < 0 ? authority : authority.slice(0, colon);
  if (host === "") return { kind: "noHost" };
  if (colon >= 0 && !PORT.test(authority.slice(colon + 1))) return { kind: "port" };
  if (!isHost(host)) return { kind: "host" };
  if (/\s/.test(tail)) return { kind: "whitespace" };
  if (!TAIL.test(tail)) return { kind: "characters" };
  // What the grammar above cannot see: IDNA (an xn-- label must be valid Punycode).
  if (!URL.canParse(text)) return { kind: "invalid" };
  return undefined;
}

/**
 * Two colons in an authority without brackets: an IPv6 address written bare, as `http://${ip}:${port}` gives
 * on an IPv6-only host. The fix is shown when the address is clear: the last piece is taken for the port.
 */
function ipv6WithoutBrackets(scheme: string, authority: string): UrlFault {
  const last = authority.lastIndexOf(":");
  const [address, port] = [authority.slice(0, last), authority.slice(last + 1)];
  if (PORT.test(port) && isHost(`[${address}]`)) {
    return { kind: "ipv6Brackets", suggestion: `${scheme}://[${address}]:${port}` };
  }
  if (isHost(`[${authority}]`)) return { kind: "ipv6Brackets", suggestion: `${scheme}://[${authority}]` };
  return { kind: "ipv6Brackets" };
}

interface UrlWording {
  subject: string;
  form: string;
  alternative: string;
  credentialsAdvice: string;
}

function urlMessage(fault: UrlFault, w: UrlWording): string {
  switch (fault.kind) {
    case "spaces":
      return msg.urlSpaces(w.subject);
    case "notAbsolute":
      return msg.urlNotAbsolute(w.subject, w.form, w.alternative);
    case "scheme":
      return msg.urlScheme(w.subject, fault.scheme, w.alternative);
    case "noHost":
      return msg.urlNoHost(w.subject, w.form);
    case "credentials":
      return msg.urlCredentials(w.subject, w.credentialsAdvice);
    case "port":
      return msg.urlPort(w.subject);
    case "host":
      return msg.urlHost(w.subject);
    case "whitespace":
      return msg.urlWhitespace(w.subject);
    case "characters":
      return msg.urlCharacters(w.subject);
    case "ipv6Brackets":
      return msg.urlIpv6Brackets(w.subject, fault.suggestion);
    case "invalid":
      return msg.urlInvalid(w.subject, w.form);
  }
}

/** True for near misses of the sentinel: any case, any separators (`not_required`, ` Not Required `, …). */
export function looksLikeNotRequired(value: string): boolean {
  return value !== NOT_REQUIRED && value.toUpperCase().replace(/[^A-Z]/g, "") === "NOTREQUIRED";
}

/**
 * The longest plugin-url accepted. Servers commonly refuse request lines over 8 KiB, so a longer URL cannot be
 * fetched anyway, and a provider keeps what it last installed from in its unit state: a huge value there would
 * fail the provider's every hook (a state value is bounded by Juju).
 */
export const MAX_PLUGIN_URL_LENGTH = 8192;

export function diagnosePluginUrl(value: string): string[] {
  if (value === NOT_REQUIRED) return [];
  if (value.length > MAX_PLUGIN_URL_LENGTH) {
    return [`plugin-url is ${value.length} characters long; at most ${MAX_PLUGIN_URL_LENGTH} are accepted`];
  }
  if (looksLikeNotRequired(value)) return [msg.pluginUrlSentinel(value)];
  const fault = urlFault(value);
  if (!fault) return [];
  return [
    urlMessage(fault, {
      subject: "plugin-url",
      form: "http(s)://<host>[:<port>]/<path>",
      alternative: `, or ${NOT_REQUIRED}`,
      credentialsAdvice: "the databag is readable by both applications",
    }),
  ];
}

/** Splits the endpoints value on commas, trimming each item (what a liberal reader does; see decode.ts). */
export function splitEndpoints(value: string): string[] {
  return value.split(",").map((item) => item.trim());
}

/** Each item as written: a peer splits on "," and uses what it gets, spaces included. */
export function diagnoseEndpoints(value: string): string[] {
  const problems: string[] = [];
  value.split(",").forEach((item, i) => {
    if (item.trim() === "") {
      problems.push(msg.endpointsItemEmpty(i + 1));
      return;
    }
    const fault = urlFault(item);
    if (fault) {
      problems.push(
        urlMessage(fault, {
          subject: `endpoints item ${i + 1}`,
          form: "http(s)://<host>[:<port>]",
          alternative: "",
          credentialsAdvice: "credentials belong in the secret-user secret",
        }),
      );
    }
  });
  return problems;
}

/**
 * requested-secrets (credentials required) and provided-secrets: a JSON array of secret keys. Repeats are not
 * a problem (see repeatedItems): Canonical's library writes them.
 */
export function diagnoseSecretKeyList(key: string, value: string, requireCredentials: boolean): string[] {
  const parsed = tryParseJson(value);
  if (!parsed.ok) return [msg.secretsNotJson(key)];
  if (!Array.isArray(parsed.value)) return [msg.secretsNotArray(key, jsonTypeName(parsed.value))];
  const problems: string[] = [];
  const items: unknown[] = parsed.value;
  items.forEach((item, i) => {
    if (typeof item !== "string") {
      problems.push(msg.secretsItemNotString(key, i + 1, jsonTypeName(item)));
    } else if (!SECRET_KEY_PATTERN.test(item)) {
      problems.push(msg.secretsItemInvalid(key, item, secretKeyFault(item)));
    }
  });
  if (requireCredentials) {
    const missing = REQUIRED_SECRETS.filter((k) => !items.includes(k));
    if (missing.length > 0) problems.push(msg.secretsLackCredentials(missing));
  }
  return problems;
}

/** The string items of a JSON array text that appear more than once, each named once, in order; [] otherwise. */
export function repeatedItems(value: string): string[] {
  const parsed = tryParseJson(value);
  if (!parsed.ok || !Array.isArray(parsed.value)) return [];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const item of parsed.value as unknown[]) {
    if (typeof item !== "string") continue;
    if (seen.has(item)) repeated.add(item);
    seen.add(item);
  }
  return [...repeated];
}

export function diagnoseTlsFlag(value: string): string[] {
  return TLS_FLAG_VALUES.includes(value) ? [] : [msg.tlsFlag(value)];
}

/**
 * A Juju secret URI exactly as written: Juju's ParseURI does not trim (ops strips spaces, Juju's own hook
 * tools refuse them). The forms are SECRET_URI_PATTERN's.
 */
export function diagnoseSecretUri(key: string, value: string): string[] {
  if (value !== value.trim()) return [msg.secretUriSpaces(key)];
  let rest = value;
  if (rest.startsWith("secret://")) {
    rest = rest.slice("secret://".length);
    const slash = rest.indexOf("/");
    if (slash < 0) return [isModelUuid(rest) ? msg.secretUriNoId(key) : msg.secretUriModel(key)];
    if (!isModelUuid(rest.slice(0, slash))) return [msg.secretUriModel(key)];
    rest = rest.slice(slash + 1);
    if (rest === "") return [msg.secretUriNoId(key)];
  } else {
    if (rest.startsWith("secret:")) rest = rest.slice("secret:".length);
    else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rest)) return [msg.secretUriScheme(key)];
    const slash = rest.indexOf("/");
    if (slash >= 0) {
      if (!isModelUuid(rest.slice(0, slash))) return [msg.secretUriModel(key)];
      rest = rest.slice(slash + 1);
    }
  }
  return isXid(rest) ? [] : [msg.secretUriId(key)];
}

export function diagnoseStatus(value: string): string[] {
  const parsed = tryParseJson(value);
  if (!parsed.ok) return [msg.statusNotJson()];
  if (!Array.isArray(parsed.value)) return [msg.statusNotArray(jsonTypeName(parsed.value))];
  const problems: string[] = [];
  const items: unknown[] = parsed.value;
  items.forEach((item, i) => {
    const position = i + 1;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      problems.push(msg.statusItemNotObject(position, jsonTypeName(item)));
      return;
    }
    const fields = item as Record<string, unknown>;
    if (!("code" in fields)) problems.push(msg.statusItemLacks(position, "code"));
    else if (!Number.isInteger(fields["code"])) problems.push(msg.statusItemCode(position));
    for (const field of ["message", "resolution"] as const) {
      if (!(field in fields)) problems.push(msg.statusItemLacks(position, field));
      else if (typeof fields[field] !== "string") problems.push(msg.statusItemText(position, field));
    }
    const extra = Object.keys(fields).filter((f) => !STATUS_FIELDS.includes(f));
    if (extra.length > 0) problems.push(msg.statusItemExtra(position, extra));
  });
  return problems;
}

/** The only members of a status item: Canonical's requirers build `RelationStatus(**item)`. */
export const STATUS_FIELDS: readonly string[] = ["code", "message", "resolution"];
