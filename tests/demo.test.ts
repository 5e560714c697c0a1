import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** `npm start`'s connect_client part is what a newcomer runs first: it must keep working, and leak nothing. */
describe("npm start: connect_client end to end on the emulators", () => {
  it("relates, installs the plugin, drives Kafka Connect, rotates and removes, with no secret in sight", () => {
    const root = join(import.meta.dirname, "..");
    const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "demo-connect.ts")], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("integrator/0: active: connected to 3 endpoints");
    expect(run.stdout).toMatch(/demo_r0_\w+: RUNNING, tasks 0:RUNNING@127\.0\.0\.1:\d+ 1:RUNNING/);
    expect(run.stdout).toContain("old password: unauthorized; new password: RUNNING");
    expect(run.stdout).toContain("secret values in argv, logs or status: none");
  });
});
