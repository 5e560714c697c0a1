import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `npm start` is what a newcomer runs first (README's main command): run exactly that, as a process, and check
 * that it walks the whole story and exits 0. CI runs it on a fresh clone.
 */
describe("npm start: the packed integrator with the reference provider, end to end on the emulators", () => {
  it("deploys, integrates, recovers a failed task, rotates, updates, removes, and exits 0", async () => {
    const root = join(import.meta.dirname, "..");
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("npm", ["start", "--silent"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => {
        if (stdout.length < 1 << 20) stdout += b.toString("utf8");
      });
      child.stderr.on("data", (b: Buffer) => {
        if (stderr.length < 1 << 20) stderr += b.toString("utf8");
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 540_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(run.stderr, run.stdout).toBe("");
    expect(run.code, run.stdout).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/kafka-connect-integrator\/0\*: blocked: no Kafka Connect relation/);
    expect(out).toMatch(/every connector and task RUNNING [\d.]+ s after integrate/);
    expect(out).toMatch(/plugin-url: http:\/\/127\.\d+\.\d+\.\d+:\d+\/api\/v1\/plugin#sha512=/);
    expect(out).toMatch(
      /juju status after [\d.]+ s \([1-9]\d* workload-changed hook\(s\) via juju-exec\): maintenance: orders-sink task 0 FAILED/,
    );
    expect(out).toMatch(/juju status: active: 2\/2 connectors running/);
    expect(out).toContain("the integrator reconnected with the new password; connectors still RUNNING");
    expect(out).toMatch(
      /config writes: orders-sink (\d+) → (\d+), mirror-east (\d+) → \3 \(only what changed\)/,
    );
    expect(out).toContain("our connectors on Kafka Connect: 0");
    expect(out).toMatch(/\d+ hooks \(\d+ on the integrator, [1-9]\d* through juju-exec, 0 failed\)/);
  }, 600_000);
});
