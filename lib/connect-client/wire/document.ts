/**
 * From the bytes of an input to a plain document, within bounds an outside input cannot stretch: the size is
 * capped, the text must be UTF-8 (the first bad byte is named, never replaced), nesting is capped, and
 * duplicate keys are found in linear time (the YAML library's own check compares every key with every other,
 * 12 s for 40 000 keys). JSON, by far the common case, takes the fast path; anything else is read as YAML.
 */
import { isUtf8 } from "node:buffer";
import { isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";

/** The largest input read, in bytes: far above any real databag or `juju show-unit` capture. */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** The deepest nesting of mappings and lists accepted (a databag document needs 5 levels). */
export const MAX_DEPTH = 64;
/** YAML aliases expanded at most (the library's default, a guard against alias bombs). */
const MAX_ALIASES = 100;

/** The input cannot be read as databags at all: a usage error, not an invalid bag. */
export class InputError extends Error {
  override name = "InputError";
}

/** Refuses an input over `maxBytes` (named in MiB when it is a whole number of them). */
export function tooLarge(maxBytes: number): InputError {
  const mib = maxBytes / (1024 * 1024);
  const limit = Number.isInteger(mib) ? `${mib} MiB` : `${maxBytes} bytes`;
  return new InputError(`larger than ${limit}: a databag document is far smaller; check the input`);
}

/** The text of an input: UTF-8 without replacement (a leading BOM is dropped), at most `maxBytes`. */
export function decodeInput(input: string | Uint8Array, maxBytes = MAX_INPUT_BYTES): string {
  if (typeof input === "string") {
    if (Buffer.byteLength(input, "utf8") > maxBytes) throw tooLarge(maxBytes);
    return input;
  }
  if (input.byteLength > maxBytes) throw tooLarge(maxBytes);
  if (!isUtf8(input)) {
    const offset = invalidUtf8Offset(input);
    const byte = (input[offset] ?? 0).toString(16).padStart(2, "0");
    throw new InputError(
      `not UTF-8: byte 0x${byte} at byte offset ${offset} does not start a well-formed UTF-8 sequence`,
    );
  }
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The offset where the first ill-formed UTF-8 sequence starts (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF, no truncated sequence); -1 when the bytes are all well-formed.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // The allowed range of the second byte narrows for the leads that could start an overlong form, a
    // surrogate or a code point past U+10FFFF; later bytes are plain continuation bytes.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead === 0xe0) [length, low] = [3, 0xa0];
    else if (lead === 0xed) [length, high] = [3, 0x9f];
    else if (lead >= 0xe1 && lead <= 0xef) length = 3;
    else if (lead === 0xf0) [length, low] = [4, 0x90];
    else if (lead === 0xf4) [length, high] = [4, 0x8f];
    else if (lead >= 0xf1 && lead <= 0xf3) length = 4;
    else return i;
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < 0x80 || b > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** Parses an input text: JSON when it is JSON, YAML 1.2 otherwise; duplicate keys and deep nesting refused. */
export function parseInputText(text: string): unknown {
  const json = parseJsonDocument(text);
  if (json.ok) return json.value;
  return parseYamlDocument(text);
}

function parseJsonDocument(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!/^[ \t\r\n]*[{[]/.test(text)) return { ok: false };
  // Nesting and duplicates first: JSON.parse keeps the last of two equal keys without a word.
  const scan = scanJson(text);
  if (scan === "not-json") return { ok: false };
  if (scan !== undefined) throw scan;
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * One pass over JSON text, keeping a set of keys per open object: the first duplicate key or over-deep
 * nesting as an InputError; "not-json" when the text breaks off inside a string; undefined otherwise.
 */
function scanJson(text: string): InputError | "not-json" | undefined {
  const open: (Set<string> | null)[] = []; // a set per object, null per array
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (j >= text.length) return "not-json";
      const keys = open[open.length - 1];
      if (keyNext && keys) {
        const raw = text.slice(i, j + 1);
        let key: string;
        try {
          key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        } catch {
          return "not-json";
        }
        if (keys.has(key)) return duplicateKey(key, text, i);
        keys.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      open.push(c === 0x7b ? new Set() : null);
      if (open.length > MAX_DEPTH) return tooDeep(text, i);
      keyNext = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      keyNext = false;
    } else if (c === 0x2c) {
      keyNext = open[open.length - 1] !== null && open.length > 0;
    }
  }
  return undefined;
}

function parseYamlDocument(text: string): unknown {
  // The YAML parser builds nested flow collections by recursion: refuse deep brackets before it sees them.
  // Brackets inside quoted text count too, which only matters for text no databag holds.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw tooDeep(text, i);
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
  // Duplicate keys are checked below, in one pass; the library's own check is quadratic.
  const doc = parseDocument(text, { uniqueKeys: false, logLevel: "error" });
  const [error] = doc.errors;
  if (error) throw new InputError(`not JSON or YAML: ${(error.message.split("\n")[0] ?? "").trim()}`);
  checkYamlKeys(doc.contents, text);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new InputError(`not JSON or YAML: ${((e as Error).message.split("\n")[0] ?? "").trim()}`);
  }
}

/** Walks the YAML node tree without recursion: a key given twice in one mapping, or nesting past MAX_DEPTH. */
function checkYamlKeys(root: unknown, text: string): void {
  const pending: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (!isMap(node) && !isSeq(node)) continue;
    const offset = node.range?.[0] ?? 0;
    if (depth + 1 > MAX_DEPTH) throw tooDeep(text, offset);
    const keys = new Set<unknown>();
    for (const item of node.items) {
      if (isPair(item)) {
        // Scalar keys compare by value, as the library's uniqueKeys does; other keys are never equal.
        if (isScalar(item.key)) {
          if (keys.has(item.key.value)) {
            throw duplicateKey(String(item.key.value), text, item.key.range?.[0] ?? offset);
          }
          keys.add(item.key.value);
        }
        pending.push({ node: item.value, depth: depth + 1 });
      } else {
        pending.push({ node: item, depth: depth + 1 });
      }
    }
  }
}

function duplicateKey(key: string, text: string, offset: number): InputError {
  const shown = key.length > 40 ? `${key.slice(0, 39)}…` : key;
  return new InputError(`${JSON.stringify(shown)} is given twice in one mapping ${where(text, offset)}`);
}

function tooDeep(text: string, offset: number): InputError {
  return new InputError(`nested deeper than ${MAX_DEPTH} levels ${where(text, offset)}`);
}

/** "at line L, column C" of a character offset (1-based, as editors count). */
function where(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `at line ${line}, column ${offset - lineStart + 1}`;
}
