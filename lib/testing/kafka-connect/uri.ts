/**
 * Where a connector name meets a URL or a byte stream, as Kafka's stack does it with Java's UTF-8 coder: Jersey
 * decodes path parameters (UriComponent.decode: a malformed byte run becomes U+FFFD), UriBuilder.path encodes
 * the created connector's Location (a lone surrogate is unmappable: the encoder writes `?`), and the config
 * topic keys a connector by its name through StringSerializer (String#getBytes, the same `?`). Pure.
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `String#getBytes(UTF_8)`: every lone surrogate becomes `?`. */
export function javaUtf8Bytes(s: string): Buffer {
  return Buffer.from(s.replace(LONE_SURROGATE, "?"), "utf8");
}

/**
 * The name a connector is known by once written: its config-topic key `connector-<name>` goes through
 * StringSerializer and back, so a lone surrogate comes back as `?`.
 */
export const storedConnectorName = (name: string): string => name.replace(LONE_SURROGATE, "?");

const isCont = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Java's UTF-8 decoder with REPLACE (sun.nio.cs.UTF_8): one U+FFFD per malformed run, measured as Java measures
 * it; an encoded surrogate (ED A0..BF xx) is one run of three bytes, where a WHATWG decoder counts three.
 */
export function javaUtf8Decode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b1 = bytes[i]!;
    const left = n - i;
    const b2 = bytes[i + 1];
    const b3 = bytes[i + 2];
    const b4 = bytes[i + 3];
    let bad = 0; // bytes of a malformed run; 0 when a character was decoded
    if (b1 < 0x80) {
      out += String.fromCharCode(b1);
      i++;
      continue;
    }
    if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (left < 2) bad = left;
      else if (!isCont(b2)) bad = 1;
      else {
        out += String.fromCharCode(((b1 & 0x1f) << 6) | (b2! & 0x3f));
        i += 2;
        continue;
      }
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      const overlong = b1 === 0xe0 && b2 !== undefined && (b2 & 0xe0) === 0x80;
      if (left < 3) bad = left > 1 && (overlong || !isCont(b2)) ? 1 : left;
      else if (overlong || !isCont(b2)) bad = 1;
      else if (!isCont(b3)) bad = 2;
      else {
        const c = ((b1 & 0x0f) << 12) | ((b2! & 0x3f) << 6) | (b3! & 0x3f);
        if (c >= 0xd800 && c <= 0xdfff) bad = 3;
        else {
          out += String.fromCharCode(c);
          i += 3;
          continue;
        }
      }
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      const badSecond =
        b1 > 0xf4 ||
        (b1 === 0xf0 && (b2 === undefined || b2 < 0x90 || b2 > 0xbf)) ||
        (b1 === 0xf4 && (b2 === undefined || (b2 & 0xf0) !== 0x80)) ||
        !isCont(b2);
      if (left < 4) bad = b1 > 0xf4 || (left > 1 && badSecond) ? 1 : left > 2 && !isCont(b3) ? 2 : left;
      else if (badSecond) bad = 1;
      else if (!isCont(b3)) bad = 2;
      else if (!isCont(b4)) bad = 3;
      else {
        out += String.fromCodePoint(
          ((b1 & 0x07) << 18) | ((b2! & 0x3f) << 12) | ((b3! & 0x3f) << 6) | (b4! & 0x3f),
        );
        i += 4;
        continue;
      }
    } else bad = 1;
    out += "\ufffd";
    i += bad;
  }
  return out;
}

/**
 * UriComponent.decode of a path segment: runs of `%XX` octets decoded as UTF-8 (Java's replacement), the rest
 * kept. Undefined when an escape is malformed (Jersey throws; the caller keeps the segment as sent).
 */
export function decodePathSegment(segment: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < segment.length) {
    if (segment[i] !== "%") {
      out += segment[i++];
      continue;
    }
    const run: number[] = [];
    while (segment[i] === "%") {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      run.push(Number.parseInt(hex, 16));
      i += 3;
    }
    out += javaUtf8Decode(Uint8Array.from(run));
  }
  return out;
}

/** Characters UriComponent leaves alone in a PATH: unreserved, sub-delims, `:`, `@` and `/`. */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/**
 * `UriBuilder.path(name)` as Jersey encodes it (contextual PATH encoding): an existing `%XX` escape is kept, other
 * characters outside the PATH set are percent-encoded as Java's UTF-8 bytes (a lone surrogate as `%3F`).
 * Jersey would read `{…}` as a URI template; here braces are encoded like any other character.
 */
export function encodePath(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (PATH_SAFE.test(ch)) out += ch;
    else if (ch === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) out += ch;
    else {
      const cp = s.codePointAt(i)!;
      const unit = cp > 0xffff ? s.slice(i, i + 2) : ch;
      if (cp > 0xffff) i++;
      for (const b of javaUtf8Bytes(unit)) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}
