import { readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../../lib/juju/index.js";
import {
  buildPluginTarball,
  Context,
  loadCharmMeta,
  parseJavaProperties,
} from "../../../lib/testing/index.js";
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

/** Every password the workers were given (admin and each relation's). */
async function _passwords(): Promise<string[]> {
  const out: string[] = [];
  for (const w of control.workers) {
    const text = await readFile(w.credentialsFile, "latin1").catch(() => "");
    out.push(...parseJavaProperties(text).values());
  }
  return [...new Set(out)].filter(Boolean);
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
