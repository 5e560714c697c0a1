import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fetchPlugin, PluginFetchError } from "../../../lib/connect-client/plugin-fetcher/index.js";
import { generateTestTls, type TestTls } from "../../../lib/testing/index.js";
import {
  entries,
  pluginTarball,
  sendBody,
  serve,
  serveTls,
  sha512,
  type TestServer,
  tempRoot,
} from "./support.js";

let pki: TestTls;
const servers: TestServer[] = [];
let dirs: { root: string; cleanup(): Promise<void> };

beforeAll(async () => {
  pki = await generateTestTls();
});

beforeEach(async () => {
  dirs = await tempRoot();
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await dirs.cleanup();
});

const body = pluginTarball();

async function tlsServer(handler: Parameters<typeof serveTls>[0]): Promise<TestServer> {
  const server = await serveTls(handler, { key: pki.keyPem, cert: pki.certPem });
  servers.push(server);
  return server;
}

describe("HTTPS", () => {
  it("downloads over TLS when the private CA is given", async () => {
    const server = await tlsServer((_req, res) => sendBody(res, body));
    const got = await fetchPlugin({
      url: server.url("/plugin"),
      pluginRoot: dirs.root,
      relationId: 1,
      ca: pki.caPem,
    });
    expect(got.sha512).toBe(sha512(body));
  });

  it("verifies the certificate: an unknown CA is a permanent tls error, never retried", async () => {
    const server = await tlsServer((_req, res) => sendBody(res, body));
    const err = await fetchPlugin({ url: server.url("/plugin"), pluginRoot: dirs.root, relationId: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginFetchError);
    expect(err).toMatchObject({ kind: "tls", transient: false, attempts: 1 });
    expect((err as PluginFetchError).problem).toMatch(/^TLS verification failed \([A-Z_]+\)$/);
    expect(server.requests).toHaveLength(0);
    expect(await entries(dirs.root)).toEqual([]);
  });

  it("refuses a redirect from https down to plain http", async () => {
    const plain = await serve((_req, res) => sendBody(res, body));
    servers.push(plain);
    const server = await tlsServer((_req, res) =>
      res.writeHead(302, { location: plain.url("/plugin") }).end(),
    );
    const err = await fetchPlugin({
      url: server.url("/p"),
      pluginRoot: dirs.root,
      relationId: 1,
      ca: pki.caPem,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "redirect", transient: false });
    expect(plain.requests).toHaveLength(0);
  });
});
