import type { RestartPolicy } from "../../common/desired-state.js";
import { DEFAULT_PORT } from "../../common/workload-api.js";

/** The charm's scalar options, checked. Each problem names the option and how to fix it. */

export type PluginMode = "serve" | "not-required";
export const PLUGIN_MODES: readonly PluginMode[] = ["serve", "not-required"];

export interface CharmOptions {
  readonly port: number;
  readonly pluginMode: PluginMode;
  readonly restartPolicy: RestartPolicy;
  readonly reconcileIntervalMs: number;
}

export interface ConfigProblem {
  /** The option at fault, e.g. `connectors` or `plugin-port`. */
  readonly key: string;
  /** One line for a status message: what is wrong and what to do; never a secret value. */
  readonly message: string;
}

export const DEFAULT_OPTIONS: CharmOptions = {
  port: DEFAULT_PORT,
  pluginMode: "serve",
  restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
  reconcileIntervalMs: 30_000,
};

/**
 * Bounds on durations. Below 5 s a reconcile cycle would mostly see Kafka's own transitions (its status topic
 * lags by seconds) and load the workers for nothing: a changed declaration is applied at once anyway.
 */
export const RECONCILE_INTERVAL_MS = { min: 5_000, max: 3_600_000 } as const;
export const BACKOFF_UNIT_MS = { min: 1_000, max: 3_600_000 } as const;
export const PORT_RANGE = { min: 1024, max: 65_535 } as const;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d{1,7}(?:ms|h|m|s))+$/;

/** `30s`, `1m`, `2m30s`, `1500ms` → milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!DURATION.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+)(ms|h|m|s)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

type Raw = Readonly<Record<string, unknown>>;

/**
 * The options from `config-get`, with problems. A bad option falls back to `fallback` (the last good value the
 * workload has, or the default), so one typo never changes what the workload does with the others.
 */
export function parseOptions(
  raw: Raw,
  app: string,
  fallback: CharmOptions = DEFAULT_OPTIONS,
): { options: CharmOptions; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ key, message: `${key}: ${message}` });

  let port = fallback.port;
  const rawPort = raw["plugin-port"];
  if (rawPort !== undefined) {
    if (
      typeof rawPort === "number" &&
      Number.isInteger(rawPort) &&
      rawPort >= PORT_RANGE.min &&
      rawPort <= PORT_RANGE.max
    ) {
      port = rawPort;
    } else {
      problem(
        "plugin-port",
        `${String(rawPort)} is not a port from ${PORT_RANGE.min} to ${PORT_RANGE.max}: juju config ${app} plugin-port=${DEFAULT_PORT}`,
      );
    }
  }

  let pluginMode = fallback.pluginMode;
  const rawMode = raw["plugin-mode"];
  if (rawMode !== undefined) {
    const mode = typeof rawMode === "string" ? rawMode.trim().toLowerCase() : rawMode;
    if (mode === "serve" || mode === "not-required") pluginMode = mode;
    else problem("plugin-mode", `unknown mode ${JSON.stringify(rawMode)} (serve or not-required)`);
  }

  const enabled =
    typeof raw["auto-restart"] === "boolean" ? raw["auto-restart"] : fallback.restartPolicy.enabled;

  let maxRestarts = fallback.restartPolicy.maxRestarts;
  const rawMax = raw["max-restarts"];
  if (rawMax !== undefined) {
    if (typeof rawMax === "number" && Number.isInteger(rawMax) && rawMax >= 0 && rawMax <= 1_000_000)
      maxRestarts = rawMax;
    else
      problem(
        "max-restarts",
        `${String(rawMax)} is not a count ≥ 0 (0 means no limit): juju config ${app} max-restarts=10`,
      );
  }

  const duration = (key: string, bounds: { min: number; max: number }, current: number, example: string) => {
    const value = raw[key];
    if (value === undefined) return current;
    const ms = typeof value === "string" ? parseDuration(value) : undefined;
    if (ms === undefined) {
      problem(key, `${JSON.stringify(value)} is not a duration like ${example}, 1m or 2m30s`);
      return current;
    }
    if (ms < bounds.min || ms > bounds.max) {
      problem(
        key,
        `${value} is outside ${formatDuration(bounds.min)} to ${formatDuration(bounds.max)}: juju config ${app} ${key}=${example}`,
      );
      return current;
    }
    return ms;
  };
  const backoffUnitMs = duration(
    "restart-backoff-unit",
    BACKOFF_UNIT_MS,
    fallback.restartPolicy.backoffUnitMs,
    "60s",
  );
  const reconcileIntervalMs = duration(
    "reconcile-interval",
    RECONCILE_INTERVAL_MS,
    fallback.reconcileIntervalMs,
    "30s",
  );

  return {
    options: {
      port,
      pluginMode,
      restartPolicy: { enabled, maxRestarts, backoffUnitMs },
      reconcileIntervalMs,
    },
    problems,
  };
}
