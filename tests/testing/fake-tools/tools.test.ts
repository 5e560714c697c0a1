import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type FakeTools,
  installFakeTools,
  JUJU_HOOK_TOOLS,
  measureToolCallCost,
  startToolServer,
  type ToolRequest,
  type ToolServer,
} from "../../../lib/testing/fake-tools/index.js";
import { run } from "./helpers.js";

// The test bed needs a C compiler (the fast fake tools are C); these tests fail, never skip, without one.

/**
 * Echo handler: stdout is the request as JSON. `--exit N` sets the exit code and writes to stderr;
 * the tool "explode" makes the handler throw.
 */
async function echo(req: ToolRequest) {
  if (req.tool === "explode") throw new Error(`kaboom in ${req.contextId}`);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
  const exit = req.args.indexOf("--exit");
  const code = exit >= 0 ? Number(req.args[exit + 1]) : 0;
  return { code, stdout: `${JSON.stringify(req)}\n`, stderr: code ? `ERROR exit ${code} ✗\n` : "" };
}

const TOOLS = ["relation-get", "secret-add", "action-set", "status-set", "explode"];

describe.each([
  { kind: "native", forceFallback: false },
  { kind: "node", forceFallback: true },
] as const)("$kind client", ({ kind, forceFallback }) => {
  let tools: FakeTools;
  let server: ToolServer;
  let env: NodeJS.ProcessEnv;
  let workDir: string;

  beforeAll(async () => {
    tools = await installFakeTools({ tools: TOOLS, forceFallback });
    server = await startToolServer(echo);
    env = { ...process.env, ...tools.env(server.socketPath, `ctx-${kind}`) };
    workDir = realpathSync(await mkdtemp(join(tmpdir(), "kcck-tools-cwd-")));
  });
  afterAll(async () => {
    await server?.close();
    await tools?.cleanup();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Runs a fake tool by bare name (found on PATH) and parses the echoed request. */
  async function call(tool: string, args: string[], stdin?: string | Buffer | "open") {
    const ran = await run(tool, args, { env, cwd: workDir, stdin });
    return { ...ran, req: ran.stdout ? (JSON.parse(ran.stdout) as ToolRequest) : undefined };
  }

  it("installs the expected kind of client", () => {
    expect(tools.kind).toBe(kind);
  });

  it("sends tool name, args, context id and cwd verbatim", async () => {
    const args = [
      "-r",
      "db:7",
      "with space",
      `quotes "double" 'single'`,
      "new\nline",
      "ünïcødé ✓ 🚀",
      "",
      "$HOME",
    ];
    const { code, stderr, req } = await call("relation-get", args);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(req).toEqual({ contextId: `ctx-${kind}`, dir: workDir, tool: "relation-get", args });
  });

  it("takes the tool name from the link it was run as, also by absolute path", async () => {
    const ran = await run(join(tools.binDir, "secret-add"), ["x=1"], { env });
    expect(JSON.parse(ran.stdout)).toMatchObject({ tool: "secret-add", args: ["x=1"] });
  });

  it("forwards stdin for --file - and --file=-", async () => {
    const text = "key: välue ✓\nother: |\n  multi\n";
    const spaced = await call("secret-add", ["--file", "-", "--label", "x"], text);
    expect(spaced.req?.stdin).toBe(text);
    const joined = await call("action-set", ["--file=-"], text);
    expect(joined.req?.stdin).toBe(text);
    const empty = await call("secret-add", ["--file", "-"], "");
    expect(empty.req?.stdin).toBe("");
  });

  it("forwards a large stdin intact", async () => {
    const big = "0123456789abcdef✓".repeat(64 * 1024); // ~1.2 MiB
    const { req } = await call("secret-add", ["--file", "-"], big);
    expect(req?.stdin).toBe(big);
  });

  it("does not read stdin otherwise, even when it never closes", async () => {
    for (const args of [[], ["--file", "/tmp/x"], ["--file"], ["--", "--file", "-"], ["--filex=-"]]) {
      const { code, req } = await call("status-set", args, "open");
      expect(code).toBe(0);
      expect(req?.args).toEqual(args);
      expect(req).not.toHaveProperty("stdin");
    }
  });

  it("passes exit codes and stderr through", async () => {
    for (const n of [1, 2, 42, 255]) {
      const ran = await call("status-set", ["--exit", String(n)]);
      expect(ran.code).toBe(n);
      expect(ran.stderr).toBe(`ERROR exit ${n} ✗\n`);
      expect(ran.req?.args).toEqual(["--exit", String(n)]);
    }
  });

  it("reports a throwing handler as ERROR with code 1", async () => {
    const ran = await call("explode", []);
    expect(ran).toMatchObject({ code: 1, stdout: "", stderr: `ERROR kaboom in ctx-${kind}\n` });
  });

  it("fails cleanly without the socket variable, the context id, or a listening agent", async () => {
    const tool = join(tools.binDir, "relation-get");
    const noSocket = { ...env, JUJU_AGENT_SOCKET_ADDRESS: undefined };
    expect(await run(tool, [], { env: noSocket })).toEqual({
      code: 1,
      stdout: "",
      stderr: "ERROR JUJU_AGENT_SOCKET_ADDRESS not set\n",
    });
    const noContext = { ...env, JUJU_CONTEXT_ID: undefined };
    expect(await run(tool, [], { env: noContext })).toEqual({
      code: 1,
      stdout: "",
      stderr: "ERROR JUJU_CONTEXT_ID not set\n",
    });
    const missing = join(workDir, "no-such.sock");
    expect(await run(tool, [], { env: { ...env, JUJU_AGENT_SOCKET_ADDRESS: missing } })).toEqual({
      code: 1,
      stdout: "",
      stderr: `ERROR cannot connect to the Juju agent at ${missing}: No such file or directory\n`,
    });
  });

  it("handles concurrent calls", async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => call("relation-get", [`unit/${i}`, "--exit", String(i % 4)])),
    );
    results.forEach((r, i) => {
      expect(r.code).toBe(i % 4);
      expect(r.req?.args).toEqual([`unit/${i}`, "--exit", String(i % 4)]);
    });
  });

  it("cannot connect once the server is closed (its socket is gone)", async () => {
    const other = await startToolServer(echo);
    await other.close();
    const ran = await run("relation-get", [], {
      env: { ...env, JUJU_AGENT_SOCKET_ADDRESS: other.socketPath },
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(
      `ERROR cannot connect to the Juju agent at ${other.socketPath}: No such file or directory\n`,
    );
  });
});

describe("native and node clients agree", () => {
  it("produce identical results for the same calls", { timeout: 30_000 }, async () => {
    const native = await installFakeTools({ tools: TOOLS });
    const node = await installFakeTools({ tools: TOOLS, forceFallback: true });
    const server = await startToolServer(echo);
    const cwd = realpathSync(tmpdir());
    try {
      expect([native.kind, node.kind]).toEqual(["native", "node"]);
      const cases: [string, string[], string | undefined][] = [
        ["relation-get", ["-r", "db:1", "--format=json", "a b", "✓\n"], undefined],
        ["secret-add", ["--file", "-"], "binary-ish \u0001\u00ff ✓\n"],
        ["action-set", ["--file=-", "k=v"], ""],
        ["status-set", ["--exit", "3"], undefined],
        ["status-set", [], "ignored stdin"],
        ["explode", ["x"], undefined],
      ];
      for (const [tool, args, stdin] of cases) {
        const viaNative = await run(join(native.binDir, tool), args, {
          env: { ...process.env, ...native.env(server.socketPath, "same") },
          cwd,
          stdin,
        });
        const viaNode = await run(join(node.binDir, tool), args, {
          env: { ...process.env, ...node.env(server.socketPath, "same") },
          cwd,
          stdin,
        });
        expect(viaNode).toEqual(viaNative);
      }
      for (const env of [
        { JUJU_CONTEXT_ID: "x" },
        { JUJU_AGENT_SOCKET_ADDRESS: "/nonexistent/agent.sock", JUJU_CONTEXT_ID: "x" },
      ]) {
        const viaNative = await run(join(native.binDir, "relation-get"), [], {
          env: { PATH: process.env.PATH, ...env },
        });
        const viaNode = await run(join(node.binDir, "relation-get"), [], {
          env: { PATH: process.env.PATH, ...env },
        });
        expect(viaNode).toEqual(viaNative);
      }
    } finally {
      await server.close();
      await native.cleanup();
      await node.cleanup();
    }
  });
});

describe("installFakeTools", () => {
  it("links every Juju hook tool to one cached native binary and builds the env", async () => {
    const tools = await installFakeTools();
    try {
      expect(tools.kind).toBe("native");
      const targets = new Set(JUJU_HOOK_TOOLS.map((t) => readlinkSync(join(tools.binDir, t))));
      expect(targets.size).toBe(1);
      const [binary] = targets;
      expect(binary).toMatch(new RegExp(`^${tmpdir()}/kcck-jujuc-[0-9a-f]{16}/jujuc$`));
      expect(lstatSync(binary!).mode & 0o111).not.toBe(0);
      const env = tools.env("/s.sock", "ctx");
      expect(env).toEqual({
        PATH: `${tools.binDir}:${process.env.PATH}`,
        JUJU_AGENT_SOCKET_ADDRESS: "/s.sock",
        JUJU_CONTEXT_ID: "ctx",
      });
      // A second install reuses the cached binary.
      const again = await installFakeTools({ tools: ["is-leader"] });
      expect(readlinkSync(join(again.binDir, "is-leader"))).toBe(binary);
      await again.cleanup();
    } finally {
      await tools.cleanup();
    }
    expect(existsSync(tools.binDir)).toBe(false);
  });

  it("installs into a given dir, replacing existing links, and leaves the dir on cleanup", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kcck-bin-test-"));
    try {
      await installFakeTools({ dir, tools: ["is-leader"], forceFallback: true });
      const tools = await installFakeTools({ dir, tools: ["is-leader", "juju-log"] });
      expect(tools.binDir).toBe(dir);
      for (const t of ["is-leader", "juju-log"]) expect(lstatSync(join(dir, t)).isSymbolicLink()).toBe(true);
      await tools.cleanup();
      expect(existsSync(join(dir, "is-leader"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("falls back to the node client, announcing it once, when the compiler fails", async () => {
    vi.resetModules(); // a fresh module has no memoised build
    vi.stubEnv("CC", "/nonexistent/cc"); // part of the cache key, so this is a cache miss and a failed build
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { installFakeTools: fresh } = await import("../../../lib/testing/fake-tools/install.js");
    const first = await fresh({ tools: ["is-leader"] });
    const second = await fresh({ tools: ["is-leader"] });
    try {
      expect([first.kind, second.kind]).toEqual(["node", "node"]);
      const messages = stderr.mock.calls
        .map((c) => String(c[0]))
        .filter((m) => m.includes("fake hook tools"));
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/cannot build the native client .*; using the slow Node fallback\n$/);
      const server = await startToolServer(() => ({ code: 0, stdout: "True\n", stderr: "" }));
      try {
        const ran = await run("is-leader", [], {
          env: { ...process.env, ...first.env(server.socketPath, "c") },
        });
        expect(ran).toEqual({ code: 0, stdout: "True\n", stderr: "" });
      } finally {
        await server.close();
      }
    } finally {
      stderr.mockRestore();
      vi.unstubAllEnvs();
      await first.cleanup();
      await second.cleanup();
    }
  });

  it("jujuc.c compiles cleanly with strict warnings", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kcck-cc-test-"));
    try {
      const source = fileURLToPath(new URL("../../../lib/testing/fake-tools/jujuc.c", import.meta.url));
      const flags = ["-O2", "-Wall", "-Wextra", "-Werror", "-std=c11"];
      expect(() =>
        execFileSync("cc", [...flags, "-o", join(dir, "jujuc"), source], { stdio: "pipe" }),
      ).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects tool names that are not plain file names", async () => {
    await expect(installFakeTools({ tools: ["../evil"], forceFallback: true })).rejects.toThrow(
      /invalid tool name/,
    );
  });
});

describe("measureToolCallCost", () => {
  it("reports the client kind and per-call timings", async () => {
    const cost = await measureToolCallCost(5);
    expect(cost.kind).toBe("native");
    expect(cost.samples).toHaveLength(5);
    for (const s of cost.samples) expect(s).toBeGreaterThan(0);
    const sorted = [...cost.samples].sort((a, b) => a - b);
    expect(cost.medianMs).toBe(sorted[2]);
    expect(cost.p95Ms).toBe(sorted[4]);
  });
});
