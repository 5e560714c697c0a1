import { pluginConfigInfos, validateConnectorConfig, WORKER_GROUP_ID } from "./config.js";
import { invalidConfigMessage, JAVA_CLASS, MSG, RestError } from "./errors.js";
import { getRecord, guardConfigRead, guardRebalance, onLeader, onOwner } from "./herder.js";
import { unrecognizedFieldMessage } from "./jackson.js";
import {
  isConnector,
  listingOrder,
  type PluginDescriptor,
  resolveConnector,
  resolvePlugin,
  wrappedConnectException,
} from "./plugins.js";
import { type Ctx, empty, flag, type Handler, malformed, ok, readJson, stringMap } from "./rest.js";
import {
  applyOffsets,
  type ConnectorOffset,
  type ConnectorRecord,
  connectorInfo,
  connectorStateInfo,
  type TargetState,
  taskState,
} from "./state.js";
import { encodePath, storedConnectorName } from "./uri.js";
import { supports } from "./versions.js";

/**
 * The REST resources of a worker (ConnectorsResource, ConnectorPluginsResource, RootResource) over the
 * cluster engine, with the herder's order of checks: validation on the receiving worker, then the rebalance
 * and leader rules, then existence.
 */

/**
 * AbstractHerder#validateConnectorConfig on this worker's plugins. Throws what a config write answers: 400
 * without connector.class, 500 for an unknown class, 400 listing the errors.
 */
function validateForWrite(ctx: Ctx, config: Record<string, string>): PluginDescriptor {
  const cls = config["connector.class"];
  if (cls === undefined) throw new RestError(400, MSG.noConnectorType(config));
  const plugin = resolveConnector(ctx.w.plugins, cls);
  const { errors } = validate(config, plugin);
  if (errors.length > 0)
    throw new RestError(
      400,
      invalidConfigMessage(errors, supports(ctx.engine.kafkaVersion, "validateHintPath")),
    );
  return plugin;
}

/** Validation plus DistributedHerder's check that a sink's consumer group is not the workers' group. */
function validate(config: Record<string, string>, plugin: PluginDescriptor) {
  const { infos } = validateConnectorConfig(config, plugin);
  const name = config.name;
  const nameValue = infos.configs.find((c) => c.definition?.name === "name")?.value;
  if (plugin.type === "sink" && nameValue && `connect-${name}` === WORKER_GROUP_ID)
    nameValue.errors.push(
      `Consumer group for sink connector named ${name} conflicts with Connect worker group ${WORKER_GROUP_ID}`,
    );
  const errors = infos.configs.flatMap((c) => c.value?.errors ?? []);
  return { infos: { ...infos, error_count: errors.length }, errors };
}

/** ConnectorsResource#checkAndPutConnectorConfigName. */
function checkName(name: string, config: Record<string, string>): void {
  const included = config.name;
  if (included === undefined) config.name = name;
  else if (included !== name) throw new RestError(400, MSG.nameMismatch(included, name));
}

/** `Location` of a created connector: relative `/connectors/{name}` resolved against the request's base URI. */
function location(ctx: Ctx, name: string): string {
  const host = ctx.req.headers.host ?? `127.0.0.1:${ctx.w.port}`;
  return `${ctx.req.scheme}://${host}/connectors/${encodePath(name)}`;
}

/** The class Jackson binds `POST /connectors` to (its @JsonCreator: name, config, and initial_state since 3.7). */
const CREATE_REQUEST_CLASS = "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";

/** `initial_state` (3.7+; an older worker refused the property while binding the body). */
function initialTarget(body: Record<string, unknown>): TargetState {
  const raw = body.initial_state;
  if (raw === undefined || raw === null) return "STARTED";
  const state = typeof raw === "string" ? raw.toUpperCase() : "";
  if (state === "RUNNING") return "STARTED";
  if (state === "PAUSED" || state === "STOPPED") return state;
  throw malformed(`initial_state must be RUNNING, PAUSED or STOPPED, got ${JSON.stringify(raw)}`);
}

export const serverInfo: Handler = ({ engine }) =>
  ok({ version: engine.version, commit: engine.commit, kafka_cluster_id: engine.clusterId });

export const health: Handler = ({ w }) =>
  w.starting
    ? ok({ status: "starting", message: MSG.starting }, 503)
    : ok({ status: "healthy", message: MSG.healthy });

export const listConnectors: Handler = ({ engine, query }) => {
  const names = [...engine.connectors.keys()].sort();
  if (!query.has("expand") || !supports(engine.kafkaVersion, "expand")) return ok(names);
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    const rec = engine.connectors.get(name)!;
    const entry: Record<string, unknown> = {};
    let missing = false;
    for (const expansion of query.getAll("expand")) {
      if (expansion === "status") {
        const status = connectorStateInfo(rec, engine.workerId);
        if (status) entry.status = status;
        else missing = true; // NotFoundException: the connector is left out
      } else if (expansion === "info") entry.info = connectorInfo(rec);
    }
    if (!missing) out[name] = entry;
  }
  return ok(out);
};

export const createConnector: Handler = async (ctx) => {
  const raw = readJson(ctx);
  // Jackson binds the body before anything else runs: an unknown property (initial_state before 3.7) is a 500.
  const known = supports(ctx.engine.kafkaVersion, "initialState")
    ? ["name", "config", "initial_state"]
    : ["name", "config"];
  const unknown = unrecognizedFieldMessage(ctx.req.body, CREATE_REQUEST_CLASS, known);
  if (unknown !== undefined) throw new RestError(500, unknown);
  const body = (raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const name = typeof body.name === "string" ? body.name.trim() : "";
  const config = stringMap(body.config, false);
  checkName(name, config);
  const target = initialTarget(body);
  validateForWrite(ctx, config);
  guardRebalance(ctx);
  const reply = await onLeader(ctx, () => {
    // The herder checks the name as sent, but the config topic keys the connector by its name's Java UTF-8
    // bytes: a lone surrogate is stored as `?` (and overwrites a connector of that name, as Kafka's does).
    if (ctx.engine.connectors.has(name)) throw new RestError(409, MSG.alreadyExists(name));
    const plugin = validateForWrite(ctx, config);
    const stored = ctx.engine.connectors.get(storedConnectorName(name));
    if (stored) ctx.engine.updateConfig(stored, config, plugin);
    const rec = stored ?? ctx.engine.create(storedConnectorName(name), config, plugin, target);
    return ok({ ...connectorInfo(rec), name, tasks: [] }, 201);
  });
  return reply.status === 201 ? { ...reply, headers: { location: location(ctx, name) } } : reply;
};

export const getConnector: Handler = (ctx) => {
  guardConfigRead(ctx);
  return ok(connectorInfo(getRecord(ctx, MSG.connectorNotFound)));
};

export const getConfig: Handler = (ctx) => {
  guardConfigRead(ctx);
  return ok({ ...getRecord(ctx, MSG.connectorNotFound).config });
};

export const putConfig: Handler = async (ctx) => {
  const name = ctx.params.c!;
  const config = stringMap(readJson(ctx), false);
  checkName(name, config);
  validateForWrite(ctx, config);
  guardRebalance(ctx);
  const reply = await onLeader(ctx, () => {
    const plugin = validateForWrite(ctx, config);
    const existing = ctx.engine.connectors.get(name);
    if (existing) {
      ctx.engine.updateConfig(existing, config, plugin);
      return ok(connectorInfo(existing));
    }
    return ok(connectorInfo(ctx.engine.create(name, config, plugin, "STARTED")), 201);
  });
  return reply.status === 201 ? { ...reply, headers: { location: location(ctx, name) } } : reply;
};

export const patchConfig: Handler = async (ctx) => {
  const patch = stringMap(readJson(ctx), true);
  guardRebalance(ctx);
  return onLeader(ctx, () => {
    const rec = getRecord(ctx, MSG.connectorNotFound);
    const config: Record<string, string> = { ...rec.config };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete config[k];
      else config[k] = v;
    }
    const plugin = validateForWrite(ctx, config);
    ctx.engine.updateConfig(rec, config, plugin);
    return ok(connectorInfo(rec));
  });
};

export const getStatus: Handler = (ctx) => {
  const rec = ctx.engine.connectors.get(ctx.params.c!);
  const info = rec && connectorStateInfo(rec, ctx.engine.workerId);
  if (!info) throw new RestError(404, MSG.noStatusConnector(ctx.params.c!));
  return ok(info);
};

export const getTasks: Handler = (ctx) => {
  guardConfigRead(ctx);
  const rec = getRecord(ctx, MSG.connectorNotFound);
  return ok(
    rec.taskConfigs.map((config, task) => ({ id: { connector: rec.name, task }, config: { ...config } })),
  );
};

export const getTasksConfig: Handler = (ctx) => {
  guardConfigRead(ctx);
  const rec = getRecord(ctx, MSG.connectorNotFound);
  return ok(
    Object.fromEntries(rec.taskConfigs.map((config, task) => [`${rec.name}-${task}`, { ...config }])),
  );
};

const taskId = (ctx: Ctx): number => Number(ctx.params.t);

export const getTaskStatus: Handler = (ctx) => {
  const c = ctx.params.c!;
  const t = taskId(ctx);
  const status = ctx.engine.connectors.get(c)?.tasks.get(t)?.status;
  if (!status) throw new RestError(404, MSG.noStatusTask(c, t));
  return ok(taskState(t, status, ctx.engine.workerId));
};

/** The internal endpoints workers call each other on: signed with the session key, which no client has. */
export const internalOnly: Handler = (ctx) => {
  if (ctx.req.headers["x-connect-authorization"] === undefined)
    throw new RestError(400, MSG.internalSignatureMissing);
  throw new RestError(403, MSG.internalSignatureInvalid);
};

export const restartConnector: Handler = async (ctx) => {
  const includeTasks = flag(ctx.query, "includeTasks", false);
  const onlyFailed = flag(ctx.query, "onlyFailed", false);
  guardRebalance(ctx);
  const rec = getRecord(ctx, MSG.unknownConnectorColon);
  if ((!includeTasks && !onlyFailed) || !supports(ctx.engine.kafkaVersion, "restartFlags")) {
    // The pre-KIP-745 restart: on the worker running the connector, 204 with no body.
    return onOwner(ctx, rec.connector.owner, () => {
      ctx.engine.restartConnector(rec);
      return empty(204);
    });
  }
  return onLeader(ctx, () => {
    const current = getRecord(ctx, MSG.unknownConnectorColon);
    if (!current.connector.status) throw new RestError(404, MSG.statusNotFound(current.name));
    return ok(ctx.engine.restartPlan(current, includeTasks, onlyFailed), 202);
  });
};

export const restartTask: Handler = async (ctx) => {
  guardRebalance(ctx);
  const rec = getRecord(ctx, MSG.unknownConnectorColon);
  const t = taskId(ctx);
  if (t < 0 || t >= rec.taskConfigs.length) throw new RestError(404, MSG.unknownTask(rec.name, t));
  return onOwner(ctx, rec.tasks.get(t)?.owner, () => {
    ctx.engine.restartTask(rec, t);
    return empty(204);
  });
};

export const pause: Handler = (ctx) => {
  ctx.engine.pause(getRecord(ctx, MSG.unknownConnector));
  return empty(202);
};

export const resume: Handler = (ctx) => {
  ctx.engine.resume(getRecord(ctx, MSG.unknownConnector));
  return empty(202);
};

export const stop: Handler = async (ctx) => {
  guardRebalance(ctx);
  getRecord(ctx, MSG.unknownConnector);
  return onLeader(ctx, () => {
    ctx.engine.stop(getRecord(ctx, MSG.unknownConnector));
    return empty(204);
  });
};

export const deleteConnector: Handler = async (ctx) => {
  guardRebalance(ctx);
  return onLeader(ctx, () => {
    ctx.engine.deleteConnector(getRecord(ctx, MSG.connectorNotFound).name);
    return empty(204);
  });
};

export const getOffsets: Handler = (ctx) =>
  ok({ offsets: getRecord(ctx, MSG.connectorNotFound).offsets.map((o) => ({ ...o })) });

/** The checks before an offsets change: the connector exists and is STOPPED with no task configs. */
function stoppedRecord(ctx: Ctx): ConnectorRecord {
  const rec = getRecord(ctx, MSG.connectorNotFound);
  if (rec.target !== "STOPPED" || rec.taskConfigs.length !== 0)
    throw new RestError(400, MSG.notStopped(rec.name));
  return rec;
}

function parseOffsets(value: unknown): ConnectorOffset[] {
  const list = value && typeof value === "object" ? (value as { offsets?: unknown }).offsets : undefined;
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0))
    throw new RestError(400, MSG.offsetsRequired);
  if (!Array.isArray(list)) throw malformed("offsets must be an array");
  return list.map((o) => {
    const partition = (o as { partition?: unknown })?.partition;
    const offset = (o as { offset?: unknown })?.offset ?? null;
    if (!partition || typeof partition !== "object" || (offset !== null && typeof offset !== "object"))
      throw malformed("each offset needs a partition object and an offset object or null");
    return {
      partition: partition as Record<string, unknown>,
      offset: offset as Record<string, unknown> | null,
    };
  });
}

export const alterOffsets: Handler = async (ctx) => {
  const patch = parseOffsets(readJson(ctx));
  guardRebalance(ctx);
  return onLeader(ctx, () => {
    const rec = stoppedRecord(ctx);
    rec.offsets = applyOffsets(rec.offsets, patch);
    return ok({ message: rec.plugin.managesOffsets ? MSG.offsetsAltered : MSG.offsetsAlteredFramework });
  });
};

export const resetOffsets: Handler = async (ctx) => {
  guardRebalance(ctx);
  return onLeader(ctx, () => {
    const rec = stoppedRecord(ctx);
    rec.offsets = [];
    return ok({ message: rec.plugin.managesOffsets ? MSG.offsetsReset : MSG.offsetsResetFramework });
  });
};

export const getTopics: Handler = (ctx) => {
  if (!ctx.engine.topicTracking) throw new RestError(403, MSG.topicTrackingDisabled);
  const c = ctx.params.c!;
  const topics = [...(ctx.engine.connectors.get(c)?.topics ?? [])].sort();
  return ok({ [c]: { topics } });
};

export const resetTopics: Handler = (ctx) => {
  if (!ctx.engine.topicTracking) throw new RestError(403, MSG.topicTrackingDisabled);
  if (!ctx.engine.topicTrackingReset) throw new RestError(403, MSG.topicTrackingResetDisabled);
  ctx.engine.connectors.get(ctx.params.c!)?.topics.clear();
  return empty(202);
};

export const listPlugins: Handler = (ctx) => {
  const connectorsOnly =
    !supports(ctx.engine.kafkaVersion, "pluginConfig") || flag(ctx.query, "connectorsOnly", true);
  const plugins = listingOrder(ctx.w.plugins).filter((p) => !connectorsOnly || isConnector(p));
  return ok(
    plugins.map((p) => ({
      class: p.class,
      type: p.type,
      ...(p.version === "null" ? {} : { version: p.version }),
    })),
  );
};

export const pluginConfig: Handler = (ctx) =>
  ok(
    pluginConfigInfos(
      resolvePlugin(ctx.w.plugins, ctx.params.p!),
      supports(ctx.engine.kafkaVersion, "pluginConfigWithBase"),
    ),
  );

/** Strips one `Connector` suffix (ConnectorPluginsResource#normalizedPluginName). */
const normalized = (name: string) =>
  name.endsWith("Connector") && name.length > "Connector".length ? name.slice(0, -"Connector".length) : name;

export const validateConfig: Handler = (ctx) => {
  const config = stringMap(readJson(ctx), false);
  const p = ctx.params.p!;
  const included = config["connector.class"];
  if (included !== undefined && !normalized(included).endsWith(normalized(p)))
    throw new RestError(400, MSG.includedTypeMismatch(included, p));
  // The herder's future is not unwrapped here: its errors arrive as 500 "<class>: <message>".
  if (included === undefined)
    throw new RestError(500, `${JAVA_CLASS.badRequest}: ${MSG.noConnectorType(config)}`);
  let plugin: PluginDescriptor;
  try {
    plugin = resolveConnector(ctx.w.plugins, included);
  } catch (e) {
    throw e instanceof RestError ? new RestError(500, wrappedConnectException(e.message)) : e;
  }
  return ok(validate(config, plugin).infos);
};
