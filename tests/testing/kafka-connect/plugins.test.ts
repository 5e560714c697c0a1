import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { extract } from "tar";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildPluginTarball,
  PLUGIN_MANIFEST_FILE,
  type PluginManifest,
  PluginManifestError,
  scanPluginPath,
} from "../../../lib/testing/kafka-connect/index.js";
import { call, err, until, useClusters } from "./support.js";

const start = useClusters();

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kc-plugins-test-"));
  dirs.push(dir);
  return dir;
}

const FOO: PluginManifest = {
  plugins: [
    {
      class: "com.example.FooSinkConnector",
      type: "sink",
      version: "1.2.0",
      maxTasks: 2,
      config: [{ name: "foo.url", type: "string", required: true, documentation: "Where Foo is" }],
    },
    { class: "com.example.FooConverter", type: "converter", version: "1.2.0" },
  ],
};

const fooConfig = { "connector.class": "FooSink", topics: "in", "foo.url": "http://foo", "tasks.max": "5" };

describe("plugin tarballs", () => {
  it("buildPluginTarball packs the manifest (and extra files) under one top-level directory", async () => {
    const tarball = await buildPluginTarball(FOO, { files: { "lib/foo.jar": "not really a jar" } });
    expect(tarball.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    const dir = await tempDir();
    const file = join(dir, "foo.tgz");
    await writeFile(file, tarball);
    await extract({ file, cwd: dir });
    expect(JSON.parse(await readFile(join(dir, "foosinkconnector", PLUGIN_MANIFEST_FILE), "utf8"))).toEqual(
      FOO,
    );
    expect(await readFile(join(dir, "foosinkconnector", "lib", "foo.jar"), "utf8")).toBe("not really a jar");
  });

  it("refuses an invalid manifest and files outside the plugin directory", async () => {
    await expect(
      buildPluginTarball({ plugins: [{ class: "not a class", type: "sink" }] } as PluginManifest),
    ).rejects.toThrow(PluginManifestError);
    await expect(
      buildPluginTarball({ plugins: [{ class: "a.B", type: "gadget" }] } as unknown as PluginManifest),
    ).rejects.toThrow(/invalid kafka-connect-plugin\.json/);
    await expect(buildPluginTarball(FOO, { files: { "../escape": "x" } })).rejects.toThrow(
      "file outside the plugin",
    );
  });

  it("scanning skips a malformed manifest and reports it, keeping the others", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "bad"));
    await writeFile(join(dir, "bad", PLUGIN_MANIFEST_FILE), "{ not json");
    await mkdir(join(dir, "good", "deep"), { recursive: true });
    await writeFile(join(dir, "good", "deep", PLUGIN_MANIFEST_FILE), JSON.stringify(FOO));
    const { plugins, problems } = await scanPluginPath(dir);
    expect(plugins.map((p) => [p.class, p.location])).toEqual([
      ["com.example.FooSinkConnector", join(dir, "good")],
      ["com.example.FooConverter", join(dir, "good")],
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(join(dir, "bad", PLUGIN_MANIFEST_FILE));
  });
});

describe("installing plugins", () => {
  it("an installed plugin is seen only by workers restarted since; writes validate on the receiving worker", async () => {
    const c = await start({ workers: 2 });
    const [a, b] = c.endpoints as [string, string];
    const dir = await c.installPlugin(await buildPluginTarball(FOO));
    expect(dir.startsWith(c.pluginPath)).toBe(true);
    const listed = async (base: string) =>
      ((await call(base, "GET", "/connector-plugins")).json as { class: string }[]).map((p) => p.class);
    expect(await listed(a)).not.toContain("com.example.FooSinkConnector");
    await c.restartWorker(0);
    await c.rebalanceSettled();
    expect(await listed(a)).toContain("com.example.FooSinkConnector");
    expect(await listed(b)).not.toContain("com.example.FooSinkConnector");
    expect((await call(a, "GET", "/connector-plugins?connectorsOnly=false")).json).toContainEqual({
      class: "com.example.FooConverter",
      type: "converter",
      version: "1.2.0",
    });

    const viaB = await call(b, "PUT", "/connectors/foo/config", { body: fooConfig });
    expect(viaB.status).toBe(500);
    expect((viaB.json as { message: string }).message).toMatch(
      /^Failed to find any class that implements Connector and which name matches FooSink,/,
    );
    const viaA = await call(a, "PUT", "/connectors/foo/config", { body: fooConfig });
    expect(viaA.status).toBe(201);
    expect((viaA.json as { type: string }).type).toBe("sink");
    // A task placed on worker 1 fails there until it has the plugin too (per-worker-files.test.ts shows it).
    await c.restartWorker(1);
    // tasks = min(tasks.max, the plugin's maxTasks)
    await until(a, "foo", "RUNNING", 2);
  });

  it("a rolling restart makes a plugin installed from a file path visible everywhere", async () => {
    const c = await start();
    const file = join(await tempDir(), "foo-plugin-1.2.tar.gz");
    await writeFile(file, await buildPluginTarball(FOO));
    const dir = await c.installPlugin(file);
    expect(basename(dir)).toBe("foo-plugin-1.2");
    expect(await readdir(dir)).toEqual(["foosinkconnector"]);
    const again = await c.installPlugin(file);
    expect(basename(again)).toBe("foo-plugin-1.2-2");
    await c.rollingRestart();
    for (const e of c.endpoints) {
      const res = await call(e, "GET", "/connector-plugins/FooSink/config");
      expect((res.json as { name: string }[])[0]).toMatchObject({ name: "foo.url", required: true });
    }
  });

  it("built-in MirrorHeartbeatConnector runs a single task whatever tasks.max says", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const res = await call(base, "POST", "/connectors", {
      body: {
        name: "hb",
        config: { "connector.class": "MirrorHeartbeat", "source.cluster.alias": "a", "tasks.max": "4" },
      },
    });
    expect(res.status).toBe(201);
    await until(base, "hb", "RUNNING", 1);
  });

  it("validating against a plugin checks its own required keys", async () => {
    const c = await start({ workers: 1 });
    await c.installPlugin(await buildPluginTarball(FOO));
    await c.restartWorker(0);
    await c.rebalanceSettled();
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "f", config: { "connector.class": "com.example.FooSinkConnector", topics: "t" } },
    });
    expect(res.json).toEqual(
      err(
        400,
        "Connector configuration is invalid and contains the following 1 error(s):\n" +
          'Missing required configuration "foo.url" which has no default value.\n' +
          "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
      ),
    );
  });
});
