import kernelModule from "../../../shared/ann/kernel/scan-kernel.wasm";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { createWasmKernel, KERNEL_IMPORTS } from "../../../shared/ann/kernel/wasm-kernel";

let kernel: ScanKernel | null = null;
let instance: WebAssembly.Instance | null = null;

/**
 * The bound on the kernel's linear memory in an isolate (it never shrinks):
 * the pinned heads of the versions served (centroids and codebooks, 128 KiB
 * at 1M items), per-query tables and heaps, and the largest call's scratch
 * (a probed list's codes, a shortlist's SQ8 codes: tens of KiB). The 1M
 * index's Worker held 0.8 MiB after 1,000 misses (bench:serve).
 */
const KERNEL_MAX_BYTES = 16 * 1024 * 1024;

/** workerd's loader: the module is imported (workerd refuses to compile WASM from bytes); one instance per isolate. */
export function workerdKernel(): ScanKernel {
  instance ??= new WebAssembly.Instance(kernelModule, KERNEL_IMPORTS);
  kernel ??= createWasmKernel(instance, { maxMemoryBytes: KERNEL_MAX_BYTES });
  return kernel;
}

/** The kernel's linear memory (bytes; it never shrinks): 0 before the first search. */
export function kernelMemoryBytes(): number {
  return instance ? (instance.exports.memory as WebAssembly.Memory).buffer.byteLength : 0;
}
