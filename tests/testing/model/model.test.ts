import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildCharm } from "../../../lib/testing/charm-build.js";
import { Model, refusedInHook } from "../../../lib/testing/index.js";
import { running } from "../../../lib/testing/model/machines.js";

const run = promisify(execFile);
const HERE = import.meta.dirname;
const BUILD = join(HERE, "..", "..", "..", ".build", "model-probe");
let model: Model;

beforeAll(async () => {
  await buildCharm({
    entry: join(HERE, "charm", "src", "main.ts"),
    charmDir: join(HERE, "charm"),
    outDir: BUILD,
  });
}, 60_000);
afterAll(() => rm(BUILD, { recursive: true, force: true }));
afterEach(() => model?.close());

const deploy = (m: Model, app: string, units = 1, extra: Partial<Parameters<Model["deploy"]>[1]> = {}) =>
  m.deploy(app, { charm: BUILD, units, env: (u) => ({ PROBE_DIR: u.machineDir }), ...extra });
const seq = (m: Model, from = 0) => m.hooks.slice(from).map((h) => `${h.unit} ${h.hook}`);
const journal = (m: Model, unit: string) =>
  readFileSync(join(m.unit(unit).machineDir, "journal"), "utf8")
    .trim()
    .split("\n");
const plainEnv = () => {
  const env = { ...process.env };
  delete env.JUJU_CONTEXT_ID;
  return env;
};
async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("Model: Juju's hook order", () => {
  it("deploy, integrate, leader change, remove-relation and remove-unit run the documented sequences", async () => {
    model = await Model.create();
    expect(await deploy(model, "a", 2)).toEqual(["a/0", "a/1"]);
    expect(seq(model)).toEqual([
      "a/0 install",
      "a/0 cluster-relation-created",
      "a/0 leader-elected",
      "a/0 config-changed",
      "a/0 start",
      "a/1 install",
      "a/1 cluster-relation-created",
      "a/1 config-changed",
      "a/1 start",
      "a/0 cluster-relation-joined",
      "a/0 cluster-relation-changed",
      "a/1 cluster-relation-joined",
      "a/1 cluster-relation-changed",
    ]);
    expect(model.hooks.every((h) => h.ok && h.via === "juju")).toBe(true);
    await deploy(model, "b");
    let from = model.hooks.length;
    const id = await model.integrate("a:db", "b:api");
    expect(seq(model, from)).toEqual([
      "a/0 db-relation-created",
      "a/1 db-relation-created",
      "b/0 api-relation-created",
      "a/0 db-relation-joined",
      "a/0 db-relation-changed",
      "a/1 db-relation-joined",
      "a/1 db-relation-changed",
      "b/0 api-relation-joined",
      "b/0 api-relation-changed",
      "b/0 api-relation-joined",
      "b/0 api-relation-changed",
      // b/0 (leader) wrote its app data: the other side hears of it (the follow-up JujuEmulator returns).
      "a/0 db-relation-changed",
      "a/1 db-relation-changed",
    ]);
    expect(model.juju.state.relations[String(id)]!.appData.b).toEqual({ url: "http://api" });

    // A test playing b's side: its app data changes as its leader's relation-set would change it; a's units
    // hear of it. Writing what is already there is no change, so no hook.
    from = model.hooks.length;
    await model.setRelationData(id, "b", { url: "ftp://nowhere", extra: null });
    expect(seq(model, from)).toEqual(["a/0 db-relation-changed", "a/1 db-relation-changed"]);
    expect(model.juju.state.relations[String(id)]!.appData.b).toEqual({ url: "ftp://nowhere" });
    from = model.hooks.length;
    await model.setRelationData(id, "b", { url: "ftp://nowhere" });
    expect(seq(model, from)).toEqual([]);
    await expect(model.setRelationData(id, "c", { x: "1" })).rejects.toThrow(/"c" is not in relation/);
    from = model.hooks.length;
    await model.emit("a/1", { kind: "relation-changed", relationId: id });
    expect(seq(model, from)).toEqual(["a/1 db-relation-changed"]);
    await expect(model.emit("a/1", { kind: "relation-joined", relationId: id })).rejects.toThrow(
      /needs the remote unit/,
    );

    from = model.hooks.length;
    await model.setLeader("a/1");
    expect(seq(model, from)).toEqual(["a/1 leader-elected"]);
    expect(model.status().applications.a!.units["a/1"]!.leader).toBe(true);

    from = model.hooks.length;
    await model.removeRelation(id);
    expect(seq(model, from)).toEqual([
      "a/0 db-relation-departed",
      "a/1 db-relation-departed",
      "b/0 api-relation-departed",
      "b/0 api-relation-departed",
      "a/0 db-relation-broken",
      "a/1 db-relation-broken",
      "b/0 api-relation-broken",
    ]);
    expect(model.juju.state.relations[String(id)]).toBeUndefined();

    await model.addUnit("a");
    from = model.hooks.length;
    const machineDir = model.unit("a/1").machineDir;
    await model.removeUnit("a/1");
    expect(seq(model, from)).toEqual([
      "a/0 cluster-relation-departed",
      "a/2 cluster-relation-departed",
      "a/1 cluster-relation-departed",
      "a/1 cluster-relation-departed",
      "a/1 cluster-relation-broken",
      "a/1 stop",
      "a/1 remove",
      "a/0 leader-elected",
    ]);
    expect(Object.keys(model.status().applications.a!.units)).toEqual(["a/0", "a/2"]);
    expect(model.status().applications.a!.units["a/0"]!.leader).toBe(true);
    expect(existsSync(machineDir)).toBe(false);
    // The peer relation lives on for the units that stay.
    const peer = Object.values(model.juju.state.relations).find((r) => r.endpoints.a === "cluster")!;
    expect(peer.dying).toBeUndefined();
    expect(peer.members.sort()).toEqual(["a/0", "a/2"]);
  }, 60_000);
});

describe("Model: machines, juju-exec, config, secrets, resources, errors, close", () => {
  it("gives each unit its own loopback address, shows juju status's shape, and answers juju-exec from outside any hook", async () => {
    model = await Model.create({ name: "shape" });
    await deploy(model, "a", 2);
    const s = model.status();
    expect(s.model).toMatchObject({ name: "shape", type: "iaas" });
    expect(s.applications.a).toMatchObject({
      charm: "model-probe",
      "application-status": { current: "active", message: "hello" },
      relations: { cluster: ["a"] },
    });
    expect(s.applications.a!.units["a/0"]).toMatchObject({
      "workload-status": { current: "active", message: "hello" },
      "juju-status": { current: "idle", message: "" },
      leader: true,
      "public-address": model.unit("a/0").address,
    });
    expect(s.applications.a!.units["a/1"]!.leader).toBeUndefined();
    expect(s.relations).toEqual([
      { id: 0, interface: "probe-peers", endpoints: ["a:cluster"], scope: "global" },
    ]);
    const [a0, a1] = [model.unit("a/0").address, model.unit("a/1").address];
    expect(a0).toMatch(/^127\.(?!0\.)\d+\.\d+\.\d+$/);
    expect(a1).not.toBe(a0);
    const exec = join(model.dir, "bin", "juju-exec");
    expect((await run(exec, ["-u", "a/0", "is-leader"], { env: plainEnv() })).stdout.trim()).toBe("True");
    expect((await run(exec, ["a/1", "is-leader"], { env: plainEnv() })).stdout.trim()).toBe("False");
    expect(
      (
        await run(exec, ["-u", "a/1", "--", "network-get", "cluster", "--bind-address"], { env: plainEnv() })
      ).stdout.trim(),
    ).toBe(a1);
    const refused = await run(exec, ["-u", "a/0", "is-leader"], {
      env: { ...plainEnv(), JUJU_CONTEXT_ID: "a/0-x-1" },
    }).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(refusedInHook("a/0-x-1"));
    const last = model.hooks.at(-1)!;
    expect(last).toMatchObject({ unit: "a/1", hook: "juju-exec", via: "juju-exec", ok: true });
  }, 30_000);

  it("runs a custom event a background process asks for through juju-exec, after the running hook, and refuses juju-exec inside a hook", async () => {
    model = await Model.create();
    await deploy(model, "a", 1, { config: { "slow-on": "update-status" } });
    const inside = await model.runAction("a/0", "exec-inside");
    expect(inside, model.hooks.at(-1)?.stderr).toMatchObject({ status: "completed" });
    expect(inside.results.code).toBe("2");
    expect(String(inside.results.said)).toContain(
      "juju-exec cannot be called from within a hook, have context",
    );
    await model.runAction("a/0", "spawn-exec");
    await model.updateStatus();
    const dir = model.unit("a/0").machineDir;
    await until(() => (existsSync(join(dir, "exec.rc")) ? true : undefined), "the background juju-exec");
    expect(readFileSync(join(dir, "exec.rc"), "utf8").trim()).toBe("0");
    const lines = journal(model, "a/0");
    const i = lines.indexOf("end update-status");
    expect(i).toBeGreaterThan(0);
    expect(lines.slice(i + 1)).toEqual(["begin ping", "end ping"]);
    expect(model.hooks.at(-1)).toMatchObject({ hook: "ping", via: "juju-exec", ok: true });
    expect(model.status().applications.a!.units["a/0"]!["workload-status"]).toEqual({
      current: "active",
      message: "pinged; leader True",
    });
  }, 30_000);

  it("config, secret-typed config and user secrets: grant, update → secret-changed, not granted → permission denied", async () => {
    model = await Model.create();
    await deploy(model, "a");
    await model.config("a", { greeting: "hi there" });
    expect(model.status().applications.a!.units["a/0"]!["workload-status"].message).toBe("hi there");
    await model.config("a", { greeting: null });
    expect(model.status().applications.a!.units["a/0"]!["workload-status"].message).toBe("hello");
    await expect(model.config("a", { nope: "x" })).rejects.toThrow(/unknown option "nope"/);

    const uri = await model.addSecret({ value: "s3cret-one" }, { label: "token" });
    expect(uri).toMatch(/^secret:[0-9a-v]{20}$/);
    const denied = await model.runAction("a/0", "read-secret", { uri });
    expect(denied.status).toBe("failed");
    expect(denied.message).toContain("permission denied");

    await model.grantSecret(uri, "a");
    await model.config("a", { token: uri });
    const sha = (v: string) => createHash("sha256").update(v).digest("hex").slice(0, 8);
    expect(model.status().applications.a!.units["a/0"]!["workload-status"].message).toBe(
      `token sha ${sha("s3cret-one")}`,
    );
    const from = model.hooks.length;
    await model.updateSecret(uri, { value: "s3cret-two" });
    expect(seq(model, from)).toEqual(["a/0 secret-changed"]);
    const read = await model.runAction("a/0", "read-secret", { uri });
    expect(read).toMatchObject({ status: "completed", results: { sha: sha("s3cret-one") } });
    expect(JSON.stringify(model.hooks)).not.toContain("s3cret");
  }, 30_000);

  it("resources: attached at deploy, attach → upgrade-charm, the empty placeholder, and missing", async () => {
    model = await Model.create();
    const file = join(model.dir, "blob-src.bin");
    writeFileSync(file, "payload");
    await deploy(model, "a", 1, { resources: { blob: file } });
    const got = await model.runAction("a/0", "resource");
    expect(got.results).toEqual({
      path: join(model.unit("a/0").machineDir, "resources", "blob", "blob-src.bin"),
      size: "7",
    });
    await deploy(model, "b");
    const missing = await model.runAction("b/0", "resource");
    expect(missing).toMatchObject({ status: "failed" });
    expect(missing.message).toContain("resource#b/blob not found");
    const placeholder = join(model.dir, "empty.tar");
    writeFileSync(placeholder, Buffer.alloc(10240));
    const from = model.hooks.length;
    await model.attachResource("b", "blob", placeholder);
    expect(seq(model, from)).toEqual(["b/0 upgrade-charm"]);
    expect((await model.runAction("b/0", "resource")).results.size).toBe("10240");
  }, 30_000);

  it("a failing hook puts the unit in error until resolve re-runs it", async () => {
    model = await Model.create();
    await deploy(model, "a", 1, { config: { "fail-on": "update-status" } });
    await model.updateStatus();
    expect(model.hooks.at(-1)).toMatchObject({ hook: "update-status", ok: false, exitCode: 1 });
    const s = model.status();
    expect(s.applications.a!.units["a/0"]!["workload-status"]).toEqual({
      current: "error",
      message: 'hook failed: "update-status"',
    });
    expect(s.applications.a!["application-status"].current).toBe("error");
    // Nothing else runs on that unit meanwhile.
    const from = model.hooks.length;
    await model.config("a", { greeting: "later" });
    expect(model.hooks.length).toBe(from);
    await model.resolve("a/0");
    expect(seq(model, from)).toEqual(["a/0 update-status", "a/0 config-changed"]);
    expect(model.status().applications.a!.units["a/0"]!["workload-status"]).toEqual({
      current: "active",
      message: "later",
    });
  }, 30_000);

  it("close() kills what the charm left running and removes the model's dirs", async () => {
    model = await Model.create();
    await deploy(model, "a");
    const pid = Number((await model.runAction("a/0", "spawn-sleeper")).results.pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    const dir = model.dir;
    await model.close();
    // An orphan may linger as a zombie until its reaper gets to it: that is stopped too.
    expect(await running(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 30_000);
});
