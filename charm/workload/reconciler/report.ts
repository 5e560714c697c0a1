import { Redactor } from "../../../lib/juju/model/redactor.js";
import { isKafkaConnectError } from "../../../lib/kafka-connect/index.js";
import type { DesiredState } from "../../common/desired-state.js";
import type { ErrorReport } from "../../common/snapshot.js";

/**
 * Text the reconciler reports (traces, Kafka's error messages) goes to status.json, Juju status and logs. Kafka
 * echoes config values in some errors (an invalid-config 400 quotes them), so every secret value is masked, and
 * only a bounded first line is kept: a Java stack trace is kilobytes and says what matters first.
 */

export const MAX_REPORT_CHARS = 300;

export type Mask = (text: string) => string;

/** Masks the values of every connector's `secretKeys` and the Kafka Connect password. */
export function maskerFor(desired: Pick<DesiredState, "connectors" | "kafkaConnect">): Mask {
  const redactor = new Redactor();
  const values: string[] = [];
  for (const connector of desired.connectors) {
    for (const key of connector.secretKeys) {
      const value = connector.config[key];
      if (value !== undefined) values.push(value);
    }
  }
  if (desired.kafkaConnect) values.push(desired.kafkaConnect.password);
  let longest = 0;
  for (const value of values) {
    // As Kafka may quote it inside JSON (escapes included), or inside a URL (a JDBC URL, a form body).
    const forms = [value, JSON.stringify(value).slice(1, -1), ...urlForms(value)];
    redactor.add(...forms);
    longest = Math.max(longest, ...forms.map((f) => f.length));
  }
  return (text) => firstLine(redactor.redact(text.slice(0, MAX_REPORT_CHARS + longest)));
}

/** Percent-encoded (`%20`) and form-encoded (`+`) forms; none for a string that cannot be encoded. */
function urlForms(value: string): string[] {
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  try {
    return [encodeURIComponent(value), form];
  } catch {
    // A lone surrogate: encodeURIComponent refuses it, and no worker could have sent it encoded either.
    return [form];
  }
}

/**
 * The first line, at most MAX_REPORT_CHARS. The caller masks the prefix before cutting (see maskerFor), so a
 * secret that starts within the kept part is replaced whole even when it spans a line break.
 */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n|\r/, 1)[0] ?? "";
  return line.trim().slice(0, MAX_REPORT_CHARS);
}

/** A failure of the reconciler's own (not Kafka Connect's), with a kind for metrics and status. */
export class ReconcileError extends Error {
  override name = "ReconcileError";
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** An error as reported: the client's kind (or `internal`), one masked line. */
export function errorReport(error: unknown, mask: Mask): ErrorReport {
  if (isKafkaConnectError(error)) {
    // Its first line only announces a count; the problems, one per key, are what a person needs.
    const problems = error.configErrors?.map((p) => (p.key ? `${p.key}: ${p.message}` : p.message));
    if (error.kind === "invalid-config" && problems?.length) {
      return { kind: error.kind, message: mask(`invalid config: ${problems.join("; ")}`) };
    }
    return { kind: error.kind, message: mask(error.message) };
  }
  if (error instanceof ReconcileError) return { kind: error.kind, message: mask(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "internal", message: mask(message) };
}
