import { describe, expect, it } from "vitest";
import { runCli } from "../../../lib/connect-client/cli.js";
import { readFileBounded, readStreamBounded } from "../../../lib/connect-client/cli-read.js";
import {
  decodeInput,
  InputError,
  invalidUtf8Offset,
  MAX_DEPTH,
  MAX_INPUT_BYTES,
  parseInputText,
} from "../../../lib/connect-client/wire/document.js";
import { startSchemaChecker } from "../../../lib/connect-client/wire/schema-worker.js";

const REQUIRER = { "plugin-url": "NOT-REQUIRED", "requested-secrets": '["username", "password"]' };

async function cli(
  argv: string[],
  files: Record<string, string | Uint8Array>,
  stdin: string | Uint8Array = "",
) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => stdin,
    readFile: async (path) => {
      const file = files[path];
      if (file === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return file;
    },
  });
  return { code, stdout, stderr };
}

/** A requirer databag with `n` extra keys, as JSON text; `duplicate` repeats the first extra key at the end. */
function manyKeys(n: number, duplicate: boolean): string {
  const parts = Object.entries(REQUIRER).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  for (let i = 0; i < n; i++) parts.push(`"extra-${i}": "v"`);
  if (duplicate) parts.push('"extra-0": "again"');
  return `{${parts.join(", ")}}`;
}

describe("validate: duplicate keys in linear time", () => {
  // The YAML library compares every key with every other: 100 000 keys took minutes. Now one pass.
  it("100 000 keys: valid, and a duplicate at the very end is named with its place", async () => {
    const valid = await cli(["validate", "big.json"], { "big.json": manyKeys(100_000, false) });
    expect(valid).toMatchObject({ code: 0, stdout: "big.json: valid (requirer databag)\n" });
    const text = manyKeys(100_000, true);
    const duplicate = await cli(["validate", "big.json"], { "big.json": text });
    expect(duplicate.code).toBe(2);
    const column = text.lastIndexOf('"extra-0"') + 1;
    expect(duplicate.stderr).toBe(
      `connect-client: big.json: "extra-0" is given twice in one mapping at line 1, column ${column}\n`,
    );
  }, 20_000);

  it("YAML: a key given twice in a nested mapping; the same key in two mappings is fine", () => {
    expect(() => parseInputText("relation-info:\n  - endpoint: a\n    endpoint: b\n")).toThrow(
      '"endpoint" is given twice in one mapping at line 3, column 5',
    );
    expect(parseInputText("a: {k: 1}\nb: {k: 2}\n")).toEqual({ a: { k: 1 }, b: { k: 2 } });
    // Keys compare by value: "1" and 1 are different scalars, as the YAML library has it.
    expect(parseInputText('{"1": x, 1: y}')).toEqual({ 1: "y" });
  });
});

describe("validate: input bytes", () => {
  it("invalid UTF-8 is an error naming the byte offset, not a replacement character", async () => {
    const good = Buffer.from(JSON.stringify({ ...REQUIRER, "plugin-url": "http://10.1.1.200:8080/p" }));
    const at = good.indexOf("/p") + 2;
    const bad = Buffer.concat([good.subarray(0, at), Buffer.from([0xff, 0xfe]), good.subarray(at)]);
    const r = await cli(["validate", "bad.json"], { "bad.json": bad });
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `connect-client: bad.json: not UTF-8: byte 0xff at byte offset ${at} does not start a well-formed UTF-8 sequence\n`,
    });
    const fromStdin = await cli(["validate"], {}, bad);
    expect(fromStdin.stderr).toContain(`<stdin>: not UTF-8: byte 0xff at byte offset ${at}`);
    expect(await cli(["validate", "good.json"], { "good.json": good })).toMatchObject({ code: 0 });
  });

  it("finds the first ill-formed sequence: overlong, surrogate, past U+10FFFF, truncated, stray continuation", () => {
    const at = (...bytes: number[]) => invalidUtf8Offset(Uint8Array.from(bytes));
    expect(at(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)).toBe(-1); // a é € 😀
    expect(at(0x61, 0xc0, 0xaf)).toBe(1); // overlong "/"
    expect(at(0x61, 0xe0, 0x80, 0xaf)).toBe(1); // overlong three-byte form
    expect(at(0xed, 0xa0, 0x80)).toBe(0); // U+D800, a surrogate
    expect(at(0x61, 0x62, 0xf4, 0x90, 0x80, 0x80)).toBe(2); // U+110000
    expect(at(0x61, 0xe2, 0x82)).toBe(1); // truncated at the end
    expect(at(0x61, 0xe2, 0x28, 0xa1)).toBe(1); // a continuation byte missing
    expect(at(0x61, 0x80)).toBe(1); // a stray continuation byte
    expect(at(0xf5, 0x80, 0x80, 0x80)).toBe(0);
  });

  it("a UTF-8 byte order mark is dropped; a string is taken as already decoded", () => {
    expect(decodeInput(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe("{}");
    expect(decodeInput("{}")).toBe("{}");
  });

  it("an input over the limit is refused, whoever read it", async () => {
    const huge = `{"plugin-url": "NOT-REQUIRED", "x": "${"a".repeat(MAX_INPUT_BYTES)}"}`;
    const r = await cli(["validate", "-"], {}, huge);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "connect-client: <stdin>: larger than 4 MiB: a databag document is far smaller; check the input\n",
    });
    expect(() => decodeInput(new Uint8Array(11), 10)).toThrow("larger than 10 bytes");
  });

  it("reads a file or a stream only up to the limit: /dev/zero and an endless stream are refused", async () => {
    await expect(readFileBounded("/dev/zero", 1024 * 1024)).rejects.toThrow("larger than 1 MiB");
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 65536;
        yield Buffer.alloc(65536);
      }
    }
    await expect(readStreamBounded(endless(), 1024 * 1024)).rejects.toThrow(InputError);
    expect(produced).toBeLessThanOrEqual(1024 * 1024 + 65536);
  });

  it("nesting deeper than the limit is refused before parsing, in JSON and in YAML", async () => {
    const deep = `${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}`;
    expect(() => parseInputText(`{"plugin-url": "NOT-REQUIRED", "x": ${deep}}`)).toThrow(
      `nested deeper than ${MAX_DEPTH} levels at line 1, column ${36 + MAX_DEPTH}`,
    );
    expect(() => parseInputText(`plugin-url: NOT-REQUIRED\nx: ${deep}\n`)).toThrow(
      `nested deeper than ${MAX_DEPTH} levels at line 2`,
    );
    // A million brackets: refused at the first one past the limit, not parsed (nor overflowing the stack).
    const million = "[".repeat(1_000_000);
    expect(() => parseInputText(million)).toThrow(InputError);
    expect(() => parseInputText(`a: ${million}`)).toThrow(InputError);
    // At the limit it is read.
    const ok = `${"[".repeat(MAX_DEPTH - 1)}${"]".repeat(MAX_DEPTH - 1)}`;
    expect(parseInputText(`{"x": ${ok}}`)).toHaveProperty("x");
  });
});

describe("validate --schema: a backtracking pattern is stopped", () => {
  const REDOS_SCHEMA = JSON.stringify({
    type: "object",
    properties: { "plugin-url": { type: "string", pattern: "^(a+)+$" } },
  });
  const EVIL = JSON.stringify({ "plugin-url": `${"a".repeat(40)}!` });

  it("the check is stopped at the time limit with a clear error (exit 2), not left to run for hours", async () => {
    const r = await cli(["validate", "--schema", "redos.json", "--schema-timeout", "0.3", "bag.json"], {
      "redos.json": REDOS_SCHEMA,
      "bag.json": EVIL,
    });
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "connect-client: --schema: redos.json: checking bag.json did not finish within 0.3 s, so it was " +
        'stopped: a pattern in the schema probably backtracks catastrophically (e.g. "^(a+)+$"); simplify it, ' +
        "or raise --schema-timeout\n",
    });
  }, 20_000);

  it("the same schema still checks ordinary databags, valid and invalid, in its worker", async () => {
    const checker = await startSchemaChecker(JSON.parse(REDOS_SCHEMA), 10_000);
    try {
      expect(await checker.check({ "plugin-url": "aaa" }, "one")).toEqual([]);
      expect(await checker.check({ "plugin-url": "b" }, "two")).toEqual([
        { key: "plugin-url", message: 'plugin-url must match pattern "^(a+)+$"' },
      ]);
    } finally {
      await checker.close();
    }
  });

  it("--schema-timeout must be a sensible number of seconds", async () => {
    for (const value of ["0", "-1", "abc", "1e3", "3601"]) {
      const r = await cli(["validate", "--schema", "s.json", `--schema-timeout=${value}`, "b.json"], {});
      expect(r.code, value).toBe(2);
      expect(r.stderr, value).toContain(
        `--schema-timeout must be a number of seconds from 0.001 to 3600, not "${value}"`,
      );
    }
  });
});
