import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { isAlive } from "./redis-server";

/** Why a claim no longer holds (its process is gone, or its pid is another process now), or null while it holds. */
export async function staleClaim(pid: number, claimedAtMs: number): Promise<string | null> {
  if (!isAlive(pid)) return `pid ${pid} is gone`;
  const started = await processStartMs(pid);
  // The claimant started before it wrote the claim; a process started later reuses a dead claimant's pid (after a
  // reboot, or in another machine's copy of the directory: CI restores the work directory from its cache).
  if (started !== null && started > claimedAtMs + 2000) return `pid ${pid} is now another process, started after the claim`;
  return null;
}

/** A claim file's holder: its pid and whether (and why not) it still holds. */
export interface ClaimHolder {
  pid: number;
  /** Null while the holder lives; else why the claim is stale. */
  stale: string | null;
}

/** The holder a claim file names, or null when there is no claim (or it names no pid). */
export async function claimHolder(file: string): Promise<ClaimHolder | null> {
  let text: string;
  let claimedAtMs: number;
  try {
    [text, claimedAtMs] = await Promise.all([readFile(file, "utf8"), stat(file).then((s) => s.mtimeMs)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, stale: `it names no process (${JSON.stringify(text.slice(0, 40))})` };
  return { pid, stale: await staleClaim(pid, claimedAtMs) };
}

export interface ClaimOptions {
  /** The error for a claim a live process holds. */
  refuse: (pid: number) => string;
  /** Told when a stale claim (its process died without releasing it) is taken over: its pid (0 when unreadable) and why. */
  onTakeover?: (pid: number, why: string) => void;
}

/**
 * Claims `file` for this process: a file holding this process's pid,
 * created whole and only when absent, so of two processes claiming at once
 * one wins.
 * A claim a live process holds refuses (`refuse`); one whose process is
 * gone (killed, so it never released it) is taken over and told
 * (`onTakeover`). The takeover moves the stale file aside before claiming,
 * and puts back what it moved if that was not the stale claim (another
 * process took it over first), so two takeovers at once cannot both win.
 * The returned function releases the claim (also done when the process
 * exits); a claim that is no longer this process's is left alone.
 */
export async function claimFile(file: string, options: ClaimOptions): Promise<() => Promise<void>> {
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    if (await create(file, mine)) break;
    if (attempt > 5) throw new Error(`could not claim ${file}: other processes kept claiming it`);
    const holder = await claimHolder(file);
    if (!holder) continue; // released meanwhile
    if (holder.stale === null) throw new Error(options.refuse(holder.pid));
    const aside = `${file}.stale-${mine}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // someone else moved it
      throw err;
    }
    const moved = Number((await readFile(aside, "utf8").catch(() => "")).trim()) || 0;
    if (moved !== holder.pid) {
      // Another process took the stale claim over first and this moved its fresh one: back it goes, and that one holds.
      await link(aside, file).catch(() => {});
      await unlink(aside).catch(() => {});
      continue;
    }
    await unlink(aside).catch(() => {});
    options.onTakeover?.(holder.pid, holder.stale);
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

/** Creates `file` holding `text`, whole (written under a temporary name, then linked): false when it exists. */
async function create(file: string, text: string): Promise<boolean> {
  const temp = `${file}.${text}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text);
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * When a process started (epoch ms), from Linux's /proc: its start in clock
 * ticks since boot (USER_HZ, 100 a second) and the boot time. Null where
 * there is no /proc to read.
 */
async function processStartMs(pid: number): Promise<number | null> {
  try {
    const [stat, own] = await Promise.all([readFile("/proc/stat", "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
    const boot = Number(/^btime (\d+)$/m.exec(stat)?.[1]);
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const ticks = Number(own.slice(own.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isFinite(boot) && Number.isFinite(ticks) ? boot * 1000 + ticks * 10 : null;
  } catch {
    return null;
  }
}
