"""Scale in Milvus beside FAISS: the synthetic corpora of ``benchmarks.scale`` in both, in one run.

Run: ``.venv/bin/python -m benchmarks.scale_milvus [--sizes 10000,100000]`` (writes
``benchmarks/results/scale_milvus.json``; the ``e5_like`` corpus needs the XQuAD index that
``benchmarks.quality`` builds). For each size: FAISS exact search (the truth), the engine's FAISS HNSW,
and the engine's Milvus collections (``FLAT`` and ``HNSW`` M=32, search depth as the engine sets it)
through ``rag.vector_backends``: build seconds (for Milvus: create, insert, flush and load), memory
(growth of this process's resident memory, which holds milvus-lite's server thread too), p50/p95 of
one query at a time for the top 10, recall@10 against exact search.

Milvus here is milvus-lite 3 (pymilvus's local Milvus: a Python gRPC server over FAISS and Arrow
files, in this process). Its build and search times are those of milvus-lite, not of a Milvus
server or cluster (C++ Knowhere indexes, segments searched in parallel): see docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from benchmarks.common import WORK_DIR, log, rss_bytes, summarize_ms, write_result
from benchmarks.scale import GaussianSampler, Sampler, near_queries, real_vectors, recall_at_k, top1_found, unit_vectors
from rag.config import Settings
from rag.vector_backends import FaissIndex, VectorIndex, build_vector_index

SIZES = (10_000, 100_000)
KINDS = ("e5_like",)
K = 10
LATENCY_QUERIES = 50
RECALL_QUERIES = 200
MILVUS_DIR = WORK_DIR / "scale_milvus"


def latency(index: VectorIndex, queries: np.ndarray) -> dict[str, float]:
    for query in queries[:3]:
        index.search(query[None, :], K)
    seconds = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], K)
        seconds.append(time.perf_counter() - started)
    return summarize_ms(seconds)


def measure(
    name: str, build: Callable[[], VectorIndex], queries: dict[str, np.ndarray], truth: dict[str, np.ndarray] | None
) -> tuple[dict, VectorIndex]:
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index = build()
    result: dict[str, object] = {
        "build_seconds": round(time.perf_counter() - started, 2),
        "memory_growth_mib": round((rss_bytes() - before) / 2**20, 1),
        "latency_1_query": latency(index, queries["random"][:LATENCY_QUERIES]),
    }
    if truth is not None:
        found = {kind: index.search(q, K)[1] for kind, q in queries.items()}
        result["recall@10"] = {kind: round(recall_at_k(found[kind], truth[kind]), 4) for kind in queries}
        result["top1_found"] = {kind: round(top1_found(found[kind], truth[kind]), 4) for kind in queries}
    log(f"  {name}: {result}")
    return result, index


def milvus_build(corpus: np.ndarray, kind: str, settings: Settings, store_dir: Path) -> Callable[[], VectorIndex]:
    def build() -> VectorIndex:
        index = build_vector_index(corpus, kind, settings, store_dir)
        index.save(store_dir)  # flush and load: what a build does before it goes live
        return index

    return build


def run_size(
    kind: str, sampler: Sampler, size: int, rng: np.random.Generator, settings: Settings, milvus_dir: Path
) -> dict:
    log(f"{kind} corpus of {size:,} vectors")
    corpus = sampler(rng, size)
    queries = {"random": sampler(rng, RECALL_QUERIES), "near": near_queries(rng, corpus, sampler, RECALL_QUERIES)}
    result: dict[str, object] = {"corpus": kind, "size": size, "vectors_mib": round(corpus.nbytes / 2**20, 1)}
    result["faiss_flat"], flat = measure("faiss flat", lambda: FaissIndex.build(corpus, "flat"), queries, None)
    truth = {name: flat.search(q, K)[1] for name, q in queries.items()}
    del flat
    result["faiss_hnsw"], hnsw = measure("faiss hnsw", lambda: FaissIndex.build(corpus, "hnsw"), queries, truth)
    del hnsw
    store_dir = milvus_dir / f"{kind}_{size}"
    for index_kind in ("flat", "hnsw"):
        build = milvus_build(corpus, index_kind, settings, store_dir)
        result[f"milvus_{index_kind}"], collection = measure(f"milvus {index_kind}", build, queries, truth)
        collection.drop()
        del collection
    return result


def ratios(points: list[dict]) -> list[dict]:
    """Milvus over FAISS, same index kind and size: build time and p50 search."""
    rows = []
    for point in points:
        for index_kind in ("flat", "hnsw"):
            ours, theirs = point[f"milvus_{index_kind}"], point[f"faiss_{index_kind}"]
            rows.append(
                {
                    "corpus": point["corpus"],
                    "size": point["size"],
                    "index": index_kind,
                    "build_ratio": round(ours["build_seconds"] / max(theirs["build_seconds"], 1e-3), 1),
                    "p50_ratio": round(
                        ours["latency_1_query"]["p50_ms"] / max(theirs["latency_1_query"]["p50_ms"], 1e-3), 1
                    ),
                }
            )
    return rows


def run(sizes: tuple[int, ...], kinds: tuple[str, ...]) -> dict:
    started = time.perf_counter()
    faiss.omp_set_num_threads(1)  # as the engine searches
    rng = np.random.default_rng(20261125)
    samplers: dict[str, Sampler] = {"uniform": lambda r, n: unit_vectors(r, n)}
    if "e5_like" in kinds and (real := real_vectors()) is not None:
        samplers["e5_like"] = GaussianSampler.fit(real)
    milvus_dir = MILVUS_DIR / "_".join(kinds)
    shutil.rmtree(milvus_dir, ignore_errors=True)
    settings = Settings().with_changes(vector_backend="milvus", milvus_uri=str(milvus_dir / "scale.db"))
    points = [
        run_size(kind, samplers[kind], size, rng, settings, milvus_dir)
        for kind in kinds
        if kind in samplers
        for size in sizes
    ]
    return {
        "milvus": "milvus-lite (in-process), through rag.vector_backends.MilvusCollection",
        "k": K,
        "points": points,
        "milvus_over_faiss": ratios(points),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated corpus sizes")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated corpus kinds")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    path = write_result("scale_milvus", run(sizes, tuple(args.kinds.split(","))))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
