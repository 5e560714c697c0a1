import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HookToolError,
  NotFoundError,
  NotLeaderError,
  PermissionDeniedError,
  RelationNotFoundError,
  ToolUsageError,
} from "../../lib/juju/errors.js";
import { newXid } from "../../lib/juju/secret-uri.js";
import * as T from "../../lib/juju/tools/index.js";
import { defaultUnitBag, type JujuEmulator } from "../../lib/testing/juju/emulator.js";
import { on } from "../../lib/testing/juju/events.js";
import {
  BLOB_PATH,
  CLUSTER,
  DB,
  expectNotInArgv,
  expectToolError,
  type Hook,
  newModel,
  type RecordedRun,
  ToolBed,
} from "./support.js";

// Every wrapper runs as real processes: the fake `jujuc` tools on PATH talk to the Juju emulator over a unix
// socket, exactly as a charm's hook tools talk to the unit agent.

let bed: ToolBed;
beforeAll(async () => {
  bed = await ToolBed.start();
});
afterAll(async () => {
  await bed?.close();
});

const WRAPPERS = [
  "relationIds",
  "relationList",
  "relationRemoteApp",
  "relationGet",
  "relationSet",
  "isLeader",
  "configGet",
  "statusSet",
  "statusGet",
  "applicationStatusGet",
  "applicationVersionSet",
  "jujuLog",
  "actionGet",
  "actionSet",
  "actionFail",
  "actionLog",
  "openPort",
  "closePort",
  "openedPorts",
  "networkGet",
  "resourceGet",
  "secretAdd",
  "secretGet",
  "secretSet",
  "secretGrant",
  "secretRevoke",
  "secretRemove",
  "secretIds",
  "secretInfoGet",
  "stateGetAll",
  "stateSet",
  "stateDelete",
];

const unitBag = (model: JujuEmulator, unit: string) => defaultUnitBag(model.state.units[unit]!.address);
const idOf = (uri: string) => uri.slice("secret:".length);
const SECRET_URI = /^secret:[0-9a-v]{19}[0g]$/;

/** Value files of every run: they existed (0600 in a 0700 folder) while the tool ran and are gone now. */
function expectValueFilesGone(runs: readonly RecordedRun[]) {
  const files = runs.flatMap((r) => r.files);
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    expect(f.path.startsWith(`${tmpdir()}/juju-secret-`)).toBe(true);
    expect({ mode: f.mode, dirMode: f.dirMode }).toEqual({ mode: 0o600, dirMode: 0o700 });
    expect(existsSync(f.path)).toBe(false);
    expect(existsSync(dirname(f.path))).toBe(false);
  }
}

/** Runs one hook of `unit`, commits it, and returns what `body` returned. */
async function inHook<R>(
  model: JujuEmulator,
  unit: string,
  body: (h: Hook) => Promise<R>,
  event = on.updateStatus(),
): Promise<R> {
  const h = await bed.hook(model, unit, event);
  const out = await body(h);
  const done = h.finish();
  expect(done).toMatchObject({ committed: true });
  return out;
}

describe("bindTools", () => {
  it("binds exactly the wrappers tested in this file, each to the given runner", async () => {
    const h = await bed.hook(newModel(), "app/1");
    const tools = T.bindTools(h.runner);
    expect(Object.keys(tools).sort()).toEqual([...WRAPPERS].sort());
    expect(await tools.isLeader()).toBe(false);
    expect(await tools.relationIds("db")).toEqual([DB]);
    expect(h.calls()).toEqual([
      { tool: "is-leader", args: ["--format=json"] },
      { tool: "relation-ids", args: ["--format=json", "db"] },
    ]);
  });
});

describe("relations", () => {
  it("relationIds lists an endpoint's relations, and [] for an endpoint with none", async () => {
    const model = newModel();
    model.deploy("pg2", { name: "pg", provides: { db: { interface: "pg" } } });
    model.relate({ app: "app", endpoint: "db" }, { app: "pg2", endpoint: "db" }, 5);
    const h = await bed.hook(model, "app/0");
    expect(await T.relationIds(h.runner, "db")).toEqual([DB, "db:5"]);
    expect(await T.relationIds(h.runner, "cluster")).toEqual([CLUSTER]);
    expect(await T.relationIds(h.runner, "nope")).toEqual([]);
    expect(h.calls()).toEqual([
      { tool: "relation-ids", args: ["--format=json", "db"] },
      { tool: "relation-ids", args: ["--format=json", "cluster"] },
      { tool: "relation-ids", args: ["--format=json", "nope"] },
    ]);
  });

  it("relationList lists the remote units; relationRemoteApp names the remote application", async () => {
    const h = await bed.hook(newModel(), "app/0");
    expect(await T.relationList(h.runner, DB)).toEqual(["pg/0", "pg/1"]);
    expect(await T.relationList(h.runner, CLUSTER)).toEqual(["app/1"]);
    expect(await T.relationRemoteApp(h.runner, DB)).toBe("pg");
    expect(await T.relationRemoteApp(h.runner, CLUSTER)).toBe("app");
    expect(h.calls()).toEqual([
      { tool: "relation-list", args: ["--format=json", "-r", DB] },
      { tool: "relation-list", args: ["--format=json", "-r", CLUSTER] },
      { tool: "relation-list", args: ["--format=json", "-r", DB, "--app"] },
      { tool: "relation-list", args: ["--format=json", "-r", CLUSTER, "--app"] },
    ]);
  });

  it("relationGet reads a remote unit's bag, the remote app's bag and (as leader) its own app bag", async () => {
    const model = newModel();
    await inHook(model, "pg/0", (h) => T.relationSet(h.runner, DB, { endpoint: "pg:5432" }, { app: true }));
    const h = await bed.hook(model, "app/0", on.relationChanged(0, { remoteUnit: "pg/0" }));
    expect(await T.relationGet(h.runner, DB, "pg/0")).toEqual(unitBag(model, "pg/0"));
    expect(await T.relationGet(h.runner, DB, "pg", { app: true })).toEqual({ endpoint: "pg:5432" });
    expect(await T.relationGet(h.runner, DB, "app", { app: true })).toEqual({});
    expect(h.calls()).toEqual([
      { tool: "relation-get", args: ["--format=json", "-r", DB, "-", "pg/0"] },
      { tool: "relation-get", args: ["--format=json", "-r", DB, "--app", "-", "pg"] },
      { tool: "relation-get", args: ["--format=json", "-r", DB, "--app", "-", "app"] },
    ]);
  });

  it("an unknown relation id fails with Juju's -r text at exit 2, mapped to RelationNotFoundError", async () => {
    const h = await bed.hook(newModel(), "app/0");
    const message = 'invalid value "db:99" for option -r: relation not found';
    // Juju words it as a flag error (exit 2), but a relation gone between hooks is not a usage bug.
    await expectToolError(T.relationGet(h.runner, "db:99", "pg/0"), RelationNotFoundError, {
      tool: "relation-get",
      message,
      exitCode: 2,
    });
    await expectToolError(T.relationList(h.runner, "db:99"), RelationNotFoundError, {
      tool: "relation-list",
      message,
      exitCode: 2,
    });
    await expectToolError(T.relationSet(h.runner, "db:99", { a: "b" }), RelationNotFoundError, {
      tool: "relation-set",
      message,
      exitCode: 2,
    });
  });

  it("a non-leader may read its own app bag on a peer relation only", async () => {
    const model = newModel();
    await inHook(model, "app/0", async (h) => {
      await T.relationSet(h.runner, DB, { database: "orders" }, { app: true });
      await T.relationSet(h.runner, CLUSTER, { members: "2" }, { app: true });
    });
    const h = await bed.hook(model, "app/1");
    await expectToolError(T.relationGet(h.runner, DB, "app", { app: true }), PermissionDeniedError, {
      tool: "relation-get",
      message: "permission denied",
      exitCode: 1,
    });
    expect(await T.relationGet(h.runner, CLUSTER, "app", { app: true })).toEqual({ members: "2" });
    expect(await T.relationGet(h.runner, DB, "pg", { app: true })).toEqual({});
  });

  const AWKWARD = {
    multiline: "line one\nline two\n",
    quotes: `she said "hi", 'bye' and \\n is not a newline`,
    unicode: "ünïcødé ✓ 🚀 日本語",
    padded: "  leading and trailing  ",
    yamlish: "yes",
    numeric: "007",
    comment: "key: value # not a comment",
    json: '{"nested": [1, 2]}',
    dash: "- item",
    "dotted.key/with-chars": "ok",
    breaks: "nel\u0085ls\u2028ps\u2029c1\u0090end",
  };

  it("relationSet sends the map on stdin; awkward values round-trip to the other side", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    await T.relationSet(h.runner, DB, AWKWARD);
    expect(h.calls()).toEqual([{ tool: "relation-set", args: ["-r", DB, "--file", "-"] }]);
    expectNotInArgv(h.calls(), Object.values(AWKWARD));
    const stdin = h.runs[0]!.stdin!;
    expect(JSON.parse(stdin)).toEqual(AWKWARD);
    // yaml.v2 (what Juju reads the file with) refuses C1 controls and folds U+0085/2028/2029: sent escaped.
    expect(stdin).not.toMatch(/[\u0080-\u009f\u2028\u2029]/);
    expect(stdin).toContain("nel\\u0085ls\\u2028ps\\u2029c1\\u0090end");
    // Own writes are visible to own reads in the same hook.
    expect(await T.relationGet(h.runner, DB, "app/0")).toEqual({ ...unitBag(model, "app/0"), ...AWKWARD });

    const done = h.finish();
    expect(done).toEqual({
      committed: true,
      followUps: [
        { unit: "pg/0", kind: "relation-changed", relationId: 0, remoteUnit: "app/0" },
        { unit: "pg/1", kind: "relation-changed", relationId: 0, remoteUnit: "app/0" },
      ],
    });
    expect(model.state.relations["0"]!.unitData["app/0"]).toEqual({ ...unitBag(model, "app/0"), ...AWKWARD });
    const pg = await bed.hook(model, "pg/1", on.relationChanged(0, { remoteUnit: "app/0" }));
    expect(await T.relationGet(pg.runner, DB, "app/0")).toEqual({ ...unitBag(model, "app/0"), ...AWKWARD });
  });

  it("relationSet deletes keys given as empty or null and leaves the others alone", async () => {
    const model = newModel();
    await inHook(model, "app/0", (h) => T.relationSet(h.runner, DB, { a: "1", b: "2", c: "3" }));
    const h = await bed.hook(model, "app/0");
    await T.relationSet(h.runner, DB, { a: "", b: null, d: "4" });
    expect(JSON.parse(h.runs[0]!.stdin!)).toEqual({ a: "", b: "", d: "4" });
    expect(await T.relationGet(h.runner, DB, "app/0")).toEqual({
      ...unitBag(model, "app/0"),
      c: "3",
      d: "4",
    });
    expect(h.finish().committed).toBe(true);
    expect(model.state.relations["0"]!.unitData["app/0"]).toEqual({
      ...unitBag(model, "app/0"),
      c: "3",
      d: "4",
    });
  });

  it("relationSet --app: the leader writes the app bag, a non-leader gets NotLeaderError", async () => {
    const model = newModel();
    const leader = await bed.hook(model, "app/0");
    await T.relationSet(leader.runner, DB, { database: "orders" }, { app: true });
    expect(leader.calls()).toEqual([{ tool: "relation-set", args: ["-r", DB, "--app", "--file", "-"] }]);
    expect(leader.finish().followUps).toEqual([
      { unit: "pg/0", kind: "relation-changed", relationId: 0 },
      { unit: "pg/1", kind: "relation-changed", relationId: 0 },
    ]);
    expect(model.state.relations["0"]!.appData.app).toEqual({ database: "orders" });

    const h = await bed.hook(model, "app/1");
    await expectToolError(T.relationSet(h.runner, DB, { database: "other" }, { app: true }), NotLeaderError, {
      tool: "relation-set",
      message: "cannot write relation settings",
      exitCode: 1,
    });
    expect(h.finish().committed).toBe(true);
    expect(model.state.relations["0"]!.appData.app).toEqual({ database: "orders" });
  });
});

describe("leadership and config", () => {
  it("isLeader answers for the unit running the hook", async () => {
    const model = newModel();
    const leader = await bed.hook(model, "app/0");
    const other = await bed.hook(model, "app/1");
    expect(await T.isLeader(leader.runner)).toBe(true);
    expect(await T.isLeader(other.runner)).toBe(false);
    expect(leader.calls()).toEqual([{ tool: "is-leader", args: ["--format=json"] }]);
    expect(other.calls()).toEqual([{ tool: "is-leader", args: ["--format=json"] }]);
  });

  it("configGet returns typed values: set ones, defaults, and no key for options with neither", async () => {
    const model = newModel();
    model.state.apps.app!.config.port = 9000;
    const h = await bed.hook(model, "app/0", on.configChanged());
    const config = await T.configGet(h.runner);
    expect(config).toEqual({ "log-level": "info", port: 9000, debug: true });
    expect("ratio" in config).toBe(false);
    expect(h.calls()).toEqual([{ tool: "config-get", args: ["--format=json"] }]);
  });
});

describe("status, workload version and logs", () => {
  it("statusGet of a fresh unit is unknown with no message", async () => {
    const h = await bed.hook(newModel(), "app/0");
    expect(await T.statusGet(h.runner)).toEqual({ status: "unknown", message: "" });
    expect(h.calls()).toEqual([{ tool: "status-get", args: ["--format=json", "--include-data"] }]);
  });

  it("statusSet puts the message after --, and applies at once even when the hook then fails", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    await T.statusSet(h.runner, "maintenance", "");
    await T.statusSet(h.runner, "blocked", "-r is not a flag: add a db relation");
    expect(await T.statusGet(h.runner)).toEqual({
      status: "blocked",
      message: "-r is not a flag: add a db relation",
    });
    expect(h.calls()).toEqual([
      { tool: "status-set", args: ["maintenance", "--", ""] },
      { tool: "status-set", args: ["blocked", "--", "-r is not a flag: add a db relation"] },
      { tool: "status-get", args: ["--format=json", "--include-data"] },
    ]);
    expect(h.finish(1).committed).toBe(false);
    expect(model.state.units["app/0"]!.status).toEqual({
      status: "blocked",
      message: "-r is not a flag: add a db relation",
    });
    expect(h.session.effects.statusHistory).toEqual([
      { target: "unit", status: { status: "maintenance", message: "" } },
      { target: "unit", status: { status: "blocked", message: "-r is not a flag: add a db relation" } },
    ]);
  });

  it("statusSet --application by the leader; applicationStatusGet shows the app and every unit", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    await T.statusSet(h.runner, "waiting", "--waiting for pg", { application: true });
    await T.statusSet(h.runner, "active", "ready");
    expect(await T.applicationStatusGet(h.runner)).toEqual({
      status: "waiting",
      message: "--waiting for pg",
      units: {
        "app/0": { status: "active", message: "ready" },
        "app/1": { status: "unknown", message: "" },
      },
    });
    expect(h.calls()).toEqual([
      { tool: "status-set", args: ["--application", "waiting", "--", "--waiting for pg"] },
      { tool: "status-set", args: ["active", "--", "ready"] },
      { tool: "status-get", args: ["--format=json", "--application", "--include-data"] },
    ]);
    expect(model.state.apps.app!.status).toEqual({ status: "waiting", message: "--waiting for pg" });
  });

  it("statusSet --application and applicationStatusGet by a non-leader: NotLeaderError", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/1");
    await expectToolError(T.statusSet(h.runner, "active", "mine", { application: true }), NotLeaderError, {
      tool: "status-set",
      message: "this unit is not the leader",
      exitCode: 1,
    });
    await expectToolError(T.applicationStatusGet(h.runner), NotLeaderError, {
      tool: "status-get",
      message: "finding application status: this unit is not the leader",
      exitCode: 1,
    });
    expect(model.state.apps.app!.status).toEqual({ status: "unknown", message: "" });
  });

  it("applicationVersionSet puts the version after -- and applies at once", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    await T.applicationVersionSet(h.runner, "-rc.1 (build 7)");
    expect(h.calls()).toEqual([{ tool: "application-version-set", args: ["--", "-rc.1 (build 7)"] }]);
    h.finish(1);
    expect(model.state.units["app/0"]!.workloadVersion).toBe("-rc.1 (build 7)");
  });

  it("jujuLog passes the level and puts the message after --", async () => {
    const h = await bed.hook(newModel(), "app/0");
    await T.jujuLog(h.runner, "WARNING", "--force was given\nsecond line");
    await T.jujuLog(h.runner, "DEBUG", "-");
    expect(h.calls()).toEqual([
      { tool: "juju-log", args: ["--log-level", "WARNING", "--", "--force was given\nsecond line"] },
      { tool: "juju-log", args: ["--log-level", "DEBUG", "--", "-"] },
    ]);
    expect(h.session.effects.logs).toEqual([
      { level: "WARNING", message: "--force was given\nsecond line" },
      { level: "DEBUG", message: "-" },
    ]);
  });
});

describe("actions", () => {
  it("actionGet returns the params with the schema defaults Juju fills in", async () => {
    const h = await bed.hook(newModel(), "app/0", on.action("backup", { compress: true }));
    expect(await T.actionGet(h.runner)).toEqual({ target: "/backups", compress: true });
    expect(h.calls()).toEqual([{ tool: "action-get", args: ["--format=json"] }]);
  });

  it("action tools outside an action fail with a plain HookToolError: not running an action", async () => {
    const h = await bed.hook(newModel(), "app/0");
    const failure = (tool: string) => ({ tool, message: "not running an action", exitCode: 1 });
    await expectToolError(T.actionGet(h.runner), HookToolError, failure("action-get"));
    await expectToolError(T.actionSet(h.runner, { a: "b" }), HookToolError, failure("action-set"));
    await expectToolError(T.actionFail(h.runner, "nope"), HookToolError, failure("action-fail"));
    await expectToolError(T.actionLog(h.runner, "nope"), HookToolError, failure("action-log"));
  });

  it("actionSet flattens nested results to dotted key=value pairs", async () => {
    const h = await bed.hook(newModel(), "app/0", on.action("backup"));
    await T.actionSet(h.runner, {
      result: "ok",
      count: 3,
      done: false,
      items: [1, "a"],
      none: null,
      skipped: undefined,
      text: "a=b\nc",
      nested: { "sub-key": "v", deeper: { x: "1" } },
    });
    expect(h.calls()).toEqual([
      {
        tool: "action-set",
        args: [
          "result=ok",
          "count=3",
          "done=false",
          'items=[1,"a"]',
          "none=null",
          "text=a=b\nc",
          "nested.sub-key=v",
          "nested.deeper.x=1",
        ],
      },
    ]);
    expect(h.session.effects.actionResults).toEqual({
      result: "ok",
      count: "3",
      done: "false",
      items: '[1,"a"]',
      none: "null",
      text: "a=b\nc",
      nested: { "sub-key": "v", deeper: { x: "1" } },
    });
  });

  it("actionSet with no results runs no tool; a bad key is Juju's usage error", async () => {
    const h = await bed.hook(newModel(), "app/0", on.action("backup"));
    await T.actionSet(h.runner, {});
    await T.actionSet(h.runner, { empty: {} });
    expect(h.calls()).toEqual([]);
    await expectToolError(T.actionSet(h.runner, { Bad: "x" }), ToolUsageError, {
      tool: "action-set",
      message:
        'key "Bad" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods',
      exitCode: 2,
    });
  });

  it("actionFail and actionLog put the message after --", async () => {
    const h = await bed.hook(newModel(), "app/0", on.action("backup"));
    await T.actionLog(h.runner, "-- 50% done");
    await T.actionLog(h.runner, "-v");
    await T.actionFail(h.runner, "-1 disks left");
    expect(h.calls()).toEqual([
      { tool: "action-log", args: ["--", "-- 50% done"] },
      { tool: "action-log", args: ["--", "-v"] },
      { tool: "action-fail", args: ["--", "-1 disks left"] },
    ]);
    expect(h.session.effects.actionLogs).toEqual(["-- 50% done", "-v"]);
    expect(h.session.effects.actionFailure).toBe("-1 disks left");
  });

  it("flattenResults: nesting, prefixes, JSON for non-strings, undefined left out", () => {
    expect(T.flattenResults({})).toEqual([]);
    expect(T.flattenResults({ a: { b: { c: "d" } }, e: [{ f: 1 }], g: 1.5, h: true })).toEqual([
      "a.b.c=d",
      'e=[{"f":1}]',
      "g=1.5",
      "h=true",
    ]);
    expect(T.flattenResults({ x: "1", y: undefined }, "top")).toEqual(["top.x=1"]);
    expect(T.flattenResults({ s: "" })).toEqual(["s="]);
  });
});

describe("ports, network and resources", () => {
  const VALID_PORTS: [Parameters<typeof T.portSpec>, string][] = [
    [[8080], "8080/tcp"],
    [[53, "udp"], "53/udp"],
    [["443/tcp"], "443/tcp"],
    [["8000-8010/udp"], "8000-8010/udp"],
    [["1-65535/tcp"], "1-65535/tcp"],
    [["icmp"], "icmp"],
  ];
  it.each(VALID_PORTS)("portSpec(...%j) is %s", (args, spec) => {
    expect(T.portSpec(...args)).toBe(spec);
  });

  it.each([
    [0, "0/tcp"],
    [65536, "65536/tcp"],
    ["80", "80"],
    ["80/sctp", "80/sctp"],
    ["80/icmp", "80/icmp"],
    ["10-5/tcp", "10-5/tcp"],
    ["0-10/tcp", "0-10/tcp"],
    ["1-65536/udp", "1-65536/udp"],
    ["1-2-3/tcp", "1-2-3/tcp"],
    ["", ""],
    ["ICMP", "ICMP"],
  ] as const)("portSpec(%j) throws a RangeError", (port, shown) => {
    expect(() => T.portSpec(port)).toThrow(
      new RangeError(`"${shown}" is not a port like 8080/tcp, 8000-8010/udp or icmp`),
    );
  });

  it("openPort/closePort change the unit's ports at commit; openedPorts shows the pending set", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    await T.openPort(h.runner, "8080/tcp");
    await T.openPort(h.runner, "53/udp");
    await T.openPort(h.runner, "icmp");
    await T.openPort(h.runner, "9000-9010/tcp");
    await T.closePort(h.runner, "53/udp");
    expect(await T.openedPorts(h.runner)).toEqual(["icmp", "8080/tcp", "9000-9010/tcp"]);
    expect(h.calls()).toEqual([
      { tool: "open-port", args: ["8080/tcp"] },
      { tool: "open-port", args: ["53/udp"] },
      { tool: "open-port", args: ["icmp"] },
      { tool: "open-port", args: ["9000-9010/tcp"] },
      { tool: "close-port", args: ["53/udp"] },
      { tool: "opened-ports", args: ["--format=json"] },
    ]);
    expect(model.state.units["app/0"]!.openedPorts).toEqual([]);
    expect(h.finish().committed).toBe(true);
    expect(model.state.units["app/0"]!.openedPorts).toEqual(["icmp", "8080/tcp", "9000-9010/tcp"]);

    const next = await bed.hook(model, "app/0");
    expect(await T.openedPorts(next.runner)).toEqual(["icmp", "8080/tcp", "9000-9010/tcp"]);
    const fresh = await bed.hook(model, "app/1");
    expect(await T.openedPorts(fresh.runner)).toEqual([]);
  });

  it("openPort and closePort refuse a bad spec before any tool runs", async () => {
    const h = await bed.hook(newModel(), "app/0");
    await expect(T.openPort(h.runner, "80")).rejects.toBeInstanceOf(RangeError);
    await expect(T.closePort(h.runner, "70000/tcp")).rejects.toBeInstanceOf(RangeError);
    expect(h.calls()).toEqual([]);
  });

  it("networkGet returns the binding's addresses", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    const address = model.state.units["app/0"]!.address;
    const info: T.NetworkInfo = {
      "bind-addresses": [
        {
          "mac-address": "",
          "interface-name": "eth0",
          addresses: [{ hostname: "", value: address, cidr: `${address.replace(/\.\d+$/, "")}.0/24` }],
        },
      ],
      "egress-subnets": [`${address}/32`],
      "ingress-addresses": [address],
    };
    expect(await T.networkGet(h.runner, "db")).toEqual(info);
    expect(await T.networkGet(h.runner, "cluster")).toEqual(info);
    expect(await T.networkGet(h.runner, "juju-info")).toEqual(info);
    expect(h.calls()).toEqual([
      { tool: "network-get", args: ["--format=json", "db"] },
      { tool: "network-get", args: ["--format=json", "cluster"] },
      { tool: "network-get", args: ["--format=json", "juju-info"] },
    ]);
  });

  it("networkGet of an unknown binding is a NotFoundError", async () => {
    const h = await bed.hook(newModel(), "app/0");
    await expectToolError(T.networkGet(h.runner, "nope"), NotFoundError, {
      tool: "network-get",
      message: 'no network config found for binding "nope"',
      exitCode: 1,
    });
  });

  it("resourceGet returns the resource's path; a missing resource is a NotFoundError", async () => {
    const h = await bed.hook(newModel(), "app/0");
    expect(await T.resourceGet(h.runner, "blob")).toBe(BLOB_PATH);
    await expectToolError(T.resourceGet(h.runner, "missing"), NotFoundError, {
      tool: "resource-get",
      message: "could not download resource: HTTP request failed: resource#app/missing not found",
      exitCode: 1,
    });
    expect(h.calls()).toEqual([
      { tool: "resource-get", args: ["blob"] },
      { tool: "resource-get", args: ["missing"] },
    ]);
  });
});

describe("secrets", () => {
  const CONTENT = {
    password: `hunter2 "quoted" 'single'\nsecond line ✓`,
    "api-key": "-starts-with-a-dash=and=equals",
  };

  it("secretAdd passes values as key#file= paths (never argv) and removes the files afterwards", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    const uri = await T.secretAdd(h.runner, CONTENT);
    expect(uri).toMatch(SECRET_URI);
    expect(h.calls()).toEqual([
      {
        tool: "secret-add",
        args: [expect.stringMatching(/^password#file=\/\S+$/), expect.stringMatching(/^api-key#file=\/\S+$/)],
      },
    ]);
    expectNotInArgv(h.calls(), Object.values(CONTENT));
    expect(h.runs[0]!.stdin).toBeUndefined();
    expect(h.runs[0]!.files.map((f) => f.content)).toEqual([CONTENT.password, CONTENT["api-key"]]);
    expectValueFilesGone(h.runs);
    expect(await T.secretGet(h.runner, { uri })).toEqual(CONTENT);
    expectNotInArgv(h.calls(), Object.values(CONTENT));

    expect(h.finish().committed).toBe(true);
    expect(model.state.secrets[idOf(uri)]).toMatchObject({
      owner: { kind: "application", app: "app" },
      latest: 1,
      revisions: { "1": CONTENT },
      grants: [],
    });
  });

  it("secretAdd options go before the values; a unit-owned secret needs no leadership", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/1");
    const uri = await T.secretAdd(
      h.runner,
      { token: "t0k3n-value" },
      {
        owner: "unit",
        label: "my-token",
        description: "-a token",
        expire: "2030-01-01T00:00:00Z",
        rotate: "monthly",
      },
    );
    expect(uri).toMatch(SECRET_URI);
    expect(h.calls()[0]!.args).toEqual([
      "--owner",
      "unit",
      "--label",
      "my-token",
      "--description",
      "-a token",
      "--expire",
      "2030-01-01T00:00:00Z",
      "--rotate",
      "monthly",
      expect.stringMatching(/^token#file=\/\S+$/),
    ]);
    expectValueFilesGone(h.runs);
    expect(h.finish().committed).toBe(true);
    expect(model.state.secrets[idOf(uri)]).toMatchObject({
      owner: { kind: "unit", unit: "app/1" },
      label: "my-token",
      description: "-a token",
      expire: "2030-01-01T00:00:00Z",
      rotate: "monthly",
      revisions: { "1": { token: "t0k3n-value" } },
    });
  });

  it("secretAdd of an app-owned secret by a non-leader: NotLeaderError, value files still removed", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/1");
    await expectToolError(T.secretAdd(h.runner, { password: "not-for-you" }), NotLeaderError, {
      tool: "secret-add",
      message: "this unit is not the leader",
      exitCode: 1,
    });
    expectNotInArgv(h.calls(), ["not-for-you"]);
    expectValueFilesGone(h.runs);
    h.finish();
    expect(model.state.secrets).toEqual({});
  });

  it("secretAdd: a bad key is a usage error, an empty value a run-time error", async () => {
    const h = await bed.hook(newModel(), "app/0");
    await expectToolError(T.secretAdd(h.runner, { Bad: "value-x" }), ToolUsageError, {
      tool: "secret-add",
      message: 'key "Bad" not valid',
      exitCode: 2,
    });
    await expectToolError(T.secretAdd(h.runner, { empty: "" }), HookToolError, {
      tool: "secret-add",
      message: "empty secret value not valid",
      exitCode: 1,
    });
    expectValueFilesGone(h.runs);
  });

  it("secretGet as the owner: by URI, by label, relabelling; the argv of each form", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) =>
      T.secretAdd(h.runner, { token: "one-1" }, { label: "tok" }),
    );
    await inHook(model, "app/0", (h) => T.secretSet(h.runner, uri, { token: "two-2" }));
    const h = await bed.hook(model, "app/0");
    expect(await T.secretGet(h.runner, { uri })).toEqual({ token: "two-2" });
    expect(await T.secretGet(h.runner, { label: "tok" })).toEqual({ token: "two-2" });
    expect(await T.secretGet(h.runner, { uri, label: "renamed" })).toEqual({ token: "two-2" });
    expect(await T.secretGet(h.runner, { uri }, { refresh: true })).toEqual({ token: "two-2" });
    expect(await T.secretGet(h.runner, { label: "renamed" }, { peek: true })).toEqual({ token: "two-2" });
    expect(h.calls()).toEqual([
      { tool: "secret-get", args: ["--format=json", uri] },
      { tool: "secret-get", args: ["--format=json", "--label", "tok"] },
      { tool: "secret-get", args: ["--format=json", uri, "--label", "renamed"] },
      { tool: "secret-get", args: ["--format=json", uri, "--refresh"] },
      { tool: "secret-get", args: ["--format=json", "--label", "renamed", "--peek"] },
    ]);
    expect(h.finish().committed).toBe(true);
    expect(model.state.secrets[idOf(uri)]!.label).toBe("renamed");
  });

  it("secretGet as a consumer: tracked revision by default, --peek reads latest, --refresh moves", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", async (h) => {
      const u = await T.secretAdd(h.runner, { token: "rev-one" });
      await T.secretGrant(h.runner, u, DB);
      return u;
    });
    // First read pins pg/0 to revision 1.
    await inHook(model, "pg/0", async (h) => {
      expect(await T.secretGet(h.runner, { uri })).toEqual({ token: "rev-one" });
    });
    // The owner publishes revision 2; pg/0 tracks an older one, so Juju queues secret-changed for it.
    const owner = await bed.hook(model, "app/0");
    await T.secretSet(owner.runner, uri, { token: "rev-two" });
    expect(owner.finish()).toEqual({
      committed: true,
      followUps: [{ unit: "pg/0", kind: "secret-changed", secretId: uri }],
    });

    const h = await bed.hook(model, "pg/0", on.secretChanged(uri));
    expect(await T.secretGet(h.runner, { uri })).toEqual({ token: "rev-one" });
    expect(await T.secretGet(h.runner, { uri }, { peek: true })).toEqual({ token: "rev-two" });
    expect(await T.secretGet(h.runner, { uri })).toEqual({ token: "rev-one" });
    expect(await T.secretGet(h.runner, { uri }, { refresh: true })).toEqual({ token: "rev-two" });
    expect(await T.secretGet(h.runner, { uri })).toEqual({ token: "rev-two" });
    expect(h.calls().map((c) => c.args)).toEqual([
      ["--format=json", uri],
      ["--format=json", uri, "--peek"],
      ["--format=json", uri],
      ["--format=json", uri, "--refresh"],
      ["--format=json", uri],
    ]);
    expect(h.finish().committed).toBe(true);
    expect(model.state.secrets[idOf(uri)]!.consumers["pg/0"]).toEqual({ tracked: 2 });

    // A consumer that never read it gets the latest at once.
    await inHook(model, "pg/1", async (h1) => {
      expect(await T.secretGet(h1.runner, { uri })).toEqual({ token: "rev-two" });
    });
  });

  it("secretGet as a consumer with URI and label saves the label for later hooks", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", async (h) => {
      const u = await T.secretAdd(h.runner, { password: "pw-123" });
      await T.secretGrant(h.runner, u, DB);
      return u;
    });
    await inHook(model, "pg/0", (h) => T.secretGet(h.runner, { uri, label: "db-pass" }));
    const h = await bed.hook(model, "pg/0");
    expect(await T.secretGet(h.runner, { label: "db-pass" })).toEqual({ password: "pw-123" });
    await expectToolError(T.secretGet(h.runner, { label: "nope" }), NotFoundError, {
      tool: "secret-get",
      message: 'consumer label "nope" not found',
      exitCode: 1,
    });
  });

  it("secretGet of a secret not granted is PermissionDeniedError; of an unknown id NotFoundError", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) => T.secretAdd(h.runner, { password: "private-pw" }));
    const h = await bed.hook(model, "pg/0");
    await expectToolError(T.secretGet(h.runner, { uri }), PermissionDeniedError, {
      tool: "secret-get",
      message: "permission denied",
      exitCode: 1,
    });
    const unknown = `secret:${newXid()}`;
    await expectToolError(T.secretGet(h.runner, { uri: unknown }), NotFoundError, {
      tool: "secret-get",
      message: `secret "${unknown}" not found`,
      exitCode: 1,
    });
  });

  it("secretSet: a new revision from value files, none for identical content, metadata alone", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) => T.secretAdd(h.runner, { password: "first-pass" }));
    const id = idOf(uri);
    const next = { password: "second-pass ✓\n'x'", extra: "more-stuff" };

    const h = await bed.hook(model, "app/0");
    await T.secretSet(h.runner, uri, next);
    expect(h.calls()).toEqual([
      {
        tool: "secret-set",
        args: [
          uri,
          expect.stringMatching(/^password#file=\/\S+$/),
          expect.stringMatching(/^extra#file=\/\S+$/),
        ],
      },
    ]);
    expectNotInArgv(h.calls(), Object.values(next));
    expectValueFilesGone(h.runs);
    expect(h.finish().committed).toBe(true);
    expect(model.state.secrets[id]).toMatchObject({
      latest: 2,
      revisions: { "1": { password: "first-pass" }, "2": next },
    });

    await inHook(model, "app/0", (h2) => T.secretSet(h2.runner, uri, { ...next }));
    expect(model.state.secrets[id]!.latest).toBe(2);

    const meta = await bed.hook(model, "app/0");
    await T.secretSet(meta.runner, uri, undefined, { label: "renamed", description: "d", rotate: "daily" });
    expect(meta.calls()).toEqual([
      { tool: "secret-set", args: [uri, "--label", "renamed", "--description", "d", "--rotate", "daily"] },
    ]);
    expect(meta.runs[0]!.files).toEqual([]);
    expect(meta.finish().committed).toBe(true);
    expect(model.state.secrets[id]).toMatchObject({
      latest: 2,
      label: "renamed",
      description: "d",
      rotate: "daily",
    });
  });

  it("secretSet by a non-leader is NotLeaderError; an unknown secret fails only when the hook commits", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) => T.secretAdd(h.runner, { password: "first-pass" }));
    const other = await bed.hook(model, "app/1");
    await expectToolError(T.secretSet(other.runner, uri, { password: "from-app-1" }), NotLeaderError, {
      tool: "secret-set",
      message: "this unit is not the leader",
      exitCode: 1,
    });
    expectValueFilesGone(other.runs);

    const unknown = `secret:${newXid()}`;
    const h = await bed.hook(model, "app/0");
    await T.secretSet(h.runner, unknown, { password: "whatever-pw" });
    expect(h.finish()).toEqual({ committed: false, followUps: [], error: `secret "${unknown}" not found` });
  });

  it("secretGrant lets the remote app or one unit read; secretRevoke takes it back", async () => {
    const model = newModel();
    const readable = async (unit: string) => {
      const h = await bed.hook(model, unit);
      return T.secretGet(h.runner, { uri }).then(
        () => true,
        (err: unknown) => (err instanceof PermissionDeniedError ? false : Promise.reject(err)),
      );
    };
    const uri = await inHook(model, "app/0", async (h) => {
      const u = await T.secretAdd(h.runner, { password: "shared-pw" });
      await T.secretGrant(h.runner, u, DB, { unit: "pg/1" });
      expect(h.calls()[1]).toEqual({ tool: "secret-grant", args: [u, "-r", DB, "--unit", "pg/1"] });
      return u;
    });
    const id = idOf(uri);
    expect(model.state.secrets[id]!.grants).toEqual([{ relationId: 0, to: "pg/1" }]);
    expect([await readable("pg/0"), await readable("pg/1")]).toEqual([false, true]);

    await inHook(model, "app/0", async (h) => {
      await T.secretRevoke(h.runner, uri, DB, { unit: "pg/1" });
      await T.secretGrant(h.runner, uri, DB);
      expect(h.calls()).toEqual([
        { tool: "secret-revoke", args: [uri, "-r", DB, "--unit", "pg/1"] },
        { tool: "secret-grant", args: [uri, "-r", DB] },
      ]);
    });
    expect(model.state.secrets[id]!.grants).toEqual([{ relationId: 0, to: "pg" }]);
    expect([await readable("pg/0"), await readable("pg/1")]).toEqual([true, true]);

    await inHook(model, "app/0", async (h) => {
      await T.secretRevoke(h.runner, uri, DB);
      expect(h.calls()).toEqual([{ tool: "secret-revoke", args: [uri, "-r", DB] }]);
    });
    expect(model.state.secrets[id]!.grants).toEqual([]);
    expect([await readable("pg/0"), await readable("pg/1")]).toEqual([false, false]);
  });

  it("secretGrant: unknown secret NotFoundError, foreign unit ToolUsageError, unknown relation RelationNotFoundError, non-leader NotLeaderError", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) => T.secretAdd(h.runner, { password: "grant-me" }));
    const h = await bed.hook(model, "app/0");
    const unknown = newXid();
    await expectToolError(T.secretGrant(h.runner, `secret:${unknown}`, DB), NotFoundError, {
      tool: "secret-grant",
      message: `secret "${unknown}" not found`,
      exitCode: 1,
    });
    await expectToolError(T.secretGrant(h.runner, uri, DB, { unit: "app/1" }), ToolUsageError, {
      tool: "secret-grant",
      message: 'cannot specify unit "app/1" in relation to application "pg"',
      exitCode: 2,
    });
    await expectToolError(T.secretGrant(h.runner, uri, "db:42"), RelationNotFoundError, {
      tool: "secret-grant",
      message: 'invalid value "db:42" for option -r: relation not found',
      exitCode: 2,
    });
    const other = await bed.hook(model, "app/1");
    await expectToolError(T.secretGrant(other.runner, uri, DB), NotLeaderError, {
      tool: "secret-grant",
      message: "this unit is not the leader",
      exitCode: 1,
    });
    await expectToolError(T.secretRevoke(other.runner, uri, DB), NotLeaderError, {
      tool: "secret-revoke",
      message: "this unit is not the leader",
      exitCode: 1,
    });
  });

  it("secretRemove removes one revision or the whole secret", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", (h) => T.secretAdd(h.runner, { password: "rev-1-pw" }));
    await inHook(model, "app/0", (h) => T.secretSet(h.runner, uri, { password: "rev-2-pw" }));
    await inHook(model, "app/0", async (h) => {
      await T.secretRemove(h.runner, uri, { revision: 1 });
      expect(h.calls()).toEqual([{ tool: "secret-remove", args: [uri, "--revision", "1"] }]);
    });
    expect(model.state.secrets[idOf(uri)]!.revisions).toEqual({ "2": { password: "rev-2-pw" } });
    await inHook(model, "app/0", async (h) => {
      await T.secretRemove(h.runner, uri);
      expect(await T.secretIds(h.runner)).toEqual([]);
      expect(h.calls()[0]).toEqual({ tool: "secret-remove", args: [uri] });
    });
    expect(model.state.secrets[idOf(uri)]).toBeUndefined();
  });

  it("secretIds lists owned secrets as secret:<id> (Juju prints bare ids), [] when there are none", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    expect(await T.secretIds(h.runner)).toEqual([]);
    const a = await T.secretAdd(h.runner, { password: "aaa-pw" });
    const b = await T.secretAdd(h.runner, { password: "bbb-pw" }, { owner: "unit" });
    expect((await T.secretIds(h.runner)).sort()).toEqual([a, b].sort());
    const idCalls = h.calls().filter((c) => c.tool === "secret-ids");
    expect(idCalls).toEqual([
      { tool: "secret-ids", args: ["--format=json"] },
      { tool: "secret-ids", args: ["--format=json"] },
    ]);
    expect(h.finish().committed).toBe(true);
    // Another unit of the app owns the app's secret, not app/0's unit secret.
    await inHook(model, "app/1", async (h1) => expect(await T.secretIds(h1.runner)).toEqual([a]));
    await inHook(model, "pg/0", async (h1) => expect(await T.secretIds(h1.runner)).toEqual([]));
  });

  it("secretInfoGet returns an owned secret's metadata by URI or label, with id as secret:<id>", async () => {
    const model = newModel();
    const h = await bed.hook(model, "app/0");
    const full = await T.secretAdd(
      h.runner,
      { password: "info-pw" },
      { label: "info", description: "about", expire: "2031-02-03T04:05:06Z", rotate: "weekly" },
    );
    const bare = await T.secretAdd(h.runner, { password: "bare-pw" });
    const info = {
      id: full,
      revision: 1,
      label: "info",
      owner: "application",
      description: "about",
      rotation: "weekly",
      expiry: "2031-02-03T04:05:06Z",
    };
    expect(await T.secretInfoGet(h.runner, { uri: full })).toEqual(info);
    expect(await T.secretInfoGet(h.runner, { label: "info" })).toEqual(info);
    expect(await T.secretInfoGet(h.runner, { uri: bare })).toEqual({
      id: bare,
      revision: 1,
      label: "",
      owner: "application",
    });
    expect(h.calls().filter((c) => c.tool === "secret-info-get")).toEqual([
      { tool: "secret-info-get", args: ["--format=json", full] },
      { tool: "secret-info-get", args: ["--format=json", "--label", "info"] },
      { tool: "secret-info-get", args: ["--format=json", bare] },
    ]);
    expect(h.finish().committed).toBe(true);
    // Every id form the wrappers return names the same secret.
    await inHook(model, "app/0", async (h1) => {
      const ids = await T.secretIds(h1.runner);
      const infos = await Promise.all(ids.map((uri) => T.secretInfoGet(h1.runner, { uri })));
      expect(infos.map((i) => i.id).sort()).toEqual([...ids].sort());
    });
  });

  it("secretInfoGet of a secret this unit does not own is a NotFoundError", async () => {
    const model = newModel();
    const uri = await inHook(model, "app/0", async (h) => {
      const u = await T.secretAdd(h.runner, { password: "info-pw" });
      await T.secretGrant(h.runner, u, DB);
      return u;
    });
    const h = await bed.hook(model, "pg/0");
    await expectToolError(T.secretInfoGet(h.runner, { uri }), NotFoundError, {
      tool: "secret-info-get",
      message: `secret "${idOf(uri)}" not found`,
      exitCode: 1,
    });
    await expectToolError(T.secretInfoGet(h.runner, { label: "nope" }), NotFoundError, {
      tool: "secret-info-get",
      message: 'secret "nope" not found',
      exitCode: 1,
    });
  });
});

describe("unit state", () => {
  it("stateSet sends values on stdin; stateGetAll sees them in the hook; they commit at the end", async () => {
    const model = newModel();
    const values = {
      "-dash": "x",
      multi: "a\nb",
      unicode: "ü ✓ 🚀 \u2028",
      empty: "",
      "key with space": "v",
    };
    const h = await bed.hook(model, "app/0");
    expect(await T.stateGetAll(h.runner)).toEqual({});
    await T.stateSet(h.runner, values);
    expect(await T.stateGetAll(h.runner)).toEqual(values);
    expect(h.calls()).toEqual([
      { tool: "state-get", args: ["--format=json"] },
      { tool: "state-set", args: ["--file", "-"] },
      { tool: "state-get", args: ["--format=json"] },
    ]);
    expectNotInArgv(h.calls(), ["a\nb", "ü ✓"]);
    expect(JSON.parse(h.runs[1]!.stdin!)).toEqual(values);
    expect(h.runs[1]!.stdin!).not.toContain("\u2028");
    expect(model.state.units["app/0"]!.stored).toEqual({});
    expect(h.finish().committed).toBe(true);
    expect(model.state.units["app/0"]!.stored).toEqual(values);
  });

  it("stateDelete removes a key, also one that starts with a dash", async () => {
    const model = newModel();
    await inHook(model, "app/0", (h) => T.stateSet(h.runner, { "-dash": "x", "--double": "y", keep: "z" }));
    const h = await bed.hook(model, "app/0");
    await T.stateDelete(h.runner, "-dash");
    await T.stateDelete(h.runner, "--double");
    await T.stateDelete(h.runner, "absent");
    expect(await T.stateGetAll(h.runner)).toEqual({ keep: "z" });
    expect(h.calls().slice(0, 3)).toEqual([
      { tool: "state-delete", args: ["--", "-dash"] },
      { tool: "state-delete", args: ["--", "--double"] },
      { tool: "state-delete", args: ["--", "absent"] },
    ]);
    expect(h.finish().committed).toBe(true);
    expect(model.state.units["app/0"]!.stored).toEqual({ keep: "z" });
  });

  it("stateSet over Juju's value quota fails with Juju's message", async () => {
    const h = await bed.hook(newModel(), "app/0");
    await expectToolError(T.stateSet(h.runner, { big: "x".repeat(65537) }), HookToolError, {
      tool: "state-set",
      message: "max allowed value length (65536) exceeded",
      exitCode: 1,
    });
  });
});

describe("hook transactions", () => {
  it("a failed hook commits nothing the tools buffered, but keeps status and workload version", async () => {
    const model = newModel();
    const before = structuredClone(model.state);
    const h = await bed.hook(model, "app/0");
    await T.relationSet(h.runner, DB, { a: "1" });
    await T.relationSet(h.runner, DB, { b: "2" }, { app: true });
    await T.stateSet(h.runner, { k: "v" });
    await T.openPort(h.runner, "8080/tcp");
    await T.secretAdd(h.runner, { password: "pending-pw" });
    await T.statusSet(h.runner, "active", "up");
    await T.applicationVersionSet(h.runner, "1.2.3");
    expect(h.finish(1)).toEqual({ committed: false, followUps: [] });
    expect(model.state.relations).toEqual(before.relations);
    expect(model.state.secrets).toEqual({});
    expect(model.state.units["app/0"]).toMatchObject({
      stored: {},
      openedPorts: [],
      status: { status: "active", message: "up" },
      workloadVersion: "1.2.3",
    });
  });
});

describe("the runner and exec", () => {
  it("a bogus flag exits 2 with Juju's usage text; exec maps it to ToolUsageError", async () => {
    const h = await bed.hook(newModel(), "app/0");
    expect(await h.runner.run("relation-ids", ["--bogus", "db"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "ERROR option provided but not defined: --bogus\n",
    });
    await expectToolError(T.exec(h.runner, "relation-ids", ["--bogus"]), ToolUsageError, {
      tool: "relation-ids",
      message: "option provided but not defined: --bogus",
      exitCode: 2,
    });
    await expectToolError(T.execJson(h.runner, "is-leader", ["-x"]), ToolUsageError, {
      tool: "is-leader",
      message: "option provided but not defined: -x",
      exitCode: 2,
    });
  });

  it("exec returns stdout verbatim; execJson parses it (Juju's json null is null)", async () => {
    const h = await bed.hook(newModel(), "app/0");
    expect(await T.exec(h.runner, "config-get", ["port"])).toBe("8080\n");
    expect(await T.execJson(h.runner, "config-get", ["port"])).toBe(8080);
    expect(await T.execJson(h.runner, "config-get", ["missing"])).toBeNull();
    expect(await T.exec(h.runner, "relation-ids", ["nope"])).toBe("");
  });

  it("stdin that a tool never reads does not crash the runner (no unhandled EPIPE)", async () => {
    const h = await bed.hook(newModel(), "app/0");
    const result = await h.runner.run("is-leader", ["--format=json"], "x".repeat(4 << 20));
    expect(result).toEqual({ code: 0, stdout: "true\n", stderr: "" });
  });
});
