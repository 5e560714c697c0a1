import { describe, expect, it } from "vitest";
import {
  type FetchPluginOptions,
  fetchPlugin,
  PluginFetchError,
} from "../../../lib/connect-client/plugin-fetcher/index.js";
import { entries, pluginFixture, pluginTarball, recordingSleep, sendBody, serve, sha512 } from "./support.js";

const fx = pluginFixture();

const body = pluginTarball();

/** Fast settings: small backoff (recorded, not waited) and a short timeout. */
function fetchFrom(url: string, extra: Partial<FetchPluginOptions> = {}) {
  const { sleep, waits } = recordingSleep();
  const run = fetchPlugin({
    url,
    pluginRoot: fx.root,
    relationId: 7,
    backoffMs: 10,
    timeoutMs: 2_000,
    sleep,
    ...extra,
  });
  return { run, waits };
}

async function failure(promise: Promise<unknown>): Promise<PluginFetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginFetchError);
  return err as PluginFetchError;
}

/** After a failure nothing is left under the plugin root: no download, no staging directory. */
async function expectNothingLeft(): Promise<void> {
  expect(await entries(fx.root)).toEqual([]);
}

describe("status codes and retries", () => {
  it("treats 404 as permanent: one request, a blocked status naming relation, URL and fix", async () => {
    fx.server = await serve((_req, res) => res.writeHead(404).end("no such plugin"));
    const { run, waits } = fetchFrom(fx.server.url("/plugin"));
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "http-status", transient: false, attempts: 1, relationId: 7 });
    expect(err.statusMessage).toBe(
      `plugin for relation 7: server answered 404 Not Found at ${fx.server.url("/plugin")}; check plugin-url`,
    );
    expect(err.jujuStatus).toBe("blocked");
    expect(fx.server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    await expectNothingLeft();
  });

  it("retries 503 and succeeds on the next try", async () => {
    fx.server = await serve((_req, res, n) => (n === 1 ? res.writeHead(503).end() : sendBody(res, body)));
    const { run, waits } = fetchFrom(fx.server.url("/plugin"));
    const got = await run;
    expect(got.sha512).toBe(sha512(body));
    expect(fx.server.requests).toHaveLength(2);
    expect(waits).toEqual([10]);
  });

  it("honours Retry-After on 429, within the backoff cap", async () => {
    fx.server = await serve((_req, res, n) =>
      n === 1 ? res.writeHead(429, { "retry-after": "3" }).end() : sendBody(res, body),
    );
    const { run, waits } = fetchFrom(fx.server.url("/plugin"), { backoffCapMs: 2_500 });
    await run;
    expect(waits).toEqual([2_500]);
  });

  it("gives up after `attempts` transient failures, still transient (a waiting status)", async () => {
    fx.server = await serve((_req, res) => res.writeHead(503).end());
    const { run, waits } = fetchFrom(fx.server.url("/plugin"), { attempts: 3 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "http-status", transient: true, attempts: 3 });
    expect(err.jujuStatus).toBe("waiting");
    expect(err.statusMessage).toBe(
      `plugin for relation 7: server answered 503 Service Unavailable at ${fx.server.url("/plugin")} after 3 attempts; will retry`,
    );
    expect(fx.server.requests).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
    await expectNothingLeft();
  });

  it("uses the default schedule: 4 tries, 500 ms doubling", async () => {
    fx.server = await serve((_req, res) => res.writeHead(500).end());
    const { sleep, waits } = recordingSleep();
    const err = await failure(
      fetchPlugin({ url: fx.server.url("/p"), pluginRoot: fx.root, relationId: 1, sleep }),
    );
    expect(err.attempts).toBe(4);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("retries a body cut short (socket destroyed halfway) and then succeeds", async () => {
    fx.server = await serve((_req, res, n) => {
      if (n > 1) return sendBody(res, body);
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, body.length / 2), () => res.socket?.destroy());
    });
    const { run } = fetchFrom(fx.server.url("/plugin"));
    const got = await run;
    expect(got.sha512).toBe(sha512(body));
    expect(fx.server.requests).toHaveLength(2);
    expect(await entries(fx.root)).toEqual([`relation-7-${sha512(body).slice(0, 16)}`]);
  });

  it("treats a chunked body whose connection dies as transient, and fails after the tries", async () => {
    fx.server = await serve((_req, res) => {
      res.writeHead(200);
      res.write(body.subarray(0, 600), () => res.socket?.destroy());
    });
    const { run } = fetchFrom(fx.server.url("/plugin"), { attempts: 2 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "network", transient: true, attempts: 2 });
    expect(fx.server.requests).toHaveLength(2);
    await expectNothingLeft();
  });

  it("reports a refused connection as a transient network error", async () => {
    const gone = await serve(() => undefined);
    const url = gone.url("/plugin");
    await gone.close();
    const { run } = fetchFrom(url, { attempts: 2 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "network", transient: true, attempts: 2 });
    expect(err.problem).toContain("ECONNREFUSED");
  });
});

describe("size limits", () => {
  it("refuses a Content-Length over maxBytes before reading the body", async () => {
    fx.server = await serve((_req, res) => sendBody(res, Buffer.alloc(5_000)));
    const { run } = fetchFrom(fx.server.url("/plugin"), { maxBytes: 1_000 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "too-large", transient: false, attempts: 1 });
    expect(err.problem).toBe("download exceeds the 1000 bytes limit (Content-Length 5000)");
    expect(fx.server.requests).toHaveLength(1);
    await expectNothingLeft();
  });

  it("stops a chunked body (no Content-Length) as soon as it passes maxBytes", async () => {
    fx.server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-tar" });
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(1024, i));
      res.end();
    });
    const { run } = fetchFrom(fx.server.url("/plugin"), { maxBytes: 4 * 1024 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "too-large", transient: false });
    expect(err.problem).toBe("download exceeds the 4 KiB limit (while streaming)");
    expect(fx.server.requests).toHaveLength(1);
    await expectNothingLeft();
  });
});

describe("timeouts and aborts", () => {
  it("times out a server that never answers (transient, retried)", async () => {
    fx.server = await serve(() => undefined);
    const { run } = fetchFrom(fx.server.url("/plugin"), { timeoutMs: 100, attempts: 2 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "timeout", transient: true, attempts: 2 });
    expect(err.problem).toBe("server did not answer within 0.1 s");
    expect(fx.server.requests).toHaveLength(2);
    await expectNothingLeft();
  });

  it("times out a server that sends headers and then stalls", async () => {
    fx.server = await serve((_req, res) => {
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, 512));
    });
    const { run } = fetchFrom(fx.server.url("/plugin"), { timeoutMs: 100, attempts: 1 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "timeout", transient: true, attempts: 1 });
    expect(err.problem).toBe("download did not finish within 0.1 s");
    await expectNothingLeft();
  });

  it("stops at once when the signal aborts mid-download, and cleans up", async () => {
    const controller = new AbortController();
    fx.server = await serve((_req, res) => {
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, 512), () => controller.abort());
    });
    const { run } = fetchFrom(fx.server.url("/plugin"), { signal: controller.signal });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "aborted", attempts: 1 });
    expect(fx.server.requests).toHaveLength(1);
    await expectNothingLeft();
  });

  it("makes no request when the signal is already aborted", async () => {
    fx.server = await serve((_req, res) => sendBody(res, body));
    const { run } = fetchFrom(fx.server.url("/plugin"), { signal: AbortSignal.abort() });
    expect(await failure(run)).toMatchObject({ kind: "aborted", attempts: 0 });
    expect(fx.server.requests).toHaveLength(0);
  });

  it("stops during the backoff when the signal aborts (default sleep)", async () => {
    const controller = new AbortController();
    fx.server = await serve((_req, res) => {
      res.writeHead(503).end();
      setTimeout(() => controller.abort(), 20);
    });
    const err = await failure(
      fetchPlugin({
        url: fx.server.url("/plugin"),
        pluginRoot: fx.root,
        relationId: 7,
        backoffMs: 60_000,
        backoffCapMs: 60_000,
        signal: controller.signal,
      }),
    );
    expect(err).toMatchObject({ kind: "aborted", attempts: 1 });
    expect(fx.server.requests).toHaveLength(1);
  });
});

describe("redirects and credentials", () => {
  it("follows redirects (relative and absolute) to the plugin", async () => {
    fx.server = await serve((req, res) => {
      if (req.url === "/a") return res.writeHead(301, { location: "/b" }).end();
      if (req.url === "/b") return res.writeHead(307, { location: `${fx.server?.origin}/plugin` }).end();
      sendBody(res, body);
    });
    const { run } = fetchFrom(fx.server.url("/a"));
    expect((await run).sha512).toBe(sha512(body));
    expect(fx.server.requests.map((r) => r.url)).toEqual(["/a", "/b", "/plugin"]);
  });

  it("stops a redirect loop after maxRedirects", async () => {
    fx.server = await serve((_req, res) => res.writeHead(302, { location: "/again" }).end());
    const { run } = fetchFrom(fx.server.url("/start"), { maxRedirects: 3 });
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "redirect", transient: false });
    expect(err.problem).toBe("more than 3 redirects");
    expect(fx.server.requests).toHaveLength(4);
  });

  it("refuses a redirect to a scheme other than http(s)", async () => {
    fx.server = await serve((_req, res) => res.writeHead(302, { location: "file:///etc/passwd" }).end());
    const err = await failure(fetchFrom(fx.server.url("/start")).run);
    expect(err).toMatchObject({ kind: "redirect", transient: false });
    expect(err.problem).toContain("file:");
  });

  it("sends userinfo as Basic auth but never shows it (nor a query) in messages", async () => {
    fx.server = await serve((_req, res) => res.writeHead(403).end());
    const url = fx.server.url("/plugin?token=hunter2").replace("http://", "http://alice:s3cr%40t@");
    const err = await failure(fetchFrom(url).run);
    expect(fx.server.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from("alice:s3cr@t").toString("base64")}`,
    );
    expect(err.statusMessage).toBe(
      `plugin for relation 7: server answered 403 Forbidden at ${fx.server.url("/plugin")}?…; check plugin-url`,
    );
    for (const text of [err.message, err.statusMessage, err.url ?? "", String(err.stack)]) {
      expect(text).not.toMatch(/alice|s3cr|hunter2/);
    }
  });

  it("refuses a malformed %-escape in userinfo as a bad URL: permanent, no request, no retry", async () => {
    fx.server = await serve((_req, res) => sendBody(res, body));
    const url = fx.server.url("/plugin").replace("http://", "http://al%zzice:s3cr%t@");
    const { run, waits } = fetchFrom(url);
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "bad-url", transient: false, attempts: 0, jujuStatus: "blocked" });
    expect(err.problem).toBe("plugin-url has a malformed %-escape in its user name or password");
    expect(fx.server.requests).toEqual([]);
    expect(waits).toEqual([]);
    expect(err.statusMessage).not.toMatch(/al%zzice|s3cr/);
    await expectNothingLeft();
  });

  it("refuses a redirect whose Location has a malformed %-escape in userinfo, without retrying", async () => {
    fx.server = await serve((_req, res) =>
      res.writeHead(302, { location: fx.server?.url("/p").replace("http://", "http://u:%E0%A4%A@") }).end(),
    );
    const { run, waits } = fetchFrom(fx.server.url("/start"));
    const err = await failure(run);
    expect(err).toMatchObject({ kind: "bad-url", transient: false, attempts: 1 });
    expect(err.problem).toBe("the URL has a malformed %-escape in its user name or password");
    expect(fx.server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    await expectNothingLeft();
  });

  it("drops credentials on a redirect to another origin", async () => {
    const other = await serve((_req, res) => sendBody(res, body));
    try {
      fx.server = await serve((_req, res) => res.writeHead(302, { location: other.url("/plugin") }).end());
      const url = fx.server.url("/start").replace("http://", "http://alice:pw@");
      await fetchFrom(url).run;
      expect(fx.server.requests[0]?.headers.authorization).toBeDefined();
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
