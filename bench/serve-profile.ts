/**
 * `npm run bench:serve-profile -- --index-dir DIR`: where the Worker's CPU
 * goes on a cold start and on cache misses, from V8's sampling profiler in
 * workerd (the clock inside workerd does not advance during CPU work, so
 * Server-Timing cannot show it). Publishes the synthetic index bench:serve
 * kept in DIR (`npm run bench:serve -- --index-dir DIR`), restarts the
 * Worker with the devtools inspector, profiles the cold isolate's first
 * response, then `--misses` misses for distinct users one at a time, and
 * prints the functions with the most self time in each (JSON to
 * bench/results/<--out>.json). The inspector slows subrequests: read the
 * shares, not the wall times.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { WebSocket } from "undici";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { publishIndex } from "../index-builder/src/publish/publish-index";

const { values } = parseArgs({
  options: {
    "index-dir": { type: "string" },
    misses: { type: "string", default: "60" },
    top: { type: "string", default: "25" },
    out: { type: "string", default: "serve-profile" },
  },
});
const log = (line: string) => console.log(`[bench:serve-profile] ${line}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** An inspector session on wrangler's devtools proxy. */
async function inspector(port: number): Promise<{ call: (method: string, params?: object) => Promise<unknown>; close: () => void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl, { headers: { Origin: "http://127.0.0.1" } });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("inspector refused the connection")));
  });
  let nextId = 0;
  const pending = new Map<number, (msg: { result?: unknown; error?: { message?: string } }) => void>();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message?: string } };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 60_000);
        pending.set(id, (msg) => {
          clearTimeout(timer);
          if (msg.error) reject(new Error(msg.error.message));
          else resolve(msg.result);
        });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time by function (ms), largest first, with its share of the time not idle. */
function selfTimes(profile: Profile, top: number): { fn: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const f = node.callFrame;
    const file = f.url.split("/").pop() ?? f.url;
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!key.startsWith("(idle)")) total += ms;
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  return [...self]
    .filter(([key]) => !key.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => ({ fn, ms: Math.round(ms * 100) / 100, share: Math.round((ms / total) * 1000) / 1000 }));
}

async function profiled<T>(session: Awaited<ReturnType<typeof inspector>>, work: () => Promise<T>): Promise<{ result: T; profile: Profile }> {
  await session.call("Profiler.enable");
  await session.call("Profiler.setSamplingInterval", { interval: 200 });
  await session.call("Profiler.start");
  const result = await work();
  const { profile } = (await session.call("Profiler.stop")) as { profile: Profile };
  return { result, profile };
}

function auth(stack: LocalStack): Record<string, string> {
  return { Authorization: `Bearer ${stack.adminKey}` };
}

async function main(): Promise<void> {
  const dir = values["index-dir"];
  if (!dir) throw new Error("--index-dir: the folder bench:serve kept its synthetic index in");
  const kept = JSON.parse(await readFile(join(dir, "bench-serve-index.json"), "utf8")) as { dir: string; items: number; popularIds: string[] };
  const state = await mkdtemp(join(tmpdir(), "bench-serve-profile-"));
  const stack = await startLocalStack({ port: await freePort(), persistTo: join(state, "wrangler"), redis: "required" });
  try {
    await publishIndex(kept.dir, { url: stack.url, adminKey: stack.adminKey });
    const misses = Number(values.misses);
    for (let u = 0; u < misses; u++) {
      const events = Array.from({ length: 10 }, (_, k) => ({
        eventId: `p${u}-${k}`,
        userId: `prof-u${u}`,
        itemId: kept.popularIds[(u * 7 + k * 13) % kept.popularIds.length]!,
        type: "click",
        timestamp: Date.now() - 60_000,
      }));
      await fetch(`${stack.url}/v1/events`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...auth(stack) },
        body: JSON.stringify({ events }),
      });
    }
    const inspectorPort = await freePort();
    await stack.restartWorker({ inspectorPort });
    const session = await inspector(inspectorPort);
    const cold = await profiled(session, async () => {
      const res = await fetch(`${stack.url}/v1/recommendations?user_id=cold-probe&limit=20`, { headers: auth(stack) });
      await res.arrayBuffer();
      return res.headers.get("server-timing");
    });
    log(`cold first response: Server-Timing ${cold.result}`);
    const surfaces = ["home", "up_next", "related"];
    const warm = await profiled(session, async () => {
      for (let u = 0; u < misses; u++) {
        const surface = surfaces[u % 3]!;
        const context = surface === "home" ? "" : `&item_id=${kept.popularIds[(u * 17) % kept.popularIds.length]!}`;
        const res = await fetch(`${stack.url}/v1/recommendations?user_id=prof-u${u}&surface=${surface}${context}&limit=20`, { headers: auth(stack) });
        await res.arrayBuffer();
      }
    });
    session.close();
    const top = Number(values.top);
    // Time not idle: samples outside "(idle)".
    const total = (p: Profile) => {
      const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
      return Math.round(p.timeDeltas.reduce((s, d, i) => s + (idle.has(p.samples[i]!) ? 0 : d), 0) / 10) / 100;
    };
    const result = {
      items: kept.items,
      cold: { profiled_ms: total(cold.profile), server_timing: cold.result, top: selfTimes(cold.profile, top) },
      misses: { count: misses, profiled_ms: total(warm.profile), top: selfTimes(warm.profile, top) },
      measured_at: new Date().toISOString(),
    };
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", `${values.out}.json`), JSON.stringify(result, null, 2) + "\n");
    for (const [phase, r] of [
      ["cold", result.cold],
      ["misses", result.misses],
    ] as const) {
      log(`${phase}: ${r.profiled_ms} ms profiled`);
      for (const t of r.top) log(`  ${t.ms.toFixed(2).padStart(9)} ms ${(100 * t.share).toFixed(1).padStart(5)}%  ${t.fn}`);
    }
  } finally {
    await stack.stop();
    await rm(state, { recursive: true, force: true });
  }
}

await main();
