import type { ConfigKeySpec, ConfigType } from "./plugins.js";

/**
 * The config definitions a worker validates against: the framework's ConnectorConfig keys (with their
 * ConfigDef validators) and a plugin manifest's keys, in ConfigDef's shapes. Pure data and functions.
 */

/** Kafka's default `group.id` for a distributed worker (a sink's consumer group must differ). */
export const WORKER_GROUP_ID = "connect-cluster";

export interface ConfigKeyInfo {
  name: string;
  type: ConfigType;
  required: boolean;
  default_value: string | null;
  importance: "HIGH" | "MEDIUM" | "LOW";
  documentation: string | null;
  group: string | null;
  /** ConfigKeyInfo serialises orderInGroup as `order`. */
  order: number;
  width: "NONE" | "SHORT" | "MEDIUM" | "LONG";
  display_name: string;
  dependents: string[];
}

export interface ConfigValueInfo {
  name: string;
  value: string | null;
  recommended_values: string[];
  errors: string[];
  visible: boolean;
}

export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: { definition: ConfigKeyInfo | null; value: ConfigValueInfo | null }[];
}

export interface KeyDef extends ConfigKeyInfo {
  /**
   * The key's ConfigDef.Validator: the ConfigException message for a value, if it is invalid. ConfigDef runs it
   * even when parsing failed or a required key is missing, with the value null, so each one says what it does
   * with null, as its Kafka original does.
   */
  check?: (value: unknown) => string | undefined;
}

/** `ConfigException(name, value, message)`'s text. */
export const invalid = (name: string, value: unknown, why: string) =>
  `Invalid value ${String(value)} for configuration ${name}: ${why}`;

function key(
  name: string,
  type: ConfigType,
  dflt: string | null | undefined,
  importance: KeyDef["importance"],
  documentation: string,
  group: string,
  order: number,
  displayName: string,
  check?: KeyDef["check"],
): KeyDef {
  const def: KeyDef = {
    name,
    type,
    required: dflt === undefined,
    default_value: dflt ?? null,
    importance,
    documentation,
    group,
    order,
    width: "NONE",
    display_name: displayName,
    dependents: [],
  };
  if (check) def.check = check;
  return def;
}

/** NonEmptyStringWithoutControlChars: null passes (a missing name is reported as missing, once). */
const nonEmptyWithoutControlChars = (v: unknown) => {
  if (v === null || v === undefined) return undefined;
  const s = String(v);
  if (s === "") return "String may not be empty";
  const bad = [...s].map((c) => c.codePointAt(0)!).filter((c) => c < 0x20 || (c >= 0x7f && c <= 0x9f));
  return bad.length
    ? `String may not contain control sequences but had the following ASCII chars: ${bad.join(", ")}`
    : undefined;
};

/** Range.atLeast(min): null is refused, so a value that failed to parse is reported twice. */
const atLeast =
  (min: number) =>
  (v: unknown): string | undefined => {
    if (v === null || v === undefined) return "Value must be non-null";
    return typeof v === "number" && v < min ? `Value must be at least ${min}` : undefined;
  };

/** ValidString.in(...): case-sensitive; null is not among the valid strings, so it is refused too. */
const oneOf =
  (...valid: string[]) =>
  (v: unknown): string | undefined =>
    typeof v === "string" && valid.includes(v) ? undefined : `String must be one of: ${valid.join(", ")}`;

/** The framework's keys (ConnectorConfig, SinkConnectorConfig / SourceConnectorConfig), in ConfigDef order. */
export function frameworkKeys(type: "source" | "sink"): KeyDef[] {
  const common = [
    key(
      "name",
      "STRING",
      undefined,
      "HIGH",
      "Globally unique name for this connector.",
      "Common",
      1,
      "Connector name",
      nonEmptyWithoutControlChars,
    ),
    key(
      "connector.class",
      "STRING",
      undefined,
      "HIGH",
      "Name or alias of the connector's class.",
      "Common",
      2,
      "Connector class",
    ),
    key(
      "tasks.max",
      "INT",
      "1",
      "HIGH",
      "Maximum number of tasks to use for this connector.",
      "Common",
      3,
      "Tasks max",
      atLeast(1),
    ),
    key(
      "key.converter",
      "CLASS",
      null,
      "LOW",
      "Converter for record keys.",
      "Common",
      4,
      "Key converter class",
    ),
    key(
      "value.converter",
      "CLASS",
      null,
      "LOW",
      "Converter for record values.",
      "Common",
      5,
      "Value converter class",
    ),
    key(
      "header.converter",
      "CLASS",
      null,
      "LOW",
      "Converter for record headers.",
      "Common",
      6,
      "Header converter class",
    ),
    key(
      "config.action.reload",
      "STRING",
      "restart",
      "LOW",
      "What to do when external configuration changes.",
      "Common",
      7,
      "Reload action",
      oneOf("none", "restart"),
    ),
  ];
  const sink =
    type === "sink"
      ? [
          key("topics", "LIST", "", "HIGH", "Topics to consume.", "Common", 8, "Topics"),
          key(
            "topics.regex",
            "STRING",
            "",
            "HIGH",
            "Regex of topics to consume.",
            "Common",
            9,
            "Topics regex",
          ),
        ]
      : [];
  return [
    ...common,
    ...sink,
    key(
      "transforms",
      "LIST",
      "",
      "LOW",
      "Aliases of the transformations to apply.",
      "Transforms",
      1,
      "Transforms",
    ),
    key(
      "predicates",
      "LIST",
      "",
      "LOW",
      "Aliases of the predicates used by transformations.",
      "Predicates",
      1,
      "Predicates",
    ),
    key(
      "errors.retry.timeout",
      "LONG",
      "0",
      "MEDIUM",
      "How long to retry a failed operation (ms).",
      "Error Handling",
      1,
      "Retry Timeout for Errors",
    ),
    key(
      "errors.retry.delay.max.ms",
      "LONG",
      "60000",
      "MEDIUM",
      "Longest wait between retries (ms).",
      "Error Handling",
      2,
      "Maximum Delay Between Retries for Errors",
    ),
    key(
      "errors.tolerance",
      "STRING",
      "none",
      "MEDIUM",
      "Whether to tolerate errors (none or all).",
      "Error Handling",
      3,
      "Error Tolerance",
      oneOf("none", "all"),
    ),
    key(
      "errors.log.enable",
      "BOOLEAN",
      "false",
      "MEDIUM",
      "Whether to log errors.",
      "Error Handling",
      4,
      "Log Errors",
    ),
    key(
      "errors.log.include.messages",
      "BOOLEAN",
      "false",
      "MEDIUM",
      "Whether to log failed records.",
      "Error Handling",
      5,
      "Log Error Details",
    ),
  ];
}

/** A plugin manifest's keys as ConfigDef would hold them (no group: group null, order -1). */
export function pluginKeys(spec: { config?: ConfigKeySpec[] }): KeyDef[] {
  const orders = new Map<string, number>();
  return (spec.config ?? []).map((k) => {
    const group = k.group ?? null;
    const order = group === null ? -1 : (orders.get(group) ?? 0) + 1;
    if (group !== null) orders.set(group, order);
    return {
      name: k.name,
      type: (k.type ?? "string").toUpperCase() as ConfigType,
      required: k.required === true,
      default_value: k.required === true ? null : (k.default ?? null),
      importance: k.importance ?? "MEDIUM",
      documentation: k.documentation ?? null,
      group,
      order,
      width: "NONE",
      display_name: k.displayName ?? k.name,
      dependents: [],
    };
  });
}
