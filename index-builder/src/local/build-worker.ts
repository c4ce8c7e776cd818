import { parentPort, workerData } from "node:worker_threads";
import { buildIndex } from "../build/build-index";
import { type BuildJob, type BuildMessage } from "./build-in-worker";

/** The worker thread's side of build-in-worker.ts: one build, its log lines and its outcome posted back. */
const job = workerData as BuildJob;
const post = (message: BuildMessage) => parentPort!.postMessage(message);
buildIndex(job.dataset, job.outDir, { ...job.options, log: (line) => post({ log: line }) }).then(
  (result) => post({ result }),
  (err: unknown) =>
    post({ error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { name: "Error", message: String(err) } }),
);
