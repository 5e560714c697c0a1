/**
 * Jackson's text for a request body property the bound class does not know, as Kafka's ConnectExceptionMapper
 * returns it (500, `exception.getMessage()`). The worker registers a plain `JacksonJsonProvider()`, whose
 * default ObjectMapper fails on unknown properties; nothing maps Jackson's exceptions to a 400.
 *
 * For a class built through a `@JsonCreator` (CreateConnectorRequest), Jackson buffers unknown properties and
 * reports the first of them once the whole object is read, so the location is the stream parser's: just past
 * the root object's closing brace. Pure.
 */

/** What Jersey hands Jackson: its source description in every location Jackson prints. */
const JERSEY_STREAM =
  "(org.glassfish.jersey.message.internal.ReaderInterceptorExecutor$UnCloseableInputStream)";

/**
 * The UnrecognizedPropertyException message for the first top-level property of `body` (a JSON object) not
 * in `known`, or undefined when there is none (or the body is not an object). `known` is in the order Jackson
 * lists it (creator parameters first, in order).
 */
export function unrecognizedFieldMessage(
  body: Buffer,
  javaClass: string,
  known: readonly string[],
): string | undefined {
  const scan = scanObject(body);
  if (!scan) return undefined;
  const field = scan.keys.find((key) => !known.includes(key));
  if (field === undefined) return undefined;
  const list =
    known.length === 1
      ? ` (one known property: "${known[0]}"])`
      : ` (${known.length} known properties: ${known.map((k) => `"${k}"`).join(", ")}])`;
  return (
    `Unrecognized field "${field}" (class ${javaClass}), not marked as ignorable${list}\n` +
    ` at [Source: ${JERSEY_STREAM}; line: ${scan.line}, column: ${scan.column}]` +
    ` (through reference chain: ${javaClass}["${field}"])`
  );
}

interface ObjectScan {
  /** Top-level keys in document order. */
  keys: string[];
  /** Jackson's 1-based line and column just past the closing brace (bytes, as UTF8StreamJsonParser counts). */
  line: number;
  column: number;
}

/** Walks a JSON object's bytes far enough to list its keys and find its end; null if it is not an object. */
function scanObject(body: Buffer): ObjectScan | null {
  let i = 0;
  let line = 1;
  let rowStart = 0;
  const skipBlank = () => {
    while (i < body.length) {
      const c = body[i]!;
      if (c === 0x0a || (c === 0x0d && body[i + 1] !== 0x0a)) {
        line++;
        rowStart = i + 1;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return;
      i++;
    }
  };
  /** Past a string starting at i (the quote); returns its raw text. */
  const string = (): string => {
    const start = ++i;
    while (i < body.length && body[i] !== 0x22) i += body[i] === 0x5c ? 2 : 1;
    const raw = body.subarray(start, i).toString("utf8");
    i++;
    return raw;
  };
  skipBlank();
  if (body[i] !== 0x7b) return null;
  i++;
  const keys: string[] = [];
  let depth = 1;
  while (i < body.length && depth > 0) {
    skipBlank();
    const c = body[i];
    if (c === undefined) break;
    if (c === 0x22) {
      const text = string();
      if (depth === 1) {
        skipBlank();
        if (body[i] === 0x3a) {
          try {
            keys.push(JSON.parse(`"${text}"`) as string);
          } catch {
            keys.push(text);
          }
        }
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    i++;
  }
  if (depth !== 0) return null;
  return { keys, line, column: i - rowStart + 1 };
}
