/**
 * SIGTERM shutdown is prompt whatever the workload is waiting on. While the unit runs a hook (the `remove`
 * that stops the workload, say), the uniter holds juju-exec until that hook ends, and the hook waits for the
 * workload to exit: a dispatch (120 s bound) or an is-leader question (10 s) in flight must be aborted, not
 * awaited. Bounds here are upper bounds far above the expected (tens of ms), never tight timings.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../../charm/common/files.js";
import { alive } from "../../../charm/src/service.js";
import { jujuExecDispatch } from "../../../charm/workload/events.js";
import { jujuExecLeadership } from "../../../charm/workload/leadership.js";
import { startWorkload, type Workload } from "../../../charm/workload/service.js";
import { freeLoopbackPort } from "../../../lib/testing/net.js";
import { eventually } from "../../support/eventually.js";
import { baseDesired, captureLog, tempDir, writePlugin } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
/** Far above what shutdown takes (tens of ms), far below the juju-exec bounds it must not wait out. */
const BOUND_MS = 3_000;

let dir: ReturnType<typeof tempDir>;
let workload: Workload | undefined;
let child: ChildProcess | undefined;
beforeEach(() => {
  dir = tempDir("kci-shutdown-");
});
afterEach(async () => {
  await workload?.close();
  workload = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }
  child = undefined;
  dir.cleanup();
});

/** A juju-exec that records its pid and what it was asked, then hangs (a uniter busy with a hook). */
function hangingJujuExec(): { path: string; pid: () => number | undefined; asked: () => string } {
  const path = join(dir.dir, "juju-exec");
  const pidFile = join(dir.dir, "juju-exec.pid");
  const argvFile = join(dir.dir, "juju-exec.argv");
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s ' "$@" > '${argvFile}'\necho $$ > '${pidFile}'\nexec sleep 60\n`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    pid: () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) || undefined : undefined),
    asked: () => (existsSync(argvFile) ? readFileSync(argvFile, "utf8") : ""),
  };
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** Once the hanging juju-exec was asked `asked`, close() must return within the bound and its process die. */
async function closeWhileJujuExecHangs(
  exec: ReturnType<typeof hangingJujuExec>,
  asked: string,
): Promise<void> {
  const pid = await eventually(
    async () => exec.pid(),
    (p) => p !== undefined,
    10_000,
  );
  expect(exec.asked()).toContain(asked);
  const w = workload!;
  workload = undefined;
  expect(await timed(() => w.close())).toBeLessThan(BOUND_MS);
  await eventually(
    async () => alive(pid!),
    (a) => !a,
    BOUND_MS,
  );
}

describe("Workload.close() does not wait out juju-exec", () => {
  it("a custom-hook dispatch in flight is aborted, its process group killed", async () => {
    const exec = hangingJujuExec();
    const plugin = writePlugin(dir.dir, 10_000);
    await writeFileAtomic(
      join(dir.dir, "desired.json"),
      JSON.stringify(
        baseDesired({
          leader: false,
          charmDir: dir.dir,
          plugin: { mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size },
        }),
      ),
    );
    workload = await startWorkload({
      stateDir: dir.dir,
      reconcile: async () => {
        throw new Error("not the leader: never called");
      },
      leadership: async () => false,
      dispatchEvent: jujuExecDispatch({ jujuExec: exec.path }),
      log: captureLog(),
      listen: { host: "127.0.0.1", port: 0 },
      processMetrics: false,
      watch: false,
    });
    // Serving verified bytes changed the health digest: the dispatch is under way, and hangs.
    await closeWhileJujuExecHangs(exec, "JUJU_DISPATCH_PATH=hooks/workload-changed");
  });

  it("an is-leader question in flight is aborted and the cycle waiting on it ends", async () => {
    const exec = hangingJujuExec();
    const desired = baseDesired({ leader: false, charmDir: dir.dir });
    await writeFileAtomic(join(dir.dir, "desired.json"), JSON.stringify(desired));
    const log = captureLog();
    workload = await startWorkload({
      stateDir: dir.dir,
      reconcile: async () => {
        throw new Error("leadership never confirmed: never called");
      },
      leadership: jujuExecLeadership({ jujuExec: exec.path }),
      dispatchEvent: async () => {},
      log,
      listen: { host: "127.0.0.1", port: 0 },
      processMetrics: false,
      watch: false,
    });
    await writeFileAtomic(
      join(dir.dir, "desired.json"),
      JSON.stringify({
        ...desired,
        generation: 2,
        leader: true,
        kafkaConnect: { relation: 3, endpoints: ["http://127.0.0.1:1"], username: "u", password: "pw-1234" },
      }),
    );
    workload.trigger();
    await closeWhileJujuExecHangs(exec, "is-leader");
    expect(log.lines.join("\n")).not.toContain("never called");
  });
});

describe("the workload process on SIGTERM", () => {
  it("exits 0 promptly with a keep-alive client connected and a dispatch hanging", async () => {
    const exec = hangingJujuExec();
    const plugin = writePlugin(dir.dir, 10_000);
    const port = await freeLoopbackPort();
    await writeFileAtomic(
      join(dir.dir, "desired.json"),
      JSON.stringify(
        baseDesired({
          leader: false,
          port,
          charmDir: dir.dir,
          plugin: { mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size },
        }),
      ),
    );
    let output = "";
    child = spawn(
      process.execPath,
      ["--import", "tsx", "charm/workload/main.ts", "--host", "127.0.0.1", "--juju-exec", exec.path],
      { cwd: ROOT, env: { ...process.env, KCI_STATE_DIR: dir.dir }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (d) => {
      output += d;
    });
    child.stderr!.on("data", (d) => {
      output += d;
    });
    await eventually(
      async () => exec.pid(),
      (p) => p !== undefined,
      20_000,
      () => output,
    );
    // A keep-alive connection, left open and idle after one request.
    const agent = new Agent({ keepAlive: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", reject);
        req.end();
      });
      const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
      const took = await timed(async () => {
        child!.kill("SIGTERM");
        expect(await exited).toBe(0);
      });
      expect(took).toBeLessThan(BOUND_MS);
    } finally {
      agent.destroy();
    }
  }, 40_000);
});
