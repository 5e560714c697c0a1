import { benchConnectClientImport } from "./connect-client-import.js";
import { benchE2eDemo } from "./e2e-demo.js";
import { benchIntegratorHooks } from "./integrator-hooks.js";
import { benchIntegratorReconcile } from "./integrator-reconcile.js";
import { benchIntegratorWorkload } from "./integrator-workload.js";
import { benchJujuHooks, type Result } from "./juju-hooks.js";
import { benchKafkaConnect } from "./kafka-connect.js";

/**
 * `npm run bench`: speed targets live here, not in unit tests. Prints one line per measure and whether each
 * target holds; exits 1 when one does not.
 */
const suites: [string, () => Promise<Result[]>][] = [
  ["Juju runtime and test kit", benchJujuHooks],
  ["Kafka Connect client against the emulator", benchKafkaConnect],
  ["Integrator workload: plugin server and reconcile loop", benchIntegratorWorkload],
  ["connect_client in a hook: import cost, and validate on a large databag", benchConnectClientImport],
  ["Integrator reconciler against the emulator", benchIntegratorReconcile],
  ["Integrator hooks: the bundled charm as a process, steady state", benchIntegratorHooks],
  [
    "End to end: the demo scenario, packed charm in the model emulator with the reference provider",
    benchE2eDemo,
  ],
];

let failed = 0;
for (const [title, run] of suites) {
  console.log(`\n${title}`);
  for (const r of await run()) {
    const verdict = r.target ? `  [${r.ok ? "ok" : "MISSED"}: ${r.target}]` : "";
    if (r.target && !r.ok) failed++;
    console.log(`  ${r.name.padEnd(70)} ${r.value}${verdict}`);
  }
}
console.log(failed ? `\n${failed} target(s) missed` : "\nall targets met");
process.exitCode = failed ? 1 : 0;
