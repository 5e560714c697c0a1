import type { DesiredConnector, DesiredState, RestartHistory } from "../charm/common/desired-state.js";
import { connectorName, type Owner } from "../charm/common/names.js";
import type { ReconcileResult } from "../charm/common/reconcile-api.js";
import { reconcile } from "../charm/workload/reconciler/index.js";
import { KafkaConnectClient } from "../lib/kafka-connect/index.js";
import { buildPluginTarball, startKafkaConnectCluster } from "../lib/testing/index.js";
import type { Result } from "./juju-hooks.js";
import { ms, summary } from "./stats.js";

const CONNECTORS = 500;
const CYCLES = 20;
const CLASS = "com.example.bench.BenchSourceConnector";
const OWNER: Owner = { app: "integrator", relation: 3, modelUuid: "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" };

function desired(endpoints: readonly string[]): DesiredState {
  const connectors: DesiredConnector[] = Array.from({ length: CONNECTORS }, (_, i) => {
    const name = connectorName(`bench-${i}`, OWNER);
    return {
      declared: `bench-${i}`,
      name,
      config: { "connector.class": CLASS, "tasks.max": "2", topic: `topic-${i}`, name },
      state: "running",
      declarationHash: `h${i}`,
      secretKeys: [],
    };
  });
  return {
    version: 1,
    generation: 1,
    writtenAt: new Date(0).toISOString(),
    unit: `${OWNER.app}/0`,
    app: OWNER.app,
    modelUuid: OWNER.modelUuid,
    charmDir: "/tmp/charm",
    port: 8080,
    plugin: { mode: "not-required" },
    leader: true,
    kafkaConnect: { relation: OWNER.relation, endpoints: [...endpoints], username: "admin", password: "" },
    connectors,
    holds: {},
    restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
    reconcileIntervalMs: 30_000,
    history: {},
  };
}

/**
 * The integrator's reconcile cycle against the emulator (3 workers) with 500 declared connectors already
 * converged: how many REST requests a steady-state cycle costs (target exactly 1: the expanded listing) and
 * its wall time, next to the bare listing with the same client in the same run (what the cycle cannot beat).
 */
export async function benchIntegratorReconcile(): Promise<Result[]> {
  const cluster = await startKafkaConnectCluster({
    workers: 3,
    timing: { assignMs: 1, startMs: 1, restartMs: 1, settleMs: 1, rebalanceMs: 20 },
  });
  const client = new KafkaConnectClient({ endpoints: cluster.endpoints });
  try {
    await cluster.installPlugin(
      await buildPluginTarball({ plugins: [{ class: CLASS, type: "source", version: "1.0", maxTasks: 2 }] }),
    );
    await cluster.rollingRestart();
    await cluster.rebalanceSettled();

    const state = desired(cluster.endpoints);
    let history: RestartHistory = {};
    const cycle = async (): Promise<ReconcileResult> => {
      const result = await reconcile({ desired: state, client, history, now: Date.now });
      history = result.history;
      return result;
    };

    const t0 = performance.now();
    const first = await cycle();
    const firstMs = performance.now() - t0;
    // Converge: until a cycle finds all 500 running and sends only its listing.
    let converged: ReconcileResult | undefined;
    for (let i = 0; i < 50 && !converged; i++) {
      await cluster.idle();
      const r = await cycle();
      if (r.requests === 1 && r.observations.every((o) => o.state === "RUNNING")) converged = r;
    }
    if (!converged) throw new Error("500 connectors did not converge in 50 cycles");

    const served: number[] = [];
    const counted: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const before = cluster.requests.length;
      const start = performance.now();
      const r = await cycle();
      times.push(performance.now() - start);
      served.push(cluster.requests.slice(before).filter((q) => q.forwardedFrom === undefined).length);
      counted.push(r.requests);
    }
    const listing: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const start = performance.now();
      await client.listConnectors({ expand: ["info", "status"] });
      listing.push(performance.now() - start);
    }

    const cycleStats = summary(times);
    const listingStats = summary(listing);
    const maxServed = Math.max(...served);
    return [
      {
        name: `first cycle, ${CONNECTORS} connectors to create (requests; wall)`,
        value: `${first.requests}; ${ms(firstMs)}`,
      },
      {
        name: `converged cycle, ${CONNECTORS} connectors: REST requests (served by the emulator, max of ${CYCLES})`,
        value: `${maxServed} (reconciler counted ${Math.max(...counted)})`,
        target: "exactly 1",
        ok: served.every((n) => n === 1) && counted.every((n) => n === 1),
      },
      {
        name: `converged cycle, ${CONNECTORS} connectors: wall (median / p95 of ${cycleStats.n})`,
        value: `${ms(cycleStats.median)} / ${ms(cycleStats.p95)}`,
      },
      {
        name: `baseline: the bare expanded listing, same client (median / p95 of ${listingStats.n})`,
        value: `${ms(listingStats.median)} / ${ms(listingStats.p95)}`,
      },
      {
        name: "reconciler's own work per converged cycle (median cycle − median listing)",
        value: ms(cycleStats.median - listingStats.median),
      },
    ];
  } finally {
    await client.close();
    await cluster.close();
  }
}
