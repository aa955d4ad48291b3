"""The answer-sentence ranker: a linear score over ``rag.answer_features``, one model for questions
in the articles' language (``same``) and one for questions in another (``cross``).

``python -m benchmarks.train_answer_ranker`` writes two weights files, each stating its origin, one
weight per named feature: ``answer_ranker_learned.json`` (softmax regression on the XQuAD tuning half)
and ``answer_ranker.json``, the shipped one, which holds per model the learned weights when they
cross-validate clearly better on the tuning half, else the earlier hand-set score (each model's
``origin`` says which; see README). ``Settings.answer_ranker_path`` picks one. Scores only compare the candidates
of one question: the best is quoted, and the second best too when it scores within the model's
``second_sentence_margin`` of it; else the best sentence just before or after the best one in its
article, when it scores within the model's ``neighbour_margin`` of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer_features import FEATURE_NAMES

#: Where the shipped weights live (``Settings.answer_ranker_path`` by default).
WEIGHTS_PATH = Path(__file__).with_name("answer_ranker.json")


class RankerWeightsError(Exception):
    """The weights file is missing, unreadable or was trained on other features."""


@dataclass(frozen=True)
class RankerModel:
    """Standardization, weights and second-sentence margins for one kind of question."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    second_sentence_margin: float
    #: How far below the best a sentence next to it may score and still be quoted as the second.
    neighbour_margin: float

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights

    @classmethod
    def neutral(cls) -> RankerModel:
        """A model that scores every candidate alike (what training starts from)."""
        zeros = np.zeros(len(FEATURE_NAMES))
        return cls(zeros, np.ones(len(FEATURE_NAMES)), zeros, 0.0, 0.0)

    @classmethod
    def from_record(cls, record: dict) -> RankerModel:
        return cls(
            np.array([record["mean"][n] for n in FEATURE_NAMES]),
            np.array([record["scale"][n] for n in FEATURE_NAMES]),
            np.array([record["weights"][n] for n in FEATURE_NAMES]),
            float(record["second_sentence_margin"]),
            float(record["neighbour_margin"]),
        )

    def to_record(self) -> dict:
        return {
            "weights": dict(zip(FEATURE_NAMES, np.round(self.weights, 6).tolist(), strict=True)),
            "mean": dict(zip(FEATURE_NAMES, np.round(self.mean, 6).tolist(), strict=True)),
            "scale": dict(zip(FEATURE_NAMES, np.round(self.scale, 6).tolist(), strict=True)),
            "second_sentence_margin": round(self.second_sentence_margin, 6),
            "neighbour_margin": round(self.neighbour_margin, 6),
        }


@dataclass(frozen=True)
class AnswerRanker:
    models: dict[str, RankerModel]

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> AnswerRanker:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if tuple(record["features"]) != FEATURE_NAMES:
                raise RankerWeightsError(f"{path} was trained on other features; run benchmarks.train_answer_ranker")
            return cls({kind: RankerModel.from_record(model) for kind, model in record["models"].items()})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RankerWeightsError(f"cannot read the answer ranker weights {path}: {error}") from error

    def scores(self, features: np.ndarray, kind: str) -> np.ndarray:
        """One score per row of ``features`` (``FEATURE_NAMES`` columns) for a ``same`` or ``cross`` question."""
        return self.models[kind].scores(features)

    def second_sentence_margin(self, kind: str) -> float:
        return self.models[kind].second_sentence_margin

    def neighbour_margin(self, kind: str) -> float:
        return self.models[kind].neighbour_margin
