import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runCli, USAGE, type ValidationResult } from "../../../lib/connect-client/cli.js";
import { fixturePath } from "../fixtures/cases.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process; `files` are virtual files served before the real file system. */
async function cli(
  argv: string[],
  opts: { stdin?: string; files?: Record<string, string> } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => opts.stdin ?? "",
    readFile: async (path) => opts.files?.[path] ?? (await readFile(path, "utf8")),
  });
  return { code, stdout, stderr };
}

const SEED_PROVIDER = fixturePath("seed-002-provider.yaml");
const SEED_REQUIRER = fixturePath("seed-002-requirer.yaml");
const CRI_SCHEMA = fixturePath("cri-style-requirer.schema.json");

describe("connect-client validate: connect_client databags", () => {
  it("both seed examples are valid; the YAML list gets a note", async () => {
    const r = await cli(["validate", SEED_PROVIDER, SEED_REQUIRER]);
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout:
        `${SEED_PROVIDER} relation-info[0] (connect_client): valid (provider databag)\n` +
        `${SEED_REQUIRER} relation-info[0] (connect_client): valid (requirer databag)\n` +
        "  note: requested-secrets: given as a list; read as its JSON text, as Juju holds it (a databag holds strings)\n",
    });
  });

  it("golden bags are valid; the cleartext one with its warning", async () => {
    const names = [
      "golden-requirer-libpatch59.json",
      "golden-requirer-libpatch40-not-required.json",
      "golden-provider-with-data.json",
      "golden-provider-cleartext.json",
    ];
    const r = await cli(["validate", "--json", ...names.map(fixturePath)]);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as ValidationResult[];
    expect(results.map((x) => [x.role, x.valid])).toEqual([
      ["requirer", true],
      ["requirer", true],
      ["provider", true],
      ["provider", true],
    ]);
    expect(results[3]?.warnings).toEqual([
      "legacy: credentials in cleartext; ask the provider to use secrets by sending requested-secrets",
    ]);
  });

  it("an invalid bag: exit 1, one line per problem `key: message`", async () => {
    const stdin = "endpoints: http://10.0.0.1:8083,,ftp://x\nsecret-user: secret:nope\n";
    const r = await cli(["validate", "-"], { stdin });
    expect(r).toEqual({
      code: 1,
      stderr: "",
      stdout:
        "<stdin>: invalid (provider databag)\n" +
        "  endpoints: endpoints item 2 is empty; remove the extra comma (write url1,url2)\n" +
        '  endpoints: endpoints item 3 has the scheme "ftp": use http:// or https://\n' +
        "  secret-user: secret-user has an invalid secret id: a Juju secret id is 20 characters of 0-9 and a-v, ending in 0 or g\n",
    });
  });

  it("--json: one object for one bag, with problems, warnings and notes", async () => {
    const stdin = JSON.stringify({
      "plugin-url": "NOT_REQUIRED",
      "requested-secrets": ["username", "password"],
    });
    const r = await cli(["validate", "--json"], { stdin });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      source: "<stdin>",
      valid: false,
      role: "requirer",
      problems: [
        {
          key: "plugin-url",
          message: 'plugin-url "NOT_REQUIRED" is not the sentinel: did you mean NOT-REQUIRED?',
        },
      ],
      warnings: [],
      notes: [
        "requested-secrets: given as a list; read as its JSON text, as Juju holds it (a databag holds strings)",
      ],
    });
  });

  it("--json: an array when there are several bags, with the relation-info entry named", async () => {
    const r = await cli(["validate", "--json", SEED_PROVIDER, SEED_REQUIRER]);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as ValidationResult[];
    expect(results.map((x) => [x.source, x.entry, x.role, x.valid])).toEqual([
      [SEED_PROVIDER, "relation-info[0] (connect_client)", "provider", true],
      [SEED_REQUIRER, "relation-info[0] (connect_client)", "requirer", true],
    ]);
  });

  it("one invalid bag among valid ones makes the exit status 1", async () => {
    const r = await cli(["validate", SEED_PROVIDER, "bad.yaml"], {
      files: { "bad.yaml": "plugin-url: ftp://x/p.tar\n" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${SEED_PROVIDER} relation-info[0] (connect_client): valid (provider databag)\n`,
    );
    expect(r.stdout).toContain(
      'bad.yaml: invalid (requirer databag)\n  plugin-url: plugin-url has the scheme "ftp"',
    );
  });

  it("--role overrides the inference", async () => {
    const r = await cli(["validate", "--role", "provider", SEED_REQUIRER]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("(provider databag)");
    expect(r.stdout).toContain("  endpoints: endpoints is missing");
  });

  it("an empty value is refused, a null in YAML too", async () => {
    const r = await cli(["validate", "--json"], {
      stdin: 'plugin-url:\nrequested-secrets: \'["username", "password"]\'\n',
    });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as ValidationResult).problems).toEqual([
      { key: "plugin-url", message: "plugin-url is empty; remove the key or give a value" },
    ]);
  });
});

describe("connect-client validate --schema", () => {
  it("a charm-relation-interfaces schema gets {app, unit}", async () => {
    const ok = await cli(["validate", "--schema", CRI_SCHEMA, SEED_REQUIRER]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`valid (schema ${CRI_SCHEMA})`);
    const bad = await cli(["validate", "--schema", CRI_SCHEMA, "--json", SEED_PROVIDER]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      valid: false,
      role: "provider",
      schema: CRI_SCHEMA,
      problems: [{ key: "plugin-url", message: "plugin-url is missing (required by the schema)" }],
    });
  });

  it("the related unit's data is validated as `unit`", async () => {
    const schema = JSON.stringify({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      properties: {
        app: { type: "object" },
        unit: {
          type: "object",
          required: ["ingress-address"],
          properties: { "ingress-address": { format: "ipv4", pattern: "^10\\." } },
        },
      },
    });
    const doc = (address: string) =>
      `relation-info:\n- endpoint: x\n  application-data: {a: b}\n  related-units:\n    other/0:\n      data: {ingress-address: ${address}}\n`;
    const files = { "s.json": schema, "good.yaml": doc("10.0.0.1"), "bad.yaml": doc("192.168.0.1") };
    expect((await cli(["validate", "--schema", "s.json", "good.yaml"], { files })).code).toBe(0);
    const bad = await cli(["validate", "--schema", "s.json", "--json", "bad.yaml"], { files });
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as ValidationResult).problems).toEqual([
      { key: "unit.ingress-address", message: 'unit.ingress-address must match pattern "^10\\."' },
    ]);
  });

  it("our own published schemas, through ajv", async () => {
    const ok = await cli(["validate", "--schema", "schemas/connect_client/v0/provider.json", SEED_PROVIDER]);
    expect(ok.code).toBe(0);
    const bad = await cli(
      ["validate", "--schema", "schemas/connect_client/v0/requirer.json", "--json", "-"],
      {
        stdin: '{"plugin-url": "NOT-REQUIRED", "requested-secrets": "[\\"username\\"]"}',
      },
    );
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as ValidationResult).problems.map((p) => p.key)).toEqual([
      "requested-secrets",
    ]);
  });

  it("a schema for a bag itself (no app/unit) validates the bag; draft-07, draft-06 and 2019-09 work", async () => {
    for (const dialect of [
      "http://json-schema.org/draft-07/schema#",
      "http://json-schema.org/draft-06/schema#",
      "https://json-schema.org/draft/2019-09/schema",
    ]) {
      const files = { "s.json": JSON.stringify({ $schema: dialect, required: ["name"] }) };
      const ok = await cli(["validate", "--schema", "s.json", "-"], { files, stdin: "name: x\n" });
      expect(ok.code, dialect).toBe(0);
      const bad = await cli(["validate", "--schema", "s.json", "-"], { files, stdin: "other: x\n" });
      expect(bad.code, dialect).toBe(1);
      expect(bad.stdout).toContain("  name: name is missing (required by the schema)\n");
    }
  });

  it("no role needed with --schema, even when the keys do not tell", async () => {
    const files = { "s.json": "{}" };
    const r = await cli(["validate", "--schema", "s.json", "--json", "-"], { files, stdin: "x: y\n" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, role: null });
  });
});

describe("connect-client usage errors exit 2", () => {
  const usage = async (
    argv: string[],
    message: string,
    opts: { stdin?: string; files?: Record<string, string> } = {},
  ) => {
    const r = await cli(argv, opts);
    expect(r.code, argv.join(" ")).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  };

  it("bad flags and commands", async () => {
    await usage(["validate", "--bogus"], "Unknown option '--bogus'");
    await usage(
      ["validate", "--role", "consumer", SEED_PROVIDER],
      '--role must be provider or requirer, not "consumer"',
    );
    await usage(["check"], 'unknown command "check"');
    await usage([], "no command given");
    await usage(["validate", "-", "-"], "stdin (-) can be read only once");
  });

  it("a role that cannot be inferred asks for --role", async () => {
    await usage(
      ["validate"],
      "cannot tell whether <stdin> is a provider or a requirer databag: pass --role provider|requirer",
      {
        stdin: "data: x\n",
      },
    );
    await usage(["validate"], "pass --role provider|requirer", {
      stdin: "plugin-url: NOT-REQUIRED\nendpoints: http://a:1\n",
    });
  });

  it("unreadable or unparseable input", async () => {
    await usage(["validate", "no-such-file.yaml"], "cannot read no-such-file.yaml: ENOENT");
    await usage(["validate", "x.yaml"], "x.yaml: not JSON or YAML", { files: { "x.yaml": "a: [" } });
    await usage(["validate", "x.yaml"], "x.yaml: expected a mapping", { files: { "x.yaml": "- a\n" } });
  });

  it("bad schema files", async () => {
    await usage(
      ["validate", "--schema", "none.json", SEED_PROVIDER],
      "--schema: cannot read none.json: ENOENT",
    );
    await usage(["validate", "--schema", "s.json", SEED_PROVIDER], "--schema: s.json is not valid JSON", {
      files: { "s.json": "{" },
    });
    await usage(
      ["validate", "--schema", "s.json", SEED_PROVIDER],
      "--schema: s.json: the schema does not compile",
      {
        files: { "s.json": '{"type": 12}' },
      },
    );
    await usage(["validate", "--schema", "s.json", SEED_PROVIDER], "unsupported JSON Schema dialect", {
      files: { "s.json": '{"$schema": "http://json-schema.org/draft-04/schema#"}' },
    });
    await usage(["validate", "--schema", "s.json", SEED_PROVIDER], "a JSON Schema must be a JSON object", {
      files: { "s.json": "[]" },
    });
  });
});

describe("connect-client --help", () => {
  it("prints the usage and exits 0", async () => {
    for (const argv of [["--help"], ["-h"], ["validate", "--help"]]) {
      expect(await cli(argv)).toEqual({ code: 0, stdout: USAGE, stderr: "" });
    }
  });
});
