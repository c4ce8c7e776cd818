import { AppError } from "../errors";

/** One item of the popular list, with what a response needs to show it. */
export interface PopularItem {
  itemId: string;
  title: string;
  categories: string[];
  /** Time-decayed interaction mass (see index-builder popularity). */
  score: number;
}

/**
 * The `popular` blob: the overall list in descending score, and per category
 * the positions (into `items`) of that category's most popular items.
 */
export interface PopularBlob {
  /** ISO-8601 instant the decay is measured from. */
  asOf: string;
  halfLifeDays: number;
  items: PopularItem[];
  byCategory: Record<string, number[]>;
}

export function encodePopularBlob(blob: PopularBlob): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(blob));
}

/** Decodes and sanity-checks a popular blob; throws `AppError("invalid_manifest")` on a malformed one. */
export function decodePopularBlob(bytes: Uint8Array | ArrayBuffer): PopularBlob {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new AppError("invalid_manifest", "popular blob is not valid JSON", undefined, { cause });
  }
  const blob = value as PopularBlob;
  if (typeof blob !== "object" || blob === null || !Array.isArray(blob.items) || typeof blob.byCategory !== "object") {
    throw new AppError("invalid_manifest", "popular blob lacks items or byCategory");
  }
  const n = blob.items.length;
  for (const [category, positions] of Object.entries(blob.byCategory)) {
    if (!Array.isArray(positions) || positions.some((p) => !Number.isInteger(p) || p < 0 || p >= n)) {
      throw new AppError("invalid_manifest", `popular blob category "${category}" points outside items`);
    }
  }
  return blob;
}
