import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** A file the emulator refuses to read: not a regular file, or past its bound. */
export class BoundedFileError extends Error {
  override name = "BoundedFileError";
}

/**
 * Reads a regular file of at most `maxBytes` (latin1, as java.util.Properties#load(InputStream) does). Throws
 * for anything else: a FIFO, a directory, a device, a file past the bound (or one that grows past it while read).
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<string> {
  // O_NONBLOCK: opening a FIFO with no writer must not wait for one.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new BoundedFileError(`${file} is not a regular file`);
    if (info.size > maxBytes) throw new BoundedFileError(`${file} is larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(Math.min(info.size + 4096, maxBytes + 1));
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new BoundedFileError(`${file} is larger than ${maxBytes} bytes`);
      if (length === buffer.length) throw new BoundedFileError(`${file} grew while it was read`);
    }
    return buffer.subarray(0, length).toString("latin1");
  } finally {
    await handle.close();
  }
}
