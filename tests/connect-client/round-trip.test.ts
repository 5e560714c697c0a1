import { beforeEach, describe, expect, it } from "vitest";
import { sameSecret } from "../../lib/juju/index.js";
import {
  integratorCharm,
  integratorMeta,
  kafkaConnectCharm,
  kafkaConnectMeta,
  lastConnection,
} from "./support/charms.js";
import { TestModel } from "./support/model.js";

/**
 * Requirer ⇄ Provider through the Juju emulator: two applications with two units each, every hook run as Juju
 * would run it (follow-up events included), secrets granted across applications and then rotated.
 */

const REQ = { app: "integrator", endpoint: "connect-client" };
const PROV = { app: "kafka-connect", endpoint: "connect-client" };
const CA = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----";

async function deployed(units = 2) {
  const m = new TestModel();
  m.deploy("integrator", integratorCharm, integratorMeta, units);
  m.deploy("kafka-connect", kafkaConnectCharm, kafkaConnectMeta, units);
  for (const app of ["integrator", "kafka-connect"]) {
    await m.runAll(app, { kind: "install" });
    await m.runAll(app, { kind: "config-changed" });
  }
  return m;
}

function secretsOwnedBy(m: TestModel, app: string) {
  return Object.entries(m.juju.state.secrets).filter(
    ([, s]) => s.owner.kind === "application" && s.owner.app === app,
  );
}

describe("Requirer ⇄ Provider round trip", () => {
  beforeEach(() => lastConnection.clear());

  it("publishes the request, answers with secrets granted to the integrator, and connects every unit", async () => {
    const m = await deployed();
    const id = await m.integrate(REQ, PROV);
    const rel = m.juju.state.relations[String(id)]!;

    expect(rel.appData.integrator).toEqual({
      "plugin-url": "http://10.1.1.200:8080/api/v1/plugin",
      "requested-secrets": '["username", "password", "tls", "tls-ca"]',
    });
    const provBag = rel.appData["kafka-connect"]!;
    expect(provBag.endpoints).toBe("http://10.0.0.1:8083,http://10.0.0.2:8083");
    expect(Object.keys(provBag).sort()).toEqual(["endpoints", "secret-user"]);

    const owned = secretsOwnedBy(m, "kafka-connect");
    expect(owned).toHaveLength(1);
    const [secretId, secret] = owned[0]!;
    expect(sameSecret(provBag["secret-user"]!, secretId)).toBe(true);
    expect(secret.label).toBe(`connect-client.${id}.user.secret`);
    expect(secret.grants).toEqual([{ relationId: id, to: "integrator" }]);
    expect(Object.keys(secret.revisions)).toEqual(["1"]);

    for (const unit of m.unitsOf("integrator")) {
      expect(m.juju.state.units[unit]!.status).toEqual({
        status: "active",
        message: "connected to 2 endpoints",
      });
      expect(lastConnection.get(unit)).toEqual({
        relationId: `connect-client:${id}`,
        endpoints: ["http://10.0.0.1:8083", "http://10.0.0.2:8083"],
        username: `relation-${id}`,
        password: "first-password",
      });
      // Created exactly once per unit, however many relation-changed hooks the settling took.
      expect(m.logs(unit).filter((l) => l.startsWith("event integration-created"))).toHaveLength(1);
    }
    for (const unit of m.unitsOf("kafka-connect")) {
      expect(m.logs(unit).filter((l) => l.startsWith("event integration-requested"))).toEqual([
        `event integration-requested connect-client:${id} http://10.1.1.200:8080/api/v1/plugin`,
      ]);
    }
  });

  it("rotates credentials: a new revision of the same secret reaches every integrator unit as credentials-rotated", async () => {
    const m = await deployed();
    const id = await m.integrate(REQ, PROV);
    const from = m.records.length;

    m.setConfig("kafka-connect", { password: "second-password" });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();

    const [, secret] = secretsOwnedBy(m, "kafka-connect")[0]!;
    expect(Object.keys(secret.revisions)).toEqual(["1", "2"]);
    for (const unit of m.unitsOf("integrator")) {
      expect(m.logs(unit, from)).toContain(`event credentials-rotated connect-client:${id} user`);
      expect(lastConnection.get(unit)?.password).toBe("second-password");
    }
    // Identical content makes no new revision: running the provider again changes nothing.
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    expect(Object.keys(secret.revisions)).toEqual(["1", "2"]);
  });

  it("adds TLS later: a secret-tls appears, the integrator learns the CA, and the change is an event", async () => {
    const m = await deployed(1);
    const id = await m.integrate(REQ, PROV);
    const from = m.records.length;

    m.setConfig("kafka-connect", { endpoints: "https://10.0.0.1:8443", "tls-ca": CA });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();

    const bag = m.juju.state.relations[String(id)]!.appData["kafka-connect"]!;
    expect(bag["secret-tls"]).toBeDefined();
    const tls = secretsOwnedBy(m, "kafka-connect").find(([, s]) => s.label?.endsWith(".tls.secret"));
    expect(tls?.[1].label).toBe(`connect-client.${id}.tls.secret`);
    expect(tls?.[1].grants).toEqual([{ relationId: id, to: "integrator" }]);
    expect(lastConnection.get("integrator/0")).toMatchObject({
      endpoints: ["https://10.0.0.1:8443"],
      tlsCa: CA,
    });
    expect(m.logs("integrator/0", from)).toEqual(
      expect.arrayContaining([
        `event endpoints-changed connect-client:${id} http://10.0.0.1:8083,http://10.0.0.2:8083 -> https://10.0.0.1:8443`,
        `event credentials-rotated connect-client:${id} tls`,
      ]),
    );

    // A new CA chain is a new revision of the same secret: secret-changed, read at refresh.
    const renewed = CA.replace("MIIBtest", "MIIBrenewed");
    const again = m.records.length;
    m.setConfig("kafka-connect", { "tls-ca": renewed });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    expect(Object.keys(tls![1].revisions)).toEqual(["1", "2"]);
    expect(
      m.records.slice(again).some((r) => r.unit === "integrator/0" && r.event.kind === "secret-changed"),
    ).toBe(true);
    expect(m.logs("integrator/0", again)).toEqual([`event credentials-rotated connect-client:${id} tls`]);
    expect(lastConnection.get("integrator/0")?.tlsCa).toBe(renewed);
  });

  it("raises and resolves the provider's status on the relation", async () => {
    const m = await deployed(1);
    const id = await m.integrate(REQ, PROV);
    const from = m.records.length;
    m.setConfig("kafka-connect", { status: "workers are restarting" });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    expect(JSON.parse(m.juju.state.relations[String(id)]!.appData["kafka-connect"]!.status!)).toEqual([
      { code: 4001, message: "workers are restarting", resolution: "wait for the workers to restart" },
    ]);
    // The same code with another message is not a second raise (codes are compared, as the Python library does).
    m.setConfig("kafka-connect", { status: "workers are still restarting" });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    m.setConfig("kafka-connect", { status: "" });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    expect(m.juju.state.relations[String(id)]!.appData["kafka-connect"]!.status).toBeUndefined();
    expect(m.logs("integrator/0", from)).toEqual([
      `event status-raised connect-client:${id} 4001`,
      `event status-resolved connect-client:${id} 4001`,
    ]);
  });

  it("rewrites plugin-url when the integrator's changes, and the provider sees plugin-url-changed", async () => {
    const m = await deployed(1);
    const id = await m.integrate(REQ, PROV);
    const from = m.records.length;
    m.setConfig("integrator", { "plugin-url": "http://10.1.1.200:8080/api/v1/plugin-v2" });
    await m.runAll("integrator", { kind: "config-changed" });
    await m.settle();
    expect(m.juju.state.relations[String(id)]!.appData.integrator!["plugin-url"]).toBe(
      "http://10.1.1.200:8080/api/v1/plugin-v2",
    );
    expect(m.logs("kafka-connect/0", from)).toContain(
      `event plugin-url-changed connect-client:${id} http://10.1.1.200:8080/api/v1/plugin -> http://10.1.1.200:8080/api/v1/plugin-v2`,
    );
  });

  it("on removal, the provider revokes and removes what it created and the integrator says so", async () => {
    const m = await deployed();
    const id = await m.integrate(REQ, PROV);
    m.setConfig("kafka-connect", { "tls-ca": CA });
    await m.runAll("kafka-connect", { kind: "config-changed" });
    await m.settle();
    expect(secretsOwnedBy(m, "kafka-connect")).toHaveLength(2);
    const from = m.records.length;

    await m.removeRelation(id, "integrator", "kafka-connect");

    expect(secretsOwnedBy(m, "kafka-connect")).toEqual([]);
    expect(m.logs("kafka-connect/0", from)).toContain("removed 2 secrets");
    for (const unit of m.unitsOf("integrator")) {
      expect(m.logs(unit, from)).toContain(`event integration-broken connect-client:${id}`);
      expect(m.juju.state.units[unit]!.status).toEqual({
        status: "waiting",
        message: "no connect-client relation: integrate this application with a Kafka Connect charm",
      });
    }
    expect(m.juju.state.relations[String(id)]).toBeUndefined();
  });

  it("a secret that is not granted (any more) is a waiting status naming the secret, not a crash", async () => {
    const m = await deployed(1);
    const id = await m.integrate(REQ, PROV);
    const [secretId, secret] = secretsOwnedBy(m, "kafka-connect")[0]!;
    secret.grants = [];
    await m.run("integrator/0", { kind: "relation-changed", relationId: id });
    const uri = m.juju.state.relations[String(id)]!.appData["kafka-connect"]!["secret-user"]!;
    expect(sameSecret(uri, secretId)).toBe(true);
    expect(m.juju.state.units["integrator/0"]!.status).toEqual({
      status: "waiting",
      message: `secret-user ${uri} is not readable yet: the provider has not granted it to this application over connect-client:${id}`,
    });
  });

  it("MirrorMaker style: NOT-REQUIRED needs no plugin and still gets credentials", async () => {
    const m = new TestModel();
    m.deploy("integrator", integratorCharm, integratorMeta, 1);
    m.deploy("kafka-connect", kafkaConnectCharm, kafkaConnectMeta, 1);
    m.setConfig("integrator", { "plugin-url": "NOT-REQUIRED" });
    const id = await m.integrate(REQ, PROV);
    expect(m.logs("kafka-connect/0")).toContain(`event integration-requested connect-client:${id} no plugin`);
    expect(lastConnection.get("integrator/0")?.username).toBe(`relation-${id}`);
  });
});
