/**
 * Reading an answer's body with a byte cap: a worker (or anything listening on its port) decides how much it
 * sends, and reading it whole could take the process past its heap (a 2 GiB body is a V8 fatal error). The
 * body is streamed and dropped (its connection closed) as soon as it passes the cap; a `content-length`
 * already over the cap is refused before a byte is read.
 */

import type { Readable } from "node:stream";

export type BoundedBody =
  | { readonly text: string }
  | { readonly tooLarge: true; readonly declared?: number; readonly received: number };

export async function readBounded(
  body: Readable,
  limit: number,
  contentLength: string | string[] | undefined,
): Promise<BoundedBody> {
  const declared = typeof contentLength === "string" ? Number(contentLength) : Number.NaN;
  if (Number.isSafeInteger(declared) && declared > limit) {
    // undici's body emits "Request aborted" when destroyed unread: expected here, not an unhandled error.
    body.on("error", () => {});
    body.destroy();
    return { tooLarge: true, declared, received: 0 };
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) {
      // Closes the connection: the rest of the body is never read.
      body.destroy();
      return { tooLarge: true, received };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks, received).toString("utf8") };
}

/** `33554432` → `32 MiB`, for messages. */
export function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  if (mib >= 1 && Number.isInteger(mib)) return `${mib} MiB`;
  const kib = bytes / 2 ** 10;
  if (kib >= 1 && Number.isInteger(kib)) return `${kib} KiB`;
  return `${bytes} bytes`;
}
