import { type Credentials, parseProperties } from "./auth.js";
import { readRegularFile } from "./bounded-file.js";
import type { WorkerRuntime } from "./worker.js";

/**
 * How a worker gets its basic-auth credentials, after apache/kafka's PropertyFileLoginModule (read at commit
 * 1eb7644, connect/basic-auth-extension):
 * - `initialize()` loads the file with `Properties.load` and caches it in a static map keyed by file name, so
 *   the JVM reads it once; new credentials need a restart (a new JVM). Kafka does that on the first
 *   authenticated request; the emulator reads at worker start, which differs only if the file changes between
 *   a start and the first request (and makes a provider that forgets the restart fail every time, not only
 *   when no request came in between).
 * - An empty file is cached like any other, and `login()` admits everyone while the cached properties are
 *   empty ("all requests will be permitted"), with or without an Authorization header.
 * - A missing or unreadable file (a directory, no permission) is an IOException: `initialize()` throws a
 *   ConfigException, which JaasBasicAuthFilter catches and answers with the 401. Nothing is cached then
 *   (`putIfAbsent` runs only after a successful load), so every later request reads the file again, and the
 *   first one that can read it caches it until the next restart. `retryCredentials` does that here.
 */

/**
 * The emulator's bound on a credentials file (Kafka has none): a bigger one counts as unreadable, so that a
 * file from outside cannot grow the process.
 */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;

/**
 * Reads a credentials file as PropertyFileLoginModule does (ISO-8859-1 Java properties). Only a regular file
 * is read, so a FIFO cannot stall a worker; anything that cannot be read is "unreadable".
 */
export async function readCredentialsFile(file: string): Promise<Credentials | "unreadable"> {
  try {
    return parseProperties(await readRegularFile(file, MAX_CREDENTIALS_FILE_BYTES));
  } catch {
    return "unreadable";
  }
}

/**
 * A worker whose file could not be read tries again, as each Kafka login does until one load succeeds; a
 * worker that restarted meanwhile keeps what its own start read.
 */
export async function retryCredentials(w: WorkerRuntime): Promise<void> {
  if (w.credentials !== "unreadable" || w.credentialsFile === undefined) return;
  const generation = w.generation;
  const read = await readCredentialsFile(w.credentialsFile);
  if (read !== "unreadable" && w.generation === generation && w.credentials === "unreadable")
    w.credentials = read;
}
