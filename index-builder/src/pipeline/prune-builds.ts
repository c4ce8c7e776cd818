import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Builds of finished runs go (the work directory is cached between CI runs):
 * only the version serving stays (the one just promoted, else the one that
 * stayed live), so the next gate reads the live version from disk instead of
 * downloading it, and the next build keeps its unchanged title pages.
 * `LATEST` then names that build, or is removed when none stays: it never
 * names a build just deleted (a refused one, or the previous live one after
 * a `--candidate` built elsewhere was promoted).
 */
export async function pruneBuilds(dir: string, keep: string | undefined): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length === 0) return;
  for (const name of entries) if (name !== keep && name !== "LATEST") await rm(join(dir, name), { recursive: true, force: true });
  if (keep !== undefined && entries.includes(keep)) await writeFile(join(dir, "LATEST"), `${keep}\n`);
  else await rm(join(dir, "LATEST"), { force: true });
}
