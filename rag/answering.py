"""Compose an answer: abstain when the articles do not answer, else quote the best sentences with citations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.abstention import Abstention
from rag.answer import Answer, AnswerSentence
from rag.arabic import Language
from rag.candidates import CandidateScorer
from rag.messages import message
from rag.retrieval import Hit
from rag.term_matching import QuestionTermFinder
from rag.writing import AnswerWriter


@dataclass
class AnswerComposer:
    terms: QuestionTermFinder
    abstention: Abstention
    scorer: CandidateScorer
    writer: AnswerWriter

    def compose(self, question: str, language: Language, hits: list[Hit], query_vector: np.ndarray) -> Answer:
        terms = self.terms.find(question, language)
        threshold = self.abstention.threshold(terms)
        confidence = self.abstention.confidence(hits, terms.weighted)
        if confidence < threshold:
            return abstained(question, language, confidence, threshold)
        candidates = self.scorer.candidates(hits, query_vector, terms.weighted)
        chosen = self.writer.choose(candidates)
        if not chosen:
            return abstained(question, language, confidence, threshold)
        return self.writer.write(question, language, chosen, candidates, confidence, threshold)


def abstained(question: str, language: Language, confidence: float, threshold: float) -> Answer:
    """The answer that says the articles do not answer the question, citing nothing."""
    sentences = [AnswerSentence(message("abstain", language), "framing")]
    return Answer(question, language, True, sentences, [], confidence, threshold)
