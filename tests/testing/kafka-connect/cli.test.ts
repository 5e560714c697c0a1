import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildPluginTarball,
  KafkaConnectEmulatorUsageError,
  parseKafkaConnectEmulatorArgs,
  runKafkaConnectEmulator,
} from "../../../lib/testing/kafka-connect/index.js";
import { freeLoopbackPort } from "../../../lib/testing/net.js";
import { call } from "./support.js";

const CLI = "lib/testing/kafka-connect/cli.ts";

const running: (() => Promise<number>)[] = [];

/** Runs the CLI in-process; `stop()` ends it like SIGINT and yields the exit code (afterEach stops leftovers). */
function runInProcess(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const errs: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  let ready!: () => void;
  const started = new Promise<void>((r) => {
    ready = r;
  });
  const done = runKafkaConnectEmulator(
    argv,
    {
      out: (l) => {
        out.push(l);
        ready();
      },
      err: (l) => errs.push(l),
      env,
    },
    stopped,
  );
  const stopRun = async () => {
    stop();
    return done;
  };
  running.push(stopRun);
  return {
    out,
    errs,
    /** Resolves once the endpoints line is out (or the run ended early). */
    started: Promise.race([started, done]),
    stop: stopRun,
  };
}

const dirs: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("argument parsing", () => {
  it("has defaults and reads every option", () => {
    // A long session keeps only the last 10 000 request records.
    expect(parseKafkaConnectEmulatorArgs([])).toEqual({
      workers: 3,
      version: "3.9",
      tls: false,
      plugins: [],
      recordLimit: 10_000,
    });
    expect(
      parseKafkaConnectEmulatorArgs([
        "--workers=2",
        "--version",
        "3.4",
        "--tls",
        "--auth",
        "admin",
        "--port",
        "18083",
        "--plugin",
        "a.tgz",
        "--plugin",
        "b.tgz",
        "--record-limit",
        "50",
      ]),
    ).toEqual({
      workers: 2,
      version: "3.4",
      tls: true,
      auth: { user: "admin", passwordInArgv: false },
      port: 18083,
      plugins: ["a.tgz", "b.tgz"],
      recordLimit: 50,
    });
    expect(parseKafkaConnectEmulatorArgs(["--auth", "u:p:w"]).auth).toEqual({
      user: "u",
      password: "p:w",
      passwordInArgv: true,
    });
  });

  it("reports usage errors", () => {
    const cases: [string[], string][] = [
      [["--workers", "0"], "--workers must be an integer from 1 to 64, got 0"],
      [["--record-limit", "0"], "--record-limit must be a positive integer, got 0"],
      [["--version", "x"], '--version: not a Kafka version (want X.Y): "x"'],
      [["--port", "65535", "--workers", "2"], "--port must leave room for 2 ports below 65536, got 65535"],
      [["--auth", "a", "--auth-file", "f"], "give --auth or --auth-file, not both"],
      [["--auth", ":pw"], "--auth needs a user name"],
      [["--auth", "admin", "s3cret"], "1 unexpected argument(s); this command takes options only"],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseKafkaConnectEmulatorArgs(argv)).toThrow(KafkaConnectEmulatorUsageError);
      expect(() => parseKafkaConnectEmulatorArgs(argv)).toThrow(message);
    }
    expect(() => parseKafkaConnectEmulatorArgs(["--bogus"])).toThrow(KafkaConnectEmulatorUsageError);
    // A usage error never repeats a value that could be a password.
    for (const argv of [["--pasword=s3cret"], ["--auth", "admin", "s3cret"]]) {
      let message = "";
      try {
        parseKafkaConnectEmulatorArgs(argv);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain("s3cret");
    }
  });
});

describe("runKafkaConnectEmulator", () => {
  it("exits 2 with a message on a usage error, 0 on --help", async () => {
    const bad = runInProcess(["--workers", "many"]);
    expect(await bad.stop()).toBe(2);
    expect(bad.errs[0]).toBe("kafka-connect-emulator: --workers must be an integer from 1 to 64, got many");
    const help = runInProcess(["--help"]);
    expect(await help.stop()).toBe(0);
    expect(help.out[0]).toMatch(/^usage: kafka-connect-emulator/);
  });

  it("prints the endpoints line, then a generated password once, and stops cleanly", async () => {
    const run = runInProcess(["--workers", "2", "--auth", "admin"]);
    await run.started;
    const endpoints = run.out[0]!.split(",");
    expect(endpoints).toHaveLength(2);
    expect(run.out[1]).toBe("username: admin");
    const password = /^password: (\S+)$/.exec(run.out[2]!)?.[1];
    expect(password).toMatch(/^[\w-]{24}$/);
    expect((await call(endpoints[1]!, "GET", "/connectors", { auth: ["admin", password!] })).status).toBe(
      200,
    );
    expect((await call(endpoints[1]!, "GET", "/connectors")).status).toBe(401);
    expect(run.errs.join("\n")).not.toContain(password!);
    expect(await run.stop()).toBe(0);
    await expect(fetch(`${endpoints[0]}/`)).rejects.toThrow();
  });

  it("takes the password from the environment, or from argv with a warning, and never prints it", async () => {
    const env = runInProcess(["--workers", "1", "--auth", "admin"], {
      KAFKA_CONNECT_EMULATOR_PASSWORD: "from-env",
    });
    await env.started;
    expect(env.out).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), "username: admin"]);
    expect((await call(env.out[0]!, "GET", "/", { auth: ["admin", "from-env"] })).status).toBe(200);
    expect(await env.stop()).toBe(0);

    const argv = runInProcess(["--workers", "1", "--auth", "admin:in-argv"]);
    await argv.started;
    expect(argv.errs[0]).toBe(
      "kafka-connect-emulator: warning: a password in --auth is visible in the process list; " +
        "prefer --auth-file FILE or KAFKA_CONNECT_EMULATOR_PASSWORD",
    );
    expect([...argv.out, ...argv.errs].join("\n")).not.toContain("in-argv");
    expect((await call(argv.out[0]!, "GET", "/", { auth: ["admin", "in-argv"] })).status).toBe(200);
    expect(await argv.stop()).toBe(0);
  });

  it("--tls writes the CA for curl --cacert; --auth-file, --plugin and --version are honoured", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kc-cli-test-"));
    dirs.push(dir);
    const creds = join(dir, "creds.properties");
    await writeFile(creds, "ops=pw\n");
    const plugin = join(dir, "foo.tgz");
    await writeFile(
      plugin,
      await buildPluginTarball({ plugins: [{ class: "com.example.FooSourceConnector", type: "source" }] }),
    );
    const run = runInProcess([
      "--workers",
      "1",
      "--tls",
      "--auth-file",
      creds,
      "--plugin",
      plugin,
      "--version",
      "3.6",
    ]);
    await run.started;
    const caFile = /^tls-ca: (.+)$/.exec(run.out[1]!)?.[1];
    expect(caFile).toBeDefined();
    const agent = new Agent({ connect: { ca: await readFile(caFile!, "utf8") } });
    agents.push(agent);
    const base = run.out[0]!;
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const root = await call(base, "GET", "/", { auth: ["ops", "pw"], dispatcher: agent });
    expect(root.json).toMatchObject({ version: "3.6.0" });
    const plugins = (
      await call(base, "GET", "/connector-plugins", { auth: ["ops", "pw"], dispatcher: agent })
    ).json;
    expect(plugins).toContainEqual({ class: "com.example.FooSourceConnector", type: "source" });
    expect(await run.stop()).toBe(0);
    expect(existsSync(caFile!)).toBe(false);
  });

  it("--port puts worker i on port + i", async () => {
    const port = await freeLoopbackPort();
    const run = runInProcess(["--workers", "1", "--port", String(port)]);
    await run.started;
    expect(run.out[0]).toBe(`http://127.0.0.1:${port}`);
    expect(await run.stop()).toBe(0);
  });
});

describe("the command as a process", () => {
  it("prints the endpoints, serves them, and exits 0 on SIGINT", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--workers", "2"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      const endpoints = line.split(",");
      expect(endpoints).toHaveLength(2);
      const res = await call(endpoints[0]!, "GET", "/");
      expect(res.json).toMatchObject({ version: "3.9.0" });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
