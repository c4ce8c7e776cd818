import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { describe, expect, it } from "vitest";
import { KERNEL_WASM_PATH } from "./node-kernel";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("the committed scan-kernel.wasm", () => {
  it("is what assembly/scan-kernel.ts compiles to with asconfig.json (run `npm run build:wasm` when this fails)", async () => {
    const outputs = new Map<string, Uint8Array>();
    const { error, stderr } = await asc.main(["--config", "asconfig.json", "--outFile", "scan-kernel.wasm"], {
      readFile: async (name: string, baseDir: string) =>
        readFile(new URL(name, `file://${baseDir.startsWith("/") ? "" : ROOT}${baseDir}/`), "utf8").catch(() => null),
      writeFile: async (name: string, contents: string | Uint8Array) =>
        void outputs.set(name, typeof contents === "string" ? new TextEncoder().encode(contents) : contents),
      listFiles: async () => [],
    });
    expect(error, stderr.toString()).toBeNull();
    const built = outputs.get("scan-kernel.wasm");
    expect(built).toBeDefined();
    expect(Buffer.from(built!).equals(await readFile(KERNEL_WASM_PATH))).toBe(true);
  }, 60_000);
});
