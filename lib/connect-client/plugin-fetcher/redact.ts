/**
 * URLs as they may appear in a message: scheme, host, port and path only. Userinfo is dropped, and so is a
 * query (presigned URLs carry their credentials there), shown as `?…` so the reader knows one was there.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<invalid URL>";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `<${parsed.protocol} URL>`;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? "?…" : ""}`;
}
