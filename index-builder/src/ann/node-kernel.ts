import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { createWasmKernel, KERNEL_IMPORTS } from "../../../shared/ann/kernel/wasm-kernel";

/** The committed kernel binary, built from assembly/scan-kernel.ts by `npm run build:wasm`. */
export const KERNEL_WASM_PATH = fileURLToPath(new URL("../../../shared/ann/kernel/scan-kernel.wasm", import.meta.url));

let compiled: WebAssembly.Module | null = null;

/** Node's loader: compiles the bytes once, and gives each caller its own instance (its own memory). */
export function loadNodeKernel(): ScanKernel {
  compiled ??= new WebAssembly.Module(readFileSync(KERNEL_WASM_PATH));
  return createWasmKernel(new WebAssembly.Instance(compiled, KERNEL_IMPORTS));
}
