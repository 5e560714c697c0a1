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

/** The one fragment form this fetcher reads; every other fragment is refused, never ignored. */
const SHA512_FRAGMENT = /^sha512=(.*)$/s;
const EXPECTED_FRAGMENT = "#sha512=<128 hex>";

/** "names <key>" when the fragment starts with a plain key (never its value: it may be long or odd). */
function fragmentName(fragment: string): string {
  const key = /^([A-Za-z][A-Za-z0-9_.-]{0,31})=/.exec(fragment)?.[1];
  return key ? `names ${key}` : "is not of the form";
}

/** The pinned sha512 from a fragment ("" when there is none). Throws a "bad-url" PluginFetchError. */
function pinnedSha512(fragment: string): string | undefined {
  if (fragment === "") return undefined;
  const hex = SHA512_FRAGMENT.exec(fragment)?.[1];
  if (hex === undefined) {
    // A checksum spelled any other way (#integrity=…, #checksum=sha512:…, an escaped or repeated key) would
    // protect nothing if ignored: the only fragment accepted is the one that is verified.
    const name = fragmentName(fragment);
    throw badUrl(
      name === "is not of the form"
        ? `plugin-url fragment is not of the form ${EXPECTED_FRAGMENT}`
        : `plugin-url fragment ${name}, but only ${EXPECTED_FRAGMENT} is supported`,
    );
  }
  if (!isSha512Hex(hex)) {
    throw badUrl(`plugin-url fragment sha512 is not 128 hex characters (expected ${EXPECTED_FRAGMENT})`);
  }
  return hex.toLowerCase();
}

/** Userinfo must decode, or no Authorization header can be built from it: that is a bad URL, not a network error. */
function checkUserinfo(url: URL, what: string): void {
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch (err) {
    throw badUrl(`${what} has a malformed %-escape in its user name or password`, err);
  }
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
  checkUserinfo(parsed, "plugin-url");
  const hash = text.indexOf("#");
  const fetchUrl = hash < 0 ? text : text.slice(0, hash);
  const sha512 = pinnedSha512(hash < 0 ? "" : text.slice(hash + 1));
  return sha512 === undefined ? { fetchUrl } : { fetchUrl, sha512 };
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
  // plugin-url was checked by parsePluginUrl; a redirect's Location was not.
  checkUserinfo(url, "the URL");
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return { url: bare, authorization };
}
