/**
 * The Kafka Connect worker's exact answers (apache/kafka connect/runtime REST resources), as documented in
 * docs/kafka-connect-client.md. Tests build responses from these so the client is checked against the
 * worker's own words, not against what the client happens to expect.
 */

export const CONNECTOR = "my-sink";

/** Every 404 text a worker uses for a missing connector, task, logger or route. */
export const NOT_FOUND = {
  connectorNotFound: `Connector ${CONNECTOR} not found`,
  unknownConnector: `Unknown connector ${CONNECTOR}`,
  unknownConnectorColon: `Unknown connector: ${CONNECTOR}`,
  noConnectorStatus: `No status found for connector ${CONNECTOR}`,
  connectorStatusNotFound: `Status for connector ${CONNECTOR} not found`,
  noTaskStatus: `No status found for task ${CONNECTOR}-2`,
  unknownTask: `Unknown task: ${CONNECTOR}-2`,
  route: "HTTP 404 Not Found",
  logger: "Logger org.apache.kafka.connect.nope not found.",
  invalidLevel: "invalid log level 'LOUD'.",
} as const;

/** The three 409 texts that mean "rebalancing, retry later", and the one that does not. */
export const REBALANCING = [
  "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
  "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
  "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)",
] as const;
export const ALREADY_EXISTS = `Connector ${CONNECTOR} already exists`;

/** 400 for an invalid config: one error per line; since 2.5 a last line points at the validate endpoint. */
export const INVALID_CONFIG =
  "Connector configuration is invalid and contains the following 2 error(s):\n" +
  'Missing required configuration "file" which has no default value.\n' +
  "Invalid value -1 for configuration tasks.max: Value must be at least 1\n" +
  "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`";
export const INVALID_CONFIG_PRE_2_5 =
  "Connector configuration is invalid and contains the following 1 error(s):\n" +
  'Missing required configuration "file" which has no default value.';
export const INVALID_CONFIG_ERRORS = [
  'Missing required configuration "file" which has no default value.',
  "Invalid value -1 for configuration tasks.max: Value must be at least 1",
];

/** The worker echoes the whole config map (Java `Map.toString`) here, secrets included. */
export const CONFIG_SECRET = "s3cr3t-db-pa55";
export const NO_CONNECTOR_TYPE = `Connector config {name=${CONNECTOR}, connection.password=${CONFIG_SECRET}} contains no connector type`;
export const NAME_MISMATCH =
  "Connector name configuration (other) doesn't match connector name in the URL (my-sink)";
export const NOT_STOPPED =
  "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the " +
  "specified connector by issuing a 'PUT' request to the '/connectors/my-sink/stop' endpoint";
export const UNKNOWN_CLASS =
  "Failed to find any class that implements Connector and which name matches com.example.Nope, available " +
  "connectors are: PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSinkConnector}";
export const REQUEST_TIMED_OUT = "Request timed out";
export const TOPIC_RESET_DISABLED = "Topic tracking reset is disabled.";

/** The basic-auth 401 is plain text, not the JSON error body. */
export const UNAUTHORIZED_TEXT = "User cannot access the resource.";

export const SERVER_INFO = {
  version: "3.9.0",
  commit: "a60e31147e6b01ee",
  kafka_cluster_id: "M1nB5pDWRVa0mQ3v0C1b7w",
};

export const CONFIG = {
  "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
  "tasks.max": "1",
  topics: "orders",
  file: "/tmp/orders.txt",
};

export function connectorInfo(name = CONNECTOR, config: Record<string, string> = CONFIG) {
  return {
    name,
    config: { ...config, name },
    tasks: [{ connector: name, task: 0 }],
    type: "sink",
  };
}

export function connectorStatus(name = CONNECTOR, state = "RUNNING") {
  return {
    name,
    connector: { state, worker_id: "10.0.0.1:8083" },
    tasks: [
      { id: 0, state, worker_id: "10.0.0.1:8083" },
      {
        id: 1,
        state: "FAILED",
        worker_id: "10.0.0.2:8083",
        trace: "org.apache.kafka.connect.errors.ConnectException",
      },
    ],
    type: "sink",
  };
}

/** A 202 restart answer: RESTARTING marks, tasks not sorted. */
export function restartingStatus(name = CONNECTOR) {
  return {
    name,
    connector: { state: "RESTARTING", worker_id: "10.0.0.1:8083" },
    tasks: [
      { id: 1, state: "RESTARTING", worker_id: "10.0.0.2:8083" },
      { id: 0, state: "RUNNING", worker_id: "10.0.0.1:8083" },
    ],
    type: "sink",
  };
}

export function configKeyInfo(name: string) {
  return {
    name,
    type: "STRING",
    required: true,
    default_value: null,
    importance: "HIGH",
    documentation: "Destination filename.",
    group: null,
    order: -1,
    width: "NONE",
    display_name: name,
    dependents: [],
  };
}

/** 200 from validate with two errors, and a config entry whose definition and value are null. */
export const CONFIG_INFOS_INVALID = {
  name: "org.apache.kafka.connect.file.FileStreamSinkConnector",
  error_count: 2,
  groups: ["Common", "Transforms"],
  configs: [
    {
      definition: configKeyInfo("file"),
      value: {
        name: "file",
        value: null,
        recommended_values: [],
        errors: ['Missing required configuration "file" which has no default value.'],
        visible: true,
      },
    },
    {
      definition: configKeyInfo("tasks.max"),
      value: {
        name: "tasks.max",
        value: "-1",
        recommended_values: [],
        errors: ["Invalid value -1 for configuration tasks.max: Value must be at least 1"],
        visible: true,
      },
    },
    { definition: null, value: null },
  ],
};

export const SINK_OFFSETS = {
  offsets: [
    { partition: { kafka_topic: "orders", kafka_partition: 0 }, offset: { kafka_offset: 42 } },
    { partition: { kafka_topic: "orders", kafka_partition: 1 }, offset: null },
  ],
};

export function errorBody(status: number, message: string) {
  return { error_code: status, message };
}
