import { readdirSync, readFileSync } from "node:fs";

/** CPU milliseconds so far of every workerd process under `rootPid` (from /proc; USER_HZ 100). */
export function workerdCpuMs(rootPid: number): number {
  const stats = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        const text = readFileSync(`/proc/${d}/stat`, "utf8");
        const close = text.lastIndexOf(")");
        const fields = text.slice(close + 2).split(" ");
        return { pid: Number(d), comm: text.slice(text.indexOf("(") + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
      } catch {
        return null;
      }
    })
    .filter((s) => s !== null);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const under = (pid: number): boolean => {
    for (let p = byPid.get(pid); p; p = byPid.get(p.ppid)) if (p.pid === rootPid) return true;
    return false;
  };
  const ticksPerMs = 100 / 1000;
  return stats.filter((s) => s.comm.startsWith("workerd") && under(s.pid)).reduce((sum, s) => sum + s.ticks, 0) / ticksPerMs;
}
