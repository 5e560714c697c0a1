import { execFileSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  constants,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { writeFileAtomic } from "../../../charm/common/files.js";
import { connectorName } from "../../../charm/common/names.js";
import type { Reconcile, ReconcileInput, ReconcileResult } from "../../../charm/common/reconcile-api.js";
import { type ConnectorObservation, StatusSnapshot } from "../../../charm/common/snapshot.js";
import { jujuExecDispatch } from "../../../charm/workload/events.js";
import { jujuExecLeadership } from "../../../charm/workload/leadership.js";
import { execute } from "../../../charm/workload/reconciler/executor.js";
import type { Action } from "../../../charm/workload/reconciler/planner.js";
import { type ClientFactory, startWorkload, type Workload } from "../../../charm/workload/service.js";
import { type KafkaConnectClient, KafkaConnectError } from "../../../lib/kafka-connect/index.js";
import { baseDesired, captureLog, MODEL_UUID, tempDir } from "./helpers.js";

/** The workload against hostile inputs: what a worker reports, what lands in the state folder. */

let dir: ReturnType<typeof tempDir>;
let workload: Workload | undefined;
let log: ReturnType<typeof captureLog>;

beforeEach(() => {
  dir = tempDir("kci-workload-adv-");
  log = captureLog();
});
afterEach(async () => {
  await workload?.close();
  workload = undefined;
  dir.cleanup();
});

const owner = { app: "kci", relation: 3, modelUuid: MODEL_UUID };
const ACCESS = {
  relation: 3,
  endpoints: ["http://127.0.0.1:1"],
  username: "relation-3",
  password: "s3cr3t-pw",
};

function declared(name: string) {
  const full = connectorName(name, owner);
  return {
    declared: name,
    name: full,
    config: { "connector.class": "X", "tasks.max": "1", name: full },
    state: "running" as const,
    declarationHash: `h-${name}`,
    secretKeys: [],
  };
}

function writeDesired(d: DesiredState): Promise<void> {
  return writeFileAtomic(join(dir.dir, "desired.json"), JSON.stringify(d));
}

function snapshotText(): string {
  return readFileSync(join(dir.dir, "status.json"), "utf8");
}

function reconcileAnswering(answer: (input: ReconcileInput) => Partial<ReconcileResult>): Reconcile {
  return async (input) => ({
    observations: [],
    history: input.history,
    deleted: [],
    requests: 1,
    restarts: {},
    errors: [],
    ...answer(input),
  });
}

const fakeClient = (() => ({ close: async () => undefined })) as unknown as ClientFactory;

async function start(reconcile: Reconcile, extra: Partial<Parameters<typeof startWorkload>[0]> = {}) {
  workload = await startWorkload({
    stateDir: dir.dir,
    reconcile,
    leadership: async () => true,
    dispatchEvent: async () => undefined,
    listen: { host: "127.0.0.1", port: 0 },
    log,
    watch: false,
    processMetrics: false,
    eventMinIntervalMs: 0,
    clientFactory: fakeClient,
    ...extra,
  });
  return workload;
}

describe("status.json stays valid and bounded whatever a worker reports", () => {
  it("drops task ids the contract refuses, bounds tasks and traces, keeps the failed ones", async () => {
    const orders = declared("orders");
    await writeDesired(baseDesired({ kafkaConnect: ACCESS, connectors: [orders] }));
    const trace = `java.lang.RuntimeException: ${"x".repeat(5_000)}`;
    const tasks: ConnectorObservation["tasks"] = [
      { id: -1, state: "FAILED", trace: "negative" },
      { id: 1.5, state: "RUNNING" },
      { id: 2, state: "BOGUS" as "RUNNING" },
    ];
    for (let id = 3; id < 100_000; id++) tasks.push({ id, state: "RUNNING", trace });
    tasks.push({ id: 100_000, state: "FAILED", trace: "the one that failed" });
    const w = await start(
      reconcileAnswering(() => ({
        observations: [
          { declared: "orders", name: orders.name, desired: "running", state: "RUNNING", tasks },
          // Not declared: a buggy reconciler's, or a foreign connector's, never reported.
          { declared: "theirs", name: "theirs_other_r9_x", desired: "running", state: "RUNNING", tasks: [] },
        ],
        deleted: Array.from({ length: 50_000 }, (_, i) => `gone${i}${orders.name}`),
      })),
    );
    await w.runCycle();
    const text = snapshotText();
    const parsed = StatusSnapshot.safeParse(JSON.parse(text));
    expect(parsed.success).toBe(true);
    expect(text.length).toBeLessThan(256 * 1024);
    const snap = parsed.data!;
    expect(snap.connectors.map((c) => c.name)).toEqual([orders.name]);
    const ids = snap.connectors[0]!.tasks.map((t) => t.id);
    expect(ids).not.toContain(-1);
    expect(ids).not.toContain(1.5);
    expect(ids).toContain(100_000);
    expect(snap.connectors[0]!.tasks.find((t) => t.id === 2)?.state).toBe("UNKNOWN");
    expect(snap.deleted.length).toBeLessThanOrEqual(1000);
  });
});

describe("an answer over the client's size cap (response-too-large)", () => {
  const tooLarge = (path: string) =>
    new KafkaConnectError({
      kind: "response-too-large",
      endpoint: "http://127.0.0.1:1",
      method: "PUT",
      path,
      message: `the answer to PUT ${path} is larger than the client's limit`,
    });

  it("is one connector's failure in the executor: the other connectors are still written", async () => {
    const written: string[] = [];
    const client = {
      putConfig: async (name: string) => {
        if (name === "a") throw tooLarge(`/connectors/${name}/config`);
        written.push(name);
        return { created: false };
      },
    } as unknown as KafkaConnectClient;
    const update = (name: string): Action => ({
      kind: "update",
      name,
      declared: name,
      config: {},
      changedKeys: ["k"],
    });
    const outcome = await execute({
      client,
      actions: [update("a"), update("b")],
      counter: { requests: 0 },
      mask: (t) => t,
    });
    expect(written).toEqual(["b"]);
    expect(outcome.errors).toEqual([expect.objectContaining({ kind: "response-too-large", connector: "a" })]);
  });

  it("at the cycle level (even the names-only listing is over the cap) says Kafka Connect was not usable, and why", async () => {
    const orders = declared("orders");
    await writeDesired(baseDesired({ kafkaConnect: ACCESS, connectors: [orders] }));
    const w = await start(
      reconcileAnswering(() => ({
        observations: [
          { declared: "orders", name: orders.name, desired: "running", state: "UNKNOWN", tasks: [] },
        ],
        errors: [
          { kind: "response-too-large", message: "the answer to GET /connectors is larger than the limit" },
        ],
      })),
    );
    await w.runCycle();
    const snap = StatusSnapshot.parse(JSON.parse(snapshotText()));
    expect(snap.kafkaConnect).toEqual({
      reachable: false,
      error: {
        kind: "response-too-large",
        message: "the answer to GET /connectors is larger than the limit",
      },
    });
  });
});

describe("desired.json as a hostile or broken file", () => {
  it("reports invalid JSON without quoting the file (V8's message carries a snippet of it)", async () => {
    await writeDesired(baseDesired({ leader: false }));
    const w = await start(reconcileAnswering(() => ({})));
    // Never learnt (never valid), so the masker cannot know it: the message must not carry content at all.
    writeFileSync(join(dir.dir, "desired.json"), '{"kafkaConnect":{"password":hunter2-never-valid}}');
    await w.runCycle();
    const snap = StatusSnapshot.parse(JSON.parse(snapshotText()));
    expect(snap.desiredError).toMatch(/desired\.json is not JSON/);
    expect(snapshotText()).not.toContain("hunter2");
    expect(log.lines.join("\n")).toMatch(/desired\.json is not JSON/);
    expect(log.lines.join("\n")).not.toContain("hunter2");
  });

  it("refuses a FIFO in its place without blocking the loop, and never quotes what a symlink points to", async () => {
    await writeDesired(baseDesired({ leader: false, generation: 3 }));
    const w = await start(reconcileAnswering(() => ({})));
    const path = join(dir.dir, "desired.json");
    rmSync(path);
    execFileSync("mkfifo", [path]);
    let timer: NodeJS.Timeout | undefined;
    try {
      // Opening a FIFO for reading blocks until a writer comes: the cycle (and every later one) would wait.
      const outcome = await Promise.race([
        w.runCycle().then(() => "ran"),
        new Promise((r) => {
          timer = setTimeout(() => r("blocked"), 5_000);
        }),
      ]);
      expect(outcome).toBe("ran");
    } finally {
      clearTimeout(timer);
      // Unblock a reader stuck in open(), if the bug is back, so the test process can end.
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
    expect(w.snapshot()).toMatchObject({ generation: 3 });
    expect(w.snapshot()?.desiredError).toMatch(/not a regular file/);

    rmSync(path);
    writeFileSync(join(dir.dir, "elsewhere"), "root:$6$not-a-json-file:19000:0:99999:7:::\n");
    symlinkSync(join(dir.dir, "elsewhere"), path);
    await w.runCycle();
    // Followed (whoever can plant it could write desired.json itself), but never quoted.
    expect(w.snapshot()).toMatchObject({ generation: 3 });
    expect(w.snapshot()?.desiredError).toMatch(/not JSON/);
    expect(snapshotText()).not.toContain("not-a-json-file");
  });
});

describe("secrets in logs and status.json", () => {
  it("masks the password and resolved secrets in their JSON-escaped and URL-encoded forms too", async () => {
    const secret = 'p@ss "w/rd&x=1';
    const password = "pw+with/slash&more";
    const orders = { ...declared("orders"), secretKeys: ["connection.password"] };
    orders.config = { ...orders.config, "connection.password": secret } as typeof orders.config;
    await writeDesired(baseDesired({ kafkaConnect: { ...ACCESS, password }, connectors: [orders] }));
    const forms = (v: string) => [
      JSON.stringify(v).slice(1, -1),
      encodeURIComponent(v),
      new URLSearchParams({ v }).toString().slice(2),
    ];
    const leaked = [...forms(secret), ...forms(password)];
    const w = await start(async () => {
      // A bug (not Kafka Connect's answer, which the reconciler masks itself) carrying what it was sending.
      throw new Error(`cannot send ${leaked.join(" | ")}`);
    });
    await w.runCycle();
    const logged = log.lines.join("\n");
    expect(logged).toMatch(/reconcile failed: cannot send/);
    for (const form of leaked) {
      expect(logged).not.toContain(form);
      expect(snapshotText()).not.toContain(form);
    }
  });
});

describe("juju-exec that will not go away", () => {
  it("is-leader and dispatch give up at their timeout even when a grandchild keeps the output pipes open", async () => {
    const script = join(dir.dir, "juju-exec");
    const pids = join(dir.dir, "pids");
    // The background sleep inherits stdout/stderr: killing the script does not close them.
    writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! >> "${pids}"\nwait\n`);
    chmodSync(script, 0o755);
    let timer: NodeJS.Timeout | undefined;
    const bounded = <T>(p: Promise<T>) =>
      Promise.race([
        p.then(
          () => "resolved",
          (e: Error) => e.message,
        ),
        new Promise<string>((r) => {
          timer = setTimeout(() => r("still waiting"), 5_000);
        }),
      ]).finally(() => clearTimeout(timer));
    try {
      expect(await bounded(jujuExecLeadership({ jujuExec: script, timeoutMs: 100 })("kci/0"))).toMatch(
        /no answer within 100 ms/,
      );
      const dispatch = jujuExecDispatch({ jujuExec: script, timeoutMs: 100 });
      expect(
        await bounded(dispatch({ unit: "kci/0", charmDir: "/var/lib/juju/agents/unit-kci-0/charm" })),
      ).toMatch(/no answer within 100 ms/);
    } finally {
      for (const pid of readFileSync(pids, "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
    }
  });
});
