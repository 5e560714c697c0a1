import { describe, expect, it } from "vitest";
import {
  ActionParamsError,
  type CharmMeta,
  ConfigError,
  dispatch,
  Hook,
  JujuError,
  NotLeaderError,
  PermissionDeniedError,
  typedConfig,
  validateParams,
} from "../../lib/juju/index.js";
import { JujuEmulator, type KitEvent, on, SessionToolRunner } from "../../lib/testing/index.js";

const META = {
  name: "app",
  requires: { db: { interface: "demo-db" } },
  peers: { cluster: { interface: "app-cluster" } },
  config: {
    options: {
      name: { type: "string", default: "x" },
      replicas: { type: "int", default: 1 },
      ratio: { type: "float" },
      debug: { type: "boolean", default: false },
      creds: { type: "secret" },
    },
  },
  actions: {
    pause: {
      params: { connector: { type: "string", minLength: 1 }, force: { type: "boolean", default: false } },
      required: ["connector"],
      additionalProperties: false,
    },
  },
} as const satisfies CharmMeta;

const PG = { name: "pg", provides: { db: { interface: "demo-db" } } } satisfies CharmMeta;

async function setup(
  event: (ids: { db: number; peer: number }) => KitEvent,
  opts: { leader?: boolean } = {},
) {
  const model = new JujuEmulator();
  model.deploy("app", META, { units: 2, leader: opts.leader === false ? 1 : 0 });
  model.deploy("pg", PG);
  const db = model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" });
  const peer = model.relate({ app: "app", endpoint: "cluster" });
  model.state.relations[String(db)]!.appData.pg = { endpoint: "pg:5432" };
  const ev = event({ db, peer });
  const began = await model.begin("app/0", ev);
  const hook = new Hook({ meta: META, env: began.env, runner: new SessionToolRunner(began.session) });
  const calls = () => began.session.effects.toolCalls;
  const tools = () => calls().map((c) => c.tool);
  return { model, began, hook, calls, tools, ev, db, peer };
}

describe("databag rules are enforced before Juju would", () => {
  it("a non-leader cannot write its app bag, and no tool is called", async () => {
    const { hook, tools, db } = await setup(({ db }) => on.relationChanged(db), { leader: false });
    const relation = hook.relation(`db:${db}`);
    await expect(relation.localApp.set({ a: "1" })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(relation.localApp.set({ a: "1" })).rejects.toThrow(
      "cannot write relation settings: only the leader may write the application databag of relation db:0",
    );
    expect(tools()).toEqual(["is-leader"]);
  });

  it("a non-leader cannot read its own app bag on a non-peer relation, but may on a peer relation", async () => {
    const { hook, tools, db, peer } = await setup(({ db }) => on.relationChanged(db), { leader: false });
    await expect(hook.relation(`db:${db}`).localApp.read()).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(tools()).toEqual(["is-leader"]);
    await expect(hook.relation(`cluster:${peer}`).localApp.read()).resolves.toEqual({});
  });

  it("the leader writes and reads its app bag; own writes are visible without another read", async () => {
    const { hook, tools, db, model, began, ev } = await setup(({ db }) => on.relationChanged(db));
    const relation = hook.relation(`db:${db}`);
    await relation.localApp.set({ a: "1", b: "2" });
    expect(await relation.localApp.read()).toEqual({ a: "1", b: "2" });
    await relation.localApp.delete("a");
    expect(await relation.localApp.get("a")).toBeUndefined();
    expect(tools().filter((t) => t === "relation-get")).toHaveLength(1);
    model.finish(began, ev, 0);
    expect(model.state.relations[String(db)]!.appData.app).toEqual({ b: "2" });
  });

  it("remote data is read once per hook", async () => {
    const { hook, tools, db } = await setup(({ db }) => on.relationChanged(db));
    const relation = hook.relation(`db:${db}`);
    expect(await relation.remoteAppData()).toEqual({ endpoint: "pg:5432" });
    expect(await relation.remoteAppData()).toEqual({ endpoint: "pg:5432" });
    expect(await relation.units()).toEqual(["pg/0"]);
    expect(await relation.units()).toEqual(["pg/0"]);
    // the event carried the remote app, so relation-list --app is never needed
    expect(tools()).toEqual(["relation-get", "relation-list"]);
  });
});

describe("answers Juju keeps stable within a hook are read once", () => {
  it("is-leader, config and relation ids", async () => {
    const { hook, tools } = await setup(() => on.updateStatus());
    for (let i = 0; i < 3; i++) {
      await hook.isLeader();
      await hook.config();
      await hook.relations("db");
    }
    expect(tools()).toEqual(["is-leader", "config-get", "relation-ids"]);
  });

  it("refuses an endpoint the charm does not declare", async () => {
    const { hook } = await setup(() => on.updateStatus());
    await expect(hook.relations("nope")).rejects.toThrow('the charm declares no endpoint "nope"');
  });
});

describe("typed config", () => {
  it("gives declared options with defaults, typed", async () => {
    const { hook } = await setup(() => on.configChanged());
    const config = await hook.config();
    expect(config).toEqual({ name: "x", replicas: 1, debug: false });
    // compile-time: config.replicas is a number, config.ratio may be undefined
    const r: number = config.replicas;
    const ratio: number | undefined = config.ratio;
    expect([r, ratio]).toEqual([1, undefined]);
  });

  it.each([
    [{ replicas: 1.5 }, 'config option "replicas" is 1.5, expected an integer'],
    [{ debug: "yes" }, 'config option "debug" is "yes", expected true or false'],
    [{ ratio: "0.5" }, 'config option "ratio" is "0.5", expected a number'],
    [
      { creds: "password" },
      'config option "creds" is "password", expected a secret URI like "secret:9m4e2mr0ui3e8a215n4g"',
    ],
    [{ name: 3 }, 'config option "name" is 3, expected a string'],
  ])("names the option and the fix for %j", (raw, message) => {
    expect(() => typedConfig(META, raw)).toThrow(ConfigError);
    expect(() => typedConfig(META, raw)).toThrow(message);
    expect(() => typedConfig(META, raw)).toThrow("fix it with `juju config <app>");
  });

  it("drops options the charm does not declare", () => {
    expect(typedConfig(META, { name: "n", surprise: "x" })).toEqual({ name: "n" });
  });
});

describe("secrets and redaction", () => {
  it("values read from a secret never reach juju-log or status; action results holding them are refused", async () => {
    const { hook, calls } = await setup(() => on.action("pause", { connector: "c" }));
    const uri = await hook.secrets.add({ password: "hunter22" }, { label: "admin" });
    expect(uri).toMatch(/^secret:[0-9a-v]{19}[0g]$/);
    expect(await hook.secrets.get({ uri })).toEqual({ password: "hunter22" });
    await hook.log.info("password is hunter22!");
    await hook.setUnitStatus("blocked", "bad password hunter22");
    await expect(hook.action!.set({ pw: "hunter22" })).rejects.toThrow("action-set refused");
    await hook.action!.fail("hunter22 rejected");
    const argv = JSON.stringify(calls());
    expect(argv).not.toContain("hunter22");
    expect(argv).toContain("password is ***!");
    expect(argv).toContain("bad password ***");
    expect(argv).toContain("*** rejected");
  });

  it("fields declared public (a CA chain, an enabled flag) are not redacted; the rest still are", async () => {
    const { hook, calls } = await setup(() => on.updateStatus());
    const content = { tls: "enabled", "tls-ca": "PEM-CHAIN", token: "t0ken-value" };
    const uri = await hook.secrets.add(content, { label: "tls", publicKeys: ["tls", "tls-ca"] });
    await hook.secrets.set(uri, { ...content, token: "t0ken-next" }, { publicKeys: ["tls", "tls-ca"] });
    await hook.log.info("tls enabled with PEM-CHAIN; token t0ken-value then t0ken-next");
    const argv = JSON.stringify(calls());
    expect(argv).toContain("tls enabled with PEM-CHAIN; token *** then ***");
    expect(argv).not.toContain("publicKeys");
  });

  it("invalid keys and empty content are refused with the rule", async () => {
    const { hook, tools } = await setup(() => on.updateStatus());
    await expect(hook.secrets.add({ Password: "x", ok: "y" })).rejects.toThrow(
      'invalid secret keys "Password", "ok": keys must match ^([a-z](?:-?[a-z0-9]){2,})$',
    );
    await expect(hook.secrets.add({})).rejects.toThrow("secret content is empty");
    expect(tools()).toEqual([]);
  });

  it("an app-owned secret needs leadership; a unit-owned one does not", async () => {
    const { hook, tools } = await setup(() => on.updateStatus(), { leader: false });
    await expect(hook.secrets.add({ token: "abc" })).rejects.toBeInstanceOf(NotLeaderError);
    expect(tools()).toEqual(["is-leader"]);
    await expect(hook.secrets.add({ token: "abc" }, { owner: "unit" })).resolves.toMatch(/^secret:/);
  });

  it("refresh and peek together are refused", async () => {
    const { hook } = await setup(() => on.updateStatus());
    await expect(hook.secrets.get({ label: "x" }, { refresh: true, peek: true })).rejects.toThrow(JujuError);
  });

  it("setting the app status needs leadership", async () => {
    const { hook, tools } = await setup(() => on.updateStatus(), { leader: false });
    await expect(hook.setAppStatus("active")).rejects.toBeInstanceOf(NotLeaderError);
    expect(tools()).toEqual(["is-leader"]);
  });
});

describe("action params", () => {
  it("are validated against the action schema, naming each field", async () => {
    const spec = META.actions.pause;
    expect(await validateParams("pause", spec, { connector: "c", force: true })).toEqual([]);
    expect(await validateParams("pause", spec, { force: "yes" })).toEqual([
      'missing required param "connector"',
      'param "force" must be boolean',
    ]);
    expect(await validateParams("pause", spec, { connector: "", extra: 1 })).toEqual([
      'unknown param "extra"',
      'param "connector" must NOT have fewer than 1 characters',
    ]);
    expect(await validateParams("nope", undefined, {})).toEqual(['the charm declares no action "nope"']);
  });

  it("params() returns what Juju passed, with defaults filled in", async () => {
    const { hook } = await setup(() => on.action("pause", { connector: "c" }));
    await expect(hook.action!.params()).resolves.toEqual({ connector: "c", force: false });
  });

  it("params() fails when Juju's params do not match the charm's schema", async () => {
    const { hook, began } = await setup(() => on.action("pause", { connector: "c" }));
    (began.session.action!.params as Record<string, unknown>).connector = 7;
    await expect(hook.action!.params()).rejects.toBeInstanceOf(ActionParamsError);
    await expect(hook.action!.params()).rejects.toThrow(
      'invalid params for action "pause": param "connector" must be string',
    );
  });

  it("result keys are checked before action-set", async () => {
    const { hook, tools } = await setup(() => on.action("pause", { connector: "c" }));
    await expect(hook.action!.set({ Bad: 1 })).rejects.toThrow('action result key "Bad" is invalid');
    await expect(hook.action!.set({ stdout: "x" })).rejects.toThrow(
      'action result key "stdout" is reserved by Juju',
    );
    await expect(hook.action!.set({ a: { "b-": 1 } })).rejects.toThrow('action result key "a.b-" is invalid');
    expect(tools()).toEqual([]);
  });
});

describe("dispatch", () => {
  async function route(
    event: (ids: { db: number; peer: number }) => KitEvent,
    opts: { leader?: boolean } = {},
  ) {
    const { hook, calls } = await setup(event, opts);
    const seen: string[] = [];
    await dispatch(hook, {
      install: () => void seen.push("install"),
      configChanged: () => void seen.push("config-changed"),
      updateStatus: () => void seen.push("update-status"),
      relations: {
        db: {
          created: (_h, r) => void seen.push(`db created ${r.id}`),
          changed: (_h, r, e) => void seen.push(`db changed ${r.id} ${e.remoteUnit ?? "app"}`),
          broken: (_h, r) => void seen.push(`db broken ${r.id}`),
        },
        cluster: { joined: (_h, _r, e) => void seen.push(`cluster joined ${e.remoteUnit}`) },
      },
      secretChanged: (_h, e) => void seen.push(`secret-changed ${e.secretId}`),
      actions: {
        pause: async (_h, a) =>
          void seen.push(`pause ${(await a.params<{ connector: string }>()).connector}`),
      },
      custom: { "workload-changed": (_h, e) => void seen.push(`custom ${e.hook}`) },
      reconcile: () => void seen.push("reconcile"),
    });
    return { seen, calls };
  }

  it.each([
    [() => on.install(), ["install", "reconcile"]],
    [() => on.configChanged(), ["config-changed", "reconcile"]],
    [() => on.start(), ["reconcile"]],
    [({ db }: { db: number }) => on.relationCreated(db), ["db created db:0", "reconcile"]],
    [({ db }: { db: number }) => on.relationChanged(db), ["db changed db:0 app", "reconcile"]],
    [
      ({ db }: { db: number }) => on.relationChanged(db, { remoteUnit: "pg/0" }),
      ["db changed db:0 pg/0", "reconcile"],
    ],
    [({ db }: { db: number }) => on.relationBroken(db), ["db broken db:0", "reconcile"]],
    [({ peer }: { peer: number }) => on.relationJoined(peer, "app/1"), ["cluster joined app/1", "reconcile"]],
    [() => on.action("pause", { connector: "c1" }), ["pause c1"]],
    [() => on.custom("workload-changed"), ["custom workload-changed", "reconcile"]],
    // A custom hook with no handler of its own still reconciles: "look again, something changed".
    [() => on.custom("something-else"), ["reconcile"]],
  ])("%#: routes to the handler, then reconcile (not for actions)", async (event, expected) => {
    const { seen } = await route(event as (ids: { db: number; peer: number }) => KitEvent);
    expect(seen).toEqual(expected);
  });

  it("a custom hook runs in a juju-exec context: its own context id, no JUJU_HOOK_NAME", async () => {
    const { hook } = await setup(() => on.custom("workload-changed"));
    expect(hook.event).toEqual({ kind: "custom", hook: "workload-changed" });
    expect(hook.context.dispatchPath).toBe("hooks/workload-changed");
    expect(hook.context.contextId).toBeTruthy();
  });

  it("the emulator refuses a custom hook named like a Juju hook or badly formed", () => {
    const juju = new JujuEmulator();
    juju.deploy("app", META, { units: 1 });
    expect(() => juju.hookEnv("app/0", on.custom("install"))).toThrow("is not a custom hook name");
    expect(() => juju.hookEnv("app/0", on.custom("Bad_Name"))).toThrow("is not a custom hook name");
  });

  it("an action without a handler fails the action rather than the hook", async () => {
    const { hook, calls } = await setup(() => on.action("pause", { connector: "c" }));
    await dispatch(hook, {});
    expect(calls()).toEqual([
      { tool: "action-fail", args: ["--", 'action "pause" is not implemented by this charm'] },
    ]);
  });
});
