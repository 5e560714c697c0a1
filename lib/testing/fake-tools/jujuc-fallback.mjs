#!/usr/bin/env node
// Fallback fake hook-tool client, used when no C compiler is available: same behaviour and wire format
// as jujuc.c (see the framing described there and in protocol.ts), but a Node start-up per call, so slow.
// Self-contained on purpose: installFakeTools copies this file on its own into the tools directory.
import net from "node:net";
import { basename } from "node:path";

const MAX_STDIN = 64 * 1024 * 1024;
const MAX_RESPONSE = 256 * 1024 * 1024;

function fail(message) {
  process.stderr.write(`ERROR ${message}\n`);
  process.exit(1);
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function str(v) {
  const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
  return [u32(b.length), b];
}

// Juju reads stdin only for `--file -` / `--file=-`; anything else must not block on a terminal.
function wantsStdin(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return false;
    if (args[i] === "--file=-") return true;
    if (args[i] === "--file" && args[i + 1] === "-") return true;
  }
  return false;
}

async function readStdin() {
  const chunks = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += chunk.length;
    if (size > MAX_STDIN) fail(`stdin is larger than ${MAX_STDIN} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function cwd() {
  try {
    return process.cwd();
  } catch {
    return ""; // e.g. the working directory was removed, as jujuc.c does
  }
}

async function main() {
  // argv[1] is the symlink the tool was run as (Node resolves symlinks for the module, not for argv).
  const tool = basename(process.argv[1] ?? "jujuc");
  const args = process.argv.slice(2);
  const socketPath = process.env.JUJU_AGENT_SOCKET_ADDRESS;
  if (!socketPath) fail("JUJU_AGENT_SOCKET_ADDRESS not set");
  const contextId = process.env.JUJU_CONTEXT_ID;
  if (!contextId) fail("JUJU_CONTEXT_ID not set");

  const parts = [...str(contextId), ...str(cwd()), ...str(tool), u32(args.length)];
  for (const arg of args) parts.push(...str(arg));
  if (wantsStdin(args)) parts.push(Buffer.of(1), ...str(await readStdin()));
  else parts.push(Buffer.of(0));
  const body = Buffer.concat(parts);
  const request = Buffer.concat([Buffer.from("JJQ1", "latin1"), u32(body.length), body]);

  const response = await new Promise((resolve) => {
    const chunks = [];
    let connected = false;
    const socket = net.createConnection(socketPath, () => {
      connected = true;
      socket.write(request);
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (err) => {
      if (!connected) fail(`cannot connect to the Juju agent at ${socketPath}: ${describe(err)}`);
      fail(`connection to the Juju agent failed: ${describe(err)}`);
    });
    socket.on("end", () => resolve(Buffer.concat(chunks)));
  });

  if (response.length < 8) fail("the Juju agent closed the connection without answering");
  if (response.toString("latin1", 0, 4) !== "JJR1") fail("bad answer from the Juju agent (wrong magic)");
  const length = response.readUInt32BE(4);
  if (length < 12 || length > MAX_RESPONSE) fail(`bad answer from the Juju agent (length ${length})`);
  if (response.length < 8 + length) fail("the Juju agent closed the connection mid-answer");
  const code = response.readUInt32BE(8);
  const outLength = response.readUInt32BE(12);
  if (outLength > length - 12) fail("bad answer from the Juju agent (stdout length)");
  const errLength = response.readUInt32BE(16 + outLength);
  if (errLength !== length - 12 - outLength) fail("bad answer from the Juju agent (stderr length)");
  const stdout = response.subarray(16, 16 + outLength);
  const stderr = response.subarray(20 + outLength, 20 + outLength + errLength);

  // Exit only once both writes have flushed, or output to a pipe could be cut short.
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code & 0xff);
  };
  process.stdout.write(stdout, done);
  process.stderr.write(stderr, done);
}

// Node's system errors carry the errno name in .code; map the common ones to strerror(3) wording
// so messages match the native client.
function describe(err) {
  const strerror = {
    ENOENT: "No such file or directory",
    ECONNREFUSED: "Connection refused",
    EACCES: "Permission denied",
    ENOTSOCK: "Socket operation on non-socket",
    ENAMETOOLONG: "File name too long",
  };
  return strerror[err.code] ?? err.message;
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
