"""The learned answer-sentence ranker: a logistic regression per question language over
``rag.answer_features``, read from ``rag/answer_ranker.json``.

The weights file is written by ``python -m benchmarks.train_answer_ranker`` (XQuAD tuning half; the
file states its origin) and is small enough to read: one weight per named feature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer_features import FEATURE_NAMES

WEIGHTS_PATH = Path(__file__).with_name("answer_ranker.json")


class RankerWeightsError(Exception):
    """The weights file is missing, unreadable or does not fit the features."""


@dataclass(frozen=True)
class LanguageModel:
    """Standardization and logistic weights for one question language."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """The probability that each row's sentence holds the answer."""
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-logits))


@dataclass(frozen=True)
class AnswerRanker:
    models: dict[str, LanguageModel]

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> AnswerRanker:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise RankerWeightsError(f"cannot read the answer ranker weights {path}: {error}") from error
        if tuple(record.get("features", ())) != FEATURE_NAMES:
            raise RankerWeightsError(f"{path} was trained on other features; re-run benchmarks.train_answer_ranker")
        models = {}
        for language, model in record["languages"].items():
            models[language] = LanguageModel(
                np.array([model["mean"][n] for n in FEATURE_NAMES]),
                np.array([model["scale"][n] for n in FEATURE_NAMES]),
                np.array([model["weights"][n] for n in FEATURE_NAMES]),
                float(model["bias"]),
            )
        return cls(models)

    def probabilities(self, features: np.ndarray, language: str) -> np.ndarray:
        """One probability per row of ``features`` (``FEATURE_NAMES`` columns)."""
        if len(features) == 0:
            return np.zeros(0)
        return self.models[language].probabilities(features)
