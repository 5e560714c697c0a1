import { describe, expect, it } from "vitest";
import { PluginFetchError } from "../../../lib/connect-client/plugin-fetcher/index.js";
import { redactUrl } from "../../../lib/connect-client/plugin-fetcher/redact.js";
import {
  backoffDelay,
  parseRetryAfter,
  withRetries,
} from "../../../lib/connect-client/plugin-fetcher/retry.js";

describe("redactUrl", () => {
  it.each([
    ["http://user:pw@10.1.1.200:8080/api/v1/plugin", "http://10.1.1.200:8080/api/v1/plugin"],
    ["https://h/p.tar.gz?X-Amz-Signature=abc#sha512=00", "https://h/p.tar.gz?…"],
    ["http://[bad", "<invalid URL>"],
    ["file:///etc/passwd", "<file: URL>"],
  ])("%s → %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe("PluginFetchError", () => {
  const base = {
    kind: "http-status",
    transient: true,
    problem: "server answered 502 Bad Gateway",
    fix: "will retry",
    url: "http://bob:pw@h:8080/p?t=1",
  } as const;

  it("redacts the URL it is given and formats one status line", () => {
    const err = new PluginFetchError(base);
    expect(err.url).toBe("http://h:8080/p?…");
    expect(err.statusMessage).toBe(
      "plugin: server answered 502 Bad Gateway at http://h:8080/p?…; will retry",
    );
    expect(err.message).toBe(err.statusMessage);
    expect(err.jujuStatus).toBe("waiting");
  });

  it("withContext adds the relation and the attempts, keeping everything else", () => {
    const cause = new Error("underlying");
    const err = new PluginFetchError({ ...base, cause, retryAfterMs: 5 }).withContext({
      relationId: 3,
      attempts: 4,
    });
    expect(err).toMatchObject({
      kind: "http-status",
      transient: true,
      relationId: 3,
      attempts: 4,
      retryAfterMs: 5,
    });
    expect(err.cause).toBe(cause);
    expect(err.statusMessage).toBe(
      "plugin for relation 3: server answered 502 Bad Gateway at http://h:8080/p?… after 4 attempts; will retry",
    );
  });
});

describe("retry schedule", () => {
  const policy = { backoffMs: 500, backoffCapMs: 8_000 };

  it("doubles from backoffMs up to the cap, and waits at least Retry-After", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(1, policy, 3_000)).toBe(3_000);
    expect(backoffDelay(1, policy, 60_000)).toBe(8_000);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("does not retry permanent errors, and passes other errors through untouched", async () => {
    const waits: number[] = [];
    const settings = {
      attempts: 4,
      backoffMs: 1,
      backoffCapMs: 1,
      sleep: async (ms: number) => void waits.push(ms),
    };
    const permanent = new PluginFetchError({ kind: "checksum", transient: false, problem: "p", fix: "f" });
    let calls = 0;
    await expect(
      withRetries(settings, async () => {
        calls += 1;
        throw permanent;
      }),
    ).rejects.toMatchObject({ kind: "checksum", attempts: 1 });
    expect(calls).toBe(1);
    const bug = new RangeError("a bug");
    await expect(withRetries(settings, async () => Promise.reject(bug))).rejects.toBe(bug);
    expect(waits).toEqual([]);
  });
});
