"""Answer candidates: the sentences that could answer a question, each scored by the answer ranker.

Candidates are the sentences of the retrieved passages, the corpus's best-matching sentences, and
the sentences just before and after the best passage in its article (an answer often sits across a
passage boundary). Each is described by ``rag.answer_features`` and scored by ``rag.answer_ranker``
(the weights file says where its weights come from).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answer_features import CandidateEvidence, SentenceFacts
from rag.answer_ranker import AnswerRanker
from rag.arabic import Language, has_letters
from rag.attribution import SPEAKER_BONUS_IN_MARGINS, STATEMENT_REACH, AskedSpeaker
from rag.footnotes import trim_footnote_marks, without_footnote_marks
from rag.question_types import numbers, question_type
from rag.retrieval import Hit
from rag.term_matching import WeightedTerms, matched_share
from rag.vectorstore import VectorStore

#: Besides the sentences of the retrieved passages, the best sentences of the whole corpus compete.
GLOBAL_SENTENCES = 10
#: A candidate shorter than this many characters is not an answer on its own.
MIN_SENTENCE_CHARS = 25
#: Sentences whose quoted text is kept (the candidates of the last few hundred questions).
QUOTED_CACHE = 8192


@dataclass(slots=True)  # not frozen: one is made for every candidate of every question (3x faster)
class Candidate:
    """A sentence (clipped to the passage that cites it) that could answer the question; ``score``
    is the ranker's, comparable between the candidates of one question."""

    chunk_position: int
    sentence: int
    start: int
    end: int
    score: float
    passage_score: float


@dataclass(frozen=True)
class QuotedSentence:
    """A sentence as one passage quotes it: its span in the article (clipped to the passage, footnote
    marks at its ends left out), its text and what that holds; the same whatever the question."""

    start: int
    end: int
    text: str
    #: It holds a letter, and is not a short fragment of a sentence the passage cuts.
    quotable: bool
    facts: SentenceFacts


@dataclass(slots=True)
class ScoredSentence:
    """A candidate before the ranker has scored it: where it is and what is known about it."""

    chunk_position: int
    sentence: int
    start: int
    end: int
    passage_score: float
    evidence: CandidateEvidence

    @property
    def features(self) -> np.ndarray:
        return self.evidence.vector()


@dataclass(frozen=True)
class SentenceMap:
    """Which passages overlap each sentence, and which sentences each passage holds."""

    chunks_of_sentence: list[list[int]]
    sentences_of_chunk: list[list[int]]
    #: The article of each sentence (sentences are stored in article order).
    doc_of_sentence: list[str]
    corpus_language: Language

    def is_first(self, sentence: int) -> bool:
        """Whether the sentence opens its article."""
        return sentence == 0 or self.doc_of_sentence[sentence - 1] != self.doc_of_sentence[sentence]

    def neighbours(self, chunk_position: int) -> list[int]:
        """The sentences of the same article just before and just after a passage's sentences."""
        held = self.sentences_of_chunk[chunk_position]
        if not held:
            return []
        doc = self.doc_of_sentence[held[0]]
        around = (min(held) - 1, max(held) + 1)
        return [s for s in around if 0 <= s < len(self.doc_of_sentence) and self.doc_of_sentence[s] == doc]

    def near(self, chunk_position: int, reach: int) -> range:
        """The sentences of a passage's article from ``reach`` before its first to ``reach`` after its
        last (an article's sentences are stored together)."""
        held = self.sentences_of_chunk[chunk_position]
        if not held:
            return range(0)
        doc = self.doc_of_sentence[held[0]]
        first, last = max(0, min(held) - reach), min(len(self.doc_of_sentence) - 1, max(held) + reach)
        while self.doc_of_sentence[first] != doc:
            first += 1
        while self.doc_of_sentence[last] != doc:
            last -= 1
        return range(first, last + 1)

    @classmethod
    def build(cls, store: VectorStore, corpus_language: Language) -> SentenceMap:
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
        doc_of_sentence = [sentence.doc_id for sentence in store.sentences]
        return cls(chunks_of_sentence, sentences_of_chunk, doc_of_sentence, corpus_language)


@dataclass
class CandidateScorer:
    store: VectorStore
    sentence_map: SentenceMap
    ranker: AnswerRanker

    def __post_init__(self) -> None:
        # Related questions meet the same candidates again: each is quoted and read once.
        self.quoted = lru_cache(maxsize=QUOTED_CACHE)(self._quote)

    def candidates(
        self,
        question: str,
        language: Language,
        hits: list[Hit],
        query_vector: np.ndarray,
        sentence_scores: np.ndarray,
        terms: WeightedTerms,
        speaker: AskedSpeaker | None = None,
    ) -> list[Candidate]:
        """The candidates, best first, scored by the ranker for questions in ``language``; for a question
        asking what ``speaker`` said, with ``speaker``'s statements near the passages, each scoring
        ``SPEAKER_BONUS_IN_MARGINS`` second-sentence margins more (``rag.attribution``)."""
        found = self.evidence(question, hits, query_vector, sentence_scores, terms, speaker)
        if not found:
            return []
        features = np.array([f.evidence.values() for f in found], dtype=np.float64)
        kind = self.ranker_language(language)
        scores = self.ranker.scores(features, kind)
        if speaker is not None:
            bonus = SPEAKER_BONUS_IN_MARGINS * self.ranker.second_sentence_margin(kind)
            scores = scores + bonus * np.array([speaker.speaks(self.sentence_text(f.sentence)) for f in found])
        candidates = [
            Candidate(f.chunk_position, f.sentence, f.start, f.end, float(score), f.passage_score)
            for f, score in zip(found, scores, strict=True)
        ]
        candidates.sort(key=lambda c: (-c.score, c.sentence))
        return candidates

    def ranker_language(self, language: Language) -> str:
        """The ranker model for a question: ``same`` (the articles' language) or ``cross``."""
        return "same" if language == self.corpus_language else "cross"

    @property
    def corpus_language(self) -> Language:
        return self.sentence_map.corpus_language

    def evidence(
        self,
        question: str,
        hits: list[Hit],
        query_vector: np.ndarray,
        sentence_scores: np.ndarray,
        terms: WeightedTerms,
        speaker: AskedSpeaker | None = None,
    ) -> list[ScoredSentence]:
        """Every candidate sentence with its features (``rag.answer_features``); ``sentence_scores``
        as ``VectorStore.sentence_scores(query_vector)`` gives them. ``speaker``: as ``candidates``."""
        if not hits:
            return []
        pool = self._pool(hits, sentence_scores, speaker)
        chunks_of = self.sentence_map.chunks_of_sentence
        rank = {h.position: r for r, h in enumerate(hits)}
        lexical = sorted((h for h in hits if h.lexical_score > 0), key=lambda h: -h.lexical_score)
        lexical_rank = {h.position: r for r, h in enumerate(lexical)}
        needed = {c for s in pool for c in chunks_of[s]}
        chunk_scores = {h.position: h.dense_score for h in hits}
        chunk_scores.update(self.store.chunk_scores(query_vector, sorted(needed - chunk_scores.keys())))
        best_passage = max(h.dense_score for h in hits)
        best_sentence = float(max(sentence_scores[s] for s in pool))
        in_best = set(self.sentence_map.sentences_of_chunk[hits[0].position])
        kind, question_numbers = question_type(question), numbers(question)
        found = []
        for sentence, neighbour_only in pool.items():
            chunk = self._citing_chunk(sentence, chunk_scores, rank.keys())
            quoted = self.quoted(sentence, chunk)
            if not quoted.quotable:
                continue
            ranks = [rank[c] for c in chunks_of[sentence] if c in rank]
            lexical_ranks = [lexical_rank[c] for c in chunks_of[sentence] if c in lexical_rank]
            evidence = CandidateEvidence(
                sentence_cosine=float(sentence_scores[sentence]),
                best_sentence_cosine=best_sentence,
                passage_cosine=max(chunk_scores[c] for c in chunks_of[sentence]),
                best_passage_cosine=best_passage,
                passage_rank=min(ranks) if ranks else None,
                lexical_rank=min(lexical_ranks) if lexical_ranks else None,
                in_best_passage=sentence in in_best,
                term_share=matched_share(terms, quoted.text) if terms else 0.0,
                question_kind=kind,
                facts=quoted.facts,
                question_numbers=question_numbers,
                first_in_article=self.sentence_map.is_first(sentence),
                neighbour_only=neighbour_only,
            )
            found.append(ScoredSentence(chunk, sentence, quoted.start, quoted.end, chunk_scores[chunk], evidence))
        return found

    def _pool(self, hits: list[Hit], sentence_scores: np.ndarray, speaker: AskedSpeaker | None) -> dict[int, bool]:
        """Candidate sentences, each marked True when only its place beside the best passage brings it;
        with the asked ``speaker``'s statements near the passages."""
        pool = dict.fromkeys((s for h in hits for s in self.sentence_map.sentences_of_chunk[h.position]), False)
        best = min(GLOBAL_SENTENCES, len(sentence_scores))
        if best:  # the top sentences in any order: a partial sort, not a full one per question
            pool.update(dict.fromkeys((int(i) for i in np.argpartition(-sentence_scores, best - 1)[:best]), False))
        for neighbour in self.sentence_map.neighbours(hits[0].position):
            pool.setdefault(neighbour, True)
        if speaker is not None:
            for sentence in sorted({s for h in hits for s in self.sentence_map.near(h.position, STATEMENT_REACH)}):
                if sentence not in pool and speaker.speaks(self.sentence_text(sentence)):
                    pool[sentence] = False
        return pool

    def _citing_chunk(self, sentence: int, chunk_scores: dict[int, float], hit_chunks: Collection[int]) -> int:
        """The passage to cite for a sentence: one holding all of it, retrieved and best scored first."""
        chunks = self.sentence_map.chunks_of_sentence[sentence]
        if len(chunks) == 1:  # most sentences: no choice to make
            return chunks[0]

        def preference(chunk: int) -> tuple:
            start, end = self.clip(sentence, chunk)
            return (end - start, chunk in hit_chunks, chunk_scores[chunk])

        return max(chunks, key=preference)

    def _quote(self, sentence: int, chunk_position: int) -> QuotedSentence:
        """The sentence as the passage at ``chunk_position`` quotes it (``quoted`` remembers it)."""
        doc_id = self.store.chunks[chunk_position].doc_id
        start, end = trim_footnote_marks(self.store.articles[doc_id].text, *self.clip(sentence, chunk_position))
        text = self.store.text(doc_id, start, end)
        span = self.store.sentences[sentence]
        quotable = has_letters(without_footnote_marks(text)) and len(text) >= min(
            MIN_SENTENCE_CHARS, span.end - span.start
        )
        return QuotedSentence(start, end, text, quotable, SentenceFacts.of(text))

    def sentence_text(self, sentence: int) -> str:
        """A sentence's whole text."""
        span = self.store.sentences[sentence]
        return self.store.text(span.doc_id, span.start, span.end)

    def clip(self, sentence: int, chunk_position: int) -> tuple[int, int]:
        """The part of a sentence inside a passage, in article offsets."""
        span, chunk = self.store.sentences[sentence], self.store.chunks[chunk_position]
        return max(span.start, chunk.start), min(span.end, chunk.end)
