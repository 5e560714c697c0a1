import { Redactor } from "../../lib/juju/model/redactor.js";
import type { DesiredState } from "../common/desired-state.js";
import { oneLine } from "../common/text.js";

/** One line per entry on stdout/stderr (journald adds the time), every known secret value masked. */
export interface WorkloadLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = "info" | "warn" | "error";

/** The values a desired state carries that must never be printed: the password and each resolved secret. */
export function secretValues(desired: DesiredState | undefined): string[] {
  if (!desired) return [];
  const out: string[] = [];
  if (desired.kafkaConnect) out.push(desired.kafkaConnect.password);
  for (const c of desired.connectors) {
    for (const key of c.secretKeys) {
      const value = c.config[key];
      if (value !== undefined) out.push(value);
    }
  }
  return out.filter((v) => v.length > 0);
}

/**
 * Masks text with the secrets of the current desired state and of the one before it: a rotated password
 * stays masked while workers or in-flight requests may still quote it, and older ones are dropped, so a
 * workload that lives through many rotations holds (and scans for) two generations of secrets, not all it
 * ever saw. A desired state with the same secrets as the current one (a new generation for another reason)
 * rotates nothing.
 */
export class Masker {
  #redactor = new Redactor();
  #current = new Set<string>();
  #previous = new Set<string>();

  learn(desired: DesiredState | undefined): void {
    const next = new Set(secretValues(desired));
    if (sameSet(next, this.#current)) return;
    this.#previous = this.#current;
    this.#current = next;
    const redactor = new Redactor();
    redactor.add(...new Set([...this.#previous, ...this.#current]));
    this.#redactor = redactor;
  }

  /** Distinct secret values held now (the current and the previous desired state's). */
  get size(): number {
    return new Set([...this.#previous, ...this.#current]).size;
  }

  mask(text: string): string {
    return this.#redactor.redact(text);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

/** The longest log line's message, in characters. */
export const MAX_LOG_LINE_CHARS = 4096;

export function createLog(
  masker: Masker,
  write: (level: LogLevel, line: string) => void = (level, line) =>
    (level === "info" ? process.stdout : process.stderr).write(`${line}\n`),
): WorkloadLog {
  const emit = (level: LogLevel, message: string) =>
    // Line breaks marked (⏎), so a trace cannot forge log lines and stays readable.
    write(level, `${level.toUpperCase()} ${oneLine(masker.mask(message), MAX_LOG_LINE_CHARS, "⏎")}`);
  return {
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}

/** A short, masked, one-line description of anything thrown. */
export function describeError(err: unknown): string {
  if (err && typeof err === "object" && "describe" in err && typeof err.describe === "function") {
    return String(err.describe());
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
