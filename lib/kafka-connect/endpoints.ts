/**
 * The provider's `endpoints` value: a comma-separated list of worker URLs (or an array of them). Pure.
 * Credentials belong in the `auth` option: a URL carrying userinfo is refused, and the error never repeats
 * what was given, since that is where a password would be.
 */

import { invalidArgument } from "./errors.js";

/** Parses and checks the endpoints; returns their origins (`http://10.1.2.3:8083`), de-duplicated, in order. */
export function parseEndpoints(input: string | readonly string[]): string[] {
  const items = (typeof input === "string" ? [input] : [...input]).flatMap((item) => {
    if (typeof item !== "string") throw invalidArgument("endpoints must be strings");
    return item.split(",");
  });
  const origins: string[] = [];
  let position = 0;
  for (const raw of items) {
    const text = raw.trim();
    if (text === "") continue;
    position += 1;
    const origin = parseEndpoint(text, position);
    if (!origins.includes(origin)) origins.push(origin);
  }
  if (origins.length === 0) throw invalidArgument("no Kafka Connect endpoint was given");
  return origins;
}

function parseEndpoint(text: string, position: number): string {
  const which = `endpoint #${position}`;
  // An "@" may be userinfo that failed to parse: never echo such text.
  const shown = text.includes("@") ? which : `${which} (${text})`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(`${shown} is not a valid URL`);
  }
  if (url.username !== "" || url.password !== "" || text.includes("@")) {
    throw invalidArgument(`${which} carries credentials in its URL; pass them in the auth option instead`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(`${shown} must use http or https, not ${url.protocol.replace(/:$/, "")}`);
  }
  // The client addresses the worker's REST root; a path, query or fragment would be silently dropped.
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    throw invalidArgument(`${shown} must be a bare origin such as http://host:8083 (no path or query)`);
  }
  return url.origin;
}
