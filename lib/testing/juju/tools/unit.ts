import type { HookSession, ToolCall } from "../session.js";
import { FORMAT_OPTIONS, noExtraArgs, ok, parseOptions, RELATION_OPTION, ToolFailure, usage } from "./cli.js";
import { parseKeyValues, readSettingsFile } from "./relations.js";

const SETTABLE = ["maintenance", "blocked", "waiting", "active"];

export function isLeader(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, FORMAT_OPTIONS);
  noExtraArgs(p.args);
  return s.emit(p, s.isLeader);
}

export function configGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { ...FORMAT_OPTIONS, all: { kind: "bool", short: "a" } });
  const [key, ...rest] = p.args;
  noExtraArgs(rest);
  if (p.opts.all && key !== undefined) throw usage(`cannot use argument --all together with key "${key}"`);
  const app = s.draft.apps[s.app]!;
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(app.meta.config?.options ?? {})) {
    const v = app.config[name] ?? option.default;
    if (v !== undefined) values[name] = v;
    else if (p.opts.all) values[name] = null;
  }
  return s.emit(p, key === undefined ? values : (values[key] ?? null));
}

export function statusSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { application: { kind: "bool" } });
  const [status, message = "", ...rest] = p.args;
  if (status === undefined) throw usage("invalid args, require <status> [message]");
  if (!SETTABLE.includes(status)) {
    throw usage(`invalid status "${status}", expected one of [${SETTABLE.join(" ")}]`);
  }
  noExtraArgs(rest);
  const record = { status: status as "active", message };
  if (p.opts.application) {
    if (!s.isLeader) throw new ToolFailure("this unit is not the leader");
    s.immediate((m) => {
      m.apps[s.app]!.status = { ...record };
    });
    s.effects.statusHistory.push({ target: "app", status: record });
  } else {
    s.immediate((m) => {
      m.units[s.unit]!.status = { ...record };
    });
    s.effects.statusHistory.push({ target: "unit", status: record });
  }
  return ok();
}

export function statusGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...FORMAT_OPTIONS,
    "include-data": { kind: "bool" },
    application: { kind: "bool" },
  });
  noExtraArgs(p.args);
  const withData = p.opts["include-data"] === true;
  const shape = (st: { status: string; message: string }) =>
    withData ? { status: st.status, message: st.message, "status-data": {} } : { status: st.status };
  const format = (p.opts.format as string | undefined) ?? "smart";
  if (p.opts.application) {
    if (!s.isLeader) throw new ToolFailure("finding application status: this unit is not the leader");
    const app = s.draft.apps[s.app]!;
    if (format === "smart" && !withData) return s.emit(p, app.status.status);
    const units: Record<string, unknown> = {};
    for (const u of Object.values(s.draft.units)) if (u.app === s.app) units[u.name] = shape(u.status);
    return s.emit(p, { "application-status": { ...shape(app.status), units } });
  }
  const unit = s.draft.units[s.unit]!;
  if (format === "smart" && !withData) return s.emit(p, unit.status.status);
  return s.emit(p, shape(unit.status));
}

const LEVELS = new Set(["TRACE", "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"]);

export function jujuLog(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    debug: { kind: "bool" },
    "log-level": { kind: "string", short: "l" },
    format: { kind: "string" },
  });
  if (p.args.length === 0) throw usage("no message specified");
  let level = p.opts.debug ? "DEBUG" : ((p.opts["log-level"] as string | undefined) ?? "INFO").toUpperCase();
  if (!LEVELS.has(level)) {
    s.effects.logs.push({
      level: "WARNING",
      message: `Specified log level of "${p.opts["log-level"]}" is not valid`,
    });
    level = "INFO";
  }
  s.effects.logs.push({ level: level === "WARN" ? "WARNING" : level, message: p.args.join(" ") });
  return ok("", p.opts.format !== undefined ? '--format flag deprecated for command "juju-log"' : "");
}

export function applicationVersionSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  const [version, ...rest] = p.args;
  if (version === undefined) throw usage("no version specified");
  noExtraArgs(rest);
  s.immediate((m) => {
    m.units[s.unit]!.workloadVersion = version;
  });
  return ok();
}

/** network.ParsePortRange + Validate (core/network/portrange.go), with Juju's texts and order of checks. */
export function parsePortRange(text: string): string {
  const spec = text.toLowerCase();
  const slash = spec.indexOf("/");
  const ports = slash < 0 ? spec : spec.slice(0, slash);
  let protocol = slash < 0 ? "tcp" : spec.slice(slash + 1);
  // The ports are parsed first; only then is the protocol validated.
  const parts = ports.split("-");
  if (parts.length > 2) throw usage(`invalid port range "${ports}"`);
  const atoi = (x: string, shown: string) => {
    if (!/^[+-]?\d+$/.test(x)) {
      throw usage(`invalid port "${shown}": strconv.Atoi: parsing "${x}": invalid syntax`);
    }
    return Number(x);
  };
  let from: number;
  let to: number;
  if (parts.length === 1) {
    from = to = parts[0] === "icmp" ? -1 : atoi(parts[0]!, ports);
  } else {
    from = atoi(parts[0]!, parts[0]!);
    to = atoi(parts[1]!, parts[1]!);
  }
  if (from === -1) protocol = "icmp";
  if (!["tcp", "udp", "icmp"].includes(protocol)) {
    throw usage(`invalid protocol "${protocol}", expected "tcp", "udp", or "icmp"`);
  }
  if (protocol === "icmp") {
    if (from === -1 && to === -1) return "icmp";
    throw usage(`protocol "icmp" doesn't support any ports; got "${from}"`);
  }
  const shown = from === to ? `${from}/${protocol}` : `${from}-${to}/${protocol}`;
  if (from > to) throw usage(`invalid port range ${shown}`);
  if (from < 0 || from > 65535 || to < 0 || to > 65535) {
    throw usage(`port range bounds must be between 0 and 65535, got ${from}-${to}`);
  }
  return shown;
}

function portChange(open: boolean) {
  return (s: HookSession, call: ToolCall) => {
    const p = parseOptions(call.args, { endpoints: { kind: "string" }, format: { kind: "string" } });
    const [spec, ...rest] = p.args;
    if (spec === undefined) throw usage("no port or range specified");
    const port = parsePortRange(spec);
    noExtraArgs(rest);
    const unit = s.draft.units[s.unit]!;
    const set = new Set(unit.openedPorts);
    if (open) set.add(port);
    else set.delete(port);
    unit.openedPorts = sortPorts([...set]);
    return ok();
  };
}

export const openPort = portChange(true);
export const closePort = portChange(false);

function sortPorts(ports: string[]): string[] {
  const key = (p: string) => {
    if (p === "icmp") return ["icmp", -1, -1] as const;
    const [range, proto] = p.split("/") as [string, string];
    const [a, b] = range.split("-").map(Number) as [number, number?];
    return [proto, a, b ?? a] as const;
  };
  return ports.sort((x, y) => {
    const [px, ax, bx] = key(x);
    const [py, ay, by] = key(y);
    return px !== py ? (px < py ? -1 : 1) : ax !== ay ? ax - ay : bx - by;
  });
}

export function openedPorts(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { ...FORMAT_OPTIONS, endpoints: { kind: "bool" } });
  noExtraArgs(p.args);
  const ports = s.draft.units[s.unit]!.openedPorts;
  return s.emit(p, p.opts.endpoints ? ports.map((x) => `${x} (*)`) : [...ports]);
}

export function networkGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {
    ...FORMAT_OPTIONS,
    ...RELATION_OPTION,
    "primary-address": { kind: "bool" },
    "bind-address": { kind: "bool" },
    "ingress-address": { kind: "bool" },
    "egress-subnets": { kind: "bool" },
  });
  if (p.args.length === 0) throw usage("no arguments specified");
  const [binding, ...rest] = p.args;
  if (!binding) throw usage("no binding name specified");
  noExtraArgs(rest);
  if (p.opts.relation !== undefined) s.relation(p);
  const meta = s.draft.apps[s.app]!.meta;
  const known =
    binding === "juju-info" ||
    [meta.requires, meta.provides, meta.peers].some((section) => section && binding in section) ||
    binding in ((meta as { "extra-bindings"?: Record<string, unknown> })["extra-bindings"] ?? {});
  if (!known) throw new ToolFailure(`no network config found for binding "${binding}"`);
  const address = s.draft.units[s.unit]!.address;
  const cidr = `${address.split(".").slice(0, 3).join(".")}.0/24`;
  const info = {
    "bind-addresses": [
      { "mac-address": "", "interface-name": "eth0", addresses: [{ hostname: "", value: address, cidr }] },
    ],
    "egress-subnets": [`${address}/32`],
    "ingress-addresses": [address],
  };
  const picked: Record<string, unknown> = {};
  if (p.opts["primary-address"] || p.opts["bind-address"]) picked["bind-address"] = address;
  if (p.opts["ingress-address"]) picked["ingress-address"] = address;
  if (p.opts["egress-subnets"]) picked["egress-subnets"] = [`${address}/32`];
  const keys = Object.keys(picked);
  // The full answer is a Go struct (field order kept); the several-flags answer is a map (sorted).
  if (keys.length === 0) return s.emit(p, info, "smart", undefined, true);
  return s.emit(p, keys.length === 1 ? picked[keys[0]!] : picked);
}

export function resourceGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  const [name, ...rest] = p.args;
  if (name === undefined) throw usage("missing required resource name");
  noExtraArgs(rest);
  const path = s.draft.units[s.unit]!.resources[name];
  if (path === undefined) {
    throw new ToolFailure(
      `could not download resource: HTTP request failed: resource#${s.app}/${name} not found`,
    );
  }
  return ok(path);
}

export function stateGet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { ...FORMAT_OPTIONS, strict: { kind: "bool" } });
  const [key, ...rest] = p.args;
  noExtraArgs(rest);
  const stored = s.draft.units[s.unit]!.stored;
  if (key === undefined || key === "-") return s.emit(p, Object.keys(stored).length ? { ...stored } : null);
  if (!(key in stored) && p.opts.strict) throw new ToolFailure(`"${key}" not found`);
  return s.emit(p, stored[key] ?? "");
}

export function stateSet(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, { file: { kind: "string" } });
  const values = {
    ...(typeof p.opts.file === "string" ? readSettingsFile(call, p.opts.file) : {}),
    ...parseKeyValues(p.args),
  };
  for (const [k, v] of Object.entries(values)) {
    if (Buffer.byteLength(k) > 256) throw new ToolFailure("max allowed key length (256) exceeded");
    if (Buffer.byteLength(v) > 65536) throw new ToolFailure("max allowed value length (65536) exceeded");
  }
  Object.assign(s.draft.units[s.unit]!.stored, values);
  return ok();
}

export function stateDelete(s: HookSession, call: ToolCall) {
  const p = parseOptions(call.args, {});
  const [key, ...rest] = p.args;
  noExtraArgs(rest);
  if (key !== undefined) delete s.draft.units[s.unit]!.stored[key];
  return ok();
}
