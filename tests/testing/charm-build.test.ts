import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlackBoxContext, buildCharm, on, secretId } from "../../lib/testing/index.js";
import { buildExample, EXAMPLE_DIR, exampleMeta } from "../support/example.js";

let built: Awaited<ReturnType<typeof buildExample>>;
beforeAll(async () => {
  built = await buildExample();
});
afterAll(() => built?.cleanup());

describe("buildCharm", () => {
  it("writes a dispatch whose last token is an executable file, as charmcraft's linter wants", () => {
    const dispatch = readFileSync(built.dispatch, "utf8").trim().split("\n");
    const last = dispatch[dispatch.length - 1]!.trim().split(/\s+/).pop()!;
    const target = join(dirname(built.dispatch), last);
    expect(statSync(target).mode & 0o111).not.toBe(0);
    expect(statSync(built.dispatch).mode & 0o111).not.toBe(0);
    expect(readFileSync(target, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("makes one file that every hook loads: only node builtins are imported statically", () => {
    const bundle = readFileSync(join(dirname(built.dispatch), "charm.mjs"), "utf8");
    const statics = [...bundle.matchAll(/(?:^|\n)import\s[^;]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(statics.length).toBeGreaterThan(0);
    expect(statics.every((s) => s?.startsWith("node:"))).toBe(true);
    // charmcraft metadata is inlined at build time: no YAML parser in the hook's path
    expect(bundle).toContain('"example-charm"');
    expect(bundle).not.toMatch(/from ["']yaml["']/);
  });

  it("a non-action hook never loads the on-demand chunks (they can be missing)", async () => {
    const chunks = join(dirname(built.dispatch), "chunks");
    expect(readdirSync(chunks).length).toBeGreaterThan(0);
    const copy = await buildExample();
    const ctx = new BlackBoxContext(copy.dispatch, exampleMeta);
    try {
      rmSync(join(dirname(copy.dispatch), "chunks"), { recursive: true });
      const id = secretId();
      const state = await ctx.run(on.relationChanged(1), {
        relations: [
          {
            id: 1,
            endpoint: "db",
            remoteApp: "pg",
            remoteAppData: { endpoint: "pg:1", "secret-user": `secret:${id}` },
          },
        ],
        secrets: [
          { id, from: { app: "pg", relationId: 1 }, revisions: { 1: { username: "u", password: "pw-123" } } },
        ],
      });
      expect(state.unitStatus?.status).toBe("active");
      // an action needs the ajv chunk, so without it the action fails
      await expect(ctx.run(on.action("greet", { name: "a" }), {})).rejects.toThrow(
        /Cannot find module|ERR_MODULE_NOT_FOUND/,
      );
    } finally {
      await ctx.close();
      copy.cleanup();
    }
  });

  it("run by hand without Juju's environment, the charm exits 1 naming the missing variable", () => {
    const r = spawnSync(built.dispatch, [], {
      cwd: dirname(built.dispatch),
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'ERROR ContextError: every hook needs JUJU_DISPATCH_PATH (the hook or action being run, e.g. "hooks/install"), but it is not set\n',
    );
  });
});

describe("buildCharm with programs and dynamic imports", () => {
  it("splits what a charm imports dynamically into chunks, and builds each program as an executable", async () => {
    // Inside the project, so the charm's imports resolve from its node_modules.
    const build = join(import.meta.dirname, "..", "..", ".build");
    mkdirSync(build, { recursive: true });
    const dir = mkdtempSync(join(build, "charm-split-"));
    try {
      // A charm that needs a big parser in one hook only, and a service it ships alongside.
      writeFileSync(
        join(dir, "charm.ts"),
        'export async function rare() { const { parse } = await import("yaml"); return parse("a: 1"); }\n' +
          "console.log(typeof rare);\n",
      );
      writeFileSync(join(dir, "service.ts"), 'console.log("service up");\n');
      const out = join(dir, "out");
      await buildCharm({
        entry: join(dir, "charm.ts"),
        charmDir: EXAMPLE_DIR,
        outDir: out,
        programs: { service: join(dir, "service.ts") },
      });
      const charm = readFileSync(join(out, "charm.mjs"), "utf8");
      // The parser is not in the hook's file: it is a chunk, loaded by import() only when called.
      expect(charm).not.toContain("YAMLParseError");
      expect(charm).toMatch(/import\("\.\/chunks\/[^"]+\.mjs"\)/);
      const chunks = readdirSync(join(out, "chunks"));
      expect(
        chunks.some((c) => readFileSync(join(out, "chunks", c), "utf8").includes("YAMLParseError")),
      ).toBe(true);
      expect(statSync(join(out, "service.mjs")).mode & 0o111).not.toBe(0);
      const r = spawnSync(join(out, "service.mjs"), [], { encoding: "utf8" });
      expect(r.stdout).toBe("service up\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("BlackBoxContext env", () => {
  it("hands the machine's extra variables to the charm process; Juju's own win", async () => {
    const build = join(import.meta.dirname, "..", "..", ".build");
    mkdirSync(build, { recursive: true });
    const dir = mkdtempSync(join(build, "charm-env-"));
    const juju = join(import.meta.dirname, "..", "..", "lib", "juju", "index.js");
    writeFileSync(
      join(dir, "charm.ts"),
      `import meta from "virtual:charm-meta";\nimport { runCharm } from ${JSON.stringify(juju)};\n` +
        "await runCharm(async (h) => { await h.log.info('probe=' + process.env.KCI_PROBE + ' unit=' + process.env.JUJU_UNIT_NAME); }, meta);\n",
    );
    const built = await buildCharm({
      entry: join(dir, "charm.ts"),
      charmDir: EXAMPLE_DIR,
      outDir: join(dir, "out"),
    });
    const ctx = new BlackBoxContext(built.dispatch, exampleMeta, {
      env: { KCI_PROBE: "here", JUJU_UNIT_NAME: "impostor/9" },
    });
    try {
      await ctx.run(on.install(), {});
      expect(ctx.last!.logs.map((l) => l.message)).toContain("probe=here unit=example-charm/0");
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("buildCharm: on-demand dependencies from inside a chunk", () => {
  it("an action whose runtime code landed in a shared chunk still loads ajv to check its params", async () => {
    const build = join(import.meta.dirname, "..", "..", ".build");
    mkdirSync(build, { recursive: true });
    const dir = mkdtempSync(join(build, "charm-ajv-"));
    const juju = JSON.stringify(join(import.meta.dirname, "..", "..", "lib", "juju", "index.js"));
    // The charm loads its actions on demand, and both use the runtime: esbuild puts the runtime (and its
    // lazy import of ajv) in a chunk of its own, under chunks/.
    writeFileSync(
      join(dir, "charm.ts"),
      `import meta from "virtual:charm-meta";\nimport { runCharm } from ${juju};\n` +
        'await runCharm(async (h) => { if (h.action) (await import("./actions.ts")).greet(h); }, meta);\n',
    );
    writeFileSync(
      join(dir, "actions.ts"),
      `import type { Hook } from ${juju};\nimport { NotFoundError } from ${juju};\n` +
        "export async function greet(h: Hook) {\n" +
        "  const p = await h.action!.params<{ name: string }>();\n" +
        "  await h.action!.set({ message: 'hello ' + p.name, kind: typeof NotFoundError });\n}\n",
    );
    const built = await buildCharm({
      entry: join(dir, "charm.ts"),
      charmDir: EXAMPLE_DIR,
      outDir: join(dir, "out"),
    });
    const ctx = new BlackBoxContext(built.dispatch, exampleMeta);
    try {
      await ctx.run(on.action("greet", { name: "ada" }), {});
      expect(ctx.last!.actionResults).toMatchObject({ message: "hello ada" });
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
