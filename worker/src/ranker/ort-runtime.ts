import type * as Ort from "onnxruntime-web";
import { type MlpModel } from "../../../shared/ranking/mlp";
import { exportMlpToOnnx } from "../../../shared/ranking/onnx-export";

/** The part of onnxruntime-web the ranker uses. */
export type OrtModule = typeof Ort;

/**
 * Eight bytes that say "WebAssembly, version 1" and nothing else: handed to
 * ORT as `wasmBinary` so it neither fetches the .wasm nor compiles bytes;
 * `WebAssembly.instantiate` is intercepted to answer it with the module
 * imported by ort-wasm.ts.
 */
const PLACEHOLDER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

type State = { kind: "idle" } | { kind: "loading"; promise: Promise<OrtModule> } | { kind: "ready"; ort: OrtModule } | { kind: "failed"; error: unknown };

let state: State = { kind: "idle" };

/** True once ONNX Runtime is loaded in this isolate; never waits. */
export function ortLoaded(): boolean {
  return state.kind === "ready";
}

/** Why ORT could not load in this isolate, or null. A failed load is retried on the next `loadOrt`. */
export function ortLoadError(): unknown {
  return state.kind === "failed" ? state.error : null;
}

/**
 * Loads ONNX Runtime once per isolate (concurrent callers share one load).
 * The first load in a fresh isolate costs hundreds of milliseconds: callers
 * on the request path start it and serve without it until `ortLoaded()`.
 */
export function loadOrt(): Promise<OrtModule> {
  if (state.kind === "ready") return Promise.resolve(state.ort);
  if (state.kind === "loading") return state.promise;
  const promise = initialise().then(
    (ort) => {
      state = { kind: "ready", ort };
      return ort;
    },
    (error: unknown) => {
      state = { kind: "failed", error };
      throw error;
    },
  );
  state = { kind: "loading", promise };
  return promise;
}

async function initialise(): Promise<OrtModule> {
  const [ort, wasm] = await Promise.all([import("onnxruntime-web/wasm"), import("./ort-wasm")]);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = PLACEHOLDER;
  const original = WebAssembly.instantiate;
  const instantiate = original.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  const module = wasm.default;
  // ORT calls WebAssembly.instantiate(bytes, imports) with a copy of the placeholder: answer with the imported module.
  WebAssembly.instantiate = ((source: unknown, imports?: WebAssembly.Imports) => {
    if (ArrayBuffer.isView(source) && source.byteLength === PLACEHOLDER.byteLength) {
      return (instantiate(module, imports) as Promise<WebAssembly.Instance>).then((instance) => ({ instance, module }));
    }
    return instantiate(source, imports);
  }) as typeof WebAssembly.instantiate;
  try {
    // ORT starts its WebAssembly backend with the first session: make one now, so "loaded" means usable.
    await ort.InferenceSession.create(exportMlpToOnnx(IDENTITY), { executionProviders: ["wasm"] });
    return ort;
  } finally {
    WebAssembly.instantiate = original;
  }
}

/** y = x: the smallest model the exporter writes. */
const IDENTITY: MlpModel = { layers: [{ inputs: 1, outputs: 1, weights: Float32Array.of(1), bias: Float32Array.of(0), activation: "none" }] };
