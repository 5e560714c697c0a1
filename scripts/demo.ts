/**
 * `npm start`: the whole product on the emulators. Packs the integrator, deploys it next to the reference
 * Kafka Connect provider in an emulated Juju model, integrates them, and walks through a task failure, a
 * credential rotation, a connector change and the removal. `--keep` stops before the removal and leaves it
 * all running, printing the URLs to try with curl or kcctl, until Ctrl-C.
 */
import { parseArgs } from "node:util";
import { runDemo } from "./demo/scenario.js";

const USAGE = "usage: npm start [-- --keep]";

let keep = false;
try {
  keep = parseArgs({ options: { keep: { type: "boolean" } } }).values.keep ?? false;
} catch (e) {
  console.error(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}

const result = await runDemo({ keep, out: (line) => console.log(line) });
const charmHooks = result.hooks.filter((h) => h.unit.startsWith("kafka-connect-integrator/"));
const failed = result.hooks.filter((h) => !h.ok);
console.log(
  `\n${result.hooks.length} hooks (${charmHooks.length} on the integrator, ${result.hooks.filter((h) => h.via === "juju-exec").length} through juju-exec, ${failed.length} failed); ` +
    `${result.restRequests} REST requests; integrate → all RUNNING ${(result.integrateToRunningMs / 1000).toFixed(1)} s; ` +
    `total ${(result.totalMs / 1000).toFixed(1)} s`,
);
if (failed.length) process.exitCode = 1;

if (result.running) {
  const r = result.running;
  const tls = r.caFile ? `--cacert ${r.caFile} ` : "";
  console.log(`
Left running (Ctrl-C stops it all):
  plugin:        curl -sI ${r.pluginUrl}
  metrics:       ${r.metricsUrls.map((u) => `curl -s ${u}`).join("\n                 ")}
  Kafka Connect: ${r.endpoints.join(", ")}
                 curl -s ${tls}-u "admin:$(cat ${r.adminPasswordFile})" ${r.endpoints[0]}/connectors?expand=status
  kcctl:         kcctl config set-context demo --cluster ${r.endpoints[0]} --username admin --password "$(cat ${r.adminPasswordFile})"`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await r.close();
}
