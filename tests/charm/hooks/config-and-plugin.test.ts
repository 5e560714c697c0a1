import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as yaml from "yaml";
import { parseConnectorsText } from "../../../charm/src/config/connectors.js";
import { parseDuration, parseOptions } from "../../../charm/src/config/options.js";
import { declarationsFor, PARSE_CACHE_FILE } from "../../../charm/src/config/parse-cache.js";
import { findSecretRefs, resolveDeclarations } from "../../../charm/src/config/secret-refs.js";
import {
  ensurePluginCopy,
  expectedReprDigest,
  pluginUrlFor,
  probePluginServer,
  servesTarball,
} from "../../../charm/src/plugin.js";
import { digestHeaders, parsePluginUrl } from "../../../lib/connect-client/plugin-fetcher/index.js";

let dir: string;
let server: Server | undefined;
afterEach(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});
const tmp = () => (dir = mkdtempSync(join(tmpdir(), "kci-cfg-")));

describe("options", () => {
  it("durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m30s")).toBe(150_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("fast")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });

  it("defaults, and a bad option keeps its fallback while the others apply", () => {
    const { options, problems } = parseOptions(
      { "plugin-port": 9090, "reconcile-interval": "1s", "max-restarts": 0, "auto-restart": false },
      "app",
    );
    expect(options.port).toBe(9090);
    expect(options.reconcileIntervalMs).toBe(30_000);
    expect(options.restartPolicy).toEqual({ enabled: false, maxRestarts: 0, backoffUnitMs: 60_000 });
    expect(problems).toEqual([
      {
        key: "reconcile-interval",
        message: "reconcile-interval: 1s is outside 5s to 1h: juju config app reconcile-interval=30s",
      },
    ]);
  });
});

describe("the connectors option", () => {
  it("a JDBC declaration with defaults", () => {
    const parsed = parseConnectorsText(
      "orders:\n  class: io.aiven.connect.jdbc.JdbcSinkConnector\n  config:\n    topics: orders\n",
      yaml,
    );
    expect(parsed).toMatchObject({
      ok: true,
      declarations: [
        {
          declared: "orders",
          className: "io.aiven.connect.jdbc.JdbcSinkConnector",
          tasksMax: 1,
          state: "running",
          config: { topics: "orders" },
        },
      ],
    });
  });

  it("the declaration hash ignores key order and follows any change", () => {
    const one = parseConnectorsText("a:\n  class: X\n  config: {p: '1', q: '2'}\n", yaml);
    const two = parseConnectorsText("a:\n  config: {q: '2', p: '1'}\n  class: X\n", yaml);
    const three = parseConnectorsText("a:\n  class: X\n  config: {p: '1', q: '3'}\n", yaml);
    const hash = (p: typeof one) => (p.ok ? p.declarations[0]!.declarationHash : "");
    expect(hash(one)).toBe(hash(two));
    expect(hash(one)).not.toBe(hash(three));
  });

  it("refuses names Kafka Connect URLs would mangle, duplicate keys, unknown keys and too many connectors", () => {
    const bad = (text: string) => {
      const p = parseConnectorsText(text, yaml);
      return p.ok ? [] : p.problems.map((x) => x.message);
    };
    expect(bad("'a b':\n  class: X\n")[0]).toContain('"a b" is not a connector name');
    expect(bad("a:\n  class: X\na:\n  class: Y\n")[0]).toContain("connectors: invalid YAML at line");
    expect(bad("a:\n  class: X\n  tasks: 2\n")).toEqual([
      'connectors: a: unknown key "tasks" (class, tasks-max, config or state)',
    ]);
    expect(bad("a:\n  class: X\n  tasks-max: 0\n")[0]).toContain("tasks-max must be an integer from 1");
    expect(bad("- a\n- b\n")).toEqual([
      "connectors: expected a map of connector name to {class, tasks-max, config, state}, got a list",
    ]);
    const many = Array.from({ length: 501 }, (_, i) => `c${i}:\n  class: X\n`).join("");
    expect(bad(many)).toEqual(["connectors: 501 connectors declared, over the limit of 500"]);
    expect(bad("a:\n  class: X\n  config:\n    __proto__: x\n")[0]).toContain(
      "config.__proto__ is not allowed here",
    );
  });

  it("the YAML parser runs only when the text changed (cached by sha256 in the state dir)", async () => {
    const d = tmp();
    const text = "a:\n  class: X\n";
    expect((await declarationsFor(text, d)).parsedNow).toBe(true);
    expect((await declarationsFor(text, d)).parsedNow).toBe(false);
    expect((await declarationsFor(`${text}b:\n  class: Y\n`, d)).parsedNow).toBe(true);
    expect(statSync(join(d, PARSE_CACHE_FILE)).mode & 0o777).toBe(0o600);
    // A corrupt cache is re-parsed, not trusted.
    writeFileSync(join(d, PARSE_CACHE_FILE), "{not json");
    const again = await declarationsFor(text, d);
    expect(again.parsedNow).toBe(true);
    expect(again.parsed.ok).toBe(true);
  });
});

describe("secret references", () => {
  const ID = "d5n1ah7mp25c7ma3ahhg";
  it("finds every form of the id, and refuses what is not a reference", () => {
    expect(findSecretRefs(`u:\${secret:${ID}/user}@h/\${secret:secret:${ID}/password}`).refs).toEqual([
      { id: ID, key: "user" },
      { id: ID, key: "password" },
    ]);
    expect(
      findSecretRefs(`\${secret:secret://0b2c9a7e-6c4e-4c8e-9d3f-1a2b3c4d5e6f/${ID}/pw-key}`).refs,
    ).toEqual([{ id: ID, key: "pw-key" }]);
    const notARef = `\${secret:nope/password}`;
    expect(findSecretRefs(notARef).invalid).toEqual([notARef]);
  });

  it("substitutes in one pass: a secret value that looks like a reference is never expanded", async () => {
    const declarations = [
      {
        declared: "a",
        className: "X",
        tasksMax: 1,
        state: "running" as const,
        declarationHash: "h",
        config: { url: `jdbc://\${secret:${ID}/user}:\${secret:${ID}/password}@db` },
      },
    ];
    const result = await resolveDeclarations(
      declarations,
      { app: "app", relation: 1, modelUuid: "0b2c9a7e-6c4e-4c8e-9d3f-1a2b3c4d5e6f" },
      async () => ({
        ok: true,
        content: { user: "bob", password: `\${secret:${ID}/user}$&` },
      }),
    );
    expect(result.ok && result.connectors[0]!.config.url).toBe(`jdbc://bob:\${secret:${ID}/user}$&@db`);
    expect(result.ok && result.connectors[0]!.secretKeys).toEqual(["url"]);
  });
});

describe("the plugin copy", () => {
  it("copies with sha512 and size, and skips the copy when the resource did not change", async () => {
    const d = tmp();
    const content = Buffer.alloc(3 * 1024 * 1024 + 7, 7);
    const src = join(d, "res.tar");
    writeFileSync(src, content);
    const first = await ensurePluginCopy(src, d);
    expect(first).toEqual({
      state: "ready",
      path: join(d, "plugin.tar"),
      sha512: createHash("sha512").update(content).digest("hex"),
      size: content.length,
    });
    const copiedAt = statSync(join(d, "plugin.tar")).mtimeMs;
    await ensurePluginCopy(src, d);
    expect(statSync(join(d, "plugin.tar")).mtimeMs).toBe(copiedAt);
    // Same size, new content, new mtime: copied again.
    writeFileSync(src, Buffer.alloc(content.length, 8));
    utimesSync(src, new Date(), new Date(Date.now() + 5000));
    const second = await ensurePluginCopy(src, d);
    expect(second.state === "ready" && second.sha512).not.toBe(first.state === "ready" && first.sha512);
  });

  it("refuses a resource over the bound without copying it", async () => {
    const d = tmp();
    const src = join(d, "res.tar");
    writeFileSync(src, Buffer.alloc(2048, 1));
    expect(await ensurePluginCopy(src, d, 1024)).toEqual({ state: "too-big", size: 2048 });
  });
});

describe("the probe and the URL", () => {
  it("HEADs the unit's server and recognises the right Repr-Digest", async () => {
    const sha = createHash("sha512").update("x").digest("hex");
    server = createServer((req, res) => {
      res
        .writeHead(req.method === "HEAD" && req.url === "/api/v1/plugin" ? 200 : 404, digestHeaders(sha))
        .end();
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const probe = await probePluginServer((server.address() as AddressInfo).port);
    expect(probe).toEqual({ status: 200, reprDigest: expectedReprDigest(sha) });
    expect(servesTarball(probe, sha)).toBe(true);
    expect(servesTarball(probe, "0".repeat(128))).toBe(false);
  });

  it("a port where nothing listens, or a server that never answers, is status 0 within the bound", async () => {
    server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    expect(await probePluginServer(port, 200)).toEqual({ status: 0 });
    server.closeAllConnections();
  });

  it("the published URL carries the sha512 pin our fetcher checks", () => {
    const sha = "a".repeat(128);
    const url = pluginUrlFor("10.1.2.3", 8080, sha);
    expect(url).toBe(`http://10.1.2.3:8080/api/v1/plugin#sha512=${sha}`);
    expect(parsePluginUrl(url)).toEqual({ fetchUrl: "http://10.1.2.3:8080/api/v1/plugin", sha512: sha });
    expect(pluginUrlFor("fd00::1", 8080, sha)).toBe(`http://[fd00::1]:8080/api/v1/plugin#sha512=${sha}`);
  });
});

describe("the child-process supervisor's environment", () => {
  it("drops Juju's hook variables, so the workload's juju-exec is not refused as a hook", async () => {
    const { workloadEnv } = await import("../../../charm/src/service.js");
    expect(
      workloadEnv({ PATH: "/bin", JUJU_CONTEXT_ID: "x/1", JUJU_UNIT_NAME: "a/0", KCI_STATE_DIR: "/s" }),
    ).toEqual({
      PATH: "/bin",
      KCI_STATE_DIR: "/s",
    });
  });
});
