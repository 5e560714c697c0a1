/**
 * The worker's Kafka version as `GET /` reports it (`{"version": "3.6.1", …}`), for the features older workers
 * silently ignore instead of refusing. Pure.
 */

/** The `version` of a ServerInfo body, or null when the body has none we can read. */
export function parseServerVersion(text: string): string | null {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== "object" || body === null) return null;
    const { version } = body as { version?: unknown };
    return typeof version === "string" && leading(version) !== null ? version : null;
  } catch {
    return null;
  }
}

/** Major and minor of "3.6.1", "2.8.0-SNAPSHOT" or "3.7"; null for anything else. */
function leading(version: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Whether `version` is older than `since` ("X.Y"); false when either cannot be read. */
export function isOlderThan(version: string, since: string): boolean {
  const v = leading(version);
  const s = leading(since);
  if (!v || !s) return false;
  return v[0] !== s[0] ? v[0] < s[0] : v[1] < s[1];
}
