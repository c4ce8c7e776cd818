import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestProject } from "vitest/node";
import { type TokenKey } from "../../shared/auth/user-token";
import { freePort } from "../../index-builder/src/local/free-port";
import { buildIndex } from "../../index-builder/src/build/build-index";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { startLocalStack } from "../../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { publishIndex } from "../../index-builder/src/publish/publish-index";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** The stack's secret key. */
    adminKey: string;
    publishableKey: string;
    /** The origin the publishable key is bound to. */
    origin: string;
    tokenKey: TokenKey;
    /** The Worker's ERASURE_KEY, as the builder's ingest gets it. */
    erasureKey: string;
    audience: string;
    redisUrl: string;
    redisToken: string;
    stateDir: string;
    indexVersion: string;
    /** The built demo index directory, for suites that publish it to a stack of their own. */
    indexDir: string;
  }
}

/**
 * Starts the whole local stack once for the e2e suite, on a free port with
 * its own state directory, so it never touches `npm start`'s state, then
 * builds the demo index and publishes it over HTTP with the real CLI code.
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
  project.provide("publishableKey", stack.publishableKey);
  project.provide("origin", stack.origins[0]!);
  project.provide("tokenKey", stack.tokenKey);
  project.provide("erasureKey", stack.erasureKey);
  project.provide("audience", stack.audience);
  project.provide("redisUrl", stack.redis!.url);
  project.provide("redisToken", stack.redis!.token);
  project.provide("stateDir", stateDir);
  try {
    const dataset = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
    // The suites test the ONNX serving path, so the index ships its heavy ranker whether or not it beat
    // the light order on validation (on the demo data it does not: npm start serves the light order).
    // A short tuning budget (CPU seconds): the served index goes through the tuned path, the suite stays fast.
    const built = await buildIndex(dataset, join(stateDir, "index"), { ranker: "always", tune: { budgetSeconds: 10 } });
    const { version } = await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey });
    project.provide("indexVersion", version);
    project.provide("indexDir", built.dir);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return async () => {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
}
