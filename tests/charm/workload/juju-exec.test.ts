import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jujuExecDispatch } from "../../../charm/workload/events.js";
import { findJujuExec, JUJU_EXEC, jujuExecLeadership } from "../../../charm/workload/leadership.js";
import { freeLoopbackPort } from "../../../lib/testing/net.js";
import { eventually } from "../../support/eventually.js";
import { tempDir, writeServingDesired } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
let dir: ReturnType<typeof tempDir>;

beforeEach(() => {
  dir = tempDir("kci-find-exec-");
});
afterEach(() => dir.cleanup());

/** An executable script `name` in `folder` that records its argv (one per line) in `<folder>/<name>.argv`. */
function script(folder: string, name: string, body = "exit 0", mode = 0o755): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, name);
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$@" >> "${path}.argv"\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

describe("findJujuExec: where the workload finds juju-exec", () => {
  it("takes juju-exec from PATH, in PATH order", () => {
    const a = join(dir.dir, "a");
    const b = join(dir.dir, "b");
    script(b, "juju-exec");
    script(a, "juju-exec");
    expect(findJujuExec({ PATH: [a, b].join(delimiter) })).toBe(join(a, "juju-exec"));
    expect(findJujuExec({ PATH: [b, a].join(delimiter) })).toBe(join(b, "juju-exec"));
  });

  it("prefers juju-exec anywhere on PATH over Juju 2.9's juju-run", () => {
    const old = join(dir.dir, "old");
    const current = join(dir.dir, "current");
    script(old, "juju-run");
    script(current, "juju-exec");
    expect(findJujuExec({ PATH: [old, current].join(delimiter) })).toBe(join(current, "juju-exec"));
    expect(findJujuExec({ PATH: old })).toBe(join(old, "juju-run"));
  });

  it("skips what is not an executable file, and relative PATH entries; falls back to /usr/bin/juju-exec", () => {
    const folder = join(dir.dir, "x");
    script(folder, "juju-exec", "exit 0", 0o644);
    mkdirSync(join(folder, "juju-run"));
    const relative = "relative-bin";
    expect(findJujuExec({ PATH: [folder, relative, ""].join(delimiter) })).toBe(JUJU_EXEC);
    expect(findJujuExec({})).toBe(JUJU_EXEC);
    expect(JUJU_EXEC).toBe("/usr/bin/juju-exec");
  });

  it("is looked up at each call when no path is given", async () => {
    const folder = join(dir.dir, "late");
    const saved = process.env.PATH;
    process.env.PATH = `${folder}${delimiter}${saved ?? ""}`;
    try {
      // Installed after the check was made: still found.
      const check = jujuExecLeadership({ timeoutMs: 5000 });
      const dispatch = jujuExecDispatch({ timeoutMs: 5000 });
      script(folder, "juju-exec", 'if [ "$3" = is-leader ]; then echo true; fi');
      expect(await check("kci/0")).toBe(true);
      await dispatch({ unit: "kci/0", charmDir: "/var/lib/juju/agents/unit-kci-0/charm" });
    } finally {
      process.env.PATH = saved;
    }
    expect(readFileSync(join(folder, "juju-exec.argv"), "utf8").split("\n")).toEqual([
      "-u",
      "kci/0",
      "is-leader",
      "--format=json",
      "-u",
      "kci/0",
      "JUJU_DISPATCH_PATH=hooks/workload-changed /var/lib/juju/agents/unit-kci-0/charm/dispatch",
      "",
    ]);
  });
});

describe("workload main.ts --juju-exec <path>", () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    }
    child = undefined;
  });

  function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
    let output = "";
    child = spawn(process.execPath, ["--import", "tsx", "charm/workload/main.ts", ...args], {
      cwd: ROOT,
      env: { ...env, KCI_STATE_DIR: dir.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => {
      output += d;
    });
    child.stderr!.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    return { output: () => output, exited };
  }

  it("refuses a relative path, with the usage", async () => {
    const r = run(["--juju-exec", "juju-exec"]);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(/--juju-exec.*absolute/);
    expect(r.output()).toMatch(/usage: workload/);
  });

  it("uses the given juju-exec for is-leader and for the custom hook, over one on PATH", async () => {
    const port = await freeLoopbackPort();
    await writeServingDesired(dir.dir, { port, leader: true, bytes: 1000, password: "pw" });
    const given = script(join(dir.dir, "given"), "juju-exec", 'if [ "$3" = is-leader ]; then echo true; fi');
    const onPath = script(join(dir.dir, "on-path"), "juju-exec", "exit 1");
    const r = run(["--host", "127.0.0.1", "--juju-exec", given], {
      ...process.env,
      PATH: `${join(dir.dir, "on-path")}${delimiter}${process.env.PATH ?? ""}`,
    });
    const argv = await eventually(
      async () => (existsSync(`${given}.argv`) ? readFileSync(`${given}.argv`, "utf8") : ""),
      (text) => text.includes("is-leader") && text.includes("JUJU_DISPATCH_PATH=hooks/workload-changed"),
      20_000,
      (text) => ({ argv: text, output: r.output() }),
    );
    expect(argv).toContain(`JUJU_DISPATCH_PATH=hooks/workload-changed ${dir.dir}/dispatch`);
    expect(existsSync(`${onPath}.argv`)).toBe(false);
    child!.kill("SIGTERM");
    expect(await r.exited).toBe(0);
  });
});
