/**
 * Request and response shapes of the Kafka Connect REST API, named after the worker's own entities
 * (org.apache.kafka.connect.runtime.rest.entities) and keeping their snake_case JSON field names, so what a
 * caller reads here is exactly what the worker sends.
 */

/** `GET /`. */
export interface ServerInfo {
  readonly version: string;
  readonly commit: string;
  readonly kafka_cluster_id: string;
}

/** `GET /health` (3.9+); the worker answers 200 healthy, 503 starting, 500 unhealthy. */
export interface WorkerHealth {
  readonly status: "healthy" | "starting" | "unhealthy";
  readonly message: string;
}

/** What `health()` returns: the worker's answer, the HTTP status and which worker gave it. */
export interface WorkerHealthReport extends WorkerHealth {
  readonly httpStatus: number;
  readonly endpoint: string;
}

export type ConnectorType = "source" | "sink" | "unknown";

/** RESTARTING exists since 3.0, STOPPED since 3.5 (connectors only). */
export type ConnectorState = "UNASSIGNED" | "RUNNING" | "PAUSED" | "FAILED" | "RESTARTING" | "STOPPED";

/** The state a connector is created in (`initial_state`, 3.7+). */
export type InitialState = "RUNNING" | "PAUSED" | "STOPPED";

export interface ConnectorTaskId {
  readonly connector: string;
  readonly task: number;
}

/** `GET /connectors/{c}`; `config` is raw: secrets are in clear text unless config providers are used. */
export interface ConnectorInfo {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
  readonly tasks: readonly ConnectorTaskId[];
  readonly type: ConnectorType;
}

/** `trace` is omitted by the worker when empty. */
export interface ConnectorStatus {
  readonly state: ConnectorState;
  readonly worker_id: string;
  readonly trace?: string;
}

export interface TaskStatus extends ConnectorStatus {
  readonly id: number;
}

/** `GET /connectors/{c}/status`: tasks sorted by id (but NOT sorted in a 202 restart answer). */
export interface ConnectorStateInfo {
  readonly name: string;
  readonly type: ConnectorType;
  readonly connector: ConnectorStatus;
  readonly tasks: readonly TaskStatus[];
}

/** `GET /connectors?expand=…` (2.3+): each entry holds what was asked for. */
export type ExpandedConnectors = Readonly<
  Record<string, { readonly status?: ConnectorStateInfo; readonly info?: ConnectorInfo }>
>;

export type ConnectorExpansion = "status" | "info";

/** `GET /connectors/{c}/tasks`. */
export interface TaskInfo {
  readonly id: ConnectorTaskId;
  readonly config: Readonly<Record<string, string>>;
}

/** The plugin types the worker reports; newer workers may add more, so the type stays open. */
export type PluginType =
  | "source"
  | "sink"
  | "converter"
  | "header_converter"
  | "transformation"
  | "predicate"
  | (string & {});

/** `GET /connector-plugins`; `version` is omitted when the plugin has none. */
export interface PluginInfo {
  readonly class: string;
  readonly type: PluginType;
  readonly version?: string;
}

/** One configuration key of a plugin. The worker serialises its position in the group as `order`. */
export interface ConfigKeyInfo {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default_value: string | null;
  readonly importance: string | null;
  readonly documentation: string | null;
  readonly group: string | null;
  readonly order: number;
  readonly width: string | null;
  readonly display_name: string | null;
  readonly dependents: readonly string[];
}

export interface ConfigValueInfo {
  readonly name: string;
  readonly value: string | null;
  readonly recommended_values: readonly string[];
  readonly errors: readonly string[];
  readonly visible: boolean;
}

/** `PUT /connector-plugins/{p}/config/validate`: `definition` and `value` can each be null. */
export interface ConfigInfos {
  readonly name: string;
  readonly error_count: number;
  readonly groups: readonly string[];
  readonly configs: readonly {
    readonly definition: ConfigKeyInfo | null;
    readonly value: ConfigValueInfo | null;
  }[];
}

/** One configuration problem: `key` is known when the worker tied the message to a key (validate). */
export interface ConfigProblem {
  readonly key?: string;
  readonly message: string;
}

/** What `validateConfig` returns: the worker's answer, plus its errors flattened per key. */
export interface ConfigValidation {
  readonly valid: boolean;
  readonly errorCount: number;
  readonly errors: readonly ConfigProblem[];
  readonly infos: ConfigInfos;
}

/** Sink partitions are `{kafka_topic, kafka_partition}` and offsets `{kafka_offset}`; sources are free-form. */
export interface ConnectorOffset {
  readonly partition: Readonly<Record<string, unknown>>;
  readonly offset: Readonly<Record<string, unknown>> | null;
}

export interface ConnectorOffsets {
  readonly offsets: readonly ConnectorOffset[];
}

/** `{message}` answers (offset alter/reset). */
export interface Message {
  readonly message: string;
}

/** `GET /admin/loggers/{l}`; `last_modified` (ms since epoch) exists since 3.7 and is null if never set. */
export interface LoggerLevel {
  readonly level: string;
  readonly last_modified?: number | null;
}

export type LoggerScope = "worker" | "cluster";

/**
 * Result of `setLogger`. A worker-scoped change answers 200 with the loggers it changed; a cluster-scoped
 * one answers 204. A pre-3.7 worker ignores `scope=cluster` and answers 200: `honoured` is then false.
 */
export interface SetLoggerResult {
  readonly honoured: boolean;
  readonly affected?: readonly string[];
}

/** `POST /connectors/{c}/restart`; see `restartConnector`. */
export interface RestartResult {
  readonly honoured: boolean;
  readonly status?: ConnectorStateInfo;
}

/** `PUT /connectors/{c}/config` answers 201 when it created the connector, 200 when it updated it. */
export interface PutConfigResult {
  readonly created: boolean;
  readonly info: ConnectorInfo;
}
