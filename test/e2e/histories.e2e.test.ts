import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { erasedCheck, readErasures } from "../../index-builder/src/ingest/erasures";
import { streamEntries } from "../../index-builder/src/ingest/redis-stream";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { readBuiltManifest } from "../../index-builder/src/publish/publish-index";
import { historyDigest, redisSeededDigests, seedHistories, userHistories } from "../../index-builder/src/publish/seed-histories";
import { type WeightTransform } from "../../index-builder/src/data/weights";
import { EVENT_STREAM_KEY, historyDigestKey } from "../../shared/online/redis-keys";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { serverClient, sharedCredentials } from "./client";
import { redisClient } from "./stream-helpers";

const server = serverClient(sharedCredentials());
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
/** Two users of the demo data, with their rows only: a seeding of just them. */
const USERS = ["42", "43"];
const only = (users: string[]) => ({ ...demo, interactions: demo.interactions.filter((x) => users.includes(x.userId)) });
const titleOf = new Map(demo.items.map((i) => [i.itemId, i.title]));

const seed = async (users: string[], more: Partial<Parameters<typeof seedHistories>[2]> = {}, dataset = only(users)) =>
  seedHistories(dataset, inject("indexDir"), {
    url: inject("baseUrl"),
    adminKey: inject("adminKey"),
    erased: erasedCheck(await readErasures(redis), inject("erasureKey")),
    ...more,
  });
const digests = redisSeededDigests({ url: inject("redisUrl"), token: inject("redisToken") });
const history = async (userId: string) =>
  (await (await server.admin.histories[":id"].$get({ param: { id: userId } })).json()) as { items: { itemId: string; weight: number; timestampMs: number }[] };
const streamed = async (userId: string) =>
  streamEntries(await redis.xrange(EVENT_STREAM_KEY, "-", "+")).filter(
    ([, fields]) => (JSON.parse(fields.event ?? "{}") as { userId?: string }).userId === userId,
  ).length;

describe("seeding the demo's users' histories into the running stack (index-builder seed-histories)", () => {
  it("makes a known user's first list theirs, weighed as the published version trained, without a single event streamed", async () => {
    const report = await seed(USERS);
    const transform = (await readBuiltManifest(inject("indexDir"))).build!.weights as { transform: WeightTransform };
    expect(report.transform).toEqual(transform.transform);
    const expected = await userHistories(only(USERS), transform.transform);
    expect(report).toMatchObject({ users: 2, items: expected.users.reduce((n, u) => n + u.items.length, 0), requests: 1, erasedRows: 0 });

    // The Worker holds each user's pairs, newest first, with the version's weights.
    const stored = await history("42");
    const mine = expected.users.find((u) => u.userId === "42")!.items;
    expect(stored.items).toEqual([...mine].reverse());

    const res = await server.v1.recommendations.$get({ query: { user_id: "42", limit: "20" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: RecommendedItem[]; sessionVersion: number };
    expect(body.sessionVersion).toBeGreaterThanOrEqual(1);
    const seen = new Set(mine.map((x) => x.itemId));
    for (const item of body.items) expect(seen.has(item.itemId), item.itemId).toBe(false);
    // Personal sources answer (a cold user gets only popular, trending and fresh items), for reasons naming the history.
    expect(body.items.some((i) => i.sources.includes("ann"))).toBe(true);
    const because = body.items.flatMap((i) => i.reasons).filter((r) => r.code === "because_you_watched");
    expect(because.length).toBeGreaterThan(0);
    const historyTitles = [...seen].map((id) => titleOf.get(id)!);
    expect(
      because.every((r) => historyTitles.some((t) => r.text.includes(t))),
      JSON.stringify(because),
    ).toBe(true);

    // The log holds these rows already: the event stream got none of them.
    for (const user of USERS) expect(await streamed(user)).toBe(0);
  });

  it("leaves an erased user's rows out when it runs again", async () => {
    await seed(["43"]);
    expect((await history("43")).items.length).toBeGreaterThan(0);
    expect((await server.v1.users[":id"].$delete({ param: { id: "43" } })).status).toBe(200);
    expect((await history("43")).items).toEqual([]);
    const again = await seed(["43"]);
    expect(again.users).toBe(0);
    expect(again.erasedRows).toBe(only(["43"]).interactions.length);
    expect((await history("43")).items).toEqual([]);
  });

  it("sends again only the users whose history changed, and an erasure deletes the user's digest", async () => {
    const pair = ["44", "45"];
    const first = await seed(pair, { digests });
    expect(first).toMatchObject({ users: 2, unchanged: 0, requests: 1 });
    const transform = first.transform;
    const expected = (await userHistories(only(pair), transform)).users;
    for (const user of expected) expect(await redis.get(historyDigestKey(user.userId))).toBe(historyDigest(user.items));

    // The same data again: nothing is sent.
    expect(await seed(pair, { digests })).toMatchObject({ users: 0, unchanged: 2, items: 0, requests: 0 });

    // 45 loses their newest row: only 45 is sent, and the Worker holds the new history.
    const rows = only(pair).interactions;
    const newest = rows.reduce((best, x, i) => (x.userId === "45" && (best < 0 || x.timestampMs >= rows[best]!.timestampMs) ? i : best), -1);
    const edited = { ...only(pair), interactions: rows.filter((_, i) => i !== newest) };
    const second = await seed(pair, { digests }, edited);
    expect(second).toMatchObject({ users: 1, unchanged: 1, requests: 1 });
    const now45 = (await userHistories(edited, transform)).users.find((u) => u.userId === "45")!;
    expect((await history("45")).items).toEqual([...now45.items].reverse());
    expect(await redis.get(historyDigestKey("45"))).toBe(historyDigest(now45.items));

    // --all sends both whatever the digests say.
    expect(await seed(pair, { digests, all: true }, edited)).toMatchObject({ users: 2, unchanged: 0 });

    // Erasing 44 deletes their digest with their other Redis keys; a later seeding finds their rows erased and sends no one.
    expect((await server.v1.users[":id"].$delete({ param: { id: "44" } })).status).toBe(200);
    expect(await redis.get(historyDigestKey("44"))).toBeNull();
    expect(await seed(pair, { digests }, edited)).toMatchObject({ users: 0, unchanged: 1 });
    expect((await history("44")).items).toEqual([]);
    // A digest that outlived the erasure (a seeding racing with it) is deleted by the next seeding.
    await redis.set(historyDigestKey("44"), "stale");
    await seed(pair, { digests }, edited);
    expect(await redis.get(historyDigestKey("44"))).toBeNull();
  });
});
