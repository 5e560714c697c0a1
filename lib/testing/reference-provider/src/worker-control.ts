/**
 * The machine's handle on its Kafka Connect worker (the emulator's worker-control server, `KCP_WORKER_CONTROL`):
 * `GET <url>` describes the worker, `POST <url>/restart|stop|start` answers 204. Every call is bounded in time
 * and in the bytes read; the answer is checked before use.
 */
import { isAbsolute, normalize, sep } from "node:path";

export interface WorkerControlInfo {
  readonly index: number;
  readonly endpoint: string;
  readonly running: boolean;
  readonly pluginPath: string;
  readonly credentialsFile: string;
  /** The worker's config file (its `listeners`), when the control gives one. */
  readonly configFile: string | null;
  readonly caFile: string | null;
}

export class WorkerControlError extends Error {
  override name = "WorkerControlError";
}

const MAX_BODY = 64 * 1024;
export const CONTROL_TIMEOUT_MS = 10_000;

async function boundedText(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      throw new WorkerControlError(`worker control answered more than ${MAX_BODY} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(err: unknown): string {
  if (err instanceof WorkerControlError) return err.message;
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  return e?.cause?.code ?? (err instanceof Error ? err.message : String(err));
}

/** An absolute path with no `.`/`..` segments: the charm writes there, so it must not depend on its cwd. */
function isPlainAbsolutePath(p: string): boolean {
  return isAbsolute(p) && normalize(p) === p && !p.split(sep).includes("..") && !p.includes("\0");
}

/** http(s) with no user or password in it (the endpoint is published to requirers). */
function isRestUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password;
  } catch {
    return false;
  }
}

export function parseControlInfo(text: string): WorkerControlInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new WorkerControlError("worker control answered something that is not JSON");
  }
  const o = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  const str = (k: string) =>
    typeof o[k] === "string" && (o[k] as string).length > 0 && (o[k] as string).length < 4096;
  if (!(Number.isSafeInteger(o.index) && (o.index as number) >= 0) || typeof o.running !== "boolean")
    throw new WorkerControlError("worker control answer lacks index or running");
  if (!str("endpoint") || !str("pluginPath") || !str("credentialsFile"))
    throw new WorkerControlError("worker control answer lacks endpoint, pluginPath or credentialsFile");
  for (const k of ["caFile", "configFile"] as const) {
    if (o[k] !== null && o[k] !== undefined && !str(k))
      throw new WorkerControlError(`worker control answer has a ${k} that is not a path`);
  }
  for (const k of ["pluginPath", "credentialsFile", "caFile", "configFile"] as const) {
    if (typeof o[k] === "string" && !isPlainAbsolutePath(o[k] as string))
      throw new WorkerControlError(`worker control answer has a ${k} that is not a plain absolute path`);
  }
  if (!isRestUrl(o.endpoint as string))
    throw new WorkerControlError(
      "worker control answer has an endpoint that is not an http(s) URL without credentials",
    );
  return {
    index: o.index as number,
    endpoint: o.endpoint as string,
    running: o.running,
    pluginPath: o.pluginPath as string,
    credentialsFile: o.credentialsFile as string,
    configFile: (o.configFile as string | null | undefined) ?? null,
    caFile: (o.caFile as string | null | undefined) ?? null,
  };
}

export async function readWorkerControl(
  url: string,
  timeoutMs = CONTROL_TIMEOUT_MS,
): Promise<WorkerControlInfo> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    const text = await boundedText(res);
    if (res.status !== 200) throw new WorkerControlError(`worker control answered HTTP ${res.status}`);
    return parseControlInfo(text);
  } catch (err) {
    if (err instanceof WorkerControlError) throw err;
    throw new WorkerControlError(`cannot reach worker control: ${describe(err)}`, { cause: err });
  }
}

export async function controlWorker(
  url: string,
  action: "restart" | "stop" | "start",
  timeoutMs = CONTROL_TIMEOUT_MS,
): Promise<void> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, "")}/${action}`, {
      method: "POST",
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await boundedText(res);
    if (res.status !== 204) throw new WorkerControlError(`worker ${action} answered HTTP ${res.status}`);
  } catch (err) {
    if (err instanceof WorkerControlError) throw err;
    throw new WorkerControlError(`worker ${action} failed: ${describe(err)}`, { cause: err });
  }
}
