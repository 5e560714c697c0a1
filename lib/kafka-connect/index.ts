/** Kafka Connect REST client: one client, one error model. See docs/kafka-connect-client.md. */

export {
  DEFAULT_MAX_RESPONSE_BYTES,
  KafkaConnectClient,
  type KafkaConnectClientOptions,
} from "./client.js";
export { parseEndpoints } from "./endpoints.js";
export {
  classifyResponse,
  classifyTransportError,
  isKafkaConnectError,
  KafkaConnectError,
  type KafkaConnectErrorInit,
  type KafkaConnectErrorKind,
  type KafkaConnectErrorVariant,
  MAX_CONFIG_ERRORS,
  MAX_ERROR_TEXT,
  parseInvalidConfigMessage,
} from "./errors.js";
export { type ResponseEvent, type ResponseObserver, routeTemplate } from "./observer.js";
export { DEFAULT_RETRY, nextRetry, type RetryDecision, type RetryPolicy } from "./retry.js";
export type { CallOptions, LogEvent, Logger, Sleep } from "./transport.js";
export type * from "./types.js";
