import { randomBytes } from "node:crypto";
import type { RebalanceOptions, Timing } from "./api.js";
import { ConnectorLifecycle } from "./lifecycle.js";
import type { PluginDescriptor } from "./plugins.js";
import { Scheduler } from "./scheduler.js";
import { formatVersion, type KafkaVersion, parseVersion } from "./versions.js";
import type { WorkerRuntime } from "./worker.js";

export interface EngineOptions {
  version: string;
  timing: Timing;
  topicTracking: boolean;
  topicTrackingReset: boolean;
}

/**
 * The cluster's state without any I/O: the connectors (ConnectorLifecycle), the group of workers, its leader
 * and its rebalance windows. The REST resources read and drive it; the cluster facade starts and stops the
 * workers' servers around it.
 */
export class ConnectEngine extends ConnectorLifecycle {
  readonly workers: WorkerRuntime[] = [];
  readonly kafkaVersion: KafkaVersion;
  readonly version: string;
  readonly clusterId = randomBytes(16).toString("base64url").slice(0, 22);
  readonly commit = randomBytes(8).toString("hex");
  readonly topicTrackingReset: boolean;
  leader: number | null = 0;

  private rebalanceTimer: NodeJS.Timeout | undefined;
  /** How the current rebalance window treats config reads. */
  private configReads: "conflict" | "served" = "conflict";
  private rebalanceEndsAt = 0;
  private rebalanceWaiters: (() => void)[] = [];

  constructor(opts: EngineOptions) {
    super(opts.timing, opts.topicTracking, new Scheduler());
    this.kafkaVersion = parseVersion(opts.version);
    this.version = formatVersion(this.kafkaVersion);
    this.topicTrackingReset = opts.topicTrackingReset;
  }

  get closed(): boolean {
    return this.scheduler.isClosed;
  }

  worker(i: number): WorkerRuntime {
    const w = this.workers[i];
    if (!w) throw new RangeError(`no worker ${i} (the cluster has ${this.workers.length})`);
    return w;
  }

  workerId = (i: number): string => `127.0.0.1:${this.workers[i]?.port ?? 0}`;

  workerPlugins(i: number): readonly PluginDescriptor[] {
    return this.workers[i]?.plugins ?? [];
  }

  runningWorkers(): number[] {
    return this.workers.filter((w) => w.running).map((w) => w.index);
  }

  // ---- membership ------------------------------------------------------------------------------------

  /** Worker i stopped: its units go UNASSIGNED, it no longer leads, and the group rebalances. */
  leave(i: number): void {
    const w = this.worker(i);
    w.running = false;
    w.starting = false;
    this.orphan(i);
    if (this.leader === i) this.leader = null;
  }

  /** Worker i (re)joined: `GET /health` says starting until the rebalance it causes completes. */
  join(i: number): void {
    this.worker(i).starting = true;
    this.beginRebalance(this.timing.rebalanceMs);
  }

  // ---- rebalances and leadership ---------------------------------------------------------------------

  get inRebalance(): boolean {
    return this.rebalanceTimer !== undefined;
  }

  rebalance(opts: RebalanceOptions = {}): void {
    this.beginRebalance(opts.ms ?? this.timing.rebalanceMs, opts.configReads ?? "conflict");
  }

  /** Whether reads of connector info, config and task configs answer the stale-configuration 409 now. */
  get configReadsConflict(): boolean {
    return this.inRebalance && this.configReads === "conflict";
  }

  beginRebalance(ms: number, configReads: "conflict" | "served" = "conflict"): void {
    if (this.closed) return;
    // Overlapping windows: the kinder setting holds only while every open window asked for it.
    this.configReads = this.inRebalance && this.configReads === "conflict" ? "conflict" : configReads;
    const end = Date.now() + ms;
    if (this.rebalanceTimer && this.rebalanceEndsAt >= end) return;
    if (this.rebalanceTimer) this.scheduler.cancel(this.rebalanceTimer);
    this.rebalanceEndsAt = end;
    this.rebalanceTimer = this.scheduler.later(ms, () => {
      this.rebalanceTimer = undefined;
      this.endRebalance();
    });
  }

  /** The group settles: the lowest-index running worker leads, and everything unassigned is placed. */
  private endRebalance(): void {
    const running = this.runningWorkers();
    this.leader = running[0] ?? null;
    for (const i of running) this.worker(i).starting = false;
    this.placeUnassigned(running);
    for (const resolve of this.rebalanceWaiters.splice(0)) resolve();
  }

  rebalanceSettled(): Promise<void> {
    if (!this.inRebalance) return Promise.resolve();
    return new Promise((resolve) => this.rebalanceWaiters.push(resolve));
  }

  /** Resolves when no transition or rebalance is pending. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Cancels every timer and stops every worker's membership; waiters wait for `release()`. */
  close(): void {
    this.scheduler.close();
    this.rebalanceTimer = undefined;
    for (const w of this.workers) w.running = false;
  }

  /** Resolves every `idle()` and `rebalanceSettled()` still waiting (after close). */
  release(): void {
    this.scheduler.release();
    for (const resolve of this.rebalanceWaiters.splice(0)) resolve();
  }
}
