/**
 * `npm run bench:auth`: what verifying a user token costs in CPU.
 *
 * 1. In Node: verifyUserToken (shared/auth/user-token.ts) over distinct
 *    tokens after a warm-up, CPU from process.cpuUsage.
 * 2. In workerd, per request, on a warm isolate: `wrangler dev` serves two
 *    arms of the same request, which passes authentication and is then
 *    refused by validation (`limit=0`, a 400): a publishable key alone, and
 *    the same with a user token. The CPU of the workerd processes
 *    (/proc/PID/stat) per request, token arm minus key-only arm, is the
 *    token's cost; the arms alternate in blocks so drift hits both.
 *
 * Writes bench/results/auth-token.{json,md}; exits non-zero when the
 * workerd figure exceeds 0.2 ms per request.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signUserToken, verifyUserToken } from "../shared/auth/user-token";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { round, runBounded } from "./lib/stats";

const NODE_TOKENS = 20_000;
const BLOCKS = 8;
const REQUESTS_PER_BLOCK = 400;
const CONCURRENCY = 4;
const BUDGET_MS = 0.2;
const log = (line: string) => console.log(`[bench:auth] ${line}`);

async function nodeVerifyCpuMs(): Promise<number> {
  const key = { kid: "k", secret: "s".repeat(40) };
  const nowS = Math.floor(Date.now() / 1000);
  const tokens = await Promise.all(Array.from({ length: NODE_TOKENS }, (_, i) => signUserToken({ sub: `user-${i}`, aud: "recs", exp: nowS + 600 }, key)));
  const options = { audience: "recs", nowMs: Date.now(), maxLifetimeS: 3600 };
  for (const t of tokens.slice(0, 2000)) await verifyUserToken(t, [key], options);
  const before = process.cpuUsage();
  for (const t of tokens) if (!(await verifyUserToken(t, [key], options)).ok) throw new Error("a token failed to verify");
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / NODE_TOKENS;
}

/** CPU milliseconds so far of every workerd process under `rootPid`. */
function workerdCpuMs(rootPid: number): number {
  const stats = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        const text = readFileSync(`/proc/${d}/stat`, "utf8");
        const close = text.lastIndexOf(")");
        const fields = text.slice(close + 2).split(" ");
        return { pid: Number(d), comm: text.slice(text.indexOf("(") + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
      } catch {
        return null;
      }
    })
    .filter((s) => s !== null);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const under = (pid: number): boolean => {
    for (let p = byPid.get(pid); p; p = byPid.get(p.ppid)) if (p.pid === rootPid) return true;
    return false;
  };
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  return stats.filter((s) => s.comm.startsWith("workerd") && under(s.pid)).reduce((sum, s) => sum + s.ticks, 0) / ticksPerMs;
}

async function workerdArms(stack: LocalStack): Promise<{ keyOnlyMs: number; withTokenMs: number; requests: number }> {
  const token = await stack.userToken("bench-user", 3600);
  const url = `${stack.url}/v1/recommendations?user_id=bench-user&limit=0`;
  let ip = 0;
  const arm = async (withToken: boolean): Promise<number> => {
    const before = workerdCpuMs(stack.dev.child.pid!);
    await runBounded(REQUESTS_PER_BLOCK, CONCURRENCY, Date.now() + 60_000, async () => {
      const n = ip++;
      // A client address per request keeps the per-client rate limit out of the measurement.
      const headers: Record<string, string> = { "X-Api-Key": stack.publishableKey, Origin: stack.origins[0]!, "CF-Connecting-IP": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
      if (withToken) headers.Authorization = `Bearer ${token}`;
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status !== 400) throw new Error(`expected the validation 400, got ${res.status}`);
    });
    return workerdCpuMs(stack.dev.child.pid!) - before;
  };
  await arm(true);
  await arm(false);
  let keyOnly = 0;
  let withToken = 0;
  for (let b = 0; b < BLOCKS; b++) {
    if (b % 2 === 0) {
      keyOnly += await arm(false);
      withToken += await arm(true);
    } else {
      withToken += await arm(true);
      keyOnly += await arm(false);
    }
  }
  const requests = BLOCKS * REQUESTS_PER_BLOCK;
  return { keyOnlyMs: keyOnly / requests, withTokenMs: withToken / requests, requests };
}

async function main(): Promise<void> {
  const nodeMs = await nodeVerifyCpuMs();
  log(`Node: verifyUserToken ${round(nodeMs * 1000, 1)} µs of CPU per token (${NODE_TOKENS} tokens)`);
  const stateDir = await mkdtemp(join(tmpdir(), "bench-auth-"));
  const stack = await startLocalStack({ port: await freePort(), persistTo: join(stateDir, "wrangler"), redis: "optional" });
  try {
    const arms = await workerdArms(stack);
    const tokenMs = arms.withTokenMs - arms.keyOnlyMs;
    const result = {
      node_verify_cpu_ms: round(nodeMs, 4),
      workerd_key_only_cpu_ms_per_request: round(arms.keyOnlyMs, 3),
      workerd_with_token_cpu_ms_per_request: round(arms.withTokenMs, 3),
      workerd_token_cpu_ms_per_request: round(tokenMs, 3),
      requests_per_arm: arms.requests,
      budget_ms: BUDGET_MS,
      measured_at: new Date().toISOString(),
    };
    const md = [
      "| measure | CPU per request (ms) |",
      "| --- | --- |",
      `| Node, verifyUserToken alone | ${result.node_verify_cpu_ms} |`,
      `| workerd, publishable key only | ${result.workerd_key_only_cpu_ms_per_request} |`,
      `| workerd, key + user token | ${result.workerd_with_token_cpu_ms_per_request} |`,
      `| workerd, the token's cost (difference) | ${result.workerd_token_cpu_ms_per_request} (budget ${BUDGET_MS}) |`,
      "",
    ].join("\n");
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", "auth-token.json"), JSON.stringify(result, null, 2) + "\n");
    await writeFile(join(PROJECT_ROOT, "bench", "results", "auth-token.md"), md);
    console.log(md);
    if (tokenMs > BUDGET_MS) {
      console.error(`budget broken: a token costs ${round(tokenMs, 3)} ms of workerd CPU per request (budget ${BUDGET_MS})`);
      process.exitCode = 1;
    }
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
