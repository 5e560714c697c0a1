import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  fetchPlugin,
  pluginDirName,
  removePluginDirs,
} from "../../../lib/connect-client/plugin-fetcher/index.js";
import { entries, pluginFixture, pluginTarball, sendBody, serve } from "./support.js";

const fx = pluginFixture();

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
    for (const name of names) await mkdir(join(fx.root, name, "sub"), { recursive: true });
    await writeFile(join(fx.root, ".relation-7-0123456789ab.download"), "partial");
    const removed = await removePluginDirs(fx.root, 7);
    expect(removed.map((p) => p.slice(fx.root.length + 1))).toEqual([
      ".relation-7-0123456789ab.download",
      ".relation-7-0123456789ab.extract",
      "relation-7-aaaaaaaaaaaaaaaa",
      "relation-7-bbbbbbbbbbbbbbbb",
      `relation-7-${"c".repeat(64)}`,
    ]);
    expect(await entries(fx.root)).toEqual([
      "other-plugin",
      "relation-70-aaaaaaaaaaaaaaaa",
      "relation-8-aaaaaaaaaaaaaaaa",
    ]);
  });

  it("removePluginDirs tolerates a missing root", async () => {
    expect(await removePluginDirs(join(fx.root, "missing"), 1)).toEqual([]);
  });

  it("swaps a relation to new content: the old directory goes only when the caller says so", async () => {
    let version = "1";
    fx.server = await serve((_req, res) => sendBody(res, pluginTarball(version)));
    const old = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 2 });
    version = "2";
    const current = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 2 });
    expect((await entries(fx.root)).sort()).toEqual(
      [old.dir, current.dir].map((d) => d.split("/").pop()).sort(),
    );
    expect(await removePluginDirs(fx.root, 2, { except: current.dir })).toEqual([old.dir]);
    expect(await entries(fx.root)).toEqual([current.dir.split("/").pop()]);
    // `except` also takes a bare name.
    expect(await removePluginDirs(fx.root, 2, { except: pluginDirName(2, current.sha512) })).toEqual([]);
  });
});
