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
  status: "status",
} as const);

/** The Python library's private diff cache, written on both sides: tolerated, never read. */
export const DATA_KEY = "data";

// Building blocks, kept as source text so that composite patterns stay readable and exact.
/** A secret content key, as Juju checks it (lib/juju/secret-uri.ts SECRET_KEY is `^(<this>)$`). */
export const SECRET_KEY_SOURCE = "[a-z](?:-?[a-z0-9]){2,}";
/** JSON insignificant whitespace (RFC 8259), not JavaScript's wider `\s`. */
const JSON_WS = "[ \\t\\n\\r]*";
const QUOTED_SECRET_KEY = `"${SECRET_KEY_SOURCE}"`;
const SECRET_KEY_ARRAY = `${JSON_WS}\\[${JSON_WS}(?:${QUOTED_SECRET_KEY}(?:${JSON_WS},${JSON_WS}${QUOTED_SECRET_KEY})*)?${JSON_WS}\\]${JSON_WS}`;

const PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
/** A DNS name or IPv4 address, or a bracketed IPv6 address. No user info: `@` never matches. */
const HOST = "(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)";
const AUTHORITY = `${HOST}(?::${PORT})?`;
/** An absolute http(s) URL with a host; the path, query and fragment may hold anything but whitespace. */
export const HTTP_URL_SOURCE = `https?://${AUTHORITY}(?:[/?#]\\S*)?`;
/** The same inside a comma-separated list: no commas in the path. */
const LISTED_HTTP_URL = `https?://${AUTHORITY}(?:[/?#][^\\s,]*)?`;

const XID = "[0-9a-v]{19}[0g]";
const MODEL_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

// The `u` flag matches what JSON Schema validators (ajv) use to compile `pattern`, so both agree exactly.
export const SECRET_KEY_PATTERN = new RegExp(`^(${SECRET_KEY_SOURCE})$`, "u");
export const PLUGIN_URL_PATTERN = new RegExp(`^(?:${NOT_REQUIRED}|${HTTP_URL_SOURCE})$`, "u");
/** A JSON array of secret keys that includes "username" and "password" (quotes delimit whole items). */
export const REQUESTED_SECRETS_PATTERN = new RegExp(
  `^(?=[\\s\\S]*"username")(?=[\\s\\S]*"password")${SECRET_KEY_ARRAY}$`,
  "u",
);
/** A JSON array of secret keys, possibly empty. */
export const PROVIDED_SECRETS_PATTERN = new RegExp(`^${SECRET_KEY_ARRAY}$`, "u");
/** Comma-separated http(s) URLs; spaces around the commas and the ends are tolerated (and trimmed). */
export const ENDPOINTS_PATTERN = new RegExp(
  `^\\s*${LISTED_HTTP_URL}(?:\\s*,\\s*${LISTED_HTTP_URL})*\\s*$`,
  "u",
);
/** The three forms Juju accepts: `secret:<xid>`, `secret://<model-uuid>/<xid>`, and a bare `<xid>`. */
export const SECRET_URI_PATTERN = new RegExp(`^\\s*(?:secret:|secret://${MODEL_UUID}/)?${XID}\\s*$`, "u");
/** Only the outline of a JSON array: its items (objects) are beyond what a pattern can say. */
export const STATUS_PATTERN = /^\s*\[[\s\S]*\]\s*$/u;
