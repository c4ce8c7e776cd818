import { createHash, createHmac, randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { MIN_ERASURE_KEY_CHARS } from "../../../shared/privacy/erasure-tag";
import { claimFile } from "./dir-claim";
import { removeStalePidFile } from "./redis-server";
import { PROJECT_ROOT } from "./wrangler";

/**
 * Where `npm start` keeps its state between runs: wrangler's own local state
 * (KV, D1, Durable Objects; its default directory), and beside it Redis's
 * append-only file (`redis/`) and the run's lasting secrets
 * (`local-secrets.json`). Deleting the directory starts afresh.
 */
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, ".wrangler", "state");

/**
 * The default state directory of `npm start --interactions FILE`, beside the demo's: one per file (its name, and a
 * digest of its absolute path, so two `ratings.csv` in different folders do not share one).
 */
export function importedStateDir(file: string): string {
  const path = resolve(file);
  const name = basename(path)
    .replace(/\.[^.]+$/, "")
    .replace(/[^A-Za-z0-9._-]/g, "_");
  return join(PROJECT_ROOT, ".wrangler", `state-${name}-${createHash("sha256").update(path).digest("hex").slice(0, 8)}`);
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
 * D1 and the Durable Objects). The claim is a file naming this process
 * (dir-claim.ts); one naming a live process refuses, one left by a dead one
 * is taken over, and `log` says so in one line (with its redis-server's pid
 * file when that was left too). The returned function releases it (also
 * done when the process exits).
 */
export async function claimStateDir(stateDir: string, log: (line: string) => void = () => {}): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  await ignoreInGit(stateDir);
  const file = join(stateDir, LOCK_FILE);
  const tookOver: { pid: number; why: string }[] = [];
  const release = await claimFile(file, {
    refuse: (holder) =>
      `another npm start (pid ${holder}) uses ${stateDir}: stop it with Ctrl-C, or give this one --state-dir DIR (and --port N) of its own (if none runs, delete ${file})`,
    onTakeover: (pid, why) => tookOver.push({ pid, why }),
  });
  const last = tookOver.at(-1);
  if (last) {
    const { pid, why } = last;
    // Its redis-server, killed with it, left its pid file too: said here, on the same line. One still running is
    // named when the stack starts (startRedisServer refuses the directory).
    const redis = await removeStalePidFile(redisDirOf(stateDir));
    const alsoRedis = redis === null ? "" : `, and its redis-server (pid ${redis}) went with it`;
    log(`the last npm start on ${stateDir} (pid ${pid}) ended without stopping (${why}${alsoRedis}): its claim is taken over`);
  }
  return release;
}

/**
 * The state directory's secrets. On the first run (`created`) a new key is
 * made in memory only: `persist` writes it (whole, under a temporary name
 * linked into place, readable by this user only) once `checkErasureKey` has
 * found it fit the kept Redis, so a run that dies or runs without Redis never
 * leaves an unchecked key behind. A file that is not what this writes is an
 * error naming it, not silently replaced: replacing the key would leave every
 * erasure recorded under the old one unmatched.
 */
export async function localSecrets(
  stateDir: string,
  log: (line: string) => void,
): Promise<{ secrets: LocalSecrets; created: boolean; persist: () => Promise<void> }> {
  const file = secretsFileOf(stateDir);
  const text = await readIfPresent(file);
  if (text === null) {
    const fresh: LocalSecrets = { erasureKey: randomBytes(32).toString("base64url") };
    return { secrets: fresh, created: true, persist: () => writeSecrets(stateDir, fresh) };
  }
  const parsed = parseSecrets(text);
  if (!parsed)
    throw new Error(
      `${file} is not a secrets file of npm start ({"erasureKey": "<${MIN_ERASURE_KEY_CHARS}+ characters>"}); mend it, or delete ${stateDir} to start afresh`,
    );
  const mode = (await stat(file)).mode & 0o777;
  if (mode & 0o077) {
    await chmod(file, 0o600);
    log(`${file} was readable by others (mode ${mode.toString(8)}): now 600`);
  }
  return { secrets: parsed, created: false, persist: async () => {} };
}

async function writeSecrets(stateDir: string, secrets: LocalSecrets): Promise<void> {
  const file = secretsFileOf(stateDir);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
    await link(temp, file);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** The Redis key holding the check value of the erasure key the kept erasure list is tagged under (npm start's own). */
export const ERASURE_KEY_CHECK_KEY = "local:erasure-key-check";

/** A value that tells whether two erasure keys are the same without revealing either: HMAC-SHA-256 of a fixed text. */
export function erasureKeyCheck(key: string): string {
  // Prefixed, so a client that parses values as JSON never reads the digest as a number.
  return `v1:${createHmac("sha256", key).update("npm start: the erasure key of this state").digest("hex")}`;
}

/** What checkErasureKey needs of a Redis client. */
export interface KeyCheckStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
}

/**
 * Whether `key` fits the kept Redis: the check value it holds (set by the first run that had Redis) must be the
 * key's; without one, a key made this run (`created`) over a list that already names erased users would match none
 * of them. A fit key's check value is stored. Refuses with the remedies otherwise: the erased users would come back.
 */
export async function checkErasureKey(redis: KeyCheckStore, stateDir: string, key: string, created: boolean, erasedUsers: number): Promise<void> {
  const kept = await redis.get(ERASURE_KEY_CHECK_KEY);
  const file = secretsFileOf(stateDir);
  const which = created ? `a new one (${file} is missing)` : `the one in ${file}`;
  const remedy = `the users erased under it would come back. Restore the file, or delete ${stateDir} to start afresh`;
  if (kept !== null && kept !== undefined) {
    if (String(kept) !== erasureKeyCheck(key))
      throw new Error(`the kept Redis (${redisDirOf(stateDir)}) was written under another erasure key than ${which}: ${remedy}`);
    return;
  }
  if (created && erasedUsers > 0) {
    throw new Error(`${file} is missing, but the kept Redis (${redisDirOf(stateDir)}) lists ${erasedUsers} erased user(s) under the key it held: ${remedy}`);
  }
  await redis.set(ERASURE_KEY_CHECK_KEY, erasureKeyCheck(key));
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
 * The data a state directory serves: the demo's directory, or the imported file, by absolute path (edits to the
 * same file are the same data). Sessions, histories, the event stream and trending counters of one catalogue mixed
 * into another's would serve items it does not hold and count events twice, so a run on other data than the
 * directory recorded is refused, with the remedies.
 */
export async function checkStateDataset(stateDir: string, source: string): Promise<void> {
  const file = join(stateDir, DATASET_FILE);
  const text = await readIfPresent(file);
  if (text === null) return; // nothing recorded yet
  let recorded: unknown;
  try {
    recorded = (JSON.parse(text) as { source?: unknown } | null)?.source;
  } catch {
    recorded = undefined;
  }
  if (typeof recorded !== "string") throw new Error(`${file} is not npm start's record of its data ({"source": "<path>"}); delete it to record this run's`);
  if (recorded === resolve(source)) return;
  throw new Error(
    `${stateDir} holds the state of runs on ${recorded} (sessions, events, trending, erasures); this run serves ${resolve(source)}. Give it a state of its own with --state-dir DIR, or delete ${stateDir} to start afresh`,
  );
}

/** Records the data a state directory serves, once a run on it serves (a run that fails ties the directory to nothing). */
export async function recordStateDataset(stateDir: string, source: string): Promise<void> {
  await writeFile(join(stateDir, DATASET_FILE), JSON.stringify({ source: resolve(source) }) + "\n");
}

/** A file's text, or null when there is no such file (any other error is thrown). */
async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
