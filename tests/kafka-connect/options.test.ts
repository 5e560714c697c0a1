import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  isKafkaConnectError,
  KafkaConnectClient,
  type KafkaConnectClientOptions,
  type KafkaConnectError,
  parseEndpoints,
} from "../../lib/kafka-connect/index.js";
import { clientWithDispatcher } from "../../lib/kafka-connect/test-seam.js";
import { failure, KC, mswClient } from "./support/msw-client.js";
import { MswDispatcher } from "./support/msw-dispatcher.js";

function refused(fn: () => unknown): KafkaConnectError {
  try {
    fn();
  } catch (error) {
    if (isKafkaConnectError(error, "invalid-argument")) return error;
    throw error;
  }
  throw new Error("expected an invalid-argument error");
}

describe("parseEndpoints", () => {
  it("splits the provider's comma list, trims, drops empties and duplicates, keeps order", () => {
    expect(parseEndpoints(" http://10.0.0.1:8083, https://10.0.0.2:8443/ ,,http://10.0.0.1:8083")).toEqual([
      "http://10.0.0.1:8083",
      "https://10.0.0.2:8443",
    ]);
    expect(parseEndpoints(["http://a:8083,http://b:8083", "http://c:8083"])).toEqual([
      "http://a:8083",
      "http://b:8083",
      "http://c:8083",
    ]);
    expect(parseEndpoints("http://[::1]:8083")).toEqual(["http://[::1]:8083"]);
  });

  it("refuses an empty list, other schemes, paths and garbage", () => {
    expect(refused(() => parseEndpoints(" , ")).message).toBe("no Kafka Connect endpoint was given");
    expect(refused(() => parseEndpoints("ftp://a:21")).message).toBe(
      "endpoint #1 (ftp://a:21) must use http or https, not ftp",
    );
    expect(refused(() => parseEndpoints("http://a:8083,http://b:8083/api")).message).toContain("endpoint #2");
    expect(refused(() => parseEndpoints("http://a:8083?x=1")).message).toContain("no path or query");
    expect(refused(() => parseEndpoints("not a url")).message).toBe(
      "endpoint #1 (not a url) is not a valid URL",
    );
  });

  it("refuses userinfo without ever repeating it", () => {
    for (const input of [
      "http://admin:hunter2@10.0.0.1:8083",
      "http://admin@10.0.0.1:8083",
      "http://a:8083, https://admin:hunter2@b:8443",
      "http://admin:hun ter2@10.0.0.1:8083",
    ]) {
      const error = refused(() => parseEndpoints(input));
      expect(error.message).toMatch(/^endpoint #\d (carries credentials|is not a valid URL)/);
      expect(`${error.message} ${error.stack}`).not.toMatch(/admin|hunter2|hun ter2/);
    }
  });
});

describe("client options", () => {
  const base = { endpoints: KC };
  const construct = (options: Record<string, unknown>) => () =>
    new KafkaConnectClient(options as unknown as KafkaConnectClientOptions);

  it("has no way to disable TLS verification: such options are refused", () => {
    for (const key of [
      "rejectUnauthorized",
      "insecure",
      "skipVerify",
      "checkServerIdentity",
      "dispatcher",
      "agent",
      "connect",
    ]) {
      const error = refused(construct({ ...base, [key]: false }));
      expect(error.message).toBe(
        `unknown option "${key}"; TLS verification cannot be turned off (use tlsCa)`,
      );
    }
    expect(refused(construct({ ...base, tls: {} })).message).toBe('unknown option "tls"');
  });

  it("checks auth, timeouts, retry and tlsCa without echoing secrets", () => {
    const colon = refused(construct({ ...base, auth: { username: "a:b", password: "pw-123" } }));
    expect(colon.message).toBe("auth.username must not contain a colon");
    expect(refused(construct({ ...base, auth: { username: "a" } })).message).toContain("auth must have");
    expect(refused(construct({ ...base, auth: { username: "a", password: "p", token: "t" } })).message).toBe(
      'unknown auth field "token"',
    );
    expect(refused(construct({ ...base, timeoutMs: 0 })).message).toBe("timeoutMs must be a positive number");
    expect(refused(construct({ ...base, retry: { attempts: 0 } })).message).toContain("retry.attempts");
    expect(refused(construct({ ...base, retry: { deadlineMs: -1 } })).message).toContain("retry.deadlineMs");
    expect(refused(construct({ ...base, retry: { tries: 3 } })).message).toBe('unknown retry option "tries"');
    expect(refused(construct({ ...base, tlsCa: "" })).message).toBe("tlsCa must be a PEM string");
  });

  it("refuses bad arguments before sending anything", async () => {
    const { client, dispatcher } = mswClient([]);
    for (const call of [
      () => client.getConnector(""),
      () => client.taskStatus("c", -1),
      () => client.taskStatus("c", 1.5),
      () => client.restartTask("c", Number.NaN),
      () => client.putConfig("c", { "tasks.max": 1 as unknown as string }),
      () => client.pluginConfig(""),
      () => client.setLogger("root", ""),
      () => client.setLogger("root", "INFO", { scope: "everywhere" as "worker" }),
      () => client.listConnectors({ expand: ["everything" as "status"] }),
      () => client.serverInfo({ rejectUnauthorized: false } as never),
    ]) {
      expect((await failure(call())).kind).toBe("invalid-argument");
    }
    expect(dispatcher.sent).toEqual([]);
  });

  it("names the config key, never the value, when a value is not a string", async () => {
    const { client } = mswClient([]);
    const error = await failure(client.createConnector("c", { password: 12345 as unknown as string }));
    expect(error.message).toBe('config value of "password" must be a string');
  });

  it("a closed client refuses calls; an injected dispatcher is left open", async () => {
    const dispatcher = new MswDispatcher(http.get(`${KC}/`, () => HttpResponse.json({})));
    const client = clientWithDispatcher({ endpoints: KC }, dispatcher);
    await client.close();
    await client.close();
    const error = await failure(client.serverInfo());
    expect(error).toMatchObject({ kind: "invalid-argument", message: "the Kafka Connect client is closed" });
    expect(dispatcher.sent).toEqual([]);
  });
});
