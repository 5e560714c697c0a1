/**
 * Wire format between the fake hook tools (jujuc.c, jujuc-fallback.mjs) and the tool server.
 *
 * Every integer is a u32 big-endian; a "str" is a u32 byte length followed by raw bytes (binary-safe).
 *   request  = "JJQ1" u32 bodyLength  body: str contextId, str dir, str tool, u32 argc, str arg * argc,
 *                                           u8 hasStdin, [str stdin  only when hasStdin is 1]
 *   response = "JJR1" u32 bodyLength  body: u32 code, str stdout, str stderr
 * One request and one response per connection. Keep in sync with jujuc.c and jujuc-fallback.mjs.
 */

export const REQUEST_MAGIC = "JJQ1";
export const RESPONSE_MAGIC = "JJR1";
/** Largest frame body accepted; a bigger length means a corrupt or foreign stream. */
export const MAX_FRAME_BODY = 256 * 1024 * 1024;

/** A hook tool invocation as it travels on the wire. */
export interface RequestFrame {
  contextId: string;
  /** The tool's working directory. */
  dir: string;
  tool: string;
  args: string[];
  /** Present only when the tool was asked to read stdin (`--file -`). */
  stdin?: Uint8Array;
}

export interface ResponseFrame {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** What encodeResponse accepts: a ToolResult (strings) or raw bytes. */
export interface ResponseInput {
  code: number;
  stdout: string | Uint8Array;
  stderr: string | Uint8Array;
}

const bytes = (v: string | Uint8Array): Buffer =>
  typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function frame(magic: string, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  if (body.length > MAX_FRAME_BODY) throw new Error(`frame body too large: ${body.length} bytes`);
  return Buffer.concat([Buffer.from(magic, "latin1"), u32(body.length), body]);
}

const str = (v: string | Uint8Array): Buffer[] => {
  const b = bytes(v);
  return [u32(b.length), b];
};

export function encodeRequest(req: RequestFrame): Buffer {
  const parts = [...str(req.contextId), ...str(req.dir), ...str(req.tool), u32(req.args.length)];
  for (const arg of req.args) parts.push(...str(arg));
  if (req.stdin === undefined) parts.push(Buffer.of(0));
  else parts.push(Buffer.of(1), ...str(req.stdin));
  return frame(REQUEST_MAGIC, parts);
}

export function encodeResponse(res: ResponseInput): Buffer {
  if (!Number.isInteger(res.code) || res.code < 0 || res.code > 0xffffffff) {
    throw new Error(`invalid exit code: ${res.code}`);
  }
  return frame(RESPONSE_MAGIC, [u32(res.code), ...str(res.stdout), ...str(res.stderr)]);
}

/** Sequential reader over one frame body; every read is bounds-checked. */
class BodyReader {
  private at = 0;
  constructor(private readonly body: Buffer) {}

  u8(): number {
    this.need(1);
    return this.body.readUInt8(this.at++);
  }

  u32(): number {
    this.need(4);
    const v = this.body.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    // Copy, so the result does not pin (or alias) the decoder's receive buffer.
    const b = Buffer.from(this.body.subarray(this.at, this.at + n));
    this.at += n;
    return b;
  }

  string(): string {
    return this.bytes().toString("utf8");
  }

  end(): void {
    if (this.at !== this.body.length)
      throw new Error(`${this.body.length - this.at} trailing bytes in frame`);
  }

  private need(n: number): void {
    if (this.at + n > this.body.length) throw new Error("truncated frame body");
  }
}

function decodeRequestBody(body: Buffer): RequestFrame {
  const r = new BodyReader(body);
  const contextId = r.string();
  const dir = r.string();
  const tool = r.string();
  const argc = r.u32();
  const args: string[] = [];
  for (let i = 0; i < argc; i++) args.push(r.string());
  const hasStdin = r.u8();
  if (hasStdin > 1) throw new Error(`invalid stdin flag: ${hasStdin}`);
  const req: RequestFrame = { contextId, dir, tool, args };
  if (hasStdin === 1) req.stdin = r.bytes();
  r.end();
  return req;
}

function decodeResponseBody(body: Buffer): ResponseFrame {
  const r = new BodyReader(body);
  const res = { code: r.u32(), stdout: r.bytes(), stderr: r.bytes() };
  r.end();
  return res;
}

/** Incremental decoder: feed it chunks as they arrive, get back every frame completed so far. */
export class FrameDecoder<T> {
  // Received chunks are kept as a list and joined only once a whole frame is there, so a large frame
  // arriving in many small chunks costs one copy rather than one per chunk.
  private chunks: Buffer[] = [];
  private size = 0;
  /** Total length (header included) of the frame at the head, once its header has arrived. */
  private expected = -1;

  constructor(
    private readonly magic: string,
    private readonly decodeBody: (body: Buffer) => T,
  ) {}

  /** Throws on a malformed stream (wrong magic, oversized or malformed body). */
  push(chunk: Uint8Array): T[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.size += chunk.length;
    }
    const frames: T[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.size < 8) break;
        const head = this.head(8);
        const magic = head.toString("latin1", 0, 4);
        if (magic !== this.magic) throw new Error(`bad frame magic ${JSON.stringify(magic)}`);
        const length = head.readUInt32BE(4);
        if (length > MAX_FRAME_BODY) throw new Error(`frame body too large: ${length} bytes`);
        this.expected = 8 + length;
      }
      if (this.size < this.expected) break;
      frames.push(this.decodeBody(this.head(this.expected).subarray(8)));
      this.consume(this.expected);
      this.expected = -1;
    }
    return frames;
  }

  /** Bytes received that do not yet form a whole frame. */
  get buffered(): number {
    return this.size;
  }

  /** The first n buffered bytes as one Buffer (n <= size). */
  private head(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!.subarray(0, n);
  }

  /** Drops the first n bytes; only called right after head(n), so they all sit in chunks[0]. */
  private consume(n: number): void {
    const rest = this.chunks[0]!.subarray(n);
    if (rest.length > 0) this.chunks[0] = rest;
    else this.chunks.shift();
    this.size -= n;
  }
}

export const createRequestDecoder = (): FrameDecoder<RequestFrame> =>
  new FrameDecoder(REQUEST_MAGIC, decodeRequestBody);

export const createResponseDecoder = (): FrameDecoder<ResponseFrame> =>
  new FrameDecoder(RESPONSE_MAGIC, decodeResponseBody);

function decodeOne<T>(decoder: FrameDecoder<T>, buf: Uint8Array): T {
  const frames = decoder.push(buf);
  const [first] = frames;
  if (first === undefined || frames.length !== 1 || decoder.buffered !== 0) {
    throw new Error("expected exactly one complete frame");
  }
  return first;
}

/** Decodes a buffer holding exactly one request frame. */
export const decodeRequest = (buf: Uint8Array): RequestFrame => decodeOne(createRequestDecoder(), buf);

/** Decodes a buffer holding exactly one response frame. */
export const decodeResponse = (buf: Uint8Array): ResponseFrame => decodeOne(createResponseDecoder(), buf);
