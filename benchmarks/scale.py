"""Scale: exact (flat) against approximate (HNSW, IVF) FAISS search on synthetic corpora.

Run: ``.venv/bin/python -m benchmarks.scale [--sizes 10000,100000,1000000]``
(writes ``benchmarks/results/scale.json``). Two kinds of synthetic corpora of dimension 384:

- ``uniform``: random unit vectors, the worst case for approximate search (no structure at all);
- ``e5_like``: samples of a Gaussian fitted to the real passage and sentence vectors of the XQuAD index
  (same mean and covariance, so the same anisotropy: mean pairwise cosine about 0.79), normalized.

Two query sets each: ``random`` (fresh samples of the same distribution) and ``near`` (a corpus vector
plus 0.75 times a fresh sample's deviation from the mean, like a question close to one passage).
Latency is one query at a time, as the engine searches, with FAISS on 1 and 2 threads.
"""

from __future__ import annotations

import argparse
import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from benchmarks.common import WORK_DIR, log, read_result, summarize_ms, write_result
from rag import IndexCorruptError
from rag.config import Settings
from rag.vector_backends import HNSW_NEIGHBOURS, make_index, set_search_depth
from rag.vectorstore import load_store

DIMENSION = 384
SIZES = (10_000, 100_000, 1_000_000)
KINDS = ("e5_like", "uniform")
LATENCY_QUERIES = 100
RECALL_QUERIES = 200
K = 10
#: An HNSW build still running after this long is stopped and reported as such (bounds the run).
HNSW_BUILD_BUDGET_SECONDS = 420.0
HNSW_ADD_BATCH = 50_000
NEAR_NOISE = 0.75
IVF_NPROBE = 32
THREADS = (1, 2)
#: HNSW search depths tried on each built HNSW index (beside the engine's own choice).
EF_SEARCH_SWEEP = (64, 128, 256, 512, 1024)
#: Exact search may cost at most this share of the query-embedding floor before HNSW pays off.
EXACT_SEARCH_BUDGET = 0.25
MIN_HNSW_RECALL = 0.95


def unit_vectors(rng: np.random.Generator, count: int, dimension: int = DIMENSION) -> np.ndarray:
    vectors = rng.standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@dataclass(frozen=True)
class GaussianSampler:
    """Normalized samples of a Gaussian with the mean and covariance of some real vectors."""

    mean: np.ndarray
    factor: np.ndarray  # Cholesky factor of the covariance

    @classmethod
    def fit(cls, vectors: np.ndarray) -> GaussianSampler:
        mean = vectors.mean(axis=0)
        covariance = np.cov(vectors - mean, rowvar=False) + 1e-6 * np.eye(vectors.shape[1])
        return cls(mean.astype(np.float32), np.linalg.cholesky(covariance).astype(np.float32))

    def __call__(self, rng: np.random.Generator, count: int) -> np.ndarray:
        parts = []
        for begin in range(0, count, 100_000):
            noise = rng.standard_normal((min(100_000, count - begin), len(self.mean)), dtype=np.float32)
            parts.append(_normalized(self.mean + noise @ self.factor.T))
        return np.vstack(parts)


Sampler = Callable[[np.random.Generator, int], np.ndarray]


def real_vectors(store_dir: Path = WORK_DIR / "xquad_store") -> np.ndarray | None:
    """The passage and sentence vectors of the XQuAD index that ``benchmarks.quality`` built, if any."""
    try:
        store = load_store(store_dir)
    except (OSError, ValueError, IndexCorruptError) as error:
        log(f"no XQuAD index to fit the e5-like corpus on ({error}); measuring uniform vectors only")
        return None
    return np.vstack([store.index.vectors(range(store.index.count())), store.sentence_vectors])


def mean_pairwise_cosine(vectors: np.ndarray, rng: np.random.Generator, pairs: int = 20_000) -> float:
    first, second = rng.integers(0, len(vectors), (2, pairs))
    keep = first != second
    return round(float(np.mean(np.sum(vectors[first[keep]] * vectors[second[keep]], axis=1))), 3)


def near_queries(rng: np.random.Generator, corpus: np.ndarray, sampler: Sampler, count: int) -> np.ndarray:
    """Corpus vectors plus ``NEAR_NOISE`` times a fresh sample's deviation from the corpus mean."""
    picked = corpus[rng.choice(len(corpus), count, replace=False)]
    fresh = sampler(rng, count)
    return _normalized(picked + NEAR_NOISE * (fresh - corpus.mean(axis=0)))


def _normalized(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true ``k`` nearest neighbours that the approximate search returned."""
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def top1_found(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of queries whose exact nearest neighbour is among the approximate results."""
    return float(np.mean([t[0] in set(f) for f, t in zip(found, truth, strict=True)]))


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


class BuildTimeout(Exception):
    """An index build was stopped at its time budget."""

    def __init__(self, added: int, seconds: float):
        super().__init__(f"stopped after {seconds:.0f} s with {added:,} vectors added")
        self.added = added
        self.seconds = seconds


def build_hnsw(vectors: np.ndarray, budget_seconds: float = HNSW_BUILD_BUDGET_SECONDS) -> faiss.Index:
    """The engine's HNSW (as ``make_index(vectors, "hnsw")``), added in batches so that a build past
    ``budget_seconds`` can be stopped."""
    index = make_index(vectors[:0], "hnsw")
    started = time.perf_counter()
    for begin in range(0, len(vectors), HNSW_ADD_BATCH):
        if time.perf_counter() - started > budget_seconds:
            raise BuildTimeout(begin, time.perf_counter() - started)
        index.add(np.ascontiguousarray(vectors[begin : begin + HNSW_ADD_BATCH]))
    set_search_depth(index)
    return index


def measure_index(
    name: str, build: Callable[[], faiss.Index], queries: dict[str, np.ndarray], truth: dict[str, np.ndarray]
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
        found = {kind: index.search(q, K)[1] for kind, q in queries.items()}
        result["recall@10"] = {kind: round(recall_at_k(found[kind], truth[kind]), 4) for kind in queries}
        result["top1_found"] = {kind: round(top1_found(found[kind], truth[kind]), 4) for kind in queries}
    log(f"  {name}: {result}")
    return result, index


def ef_search_sweep(index: faiss.Index, queries: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> list[dict]:
    """Recall and single-query latency (1 thread) of an HNSW index at several ``efSearch`` depths."""
    shipped = index.hnsw.efSearch
    sweep = []
    for depth in EF_SEARCH_SWEEP:
        index.hnsw.efSearch = depth
        found = {kind: index.search(q, K)[1] for kind, q in queries.items()}
        sweep.append(
            {
                "ef_search": depth,
                "p50_ms": single_query_latency(index, queries["random"][: LATENCY_QUERIES // 2], 1)["p50_ms"],
                "recall@10": {kind: round(recall_at_k(found[kind], truth[kind]), 4) for kind in queries},
                "top1_found_near": round(top1_found(found["near"], truth["near"]), 4),
            }
        )
    index.hnsw.efSearch = shipped
    log(f"  hnsw efSearch sweep: {sweep}")
    return sweep


def index_mib(index: faiss.Index) -> float:
    """Size of the index serialized, which is what it holds in memory (vectors plus graph or lists)."""
    return round(faiss.serialize_index(index).nbytes / 2**20, 1)


def run_size(kind: str, sampler: Sampler, size: int, rng: np.random.Generator) -> dict:
    log(f"{kind} corpus of {size:,} vectors")
    corpus = sampler(rng, size)
    queries = {"random": sampler(rng, RECALL_QUERIES), "near": near_queries(rng, corpus, sampler, RECALL_QUERIES)}
    result: dict[str, object] = {
        "corpus": kind,
        "size": size,
        "vectors_mib": round(corpus.nbytes / 2**20, 1),
        "mean_pairwise_cosine": mean_pairwise_cosine(corpus, rng),
    }
    flat_result, flat = measure_index("flat", lambda: make_index(corpus, "flat"), queries, {})
    truth = {name: flat.search(q, K)[1] for name, q in queries.items()}
    near_scores = flat.search(queries["near"], 2)[0]
    result["near_query_top2_cosines"] = [round(float(v), 3) for v in np.median(near_scores, axis=0)]
    result["flat"] = flat_result
    del flat
    try:
        hnsw_result, hnsw = measure_index("hnsw", lambda: build_hnsw(corpus), queries, truth)
        hnsw_result.update(
            neighbours_M=HNSW_NEIGHBOURS, ef_construction=hnsw.hnsw.efConstruction, ef_search=hnsw.hnsw.efSearch
        )
        hnsw_result["ef_search_sweep"] = ef_search_sweep(hnsw, queries, truth)
        del hnsw
    except BuildTimeout as stopped:
        log(f"  hnsw: build {stopped}")
        hnsw_result = {"completed": False, "added": stopped.added, "build_seconds": round(stopped.seconds, 1)}
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

    Exact search time is linear in the chunk count (and does not depend on the vectors): fit
    ``ms = a + b * n`` through the measured sizes and solve for the budget. HNSW recall is taken from
    the most realistic corpus measured (``e5_like`` when there is one).
    """
    sizes = np.array([p["size"] for p in points], dtype=float)
    flat_ms = np.array([p["flat"]["latency"][f"{threads}_threads"]["p50_ms"] for p in points])
    slope, intercept = np.polyfit(sizes, flat_ms, 1)
    budget = EXACT_SEARCH_BUDGET * (floor if floor else 15.0)
    switch = int(max(0.0, (budget - intercept) / slope))
    kinds = {p.get("corpus", "uniform") for p in points}
    realistic = "e5_like" if "e5_like" in kinds else "uniform"
    recall = {
        p["size"]: p["hnsw"]["recall@10"]["near"]
        for p in points
        if p.get("corpus", "uniform") == realistic and "recall@10" in p["hnsw"]
    }
    ef_needed = {
        p["size"]: next(
            (e["ef_search"] for e in p["hnsw"].get("ef_search_sweep", []) if e["recall@10"]["near"] >= MIN_HNSW_RECALL),
            None,
        )
        for p in points
        if p.get("corpus", "uniform") == realistic
    }
    return {
        "faiss_threads": threads,
        "flat_ms_per_100k": round(slope * 1e5, 3),
        "budget_ms": round(budget, 3),
        "floor_ms": floor,
        "switch_at_chunks": int(round(switch, -4)) if switch >= 10_000 else switch,
        "hnsw_recall_corpus": realistic,
        "hnsw_recall@10_near": recall,
        "hnsw_recall_ok_at_sizes": [size for size, value in recall.items() if value >= MIN_HNSW_RECALL],
        f"ef_search_for_recall_{MIN_HNSW_RECALL}": ef_needed,
        "rule": f"exact search p50 > {EXACT_SEARCH_BUDGET:.0%} of the query-embedding floor p50",
    }


def run(sizes: tuple[int, ...], kinds: tuple[str, ...]) -> dict:
    started = time.perf_counter()
    rng = np.random.default_rng(20261125)
    samplers: dict[str, Sampler] = {"uniform": lambda r, n: unit_vectors(r, n)}
    real = real_vectors() if "e5_like" in kinds else None
    facts: dict[str, object] = {}
    if real is not None:
        samplers["e5_like"] = GaussianSampler.fit(real)
        facts = {"fitted_on_vectors": len(real), "real_mean_pairwise_cosine": mean_pairwise_cosine(real, rng)}
    points = []
    for kind in (k for k in kinds if k in samplers):
        points += [run_size(kind, samplers[kind], size, rng) for size in sizes]
    floor = floor_ms()
    return {
        "dimension": DIMENSION,
        "k": K,
        "current_hnsw_threshold": Settings.hnsw_threshold,
        "e5_like": facts,
        "points": points,
        "recommendation": {f"{t}_threads": recommend_switch(points, floor, t) for t in THREADS},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated corpus sizes")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated corpus kinds")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    path = write_result("scale", run(sizes, tuple(args.kinds.split(","))))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
