import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Model } from "../../../lib/testing/index.js";
import { MAX_EXEC_WAITERS, RECORD_STDERR_BYTES } from "../../../lib/testing/model/model.js";

// A shell charm: no Node start-up per hook, so these tests cost little. Its hooks do nothing but a custom
// hook `noisy` that floods stderr.
let charm: string;
beforeAll(() => {
  charm = mkdtempSync(join(tmpdir(), "exec-bounds-charm-"));
  writeFileSync(join(charm, "metadata.yaml"), "name: shell-probe\n");
  writeFileSync(
    join(charm, "dispatch"),
    `#!/bin/sh
if [ "$JUJU_DISPATCH_PATH" = hooks/noisy ]; then
  head -c 1048576 /dev/zero | tr '\\0' x >&2
  echo "the end" >&2
  exit 3
fi
exit 0
`,
    { mode: 0o755 },
  );
});
afterAll(() => rmSync(charm, { recursive: true, force: true }));

let model: Model | undefined;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "exec-bounds-"));
});
afterEach(async () => {
  await model?.close();
  model = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the model's juju-exec outside any hook; `stdin` stays open (and empty) unless `closeStdin`. */
function execIn(m: Model, args: string[], env: Record<string, string> = {}, keepStdinOpen = false) {
  const base = { ...process.env };
  delete base.JUJU_CONTEXT_ID;
  const child = spawn(join(m.dir, "bin", "juju-exec"), args, {
    env: { ...base, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (!keepStdinOpen) child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b;
  });
  child.stderr.on("data", (b: Buffer) => {
    stderr += b;
  });
  const done = new Promise<Outcome>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function until(f: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if (f()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A juju-exec command that holds the machine lock until `release` exists in `dir`. */
function holdLock(m: Model) {
  return execIn(m, ["-u", "a/0", `touch ${dir}/holding; while [ ! -f ${dir}/release ]; do sleep 0.02; done`]);
}

describe("juju-exec against hostile callers", () => {
  it("never reads the caller's stdin, even when the commands say `--file -`", async () => {
    model = await Model.create();
    await model.deploy("a", { charm });
    const { child, done } = execIn(model, ["-u", "a/0", "echo", "--file", "-"], {}, true);
    const r = await done;
    child.stdin?.destroy();
    expect(r).toEqual({ code: 0, stdout: "--file -\n", stderr: "" });
  }, 30_000);

  it("hands quotes, newlines and `;` to sh -c as they are; refuses non-units; an empty JUJU_CONTEXT_ID is no context", async () => {
    model = await Model.create();
    await model.deploy("a", { charm });
    const other = await Model.create();
    try {
      await other.deploy("b", { charm });
      const shell = await execIn(model, ["-u", "a/0", `printf '%s|' "x;y" 'p q'; echo; printf 'l1\\nl2\\n'`])
        .done;
      expect(shell).toEqual({ code: 0, stdout: "x;y|p q|\nl1\nl2\n", stderr: "" });
      const tag = await execIn(model, ["-u", "unit-a-0", "echo", "$JUJU_UNIT_NAME"]).done;
      expect(tag.stdout).toBe("a/0\n");
      for (const unit of ["../x", "a/0/..", "unit-foo-1", "b/0", "a", ""]) {
        const r = await execIn(model, ["-u", unit, "touch", join(dir, "ran")]).done;
        expect([unit, r.code, r.stderr]).toEqual([
          unit,
          1,
          `ERROR unit "${unit === "unit-foo-1" ? "foo/1" : unit}" not found on this machine\n`,
        ]);
      }
      expect(existsSync(join(dir, "ran"))).toBe(false);
      // Juju refuses only a non-empty JUJU_CONTEXT_ID.
      const empty = await execIn(model, ["-u", "a/0", "is-leader"], { JUJU_CONTEXT_ID: "" }).done;
      expect(empty).toEqual({ code: 0, stdout: "True\n", stderr: "" });
      const inside = await execIn(model, ["-u", "a/0", "is-leader"], { JUJU_CONTEXT_ID: "x" }).done;
      expect(inside.code).toBe(2);
    } finally {
      await other.close();
    }
  }, 30_000);

  it(`lets at most ${MAX_EXEC_WAITERS} callers wait for the lock and refuses the rest at once`, async () => {
    model = await Model.create();
    await model.deploy("a", { charm });
    const held = holdLock(model);
    await until(() => existsSync(join(dir, "holding")), "the lock holder");
    const extra = 5;
    const callers = Array.from({ length: MAX_EXEC_WAITERS + extra }, (_, i) =>
      execIn(model!, ["-u", "a/0", `echo ${i} >> ${dir}/ran`]),
    );
    const ended: Outcome[] = [];
    for (const c of callers) void c.done.then((o) => ended.push(o));
    await until(() => ended.length === extra, `${extra} refused callers`);
    expect(model.execWaiting).toBe(MAX_EXEC_WAITERS);
    for (const o of ended) {
      expect(o).toEqual({
        code: 1,
        stdout: "",
        stderr: `ERROR ${MAX_EXEC_WAITERS} juju-exec commands already wait for the machine lock\n`,
      });
    }
    writeFileSync(join(dir, "release"), "");
    expect((await held.done).code).toBe(0);
    const all = await Promise.all(callers.map((c) => c.done));
    expect(all.filter((o) => o.code === 0)).toHaveLength(MAX_EXEC_WAITERS);
    expect(readFileSync(join(dir, "ran"), "utf8").trim().split("\n")).toHaveLength(MAX_EXEC_WAITERS);
    expect(model.execWaiting).toBe(0);
  }, 60_000);

  it("runs the command of a caller that hung up while waiting (as Juju does), and answers waiters on close()", async () => {
    model = await Model.create();
    await model.deploy("a", { charm });
    const held = holdLock(model);
    await until(() => existsSync(join(dir, "holding")), "the lock holder");
    const gone = execIn(model, ["-u", "a/0", `touch ${dir}/ran-anyway`]);
    await until(() => model!.execWaiting === 1, "the caller to wait");
    gone.child.kill("SIGKILL");
    await gone.done;
    writeFileSync(join(dir, "release"), "");
    await held.done;
    await until(() => existsSync(join(dir, "ran-anyway")), "the orphaned command");
    expect(model.hooks.at(-1)).toMatchObject({ unit: "a/0", via: "juju-exec", ok: true });

    rmSync(join(dir, "release"));
    rmSync(join(dir, "holding"));
    const held2 = holdLock(model);
    await until(() => existsSync(join(dir, "holding")), "the second lock holder");
    const waiting: ChildProcess[] = [];
    const outcomes = [0, 1].map(() => {
      const c = execIn(model!, ["-u", "a/0", `touch ${dir}/never`]);
      waiting.push(c.child);
      return c.done;
    });
    await until(() => model!.execWaiting === 2, "two waiting callers");
    await model.close();
    for (const o of await Promise.all(outcomes))
      expect(o).toEqual({ code: 1, stdout: "", stderr: "ERROR the model is closed\n" });
    expect((await held2.done).code).not.toBe(0);
    expect(existsSync(join(dir, "never"))).toBe(false);
    model = undefined;
  }, 60_000);

  it("keeps only the tail of a hook's stderr in its record", async () => {
    model = await Model.create();
    await model.deploy("a", { charm });
    const r = await execIn(model, ["-u", "a/0", "JUJU_DISPATCH_PATH=hooks/noisy ./dispatch"]).done;
    expect(r.code).toBe(3);
    const rec = model.hooks.at(-1)!;
    expect(rec).toMatchObject({ hook: "noisy", via: "juju-exec", ok: false, exitCode: 3 });
    expect(Buffer.byteLength(rec.stderr)).toBe(RECORD_STDERR_BYTES);
    expect(rec.stderr.endsWith("xxthe end\n")).toBe(true);
  }, 30_000);
});

describe("a removed unit leaves nothing to its successor", () => {
  it("a new unit gets a new number (as Juju's), and the removed unit's secret grants and reads go", async () => {
    model = await Model.create();
    expect(await model.deploy("a", { charm, units: 2 })).toEqual(["a/0", "a/1"]);
    const uri = await model.addSecret({ value: "for-a1-only" });
    const secret = Object.values(model.juju.state.secrets)[0]!;
    // What a unit-scoped grant (secret-grant --unit) and a read leave behind.
    secret.grants.push({ to: "a/1" });
    secret.consumers["a/1"] = { tracked: 1 };
    await model.removeUnit("a/1");
    expect(secret.grants).toEqual([]);
    expect(secret.consumers).toEqual({});
    expect(await model.addUnit("a")).toEqual(["a/2"]);
    const read = await execIn(model, ["-u", "a/2", "secret-get", uri]).done;
    expect([read.code, read.stderr]).toEqual([1, "ERROR permission denied\n"]);
    await model.removeUnit("a/0");
    expect(await model.addUnit("a")).toEqual(["a/3"]);
  }, 30_000);
});
