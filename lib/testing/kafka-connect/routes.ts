import { authenticate, parseBasicAuth } from "./auth.js";
import { retryCredentials } from "./credentials.js";
import type { ConnectEngine } from "./engine.js";
import { errorBody, HTTP_404, HTTP_405, HTTP_415, UNAUTHORIZED } from "./errors.js";
import {
  alterOffsets,
  createConnector,
  deleteConnector,
  getConfig,
  getConnector,
  getOffsets,
  getStatus,
  getTaskStatus,
  getTasks,
  getTasksConfig,
  getTopics,
  health,
  internalOnly,
  listConnectors,
  listPlugins,
  patchConfig,
  pause,
  pluginConfig,
  putConfig,
  resetOffsets,
  resetTopics,
  restartConnector,
  restartTask,
  resume,
  serverInfo,
  stop,
  validateConfig,
} from "./handlers.js";
import { getLogger, listLoggers, putLogger } from "./loggers.js";
import type { Ctx, Handler, Incoming, Reply } from "./rest.js";
import { decodePathSegment } from "./uri.js";
import { atLeast, type Feature, supports } from "./versions.js";
import type { WorkerRuntime } from "./worker.js";

/** Kafka's REST routes per version, matched in Jersey's order. Pure over the engine it is given. */

interface Route {
  method: string;
  /** Template: `{c}` connector, `{t}` task id (Integer), `{p}` plugin, `{l}` logger. */
  path: string;
  since?: Feature;
  /** First version without it. */
  until?: string;
  /** Resources with `@Consumes(application/json)` (all but the root ones). */
  json: boolean;
  /** Skips basic auth: the internal task-config and fencing endpoints. */
  internal?: true;
  handler: Handler;
}

const ROUTES: readonly Route[] = [
  { method: "GET", path: "/", json: false, handler: serverInfo },
  { method: "GET", path: "/health", since: "health", json: false, handler: health },
  { method: "GET", path: "/connectors", json: true, handler: listConnectors },
  { method: "POST", path: "/connectors", json: true, handler: createConnector },
  { method: "GET", path: "/connectors/{c}", json: true, handler: getConnector },
  { method: "DELETE", path: "/connectors/{c}", json: true, handler: deleteConnector },
  { method: "GET", path: "/connectors/{c}/config", json: true, handler: getConfig },
  { method: "PUT", path: "/connectors/{c}/config", json: true, handler: putConfig },
  { method: "PATCH", path: "/connectors/{c}/config", since: "patchConfig", json: true, handler: patchConfig },
  { method: "GET", path: "/connectors/{c}/status", json: true, handler: getStatus },
  { method: "GET", path: "/connectors/{c}/tasks", json: true, handler: getTasks },
  { method: "POST", path: "/connectors/{c}/tasks", json: true, internal: true, handler: internalOnly },
  {
    method: "GET",
    path: "/connectors/{c}/tasks-config",
    since: "tasksConfig",
    until: "4.0",
    json: true,
    handler: getTasksConfig,
  },
  { method: "GET", path: "/connectors/{c}/tasks/{t}/status", json: true, handler: getTaskStatus },
  { method: "POST", path: "/connectors/{c}/tasks/{t}/restart", json: true, handler: restartTask },
  { method: "POST", path: "/connectors/{c}/restart", json: true, handler: restartConnector },
  { method: "PUT", path: "/connectors/{c}/pause", json: true, handler: pause },
  { method: "PUT", path: "/connectors/{c}/resume", json: true, handler: resume },
  { method: "PUT", path: "/connectors/{c}/stop", since: "stop", json: true, handler: stop },
  {
    method: "PUT",
    path: "/connectors/{c}/fence",
    since: "fence",
    json: true,
    internal: true,
    handler: internalOnly,
  },
  { method: "GET", path: "/connectors/{c}/offsets", since: "stop", json: true, handler: getOffsets },
  {
    method: "PATCH",
    path: "/connectors/{c}/offsets",
    since: "alterOffsets",
    json: true,
    handler: alterOffsets,
  },
  {
    method: "DELETE",
    path: "/connectors/{c}/offsets",
    since: "alterOffsets",
    json: true,
    handler: resetOffsets,
  },
  { method: "GET", path: "/connectors/{c}/topics", since: "topics", json: true, handler: getTopics },
  { method: "PUT", path: "/connectors/{c}/topics/reset", since: "topics", json: true, handler: resetTopics },
  { method: "GET", path: "/connector-plugins", json: true, handler: listPlugins },
  {
    method: "GET",
    path: "/connector-plugins/{p}/config",
    since: "pluginConfig",
    json: true,
    handler: pluginConfig,
  },
  { method: "PUT", path: "/connector-plugins/{p}/config/validate", json: true, handler: validateConfig },
  { method: "GET", path: "/admin/loggers", since: "loggers", json: true, handler: listLoggers },
  { method: "GET", path: "/admin/loggers/{l}", since: "loggers", json: true, handler: getLogger },
  { method: "PUT", path: "/admin/loggers/{l}", since: "loggers", json: true, handler: putLogger },
];

const templates = new Map(ROUTES.map((r) => [r, r.path.split("/").filter(Boolean)]));

/** Jersey decodes path parameters; a segment that is not valid percent-encoding is kept as sent. */
function segmentsOf(path: string): string[] {
  return path
    .split("/")
    .filter(Boolean)
    .map((s) => decodePathSegment(s) ?? s);
}

function matchPath(template: string[], segments: string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const seg = segments[i]!;
    if (part.startsWith("{")) params[part.slice(1, -1)] = seg;
    else if (part !== seg) return undefined;
  }
  return params;
}

/** A Java `Integer` path parameter: anything else is Jersey's 404. */
const isJavaInt = (s: string) =>
  /^[+-]?\d{1,10}$/.test(s) && Number(s) >= -(2 ** 31) && Number(s) <= 2 ** 31 - 1;

function isJsonType(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || type === "*/*" || type === "application/*" || type === "";
}

/**
 * Jersey's order: match a resource (404 / 405 / 415 without looking at credentials), then the basic-auth
 * filter, then parameter conversion (a non-integer task id is a 404), then the resource method.
 */
export async function handleRequest(
  engine: ConnectEngine,
  w: WorkerRuntime,
  req: Incoming,
  forward: Ctx["forward"],
): Promise<Reply> {
  const segments = segmentsOf(req.path);
  const method = req.method === "HEAD" ? "GET" : req.method;
  const candidates = ROUTES.filter(
    (r) =>
      (r.since === undefined || supports(engine.kafkaVersion, r.since)) &&
      (r.until === undefined || !atLeast(engine.kafkaVersion, r.until)),
  )
    .map((route) => ({ route, params: matchPath(templates.get(route)!, segments) }))
    .filter((m): m is { route: Route; params: Record<string, string> } => m.params !== undefined);
  if (candidates.length === 0) return { status: 404, body: errorBody(404, HTTP_404) };
  const match = candidates.find((m) => m.route.method === method);
  if (!match) return { status: 405, body: errorBody(405, HTTP_405) };
  const { route, params } = match;
  const contentType = req.headers["content-type"];
  if (route.json && contentType !== undefined && !isJsonType(contentType))
    return { status: 415, body: errorBody(415, HTTP_415) };

  if (!route.internal) {
    // A malformed header fails before any login, so it does not make the worker read its file either.
    if (parseBasicAuth(req.headers.authorization).malformed === undefined) await retryCredentials(w);
    const auth = authenticate(w.credentials, req.headers.authorization);
    if (auth === "refused")
      return { status: 401, text: UNAUTHORIZED, headers: { "content-type": "text/plain" } };
    if (auth !== "admitted") return { status: 500, body: errorBody(500, auth.error) };
  }

  if (params.t !== undefined && !isJavaInt(params.t)) return { status: 404, body: errorBody(404, HTTP_404) };
  const query = new URLSearchParams(req.query);
  return route.handler({ engine, w, req, params, query, forward });
}
