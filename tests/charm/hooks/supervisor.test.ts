import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "../../../charm/src/service.js";

/** A detached grandchild whose parent exits, as the workload is once its hook process has gone. */
async function orphan(): Promise<number> {
  const inner = `process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)`;
  const outer = `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(inner)}], { detached: true, stdio: "ignore" }); c.unref(); console.log(c.pid);`;
  const p = spawn(process.execPath, ["-e", outer], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout.on("data", (d) => {
    out += d;
  });
  await new Promise((r) => p.on("close", r));
  return Number(out.trim());
}

const state = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2];
  } catch {
    return undefined;
  }
};

let pid: number | undefined;
afterEach(() => {
  try {
    if (pid !== undefined) process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
});

describe("the child-process supervisor's liveness check", () => {
  it("a running workload is alive; once it exited it is not, even while its zombie waits for PID 1", async () => {
    pid = await orphan();
    expect(alive(pid)).toBe(true);
    process.kill(pid, "SIGTERM");
    // Bounded polling: until it is a zombie (signal 0 still reaches it) or reaped already.
    const deadline = Date.now() + 10_000;
    while (state(pid) !== "Z" && state(pid) !== undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen = state(pid);
    expect(alive(pid)).toBe(false);
    if (seen === "Z") {
      // The case the old check got wrong: the kernel still answers signal 0 for it.
      expect(() => process.kill(pid!, 0)).not.toThrow();
    }
  });
});
