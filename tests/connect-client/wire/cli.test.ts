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
const SHOW_UNIT = fixturePath("show-unit-kafka-connect.yaml");
const SU = `${SHOW_UNIT} kafka-connect/0`;
const PEER_NOTE = "it is a peer relation (juju shows local-unit only for those); to check it anyway, pass";
/** What `validate` prints for the show-unit fixture: three entries skipped, the connect_client one checked. */
const SHOW_UNIT_REPORT =
  `${SU} relation-info[0] (worker): skipped\n` +
  `  note: ${PEER_NOTE} --endpoint worker --role provider|requirer\n` +
  `${SU} relation-info[1] (upgrade): skipped\n` +
  `  note: ${PEER_NOTE} --endpoint upgrade --role provider|requirer\n` +
  `${SU} relation-info[2] (kafka-client): skipped\n` +
  "  note: it has keys connect_client does not use (consumer-group-prefix, topic): another interface; " +
  "to check it anyway, pass --endpoint kafka-client\n" +
  `${SU} relation-info[3] (connect-client): valid (requirer databag)\n` +
  `${SU} relation-info[3] (connect-client) unit mysql-connect-integrator/0: valid (requirer unit databag)\n`;

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

describe("connect-client validate: juju show-unit output with other relations", () => {
  it("checks the connect_client entry and its related unit; peers and other interfaces are skipped", async () => {
    expect(await cli(["validate", SHOW_UNIT])).toEqual({ code: 0, stderr: "", stdout: SHOW_UNIT_REPORT });
  });

  it("with --role, the peer and kafka-client entries are still skipped, not reported invalid", async () => {
    expect(await cli(["validate", "--role", "requirer", SHOW_UNIT])).toEqual({
      code: 0,
      stderr: "",
      stdout: SHOW_UNIT_REPORT,
    });
  });

  it("--endpoint picks the entries to check, and nothing is skipped", async () => {
    expect(await cli(["validate", "--endpoint", "connect-client", SHOW_UNIT])).toEqual({
      code: 0,
      stderr: "",
      stdout:
        `${SU} relation-info[3] (connect-client): valid (requirer databag)\n` +
        `${SU} relation-info[3] (connect-client) unit mysql-connect-integrator/0: valid (requirer unit databag)\n`,
    });
  });

  it("--endpoint checks a skipped entry anyway, with the role given", async () => {
    const r = await cli(["validate", "--endpoint", "worker", "--role", "requirer", SHOW_UNIT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${SU} relation-info[0] (worker): invalid (requirer databag)\n  plugin-url: plugin-url is missing`,
    );
    expect(r.stdout).toContain(
      `${SU} relation-info[0] (worker) unit kafka-connect/1: valid (requirer unit databag)`,
    );
  });

  it("--json: skipped entries as {skipped: true, notes}, unit databags with their unit", async () => {
    const r = await cli(["validate", "--json", SHOW_UNIT]);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(results.map((x) => [x["entry"], x["skipped"] ?? x["valid"], x["unit"]])).toEqual([
      ["kafka-connect/0 relation-info[0] (worker)", true, undefined],
      ["kafka-connect/0 relation-info[1] (upgrade)", true, undefined],
      ["kafka-connect/0 relation-info[2] (kafka-client)", true, undefined],
      ["kafka-connect/0 relation-info[3] (connect-client)", true, undefined],
      ["kafka-connect/0 relation-info[3] (connect-client)", true, "mysql-connect-integrator/0"],
    ]);
    expect(results[2]).toEqual({
      source: SHOW_UNIT,
      entry: "kafka-connect/0 relation-info[2] (kafka-client)",
      skipped: true,
      notes: [
        "it has keys connect_client does not use (consumer-group-prefix, topic): another interface; " +
          "to check it anyway, pass --endpoint kafka-client",
      ],
    });
    expect(results[4]).toEqual({
      source: SHOW_UNIT,
      entry: "kafka-connect/0 relation-info[3] (connect-client)",
      unit: "mysql-connect-integrator/0",
      valid: true,
      role: "requirer",
      problems: [],
      warnings: [],
      notes: [],
    });
  });

  it("a related unit's databag is read partially: present connect_client keys must be valid", async () => {
    const doc = `relation-info:
- endpoint: connect-client
  application-data: {plugin-url: NOT-REQUIRED, requested-secrets: '["username", "password"]'}
  related-units:
    mm2/0:
      in-scope: true
      data: {ingress-address: 10.1.1.7, requested-secrets: '["username", "password", "tls", "tls"]'}
    mm2/1:
      in-scope: true
      data: {ingress-address: 10.1.1.8, requested-secrets: '["username"]'}
`;
    const r = await cli(["validate", "-"], { stdin: doc });
    expect(r).toEqual({
      code: 1,
      stderr: "",
      stdout:
        "<stdin> relation-info[0] (connect-client): valid (requirer databag)\n" +
        "<stdin> relation-info[0] (connect-client) unit mm2/0: valid (requirer unit databag)\n" +
        '  warning: requested-secrets item "tls" appears more than once; the repeats are ignored (list each key once)\n' +
        "<stdin> relation-info[0] (connect-client) unit mm2/1: invalid (requirer unit databag)\n" +
        '  requested-secrets: requested-secrets lacks "password": include "username" and "password" so that the ' +
        "provider shares the REST credentials in secret-user\n",
    });
  });

  it("no connect_client entry among several: exit 2, each entry's reason, and the way out", async () => {
    const text = await readFile(SHOW_UNIT, "utf8");
    const withoutClient = text.slice(0, text.indexOf("  - relation-id: 7"));
    const r = await cli(["validate", "x.yaml"], { files: { "x.yaml": withoutClient } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      "connect-client: cannot find a connect_client databag in x.yaml: " +
        "kafka-connect/0 relation-info[0] (worker) is a peer relation (juju shows local-unit only for those); " +
        "kafka-connect/0 relation-info[1] (upgrade) is a peer relation (juju shows local-unit only for those); " +
        "kafka-connect/0 relation-info[2] (kafka-client) has keys connect_client does not use " +
        "(consumer-group-prefix, topic): another interface. " +
        "Pass --endpoint NAME to choose an entry (and --role provider|requirer if its keys do not tell)\n",
    );
  });

  it("entries that are empty or whose keys do not tell are skipped too", async () => {
    const doc = `relation-info:
- endpoint: connect-client
  application-data: {}
- endpoint: other
  application-data: {plugin-url: NOT-REQUIRED, endpoints: "http://a:1"}
- endpoint: legacy
  application-data: {username: u, password: p}
- endpoint: connect-client
  application-data: {endpoints: "http://10.0.0.1:8083", secret-user: "secret:cjqub6vubg2s77p3nio0"}
`;
    const r = await cli(["validate", "-"], { stdin: doc });
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout:
        "<stdin> relation-info[0] (connect-client): skipped\n" +
        "  note: it has an empty application-data; to check it anyway, pass --endpoint connect-client --role provider|requirer\n" +
        "<stdin> relation-info[1] (other): skipped\n" +
        "  note: it has both requirer and provider keys; to check it anyway, pass --endpoint other --role provider|requirer\n" +
        "<stdin> relation-info[2] (legacy): skipped\n" +
        "  note: it has no key that tells a connect_client side; to check it anyway, pass --endpoint legacy --role provider|requirer\n" +
        "<stdin> relation-info[3] (connect-client): valid (provider databag)\n",
    });
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

  it("--endpoint: an unknown endpoint lists the known ones; a plain databag has none", async () => {
    await usage(
      ["validate", "--endpoint", "connect_client", SHOW_UNIT],
      `${SHOW_UNIT} has no relation-info entry for endpoint "connect_client" ` +
        "(its endpoints: worker, upgrade, kafka-client, connect-client)",
    );
    await usage(
      ["validate", "--endpoint", "connect-client", "-"],
      "--endpoint applies to relation-info (juju show-unit output); <stdin> is a databag",
      { stdin: "plugin-url: NOT-REQUIRED\n" },
    );
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
