import { Hook } from "./hook.js";
import type { CharmMeta } from "./meta.js";
import { Redactor } from "./model/redactor.js";

/** A charm is a function of one hook. It is handed a Hook and decides everything from there. */
export type Charm<M extends CharmMeta = CharmMeta> = (hook: Hook<M>) => Promise<void> | void;

/**
 * The entry point of a bundled charm: builds the Hook from the process environment, runs the charm, and sets
 * the exit code. An uncaught error exits 1 so Juju discards the hook's writes and retries; its message is
 * logged (redacted) to juju-log and stderr. Bad input should never get here: report it through status.
 */
export async function runCharm<M extends CharmMeta>(charm: Charm<M>, meta: M): Promise<void> {
  let hook: Hook<M> | undefined;
  try {
    hook = new Hook({ meta });
    await charm(hook);
  } catch (err) {
    const redactor = hook?.redactor ?? new Redactor();
    const text = redactor.redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    process.stderr.write(`ERROR ${text}\n`);
    if (hook) await hook.log.error(`hook failed: ${text}`).catch(() => undefined);
    process.exitCode = 1;
  }
}
