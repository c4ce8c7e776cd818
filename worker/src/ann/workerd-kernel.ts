import kernelModule from "../../../shared/ann/kernel/scan-kernel.wasm";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { createWasmKernel, KERNEL_IMPORTS } from "../../../shared/ann/kernel/wasm-kernel";

let kernel: ScanKernel | null = null;
let instance: WebAssembly.Instance | null = null;

/** workerd's loader: the module is imported (workerd refuses to compile WASM from bytes); one instance per isolate. */
export function workerdKernel(): ScanKernel {
  instance ??= new WebAssembly.Instance(kernelModule, KERNEL_IMPORTS);
  kernel ??= createWasmKernel(instance);
  return kernel;
}

/** The kernel's linear memory (bytes; it never shrinks): 0 before the first search. */
export function kernelMemoryBytes(): number {
  return instance ? (instance.exports.memory as WebAssembly.Memory).buffer.byteLength : 0;
}
