import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { call, err, mirrorConfig, useClusters } from "./support.js";

const start = useClusters();

const dirs: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kc-auth-test-"));
  dirs.push(dir);
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

describe("basic auth", () => {
  it("refuses a request without or with wrong credentials: 401, plain text", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "s3cret" } } });
    const base = c.endpoints[0]!;
    for (const auth of [undefined, ["admin", "nope"], ["other", "s3cret"]] as const) {
      const res = await call(base, "GET", "/connectors", auth ? { auth } : {});
      expect([res.status, res.text]).toEqual([401, "User cannot access the resource."]);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    }
    const bearer = await call(base, "GET", "/", { headers: { authorization: "Bearer abc" } });
    expect(bearer.status).toBe(401);
  });

  it("admits the right credentials, with the scheme in any case", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "s3:c=ret" } } });
    const base = c.endpoints[0]!;
    expect((await call(base, "GET", "/connectors", { auth: ["admin", "s3:c=ret"] })).status).toBe(200);
    const lower = `basic ${Buffer.from("admin:s3:c=ret").toString("base64")}`;
    expect((await call(base, "GET", "/", { headers: { authorization: lower } })).status).toBe(200);
  });

  it("malformed Base64 in the header escapes the filter: 500 with Java's IllegalArgumentException message", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "pw" } } });
    const base = c.endpoints[0]!;
    for (const [payload, message] of [
      ["YWRtaW46cHc-", "Illegal base64 character 2d"],
      ["YWJjZ", "Last unit does not have enough valid bits"],
    ] as const) {
      const res = await call(base, "GET", "/connectors", { headers: { authorization: `Basic ${payload}` } });
      expect([res.status, res.json]).toEqual([500, err(500, message)]);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    }
    expect(c.requests.map((r) => [r.status, r.user])).toEqual([
      [500, undefined],
      [500, undefined],
    ]);
    // The internal endpoint skips the filter, and a cluster without auth never decodes the header.
    const internal = await call(base, "POST", "/connectors/x/tasks", {
      body: [],
      headers: { authorization: "Basic ***" },
    });
    expect(internal.json).toEqual(err(400, "Internal request missing required signature"));
    const open = await start({ workers: 1 });
    const res = await call(open.endpoints[0]!, "GET", "/", { headers: { authorization: "Basic ***" } });
    expect(res.status).toBe(200);
  });

  it("answers an unmatched route's 404 before looking at credentials", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "pw" } } });
    const res = await call(c.endpoints[0]!, "GET", "/not-a-resource");
    expect([res.status, res.json]).toEqual([404, err(404, "HTTP 404 Not Found")]);
  });

  it("new credentials take effect on a worker only once it restarts", async () => {
    const c = await start({ workers: 2, auth: { users: { admin: "old" } } });
    const [a, b] = c.endpoints as [string, string];
    await c.setCredentials({ admin: "new" });
    for (const base of [a, b])
      expect((await call(base, "GET", "/", { auth: ["admin", "old"] })).status).toBe(200);
    await c.restartWorker(1);
    expect((await call(b, "GET", "/", { auth: ["admin", "new"] })).status).toBe(200);
    expect((await call(b, "GET", "/", { auth: ["admin", "old"] })).status).toBe(401);
    expect((await call(a, "GET", "/", { auth: ["admin", "old"] })).status).toBe(200);
    expect((await call(a, "GET", "/", { auth: ["admin", "new"] })).status).toBe(401);
  });

  it("an empty credentials file admits everyone, even without credentials", async () => {
    const c = await start({ workers: 1, auth: { users: {} } });
    expect((await call(c.endpoints[0]!, "GET", "/connectors")).status).toBe(200);
  });

  it("reads a credentials file by path as Java properties; an unreadable one refuses everyone", async () => {
    const file = await tempFile("creds.properties", "# users\nadmin: pa\\:ss\n  ops = w\\u00f6rd\n");
    const c = await start({ workers: 1, auth: file });
    expect(c.credentialsFile).toBe(file);
    const base = c.endpoints[0]!;
    expect((await call(base, "GET", "/", { auth: ["admin", "pa:ss"] })).status).toBe(200);
    expect((await call(base, "GET", "/", { auth: ["ops", "wörd"] })).status).toBe(200);
    const missing = await start({ workers: 1, auth: join(tmpdir(), "kc-no-such-dir", "creds") });
    expect((await call(missing.endpoints[0]!, "GET", "/", { auth: ["admin", "pa:ss"] })).status).toBe(401);
  });

  it("writes the users file it is given as user=password lines, mode 0600", async () => {
    const c = await start({ workers: 1, auth: { users: { "a b": "p=w", ü: "x" } } });
    const { readFile, stat } = await import("node:fs/promises");
    expect(await readFile(c.credentialsFile!, "latin1")).toBe("a\\ b=p\\=w\n\\u00fc=x\n");
    expect((await stat(c.credentialsFile!)).mode & 0o777).toBe(0o600);
  });

  it("a forwarded write carries the client's credentials to the leader", async () => {
    const c = await start({ workers: 2, auth: { users: { admin: "pw" } } });
    const res = await call(c.endpoints[1]!, "POST", "/connectors", {
      body: { name: "x", config: mirrorConfig() },
      auth: ["admin", "pw"],
    });
    expect(res.status).toBe(201);
    expect(c.requests.map((r) => [r.worker, r.user, r.status, r.forwardedFrom])).toEqual([
      [1, "admin", 201, undefined],
      [0, "admin", 201, 1],
    ]);
  });
});

describe("TLS", () => {
  it("serves HTTPS with a certificate for 127.0.0.1 and localhost, signed by the published CA", async () => {
    const c = await start({ workers: 2, tls: true });
    expect(c.endpoints.every((e) => e.startsWith("https://127.0.0.1:"))).toBe(true);
    expect(c.caPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    const { X509Certificate } = await import("node:crypto");
    const ca = new X509Certificate(c.caPem!);
    expect(ca.ca).toBe(true);
    const agent = new Agent({ connect: { ca: c.caPem! } });
    agents.push(agent);
    const res = await call(c.endpoints[0]!, "GET", "/", { dispatcher: agent });
    expect(res.status).toBe(200);
    const localhost = c.endpoints[1]!.replace("127.0.0.1", "localhost");
    expect((await call(localhost, "GET", "/connectors", { dispatcher: agent })).status).toBe(200);
    // Forwarding works under TLS too.
    const created = await call(c.endpoints[1]!, "POST", "/connectors", {
      body: { name: "t", config: mirrorConfig() },
      dispatcher: agent,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${c.endpoints[1]}/connectors/t`);
  });

  it("a client that does not trust the CA fails the handshake", async () => {
    const c = await start({ workers: 1, tls: true });
    const failure = await fetch(`${c.endpoints[0]}/`).then(
      () => undefined,
      (e: unknown) => (e as { cause?: { code?: string } }).cause?.code,
    );
    expect(failure).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });
});
