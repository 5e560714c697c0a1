/**
 * The `onResponse` observer: one event per HTTP attempt, for counting requests by status (Prometheus) without
 * parsing logs. It carries no headers and no bodies, and its `path` is a route template (names replaced by
 * placeholders, query dropped) so a metric label cannot grow with the number of connectors or leak a name.
 */

import type { KafkaConnectErrorKind } from "./errors.js";

export interface ResponseEvent {
  readonly method: string;
  /** The route template: `/connectors/:name/tasks/:task/status`, `/connector-plugins/:plugin/config`, … */
  readonly path: string;
  /** The origin the attempt went to. */
  readonly endpoint: string;
  /** Absent when no HTTP answer came (connection error, timeout, abort). */
  readonly status?: number;
  readonly durationMs: number;
  /** How the transport classified this attempt when it failed; absent for an expected answer. */
  readonly errorKind?: KafkaConnectErrorKind;
}

export type ResponseObserver = (event: ResponseEvent) => void;

/** `/connectors/my%20sink/tasks/0/status?x=1` → `/connectors/:name/tasks/:task/status`. Pure. */
export function routeTemplate(path: string): string {
  const query = path.indexOf("?");
  const parts = (query === -1 ? path : path.slice(0, query)).split("/");
  if (parts[1] === "connectors" && parts.length > 2) {
    parts[2] = ":name";
    if (parts[3] === "tasks" && parts.length > 4) parts[4] = ":task";
  } else if (parts[1] === "connector-plugins" && parts.length > 2) {
    parts[2] = ":plugin";
  } else if (parts[1] === "admin" && parts[2] === "loggers" && parts.length > 3) {
    parts[3] = ":logger";
  }
  return parts.join("/");
}
