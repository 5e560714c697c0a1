import { createServer } from "node:net";

/**
 * A TCP port free on `host` now (loopback by default), for a server a test or demo starts in another process
 * (a workload, an emulator command): bind port 0, read the port, close. Another process may take it in
 * between; on a loopback address nobody else is racing for, that is the usual way.
 */
export function freeLoopbackPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
