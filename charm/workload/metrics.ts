import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ResponseEvent } from "../../lib/kafka-connect/index.js";
import type { ReconcileResult } from "../common/reconcile-api.js";
import { ObservedState } from "../common/snapshot.js";

export const METRIC_PREFIX = "kafka_connect_integrator_";
const P = METRIC_PREFIX;

export type DownloadOutcome = "complete" | "range" | "aborted";

/**
 * The workload's Prometheus metrics, in a registry of its own (never prom-client's global one, so two
 * workloads in one test process do not collide). Per-connector series follow the declaration: a connector
 * no longer declared loses its series.
 */
export class WorkloadMetrics {
  readonly registry = new Registry();
  readonly #state = new Gauge({
    name: `${P}connector_state`,
    help: "1 for the connector's observed state, 0 for the others",
    labelNames: ["connector", "name", "state"] as const,
    registers: [this.registry],
  });
  readonly #tasks = new Gauge({
    name: `${P}connector_tasks`,
    help: "Tasks the connector has",
    labelNames: ["connector", "name"] as const,
    registers: [this.registry],
  });
  readonly #tasksRunning = new Gauge({
    name: `${P}connector_tasks_running`,
    help: "Tasks of the connector in state RUNNING",
    labelNames: ["connector", "name"] as const,
    registers: [this.registry],
  });
  readonly #uptime = new Gauge({
    name: `${P}connector_uptime_seconds`,
    help: "Seconds the connector has been RUNNING without interruption, as this workload observed it",
    labelNames: ["connector", "name"] as const,
    registers: [this.registry],
  });
  readonly #restarts = new Counter({
    name: `${P}connector_restarts_total`,
    help: "Automatic restarts this workload made of the connector or its tasks",
    labelNames: ["connector", "name"] as const,
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: `${P}reconcile_duration_seconds`,
    help: "Wall time of one reconcile cycle",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: `${P}reconcile_errors_total`,
    help: "Errors met while reconciling, by kind (KafkaConnectError kinds, or workload kinds)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly #requests = new Counter({
    name: `${P}rest_requests_total`,
    help: "HTTP attempts to Kafka Connect, by status code (none: no answer)",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly #downloads = new Counter({
    name: `${P}plugin_downloads_total`,
    help: "Plugin downloads served, by outcome (complete, range, aborted)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly #bytes = new Counter({
    name: `${P}plugin_bytes_served_total`,
    help: "Plugin bytes written to clients",
    registers: [this.registry],
  });
  readonly #verified = new Gauge({
    name: `${P}plugin_verified`,
    help: "1 while the plugin server serves bytes whose sha512 matches the declared one",
    registers: [this.registry],
  });
  readonly #leader = new Gauge({
    name: `${P}leader`,
    help: "1 while this unit's workload holds a confirmed leadership lease and acts on Kafka Connect",
    registers: [this.registry],
  });
  readonly #lastReconcile = new Gauge({
    name: `${P}last_reconcile_timestamp_seconds`,
    help: "When the last reconcile cycle ended (Unix time)",
    registers: [this.registry],
  });
  readonly #runningSince = new Map<string, number>();
  readonly #series = new Map<string, { connector: string; name: string }>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** One cycle's outcome: duration, errors, and every connector's series. */
  observeCycle(result: ReconcileResult, durationMs: number, now: number): void {
    this.#duration.observe(durationMs / 1000);
    this.#lastReconcile.set(now / 1000);
    for (const e of result.errors) this.#errors.inc({ kind: e.kind });
    const seen = new Set<string>();
    for (const c of result.observations) {
      const labels = { connector: c.declared, name: c.name };
      seen.add(c.name);
      this.#series.set(c.name, labels);
      for (const s of ObservedState.options) this.#state.set({ ...labels, state: s }, s === c.state ? 1 : 0);
      this.#tasks.set(labels, c.tasks.length);
      this.#tasksRunning.set(labels, c.tasks.filter((t) => t.state === "RUNNING").length);
      if (c.state === "RUNNING") {
        const since = this.#runningSince.get(c.name) ?? now;
        this.#runningSince.set(c.name, since);
        this.#uptime.set(labels, (now - since) / 1000);
      } else {
        this.#runningSince.delete(c.name);
        this.#uptime.set(labels, 0);
      }
      const restarts = result.restarts[c.name];
      if (restarts) this.#restarts.inc(labels, restarts);
      else this.#restarts.inc(labels, 0);
    }
    for (const [name, labels] of this.#series) if (!seen.has(name)) this.#forget(name, labels);
  }

  /** A cycle that failed as a whole (the reconciler threw). */
  cycleFailed(kind: string, durationMs: number, now: number): void {
    this.#duration.observe(durationMs / 1000);
    this.#lastReconcile.set(now / 1000);
    this.#errors.inc({ kind });
  }

  /** Not acting: no connector series (they would be stale). */
  clearConnectors(): void {
    for (const [name, labels] of this.#series) this.#forget(name, labels);
  }

  setLeader(acting: boolean): void {
    this.#leader.set(acting ? 1 : 0);
  }

  setPluginVerified(verified: boolean): void {
    this.#verified.set(verified ? 1 : 0);
  }

  /** The REST client's observer: one event per HTTP attempt. */
  onResponse = (event: ResponseEvent): void => {
    this.#requests.inc({ code: event.status === undefined ? "none" : String(event.status) });
  };

  download(outcome: DownloadOutcome): void {
    this.#downloads.inc({ outcome });
  }

  bytesServed(n: number): void {
    if (n > 0) this.#bytes.inc(n);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #forget(name: string, labels: { connector: string; name: string }): void {
    for (const s of ObservedState.options) this.#state.remove({ ...labels, state: s });
    this.#tasks.remove(labels);
    this.#tasksRunning.remove(labels);
    this.#uptime.remove(labels);
    this.#restarts.remove(labels);
    this.#runningSince.delete(name);
    this.#series.delete(name);
  }
}
