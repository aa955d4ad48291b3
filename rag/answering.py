"""Compose an answer: abstain when the articles do not answer, else quote the best sentences with citations."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rag.abstention import Abstention
from rag.answer import Answer, AnswerSentence
from rag.arabic import Language
from rag.attribution import asked_speaker
from rag.candidates import Candidate, CandidateScorer
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
        asked: str | None = None,
    ) -> Answer:
        """Answer from the first ``top_k`` of ``hits``; ``hits`` must hold at least ``abstention_depth``
        passages (when the corpus has them), on which the abstention decision is taken (by the model
        ``abstention_model``, by default the one for the question's terms), with the answer ranker's
        score for the best candidate sentence of those passages. The question's terms and its cosine
        to every sentence (``VectorStore.sentence_scores``) are found here unless given. When the question
        asks what someone said (``rag.attribution``), read from ``asked`` (the question as the user asked
        it, when ``question`` is it resolved in a conversation), that speaker's statements are preferred
        once the question is judged answerable."""
        terms = terms or self.terms.find(question, language)
        if sentence_scores is None:
            sentence_scores = self.scorer.store.sentence_scores(query_vector)
        judged = hits[: self.abstention_depth]
        candidates = self.scorer.candidates(question, language, judged, query_vector, sentence_scores, terms.weighted)
        features = self._features(judged, terms, sentence_scores, candidates) if judged else None
        judgement = self.abstention.judge(features, abstention_model or terms.source)
        confidence, threshold = judgement.confidence, judgement.threshold
        if not judgement.answers:
            return abstained(question, language, confidence, threshold)
        speaker = asked_speaker(self.terms, asked or question, language)
        if speaker is not None or len(hits[:top_k]) != len(judged):  # other passages or a speaker to prefer
            candidates = self.scorer.candidates(
                question, language, hits[:top_k], query_vector, sentence_scores, terms.weighted, speaker
            )
        ranker, kind = self.scorer.ranker, self.scorer.ranker_language(language)
        chosen = self.writer.choose(candidates, ranker.second_sentence_margin(kind), ranker.neighbour_margin(kind))
        if not chosen:
            return abstained(question, language, confidence, threshold)
        return self.writer.write(question, language, chosen, candidates, confidence, threshold)

    def answerability_features(
        self,
        question: str,
        language: Language,
        hits: list[Hit],
        query_vector: np.ndarray,
        terms: QuestionTerms,
        sentence_scores: np.ndarray,
    ) -> np.ndarray:
        """The abstention features (``rag.abstention.FEATURE_NAMES``) ``compose`` judges the question
        by, for ``hits`` at the abstention depth (what ``benchmarks.train_abstention`` learns from)."""
        judged = hits[: self.abstention_depth]
        candidates = self.scorer.candidates(question, language, judged, query_vector, sentence_scores, terms.weighted)
        return self._features(judged, terms, sentence_scores, candidates)

    def _features(
        self, judged: list[Hit], terms: QuestionTerms, sentence_scores: np.ndarray, candidates: list[Candidate]
    ) -> np.ndarray:
        answer_score = candidates[0].score if candidates else math.nan
        return self.abstention.features(judged, terms.weighted, sentence_scores, answer_score)


def abstained(question: str, language: Language, confidence: float, threshold: float) -> Answer:
    """The answer that says the articles do not answer the question, citing nothing."""
    sentences = [AnswerSentence(message("abstain", language), "framing")]
    return Answer(question, language, True, sentences, [], confidence, threshold)
