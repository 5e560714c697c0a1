import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import {
  digestKey,
  dispatchArgv,
  HealthNotifier,
  healthDigest,
  jujuExecDispatch,
  QUIET_DIGEST,
} from "../../../charm/workload/events.js";
import { jujuExecLeadership, LeadershipLease } from "../../../charm/workload/leadership.js";
import { CycleLoop } from "../../../charm/workload/loop.js";
import { mergeHistory } from "../../../charm/workload/service.js";
import { captureLog, flush, ManualTimers, tempDir } from "./helpers.js";

describe("CycleLoop", () => {
  let timers: ManualTimers;
  let runs: number;
  let release: (() => void) | undefined;
  let loop: CycleLoop;
  beforeEach(() => {
    timers = new ManualTimers();
    runs = 0;
    release = undefined;
  });
  afterEach(async () => {
    release?.();
    await loop?.stop();
  });

  const make = (block = false) => {
    loop = new CycleLoop({
      run: async () => {
        runs++;
        if (block) await new Promise<void>((r) => (release = r));
      },
      intervalMs: () => 30_000,
      timers,
      log: captureLog(),
    });
    return loop;
  };

  it("runs at once, then every interval after the previous cycle", async () => {
    make().start();
    await flush();
    expect(runs).toBe(1);
    expect(timers.pending()).toEqual([30_000]);
    await timers.advance(29_999);
    expect(runs).toBe(1);
    await timers.advance(1);
    expect(runs).toBe(2);
    await timers.advance(60_000);
    expect(runs).toBe(4);
  });

  it("runs soon after a trigger, a burst of triggers being one cycle, and the interval restarting after it", async () => {
    make().start();
    await flush();
    await timers.advance(10_000);
    loop.trigger();
    loop.trigger();
    loop.trigger();
    await timers.advance(99);
    expect(runs).toBe(1);
    await timers.advance(1);
    expect(runs).toBe(2);
    expect(timers.pending()).toEqual([30_000]);
  });

  it("runs one more cycle right after the current one when triggered meanwhile; never two at once", async () => {
    let active = 0;
    let most = 0;
    loop = new CycleLoop({
      run: async () => {
        active++;
        most = Math.max(most, active);
        runs++;
        await new Promise<void>((r) => (release = r));
        active--;
      },
      intervalMs: () => 30_000,
      timers,
      log: captureLog(),
    });
    loop.start();
    await flush();
    loop.trigger();
    await timers.advance(100);
    loop.trigger();
    await timers.advance(100);
    expect(runs).toBe(1);
    release!();
    await flush();
    expect(runs).toBe(2);
    release!();
    await flush();
    expect(runs).toBe(2);
    expect(most).toBe(1);
  });

  it("keeps going after a failing cycle, and stop() aborts the running one", async () => {
    let signal: AbortSignal | undefined;
    loop = new CycleLoop({
      run: async (s) => {
        runs++;
        signal = s;
        if (runs === 1) throw new Error("boom");
        await new Promise<void>((r) => s.addEventListener("abort", () => r()));
      },
      intervalMs: () => 1000,
      timers,
      log: captureLog(),
    });
    loop.start();
    await flush();
    await timers.advance(1000);
    expect(runs).toBe(2);
    await loop.stop();
    expect(signal?.aborted).toBe(true);
    expect(timers.pending()).toEqual([]);
  });
});

describe("LeadershipLease", () => {
  it("asks Juju, holds the lease 30 s from when it ASKED, and renews once half of it has passed", async () => {
    const t = new ManualTimers();
    const asked: number[] = [];
    let answer: boolean | Error = true;
    const lease = new LeadershipLease(async () => {
      asked.push(t.now);
      t.now += 2000; // a slow answer: the lease still starts at the question
      if (answer instanceof Error) throw answer;
      return answer;
    }, t.clock);
    expect(await lease.confirm("kci/0")).toBe(true);
    expect(asked).toHaveLength(1);
    t.now += 12_000; // 14 s since asked
    expect(await lease.mayAct()).toBe(true);
    expect(asked).toHaveLength(1);
    t.now += 2000; // 16 s: renew
    expect(await lease.mayAct()).toBe(true);
    expect(asked).toHaveLength(2);
    const renewedAt = asked[1]!;
    // Juju cannot answer: the lease already held runs out, it is not extended.
    answer = new Error("juju-exec timed out");
    t.now = renewedAt + 20_000;
    expect(await lease.mayAct()).toBe(true);
    t.now = renewedAt + 30_000;
    expect(await lease.mayAct()).toBe(false);
    expect(lease.lastError).toMatch(/timed out/);
    // Deposed: no lease at all.
    answer = false;
    expect(await lease.confirm("kci/0")).toBe(false);
    expect(lease.holds()).toBe(false);
  });

  it("starts over for another unit, and after drop()", async () => {
    let n = 0;
    const lease = new LeadershipLease(async () => {
      n++;
      return true;
    });
    await lease.confirm("kci/0");
    await lease.confirm("kci/0");
    await lease.confirm("kci/1");
    expect(n).toBe(2);
    lease.drop();
    expect(lease.holds()).toBe(false);
    await lease.confirm("kci/1");
    expect(n).toBe(3);
  });
});

describe("juju-exec", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir("kci-exec-");
  });
  afterEach(() => dir.cleanup());

  /** A fake juju-exec that records its argv and whether JUJU_CONTEXT_ID reached it. */
  function fakeJujuExec(body: string): string {
    const path = join(dir.dir, "juju-exec");
    writeFileSync(
      path,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir.dir}/argv"\necho "ctx=\${JUJU_CONTEXT_ID:-none}" > "${dir.dir}/env"\n${body}\n`,
    );
    chmodSync(path, 0o755);
    return path;
  }

  it("is-leader: argv, no hook context in the env, the JSON answer", async () => {
    process.env.JUJU_CONTEXT_ID = "kci/0-install-123";
    try {
      const check = jujuExecLeadership({ jujuExec: fakeJujuExec("echo true") });
      expect(await check("kci/0")).toBe(true);
    } finally {
      delete process.env.JUJU_CONTEXT_ID;
    }
    expect(readFileSync(join(dir.dir, "argv"), "utf8")).toBe("-u\nkci/0\nis-leader\n--format=json\n");
    expect(readFileSync(join(dir.dir, "env"), "utf8")).toBe("ctx=none\n");
    expect(await jujuExecLeadership({ jujuExec: fakeJujuExec("echo false") })("kci/0")).toBe(false);
    await expect(jujuExecLeadership({ jujuExec: fakeJujuExec("echo nope") })("kci/0")).rejects.toThrow(
      /answered/,
    );
    await expect(
      jujuExecLeadership({ jujuExec: fakeJujuExec("echo 'ERROR no' >&2; exit 1") })("kci/0"),
    ).rejects.toThrow(/exit 1.*ERROR no/);
    await expect(
      jujuExecLeadership({ jujuExec: fakeJujuExec("exec sleep 5"), timeoutMs: 100 })("kci/0"),
    ).rejects.toThrow(/no answer within 100 ms/);
    await expect(jujuExecLeadership({ jujuExec: join(dir.dir, "absent") })("kci/0")).rejects.toThrow(
      /failed/,
    );
  });

  it("dispatch: one argv element carrying the hook path, as postgresql's observer does", async () => {
    const target = { unit: "kci/0", charmDir: "/var/lib/juju/agents/unit-kci-0/charm" };
    expect(dispatchArgv(target)).toEqual([
      "-u",
      "kci/0",
      "JUJU_DISPATCH_PATH=hooks/workload-changed /var/lib/juju/agents/unit-kci-0/charm/dispatch",
    ]);
    await jujuExecDispatch({ jujuExec: fakeJujuExec("exit 0") })(target);
    expect(readFileSync(join(dir.dir, "argv"), "utf8").split("\n")).toHaveLength(4);
    await expect(jujuExecDispatch({ jujuExec: fakeJujuExec("exit 3") })(target)).rejects.toThrow(/exit 3/);
  });

  it.each([
    { unit: "kci/0", charmDir: "/x; rm -rf /" },
    { unit: "kci/0", charmDir: "relative/charm" },
    { unit: "kci/0", charmDir: "/a/../b" },
    { unit: "kci/0", charmDir: "/a/$(id)" },
    { unit: "kci/0 && id", charmDir: "/a" },
    { unit: "KCI/0", charmDir: "/a" },
  ])("refuses what the unit's shell would interpret: %j", (target) => {
    expect(() => dispatchArgv(target)).toThrow();
  });
});

describe("HealthNotifier", () => {
  const target = { unit: "kci/0", charmDir: "/charm" };
  const failing = { ...QUIET_DIGEST, failed: ["orders#0"] };

  it("dispatches once per change, at most one in flight and one per interval, the newest digest winning", async () => {
    const t = new ManualTimers();
    const started: number[] = [];
    let finish: (() => void) | undefined;
    const n = new HealthNotifier({
      dispatch: () => {
        started.push(t.now);
        return new Promise<void>((r) => (finish = r));
      },
      log: captureLog(),
      timers: t,
      now: t.clock,
      minIntervalMs: 5000,
    });
    n.notify(QUIET_DIGEST, target);
    expect(started).toHaveLength(0); // nothing changed yet
    n.notify(failing, target);
    n.notify(failing, target);
    await flush();
    expect(started).toHaveLength(1);
    n.notify({ ...failing, serving: true }, target); // while in flight: coalesced
    await flush();
    expect(started).toHaveLength(1);
    finish!();
    await flush();
    expect(started).toHaveLength(1); // within the minimum interval
    await t.advance(5000);
    expect(started).toEqual([1_000_000, 1_005_000]);
    finish!();
    await flush();
    // A change that reverts before its turn sends nothing.
    n.notify(QUIET_DIGEST, target);
    n.notify({ ...failing, serving: true }, target);
    await t.advance(10_000);
    expect(started).toHaveLength(2);
    await n.close();
  });

  it("logs a failed dispatch and retries it on the next notify, not in a loop", async () => {
    const t = new ManualTimers();
    let calls = 0;
    const log = captureLog();
    const n = new HealthNotifier({
      dispatch: async () => {
        calls++;
        if (calls === 1) throw new Error("juju-exec: not found");
      },
      log,
      timers: t,
      now: t.clock,
      minIntervalMs: 0,
    });
    n.notify(failing, target);
    await flush();
    await t.advance(60_000);
    expect(calls).toBe(1);
    expect(log.lines.join("\n")).toMatch(/could not dispatch workload-changed: juju-exec: not found/);
    n.notify(failing, target);
    await flush();
    expect(calls).toBe(2);
    n.notify(failing, target);
    await flush();
    expect(calls).toBe(2);
  });
});

describe("healthDigest", () => {
  const snap = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
    version: 1,
    writtenAt: "t",
    generation: 1,
    acting: true,
    pluginServer: { listening: true, port: 1, sha512: "a", downloads: 3, bytesServed: 9 },
    kafkaConnect: { reachable: true },
    connectors: [],
    deleted: [],
    history: {},
    ...over,
  });
  const obs = (state: "RUNNING" | "FAILED", tasks: ("RUNNING" | "FAILED")[]) => ({
    declared: "orders",
    name: "orders_kci_r1_x",
    desired: "running" as const,
    state,
    tasks: tasks.map((s, id) => ({ id, state: s })),
  });

  it("names failed connectors and tasks, give-ups, serving and reachability; ignores counters", () => {
    const d = healthDigest(
      snap({
        connectors: [obs("RUNNING", ["RUNNING", "FAILED"])],
        history: { orders_kci_r1_x: { count: 5, gaveUp: true, total: 5 } },
      }),
    );
    expect(d).toEqual({
      serving: true,
      acting: true,
      reachable: true,
      failed: ["orders_kci_r1_x#1"],
      gaveUp: ["orders_kci_r1_x"],
      converged: false,
      generation: 1,
    });
    const healthy = healthDigest(snap({ connectors: [obs("RUNNING", ["RUNNING"])] }));
    expect(healthy.converged).toBe(true);
    const busier = healthDigest(
      snap({
        connectors: [obs("RUNNING", ["RUNNING"])],
        pluginServer: { listening: true, port: 1, sha512: "a", downloads: 99, bytesServed: 1e9 },
      }),
    );
    expect(busier).toEqual(healthy);
  });

  it("differs for a new declaration even when health is the same (the hook that wrote it showed the old one)", () => {
    const running = { connectors: [obs("RUNNING", ["RUNNING"])] };
    expect(digestKey(healthDigest(snap({ ...running, generation: 2 })))).not.toBe(
      digestKey(healthDigest(snap({ ...running, generation: 1 }))),
    );
  });
});

describe("mergeHistory", () => {
  it("keeps, per connector, the record with the newest restart; ours on a tie", () => {
    const ours = {
      a: { count: 2, lastRestartAt: 200, gaveUp: false, total: 2 },
      b: { count: 1, lastRestartAt: 100, gaveUp: false, total: 1 },
      c: { count: 0, gaveUp: false, total: 0 },
    };
    const theirs = {
      a: { count: 1, lastRestartAt: 100, gaveUp: false, total: 1 },
      b: { count: 3, lastRestartAt: 300, gaveUp: true, total: 3 },
      c: { count: 9, gaveUp: false, total: 9 },
      d: { count: 1, lastRestartAt: 50, gaveUp: false, total: 1 },
    };
    expect(mergeHistory(ours, theirs)).toEqual({ a: ours.a, b: theirs.b, c: ours.c, d: theirs.d });
  });
});

describe("mergeHistory against bad peer data", () => {
  const NOW = 1_700_000_000_000;

  it("never lets a record stamped in the future win: ours stays, and a future time alone is clamped to now", () => {
    const ours = { a: { count: 1, lastRestartAt: NOW - 60_000, gaveUp: false, total: 1 } };
    const theirs = {
      // A year ahead (a bad clock, or a hostile peer): it would win every merge for a year, then keep its
      // gave-up flag on a connector that recovered.
      a: { count: 9, lastRestartAt: NOW + 365 * 86_400_000, gaveUp: true, total: 9 },
      b: { count: 2, lastRestartAt: NOW + 365 * 86_400_000, healthySince: NOW + 1, gaveUp: false, total: 2 },
    };
    const merged = mergeHistory(ours, theirs, NOW);
    expect(merged.a).toEqual(ours.a);
    expect(merged.b).toEqual({ count: 2, lastRestartAt: NOW, healthySince: NOW, gaveUp: false, total: 2 });
    // Merged again later (the next desired generation carries the same peer data): still ours.
    expect(mergeHistory(merged, theirs, NOW + 30_000).a).toEqual(ours.a);
  });

  it("still takes a peer's newer restart a little ahead of our clock (skew between units), clamped to now", () => {
    const ours = { a: { count: 1, lastRestartAt: NOW - 60_000, gaveUp: false, total: 1 } };
    const theirs = { a: { count: 2, lastRestartAt: NOW + 2_000, gaveUp: false, total: 2 } };
    expect(mergeHistory(ours, theirs, NOW).a).toEqual({
      count: 2,
      lastRestartAt: NOW,
      gaveUp: false,
      total: 2,
    });
  });
});

describe("CycleLoop under a flapping desired state", () => {
  it("runs triggered cycles at most once per minimum gap, however fast the triggers come", async () => {
    const timers = new ManualTimers();
    let runs = 0;
    const loop = new CycleLoop({
      run: async () => {
        runs++;
      },
      intervalMs: () => 30_000,
      minGapMs: 1_000,
      timers,
      log: captureLog(),
    });
    try {
      await loop.start();
      // A hook (or something posing as one) rewrites desired.json every 20 ms for 10 s.
      for (let t = 0; t < 10_000; t += 20) {
        loop.trigger();
        await timers.advance(20);
      }
      expect(runs).toBeGreaterThanOrEqual(9);
      expect(runs).toBeLessThanOrEqual(11);
      // And the newest change is not lost: one more cycle once the gap allows.
      const before = runs;
      await timers.advance(1_100);
      expect(runs).toBe(before + 1);
      // runNow (a caller that must wait for a cycle) is never held back.
      await loop.runNow();
      expect(runs).toBe(before + 2);
    } finally {
      await loop.stop();
    }
  });

  it("does not run a long cycle back-to-back with the next when triggers arrive during it", async () => {
    const timers = new ManualTimers();
    let runs = 0;
    let release: (() => void) | undefined;
    const loop = new CycleLoop({
      run: async () => {
        runs++;
        await new Promise<void>((r) => (release = r));
      },
      intervalMs: () => 30_000,
      minGapMs: 1_000,
      timers,
      log: captureLog(),
    });
    try {
      loop.start();
      await flush();
      loop.trigger();
      await timers.advance(100);
      release!();
      await flush();
      expect(runs).toBe(1);
      await timers.advance(999);
      expect(runs).toBe(1);
      await timers.advance(1);
      expect(runs).toBe(2);
    } finally {
      release?.();
      await loop.stop();
    }
  });
});
