import type * as Ort from "onnxruntime-web";
import { sha256Hex } from "../../../shared/checksum";
import { AppError } from "../../../shared/errors";
import { FEATURE_COUNT } from "../../../shared/ranking/features";
import { ONNX_INPUT, ONNX_OUTPUT } from "../../../shared/ranking/onnx-export";
import { loadOrt, ortLoaded } from "./ort-runtime";

/** One ORT session per model, keyed by the model's SHA-256; a version switch leaves at most two alive. */
const MAX_SESSIONS = 2;
const sessions = new Map<string, { ready: Ort.InferenceSession | null; pending: Promise<Ort.InferenceSession>; queue: Promise<unknown> }>();

/**
 * True when a call to `heavyRank` for this model would run at once: ORT is
 * loaded in this isolate and the model's session exists. Never waits, so a
 * request on a cold isolate can keep its light scores (and say so) while
 * `warmRanker` loads in the background.
 */
export function rankerReady(modelSha256: string): boolean {
  return ortLoaded() && sessions.get(modelSha256)?.ready != null;
}

/** After a model failed to load, requests keep the light scores (and say so) this long before one retries. */
export const RANKER_RETRY_MS = 60_000;
const failedAt = new Map<string, number>();

/** True while a model's last load failed less than RANKER_RETRY_MS ago: no request should start another. */
export function rankerFailed(modelSha256: string, nowMs = Date.now()): boolean {
  const at = failedAt.get(modelSha256);
  return at !== undefined && nowMs - at < RANKER_RETRY_MS;
}

/** Loads ORT and the model's session without scoring; resolves false (and logs, and backs off) on failure. Meant for `waitUntil`. */
export async function warmRanker(modelBytes: Uint8Array, modelSha256?: string): Promise<boolean> {
  const key = modelSha256 ?? (await sha256Hex(modelBytes));
  try {
    await sessionFor(modelBytes, key);
    failedAt.delete(key);
    return true;
  } catch (error) {
    failedAt.set(key, Date.now());
    console.warn(JSON.stringify({ level: "warn", message: "heavy ranker failed to load", error: String(error) }));
    return false;
  }
}

/**
 * Scores `n` feature rows (`rows` size at least n·FEATURE_COUNT, row-major,
 * filled by shared/ranking/features.ts) with the ONNX model; returns size n.
 * Loads ORT and the session when needed (hundreds of ms on a cold isolate,
 * ~ms after). Runs on one session are serialised: ORT's WebAssembly backend
 * runs one at a time. Throws AppError("internal") when ORT fails, so the
 * caller can fall back to light scores.
 */
export async function heavyRank(modelBytes: Uint8Array, rows: Float32Array, n: number, modelSha256?: string): Promise<Float32Array> {
  if (n === 0) return new Float32Array(0);
  if (rows.length < n * FEATURE_COUNT) throw new AppError("internal", `heavyRank: ${n} rows need ${n * FEATURE_COUNT} values, got ${rows.length}`);
  const key = modelSha256 ?? (await sha256Hex(modelBytes));
  let session: Ort.InferenceSession;
  try {
    session = await sessionFor(modelBytes, key);
  } catch (cause) {
    throw new AppError("internal", "heavy ranker failed to load", undefined, { cause });
  }
  const entry = sessions.get(key)!;
  const ort = await loadOrt();
  const run = entry.queue.then(async () => {
    const input = new ort.Tensor("float32", rows.subarray(0, n * FEATURE_COUNT), [n, FEATURE_COUNT]);
    const output = await session.run({ [ONNX_INPUT]: input });
    const scores = output[ONNX_OUTPUT]?.data;
    if (!(scores instanceof Float32Array) || scores.length !== n) throw new AppError("internal", "heavyRank: model output is not float32 [n, 1]");
    return Float32Array.from(scores);
  });
  entry.queue = run.catch(() => undefined);
  try {
    return await run;
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError("internal", "heavy ranker failed", undefined, { cause });
  }
}

function sessionFor(modelBytes: Uint8Array, key: string): Promise<Ort.InferenceSession> {
  const hit = sessions.get(key);
  if (hit) return hit.pending;
  const pending = loadOrt().then((ort) => ort.InferenceSession.create(modelBytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" }));
  const entry = { ready: null as Ort.InferenceSession | null, pending, queue: Promise.resolve() as Promise<unknown> };
  sessions.set(key, entry);
  pending.then(
    (session) => {
      entry.ready = session;
    },
    () => {
      // A failed load is forgotten, so a later request retries.
      if (sessions.get(key) === entry) sessions.delete(key);
    },
  );
  while (sessions.size > MAX_SESSIONS) {
    const oldest = sessions.keys().next().value!;
    void sessions
      .get(oldest)
      ?.pending.then((s) => s.release())
      .catch(() => undefined);
    sessions.delete(oldest);
  }
  return pending;
}
