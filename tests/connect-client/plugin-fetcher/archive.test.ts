import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ArchiveChecker,
  type ArchiveEntry,
  detectFormat,
  entryProblem,
} from "../../../lib/connect-client/plugin-fetcher/archive-rules.js";
import { fetchPlugin, PluginFetchError } from "../../../lib/connect-client/plugin-fetcher/index.js";
import {
  entries,
  gzip,
  paxEntry,
  pluginFixture,
  sendBody,
  serve,
  type TarEntrySpec,
  tarball,
  tarEntry,
} from "./support.js";

const fx = pluginFixture();

async function fetchArchive(
  body: Buffer,
  limits: { maxBytes?: number; maxUnpackedBytes?: number; maxEntries?: number } = {},
): Promise<PluginFetchError> {
  fx.server = await serve((_req, res) => sendBody(res, body));
  const err = await fetchPlugin({
    url: fx.server.url("/plugin"),
    pluginRoot: fx.root,
    relationId: 5,
    ...limits,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginFetchError);
  return err as PluginFetchError;
}

/** A good file first, so a partial extraction would leave it behind. */
const innocent: TarEntrySpec = { path: "plugin/ok.jar", body: "fine" };

async function expectRefused(specs: TarEntrySpec[], problem: string): Promise<void> {
  const err = await fetchArchive(tarball([innocent, ...specs]));
  expect(err).toMatchObject({ kind: "unsafe-archive", transient: false, attempts: 1, relationId: 5 });
  expect(err.problem).toBe(`unsafe archive: ${problem}`);
  expect(err.statusMessage).toBe(
    `plugin for relation 5: unsafe archive: ${problem} at ${fx.server?.url("/plugin")}; ` +
      "rebuild the plugin tarball with relative paths inside one directory",
  );
  // Whole archive refused: no plugin directory, no staging directory, no download, nothing outside.
  expect(await entries(fx.root)).toEqual([]);
  expect(await entries(join(fx.root, ".."))).toEqual(["plugins"]);
}

describe("unsafe archives are refused whole", () => {
  it.each([
    ["../evil", 'entry "../evil" has a ".." segment'],
    ["/abs/path", 'entry "/abs/path" has an absolute path'],
    ["a/../../b", 'entry "a/../../b" has a ".." segment'],
    ["plugin/../../../etc/cron.d/x", 'entry "plugin/../../../etc/cron.d/x" has a ".." segment'],
  ])("a file at %s", async (path, problem) => {
    await expectRefused([{ path, body: "pwned" }], problem);
  });

  it("a traversal hidden in a pax header (the header name looks harmless)", async () => {
    await expectRefused(
      [paxEntry({ path: "../pax-evil" }), { path: "harmless", body: "pwned" }],
      'entry "../pax-evil" has a ".." segment',
    );
  });

  it("a symlink escaping the plugin directory", async () => {
    await expectRefused(
      [{ path: "plugin/etc", type: "2", linkpath: "../../etc" }],
      'symlink "plugin/etc" points outside the plugin directory',
    );
  });

  it("a symlink to an absolute path", async () => {
    await expectRefused(
      [{ path: "passwd", type: "2", linkpath: "/etc/passwd" }],
      'symlink "passwd" points to an absolute path',
    );
  });

  it("a symlink that escapes through another symlink (each harmless on its own)", async () => {
    await expectRefused(
      [
        { path: "a/", type: "5" },
        { path: "a/up", type: "2", linkpath: ".." },
        { path: "escape", type: "2", linkpath: "a/up/.." },
      ],
      'symlink "escape" points through symlink "a/up"',
    );
  });

  it("a file written through a symlink", async () => {
    await expectRefused(
      [
        { path: "lnk", type: "2", linkpath: "plugin" },
        { path: "lnk/ok.jar", body: "overwritten" },
      ],
      'entry "lnk/ok.jar" is inside symlink "lnk"',
    );
  });

  it("a hardlink escaping the plugin directory", async () => {
    await expectRefused(
      [{ path: "shadow", type: "1", linkpath: "../../../etc/shadow" }],
      'hardlink "shadow" points outside the plugin directory',
    );
  });

  it("a hardlink to an absolute path, or to nothing earlier in the archive", async () => {
    await expectRefused(
      [{ path: "shadow", type: "1", linkpath: "/etc/shadow" }],
      'hardlink "shadow" points outside the plugin directory',
    );
    await fx.server?.close();
    fx.server = undefined;
    await expectRefused(
      [{ path: "later", type: "1", linkpath: "plugin/not-yet.jar" }],
      'hardlink "later" does not point to a file earlier in the archive',
    );
  });

  it.each([
    ["3", "a character device"],
    ["4", "a block device"],
    ["6", "a FIFO"],
  ])("a device or FIFO entry (type %s)", async (type, word) => {
    await expectRefused([{ path: "plugin/dev", type }], `entry "plugin/dev" is ${word}`);
  });

  it("an entry that would replace the plugin directory itself", async () => {
    await expectRefused(
      [{ path: "./", type: "2", linkpath: "plugin" }],
      'entry "./" would replace the plugin directory',
    );
  });

  it("an archive unpacking to more than 4 × maxBytes (zip bomb), before inflating it", async () => {
    const bomb = gzip(tarball([{ path: "zeros.bin", body: Buffer.alloc(50_000) }]));
    expect(bomb.length).toBeLessThan(10_000);
    const err = await fetchArchive(bomb, { maxBytes: 10_000 });
    expect(err).toMatchObject({ kind: "unsafe-archive", transient: false });
    expect(err.problem).toBe("unsafe archive: archive unpacks to more than 40000 bytes");
    expect(await entries(fx.root)).toEqual([]);
  });

  it("an archive with more entries than maxEntries", async () => {
    const many = tarball(Array.from({ length: 6 }, (_, i) => ({ path: `f${i}`, body: "x" })));
    const err = await fetchArchive(many, { maxEntries: 5 });
    expect(err.problem).toBe("unsafe archive: archive has more than 5 entries");
    expect(await entries(fx.root)).toEqual([]);
  });
});

describe("bodies that are not archives", () => {
  it.each([
    [
      "an HTML error page",
      Buffer.from("<!doctype html><html><body>Oops</body></html>"),
      "it looks like HTML or XML",
    ],
    ["an empty body", Buffer.alloc(0), "the body is empty"],
    ["a zip file", Buffer.from("PK\u0003\u0004rest-of-zip"), "it is a zip file"],
    ["random bytes", Buffer.alloc(2048, 7), "no tar header at the start"],
  ])("%s", async (_name, body, detail) => {
    const err = await fetchArchive(body);
    expect(err).toMatchObject({ kind: "not-an-archive", transient: false, attempts: 1 });
    expect(err.problem).toBe(`download is not a tar or gzip-compressed tar archive (${detail})`);
    expect(err.fix).toBe("serve a .tar or .tar.gz at plugin-url");
    expect(await entries(fx.root)).toEqual([]);
  });

  it("gzip around something that is not tar", async () => {
    const err = await fetchArchive(gzip(Buffer.from("just some text, compressed\n".repeat(40))));
    expect(err.kind).toBe("not-an-archive");
    expect(err.problem).toContain("(invalid tar header at byte 0: checksum failure)");
    expect(await entries(fx.root)).toEqual([]);
  });

  it("a tarball cut short inside an entry", async () => {
    const whole = tarball([{ path: "big.jar", body: Buffer.alloc(4096, 1) }]);
    const err = await fetchArchive(whole.subarray(0, 1536));
    expect(err.kind).toBe("not-an-archive");
    expect(err.problem).toContain("(truncated: the archive ends inside an entry (at byte 1536))");
    expect(await entries(fx.root)).toEqual([]);
  });
});

describe("archive rules (pure)", () => {
  const file = (path: string, size = 1): ArchiveEntry => ({ path, type: "File", size });

  it("accepts ordinary entries, ./-prefixed paths and inside links", () => {
    expect(entryProblem(file("./plugin/a.jar"))).toBeUndefined();
    expect(entryProblem({ path: "./", type: "Directory", size: 0 })).toBeUndefined();
    expect(
      entryProblem({ path: "lib/x.jar", type: "SymbolicLink", linkpath: "../lib2/x.jar", size: 0 }),
    ).toBe(undefined);
    expect(entryProblem({ path: "C:/windows", type: "File", size: 0 })).toBe(
      'entry "C:/windows" has an absolute path',
    );
    expect(entryProblem({ path: "s", type: "SparseFile", size: 0 })).toBe(
      'entry "s" has an unsupported type (SparseFile)',
    );
  });

  it("counts entries and bytes across the archive", () => {
    const checker = new ArchiveChecker({ maxEntries: 10, maxUnpackedBytes: 100 });
    expect(checker.add(file("a", 60))).toBeUndefined();
    expect(checker.add(file("b", 41))).toBe("archive unpacks to more than 100 bytes");
  });

  it("lets a symlink point at another symlink, but nothing pass through one", () => {
    const checker = new ArchiveChecker({ maxEntries: 10, maxUnpackedBytes: 100 });
    checker.add({ path: "dir/", type: "Directory", size: 0 });
    checker.add({ path: "l1", type: "SymbolicLink", linkpath: "dir", size: 0 });
    checker.add({ path: "l2", type: "SymbolicLink", linkpath: "l1", size: 0 });
    expect(checker.finish()).toBeUndefined();
    checker.add({ path: "l3", type: "SymbolicLink", linkpath: "l1/x", size: 0 });
    expect(checker.finish()).toBe('symlink "l3" points through symlink "l1"');
  });

  it("detects formats by magic and header checksum", () => {
    expect(detectFormat(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(detectFormat(tarEntry({ path: "a", body: "x" }))).toBe("tar");
    const corrupt = tarEntry({ path: "a", body: "x" });
    corrupt[0] = 0x62;
    expect(detectFormat(corrupt)).toBeUndefined();
    expect(detectFormat(Buffer.alloc(1024))).toBeUndefined();
  });
});
