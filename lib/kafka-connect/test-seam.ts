/**
 * TESTS ONLY. Builds a client whose requests go through the given undici Dispatcher (e.g. an msw bridge)
 * instead of the client's own verifying Agent. Deliberately not an option and not exported by the package
 * (index.ts, package.json "exports"): production code cannot reach it, and the transport refuses it for
 * https endpoints, so it can never carry a way around TLS verification.
 */

import type { Dispatcher } from "undici";
import { KafkaConnectClient, type KafkaConnectClientOptions } from "./client.js";
import { withInjectedDispatcher } from "./transport.js";

/** `close()` leaves the dispatcher open: it belongs to the test. */
export function clientWithDispatcher(
  options: KafkaConnectClientOptions,
  dispatcher: Dispatcher,
): KafkaConnectClient {
  return withInjectedDispatcher(dispatcher, () => new KafkaConnectClient(options));
}
