import { WebSocket } from "undici";

/** What V8 reports of an isolate's memory (Runtime.getHeapUsage), in bytes. */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  /** Array buffers and other memory held outside the JS heap, when this V8 reports it. */
  backingStorageSize?: number;
  embedderHeapUsedSize?: number;
}

/**
 * The Worker isolate's heap through the devtools inspector that wrangler dev
 * opens on `port` (127.0.0.1): `Runtime.getHeapUsage`, then again after
 * a full collection (what is live, without garbage V8 has not collected
 * yet: array buffers that the isolate dropped count until then), when the
 * inspector runs one (`after_gc` null otherwise).
 */
export async function isolateHeap(port: number): Promise<{ before_gc: HeapUsage; after_gc: HeapUsage | null; target: string }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { title?: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => !/proxy/i.test(t.title ?? "")) ?? targets[0];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  // wrangler's inspector proxy admits only local origins.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://127.0.0.1" } });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`inspector ${target.webSocketDebuggerUrl} refused the connection`)));
  });
  let nextId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message?: string } };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.error ? new Error(msg.error.message ?? "inspector error") : msg.result);
  });
  const call = (method: string, timeoutMs = 30_000): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector`)), timeoutMs);
      pending.set(id, (result) => {
        clearTimeout(timer);
        if (result instanceof Error) reject(result);
        else resolve(result);
      });
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    const before = (await call("Runtime.getHeapUsage")) as HeapUsage;
    await call("HeapProfiler.enable").catch(() => undefined);
    // workerd (1.20260426) never answers HeapProfiler.collectGarbage; a heap snapshot collects garbage first
    // (V8 runs a full GC before it walks the heap), so the snapshot, its chunks discarded, is the fallback.
    const collected =
      (await call("HeapProfiler.collectGarbage", 5_000).then(
        () => true,
        () => false,
      )) ||
      (await call("HeapProfiler.takeHeapSnapshot", 120_000).then(
        () => true,
        () => false,
      ));
    const after = collected ? ((await call("Runtime.getHeapUsage")) as HeapUsage) : null;
    return { before_gc: before, after_gc: after, target: target.title ?? target.webSocketDebuggerUrl };
  } finally {
    ws.close();
  }
}
