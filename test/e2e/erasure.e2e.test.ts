import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Redis } from "@upstash/redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { buildIndex } from "../../index-builder/src/build/build-index";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { ingestFromRedis, readLiveEvents, type StreamEvent, streamEntries, toInteraction } from "../../index-builder/src/ingest/redis-stream";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { EVENT_STREAM_KEY, IMPRESSION_STREAM_KEY } from "../../shared/online/redis-keys";
import { erasureTag } from "../../shared/privacy/erasure-tag";
import { browserClient, serverClient, sharedCredentials } from "./client";
import { poll, redisClient, streamCounts } from "./stream-helpers";

const server = serverClient(sharedCredentials());
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const scratch = await mkdtemp(join(tmpdir(), "erasure-e2e-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

interface StoreErasure {
  store: string;
  status: string;
  removed?: Record<string, number>;
}
interface Receipt {
  receiptId: string;
  subject: string;
  stores: StoreErasure[];
}

/**
 * Every key of the Redis keyspace with its whole content (string value, hash
 * fields and values, list/set/sorted-set members, stream entries), one line
 * per key: what "no trace left in Redis" is checked against.
 */
async function redisDump(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | number = "0";
  do {
    const [next, page] = (await client.scan(cursor, { count: 1000 })) as [string | number, string[]];
    keys.push(...page);
    cursor = next;
  } while (String(cursor) !== "0");
  const out: string[] = [];
  for (const key of keys) {
    const type = String(await client.type(key));
    let content: unknown;
    if (type === "string") content = await client.get(key);
    else if (type === "hash") content = await client.hgetall(key);
    else if (type === "list") content = await client.lrange(key, 0, -1);
    else if (type === "set") content = await client.smembers(key);
    else if (type === "zset") content = await client.zrange(key, 0, -1);
    else if (type === "stream") content = streamEntries(await client.xrange(key, "-", "+"));
    out.push(`${key}\t${JSON.stringify(content)}`);
  }
  return out;
}

const mentions = (dump: string[], id: string) => dump.filter((line) => line.includes(id));

/** Every file under `dir`, as text (binary blobs too: a user id would show as its bytes). */
async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: await readFile(path, "latin1") });
  }
  return out;
}

describe("erasure everywhere: one user followed from events to a rebuilt index", () => {
  it("leaves no trace of the user in the session, Redis, the builder's files or the next index; others stay", { timeout: 180_000 }, async () => {
    const stamp = Date.now();
    const gone = `erase-gone-${stamp}`;
    const keep = `erase-keep-${stamp}`;
    const key = inject("erasureKey");

    // Both users are shown lists (impression hashes, the impression log) and act on them (the event stream, attribution).
    const shown = new Map<string, { impressionId: string; items: string[] }>();
    for (const user of [gone, keep]) {
      const res = await server.v1.recommendations.$get({ query: { user_id: user, limit: "8" } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { impressionId: string; items: { itemId: string }[] };
      shown.set(user, { impressionId: body.impressionId, items: body.items.map((i) => i.itemId) });
    }
    const events = (user: string) => [
      ...shown
        .get(user)!
        .items.slice(0, 3)
        .map((itemId, n) => ({
          eventId: `${user}-shown-${n}`,
          userId: user,
          itemId,
          type: "click" as const,
          impressionId: shown.get(user)!.impressionId,
          timestamp: Date.now() - 2000,
        })),
      // Items from the demo catalog: the gone user's taste, distinct from the other's.
      ...(user === gone ? ["1", "2", "3", "6", "7", "10"] : ["47", "50", "110"]).map((itemId, n) => ({
        eventId: `${user}-${n}`,
        userId: user,
        itemId,
        type: n % 2 ? ("like" as const) : ("view" as const),
        timestamp: Date.now() - 1000,
      })),
    ];
    // Before logging in, the user browsed anonymously: those events reach the stream under the anonymous id.
    const session: { token?: string } = {};
    const browser = browserClient(sharedCredentials(), () => session.token, { "CF-Connecting-IP": "192.0.2.88" });
    const anon = (await (await browser.v1.anonymous.$post()).json()) as {
      userId: string;
      token: string;
    };
    session.token = anon.token;
    const anonEvents = ["4", "5"].map((itemId, n) => ({
      eventId: `anon-${n}`,
      userId: anon.userId,
      itemId,
      type: "click" as const,
      timestamp: Date.now() - 3000,
    }));
    const anonPost = await browser.v1.events.$post({ json: { events: anonEvents } });
    expect(anonPost.status).toBe(200);
    const merge = await server.v1.users[":id"].merge.$post({ param: { id: gone }, json: { anonymousToken: anon.token } });
    expect(merge.status).toBe(200);
    const sent = [...events(gone), ...events(keep)];
    expect((await server.v1.events.$post({ json: { events: sent } })).status).toBe(200);
    const userOf = (f: Record<string, string>) => (JSON.parse(f.event ?? "{}") as { userId?: string }).userId ?? "";
    const inStream = await poll(
      () => streamCounts(redis, EVENT_STREAM_KEY, userOf),
      (c) => (c.get(gone) ?? 0) === events(gone).length && (c.get(keep) ?? 0) === events(keep).length && (c.get(anon.userId) ?? 0) === anonEvents.length,
      10_000,
    );
    expect(inStream.get(gone)).toBe(events(gone).length);
    expect(inStream.get(anon.userId)).toBe(anonEvents.length);
    const impressionUser = (f: Record<string, string>) => (JSON.parse(f.impression ?? "{}") as { userId?: string }).userId ?? "";
    await poll(
      () => streamCounts(redis, IMPRESSION_STREAM_KEY, impressionUser),
      (c) => c.has(gone) && c.has(keep),
      10_000,
    );

    // The builder ingests before the erasure: its file now holds the user.
    const outFile = join(scratch, "live-events.jsonl");
    const ingest = () =>
      ingestFromRedis({ url: inject("redisUrl"), token: inject("redisToken"), outFile, cursorFile: join(scratch, "cursor"), erasureKey: key });
    await ingest();
    const before = await readLiveEvents(outFile);
    expect(before.filter((e) => e.userId === gone)).toHaveLength(events(gone).length);
    expect(before.filter((e) => e.userId === anon.userId)).toHaveLength(anonEvents.length);
    const theirs = (e: StreamEvent) => e.userId === gone || e.userId === anon.userId;
    // An entry of theirs the erasure cannot find through their trail (as when it expired): the builder's tombstone check must catch it.
    await redis.xadd(EVENT_STREAM_KEY, "*", {
      event: JSON.stringify({ eventId: `${gone}-stray`, userId: gone, itemId: "5", type: "view", timestampMs: Date.now(), region: "global" }),
    });
    const dumpBefore = await redisDump(redis);
    expect(mentions(dumpBefore, gone).length).toBeGreaterThan(3);

    const res = await server.v1.users[":id"].$delete({ param: { id: gone } });
    expect(res.status).toBe(200);
    const { receipt } = (await res.json()) as { receipt: Receipt };
    expect(receipt.subject).toBe(await erasureTag(key, gone));
    expect(JSON.stringify(receipt)).not.toContain(gone);
    const store = (name: string) => receipt.stores.find((s) => s.store === name);
    expect(store("session")).toMatchObject({ status: "erased", removed: { events: events(gone).length + anonEvents.length } });
    expect(store("redis")?.status).toBe("erased");
    expect(store("redis")?.removed).toMatchObject({ eventStreamEntries: events(gone).length + anonEvents.length, mergedAnonymousIds: 1 });
    expect(store("redis")?.removed?.impressionLogEntries).toBeGreaterThanOrEqual(1);
    expect(store("redis")?.removed?.impressionRecords).toBeGreaterThanOrEqual(1);
    expect(store("builder-files")?.status).toBe("pending");
    expect(store("index")?.status).toBe("pending");

    // Redis keeps only the stray entry, for the builder.
    const dumpErased = await redisDump(redis);
    expect(mentions(dumpErased, gone).map((l) => l.split("\t")[0])).toEqual([EVENT_STREAM_KEY]);
    expect(mentions(dumpErased, anon.userId)).toEqual([]);
    // The builder's next ingest scrubs its file and the stream.
    const report = await ingest();
    expect(report.scrubbed).toBe(events(gone).length + anonEvents.length);
    expect(report.droppedErased).toBe(1);
    const after = await readLiveEvents(outFile);
    expect(after.some(theirs)).toBe(false);
    expect(after).toEqual(before.filter((e) => !theirs(e)));
    expect(after.filter((e) => e.userId === keep)).toHaveLength(events(keep).length);
    const dumpAfter = await redisDump(redis);
    expect(mentions(dumpAfter, gone)).toEqual([]);
    expect(mentions(dumpAfter, anon.userId)).toEqual([]);
    expect(mentions(dumpAfter, keep).length).toBeGreaterThan(3);
    for (const file of await filesUnder(scratch)) expect(file.text.includes(gone) || file.text.includes(anon.userId), file.path).toBe(false);

    // The next index: built from the scrubbed file it is the index of a world where the user never was,
    // and differs from one built with them (their events did shape it).
    const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
    const build = async (live: StreamEvent[], dir: string) =>
      buildIndex({ name: "live", items: demo.items, interactions: live.map(toInteraction) }, join(scratch, dir), {
        now: new Date("2026-12-01T00:00:00Z"),
        tune: false,
        ranker: false,
      });
    const rebuilt = await build(after, "rebuilt");
    const never = await build(
      before.filter((e) => !theirs(e)),
      "never",
    );
    const withThem = await build(before, "with");
    expect(rebuilt.manifest.blobs).toEqual(never.manifest.blobs);
    expect(withThem.manifest.blobs).not.toEqual(never.manifest.blobs);
    for (const file of await filesUnder(rebuilt.dir)) expect(file.text.includes(gone) || file.text.includes(anon.userId), file.path).toBe(false);

    // The receipt, read back by an operator who knows the id, shows the builder's part done.
    const listed = (await (await server.admin.erasures.$get({ query: { user: gone } })).json()) as { receipts: Receipt[] };
    expect(listed.receipts.map((r) => r.receiptId)).toEqual([receipt.receiptId]);
    expect(listed.receipts[0]!.stores.find((s) => s.store === "builder-files")).toMatchObject({ status: "done", removed: { lines: events(gone).length } });

    // Erasing again is harmless: a second receipt, nothing more to remove.
    const again = (await (await server.v1.users[":id"].$delete({ param: { id: gone } })).json()) as { receipt: Receipt };
    expect(again.receipt.stores.find((s) => s.store === "redis")?.removed).toMatchObject({
      eventStreamEntries: 0,
      impressionLogEntries: 0,
      impressionRecords: 0,
    });
    expect(again.receipt.stores.find((s) => s.store === "session")?.removed?.events).toBe(0);
  });
});
