import { Redactor } from "../../lib/juju/model/redactor.js";
import type { DesiredState } from "../common/desired-state.js";

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

/** One line: newlines and other control characters escaped, so a trace cannot forge log lines. */
export function oneLine(text: string, max = 4096): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const flat = text.replace(/\r?\n/g, " ⏎ ").replace(/[\u0000-\u001f\u007f]/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function createLog(
  masker: Masker,
  write: (level: LogLevel, line: string) => void = (level, line) =>
    (level === "info" ? process.stdout : process.stderr).write(`${line}\n`),
): WorkloadLog {
  const emit = (level: LogLevel, message: string) =>
    write(level, `${level.toUpperCase()} ${oneLine(masker.mask(message))}`);
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
