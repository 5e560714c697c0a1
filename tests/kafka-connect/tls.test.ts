import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as publicApi from "../../lib/kafka-connect/index.js";
import {
  isKafkaConnectError,
  KafkaConnectClient,
  type KafkaConnectClientOptions,
} from "../../lib/kafka-connect/index.js";
import { clientWithDispatcher } from "../../lib/kafka-connect/test-seam.js";
import { createTestCa, type TestCa } from "../../lib/testing/index.js";
import { SERVER_INFO } from "./support/fixtures.js";
import { failure } from "./support/msw-client.js";
import { closeAll, sendJson, startHttp, startHttps, type TestServer } from "./support/servers.js";

type ServerCert = Awaited<ReturnType<TestCa["issueServer"]>>;

let ca: TestCa;
let otherCa: TestCa;
let cert: ServerCert;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa(), createTestCa("Some other CA")]);
  cert = await ca.issueServer({ ip: ["127.0.0.1"], dns: [] });
});

const clients: KafkaConnectClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeAll();
});
afterAll(closeAll);

function connect(endpoints: string[], options: Partial<KafkaConnectClientOptions> = {}) {
  const client = new KafkaConnectClient({ endpoints, timeoutMs: 2_000, ...options });
  clients.push(client);
  return client;
}

const worker = (_req: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, SERVER_INFO);

async function secureWorker(serverCert: ServerCert = cert): Promise<TestServer> {
  return startHttps(serverCert, worker);
}

describe("HTTPS with the provider's CA", () => {
  it("the right CA verifies the worker's certificate", async () => {
    const server = await secureWorker();
    expect(await connect([server.url], { tlsCa: ca.caPem }).serverInfo()).toEqual(SERVER_INFO);
  });

  it("a certificate from another CA fails closed with kind tls, and is not failed over", async () => {
    const server = await secureWorker();
    const fallback = await startHttp(worker);
    const error = await failure(connect([server.url, fallback.url], { tlsCa: otherCa.caPem }).serverInfo());
    expect(error).toMatchObject({ kind: "tls", endpoint: server.url, attempts: 1 });
    expect(error.tried).toBeUndefined();
    expect(server.requests).toBe(0);
    expect(fallback.requests).toBe(0);
  });

  it("without a CA option the system CAs do not know the test CA: fails closed", async () => {
    const server = await secureWorker();
    const error = await failure(connect([server.url]).serverInfo());
    expect(error.kind).toBe("tls");
    expect(server.requests).toBe(0);
  });

  it("a certificate for another IP fails the hostname check", async () => {
    const server = await secureWorker(await ca.issueServer({ ip: ["10.9.8.7"], dns: [] }));
    const error = await failure(connect([server.url], { tlsCa: ca.caPem }).serverInfo());
    expect(error.kind).toBe("tls");
    expect((error.cause as { code?: string }).code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment does not turn verification off", async () => {
    const server = await secureWorker();
    const saved = process.env["NODE_TLS_REJECT_UNAUTHORIZED"];
    const savedEmit = process.emitWarning;
    process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0";
    // Node warns once about the variable; the warning is about the environment, not this client.
    process.emitWarning = () => {};
    try {
      const error = await failure(connect([server.url], { tlsCa: otherCa.caPem }).serverInfo());
      expect(error.kind).toBe("tls");
    } finally {
      process.emitWarning = savedEmit;
      if (saved === undefined) delete process.env["NODE_TLS_REJECT_UNAUTHORIZED"];
      else process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = saved;
    }
    expect(server.requests).toBe(0);
  });
});

describe("no dispatcher can bypass verification", () => {
  // An Agent that would accept any certificate: what a caller might try to smuggle in.
  const insecure = () => new Agent({ connect: { rejectUnauthorized: false } });

  it("the public constructor refuses a dispatcher option, plain or symbol-keyed, before any request", async () => {
    const server = await secureWorker();
    const agent = insecure();
    try {
      for (const options of [
        { endpoints: [server.url], dispatcher: agent },
        { endpoints: [server.url], [Symbol("dispatcher")]: agent },
      ]) {
        let refused: unknown;
        try {
          new KafkaConnectClient(options as unknown as KafkaConnectClientOptions);
        } catch (error) {
          refused = error;
        }
        expect(isKafkaConnectError(refused, "invalid-argument")).toBe(true);
      }
      expect(server.requests).toBe(0);
    } finally {
      await agent.close();
    }
  });

  it("the package exports no way to inject one", () => {
    expect(Object.keys(publicApi).filter((name) => /dispatch|seam|inject/i.test(name))).toEqual([]);
  });

  it("the internal test seam refuses https endpoints, so https is always the verifying Agent", async () => {
    const server = await secureWorker();
    const agent = insecure();
    try {
      let refused: unknown;
      try {
        clientWithDispatcher({ endpoints: [server.url] }, agent);
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({ kind: "invalid-argument" });
      expect(server.requests).toBe(0);
      // The next client built normally is not handed the refused dispatcher.
      expect((await failure(connect([server.url]).serverInfo())).kind).toBe("tls");
    } finally {
      await agent.close();
    }
  });
});
