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
from rag.term_matching import QuestionTermFinder, QuestionTerms
from rag.writing import AnswerWriter


@dataclass
class AnswerComposer:
    terms: QuestionTermFinder
    abstention: Abstention
    scorer: CandidateScorer
    writer: AnswerWriter

    #: Abstention judges this many of the best passages, whatever ``top_k`` the caller asks for.
    abstention_depth: int = 5

    def compose(
        self,
        question: str,
        language: Language,
        hits: list[Hit],
        query_vector: np.ndarray,
        top_k: int,
        terms: QuestionTerms | None = None,
        abstention_model: str | None = None,
        sentence_scores: np.ndarray | None = None,
    ) -> Answer:
        """Answer from the first ``top_k`` of ``hits``; ``hits`` must hold at least ``abstention_depth``
        passages (when the corpus has them), on which the abstention decision is taken (by the model
        ``abstention_model``, by default the one for the question's terms). The question's terms and
        its cosine to every sentence (``VectorStore.sentence_scores``) are found here unless given."""
        terms = terms or self.terms.find(question, language)
        if sentence_scores is None:
            sentence_scores = self.scorer.store.sentence_scores(query_vector)
        judgement = self.abstention.judge(hits[: self.abstention_depth], terms, sentence_scores, abstention_model)
        confidence, threshold = judgement.confidence, judgement.threshold
        if not judgement.answers:
            return abstained(question, language, confidence, threshold)
        candidates = self.scorer.candidates(
            question, language, hits[:top_k], query_vector, sentence_scores, terms.weighted
        )
        ranker, kind = self.scorer.ranker, self.scorer.ranker_language(language)
        chosen = self.writer.choose(candidates, ranker.second_sentence_margin(kind), ranker.neighbour_margin(kind))
        if not chosen:
            return abstained(question, language, confidence, threshold)
        return self.writer.write(question, language, chosen, candidates, confidence, threshold)


def abstained(question: str, language: Language, confidence: float, threshold: float) -> Answer:
    """The answer that says the articles do not answer the question, citing nothing."""
    sentences = [AnswerSentence(message("abstain", language), "framing")]
    return Answer(question, language, True, sentences, [], confidence, threshold)
