/**
 * The CLI's reads, bounded: a file or standard input is read up to a byte limit and no further, so a huge
 * file, /dev/zero or an endless pipe is refused after `maxBytes + 1` bytes instead of filling memory.
 */
import { open } from "node:fs/promises";
import { tooLarge } from "./wire/document.js";

const CHUNK = 64 * 1024;

/** The bytes of a file, or `tooLarge` once more than `maxBytes` have been read. */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(maxBytes);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await file.close();
  }
}

/** The bytes of a stream (standard input), or `tooLarge` once more than `maxBytes` have arrived. */
export async function readStreamBounded(
  stream: AsyncIterable<unknown> & { destroy?: () => void },
  maxBytes: number,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > maxBytes) {
      stream.destroy?.();
      throw tooLarge(maxBytes);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}
