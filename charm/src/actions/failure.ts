import { ActionParamsError } from "../../../lib/juju/index.js";
import { isKafkaConnectError, type KafkaConnectError } from "../../../lib/kafka-connect/index.js";
import { clip, firstLine, MAX_LINE, oneLine } from "./format.js";

/** A failure the action reports as it is: one line saying what happened and what to do. */
export class ActionFailure extends Error {
  override name = "ActionFailure";
}

/**
 * One line for `action-fail`: ours as written, Kafka Connect's by kind, anything else by its first line. `mask`,
 * when given, masks what Kafka Connect said (see ActionRun.mask).
 */
export function failureLine(error: unknown, mask?: (text: string) => string): string {
  if (error instanceof ActionFailure) return clip(error.message, MAX_LINE * 2);
  if (error instanceof ActionParamsError) return clip(error.message, MAX_LINE * 2);
  if (isKafkaConnectError(error)) return kafkaConnectLine(error, mask);
  if (error instanceof Error) return `the action failed: ${firstLine(error.message)}`;
  return `the action failed: ${firstLine(String(error))}`;
}

/** What a KafkaConnectError means to an operator, in one line (the worker's own words kept, bounded). */
export function kafkaConnectLine(error: KafkaConnectError, mask?: (text: string) => string): string {
  const said = oneLine(mask ? mask(error.message) : error.message, 200);
  switch (error.kind) {
    case "unauthorized":
      return "Kafka Connect refused the credentials (401): if they were just rotated, its workers may still be restarting; try again shortly";
    case "forbidden":
      return `Kafka Connect refused the request (403): ${said}`;
    case "unavailable":
      return `Kafka Connect is unreachable (${error.tried?.length ?? 1} endpoint(s) tried): ${said}`;
    case "timeout":
      return `Kafka Connect did not answer in time: ${said}`;
    case "tls":
      return `the certificate of ${error.endpoint} does not verify against the provider's CA: ${said}`;
    case "unsupported":
      return `this Kafka Connect is too old: ${oneLine(error.detail ?? said, 200)}`;
    case "rebalancing":
      return `Kafka Connect is rebalancing and did not settle in time; try again in a moment (${said})`;
    case "invalid-config":
      return `Kafka Connect refused the config: ${said}`;
    case "aborted":
      return "the action ran out of time waiting for Kafka Connect";
    case "not-found":
      return `not found on Kafka Connect: ${said}`;
    case "malformed-response":
      return `Kafka Connect answered something unexpected: ${said}`;
    default:
      return `Kafka Connect answered ${error.status ?? "an error"} (${error.kind}): ${said}`;
  }
}
