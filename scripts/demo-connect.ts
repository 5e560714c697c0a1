/**
 * `npm start`, second part: connect_client end to end on the emulators. An integrator and a Kafka Connect charm
 * (the library's test charms, run in-process on the Juju emulator) relate; the provider downloads the
 * integrator's plugin (checksum in the URL fragment) into the workers' plugin path and publishes endpoints and
 * credentials in secrets granted to the integrator; the integrator then drives a 3-worker Kafka Connect emulator
 * over verified HTTPS with basic auth. The provider's workload (worker restarts after a plugin or credential
 * change) is played by this script, as Canonical's provider charm does it.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { restClientOptions } from "../lib/connect-client/index.js";
import { digestHeaders, withSha512Fragment } from "../lib/connect-client/plugins.js";
import { KafkaConnectClient } from "../lib/kafka-connect/index.js";
import { buildPluginTarball, startKafkaConnectCluster } from "../lib/testing/index.js";
import {
  integratorCharm,
  integratorMeta,
  kafkaConnectMeta,
  kafkaConnectWithPlugins,
  lastConnection,
} from "../tests/connect-client/support/charms.js";
import { TestModel } from "../tests/connect-client/support/model.js";

const CLASS = "com.example.demo.DemoSinkConnector";
const tarball = await buildPluginTarball({
  plugins: [{ class: CLASS, type: "sink", version: "1.0", maxTasks: 3 }],
});
const sha512 = (await import("node:crypto")).createHash("sha512").update(tarball).digest("hex");
const server = createServer((req, res) => {
  if (req.url !== "/api/v1/plugin") return void res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/x-tar", ...digestHeaders(sha512) }).end(tarball);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const pluginUrl = withSha512Fragment(
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/plugin`,
  sha512,
);

const cluster = await startKafkaConnectCluster({
  workers: 3,
  tls: true,
  auth: { users: { admin: randomBytes(12).toString("hex") } },
  timing: { assignMs: 20, startMs: 30, restartMs: 30, settleMs: 20, rebalanceMs: 60 },
});
const secrets = [randomBytes(12).toString("hex"), randomBytes(12).toString("hex")];
const m = new TestModel();
const clients: KafkaConnectClient[] = [];
const say = (line: string) => console.log(`  ${line}`);
const status = (unit: string) => {
  const s = m.juju.state.units[unit]!.status;
  return `${s.status}${s.message ? `: ${s.message}` : ""}`;
};

try {
  console.log(
    "\n== connect_client: juju deploy integrator, juju deploy kafka-connect -n 3 (Kafka Connect 3.9, TLS, basic auth)",
  );
  m.deploy("integrator", integratorCharm, integratorMeta, 1);
  m.deploy(
    "kafka-connect",
    kafkaConnectWithPlugins(cluster.pluginPath, { attempts: 3 }),
    kafkaConnectMeta,
    3,
  );
  m.setConfig("integrator", { "plugin-url": pluginUrl });
  m.setConfig("kafka-connect", {
    endpoints: cluster.endpoints.join(","),
    password: secrets[0]!,
    "tls-ca": cluster.caPem!,
  });
  say(`plugin served at ${pluginUrl.replace(/#sha512=.*/, "#sha512=…")}`);
  say(`workers: ${cluster.endpoints.join(", ")}`);

  console.log("\n== juju integrate integrator kafka-connect");
  const id = await m.integrate(
    { app: "integrator", endpoint: "connect-client" },
    { app: "kafka-connect", endpoint: "connect-client" },
  );
  const bags = m.juju.state.relations[String(id)]!.appData;
  say(`integrator → kafka-connect: ${JSON.stringify(bags.integrator)}`);
  say(`kafka-connect → integrator: ${JSON.stringify(Object.keys(bags["kafka-connect"]!))}`);
  for (const u of m.unitsOf("kafka-connect"))
    say(
      `${u}: ${status(u)}; ${m
        .logs(u)
        .filter((l) => l.startsWith("installed"))
        .join("")}`,
    );
  say(`integrator/0: ${status("integrator/0")}`);

  // The provider's workload: workers load the new plugin and the relation user at restart.
  const user = `relation-${id}`;
  await cluster.setCredentials({ [user]: secrets[0]! });
  await cluster.rollingRestart();
  await cluster.rebalanceSettled();

  console.log("\n== the integrator drives Kafka Connect with what the relation gave it");
  const conn = lastConnection.get("integrator/0")!;
  const client = new KafkaConnectClient(restClientOptions(conn));
  clients.push(client);
  say(`server: ${JSON.stringify(await client.serverInfo())}`);
  say(`plugins: ${(await client.plugins()).map((p) => p.class).join(", ")}`);
  const name = `demo_r${id}_${m.juju.state.uuid.replaceAll("-", "")}`;
  await client.createConnector(name, { "connector.class": CLASS, "tasks.max": "3", topics: "demo" });
  await cluster.idle();
  const st = await client.status(name);
  say(
    `${name}: ${st.connector.state}, tasks ${st.tasks.map((t) => `${t.id}:${t.state}@${t.worker_id}`).join(" ")}`,
  );

  console.log("\n== kafka-connect rotates the relation password (a new secret revision)");
  m.setConfig("kafka-connect", { password: secrets[1]! });
  const from = m.records.length;
  await m.runAll("kafka-connect", { kind: "config-changed" });
  await m.settle();
  say(`integrator/0 saw: ${m.logs("integrator/0", from).join("; ")}`);
  await cluster.setCredentials({ [user]: secrets[1]! });
  await cluster.rollingRestart();
  await cluster.rebalanceSettled();
  const old = await client.serverInfo().then(
    () => "still accepted",
    (e: Error & { kind?: string }) => e.kind,
  );
  const fresh = lastConnection.get("integrator/0")!;
  const rotated = new KafkaConnectClient(restClientOptions(fresh));
  clients.push(rotated);
  say(`old password: ${old}; new password: ${(await rotated.status(name)).connector.state}`);

  console.log("\n== juju remove-relation integrator kafka-connect");
  await rotated.deleteConnector(name);
  await m.removeRelation(id, "integrator", "kafka-connect");
  say(
    `kafka-connect/0: ${m
      .logs("kafka-connect/0", from)
      .filter((l) => l.startsWith("removed"))
      .join("; ")}`,
  );
  say(`integrator/0: ${status("integrator/0")}`);

  const said = JSON.stringify(
    m.records.map((r) => [r.record.logs, r.record.toolCalls, r.record.statusHistory]),
  );
  const leaked = secrets.filter((s) => said.includes(s));
  const requests = cluster.requests.length;
  console.log(
    `\n${m.records.length} hooks, ${requests} REST requests; secret values in argv, logs or status: ${leaked.length ? "LEAKED" : "none"}`,
  );
  if (leaked.length || old !== "unauthorized") process.exitCode = 1;
} finally {
  for (const c of clients) await c.close();
  await cluster.close();
  await new Promise((r) => server.close(r));
}
