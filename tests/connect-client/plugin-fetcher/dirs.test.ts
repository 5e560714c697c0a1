import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  fetchPlugin,
  pluginDirName,
  removePluginDirs,
} from "../../../lib/connect-client/plugin-fetcher/index.js";
import { entries, pluginTarball, sendBody, serve, type TestServer, tempRoot } from "./support.js";

let server: TestServer | undefined;
let dirs: { root: string; cleanup(): Promise<void> };

beforeEach(async () => {
  dirs = await tempRoot();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await dirs.cleanup();
});

describe("plugin directories", () => {
  it("names a directory after the relation and the first 16 hex of the sha512", () => {
    expect(pluginDirName(12, `ABCDEF0123456789${"0".repeat(112)}`)).toBe("relation-12-abcdef0123456789");
  });

  it("removePluginDirs removes one relation's directories and leftovers, and nothing else", async () => {
    const names = [
      "relation-7-aaaaaaaaaaaaaaaa",
      "relation-7-bbbbbbbbbbbbbbbb",
      `relation-7-${"c".repeat(64)}`, // Canonical's provider names by sha256
      ".relation-7-0123456789ab.extract",
      "relation-70-aaaaaaaaaaaaaaaa",
      "relation-8-aaaaaaaaaaaaaaaa",
      "other-plugin",
    ];
    for (const name of names) await mkdir(join(dirs.root, name, "sub"), { recursive: true });
    await writeFile(join(dirs.root, ".relation-7-0123456789ab.download"), "partial");
    const removed = await removePluginDirs(dirs.root, 7);
    expect(removed.map((p) => p.slice(dirs.root.length + 1))).toEqual([
      ".relation-7-0123456789ab.download",
      ".relation-7-0123456789ab.extract",
      "relation-7-aaaaaaaaaaaaaaaa",
      "relation-7-bbbbbbbbbbbbbbbb",
      `relation-7-${"c".repeat(64)}`,
    ]);
    expect(await entries(dirs.root)).toEqual([
      "other-plugin",
      "relation-70-aaaaaaaaaaaaaaaa",
      "relation-8-aaaaaaaaaaaaaaaa",
    ]);
  });

  it("removePluginDirs tolerates a missing root", async () => {
    expect(await removePluginDirs(join(dirs.root, "missing"), 1)).toEqual([]);
  });

  it("swaps a relation to new content: the old directory goes only when the caller says so", async () => {
    let version = "1";
    server = await serve((_req, res) => sendBody(res, pluginTarball(version)));
    const old = await fetchPlugin({ url: server.url("/p"), pluginRoot: dirs.root, relationId: 2 });
    version = "2";
    const current = await fetchPlugin({ url: server.url("/p"), pluginRoot: dirs.root, relationId: 2 });
    expect((await entries(dirs.root)).sort()).toEqual(
      [old.dir, current.dir].map((d) => d.split("/").pop()).sort(),
    );
    expect(await removePluginDirs(dirs.root, 2, { except: current.dir })).toEqual([old.dir]);
    expect(await entries(dirs.root)).toEqual([current.dir.split("/").pop()]);
    // `except` also takes a bare name.
    expect(await removePluginDirs(dirs.root, 2, { except: pluginDirName(2, current.sha512) })).toEqual([]);
  });
});
