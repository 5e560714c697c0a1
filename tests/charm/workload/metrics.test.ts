import { describe, expect, it } from "vitest";
import type { ReconcileResult } from "../../../charm/common/reconcile-api.js";
import { WorkloadMetrics } from "../../../charm/workload/metrics.js";

const P = "kafka_connect_integrator_";

function result(over: Partial<ReconcileResult> = {}): ReconcileResult {
  return { observations: [], history: {}, deleted: [], requests: 1, restarts: {}, errors: [], ...over };
}

const orders = (state: "RUNNING" | "FAILED", tasks: ("RUNNING" | "FAILED")[]) => ({
  declared: "orders",
  name: "orders_kci_r3_abc",
  desired: "running" as const,
  state,
  tasks: tasks.map((s, id) => ({ id, state: s })),
});

describe("WorkloadMetrics", () => {
  it("exposes every connector's state, tasks, uptime and restarts, and drops a connector no longer declared", async () => {
    const m = new WorkloadMetrics({ processMetrics: false });
    const labels = 'connector="orders",name="orders_kci_r3_abc"';
    m.observeCycle(result({ observations: [orders("RUNNING", ["RUNNING", "FAILED"])] }), 12, 1_000_000);
    m.observeCycle(
      result({
        observations: [orders("RUNNING", ["RUNNING", "RUNNING"])],
        restarts: { orders_kci_r3_abc: 1 },
        errors: [{ kind: "rebalancing", message: "x" }],
      }),
      8,
      1_030_000,
    );
    let text = await m.text();
    expect(text).toContain(`${P}connector_state{${labels},state="RUNNING"} 1`);
    expect(text).toContain(`${P}connector_state{${labels},state="FAILED"} 0`);
    expect(text).toContain(`${P}connector_tasks{${labels}} 2`);
    expect(text).toContain(`${P}connector_tasks_running{${labels}} 2`);
    expect(text).toContain(`${P}connector_uptime_seconds{${labels}} 30`);
    expect(text).toContain(`${P}connector_restarts_total{${labels}} 1`);
    expect(text).toContain(`${P}reconcile_errors_total{kind="rebalancing"} 1`);
    expect(text).toContain(`${P}reconcile_duration_seconds_count 2`);
    expect(text).toContain(`${P}last_reconcile_timestamp_seconds 1030`);
    // Uptime counts consecutive RUNNING only.
    m.observeCycle(result({ observations: [orders("FAILED", [])] }), 5, 1_040_000);
    m.observeCycle(result({ observations: [orders("RUNNING", [])] }), 5, 1_050_000);
    expect(await m.text()).toContain(`${P}connector_uptime_seconds{${labels}} 0`);
    m.observeCycle(result({ observations: [] }), 5, 1_060_000);
    text = await m.text();
    expect(text).not.toContain("orders_kci_r3_abc");
  });

  it("counts REST answers by code, plugin downloads by outcome and bytes, leadership and verification", async () => {
    const m = new WorkloadMetrics({ processMetrics: false });
    m.onResponse({ method: "GET", path: "/connectors", endpoint: "http://a", status: 200, durationMs: 1 });
    m.onResponse({ method: "GET", path: "/connectors", endpoint: "http://a", status: 200, durationMs: 1 });
    m.onResponse({ method: "GET", path: "/", endpoint: "http://b", durationMs: 1, errorKind: "unavailable" });
    m.download("complete");
    m.download("aborted");
    m.bytesServed(1024);
    m.setLeader(true);
    m.setPluginVerified(true);
    const text = await m.text();
    expect(text).toContain(`${P}rest_requests_total{code="200"} 2`);
    expect(text).toContain(`${P}rest_requests_total{code="none"} 1`);
    expect(text).toContain(`${P}plugin_downloads_total{outcome="complete"} 1`);
    expect(text).toContain(`${P}plugin_downloads_total{outcome="aborted"} 1`);
    expect(text).toContain(`${P}plugin_bytes_served_total 1024`);
    expect(text).toContain(`${P}leader 1`);
    expect(text).toContain(`${P}plugin_verified 1`);
  });

  it("two workloads in one process do not share a registry", async () => {
    const a = new WorkloadMetrics({ processMetrics: false });
    const b = new WorkloadMetrics({ processMetrics: false });
    a.setLeader(true);
    expect(await b.text()).toContain(`${P}leader 0`);
  });
});
