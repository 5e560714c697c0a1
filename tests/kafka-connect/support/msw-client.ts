/**
 * A KafkaConnectClient wired to msw handlers through MswDispatcher, with a recording fake clock. The
 * dispatcher goes in through the internal test seam (lib/kafka-connect/test-seam.ts), never an option.
 */

import type { RequestHandler } from "msw";
import {
  type KafkaConnectClient,
  type KafkaConnectClientOptions,
  KafkaConnectError,
  type LogEvent,
} from "../../../lib/kafka-connect/index.js";
import { clientWithDispatcher } from "../../../lib/kafka-connect/test-seam.js";
import { MswDispatcher } from "./msw-dispatcher.js";

export const KC = "http://kc-0.test:8083";
export const KC2 = "http://kc-1.test:8083";

export interface MswSetup {
  readonly client: KafkaConnectClient;
  readonly dispatcher: MswDispatcher;
  /** Every sleep the client asked for, in ms. */
  readonly sleeps: number[];
  readonly logs: LogEvent[];
  /** The fake clock, advanced by each sleep. */
  readonly clock: { now: number };
}

export function mswClient(
  handlers: readonly RequestHandler[],
  options: Partial<KafkaConnectClientOptions> = {},
): MswSetup {
  const dispatcher = new MswDispatcher(...handlers);
  const sleeps: number[] = [];
  const logs: LogEvent[] = [];
  const clock = { now: 1_000_000 };
  const client = clientWithDispatcher(
    {
      endpoints: KC,
      logger: (event) => logs.push(event),
      now: () => clock.now,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
      ...options,
    },
    dispatcher,
  );
  return { client, dispatcher, sleeps, logs, clock };
}

/** Resolves to the error a promise rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<KafkaConnectError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KafkaConnectError) return error;
    throw error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
