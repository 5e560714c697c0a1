/**
 * Basic auth as Kafka's BasicAuthSecurityRestExtension does it: a JAAS PropertyFileLoginModule reads a Java
 * properties file of `user=password` lines once per worker JVM (so new credentials need a worker restart), an
 * empty file admits everyone, and a failed login answers 401 with the plain text `User cannot access the
 * resource.`. Pure functions; the file I/O is the cluster's.
 */

export type Credentials = ReadonlyMap<string, string>;

/** Reads a `java.util.Properties` text (`key=value`, `key: value`, `key value`, `#`/`!` comments, escapes). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const physical = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < physical.length; i++) {
    let line = physical[i]!.replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // A line ending in an odd number of backslashes continues on the next one (leading blanks dropped).
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < physical.length) {
      line = line.slice(0, -1) + physical[++i]!.replace(/^[ \t\f]+/, "");
    }
    let k = 0;
    while (k < line.length && !"=: \t\f".includes(line[k]!)) k += line[k] === "\\" ? 2 : 1;
    const key = line.slice(0, k);
    let v = k;
    while (v < line.length && " \t\f".includes(line[v]!)) v++;
    if (v < line.length && "=:".includes(line[v]!)) v++;
    while (v < line.length && " \t\f".includes(line[v]!)) v++;
    out.set(unescapeJava(key), unescapeJava(line.slice(v)));
  }
  return out;
}

function unescapeJava(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.?)/g, (_, e: string) => {
    if (e.startsWith("u") && e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[e] ?? e;
  });
}

function escapeJava(s: string, isKey: boolean): string {
  let out = "";
  for (const [i, ch] of [...s].entries()) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\f") out += "\\f";
    else if (ch === " " && (isKey || i === 0)) out += "\\ ";
    else if ("=:#!".includes(ch)) out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e)
      // Properties files are ISO-8859-1; anything else travels as \uXXXX (surrogate pairs included).
      for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}

/** Writes credentials as PropertyFileLoginModule reads them: one `user=password` line each. */
export function formatCredentials(users: Record<string, string>): string {
  return Object.entries(users)
    .map(([user, password]) => `${escapeJava(user, true)}=${escapeJava(password, false)}\n`)
    .join("");
}

/** The JAAS file a real worker would point `java.security.auth.login.config` at. */
export function jaasConfig(credentialsFile: string): string {
  return (
    "KafkaConnect {\n" +
    "  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n" +
    `  file="${credentialsFile.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}";\n` +
    "};\n"
  );
}

export interface PresentedCredentials {
  user?: string;
  password?: string;
  /**
   * The header's Base64 is malformed: the message of the IllegalArgumentException `java.util.Base64` throws,
   * which JaasBasicAuthFilter does not catch (the worker answers it as a 500).
   */
  malformed?: string;
}

/**
 * Splits an Authorization header like JaasBasicAuthFilter.BasicAuthCallBackHandler: `Basic <base64(user:pw)>`,
 * case-insensitive scheme, a user of at least one character; anything else presents no credentials. The
 * Base64 is decoded as strictly as Java's basic decoder does it.
 */
export function parseBasicAuth(header: string | undefined): PresentedCredentials {
  if (header === undefined) return {};
  const space = header.indexOf(" ");
  if (space <= 0 || header.slice(0, space).toLowerCase() !== "basic") return {};
  let decoded: string;
  try {
    decoded = decodeJavaBase64(header.slice(space + 1)).toString("utf8");
  } catch (e) {
    if (e instanceof JavaBase64Error) return { malformed: e.message };
    throw e;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return {};
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `java.lang.IllegalArgumentException` from `java.util.Base64.Decoder#decode`, with the JDK's message. */
export class JavaBase64Error extends Error {
  override name = "JavaBase64Error";
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Byte → sextet; -1 not in the alphabet, -2 the padding `=` (the JDK's fromBase64 table). */
const FROM_BASE64 = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  table[0x3d] = -2;
  return table;
})();

/** `Integer.toString(byte, 16)` of a Java (signed) byte: 0xc3 prints as "-3d". */
const javaByteHex = (b: number) => (b >= 0x80 ? `-${(0x100 - b).toString(16)}` : b.toString(16));

/**
 * `Base64.getDecoder().decode(String)` of JDK 8–21: the string's ISO-8859-1 bytes (anything else becomes
 * `?`), strict RFC 4648 alphabet and padding. Throws JavaBase64Error with the JDK's exact messages.
 */
export function decodeJavaBase64(text: string): Buffer {
  const src = Uint8Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    return code > 0xff ? 0x3f : code;
  });
  const len = src.length;
  if (len === 0) return Buffer.alloc(0);
  // decodedOutLength
  if (len < 2) throw new JavaBase64Error("Input byte[] should at least have 2 bytes for base64 bytes");
  // decode0
  const out: number[] = [];
  let bits = 0;
  let shiftto = 18;
  let sp = 0;
  while (sp < len) {
    const b = FROM_BASE64[src[sp++]!]!;
    if (b < 0) {
      if (b === -2) {
        if ((shiftto === 6 && (sp === len || src[sp++] !== 0x3d)) || shiftto === 18)
          throw new JavaBase64Error("Input byte array has wrong 4-byte ending unit");
        break;
      }
      throw new JavaBase64Error(`Illegal base64 character ${javaByteHex(src[sp - 1]!)}`);
    }
    bits |= b << shiftto;
    shiftto -= 6;
    if (shiftto < 0) {
      out.push((bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff);
      shiftto = 18;
      bits = 0;
    }
  }
  if (shiftto === 6) out.push((bits >> 16) & 0xff);
  else if (shiftto === 0) out.push((bits >> 16) & 0xff, (bits >> 8) & 0xff);
  else if (shiftto === 12) throw new JavaBase64Error("Last unit does not have enough valid bits");
  if (sp < len) throw new JavaBase64Error(`Input byte array has incorrect ending byte at ${sp}`);
  return Buffer.from(out);
}

/** PropertyFileLoginModule#login: an empty file admits everyone; otherwise the password must match. */
export function admits(credentials: Credentials, presented: PresentedCredentials): boolean {
  if (credentials.size === 0) return true;
  return (
    presented.user !== undefined &&
    presented.password !== undefined &&
    credentials.get(presented.user) === presented.password
  );
}

/**
 * JaasBasicAuthFilter on a worker holding `credentials` (null: basic auth off; "unreadable": the file could not
 * be read, so the request is refused; credentials.ts retries the read first): "admitted", "refused" (the
 * plain-text 401), or the message of the
 * IllegalArgumentException that Base64 decoding throws for a malformed header, which the filter does not catch
 * (Kafka's exception mapper answers it as a 500).
 */
export function authenticate(
  credentials: Credentials | "unreadable" | null,
  authorization: string | undefined,
): "admitted" | "refused" | { error: string } {
  if (credentials === null) return "admitted";
  const presented = parseBasicAuth(authorization);
  if (presented.malformed !== undefined) return { error: presented.malformed };
  if (credentials === "unreadable") return "refused";
  return admits(credentials, presented) ? "admitted" : "refused";
}
