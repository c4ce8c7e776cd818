import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";

/**
 * ONNX Runtime's WebAssembly, compiled by the platform at upload (workerd
 * refuses to compile WASM from bytes at run time). Only ort-runtime.ts
 * imports this file, and only dynamically: in the vitest pool a static
 * import would cost every test file ~10 s.
 */
export default ortWasmModule;
