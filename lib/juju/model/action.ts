import { JujuError } from "../errors.js";
import type { ActionSpec } from "../meta.js";
import { ACTION_KEY, flattenResults, RESERVED_ACTION_KEYS as RESERVED } from "../tools/actions.js";
import type { HookTools } from "../tools/index.js";
import { ajvClass } from "./ajv-class.js";
import type { Redactor } from "./redactor.js";

/** Action params that do not match the action's schema; `problems` name each field and what is wrong. */
export class ActionParamsError extends JujuError {
  override name = "ActionParamsError";
  constructor(
    readonly action: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid params for action "${action}": ${problems.join("; ")}`);
  }
}

/** The running action: params validated against charmcraft.yaml, results, failure and progress log. */
export class Action {
  private paramsCache?: Promise<Record<string, unknown>>;

  constructor(
    readonly name: string,
    readonly uuid: string,
    private readonly spec: ActionSpec | undefined,
    private readonly tools: HookTools,
    private readonly redactor: Redactor,
  ) {}

  /** Params from `action-get`, checked against the action's JSON Schema (Juju checks too; this names fields). */
  params<T = Record<string, unknown>>(): Promise<T> {
    this.paramsCache ??= this.tools.actionGet().then(async (p) => {
      const problems = await validateParams(this.name, this.spec, p);
      if (problems.length) throw new ActionParamsError(this.name, problems);
      return p;
    });
    return this.paramsCache as Promise<T>;
  }

  /**
   * Results travel on argv (Juju offers no other way), so a result holding a known secret value, in any of
   * its forms, is refused. The check runs on the exact `key=value` pairs that would go on argv: raw values,
   * not JSON-escaped text (a value with `"`, `\` or a newline, such as a PEM key, would not match that).
   */
  async set(results: Readonly<Record<string, unknown>>): Promise<void> {
    checkResultKeys(results);
    if (flattenResults(results).some((pair) => this.redactor.leaks(pair))) {
      throw new JujuError(
        "action-set refused: a result contains a secret value, which would be visible on argv",
      );
    }
    await this.tools.actionSet(results);
  }

  fail(message: string): Promise<void> {
    return this.tools.actionFail(this.redactor.redact(message));
  }

  log(message: string): Promise<void> {
    return this.tools.actionLog(this.redactor.redact(message));
  }
}

function checkResultKeys(results: Readonly<Record<string, unknown>>, prefix = ""): void {
  for (const [key, value] of Object.entries(results)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!ACTION_KEY.test(key)) {
      throw new JujuError(
        `action result key "${path}" is invalid: use lowercase letters, digits and "-", starting and ending with a letter or digit`,
      );
    }
    if (!prefix && RESERVED.has(key)) throw new JujuError(`action result key "${key}" is reserved by Juju`);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      checkResultKeys(value as Record<string, unknown>, path);
    }
  }
}

type AjvClass = typeof import("ajv").Ajv;

/**
 * Validates params against the action schema with ajv, loaded only when an action runs so that ordinary
 * hooks never pay for it.
 */
export async function validateParams(
  action: string,
  spec: ActionSpec | undefined,
  params: Record<string, unknown>,
): Promise<string[]> {
  if (!spec) return [`the charm declares no action "${action}"`];
  const Ajv = ajvClass<AjvClass>(await import("ajv"), "Ajv");
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = {
    type: "object",
    properties: spec.params ?? {},
    ...(spec.required ? { required: spec.required } : {}),
    ...(spec.additionalProperties !== undefined ? { additionalProperties: spec.additionalProperties } : {}),
  };
  const validate = ajv.compile(schema);
  if (validate(params)) return [];
  return (validate.errors ?? []).map((e) => {
    if (e.keyword === "required")
      return `missing required param "${(e.params as { missingProperty: string }).missingProperty}"`;
    if (e.keyword === "additionalProperties")
      return `unknown param "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    const field = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    return `param "${field}" ${e.message ?? "is invalid"}`;
  });
}
