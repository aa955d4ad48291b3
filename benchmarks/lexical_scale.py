"""Scale of the lexical ranker: TF-IDF search time as the corpus grows.

Run: ``.venv/bin/python -m benchmarks.lexical_scale`` (writes ``benchmarks/results/lexical_scale.json``;
needs the XQuAD index that ``benchmarks.quality`` builds). The engine's ``LexicalIndex`` (character
2–5-gram TF-IDF over every chunk) is built over the XQuAD chunks repeated 1, 5, 20 and 40 times; the
search multiplies the whole sparse matrix by the question, so its cost follows the number of chunks.
Repeating real chunks keeps the n-gram statistics of real Arabic text. Each size is also searched
by ``ColumnSearch``, the same scores computed from the question's n-gram columns only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import WORK_DIR, log, summarize_ms, timed, write_result
from benchmarks.corpus import asked, load_default_xquad
from rag.lexical import LexicalIndex
from rag.vectorstore import load_store

REPEATS = (1, 5, 20, 40)
QUESTIONS = 40
DEPTH = 50


def sparse_bytes(matrix: object) -> int:
    return matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes


def search_latency(search: Callable[[str, int], object], questions: list[str]) -> dict[str, float]:
    for question in questions[:3]:
        search(question, DEPTH)
    return summarize_ms([timed(lambda q=question: search(q, DEPTH))[0] for question in questions])


@dataclass
class ColumnSearch:
    """The same TF-IDF scores computed from the question's n-gram columns only (CSC matrix): an
    alternative the engine could adopt; its top results are checked against the engine's."""

    index: LexicalIndex
    columns: object  # scipy.sparse CSC copy of the matrix

    @classmethod
    def of(cls, index: LexicalIndex) -> ColumnSearch:
        return cls(index, index.matrix.to_scipy())

    def search(self, query: str, k: int) -> np.ndarray:
        columns, weights = self.index.question_vector(query)
        if len(columns) == 0:
            return np.zeros(0, np.int64)
        scores = np.asarray(self.columns[:, columns] @ weights).ravel()
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top], kind="stable")]


def top_overlap(index: LexicalIndex, column: ColumnSearch, questions: list[str], k: int = 10) -> float:
    return float(np.mean([len(set(index.search(q, k)[1]) & set(column.search(q, k))) / k for q in questions]))


def run() -> dict:
    started = time.perf_counter()
    chunks = [c.text for c in load_store(WORK_DIR / "xquad_store").chunks]
    data = load_default_xquad()
    step = len(data.questions) // QUESTIONS
    questions = [asked(q, "ar") for q in data.questions[::step][:QUESTIONS]]
    points = []
    for repeat in REPEATS:
        build_seconds, index = timed(lambda r=repeat: LexicalIndex.build(chunks * r))
        point = {
            "chunks": len(chunks) * repeat,
            "build_seconds": round(build_seconds, 2),
            "matrix_mib": round(sparse_bytes(index.matrix) / 2**20, 1),
            "search": search_latency(index.search, questions),
        }
        column = ColumnSearch.of(index)
        point["column_search"] = search_latency(column.search, questions)
        point["column_search_top10_overlap"] = round(top_overlap(index, column, questions), 4)
        points.append(point)
        log(f"lexical {point}")
        del index, column
    sizes = np.array([p["chunks"] for p in points], dtype=float)
    slope, intercept = np.polyfit(sizes, [p["search"]["p50_ms"] for p in points], 1)
    return {
        "ranker": "rag.lexical.LexicalIndex (char_wb 2-5-gram TF-IDF), Arabic questions",
        "points": points,
        "search_ms_per_10k_chunks": round(slope * 1e4, 2),
        "intercept_ms": round(float(intercept), 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("lexical_scale", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
