/**
 * The backoff for retryable 409s (the cluster is rebalancing): `baseDelayMs × 2^n` before retry n+1, at most
 * `attempts` tries, and never a sleep that would end past the deadline. Pure, so the schedule is testable.
 */

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** Measured from the start of the call. */
  readonly deadlineMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, deadlineMs: 30_000 };

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: "attempts" | "deadline"; readonly detail: string };

/** After `tries` tries (≥ 1) and `elapsedMs` since the call began: sleep and retry, or stop and why. */
export function nextRetry(policy: RetryPolicy, tries: number, elapsedMs: number): RetryDecision {
  if (tries >= policy.attempts) {
    return {
      retry: false,
      reason: "attempts",
      detail: `gave up after ${tries} attempt(s): the retry limit of ${policy.attempts} was reached`,
    };
  }
  const delayMs = policy.baseDelayMs * 2 ** (tries - 1);
  if (elapsedMs + delayMs > policy.deadlineMs) {
    return {
      retry: false,
      reason: "deadline",
      detail:
        `gave up after ${tries} attempt(s): the retry deadline of ${policy.deadlineMs} ms was reached ` +
        `(${elapsedMs} ms elapsed, next wait ${delayMs} ms)`,
    };
  }
  return { retry: true, delayMs };
}
