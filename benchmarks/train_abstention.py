"""Train the abstention model on the XQuAD tuning half and write ``rag/abstention.json``.

Run: ``.venv/bin/python -m benchmarks.train_abstention`` (RAG_XQUAD_DIR points at XQuAD; about 2
minutes). Re-run it after any change to retrieval, question terms or the answer ranker: the features
include the ranker's score for the best candidate.

The engine indexes the paragraphs of the even-numbered articles only, so questions about the
odd-numbered ones are unanswerable (``benchmarks.xquad.abstention_split``, as ``benchmarks.quality``
measures). For every question of the tuning half (articles ``i % 4 in {0, 1}``), asked in Arabic and
in English, the engine's own retrieval and candidate scoring give its signals
(``rag.abstention.FEATURE_NAMES``); a logistic regression (scikit-learn, standardized features)
learns whether it is answerable: the ``own`` model from the Arabic questions (the articles'
language), the ``dictionary`` model from the English ones, and the ``none`` model from the English
ones read without terms (what the engine does when no dictionary is installed). The
``pseudo_question`` model learns from the English questions read with their pseudo-question's vector
mixed in (``Settings.pseudo_question_weight``), the second reading the engine gives an English
question whose first confidence is near its threshold. Each threshold is the highest probability
that still answers ``ANSWER_RATE`` of the tuning half's answerable questions of its kind. The report
half (articles ``i % 4 in {2, 3}``) is never read here; ``benchmarks.quality`` reports on it.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.common import log
from benchmarks.corpus import load_default_xquad, open_engine
from benchmarks.metrics import threshold_for_answer_rate
from benchmarks.xquad import abstention_split
from rag import Engine, check_question
from rag.abstention import FEATURE_NAMES, MODEL_PATH, PSEUDO_QUESTION_MODEL, AnswerabilityModel
from rag.embedding import mixed_query
from rag.term_matching import QuestionTerms

#: Each model's question language and whether its questions keep their terms.
MODELS = {"own": ("ar", True), "dictionary": ("en", True), "none": ("en", False), PSEUDO_QUESTION_MODEL: ("en", True)}
#: The share of the tuning half's answerable questions each threshold answers.
ANSWER_RATE = 0.95
#: Inverse L2 strength of the logistic regression (scikit-learn's default).
REGULARIZATION_C = 1.0


def collect(engine: Engine, texts: list[str], kind: str) -> np.ndarray:
    """One row of abstention features per question, through the engine's own retrieval, terms and
    candidates, as the model ``kind`` (``MODELS``) sees them."""
    language, with_terms = MODELS[kind]
    composer, retriever, store = engine._composer, engine._retriever, engine._opened.store  # training reads internals
    checked = [check_question(text, engine.settings.max_question_chars) for text in texts]
    vectors = engine.embed_questions([c.text for c in checked])
    if kind == PSEUDO_QUESTION_MODEL:
        vectors = pseudo_question_vectors(engine, checked, vectors)
    rows = []
    for question, vector in zip(checked, vectors, strict=True):
        terms = composer.terms.find(question.text, language) if with_terms else QuestionTerms([], "none")
        scores = store.sentence_scores(vector)
        hits = retriever.retrieve(
            question.text, language, composer.abstention_depth, vector, terms=terms, sentence_scores=scores
        )
        rows.append(composer.answerability_features(question.text, language, hits, vector, terms, scores))
    return np.vstack(rows)


def pseudo_question_vectors(engine: Engine, checked: list, vectors: np.ndarray) -> list[np.ndarray]:
    """Each question's vector mixed with its pseudo-question's, as the engine's second reading mixes them."""
    finder, weight = engine._composer.terms, engine.settings.pseudo_question_weight
    pseudo = [finder.pseudo_question(c.text, c.language) for c in checked]
    having = [i for i, text in enumerate(pseudo) if text is not None]
    embedded = dict(zip(having, engine.embed_questions([pseudo[i] for i in having]), strict=True))
    return [mixed_query(v, embedded[i], weight) if i in embedded else v for i, v in enumerate(vectors)]


def fit(features: np.ndarray, answerable: np.ndarray) -> AnswerabilityModel:
    """A logistic model of ``answerable`` whose threshold answers ``ANSWER_RATE`` of the answerable rows."""
    mean, scale = np.nanmean(features, axis=0), np.nanstd(features, axis=0)
    scale[scale == 0] = 1.0
    standardized = np.nan_to_num((features - mean) / scale)  # an unknown feature counts as its mean
    regression = LogisticRegression(C=REGULARIZATION_C, max_iter=1000).fit(standardized, answerable)
    model = AnswerabilityModel(mean, scale, regression.coef_[0], float(regression.intercept_[0]), 0.0)
    threshold = threshold_for_answer_rate([model.probability(row) for row in features[answerable]], ANSWER_RATE)
    return AnswerabilityModel(mean, scale, model.weights, model.bias, threshold)


def rates(model: AnswerabilityModel, features: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    refused = np.array([model.probability(row) < model.threshold for row in features])
    return {
        "abstain_unanswerable": round(float(refused[~answerable].mean()), 4),
        "abstain_answerable": round(float(refused[answerable].mean()), 4),
    }


def neutral_model_file(folder: Path) -> Path:
    """A model file that answers everything: the engine opens with it while the signals are collected
    (they do not depend on the weights)."""
    zeros, ones = np.zeros(len(FEATURE_NAMES)), np.ones(len(FEATURE_NAMES))
    neutral = AnswerabilityModel(zeros, ones, zeros, 0.0, 0.0).to_record()
    path = folder / "neutral.json"
    path.write_text(json.dumps({"features": list(FEATURE_NAMES), "models": dict.fromkeys(MODELS, neutral)}))
    return path


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    indexed, tuning = abstention_split(data.article_count)
    questions = [q for q in data.questions if q.article in tuning]
    answerable = np.array([q.article in indexed for q in questions])
    paragraphs = [p for p in data.paragraphs if p.article in indexed]
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(paragraphs, "xquad_half", abstention_model_path=neutral_model_file(Path(folder)))
        readings = {
            kind: collect(engine, [q.text(language) for q in questions], kind) for kind, (language, _) in MODELS.items()
        }
    models, facts = {}, {}
    for kind, (language, _) in MODELS.items():
        model = fit(readings[kind], answerable)
        models[kind] = model.to_record()
        facts[kind] = {
            "question_language": language,
            "questions": len(questions),
            "answerable": int(answerable.sum()),
            "tuning_half": rates(model, readings[kind], answerable),
        }
        log(f"{kind}: {facts[kind]} threshold {model.threshold:.4f}")
    return {
        "origin": (
            "python -m benchmarks.train_abstention: logistic regression (scikit-learn, C=1) on the XQuAD "
            f"tuning half (articles i % 4 in {{0, 1}}, {len(questions)} questions), with only the paragraphs of the "
            "even-numbered articles indexed (questions about the odd-numbered ones are unanswerable); own = "
            "the Arabic questions, dictionary = the English ones, none = the English ones read without terms, "
            "pseudo_question = the English ones read with their pseudo-question. Each threshold answers "
            f"{ANSWER_RATE:.0%} of that half's answerable questions. Trained in "
            f"{time.perf_counter() - started:.0f} s."
        ),
        "features": list(FEATURE_NAMES),
        "models": models,
        "training": facts,
    }


def main() -> None:
    record = run()
    MODEL_PATH.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
