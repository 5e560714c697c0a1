import type { Action, Hook } from "../../../lib/juju/index.js";
import type {
  CallOptions,
  ConnectorStateInfo,
  KafkaConnectClient,
} from "../../../lib/kafka-connect/index.js";
import { isKafkaConnectError } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector } from "../../common/desired-state.js";
import type { Owner } from "../../common/names.js";
import { maskerFor } from "../../workload/reconciler/index.js";
import { type ActionDeps, type ActionLimits, DEFAULT_LIMITS, type DeclaredResult } from "./deps.js";
import { ActionFailure, failureLine } from "./failure.js";
import { listNames } from "./format.js";
import { isOurs, notOursLine, type StatusSummary, summarize } from "./observed.js";

/** The param of every action that names one declared connector. */
export interface ConnectorParam {
  readonly connector: string;
}

/** Masks secrets in one line of text Kafka Connect sent; returns that line, at most 300 characters. */
export type Mask = (text: string) => string;

/** What is masked before the reconciler's masker cuts to its first line: bounds the redactor's work. */
const MAX_MASKED_INPUT = 64 * 1024;

/** One running action: its hook, params, deps, limits, and the Kafka Connect client it opened (closed at the end). */
export class ActionRun {
  readonly limits: ActionLimits;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Ends every Kafka Connect call of this action at the deadline. */
  readonly call: CallOptions;
  private client?: KafkaConnectClient;
  private connection?: Promise<{ client: KafkaConnectClient; owner: Owner }>;
  private declaredCache?: Promise<DeclaredResult>;
  private maskCache?: Promise<Mask>;

  constructor(
    readonly hook: Hook,
    readonly action: Action,
    readonly deps: ActionDeps,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.call = { signal: AbortSignal.timeout(this.limits.deadlineMs) };
  }

  get app(): string {
    return this.hook.appName;
  }

  params<T>(): Promise<T> {
    return this.action.params<T>();
  }

  /** Mutating actions: refused on other units with the command that works. */
  async requireLeader(args: string): Promise<void> {
    if (await this.hook.isLeader()) return;
    throw new ActionFailure(
      `run this action on the leader: juju run ${this.app}/leader ${this.action.name}${args ? ` ${args}` : ""}`,
    );
  }

  /** The client and our owner (one per action), or the reason there is none (as the failure). */
  connect(): Promise<{ client: KafkaConnectClient; owner: Owner }> {
    this.connection ??= this.deps.connection(this.hook).then((result) => {
      if ("reason" in result) throw new ActionFailure(`cannot reach Kafka Connect: ${result.reason}`);
      this.client = result.client;
      return result;
    });
    return this.connection;
  }

  /** The declarations as the hooks parse them (once per action), or the problem with the option. */
  declaredResult(): Promise<DeclaredResult> {
    this.declaredCache ??= this.deps.declared(this.hook);
    return this.declaredCache;
  }

  /** Every declared connector, or the failure naming what is wrong with the `connectors` option. */
  async declared(): Promise<readonly DesiredConnector[]> {
    const result = await this.declaredResult();
    if ("problem" in result) throw new ActionFailure(`fix the connectors option first: ${result.problem}`);
    return result.connectors;
  }

  /**
   * The mask for text Kafka Connect sends back (traces, its error messages, validation messages): the
   * reconciler's own, so an action shows what status shows. It covers every declared secret value and the Kafka
   * Connect password in the forms Kafka may echo them (as is, JSON-escaped, URL-encoded), cuts to the first
   * line before it grows costly, then applies whatever else this hook registered as secret.
   */
  mask(): Promise<Mask> {
    this.maskCache ??= (async () => {
      const [declared, desired] = await Promise.all([this.declaredResult(), this.deps.desired()]);
      const masker = maskerFor({
        connectors: "connectors" in declared ? [...declared.connectors] : [],
        ...(desired?.kafkaConnect ? { kafkaConnect: desired.kafkaConnect } : {}),
      });
      return (text: string) => masker(this.hook.redactor.redact(text.slice(0, MAX_MASKED_INPUT)));
    })();
    return this.maskCache;
  }

  /** A declared connector of ours by its declared name, and the client to act on it with. */
  async target(declared: string): Promise<{ connector: DesiredConnector; client: KafkaConnectClient }> {
    const connector = await this.find(declared);
    const { client } = await this.connect();
    return { connector, client };
  }

  /** One declared connector by its declared name; only ours, only declared ones. */
  async find(declared: string): Promise<DesiredConnector> {
    const all = await this.declared();
    const found = all.find((c) => c.declared === declared);
    if (found) {
      const { owner } = await this.connect();
      if (!isOurs(found, owner)) throw new ActionFailure(notOursLine(declared));
      return found;
    }
    const names = all.map((c) => c.declared);
    throw new ActionFailure(
      names.length === 0
        ? `unknown connector "${declared}": the connectors option declares none`
        : `unknown connector "${declared}": declared connectors are ${listNames(names)}`,
    );
  }

  /**
   * Reads until `done` holds or the poll time is up; returns the last value read. Bounded by a count of reads,
   * not a clock: a test's frozen clock or instant sleep cannot make it endless.
   */
  async poll<T>(
    read: () => Promise<T | undefined>,
    done: (value: T) => boolean,
  ): Promise<{ value?: T; settled: boolean }> {
    const polls = Math.max(1, Math.ceil(this.limits.pollTimeoutMs / this.limits.pollIntervalMs));
    let value: T | undefined;
    for (let poll = 1; ; poll++) {
      value = (await read()) ?? value;
      if (value !== undefined && done(value)) return { value, settled: true };
      if (poll >= polls) return value !== undefined ? { value, settled: false } : { settled: false };
      await this.sleep(this.limits.pollIntervalMs);
    }
  }

  /**
   * Polls the connector's status until `settled` holds or the poll time is up; returns the last status seen
   * (undefined while the worker has none: right after a create, or for a connector it does not have).
   */
  async pollStatus(
    client: KafkaConnectClient,
    name: string,
    settled: (status: ConnectorStateInfo) => boolean,
  ): Promise<{ status?: ConnectorStateInfo; settled: boolean }> {
    const read = () =>
      client.status(name, this.call).catch((error: unknown) => {
        if (isKafkaConnectError(error, "not-found")) return undefined;
        throw error;
      });
    const { value, settled: done } = await this.poll(read, settled);
    return value ? { status: value, settled: done } : { settled: done };
  }

  /**
   * After a hold changed: waits until the workload reports (status.json) the desired-state generation that
   * carries it. Its cycle reads desired.json once, at its start: a cycle begun before the hold was written
   * would undo a pause sent meanwhile. True once read, or when nothing here acts on Kafka Connect.
   */
  async workloadHasRead(): Promise<boolean> {
    const desired = await this.deps.desired();
    if (!desired?.kafkaConnect) return true;
    const { settled } = await this.poll(
      () => this.deps.snapshot(),
      (snapshot) => snapshot.generation >= desired.generation,
    );
    return settled;
  }

  /** pollStatus, summarized with secrets masked: what an action reports after a change. */
  async pollSummary(
    client: KafkaConnectClient,
    name: string,
    settled: (status: ConnectorStateInfo) => boolean,
  ): Promise<{ status?: ConnectorStateInfo; summary?: StatusSummary; settled: boolean }> {
    const after = await this.pollStatus(client, name, settled);
    if (!after.status) return after;
    return { ...after, summary: summarize(after.status, await this.mask()) };
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
  }
}

export type ActionBody = (run: ActionRun) => Promise<void>;

/** The handler lib/juju's dispatch calls: runs the body, reports any failure as one line, closes the client. */
export function handler(deps: ActionDeps, body: ActionBody) {
  return async (hook: Hook, action: Action): Promise<void> => {
    const run = new ActionRun(hook, action, deps);
    try {
      await body(run);
    } catch (error) {
      // Kafka Connect's words may quote a config value: masked like a trace (without a mask, as they are).
      const mask = await run.mask().catch(() => undefined);
      await action.fail(failureLine(error, mask));
    } finally {
      await run.close();
    }
  };
}
