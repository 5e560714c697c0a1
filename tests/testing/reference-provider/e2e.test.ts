import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCharm,
  buildPluginTarball,
  deployKafkaConnect,
  type KafkaConnectDeployment,
  Model,
  parseJavaProperties,
} from "../../../lib/testing/index.js";
import { startPluginServer } from "./support.js";

/**
 * The reference provider as shipped: its built charm runs as processes in the model emulator, one unit per
 * emulated worker, next to a tiny requirer of our own (requirer-charm/) that probes what it was given.
 */

const REQUIRER_DIR = join(import.meta.dirname, "requirer-charm");
const KC = "kafka-connect";

let work: string;
let model: Model;
let kc: KafkaConnectDeployment;
let plugin: Awaited<ReturnType<typeof startPluginServer>>;
let requirerCharm: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "kcp-e2e-"));
  requirerCharm = join(work, "probe-client");
  const [tarball] = await Promise.all([
    buildPluginTarball({ plugins: [{ class: "com.example.Sink", type: "sink", version: "1.0.0" }] }),
    buildCharm({
      entry: join(REQUIRER_DIR, "src", "main.ts"),
      charmDir: REQUIRER_DIR,
      outDir: requirerCharm,
    }),
  ]);
  plugin = await startPluginServer(tarball);
  model = await Model.create({ name: "reference-provider-e2e" });
  kc = await deployKafkaConnect(model, { units: 2 });
}, 120_000);

afterAll(async () => {
  await model?.close();
  await kc?.close();
  await plugin?.close();
  await rm(work, { recursive: true, force: true });
});

/** The relation user's password, as the requirer reads it: the provider's app bag → secret-user → content. */
function publishedCredentials(relation: number): { username: string; password: string } {
  const state = model.juju.state;
  const uri = state.relations[String(relation)]?.appData[KC]?.["secret-user"];
  expect(uri, `secret-user of relation ${relation}`).toBeDefined();
  const id = uri!.replace(/^secret:(\/\/[^/]*\/)?/, "");
  const secret = Object.values(state.secrets).find((s) => s.id === id || uri!.endsWith(s.id));
  const content = secret!.revisions[String(secret!.latest)]!;
  return { username: content.username!, password: content.password! };
}

async function getRoot(endpoint: string, username: string, password: string): Promise<number> {
  const res = await fetch(new URL("/", endpoint), {
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

async function relationDirs(worker: number, relation: number): Promise<string[]> {
  const names = await readdir(kc.cluster.workerFiles(worker).pluginPath);
  return names.filter((n) => n.startsWith(`relation-${relation}-`));
}

/** Every password any worker was given so far (collected as the test goes: removed users leave the files). */
const seenPasswords = new Set<string>();

async function workerUsers(worker: number): Promise<string[]> {
  const text = await readFile(kc.cluster.workerFiles(worker).credentialsFile, "latin1");
  const users = parseJavaProperties(text);
  for (const p of users.values()) if (p) seenPasswords.add(p);
  return [...users.keys()].sort();
}

describe("the reference provider in the model emulator (2 units) with a requirer charm", () => {
  let withPlugin: number;
  let bare: number;

  it("publishes endpoints and credentials that open every worker; a wrong password is refused", async () => {
    await model.deploy("probe", { charm: requirerCharm, config: { "plugin-url": plugin.url } });
    await model.deploy("bare", { charm: requirerCharm });
    withPlugin = await model.integrate("probe:connect-client", `${KC}:connect-client`);
    bare = await model.integrate("bare:connect-client", `${KC}:connect-client`);

    const status = model.status();
    const failed = model.hooks.filter((h) => !h.ok);
    expect(failed.map((h) => `${h.unit} ${h.hook}: ${h.stderr}`)).toEqual([]);
    const probe = status.applications.probe!.units["probe/0"]!;
    expect(probe["workload-status"]).toEqual({
      current: "active",
      message: `relation-${withPlugin}: GET / 200,200 on 2 endpoint(s)`,
    });
    expect(status.applications.bare!.units["bare/0"]!["workload-status"].message).toBe(
      `relation-${bare}: GET / 200,200 on 2 endpoint(s)`,
    );
    for (const u of ["kafka-connect/0", "kafka-connect/1"]) {
      expect(status.applications[KC]!.units[u]!["workload-status"].current).toBe("active");
    }

    const { username, password } = publishedCredentials(withPlugin);
    expect(username).toBe(`relation-${withPlugin}`);
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const endpoint of kc.cluster.endpoints) {
      expect(await getRoot(endpoint, username, password)).toBe(200);
      expect(await getRoot(endpoint, username, `${password.slice(1)}x`)).toBe(401);
    }
  }, 120_000);

  it("installs the plugin on every worker for the relation that asked, nothing for NOT-REQUIRED", async () => {
    for (const w of [0, 1]) {
      expect(await relationDirs(w, withPlugin)).toHaveLength(1);
      expect(await relationDirs(w, bare)).toEqual([]);
      expect(await workerUsers(w)).toEqual(["admin", `relation-${bare}`, `relation-${withPlugin}`].sort());
    }
    expect(plugin.hits).toBe(2); // one download per worker
  });

  it("remove-relation removes exactly that relation's user and plugin dir on every worker", async () => {
    const bareCredentials = publishedCredentials(bare);
    const gone = publishedCredentials(withPlugin);
    await model.removeRelation(withPlugin);
    for (const w of [0, 1]) {
      expect(await relationDirs(w, withPlugin)).toEqual([]);
      expect(await workerUsers(w)).toEqual(["admin", `relation-${bare}`]);
    }
    for (const endpoint of kc.cluster.endpoints) {
      expect(await getRoot(endpoint, gone.username, gone.password)).toBe(401);
      expect(await getRoot(endpoint, bareCredentials.username, bareCredentials.password)).toBe(200);
    }
  }, 120_000);

  it("no password in any hook's stderr or any status of the model", () => {
    expect(seenPasswords.size).toBeGreaterThanOrEqual(3); // admin and both relations'
    const places = [
      ...model.hooks.map((h) => [`${h.unit} ${h.hook} stderr`, h.stderr] as const),
      ...Object.values(model.status().applications).flatMap((a) =>
        Object.entries(a.units ?? {}).map(
          ([u, st]) => [`${u} status`, st["workload-status"].message] as const,
        ),
      ),
    ];
    const leaks = places.filter(([, text]) => [...seenPasswords].some((p) => text.includes(p)));
    expect(leaks.map(([where]) => where)).toEqual([]);
  });
});
