import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../lib/juju/meta.js";
import { Context } from "../../lib/testing/context.js";
import { InconsistentScenarioError, JujuEmulator } from "../../lib/testing/juju/emulator.js";
import { type KitEvent, on } from "../../lib/testing/juju/events.js";
import { checkConsistency } from "../../lib/testing/scenario.js";
import { secretId } from "../../lib/testing/secret-id.js";

// Tool-level tests: every call goes through HookSession.run exactly as a hook tool would, and every
// assertion is on the exact {code, stdout, stderr} Juju gives (docs/reference/juju-hook-tools-facts.md).

const APP: CharmMeta = {
  name: "app",
  requires: { db: { interface: "pg" } },
  provides: { website: { interface: "http" } },
  peers: { cluster: { interface: "app-cluster" } },
  config: {
    options: {
      name: { type: "string", default: "app" },
      port: { type: "int" },
      debug: { type: "boolean", default: false },
      extra: { type: "string" },
    },
  },
  actions: { backup: { params: { target: { type: "string", default: "s3" } } } },
};
const PG: CharmMeta = {
  name: "pg",
  provides: { db: { interface: "pg" } },
  peers: { replicas: { interface: "pg-replicas" } },
};

const DB = 3;
const PEERS = 7;
const PG_PEERS = 8;

/** app/0 (leader), app/1; pg/0 (leader), pg/1; app:db ↔ pg:db is relation 3, app's peer relation is 7. */
function world() {
  const model = new JujuEmulator();
  model.deploy("app", APP, { units: 2, config: { port: 5432 } });
  model.deploy("pg", PG, { units: 2 });
  model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" }, DB);
  model.relate({ app: "app", endpoint: "cluster" }, undefined, PEERS);
  model.relate({ app: "pg", endpoint: "replicas" }, undefined, PG_PEERS);
  return model;
}

/** Starts a hook and gives a terse way to call tools in it. */
async function hook(model: JujuEmulator, unit: string, event: KitEvent = on.install()) {
  const began = await model.begin(unit, event);
  return {
    began,
    effects: began.session.effects,
    run: (tool: string, ...args: string[]) => began.session.run(tool, args),
    withStdin: (stdin: string, tool: string, ...args: string[]) => began.session.run(tool, args, stdin),
    inDir: (dir: string, tool: string, ...args: string[]) => began.session.run(tool, args, undefined, dir),
    finish: (exitCode = 0) => model.finish(began, event, exitCode),
  };
}

const out = (stdout: string) => ({ code: 0, stdout, stderr: "" });
const fail = (code: 1 | 2, message: string) => ({ code, stdout: "", stderr: `ERROR ${message}\n` });

const tmp = mkdtempSync(join(tmpdir(), "juju-rules-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("relation databags", () => {
  it("refuses a non-leader's write to its application bag", async () => {
    const model = world();
    const h = await hook(model, "app/1");
    expect(h.run("relation-set", "-r", "3", "--app", "k=v")).toEqual(
      fail(1, "cannot write relation settings"),
    );
    expect(h.run("relation-set", "-r", "7", "--app", "k=v")).toEqual(
      fail(1, "cannot write relation settings"),
    );
    // --app=false is the unit bag, which anyone may write.
    expect(h.run("relation-set", "-r", "3", "--app=false", "k=v")).toEqual(out(""));
    expect(h.finish()).toEqual({
      committed: true,
      followUps: [
        { unit: "pg/0", kind: "relation-changed", relationId: DB, remoteUnit: "app/1" },
        { unit: "pg/1", kind: "relation-changed", relationId: DB, remoteUnit: "app/1" },
      ],
    });
    expect(model.state.relations[String(DB)]!.appData.app).toEqual({});
    expect(model.state.relations[String(PEERS)]!.appData.app).toEqual({});
    expect(model.state.relations[String(DB)]!.unitData["app/1"]!.k).toBe("v");
  });

  it("lets a non-leader read its own app bag only on a peer relation", async () => {
    const model = world();
    const lead = await hook(model, "app/0");
    expect(lead.run("relation-set", "-r", "3", "--app", "k=v")).toEqual(out(""));
    expect(lead.run("relation-set", "-r", "7", "--app", "k=peer")).toEqual(out(""));
    expect(lead.finish().committed).toBe(true);

    const h = await hook(model, "app/1");
    expect(h.run("relation-get", "-r", "3", "--app", "-", "app")).toEqual(fail(1, "permission denied"));
    expect(h.run("relation-get", "-r", "3", "--app", "k", "app")).toEqual(fail(1, "permission denied"));
    expect(h.run("relation-get", "-r", "7", "--app", "-", "app", "--format=json")).toEqual(
      out('{"k":"peer"}\n'),
    );
    // With --app a unit name stands for its application.
    expect(h.run("relation-get", "-r", "7", "--app", "k", "app/0")).toEqual(out("peer\n"));
    // The remote application's bag is readable by every unit.
    expect(h.run("relation-get", "-r", "3", "--app", "-", "pg")).toEqual(out("{}\n"));
  });

  it("lets the leader read its own app bag, this hook's writes included", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("relation-get", "-r", "3", "--app", "-", "app")).toEqual(out("{}\n"));
    expect(h.run("relation-set", "-r", "3", "--app", "k=v", "b=2")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "--app", "k", "app")).toEqual(out("v\n"));
    expect(h.run("relation-get", "-r", "3", "--app", "-", "app", "--format=json")).toEqual(
      out('{"b":"2","k":"v"}\n'),
    );
    // Nothing reaches the model before the hook commits.
    expect(model.state.relations[String(DB)]!.appData.app).toEqual({});
    expect(h.finish().committed).toBe(true);
    expect(model.state.relations[String(DB)]!.appData.app).toEqual({ k: "v", b: "2" });
  });

  it("writes only the unit's own bags", async () => {
    const model = world();
    const before = structuredClone(model.state.relations[String(DB)]!);
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(h.run("relation-set", "-r", "3", "--app", "b=2")).toEqual(out(""));
    // There is no option naming another bag.
    expect(h.run("relation-set", "-r", "3", "--unit", "pg/0", "a=1")).toEqual(
      fail(2, "option provided but not defined: --unit"),
    );
    expect(h.finish().committed).toBe(true);
    const after = model.state.relations[String(DB)]!;
    expect(after.unitData).toEqual({
      ...before.unitData,
      "app/0": { ...before.unitData["app/0"], a: "1" },
    });
    expect(after.appData).toEqual({ app: { b: "2" }, pg: {} });
  });

  it("shows a unit its own writes at once", async () => {
    const model = world();
    const addr = model.state.units["app/0"]!.address;
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=1", "z=last")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "a", "app/0")).toEqual(out("1\n"));
    // Go sorts map keys: the new keys are not simply appended.
    expect(h.run("relation-get", "-r", "3", "-", "app/0")).toEqual(
      out(
        `a: "1"\negress-subnets: ${addr}/32\ningress-address: ${addr}\nprivate-address: ${addr}\nz: last\n`,
      ),
    );
  });

  it("keeps remote data fixed for the whole hook", async () => {
    const model = world();
    const appHook = await hook(model, "app/0");
    const pgHook = await hook(model, "pg/0");
    expect(pgHook.run("relation-set", "-r", "3", "x=new")).toEqual(out(""));
    expect(pgHook.finish().committed).toBe(true);
    expect(model.state.relations[String(DB)]!.unitData["pg/0"]!.x).toBe("new");
    // app/0's hook began before pg/0 committed.
    expect(appHook.run("relation-get", "-r", "3", "x", "pg/0")).toEqual(out(""));
    expect(appHook.run("relation-get", "-r", "3", "x", "pg/0", "--format=json")).toEqual(out("null\n"));
    expect(appHook.finish().committed).toBe(true);
    const next = await hook(model, "app/0");
    expect(next.run("relation-get", "-r", "3", "x", "pg/0")).toEqual(out("new\n"));
  });

  it("deletes a key set to the empty string", async () => {
    const model = world();
    const addr = model.state.units["app/0"]!.address;
    const first = await hook(model, "app/0");
    expect(first.run("relation-set", "-r", "3", "a=1", "b=2", "c=3", "d=4")).toEqual(out(""));
    expect(first.finish().committed).toBe(true);

    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=")).toEqual(out(""));
    // keyvalues.Parse trims key and value.
    expect(h.run("relation-set", "-r", "3", " b = ")).toEqual(out(""));
    expect(h.withStdin('c: ""\nd: ~\n', "relation-set", "-r", "3", "--file", "-")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "a", "app/0", "--format=json")).toEqual(out("null\n"));
    expect(h.run("relation-get", "-r", "3", "a", "app/0")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "-", "app/0", "--format=json")).toEqual(
      out(`{"egress-subnets":"${addr}/32","ingress-address":"${addr}","private-address":"${addr}"}\n`),
    );
    expect(h.finish().committed).toBe(true);
    expect(model.state.relations[String(DB)]!.unitData["app/0"]).toEqual({
      "egress-subnets": `${addr}/32`,
      "ingress-address": addr,
      "private-address": addr,
    });
  });

  it("reads --file as a YAML map of strings, keeping each scalar's text", async () => {
    const model = world();
    const addr = model.state.units["app/0"]!.address;
    const h = await hook(model, "app/0");
    const yaml = "port: 5432\nratio: 1.50\ntls: true\nmode: yes\nhex: 0x10\nname: from-file\n";
    // Arguments override the file's keys.
    expect(h.withStdin(yaml, "relation-set", "-r", "3", "--file", "-", "name=from-args")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "-", "app/0", "--format=json")).toEqual(
      out(
        `{"egress-subnets":"${addr}/32","hex":"0x10","ingress-address":"${addr}","mode":"yes",` +
          `"name":"from-args","port":"5432","private-address":"${addr}","ratio":"1.50","tls":"true"}\n`,
      ),
    );
    // A file path is relative to the tool's working directory; --file= works as well.
    writeFileSync(join(tmp, "bag.yaml"), "answer: 42\n");
    expect(h.inDir(tmp, "relation-set", "-r", "3", "--file=bag.yaml")).toEqual(out(""));
    expect(h.run("relation-get", "-r", "3", "answer", "app/0")).toEqual(out("42\n"));
  });

  it("accepts -r as name:id, a bare id, or any prefix before the last colon", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "x=1")).toEqual(out(""));
    const expected = h.run("relation-get", "-r", "db:3", "-", "app/0", "--format=json");
    expect(expected.stdout).toContain('"x":"1"');
    for (const form of [
      ["-r", "3"],
      ["-r", "ignored:3"],
      ["-r3"],
      ["--relation", "db:3"],
      ["--relation=3"],
    ]) {
      expect(h.run("relation-get", ...form, "-", "app/0", "--format=json")).toEqual(expected);
    }
    expect(h.run("relation-list", "-r", "ignored:3")).toEqual(out("pg/0\npg/1\n"));
  });

  it("refuses a relation id that is not a number or not known", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("relation-get", "-r", "one", "-", "pg/0")).toEqual(
      fail(2, 'invalid value "one" for option -r: invalid relation id'),
    );
    // gnuflag names the option as it was typed.
    expect(h.run("relation-get", "--relation=one", "-", "pg/0")).toEqual(
      fail(2, 'invalid value "one" for option --relation: invalid relation id'),
    );
    expect(h.run("relation-set", "-r", "db:9", "k=v")).toEqual(
      fail(2, 'invalid value "db:9" for option -r: relation not found'),
    );
    expect(h.run("relation-list", "-r", "9")).toEqual(
      fail(2, 'invalid value "9" for option -r: relation not found'),
    );
    // pg's peer relation exists, but app/0 is not in it.
    expect(h.run("relation-ids", "replicas")).toEqual(out(""));
    expect(h.run("relation-get", "-r", String(PG_PEERS), "-", "pg/1")).toEqual(
      fail(2, `invalid value "${PG_PEERS}" for option -r: relation not found`),
    );
  });

  it("needs -r outside relation hooks and defaults to the hook's relation inside them", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("relation-get", "k", "pg/0")).toEqual(fail(2, "no relation id specified"));
    expect(h.run("relation-set", "k=v")).toEqual(fail(2, "no relation id specified"));
    expect(h.run("relation-list")).toEqual(fail(2, "no relation id specified"));
    expect(h.run("relation-ids")).toEqual(fail(2, "no endpoint name specified"));
    expect(h.run("relation-get", "-r", "3", "k")).toEqual(fail(2, "no unit or application specified"));
    expect(h.finish().committed).toBe(true);

    const pg1 = await hook(model, "pg/1");
    expect(pg1.run("relation-set", "-r", "3", "who=pg1")).toEqual(out(""));
    expect(pg1.finish().committed).toBe(true);

    const r = await hook(model, "app/0", on.relationChanged(DB, { remoteUnit: "pg/1" }));
    expect(r.began.env.JUJU_RELATION_ID).toBe("db:3");
    expect(r.run("relation-get", "who")).toEqual(out("pg1\n"));
    expect(r.run("relation-list")).toEqual(out("pg/0\npg/1\n"));
    expect(r.run("relation-ids")).toEqual(out("db:3\n"));
    expect(r.run("relation-get", "who", "pg")).toEqual(
      fail(2, 'expected unit name, got application name "pg"'),
    );

    // App-level relation-changed has no remote unit: relation-get reads the remote app's bag.
    const lead = await hook(model, "pg/0");
    expect(lead.run("relation-set", "-r", "3", "--app", "scope=app")).toEqual(out(""));
    expect(lead.finish().committed).toBe(true);
    const appLevel = await hook(model, "app/0", on.relationChanged(DB));
    expect(appLevel.run("relation-get", "scope")).toEqual(out("app\n"));
    expect(appLevel.run("relation-get", "-")).toEqual(out("scope: app\n"));
  });

  it("sorts relation-ids as strings and leaves out a relation being broken", async () => {
    const model = new JujuEmulator();
    model.deploy("app", APP, { units: 1 });
    for (const name of ["pg", "pg2", "pg3"]) model.deploy(name, { ...PG, name }, { units: 1 });
    model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" }, 10);
    model.relate({ app: "app", endpoint: "db" }, { app: "pg2", endpoint: "db" }, 2);
    model.relate({ app: "app", endpoint: "db" }, { app: "pg3", endpoint: "db" }, 3);

    const h = await hook(model, "app/0");
    expect(h.run("relation-ids", "db")).toEqual(out("db:10\ndb:2\ndb:3\n"));
    expect(h.run("relation-ids", "db", "--format=json")).toEqual(out('["db:10","db:2","db:3"]\n'));
    expect(h.run("relation-ids", "db", "--format=yaml")).toEqual(out("- db:10\n- db:2\n- db:3\n"));
    expect(h.run("relation-ids", "website")).toEqual(out(""));
    expect(h.run("relation-ids", "website", "--format=json")).toEqual(out("[]\n"));
    expect(h.run("relation-ids", "no-such-endpoint", "--format=yaml")).toEqual(out("[]\n"));
    expect(h.run("relation-ids", "db", "cluster")).toEqual(fail(2, 'unrecognized args: ["cluster"]'));
    h.finish();

    const failed = await hook(model, "app/0", on.relationBroken(2));
    expect(failed.run("relation-ids")).toEqual(out("db:10\ndb:3\n"));
    expect(failed.finish(1)).toEqual({ committed: false, followUps: [] });
    // A failed relation-broken leaves the relation in place.
    const again = await hook(model, "app/0");
    expect(again.run("relation-ids", "db")).toEqual(out("db:10\ndb:2\ndb:3\n"));
    again.finish();

    const broken = await hook(model, "app/0", on.relationBroken(2));
    expect(broken.run("relation-ids", "db")).toEqual(out("db:10\ndb:3\n"));
    // Its data is still readable while relation-broken runs; the remote app is the default.
    expect(broken.run("relation-list", "--app")).toEqual(out("pg2\n"));
    expect(broken.run("relation-get", "--app", "-", "--format=json")).toEqual(out("{}\n"));
    expect(broken.finish().committed).toBe(true);
    expect(model.state.relations["2"]).toBeUndefined();
    const after = await hook(model, "app/0");
    expect(after.run("relation-ids", "db")).toEqual(out("db:10\ndb:3\n"));
    expect(after.run("relation-list", "-r", "2")).toEqual(
      fail(2, 'invalid value "2" for option -r: relation not found'),
    );
  });

  it("lists remote members sorted as strings, the remote app with --app", async () => {
    const model = new JujuEmulator();
    model.deploy("app", APP, { units: 2 });
    model.deploy("pg", PG, { units: 11 });
    model.deploy("idle", { ...PG, name: "idle" }, { units: 0 });
    model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" }, 1);
    model.relate({ app: "app", endpoint: "db" }, { app: "idle", endpoint: "db" }, 2);
    model.relate({ app: "app", endpoint: "cluster" }, undefined, 3);
    // A unit added after the relation was made has not entered its scope.
    model.addUnit("pg");

    const h = await hook(model, "app/0");
    expect(h.run("relation-list", "-r", "1")).toEqual(
      out("pg/0\npg/1\npg/10\npg/2\npg/3\npg/4\npg/5\npg/6\npg/7\npg/8\npg/9\n"),
    );
    expect(h.run("relation-list", "-r", "1", "--app")).toEqual(out("pg\n"));
    expect(h.run("relation-list", "-r", "1", "--app", "--format=json")).toEqual(out('"pg"\n'));
    expect(h.run("relation-list", "-r", "2")).toEqual(out(""));
    expect(h.run("relation-list", "-r", "2", "--format=json")).toEqual(out("[]\n"));
    // On a peer relation the members are the other units of this application.
    expect(h.run("relation-list", "-r", "3")).toEqual(out("app/1\n"));
    expect(h.run("relation-list", "-r", "3", "--app")).toEqual(out("app\n"));
  });

  it("gives each member unit Juju's default address keys and apps an empty bag", async () => {
    const model = world();
    const addr = model.state.units["pg/0"]!.address;
    const h = await hook(model, "app/0");
    expect(h.run("relation-get", "-r", "3", "-", "pg/0")).toEqual(
      out(`egress-subnets: ${addr}/32\ningress-address: ${addr}\nprivate-address: ${addr}\n`),
    );
    expect(h.run("relation-get", "-r", "3", "private-address", "pg/0")).toEqual(out(`${addr}\n`));
    expect(h.run("relation-get", "-r", "3", "--app", "-", "pg", "--format=json")).toEqual(out("{}\n"));
  });
});

describe("hook transactions", () => {
  it("drops buffered writes when the hook fails but keeps what Juju applies at once", async () => {
    const model = world();
    const relationsBefore = structuredClone(model.state.relations);
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(h.run("relation-set", "-r", "7", "--app", "b=2")).toEqual(out(""));
    expect(h.run("state-set", "k=v")).toEqual(out(""));
    expect(h.run("open-port", "80")).toEqual(out(""));
    expect(h.run("secret-add", "--label", "s", "pass=word").code).toBe(0);
    expect(h.run("status-set", "active", "all good")).toEqual(out(""));
    expect(h.run("status-set", "--application", "blocked", "app says no")).toEqual(out(""));
    expect(h.run("application-version-set", "1.2.3")).toEqual(out(""));
    expect(h.run("juju-log", "-l", "WARNING", "hello")).toEqual(out(""));
    expect(h.finish(1)).toEqual({ committed: false, followUps: [] });

    expect(model.state.relations).toEqual(relationsBefore);
    expect(model.state.secrets).toEqual({});
    expect(model.state.units["app/0"]).toMatchObject({
      stored: {},
      openedPorts: [],
      status: { status: "active", message: "all good" },
      workloadVersion: "1.2.3",
    });
    expect(model.state.apps.app!.status).toEqual({ status: "blocked", message: "app says no" });
    expect(h.effects.logs).toEqual([{ level: "WARNING", message: "hello" }]);

    const next = await hook(model, "app/0");
    expect(next.run("relation-get", "-r", "3", "a", "app/0")).toEqual(out(""));
    expect(next.run("state-get", "k", "--strict")).toEqual(fail(1, '"k" not found'));
    expect(next.run("opened-ports")).toEqual(out(""));
    expect(next.run("secret-ids")).toEqual(out(""));
    expect(next.run("status-get", "--include-data", "--format=json")).toEqual(
      out('{"message":"all good","status":"active","status-data":{}}\n'),
    );
  });

  it("commits every buffered write when the hook exits 0", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(h.run("state-set", "k=v")).toEqual(out(""));
    expect(h.run("open-port", "80")).toEqual(out(""));
    const added = h.run("secret-add", "--label", "s", "pass=word");
    expect(h.finish().committed).toBe(true);

    const next = await hook(model, "app/0");
    expect(next.run("relation-get", "-r", "3", "a", "app/0")).toEqual(out("1\n"));
    expect(next.run("state-get", "k")).toEqual(out("v\n"));
    expect(next.run("opened-ports")).toEqual(out("80/tcp\n"));
    expect(next.run("secret-ids")).toEqual(out(`${added.stdout.slice("secret:".length)}`));
  });

  it("commits only the hook's own changes, never undoing another unit's commit", async () => {
    const model = world();
    const a = await hook(model, "app/0");
    const b = await hook(model, "app/1");
    expect(b.run("relation-set", "-r", "3", "from=app1")).toEqual(out(""));
    expect(b.run("state-set", "k=1")).toEqual(out(""));
    expect(b.finish().committed).toBe(true);
    // app/0's hook began before app/1 committed; its commit must leave app/1's work alone.
    expect(a.run("relation-set", "-r", "3", "from=app0")).toEqual(out(""));
    expect(a.run("relation-set", "-r", "3", "--app", "x=1")).toEqual(out(""));
    expect(a.finish().committed).toBe(true);
    const rel = model.state.relations[String(DB)]!;
    expect(rel.unitData["app/1"]!.from).toBe("app1");
    expect(rel.unitData["app/0"]!.from).toBe("app0");
    expect(rel.appData.app).toEqual({ x: "1" });
    expect(model.state.units["app/1"]!.stored).toEqual({ k: "1" });

    // A relation removed while a hook ran is not brought back by that hook's writes to it.
    const late = await hook(model, "app/0");
    model.removeRelation(DB);
    expect(late.run("relation-set", "-r", "3", "y=1")).toEqual(out(""));
    expect(late.finish()).toEqual({ committed: true, followUps: [] });
    expect(model.state.relations[String(DB)]).toBeUndefined();
  });

  it("queues relation-changed for the other side's member units", async () => {
    const model = world();
    model.addUnit("pg"); // pg/2 has not joined relation 3
    const h = await hook(model, "app/0");
    expect(h.run("relation-set", "-r", "3", "--app", "a=1")).toEqual(out(""));
    expect(h.run("relation-set", "-r", "3", "u=1")).toEqual(out(""));
    expect(h.run("relation-set", "-r", "7", "p=1")).toEqual(out(""));
    expect(h.finish()).toEqual({
      committed: true,
      followUps: [
        { unit: "pg/0", kind: "relation-changed", relationId: DB },
        { unit: "pg/1", kind: "relation-changed", relationId: DB },
        { unit: "pg/0", kind: "relation-changed", relationId: DB, remoteUnit: "app/0" },
        { unit: "pg/1", kind: "relation-changed", relationId: DB, remoteUnit: "app/0" },
        // A peer relation's other side is the rest of this application.
        { unit: "app/1", kind: "relation-changed", relationId: PEERS, remoteUnit: "app/0" },
      ],
    });
  });

  it("queues nothing when no bag changed", async () => {
    const model = world();
    const first = await hook(model, "app/0");
    expect(first.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(first.finish().followUps).toHaveLength(2);

    const same = await hook(model, "app/0");
    expect(same.run("relation-set", "-r", "3", "a=1")).toEqual(out(""));
    expect(same.run("relation-set", "-r", "3", "--app", "t=1")).toEqual(out(""));
    expect(same.run("relation-set", "-r", "3", "--app", "t=")).toEqual(out(""));
    expect(same.run("state-set", "k=v")).toEqual(out(""));
    expect(same.finish()).toEqual({ committed: true, followUps: [] });

    const failed = await hook(model, "app/0");
    expect(failed.run("relation-set", "-r", "3", "a=2")).toEqual(out(""));
    expect(failed.finish(1)).toEqual({ committed: false, followUps: [] });
  });
});

describe("options and output formats", () => {
  it("refuses unknown options and extra arguments with exit 2", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("is-leader", "--bogus")).toEqual(fail(2, "option provided but not defined: --bogus"));
    expect(h.run("is-leader", "-x")).toEqual(fail(2, "option provided but not defined: -x"));
    expect(h.run("relation-get", "-r", "3", "--bogus=1", "-", "pg/0")).toEqual(
      fail(2, "option provided but not defined: --bogus"),
    );
    expect(h.run("config-get", "--format")).toEqual(fail(2, "option needs an argument: --format"));
    expect(h.run("is-leader", "a", "b")).toEqual(fail(2, 'unrecognized args: ["a" "b"]'));
    expect(h.run("relation-list", "-r", "3", "a", "b")).toEqual(fail(2, 'unrecognized args: ["a" "b"]'));
    expect(h.run("relation-get", "-r", "3", "k", "pg/0", "extra")).toEqual(
      fail(2, 'unrecognized args: ["extra"]'),
    );
    expect(h.run("state-delete", "a", "b")).toEqual(fail(2, 'unrecognized args: ["b"]'));
    // `--` ends the options: what follows is a positional even if it looks like an option.
    expect(h.run("juju-log", "--", "--bogus")).toEqual(out(""));
    expect(h.effects.logs).toEqual([{ level: "INFO", message: "--bogus" }]);
  });

  it("accepts bool options spelled --name=True/False as ops passes them", async () => {
    const model = world();
    const h = await hook(model, "app/1");
    expect(h.run("status-set", "--application=False", "active", "unit")).toEqual(out(""));
    expect(h.run("status-set", "--application=True", "active", "app")).toEqual(
      fail(1, "this unit is not the leader"),
    );
    expect(h.run("status-get", "--include-data", "--application=False", "--format=json")).toEqual(
      out('{"message":"unit","status":"active","status-data":{}}\n'),
    );
    expect(h.run("status-get", "--application=maybe")).toEqual(
      fail(
        2,
        'invalid value "maybe" for option --application: strconv.ParseBool: parsing "maybe": invalid syntax',
      ),
    );
    expect(h.run("relation-get", "-r", "3", "--app=0", "-", "pg/0", "--format=json").code).toBe(0);
    const lead = await hook(model, "app/0");
    expect(lead.run("status-set", "--application=True", "waiting", "app")).toEqual(out(""));
    expect(lead.run("status-get", "--application=true")).toEqual(out("waiting\n"));
  });

  it("renders smart, yaml and json as juju/cmd does", async () => {
    const model = world();
    const lead = await hook(model, "app/0");
    const other = await hook(model, "app/1");
    expect(lead.run("is-leader")).toEqual(out("True\n"));
    expect(other.run("is-leader")).toEqual(out("False\n"));
    expect(lead.run("is-leader", "--format=json")).toEqual(out("true\n"));
    expect(other.run("is-leader", "--format", "yaml")).toEqual(out("false\n"));
    // Lists: one item per line in smart, nothing at all when empty.
    expect(lead.run("relation-list", "-r", "3")).toEqual(out("pg/0\npg/1\n"));
    expect(lead.run("relation-list", "-r", "3", "--format=yaml")).toEqual(out("- pg/0\n- pg/1\n"));
    expect(lead.run("opened-ports")).toEqual(out(""));
    expect(lead.run("opened-ports", "--format=json")).toEqual(out("[]\n"));
    // A missing key: nothing in smart and yaml, null in json.
    expect(lead.run("config-get", "nope")).toEqual(out(""));
    expect(lead.run("config-get", "nope", "--format=yaml")).toEqual(out(""));
    expect(lead.run("config-get", "nope", "--format=json")).toEqual(out("null\n"));
    // Go's json escapes <, > and &.
    expect(lead.run("relation-set", "-r", "3", "html=<a&b>")).toEqual(out(""));
    expect(lead.run("relation-get", "-r", "3", "html", "app/0", "--format=json")).toEqual(
      out('"\\u003ca\\u0026b\\u003e"\n'),
    );
    expect(lead.run("is-leader", "--format=xml")).toEqual(
      fail(2, 'invalid value "xml" for option --format: unknown format "xml"'),
    );
    // The format is checked while parsing, before Init or Run look anything up.
    expect(lead.run("relation-get", "--format", "xml")).toEqual(
      fail(2, 'invalid value "xml" for option --format: unknown format "xml"'),
    );
    expect(lead.run("relation-get", "--format", "xml", "-r", "9")).toEqual(
      fail(2, 'invalid value "xml" for option --format: unknown format "xml"'),
    );
  });

  it("defaults secret-get to yaml and refuses smart", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    const id = h.run("secret-add", "user=admin", "pass=hunter2").stdout.trim();
    expect(h.run("secret-get", id)).toEqual(out("pass: hunter2\nuser: admin\n"));
    expect(h.run("secret-get", id, "--format=json")).toEqual(out('{"pass":"hunter2","user":"admin"}\n'));
    expect(h.run("secret-get", id, "--format=smart")).toEqual(
      fail(2, 'invalid value "smart" for option --format: unknown format "smart"'),
    );
    expect(h.run("secret-info-get", id, "--format", "smart")).toEqual(
      fail(2, 'invalid value "smart" for option --format: unknown format "smart"'),
    );
    // Even for a secret that does not exist, the option error comes first.
    expect(h.run("secret-get", `secret:${secretId()}`, "--format=smart").code).toBe(2);
  });

  it("writes the output to -o FILE, relative to the tool's working directory", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.inDir(tmp, "is-leader", "-o", "leader.txt")).toEqual(out(""));
    expect(readFileSync(join(tmp, "leader.txt"), "utf8")).toBe("True\n");
    const abs = join(tmp, "members.json");
    expect(h.run("relation-list", "-r", "3", "--format=json", "--output", abs)).toEqual(out(""));
    expect(readFileSync(abs, "utf8")).toBe('["pg/0","pg/1"]\n');
    expect(h.inDir(tmp, "config-get", "nope", "-o", "empty.txt")).toEqual(out(""));
    expect(readFileSync(join(tmp, "empty.txt"), "utf8")).toBe("");
  });
});

describe("status, logs, actions, ports, state, network and config", () => {
  it("validates status-set and needs leadership for --application", async () => {
    const model = world();
    const h = await hook(model, "app/1");
    expect(h.run("status-set", "error", "boom")).toEqual(
      fail(2, 'invalid status "error", expected one of [maintenance blocked waiting active]'),
    );
    expect(h.run("status-set", "unknown")).toEqual(
      fail(2, 'invalid status "unknown", expected one of [maintenance blocked waiting active]'),
    );
    expect(h.run("status-set")).toEqual(fail(2, "invalid args, require <status> [message]"));
    expect(h.run("status-set", "active", "a", "b")).toEqual(fail(2, 'unrecognized args: ["b"]'));
    expect(h.run("status-set", "--application", "active")).toEqual(fail(1, "this unit is not the leader"));
    expect(h.run("status-get", "--application")).toEqual(
      fail(1, "finding application status: this unit is not the leader"),
    );
    expect(h.run("status-set", "maintenance")).toEqual(out(""));
    expect(h.run("status-get", "--include-data", "--format=json")).toEqual(
      out('{"message":"","status":"maintenance","status-data":{}}\n'),
    );
  });

  it("gives status-get Juju's shapes", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("status-set", "active", "ready")).toEqual(out(""));
    expect(h.run("status-set", "--application", "blocked", "needs db")).toEqual(out(""));
    expect(h.run("status-get")).toEqual(out("active\n"));
    expect(h.run("status-get", "--format=json")).toEqual(out('{"status":"active"}\n'));
    expect(h.run("status-get", "--format=yaml")).toEqual(out("status: active\n"));
    expect(h.run("status-get", "--include-data")).toEqual(
      out("message: ready\nstatus: active\nstatus-data: {}\n"),
    );
    expect(h.run("status-get", "--application")).toEqual(out("blocked\n"));
    expect(h.run("status-get", "--application", "--format=json")).toEqual(
      out(
        '{"application-status":{"status":"blocked","units":{"app/0":{"status":"active"},"app/1":{"status":"unknown"}}}}\n',
      ),
    );
    expect(h.run("status-get", "--application", "--include-data", "--format=json")).toEqual(
      out(
        '{"application-status":{"message":"needs db","status":"blocked","status-data":{},"units":{' +
          '"app/0":{"message":"ready","status":"active","status-data":{}},' +
          '"app/1":{"message":"","status":"unknown","status-data":{}}}}}\n',
      ),
    );
    expect(h.run("status-get", "extra")).toEqual(fail(2, 'unrecognized args: ["extra"]'));
  });

  it("logs an invalid juju-log level as a warning and uses INFO", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("juju-log", "-l", "FOO", "hello", "world")).toEqual(out(""));
    expect(h.run("juju-log", "--log-level", "warn", "--", "-dashed")).toEqual(out(""));
    expect(h.run("juju-log", "--debug", "details")).toEqual(out(""));
    expect(h.run("juju-log")).toEqual(fail(2, "no message specified"));
    expect(h.effects.logs).toEqual([
      { level: "WARNING", message: 'Specified log level of "FOO" is not valid' },
      { level: "INFO", message: "hello world" },
      { level: "WARNING", message: "-dashed" },
      { level: "DEBUG", message: "details" },
    ]);
  });

  it("refuses action tools outside an action, after checking their arguments", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("action-get")).toEqual(fail(1, "not running an action"));
    expect(h.run("action-set", "a=1")).toEqual(fail(1, "not running an action"));
    expect(h.run("action-fail")).toEqual(fail(1, "not running an action"));
    expect(h.run("action-log", "progress")).toEqual(fail(1, "not running an action"));
    // Init (exit 2) runs before Run asks for the action.
    expect(h.run("action-set", "Foo=1")).toEqual(
      fail(
        2,
        'key "Foo" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods',
      ),
    );
    expect(h.run("action-log")).toEqual(fail(2, "no message specified"));
    expect(h.run("action-get", "a", "b")).toEqual(fail(2, 'unrecognized args: ["b"]'));
    // action-set with nothing to set never asks for the action.
    expect(h.run("action-set")).toEqual(out(""));
  });

  it("validates action-set keys part by part and refuses reserved ones", async () => {
    const model = world();
    const h = await hook(model, "app/0", on.action("backup"));
    const rule =
      "must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods";
    expect(h.run("action-set", "Foo=1")).toEqual(fail(2, `key "Foo" ${rule}`));
    expect(h.run("action-set", "out.Size=1")).toEqual(fail(2, `key "Size" ${rule}`));
    expect(h.run("action-set", "out.-x=1")).toEqual(fail(2, `key "-x" ${rule}`));
    expect(h.run("action-set", "stdout=x")).toEqual(fail(2, 'cannot set reserved action key "stdout"'));
    expect(h.run("action-set", "res.stderr-encoding=x")).toEqual(
      fail(2, 'cannot set reserved action key "stderr-encoding"'),
    );
    expect(h.run("action-set", "foo")).toEqual(fail(2, 'argument "foo" must be of the form key...=value'));
    // A bad pair refuses the whole call: nothing was set.
    expect(h.run("action-set", "ok=1", "Bad=2")).toEqual(fail(2, `key "Bad" ${rule}`));
    expect(h.effects.actionResults).toEqual({});
    expect(h.run("action-set", "out.size=10G", "out.name=x", "flat=a=b")).toEqual(out(""));
    expect(h.effects.actionResults).toEqual({ out: { size: "10G", name: "x" }, flat: "a=b" });
    expect(h.run("action-get", "--format=json")).toEqual(out('{"target":"s3"}\n'));
    expect(h.run("action-get", "target")).toEqual(out("s3\n"));
    expect(h.run("action-get", "missing", "--format=json")).toEqual(out("null\n"));
  });

  it("gives action-fail its default message", async () => {
    const model = world();
    const h = await hook(model, "app/0", on.action("backup"));
    expect(h.run("action-fail")).toEqual(out(""));
    expect(h.effects.actionFailure).toBe("action failed without reason given, check action for errors");
    expect(h.run("action-fail", "disk full")).toEqual(out(""));
    expect(h.effects.actionFailure).toBe("disk full");
    expect(h.run("action-fail", "a", "b")).toEqual(fail(2, 'unrecognized args: ["b"]'));
    expect(h.run("action-log", "step", "one")).toEqual(out(""));
    expect(h.effects.actionLogs).toEqual(["step one"]);
  });

  it("parses open-port ranges as network.ParsePortRange does", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("open-port")).toEqual(fail(2, "no port or range specified"));
    expect(h.run("open-port", "80/sctp")).toEqual(
      fail(2, 'invalid protocol "sctp", expected "tcp", "udp", or "icmp"'),
    );
    expect(h.run("open-port", "90-80")).toEqual(fail(2, "invalid port range 90-80/tcp"));
    expect(h.run("open-port", "80/icmp")).toEqual(
      fail(2, `protocol "icmp" doesn't support any ports; got "80"`),
    );
    expect(h.run("open-port", "1-2-3/udp")).toEqual(fail(2, 'invalid port range "1-2-3"'));
    expect(h.run("open-port", "abc")).toEqual(
      fail(2, 'invalid port "abc": strconv.Atoi: parsing "abc": invalid syntax'),
    );
    expect(h.run("open-port", "10-x")).toEqual(
      fail(2, 'invalid port "x": strconv.Atoi: parsing "x": invalid syntax'),
    );
    // The ports are parsed before the protocol is checked.
    expect(h.run("open-port", "abc/sctp")).toEqual(
      fail(2, 'invalid port "abc": strconv.Atoi: parsing "abc": invalid syntax'),
    );
    expect(h.run("open-port", "0-70000")).toEqual(
      fail(2, "port range bounds must be between 0 and 65535, got 0-70000"),
    );
    expect(h.run("open-port", "80", "81")).toEqual(fail(2, 'unrecognized args: ["81"]'));
    expect(h.run("close-port", "80/sctp")).toEqual(
      fail(2, 'invalid protocol "sctp", expected "tcp", "udp", or "icmp"'),
    );
  });

  it("sorts opened-ports by protocol, then range", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    for (const spec of ["8000-8010/udp", "443", "80/TCP", "icmp", "53/udp", "1000-2000", "80"]) {
      expect(h.run("open-port", spec)).toEqual(out(""));
    }
    expect(h.run("close-port", "443/tcp")).toEqual(out(""));
    expect(h.run("close-port", "9999")).toEqual(out(""));
    expect(h.run("opened-ports")).toEqual(out("icmp\n80/tcp\n1000-2000/tcp\n53/udp\n8000-8010/udp\n"));
    expect(h.run("opened-ports", "--format=json")).toEqual(
      out('["icmp","80/tcp","1000-2000/tcp","53/udp","8000-8010/udp"]\n'),
    );
    expect(h.run("opened-ports", "--endpoints")).toEqual(
      out("icmp (*)\n80/tcp (*)\n1000-2000/tcp (*)\n53/udp (*)\n8000-8010/udp (*)\n"),
    );
  });

  it("makes state-get --strict fail on a missing key and prints nothing without it", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("state-get", "--format=json")).toEqual(out("null\n"));
    expect(h.run("state-set", "one=1", "two=2", "empty=")).toEqual(out(""));
    expect(h.run("state-get", "--strict", "five")).toEqual(fail(1, '"five" not found'));
    expect(h.run("state-get", "five")).toEqual(out(""));
    expect(h.run("state-get", "one")).toEqual(out("1\n"));
    // `key=` sets the empty string; it does not delete.
    expect(h.run("state-get", "--strict", "empty")).toEqual(out(""));
    expect(h.run("state-get", "--format=json")).toEqual(out('{"empty":"","one":"1","two":"2"}\n'));
    expect(h.run("state-delete", "empty")).toEqual(out(""));
    expect(h.run("state-delete", "never-there")).toEqual(out(""));
    expect(h.run("state-get", "--strict", "empty")).toEqual(fail(1, '"empty" not found'));
    expect(h.run("state-set", "one=1", "one=2")).toEqual(fail(2, 'key "one" specified more than once'));
    expect(h.run("state-set", "oops")).toEqual(fail(2, 'expected "key=value", got "oops"'));
  });

  it("answers network-get for known bindings only", async () => {
    const model = world();
    const addr = model.state.units["app/0"]!.address;
    const cidr = `${addr.split(".").slice(0, 3).join(".")}.0/24`;
    const h = await hook(model, "app/0");
    expect(h.run("network-get", "foo")).toEqual(fail(1, 'no network config found for binding "foo"'));
    expect(h.run("network-get")).toEqual(fail(2, "no arguments specified"));
    expect(h.run("network-get", "db", "--ingress-address")).toEqual(out(`${addr}\n`));
    expect(h.run("network-get", "juju-info", "--egress-subnets", "--format=json")).toEqual(
      out(`["${addr}/32"]\n`),
    );
    // The full answer is a Go struct: json keeps its field order.
    expect(h.run("network-get", "cluster", "--format=json")).toEqual(
      out(
        `{"bind-addresses":[{"mac-address":"","interface-name":"eth0","addresses":[{"hostname":"","value":"${addr}","cidr":"${cidr}"}]}],` +
          `"egress-subnets":["${addr}/32"],"ingress-addresses":["${addr}"]}\n`,
      ),
    );
    expect(h.run("network-get", "db", "-r", "9")).toEqual(
      fail(2, 'invalid value "9" for option -r: relation not found'),
    );
  });

  it("answers config-get with typed values and null for unknown keys", async () => {
    const model = world();
    const h = await hook(model, "app/0");
    expect(h.run("config-get", "port")).toEqual(out("5432\n"));
    expect(h.run("config-get", "debug")).toEqual(out("False\n"));
    expect(h.run("config-get", "name", "--format=json")).toEqual(out('"app"\n'));
    expect(h.run("config-get", "nope", "--format=json")).toEqual(out("null\n"));
    expect(h.run("config-get", "--format=json")).toEqual(out('{"debug":false,"name":"app","port":5432}\n'));
    expect(h.run("config-get", "-a", "--format=json")).toEqual(
      out('{"debug":false,"extra":null,"name":"app","port":5432}\n'),
    );
    expect(h.run("config-get", "--all", "name")).toEqual(
      fail(2, 'cannot use argument --all together with key "name"'),
    );
    expect(h.run("config-get", "name", "port")).toEqual(fail(2, 'unrecognized args: ["port"]'));
  });
});

describe("Scenario consistency", () => {
  const problem = (...lines: string[]) => `inconsistent scenario:\n- ${lines.join("\n- ")}`;

  it("rejects impossible States with a message saying what is wrong", () => {
    const cases: [Parameters<typeof checkConsistency>[1], KitEvent, string][] = [
      [
        { config: { nope: 1 } },
        on.install(),
        problem(`config option "nope" is not declared in the charm's config options`),
      ],
      [
        { config: { port: "5432", debug: "yes" } },
        on.configChanged(),
        problem(
          'config option "port" is declared "int" but the State gives "5432"',
          'config option "debug" is declared "boolean" but the State gives "yes"',
        ),
      ],
      [
        { relations: [{ id: 1, endpoint: "nope" }] },
        on.install(),
        problem('relation 1: endpoint "nope" is not declared in requires, provides or peers'),
      ],
      [
        {
          relations: [
            { id: 1, endpoint: "db" },
            { id: 1, endpoint: "website" },
          ],
        },
        on.install(),
        problem("relation id 1 is used by two relations"),
      ],
      [
        { relations: [{ id: 1, endpoint: "db" }] },
        on.relationChanged(4),
        problem("the event is for relation 4, which is not in the State"),
      ],
      [{}, on.action("nope"), problem('the event runs action "nope", which the charm does not declare')],
    ];
    for (const [state, event, message] of cases) {
      expect(() => checkConsistency(APP, state, event)).toThrow(new InconsistentScenarioError(message));
    }
  });

  it("rejects secrets with invalid ids or a missing source relation", () => {
    const good = secretId();
    const bad = "abcdefghijklmnopqrst"; // [0-9a-v] but the last char of an xid is 0 or g
    expect(() =>
      checkConsistency(
        APP,
        {
          relations: [{ id: 1, endpoint: "db", remoteApp: "pg" }],
          secrets: [
            { id: good, from: { app: "pg", relationId: 9 }, revisions: { 1: { a: "b" } } },
            { id: good, from: { app: "other", relationId: 1 }, revisions: { 1: { a: "b" } } },
            { id: bad, owner: "application", revisions: { 1: { a: "b" } } },
          ],
        },
        on.install(),
      ),
    ).toThrow(
      new InconsistentScenarioError(
        problem(
          `secret ${good}: it comes from "pg" over relation 9, but the State has no such relation`,
          `secret ${good}: it comes from "other" over relation 1, but the State has no such relation`,
          `secret id "${bad}" is not a valid xid (20 chars of [0-9a-v], ending in 0 or g); use secretId()`,
        ),
      ),
    );
    expect(() =>
      checkConsistency(
        APP,
        {
          relations: [{ id: 1, endpoint: "db", remoteApp: "pg" }],
          secrets: [{ id: good, from: { app: "pg", relationId: 1 }, revisions: { 1: { a: "b" } } }],
        },
        on.secretChanged(`secret:${good}`),
      ),
    ).not.toThrow();
  });

  it("makes Context.run refuse before the charm runs", async () => {
    let ran = false;
    const ctx = new Context(() => {
      ran = true;
    }, APP);
    await expect(ctx.run(on.install(), { config: { port: "x" } })).rejects.toThrow(
      new InconsistentScenarioError(
        problem('config option "port" is declared "int" but the State gives "x"'),
      ),
    );
    await expect(ctx.run(on.relationJoined(2, "remote/0"), {})).rejects.toThrow(
      new InconsistentScenarioError(problem("the event is for relation 2, which is not in the State")),
    );
    expect(ran).toBe(false);
    await expect(ctx.run(on.install(), { config: { port: 1 } })).resolves.toMatchObject({ leader: false });
    expect(ran).toBe(true);
  });
});
