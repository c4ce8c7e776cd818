import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
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

/** The directory of Redis's data under a state directory. */
export const redisDirOf = (stateDir: string) => join(stateDir, "redis");

/** The secrets that must outlive a run because kept data depends on them. */
export interface LocalSecrets {
  /** The Worker's ERASURE_KEY: the kept erasure list (`users:deleted`) holds tags made with it. */
  erasureKey: string;
}

const SECRETS_FILE = "local-secrets.json";

/**
 * The state directory's secrets, made (readable by this user only) on the first run. A file that is not what
 * this writes is an error naming it, not silently replaced: replacing the key would leave every erasure
 * recorded under the old one unmatched. A new key beside kept Redis data says that loudly.
 */
export async function localSecrets(stateDir: string, log: (line: string) => void): Promise<LocalSecrets> {
  const file = join(stateDir, SECRETS_FILE);
  let text: string | null = null;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== null) {
    const parsed = parseSecrets(text);
    if (!parsed)
      throw new Error(
        `${file} is not a secrets file of npm start ({"erasureKey": "<${MIN_ERASURE_KEY_CHARS}+ characters>"}); mend it, or delete ${stateDir} to start afresh`,
      );
    return parsed;
  }
  if (await exists(redisDirOf(stateDir))) {
    log(
      `WARNING: ${file} is missing beside kept Redis data: a new erasure key is made, and users erased before it are no longer recognised (delete ${stateDir} to start afresh)`,
    );
  }
  const secrets: LocalSecrets = { erasureKey: randomBytes(32).toString("base64url") };
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  return secrets;
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

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
