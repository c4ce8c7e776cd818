/**
 * Gathers records added close together into one write: the first record of
 * a batch starts a window of `windowMs`; the batch is written when the window
 * ends or when it holds `maxBatch` records, whichever comes first.
 *
 * Made for per-request writes that need not be visible at once (the
 * impression log), under a runtime that ends a request's work when its
 * response and its `waitUntil` promises are done: the request that starts a
 * batch is handed the promise of that batch's write, to keep alive; requests
 * that join the batch are handed nothing, because their records are written
 * by that promise. No promise crosses from one request to another.
 *
 * A failed write is reported to `onError` with the records it lost (which
 * may hand them elsewhere: its promise is part of the batch's); later
 * batches are unaffected.
 */
export class WriteBatcher<T> {
  /** The batch records join now; null until the next record starts one. */
  private open: { records: T[]; close: () => void } | null = null;

  constructor(
    private readonly write: (records: T[]) => Promise<void>,
    private readonly onError: (error: unknown, records: T[]) => unknown,
    private readonly windowMs: number,
    private readonly maxBatch: number,
  ) {
    if (!(windowMs >= 0) || !Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError("windowMs must be >= 0 and maxBatch a positive integer");
  }

  /**
   * Adds a record. Returns the promise of the batch's write when this record
   * started the batch (the caller must keep it alive), otherwise null.
   */
  add(record: T): Promise<void> | null {
    let started: Promise<void> | null = null;
    if (this.open === null) started = this.start();
    const batch = this.open!;
    batch.records.push(record);
    if (batch.records.length >= this.maxBatch) batch.close();
    return started;
  }

  /** Records waiting in the open batch. */
  get waiting(): number {
    return this.open?.records.length ?? 0;
  }

  private start(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let closed!: () => void;
    const whenClosed = new Promise<void>((resolve) => (closed = resolve));
    const batch = {
      records: [] as T[],
      // Closing is immediate: records added from here on start the next batch.
      close: () => {
        if (this.open === batch) this.open = null;
        if (timer !== null) clearTimeout(timer);
        closed();
      },
    };
    this.open = batch;
    timer = setTimeout(batch.close, this.windowMs);
    return whenClosed.then(async () => {
      try {
        await this.write(batch.records);
      } catch (error) {
        await this.onError(error, batch.records);
      }
    });
  }
}
