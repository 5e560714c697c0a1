import { PluginFetchError } from "./errors.js";

/**
 * The checksum convention: a requirer may append `#sha512=<128 hex>` to plugin-url. HTTP clients never send a
 * fragment, so a provider that knows nothing of it (Canonical's Python charm) fetches the same file and
 * ignores it; this fetcher verifies the download against it.
 */
export interface PluginUrl {
  /** plugin-url without its fragment: what is requested. */
  readonly fetchUrl: string;
  /** Lower-case hex sha512 from the fragment, when the requirer pinned one. */
  readonly sha512?: string;
}

const SHA512_HEX = /^[0-9a-fA-F]{128}$/;

export function isSha512Hex(text: string): boolean {
  return SHA512_HEX.test(text);
}

function badUrl(problem: string, cause?: unknown): PluginFetchError {
  return new PluginFetchError({
    kind: "bad-url",
    transient: false,
    problem,
    fix: "set plugin-url to the http(s) URL of a .tar or .tar.gz",
    cause,
  });
}

/** Splits plugin-url into what to request and the pinned sha512. Throws a "bad-url" PluginFetchError. */
export function parsePluginUrl(url: string): PluginUrl {
  const text = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (err) {
    // The text itself is never echoed: it may hold credentials.
    throw badUrl("plugin-url is not a valid URL", err);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw badUrl(`plugin-url has scheme ${parsed.protocol} (only http and https are fetched)`);
  }
  const hash = text.indexOf("#");
  const fetchUrl = hash < 0 ? text : text.slice(0, hash);
  const fragment = hash < 0 ? "" : text.slice(hash + 1);
  const params = new URLSearchParams(fragment);
  const sha512 = params.get("sha512");
  if (sha512 === null) {
    // A checksum under another name would silently protect nothing: refuse it rather than ignore it.
    const other = [...params.keys()].find((key) => /^(sha|md)\d*/i.test(key) && key !== "sha512");
    if (other) throw badUrl(`plugin-url fragment names ${other}, but only #sha512=<128 hex> is supported`);
    return { fetchUrl };
  }
  if (!isSha512Hex(sha512)) throw badUrl("plugin-url fragment sha512 is not 128 hex characters");
  return { fetchUrl, sha512: sha512.toLowerCase() };
}

/** plugin-url with `#sha512=<hex>` (replacing any fragment), for a requirer to publish. */
export function withSha512Fragment(url: string, sha512hex: string): string {
  if (!isSha512Hex(sha512hex)) throw new TypeError("sha512 must be 128 hex characters");
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  parsePluginUrl(base);
  return `${base}#sha512=${sha512hex.toLowerCase()}`;
}

/** A URL to request, with userinfo moved into a Basic Authorization header (never into the URL sent). */
export interface RequestTarget {
  readonly url: URL;
  readonly authorization?: string;
}

export function requestTarget(url: URL): RequestTarget {
  if (!url.username && !url.password) return { url };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return { url: bare, authorization };
}
