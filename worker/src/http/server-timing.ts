/**
 * Collects stage durations for the `Server-Timing` header. In workerd the
 * clock advances only across I/O, so pure-CPU stages may read as 0 ms.
 */
export class ServerTiming {
  private readonly entries: string[] = [];

  async measure<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.entries.push(`${stage};dur=${(performance.now() - start).toFixed(1)}`);
    }
  }

  header(): string {
    return this.entries.join(", ");
  }
}
