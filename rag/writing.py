"""Write an answer from the chosen candidates: a framing line, then each quote with its citations.

No language model writes anything: each quoted sentence is cited from the passage it was taken from,
so every citation is exact (the cited passage contains the sentence, character for character). When
another article says the same thing, its passage is cited too.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer import Answer, AnswerSentence, Citation
from rag.arabic import Language
from rag.candidates import Candidate
from rag.messages import message
from rag.vectorstore import VectorStore

#: Sentences of two different articles this similar say the same thing: cite both. On the seed
#: articles the one true restatement scored 0.96; related but different claims 0.93-0.94.
SAME_CLAIM_SIMILARITY = 0.95


@dataclass
class AnswerWriter:
    store: VectorStore
    corpus_language: Language
    max_sentences: int = 2
    max_citations: int = 3

    def choose(self, candidates: list[Candidate], margin: float, neighbour_margin: float) -> list[Candidate]:
        """The best candidates, up to ``max_sentences``, each scoring within ``margin`` of the best
        (the ranker's second-sentence margin) and saying something new; when that leaves the best
        alone, the best sentence just before or after it in its article, if it scores within
        ``neighbour_margin`` of it (an answer often sits next to the sentence that matches)."""
        chosen: list[Candidate] = []
        for candidate in candidates:
            if len(chosen) == self.max_sentences:
                break
            if chosen and candidate.score < chosen[0].score - margin:
                break
            if any(self._same_sentence_or_claim(c, candidate) for c in chosen):
                continue
            chosen.append(candidate)
        if len(chosen) == 1 < self.max_sentences:
            chosen.extend(self._best_neighbour(chosen[0], candidates, neighbour_margin))
        return chosen

    def _best_neighbour(self, best: Candidate, candidates: list[Candidate], margin: float) -> list[Candidate]:
        """The best-scoring candidate (``candidates`` are best first) just before or after ``best`` in
        its article and within ``margin`` of it, if any."""
        sentences = self.store.sentences
        for candidate in candidates:
            if candidate.score < best.score - margin:
                break
            beside = abs(candidate.sentence - best.sentence) == 1
            same_article = sentences[candidate.sentence].doc_id == sentences[best.sentence].doc_id
            if beside and same_article and not self._same_sentence_or_claim(best, candidate):
                return [candidate]
        return []

    def write(
        self,
        question: str,
        language: Language,
        chosen: list[Candidate],
        candidates: list[Candidate],
        confidence: float,
        threshold: float,
    ) -> Answer:
        max_citations = max(self.max_citations, self.max_sentences)
        citations: dict[str, Citation] = {}
        lead = "answer_lead" if language == self.corpus_language else "answer_lead_quoted"
        sentences = [AnswerSentence(message(lead, language), "framing")]
        for index, candidate in enumerate(chosen):
            numbers = [self._cite(citations, candidate).n]
            for support in self._same_claim(candidate, candidates):
                # Corroborating passages never take the room a later answer sentence needs.
                if len(citations) + len(chosen) - index - 1 < max_citations:
                    numbers.append(self._cite(citations, support).n)
            doc_id = self._doc(candidate)
            sentences.append(
                AnswerSentence(
                    text=self.store.text(doc_id, candidate.start, candidate.end),
                    role="quote",
                    citations=tuple(dict.fromkeys(numbers)),
                    doc_id=doc_id,
                    start=candidate.start,
                    end=candidate.end,
                    language=self.corpus_language,
                )
            )
        ordered = sorted(citations.values(), key=lambda c: c.n)
        return Answer(question, language, False, sentences, ordered, confidence, threshold)

    def _same_sentence_or_claim(self, first: Candidate, second: Candidate) -> bool:
        if first.sentence == second.sentence:
            return True
        vectors = self.store.sentence_vectors
        return float(vectors[first.sentence] @ vectors[second.sentence]) >= SAME_CLAIM_SIMILARITY

    def _same_claim(self, candidate: Candidate, candidates: list[Candidate]) -> list[Candidate]:
        """Sentences of other articles that say what ``candidate`` says."""
        vector = self.store.sentence_vectors[candidate.sentence]
        seen_docs = {self._doc(candidate)}
        same = []
        for other in candidates:
            doc = self._doc(other)
            if doc in seen_docs:
                continue
            if float(self.store.sentence_vectors[other.sentence] @ vector) >= SAME_CLAIM_SIMILARITY:
                same.append(other)
                seen_docs.add(doc)
        return same

    def _cite(self, citations: dict[str, Citation], candidate: Candidate) -> Citation:
        """The citation of the candidate's passage, added to ``citations`` if new."""
        chunk = self.store.chunks[candidate.chunk_position]
        span = (candidate.start, candidate.end)
        existing = citations.get(chunk.chunk_id)
        if existing is not None:
            if span not in existing.highlights:
                existing.highlights.append(span)
            return existing
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
            score=round(candidate.passage_score, 4),
            highlights=[span],
        )
        citations[chunk.chunk_id] = citation
        return citation

    def _doc(self, candidate: Candidate) -> str:
        return self.store.chunks[candidate.chunk_position].doc_id
