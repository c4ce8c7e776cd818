"""FAISS side of `npm run bench:ann`: IndexIVFPQ with and without a refine stage.

Run by bench/ann/run-ann-bench.ts with Debian's python3-faiss (1.7.3) as
/usr/bin/python3 faiss_ivfpq.py <spec.json>. The spec names float32 files the
benchmark wrote (base n*d, queries q*d, truth q*100 int32) and the settings.
One thread, one query at a time, as the issue asks. Prints one JSON object
per setting on stdout.
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


def run(spec):
    faiss.omp_set_num_threads(1)
    d = spec["dims"]
    xb = load(spec["base"], d)
    xq = load(spec["queries"], d)
    truth = load(spec["truth"], 100, np.int32)
    n = xb.shape[0]
    nlist, m = spec["nlist"], spec["m"]

    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(d)
    ivfpq = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    # The same training budget as ours: 64 rows per list for k-means (faiss would sample 256).
    rng = np.random.default_rng(spec["seed"])
    train = xb[rng.choice(n, size=min(n, max(65536, 64 * nlist)), replace=False)]
    ivfpq.train(train)
    ivfpq.add(xb)
    base_build = time.perf_counter() - started
    centroid_bytes = nlist * d * 4 + m * 256 * (d // m) * 4

    systems = [("faiss-ivfpq", ivfpq, 0, base_build, m + 8)]
    for refine_name, refine_index, per_vector in (
        ("faiss-ivfpq+refine-flat", faiss.IndexFlatIP(d), 4 * d),
        ("faiss-ivfpq+refine-sq8", faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT), d),
    ):
        started = time.perf_counter()
        refine_index.train(xb[:65536])
        refine_index.add(xb)
        refined = faiss.IndexRefine(ivfpq, refine_index)
        systems.append((refine_name, refined, 1, base_build + time.perf_counter() - started, m + 8 + per_vector))

    for name, index, has_refine, build_s, per_vector in systems:
        if has_refine:
            settings = [(p, s) for p, s in spec["settings"] if s > 0]
        else:
            settings = [(p, 0) for p in sorted({p for p, _ in spec["settings"]})]
        for nprobe, shortlist in settings:
            ivfpq.nprobe = nprobe  # the refined indexes wrap this same IndexIVFPQ
            if has_refine:
                index.k_factor = max(1.0, shortlist / 100)
            latencies = []
            found = np.zeros((xq.shape[0], 100), dtype=np.int64)
            for _ in range(2):  # warm-up pass, then the measured one
                latencies = []
                for i in range(xq.shape[0]):
                    t = time.perf_counter()
                    _, ids = index.search(xq[i : i + 1], 100)
                    latencies.append(time.perf_counter() - t)
                    found[i] = ids[0]
            lat = np.array(latencies) * 1000
            print(json.dumps({
                "system": name,
                "dataset": spec["dataset"],
                "n": n,
                "dims": d,
                "nlist": nlist,
                "m": m,
                "nprobe": nprobe,
                "shortlist": shortlist if has_refine else 0,
                "recall_at_10": recall(found, truth, 10),
                "recall_at_100": recall(found, truth, 100),
                "qps": len(latencies) / (lat.sum() / 1000),
                "p50_ms": float(np.percentile(lat, 50)),
                "p99_ms": float(np.percentile(lat, 99)),
                "bytes_per_vector": per_vector + centroid_bytes / n,
                "build_s": build_s,
            }), flush=True)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        run(json.load(f))
