import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildPluginTarball } from "../../lib/testing/index.js";
import {
  integratorCharm,
  integratorMeta,
  kafkaConnectMeta,
  kafkaConnectWithPlugins,
  lastConnection,
} from "./support/charms.js";
import { TestModel } from "./support/model.js";

/**
 * A provider that installs the integrator's plugin before handing out credentials, against a real plugin server
 * on loopback: failures become a status and are retried on later hooks, a changed URL is installed again, and
 * removal takes the plugin away. (Canonical's provider logs a failed download and never tries again.)
 */

const REQ = { app: "integrator", endpoint: "connect-client" };
const PROV = { app: "kafka-connect", endpoint: "connect-client" };

let server: Server;
let base: string;
let root: string;
/** What the plugin server answers next: a status code for every path, except the good tarball path when 200. */
let answer: number;
const requests: string[] = [];

beforeEach(async () => {
  const tarball = await buildPluginTarball({
    plugins: [{ class: "com.example.DemoSinkConnector", type: "sink", version: "1.0" }],
  });
  answer = 200;
  requests.length = 0;
  lastConnection.clear();
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (answer !== 200 || !req.url?.startsWith("/plugin")) {
      res.writeHead(answer === 200 ? 404 : answer).end();
      return;
    }
    res
      .writeHead(200, { "content-type": "application/x-tar", "content-length": tarball.length })
      .end(tarball);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), "plugin-installs-"));
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

function model(pluginPath: string) {
  const m = new TestModel();
  m.deploy("integrator", integratorCharm, integratorMeta, 1);
  const charm = kafkaConnectWithPlugins(root, { attempts: 2, backoffMs: 1, timeoutMs: 2_000 });
  m.deploy("kafka-connect", charm, kafkaConnectMeta, 2);
  m.setConfig("integrator", { "plugin-url": `${base}${pluginPath}` });
  return m;
}

const pluginDirs = async () => (await readdir(root)).filter((d) => d.startsWith("relation-"));

describe("installing the integrator's plugin before handing out credentials", () => {
  it("a server that keeps failing is a waiting status, no credentials yet; the next hook installs and publishes", async () => {
    const m = model("/plugin");
    answer = 503;
    const id = await m.integrate(REQ, PROV);
    for (const unit of m.unitsOf("kafka-connect")) {
      expect(m.juju.state.units[unit]!.status.status).toBe("waiting");
      expect(m.juju.state.units[unit]!.status.message).toContain(`plugin for relation ${id}`);
      expect(m.juju.state.units[unit]!.status.message).toContain("503");
    }
    expect(m.juju.state.relations[String(id)]!.appData["kafka-connect"]).toEqual({});
    expect(m.juju.state.units["integrator/0"]!.status.status).toBe("waiting");

    answer = 200;
    await m.runAll("kafka-connect", { kind: "update-status" });
    await m.settle();
    for (const unit of m.unitsOf("kafka-connect")) {
      expect(m.juju.state.units[unit]!.status).toEqual({ status: "active", message: "" });
    }
    expect(await pluginDirs()).toHaveLength(1);
    expect(m.juju.state.units["integrator/0"]!.status.status).toBe("active");
    expect(lastConnection.get("integrator/0")?.username).toBe(`relation-${id}`);

    // Installed plugins are remembered: later hooks download nothing.
    const before = requests.length;
    await m.runAll("kafka-connect", { kind: "update-status" });
    expect(requests.length).toBe(before);
  });

  it("a 404 is blocked, naming the fix; a corrected plugin-url is installed and the old directory goes", async () => {
    const m = model("/missing");
    const id = await m.integrate(REQ, PROV);
    const status = m.juju.state.units["kafka-connect/0"]!.status;
    expect(status.status).toBe("blocked");
    expect(status.message).toContain("404");
    expect(status.message).toContain("plugin-url");
    // Permanent within a hook (one request, no retries), but tried again on the next hook: the integrator's
    // server may simply not be up yet.
    const before = requests.length;
    await m.run("kafka-connect/0", { kind: "update-status" });
    expect(requests.slice(before)).toEqual(["/missing"]);

    m.setConfig("integrator", { "plugin-url": `${base}/plugin` });
    await m.runAll("integrator", { kind: "config-changed" });
    await m.settle();
    expect(m.logs("kafka-connect/0")).toContain(
      `event plugin-url-changed connect-client:${id} ${base}/missing -> ${base}/plugin`,
    );
    expect(m.juju.state.units["kafka-connect/0"]!.status).toEqual({ status: "active", message: "" });
    const [dir] = await pluginDirs();
    expect(dir).toMatch(new RegExp(`^relation-${id}-[0-9a-f]{16}$`));
    expect(existsSync(join(root, dir!, "demosinkconnector", "kafka-connect-plugin.json"))).toBe(true);
  });

  it("removing the relation removes the plugin from every unit", async () => {
    const m = model("/plugin");
    const id = await m.integrate(REQ, PROV);
    expect(await pluginDirs()).toHaveLength(1);
    await m.removeRelation(id, "integrator", "kafka-connect");
    expect(await pluginDirs()).toEqual([]);
    expect(m.logs("kafka-connect/0")).toContain("removed 1 plugin directories");
  });

  it("NOT-REQUIRED downloads nothing and publishes at once", async () => {
    const m = model("/plugin");
    m.setConfig("integrator", { "plugin-url": "NOT-REQUIRED" });
    const id = await m.integrate(REQ, PROV);
    expect(requests).toEqual([]);
    expect(await pluginDirs()).toEqual([]);
    expect(m.juju.state.relations[String(id)]!.appData["kafka-connect"]!["secret-user"]).toBeDefined();
  });
});
