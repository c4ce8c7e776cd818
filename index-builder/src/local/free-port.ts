import net from "node:net";

/** Listens on `port` of `host` (0: one the OS picks) and closes again, resolving the port bound; rejects as listen does. */
function bindOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`could not determine the port bound on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Returns a TCP port that was free a moment ago on `host`, found by letting the OS pick one
 * for a throwaway listener. Another process may still grab it before the caller binds.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return bindOnce(0, host);
}

/**
 * Refuses a port something already listens on (127.0.0.1). Wrangler's readiness check asks
 * `/health/live` on the port, so another stack's Worker there would answer it, and a run would
 * build against, then publish to, a stack it did not start.
 */
export async function assertPortFree(port: number): Promise<void> {
  try {
    await bindOnce(port, "127.0.0.1");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(`127.0.0.1:${port} is already in use (another npm start or wrangler dev?): stop what listens there, or pass --port N`);
    throw new Error(`cannot listen on 127.0.0.1:${port}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
