import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensurePluginCopy } from "../../../charm/src/plugin.js";
import { computeStatus } from "../../../charm/src/status.js";
import { on, type State } from "../../../lib/testing/index.js";
import { DB_SECRET, Harness, integratedLeader, pluginFile } from "./support.js";

/**
 * Regression tests from an adversarial review: what a careless operator, a hostile config value or a broken
 * workload can hand the hooks. Hook tools take their texts as argv: a NUL byte makes spawn throw and one
 * argument over 128 KiB fails with E2BIG, so either would be a hook error in production (the in-process
 * emulator accepts both, hence the explicit checks on what the charm passed).
 */

const sha512 = (b: Buffer) => createHash("sha512").update(b).digest("hex");
/** C0 and C1 controls and DEL: nothing a status line or a log line should carry raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Far below Linux's 128 KiB per argument; a problem line is meant to be read. */
const MAX_LOG_CHARS = 2_000;

let harness: Harness;
afterEach(() => harness?.close());

function setup(): ReturnType<typeof integratedLeader> {
  const s = integratedLeader();
  harness = s.h;
  return s;
}

function texts(h: Harness, out: State): string[] {
  return [out.unitStatus!.message, ...(h.ctx.last?.logs ?? []).map((l) => l.message)];
}

describe("hostile connectors values: blocked, bounded, one clean line, last good kept", () => {
  const cases: [string, string, string][] = [
    [
      "a 200 KB string as tasks-max",
      `orders:\n  class: x.Y\n  tasks-max: '${"9".repeat(200_000)}'\n`,
      "connectors: orders: tasks-max must be an integer from 1 to 10000",
    ],
    [
      "a 200 KB string as the whole entry",
      `orders: '${"x".repeat(200_000)}'\n`,
      "connectors: orders: expected {class, tasks-max, config, state}",
    ],
    [
      "a 200 KB config key",
      `orders:\n  class: x.Y\n  config:\n    ? ${"k".repeat(200_000)}\n    : 5\n`,
      "connectors: orders: config.kkkk",
    ],
    [
      "a config key holding NUL and an escape sequence",
      'orders:\n  class: x.Y\n  config:\n    "a\\0b\\e[2J": 5\n',
      "connectors: orders: config.a",
    ],
    [
      "a secret reference under a 200 KB config key",
      `orders:\n  class: x.Y\n  config:\n    ? ${"k".repeat(200_000)}\n    : \${secret:d5n1ah7mp25c7ma3ahhg/password}\n`,
      "connectors: orders: config.kkkk",
    ],
    [
      "flow collections nested 50,000 deep",
      `orders: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`,
      "connectors: the YAML nests deeper than",
    ],
  ];

  it("a 200 KB plugin-mode or duration: blocked naming the option, every line bounded", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const good = await h.ctx.run(on.relationChanged(1), base);
    const huge = `x\u0000${"y".repeat(200_000)}`;
    for (const key of ["plugin-mode", "reconcile-interval", "restart-backoff-unit"]) {
      const out = await h.ctx.run(on.configChanged(), { ...good, config: { ...good.config, [key]: huge } });
      expect(out.unitStatus!.status).toBe("blocked");
      expect(out.unitStatus!.message.startsWith(`${key}: `)).toBe(true);
      for (const text of texts(h, out)) {
        expect(text.length).toBeLessThanOrEqual(MAX_LOG_CHARS);
        expect(text).not.toMatch(CONTROL);
      }
    }
  });

  it.each(cases)("%s", async (_name, connectors, message) => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const good = await h.ctx.run(on.relationChanged(1), base);
    const before = h.desired()!;
    const out = await h.ctx.run(on.configChanged(), { ...good, config: { connectors } });
    expect(out.unitStatus!.status).toBe("blocked");
    expect(out.unitStatus!.message).toContain(message);
    for (const text of texts(h, out)) {
      expect(text.length).toBeLessThanOrEqual(MAX_LOG_CHARS);
      expect(text).not.toMatch(CONTROL);
    }
    expect(h.desired()!.connectors).toEqual(before.connectors);
    expect(h.desired()!.kafkaConnect).toEqual(before.kafkaConnect);
  });
});

describe("malformed secret references are refused, never sent to Kafka Connect as text", () => {
  const forms = [
    ["an empty id", `\${secret:}`],
    ["no closing brace", `\${secret:${DB_SECRET}/password`],
    ["a space inside", `\${secret: ${DB_SECRET}/password}`],
    ["an id over 300 characters", `\${secret:${"a".repeat(400)}/password}`],
    ["a reference nested in another", `\${secret:\${secret:${DB_SECRET}/password}/x}`],
  ];

  it.each(forms)("%s", async (_name, value) => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const good = await h.ctx.run(on.relationChanged(1), base);
    const before = h.desired()!;
    const connectors = `orders:\n  class: x.Y\n  config:\n    connection.password: "${value}"\n`;
    const out = await h.ctx.run(on.configChanged(), { ...good, config: { connectors } });
    expect(out.unitStatus!.status).toBe("blocked");
    expect(out.unitStatus!.message).toContain("connectors: orders: config.connection.password: ");
    expect(out.unitStatus!.message).toContain(`write \${secret:<secret id>/<key>}`);
    expect(h.desired()!.connectors).toEqual(before.connectors);
  });

  it("a value that merely mentions a dollar brace stays a plain value", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const connectors = `orders:\n  class: x.Y\n  config:\n    a: "\${file:/etc/kafka/x.properties:pw}"\n`;
    const out = await h.ctx.run(on.relationChanged(1), { ...base, config: { connectors } });
    expect(out.unitStatus!.status).not.toBe("blocked");
    expect(h.desired()!.connectors[0]!.config.a).toBe(`\${file:/etc/kafka/x.properties:pw}`);
  });
});

describe("a hostile status.json", () => {
  it("cannot put control characters or escape sequences into the status line", async () => {
    const { h, sha, base } = setup();
    h.serves(sha);
    const first = await h.ctx.run(on.relationChanged(1), base);
    const orders = h.desired()!.connectors.find((c) => c.declared === "orders")!;
    h.writeSnapshot({
      kafkaConnect: { reachable: true },
      connectors: [
        {
          declared: "orders",
          name: orders.name,
          desired: "running",
          state: "RUNNING",
          tasks: [
            { id: 2, state: "FAILED", trace: "boom\u0000\u001b[2J\u001b]0;owned\u0007 \u0085tail\nsecond" },
          ],
        },
      ],
      history: { [orders.name]: { count: 5, gaveUp: true, total: 5 } },
    });
    const out = await h.ctx.run(on.updateStatus(), first);
    expect(out.unitStatus!.status).toBe("blocked");
    expect(out.unitStatus!.message).toMatch(/^orders task 2 FAILED after 5 restarts: boom/);
    expect(out.unitStatus!.message).not.toMatch(CONTROL);
    expect(out.unitStatus!.message).not.toContain("second");
  });

  it("a cut never leaves half a surrogate pair at the end", () => {
    const status = computeStatus({
      app: "app",
      leader: true,
      port: 8080,
      pluginMode: "serve",
      problems: [{ key: "connectors", message: `connectors: ${"a".repeat(186)}😀😀😀` }],
      plugin: { mode: "serve", published: true },
      relation: { ready: true },
    });
    expect(status.message.length).toBeLessThanOrEqual(200);
    // A lone high surrogate at the end would reach status-set as U+FFFD.
    const last = status.message.charCodeAt(status.message.length - 2);
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
  });
});

describe("a resource that changes while it is copied", () => {
  it("ends with size and sha512 describing exactly the copy the workload serves", async () => {
    harness = new Harness();
    const d = harness.stateDir;
    const src = pluginFile(d, Buffer.alloc(3 * 1024 * 1024, 1), "res.tar");
    let grown = false;
    const copy = await ensurePluginCopy(src, d, undefined, {
      onChunk() {
        if (grown) return;
        grown = true;
        appendFileSync(src, Buffer.alloc(1024 * 1024, 2));
      },
    });
    expect(copy.state).toBe("ready");
    if (copy.state !== "ready") return;
    const served = readFileSync(join(d, "plugin.tar"));
    expect(copy.size).toBe(served.length);
    expect(copy.sha512).toBe(sha512(served));
    // The copy is the settled file, not a torn mix of before and after.
    expect(served.equals(readFileSync(src))).toBe(true);
    expect(statSync(src).size).toBe(4 * 1024 * 1024);
  });
});

describe("charmcraft.yaml: what lands in the prime dir", () => {
  /** craft-parts filesets: entries starting with "-" exclude; with no inclusion, everything is included. */
  const primed = (paths: readonly string[], fileset: readonly string[] | undefined): string[] => {
    const rules = fileset ?? ["*"];
    const inc = rules.filter((r) => !r.startsWith("-"));
    const exc = rules.filter((r) => r.startsWith("-")).map((r) => r.slice(1));
    const under = (p: string, r: string) => r === "*" || p === r || p.startsWith(`${r}/`);
    return paths.filter(
      (p) => (inc.length ? inc.some((r) => under(p, r)) : true) && !exc.some((r) => under(p, r)),
    );
  };

  it("ships the bundles once at the charm root, and node at bin/node where the npm plugin puts it", async () => {
    const yaml = await import("yaml");
    const project = yaml.parse(
      readFileSync(join(import.meta.dirname, "../../../charmcraft.yaml"), "utf8"),
    ) as {
      parts: Record<string, { plugin: string; stage?: string[]; prime?: string[]; [k: string]: unknown }>;
    };
    const { integrator, "charm-root": root } = project.parts;
    expect(integrator).toMatchObject({ plugin: "npm", "npm-include-node": true, "npm-node-version": "20" });
    // What the npm plugin installs: the runtime, npm and headers, our package, and our build output folder.
    const installed = [
      "bin/node",
      "bin/npm",
      "include/node/node.h",
      "lib/node_modules/kafka-connect-charm-kit/package.json",
      "charm-root/charm.mjs",
    ];
    const staged = primed(installed, integrator!.stage);
    expect(staged).toEqual(["bin/node", "charm-root/charm.mjs"]);
    // Only the runtime is primed from it; the build output is not shipped a second time.
    expect(primed(staged, integrator!.prime)).toEqual(["bin/node"]);
    const rootFiles = ["dispatch", "charm.mjs", "workload.mjs", "chunks/a.mjs", "metadata.yaml"];
    expect(primed(rootFiles, root!.prime)).toEqual(rootFiles.slice(0, 4));
  });
});
