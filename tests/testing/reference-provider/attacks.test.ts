import { readdir, readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../../lib/juju/index.js";
import { buildPluginTarball, Context, followUpEvent, loadCharmMeta } from "../../../lib/testing/index.js";
import {
  kafkaConnectCharm,
  type ProviderCharmOptions,
} from "../../../lib/testing/reference-provider/src/charm.js";
import { integratorCharm, integratorMeta, lastConnection } from "../../connect-client/support/charms.js";
import { TestModel } from "../../connect-client/support/model.js";
import { type HostileServer, hostileTarball, startHostileServer } from "./hostile.js";
import { type FakeControl, startFakeControl, startPluginServer } from "./support.js";

/** Attacks on the reference provider: hostile requirers, a misbehaving worker control, bad action input. */

const CHARM_DIR = join(import.meta.dirname, "../../../lib/testing/reference-provider");
const KC = "kafka-connect";
const UNITS = 2;

let control: FakeControl;
let plugin: Awaited<ReturnType<typeof startPluginServer>>;
let hostile: HostileServer;
let model: TestModel;
let extraServers: Server[] = [];

beforeEach(async () => {
  const tarball = await buildPluginTarball({
    plugins: [{ class: "com.example.Sink", type: "sink", version: "1.0.0" }],
  });
  [control, plugin, hostile] = await Promise.all([
    startFakeControl(UNITS),
    startPluginServer(tarball),
    startHostileServer(),
  ]);
});
afterEach(async () => {
  await Promise.all([control.close(), plugin.close(), hostile.close()]);
  for (const s of extraServers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  extraServers = [];
  lastConnection.clear();
});

/** Provider units (one fake worker each), installed and peered. */
async function setup(opts: Partial<ProviderCharmOptions> = {}) {
  model = new TestModel();
  const meta = loadCharmMeta(CHARM_DIR) as CharmMeta;
  const charm = kafkaConnectCharm({
    controlUrl: (hook) => control.urlFor(Number(hook.unitName.split("/")[1])),
    fetch: { attempts: 1, timeoutMs: 1_500, maxBytes: 1024 * 1024 },
    ...opts,
  });
  model.deploy(KC, charm, meta, UNITS);
  const peer = model.juju.relate({ app: KC, endpoint: "worker" });
  for (const u of model.unitsOf(KC)) await model.run(u, { kind: "install" });
  for (const u of model.unitsOf(KC)) {
    for (const other of model.unitsOf(KC).filter((o) => o !== u)) {
      await model.run(u, { kind: "relation-joined", relationId: peer, remoteUnit: other });
    }
  }
  await model.settle();
  return { meta, context: new Context(charm, meta, { app: KC }) };
}

function requirer(app: string, pluginUrl: string): Promise<number> {
  model.deploy(app, integratorCharm, integratorMeta);
  model.setConfig(app, { "plugin-url": pluginUrl });
  return model.integrate({ app, endpoint: "connect-client" }, { app: KC, endpoint: "connect-client" });
}

function unitStatus(unit: string) {
  return model.juju.state.units[unit]!.status;
}

describe("a requirer publishing a hostile plugin-url", () => {
  const cases: [string, (h: HostileServer) => string, RegExp][] = [
    ["a redirect loop", (h) => `${h.url}/loop`, /redirect/i],
    ["an endless body", (h) => `${h.url}/huge`, /larger|bytes|MiB|size/i],
    ["a 10 GiB Content-Length", (h) => `${h.url}/liar`, /larger|bytes|MiB|size|Content-Length/i],
    [
      "a tarball bomb",
      (h) =>
        h.serveTar(
          "bomb.tar.gz",
          hostileTarball([{ name: "p/zeros.jar", content: Buffer.alloc(16 * 1024 * 1024) }]),
        ),
      /unpack|larger|bytes|MiB|size|bomb/i,
    ],
    [
      "path traversal in the tar",
      (h) =>
        h.serveTar("evil.tar.gz", hostileTarball([{ name: "../../escaped.jar", content: Buffer.from("x") }])),
      /\.\.|path|outside|unsafe/i,
    ],
  ];

  for (const [what, urlOf, why] of cases) {
    it(`${what}: bounded, the status names the relation and why, the other relation is still served`, async () => {
      await setup();
      const bad = await requirer("hostile", urlOf(hostile));
      const good = await requirer("good", plugin.url);
      expect(lastConnection.get("good/0")?.username).toBe(`relation-${good}`);
      expect(lastConnection.get("hostile/0")).toBeUndefined();
      for (const u of model.unitsOf(KC)) {
        const s = unitStatus(u);
        expect(["blocked", "waiting"]).toContain(s.status);
        expect(s.message).toContain(`relation ${bad}`);
        expect(s.message).toMatch(why);
      }
      for (const w of control.workers) {
        // Nothing of the hostile relation is left behind: no dir, no temporary file, nothing outside.
        const names = await readdir(w.pluginPath);
        expect(names.filter((n) => n.includes(`relation-${bad}`))).toEqual([]);
        expect(names.filter((n) => n.startsWith(`relation-${good}-`))).toHaveLength(1);
        expect(names).toHaveLength(1);
        expect(await readdir(join(w.pluginPath, ".."))).not.toContain("escaped.jar");
      }
    }, 30_000);
  }
});

it("one hook's downloads share a bounded budget: a trickling URL cannot hold the unit for tries × timeouts", async () => {
  // Per try 60 s and 4 tries (the fetcher's defaults) would hold every hook of every unit for minutes.
  await setup({ fetch: { timeoutMs: 60_000, attempts: 4 }, downloadBudgetMs: 1_000 });
  const bad = await requirer("hostile", `${hostile.url}/slow`);
  const good = await requirer("good", plugin.url);
  expect(lastConnection.get("good/0")?.username).toBe(`relation-${good}`);
  for (const u of model.unitsOf(KC)) {
    expect(unitStatus(u)).toEqual({
      status: "waiting",
      message: `plugin for relation ${bad}: download aborted; will retry`,
    });
  }
}, 30_000);

/** A control server whose GET and POST answers the test decides (a hang is a request never answered). */
async function startControl(
  handler: (req: { method: string; url: string }) => { status: number; body?: string } | "hang",
): Promise<string> {
  const server = createServer((req, res) => {
    const answer = handler({ method: req.method ?? "", url: req.url ?? "" });
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body ?? "");
  });
  extraServers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/workers/0`;
}

describe("a worker control that hangs or lies", () => {
  it("a GET that never answers: the hook ends within the bound and the status says so", async () => {
    const url = await startControl(() => "hang");
    await setup({ controlUrl: () => url, controlTimeoutMs: 300 });
    for (const u of model.unitsOf(KC)) {
      expect(unitStatus(u)).toEqual({
        status: "waiting",
        message: "worker control: cannot reach worker control: timed out; will retry",
      });
    }
  });

  it("a restart that never answers: the status says the restart failed and why, not that the worker stopped", async () => {
    const w = control.workers[0]!;
    const info = JSON.stringify({
      index: 0,
      endpoint: "http://127.0.0.1:18083",
      running: true,
      pluginPath: w.pluginPath,
      credentialsFile: w.credentialsFile,
      caFile: null,
    });
    const url = await startControl((req) => (req.method === "GET" ? { status: 200, body: info } : "hang"));
    await setup({ controlUrl: () => url, controlTimeoutMs: 300 });
    expect(unitStatus(`${KC}/0`)).toEqual({
      status: "waiting",
      message: "worker 0: worker restart failed: timed out; will retry on the next hook",
    });
  });

  const lies: [string, Record<string, unknown>][] = [
    ["a relative plugin path", { pluginPath: "plugins" }],
    ["a plugin path with ..", { pluginPath: "/tmp/../etc" }],
    ["a relative credentials file", { credentialsFile: "connect.password" }],
    ["an endpoint that is not http(s)", { endpoint: "file:///etc/passwd" }],
    ["an endpoint with credentials in it", { endpoint: "http://admin:pw@127.0.0.1:8083" }],
  ];
  for (const [what, lie] of lies) {
    it(`an answer with ${what} is refused, nothing written`, async () => {
      const w = control.workers[0]!;
      const body = JSON.stringify({
        index: 0,
        endpoint: "http://127.0.0.1:18083",
        running: true,
        pluginPath: w.pluginPath,
        credentialsFile: w.credentialsFile,
        caFile: null,
        ...lie,
      });
      const url = await startControl(() => ({ status: 200, body }));
      await setup({ controlUrl: () => url });
      expect(unitStatus(`${KC}/0`).status).toBe("waiting");
      expect(unitStatus(`${KC}/0`).message).toMatch(/^worker control: worker control answer has/);
      expect(await readFile(w.credentialsFile).catch(() => undefined)).toBeUndefined();
    });
  }
});

describe("rotate-password given bad input", () => {
  // actions.yaml declares relation-id an integer >= 0 with no other params: Juju refuses anything else before
  // the charm runs (the emulator checks the same schema).
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ["a negative id", { "relation-id": -1 }, /must be >= 0/],
    ["a fraction", { "relation-id": 1.5 }, /must be integer/],
    ["a string", { "relation-id": "1; rm -rf /" }, /must be integer/],
    ["no id", {}, /relation-id/],
    ["an extra param", { "relation-id": 1, password: "chosen" }, /password/],
  ];
  for (const [what, params, why] of refused) {
    it(`${what}: refused before the charm runs`, async () => {
      const { context } = await setup();
      await expect(
        context.runOn(model.juju, `${KC}/0`, { kind: "action", action: "rotate-password", params }),
      ).rejects.toThrow(why);
    });
  }

  it("a relation that does not exist: the action fails saying which exist, no password changes", async () => {
    const { context } = await setup();
    const rel = await requirer("good", plugin.url);
    const before = await readFile(control.workers[0]!.credentialsFile, "latin1");
    const record = await context.runOn(model.juju, `${KC}/0`, {
      kind: "action",
      action: "rotate-password",
      params: { "relation-id": 999 },
    });
    expect(record.actionFailure).toBe(`there is no relation connect-client:999; give one of: ${rel}`);
    expect(record.followUps).toEqual([]);
    expect(await readFile(control.workers[0]!.credentialsFile, "latin1")).toBe(before);
  });

  it("on a unit that is not the leader: refused, with where to run it", async () => {
    const { context } = await setup();
    const rel = await requirer("good", plugin.url);
    const before = await readFile(control.workers[1]!.credentialsFile, "latin1");
    const record = await context.runOn(model.juju, `${KC}/1`, {
      kind: "action",
      action: "rotate-password",
      params: { "relation-id": rel },
    });
    expect(record.actionFailure).toBe(
      "rotate-password runs on the leader only: run it on the unit juju status marks with *",
    );
    expect(record.followUps).toEqual([]);
    expect(await readFile(control.workers[1]!.credentialsFile, "latin1")).toBe(before);
  });
});

describe("secrets stay secret", () => {
  it("no password in argv, logs, status, action results, failures, stderr or the peer databags", async () => {
    const { context } = await setup();
    const rel = await requirer("good", plugin.url);
    plugin.status = 404;
    await requirer("broken", `${plugin.url}?v=2`);
    const rotated = await context.runOn(model.juju, `${KC}/0`, {
      kind: "action",
      action: "rotate-password",
      params: { "relation-id": rel },
    });
    for (const f of rotated.followUps) await model.run(f.unit, followUpEvent(f));
    await model.settle();
    await model.removeRelation(rel, "good", KC);
    await model.settle();

    // Every password the provider ever made: every revision of its secrets.
    const passwords = new Set<string>();
    for (const s of Object.values(model.juju.state.secrets)) {
      if (s.owner.kind !== "application" || s.owner.app !== KC) continue;
      for (const content of Object.values(s.revisions))
        for (const [k, v] of Object.entries(content))
          if (k !== "username" && v.length >= 16) passwords.add(v);
    }
    expect(passwords.size).toBeGreaterThanOrEqual(4); // admin, the broken relation, good's old and new
    const places: [string, string][] = [];
    for (const { unit, event, record } of [
      ...model.records,
      { unit: `${KC}/0`, event: { kind: "action" }, record: rotated },
    ]) {
      const at = `${unit} ${event.kind}`;
      for (const c of record.toolCalls) places.push([`${at} argv of ${c.tool}`, c.args.join(" ")]);
      for (const l of record.logs) places.push([`${at} log`, l.message]);
      for (const s of record.statusHistory) places.push([`${at} status`, s.status.message]);
      places.push([`${at} action results`, JSON.stringify(record.actionResults)]);
      places.push([`${at} action failure`, record.actionFailure ?? ""]);
      places.push([`${at} stderr`, record.stderr]);
    }
    for (const r of Object.values(model.juju.state.relations)) {
      places.push([`relation ${r.id} data`, JSON.stringify([r.appData, r.unitData])]);
    }
    const leaks = places.filter(([, text]) => [...passwords].some((p) => text.includes(p))).map(([w]) => w);
    expect(leaks).toEqual([]);
    // The check can fail: the credentials files do hold them.
    const file = await readFile(control.workers[0]!.credentialsFile, "latin1");
    expect([...passwords].some((p) => file.includes(p))).toBe(true);
  });

  it("the credentials file is replaced whole and 0600, even over a file that was world-readable", async () => {
    const w = control.workers[0]!;
    const { writeFile: write } = await import("node:fs/promises");
    await write(w.credentialsFile, "stale=x\n", { mode: 0o644 });
    await setup();
    await requirer("good", plugin.url);
    expect((await stat(w.credentialsFile)).mode & 0o777).toBe(0o600);
    const dir = await readdir(join(w.credentialsFile, ".."));
    expect(dir.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(w.loaded.every((text) => !text.includes("stale="))).toBe(true);
  });
});

describe("relation bookkeeping under attack", () => {
  it("a 1 MiB plugin-url in the databag: blocked naming the relation, a bounded status, the other relation served", async () => {
    await setup();
    const good = await requirer("good", plugin.url);
    const bad = await requirer("hostile", plugin.url);
    // Written as a hostile requirer would, past its own library's checks.
    model.juju.state.relations[String(bad)]!.appData.hostile!["plugin-url"] =
      `http://x/${"a".repeat(1024 * 1024)}`;
    for (const u of model.unitsOf(KC)) {
      await model.run(u, { kind: "relation-changed", relationId: bad, remoteUnit: "hostile/0" });
    }
    await model.settle();
    for (const u of model.unitsOf(KC)) {
      const s = unitStatus(u);
      expect(s.status).toBe("blocked");
      expect(s.message).toContain(`connect-client:${bad}`);
      expect(s.message).toContain(
        `plugin-url is ${1024 * 1024 + 9} characters long; at most 8192 are accepted`,
      );
      expect(s.message.length).toBeLessThanOrEqual(1024);
    }
    expect(lastConnection.get("good/0")?.username).toBe(`relation-${good}`);
  });

  it("relations 1 and 10: a unit that missed relation 1's broken hook sweeps relation 1's dirs only", async () => {
    await setup();
    model.deploy("a", integratorCharm, integratorMeta);
    model.deploy("b", integratorCharm, integratorMeta);
    const one = model.juju.relate(
      { app: "a", endpoint: "connect-client" },
      { app: KC, endpoint: "connect-client" },
      1,
    );
    const ten = model.juju.relate(
      { app: "b", endpoint: "connect-client" },
      { app: KC, endpoint: "connect-client" },
      10,
    );
    expect([one, ten]).toEqual([1, 10]);
    const { mkdir } = await import("node:fs/promises");
    const w = control.workers[0]!;
    // Relation 1 is gone from the model, but its dirs (and a staging dir) were left on this worker.
    delete model.juju.state.relations["1"];
    for (const d of ["relation-1-aaaa", ".relation-1-tmp", "relation-10-bbbb", "relation-100-cccc", "other"])
      await mkdir(join(w.pluginPath, d), { recursive: true });
    await model.run(`${KC}/0`, { kind: "update-status" });
    // relation 10's requirer has published nothing yet: its dir is not touched either.
    expect((await readdir(w.pluginPath)).sort()).toEqual(["other", "relation-10-bbbb"]);
  });
});
