import { type BuildOptions, type BuildResult } from "../build/build-index";
import { type Dataset } from "../data/movielens";
import { startTsWorker } from "../ts-worker";

/** What the build thread gets: the build's arguments, all but its log, which comes back as messages. */
export interface BuildJob {
  dataset: Dataset;
  outDir: string;
  options: Omit<BuildOptions, "log">;
}

/** What the build thread posts: a log line, then its result or its error. */
export type BuildMessage = { log: string } | { result: BuildResult } | { error: { name: string; message: string; stack?: string } };

/** A build running on a thread of its own. */
export interface RunningBuild {
  result: Promise<BuildResult>;
  /** Ends the build wherever it is (a sync training loop included); its result then rejects. */
  stop: () => Promise<void>;
}

/**
 * `buildIndex` on a worker thread, for `npm start`: its training is long
 * synchronous work, and on the main thread it held off Ctrl-C, SIGTERM and
 * SIGHUP (Node runs signal handlers only between tasks) until the build was
 * done, minutes for a large log. Here the main thread stays free to stop the
 * stack at once and end the build with `stop()`. The dataset is copied to
 * the thread (structured clone): the caller keeps its own for seeding.
 */
export function buildInWorker(job: BuildJob, log: (line: string) => void): RunningBuild {
  const worker = startTsWorker(new URL("./build-worker.ts", import.meta.url), job);
  let stopped = false;
  const result = new Promise<BuildResult>((resolve, reject) => {
    worker.on("message", (message: BuildMessage) => {
      if ("log" in message) log(message.log);
      else if ("result" in message) resolve(message.result);
      else reject(Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack }));
    });
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(stopped ? "the build was stopped" : `the build thread exited (${code}) before it finished`)));
  });
  return {
    result: result.finally(() => void worker.terminate()),
    stop: async () => {
      stopped = true;
      await worker.terminate();
    },
  };
}
