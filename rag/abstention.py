"""Whether the articles answer a question at all: a learned confidence held against a threshold.

The confidence is a logistic model's probability that the question is answerable, over signals of
the best ``Settings.abstention_depth`` passages (whatever ``top_k`` asks for) and of the whole corpus:

- ``passage_cosine``: the best cosine of those passages to the question;
- ``sentence_cosine``: the best cosine of one of their sentences;
- ``sentence_lead``: how far the corpus's best sentence stands above the median of its background,
  its ``BACKGROUND_SHARE`` best sentences (at least ``BACKGROUND_SENTENCES``). The small 4-bit model
  gives some questions high cosines to every passage; what marks an answer is a sentence that stands
  out from the question's own background. A share of the corpus means the same in a corpus of 1,000
  sentences as in one of 10,000 (a fixed number of best sentences does not: the same questions' lead
  shrank when XQuAD's corpus doubled). A corpus of fewer than ``BACKGROUND_SENTENCES`` sentences has
  no background to tell: its lead is unknown and counts as average;
- ``term_share``, ``matched_term_weight``, ``unmatched_term_weight``: the IDF-weighted share and sums of
  the question's terms found (or not) in the passage holding most of them: a question about
  something the articles never name finds its rare words nowhere;
- ``answer_score``: the answer ranker's score (``rag.answer_ranker``) of the best candidate sentence
  of those passages (unknown when there is none): how well the best quote answers, not only how
  close the passages are.

One model for each source of the question's terms (``own`` words, ``dictionary`` translations,
``none``), and one (``pseudo_question``) for an English question's second reading, whose query vector
is mixed with that of its Arabic gloss (``rag.engine``), each with its threshold beside its weights in
``rag/abstention.json``, all written by
``python -m benchmarks.train_abstention`` from the XQuAD tuning half, which states their origin.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelLoadError
from rag.retrieval import Hit
from rag.term_matching import WeightedTerms, matched_weight

#: Where the shipped model lives (``Settings.abstention_model_path`` by default).
MODEL_PATH = Path(__file__).with_name("abstention.json")
FEATURE_NAMES = (
    "passage_cosine",
    "sentence_cosine",
    "sentence_lead",
    "term_share",
    "matched_term_weight",
    "unmatched_term_weight",
    "answer_score",
)
#: The model judging a second reading with the pseudo-question's vector mixed in.
PSEUDO_QUESTION_MODEL = "pseudo_question"
#: A question's best sentence is compared with the median of this share of the corpus's sentences,
#: its best ones, and of at least ``BACKGROUND_SENTENCES`` (``sentence_lead``); with fewer sentences in
#: the corpus, the lead is unknown (NaN) and counts as average.
BACKGROUND_SHARE = 0.09
BACKGROUND_SENTENCES = 50


class AbstentionModelError(ModelLoadError):
    """The abstention model file is missing, unreadable or was trained on other features."""


def answerability_features(
    hits: list[Hit],
    terms: WeightedTerms,
    sentence_scores: np.ndarray,
    sentences_of_chunk: list[list[int]],
    answer_score: float,
) -> np.ndarray:
    """The ``FEATURE_NAMES`` signals of a question whose best passages are ``hits``, whose cosine to
    every sentence of the corpus is ``sentence_scores`` and whose best candidate sentence the answer
    ranker scores ``answer_score`` (NaN: no candidate)."""
    held = sorted({s for h in hits for s in sentences_of_chunk[h.position]})
    sentence = float(sentence_scores[held].max()) if held else 0.0
    total = sum(weight for _, weight in terms)
    matched = max((matched_weight(terms, h.chunk.text) for h in hits), default=0.0)
    return np.array(
        [
            max((h.dense_score for h in hits), default=0.0),
            sentence,
            _sentence_lead(sentence_scores),
            matched / total if total > 0 else 0.0,
            matched,
            total - matched,
            answer_score,
        ]
    )


def _sentence_lead(sentence_scores: np.ndarray) -> float:
    """The best score minus the median of the background (one partial sort that places the best and
    the middle one or two of the background, not a full sort); NaN (unknown) for a corpus too small
    to have a background."""
    count = len(sentence_scores)
    if count < BACKGROUND_SENTENCES:
        return math.nan
    size = max(BACKGROUND_SENTENCES, round(BACKGROUND_SHARE * count))
    first = count - size  # where the background begins in ascending order
    low, high = first + (size - 1) // 2, first + size // 2
    ordered = np.partition(sentence_scores, (low, high, count - 1))
    return float(ordered[count - 1] - ordered[low : high + 1].mean())  # the mean of the middle, as np.median


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardization, logistic weights and the probability threshold for one kind of question."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float

    def probability(self, features: np.ndarray) -> float:
        """The probability that the question is answerable; an unknown (NaN) feature counts as its mean."""
        standardized = (features - self.mean) / self.scale
        standardized[np.isnan(standardized)] = 0.0
        logit = float(standardized @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-500.0, min(500.0, logit))))

    @classmethod
    def from_record(cls, record: dict) -> AnswerabilityModel:
        return cls(
            np.array([record["mean"][n] for n in FEATURE_NAMES]),
            np.array([record["scale"][n] for n in FEATURE_NAMES]),
            np.array([record["weights"][n] for n in FEATURE_NAMES]),
            float(record["bias"]),
            float(record["threshold"]),
        )

    def to_record(self) -> dict:
        def named(values: np.ndarray) -> dict[str, float]:
            return dict(zip(FEATURE_NAMES, np.round(values, 6).tolist(), strict=True))

        return {
            "weights": named(self.weights),
            "bias": round(self.bias, 6),
            "mean": named(self.mean),
            "scale": named(self.scale),
            "threshold": round(self.threshold, 6),
        }


@dataclass(frozen=True)
class Judgement:
    confidence: float
    threshold: float

    @property
    def answers(self) -> bool:
        return self.confidence >= self.threshold


@dataclass(frozen=True)
class Abstention:
    #: One model for each source of a question's terms: ``own``, ``dictionary``, ``none``.
    models: dict[str, AnswerabilityModel]
    #: The sentences of each passage (``rag.candidates.SentenceMap.sentences_of_chunk``).
    sentences_of_chunk: list[list[int]]

    @staticmethod
    def load_models(path: Path = MODEL_PATH) -> dict[str, AnswerabilityModel]:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if tuple(record["features"]) != FEATURE_NAMES:
                raise AbstentionModelError(f"{path} was trained on other features; run benchmarks.train_abstention")
            return {source: AnswerabilityModel.from_record(model) for source, model in record["models"].items()}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AbstentionModelError(f"cannot read the abstention model {path}: {error}") from error

    def features(
        self, hits: list[Hit], terms: WeightedTerms, sentence_scores: np.ndarray, answer_score: float
    ) -> np.ndarray:
        return answerability_features(hits, terms, sentence_scores, self.sentences_of_chunk, answer_score)

    def judge(self, features: np.ndarray | None, model_name: str) -> Judgement:
        """The confidence that the articles answer a question whose best passages, at the abstention
        depth, give ``features`` (``None`` when no passage was retrieved), and the threshold of the
        model ``model_name`` (where the question's terms came from, or ``PSEUDO_QUESTION_MODEL``)."""
        model = self.models[model_name]
        if features is None:
            return Judgement(0.0, model.threshold)
        return Judgement(model.probability(features), model.threshold)
