/**
 * Kafka versions and the REST features they gate. "Since" is the first Apache Kafka release with the feature
 * (KIPs 465, 495, 558, 661, 745, 769, 618, 875, 976, 980, 477, 1017). A worker older than a feature answers the way
 * that release's Jersey would: `HTTP 404 Not Found` when no resource has the path, `HTTP 405 Method Not
 * Allowed` when the path exists with other methods, or it ignores the query parameter.
 */

export interface KafkaVersion {
  major: number;
  minor: number;
}

export class VersionError extends Error {
  override name = "VersionError";
}

/** Parses "3.9", "3.9.1" or "2.8.0" (the patch level is accepted and ignored). */
export function parseVersion(text: string): KafkaVersion {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (!m) throw new VersionError(`not a Kafka version (want X.Y): ${JSON.stringify(text)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export const formatVersion = (v: KafkaVersion): string => `${v.major}.${v.minor}.0`;

export const FEATURE_SINCE = {
  /** `GET /connectors?expand=status&expand=info` (KIP-465); older workers ignore `expand`. */
  expand: "2.3",
  /** `/admin/loggers` (KIP-495). */
  loggers: "2.4",
  /** `GET /connectors/{c}/tasks-config` (KIP-661; deprecated by KIP-970, gone in 4.0). */
  tasksConfig: "2.8",
  /** `GET /connectors/{c}/topics` and `PUT .../topics/reset` (KIP-558). */
  topics: "2.5",
  /** The invalid-config 400 points at `/connector-plugins/{connectorType}/config/validate` (before: `/{connectorType}/...`). */
  validateHintPath: "2.5",
  /** `includeTasks`/`onlyFailed` on connector restart, 202 + body, and the RESTARTING state (KIP-745). */
  restartFlags: "3.0",
  /** `GET /connector-plugins/{p}/config` and `connectorsOnly` (KIP-769). */
  pluginConfig: "3.2",
  /** The internal `PUT /connectors/{c}/fence` (KIP-618); like `POST /connectors/{c}/tasks` it skips basic auth. */
  fence: "3.3",
  /** `PUT /connectors/{c}/stop`, the STOPPED state and `GET /connectors/{c}/offsets` (KIP-875). */
  stop: "3.5",
  /** `PATCH` and `DELETE /connectors/{c}/offsets` (KIP-875). */
  alterOffsets: "3.6",
  /** `initial_state` in `POST /connectors` (KIP-980). */
  initialState: "3.7",
  /** `scope=cluster` and `last_modified` on `/admin/loggers` (KIP-976). */
  loggerScope: "3.7",
  /** `GET /connector-plugins/{p}/config` also lists the framework's keys (after the plugin's own). */
  pluginConfigWithBase: "3.7",
  /** `PATCH /connectors/{c}/config` (KIP-477). */
  patchConfig: "3.8",
  /** `GET /health` (KIP-1017). */
  health: "3.9",
} as const;

export type Feature = keyof typeof FEATURE_SINCE;

export function atLeast(v: KafkaVersion, since: string): boolean {
  const s = parseVersion(since);
  return v.major !== s.major ? v.major > s.major : v.minor >= s.minor;
}

export const supports = (v: KafkaVersion, feature: Feature): boolean => atLeast(v, FEATURE_SINCE[feature]);
