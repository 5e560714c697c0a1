import { existsSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createResponseDecoder,
  encodeRequest,
  type RequestFrame,
  type ResponseFrame,
  startToolServer,
  type ToolHandler,
  type ToolRequest,
  type ToolServer,
} from "../../../lib/testing/fake-tools/index.js";

const servers: ToolServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: ToolHandler, opts?: { dir?: string }): Promise<ToolServer> {
  const server = await startToolServer(handler, opts);
  servers.push(server);
  return server;
}

/** Sends raw bytes in pieces of `chunk` bytes (with a pause between them) and decodes the answer. */
function sendRaw(
  socketPath: string,
  bytes: Buffer,
  chunk = bytes.length,
): Promise<ResponseFrame | undefined> {
  return new Promise((resolve, reject) => {
    const decoder = createResponseDecoder();
    let response: ResponseFrame | undefined;
    const socket = net.createConnection(socketPath, async () => {
      for (let at = 0; at < bytes.length; at += chunk) {
        socket.write(bytes.subarray(at, at + chunk));
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    socket.on("data", (b) => {
      response ??= decoder.push(b)[0];
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(response));
  });
}

const call = async (socketPath: string, req: RequestFrame, chunk?: number) => {
  const res = await sendRaw(socketPath, encodeRequest(req), chunk);
  if (!res) throw new Error("no response");
  return {
    code: res.code,
    stdout: Buffer.from(res.stdout).toString(),
    stderr: Buffer.from(res.stderr).toString(),
  };
};

const req = (over: Partial<RequestFrame> = {}): RequestFrame => ({
  contextId: "ctx-1",
  dir: "/charm",
  tool: "config-get",
  args: ["--format=json"],
  ...over,
});

describe("startToolServer", () => {
  it("hands the request to the handler and sends back its result, even when the request arrives in pieces", async () => {
    const seen: ToolRequest[] = [];
    const server = await serve((r) => {
      seen.push(r);
      return { code: 0, stdout: '{"a": 1}\n', stderr: "" };
    });
    const frame = req({ args: ["--file", "-"], stdin: Buffer.from("välue: ✓\n") });
    expect(await call(server.socketPath, frame, 3)).toEqual({ code: 0, stdout: '{"a": 1}\n', stderr: "" });
    expect(seen).toEqual([
      { contextId: "ctx-1", dir: "/charm", tool: "config-get", args: ["--file", "-"], stdin: "välue: ✓\n" },
    ]);
  });

  it("leaves stdin undefined when the tool sent none", async () => {
    const seen: ToolRequest[] = [];
    const server = await serve((r) => {
      seen.push(r);
      return { code: 0, stdout: "", stderr: "" };
    });
    await call(server.socketPath, req());
    expect(seen[0]).not.toHaveProperty("stdin");
  });

  it("answers ERROR <message> with code 1 when the handler throws, rejects or returns garbage, and keeps serving", async () => {
    const server = await serve(async (r) => {
      if (r.tool === "sync-throw") throw new Error("boom");
      if (r.tool === "reject") return Promise.reject(new Error("async boom"));
      if (r.tool === "non-error") throw "plain string";
      if (r.tool === "bad-code") return { code: -5, stdout: "", stderr: "" };
      return { code: 0, stdout: "still alive\n", stderr: "" };
    });
    const err = (stderr: string) => ({ code: 1, stdout: "", stderr });
    expect(await call(server.socketPath, req({ tool: "sync-throw" }))).toEqual(err("ERROR boom\n"));
    expect(await call(server.socketPath, req({ tool: "reject" }))).toEqual(err("ERROR async boom\n"));
    expect(await call(server.socketPath, req({ tool: "non-error" }))).toEqual(err("ERROR plain string\n"));
    expect(await call(server.socketPath, req({ tool: "bad-code" }))).toEqual(
      err("ERROR invalid exit code: -5\n"),
    );
    expect(await call(server.socketPath, req())).toEqual({ code: 0, stdout: "still alive\n", stderr: "" });
  });

  it("answers a malformed request with an error instead of crashing", async () => {
    const server = await serve(() => ({ code: 0, stdout: "", stderr: "" }));
    const res = await sendRaw(server.socketPath, Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    expect(res?.code).toBe(1);
    expect(Buffer.from(res!.stderr).toString()).toMatch(/^ERROR bad request: bad frame magic/);
  });

  it("serves concurrent connections independently", async () => {
    // Earlier calls take longer, so answers complete out of order.
    const server = await serve(async (r) => {
      const i = Number(r.args[0]);
      await new Promise((resolve) => setTimeout(resolve, (20 - i) * 2));
      return { code: i % 3, stdout: `call ${i}\n`, stderr: "" };
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(server.socketPath, req({ args: [String(i)] }))),
    );
    expect(results).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ code: i % 3, stdout: `call ${i}\n`, stderr: "" })),
    );
  });

  it("binds in a private temp dir and close() removes the socket and the dir", async () => {
    const server = await startToolServer(() => ({ code: 0, stdout: "", stderr: "" }));
    const dir = dirname(server.socketPath);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(server.socketPath).isSocket()).toBe(true);
    await server.close();
    expect(existsSync(server.socketPath)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await server.close(); // idempotent
  });

  it("with a given dir, close() removes only the socket", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kcck-server-test-"));
    try {
      const server = await startToolServer(() => ({ code: 0, stdout: "", stderr: "" }), { dir });
      expect(dirname(server.socketPath)).toBe(dir);
      await server.close();
      expect(existsSync(dir)).toBe(true);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("close() does not wait for a handler that never finishes, and drops its connection", async () => {
    let called!: () => void;
    const handlerCalled = new Promise<void>((resolve) => {
      called = resolve;
    });
    const server = await startToolServer(() => {
      called();
      return new Promise(() => {});
    });
    const pending = sendRaw(server.socketPath, encodeRequest(req()));
    await handlerCalled;
    await server.close();
    expect(await pending).toBeUndefined(); // connection closed without an answer
    expect(existsSync(server.socketPath)).toBe(false);
  });
});
