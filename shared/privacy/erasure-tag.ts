/**
 * The pseudonym an erased user is known by after the erasure: HMAC-SHA-256 of
 * the user id under the operator's erasure key (ERASURE_KEY, a secret the
 * Worker and the builder share), hex. Receipts and the erasure list carry
 * only this: with the key, the builder can still recognise the user's events
 * in files it ingested before; without it, the tag names no one (an id
 * cannot be guessed from it by hashing candidates, as a plain hash allows).
 */
export async function erasureTag(key: string, userId: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(`erasure:${userId}`)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Shortest erasure key accepted: 32 characters, as for the token secrets. */
export const MIN_ERASURE_KEY_CHARS = 32;

/** Tags of many ids, each computed once (the builder tags every user of an events file). */
export function erasureTagger(key: string): (userId: string) => Promise<string> {
  const memo = new Map<string, Promise<string>>();
  return (userId) => {
    let tag = memo.get(userId);
    if (!tag) memo.set(userId, (tag = erasureTag(key, userId)));
    return tag;
  };
}
