import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { APP_NAME, UNIT_NAME } from "../../../juju/names.js";
import { appOfUnit, isPeer, remoteAppOf } from "../model.js";
import type { HookSession, ToolCall } from "../session.js";
import { FORMAT_OPTIONS, noExtraArgs, ok, parseOptions, RELATION_OPTION, ToolFailure, usage } from "./cli.js";

export function relationIds(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, FORMAT_OPTIONS);
  const endpoint = p.args[0] ?? s.env.JUJU_RELATION;
  if (!endpoint) throw usage("no endpoint name specified");
  noExtraArgs(p.args.slice(1));
  const ids = Object.values(s.draft.relations)
    .filter((r) => r.endpoints[s.app] === endpoint && !r.dying)
    .map((r) => s.relationKey(r))
    .sort();
  return s.emit(p, ids);
}

export function relationList(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...FORMAT_OPTIONS,
    ...RELATION_OPTION,
    app: { kind: "bool" },
  });
  const rel = s.relation(p);
  noExtraArgs(p.args);
  if (p.opts.app) return s.emit(p, remoteAppOf(rel, s.app));
  const remote = remoteAppOf(rel, s.app);
  // RelationCache.MemberNames sorts with sort.Strings: "app/10" comes before "app/2".
  const members = rel.members.filter((u) => appOfUnit(u) === remote && u !== s.unit).sort();
  return s.emit(p, members);
}

export function relationGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...FORMAT_OPTIONS,
    ...RELATION_OPTION,
    app: { kind: "bool" },
  });
  const rel = s.relation(p);
  const [keyArg, nameArg, ...rest] = p.args;
  noExtraArgs(rest);
  const key = keyArg === undefined || keyArg === "-" ? undefined : keyArg;
  let app = p.opts.app === true;
  let name = nameArg;
  if (name === undefined) {
    if (!app && s.env.JUJU_REMOTE_UNIT) name = s.env.JUJU_REMOTE_UNIT;
    else if (s.env.JUJU_REMOTE_APP) {
      app = true;
      name = s.env.JUJU_REMOTE_APP;
    } else throw usage("no unit or application specified");
  } else if (app) {
    if (UNIT_NAME.test(name)) name = appOfUnit(name);
    else if (!APP_NAME.test(name)) throw usage(`invalid application name "${name}"`);
  } else if (!name.includes("/") && APP_NAME.test(name)) {
    throw usage(`expected unit name, got application name "${name}"`);
  } else if (!UNIT_NAME.test(name)) {
    throw usage(`invalid unit name "${name}"`);
  }

  let bag: Record<string, string> | undefined;
  if (app) {
    const own = name === s.app;
    if (!(name in rel.endpoints)) throw new ToolFailure("permission denied");
    // The leader reads its own app bag locally; a non-leader may only on a peer relation.
    if (own && !s.isLeader && !isPeer(rel)) throw new ToolFailure("permission denied");
    bag = rel.appData[name] ?? {};
  } else {
    if (!(appOfUnit(name) in rel.endpoints) || !(name in rel.unitData || rel.members.includes(name))) {
      throw new ToolFailure(
        `cannot read settings for unit "${name}" in relation "${s.relationKey(rel)}": permission denied`,
      );
    }
    bag = rel.unitData[name] ?? {};
  }
  return s.emit(p, key === undefined ? { ...bag } : (bag[key] ?? null));
}

/** keyvalues.Parse from juju/utils: trimmed, empty args skipped, duplicates refused, `key=` allowed. */
export function parseKeyValues(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    if (arg === "") continue;
    const eq = arg.indexOf("=");
    if (eq < 0) throw usage(`expected "key=value", got "${arg}"`);
    const key = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1).trim();
    if (key === "") throw usage(`expected "key=value", got "${key}=${value}"`);
    if (key in out) throw usage(`key "${key}" specified more than once`);
    out[key] = value;
  }
  return out;
}

/** Reads `--file` (a YAML map of strings; `-` is stdin) as Juju does for relation-set and state-set. */
export function readSettingsFile(call: ToolCall, file: string): Record<string, string> {
  let text: string;
  if (file === "-") {
    if (call.stdin === undefined) throw new ToolFailure("hook tool requires stdin, none supplied");
    text = call.stdin;
  } else {
    text = readText(call, file);
  }
  // yaml.v2 into map[string]string: a scalar keeps its literal text (`1.50` stays "1.50", `yes` stays "yes"),
  // null (`~`, `null`, nothing) becomes "" (which deletes), a nested map or list is an unmarshal error.
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { version: "1.1" });
  } catch (err) {
    throw new ToolFailure(`yaml: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc.errors.length) throw new ToolFailure(`yaml: ${doc.errors[0]!.message.split("\n")[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return {};
  if (!isMap(root)) {
    throw new ToolFailure(
      `yaml: unmarshal errors:\n  line 1: cannot unmarshal !!${isSeq(root) ? "seq" : "str"} into map[string]string`,
    );
  }
  const text1 = (node: unknown): string => {
    if (node === null || node === undefined) return "";
    if (!isScalar(node)) {
      throw new ToolFailure(
        `yaml: unmarshal errors:\n  cannot unmarshal !!${isSeq(node) ? "seq" : "map"} into string`,
      );
    }
    if (node.value === null) return "";
    if (typeof node.value === "string") return node.value;
    return node.source ?? String(node.value);
  };
  const out: Record<string, string> = {};
  for (const pair of root.items) out[text1(pair.key)] = text1(pair.value);
  return out;
}

/** Reads a file named on a tool's command line, relative to the hook's working directory. */
export function readText(call: ToolCall, file: string): string {
  const path = isAbsolute(file) ? file : join(call.cwd, file);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ToolFailure(
      `open ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`,
    );
  }
}

export function relationSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...RELATION_OPTION,
    file: { kind: "string" },
    app: { kind: "bool" },
    format: { kind: "string" },
  });
  const rel = s.relation(p);
  const fromArgs = parseKeyValues(p.args);
  const stderr = p.opts.format !== undefined ? '--format flag deprecated for command "relation-set"' : "";
  const values = {
    ...(typeof p.opts.file === "string" ? readSettingsFile(call, p.opts.file) : {}),
    ...fromArgs,
  };
  const app = p.opts.app === true;
  if (app && !s.isLeader) throw new ToolFailure("cannot write relation settings");
  const owner = app ? s.app : s.unit;
  const bags = app ? rel.appData : rel.unitData;
  const bag = { ...(bags[owner] ?? {}) };
  for (const [k, v] of Object.entries(values)) {
    if (v === "") delete bag[k];
    else bag[k] = v;
  }
  bags[owner] = bag;
  return ok("", stderr);
}
