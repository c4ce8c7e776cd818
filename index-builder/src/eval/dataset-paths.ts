import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root (this file is index-builder/src/eval/). */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

/**
 * Licensed evaluation data lives beside the repository, never in it
 * (ML-100K may not be redistributed): ../shared/data, or the folder
 * $EVAL_DATA_DIR names (a CI cache, another checkout's data).
 */
export const SHARED_DATA_DIR = process.env.EVAL_DATA_DIR ? resolve(process.env.EVAL_DATA_DIR) : resolve(REPO_ROOT, "..", "shared", "data");
export const ML_100K_DIR = join(SHARED_DATA_DIR, "ml-100k");

/**
 * Whether `file` exists in the dataset folder `dir`. When it does not, says
 * so on stderr, once per call, so a test file that skips its dataset checks
 * on a bare clone shows why in the run's output (vitest also counts them as
 * skipped) instead of failing or passing silently.
 */
export function datasetPresent(dir: string, file: string, what: string): boolean {
  if (existsSync(join(dir, file))) return true;
  console.warn(`NOTICE: ${what} skipped: ${join(dir, file)} is absent (put the dataset there or set EVAL_DATA_DIR to its parent folder)`);
  return false;
}
