import { describe, expect, it } from "vitest";
import { JujuEmulator } from "../../../lib/testing/juju/emulator.js";
import { modelStatus, type UnitAgentView } from "../../../lib/testing/model/status.js";

const meta = { name: "probe" } as Parameters<JujuEmulator["deploy"]>[1];

function view(failed: Record<string, string> = {}, executing: string[] = []): UnitAgentView {
  return {
    failedHook: (u) => failed[u],
    executing: (u) => executing.includes(u),
    machineOf: () => "0",
  };
}

describe("modelStatus: Juju's application-status and juju-status", () => {
  it("derives the application's status from its most severe unit only while the leader has set none", () => {
    const juju = new JujuEmulator();
    juju.deploy("a", meta, { units: 3 });
    const units = juju.state.units;
    units["a/0"]!.status = { status: "active", message: "fine" };
    units["a/1"]!.status = { status: "waiting", message: "for db" };
    units["a/2"]!.status = { status: "maintenance", message: "busy" };
    const app = () => modelStatus(juju.state, view({ "a/2": "update-status" }))!.applications.a!;
    // A unit in error is the most severe.
    expect(app()["application-status"]).toEqual({
      current: "error",
      message: 'hook failed: "update-status"',
    });
    expect(modelStatus(juju.state, view()).applications.a!["application-status"]).toEqual({
      current: "maintenance",
      message: "busy",
    });
    // A status the leader set stands, even over a unit in error (whose own line shows it).
    juju.state.apps.a!.status = { status: "active", message: "3 units" };
    expect(app()["application-status"]).toEqual({ current: "active", message: "3 units" });
    expect(app().units["a/2"]!["workload-status"].current).toBe("error");
  });

  it("shows a unit whose hook failed as workload error / agent idle, and a running one as executing", () => {
    const juju = new JujuEmulator();
    juju.deploy("a", meta, { units: 2 });
    const s = modelStatus(juju.state, view({ "a/0": "install" }, ["a/1"])).applications.a!.units;
    expect(s["a/0"]!["juju-status"]).toEqual({ current: "idle", message: "" });
    expect(s["a/0"]!["workload-status"]).toEqual({ current: "error", message: 'hook failed: "install"' });
    expect(s["a/1"]!["juju-status"].current).toBe("executing");
  });
});
