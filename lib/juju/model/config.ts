import { JujuError } from "../errors.js";
import type { CharmMeta, ConfigOf, ConfigOption } from "../meta.js";
import { parseSecretUri } from "../secret-uri.js";
import type { ConfigValues } from "../tools/config.js";

/** A config value that does not match its declared option; names the option and what it should be. */
export class ConfigError extends JujuError {
  override name = "ConfigError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

const EXPECTED: Record<ConfigOption["type"], string> = {
  string: "a string",
  int: "an integer",
  float: "a number",
  boolean: "true or false",
  secret: 'a secret URI like "secret:9m4e2mr0ui3e8a215n4g"',
};

/**
 * Types the raw `config-get` map against the charm's declared options. Juju validates types on
 * `juju config`, so a mismatch means the metadata and the deployed charm disagree; options the charm does
 * not declare are dropped so handlers only see what they asked for.
 */
export function typedConfig<M extends CharmMeta>(meta: M, raw: ConfigValues): ConfigOf<M> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, option] of Object.entries(meta.config?.options ?? {})) {
    const value = raw[name];
    if (value === undefined || value === null) continue;
    if (!matches(option.type, value)) {
      throw new ConfigError(
        name,
        `config option "${name}" is ${JSON.stringify(value)}, expected ${EXPECTED[option.type]}: fix it with \`juju config <app> ${name}=…\``,
      );
    }
    out[name] = value;
  }
  return out as ConfigOf<M>;
}

function matches(type: ConfigOption["type"], value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "float":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "secret":
      if (typeof value !== "string") return false;
      try {
        parseSecretUri(value);
        return true;
      } catch {
        return false;
      }
  }
}
