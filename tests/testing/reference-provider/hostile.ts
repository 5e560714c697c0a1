import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

/** One ustar entry: a 512-byte header (name, mode, size, type, checksum) then the padded content. */
function tarEntry(name: string, content: Buffer, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148); // checksum counted as spaces
  h.write(type, 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad]);
}

/** A gzipped tarball of these entries (hand-made so it can hold what `tar` would refuse to write). */
export function hostileTarball(entries: readonly { name: string; content: Buffer; type?: string }[]): Buffer {
  return gzipSync(
    Buffer.concat([...entries.map((e) => tarEntry(e.name, e.content, e.type)), Buffer.alloc(1024)]),
  );
}

/**
 * A plugin server that misbehaves on purpose, one route per attack:
 *   /loop       302 to itself, forever
 *   /huge       a chunked body that never ends (no Content-Length)
 *   /liar       `Content-Length: 10 GiB`, then a trickle
 *   /slow       headers, then one byte a second
 *   /tar/<name> a tarball registered with `serveTar`
 */
export interface HostileServer {
  readonly url: string;
  serveTar(name: string, body: Buffer): string;
  close(): Promise<void>;
}

export async function startHostileServer(): Promise<HostileServer> {
  const tars = new Map<string, Buffer>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    if (path === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
    if (path === "/huge") {
      res.writeHead(200, { "content-type": "application/gzip" });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
      };
      res.on("drain", pump);
      pump();
      return;
    }
    if (path === "/liar" || path === "/slow") {
      const headers: Record<string, string> = { "content-type": "application/gzip" };
      if (path === "/liar") headers["content-length"] = String(10 * 1024 ** 3);
      res.writeHead(200, headers);
      res.flushHeaders(); // the headers go now; the body trickles
      const t = setInterval(() => res.write(Buffer.from([0x1f])), 1000);
      timers.add(t);
      res.on("close", () => {
        clearInterval(t);
        timers.delete(t);
      });
      return;
    }
    const tar = tars.get(path);
    if (tar) return void res.writeHead(200, { "content-length": tar.length }).end(tar);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serveTar(name, body) {
      tars.set(`/tar/${name}`, body);
      return `${url}/tar/${name}`;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
