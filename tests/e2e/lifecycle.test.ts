import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../charm/common/snapshot.js";
import { PLUGIN_MANIFEST_FILE, parseJavaProperties } from "../../lib/testing/index.js";
import { eventually } from "../support/eventually.js";
import {
  connectorStates,
  credentialUsers,
  declare,
  hookLines,
  INTEGRATOR,
  ours,
  PLUGIN_ROOT,
  pluginDirs,
  SINK_CLASS,
  type StatusWatch,
  sink,
  startWorld,
  statusLines,
  unitStatus,
  unitsOf,
  type World,
  waitAllRunning,
  watchStatus,
} from "./support.js";

/**
 * The whole life of an integrator, as a user lives it, on ONE world (the steps are a story: each starts from
 * where the previous one left the model): the packed integrator with 2 units and a plugin resource, the
 * reference provider with 3 workers. Deploy → blocked until related → integrate: every worker installs the
 * plugin and loads the relation's user before the provider publishes → connectors RUNNING → a task fails:
 * restarted, and Juju status shows it through the workload's own hook → passwords rotated → one connector
 * changed → relation removed: our connectors deleted, the provider's files for that relation gone.
 */

const WORKERS = 3;
const DECLARED = { orders: sink("orders", { tasksMax: 2 }), audit: sink("audit") };
const TRACE = "java.lang.RuntimeException: disk full on /var/lib/orders";

let world: World;
let units: string[];
let relation: number;
let watch: StatusWatch | undefined;

const provider = () => world.kc.app;
const name = (declared: string) => ours(world, INTEGRATOR, relation, declared);
/** Generous: this 2-core machine runs other suites alongside, and every hook is a process. */
const BUDGET_MS = 90_000;
const names = () => [name("orders"), name("audit")];
const leaderOf = (app: string) => {
  const status = world.model.status();
  const leader = unitsOf(world.model, app, status).find((u) => status.applications[app]?.units?.[u]?.leader);
  if (!leader) throw new Error(`${app} has no leader`);
  return leader;
};
const relationUser = () => {
  // Each later step starts where integrate left the model: say so, not a TypeError, when it did not get there.
  if (relation === undefined) throw new Error("the integrate step did not complete");
  return `relation-${relation}`;
};

/** The relation user's password as worker `i` holds it in its credentials file. */
function passwordOn(i: number): string | undefined {
  const text = readFileSync(world.kc.cluster.workerFiles(i).credentialsFile, "latin1");
  return parseJavaProperties(text).get(relationUser());
}

/** A request straight to one worker with basic auth: the HTTP status, and the body when JSON. */
async function asUser(
  i: number,
  path: string,
  user: string,
  password: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${world.kc.cluster.endpoints[i]}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}

function leaderSnapshot(): StatusSnapshot | undefined {
  try {
    return JSON.parse(readFileSync(join(world.stateDir(leaderOf(INTEGRATOR)), "status.json"), "utf8"));
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  world = await startWorld({ providerUnits: WORKERS });
  units = await world.deployIntegrator(INTEGRATOR, { units: 2, connectors: declare(DECLARED) });
}, 120_000);

afterAll(async () => {
  watch?.stop();
  await world?.close();
}, 60_000);

describe("the packed integrator's whole lifecycle against the reference provider", () => {
  it("before the relation: every unit is blocked asking for it, serves the plugin, and the provider has installed nothing", async () => {
    expect(units).toEqual([`${INTEGRATOR}/0`, `${INTEGRATOR}/1`]);
    for (const u of units) {
      expect(unitStatus(world.model, u)).toEqual({
        current: "blocked",
        message: `no Kafka Connect relation: juju integrate ${INTEGRATOR} <kafka-connect app>`,
      });
    }
    // Each unit's workload serves the verified tarball on its own machine address (the port is the same).
    for (const u of units) {
      const url = `http://${world.model.unit(u).address}:8080/api/v1/plugin`;
      const body = await eventually(
        () =>
          fetch(url, { signal: AbortSignal.timeout(2000) })
            .then(async (r) => (r.ok ? Buffer.from(await r.arrayBuffer()) : undefined))
            .catch(() => undefined),
        (b) => b !== undefined,
        20_000,
        () => world.workloadLog(u, 1000),
      );
      expect(body!.equals(world.plugin.tarball)).toBe(true);
    }
    for (let i = 0; i < WORKERS; i++) {
      const root = world.kc.cluster.workerFiles(i).pluginPath;
      expect(existsSync(root) ? readdirSync(root).filter((d) => d.startsWith("relation-")) : []).toEqual([]);
      expect(credentialUsers(world, i).filter((u) => u.startsWith("relation-"))).toEqual([]);
    }
  });

  it(
    "integrate: the provider publishes only once every worker holds the plugin and the user; then all connectors RUNNING",
    async () => {
      // What the workers hold at the moment the provider's credentials first appear in its app databag.
      let atPublish:
        | Promise<{ dirs: string[][]; plugins: { status: number; classes: string[] }[] }>
        | undefined;
      const sampler = setInterval(() => {
        if (atPublish) return;
        const rel = Object.values(world.model.juju.state.relations).find(
          (r) => r.endpoints[provider()] === "connect-client" && r.appData[provider()]?.["secret-user"],
        );
        if (!rel) return;
        const id = rel.id;
        atPublish = (async () => {
          const dirs = Array.from({ length: WORKERS }, (_, i) =>
            pluginDirs(world, i, id).map((d) => join(world.kc.cluster.workerFiles(i).pluginPath, d)),
          );
          const plugins = await Promise.all(
            Array.from({ length: WORKERS }, async (_, i) => {
              const text = readFileSync(world.kc.cluster.workerFiles(i).credentialsFile, "latin1");
              const password = parseJavaProperties(text).get(`relation-${id}`) ?? "";
              const r = await asUser(i, "/connector-plugins", `relation-${id}`, password);
              const list = Array.isArray(r.body) ? (r.body as { class: string }[]) : [];
              return { status: r.status, classes: list.map((p) => p.class) };
            }),
          );
          return { dirs, plugins };
        })();
      }, 5);

      const started = Date.now();
      const hooksBefore = world.model.hooks.length;
      try {
        relation = await world.model.integrate(
          `${INTEGRATOR}:connect-client`,
          `${provider()}:connect-client`,
        );
        await eventually(
          async () => atPublish,
          (p) => p !== undefined,
          BUDGET_MS,
          () => hookLines(world.model, hooksBefore),
        );
      } finally {
        clearInterval(sampler);
      }
      const seen = await atPublish!;
      const dir = `relation-${relation}-${world.plugin.sha512.slice(0, 16)}`;
      for (let i = 0; i < WORKERS; i++) {
        // The plugin, verified against the published sha512, extracted on every worker's own plugin path...
        expect(seen.dirs[i]).toEqual([join(world.kc.cluster.workerFiles(i).pluginPath, dir)]);
        expect(readFileSync(join(seen.dirs[i]![0]!, PLUGIN_ROOT, PLUGIN_MANIFEST_FILE), "utf8")).toContain(
          SINK_CLASS,
        );
        // ...and loaded (the worker restarted): the relation's user is admitted and the class is listed.
        expect(seen.plugins[i]).toMatchObject({ status: 200 });
        expect(seen.plugins[i]!.classes).toContain(SINK_CLASS);
      }

      const settledMs = Date.now() - started;
      await waitAllRunning(world, INTEGRATOR, names(), BUDGET_MS);
      console.log(
        `integrate settled after ${settledMs} ms; 2 connectors RUNNING and both units active after ${Date.now() - started} ms; ${world.model.hooks.length - hooksBefore} hooks:\n${hookLines(world.model, hooksBefore)}`,
      );

      const leader = leaderOf(INTEGRATOR);
      for (const u of units) {
        expect(unitStatus(world.model, u)).toEqual({
          current: "active",
          message:
            u === leader
              ? "2/2 connectors running (3/3 tasks)"
              : "serving the plugin on :8080; the leader manages connectors",
        });
      }
      const data = world.model.juju.state.relations[String(relation)]!.appData;
      expect(data[provider()]!.endpoints!.split(",").sort()).toEqual([...world.kc.cluster.endpoints].sort());
      expect(data[INTEGRATOR]!["plugin-url"]).toBe(
        `http://${world.model.unit(leader).address}:8080/api/v1/plugin#sha512=${world.plugin.sha512}`,
      );
      expect(world.kc.cluster.connector(name("orders"))?.config["tasks.max"]).toBe("2");
      // Published only when loaded everywhere: the integrator was never refused.
      const refused = world.kc.cluster.requests.filter((r) => r.user === relationUser() && r.status === 401);
      expect(refused).toEqual([]);
    },
    2 * BUDGET_MS,
  );

  it(
    "a failed task is restarted, and Juju status shows the failure then the recovery through the workload's own hook",
    async () => {
      const leader = leaderOf(INTEGRATOR);
      const hooksBefore = world.model.hooks.length;
      const restartsBefore = world.kc.cluster.connector(name("orders"))!.taskRestarts[0] ?? 0;
      watch = watchStatus(world.model, INTEGRATOR);

      const failedAt = Date.now();
      world.kc.cluster.failTask(name("orders"), 0, TRACE);
      // The leader's next cycle (reconcile-interval 5s) sees it; recovery follows the restart's next observation.
      await world.model.waitFor(
        () =>
          watch!.changes.some((c) => c.unit === leader && c.message.includes("orders task 0 FAILED")) &&
          unitStatus(world.model, leader).message === "2/2 connectors running (3/3 tasks)",
        { timeoutMs: 30_000, what: "the failure, then the recovery, in the leader's status" },
      );
      watch.stop();
      const changes = watch.changes.filter((c) => c.unit === leader);
      const failure = changes.find((c) => c.message.includes("orders task 0 FAILED"))!;
      const recovery = changes.find((c) => c.at > failure.at && c.current === "active")!;
      console.log(
        `task failure in Juju status after ${failure.at - failedAt} ms, recovered after ${recovery.at - failedAt} ms`,
      );
      expect(failure).toMatchObject({ current: "maintenance" });
      expect(failure.message).toContain(TRACE);
      expect(recovery.message).toBe("2/2 connectors running (3/3 tasks)");
      expect(world.kc.cluster.connector(name("orders"))!.taskRestarts[0]).toBe(restartsBefore + 1);

      // Nobody ticked update-status: the leader ran only what its workload asked for through juju-exec (its
      // custom event; an is-leader question shows as "juju-exec"), the custom event for the failure and again
      // for the recovery. (The other unit may run cluster-relation-changed: the leader shares its restart
      // history over the peer relation.)
      await world.model.settle();
      const window = hookLines(world.model, hooksBefore);
      const hooks = world.model.hooks.slice(hooksBefore).filter((h) => h.unit.startsWith(`${INTEGRATOR}/`));
      expect(hooks.filter((h) => h.hook === "update-status").length, window).toBe(0);
      const onLeader = hooks.filter((h) => h.unit === leader);
      expect(onLeader.filter((h) => h.via !== "juju-exec").length, window).toBe(0);
      const custom = onLeader.filter((h) => h.hook === "workload-changed" && h.ok);
      expect(custom.length, window).toBeGreaterThanOrEqual(2);
    },
    BUDGET_MS,
  );

  it(
    "rotate-password: the workers take the new password, the old is refused, and the integrator keeps working",
    async () => {
      const old = passwordOn(0)!;
      expect(old).toBeTruthy();
      world.secrets(); // remember the old password for the leak check at the end
      const providerLeader = leaderOf(provider());
      const result = await world.model.runAction(providerLeader, "rotate-password", {
        "relation-id": relation,
      });
      expect(result.status, result.message).toBe("completed");
      const rotatedAt = Date.now();

      const fresh = passwordOn(0)!;
      expect(fresh).toBeTruthy();
      expect(fresh).not.toBe(old);
      for (let i = 0; i < WORKERS; i++) {
        expect(passwordOn(i)).toBe(fresh);
        // Workers read the file only at start: these answers prove each one was rolled.
        expect((await asUser(i, "/connectors", relationUser(), old)).status).toBe(401);
        expect((await asUser(i, "/connectors", relationUser(), fresh)).status).toBe(200);
      }
      // The integrator's next cycle is accepted with the password it got through secret-changed.
      await eventually(
        async () =>
          world.kc.cluster.requests.filter(
            (r) => r.user === relationUser() && r.time > rotatedAt && r.status === 200,
          ).length,
        (n) => n > 0,
        15_000,
        () => statusLines(world.model, INTEGRATOR),
      );
      await waitAllRunning(world, INTEGRATOR, names(), 30_000);
      expect(world.secrets().has(old)).toBe(true);
    },
    BUDGET_MS,
  );

  it(
    "changing one connector's declaration updates exactly that one on Kafka Connect",
    async () => {
      const before = {
        orders: world.kc.cluster.connector(name("orders"))!.configWrites,
        audit: world.kc.cluster.connector(name("audit"))!.configWrites,
      };
      const changedAt = Date.now();
      await world.model.config(INTEGRATOR, {
        connectors: declare({ ...DECLARED, audit: sink("audit-v2") }),
      });
      const audit = await eventually(
        async () => world.kc.cluster.connector(name("audit"))!,
        (c) => c.config.topics === "audit-v2",
        15_000,
        (c) => ({ config: c.config, log: world.workloadLog(leaderOf(INTEGRATOR), 1000) }),
      );
      const writes = world.kc.cluster.requests.filter(
        (r) =>
          r.user === relationUser() &&
          r.time >= changedAt &&
          r.method !== "GET" &&
          r.forwardedFrom === undefined,
      );
      const wroteAt = Math.max(...writes.map((r) => r.time));
      // A whole cycle started after the write and ended (its snapshot is written last): it wrote nothing more.
      await eventually(
        async () => leaderSnapshot()?.lastReconcile?.at,
        (at) => at !== undefined && Date.parse(at) > wroteAt,
        15_000,
      );
      expect(audit.configWrites).toBe(before.audit + 1);
      expect(world.kc.cluster.connector(name("audit"))!.configWrites).toBe(before.audit + 1);
      expect(world.kc.cluster.connector(name("orders"))!.configWrites).toBe(before.orders);
      const laterWrites = world.kc.cluster.requests.filter(
        (r) =>
          r.user === relationUser() &&
          r.time >= changedAt &&
          r.method !== "GET" &&
          r.forwardedFrom === undefined,
      );
      expect(laterWrites.map((r) => `${r.method} ${decodeURIComponent(r.path)}`)).toEqual([
        `PUT /connectors/${name("audit")}/config`,
      ]);
      await waitAllRunning(world, INTEGRATOR, names(), 30_000);
    },
    BUDGET_MS,
  );

  it(
    "remove-relation: our connectors are deleted, the units say why, the provider drops exactly that relation's user and plugin",
    async () => {
      const leader = leaderOf(INTEGRATOR);
      const before = Array.from({ length: WORKERS }, (_, i) => ({
        entries: readdirSync(world.kc.cluster.workerFiles(i).pluginPath).sort(),
        users: credentialUsers(world, i),
      }));
      world.secrets(); // the rotated password, before the provider forgets it
      watch = watchStatus(world.model, INTEGRATOR);
      await world.model.removeRelation(relation);
      watch.stop();

      expect(await connectorStates(world, names())).toEqual({
        [name("orders")]: "absent",
        [name("audit")]: "absent",
      });
      expect(names().map((n) => world.kc.cluster.connector(n))).toEqual([undefined, undefined]);
      const ask = `no Kafka Connect relation: juju integrate ${INTEGRATOR} <kafka-connect app>`;
      // The leader's relation-broken hook said what it did; whatever ran after, every unit now asks for a relation.
      expect(watch.changes.filter((c) => c.unit === leader).map((c) => c.message)).toContain(
        `${ask} (deleted 2 connectors)`,
      );
      for (const u of units) expect(unitStatus(world.model, u)).toMatchObject({ current: "blocked" });
      for (const u of units) expect(unitStatus(world.model, u).message.startsWith(ask)).toBe(true);

      for (let i = 0; i < WORKERS; i++) {
        const dir = `relation-${relation}-${world.plugin.sha512.slice(0, 16)}`;
        expect(before[i]!.entries).toContain(dir);
        expect(readdirSync(world.kc.cluster.workerFiles(i).pluginPath).sort()).toEqual(
          before[i]!.entries.filter((e) => e !== dir),
        );
        expect(before[i]!.users).toContain(relationUser());
        expect(credentialUsers(world, i)).toEqual(before[i]!.users.filter((u) => u !== relationUser()));
      }
    },
    BUDGET_MS,
  );

  it("no password the provider handed out appears in any hook's stderr, any status, or any workload log", () => {
    // Two relation passwords at least (before and after the rotation), and the admin's.
    expect(world.secrets().size).toBeGreaterThanOrEqual(3);
    expect(world.leaks()).toEqual([]);
  });
});
