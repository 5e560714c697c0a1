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
}

/**
 * Splits an Authorization header like JaasBasicAuthFilter.BasicAuthCredentials: `Basic <base64(user:pw)>`,
 * case-insensitive scheme, a user of at least one character; anything else presents no credentials.
 */
export function parseBasicAuth(header: string | undefined): PresentedCredentials {
  if (header === undefined) return {};
  const space = header.indexOf(" ");
  if (space <= 0 || header.slice(0, space).toLowerCase() !== "basic") return {};
  const decoded = Buffer.from(header.slice(space + 1), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return {};
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
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
