import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ARCHIVE_PATH_LIMITS,
  ArchiveChecker,
  detectFormat,
  entryProblem,
} from "../../../lib/connect-client/plugin-fetcher/archive-rules.js";
import { extractArchive, inspectArchive } from "../../../lib/connect-client/plugin-fetcher/extract.js";
import { fetchPlugin, PluginFetchError } from "../../../lib/connect-client/plugin-fetcher/index.js";
import { MAX_ZERO_TAIL_BYTES } from "../../../lib/connect-client/plugin-fetcher/tar-scan.js";
import { deepLinkArchive, deepPath, deepPathArchive, paddedArchive } from "./hostile-archives.js";
import { entries, paxEntry, pluginFixture, pluginTarball, sendBody, serve, tarball } from "./support.js";

/**
 * Archives that once stalled the fetcher: each test here took tens of seconds or more (or passed a hostile
 * archive) before the fix, so each has a timeout far above its normal run time and far below the old one.
 */
const BOUND = { timeout: 15_000 };

const fx = pluginFixture();

async function fetchFailure(
  body: Buffer,
  options: { maxBytes?: number; maxUnpackedBytes?: number } = {},
): Promise<PluginFetchError> {
  fx.server = await serve((_req, res) => sendBody(res, body));
  const err = await fetchPlugin({
    url: fx.server.url("/plugin"),
    pluginRoot: fx.root,
    relationId: 3,
    ...options,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginFetchError);
  // Refused whole: nothing extracted, nothing left over.
  expect(await entries(fx.root)).toEqual([]);
  return err as PluginFetchError;
}

async function fetchOk(body: Buffer) {
  fx.server = await serve((_req, res) => sendBody(res, body));
  return fetchPlugin({ url: fx.server.url("/plugin"), pluginRoot: fx.root, relationId: 3 });
}

describe("deep and long paths are refused before any check (issue 9, item 2)", () => {
  it("a 100 000-segment pax path in a few hundred bytes of gzip", BOUND, async () => {
    const body = deepPathArchive(100_000);
    expect(body.length).toBeLessThan(1000);
    const err = await fetchFailure(body);
    expect(err).toMatchObject({ kind: "unsafe-archive", transient: false, attempts: 1 });
    expect(err.problem).toMatch(/^unsafe archive: entry "(a\/)+a?…" is longer than 4096 bytes$/);
  });

  it("a symlink target 100 000 segments deep", BOUND, async () => {
    const err = await fetchFailure(deepLinkArchive(100_000));
    expect(err.problem).toBe('unsafe archive: the target of link "link" is longer than 4096 bytes');
  });

  it("allows 256 levels and 4096 bytes, refuses one more of either", () => {
    const { maxPathDepth, maxPathBytes } = ARCHIVE_PATH_LIMITS;
    const file = (path: string) => ({ path, type: "File", size: 0 });
    expect(entryProblem(file(deepPath(maxPathDepth)))).toBeUndefined();
    expect(entryProblem(file(`${deepPath(maxPathDepth)}/b`))).toMatch(/is more than 256 levels deep$/);
    const long = `${"x".repeat(maxPathBytes - 2)}/y`;
    expect(entryProblem(file(long))).toBeUndefined();
    expect(entryProblem(file(`${long}z`))).toMatch(/is longer than 4096 bytes$/);
    // Bytes, not characters: 2 048 two-byte characters are 4 096 bytes.
    expect(entryProblem(file("é".repeat(2048)))).toBeUndefined();
    expect(entryProblem(file(`${"é".repeat(2048)}x`))).toMatch(/is longer than 4096 bytes$/);
    expect(entryProblem({ path: "l", type: "SymbolicLink", linkpath: `${deepPath(257)}`, size: 0 })).toBe(
      'the target of link "l" is more than 256 levels deep',
    );
  });

  it("checks symlinks at full depth without building every prefix", () => {
    const checker = new ArchiveChecker({ maxEntries: 10_000, maxUnpackedBytes: 1 });
    const dir = deepPath(250);
    expect(checker.add({ path: `${dir}/link`, type: "SymbolicLink", linkpath: "b", size: 0 })).toBe(
      undefined,
    );
    for (let i = 0; i < 2000; i++) {
      checker.add({ path: `${dir}/f${i}`, type: "File", size: 0 });
    }
    expect(checker.finish()).toBeUndefined();
    checker.add({ path: `${dir}/link/x`, type: "File", size: 0 });
    expect(checker.finish()).toMatch(/^entry "(a\/)+.*" is inside symlink "(a\/)+.*"$/);
  });

  it("refuses more symlinks than the limit", () => {
    const checker = new ArchiveChecker({ maxEntries: 10_000, maxUnpackedBytes: 1 });
    const { maxSymlinks } = ARCHIVE_PATH_LIMITS;
    for (let i = 0; i < maxSymlinks; i++) {
      expect(checker.add({ path: `l${i}`, type: "SymbolicLink", linkpath: "x", size: 0 })).toBeUndefined();
    }
    expect(checker.add({ path: "last", type: "SymbolicLink", linkpath: "x", size: 0 })).toBe(
      `archive has more than ${maxSymlinks} symlinks`,
    );
  });
});

describe("the end of the archive is the end (issue 9, item 3)", () => {
  it("refuses 4 MiB of zero padding after the end marker (4 KB of gzip)", BOUND, async () => {
    const body = await paddedArchive(4 * 1024 * 1024);
    expect(body.length).toBeLessThan(10_000);
    const err = await fetchFailure(body);
    expect(err).toMatchObject({ kind: "unsafe-archive", transient: false });
    expect(err.problem).toBe(
      `unsafe archive: more than ${MAX_ZERO_TAIL_BYTES} bytes of padding after the end-of-archive marker`,
    );
  });

  it.each([
    ["plain", (tar: Buffer) => tar],
    ["gzip", (tar: Buffer) => gzipSync(tar)],
  ])("refuses a single non-zero byte after the end marker (%s)", async (_name, wrap) => {
    const plugin = pluginTarball();
    const err = await fetchFailure(wrap(Buffer.concat([plugin, Buffer.alloc(100), Buffer.from("!")])));
    expect(err.problem).toBe(
      `unsafe archive: data after the end-of-archive marker (a non-zero byte at ${plugin.length + 100})`,
    );
  });

  it("accepts the zero padding tar writes (whole 10 KiB records, and more)", async () => {
    const plugin = pluginTarball();
    const record = 10 * 1024;
    const padded = Buffer.concat([plugin, Buffer.alloc(record - (plugin.length % record))]);
    expect((await fetchOk(gzipSync(padded))).bytes).toBeGreaterThan(0);
    await fx.server?.close();
    fx.server = undefined;
    await rm(fx.root, { recursive: true, force: true });
    const generous = Buffer.concat([plugin, Buffer.alloc(MAX_ZERO_TAIL_BYTES)]);
    const got = await fetchOk(gzipSync(generous));
    expect(await entries(got.dir)).toEqual(["connector"]);
  });

  it("refuses a long-name header whose body is larger than 1 MiB, whatever a pax size says", async () => {
    const longName = { path: "././@LongLink", type: "L", body: Buffer.alloc(2 * 1024 * 1024, 0x61) };
    const body = gzipSync(tarball([paxEntry({ size: "1" }), longName, { path: "x", body: "x" }]));
    const err = await fetchFailure(body);
    expect(err.problem).toBe(
      "unsafe archive: a NextFileHasLongPath header at byte 1024 is larger than 1048576 bytes",
    );
  });

  it("counts every decompressed byte, headers and padding included, not only entry sizes", async () => {
    // 200 empty files: entry sizes add up to 0, the tar stream to ~100 KB.
    const empties = tarball(Array.from({ length: 200 }, (_, i) => ({ path: `f${i}`, body: "" })));
    const body = gzipSync(empties);
    const err = await fetchFailure(body, { maxBytes: body.length, maxUnpackedBytes: 50_000 });
    expect(err.problem).toBe("unsafe archive: archive unpacks to more than 50000 bytes");
  });

  it("accepts an archive whose end marker is a lone zero block, as tar does", async () => {
    const plugin = pluginTarball();
    const lone = plugin.subarray(0, plugin.length - 512);
    expect((await fetchOk(lone)).bytes).toBe(lone.length);
  });
});

describe("inspection stays inside the fetch's budget", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "plugin-inspect-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A valid archive big enough to arrive in many chunks. */
  async function manyChunks(): Promise<string> {
    const file = join(dir, "big.tar");
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919) % 251;
    await writeFile(file, tarball([{ path: "big.bin", body }]));
    return file;
  }

  const limits = { maxEntries: 10, maxUnpackedBytes: 10 * 1024 * 1024 };

  it("stops at timeoutMs (a fake clock: each chunk takes a second)", async () => {
    const file = await manyChunks();
    let clock = 0;
    const err = await inspectArchive(file, "tar", limits, "http://h/p", {
      timeoutMs: 5_000,
      now: () => (clock += 1_000),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "unsafe-archive", transient: false });
    expect((err as PluginFetchError).problem).toBe(
      "unsafe archive: inspecting the archive took longer than 5 s",
    );
  });

  it("stops when the signal aborts mid-inspection", async () => {
    const file = await manyChunks();
    const controller = new AbortController();
    let calls = 0;
    const err = await inspectArchive(file, "tar", limits, "http://h/p", {
      timeoutMs: 60_000,
      signal: controller.signal,
      now: () => {
        calls += 1;
        if (calls === 3) controller.abort();
        return 0;
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "aborted", transient: true });
    expect(calls).toBe(3);
  });

  it("reads the archive whole when the budget allows", async () => {
    const file = await manyChunks();
    const got = await inspectArchive(file, "tar", limits, "http://h/p", { timeoutMs: 60_000 });
    expect(got).toMatchObject({ entries: 1, unpackedBytes: 1024 * 1024 });
    expect(got.manifest).toEqual([{ path: "big.bin", type: "File", linkpath: undefined, size: 1024 * 1024 }]);
  });

  it("extraction refuses an archive that reads differently than inspected, and writes nothing more", async () => {
    const file = join(dir, "p.tar");
    await writeFile(file, pluginTarball());
    const { manifest } = await inspectArchive(file, "tar", limits, "http://h/p", { timeoutMs: 60_000 });
    const dest = join(dir, "out");
    await mkdir(dest);
    await expect(extractArchive(file, dest, "http://h/p", manifest)).resolves.toBeUndefined();
    const other = [...manifest];
    other[1] = { ...(other[1] as (typeof manifest)[number]), path: "connector/other.jar" };
    const dest2 = join(dir, "out2");
    await mkdir(dest2);
    const err = await extractArchive(file, dest2, "http://h/p", other).catch((e: unknown) => e);
    expect((err as PluginFetchError).problem).toBe(
      'unsafe archive: entry "connector/connector.jar" reads differently on extraction than on inspection',
    );
  });

  it("does not take zstd for tar, even when its first block also reads as a tar header", () => {
    const block = Buffer.from(pluginTarball().subarray(0, 512));
    expect(detectFormat(block)).toBe("tar");
    block.set([0x28, 0xb5, 0x2f, 0xfd], 0);
    // A valid header checksum again, as a crafted zstd frame (raw blocks carry any bytes) can have.
    block.fill(0x20, 148, 156);
    const sum = block.reduce((total, byte) => total + byte, 0);
    block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    expect(detectFormat(block)).toBeUndefined();
  });
});
