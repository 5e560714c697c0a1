/**
 * The connect_client v0 wire vocabulary: databag keys, the sentinel, and the regular expressions that both the
 * zod models and the published JSON Schemas use. Every value in a Juju databag is a string, so each pattern
 * describes the text a peer writes, including the JSON-encoded arrays.
 */

/** Which side of the relation wrote a databag. */
export type ConnectClientRole = "provider" | "requirer";

/** The plugin-url sentinel of a requirer that needs no connector plugin (e.g. MirrorMaker). */
export const NOT_REQUIRED = "NOT-REQUIRED";

/** What a requirer asks for when it has no other need: credentials, and the TLS switch and CA. */
export const DEFAULT_REQUESTED_SECRETS: readonly string[] = Object.freeze([
  "username",
  "password",
  "tls",
  "tls-ca",
]);

/** A requirer that sends requested-secrets must ask for these, or the provider has nowhere to put the user. */
export const REQUIRED_SECRETS: readonly string[] = Object.freeze(["username", "password"]);

export const REQUIRER_KEYS = Object.freeze({
  pluginUrl: "plugin-url",
  requestedSecrets: "requested-secrets",
  providedSecrets: "provided-secrets",
} as const);

export const PROVIDER_KEYS = Object.freeze({
  endpoints: "endpoints",
  secretUser: "secret-user",
  secretTls: "secret-tls",
  username: "username",
  password: "password",
  tls: "tls",
  tlsCa: "tls-ca",
  status: "status",
} as const);

/** The values of the provider's `tls` flag (in the secret-tls secret, or in cleartext from a legacy provider). */
export const TLS_FLAG_VALUES: readonly string[] = Object.freeze(["enabled", "disabled"]);

/** The Python library's private diff cache, written on both sides: tolerated, never read. */
export const DATA_KEY = "data";

// Building blocks, kept as source text so that composite patterns stay readable and exact.
/** A secret content key, as Juju checks it (lib/juju/secret-uri.ts SECRET_KEY is `^(<this>)$`). */
export const SECRET_KEY_SOURCE = "[a-z](?:-?[a-z0-9]){2,}";
/** JSON insignificant whitespace (RFC 8259), not JavaScript's wider `\s` (which takes in NBSP and more). */
const JSON_WS = "[ \\t\\n\\r]*";
const QUOTED_SECRET_KEY = `"${SECRET_KEY_SOURCE}"`;
const SECRET_KEY_ARRAY = `${JSON_WS}\\[${JSON_WS}(?:${QUOTED_SECRET_KEY}(?:${JSON_WS},${JSON_WS}${QUOTED_SECRET_KEY})*)?${JSON_WS}\\]${JSON_WS}`;

const PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
/** 0 to 255, without leading zeros (which URL parsers read as octal). */
const DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `${DEC_OCTET}(?:\\.${DEC_OCTET}){3}`;
const H16 = "[0-9A-Fa-f]{1,4}";

/** `n` hex pieces joined by ":" (n >= 1). */
function pieces(n: number): string {
  return n === 1 ? H16 : `(?:${H16}:){${n - 1}}${H16}`;
}

/** Up to `max` hex pieces joined by ":", possibly none (max >= 0). */
function upToPieces(max: number): string {
  if (max === 0) return "";
  return max === 1 ? `(?:${H16})?` : `(?:${H16}(?::${H16}){0,${max - 1}})?`;
}

/**
 * An IPv6 address as RFC 4291 writes it, and as the WHATWG URL parser accepts it: eight pieces, or fewer around
 * one "::", optionally ending in an IPv4 address that counts as two pieces.
 */
function ipv6Source(): string {
  const forms = [pieces(8), `${pieces(6)}:${IPV4}`];
  for (let left = 0; left <= 7; left++) {
    const head = left === 0 ? "" : pieces(left);
    forms.push(`${head}::${upToPieces(7 - left)}`);
    // An IPv4 tail takes two of the pieces.
    if (left <= 5) forms.push(`${head}::${left === 5 ? "" : `(?:${H16}:){0,${5 - left}}`}${IPV4}`);
  }
  return `(?:${forms.join("|")})`;
}

/**
 * A DNS name: letters, digits, ".", "_" and "-", starting and ending with a letter or digit. Its last label must
 * not be a number (all digits, or 0x and hex digits): URL parsers then read the whole host as an IPv4 address
 * in some legacy form (`999` is 0.0.3.231, `1.2.3` is 1.2.0.3), or refuse it (`a.1`, `256.1.1.1`).
 */
const DNS_NAME =
  "(?!(?:[A-Za-z0-9_-]*\\.)*(?:[0-9]+|0[Xx][0-9A-Fa-f]*)(?![A-Za-z0-9._-]))" +
  "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
/** A dotted-quad IPv4 address, a DNS name, or a bracketed IPv6 address. No user info: `@` never matches. */
export const HOST_SOURCE = `(?:\\[${ipv6Source()}\\]|${IPV4}|${DNS_NAME})`;
/**
 * The same without the IPv6 branch, for values that hold no "[" (where that branch cannot match): V8 takes
 * ~100 ms to compile the IPv6 alternation and ~10 ms to run it, too much for every hook that reads a databag.
 */
export const HOST_WITHOUT_IPV6 = `(?:${IPV4}|${DNS_NAME})`;
/**
 * A character of a path, query or fragment as RFC 3986 allows it raw: unreserved, sub-delims, ":", "@", "/",
 * "?", or a percent escape. Everything else (spaces, controls, "\\", "|", "{", non-ASCII…) is refused, not
 * repaired as the WHATWG URL parser repairs it: peers read the raw string, and a Python client sends it as is.
 */
export const URL_CHAR = "(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})";
/** The same inside a comma-separated list: no commas. */
const LISTED_URL_CHAR = "(?:[A-Za-z0-9._~!$&'()*+;=:@/?-]|%[0-9A-Fa-f]{2})";

function httpUrl(host: string, char: string): string {
  return `https?://${host}(?::${PORT})?(?:[/?]${char}*)?(?:#${char}*)?`;
}
/** An absolute http(s) URL with a host; the path, query and fragment in RFC 3986 characters. */
export const HTTP_URL_SOURCE = httpUrl(HOST_SOURCE, URL_CHAR);

const XID = "[0-9a-v]{19}[0g]";
const MODEL_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

// The JSON text of `status`: an array of flat objects. Member names are plain (no escapes) so that a pattern
// can name them; values are JSON scalars.
const JSON_STRING = String.raw`"(?:[^"\\\u0000-\u001F]|\\(?:["/\\bfnrt]|u[0-9A-Fa-f]{4}))*"`;
const JSON_NUMBER = String.raw`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
const JSON_SCALAR = `(?:${JSON_STRING}|${JSON_NUMBER}|true|false|null)`;
const MEMBER_NAME = String.raw`"[^"\\\u0000-\u001F]*"`;
const MEMBER = `${MEMBER_NAME}${JSON_WS}:${JSON_WS}${JSON_SCALAR}`;
/** An integer literal that a double holds exactly (status codes are four digits). */
const JSON_INTEGER = "-?(?:0|[1-9][0-9]{0,15})";
/** The members of an object before the one a lookahead looks for (at most two: an item has three). */
const MEMBERS_BEFORE = `(?:${MEMBER}${JSON_WS},${JSON_WS}){0,2}`;
/** The object (at the lookahead's position) has the member `name` with a value matching `value`. */
const hasMember = (name: string, value: string) =>
  `(?=${MEMBERS_BEFORE}"${name}"${JSON_WS}:${JSON_WS}${value}${JSON_WS}[,}])`;
/**
 * Exactly three members, among them code, message and resolution: so each of them once, and nothing else
 * (Canonical's requirers build `RelationStatus(**item)`, which fails on any other field).
 */
const STATUS_ITEM =
  `\\{${JSON_WS}` +
  hasMember("code", JSON_INTEGER) +
  hasMember("message", JSON_STRING) +
  hasMember("resolution", JSON_STRING) +
  `${MEMBER}${JSON_WS},${JSON_WS}${MEMBER}${JSON_WS},${JSON_WS}${MEMBER}${JSON_WS}\\}`;

// The `u` flag matches what JSON Schema validators (ajv) use to compile `pattern`, so both agree exactly.
export const SECRET_KEY_PATTERN = new RegExp(`^(${SECRET_KEY_SOURCE})$`, "u");
export const PLUGIN_URL_PATTERN = new RegExp(`^(?:${NOT_REQUIRED}|${HTTP_URL_SOURCE})$`, "u");
/** PLUGIN_URL_PATTERN for a value without "[" (the same verdict, without the costly IPv6 branch). */
export const PLUGIN_URL_PATTERN_WITHOUT_IPV6 = new RegExp(
  `^(?:${NOT_REQUIRED}|${httpUrl(HOST_WITHOUT_IPV6, URL_CHAR)})$`,
  "u",
);
/** A JSON array of secret keys that includes "username" and "password" (quotes delimit whole items). */
export const REQUESTED_SECRETS_PATTERN = new RegExp(
  `^(?=[\\s\\S]*"username")(?=[\\s\\S]*"password")${SECRET_KEY_ARRAY}$`,
  "u",
);
/** A JSON array of secret keys, possibly empty. Repeats are allowed: a pattern cannot compare items anyway. */
export const PROVIDED_SECRETS_PATTERN = new RegExp(`^${SECRET_KEY_ARRAY}$`, "u");
const endpointsSource = (host: string) =>
  `^${httpUrl(host, LISTED_URL_CHAR)}(?:,${httpUrl(host, LISTED_URL_CHAR)})*$`;
/** Comma-separated http(s) URLs, nothing around the commas (a peer splits on "," and reads each item raw). */
export const ENDPOINTS_PATTERN = new RegExp(endpointsSource(HOST_SOURCE), "u");
/** ENDPOINTS_PATTERN for a value without "[". */
export const ENDPOINTS_PATTERN_WITHOUT_IPV6 = new RegExp(endpointsSource(HOST_WITHOUT_IPV6), "u");

/** A URL pattern and its twin without the IPv6 branch, which decides alike for every value without "[". */
export interface UrlPattern {
  readonly published: RegExp;
  readonly withoutIpv6: RegExp;
}

export function testUrlPattern(p: UrlPattern, value: string): boolean {
  return (value.includes("[") ? p.published : p.withoutIpv6).test(value);
}
/**
 * The forms Juju's ParseURI takes (core/secrets): `<xid>`, `secret:<xid>`, `secret://<model-uuid>/<xid>`, and
 * `secret:<model-uuid>/<xid>` or `<model-uuid>/<xid>`. As written: Juju does not trim spaces.
 */
export const SECRET_URI_PATTERN = new RegExp(
  `^(?:secret://${MODEL_UUID}/|(?:secret:)?(?:${MODEL_UUID}/)?)${XID}$`,
  "u",
);
/**
 * A JSON array of {code: integer, message: string, resolution: string} objects: those three members, each once,
 * and no other. Written plainly (as json.dumps writes it).
 */
export const STATUS_PATTERN = new RegExp(
  `^${JSON_WS}\\[${JSON_WS}(?:${STATUS_ITEM}(?:${JSON_WS},${JSON_WS}${STATUS_ITEM})*)?${JSON_WS}\\]${JSON_WS}$`,
  "u",
);
/** The legacy cleartext `tls` flag. */
export const TLS_FLAG_PATTERN = /^(?:enabled|disabled)$/u;
