import { AppError } from "../../errors";
import { metricCode } from "../metric";
import { type ListScanner, type Pq4Scanner, type ScanKernel, sortedPairs, type TopK } from "./scan-kernel";

/** The raw surface of scan-kernel.wasm (assembly/scan-kernel.ts); pointers are byte offsets. Private to this file. */
interface KernelExports {
  memory: WebAssembly.Memory;
  scoreRowsIp(rows: number, n: number, dims: number, q: number, out: number): void;
  scoreRowsL2(rows: number, n: number, dims: number, q: number, out: number): void;
  distanceTables(metric: number, q: number, cbT: number, m: number, dsub: number, ksub: number, out: number): void;
  scanCodes(codes: number, n: number, m: number, tables: number, bias: number, out: number): void;
  topkPush(scores: number, ids: number, n: number, hs: number, hi: number, size: number, cap: number): number;
  topkPushRange(scores: number, idBase: number, n: number, hs: number, hi: number, size: number, cap: number): number;
  sq8Scores(metric: number, codes: number, n: number, dims: number, a: number, b: number, c0: number, out: number): void;
  assign(metric: number, rows: number, n: number, dims: number, cands: number, count: number, scratch: number, outIdx: number, outScore: number): void;
  pqEncode(rows: number, n: number, m: number, dsub: number, ksub: number, cbT: number, scratch: number, outCodes: number): void;
  scanPq4(
    codes: number,
    n: number,
    m: number,
    lut8: number,
    scale: number,
    offset: number,
    idBase: number,
    scratch: number,
    hs: number,
    hi: number,
    size: number,
    cap: number,
  ): number;
}

/** The module imports nothing; both loaders instantiate it with this object. */
export const KERNEL_IMPORTS: WebAssembly.Imports = {};

/** The kernel's data segment is tiny; our arrays start above its first page. */
const FIRST_FREE_BYTE = 65536;
const PAGE = 65536;

/**
 * Wraps an instance of scan-kernel.wasm as a `ScanKernel`. Pure: each
 * runtime's loader supplies the instance (workerd imports the module, Node
 * compiles bytes). Linear memory is laid out as [pinned arrays and heaps |
 * per-call scratch]; typed-array views are rebuilt whenever memory has grown,
 * since growth detaches the old buffer.
 */
export function createWasmKernel(
  instance: WebAssembly.Instance,
  /**
   * Linear memory never shrinks once grown, so a Worker bounds it: a call
   * that would grow memory past `maxMemoryBytes` throws instead (the stage
   * that ran it degrades, named). Unbounded when absent (the builder's
   * k-means and encoding pass whole samples).
   */
  options: { maxMemoryBytes?: number } = {},
): ScanKernel {
  const raw = instance.exports as unknown as KernelExports;
  const memory = new WasmMemory(raw.memory, options.maxMemoryBytes ?? Infinity);

  const input = (array: Float32Array | Uint8Array | Uint32Array): number => {
    const pinned = array instanceof Uint32Array ? undefined : memory.pinned.get(array);
    if (pinned !== undefined) return pinned;
    const ptr = memory.scratch(array.byteLength);
    memory.bytes().set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), ptr);
    return ptr;
  };
  const output = (ptr: number, out: Float32Array | Uint32Array | Uint8Array): void => {
    out.set(new (out.constructor as Float32ArrayConstructor)(memory.buffer(), ptr, out.length) as never);
  };

  return {
    name: "wasm-simd",
    pin(array) {
      if (memory.pinned.has(array)) return;
      const ptr = memory.permanent(array.byteLength);
      memory.bytes().set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), ptr);
      memory.pinned.set(array, ptr);
    },
    scoreRows(metric, rows, dims, q, out) {
      memory.reset();
      const n = rows.length / dims;
      const [r, qp, o] = [input(rows), input(q), memory.scratch(n * 4)];
      (metric === "ip" ? raw.scoreRowsIp : raw.scoreRowsL2)(r, n, dims, qp, o);
      output(o, out.subarray(0, n));
    },
    distanceTables(metric, q, cbT, m, ksub, out) {
      memory.reset();
      const [qp, c, o] = [input(q), input(cbT), memory.scratch(m * ksub * 4)];
      raw.distanceTables(metricCode(metric), qp, c, m, q.length / m, ksub, o);
      output(o, out.subarray(0, m * ksub));
    },
    scanCodes(codes, m, tables, bias, out) {
      memory.reset();
      const n = codes.length / m;
      const [c, t, o] = [input(codes), input(tables), memory.scratch(n * 4)];
      raw.scanCodes(c, n, m, t, bias, o);
      output(o, out.subarray(0, n));
    },
    topK(capacity) {
      return new WasmTopK(raw, memory, capacity, input);
    },
    listScanner(m) {
      // The tables live in a permanent block reused by later scanners of the same size.
      const bytes = m * 256 * 4;
      const tables = memory.spare.get(bytes)?.pop() ?? memory.permanent(bytes);
      const registry = new FinalizationRegistry<number>((ptr) => memory.release(bytes, ptr));
      const scanner: ListScanner = {
        setTables(next) {
          memory.bytes().set(new Uint8Array(next.buffer, next.byteOffset, bytes), tables);
        },
        scanList(codes, bias, idBase, top) {
          if (!(top instanceof WasmTopK)) throw new AppError("internal", "a WASM list scanner needs a top-k of the same kernel");
          memory.reset();
          const n = codes.length / m;
          const [c, scores] = [input(codes), memory.scratch(n * 4)];
          raw.scanCodes(c, n, m, tables, bias, scores);
          top.pushRangeAt(scores, idBase, n);
        },
      };
      registry.register(scanner, tables);
      return scanner;
    },
    pq4Scanner(m) {
      const bytes = m * 16;
      const lut = memory.spare.get(bytes)?.pop() ?? memory.permanent(bytes);
      const registry = new FinalizationRegistry<number>((ptr) => memory.release(bytes, ptr));
      let scale = 1;
      let offset = 0;
      const scanner: Pq4Scanner = {
        setTables(lut8, s, o) {
          memory.bytes().set(lut8.subarray(0, bytes), lut);
          [scale, offset] = [s, o];
        },
        scanList(codes, n, bias, idBase, top) {
          if (!(top instanceof WasmTopK)) throw new AppError("internal", "a WASM list scanner needs a top-k of the same kernel");
          memory.reset();
          const [c, scores] = [input(codes), memory.scratch(Math.ceil(n / 16) * 64)];
          top.scanPq4(c, n, m, lut, scale, offset + bias, idBase, scores);
        },
      };
      registry.register(scanner, lut);
      return scanner;
    },
    sq8Scores(metric, codes, dims, a, b, c0, out) {
      memory.reset();
      const n = codes.length / dims;
      const [c, ap, bp, o] = [input(codes), input(a), input(b), memory.scratch(n * 4)];
      raw.sq8Scores(metricCode(metric), c, n, dims, ap, bp, c0, o);
      output(o, out.subarray(0, n));
    },
    assign(metric, rows, dims, candidates, outIdx, outScore) {
      memory.reset();
      const n = rows.length / dims;
      const count = candidates.length / dims;
      const [r, c, s, oi, os] = [input(rows), input(candidates), memory.scratch(count * 4), memory.scratch(n * 4), memory.scratch(n * 4)];
      raw.assign(metricCode(metric), r, n, dims, c, count, s, oi, os);
      output(oi, outIdx.subarray(0, n));
      output(os, outScore.subarray(0, n));
    },
    pqEncode(rows, m, ksub, cbT, outCodes) {
      memory.reset();
      const dims = cbT.length / ksub;
      const n = rows.length / dims;
      const [r, c, s, o] = [input(rows), input(cbT), memory.scratch(m * ksub * 4), memory.scratch(n * m)];
      raw.pqEncode(r, n, m, dims / m, ksub, c, s, o);
      output(o, outCodes.subarray(0, n * m));
    },
  };
}

/** Bump allocation over the module's memory: permanent blocks below, scratch above, reset per call. */
class WasmMemory {
  readonly pinned = new WeakMap<Float32Array | Uint8Array, number>();
  /** Released heap blocks by byte size, reused by the next top-k of that size. */
  readonly spare = new Map<number, number[]>();
  private permanentEnd = FIRST_FREE_BYTE;
  private scratchEnd = FIRST_FREE_BYTE;
  private view = new Uint8Array(0);

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly maxBytes: number,
  ) {}

  buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  bytes(): Uint8Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Uint8Array(this.memory.buffer);
    return this.view;
  }

  release(bytes: number, ptr: number): void {
    const spare = this.spare.get(bytes) ?? [];
    if (!spare.includes(ptr)) spare.push(ptr);
    this.spare.set(bytes, spare);
  }

  reset(): void {
    this.scratchEnd = this.permanentEnd;
  }

  scratch(bytes: number): number {
    const ptr = this.scratchEnd;
    this.scratchEnd = align16(ptr + bytes);
    this.ensure(this.scratchEnd);
    return ptr;
  }

  permanent(bytes: number): number {
    const ptr = this.permanentEnd;
    this.permanentEnd = align16(ptr + bytes);
    this.scratchEnd = this.permanentEnd;
    this.ensure(this.permanentEnd);
    return ptr;
  }

  private ensure(end: number): void {
    const missing = end - this.memory.buffer.byteLength;
    if (missing <= 0) return;
    if (end > this.maxBytes) throw new AppError("internal", `scan kernel memory would grow to ${end} bytes, past its bound of ${this.maxBytes}`);
    try {
      this.memory.grow(Math.ceil(missing / PAGE));
    } catch (cause) {
      throw new AppError("internal", `scan kernel memory cannot grow to ${end} bytes`, undefined, { cause });
    }
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

class WasmTopK implements TopK {
  private readonly hs: number;
  private readonly hi: number;
  private readonly blockBytes: number;
  private size = 0;

  constructor(
    private readonly raw: KernelExports,
    private readonly memory: WasmMemory,
    private readonly capacity: number,
    private readonly input: (a: Float32Array | Uint32Array) => number,
  ) {
    this.blockBytes = align16(Math.max(capacity, 1) * 4) * 2;
    this.hs = memory.spare.get(this.blockBytes)?.pop() ?? memory.permanent(this.blockBytes);
    this.hi = this.hs + this.blockBytes / 2;
  }

  push(scores: Float32Array, ids: Uint32Array): void {
    this.memory.reset();
    const [s, i] = [this.input(scores), this.input(ids)];
    this.size = this.raw.topkPush(s, i, scores.length, this.hs, this.hi, this.size, this.capacity);
  }

  pushRange(scores: Float32Array, idBase: number): void {
    this.memory.reset();
    this.pushRangeAt(this.input(scores), idBase, scores.length);
  }

  /** Runs the fused 4-bit scan into this heap. */
  scanPq4(codes: number, n: number, m: number, lut: number, scale: number, offset: number, idBase: number, scratch: number): void {
    this.size = this.raw.scanPq4(codes, n, m, lut, scale, offset, idBase, scratch, this.hs, this.hi, this.size, this.capacity);
  }

  /** Offers n scores already in kernel memory at `scoresPtr`. */
  pushRangeAt(scoresPtr: number, idBase: number, n: number): void {
    this.size = this.raw.topkPushRange(scoresPtr, idBase, n, this.hs, this.hi, this.size, this.capacity);
  }

  threshold(): number {
    if (this.size < this.capacity || this.capacity === 0) return -Infinity;
    return new Float32Array(this.memory.buffer(), this.hs, 1)[0]!;
  }

  drain(): { ids: Uint32Array; scores: Float32Array } {
    const buffer = this.memory.buffer();
    const out = sortedPairs(new Float32Array(buffer, this.hs, this.size), new Uint32Array(buffer, this.hi, this.size), this.size);
    this.size = 0;
    this.memory.release(this.blockBytes, this.hs);
    return out;
  }
}
