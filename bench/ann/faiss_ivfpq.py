"""FAISS side of `npm run bench:ann`: IndexIVFPQ (8-bit codes) and
IndexIVFPQFastScan (4-bit codes, FAISS's SIMD fast scan, the peer of our
4-bit lists), each plain and with a refine stage (exact floats, or SQ8 like
our re-scoring store).

Run by bench/ann/run-ann-bench.ts with Debian's python3-faiss (1.7.3;
`apt-get install -y python3-faiss`, which bench/ann/ensure-faiss.sh does
before the benchmark) as /usr/bin/python3 faiss_ivfpq.py <spec.json>. The
spec names float32 files the benchmark wrote (base n*d, queries q*d, truth
q*100 int32) and the settings. One thread, one query at a time. Each
setting: a warm-up pass, then `repeats` timed passes; the row reports the
median pass (QPS, p50, p99, CPU per query). Prints one JSON object per
setting on stdout.
"""
import json
import sys
import time

import faiss
import numpy as np


def load(path, cols, dtype=np.float32):
    return np.fromfile(path, dtype=dtype).reshape(-1, cols)


def recall(found, truth, k):
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth))
    return hits / (k * len(truth))


def timed_pass(index, xq):
    latencies = np.zeros(xq.shape[0])
    found = np.zeros((xq.shape[0], 100), dtype=np.int64)
    cpu = time.process_time()
    for i in range(xq.shape[0]):
        t = time.perf_counter()
        _, ids = index.search(xq[i : i + 1], 100)
        latencies[i] = time.perf_counter() - t
        found[i] = ids[0]
    cpu = time.process_time() - cpu
    lat = latencies * 1000
    return found, {
        "qps": len(lat) / (lat.sum() / 1000),
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "cpu_ms_per_query": cpu * 1000 / len(lat),
    }


def measure(index, xq, repeats):
    timed_pass(index, xq)
    passes = [timed_pass(index, xq) for _ in range(repeats)]
    found = passes[0][0]
    stats = {key: float(np.median([p[1][key] for p in passes])) for key in passes[0][1]}
    return found, stats


def ivf_family(spec, data, name, base, code_bytes, settings):
    """One IVF index with `name`, plus its refined variants, measured at `settings` (nprobe, shortlist)."""
    xb, xq, truth, train = data
    d = spec["dims"]
    n = xb.shape[0]
    nlist = spec["nlist"]
    started = time.perf_counter()
    base.train(train)
    base.add(xb)
    base_build = time.perf_counter() - started
    m = base.pq.M
    centroid_bytes = nlist * d * 4 + m * (1 << base.pq.nbits) * (d // m) * 4
    systems = [(name, base, False, base_build, code_bytes + 8)]
    for refine_name, make_refine, per_vector in (
        ("refine-flat", lambda: faiss.IndexRefineFlat(base, faiss.swig_ptr(xb)), 4 * d),
        ("refine-sq8", lambda: sq8_refine(base, xb, d), d),
    ):
        started = time.perf_counter()
        refined = make_refine()
        systems.append((f"{name}+{refine_name}", refined, True, base_build + time.perf_counter() - started, code_bytes + 8 + per_vector))
    for system, index, has_refine, build_s, per_vector in systems:
        runs = [(p, s) for p, s in settings if s > 0] if has_refine else [(p, 0) for p in sorted({p for p, _ in settings})]
        for nprobe, shortlist in runs:
            base.nprobe = nprobe  # the refined indexes wrap this same IVF index
            if has_refine:
                index.k_factor = max(1.0, shortlist / 100)
            found, stats = measure(index, xq, spec["repeats"])
            print(json.dumps({
                "system": system,
                "dataset": spec["dataset"],
                "n": n,
                "dims": d,
                "nlist": nlist,
                "m": m,
                "nbits": base.pq.nbits,
                "nprobe": nprobe,
                "shortlist": shortlist if has_refine else 0,
                "recall_at_10": recall(found, truth, 10),
                "recall_at_100": recall(found, truth, 100),
                **stats,
                "bytes_per_vector": per_vector + centroid_bytes / n,
                "build_s": build_s,
            }), flush=True)


def sq8_refine(base, xb, d):
    store = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    store.train(xb[:65536])
    store.add(xb)
    return faiss.IndexRefine(base, store)


def run(spec):
    faiss.omp_set_num_threads(1)
    d = spec["dims"]
    xb = load(spec["base"], d)
    xq = load(spec["queries"], d)
    truth = load(spec["truth"], 100, np.int32)
    n = xb.shape[0]
    nlist = spec["nlist"]
    # The same training budget as ours: 64 rows per list for k-means (faiss would sample 256).
    rng = np.random.default_rng(spec["seed"])
    train = xb[rng.choice(n, size=min(n, max(65536, 64 * nlist)), replace=False)]
    data = (xb, xq, truth, train)
    pq8 = spec["pq8"]
    ivf_family(spec, data, "faiss-ivfpq", faiss.IndexIVFPQ(faiss.IndexFlatIP(d), d, nlist, pq8["m"], 8, faiss.METRIC_INNER_PRODUCT), pq8["m"], pq8["settings"])
    pq4 = spec["pq4"]
    fast = faiss.IndexIVFPQFastScan(faiss.IndexFlatIP(d), d, nlist, pq4["m"], 4, faiss.METRIC_INNER_PRODUCT)
    # Residuals to the list centroid, as ours and IndexIVFPQ encode (FAISS 1.7.3's fast scan defaults to raw vectors for IP).
    fast.by_residual = True
    ivf_family(spec, data, "faiss-ivfpq4fs", fast, pq4["m"] // 2, pq4["settings"])


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        run(json.load(f))
