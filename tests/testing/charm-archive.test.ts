import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import yazl from "yazl";
import {
  CharmArchiveError,
  extractCharm,
  isCharmArchive,
  writeZip,
} from "../../lib/testing/charm-archive.js";

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "charm-archive-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

type Raw = { name: string; data?: Buffer; mode?: number; store?: boolean };

/** A zip made by yazl in memory: names and modes as given (yazl refuses `..` itself, so tests patch bytes). */
function rawZip(entries: readonly Raw[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries)
    zip.addBuffer(e.data ?? Buffer.from(e.name), e.name, { mode: e.mode ?? 0o100644, compress: !e.store });
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

/** Replaces every occurrence of `from` with `to` (same length): a name in both its headers. */
function patchName(zip: Buffer, from: string, to: string): Buffer {
  expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  let hits = 0;
  for (let i = out.indexOf(needle); i !== -1; i = out.indexOf(needle, i + 1)) {
    Buffer.from(to).copy(out, i);
    hits++;
  }
  expect(hits).toBe(2); // local header and central directory
  return out;
}

/** Sets the declared uncompressed size of every entry, in the local headers and the central directory. */
function declareSize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt32LE(size, i + 22);
    if (sig === 0x02014b50) out.writeUInt32LE(size, i + 24);
  }
  return out;
}

function save(name: string, bytes: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

const dest = () => join(work, "out");

describe("extractCharm: a good archive", () => {
  it("round-trips writeZip's names, contents and modes (only the exec bit kept)", async () => {
    const big = Buffer.alloc(300_000, 7);
    const archive = join(work, "good.charm");
    writeFileSync(join(work, "big.bin"), big);
    const bytes = await writeZip(
      [
        { name: "dispatch", data: "#!/bin/sh\nexec ./charm.mjs\n", executable: true },
        { name: "metadata.yaml", data: "name: x\n" },
        { name: "chunks/deep/a.mjs", data: Buffer.from("export default 1;\n") },
        { name: "bin/node", data: { file: join(work, "big.bin") }, executable: true },
      ],
      archive,
    );
    expect(bytes).toBe(statSync(archive).size);
    expect(await isCharmArchive(archive)).toBe(true);

    await extractCharm(archive, dest());
    const mode = (p: string) => statSync(join(dest(), p)).mode & 0o777;
    expect(readFileSync(join(dest(), "dispatch"), "utf8")).toBe("#!/bin/sh\nexec ./charm.mjs\n");
    expect(readFileSync(join(dest(), "chunks/deep/a.mjs"), "utf8")).toBe("export default 1;\n");
    expect(readFileSync(join(dest(), "bin/node")).equals(big)).toBe(true);
    expect([mode("dispatch"), mode("bin/node"), mode("metadata.yaml")]).toEqual([0o755, 0o755, 0o644]);
    expect(mode("chunks/deep")).toBe(0o755);
  });

  it("writes the same bytes for the same entries, in name order", async () => {
    const entries = [
      { name: "b", data: "2" },
      { name: "a", data: "1", executable: true },
    ];
    const one = join(work, "one.zip");
    const two = join(work, "two.zip");
    await writeZip(entries, one);
    await writeZip([...entries].reverse(), two);
    expect(readFileSync(one).equals(readFileSync(two))).toBe(true);
    expect(readFileSync(one).indexOf("a")).toBeLessThan(readFileSync(one).indexOf("b"));
  });

  it("drops setuid and write-for-others bits: 0755 or 0644 only", async () => {
    const archive = save(
      "modes.zip",
      await rawZip([
        { name: "s", mode: 0o104777 },
        { name: "w", mode: 0o100666 },
      ]),
    );
    await extractCharm(archive, dest());
    expect(statSync(join(dest(), "s")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dest(), "w")).mode & 0o7777).toBe(0o644);
  });

  it("tells a zip from other files", async () => {
    writeFileSync(join(work, "text"), "not a zip at all");
    expect(await isCharmArchive(join(work, "text"))).toBe(false);
    expect(await isCharmArchive(work)).toBe(false);
    expect(await isCharmArchive(join(work, "missing"))).toBe(false);
  });
});

describe("extractCharm: hostile archives are refused, naming the entry", () => {
  async function refused(archive: string, pattern: RegExp, limits = {}): Promise<void> {
    const err = await extractCharm(archive, dest(), limits).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CharmArchiveError);
    expect((err as Error).message).toMatch(pattern);
  }

  it("a `..` path (nothing is written outside the folder)", async () => {
    const zip = patchName(await rawZip([{ name: "XX/evil", data: Buffer.from("x") }]), "XX/evil", "../evil");
    await refused(save("t.zip", zip), /invalid relative path: \.\.\/evil/);
    expect(existsSync(join(work, "evil"))).toBe(false);
  });

  it("an absolute path and a backslash trick", async () => {
    const abs = patchName(await rawZip([{ name: "Xtmp/x", data: Buffer.from("x") }]), "Xtmp/x", "/tmp/x");
    await refused(save("a.zip", abs), /absolute path: \/tmp\/x/);
    const bs = patchName(await rawZip([{ name: "aa_evil", data: Buffer.from("x") }]), "aa_evil", "..\\evil");
    await refused(save("b.zip", bs), /invalid characters in fileName: \.\.\\evil/);
    expect(existsSync(join(work, "evil"))).toBe(false);
  });

  it("a symbolic link and a device", async () => {
    await refused(
      save("l.zip", await rawZip([{ name: "link", data: Buffer.from("/etc/passwd"), mode: 0o120777 }])),
      /entry "link": is a symbolic link/,
    );
    await refused(
      save("d.zip", await rawZip([{ name: "tty", mode: 0o020644 }])),
      /entry "tty": is a special file/,
    );
  });

  it("a name twice", async () => {
    const zip = await rawZip([{ name: "dispatch" }, { name: "dispatch" }]);
    await refused(save("dup.zip", zip), /entry "dispatch": duplicate name/);
  });

  it("a directory and a file of one name, in either order; case and Unicode forms stay distinct files", async () => {
    const dirFirst = patchName(
      await rawZip([
        { name: "d_", mode: 0o040755, data: Buffer.alloc(0) },
        { name: "x", data: Buffer.alloc(0) },
      ]),
      "d_",
      "x/",
    );
    await refused(save("df.zip", dirFirst), /entry "x": duplicate name/);
    rmSync(dest(), { recursive: true, force: true });
    await refused(
      save("fd.zip", await rawZip([{ name: "x" }, { name: "x/y" }])),
      /x exists and is not a directory/,
    );
    rmSync(dest(), { recursive: true, force: true });
    const nfc = "caf\u00e9";
    const nfd = "cafe\u0301";
    await extractCharm(
      save("forms.zip", await rawZip([{ name: "A" }, { name: "a" }, { name: nfc }, { name: nfd }])),
      dest(),
    );
    expect(readdirSync(dest()).sort()).toEqual(["A", "a", nfc, nfd].sort());
    expect(readFileSync(join(dest(), nfd), "utf8")).toBe(nfd);
  });

  it("names too long or too deep", async () => {
    const deep = `${Array.from({ length: 65 }, () => "d").join("/")}`;
    await refused(save("deep.zip", await rawZip([{ name: deep }])), /deeper than 64 levels/);
    const long = `${Array.from({ length: 21 }, () => "n".repeat(200)).join("/")}`;
    await refused(save("long.zip", await rawZip([{ name: long }])), /name longer than 4096 bytes/);
  });

  it("more entries than allowed, before writing any", async () => {
    const zip = await rawZip(
      Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(0), store: true })),
    );
    await refused(save("many.zip", zip), /10001 entries, more than the 10000 allowed/);
    expect(existsSync(dest())).toBe(false);
  });

  it("an entry declaring more than allowed (a bomb), before inflating it", async () => {
    const zip = declareSize(await rawZip([{ name: "bomb", data: Buffer.alloc(1 << 20) }]), 0xffff_ff00);
    await refused(save("huge.zip", zip), /entry "bomb": declares 4294967040 bytes, more than the 268435456/);
    expect(existsSync(join(dest(), "bomb"))).toBe(false);
  });

  it("data inflating past its declared size stops there (lying sizes)", async () => {
    const zip = declareSize(await rawZip([{ name: "liar", data: Buffer.alloc(8 << 20) }]), 100);
    const archive = save("liar.zip", zip);
    expect(statSync(archive).size).toBeLessThan(64 * 1024);
    await refused(archive, /entry "liar": too many bytes in the stream\. expected 100/);
    expect(statSync(join(dest(), "liar")).size).toBeLessThanOrEqual(100);
  });

  it("honest entries over the per-entry or total limit", async () => {
    const one = await rawZip([{ name: "big", data: Buffer.alloc(2048) }]);
    await refused(save("one.zip", one), /entry "big": declares 2048 bytes, more than the 1024/, {
      maxEntryBytes: 1024,
    });
    const three = await rawZip(["a", "b", "c"].map((name) => ({ name, data: Buffer.alloc(400) })));
    await refused(save("three.zip", three), /entry "c": brings the archive past the 1000 bytes/, {
      maxTotalBytes: 1000,
    });
  });

  it("never follows a link already in the folder, nor overwrites a file", async () => {
    const outside = join(work, "outside");
    mkdirSync(outside);
    mkdirSync(dest());
    symlinkSync(outside, join(dest(), "sub"));
    await refused(
      save("via-dir.zip", await rawZip([{ name: "sub/file" }])),
      /sub exists and is not a directory/,
    );
    symlinkSync(join(outside, "target"), join(dest(), "file"));
    await refused(save("via-file.zip", await rawZip([{ name: "file" }])), /entry "file": .*EEXIST/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a directory swapped for a link after it was made (TOCTOU) sends nothing outside", async () => {
    const outside = join(work, "outside");
    mkdirSync(outside);
    const zip = save("race.zip", await rawZip([{ name: "sub/deep/file", data: Buffer.from("payload") }]));
    await extractCharm(
      zip,
      dest(),
      {},
      {
        // What a process writing in the folder could do between the mkdir and the open.
        beforeFile: () => {
          renameSync(join(dest(), "sub"), join(dest(), "moved"));
          symlinkSync(outside, join(dest(), "sub"));
          mkdirSync(join(outside, "deep"));
        },
      },
    );
    expect(readdirSync(join(outside, "deep"))).toEqual([]);
    expect(readFileSync(join(dest(), "moved", "deep", "file"), "utf8")).toBe("payload");
  });

  it("a file that is no zip", async () => {
    await refused(
      save("junk.charm", Buffer.from("PK\x03\x04 and then nothing useful")),
      /not a readable zip/,
    );
  });
});
