import { availableParallelism } from "node:os";
import { type Worker } from "node:worker_threads";
import { startTsWorker } from "../ts-worker";
import { type encodeIvfPq, type TrainedIvfPq } from "../../../shared/ann/build-ivfpq";

/** One encoded range, as encodeIvfPq returns it. */
type Encoded = ReturnType<typeof encodeIvfPq>;

/**
 * Encodes every row (size n*dims) with trained quantizers in `threads`
 * worker threads (default: one per core), `chunkRows` rows per message, at
 * most two chunks in flight per thread so the copies stay small. Gives what
 * `assembleIvfPq` takes; equal, byte for byte, to encoding in one thread.
 */
export async function encodeInWorkers(
  trained: TrainedIvfPq,
  vectors: Float32Array,
  options: { threads?: number; chunkRows?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ listOf: Uint32Array; codes: Uint8Array; sq8Codes: Uint8Array | null }> {
  const { dims, m } = trained.params;
  const n = vectors.length / dims;
  const chunk = options.chunkRows ?? 16_384;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), Math.ceil(n / chunk)));
  const listOf = new Uint32Array(n);
  const codes = new Uint8Array(n * m);
  const sq8Codes = trained.sq8 ? new Uint8Array(n * dims) : null;
  const place = (start: number, out: Encoded) => {
    listOf.set(out.listOf, start);
    codes.set(out.codes, start * m);
    sq8Codes?.set(out.sq8!, start * dims);
  };
  const workers = Array.from({ length: threads }, () => startWorker(trained));
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const inFlight = new Map<number, number>();
            const send = () => {
              if (next >= n) return;
              const start = next;
              next = Math.min(n, next + chunk);
              inFlight.set(start, next);
              // A copy of the range: the worker owns its rows, the caller's vectors stay untouched.
              const rows = vectors.slice(start * dims, next * dims);
              worker.postMessage({ id: start, rows }, [rows.buffer]);
            };
            worker.on("message", (out: Encoded & { id: number }) => {
              place(out.id, out);
              done += inFlight.get(out.id)! - out.id;
              inFlight.delete(out.id);
              options.onProgress?.(done, n);
              send();
              if (inFlight.size === 0) resolve();
            });
            worker.on("error", reject);
            worker.on("exit", (code) => (inFlight.size > 0 ? reject(new Error(`encode worker exited with ${code}`)) : resolve()));
            send();
            send();
            if (inFlight.size === 0) resolve();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { listOf, codes, sq8Codes };
}

function startWorker(trained: TrainedIvfPq): Worker {
  return startTsWorker(new URL("./encode-worker.ts", import.meta.url), trained);
}
