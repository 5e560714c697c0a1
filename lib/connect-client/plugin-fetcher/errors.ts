import { redactUrl } from "./redact.js";

/**
 * What went wrong, as a caller decides on it: `transient` kinds are retried here and then again on later hooks
 * (Juju "waiting"); the others need a person to change plugin-url, the served file or the machine ("blocked").
 */
export type PluginFetchErrorKind =
  | "bad-url"
  | "http-status"
  | "redirect"
  | "too-large"
  | "timeout"
  | "network"
  | "tls"
  | "checksum"
  | "not-an-archive"
  | "unsafe-archive"
  | "filesystem"
  | "aborted";

export interface PluginFetchErrorInit {
  readonly kind: PluginFetchErrorKind;
  readonly transient: boolean;
  /** What happened, lower case, no URL (it is added redacted). */
  readonly problem: string;
  /** What fixes it, e.g. "check plugin-url"; for transient kinds usually "will retry". */
  readonly fix: string;
  /** Any URL: it is redacted here, so a caller cannot leak credentials by forgetting to. */
  readonly url?: string;
  readonly relationId?: number;
  /** Download attempts made (0 when the problem was found before any request). */
  readonly attempts?: number;
  /** Server's Retry-After, in ms: a hint for the retry loop. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class PluginFetchError extends Error {
  override name = "PluginFetchError";
  readonly kind: PluginFetchErrorKind;
  readonly transient: boolean;
  readonly attempts: number;
  readonly relationId: number | undefined;
  /** The redacted URL the problem happened at, if any. */
  readonly url: string | undefined;
  readonly problem: string;
  readonly fix: string;
  readonly retryAfterMs: number | undefined;
  /** One line for `status-set` (blocked or waiting): relation, problem, redacted URL, fix. */
  readonly statusMessage: string;

  constructor(init: PluginFetchErrorInit) {
    const url = init.url === undefined ? undefined : redactUrl(init.url);
    const statusMessage = formatStatusMessage({ ...init, url });
    super(statusMessage, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.transient = init.transient;
    this.attempts = init.attempts ?? 0;
    this.relationId = init.relationId;
    this.url = url;
    this.problem = init.problem;
    this.fix = init.fix;
    this.retryAfterMs = init.retryAfterMs;
    this.statusMessage = statusMessage;
  }

  /** The Juju status a charm should show for this error. */
  get jujuStatus(): "waiting" | "blocked" {
    return this.transient ? "waiting" : "blocked";
  }

  /** The same problem, told for a relation and the number of attempts made. */
  withContext(context: { relationId?: number; attempts?: number }): PluginFetchError {
    return new PluginFetchError({
      kind: this.kind,
      transient: this.transient,
      problem: this.problem,
      fix: this.fix,
      url: this.url,
      relationId: context.relationId ?? this.relationId,
      attempts: context.attempts ?? this.attempts,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
    });
  }
}

function formatStatusMessage(init: PluginFetchErrorInit & { url: string | undefined }): string {
  const subject = init.relationId === undefined ? "plugin" : `plugin for relation ${init.relationId}`;
  const where = init.url === undefined ? "" : ` at ${init.url}`;
  const tries = (init.attempts ?? 0) > 1 ? ` after ${init.attempts} attempts` : "";
  return `${subject}: ${init.problem}${where}${tries}; ${init.fix}`;
}

export function abortedError(): PluginFetchError {
  return new PluginFetchError({
    kind: "aborted",
    transient: true,
    problem: "download aborted",
    fix: "will retry",
  });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError();
}

/** A file-system failure under the plugin root (disk full, read-only, permissions). */
export function filesystemError(err: NodeJS.ErrnoException, pluginRoot: string): PluginFetchError {
  return new PluginFetchError({
    kind: "filesystem",
    transient: false,
    problem: `cannot write under ${pluginRoot} (${err.code ?? err.message})`,
    fix: "check free space and permissions of the plugin directory",
    cause: err,
  });
}

export function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string";
}
