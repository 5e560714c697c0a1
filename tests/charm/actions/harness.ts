import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { DesiredConnector, DesiredState, Hold } from "../../../charm/common/desired-state.js";
import { connectorName, type Owner } from "../../../charm/common/names.js";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import type {
  ActionDeps,
  ActionLimits,
  ConnectionResult,
  DeclaredResult,
} from "../../../charm/src/actions/deps.js";
import { actionHandlers } from "../../../charm/src/actions/index.js";
import { type ActionSpec, type CharmMeta, dispatch, type Hook } from "../../../lib/juju/index.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import { Context, on, type RunRecord, type State } from "../../../lib/testing/index.js";
import type {
  KafkaConnectCluster,
  KafkaConnectRequestRecord,
} from "../../../lib/testing/kafka-connect/index.js";
import { eventually } from "../../support/eventually.js";

export const APP = "kafka-connect-integrator";
export const OWNER: Owner = { app: APP, relation: 4, modelUuid: "3f2504e0-4f89-41d3-9a0c-0305e82c3301" };
export const MIRROR_SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

/** The charm's own actions.yaml, so the runtime validates params against what Juju would. */
export const ACTIONS = parseYaml(
  readFileSync(join(import.meta.dirname, "../../../actions.yaml"), "utf8"),
) as Record<string, ActionSpec>;

export const meta: CharmMeta = {
  name: APP,
  requires: { "connect-client": { interface: "connect_client", limit: 1 } },
  peers: { cluster: { interface: "kafka_connect_integrator_peers" } },
  actions: ACTIONS,
};

/** A declared MirrorSourceConnector as the hooks would resolve it. */
export function mirror(
  declared: string,
  opts: {
    tasks?: number;
    state?: DesiredConnector["state"];
    config?: Record<string, string>;
    secretKeys?: string[];
    hash?: string;
    owner?: Owner;
  } = {},
): DesiredConnector {
  const name = connectorName(declared, opts.owner ?? OWNER);
  return {
    declared,
    name,
    config: {
      "connector.class": MIRROR_SOURCE,
      "tasks.max": String(opts.tasks ?? 2),
      "source.cluster.alias": "upstream",
      ...opts.config,
      name,
    },
    state: opts.state ?? "running",
    declarationHash: opts.hash ?? `sha256-of-${declared}`,
    secretKeys: opts.secretKeys ?? [],
  };
}

export interface HoldEvent {
  readonly declared: string;
  readonly hold: Hold | null;
  /** What Kafka Connect had been asked when the hold was written. */
  readonly requestsBefore: readonly KafkaConnectRequestRecord[];
}

/** ActionDeps on the Kafka Connect emulator, recording what the actions ask of the charm. */
export class FakeDeps implements ActionDeps {
  connectors: DesiredConnector[] = [];
  problem?: string;
  connectionReason?: string;
  holdsMap: Record<string, Hold> = {};
  readonly holdLog: HoldEvent[] = [];
  snapshotValue?: StatusSnapshot;
  desiredValue?: DesiredState;
  url?: string;
  /** Values the hooks' secret-get would have registered with the redactor. */
  secretValues: string[] = [];
  readonly clients: KafkaConnectClient[] = [];
  limits: Partial<ActionLimits> = { pollIntervalMs: 10, pollTimeoutMs: 3000, deadlineMs: 20_000 };
  readonly now = () => Date.parse("2025-01-02T03:04:05Z");

  constructor(private readonly cluster: KafkaConnectCluster) {}

  async connection(): Promise<ConnectionResult> {
    if (this.connectionReason) return { reason: this.connectionReason };
    const client = new KafkaConnectClient({ endpoints: [...this.cluster.endpoints], timeoutMs: 5000 });
    this.clients.push(client);
    return { client, owner: OWNER };
  }

  async declared(hook: Hook): Promise<DeclaredResult> {
    hook.redactor.add(...this.secretValues);
    return this.problem ? { problem: this.problem } : { connectors: this.connectors };
  }

  async snapshot() {
    return this.snapshotValue;
  }

  async desired() {
    return this.desiredValue;
  }

  async pluginUrl() {
    return this.url;
  }

  async holds() {
    return this.holdsMap;
  }

  async setHold(_hook: Hook, declared: string, hold: Hold | null): Promise<void> {
    this.holdLog.push({ declared, hold, requestsBefore: [...this.cluster.requests] });
    if (hold) this.holdsMap[declared] = hold;
    else delete this.holdsMap[declared];
  }
}

/** Runs one action in-process through lib/juju's dispatch, as the charm does; returns the run's record. */
export async function runAction(
  deps: ActionDeps,
  action: string,
  params: Record<string, unknown> = {},
  state: State = { leader: true },
): Promise<RunRecord> {
  const ctx = new Context((hook) => dispatch(hook, { actions: actionHandlers(deps) }), meta, { app: APP });
  await ctx.run(on.action(action, params), state);
  return ctx.last!;
}

/** Creates a connector on the emulator (as the reconcile loop would) and waits until it and its tasks run. */
export async function createOnCluster(
  cluster: KafkaConnectCluster,
  connector: DesiredConnector,
  state: "RUNNING" | "PAUSED" | "STOPPED" = "RUNNING",
): Promise<void> {
  const admin = new KafkaConnectClient({ endpoints: [...cluster.endpoints] });
  try {
    await admin.createConnector(
      connector.name,
      connector.config,
      state === "RUNNING" ? {} : { initialState: state },
    );
    const tasks = state === "RUNNING" ? Number(connector.config["tasks.max"]) : 0;
    await eventually(
      () => admin.status(connector.name).catch(() => undefined),
      (s) =>
        s?.connector.state === state && s.tasks.length === tasks && s.tasks.every((t) => t.state === state),
    );
  } finally {
    await admin.close();
  }
}

/** The requests made since `from` (an index into cluster.requests), first hops only. */
export function requestsSince(cluster: KafkaConnectCluster, from: number): KafkaConnectRequestRecord[] {
  return cluster.requests.slice(from).filter((r) => r.forwardedFrom === undefined);
}

/** An action's results as the kit records them (argv values come back as strings). */
export interface ActionOutput {
  readonly table?: string;
  readonly summary?: string;
  readonly connectors: Record<string, Record<string, string>>;
  readonly [key: string]: unknown;
}

export function output(record: RunRecord): ActionOutput {
  return record.actionResults as unknown as ActionOutput;
}
