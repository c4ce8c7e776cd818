import kernelModule from "../../../shared/ann/kernel/scan-kernel.wasm";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { createWasmKernel, KERNEL_IMPORTS } from "../../../shared/ann/kernel/wasm-kernel";

let kernel: ScanKernel | null = null;

/** workerd's loader: the module is imported (workerd refuses to compile WASM from bytes); one instance per isolate. */
export function workerdKernel(): ScanKernel {
  kernel ??= createWasmKernel(new WebAssembly.Instance(kernelModule, KERNEL_IMPORTS));
  return kernel;
}
