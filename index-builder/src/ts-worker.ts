import { Worker } from "node:worker_threads";

/**
 * A worker thread running a TypeScript module (a `new URL("./x.ts",
 * import.meta.url)`). The builder runs as TypeScript through tsx, and a
 * worker thread does not inherit tsx's loader: the worker's first act is to
 * register it, then it imports the module.
 */
export function startTsWorker(script: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
