import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { killMarked, MACHINE_MARKER, running } from "../../../lib/testing/model/machines.js";
import { MAX_OUTPUT, runProcess } from "../../../lib/testing/model/process.js";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** A `sleep` in a session (and process group) of its own, as `detached` makes it, carrying `marker`. */
function sleeper(marker: string): number {
  const child = spawn("sleep", ["300"], {
    env: { ...process.env, [MACHINE_MARKER]: marker },
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if (await f()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("machines: processes are owned by their exact marker", () => {
  it("kills a unit's processes, not those of a unit whose name it prefixes, nor another model's", async () => {
    // Model ids as the model makes them (8 hex digits), fresh per run.
    const [m1, m2] = [randomBytes(4).toString("hex"), randomBytes(4).toString("hex")];
    const mine = sleeper(`${m1}:a/1`);
    const longer = sleeper(`${m1}:a/10`);
    const other = sleeper(`${m2}:a/1`);
    const prefixOfId = sleeper(`${m1}0:a/1`);
    await until(
      async () => (await Promise.all([mine, longer, other].map(running))).every(Boolean),
      "sleepers",
    );
    expect(await killMarked({ value: `${m1}:a/1` }, 2000)).toEqual([mine]);
    await until(async () => !(await running(mine)), "a/1 to die");
    expect(await running(longer)).toBe(true);
    // close(): the model's prefix includes the `:`, so a model id that merely starts alike is not matched.
    expect(await killMarked({ prefix: `${m1}:` }, 2000)).toEqual([longer]);
    expect(await running(other)).toBe(true);
    expect(await running(prefixOfId)).toBe(true);
  }, 30_000);
});

describe("runProcess: a hostile hook", () => {
  it("answers at its exit with a bounded tail of a flood, though a child it left behind holds the pipes", async () => {
    const script = `sleep 300 & echo "$!"; head -c 8388608 /dev/zero | tr '\\0' e >&2; echo last >&2; exit 7`;
    const r = await runProcess("/bin/sh", ["-c", script], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cwd: "/",
      timeoutMs: 60_000,
    });
    started.push(Number(r.stdout.trim()));
    expect(r.code).toBe(7);
    expect(r.stderr.length).toBe(MAX_OUTPUT);
    expect(r.stderr.endsWith("eeelast\n")).toBe(true);
  }, 30_000);

  it("kills a hook that never exits at its timeout", async () => {
    const r = await runProcess("/bin/sh", ["-c", "echo started >&2; exec sleep 300"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cwd: "/",
      timeoutMs: 300,
    });
    expect(r.code).toBe(128);
    expect(r.stderr).toBe("started\nkilled after 300 ms (hook timeout)\n");
  }, 30_000);
});
