"""The evidence for one answer candidate, as the numbers the learned ranker weighs (``rag.answer_ranker``).

A candidate is a sentence of a retrieved passage, of the corpus's best-matching sentences, or a
neighbour of the best passage in its article. Its features say how close it is to the question
(its own cosine and its passage's, absolute and against the best), where retrieval ranked its
passage, how much of the question's terms (own words, dictionary translations, names) it holds,
whether it holds the kind of thing the question asks for (a date for "when", a number for "how
many"...), where it sits in its article and how long it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rag.question_types import QuestionType, answers_kind, numbers, sentence_kinds

#: Names of the features, in the order of ``CandidateEvidence.vector``; the weights file lists them too.
FEATURE_NAMES = (
    "sentence_cosine",
    "sentence_cosine_gap",
    "passage_cosine",
    "passage_cosine_gap",
    "passage_rank_reciprocal",
    "lexical_rank_reciprocal",
    "in_best_passage",
    "term_share",
    "answers_question_kind",
    "has_number",
    "number_not_in_question",
    "first_in_article",
    "log_length",
    "neighbour_only",
)


@dataclass(frozen=True)
class SentenceFacts:
    """What a candidate's text holds whatever the question: the kinds of answer it holds
    (``rag.question_types``), the numbers it writes in digits, and its length."""

    kinds: Mapping[str, bool]
    numbers: frozenset[str]
    length: int

    @classmethod
    def of(cls, text: str) -> SentenceFacts:
        return cls(sentence_kinds(text), numbers(text), len(text))


@dataclass(slots=True)  # not frozen: one is made for every candidate of every question (3x faster)
class CandidateEvidence:
    """What is known about a candidate sentence when it is scored.

    Ranks are 0-based among the retrieved passages (``None`` when its passage was not retrieved
    or, for the lexical rank, when the lexical ranking did not take part or did not find it)."""

    sentence_cosine: float
    best_sentence_cosine: float
    passage_cosine: float
    best_passage_cosine: float
    passage_rank: int | None
    lexical_rank: int | None
    in_best_passage: bool
    term_share: float
    question_kind: QuestionType
    facts: SentenceFacts
    #: The numbers the question itself states (a year it asks about is not an answer).
    question_numbers: frozenset[str]
    first_in_article: bool
    neighbour_only: bool

    def vector(self) -> np.ndarray:
        """The features in ``FEATURE_NAMES`` order."""
        return np.array(self.values(), dtype=np.float64)

    def values(self) -> list[float]:
        """The features in ``FEATURE_NAMES`` order, as a list (rows of a question's feature matrix)."""
        return [
            self.sentence_cosine,
            self.sentence_cosine - self.best_sentence_cosine,
            self.passage_cosine,
            self.passage_cosine - self.best_passage_cosine,
            _reciprocal(self.passage_rank),
            _reciprocal(self.lexical_rank),
            float(self.in_best_passage),
            self.term_share,
            float(answers_kind(self.question_kind, self.facts.kinds)),
            float(self.facts.kinds["number"]),
            float(bool(self.facts.numbers - self.question_numbers)),
            float(self.first_in_article),
            math.log(1 + self.facts.length),
            float(self.neighbour_only),
        ]


def _reciprocal(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1 + rank)
