"""Hybrid retrieval: dense (FAISS) and lexical rankings fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Literal

import numpy as np

from rag.arabic import Language, detect_language
from rag.chunking import Chunk
from rag.embedding import Embedder
from rag.vectorstore import VectorStore

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with the evidence for its rank."""

    chunk: Chunk
    position: int
    fused_score: float
    dense_score: float
    lexical_score: float


def corpus_language(store: VectorStore) -> Language:
    """The articles' language, guessed from the openings of at most 200 of them."""
    return detect_language(" ".join(a.text[:2000] for a in islice(store.articles.values(), 200)))


@dataclass
class Retriever:
    store: VectorStore
    embedder: Embedder
    corpus_language: Language
    fusion_depth: int = 50
    rrf_k: int = 60

    def retrieve(
        self,
        question: str,
        language: Language,
        k: int,
        query_vector: np.ndarray | None,
        mode: Mode = "hybrid",
    ) -> list[Hit]:
        """The ``k`` best passages for ``question`` (in ``language``), by the question's vector
        (``None`` only for the lexical mode).

        Lexical matching only joins the fusion when the question is in the corpus's language:
        an English question shares no character n-grams with Arabic passages.
        """
        depth = max(k, self.fusion_depth)
        fused: dict[int, float] = {}
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if mode != "lexical":
            scores, positions = self.store.search(query_vector[None, :], depth)
            dense = {int(p): float(s) for s, p in zip(scores[0], positions[0], strict=False) if p >= 0}
            _add_ranks(fused, list(dense), self.rrf_k)
        if mode == "lexical" or (mode == "hybrid" and language == self.corpus_language):
            scores, positions = self.store.lexical.search(question, depth)
            lexical = {int(p): float(s) for s, p in zip(scores, positions, strict=False)}
            _add_ranks(fused, list(lexical), self.rrf_k)
        ranked = sorted(fused, key=lambda p: (-fused[p], p))[:k]
        if query_vector is not None:
            missing = [p for p in ranked if p not in dense]
            dense.update(self.store.chunk_scores(query_vector, missing))
        return [
            Hit(
                self.store.chunks[p],
                p,
                fused[p] * self.rrf_k,
                dense.get(p, 0.0),
                lexical.get(p, 0.0),
            )
            for p in ranked
        ]


def _add_ranks(fused: dict[int, float], ranking: list[int], rrf_k: int) -> None:
    for rank, position in enumerate(ranking):
        fused[position] = fused.get(position, 0.0) + 1.0 / (rrf_k + rank + 1)
