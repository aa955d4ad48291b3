"""Scale: exact (flat) against approximate (HNSW, IVF) FAISS search on synthetic corpora.

Run: ``.venv/bin/python -m benchmarks.scale [--sizes 10000,100000,1000000]``
(writes ``benchmarks/results/scale.json``). Corpora are random unit vectors of dimension 384, the
worst case for approximate search (no cluster structure). Two query sets: ``random`` (random unit
vectors) and ``near`` (a corpus vector plus noise, cosine about 0.8 to it, like a question close to
one passage). Latency is one query at a time, as the engine searches, with FAISS on 1 and 2 threads.
"""

from __future__ import annotations

import argparse
import gc
import math
import time

import faiss
import numpy as np

from benchmarks.common import log, read_result, summarize_ms, write_result
from rag.config import Settings
from rag.vectorstore import HNSW_EF_SEARCH, HNSW_NEIGHBOURS, make_index

DIMENSION = 384
SIZES = (10_000, 100_000, 1_000_000)
LATENCY_QUERIES = 100
RECALL_QUERIES = 200
K = 10
#: If the engine's own HNSW build of the largest corpus is predicted to take longer, build it smaller.
HNSW_BUILD_BUDGET_SECONDS = 360.0
REDUCED_HNSW_NEIGHBOURS = 16
NEAR_NOISE = 0.75
IVF_NPROBE = 32
THREADS = (1, 2)
#: Exact search may cost at most this share of the query-embedding floor before HNSW pays off.
EXACT_SEARCH_BUDGET = 0.25
MIN_HNSW_RECALL = 0.95


def unit_vectors(rng: np.random.Generator, count: int, dimension: int = DIMENSION) -> np.ndarray:
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def near_queries(rng: np.random.Generator, corpus: np.ndarray, count: int, noise: float) -> np.ndarray:
    """Corpus vectors plus Gaussian noise of norm about ``noise``, renormalized."""
    picked = corpus[rng.choice(len(corpus), count, replace=False)]
    return _normalized(picked + unit_vectors(rng, count, corpus.shape[1]) * noise)


def _normalized(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true ``k`` nearest neighbours that the approximate search returned."""
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def single_query_latency(index: faiss.Index, queries: np.ndarray, threads: int) -> dict[str, float]:
    faiss.omp_set_num_threads(threads)
    for query in queries[:5]:
        index.search(query[None, :], K)
    seconds = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], K)
        seconds.append(time.perf_counter() - started)
    faiss.omp_set_num_threads(max(THREADS))
    return summarize_ms(seconds)


def build_ivf(vectors: np.ndarray, rng: np.random.Generator) -> faiss.Index:
    lists = int(math.sqrt(len(vectors)))
    quantizer = faiss.IndexFlatIP(vectors.shape[1])
    index = faiss.IndexIVFFlat(quantizer, vectors.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[rng.choice(len(vectors), min(len(vectors), 40 * lists), replace=False)]
    index.train(sample)
    index.add(vectors)
    index.nprobe = IVF_NPROBE
    return index


def build_hnsw(vectors: np.ndarray, neighbours: int) -> faiss.Index:
    """The engine's HNSW (``make_index``) or, when ``neighbours`` is smaller, the same with fewer links."""
    if neighbours == HNSW_NEIGHBOURS:
        return make_index(vectors, "hnsw")
    index = faiss.IndexHNSWFlat(vectors.shape[1], neighbours, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def measure_index(
    name: str, build: callable, queries: dict[str, np.ndarray], truth: dict[str, np.ndarray]
) -> tuple[dict, faiss.Index]:
    gc.collect()
    started = time.perf_counter()
    index = build()
    build_seconds = time.perf_counter() - started
    result: dict[str, object] = {"build_seconds": round(build_seconds, 2), "memory_mib": index_mib(index)}
    result["latency"] = {
        f"{threads}_threads": single_query_latency(index, queries["random"][:LATENCY_QUERIES], threads)
        for threads in THREADS
    }
    if truth:
        result["recall@10"] = {
            kind: round(recall_at_k(index.search(q, K)[1], truth[kind]), 4) for kind, q in queries.items()
        }
    log(f"  {name}: {result}")
    return result, index


def index_mib(index: faiss.Index) -> float:
    """Size of the index serialized, which is what it holds in memory (vectors plus graph or lists)."""
    return round(faiss.serialize_index(index).nbytes / 2**20, 1)


def predicted_build_seconds(measured: dict[int, float], size: int) -> float:
    """Extrapolate HNSW build time as ``n log n`` from the largest measured corpus."""
    largest = max(measured)
    return measured[largest] * (size * math.log(size)) / (largest * math.log(largest))


def run_size(size: int, rng: np.random.Generator, hnsw_seconds: dict[int, float]) -> dict:
    log(f"corpus of {size:,} vectors")
    corpus = unit_vectors(rng, size)
    queries = {
        "random": unit_vectors(rng, RECALL_QUERIES),
        "near": near_queries(rng, corpus, RECALL_QUERIES, NEAR_NOISE),
    }
    result: dict[str, object] = {"size": size, "vectors_mib": round(corpus.nbytes / 2**20, 1)}
    flat_result, flat = measure_index("flat", lambda: make_index(corpus, "flat"), queries, {})
    truth = {kind: flat.search(q, K)[1] for kind, q in queries.items()}
    result["near_query_cosine_to_source"] = round(float(np.median(flat.search(queries["near"], 1)[0])), 3)
    result["flat"] = flat_result
    del flat
    neighbours = HNSW_NEIGHBOURS
    if hnsw_seconds and predicted_build_seconds(hnsw_seconds, size) > HNSW_BUILD_BUDGET_SECONDS:
        neighbours = REDUCED_HNSW_NEIGHBOURS
        log(f"  predicted HNSW M={HNSW_NEIGHBOURS} build over budget; using M={neighbours}")
    hnsw_result, hnsw = measure_index("hnsw", lambda: build_hnsw(corpus, neighbours), queries, truth)
    del hnsw
    hnsw_result["neighbours_M"] = neighbours
    hnsw_result["ef_construction"] = 40
    hnsw_result["ef_search"] = HNSW_EF_SEARCH
    if neighbours == HNSW_NEIGHBOURS:
        hnsw_seconds[size] = hnsw_result["build_seconds"]
    result["hnsw"] = hnsw_result
    ivf_result, ivf = measure_index("ivf", lambda: build_ivf(corpus, rng), queries, truth)
    del ivf
    ivf_result["lists"] = int(math.sqrt(size))
    ivf_result["nprobe"] = IVF_NPROBE
    result["ivf"] = ivf_result
    return result


def floor_ms() -> float | None:
    """The query-embedding floor p50 from the last speed run, if any."""
    speed = read_result("speed")
    try:
        return float(speed["warm_queries"]["timings"]["floor"]["p50_ms"])
    except (TypeError, KeyError):
        return None


def recommend_switch(points: list[dict], floor: float | None, threads: int) -> dict:
    """The chunk count past which exact search costs more than ``EXACT_SEARCH_BUDGET`` of the floor.

    Exact search time is linear in the chunk count: fit ``ms = a + b * n`` through the measured
    sizes and solve for the budget. HNSW is only recommended where its recall held up.
    """
    sizes = np.array([p["size"] for p in points], dtype=float)
    flat_ms = np.array([p["flat"]["latency"][f"{threads}_threads"]["p50_ms"] for p in points])
    slope, intercept = np.polyfit(sizes, flat_ms, 1)
    budget = EXACT_SEARCH_BUDGET * (floor if floor else 15.0)
    switch = int(max(0.0, (budget - intercept) / slope))
    recall_ok = [p["size"] for p in points if p["hnsw"]["recall@10"]["near"] >= MIN_HNSW_RECALL]
    return {
        "faiss_threads": threads,
        "flat_ms_per_100k": round(slope * 1e5, 3),
        "budget_ms": round(budget, 3),
        "floor_ms": floor,
        "switch_at_chunks": int(round(switch, -4)) if switch >= 10_000 else switch,
        "hnsw_recall_ok_at_sizes": recall_ok,
        "rule": f"exact search p50 > {EXACT_SEARCH_BUDGET:.0%} of the query-embedding floor p50 "
        f"(HNSW recall@10 on near queries >= {MIN_HNSW_RECALL})",
    }


def run(sizes: tuple[int, ...]) -> dict:
    started = time.perf_counter()
    rng = np.random.default_rng(20261125)
    hnsw_seconds: dict[int, float] = {}
    points = [run_size(size, rng, hnsw_seconds) for size in sizes]
    floor = floor_ms()
    return {
        "dimension": DIMENSION,
        "k": K,
        "current_hnsw_threshold": Settings.hnsw_threshold,
        "points": points,
        "recommendation": {f"{t}_threads": recommend_switch(points, floor, t) for t in THREADS},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated corpus sizes")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    path = write_result("scale", run(sizes))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
