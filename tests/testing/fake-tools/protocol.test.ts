import { describe, expect, it } from "vitest";
import {
  createRequestDecoder,
  createResponseDecoder,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  MAX_FRAME_BODY,
  type RequestFrame,
} from "../../../lib/testing/fake-tools/index.js";

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const sample: RequestFrame = {
  contextId: "unit-0-hook-42",
  dir: "/var/lib/juju/agents/unit-app-0/charm",
  tool: "relation-set",
  args: ["-r", "db:1", "key=a value with spaces", 'q="x"', "line1\nline2", "ünïcødé ✓ 🚀", ""],
};

/** Splits a buffer into pieces of the given sizes (cycled), to mimic a stream arriving in bits. */
function pieces(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe("request frames", () => {
  it("round-trips every field, without stdin", () => {
    const decoded = decodeRequest(encodeRequest(sample));
    expect(decoded).toEqual(sample);
    expect("stdin" in decoded).toBe(false);
  });

  it("round-trips binary stdin byte for byte", () => {
    const decoded = decodeRequest(encodeRequest({ ...sample, stdin: allBytes }));
    expect(Buffer.from(decoded.stdin!).equals(allBytes)).toBe(true);
  });

  it("round-trips UTF-8 stdin and keeps empty stdin distinct from no stdin", () => {
    const text = "key: välue ✓\nmulti: |\n  line\n";
    const decoded = decodeRequest(encodeRequest({ ...sample, stdin: Buffer.from(text) }));
    expect(Buffer.from(decoded.stdin!).toString("utf8")).toBe(text);
    const empty = decodeRequest(encodeRequest({ ...sample, stdin: new Uint8Array(0) }));
    expect(empty.stdin).toEqual(Buffer.alloc(0));
  });

  it("has the documented layout", () => {
    const frame = encodeRequest({
      contextId: "c",
      dir: "/",
      tool: "t",
      args: ["a"],
      stdin: Buffer.from("s"),
    });
    // "JJQ1", body length 30, then str c, str /, str t, argc 1, str a, stdin flag 1, str s
    expect(frame.toString("hex")).toBe(
      Buffer.concat([
        Buffer.from("JJQ1"),
        Buffer.from("0000001e", "hex"),
        Buffer.from("0000000163" + "000000012f" + "0000000174" + "00000001" + "0000000161", "hex"),
        Buffer.from("01" + "0000000173", "hex"),
      ]).toString("hex"),
    );
  });
});

describe("response frames", () => {
  it("round-trips a ToolResult", () => {
    const decoded = decodeResponse(encodeResponse({ code: 2, stdout: "out ✓\n", stderr: "ERROR bad\n" }));
    expect(decoded.code).toBe(2);
    expect(Buffer.from(decoded.stdout).toString()).toBe("out ✓\n");
    expect(Buffer.from(decoded.stderr).toString()).toBe("ERROR bad\n");
  });

  it("round-trips binary output", () => {
    const decoded = decodeResponse(
      encodeResponse({ code: 0, stdout: allBytes, stderr: allBytes.subarray(3) }),
    );
    expect(Buffer.from(decoded.stdout).equals(allBytes)).toBe(true);
    expect(Buffer.from(decoded.stderr).equals(allBytes.subarray(3))).toBe(true);
  });

  it("rejects exit codes that do not fit a u32", () => {
    expect(() => encodeResponse({ code: -1, stdout: "", stderr: "" })).toThrow(/invalid exit code/);
    expect(() => encodeResponse({ code: 1.5, stdout: "", stderr: "" })).toThrow(/invalid exit code/);
  });
});

describe("streaming decoder", () => {
  it("decodes frames delivered one byte at a time, emitting each only when complete", () => {
    const first = { ...sample, stdin: allBytes };
    const second = { ...sample, tool: "secret-add", args: ["--file", "-"] };
    const stream = Buffer.concat([encodeRequest(first), encodeRequest(second)]);
    const decoder = createRequestDecoder();
    const seen: RequestFrame[] = [];
    const completedAt: number[] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const f of decoder.push(stream.subarray(i, i + 1))) {
        seen.push(f);
        completedAt.push(i + 1);
      }
    }
    expect(seen).toEqual([{ ...first, stdin: Buffer.from(allBytes) }, second]);
    expect(completedAt).toEqual([encodeRequest(first).length, stream.length]);
    expect(decoder.buffered).toBe(0);
  });

  it("decodes frames split at arbitrary points, several per chunk", () => {
    const frames = [0, 1, 255].map((code) =>
      encodeResponse({ code, stdout: `out${code}`, stderr: "é".repeat(code) }),
    );
    const decoder = createResponseDecoder();
    const codes = pieces(Buffer.concat(frames), [3, 1, 50, 7, 1000]).flatMap((chunk) =>
      decoder
        .push(chunk)
        .map((r) => [r.code, Buffer.from(r.stdout).toString(), Buffer.from(r.stderr).length]),
    );
    expect(codes).toEqual([
      [0, "out0", 0],
      [1, "out1", 2],
      [255, "out255", 510],
    ]);
  });

  it("copes with a large frame in many chunks", () => {
    const stdin = Buffer.alloc(4 * 1024 * 1024, 0xab);
    const decoder = createRequestDecoder();
    const out = pieces(encodeRequest({ ...sample, stdin }), [65536]).flatMap((c) => decoder.push(c));
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0]!.stdin!).equals(stdin)).toBe(true);
  });

  it("rejects a wrong magic, a truncated or padded body and an oversized length", () => {
    expect(() => createRequestDecoder().push(Buffer.from("HTTP/1.1 200 OK\r\n"))).toThrow(/bad frame magic/);
    expect(() => decodeRequest(encodeResponse({ code: 0, stdout: "", stderr: "" }))).toThrow(
      /bad frame magic/,
    );

    const good = encodeRequest(sample);
    const truncated = Buffer.from(good.subarray(0, good.length - 1));
    truncated.writeUInt32BE(good.length - 9, 4); // consistent header, but the body is one byte short
    expect(() => decodeRequest(truncated)).toThrow(/truncated frame body/);

    const padded = Buffer.concat([good, Buffer.of(0)]);
    padded.writeUInt32BE(good.length - 7, 4);
    expect(() => decodeRequest(padded)).toThrow(/trailing bytes/);

    const huge = Buffer.concat([Buffer.from("JJQ1"), Buffer.alloc(4)]);
    huge.writeUInt32BE(MAX_FRAME_BODY + 1, 4);
    expect(() => createRequestDecoder().push(huge)).toThrow(/too large/);

    expect(() => decodeRequest(good.subarray(0, 10))).toThrow(/exactly one complete frame/);
  });
});
