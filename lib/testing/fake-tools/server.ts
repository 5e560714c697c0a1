import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ToolResult } from "../../juju/tools/runner.js";
import { createRequestDecoder, encodeResponse, type RequestFrame } from "./protocol.js";

/** One hook tool call as the emulator sees it. */
export interface ToolRequest {
  contextId: string;
  /** The tool process's working directory. */
  dir: string;
  tool: string;
  args: string[];
  /** UTF-8 decoded stdin; present only when the tool was run with `--file -`. */
  stdin?: string;
}

export type ToolHandler = (req: ToolRequest) => ToolResult | Promise<ToolResult>;

export interface ToolServer {
  /** Path of the UNIX socket; pass it to the tools as JUJU_AGENT_SOCKET_ADDRESS. */
  socketPath: string;
  /** Stops listening, drops open connections, removes the socket (and the temp dir it created). */
  close(): Promise<void>;
}

const errorResult = (message: string): ToolResult => ({ code: 1, stdout: "", stderr: `ERROR ${message}\n` });

/** Runs the handler and encodes its answer; any failure becomes an `ERROR ...` answer with code 1. */
async function answer(handler: ToolHandler, frame: RequestFrame): Promise<Buffer> {
  const req: ToolRequest = { contextId: frame.contextId, dir: frame.dir, tool: frame.tool, args: frame.args };
  if (frame.stdin !== undefined) req.stdin = Buffer.from(frame.stdin).toString("utf8");
  try {
    return encodeResponse(await handler(req));
  } catch (e) {
    return encodeResponse(errorResult(e instanceof Error ? e.message : String(e)));
  }
}

/**
 * Serves fake hook tool calls on a UNIX socket: one request frame in, one response frame out, per
 * connection. The socket lives in a fresh private (0700) temp dir unless `opts.dir` is given.
 */
export async function startToolServer(
  handler: ToolHandler,
  opts: { dir?: string } = {},
): Promise<ToolServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "kcck-tools-"))); // mkdtemp creates it 0700
  const socketPath = join(dir, "agent.sock");
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A client that dies mid-call is its own problem; never let a socket error reach the process.
    socket.on("error", () => socket.destroy());
    const decoder = createRequestDecoder();
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      if (answered) return; // one request per connection; anything after it is ignored
      let frame: RequestFrame | undefined;
      try {
        frame = decoder.push(chunk)[0];
      } catch (e) {
        answered = true;
        socket.end(encodeResponse(errorResult(`bad request: ${e instanceof Error ? e.message : String(e)}`)));
        return;
      }
      if (frame === undefined) return;
      answered = true;
      void answer(handler, frame).then((response) => {
        if (!socket.destroyed) socket.end(response);
      });
    });
  });
  // Errors after listen (e.g. accept failing under fd pressure) must not crash the test process.
  const ignore = () => {};

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        server.on("error", ignore);
        resolve();
      });
    });
  } catch (e) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await rm(ownDir ? dir : socketPath, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
