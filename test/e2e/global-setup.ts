import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestProject } from "vitest/node";
import { freePort } from "../../index-builder/src/local/free-port";
import { startLocalStack } from "../../index-builder/src/local/local-stack";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminKey: string;
    redisUrl: string;
    redisToken: string;
    stateDir: string;
  }
}

/**
 * Starts the whole local stack once for the e2e suite, on a free port with
 * its own state directory, so it never touches `npm start`'s state.
 */
export default async function setup(project: TestProject) {
  const stateDir = await mkdtemp(join(tmpdir(), "recs-e2e-"));
  const stack = await startLocalStack({
    port: await freePort(),
    persistTo: join(stateDir, "wrangler"),
    redis: "required",
  });
  project.provide("baseUrl", stack.url);
  project.provide("adminKey", stack.adminKey);
  project.provide("redisUrl", stack.redis!.url);
  project.provide("redisToken", stack.redis!.token);
  project.provide("stateDir", stateDir);
  return async () => {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
}
