import {
  type ConfigInfos,
  type ConfigKeyInfo,
  type ConfigValueInfo,
  frameworkKeys,
  invalid,
  type KeyDef,
  pluginKeys,
} from "./config-keys.js";
import type { ConfigType, PluginDescriptor } from "./plugins.js";

export {
  type ConfigInfos,
  type ConfigKeyInfo,
  type ConfigValueInfo,
  frameworkKeys,
  WORKER_GROUP_ID,
} from "./config-keys.js";

/**
 * Connector config validation the way AbstractHerder#validateConnectorConfig does it: the framework's
 * ConfigDef (Common, Transforms, Predicates, Error Handling; sinks add the topic keys), then the plugin's
 * own keys, each parsed as ConfigDef#validateAll would, with Kafka's error texts. Pure.
 */

const publicInfo = ({ check: _check, ...info }: KeyDef): ConfigKeyInfo => info;

/** `GET /connector-plugins/{p}/config`: the plugin's keys, then (newer workers) the framework's it lacks. */
export function pluginConfigInfos(plugin: PluginDescriptor, withFramework: boolean): ConfigKeyInfo[] {
  const own = pluginKeys(plugin);
  if (!withFramework || (plugin.type !== "source" && plugin.type !== "sink")) return own.map(publicInfo);
  const names = new Set(own.map((k) => k.name));
  return [...own, ...frameworkKeys(plugin.type).filter((k) => !names.has(k.name))].map(publicInfo);
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** ConfigDef#parseType for a string input (Java trims every value; lists split on commas). */
function parse(name: string, type: ConfigType, raw: string): Parsed {
  const t = raw.trim();
  const number = (bits: number, label: string): Parsed => {
    if (/^[+-]?\d+$/.test(t)) {
      const n = BigInt(t);
      const max = (1n << BigInt(bits - 1)) - 1n;
      if (n <= max && n >= -max - 1n) return { ok: true, value: Number(n) };
    }
    return { ok: false, error: invalid(name, raw, `Not a number of type ${label}`) };
  };
  switch (type) {
    case "BOOLEAN":
      if (t.toLowerCase() === "true") return { ok: true, value: true };
      if (t.toLowerCase() === "false") return { ok: true, value: false };
      return { ok: false, error: invalid(name, raw, "Expected value to be either true or false") };
    case "INT":
      return number(32, "INT");
    case "SHORT":
      return number(16, "SHORT");
    case "LONG":
      return number(64, "LONG");
    case "DOUBLE":
      return t !== "" && Number.isFinite(Number(t))
        ? { ok: true, value: Number(t) }
        : { ok: false, error: invalid(name, raw, "Not a number of type DOUBLE") };
    case "LIST":
      return { ok: true, value: t === "" ? [] : t.split(/\s*,\s*/) };
    case "CLASS":
      return { ok: true, value: t };
    default:
      // STRING and PASSWORD are trimmed too.
      return { ok: true, value: t };
  }
}

/** ConfigDef#convertToString (passwords are never echoed back). */
function render(type: ConfigType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (type === "PASSWORD") return "[hidden]";
  if (Array.isArray(value)) return value.join(",");
  if (type === "DOUBLE" && Number.isInteger(value)) return `${value}.0`;
  return String(value);
}

const blank = (s: string | undefined) => s === undefined || s.trim() === "";

/**
 * Validates a connector config against the framework's keys and the plugin's: the ConfigInfos the validate
 * endpoint returns (200 even when invalid) and, in key order, the error texts a config write lists in its 400.
 */
export function validateConnectorConfig(
  config: Record<string, string>,
  plugin: PluginDescriptor,
): { infos: ConfigInfos; errors: string[] } {
  const type = plugin.type === "sink" ? "sink" : "source";
  const keys = new Map<string, KeyDef>();
  for (const k of [...frameworkKeys(type), ...pluginKeys(plugin)]) keys.set(k.name, k);
  const groups = [...new Set([...keys.values()].map((k) => k.group).filter((g): g is string => g !== null))];

  const values = new Map<string, ConfigValueInfo>();
  for (const k of keys.values()) {
    const errors: string[] = [];
    let value: unknown = null;
    const raw = config[k.name];
    if (raw !== undefined) {
      const parsed = parse(k.name, k.type, raw);
      if (parsed.ok) value = parsed.value;
      else errors.push(parsed.error);
    } else if (k.required) {
      errors.push(`Missing required configuration "${k.name}" which has no default value.`);
    } else if (k.default_value !== null) {
      const parsed = parse(k.name, k.type, k.default_value);
      value = parsed.ok ? parsed.value : null;
    }
    // ConfigDef#parseForValidate: the validator runs whatever parsing gave, null included.
    const why = k.check?.(value);
    if (why) errors.push(invalid(k.name, value, why));
    values.set(k.name, {
      name: k.name,
      value: render(k.type, value),
      recommended_values: [],
      errors,
      visible: true,
    });
  }

  if (type === "sink") {
    // SinkConnectorConfig#validate: exactly one of topics and topics.regex.
    const hasTopics = !blank(config.topics);
    const hasRegex = !blank(config["topics.regex"]);
    const both = "topics and topics.regex are mutually exclusive options, but both are set.";
    const neither = "Must configure one of topics or topics.regex";
    const message = hasTopics && hasRegex ? both : !hasTopics && !hasRegex ? neither : undefined;
    if (message) for (const name of ["topics", "topics.regex"]) values.get(name)?.errors.push(message);
  }

  const configs = [...keys.values()].map((k) => ({ definition: publicInfo(k), value: values.get(k.name)! }));
  const errors = configs.flatMap((c) => c.value.errors);
  return {
    infos: { name: config["connector.class"] ?? "", error_count: errors.length, groups, configs },
    errors,
  };
}

/** tasks.max as the connector would read it (validation has already run). */
export const tasksMax = (config: Record<string, string>): number => {
  const n = Number.parseInt((config["tasks.max"] ?? "1").trim(), 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
};
