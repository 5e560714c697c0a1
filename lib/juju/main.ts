import { Hook } from "./hook.js";
import type { CharmMeta } from "./meta.js";
import type { Redactor } from "./model/redactor.js";

/** A charm is a function of one hook. It is handed a Hook and decides everything from there. */
export type Charm<M extends CharmMeta = CharmMeta> = (hook: Hook<M>) => Promise<void> | void;

/** How a hook run ended: `failure` is the redacted `Name: message` of an uncaught error. */
export interface HookOutcome {
  readonly failure?: string;
  readonly error?: unknown;
}

/**
 * Runs the charm on a hook and reports an uncaught error through juju-log (redacted) instead of throwing.
 * Both the real entry point and the test kit's in-process mode go through here, so they fail alike.
 */
export async function runHook<M extends CharmMeta>(charm: Charm<M>, hook: Hook<M>): Promise<HookOutcome> {
  try {
    await charm(hook);
    return {};
  } catch (error) {
    const failure = failureText(hook.redactor, error);
    await hook.log.error(`hook failed: ${failure}`).catch(() => undefined);
    return { failure, error };
  }
}

/** The most characters of a failure reported; juju-log takes it on argv, where one argument is ≤ 128 KiB. */
export const MAX_FAILURE_TEXT = 4096;

/**
 * `Name: message` of an uncaught error, redacted of every known secret form, then cut to MAX_FAILURE_TEXT (in
 * that order: a cut first could leave part of a secret no longer recognisable as one).
 */
export function failureText(redactor: Redactor, error: unknown): string {
  let raw: string;
  try {
    raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    raw = "an uncaught value that cannot be shown as text";
  }
  const text = redactor.redact(raw);
  if (text.length <= MAX_FAILURE_TEXT) return text;
  const marker = ` … [cut: ${text.length} characters in all]`;
  return text.slice(0, MAX_FAILURE_TEXT - marker.length) + marker;
}

/**
 * The entry point of a bundled charm: builds the Hook from the process environment, runs the charm, and sets
 * the exit code. An uncaught error exits 1 so Juju discards the hook's writes and retries. Bad input should
 * never get here: report it through status.
 */
export async function runCharm<M extends CharmMeta>(charm: Charm<M>, meta: M): Promise<void> {
  let hook: Hook<M>;
  try {
    hook = new Hook({ meta });
  } catch (err) {
    process.stderr.write(`ERROR ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  const outcome = await runHook(charm, hook);
  if (outcome.failure !== undefined) {
    process.stderr.write(`ERROR ${outcome.failure}\n`);
    process.exitCode = 1;
  }
}
