/**
 * One request a worker served, as the cluster records it. Forwarded hops are separate records (the hop names
 * the worker it came from). Credentials are reduced to the user name: a password is never kept.
 */
export interface RequestRecord {
  /** Index of the worker that served it. */
  worker: number;
  method: string;
  /** The path as sent (still URL-encoded). */
  path: string;
  /** The raw query string, without `?` (forwarded hops carry `forward=true|false`). */
  query: string;
  status: number;
  /** The basic-auth user name the request presented, if any (whether or not it was accepted). */
  user?: string;
  /** Epoch milliseconds when the worker started serving it. */
  time: number;
  /** For a hop one worker forwarded to another: the index of the forwarding worker. */
  forwardedFrom?: number;
  /** Answered by an injected fault. */
  fault?: true;
  /**
   * Never answered: it was waiting out the injected latency when its worker stopped or the cluster closed, so
   * its connection was cut and nothing was done (`status` stays 0).
   */
  dropped?: true;
}
