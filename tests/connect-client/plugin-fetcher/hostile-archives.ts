import { once } from "node:events";
import { createGzip, gzipSync } from "node:zlib";
import { paxEntry, pluginTarball, tarball } from "./support.js";

/**
 * Hostile tarballs, built at test time (never committed): each is a few hundred bytes to a few hundred KB
 * compressed, and each once stalled the fetcher for tens of seconds or more.
 */

/** A path of `depth` one-letter segments ("a/a/…/a"). */
export function deepPath(depth: number): string {
  return "a/".repeat(depth - 1) + "a";
}

/** One file whose pax header gives it a path `depth` segments deep: ~360 bytes gzipped for 100 000. */
export function deepPathArchive(depth: number): Buffer {
  return gzipSync(tarball([paxEntry({ path: deepPath(depth) }), { path: "harmless", body: "x" }]), {
    level: 9,
  });
}

/** A symlink whose target climbs through `depth` segments: the target alone is what is deep. */
export function deepLinkArchive(depth: number): Buffer {
  return gzipSync(
    tarball([paxEntry({ linkpath: deepPath(depth) }), { path: "link", type: "2", linkpath: "x" }]),
    { level: 9 },
  );
}

/**
 * A small valid plugin, its end-of-archive marker, then `tailBytes` more bytes of `fill` (0 is zero padding,
 * anything else is data smuggled after the end), gzipped as a stream: 400 MB of zeros become ~400 KB.
 */
export async function paddedArchive(tailBytes: number, fill = 0): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const done = once(gzip, "end");
  gzip.write(pluginTarball());
  const chunk = Buffer.alloc(1024 * 1024, fill);
  for (let left = tailBytes; left > 0; left -= chunk.length) {
    if (!gzip.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(gzip, "drain");
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}
