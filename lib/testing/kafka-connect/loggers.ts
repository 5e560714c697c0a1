import { MSG, RestError } from "./errors.js";
import { type Ctx, empty, type Handler, ok, readJson, stringMap } from "./rest.js";
import { supports } from "./versions.js";
import type { WorkerRuntime } from "./worker.js";

/** `/admin/loggers` (LoggingResource): per-worker log4j levels, and (3.7+) cluster-wide changes. */

const LOG4J_LEVELS = ["OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL"];

const isRoot = (name: string) => name.toLowerCase() === "root";

function effectiveLevel(w: WorkerRuntime, name: string): string {
  for (let n = name; n !== ""; n = n.includes(".") ? n.slice(0, n.lastIndexOf(".")) : "") {
    const level = w.loggers.get(n)?.level;
    if (level) return level;
  }
  return w.loggers.get("root")!.level ?? "DEBUG";
}

const levelView = (ctx: Ctx, level: string, lastModified: number | null) =>
  supports(ctx.engine.kafkaVersion, "loggerScope") ? { level, last_modified: lastModified } : { level };

export const listLoggers: Handler = (ctx) => {
  const out: Record<string, unknown> = {};
  for (const name of [...ctx.w.loggers.keys()].sort()) {
    const entry = ctx.w.loggers.get(name)!;
    if (entry.level) out[name] = levelView(ctx, entry.level, entry.lastModified);
  }
  return ok(out);
};

export const getLogger: Handler = (ctx) => {
  const name = isRoot(ctx.params.l!) ? "root" : ctx.params.l!;
  const entry = ctx.w.loggers.get(name);
  if (!entry) throw new RestError(404, MSG.loggerNotFound(ctx.params.l!));
  return ok(levelView(ctx, effectiveLevel(ctx.w, name), entry.lastModified));
};

/** Sets a namespace and every logger under it (plain name prefix), creating it if absent; sorted names. */
function setLevel(w: WorkerRuntime, namespace: string, level: string, now: number): string[] {
  const names = isRoot(namespace)
    ? [...w.loggers.keys()]
    : [...w.loggers.keys()].filter((n) => n !== "root" && n.startsWith(namespace));
  if (!isRoot(namespace) && !w.loggers.has(namespace)) names.push(namespace);
  for (const n of names) w.loggers.set(n, { level, lastModified: now });
  return names.sort();
}

export const putLogger: Handler = (ctx) => {
  const body = stringMap(readJson(ctx), false);
  const level = body.level;
  if (level === undefined) throw new RestError(400, MSG.levelMissing);
  if (!LOG4J_LEVELS.includes(level.toUpperCase())) throw new RestError(404, MSG.invalidLevel(level));
  const now = Date.now();
  const upper = level.toUpperCase();
  if (
    supports(ctx.engine.kafkaVersion, "loggerScope") &&
    (ctx.query.get("scope") ?? "").toLowerCase() === "cluster"
  ) {
    for (const i of ctx.engine.runningWorkers()) setLevel(ctx.engine.worker(i), ctx.params.l!, upper, now);
    return empty(204);
  }
  return ok(setLevel(ctx.w, ctx.params.l!, upper, now));
};
