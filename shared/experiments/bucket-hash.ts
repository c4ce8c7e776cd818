/** Buckets per hash space: a bucket is an integer in [0, BUCKETS), one basis point of traffic. */
export const BUCKETS = 10_000;

/**
 * The assignment hash, fixed forever (changing it re-buckets every user of
 * every running experiment), so any SDK can reproduce it:
 *
 *   bytes  = UTF-8 of salt + ":" + unit
 *   h      = FNV-1a 32-bit over bytes (offset 2166136261, prime 16777619)
 *   h      = MurmurHash3 fmix32(h)   (h ^= h>>>16; h *= 0x85ebca6b; h ^= h>>>13; h *= 0xc2b2ae35; h ^= h>>>16)
 *   bucket = h (unsigned 32-bit) mod 10000
 *
 * FNV-1a alone leaves its low bits poorly mixed for inputs that differ only in
 * their last characters (user-1, user-2, ...); the fmix32 finalizer spreads
 * every input bit over the word before the modulo. The modulo's bias is
 * 7296 / 2^32 per bucket, negligible. Vectors: bucket-hash.vectors.json.
 */
export function bucketOf(salt: string, unit: string): number {
  return fmix32(fnv1aUtf8(`${salt}:${unit}`)) % BUCKETS;
}

/** FNV-1a over the UTF-8 encoding of `text` (encoded on the fly, so no allocation). */
export function fnv1aUtf8(text: string): number {
  let h = 2166136261;
  const byte = (b: number) => {
    h = Math.imul(h ^ b, 16777619);
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) byte(c);
    else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 63));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    } else {
      byte(0xf0 | (c >> 18));
      byte(0x80 | ((c >> 12) & 63));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    }
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer (Appleby): an avalanche over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
