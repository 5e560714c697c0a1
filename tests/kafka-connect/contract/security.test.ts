import { describe, expect, it } from "vitest";
import { createTestCa, generateTestTls } from "../../../lib/testing/index.js";
import { failure, mirrorConfig, sent, settled, useContract } from "./support.js";

// HTTPS with the CA the cluster publishes, and basic auth across a credential change and a rolling restart.

const contract = useContract();

describe("TLS", () => {
  it("the client trusting the cluster's CA works end to end over HTTPS", async () => {
    const cluster = await contract.cluster({ tls: true });
    expect(cluster.endpoints.every((e) => e.startsWith("https://127.0.0.1:"))).toBe(true);
    const client = contract.client(cluster, { tlsCa: cluster.caPem! });
    expect((await client.serverInfo()).version).toBe("3.9.0");
    await client.createConnector("m", mirrorConfig());
    await settled(client, "m", "RUNNING", 1);
    expect(sent(cluster, "POST", "/connectors").map((r) => r.status)).toEqual([201]);
  });

  it("a client trusting another CA fails closed with kind tls; no request reaches any worker", async () => {
    const cluster = await contract.cluster({ tls: true });
    const [emulatorCa, testCa] = await Promise.all([generateTestTls(), createTestCa("Another CA")]);
    for (const tlsCa of [emulatorCa.caPem, testCa.caPem]) {
      const client = contract.client(cluster, { tlsCa });
      const error = await failure(client.createConnector("m", mirrorConfig()));
      expect(error).toMatchObject({ kind: "tls", endpoint: cluster.endpoints[0], attempts: 1 });
      // Another worker must not be a way around verification.
      expect(error.tried).toBeUndefined();
      expect((await failure(client.listConnectors())).kind).toBe("tls");
    }
    // Without tlsCa the system CAs are used, and they do not know the test CA either.
    const untrusting = contract.client(cluster.endpoints, {});
    expect((await failure(untrusting.serverInfo())).kind).toBe("tls");
    expect(cluster.requests).toEqual([]);
    expect(cluster.connector("m")).toBeUndefined();
  });
});

describe("basic auth across a credential change", () => {
  const OLD = { username: "integrator", password: "old-pa55" };
  const NEW = { username: "integrator", password: "new-pa55" };

  it("new credentials take effect after a rolling restart: the old client is unauthorized, a new one works", async () => {
    const cluster = await contract.cluster({ auth: { users: { [OLD.username]: OLD.password } } });
    const old = contract.client(cluster, { auth: OLD });
    await old.createConnector("m", mirrorConfig());

    // The file changes, but every worker keeps what it read when it started.
    await cluster.setCredentials({ [NEW.username]: NEW.password });
    expect(await old.listConnectors()).toEqual(["m"]);
    const early = contract.client(cluster, { auth: NEW });
    expect((await failure(early.listConnectors())).kind).toBe("unauthorized");

    await cluster.rollingRestart();
    const error = await failure(old.listConnectors());
    expect(error).toMatchObject({
      kind: "unauthorized",
      status: 401,
      message: "User cannot access the resource.",
      attempts: 3,
      tried: cluster.endpoints,
    });
    const fresh = contract.client(cluster, { auth: NEW });
    expect(await fresh.listConnectors()).toEqual(["m"]);
    await fresh.deleteConnector("m");
    expect(cluster.connector("m")).toBeUndefined();

    // Records keep the user name only; no password anywhere the client or the cluster reports.
    expect(new Set(cluster.requests.map((r) => r.user))).toEqual(new Set([OLD.username]));
    const reported = JSON.stringify([cluster.requests, error, error.describe()]);
    expect(reported).not.toContain(OLD.password);
    expect(reported).not.toContain(NEW.password);
  });

  it("during a partial roll, a 401 is tried on the other workers and succeeds where one admits it", async () => {
    const cluster = await contract.cluster({ auth: { users: { [OLD.username]: OLD.password } } });
    await cluster.setCredentials({ [NEW.username]: NEW.password });
    // Only the leader (worker 0) has restarted and read the new file.
    await cluster.restartWorker(0);
    await cluster.rebalanceSettled();
    expect(cluster.leader).toBe(0);
    const [w0, w1, w2] = cluster.endpoints;

    const fresh = contract.client([w1!, w2!, w0!], { auth: NEW });
    expect(await fresh.listConnectors()).toEqual([]);
    expect(fresh.preferredEndpoint).toBe(w0);
    expect(sent(cluster, "GET", "/connectors").map((r) => [r.worker, r.status])).toEqual([
      [1, 401],
      [2, 401],
      [0, 200],
    ]);
    // Even a POST moves on after a 401: the auth filter refused it before the worker acted on it.
    const post = contract.client([w1!, w2!, w0!], { auth: NEW });
    await post.createConnector("m", mirrorConfig());
    expect(sent(cluster, "POST", "/connectors").map((r) => [r.worker, r.status])).toEqual([
      [1, 401],
      [2, 401],
      [0, 201],
    ]);
    expect(cluster.connector("m")!.configWrites).toBe(1);

    // The old credentials still work on the workers that have not restarted.
    const old = contract.client(cluster, { auth: OLD });
    expect(await old.listConnectors()).toEqual(["m"]);
    expect(old.preferredEndpoint).toBe(w1);
  });

  it("during a partial roll, a create admitted by a follower but refused by the leader is a forward-failed 500", async () => {
    const cluster = await contract.cluster({ auth: { users: { [OLD.username]: OLD.password } } });
    await cluster.setCredentials({ [NEW.username]: NEW.password });
    // Worker 1 has read the new file; the leader (worker 0) has not.
    await cluster.restartWorker(1);
    await cluster.rebalanceSettled();
    const follower = contract.client([cluster.endpoints[1]!], { auth: NEW });
    expect(await follower.listConnectors()).toEqual([]);
    // Kafka's forwarding RestClient reads every error body as JSON: the leader's plain-text 401 becomes a 500.
    const error = await failure(follower.createConnector("m", mirrorConfig()));
    // Transient (the leader will restart too), but a POST is neither failed over nor retried.
    expect(error).toMatchObject({
      kind: "unavailable",
      variant: "forward-failed",
      status: 500,
      errorCode: 500,
      attempts: 1,
    });
    expect(error.message).toMatch(/^IO Error trying to forward REST request: /);
    expect(cluster.requests.slice(-2).map((r) => [r.worker, r.status, r.forwardedFrom])).toEqual([
      [1, 500, undefined],
      [0, 401, 1],
    ]);
    expect(cluster.connector("m")).toBeUndefined();
  });
});
