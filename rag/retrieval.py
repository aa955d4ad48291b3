"""Hybrid retrieval: dense (FAISS) and lexical rankings fused by reciprocal rank.

The dense ranking orders the nearest passages by their own cosine mixed with their best sentence's
(``Settings.passage_sentence_weight``): a passage whose one sentence answers the question outranks
one that is only about the same topic. The question's terms (``rag.term_matching``: its own words,
or for English questions over Arabic articles their dictionary translations and the names they
spell, ``rag.names``) add ``Settings.term_weight`` (``term_weight_cross`` for translated terms)
times the IDF-weighted share a passage holds, re-ordering the best ``Settings.term_rerank_depth``
passages only: the set of best passages, on which abstention is judged, stays the cosine's.
Both weights were chosen on the XQuAD tuning half (benchmarks/results/quality.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Literal

import numpy as np

from rag.arabic import Language, detect_language
from rag.chunking import Chunk
from rag.embedding import Embedder
from rag.term_matching import QuestionTermFinder, QuestionTerms, matched_share
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
    #: The sentences of each passage (``rag.candidates.SentenceMap.sentences_of_chunk``).
    sentences_of_chunk: list[list[int]]
    terms: QuestionTermFinder | None = None
    fusion_depth: int = 50
    rrf_k: int = 60
    passage_sentence_weight: float = 0.5
    term_weight: float = 0.02
    term_weight_cross: float = 0.05
    term_rerank_depth: int = 5

    def retrieve(
        self,
        question: str,
        language: Language,
        k: int,
        query_vector: np.ndarray | None,
        mode: Mode = "hybrid",
        terms: QuestionTerms | None = None,
        sentence_scores: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``question`` (in ``language``), by the question's vector
        (``None`` only for the lexical mode), its cosine to every sentence (``VectorStore.sentence_scores``)
        and its terms (both found here when not given).

        Lexical matching only joins the fusion when the question is in the corpus's language:
        an English question shares no character n-grams with Arabic passages.
        """
        depth = max(k, self.fusion_depth)
        fused: dict[int, float] = {}
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if mode != "lexical":
            scores, positions = self.store.search(query_vector[None, :], depth)
            dense = {p: s for s, p in zip(scores[0].tolist(), positions[0].tolist(), strict=True) if p >= 0}
            if sentence_scores is None:
                sentence_scores = self.store.sentence_scores(query_vector)
            ranking = self._dense_ranking(dense, sentence_scores, terms or self._terms(question, language))
            _add_ranks(fused, ranking, self.rrf_k)
        if mode == "lexical" or (mode == "hybrid" and language == self.corpus_language):
            scores, positions = self.store.lexical.search(question, depth)
            lexical = dict(zip(positions.tolist(), scores.tolist(), strict=True))
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

    def _dense_ranking(self, dense: dict[int, float], sentence_scores: np.ndarray, terms: QuestionTerms) -> list[int]:
        """The nearest passages ordered by their cosine mixed with their best sentence's; the first
        ``term_rerank_depth`` of them re-ordered with the weighted share of the question's terms they hold."""
        positions = list(dense)
        groups = [self.sentences_of_chunk[p] for p in positions]
        flat = [s for group in groups for s in group]
        passage = np.fromiter(dense.values(), dtype=np.float64, count=len(dense))
        best = passage.copy()  # a passage without sentences is its own best
        if flat:
            sizes = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
            held = sizes > 0
            best[held] = np.maximum.reduceat(sentence_scores[flat], (sizes.cumsum() - sizes)[held])
        weight = self.passage_sentence_weight
        ranking = dict(zip(positions, ((1 - weight) * passage + weight * best).tolist(), strict=True))
        ordered = sorted(ranking, key=lambda p: (-ranking[p], p))
        if not terms.weighted:
            return ordered
        term_weight = self.term_weight if terms.source == "own" else self.term_weight_cross
        head = ordered[: self.term_rerank_depth]
        for position in head:
            ranking[position] += term_weight * matched_share(terms.weighted, self.store.chunks[position].text)
        return sorted(head, key=lambda p: (-ranking[p], p)) + ordered[len(head) :]

    def _terms(self, question: str, language: Language) -> QuestionTerms:
        return self.terms.find(question, language) if self.terms is not None else QuestionTerms([], "none")


def _add_ranks(fused: dict[int, float], ranking: list[int], rrf_k: int) -> None:
    for rank, position in enumerate(ranking):
        fused[position] = fused.get(position, 0.0) + 1.0 / (rrf_k + rank + 1)
