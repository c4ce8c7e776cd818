/**
 * The part of a KV namespace the index code needs. Workers' `KVNamespace`
 * satisfies it, and so does the binding `getPlatformProxy` hands to Node.
 */
export interface KvPort {
  get(key: string, options: { type: "arrayBuffer" }): Promise<ArrayBuffer | null>;
  get(key: string, options: { type: "text" }): Promise<string | null>;
  getWithMetadata<M>(key: string, options: { type: "stream" }): Promise<{ value: ReadableStream | null; metadata: M | null }>;
  put(key: string, value: string | ArrayBuffer, options?: { metadata?: unknown }): Promise<void>;
  list<M>(options: { prefix: string; cursor?: string | null; limit?: number }): Promise<KvListPage<M>>;
  delete(key: string): Promise<void>;
}

/** One page of a KV listing (at most 1000 keys). */
export interface KvListPage<M> {
  keys: { name: string; metadata?: M }[];
  list_complete: boolean;
  cursor?: string;
}

/** Metadata stored beside each blob, so its checksum is known without reading it. */
export interface BlobMetadata {
  sha256: string;
  bytes: number;
  contentType: string;
  /** Epoch ms of the upload; garbage collection spares blobs younger than its grace period (a publication in flight). */
  storedAtMs?: number;
}

/** Metadata stored beside each manifest, so versions list without reading their manifests. */
export interface ManifestMetadata {
  builtAt: string;
  blobs: number;
}
