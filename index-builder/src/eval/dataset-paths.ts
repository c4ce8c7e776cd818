import { join, resolve } from "node:path";

/** The repository root (this file is index-builder/src/eval/). */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

/**
 * Licensed evaluation data lives beside the repository, never in it
 * (ML-100K may not be redistributed): ../shared/data.
 */
export const SHARED_DATA_DIR = resolve(REPO_ROOT, "..", "shared", "data");
export const ML_100K_DIR = join(SHARED_DATA_DIR, "ml-100k");
