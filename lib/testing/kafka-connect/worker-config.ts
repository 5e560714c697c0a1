import { parseProperties } from "./auth.js";
import { BoundedFileError, readRegularFile } from "./bounded-file.js";

/**
 * A worker's own config file, read at each (re)start as Kafka reads connect-distributed.properties. Only
 * `listeners` matters to the emulator: it decides whether the worker's REST listener speaks http or https
 * (on the worker's own port, whatever port the listener names: tests bind free ports). Other keys are ignored.
 */

export type Scheme = "http" | "https";

/** The emulator's bound on a worker config file (Kafka has none): a bigger one fails the start. */
export const MAX_WORKER_CONFIG_BYTES = 64 * 1024;
/** The emulator's bound on one listener URL, so that matching it stays linear enough on a hostile file. */
const MAX_LISTENER_CHARS = 1024;

/** Why a worker would not start: Kafka's ConfigException text (or the emulator's own, for its bounds). */
export class WorkerConfigError extends Error {
  override name = "WorkerConfigError";
}

/**
 * apache/kafka (read at 1eb7644) RestServer.LISTENER_PATTERN, used there with Matcher#matches (a whole-string
 * match): protocol, a host of [0-9a-zA-Z-%._:] (brackets allowed around IPv6), and a port.
 */
const LISTENER = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/;

/**
 * The scheme the `listeners` value in `props` gives, or `fallback` when the key is absent (Kafka's default is
 * `http://:8083`). A bad value throws what Kafka throws, after apache/kafka at 1eb7644:
 * - RestServerConfig.ListenersValidator: an empty list ("at least one URL is expected") or an empty item
 *   ("Empty URL found when parsing listeners list."); ConfigDef splits a LIST on `\s*,\s*` after a trim.
 * - RestServer#createConnector, for each listener: the pattern above ("Listener doesn't have the right format
 *   (protocol://hostname:port).") and the protocol, lower-cased, http or https ("Listener protocol must be
 *   either "http" or "https".").
 * Either is a ConfigException while the worker starts: AbstractConnectCli logs "Stopping due to error" and
 * exits with status 2, so the worker stays down until it is started again with a good file. A port outside
 * 0-65535 fails there too (Integer.parseInt, or Jetty's bind). With several listeners Kafka serves each; the
 * emulator serves one, with the first listener's scheme.
 */
export function listenerScheme(props: ReadonlyMap<string, string>, fallback: Scheme): Scheme {
  const value = props.get("listeners");
  if (value === undefined) return fallback;
  const trimmed = value.trim();
  if (trimmed === "")
    throw new WorkerConfigError(
      "Invalid value for listeners, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443.",
    );
  let first: Scheme | undefined;
  for (const item of trimmed.split(/\s*,\s*/)) {
    if (item === "") throw new WorkerConfigError("Empty URL found when parsing listeners list.");
    if (item.length > MAX_LISTENER_CHARS)
      throw new WorkerConfigError(
        `Listener longer than ${MAX_LISTENER_CHARS} characters (emulator's bound).`,
      );
    const m = LISTENER.exec(item);
    if (!m) throw new WorkerConfigError("Listener doesn't have the right format (protocol://hostname:port).");
    const protocol = m[1]!.toLowerCase();
    if (protocol !== "http" && protocol !== "https")
      throw new WorkerConfigError('Listener protocol must be either "http" or "https".');
    const port = Number(m[3]);
    if (!(port >= 0 && port <= 65535)) throw new WorkerConfigError(`Listener port ${m[3]} is out of range.`);
    first ??= protocol;
  }
  return first!;
}

/**
 * The scheme worker config file `file` gives: `fallback` when it is absent or sets no listeners. Throws a
 * WorkerConfigError when the worker would not start with it (unreadable, past the bound, bad listeners).
 */
export async function readWorkerScheme(file: string, fallback: Scheme): Promise<Scheme> {
  let text: string;
  try {
    text = await readRegularFile(file, MAX_WORKER_CONFIG_BYTES);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    if (e instanceof BoundedFileError) throw new WorkerConfigError(e.message);
    throw new WorkerConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return listenerScheme(parseProperties(text), fallback);
}
