import { setTimeout as delay } from "node:timers/promises";
import { abortedError, PluginFetchError } from "./errors.js";

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  /** Wait before the second try; doubles each time. */
  readonly backoffMs: number;
  readonly backoffCapMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** Wait after failed try `attempt` (1-based): doubling from backoffMs, at least Retry-After, never over the cap. */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "backoffMs" | "backoffCapMs">,
  retryAfterMs?: number,
): number {
  const doubled = policy.backoffMs * 2 ** (attempt - 1);
  return Math.min(policy.backoffCapMs, Math.max(doubled, retryAfterMs ?? 0));
}

/** A sleep that ends early (rejecting) when the signal aborts. */
export function abortableSleep(signal?: AbortSignal): (ms: number) => Promise<void> {
  return (ms) => delay(ms, undefined, signal ? { signal } : undefined);
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the tries run out. Errors come back with the number
 * of tries made; a transient error that exhausted the tries stays transient (later hooks try again).
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (err) {
      if (!(err instanceof PluginFetchError)) throw err;
      if (!err.transient || err.kind === "aborted" || n >= policy.attempts)
        throw err.withContext({ attempts: n });
      try {
        await policy.sleep(backoffDelay(n, policy, err.retryAfterMs));
      } catch (sleepError) {
        if (policy.signal?.aborted) throw abortedError().withContext({ attempts: n });
        throw sleepError;
      }
      if (policy.signal?.aborted) throw abortedError().withContext({ attempts: n });
    }
  }
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
