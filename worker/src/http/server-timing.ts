/**
 * Collects stage durations for the `Server-Timing` header. In workerd the
 * clock advances only across I/O, so pure-CPU stages may read as 0 ms.
 */
export class ServerTiming {
  private readonly entries: string[] = [];
  private readonly startedMs = performance.now();

  async measure<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.entries.push(`${stage};dur=${(performance.now() - start).toFixed(1)}`);
    }
  }

  /** A synchronous (CPU-only) stage. */
  measureSync<T>(stage: string, work: () => T): T {
    const start = performance.now();
    try {
      return work();
    } finally {
      this.entries.push(`${stage};dur=${(performance.now() - start).toFixed(1)}`);
    }
  }

  /** The stages, then `total`: time since this object was made (the request's start). */
  header(): string {
    return [...this.entries, `total;dur=${(performance.now() - this.startedMs).toFixed(1)}`].join(", ");
  }
}
