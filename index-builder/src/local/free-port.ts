import net from "node:net";

/**
 * Returns a TCP port that was free a moment ago on `host`, found by letting the OS pick one
 * for a throwaway listener. Another process may still grab it before the caller binds.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`could not determine a free port on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
