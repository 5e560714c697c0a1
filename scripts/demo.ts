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

// The model's workloads are detached processes, and the emulated workers live in this one: whatever ends the
// run early (Ctrl-C, a reader that closed our stdout, as `npm start | head` does) must stop them first.
let cleanup: (() => Promise<void>) | undefined;
let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(code));
};
process.on("SIGINT", () => stop(keep ? 0 : 130));
process.on("SIGTERM", () => stop(keep ? 0 : 143));
process.stdout.on("error", (e: NodeJS.ErrnoException) => stop(e.code === "EPIPE" ? 141 : 1));

const print = (line: string) => {
  if (!stopping) console.log(line);
};
const result = await runDemo({
  keep,
  out: print,
  onCleanup: (close) => {
    cleanup = close;
  },
});
const charmHooks = result.hooks.filter((h) => h.unit.startsWith("kafka-connect-integrator/"));
const failed = result.hooks.filter((h) => !h.ok);
print(
  `\n${result.hooks.length} hooks (${charmHooks.length} on the integrator, ${result.hooks.filter((h) => h.via === "juju-exec").length} through juju-exec, ${failed.length} failed); ` +
    `${result.restRequests} REST requests; integrate → all RUNNING ${(result.integrateToRunningMs / 1000).toFixed(1)} s; ` +
    `total ${(result.totalMs / 1000).toFixed(1)} s`,
);
if (failed.length) process.exitCode = 1;

if (result.running) {
  const r = result.running;
  const tls = r.caFile ? `--cacert ${r.caFile} ` : "";
  print(`
Left running (Ctrl-C stops it all):
  plugin:        curl -sI ${r.pluginUrl}
  metrics:       ${r.metricsUrls.map((u) => `curl -s ${u}`).join("\n                 ")}
  Kafka Connect: ${r.endpoints.join(", ")}
                 curl -s ${tls}--netrc-file ${r.netrcFile} '${r.endpoints[0]}/connectors?expand=status'
  kcctl:         kcctl config set-context demo --cluster ${r.endpoints[0]} --username admin   (its password: ${r.adminPasswordFile})`);
  // Ctrl-C (the handlers above) closes everything and exits.
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}
