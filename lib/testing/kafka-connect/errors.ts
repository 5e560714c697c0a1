/**
 * Every error text the emulator answers with, as Apache Kafka's Connect runtime words it (ConnectorsResource,
 * ConnectorPluginsResource, LoggingResource, HerderRequestHandler, AbstractHerder, DistributedHerder,
 * Plugins, JaasBasicAuthFilter). One error model: a RestError carries the HTTP status and the message; the
 * body is `{"error_code": status, "message": message}`, except the basic-auth 401 which is plain text.
 */

export class RestError extends Error {
  override name = "RestError";
  constructor(
    readonly status: number,
    message: string,
    /** Plain-text body instead of the JSON ErrorMessage (only the basic-auth filter does this). */
    readonly plain = false,
  ) {
    super(message);
  }
}

export const errorBody = (status: number, message: string | null) => ({ error_code: status, message });

/** Jersey's texts for unmatched resources (JSON since Kafka 1.1). */
export const HTTP_404 = "HTTP 404 Not Found";
export const HTTP_405 = "HTTP 405 Method Not Allowed";
export const HTTP_415 = "HTTP 415 Unsupported Media Type";
export const UNAUTHORIZED = "User cannot access the resource.";

export const MSG = {
  connectorNotFound: (c: string) => `Connector ${c} not found`,
  /** pause / resume (AbstractHerder). */
  unknownConnector: (c: string) => `Unknown connector ${c}`,
  /** restart, task restart, stop (DistributedHerder). */
  unknownConnectorColon: (c: string) => `Unknown connector: ${c}`,
  noStatusConnector: (c: string) => `No status found for connector ${c}`,
  noStatusTask: (c: string, t: number) => `No status found for task ${c}-${t}`,
  statusNotFound: (c: string) => `Status for connector ${c} not found`,
  unknownTask: (c: string, t: number) => `Unknown task: ${c}-${t}`,
  alreadyExists: (c: string) => `Connector ${c} already exists`,
  nameMismatch: (inConfig: string, inUrl: string) =>
    `Connector name configuration (${inConfig}) doesn't match connector name in the URL (${inUrl})`,
  noConnectorType: (config: Record<string, string>) =>
    `Connector config ${javaMapToString(config)} contains no connector type`,
  noLeader:
    "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
  conflictingOperation: "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
  staleConfig:
    "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)",
  notStopped: (c: string) =>
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the " +
    `specified connector by issuing a 'PUT' request to the '/connectors/${c}/stop' endpoint`,
  offsetsRequired: "Partitions / offsets need to be provided for an alter offsets request",
  offsetsAltered: "The offsets for this connector have been altered successfully",
  offsetsAlteredFramework:
    "The Connect framework-managed offsets for this connector have been altered successfully. However, if this " +
    "connector manages offsets externally, they will need to be manually altered in the system that the connector uses.",
  offsetsReset: "The offsets for this connector have been reset successfully",
  offsetsResetFramework:
    "The Connect framework-managed offsets for this connector have been reset successfully. However, if this " +
    "connector manages offsets externally, they will need to be manually reset in the system that the connector uses.",
  topicTrackingDisabled: "Topic tracking is disabled.",
  topicTrackingResetDisabled: "Topic tracking reset is disabled.",
  levelMissing: "Desired 'level' parameter was not specified in request.",
  invalidLevel: (level: string) => `invalid log level '${level}'.`,
  loggerNotFound: (l: string) => `Logger ${l} not found.`,
  unknownPlugin: (p: string) => `Unknown plugin ${p}.`,
  includedTypeMismatch: (included: string, requested: string) =>
    `Included connector type ${included} does not match request type ${requested}`,
  internalSignatureMissing: "Internal request missing required signature",
  internalSignatureInvalid: "Internal request contained invalid signature.",
  healthy: "Worker has completed startup and is ready to handle requests.",
  starting: "Worker is still starting up.",
  requestTimedOut: "Request timed out",
  /** RestClient's wrapper for an IOException while forwarding: connection refused, an error body not JSON. */
  forwardIoError: (cause: string) => `IO Error trying to forward REST request: ${cause}`,
} as const;

/**
 * Roughly Jackson's JsonParseException text for a body that is not JSON (the exact wording, and the source
 * location Jackson appends, vary by version).
 */
export function notJsonMessage(text: string): string {
  const token = /^[^\s{}[\],:"]*/.exec(text.trimStart())?.[0] ?? "";
  return `Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`;
}

/** The 400 a config write gets when validation finds errors; the hint's path changed in 2.5. */
export function invalidConfigMessage(errors: readonly string[], modernHint: boolean): string {
  const hint = modernHint
    ? "/connector-plugins/{connectorType}/config/validate"
    : "/{connectorType}/config/validate";
  return (
    `Connector configuration is invalid and contains the following ${errors.length} error(s):\n` +
    errors.map((e) => `${e}\n`).join("") +
    `You can also find the above list of errors at the endpoint \`${hint}\``
  );
}

/** `java.util.Map#toString`: `{k=v, k2=v2}` (insertion order here; a HashMap's order is unspecified). */
export function javaMapToString(map: Record<string, string>): string {
  return `{${Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")}}`;
}

/**
 * `ExecutionException#getMessage()` is the cause's `toString()`: the validate endpoint does not unwrap the
 * herder's future, so its errors reach the client as 500 with the Java class name in front.
 */
export const JAVA_CLASS = {
  badRequest: "org.apache.kafka.connect.runtime.rest.errors.BadRequestException",
  connect: "org.apache.kafka.connect.errors.ConnectException",
  config: "org.apache.kafka.common.config.ConfigException",
} as const;
