import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileJsonSchema } from "../../lib/connect-client/wire/ajv.js";
import { Context, on, type State, secretId } from "../../lib/testing/index.js";
import { integratorCharm, integratorMeta, kafkaConnectCharm, kafkaConnectMeta } from "./support/charms.js";

/**
 * Interface tests in the charm-relation-interfaces style: a State goes in, one relation event runs, and the
 * local application databag that comes out must be valid against the published schema of that role.
 */

const schemaDir = join(import.meta.dirname, "..", "..", "schemas", "connect_client", "v0");
const validator = (role: "provider" | "requirer") =>
  compileJsonSchema(JSON.parse(readFileSync(join(schemaDir, `${role}.json`), "utf8")));

const USER_SECRET = secretId();

describe("connect_client requirer (interface test)", () => {
  const ctx = new Context(integratorCharm, integratorMeta);
  const cases: [string, State][] = [
    ["a plugin URL", { leader: true, relations: [{ id: 1, endpoint: "connect-client", remoteApp: "kc" }] }],
    [
      "NOT-REQUIRED (MirrorMaker style)",
      {
        leader: true,
        config: { "plugin-url": "NOT-REQUIRED" },
        relations: [{ id: 1, endpoint: "connect-client", remoteApp: "kc" }],
      },
    ],
    [
      "extra requested secrets",
      {
        leader: true,
        config: { "extra-secrets": "mtls-cert,entity-name" },
        relations: [{ id: 1, endpoint: "connect-client", remoteApp: "kc" }],
      },
    ],
  ];

  it.each(cases)("relation-created with %s → a schema-valid requirer databag", async (_name, state) => {
    const out = await ctx.run(on.relationCreated(1), state);
    const bag = out.relations![0]!.localAppData!;
    expect(Object.keys(bag).sort()).toEqual(["plugin-url", "requested-secrets"]);
    expect((await validator("requirer"))({ app: bag })).toEqual([]);
  });

  it("relation-changed from a provider that published everything keeps the databag valid", async () => {
    const out = await ctx.run(on.relationChanged(1), {
      leader: true,
      relations: [
        {
          id: 1,
          endpoint: "connect-client",
          remoteApp: "kc",
          remoteAppData: { endpoints: "http://10.0.0.1:8083", "secret-user": `secret:${USER_SECRET}` },
        },
      ],
      secrets: [
        {
          id: USER_SECRET,
          from: { app: "kc", relationId: 1 },
          revisions: { 1: { username: "relation-1", password: "pw-0123456789" } },
        },
      ],
    });
    expect((await validator("requirer"))({ app: out.relations![0]!.localAppData })).toEqual([]);
    expect(out.unitStatus).toEqual({ status: "active", message: "connected to 1 endpoints" });
  });

  it("the schema refuses what the requirer must never write (so the test above can fail)", async () => {
    const problems = (await validator("requirer"))({ app: { "plugin-url": "not-required" } });
    expect(problems.map((p) => p.key)).toContain("plugin-url");
  });
});

describe("connect_client provider (interface test)", () => {
  const ctx = new Context(kafkaConnectCharm, kafkaConnectMeta);
  const requirerBags: [string, Record<string, string>][] = [
    [
      "the newer Python library (LIBPATCH 59)",
      {
        "plugin-url": "http://10.1.1.200:8080/api/v1/plugin",
        "provided-secrets": '["mtls-cert"]',
        "requested-secrets":
          '["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]',
      },
    ],
    [
      "the deployed Python library, MirrorMaker style (LIBPATCH 40)",
      {
        "plugin-url": "NOT-REQUIRED",
        "requested-secrets": '["username", "password", "tls", "tls-ca", "uris"]',
      },
    ],
    ["a legacy requirer that requests no secrets", { "plugin-url": "http://10.1.1.200:8080/plugin" }],
  ];

  it.each(requirerBags)("relation-changed from %s → a schema-valid provider databag", async (_name, bag) => {
    const out = await ctx.run(on.relationChanged(1), {
      leader: true,
      config: { "tls-ca": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
      relations: [{ id: 1, endpoint: "connect-client", remoteApp: "integrator", remoteAppData: bag }],
    });
    const published = out.relations![0]!.localAppData!;
    expect(published.endpoints).toBe("http://10.0.0.1:8083,http://10.0.0.2:8083");
    expect((await validator("provider"))({ app: published })).toEqual([]);
  });

  it("before the requirer has written plugin-url, nothing is published (and nothing invalid either)", async () => {
    const out = await ctx.run(on.relationChanged(1), {
      leader: true,
      relations: [{ id: 1, endpoint: "connect-client", remoteApp: "integrator" }],
    });
    expect(out.relations![0]!.localAppData ?? {}).toEqual({});
    expect(out.secrets ?? []).toEqual([]);
  });
});
