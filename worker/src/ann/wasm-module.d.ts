/** Wrangler (and the vitest pool) bundle a `.wasm` import as a compiled module: workerd cannot compile bytes. */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
