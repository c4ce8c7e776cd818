/**
 * The content feature vector of an item, shared so that the builder (fitting
 * the content-to-embedding map) and the Worker (placing a brand-new item) encode
 * items identically. Layout, size `contentFeatureCount(vocabulary)`:
 * [bias, categories (multi-hot / √count), year buckets (one-hot, last = unknown),
 * tag hash buckets (count / √tags)].
 */
export interface ContentVocabulary {
  /** Known category names; unknown categories are ignored. */
  categories: string[];
  /** Ascending bucket starts: year y falls in the last start <= y (before the first: bucket 0). */
  yearStarts: number[];
  /** Tags are hashed (FNV-1a) into this many buckets, so tags never seen in training still count. */
  tagBuckets: number;
}

export function contentFeatureCount(v: ContentVocabulary): number {
  return 1 + v.categories.length + v.yearStarts.length + 1 + v.tagBuckets;
}

export interface ContentDescription {
  categories: readonly string[];
  year: number | null;
  tags: readonly string[];
}

export function contentFeatures(item: ContentDescription, v: ContentVocabulary, out?: Float32Array): Float32Array {
  const f = out ?? new Float32Array(contentFeatureCount(v));
  f.fill(0);
  f[0] = 1;
  let at = 1;
  const known = item.categories.map((c) => v.categories.indexOf(c)).filter((i) => i >= 0);
  for (const i of known) f[at + i] = 1 / Math.sqrt(known.length);
  at += v.categories.length;
  f[at + yearBucket(item.year, v.yearStarts)] = 1;
  at += v.yearStarts.length + 1;
  if (v.tagBuckets > 0 && item.tags.length > 0) {
    const scale = 1 / Math.sqrt(item.tags.length);
    for (const tag of item.tags) f[at + (fnv1a(tag.toLowerCase()) % v.tagBuckets)]! += scale;
  }
  return f;
}

function yearBucket(year: number | null, starts: readonly number[]): number {
  if (year === null) return starts.length;
  let bucket = 0;
  for (let i = 0; i < starts.length; i++) if (year >= starts[i]!) bucket = i;
  return bucket;
}

/** 32-bit FNV-1a over UTF-16 code units: tiny, stable across runtimes. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
