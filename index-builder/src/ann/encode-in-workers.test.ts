import { describe, expect, it } from "vitest";
import { assembleIvfPq, buildIvfPq, encodeIvfPqByChunks, trainIvfPq } from "../../../shared/ann/build-ivfpq";
import { SeededRandom } from "../../../shared/seeded-random";
import { encodeInWorkers } from "./encode-in-workers";
import { loadNodeKernel } from "./node-kernel";

describe("encoding in worker threads", () => {
  it("gives byte for byte what one thread gives, whatever the chunking, and buildIvfPq's index", async () => {
    const dims = 32;
    const n = 5_000;
    const random = new SeededRandom(5);
    const vectors = Float32Array.from({ length: n * dims }, () => random.gaussian());
    const params = { metric: "ip", dims, nlist: 16, m: 16, nbits: 4, rescore: "sq8" } as const;
    const kernel = loadNodeKernel();
    const trained = trainIvfPq(kernel, vectors, params, { seed: 3, kmeansIterations: 3 });
    const here = encodeIvfPqByChunks(kernel, trained, vectors, 1_000);
    const before = vectors.slice();
    const threaded = await encodeInWorkers(trained, vectors, { threads: 2, chunkRows: 700 });
    expect(Buffer.from(threaded.listOf.buffer).equals(Buffer.from(here.listOf.buffer))).toBe(true);
    expect(Buffer.from(threaded.codes).equals(Buffer.from(here.codes))).toBe(true);
    expect(Buffer.from(threaded.sq8Codes!).equals(Buffer.from(here.sq8Codes!))).toBe(true);
    expect(vectors).toEqual(before);
    const built = buildIvfPq(kernel, vectors, params, { seed: 3, kmeansIterations: 3 });
    expect(assembleIvfPq(trained, threaded.listOf, threaded.codes, threaded.sq8Codes).lists).toEqual(built.lists);
  }, 60_000);
});
