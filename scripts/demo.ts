/**
 * `npm start`: the example charm's life in an emulated Juju model, every hook run as Juju runs it (the bundled
 * dispatch as a process, hook tools on PATH). A second application, "pg", is played by this script: it writes
 * its databag and rotates its secret the way a database charm would, and Juju's follow-up events reach the
 * example charm's units.
 */
import { newXid } from "../lib/juju/index.js";
import {
  BlackBoxContext,
  followUpEvent,
  JujuEmulator,
  type KitEvent,
  type RunRecord,
} from "../lib/testing/index.js";
import { buildExample, exampleMeta } from "../tests/support/example.js";

const model = new JujuEmulator();
const built = await buildExample();
const juju = new BlackBoxContext(built.dispatch, exampleMeta);
const queue: [string, KitEvent][] = [];
const records: RunRecord[] = [];

function describe(unit: string, event: KitEvent, r: RunRecord): string {
  const name =
    "relationId" in event
      ? `${event.kind} (relation ${event.relationId})`
      : event.kind === "action"
        ? `action ${event.action}`
        : event.kind;
  const status = model.state.units[unit]!.status;
  const outcome = r.committed ? "ok " : "ERR";
  return `  ${unit.padEnd(17)} ${name.padEnd(30)} ${outcome} ${r.hookMs.toFixed(0).padStart(4)} ms ${String(r.toolCalls.length).padStart(3)} tools  ${status.status}: ${status.message}`;
}

async function hook(unit: string, event: KitEvent): Promise<RunRecord> {
  const r = await juju.runOn(model, unit, event);
  records.push(r);
  console.log(describe(unit, event, r));
  for (const f of r.followUps) {
    if (!model.state.units[f.unit] || !f.unit.startsWith("example-charm/")) continue;
    queue.push([f.unit, followUpEvent(f)]);
  }
  return r;
}

async function drain() {
  while (queue.length) {
    const [unit, event] = queue.shift()!;
    await hook(unit, event);
  }
}

const units = ["example-charm/0", "example-charm/1"];
try {
  console.log("== juju deploy example-charm -n 2 (the bundled charm runs as a process for every hook)");
  model.deploy("example-charm", exampleMeta, { units: 2 });
  model.deploy("pg", { name: "pg", provides: { db: { interface: "demo-db" } } });
  const peer = model.relate({ app: "example-charm", endpoint: "cluster" });
  for (const u of units) {
    await hook(u, { kind: "install" });
    await hook(u, { kind: "relation-created", relationId: peer });
  }
  await hook(units[0]!, { kind: "leader-elected" });
  for (const u of units) {
    await hook(u, { kind: "config-changed" });
    await hook(u, { kind: "start" });
  }
  await hook(units[0]!, { kind: "relation-joined", relationId: peer, remoteUnit: units[1]! });
  await hook(units[1]!, { kind: "relation-joined", relationId: peer, remoteUnit: units[0]! });
  await drain();

  console.log(
    "\n== juju integrate example-charm:db pg:db (pg publishes an endpoint and a secret granted to us)",
  );
  const db = model.relate({ app: "example-charm", endpoint: "db" }, { app: "pg", endpoint: "db" });
  const secret = newXid();
  model.state.secrets[secret] = {
    id: secret,
    owner: { kind: "application", app: "pg" },
    label: "db.user",
    revisions: { "1": { username: "example", password: "first-password" } },
    latest: 1,
    grants: [{ relationId: db, to: "example-charm" }],
    consumers: {},
  };
  model.state.relations[String(db)]!.appData.pg = {
    endpoint: "pg.internal:5432",
    "secret-user": `secret:${secret}`,
  };
  for (const u of units) {
    await hook(u, { kind: "relation-created", relationId: db });
    await hook(u, { kind: "relation-joined", relationId: db, remoteUnit: "pg/0" });
    await hook(u, { kind: "relation-changed", relationId: db, remoteUnit: "pg/0" });
  }
  await drain();
  console.log(
    `  databag example-charm → pg: ${JSON.stringify(model.state.relations[String(db)]!.appData["example-charm"])}`,
  );

  console.log("\n== pg rotates the password: a new secret revision; Juju tells the consumers, not the owner");
  const s = model.state.secrets[secret]!;
  s.latest = 2;
  s.revisions["2"] = { username: "example", password: "second-password" };
  for (const [unit, c] of Object.entries(s.consumers)) {
    if (c.tracked !== undefined && c.tracked < s.latest)
      queue.push([unit, { kind: "secret-changed", secretId: `secret:${secret}` }]);
  }
  await drain();

  console.log("\n== juju run example-charm/0 greet name=world shout=true");
  const greet = await hook(units[0]!, {
    kind: "action",
    action: "greet",
    params: { name: "world", shout: true },
  });
  console.log(`  results: ${JSON.stringify(greet.actionResults)}; log: ${JSON.stringify(greet.actionLogs)}`);

  console.log("\n== juju remove-relation example-charm:db pg:db");
  for (const u of units)
    await hook(u, { kind: "relation-departed", relationId: db, remoteUnit: "pg/0", departingUnit: "pg/0" });
  for (const u of units) await hook(u, { kind: "relation-broken", relationId: db });
  console.log(
    `  relation ${db} is ${model.state.relations[String(db)] ? "still there" : "gone"}; its grants went with it`,
  );

  const said = JSON.stringify(records.map((r) => [r.logs, r.toolCalls, r.statusHistory, r.actionResults]));
  const leaked = ["first-password", "second-password"].filter((p) => said.includes(p));
  const hooks = records.length;
  const ms = records.map((r) => r.hookMs).sort((a, b) => a - b);
  console.log(
    `\n${hooks} hooks, median ${ms[Math.floor(hooks / 2)]!.toFixed(0)} ms; secret values in argv, logs or status: ${leaked.length ? leaked.join(", ") : "none"}`,
  );
  if (leaked.length || records.some((r) => !r.committed)) process.exitCode = 1;
} finally {
  await juju.close();
  built.cleanup();
}
