"""Extractive answers with exact citations, or an honest abstention.

No language model writes anything: the answer is made of the retrieved passages' best sentences,
each followed by the number of the passage it was taken from. So every citation is exact: the
cited passage contains, character for character, the sentence it is cited for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from rag.language import Language, normalize, words
from rag.messages import message
from rag.retrieval import Hit
from rag.vectorstore import VectorStore

#: Sentences of two different articles this similar say the same thing: cite both.
SAME_CLAIM_SIMILARITY = 0.93
#: Weight of question-word overlap in a sentence's score (same-language questions only).
WORD_OVERLAP_WEIGHT = 0.05
#: A candidate shorter than this many characters is not an answer on its own.
MIN_SENTENCE_CHARS = 25


@dataclass(frozen=True)
class Citation:
    """A cited passage: ``text`` is the passage exactly as indexed, ``start``/``end`` its offsets
    in the article, ``highlights`` the article offsets of the sentences the answer quotes."""

    n: int
    doc_id: str
    title: str
    source: str | None
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    question: str
    language: Language
    answer: str
    abstained: bool
    citations: list[Citation]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A sentence (clipped to its passage) that could answer the question."""

    hit: Hit
    sentence: int
    start: int
    end: int
    score: float


@dataclass
class AnswerComposer:
    store: VectorStore
    corpus_language: Language
    abstain_threshold: float
    max_sentences: int = 2
    max_citations: int = 3
    sentence_keep_ratio: float = 0.97
    _by_doc: dict[str, list[int]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for position, sentence in enumerate(self.store.sentences):
            self._by_doc.setdefault(sentence.doc_id, []).append(position)

    def compose(
        self,
        question: str,
        language: Language,
        hits: list[Hit],
        query_vector: np.ndarray,
    ) -> Answer:
        if not hits or max(h.dense_score for h in hits) < self.abstain_threshold:
            return Answer(question, language, message("abstain", language), True, [])
        candidates = self.candidates(question, language, hits, query_vector)
        chosen = self._choose(candidates)
        if not chosen:
            return Answer(question, language, message("abstain", language), True, [])
        return self._write(question, language, chosen, candidates)

    def candidates(
        self,
        question: str,
        language: Language,
        hits: list[Hit],
        query_vector: np.ndarray,
    ) -> list[Candidate]:
        """Every sentence of the retrieved passages, scored against the question."""
        question_words = {w for w in words(question) if len(w) > 2} if language == self.corpus_language else set()
        found: list[Candidate] = []
        for hit in hits:
            chunk = hit.chunk
            for position in self._by_doc.get(chunk.doc_id, []):
                sentence = self.store.sentences[position]
                start, end = (
                    max(sentence.start, chunk.start),
                    min(sentence.end, chunk.end),
                )
                if end - start < min(MIN_SENTENCE_CHARS, sentence.end - sentence.start) or end <= start:
                    continue
                score = float(self.store.sentence_vectors[position] @ query_vector)
                if question_words:
                    text_words = set(words(self._text(chunk.doc_id, start, end)))
                    score += WORD_OVERLAP_WEIGHT * len(question_words & text_words) / len(question_words)
                found.append(Candidate(hit, position, start, end, score))
        found.sort(key=lambda c: -c.score)
        return found

    def _choose(self, candidates: list[Candidate]) -> list[Candidate]:
        chosen: list[Candidate] = []
        for candidate in candidates:
            if len(chosen) == self.max_sentences:
                break
            if chosen and candidate.score < self.sentence_keep_ratio * chosen[0].score:
                break
            if any(c.sentence == candidate.sentence for c in chosen):
                continue
            chosen.append(candidate)
        return chosen

    def _write(
        self,
        question: str,
        language: Language,
        chosen: list[Candidate],
        candidates: list[Candidate],
    ) -> Answer:
        citations: dict[str, Citation] = {}
        lines = []
        for candidate in chosen:
            supporting = [candidate, *self._same_claim(candidate, candidates)]
            numbers = []
            for support in supporting:
                citation = self._cite(citations, support)
                if citation is not None:
                    numbers.append(citation.n)
            sentence = self._text(candidate.hit.chunk.doc_id, candidate.start, candidate.end)
            markers = "".join(f"[{n}]" for n in sorted(set(numbers)))
            quoted = language != self.corpus_language
            lines.append(f"“{sentence}” {markers}" if quoted else f"{sentence} {markers}")
        lead = message(
            "answer_lead_quoted" if language != self.corpus_language else "answer_lead",
            language,
        )
        answer = lead + "\n" + "\n".join(lines)
        return Answer(
            question,
            language,
            answer,
            False,
            sorted(citations.values(), key=lambda c: c.n),
        )

    def _same_claim(self, candidate: Candidate, candidates: list[Candidate]) -> list[Candidate]:
        """Sentences of other articles that say what ``candidate`` says."""
        vector = self.store.sentence_vectors[candidate.sentence]
        seen_docs = {candidate.hit.chunk.doc_id}
        same = []
        for other in candidates:
            doc = other.hit.chunk.doc_id
            if doc in seen_docs:
                continue
            if float(self.store.sentence_vectors[other.sentence] @ vector) >= SAME_CLAIM_SIMILARITY:
                same.append(other)
                seen_docs.add(doc)
        return same

    def _cite(self, citations: dict[str, Citation], candidate: Candidate) -> Citation | None:
        chunk = candidate.hit.chunk
        span = (candidate.start, candidate.end)
        existing = citations.get(chunk.chunk_id)
        if existing is not None:
            if span not in existing.highlights:
                existing.highlights.append(span)
            return existing
        if len(citations) >= self.max_citations:
            return None
        article = self.store.articles[chunk.doc_id]
        citation = Citation(
            n=len(citations) + 1,
            doc_id=chunk.doc_id,
            title=article.title,
            source=article.source,
            chunk_id=chunk.chunk_id,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            score=round(candidate.hit.dense_score, 4),
            highlights=[span],
        )
        citations[chunk.chunk_id] = citation
        return citation

    def _text(self, doc_id: str, start: int, end: int) -> str:
        return self.store.articles[doc_id].text[start:end]


def normalized_contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` after Arabic normalization of both."""
    return normalize(needle) in normalize(haystack)
