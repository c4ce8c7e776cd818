/**
 * The part of a KV namespace the index code needs. Workers' `KVNamespace`
 * satisfies it, and so does the binding `getPlatformProxy` hands to Node.
 */
export interface KvPort {
  get(key: string, options: { type: "arrayBuffer" }): Promise<ArrayBuffer | null>;
  get(key: string, options: { type: "text" }): Promise<string | null>;
  getWithMetadata<M>(
    key: string,
    options: { type: "stream" },
  ): Promise<{ value: ReadableStream | null; metadata: M | null }>;
  put(key: string, value: string | ArrayBuffer, options?: { metadata?: unknown }): Promise<void>;
}

/** Metadata stored beside each blob, so its checksum is known without reading it. */
export interface BlobMetadata {
  sha256: string;
  bytes: number;
  contentType: string;
}
