import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SNAPSHOT_FILE } from "../../../charm/common/files.js";
import { connectorName, uuidHex } from "../../../charm/common/names.js";
import { actionDeps } from "../../../charm/src/charm.js";
import type { Hook } from "../../../lib/juju/index.js";
import { on } from "../../../lib/testing/index.js";
import {
  APP,
  connectClient,
  DB_SECRET,
  dbSecret,
  type Harness,
  integratedLeader,
  JDBC_YAML,
  peers,
  pluginFile,
  providerSecret,
} from "./support.js";

const sha512 = (b: Buffer) => createHash("sha512").update(b).digest("hex");

let harness: Harness;
afterEach(() => harness?.close());

function setup(): ReturnType<typeof integratedLeader> {
  const s = integratedLeader();
  harness = s.h;
  return s;
}

describe("install and start", () => {
  it("starts the workload, copies the resource with its sha512, opens the port, and says what is missing", async () => {
    const { h, sha, base } = setup();
    const out = await h.ctx.run(on.install(), { ...base, relations: [peers()], secrets: [] });
    expect(h.supervisor.calls.map((c) => c.op)).toEqual(["ensure"]);
    expect(h.supervisor.calls[0]!.spec.stateDir).toBe(h.stateDir);
    const d = h.desired()!;
    expect(d.plugin).toMatchObject({ mode: "serve", sha512: sha, size: 4300 });
    expect(d.kafkaConnect).toBeUndefined();
    expect(out.openedPorts).toEqual(["8080/tcp"]);
    expect(out.unitStatus).toEqual({
      status: "blocked",
      message: `no Kafka Connect relation: juju integrate ${APP} <kafka-connect app>`,
    });
  });

  it("start runs the same reconcile and changes nothing when nothing changed", async () => {
    const { h, base } = setup();
    const state = { ...base, relations: [peers()], secrets: [] };
    const after = await h.ctx.run(on.install(), state);
    const first = h.desired()!;
    await h.ctx.run(on.start(), after);
    expect(h.desired()!.generation).toBe(first.generation);
    expect(h.tools()).not.toContain("open-port");
  });
});

describe("the connect-plugin resource", () => {
  it.each([
    ["missing", undefined],
    ["empty", Buffer.alloc(0)],
    ["the 10240-byte placeholder tar", Buffer.alloc(10_240)],
  ])("%s → blocked, and the workload serves nothing", async (_name, content) => {
    const { h, base } = setup();
    const resources: Record<string, string> = content
      ? { "connect-plugin": pluginFile(h.stateDir, content, "r.tar") }
      : {};
    const out = await h.ctx.run(on.install(), { ...base, resources });
    expect(out.unitStatus).toEqual({
      status: "blocked",
      message: "resource connect-plugin is missing: attach it, or set plugin-mode to not-required",
    });
    expect(h.desired()!.plugin).toEqual({ mode: "missing" });
  });

  it("a 10240-byte tar that is not all zeros is a real plugin", async () => {
    const { h, base } = setup();
    const bytes = Buffer.alloc(10_240);
    bytes[0] = 1;
    await h.ctx.run(on.install(), {
      ...base,
      resources: { "connect-plugin": pluginFile(h.stateDir, bytes, "r.tar") },
    });
    expect(h.desired()!.plugin).toMatchObject({ mode: "serve", size: 10_240 });
  });

  it("upgrade-charm (attach-resource) copies the new resource and restarts nothing else", async () => {
    const { h, base } = setup();
    const s1 = await h.ctx.run(on.install(), base);
    const next = Buffer.from("a newer plugin");
    const path = pluginFile(h.stateDir, next, "newer.tar");
    await h.ctx.run(on.upgradeCharm(), { ...s1, resources: { "connect-plugin": path } });
    expect(h.desired()!.plugin).toMatchObject({ mode: "serve", sha512: sha512(next), size: next.length });
    expect(h.supervisor.calls.filter((c) => c.op === "ensure")).toHaveLength(2);
  });
});

describe("plugin-url", () => {
  it("is published only once the unit's server answers 200 with the tarball's digest", async () => {
    const { h, sha, base } = setup();
    let out = await h.ctx.run(on.relationCreated(1), base);
    expect(h.probes).toBe(1);
    expect(out.relations![0]!.localAppData?.["plugin-url"]).toBeUndefined();
    expect(out.unitStatus).toEqual({
      status: "waiting",
      message:
        "waiting for this unit's plugin server on :8080 to serve plugin.tar before publishing plugin-url",
    });

    h.probe = { status: 200, reprDigest: "sha-512=:AAAA:" }; // serves something else
    out = await h.ctx.run(on.relationChanged(1), out);
    expect(out.relations![0]!.localAppData?.["plugin-url"]).toBeUndefined();

    h.probe = { status: 404 };
    out = await h.ctx.run(on.relationChanged(1), out);
    expect(out.relations![0]!.localAppData?.["plugin-url"]).toBeUndefined();

    h.serves(sha);
    out = await h.ctx.run(on.custom("workload-changed"), out);
    const bag = out.relations![0]!.localAppData!;
    expect(bag["plugin-url"]).toMatch(
      new RegExp(`^http://10\\.\\d+\\.\\d+\\.\\d+:8080/api/v1/plugin#sha512=${sha}$`),
    );
    expect(JSON.parse(bag["requested-secrets"]!)).toEqual(expect.arrayContaining(["username", "password"]));
  });

  it("a new leader republishes its own server's URL", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const old = `http://10.99.0.1:8080/api/v1/plugin#sha512=${sha}`;
    const out = await h.ctx.run(on.leaderElected(), {
      ...base,
      relations: [connectClient({ localAppData: { "plugin-url": old } }), peers()],
    });
    const url = out.relations![0]!.localAppData!["plugin-url"]!;
    expect(url).not.toBe(old);
    expect(url).toContain(`#sha512=${sha}`);
    expect(h.probes).toBe(1);
  });

  it("MirrorMaker style: plugin-mode not-required publishes NOT-REQUIRED with no resource and no probe", async () => {
    const { h, base } = setup();
    const mm = `
mirror-source:
  class: org.apache.kafka.connect.mirror.MirrorSourceConnector
  config:
    source.cluster.alias: east
    target.cluster.alias: west
mirror-checkpoint:
  class: org.apache.kafka.connect.mirror.MirrorCheckpointConnector
  config:
    source.cluster.alias: east
    target.cluster.alias: west
`;
    const out = await h.ctx.run(on.relationChanged(1), {
      ...base,
      config: { connectors: mm, "plugin-mode": "not-required" },
      resources: {},
      secrets: [providerSecret()],
    });
    expect(out.relations![0]!.localAppData!["plugin-url"]).toBe("NOT-REQUIRED");
    expect(h.probes).toBe(0);
    expect(h.tools()).not.toContain("resource-get");
    const d = h.desired()!;
    expect(d.plugin).toEqual({ mode: "not-required" });
    expect(d.connectors.map((c) => c.config["connector.class"])).toEqual([
      "org.apache.kafka.connect.mirror.MirrorSourceConnector",
      "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
    ]);
  });
});

describe("the desired state", () => {
  it("the leader with a ready relation gets access and resolved connectors named for this app", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const out = await h.ctx.run(on.relationChanged(1), base);
    const d = h.desired()!;
    expect(d.kafkaConnect).toEqual({
      relation: 1,
      endpoints: ["http://10.0.0.9:8083", "http://10.0.0.10:8083"],
      username: "relation-1",
      password: "kc-password-1",
    });
    const owner = { app: APP, relation: 1, modelUuid: d.modelUuid };
    const orders = d.connectors.find((c) => c.declared === "orders")!;
    expect(orders.name).toBe(connectorName("orders", owner));
    expect(orders.name).toMatch(new RegExp(`^orders_${APP}_r1_${uuidHex(d.modelUuid)}$`));
    expect(orders.config).toEqual({
      topics: "orders",
      "connection.url": "jdbc:postgresql://db:5432/shop",
      "connection.password": "db-pass-1",
      "connector.class": "io.aiven.connect.jdbc.JdbcSinkConnector",
      "tasks.max": "2",
      name: orders.name,
    });
    expect(orders.secretKeys).toEqual(["connection.password"]);
    expect(d.connectors.find((c) => c.declared === "audit")!.state).toBe("paused");
    expect(out.unitStatus).toEqual({ status: "maintenance", message: "starting the workload" });
    // Secret values never reach the log or status.
    expect(JSON.stringify(h.ctx.last!.logs)).not.toContain("db-pass-1");
    expect(JSON.stringify(h.ctx.last!.logs)).not.toContain("kc-password-1");
  });

  it("a status.json the hook cannot use is named in the leader's status, not hidden behind 'starting'", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    writeFileSync(join(h.stateDir, SNAPSHOT_FILE), '{"version": 1 2, "acting": "hunter2"}');
    const out = await h.ctx.run(on.relationChanged(1), base);
    expect(out.unitStatus).toEqual({
      status: "waiting",
      message:
        "workload status unreadable: status.json is not JSON (at position 14); see the workload's journal",
    });
    writeFileSync(join(h.stateDir, SNAPSHOT_FILE), JSON.stringify({ version: 1, acting: "yes" }));
    const again = await h.ctx.run(on.updateStatus(), out);
    expect(again.unitStatus?.status).toBe("waiting");
    expect(again.unitStatus?.message).toMatch(
      /^workload status unreadable: status\.json is invalid at \S+: .+; see the workload's journal$/,
    );
  });

  it("a non-leader serves the plugin but gets neither access nor connectors", async () => {
    const { h, base } = setup();
    const out = await h.ctx.run(on.relationChanged(1), { ...base, leader: false });
    const d = h.desired()!;
    expect(d.leader).toBe(false);
    expect(d.kafkaConnect).toBeUndefined();
    expect(d.connectors).toEqual([]);
    expect(d.plugin.mode).toBe("serve");
    expect(out.unitStatus).toEqual({
      status: "active",
      message: "serving the plugin on :8080; the leader manages connectors",
    });
    expect(h.tools()).not.toContain("secret-get");
  });

  it("secret-changed re-resolves the connector config and raises the generation", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const g1 = h.desired()!.generation;
    const rotated = {
      ...s1,
      secrets: [providerSecret(), dbSecret({ 1: { password: "db-pass-1" }, 2: { password: "db-pass-2" } })],
    };
    await h.ctx.run(on.secretChanged(DB_SECRET), rotated);
    const d = h.desired()!;
    expect(d.generation).toBe(g1 + 1);
    expect(d.connectors.find((c) => c.declared === "orders")!.config["connection.password"]).toBe(
      "db-pass-2",
    );
  });

  it("credential rotation of the provider's secret reaches the desired state", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const user = providerSecret();
    const rotated = {
      ...s1,
      secrets: [
        {
          ...user,
          revisions: { 1: user.revisions[1]!, 2: { username: "relation-1", password: "kc-password-2" } },
        },
        dbSecret(),
      ],
    };
    await h.ctx.run(on.secretChanged(user.id), rotated);
    expect(h.desired()!.kafkaConnect!.password).toBe("kc-password-2");
  });

  it("the desired state file is private (0600)", async () => {
    const { h, base } = setup();
    await h.ctx.run(on.install(), base);
    const { statSync } = await import("node:fs");
    const { join } = await import("node:path");
    expect(statSync(join(h.stateDir, "desired.json")).mode & 0o777).toBe(0o600);
  });
});

describe("bad config: blocked with the key named, no hook error, last good connectors kept", () => {
  const bad: [string, Record<string, string | number | boolean>, string][] = [
    ["malformed YAML", { connectors: "orders: [class: x" }, "connectors: invalid YAML at line"],
    [
      "an unknown state",
      { connectors: "orders:\n  class: x.Y\n  state: runing\n" },
      'connectors: orders: unknown state "runing" (running, paused or stopped)',
    ],
    ["a missing class", { connectors: "orders:\n  tasks-max: 2\n" }, "connectors: orders: class is missing"],
    [
      "a non-string value",
      { connectors: "orders:\n  class: x.Y\n  config:\n    batch.size: 500\n" },
      'connectors: orders: config.batch.size must be a string: write "500"',
    ],
    [
      "tasks.max inside config",
      { connectors: "orders:\n  class: x.Y\n  config:\n    tasks.max: '3'\n" },
      "connectors: orders: config.tasks.max is not allowed here: use tasks-max: instead",
    ],
    [
      "too big a YAML",
      { connectors: `a:\n  class: x.Y\n  config:\n    k: "${"x".repeat(300 * 1024)}"\n` },
      "over the 256 KiB limit",
    ],
    [
      "an alias bomb",
      {
        connectors: [
          "a: &a [x, x, x, x, x, x, x, x, x, x]",
          "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
          "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
        ].join("\n"),
      },
      "connectors: the YAML uses too many aliases",
    ],
    [
      "a secret reference that is not granted",
      {
        connectors: `orders:\n  class: x.Y\n  config:\n    password: \${secret:d5n1ah7mp25c7ma3ahhg/password}\n`,
      },
      `connectors: orders: config.password: secret d5n1ah7mp25c7ma3ahhg is not readable: juju grant-secret d5n1ah7mp25c7ma3ahhg ${APP}`,
    ],
    [
      "a secret key that does not exist",
      { connectors: `orders:\n  class: x.Y\n  config:\n    password: \${secret:${DB_SECRET}/pass}\n` },
      `connectors: orders: config.password: secret ${DB_SECRET} has no key "pass" (it has: password)`,
    ],
    ["a bad duration", { "reconcile-interval": "fast" }, 'reconcile-interval: "fast" is not a duration'],
    ["an unknown plugin mode", { "plugin-mode": "download" }, 'plugin-mode: unknown mode "download"'],
  ];

  it.each(bad)("%s", async (_name, config, message) => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const good = await h.ctx.run(on.relationChanged(1), base);
    const before = h.desired()!;
    expect(before.connectors).toHaveLength(2);
    const out = await h.ctx.run(on.configChanged(), { ...good, config: { ...good.config, ...config } });
    expect(out.unitStatus!.status).toBe("blocked");
    expect(out.unitStatus!.message).toContain(message);
    expect(out.unitStatus!.message.length).toBeLessThanOrEqual(200);
    const after = h.desired()!;
    expect(after.connectors).toEqual(before.connectors);
    expect(after.kafkaConnect).toEqual(before.kafkaConnect);
    expect(after.reconcileIntervalMs).toBe(before.reconcileIntervalMs);
  });

  it("with no good declaration ever, the workload gets no access: nothing can be deleted", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    await h.ctx.run(on.relationChanged(1), { ...base, config: { connectors: "orders:\n  state: runing\n" } });
    expect(h.desired()!.kafkaConnect).toBeUndefined();
  });

  it("fixing the config clears the problem", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.configChanged(), { ...base, config: { connectors: "orders: [" } });
    expect(s1.unitStatus!.status).toBe("blocked");
    const s2 = await h.ctx.run(on.configChanged(), { ...s1, config: { connectors: JDBC_YAML } });
    expect(s2.unitStatus).toEqual({ status: "maintenance", message: "starting the workload" });
    expect(h.desired()!.connectors).toHaveLength(2);
  });
});

describe("peers: holds and restart history", () => {
  it("live holds reach the desired state; a hold on a changed declaration ends", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    await h.ctx.run(on.relationChanged(1), base);
    const orders = h.desired()!.connectors.find((c) => c.declared === "orders")!;
    const holds = {
      orders: {
        state: "stopped",
        declarationHash: orders.declarationHash,
        since: "2026-01-01T00:00:00.000Z",
      },
      audit: { state: "paused", declarationHash: "stale", since: "2026-01-01T00:00:00.000Z" },
    };
    await h.ctx.run(on.relationChanged(2, { remoteUnit: `${APP}/1` }), {
      ...base,
      relations: [
        connectClient(),
        { ...peers({ holds: JSON.stringify(holds) }), remoteUnitsData: { 1: {} } },
      ],
    });
    expect(h.desired()!.holds).toEqual({ orders: holds.orders });
  });

  it("the leader copies the workload's restart history into peer data, and it seeds desired.history", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const name = h.desired()!.connectors[0]!.name;
    const record = { count: 2, lastRestartAt: 1000, gaveUp: false, total: 5 };
    h.writeSnapshot({ history: { [name]: record } });
    const out = await h.ctx.run(on.updateStatus(), s1);
    const peer = out.relations!.find((r) => r.endpoint === "cluster")!;
    expect(JSON.parse(peer.localAppData!["restart-history"]!)).toEqual({ [name]: record });
    expect(h.desired()!.history).toEqual({ [name]: record });
  });

  it("setHold (for actions) writes the peer databag and desired.json at once", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const orders = h.desired()!.connectors.find((c) => c.declared === "orders")!;
    const hold = {
      state: "paused" as const,
      declarationHash: orders.declarationHash,
      since: "2026-01-01T00:00:00.000Z",
    };
    const deps = actionDeps({
      supervisor: h.supervisor,
      stateDir: h.stateDir,
      probePlugin: async () => h.probe,
      now: () => h.clock,
    });
    // Run it inside a hook, as an action would.
    const charm = async (hook: Hook) => deps.setHold(hook, "orders", hold);
    const { Context } = await import("../../../lib/testing/index.js");
    const { meta } = await import("./support.js");
    const out = await new Context(charm, meta).run(on.updateStatus(), s1);
    expect(h.desired()!.holds).toEqual({ orders: hold });
    const peer = out.relations!.find((r) => r.endpoint === "cluster")!;
    expect(JSON.parse(peer.localAppData!.holds!)).toEqual({ orders: hold });
  });
});

describe("routine hooks read little", () => {
  it("update-status on a converged leader: no secret, resource or network reads, at most 10 tool calls", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const d = h.desired()!;
    h.writeSnapshot({
      connectors: d.connectors.map((c) => ({
        declared: c.declared,
        name: c.name,
        desired: c.state,
        state: c.state === "running" ? "RUNNING" : "PAUSED",
        tasks:
          c.state === "running"
            ? [
                { id: 0, state: "RUNNING" },
                { id: 1, state: "RUNNING" },
              ]
            : [],
      })),
    });
    const probes = h.probes;
    const out = await h.ctx.run(on.updateStatus(), s1);
    const tools = h.tools();
    expect(tools).not.toContain("secret-get");
    expect(tools).not.toContain("resource-get");
    expect(tools).not.toContain("network-get");
    expect(tools.length).toBeLessThanOrEqual(10);
    expect(h.probes).toBe(probes);
    expect(out.unitStatus).toEqual({
      status: "active",
      message: "1/1 connectors running (2/2 tasks), 1 paused",
    });
  });
});

describe("metrics-endpoint", () => {
  it("publishes scrape jobs and topology (leader) and the unit's address and name", async () => {
    const { h, base } = setup();
    const out = await h.ctx.run(on.relationJoined(3, "prometheus/0"), {
      ...base,
      relations: [...base.relations!, { id: 3, endpoint: "metrics-endpoint", remoteApp: "prometheus" }],
    });
    const rel = out.relations!.find((r) => r.endpoint === "metrics-endpoint")!;
    expect(JSON.parse(rel.localAppData!.scrape_jobs!)).toEqual([
      {
        job_name: "kafka-connect-integrator",
        metrics_path: "/metrics",
        static_configs: [{ targets: ["*:8080"] }],
      },
    ]);
    expect(JSON.parse(rel.localAppData!.scrape_metadata!)).toMatchObject({
      application: APP,
      charm_name: APP,
      model_uuid: h.desired()!.modelUuid,
    });
    expect(rel.localUnitData!.prometheus_scrape_unit_name).toBe(`${APP}/0`);
    expect(rel.localUnitData!.prometheus_scrape_unit_address).toMatch(/^10\./);
  });
});

describe("remove", () => {
  it("stops the workload service", async () => {
    const { h, base } = setup();
    await h.ctx.run(on.remove(), base);
    expect(h.supervisor.calls.map((c) => c.op)).toEqual(["remove"]);
  });
});
