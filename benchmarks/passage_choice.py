"""Which passage the answer quotes: where the best candidate comes from, and whether a prior for the
rank retrieval gave its passage would choose better, on the XQuAD tuning half.

Run: ``.venv/bin/python -m benchmarks.passage_choice`` (about 2 minutes; writes
``results/passage_choice.json``). It changes nothing in the engine.

The answer ranker (``rag.answer_ranker``) scores every candidate sentence of the retrieved passages on
its own; the hand-set score the engine ships (sentence cosine + 0.5 x passage cosine + 0.1 x term
share) does not read where retrieval ranked the candidate's passage. For each question of the tuning
half (even-numbered articles), asked in Arabic and in English, the candidates come from the engine's own
retrieval (``benchmarks.train_answer_ranker.collect``), and:

- ``best_candidate``: whether the best candidate holds the gold answer, else whether it comes from the
  gold paragraph (a sentence choice), from another paragraph of the question's own article (XQuAD
  paragraphs of one article share their topic) or from another article;
- ``passage_prior``: the hand-set score plus ``alpha`` times ``passage_rank_reciprocal`` (1 for the
  first retrieved passage, 1/2 for the second...), each ``alpha`` judged by ``train_answer_ranker``'s
  4-fold cross-validation over articles (margins re-chosen on the fitting folds) against the hand-set
  score, in standard errors of the per-question difference; ``nested`` chooses ``alpha`` on the fitting
  folds alone, so that choosing it is part of what is judged. The report half is never read.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import log, write_result
from benchmarks.corpus import LANGUAGES, load_default_xquad
from benchmarks.train_answer_ranker import (
    FOLDS,
    HAND_SET_WEIGHTS,
    QuestionCandidates,
    collect,
    cross_validated_gold,
    gain_in_standard_errors,
    open_neutral_engine,
    quoted_gold,
    with_margins,
)
from benchmarks.xquad import split_articles
from rag.answer_features import FEATURE_NAMES
from rag.answer_ranker import RankerModel

#: The weights of the passage's retrieval rank tried beside the hand-set score.
PRIOR_WEIGHTS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1)


def with_prior(weight: float, collected: list[QuestionCandidates]) -> RankerModel:
    """The hand-set score plus ``weight`` x the passage's reciprocal rank, margins chosen on ``collected``."""
    weights = {**HAND_SET_WEIGHTS, "passage_rank_reciprocal": weight}
    vector = np.array([weights.get(name, 0.0) for name in FEATURE_NAMES])
    return with_margins(RankerModel(np.zeros(len(FEATURE_NAMES)), np.ones(len(FEATURE_NAMES)), vector, 0, 0), collected)


def chosen_prior(collected: list[QuestionCandidates]) -> RankerModel:
    """The prior weight whose answers hold the gold answer most often on ``collected`` (the smallest on ties)."""

    def held(weight: float) -> float:
        return float(quoted_gold(with_prior(weight, collected), collected).mean())

    return with_prior(max(PRIOR_WEIGHTS, key=lambda weight: (held(weight), -weight)), collected)


def best_candidate(
    collected: list[QuestionCandidates], gold_paragraphs: list[str], article_of: dict[str, int]
) -> dict[str, int]:
    """Where each question's best hand-set candidate comes from (``gold_paragraphs``: each question's)."""
    model = with_prior(0.0, collected)
    counts = {"holds_gold": 0, "gold_paragraph": 0, "own_article": 0, "other_article": 0}
    for item, gold in zip(collected, gold_paragraphs, strict=True):
        best = int(np.argmax(model.scores(item.features)))
        if item.labels[best]:
            counts["holds_gold"] += 1
        elif item.docs[best] == gold:
            counts["gold_paragraph"] += 1
        elif article_of[str(item.docs[best])] == item.article:
            counts["own_article"] += 1
        else:
            counts["other_article"] += 1
    return counts


def passage_prior(collected: list[QuestionCandidates]) -> dict[str, dict[str, float]]:
    hand_set = cross_validated_gold(lambda fitting: with_prior(0.0, fitting), collected)
    results = {}
    for weight in PRIOR_WEIGHTS:
        held = cross_validated_gold(lambda fitting, weight=weight: with_prior(weight, fitting), collected)
        results[f"alpha {weight}"] = judged(held, hand_set)
    results["nested"] = judged(cross_validated_gold(chosen_prior, collected), hand_set)
    return results


def judged(held: np.ndarray, hand_set: np.ndarray) -> dict[str, float]:
    return {
        f"{FOLDS}_fold_answers_contain_gold": round(float(held.mean()), 4),
        "gain_in_standard_errors": round(gain_in_standard_errors(held, hand_set), 2),
    }


def run() -> dict:
    data = load_default_xquad()
    tuning = split_articles(data.article_count, 2, {0})
    questions = [q for q in data.questions if q.article in tuning]
    article_of = {p.doc_id: p.article for p in data.paragraphs}
    engine = open_neutral_engine(data.paragraphs)
    results: dict[str, object] = {"questions": len(questions)}
    for language in LANGUAGES:
        collected = collect(engine, questions, language)
        if len(collected) != len(questions):  # collect leaves out a question without candidates
            raise RuntimeError(f"{len(questions) - len(collected)} questions have no candidate")
        results[language] = {
            "best_candidate": best_candidate(collected, [q.doc_id for q in questions], article_of),
            "passage_prior": passage_prior(collected),
        }
        log(f"{language}: {results[language]}")
    return results


def main() -> None:
    path = write_result("passage_choice", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
