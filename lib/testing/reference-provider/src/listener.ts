/**
 * The worker's REST listener, pure: which scheme the `tls` option asks for and the worker config line that
 * gives it. Kafka reads `listeners` from connect-distributed.properties at start (RestServerConfig, default
 * `http://:8083`); an empty host binds every interface. Canonical's charm switches the same key to https once
 * it has certificates (KC:src/managers/config.py).
 */

export type Scheme = "http" | "https";

export const wantedScheme = (tls: unknown): Scheme => (tls === true ? "https" : "http");

/** The scheme of a REST endpoint URL, or undefined for anything else. */
export function schemeOf(endpoint: string): Scheme | undefined {
  if (endpoint.startsWith("https://")) return "https";
  if (endpoint.startsWith("http://")) return "http";
  return undefined;
}

/** The worker config text for `scheme` on the port the worker listens on now (its endpoint's). */
export function workerConfigText(scheme: Scheme, endpoint: string): string {
  const u = new URL(endpoint);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `listeners=${scheme}://:${port}\n`;
}
