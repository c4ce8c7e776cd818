/**
 * A Worker for bench/ann/workerd-search.ts: receives an encoded ANN index
 * (the blobs and manifest section the builder publishes) and query vectors,
 * then runs batches of searches with shared/ann and the WASM kernel as the
 * serving Worker does (`/search`), or does nothing (`/floor`), so the
 * workerd process's CPU across many requests, minus the floor's, is the
 * search's own. Lists are decoded once and their codes pinned in the
 * kernel's memory, as the Node side of the benchmark keeps them.
 */
import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { ANN_BLOBS, type AnnManifestSection } from "../../../shared/ann/ann-manifest";
import { type InvertedList, type IvfPqHead } from "../../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../../shared/ann/ivfpq-search";
import { decodeShard } from "../../../shared/ann/shard-format";
import { workerdKernel } from "../../../worker/src/ann/workerd-kernel";

const blobs = new Map<string, Uint8Array>();
let index: { section: AnnManifestSection; head: IvfPqHead; lists: InvertedList[] } | null = null;
let queries = new Float32Array(0);

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const [, verb, name] = url.pathname.split("/");
    if (verb === "floor") return new Response("0");
    if (verb === "blob" && name) {
      blobs.set(decodeURIComponent(name), new Uint8Array(await request.arrayBuffer()));
      return new Response("ok");
    }
    if (verb === "queries") {
      queries = new Float32Array(await request.arrayBuffer());
      return new Response(String(queries.length));
    }
    if (verb === "index") {
      const section = (await request.json()) as AnnManifestSection;
      const kernel = workerdKernel();
      const head = decodeAnnHead(section, {
        centroids: blobs.get(ANN_BLOBS.centroids)!,
        codebooks: blobs.get(ANN_BLOBS.codebooks)!,
        sq8: blobs.get(ANN_BLOBS.sq8) ?? null,
      });
      const lists = section.shards.flatMap((ref) => decodeShard(blobs.get(ref.name)!, { ...section, ...ref }));
      for (const list of lists) kernel.pin(list.codes);
      blobs.clear();
      index = { section, head, lists };
      return new Response(String(lists.reduce((n, l) => n + l.ids.length, 0)));
    }
    if (verb === "search" && index) {
      const { head, lists, section } = index;
      const kernel = workerdKernel();
      const number = (key: string) => Number(url.searchParams.get(key));
      const [from, count, k] = [number("from"), number("count"), number("k")];
      const params = { k, nprobe: number("nprobe"), shortlist: number("shortlist") };
      // A search may find fewer than k (few vectors in the probed lists): the rest stays 0xffffffff, which is no position.
      const out = new Uint32Array(count * k).fill(0xffffffff);
      for (let i = 0; i < count; i++) {
        const q = queries.subarray((from + i) * section.dims, (from + i + 1) * section.dims);
        out.set(searchIvfPq(kernel, head, (l) => lists[l]!, q, params).ids.subarray(0, k), i * k);
      }
      return new Response(out.buffer);
    }
    return new Response("unknown route or no index loaded", { status: 404 });
  },
};
