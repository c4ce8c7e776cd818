import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, type RedisServerHandle, startRedisServer } from "../../index-builder/src/local/redis-server";
import { RespClient } from "../../index-builder/src/local/resp";
import { ID_PATTERN } from "../ids";
import {
  eventDedupeKey,
  eventDedupeKeyPattern,
  impressionCreditKey,
  impressionKey,
  keyPart,
  trendingOnceKey,
  trendingOnceKeyPattern,
  userFeatureKeyPattern,
} from "./redis-keys";

/** Ids that nest in one another around ":" (and stay valid ids). */
const TRICKY_USERS = ["zzd", "zzd:y", "zzd:", ":zzd", "zzd::y", "zz", "zzd:y:e9", "y", "y:e9", "e9", "a.b", "a@b"];
/** Ids made of few characters, ":" among them, so that collisions are likely if the layout lets them happen. */
const id = fc.string({ unit: fc.constantFrom("a", "b", ":"), minLength: 1, maxLength: 6 });

/** A Redis glob (as SCAN MATCH reads it) as a RegExp; the key builders use literals, `\` escapes and `*`. */
function globRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "\\") source += escapeRegExp(glob[++i] ?? "");
    else if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "[") throw new Error(`unescaped [ in ${glob}`);
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("Redis keys of ids", () => {
  it("write an id without ':' as itself, so keys already in Redis keep working", () => {
    expect(eventDedupeKey("u-1", "e.1")).toBe("event:seen:u-1:e.1");
    expect(trendingOnceKey("u@x", "m_1")).toBe("trending:once:u@x:m_1");
    expect(eventDedupeKeyPattern("u-1")).toBe("event:seen:u-1:*");
    expect(trendingOnceKeyPattern("u-1")).toBe("trending:once:u-1:*");
    expect(impressionKey("0b5c8e1e-8f4a-4c52-9a7e-3d1b2f6a9c10")).toBe("imp:0b5c8e1e-8f4a-4c52-9a7e-3d1b2f6a9c10");
    expect(impressionCreditKey("0b5c", "click", "m1")).toBe("imp:0b5c:credited:click:m1");
  });

  it("give the audit's colliding pairs two keys", () => {
    expect(eventDedupeKey("zzc", "x:e1")).not.toBe(eventDedupeKey("zzc:x", "e1"));
    expect(trendingOnceKey("zzc", "x:50")).not.toBe(trendingOnceKey("zzc:x", "50"));
    expect(eventDedupeKey("zzc:x", "e1")).toBe("event:seen:zzc%3Ax:e1");
  });

  it("never give two (user, id) pairs one key", () => {
    // Every other way to cut `<user>:<id>` at a ':' into two ids: the pairs a plain join would confuse.
    const cuts = (a: string, b: string): [string, string][] => {
      const joined = `${a}:${b}`;
      const out: [string, string][] = [];
      for (let i = joined.indexOf(":"); i >= 0; i = joined.indexOf(":", i + 1)) {
        const pair: [string, string] = [joined.slice(0, i), joined.slice(i + 1)];
        if (pair[0] && pair[1] && (pair[0] !== a || pair[1] !== b)) out.push(pair);
      }
      return out;
    };
    const keys = [eventDedupeKey, trendingOnceKey, (imp: string, item: string) => impressionCreditKey(imp, "click", item)];
    for (const key of keys) {
      fc.assert(
        fc.property(id, id, id, id, (u1, e1, u2, e2) => {
          fc.pre(u1 !== u2 || e1 !== e2);
          expect(key(u1, e1)).not.toBe(key(u2, e2));
          for (const [u, e] of cuts(u1, e1)) expect(key(u, e), `${u1} ${e1} / ${u} ${e}`).not.toBe(key(u1, e1));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it("keep an impression's hash apart from every credit marker, whatever impression id an event names", () => {
    fc.assert(
      fc.property(id, id, id, fc.constantFrom("click", "like"), (named, imp, item, type) => {
        expect(impressionKey(named)).not.toBe(impressionCreditKey(imp, type, item));
        // The id an event would send to name the marker itself (HMGET on it would fail the whole delivery).
        expect(impressionKey(`${imp}:credited:${type}:${item}`)).not.toBe(impressionCreditKey(imp, type, item));
      }),
      { numRuns: 2000 },
    );
  });

  it("escape '%' too, so the escape cannot be forged", () => {
    expect(keyPart("a%3Ab")).not.toBe(keyPart("a:b"));
    expect(keyPart("a%3Ab")).toBe("a%253Ab");
  });

  it("rely on ids holding no '%', '|' or glob metacharacter", () => {
    for (const c of ["%", "|", "*", "?", "[", "]", "\\"]) expect(ID_PATTERN.test(`a${c}b`), c).toBe(false);
  });

  it("give each user patterns that match their own keys and no one else's", () => {
    fc.assert(
      fc.property(id, id, id, (user, other, eventId) => {
        fc.pre(user !== other);
        for (const [pattern, key] of [
          [eventDedupeKeyPattern, eventDedupeKey],
          [trendingOnceKeyPattern, trendingOnceKey],
        ] as const) {
          expect(globRegExp(pattern(user)).test(key(user, eventId))).toBe(true);
          expect(globRegExp(pattern(user)).test(key(other, eventId)), `${pattern(user)} ~ ${key(other, eventId)}`).toBe(false);
        }
        expect(globRegExp(userFeatureKeyPattern(user)).test(`user:${keyPart(other)}:f`)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});

describe.skipIf(findRedisServer() === null)("Redis keys of ids against a real redis-server's SCAN MATCH", () => {
  let server: RedisServerHandle;
  let client: RespClient;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await RespClient.connect(server.host, server.port);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  const scan = async (match: string): Promise<string[]> => {
    const out: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = (await client.send(["SCAN", cursor, "MATCH", match, "COUNT", 1000])) as [Buffer, Buffer[]];
      out.push(...keys.map(String));
      cursor = String(next);
    } while (cursor !== "0");
    return out.sort();
  };

  it("finds exactly a user's own keys with the user's patterns", async () => {
    const owned = new Map<string, string[]>();
    for (const user of TRICKY_USERS) {
      const keys = ["e9", "x:e1", ":", "50"].flatMap((part) => [eventDedupeKey(user, part), trendingOnceKey(user, part)]);
      owned.set(user, keys.sort());
      for (const key of keys) await client.send(["SET", key, "1"]);
    }
    for (const user of TRICKY_USERS) {
      const found = [...(await scan(eventDedupeKeyPattern(user))), ...(await scan(trendingOnceKeyPattern(user)))].sort();
      expect(found, user).toEqual(owned.get(user));
    }
  });
});
