import { describe, expect, it } from "vitest";
import { ConnectClientRequirer, restClientOptions } from "../../lib/connect-client/index.js";
import {
  Context,
  on,
  type RelationState,
  type SecretState,
  type State,
  secretId,
} from "../../lib/testing/index.js";
import { integratorCharm, integratorMeta, kafkaConnectCharm, kafkaConnectMeta } from "./support/charms.js";

/**
 * What each side does with what the other side wrote, one State at a time: the exact status a person reads
 * when something is missing or wrong, and that nothing is written or lost when it is.
 */

const USER = secretId();
const TLS = secretId();
const rel = (remoteAppData: Record<string, string>, extra: Partial<RelationState> = {}): RelationState => ({
  id: 4,
  endpoint: "connect-client",
  remoteApp: "kc",
  remoteAppData,
  ...extra,
});
const consumed = (id: string, content: Record<string, string>): SecretState => ({
  id,
  from: { app: "kc", relationId: 4 },
  revisions: { 1: content },
});

describe("the integrator's status for what the provider published", () => {
  const ctx = new Context(integratorCharm, integratorMeta);
  const cases: [string, State, { status: string; message: string }][] = [
    [
      "no relation",
      { leader: true },
      {
        status: "waiting",
        message: "no connect-client relation: integrate this application with a Kafka Connect charm",
      },
    ],
    [
      "nothing published yet",
      { relations: [rel({})] },
      {
        status: "waiting",
        message: "waiting for the Kafka Connect provider to publish endpoints on connect-client:4",
      },
    ],
    [
      "endpoints without credentials",
      { relations: [rel({ endpoints: "http://10.0.0.1:8083" })] },
      {
        status: "waiting",
        message:
          "waiting for the Kafka Connect provider to publish credentials (secret-user) on connect-client:4",
      },
    ],
    [
      "a secret that does not exist",
      { relations: [rel({ endpoints: "http://10.0.0.1:8083", "secret-user": `secret:${USER}` })] },
      {
        status: "waiting",
        message: `secret-user secret:${USER} is not readable yet: the provider has not granted it to this application over connect-client:4`,
      },
    ],
    [
      "a user secret without a password",
      {
        relations: [rel({ endpoints: "http://10.0.0.1:8083", "secret-user": `secret:${USER}` })],
        secrets: [consumed(USER, { username: "relation-4" })],
      },
      {
        status: "blocked",
        message: `secret-user secret:${USER} has no password; the provider must store both username and password in it`,
      },
    ],
    [
      "TLS enabled without a CA",
      {
        relations: [
          rel({
            endpoints: "https://10.0.0.1:8443",
            "secret-user": `secret:${USER}`,
            "secret-tls": `secret:${TLS}`,
          }),
        ],
        secrets: [
          consumed(USER, { username: "relation-4", password: "p-0123456789" }),
          consumed(TLS, { tls: "enabled" }),
        ],
      },
      {
        status: "blocked",
        message: `secret-tls secret:${TLS} says tls is enabled but has no tls-ca; the provider must share its CA chain`,
      },
    ],
    [
      "endpoints without a scheme",
      { relations: [rel({ endpoints: "10.0.0.1:8083", "secret-user": `secret:${USER}` })] },
      {
        status: "blocked",
        message:
          "the Kafka Connect provider on connect-client:4 published invalid data: endpoints item 1 is not an absolute URL: write http(s)://<host>[:<port>] (with the scheme)",
      },
    ],
    [
      "a malformed secret URI",
      { relations: [rel({ endpoints: "http://10.0.0.1:8083", "secret-user": "vault://creds" })] },
      {
        status: "blocked",
        message:
          "the Kafka Connect provider on connect-client:4 published invalid data: secret-user is not a Juju secret URI: write secret:<id> or secret://<model-uuid>/<id>",
      },
    ],
    [
      "legacy cleartext credentials (still read)",
      {
        relations: [
          rel({ endpoints: "http://10.0.0.1:8083", username: "relation-4", password: "pw-0123456789" }),
        ],
      },
      { status: "active", message: "connected to 1 endpoints" },
    ],
    [
      "legacy cleartext TLS enabled without a CA",
      {
        relations: [
          rel({
            endpoints: "https://10.0.0.1:8443",
            username: "relation-4",
            password: "pw-0123456789",
            tls: "enabled",
          }),
        ],
      },
      {
        status: "blocked",
        message:
          "the Kafka Connect provider on connect-client:4 says tls is enabled but published no tls-ca; it must share its CA chain",
      },
    ],
    [
      "a plugin-url that is not a URL (our own config)",
      { leader: true, config: { "plugin-url": "not_required" }, relations: [rel({})] },
      {
        status: "blocked",
        message: 'plugin-url "not_required" is not the sentinel: did you mean NOT-REQUIRED?',
      },
    ],
    [
      "an invalid extra secret key (our own config)",
      { leader: true, config: { "extra-secrets": "TLS_CERT" }, relations: [rel({})] },
      {
        status: "blocked",
        message:
          'requested-secrets item "TLS_CERT" is not a valid secret key (it contains uppercase letters): use lowercase letters, digits and single dashes, starting with a letter, with at least 3 letters or digits',
      },
    ],
  ];

  it.each(cases)("%s", async (_name, state, status) => {
    const out = await ctx.run(state.relations ? on.relationChanged(4) : on.updateStatus(), state);
    expect(out.unitStatus).toEqual(status);
  });

  it("a malformed optional status list is ignored: it cannot take a working connection down", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      relations: [
        rel({
          endpoints: "http://10.0.0.1:8083",
          "secret-user": `secret:${USER}`,
          status: '[{"code": "4001", "message": "m", "resolution": "r"}]',
        }),
      ],
      secrets: [consumed(USER, { username: "relation-4", password: "p-0123456789" })],
    });
    expect(out.unitStatus).toEqual({ status: "active", message: "connected to 1 endpoints" });
  });

  it("what this unit saw, stored in an unexpected shape, is treated as never seen instead of failing the hook", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      stored: { "connect-client.requirer.connect-client:4": '{"created": true, "endpoints": 7}' },
      relations: [rel({ endpoints: "http://10.0.0.1:8083", "secret-user": `secret:${USER}` })],
      secrets: [consumed(USER, { username: "relation-4", password: "p-0123456789" })],
    });
    expect(out.unitStatus).toEqual({ status: "active", message: "connected to 1 endpoints" });
    expect(JSON.parse(out.stored!["connect-client.requirer.connect-client:4"]!)).toMatchObject({
      created: true,
      endpoints: ["http://10.0.0.1:8083"],
    });
  });

  it("the REST user's name may be logged; its password never is", async () => {
    const logging = new Context<typeof integratorMeta>(async (hook) => {
      const state = await new ConnectClientRequirer(hook, { pluginUrl: "NOT-REQUIRED" }).connection();
      if (state.ready)
        await hook.log.info(`as ${state.connection.username} with ${state.connection.password}`);
    }, integratorMeta);
    await logging.run(on.relationChanged(4), {
      relations: [rel({ endpoints: "http://10.0.0.1:8083", "secret-user": `secret:${USER}` })],
      secrets: [consumed(USER, { username: "relation-4", password: "p-0123456789" })],
    });
    expect(logging.last!.logs.map((l) => l.message)).toEqual(["as relation-4 with ***"]);
  });

  it("never puts a credential in the status, even when the provider's data is wrong", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      relations: [rel({ endpoints: "http://admin:hunter2-secret@10.0.0.1:8083" })],
    });
    expect(out.unitStatus?.status).toBe("blocked");
    expect(out.unitStatus?.message).not.toContain("hunter2");
    expect(out.unitStatus?.message).not.toContain("admin");
  });

  it("a non-leader unit writes nothing and does not fail", async () => {
    const out = await ctx.run(on.relationCreated(4), { leader: false, relations: [rel({})] });
    expect(out.relations![0]!.localAppData ?? {}).toEqual({});
  });

  it("invalid config writes nothing to the relation (nothing half-published)", async () => {
    const out = await ctx.run(on.relationCreated(4), {
      leader: true,
      config: { "plugin-url": "ftp://10.1.1.200/plugin.tar" },
      relations: [rel({})],
    });
    expect(out.relations![0]!.localAppData ?? {}).toEqual({});
    expect(out.unitStatus?.status).toBe("blocked");
  });
});

describe("the provider's answer to what the integrator published", () => {
  const ctx = new Context(kafkaConnectCharm, kafkaConnectMeta);

  it("refuses an invalid request with a message naming the key, and publishes nothing", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      relations: [
        rel({ "plugin-url": "http://10.1.1.200:8080/p", "requested-secrets": '["username", "password"' }),
      ],
    });
    expect(out.relations![0]!.localAppData ?? {}).toEqual({});
    expect(out.secrets ?? []).toEqual([]);
    expect(ctx.last!.logs.map((l) => l.message)).toContain(
      'not publishing: the integrator on connect-client:4 published invalid data: requested-secrets is not valid JSON: write a JSON array of secret keys, e.g. ["username", "password"]',
    );
  });

  it("gives a legacy requirer cleartext credentials, with a warning in the log", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      relations: [rel({ "plugin-url": "http://10.1.1.200:8080/p" })],
    });
    expect(out.relations![0]!.localAppData).toEqual({
      endpoints: "http://10.0.0.1:8083,http://10.0.0.2:8083",
      username: "relation-4",
      password: "first-password",
    });
    expect(ctx.last!.logs).toContainEqual({
      level: "WARNING",
      message:
        "connect-client:4: the integrator requested no secrets (legacy); credentials were written to the databag in cleartext",
    });
    expect(out.secrets ?? []).toEqual([]);
  });

  it("gives a legacy requirer the CA chain in cleartext too, and that requirer reads it", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      config: { endpoints: "https://10.0.0.1:8443", "tls-ca": "PEM-CHAIN" },
      relations: [rel({ "plugin-url": "NOT-REQUIRED" })],
    });
    const bag = out.relations![0]!.localAppData!;
    expect(bag).toEqual({
      endpoints: "https://10.0.0.1:8443",
      username: "relation-4",
      password: "first-password",
      tls: "enabled",
      "tls-ca": "PEM-CHAIN",
    });
    const reading = new Context<typeof integratorMeta>(async (hook) => {
      const state = await new ConnectClientRequirer(hook, { pluginUrl: "NOT-REQUIRED" }).connection();
      await hook.log.info(state.ready ? `tls-ca ${state.connection.tlsCa}` : state.reason);
    }, integratorMeta);
    await reading.run(on.relationChanged(4), { relations: [rel(bag)] });
    expect(reading.last!.logs.map((l) => l.message)).toEqual(["tls-ca PEM-CHAIN"]);
  });

  it("a requirer that requested duplicate keys (as Python's additional_secret_fields does) is still served", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      relations: [
        rel({
          "plugin-url": "NOT-REQUIRED",
          "requested-secrets": '["username", "password", "tls", "tls-ca", "tls-ca"]',
        }),
      ],
    });
    expect(Object.keys(out.relations![0]!.localAppData!).sort()).toEqual(["endpoints", "secret-user"]);
  });

  it("moves a requirer from cleartext to secrets once it requests them, removing the cleartext keys", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      relations: [
        rel(
          { "plugin-url": "http://10.1.1.200:8080/p", "requested-secrets": '["username", "password"]' },
          {
            localAppData: {
              endpoints: "http://10.0.0.1:8083",
              username: "relation-4",
              password: "first-password",
            },
          },
        ),
      ],
    });
    const bag = out.relations![0]!.localAppData!;
    expect(Object.keys(bag).sort()).toEqual(["endpoints", "secret-user"]);
    expect(out.secrets).toHaveLength(1);
    expect(out.secrets![0]).toMatchObject({
      owner: "application",
      label: "connect-client.4.user.secret",
      revisions: { 1: { username: "relation-4", password: "first-password" } },
      grants: [{ relationId: 4, to: "kc" }],
    });
  });

  it("refuses to publish endpoints that are not URLs, and says why", async () => {
    const out = await ctx.run(on.relationChanged(4), {
      leader: true,
      config: { endpoints: "10.0.0.1:8083" },
      relations: [rel({ "plugin-url": "NOT-REQUIRED", "requested-secrets": '["username", "password"]' })],
    });
    expect(out.relations![0]!.localAppData ?? {}).toEqual({});
    expect(ctx.last!.logs.map((l) => l.message)).toContain(
      "not published: cannot publish: endpoints item 1 is not an absolute URL: write http(s)://<host>[:<port>] (with the scheme)",
    );
  });
});

describe("restClientOptions", () => {
  it("hands the REST client every endpoint, basic auth, and the CA only when there is one", () => {
    const base = { relationId: "connect-client:4", endpoints: ["https://a:8443", "https://b:8443"] };
    expect(restClientOptions({ ...base, username: "relation-4", password: "pw", tlsCa: "PEM" })).toEqual({
      endpoints: ["https://a:8443", "https://b:8443"],
      auth: { username: "relation-4", password: "pw" },
      tlsCa: "PEM",
    });
    expect(restClientOptions({ ...base, username: "u", password: "p" })).not.toHaveProperty("tlsCa");
  });
});
