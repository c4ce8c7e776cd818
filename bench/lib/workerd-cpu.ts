import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of the workerd processes under `rootPid` (wrangler dev's process
 * group), read from /proc: inside workerd the clock does not advance during
 * computation, so a request's CPU shows only here, as a delta over many
 * requests. Linux only.
 */
export function workerdPids(rootPid: number): number[] {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    parent.set(Number(entry), stat.ppid);
    name.set(Number(entry), stat.comm);
  }
  const under = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  return [...name].filter(([pid, comm]) => comm === "workerd" && under(pid)).map(([pid]) => pid);
}

const TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** User + system CPU (ms) the processes have used so far (10 ms resolution at the usual 100 ticks/s). */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) ticks += stat.utime + stat.stime;
  }
  return (ticks * 1000) / TICKS_PER_S;
}

function readStat(pid: number): { comm: string; ppid: number; utime: number; stime: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields after it start past the last ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { comm: text.slice(text.indexOf("(") + 1, close), ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
}

/** CPU (ms) used so far by the workerd processes under `rootPid`. */
export function workerdCpuMs(rootPid: number): number {
  return cpuMs(workerdPids(rootPid));
}
