import { describe, expect, it } from "vitest";
import { ContextError, dispatchPathOf, parseDispatchPath, readHookContext } from "../../lib/juju/index.js";

const BASE = {
  JUJU_UNIT_NAME: "kafka-connect-integrator/2",
  JUJU_MODEL_NAME: "m",
  JUJU_MODEL_UUID: "59060ecc-0495-4a80-8006-5f1fc13fd783",
  JUJU_VERSION: "3.6.4",
  JUJU_CHARM_DIR: "/var/lib/juju/charm",
};

describe("parseDispatchPath", () => {
  it.each([
    ["hooks/install", { kind: "install", hook: "install" }],
    ["hooks/config-changed", { kind: "config-changed", hook: "config-changed" }],
    [
      "hooks/connect-client-relation-changed",
      { kind: "relation-changed", hook: "connect-client-relation-changed", endpoint: "connect-client" },
    ],
    [
      "hooks/foo-storage-relation-broken",
      { kind: "relation-broken", hook: "foo-storage-relation-broken", endpoint: "foo-storage" },
    ],
    [
      "hooks/data-storage-attached",
      { kind: "storage-attached", hook: "data-storage-attached", storage: "data" },
    ],
    [
      "hooks/workload-pebble-ready",
      { kind: "pebble-ready", hook: "workload-pebble-ready", workload: "workload" },
    ],
    ["hooks/secret-changed", { kind: "secret-changed", hook: "secret-changed" }],
    ["actions/restart-connector", { kind: "action", hook: "restart-connector", action: "restart-connector" }],
    ["update-status", { kind: "update-status", hook: "update-status" }],
    // Not a Juju hook, but well-formed: the charm's workload dispatched it through juju-exec.
    ["hooks/workload-changed", { kind: "custom", hook: "workload-changed" }],
  ])("%s", (path, expected) => {
    const parsed = parseDispatchPath(path);
    expect(parsed).toEqual(expected);
    if (path.includes("/")) expect(dispatchPathOf(parsed!)).toBe(path);
  });

  it.each([
    "hooks/",
    "hooks/Frobnicate",
    "hooks/9-lives",
    "hooks/a--b",
    "actions/",
    "hooks/-relation-changed",
    "hooks/a/b",
  ])("%s is unknown", (p) => {
    expect(parseDispatchPath(p)).toBeUndefined();
  });
});

describe("readHookContext", () => {
  it("reads a relation hook", () => {
    const ctx = readHookContext({
      ...BASE,
      JUJU_DISPATCH_PATH: "hooks/connect-client-relation-changed",
      JUJU_RELATION: "connect-client",
      JUJU_RELATION_ID: "connect-client:7",
      JUJU_REMOTE_APP: "kafka-connect",
      JUJU_REMOTE_UNIT: "kafka-connect/0",
      JUJU_CONTEXT_ID: "ctx-1",
    });
    expect(ctx).toMatchObject({
      unitName: "kafka-connect-integrator/2",
      appName: "kafka-connect-integrator",
      unitNumber: 2,
      contextId: "ctx-1",
      event: {
        kind: "relation-changed",
        endpoint: "connect-client",
        relationId: "connect-client:7",
        remoteApp: "kafka-connect",
        remoteUnit: "kafka-connect/0",
      },
    });
  });

  it("treats an empty JUJU_REMOTE_UNIT as an app-level change", () => {
    const ctx = readHookContext({
      ...BASE,
      JUJU_DISPATCH_PATH: "hooks/db-relation-changed",
      JUJU_RELATION: "db",
      JUJU_RELATION_ID: "db:1",
      JUJU_REMOTE_APP: "pg",
      JUJU_REMOTE_UNIT: "",
    });
    expect(ctx.event).not.toHaveProperty("remoteUnit");
  });

  it("accepts CHARM_DIR when JUJU_CHARM_DIR is missing", () => {
    const { JUJU_CHARM_DIR: _, ...rest } = BASE;
    expect(readHookContext({ ...rest, CHARM_DIR: "/c", JUJU_DISPATCH_PATH: "hooks/start" }).charmDir).toBe(
      "/c",
    );
  });

  it("reads actions and secret hooks", () => {
    expect(
      readHookContext({
        ...BASE,
        JUJU_DISPATCH_PATH: "actions/pause",
        JUJU_ACTION_NAME: "pause",
        JUJU_ACTION_UUID: "7",
      }).event,
    ).toEqual({ kind: "action", hook: "pause", action: "pause", actionUuid: "7" });
    expect(
      readHookContext({
        ...BASE,
        JUJU_DISPATCH_PATH: "hooks/secret-remove",
        JUJU_SECRET_ID: "secret:9m4e2mr0ui3e8a215n4g",
        JUJU_SECRET_LABEL: "x",
        JUJU_SECRET_REVISION: "3",
      }).event,
    ).toEqual({
      kind: "secret-remove",
      hook: "secret-remove",
      secretId: "secret:9m4e2mr0ui3e8a215n4g",
      secretLabel: "x",
      secretRevision: 3,
    });
  });

  const rel = { JUJU_RELATION: "db", JUJU_RELATION_ID: "db:1", JUJU_REMOTE_APP: "pg" };
  it.each([
    [
      {},
      'every hook needs JUJU_DISPATCH_PATH (the hook or action being run, e.g. "hooks/install"), but it is not set',
    ],
    [{ JUJU_DISPATCH_PATH: "hooks/No_pe" }, 'JUJU_DISPATCH_PATH "hooks/No_pe" names no known hook or action'],
    [
      { JUJU_DISPATCH_PATH: "hooks/install", JUJU_UNIT_NAME: "" },
      'hook "install" needs JUJU_UNIT_NAME (this unit, e.g. "app/0"), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/install", JUJU_UNIT_NAME: "app" },
      'JUJU_UNIT_NAME "app" is not a unit name like "app/0"',
    ],
    [{ JUJU_DISPATCH_PATH: "hooks/install", JUJU_MODEL_UUID: "x" }, 'JUJU_MODEL_UUID "x" is not a uuid'],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-changed" },
      'hook "db-relation-changed" needs JUJU_RELATION (the relation endpoint), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-changed", JUJU_RELATION: "db" },
      'hook "db-relation-changed" needs JUJU_RELATION_ID (the relation id, e.g. "db:3"), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-changed", JUJU_RELATION: "web", JUJU_RELATION_ID: "web:1" },
      'JUJU_RELATION "web" does not match the hook "db-relation-changed" (expected "db")',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-changed", JUJU_RELATION: "db", JUJU_RELATION_ID: "1" },
      'JUJU_RELATION_ID "1" is not "db:<number>"',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-joined", ...rel },
      'hook "db-relation-joined" needs JUJU_REMOTE_UNIT (the remote unit, e.g. "db/0"), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-changed", ...rel, JUJU_REMOTE_UNIT: "pg" },
      'JUJU_REMOTE_UNIT "pg" is not a unit name like "app/0"',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/db-relation-departed", ...rel, JUJU_REMOTE_UNIT: "pg/1" },
      'hook "db-relation-departed" needs JUJU_DEPARTING_UNIT (the departing unit), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "actions/pause" },
      'action "pause" needs JUJU_ACTION_UUID (the action id), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "actions/pause", JUJU_ACTION_UUID: "1", JUJU_ACTION_NAME: "resume" },
      'JUJU_ACTION_NAME "resume" does not match JUJU_DISPATCH_PATH "actions/pause"',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/secret-changed" },
      'hook "secret-changed" needs JUJU_SECRET_ID (the secret URI), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/secret-expired", JUJU_SECRET_ID: "secret:x" },
      'hook "secret-expired" needs JUJU_SECRET_REVISION (the secret revision), but it is not set',
    ],
    [
      { JUJU_DISPATCH_PATH: "hooks/data-storage-attached" },
      'hook "data-storage-attached" needs JUJU_STORAGE_ID',
    ],
  ])("refuses %j", (vars, message) => {
    const env = { ...BASE, ...vars };
    expect(() => readHookContext(env)).toThrow(ContextError);
    expect(() => readHookContext(env)).toThrow(message);
  });
});
