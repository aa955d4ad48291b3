"""Train the answer-sentence ranker on the XQuAD tuning half and write ``rag/answer_ranker.json``.

Run: ``.venv/bin/python -m benchmarks.train_answer_ranker`` (RAG_XQUAD_DIR points at XQuAD).

The engine indexes all 240 Arabic paragraphs; for every question of the tuning half (the
even-numbered articles, ``split_articles(n, 2, {0})``) asked in Arabic (``same``: the articles'
language) and in English (``cross``), the engine's own candidate step lists its candidate sentences
with their features, and a candidate is a positive when it contains the Arabic gold answer. A
listwise softmax regression (the candidates of one question compete; the gold-holding ones should
take the probability) learns one linear score per model. The second-sentence margin is the score gap
up to which quoting the second-best sentence as well pays on the tuning half, at a cost of
``SECOND_SENTENCE_COST`` answers per second sentence quoted. The odd-numbered articles (the
report half) are never read here; benchmarks/quality.py reports on them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from benchmarks.common import log
from benchmarks.corpus import load_default_xquad, open_engine
from benchmarks.xquad import Question, split_articles
from rag import Engine, check_question, normalized_contains
from rag.answer_features import FEATURE_NAMES
from rag.answer_ranker import WEIGHTS_PATH, RankerModel

#: Which question language trains which model (the corpus is Arabic).
MODEL_LANGUAGE = {"same": "ar", "cross": "en"}
#: What quoting a second sentence costs, in answers holding the gold answer: one is worth quoting
#: when, among the questions that get one at that margin, it adds the gold answer at least this often.
SECOND_SENTENCE_COST = 0.05
#: L2 penalty on the standardized weights.
REGULARIZATION = 0.001


@dataclass(frozen=True)
class QuestionCandidates:
    features: np.ndarray
    labels: np.ndarray


def collect(engine: Engine, questions: list[Question], language: str) -> list[QuestionCandidates]:
    """Every question's candidates, through the engine's own retrieval and candidate step."""
    composer, retriever = engine._composer, engine._retriever  # training reads the engine's internals
    store = retriever.store
    settings = engine.settings
    texts = [check_question(q.text(language), settings.max_question_chars) for q in questions]
    vectors = engine.embed_questions([t.text for t in texts])
    collected = []
    for question, checked, vector in zip(questions, texts, vectors, strict=True):
        depth = max(settings.top_k, settings.abstention_depth)
        hits = retriever.retrieve(checked.text, checked.language, depth, vector)
        terms = composer.terms.find(checked.text, checked.language)
        found = composer.scorer.evidence(checked.text, hits[: settings.top_k], vector, terms.weighted)
        if not found:
            continue
        texts_found = [store.text(store.chunks[f.chunk_position].doc_id, f.start, f.end) for f in found]
        labels = [any(normalized_contains(text, answer) for answer in question.answers) for text in texts_found]
        collected.append(QuestionCandidates(np.vstack([f.features for f in found]), np.array(labels)))
    return collected


def fit(collected: list[QuestionCandidates]) -> RankerModel:
    """A listwise (softmax over each question's candidates) linear model on standardized features:
    it maximizes the probability the candidates containing the gold answer get, with an L2 penalty."""
    pooled = np.vstack([c.features for c in collected])
    mean, scale = pooled.mean(axis=0), pooled.std(axis=0)
    scale[scale == 0] = 1.0
    items = [((c.features - mean) / scale, c.labels) for c in collected if c.labels.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = REGULARIZATION * weights @ weights, 2 * REGULARIZATION * weights
        for features, labels in items:
            scores = features @ weights
            every = np.exp(scores - scores.max())
            gold = every * labels
            total -= np.log(gold.sum() / every.sum())
            gradient -= features.T @ (gold / gold.sum() - every / every.sum())
        return total / len(items), gradient / len(items)

    weights = minimize(loss, np.zeros(pooled.shape[1]), jac=True, method="L-BFGS-B").x
    ranker = RankerModel(mean, scale, weights, 0.0)
    return RankerModel(mean, scale, weights, second_sentence_margin(ranker, collected))


def second_sentence_margin(model: RankerModel, collected: list[QuestionCandidates]) -> float:
    """The score gap up to which a second sentence is quoted: the one that maximizes, on these
    questions, the answers holding the gold answer minus ``SECOND_SENTENCE_COST`` per second sentence."""
    gaps = []
    for item in collected:
        if len(item.labels) < 2:
            continue
        scores = model.scores(item.features)
        order = np.argsort(-scores, kind="stable")
        added = bool(item.labels[order[1]] and not item.labels[order[0]])
        gaps.append((float(scores[order[0]] - scores[order[1]]), added))
    gaps.sort()
    best_margin, best_value, value = 0.0, 0.0, 0.0
    for gap, added in gaps:
        value += added - SECOND_SENTENCE_COST
        if value > best_value:
            best_margin, best_value = gap, value
    return best_margin


def top_one_rate(model: RankerModel, collected: list[QuestionCandidates]) -> float:
    return float(np.mean([item.labels[int(np.argmax(model.scores(item.features)))] for item in collected]))


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    tuning = split_articles(data.article_count, 2, {0})
    questions = [q for q in data.questions if q.article in tuning]
    engine = open_engine(data.paragraphs, "xquad")
    models, facts = {}, {}
    for kind, language in MODEL_LANGUAGE.items():
        collected = collect(engine, questions, language)
        model = fit(collected)
        models[kind] = model.to_record()
        facts[kind] = {
            "question_language": language,
            "questions": len(collected),
            "candidates": int(sum(len(c.labels) for c in collected)),
            "positives": int(sum(c.labels.sum() for c in collected)),
            "tuning_half_top1_contains_gold": round(top_one_rate(model, collected), 4),
        }
        log(f"{kind}: {facts[kind]} margin {model.second_sentence_margin:.4f}")
    return {
        "origin": (
            "Trained by `python -m benchmarks.train_answer_ranker` on XQuAD (CC BY-SA 4.0) tuning half: the "
            "questions of the even-numbered articles (split_articles(n, 2, {0})), asked in Arabic (same) and "
            "English (cross) over all 240 Arabic paragraphs indexed; a candidate is positive when it contains "
            "the Arabic gold answer. The odd-numbered articles (report half) were not used."
        ),
        "method": (
            "listwise softmax regression over each question's candidates, L2 "
            f"{REGULARIZATION}, on standardized features: score = ((x - mean) / scale) . weights; a second "
            f"sentence is quoted within second_sentence_margin of the best (cost {SECOND_SENTENCE_COST} per one)"
        ),
        "trained": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - started, 1),
        "training_data": facts,
        "features": list(FEATURE_NAMES),
        "models": models,
    }


def main() -> None:
    record = run()
    WEIGHTS_PATH.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {WEIGHTS_PATH}")


if __name__ == "__main__":
    main()
