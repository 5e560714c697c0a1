import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { c as createTar } from "tar";
import { describe, expect, it } from "vitest";
import { fetchPlugin, PluginFetchError } from "../../../lib/connect-client/plugin-fetcher/index.js";
import {
  entries,
  gzip,
  pluginFixture,
  pluginTarball,
  sendBody,
  serve,
  sha256,
  sha512,
  tarball,
} from "./support.js";

const fx = pluginFixture();

describe("fetchPlugin: good archives", () => {
  it("downloads a plain tar, names the directory after the sha512 and extracts it", async () => {
    const body = pluginTarball();
    fx.server = await serve((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({
      url: fx.server.url("/api/v1/plugin"),
      pluginRoot: fx.root,
      relationId: 7,
    });
    const name = `relation-7-${sha512(body).slice(0, 16)}`;
    expect(got).toEqual({
      dir: join(fx.root, name),
      sha512: sha512(body),
      sha256: sha256(body),
      bytes: body.length,
      reused: false,
    });
    expect(await readFile(join(got.dir, "connector/connector.jar"), "utf8")).toBe("connector jar v1");
    expect(await readFile(join(got.dir, "connector/lib/dep.jar"), "utf8")).toBe("dependency jar");
    // Nothing but the plugin directory: the download and the staging directory are gone.
    expect(await entries(fx.root)).toEqual([name]);
    expect(fx.server.requests.map((r) => [r.method, r.url])).toEqual([["GET", "/api/v1/plugin"]]);
    expect(fx.server.requests[0]?.headers["accept-encoding"]).toBe("identity");
  });

  it("accepts gzip, and reuses the directory on a second fetch of the same content without re-extracting", async () => {
    const body = gzip(pluginTarball());
    fx.server = await serve((_req, res) => sendBody(res, body, { "content-type": "application/gzip" }));
    const first = await fetchPlugin({
      url: fx.server.url("/plugin.tar.gz"),
      pluginRoot: fx.root,
      relationId: 3,
    });
    expect(first.reused).toBe(false);
    expect(first.sha512).toBe(sha512(body));
    // A file only this test wrote: it survives if and only if the directory is not extracted again.
    await writeFile(join(first.dir, "marker"), "kept");
    const second = await fetchPlugin({
      url: fx.server.url("/plugin.tar.gz"),
      pluginRoot: fx.root,
      relationId: 3,
    });
    expect(second).toEqual({ ...first, reused: true });
    expect(await readFile(join(first.dir, "marker"), "utf8")).toBe("kept");
    expect(await entries(fx.root)).toEqual([`relation-3-${sha512(body).slice(0, 16)}`]);
    expect(fx.server.requests).toHaveLength(2);
  });

  it("extracts an archive made by the tar package (pax headers, long names)", async () => {
    const source = join(fx.root, "..", "source");
    // A file name over 100 bytes cannot be split into ustar's prefix and name: tar writes a pax header.
    const longName = `connector/${"long-name-".repeat(12)}.jar`;
    await mkdir(join(source, "connector"), { recursive: true });
    await writeFile(join(source, longName), "long");
    await writeFile(join(source, "README"), "hello");
    const file = join(fx.root, "..", "made.tgz");
    await createTar({ cwd: source, file, gzip: true, portable: true }, ["."]);
    const body = await readFile(file);
    expect(gunzipSync(body).includes(`path=./${longName}`)).toBe(true);
    fx.server = await serve((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 1 });
    expect(await readFile(join(got.dir, longName), "utf8")).toBe("long");
    expect(await readFile(join(got.dir, "README"), "utf8")).toBe("hello");
  });

  it("normalises modes: no setuid, directories 0755, files 0644 or 0755", async () => {
    const body = tarball([
      { path: "d/", type: "5", mode: 0o700 },
      { path: "d/tool", body: "#!/bin/sh\n", mode: 0o4750 },
      { path: "d/secret.jar", body: "x", mode: 0o600 },
    ]);
    fx.server = await serve((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 1 });
    const mode = async (path: string) => (await stat(join(got.dir, path))).mode & 0o7777;
    expect(await mode(".")).toBe(0o755);
    expect(await mode("d")).toBe(0o755);
    expect(await mode("d/tool")).toBe(0o755);
    expect(await mode("d/secret.jar")).toBe(0o644);
  });

  it("extracts symlinks and hardlinks that stay inside the plugin directory", async () => {
    const body = tarball([
      { path: "lib/", type: "5" },
      { path: "lib/dep-1.2.jar", body: "dep" },
      { path: "lib/dep.jar", type: "2", linkpath: "dep-1.2.jar" },
      { path: "current", type: "2", linkpath: "lib/../lib" },
      { path: "copy.jar", type: "1", linkpath: "lib/dep-1.2.jar" },
    ]);
    fx.server = await serve((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 1 });
    expect(await readFile(join(got.dir, "lib/dep.jar"), "utf8")).toBe("dep");
    expect(await readFile(join(got.dir, "current/dep.jar"), "utf8")).toBe("dep");
    const [a, b] = await Promise.all([
      stat(join(got.dir, "copy.jar")),
      stat(join(got.dir, "lib/dep-1.2.jar")),
    ]);
    expect(a.ino).toBe(b.ino);
  });

  it("keeps the old directory when the relation's content changes (the caller removes it)", async () => {
    let version = "1";
    fx.server = await serve((_req, res) => sendBody(res, pluginTarball(version)));
    const first = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 4 });
    version = "2";
    const second = await fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 4 });
    expect(second.dir).not.toBe(first.dir);
    expect(await readFile(join(first.dir, "connector/connector.jar"), "utf8")).toBe("connector jar v1");
    expect(await readFile(join(second.dir, "connector/connector.jar"), "utf8")).toBe("connector jar v2");
  });
});

describe("fetchPlugin: refusals before any request", () => {
  it("refuses NOT-REQUIRED and URLs that are not http(s), without echoing them", async () => {
    const fetchWith = (url: string) => fetchPlugin({ url, pluginRoot: fx.root, relationId: 2 });
    await expect(fetchWith("NOT-REQUIRED")).rejects.toMatchObject({ kind: "bad-url", transient: false });
    const invalid = await fetchWith("http://user:pw@[bad").catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(PluginFetchError);
    expect((invalid as PluginFetchError).statusMessage).toBe(
      "plugin for relation 2: plugin-url is not a valid URL; set plugin-url to the http(s) URL of a .tar or .tar.gz",
    );
    await expect(fetchWith("ftp://host/p.tar")).rejects.toMatchObject({ kind: "bad-url" });
    expect(await entries(fx.root)).toEqual([]);
  });

  it("reports a plugin root it cannot create as a filesystem problem (blocked)", async () => {
    await mkdir(join(fx.root, ".."), { recursive: true });
    await writeFile(fx.root, "a file where the plugin directory should be");
    const err = await fetchPlugin({
      url: "http://127.0.0.1:1/p",
      pluginRoot: fx.root,
      relationId: 2,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginFetchError);
    expect(err).toMatchObject({ kind: "filesystem", transient: false, attempts: 0, relationId: 2 });
    expect((err as PluginFetchError).statusMessage).toMatch(
      /^plugin for relation 2: cannot write under .*\/plugins \((EEXIST|ENOTDIR)\); check free space and permissions/,
    );
  });

  it("rejects bad options as programming errors", async () => {
    const base = { url: "http://127.0.0.1:1/p", pluginRoot: fx.root };
    await expect(fetchPlugin({ ...base, relationId: -1 })).rejects.toThrow(TypeError);
    await expect(fetchPlugin({ ...base, relationId: 1, attempts: 0 })).rejects.toThrow(TypeError);
    await expect(fetchPlugin({ ...base, relationId: 1, maxBytes: 1.5 })).rejects.toThrow(TypeError);
  });
});
