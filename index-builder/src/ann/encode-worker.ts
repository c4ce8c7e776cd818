/**
 * A worker thread of `encodeInWorkers` (encode-in-workers.ts): encodes the
 * row ranges it is sent with the trained quantizers it was started with,
 * each with its own kernel instance.
 */
import { parentPort, workerData } from "node:worker_threads";
import { encodeIvfPq, type TrainedIvfPq } from "../../../shared/ann/build-ivfpq";
import { loadNodeKernel } from "./node-kernel";

const trained = workerData as TrainedIvfPq;
const kernel = loadNodeKernel();
parentPort!.on("message", (job: { id: number; rows: Float32Array }) => {
  const out = encodeIvfPq(kernel, trained, job.rows);
  const transfer = [out.listOf.buffer, out.codes.buffer, ...(out.sq8 ? [out.sq8.buffer] : [])];
  parentPort!.postMessage({ id: job.id, ...out }, transfer as ArrayBuffer[]);
});
