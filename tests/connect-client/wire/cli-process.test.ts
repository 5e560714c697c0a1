import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
import { fixturePath } from "../fixtures/cases.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** `connect-client <args>` as a real process: node with tsx, from the repository root. */
function run(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "lib/connect-client/cli.ts", ...args], {
      cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const SEED_PROVIDER = fixturePath("seed-002-provider.yaml");
const SEED_REQUIRER = fixturePath("seed-002-requirer.yaml");

// Concurrent: each test waits on its own child process, so they overlap instead of queueing.
describe.concurrent("connect-client as a process", () => {
  it("validates both seed 002 examples: exit 0", async ({ expect }) => {
    const r = await run(["validate", SEED_PROVIDER, SEED_REQUIRER]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("relation-info[0] (connect_client): valid (provider databag)");
    expect(r.stdout).toContain("relation-info[0] (connect_client): valid (requirer databag)");
  });

  it("real `juju show-unit` output with peers and another interface: only connect_client checked, exit 0", async ({
    expect,
  }) => {
    const showUnit = fixturePath("show-unit-kafka-connect.yaml");
    const r = await run(["validate", showUnit]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const where = `${showUnit} kafka-connect/0`;
    expect(r.stdout).toContain(`${where} relation-info[0] (worker): skipped\n  note: it is a peer relation`);
    expect(r.stdout).toContain(`${where} relation-info[2] (kafka-client): skipped\n`);
    expect(r.stdout).toContain(`${where} relation-info[3] (connect-client): valid (requirer databag)\n`);
    expect(r.stdout).toContain(
      `${where} relation-info[3] (connect-client) unit mysql-connect-integrator/0: valid (requirer unit databag)\n`,
    );
  });

  it("a broken seed variant from stdin: exit 1, the key named on stdout", async ({ expect }) => {
    const broken = `relation-info:
  - endpoint: connect_client
    application-data:
      plugin-url: not-required
      requested-secrets: ["username", "tls-ca"]
`;
    const r = await run(["validate", "-"], broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '  plugin-url: plugin-url "not-required" is not the sentinel: did you mean NOT-REQUIRED?\n',
    );
    expect(r.stdout).toContain('  requested-secrets: requested-secrets lacks "password"');
  });

  it("--json on stdin: machine-readable result", async ({ expect }) => {
    const r = await run(["validate", "--json", "--role", "provider"], '{"endpoints": "http://:8083"}');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      source: "<stdin>",
      valid: false,
      role: "provider",
      problems: [
        { key: "endpoints", message: "endpoints item 1 has no host: write http(s)://<host>[:<port>]" },
        {
          key: "secret-user",
          message:
            "secret-user is missing: the provider must publish secret-user (or, legacy, cleartext username and password)",
        },
      ],
      warnings: [],
      notes: [],
    });
  });

  it("--schema with a charm-relation-interfaces style schema", async ({ expect }) => {
    const r = await run([
      "validate",
      "--schema",
      fixturePath("cri-style-requirer.schema.json"),
      SEED_REQUIRER,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid (schema ");
  });

  it("usage error: exit 2 with the usage on stderr", async ({ expect }) => {
    const r = await run(["validate", "--format", "x"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Unknown option '--format'");
    expect(r.stderr).toContain("Usage: connect-client validate");
  });
});
