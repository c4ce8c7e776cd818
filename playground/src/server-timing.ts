/** One stage of a `Server-Timing` header, placed on the request's time line. */
export interface TimingBar {
  stage: string;
  durMs: number;
  /** Where the bar starts, as a share of the total (0..1). */
  start: number;
  /** The bar's length, as a share of the total (0..1). */
  width: number;
}

/** The stages of a `Server-Timing` header (`name;dur=1.5, ...`), in header order; entries without `dur` are left out. */
export function parseServerTiming(header: string | null): { stage: string; durMs: number }[] {
  if (!header) return [];
  const stages: { stage: string; durMs: number }[] = [];
  for (const entry of header.split(",")) {
    const [name, ...params] = entry.split(";").map((part) => part.trim());
    const dur = params.find((p) => p.startsWith("dur="));
    const durMs = dur === undefined ? NaN : Number(dur.slice(4));
    if (name && Number.isFinite(durMs) && durMs >= 0) stages.push({ stage: name, durMs });
  }
  return stages;
}

/**
 * Lays the stages out as a waterfall: the Worker measures them one after the
 * other, so each starts where the previous ended; `total` (the whole request)
 * spans the line and sets its scale. Without `total`, the stages' sum does.
 */
export function waterfall(stages: { stage: string; durMs: number }[]): TimingBar[] {
  const total = stages.find((s) => s.stage === "total");
  const steps = stages.filter((s) => s !== total);
  const sum = steps.reduce((acc, s) => acc + s.durMs, 0);
  const scale = Math.max(total?.durMs ?? 0, sum);
  const share = (ms: number) => (scale > 0 ? ms / scale : 0);
  let at = 0;
  const bars = steps.map((s) => {
    const bar = { stage: s.stage, durMs: s.durMs, start: share(at), width: share(s.durMs) };
    at += s.durMs;
    return bar;
  });
  return total ? [...bars, { stage: "total", durMs: total.durMs, start: 0, width: share(total.durMs) }] : bars;
}
