import { type KvListPage, type KvPort } from "./kv-port";

/**
 * An in-memory KV namespace for pure unit tests of code written against
 * KvPort (the Worker's tests use real KV). Lists in key order, as KV does.
 */
export class MemoryKv implements KvPort {
  readonly data = new Map<string, { value: Uint8Array; metadata: unknown }>();
  /** Keys written or deleted, in order. */
  writes: string[] = [];

  async get(key: string, options: { type: "arrayBuffer" } | { type: "text" }): Promise<never> {
    const entry = this.data.get(key);
    if (!entry) return null as never;
    return (options.type === "text" ? new TextDecoder().decode(entry.value) : entry.value.slice().buffer) as never;
  }
  async getWithMetadata<M>(key: string): Promise<{ value: ReadableStream | null; metadata: M | null }> {
    const entry = this.data.get(key);
    if (!entry) return { value: null, metadata: null };
    const value = new ReadableStream({
      start(controller) {
        controller.enqueue(entry.value);
        controller.close();
      },
    });
    return { value, metadata: entry.metadata as M };
  }
  async put(key: string, value: string | ArrayBuffer | Uint8Array, options?: { metadata?: unknown }): Promise<void> {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value);
    this.data.set(key, { value: bytes, metadata: options?.metadata ?? null });
    this.writes.push(key);
  }
  async list<M>(options: { prefix: string; cursor?: string | null; limit?: number }): Promise<KvListPage<M>> {
    const names = [...this.data.keys()].filter((k) => k.startsWith(options.prefix)).sort();
    const start = options.cursor ? Number(options.cursor) : 0;
    const limit = options.limit ?? 1000;
    const keys = names.slice(start, start + limit).map((name) => ({ name, metadata: (this.data.get(name)!.metadata ?? undefined) as M }));
    const done = start + limit >= names.length;
    return done ? { keys, list_complete: true } : { keys, list_complete: false, cursor: String(start + limit) };
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
    this.writes.push(key);
  }
}
