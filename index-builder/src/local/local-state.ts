import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MIN_ERASURE_KEY_CHARS } from "../../../shared/privacy/erasure-tag";
import { PROJECT_ROOT } from "./wrangler";

/**
 * Where `npm start` keeps its state between runs: wrangler's own local state
 * (KV, D1, Durable Objects; its default directory), and beside it Redis's
 * append-only file (`redis/`) and the run's lasting secrets
 * (`local-secrets.json`). Deleting the directory starts afresh.
 */
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, ".wrangler", "state");

/** The default state directory of `npm start --interactions FILE`: one per dataset name, beside the demo's. */
export function importedStateDir(dataset: string): string {
  return join(PROJECT_ROOT, ".wrangler", `state-${dataset.replace(/[^A-Za-z0-9._-]/g, "_")}`);
}

/** The directory of Redis's data under a state directory. */
export const redisDirOf = (stateDir: string) => join(stateDir, "redis");

/** The secrets that must outlive a run because kept data depends on them. */
export interface LocalSecrets {
  /** The Worker's ERASURE_KEY: the kept erasure list (`users:deleted`) holds tags made with it. */
  erasureKey: string;
}

const SECRETS_FILE = "local-secrets.json";
const LOCK_FILE = "npm-start.pid";

/** The path of a state directory's secrets file. */
export const secretsFileOf = (stateDir: string) => join(stateDir, SECRETS_FILE);

/**
 * Claims the state directory for this process, so two `npm start` never share
 * one (two Redis servers appending to one file corrupt it; two Workers race on
 * D1 and the Durable Objects). The claim is a file naming this process; one
 * naming a live process refuses, one left by a dead one is taken over. The
 * returned function releases it (also done when the process exits).
 */
export async function claimStateDir(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  await ignoreInGit(stateDir);
  const file = join(stateDir, LOCK_FILE);
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, mine, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new Error(
        `another npm start (pid ${holder}) uses ${stateDir}: stop it with Ctrl-C, or give this one --state-dir DIR (if none runs, delete ${file})`,
      );
    }
    await unlink(file).catch(() => {}); // left by a run that died
  }
  const releaseSync = () => {
    try {
      if (readFileSync(file, "utf8") === mine) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once("exit", releaseSync);
  return async () => {
    releaseSync();
    process.removeListener("exit", releaseSync);
  };
}

/** Whether a process with this pid exists (one owned by another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The state directory's secrets, made on the first run (`created`): written
 * whole under a temporary name and linked into place, readable by this user
 * only. A file that is not what this writes is an error naming it, not
 * silently replaced: replacing the key would leave every erasure recorded
 * under the old one unmatched. The caller checks a new key against kept data
 * (`refuseNewKeyOverKeptErasures`).
 */
export async function localSecrets(stateDir: string, log: (line: string) => void): Promise<{ secrets: LocalSecrets; created: boolean }> {
  const file = secretsFileOf(stateDir);
  await mkdir(stateDir, { recursive: true });
  const fresh: LocalSecrets = { erasureKey: randomBytes(32).toString("base64url") };
  const temp = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    await writeFile(temp, JSON.stringify(fresh, null, 2) + "\n", { mode: 0o600 });
    await link(temp, file);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
  if (created) return { secrets: fresh, created };
  const parsed = parseSecrets(await readFile(file, "utf8"));
  if (!parsed)
    throw new Error(
      `${file} is not a secrets file of npm start ({"erasureKey": "<${MIN_ERASURE_KEY_CHARS}+ characters>"}); mend it, or delete ${stateDir} to start afresh`,
    );
  const mode = (await stat(file)).mode & 0o777;
  if (mode & 0o077) {
    await chmod(file, 0o600);
    log(`${file} was readable by others (mode ${mode.toString(8)}): now 600`);
  }
  return { secrets: parsed, created: false };
}

/**
 * A key made this run beside a kept erasure list would match none of its
 * tags, and the erased users' rows would come back into the index and their
 * sessions: refuse, and take the new file back so the next run refuses too.
 */
export async function refuseNewKeyOverKeptErasures(stateDir: string, created: boolean, erasedUsers: number): Promise<void> {
  if (!created || erasedUsers === 0) return;
  const file = secretsFileOf(stateDir);
  await unlink(file).catch(() => {});
  throw new Error(
    `${file} was missing, but the kept Redis (${redisDirOf(stateDir)}) lists ${erasedUsers} erased user(s) under the erasure key it held: a new key would match none of them, and they would come back. Restore the file, or delete ${stateDir} to start afresh`,
  );
}

function parseSecrets(text: string): LocalSecrets | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const key = (value as { erasureKey?: unknown } | null)?.erasureKey;
  return typeof key === "string" && key.length >= MIN_ERASURE_KEY_CHARS ? { erasureKey: key } : null;
}

/** A state directory outside `.wrangler/` (--state-dir) is not git-ignored by the project: it ignores itself. */
async function ignoreInGit(stateDir: string): Promise<void> {
  await writeFile(join(stateDir, ".gitignore"), "# npm start's local state (secrets among it): never committed\n*\n", { flag: "wx" }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    },
  );
}

const DATASET_FILE = "dataset.json";

/**
 * Ties a state directory to the data it serves (the dataset's name: the demo's, or an imported file's), recorded by
 * its first run. Sessions, histories, the event stream and trending counters of one catalogue mixed into another's
 * would serve items it does not hold and count events twice, so a run on other data is refused, with the remedies.
 */
export async function checkStateDataset(stateDir: string, dataset: string): Promise<void> {
  const file = join(stateDir, DATASET_FILE);
  let recorded: unknown = null;
  try {
    recorded = (JSON.parse(await readFile(file, "utf8")) as { dataset?: unknown }).dataset;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new Error(`${file} is not npm start's record of its data ({"dataset": "<name>"}); delete it to record this run's`);
  }
  if (recorded === dataset) return;
  if (recorded !== null) {
    throw new Error(
      `${stateDir} holds the state of runs on "${String(recorded)}" (sessions, events, trending, erasures); this run serves "${dataset}". Give it a state of its own with --state-dir DIR, or delete ${stateDir} to start afresh`,
    );
  }
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, JSON.stringify({ dataset }) + "\n");
}
