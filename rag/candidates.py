"""Answer candidates: the sentences that could answer a question, each scored.

Candidates are the sentences of the retrieved passages plus the corpus's best-matching sentences.
A sentence's score is its cosine to the question, plus ``PASSAGE_WEIGHT`` times the best cosine of a
passage holding it, plus ``TERM_WEIGHT`` times the IDF-weighted share of the question's terms that it
contains (``rag.term_matching``). Weights chosen on the XQuAD tuning half (even-numbered articles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.arabic import has_letters
from rag.retrieval import Hit
from rag.term_matching import WeightedTerms, matched_share
from rag.vectorstore import VectorStore

PASSAGE_WEIGHT = 0.5
TERM_WEIGHT = 0.1
#: Besides the sentences of the retrieved passages, the best sentences of the whole corpus compete.
GLOBAL_SENTENCES = 10
#: A candidate shorter than this many characters is not an answer on its own.
MIN_SENTENCE_CHARS = 25


@dataclass(frozen=True)
class Candidate:
    """A sentence (clipped to the passage that cites it) that could answer the question."""

    chunk_position: int
    sentence: int
    start: int
    end: int
    score: float
    passage_score: float


@dataclass(frozen=True)
class SentenceMap:
    """Which passages overlap each sentence, and which sentences each passage holds."""

    chunks_of_sentence: list[list[int]]
    sentences_of_chunk: list[list[int]]

    @classmethod
    def build(cls, store: VectorStore) -> SentenceMap:
        chunks_by_doc: dict[str, list[int]] = {}
        for position, chunk in enumerate(store.chunks):
            chunks_by_doc.setdefault(chunk.doc_id, []).append(position)
        chunks_of_sentence = [
            [
                p
                for p in chunks_by_doc.get(sentence.doc_id, [])
                if store.chunks[p].start < sentence.end and sentence.start < store.chunks[p].end
            ]
            for sentence in store.sentences
        ]
        sentences_of_chunk: list[list[int]] = [[] for _ in store.chunks]
        for sentence, chunks in enumerate(chunks_of_sentence):
            for chunk in chunks:
                sentences_of_chunk[chunk].append(sentence)
        return cls(chunks_of_sentence, sentences_of_chunk)


@dataclass
class CandidateScorer:
    store: VectorStore
    sentence_map: SentenceMap

    def candidates(self, hits: list[Hit], query_vector: np.ndarray, terms: WeightedTerms) -> list[Candidate]:
        """Sentences of the retrieved passages and the corpus's best sentences, scored and sorted."""
        sentence_scores = self.store.sentence_vectors @ query_vector
        hit_chunks = {h.position for h in hits}
        pool = {s for p in hit_chunks for s in self.sentence_map.sentences_of_chunk[p]}
        best = min(GLOBAL_SENTENCES, len(sentence_scores))
        if best:  # the top sentences in any order: a partial sort, not a full one per question
            pool.update(int(i) for i in np.argpartition(-sentence_scores, best - 1)[:best])
        chunks_of = self.sentence_map.chunks_of_sentence
        needed = {c for s in pool for c in chunks_of[s]}
        chunk_scores = {h.position: h.dense_score for h in hits}
        chunk_scores.update(self.store.chunk_scores(query_vector, sorted(needed - chunk_scores.keys())))
        found = []
        for sentence in pool:
            chunk = self._citing_chunk(sentence, chunk_scores, hit_chunks)
            start, end = self.clip(sentence, chunk)
            text = self.store.text(self.store.chunks[chunk].doc_id, start, end)
            if not has_letters(text) or len(text) < min(MIN_SENTENCE_CHARS, self._length(sentence)):
                continue  # letterless, or a short fragment of a sentence the passage cuts
            score = float(sentence_scores[sentence])
            score += PASSAGE_WEIGHT * max(chunk_scores[c] for c in chunks_of[sentence])
            if terms:
                score += TERM_WEIGHT * matched_share(terms, text)
            found.append(Candidate(chunk, sentence, start, end, score, chunk_scores[chunk]))
        found.sort(key=lambda c: (-c.score, c.sentence))
        return found

    def _citing_chunk(self, sentence: int, chunk_scores: dict[int, float], hit_chunks: set[int]) -> int:
        """The passage to cite for a sentence: one holding all of it, retrieved and best scored first."""

        def preference(chunk: int) -> tuple:
            start, end = self.clip(sentence, chunk)
            return (end - start, chunk in hit_chunks, chunk_scores[chunk])

        return max(self.sentence_map.chunks_of_sentence[sentence], key=preference)

    def _length(self, sentence: int) -> int:
        span = self.store.sentences[sentence]
        return span.end - span.start

    def clip(self, sentence: int, chunk_position: int) -> tuple[int, int]:
        """The part of a sentence inside a passage, in article offsets."""
        span, chunk = self.store.sentences[sentence], self.store.chunks[chunk_position]
        return max(span.start, chunk.start), min(span.end, chunk.end)
