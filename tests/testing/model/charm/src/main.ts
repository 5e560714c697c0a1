import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Raw hook tools on purpose: this charm probes the model, not the runtime.
const tool = (name: string, ...args: string[]) => execFileSync(name, args, { encoding: "utf8" }).trim();
const env = process.env;
const dir = env.PROBE_DIR!;
const unit = env.JUJU_UNIT_NAME!;
const hook = env.JUJU_HOOK_NAME ?? (env.JUJU_ACTION_NAME || env.JUJU_DISPATCH_PATH!.replace(/^hooks\//, ""));
const journal = (line: string) => appendFileSync(join(dir, "journal"), `${line}\n`);
const config = JSON.parse(tool("config-get", "--format=json")) as Record<string, string>;
const withoutContext = () => {
  const e = { ...env };
  delete e.JUJU_CONTEXT_ID;
  return e;
};

journal(`begin ${hook}`);
if (config["fail-on"] === hook && !existsSync(join(dir, `failed-${hook}`))) {
  writeFileSync(join(dir, `failed-${hook}`), "");
  journal(`fail ${hook}`);
  process.exit(1);
}
if (config["slow-on"] === hook) {
  writeFileSync(join(dir, "go"), "");
  spawnSync("sleep", ["0.8"]);
}
switch (hook) {
  case "start":
  case "config-changed":
    if (config.token) {
      const value = tool("secret-get", config.token, "value");
      tool(
        "status-set",
        "active",
        `token sha ${createHash("sha256").update(value).digest("hex").slice(0, 8)}`,
      );
    } else tool("status-set", "active", config.greeting ?? "");
    break;
  case "api-relation-changed":
    if (tool("is-leader") === "True") tool("relation-set", "--app", "url=http://api");
    break;
  case "ping":
    tool("status-set", "active", `pinged; leader ${tool("is-leader")}`);
    break;
  case "spawn-exec": {
    const script = `while [ ! -f go ]; do sleep 0.02; done; juju-exec -u ${unit} "JUJU_DISPATCH_PATH=hooks/ping ./dispatch" > exec.out 2>&1; echo $? > exec.rc`;
    spawn("sh", ["-c", script], {
      cwd: dir,
      env: { ...withoutContext(), PWD: dir },
      detached: true,
      stdio: "ignore",
    }).unref();
    break;
  }
  case "spawn-sleeper": {
    const child = spawn("sleep", ["1000"], { detached: true, stdio: "ignore" });
    child.unref();
    tool("action-set", `pid=${child.pid}`);
    break;
  }
  case "exec-inside": {
    const r = spawnSync("juju-exec", ["-u", unit, "is-leader"], { encoding: "utf8" });
    tool("action-set", `code=${r.status}`, `said=${r.stderr.trim()}`);
    break;
  }
  case "read-secret": {
    const uri = JSON.parse(tool("action-get", "--format=json")).uri as string;
    const r = spawnSync("secret-get", [uri, "value"], { encoding: "utf8" });
    if (r.status !== 0) tool("action-fail", r.stderr.trim());
    else tool("action-set", `sha=${createHash("sha256").update(r.stdout.trim()).digest("hex").slice(0, 8)}`);
    break;
  }
  case "resource": {
    const r = spawnSync("resource-get", ["blob"], { encoding: "utf8" });
    if (r.status !== 0) tool("action-fail", r.stderr.trim());
    else tool("action-set", `path=${r.stdout.trim()}`, `size=${readFileSync(r.stdout.trim()).length}`);
    break;
  }
}
journal(`end ${hook}`);
