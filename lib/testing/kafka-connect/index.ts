// The Kafka Connect emulator's public surface. Names are specific enough to sit in lib/testing's namespace.
export {
  admits as basicAuthAdmits,
  type Credentials as BasicAuthCredentials,
  decodeJavaBase64,
  formatCredentials,
  JavaBase64Error,
  jaasConfig,
  type PresentedCredentials,
  parseBasicAuth,
  parseProperties as parseJavaProperties,
} from "./auth.js";
export {
  type CliIo as KafkaConnectEmulatorIo,
  type CliOptions as KafkaConnectEmulatorOptions,
  DEFAULT_RECORD_LIMIT as KAFKA_CONNECT_EMULATOR_RECORD_LIMIT,
  main as kafkaConnectEmulatorMain,
  PASSWORD_ENV as KAFKA_CONNECT_EMULATOR_PASSWORD_ENV,
  parseCliArgs as parseKafkaConnectEmulatorArgs,
  runCli as runKafkaConnectEmulator,
  USAGE as KAFKA_CONNECT_EMULATOR_USAGE,
  UsageError as KafkaConnectEmulatorUsageError,
} from "./cli.js";
export {
  type ConnectorSnapshot,
  DEFAULT_TIMING as KAFKA_CONNECT_DEFAULT_TIMING,
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type RebalanceOptions as KafkaConnectRebalanceOptions,
  startKafkaConnectCluster,
  type Timing as KafkaConnectTiming,
  type WorkerFiles as KafkaConnectWorkerFiles,
} from "./cluster.js";
export {
  type ConfigInfos,
  type ConfigKeyInfo,
  type ConfigValueInfo,
  frameworkKeys as connectorFrameworkKeys,
  pluginConfigInfos,
  validateConnectorConfig,
  WORKER_GROUP_ID as KAFKA_CONNECT_WORKER_GROUP_ID,
} from "./config.js";
export {
  startWorkerControl,
  type WorkerControl as KafkaConnectWorkerControl,
  type WorkerControlInfo as KafkaConnectWorkerControlInfo,
  type WorkerControlOptions as KafkaConnectWorkerControlOptions,
} from "./control.js";
export {
  errorBody as kafkaConnectErrorBody,
  HTTP_404 as JERSEY_404,
  HTTP_405 as JERSEY_405,
  HTTP_415 as JERSEY_415,
  invalidConfigMessage,
  MSG as KAFKA_CONNECT_MESSAGES,
  RestError as KafkaConnectRestError,
  UNAUTHORIZED as BASIC_AUTH_UNAUTHORIZED,
} from "./errors.js";
export type { FaultSpec as KafkaConnectFault } from "./faults.js";
export {
  BUILT_IN_PLUGINS,
  buildPluginTarball,
  type ConfigKeySpec,
  extractPluginTarball,
  MANIFEST_FILE as PLUGIN_MANIFEST_FILE,
  type PluginDescriptor,
  type PluginManifest,
  PluginManifestError,
  type PluginSpec,
  type PluginType,
  parseManifest as parsePluginManifest,
  resolveConnector as resolveConnectorPlugin,
  scanPluginPath,
} from "./plugins.js";
export type { RequestRecord as KafkaConnectRequestRecord } from "./record.js";
export type {
  ConnectorInfo,
  ConnectorOffset,
  ConnectorStateInfo,
  TargetState as ConnectorTargetState,
  TaskState,
  UnitState as ConnectorUnitState,
} from "./state.js";
export { createTestCa, generateTestTls, type TestCa, type TestTls } from "./tls.js";
export {
  atLeast as kafkaVersionAtLeast,
  FEATURE_SINCE as KAFKA_CONNECT_FEATURE_SINCE,
  type Feature as KafkaConnectFeature,
  formatVersion as formatKafkaVersion,
  type KafkaVersion,
  parseVersion as parseKafkaVersion,
  supports as kafkaVersionSupports,
} from "./versions.js";
