import { ACTION_KEY as KEY, RESERVED_ACTION_KEYS as RESERVED } from "../../../juju/tools/actions.js";
import type { HookSession, ToolCall } from "../session.js";
import { FORMAT_OPTIONS, noExtraArgs, ok, parseOptions, ToolFailure, usage } from "./cli.js";

function running(s: HookSession) {
  if (!s.action) throw new ToolFailure("not running an action");
  return s.action;
}

// Each tool checks its arguments (Init, exit 2) before Run asks the context for the action, so usage
// errors come before "not running an action".

export function actionGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, FORMAT_OPTIONS);
  const [key, ...rest] = p.args;
  noExtraArgs(rest);
  const action = running(s);
  if (key === undefined) return s.emit(p, action.params);
  let v: unknown = action.params;
  for (const part of key.split(".")) {
    v =
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? (v as Record<string, unknown>)[part]
        : undefined;
  }
  return s.emit(p, v ?? null);
}

export function actionSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  const pairs: [string[], string][] = [];
  for (const arg of p.args) {
    const eq = arg.indexOf("=");
    if (eq < 0) throw usage(`argument "${arg}" must be of the form key...=value`);
    const key = arg.slice(0, eq);
    const parts = key.split(".");
    for (const part of parts) {
      if (!KEY.test(part)) {
        // Juju names the offending part of a dotted key, not the whole key.
        throw usage(
          `key "${part}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
        );
      }
      if (RESERVED.has(part)) throw usage(`cannot set reserved action key "${part}"`);
    }
    pairs.push([parts, arg.slice(eq + 1)]);
  }
  // Run calls UpdateActionResults once per pair: with no pairs it never asks and cannot fail.
  if (pairs.length) running(s);
  for (const [parts, value] of pairs) {
    let node = s.effects.actionResults;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node[part] = next !== null && typeof next === "object" ? next : {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return ok();
}

export function actionFail(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  const [message = "action failed without reason given, check action for errors", ...rest] = p.args;
  noExtraArgs(rest);
  running(s);
  s.effects.actionFailure = message;
  return ok();
}

export function actionLog(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  if (p.args.length === 0) throw usage("no message specified");
  running(s);
  s.effects.actionLogs.push(p.args.join(" "));
  return ok();
}
