import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatusSnapshot } from "../../../charm/common/snapshot.js";
import { freeLoopbackPort } from "../../../lib/testing/net.js";
import { eventually } from "../../support/eventually.js";
import { http, tempDir, writeServingDesired } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
let dir: ReturnType<typeof tempDir>;
let child: ChildProcess | undefined;

beforeEach(() => {
  dir = tempDir("kci-main-");
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }
  child = undefined;
  dir.cleanup();
});

describe("charm/workload/main.ts as a process", () => {
  it("starts, serves the verified plugin, and exits 0 on SIGTERM, never printing a secret", async () => {
    const port = await freeLoopbackPort();
    const plugin = await writeServingDesired(dir.dir, {
      port,
      leader: false,
      bytes: 50_000,
      password: "pw-in-desired",
    });
    let output = "";
    child = spawn(process.execPath, ["--import", "tsx", "charm/workload/main.ts", "--host", "127.0.0.1"], {
      cwd: ROOT,
      // The state folder from the environment, as the model emulator and tests set it.
      env: { ...process.env, KCI_STATE_DIR: dir.dir, JUJU_CONTEXT_ID: "kci/0-x-1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => {
      output += d;
    });
    child.stderr!.on("data", (d) => {
      output += d;
    });
    const served = await eventually(
      () => http(port, "/api/v1/plugin").catch(() => undefined),
      (a) => a?.status === 200,
      20_000,
      (a) => ({ status: a?.status, output }),
    );
    expect(served!.body.equals(plugin.data)).toBe(true);
    expect((await http(port, "/healthz")).status).toBe(200);

    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect({ code: await exited, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/INFO plugin server listening on 127\.0\.0\.1:\d+/);
    expect(output).toMatch(/SIGTERM: stopping/);
    expect(output).not.toContain("pw-in-desired");
    const snap = StatusSnapshot.parse(JSON.parse(readFileSync(join(dir.dir, "status.json"), "utf8")));
    expect(snap.pluginServer.listening).toBe(false); // the last word: stopped
    expect(snap.pluginServer.downloads).toBe(1);
  });

  it("refuses unknown options with its usage (exit 2)", async () => {
    child = spawn(process.execPath, ["--import", "tsx", "charm/workload/main.ts", "--bogus"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (d) => {
      err += d;
    });
    const code = await new Promise((r) => child!.once("exit", r));
    expect(code).toBe(2);
    expect(err).toMatch(/usage: workload/);
    expect(existsSync(join(dir.dir, "status.json"))).toBe(false);
  });
});
