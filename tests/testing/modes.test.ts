import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BlackBoxContext,
  Context,
  type KitEvent,
  on,
  type RunRecord,
  type ScenarioRunner,
  type State,
  secretId,
  UncaughtCharmError,
} from "../../lib/testing/index.js";
import { charm } from "../example-charm/src/charm.js";
import { buildExample, exampleMeta } from "../support/example.js";

/**
 * The example charm, run in both modes of the kit on the same scenarios. Each scenario asserts what the
 * charm must do, and that the in-process and black-box runs agree exactly (States and side effects).
 */

const DB_SECRET = secretId();
const PASSWORD = "pg-s3cr3t-password";

const dbRelation = {
  id: 1,
  endpoint: "db",
  remoteApp: "pg",
  remoteAppData: { endpoint: "pg.internal:5432", "secret-user": `secret:${DB_SECRET}` },
} as const;

const dbSecret = {
  id: DB_SECRET,
  from: { app: "pg", relationId: 1 },
  revisions: {
    1: { username: "relation-1", password: PASSWORD },
    2: { username: "relation-1", password: "rotated-pw" },
  },
  tracked: 1,
} as const;

const clientRelation = { id: 2, endpoint: "client", remoteApp: "web" } as const;

/** Secret ids and temp-file paths differ from run to run; everything else must match exactly. */
function normalize<T>(value: T): T {
  const ids = new Map<string, string>();
  if (value === undefined) return value;
  const text = JSON.stringify(value)
    .replace(/[0-9a-v]{19}[0g]/g, (id) => {
      if (id === DB_SECRET) return "<db-secret>";
      if (!ids.has(id)) ids.set(id, `<new-secret-${ids.size + 1}>`);
      return ids.get(id)!;
    })
    .replace(/#file=[^"]+/g, "#file=<tmp>");
  return JSON.parse(text) as T;
}

function effects(r: RunRecord | undefined) {
  if (!r) throw new Error("no run recorded");
  const { statusHistory, logs, actionResults, actionFailure, actionLogs, toolCalls, followUps, exitCode } = r;
  return normalize({
    statusHistory,
    logs,
    actionResults,
    actionFailure,
    actionLogs,
    toolCalls,
    followUps,
    exitCode,
  });
}

interface Outcome {
  state?: State;
  error?: UncaughtCharmError;
  record: RunRecord | undefined;
}

async function attempt(ctx: ScenarioRunner, event: KitEvent, state: State): Promise<Outcome> {
  try {
    return { state: await ctx.run(event, state), record: ctx.last };
  } catch (err) {
    if (err instanceof UncaughtCharmError) return { error: err, record: ctx.last };
    throw err;
  }
}

let blackBox: BlackBoxContext;
let cleanup: () => void;

beforeAll(async () => {
  const built = await buildExample();
  cleanup = built.cleanup;
  blackBox = new BlackBoxContext(built.dispatch, exampleMeta);
});

afterAll(async () => {
  await blackBox?.close();
  cleanup?.();
});

/** Runs the scenario both ways, asserts they agree, and returns the in-process outcome for specific checks. */
async function both(event: KitEvent, state: State): Promise<Outcome> {
  const inProcess = new Context(charm, exampleMeta);
  const a = await attempt(inProcess, event, state);
  const b = await attempt(blackBox, event, state);
  expect(normalize(b.state)).toEqual(normalize(a.state));
  expect(effects(b.record)).toEqual(effects(a.record));
  expect(Boolean(b.error)).toBe(Boolean(a.error));
  return a;
}

describe("example charm, in-process and black-box agree", () => {
  it("install: sets the workload version and reports what is missing", async () => {
    const { state, record } = await both(on.install(), { leader: true });
    expect(state?.workloadVersion).toBe("1.0.0");
    expect(record?.statusHistory.map((s) => s.status)).toEqual([
      { status: "maintenance", message: "installing" },
      { status: "blocked", message: "needs a db relation: juju integrate example-charm <db>" },
    ]);
    expect(state?.unitStatus).toEqual({
      status: "blocked",
      message: "needs a db relation: juju integrate example-charm <db>",
    });
  });

  it("start: opens the configured port (typed int config)", async () => {
    const { state } = await both(on.start(), { config: { port: 9090 } });
    expect(state?.openedPorts).toEqual(["9090/tcp"]);
  });

  it("db relation-changed as leader: reads a granted secret, writes both bags, redacts the password", async () => {
    const { state, record } = await both(on.relationChanged(1), {
      leader: true,
      relations: [dbRelation],
      secrets: [dbSecret],
    });
    const db = state?.relations?.find((r) => r.id === 1);
    expect(db?.localAppData).toEqual({ database: "demo" });
    expect(db?.localUnitData).toMatchObject({ ready: "true", "private-address": expect.any(String) });
    expect(state?.stored).toEqual({ "db-endpoint": "pg.internal:5432" });
    // refresh moved the consumer to the latest revision
    expect(state?.secrets?.find((s) => s.id === DB_SECRET)?.tracked).toBe(2);
    expect(state?.unitStatus).toEqual({
      status: "active",
      message: "serving 0 client(s) with pg.internal:5432",
    });
    expect(state?.appStatus).toEqual({ status: "active", message: "" });
    const logged = JSON.stringify(record?.logs);
    // every value of a secret's content is redacted, the username included
    expect(logged).toContain("db credentials for ***: ***");
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain("rotated-pw");
    expect(JSON.stringify(record?.toolCalls)).not.toContain("rotated-pw");
    expect(record?.followUps).toEqual([
      { unit: "pg/0", kind: "relation-changed", relationId: 1 },
      { unit: "pg/0", kind: "relation-changed", relationId: 1, remoteUnit: "example-charm/0" },
    ]);
  });

  it("db relation-changed as non-leader: writes only its unit bag", async () => {
    const { state } = await both(on.relationChanged(1), { relations: [dbRelation], secrets: [dbSecret] });
    const db = state?.relations?.find((r) => r.id === 1);
    expect(db?.localAppData).toEqual({});
    expect(db?.localUnitData?.ready).toBe("true");
    expect(state?.appStatus).toEqual({ status: "unknown", message: "" });
  });

  it("client relation-created as leader: adds an app secret, grants it, publishes its URI", async () => {
    const { state, record } = await both(on.relationCreated(2), {
      leader: true,
      relations: [clientRelation],
    });
    const secret = state?.secrets?.find((s) => s.owner === "application");
    expect(secret?.id).toMatch(/^[0-9a-v]{19}[0g]$/);
    expect(secret?.label).toBe("client.2.token");
    expect(secret?.grants).toEqual([{ relationId: 2, to: "web" }]);
    expect(Object.keys(secret?.revisions ?? {})).toEqual(["1"]);
    expect(state?.relations?.[0]?.localAppData).toEqual({ "secret-token": `secret:${secret?.id}` });
    const add = record?.toolCalls.find((c) => c.tool === "secret-add");
    expect(add?.args.some((a) => a.startsWith("token#file="))).toBe(true);
    expect(add?.args.join(" ")).not.toContain(secret?.revisions[1]?.token);
  });

  it("client relation-broken as leader: removes its secret and the relation is gone", async () => {
    const created = await new Context(charm, exampleMeta).run(on.relationCreated(2), {
      leader: true,
      relations: [clientRelation],
    });
    const { state } = await both(on.relationBroken(2), created);
    expect(state?.secrets).toEqual([]);
    expect(state?.relations).toEqual([]);
  });

  it("secret-changed as consumer: reads with refresh", async () => {
    const { state, record } = await both(on.secretChanged(`secret:${DB_SECRET}`), {
      relations: [dbRelation],
      secrets: [dbSecret],
    });
    expect(record?.logs).toContainEqual({ level: "INFO", message: "credentials rotated for ***" });
    expect(state?.secrets?.find((s) => s.id === DB_SECRET)?.tracked).toBe(2);
  });

  it("peer relation-joined: writes its unit bag on the peer relation", async () => {
    const { state } = await both(on.relationJoined(3, "example-charm/1"), {
      relations: [{ id: 3, endpoint: "cluster", remoteUnitsData: { 1: { member: "yes" } } }],
    });
    expect(state?.relations?.[0]?.localUnitData?.member).toBe("yes");
    expect(state?.relations?.[0]?.remoteUnitsData?.[1]?.member).toBe("yes");
  });

  it("action greet: params with schema defaults, nested results, progress log", async () => {
    const { record, state } = await both(on.action("greet", { name: "ann" }), { config: { greeting: "hi" } });
    expect(record?.actionResults).toEqual({ message: "hi, ann", meta: { length: "7" } });
    expect(record?.actionLogs).toEqual(["greeting ann"]);
    expect(record?.actionFailure).toBeUndefined();
    // actions do not run reconcile
    expect(state?.unitStatus).toEqual({ status: "unknown", message: "" });
  });

  it("action greet with shout=true", async () => {
    const { record } = await both(on.action("greet", { name: "bo", shout: true }), {});
    expect(record?.actionResults).toEqual({ message: "HELLO, BO", meta: { length: "9" } });
  });

  it("action greet that fails: action-fail is recorded, the hook still succeeds", async () => {
    const { record, error } = await both(on.action("greet", { name: "nobody" }), {});
    expect(error).toBeUndefined();
    expect(record?.actionFailure).toBe("there is nobody to greet");
  });

  it("an uncaught error: nothing is committed, the input State is untouched, the error is reported", async () => {
    const input: State = {
      leader: true,
      relations: [
        { ...dbRelation, remoteAppData: { endpoint: "pg:1", "secret-user": `secret:${secretId()}` } },
      ],
      secrets: [dbSecret],
    };
    const frozen = structuredClone(input);
    const { error, record } = await both(on.relationChanged(1), input);
    expect(error).toBeInstanceOf(UncaughtCharmError);
    expect(error?.message).toMatch(
      /relation-changed failed; the hook exited 1: ERROR NotFoundError: secret "secret:[0-9a-v]{20}" not found/,
    );
    expect(record?.exitCode).toBe(1);
    expect(record?.followUps).toEqual([]);
    expect(input).toEqual(frozen);
  });
});

describe("the kit refuses what Juju would refuse, in both modes", () => {
  it.each([
    ["in-process", () => new Context(charm, exampleMeta) as ScenarioRunner],
    ["black-box", () => blackBox as ScenarioRunner],
  ])("%s: action params that fail the schema never reach the charm", async (_mode, make) => {
    await expect(make().run(on.action("greet", { shout: true }), {})).rejects.toThrow(
      'juju would refuse to run action "greet": missing required param "name"',
    );
    await expect(make().run(on.action("greet", { name: "x", loud: 1 }), {})).rejects.toThrow(
      'unknown param "loud"',
    );
  });
});

describe("one black-box context serves concurrent runs", () => {
  it("keeps each run's tool calls in its own hook (context ids never collide)", async () => {
    const states: State[] = [0, 1, 2, 3].map((n) => ({ config: { port: 9000 + n } }));
    const outs = await Promise.all(states.map((s) => blackBox.run(on.start(), s)));
    expect(outs.map((o) => o.openedPorts)).toEqual([["9000/tcp"], ["9001/tcp"], ["9002/tcp"], ["9003/tcp"]]);
  });
});
