/**
 * Checking databags against a user's JSON Schema with a time limit. A schema is code from outside: one
 * backtracking `pattern` (`^(a+)+$` against "aaaa…!") runs for hours, and a regular expression cannot be
 * interrupted on the thread that runs it. So ajv compiles and validates in a worker thread, and the worker is
 * terminated when one step takes longer than the limit. No new dependency: a safe regex engine would be one.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { AJV_OPTIONS, type AjvErrorObject, problemsOf, SchemaError, schemaFlavour } from "./ajv.js";
import type { Problem } from "./decode.js";

/** Per step (compiling the schema, or checking one databag). */
export const DEFAULT_SCHEMA_TIMEOUT_MS = 5000;
/** Compiling runs no pattern, only loads ajv and builds code: it gets at least this long, even on a busy host. */
const COMPILE_TIMEOUT_MS = 30_000;
/** The worker's heap: a schema or databag that needs more is refused, not the process's memory. */
const WORKER_HEAP_MB = 256;

// Plain CommonJS, evaluated by the worker: it needs no TypeScript loader, under tsx, vitest or a bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const loaded = require(workerData.module);
const Ajv = loaded[workerData.className] || loaded.default || loaded;
const ajv = new Ajv(workerData.options);
if (workerData.metaSchema) ajv.addMetaSchema(require(workerData.metaSchema));
let validate;
try {
  validate = ajv.compile(workerData.schema);
  parentPort.postMessage({ compiled: true });
} catch (e) {
  parentPort.postMessage({ compiled: false, message: String(e && e.message) });
}
parentPort.on("message", (data) => {
  const valid = validate(data);
  const errors = valid ? [] : (validate.errors || []).map((e) => ({
    keyword: e.keyword, instancePath: e.instancePath, params: e.params, message: e.message,
  }));
  parentPort.postMessage({ errors });
});
`;

const BACKTRACKING =
  ': a pattern in the schema probably backtracks catastrophically (e.g. "^(a+)+$"); simplify it, or raise ' +
  "--schema-timeout";

type Reply = { compiled: true } | { compiled: false; message: string } | { errors: AjvErrorObject[] };

/** A compiled schema in its worker; `close()` when done (it also ends when a step times out). */
export interface TimedSchemaChecker {
  /** The problems of one databag; SchemaError when the check runs past the limit (`what` names it). */
  check(data: unknown, what: string): Promise<Problem[]>;
  close(): Promise<void>;
}

/** Compiles `schema` in a worker thread, within `timeoutMs`; SchemaError if it does not compile in time. */
export async function startSchemaChecker(
  schema: unknown,
  timeoutMs = DEFAULT_SCHEMA_TIMEOUT_MS,
): Promise<TimedSchemaChecker> {
  const flavour = schemaFlavour(schema);
  const require = createRequire(import.meta.url);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      schema,
      options: { ...AJV_OPTIONS },
      module: require.resolve(flavour.module),
      className: flavour.className,
      ...(flavour.metaSchema ? { metaSchema: require.resolve(flavour.metaSchema) } : {}),
    },
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  worker.unref();
  let failure: Error | undefined;
  worker.on("error", (e) => {
    failure = e;
  });

  const next = (what: string, ms: number, advice: string): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      if (failure) return reject(workerFailed(what, failure));
      const timer = setTimeout(() => {
        cleanup();
        void worker.terminate();
        reject(new SchemaError(`${what} did not finish within ${seconds(ms)}, so it was stopped${advice}`));
      }, ms);
      const onMessage = (reply: Reply) => {
        cleanup();
        resolve(reply);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(workerFailed(what, e));
      };
      const onExit = () => {
        cleanup();
        reject(workerFailed(what, failure ?? new Error("the worker stopped")));
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      };
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });

  const compiled = await next("compiling the schema", Math.max(timeoutMs, COMPILE_TIMEOUT_MS), "");
  if ("compiled" in compiled && !compiled.compiled) {
    await worker.terminate();
    throw new SchemaError(`the schema does not compile: ${compiled.message}`);
  }
  return {
    async check(data, what) {
      const reply = next(`checking ${what}`, timeoutMs, BACKTRACKING);
      worker.postMessage(data);
      const answer = await reply;
      return "errors" in answer ? problemsOf(answer.errors) : [];
    },
    async close() {
      await worker.terminate();
    },
  };
}

function workerFailed(what: string, e: Error): SchemaError {
  const heap = (e as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
  return new SchemaError(
    heap
      ? `${what} needed more than ${WORKER_HEAP_MB} MB of memory, so it was stopped`
      : `${what} failed: ${e.message}`,
  );
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
