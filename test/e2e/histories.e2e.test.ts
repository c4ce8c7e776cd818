import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { erasedCheck, readErasures } from "../../index-builder/src/ingest/erasures";
import { streamEntries } from "../../index-builder/src/ingest/redis-stream";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { readBuiltManifest } from "../../index-builder/src/publish/publish-index";
import { seedHistories, userHistories } from "../../index-builder/src/publish/seed-histories";
import { type WeightTransform } from "../../index-builder/src/data/weights";
import { EVENT_STREAM_KEY } from "../../shared/online/redis-keys";
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

const seed = async (users: string[]) =>
  seedHistories(only(users), inject("indexDir"), {
    url: inject("baseUrl"),
    adminKey: inject("adminKey"),
    erased: erasedCheck(await readErasures(redis), inject("erasureKey")),
  });
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
});
