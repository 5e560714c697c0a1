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

/** Masks text with the secrets of every desired state seen so far (an old password stays masked too). */
export class Masker {
  readonly #redactor = new Redactor();

  learn(desired: DesiredState | undefined): void {
    this.#redactor.add(...secretValues(desired));
  }

  mask(text: string): string {
    return this.#redactor.redact(text);
  }
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
