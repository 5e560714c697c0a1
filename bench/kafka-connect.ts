import { Agent, request } from "undici";
import { KafkaConnectClient } from "../lib/kafka-connect/index.js";
import {
  buildPluginTarball,
  type KafkaConnectCluster,
  startKafkaConnectCluster,
} from "../lib/testing/index.js";
import type { Result } from "./juju-hooks.js";
import { ms, summary } from "./stats.js";

const CONNECTORS = 500;
const LISTING_RUNS = 20;
const REQUEST_RUNS = 300;
const WARMUP = 20;

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function samples(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await time(fn));
  return out;
}

/** Requests the cluster served while `fn` ran (forwarded hops between workers not counted). */
async function served(cluster: KafkaConnectCluster, fn: () => Promise<unknown>): Promise<number> {
  const before = cluster.requests.length;
  await fn();
  return cluster.requests.slice(before).filter((r) => r.forwardedFrom === undefined).length;
}

async function withCluster<T>(fn: (c: KafkaConnectCluster, client: KafkaConnectClient) => Promise<T>) {
  const cluster = await startKafkaConnectCluster({
    workers: 3,
    timing: { assignMs: 1, startMs: 1, restartMs: 1, settleMs: 1, rebalanceMs: 20 },
  });
  const client = new KafkaConnectClient({ endpoints: cluster.endpoints });
  try {
    return await fn(cluster, client);
  } finally {
    await client.close();
    await cluster.close();
  }
}

/**
 * The Kafka Connect client against the emulator: what a full status sweep of 500 connectors costs with
 * `expand=status&expand=info` (one request) against the per-connector way (1 + 2 × 500), and what the client
 * adds to a request over a bare keep-alive undici call to the same worker.
 */
export async function benchKafkaConnect(): Promise<Result[]> {
  return withCluster(async (cluster, client) => {
    await cluster.installPlugin(
      await buildPluginTarball({
        plugins: [
          { class: "com.example.bench.BenchSourceConnector", type: "source", version: "1.0", maxTasks: 2 },
        ],
      }),
    );
    await cluster.rollingRestart();
    await cluster.rebalanceSettled();

    const tCreate = await time(async () => {
      for (let i = 0; i < CONNECTORS; i++) {
        await client.createConnector(`bench-${i}`, {
          "connector.class": "com.example.bench.BenchSourceConnector",
          "tasks.max": "2",
        });
      }
    });
    await cluster.idle();

    const expand = { expand: ["status", "info"] as const };
    const listed = await client.listConnectors({ expand: ["status", "info"] });
    const listedCount = Object.keys(listed).length;
    const expandRequests = await served(cluster, () => client.listConnectors(expand));
    const expandTimes = await samples(LISTING_RUNS, () => client.listConnectors(expand));

    const perConnector = async () => {
      const names = await client.listConnectors();
      for (const name of names) {
        await client.status(name);
        await client.getConnector(name);
      }
    };
    const naiveRequests = await served(cluster, perConnector);
    const naiveTimes = await samples(3, perConnector);

    // Client overhead: the same request through the client and through a bare pooled undici request, the two
    // interleaved so drift in the machine's load falls on both alike.
    const origin = cluster.endpoints[0]!;
    const bare = new Agent({ keepAliveTimeout: 10_000 });
    const bareGet = (path: string) => async () => {
      const res = await request(`${origin}${path}`, { dispatcher: bare });
      await res.body.json();
    };
    const pinned = new KafkaConnectClient({ endpoints: [origin] });
    const paired = async (n: number, a: () => Promise<unknown>, b: () => Promise<unknown>) => {
      const as: number[] = [];
      const bs: number[] = [];
      for (let i = 0; i < n; i++) {
        as.push(await time(a));
        bs.push(await time(b));
      }
      return [summary(as), summary(bs)] as const;
    };
    try {
      await paired(WARMUP, bareGet("/"), () => pinned.serverInfo());
      const [bareTimes, clientTimes] = await paired(REQUEST_RUNS, bareGet("/"), () => pinned.serverInfo());
      const [bareList, clientList] = await paired(
        LISTING_RUNS,
        bareGet("/connectors?expand=status&expand=info"),
        () => pinned.listConnectors(expand),
      );
      const e = summary(expandTimes);
      const n = summary(naiveTimes);
      return [
        {
          name: `create ${CONNECTORS} connectors (one POST each, 3 workers)`,
          value: `${ms(tCreate)} (${ms(tCreate / CONNECTORS)} each)`,
        },
        {
          name: `full listing, expand=status&expand=info, ${listedCount} connectors`,
          value: `${expandRequests} request, ${ms(e.median)} median (p95 ${ms(e.p95)})`,
          target: "1 request",
          ok: expandRequests === 1 && listedCount === CONNECTORS,
        },
        {
          name: "the same by connector (list, then status + info for each)",
          value: `${naiveRequests} requests, ${ms(n.median)} median`,
        },
        {
          name: "GET / through KafkaConnectClient (keep-alive, checked response)",
          value: `${ms(clientTimes.median)} median (p95 ${ms(clientTimes.p95)})`,
        },
        {
          name: "GET / through a bare undici request (keep-alive)",
          value: `${ms(bareTimes.median)} median (p95 ${ms(bareTimes.p95)})`,
        },
        {
          name: "client overhead per small request (median difference)",
          value: ms(clientTimes.median - bareTimes.median),
          target: "≤ 1 ms",
          ok: clientTimes.median - bareTimes.median <= 1,
        },
        {
          name: `client overhead on the ${listedCount}-connector expanded listing (schema checks)`,
          value: `${ms(clientList.median - bareList.median)} (client ${ms(clientList.median)}, bare ${ms(bareList.median)})`,
        },
      ];
    } finally {
      await pinned.close();
      await bare.close();
    }
  });
}
