"""Candidate answerability signals, each added to the shipped ones, on the XQuAD tuning half.

Run: ``.venv/bin/python -m benchmarks.abstention_signals`` (about 3 minutes; writes
``results/abstention_signals.json``). It changes nothing in the engine: it says which signal would be
worth adding to ``rag.abstention.FEATURE_NAMES`` before anyone retrains with it.

Two kinds of unanswerable question, both asked in Arabic and in English, all from the tuning half
(articles ``i % 4 in {0, 1}``; the report half is never read):

- ``off_article``: only the even-numbered articles are indexed and the questions about the others are
  unanswerable, as ``benchmarks.train_abstention`` trains and ``benchmarks.quality`` reports;
- ``near_topic``: every article is indexed with only its even-numbered paragraphs, and a question about
  another paragraph whose gold answer no indexed paragraph of its article holds is unanswerable. Its
  article's topic is in the corpus, the answer is not: the hard case of the seed question sets
  (``benchmarks/questions/seeds_hard.jsonl``), which the off-article questions never show.

For each signal, a logistic model like ``train_abstention``'s (the shipped signals plus that one) is
fitted on the off-article questions of three quarters of the tuning articles and judged on the rest
(four folds by article): the share of unanswerable questions refused, of both kinds, at the threshold
that answers 95% of the fitting articles' answerable questions, and the share of answerable ones
refused. English questions are judged on their first reading (the second reading,
``Settings.pseudo_question_band``, is left out).

The same folds also judge other model forms over the shipped features (``MODEL_FORMS``): gradient
boosting instead of the logistic model, the answer ranker's score crossed with the question's type,
and a logistic model that learns "answerable and its best candidate holds the gold answer" (so the
answerable questions it refuses are first those it would have answered wrongly). Beside the refusal
rates, each says how many of the answerable questions it refused had a best candidate holding the
gold answer: the answers a refusal costs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold, cross_val_predict

from benchmarks.common import log, write_result
from benchmarks.corpus import LANGUAGES, asked, load_default_xquad, open_engine
from benchmarks.metrics import threshold_for_answer_rate
from benchmarks.train_abstention import ANSWER_RATE, fit
from benchmarks.xquad import Paragraph, Question, XQuAD, abstention_split
from rag import Engine, normalized_contains
from rag.abstention import FEATURE_NAMES
from rag.question_types import QuestionType, question_type
from rag.retrieval import Hit
from rag.term_matching import WeightedTerms, matched_weight

#: Folds of the tuning articles (by ``article // 4``), each with as many indexed as unindexed articles.
FOLDS = 4
#: The lexical lead compares a passage's TF-IDF cosine with the median of this many best ones.
LEXICAL_BACKGROUND = 10
#: Passages searched lexically per question (the retriever's fusion depth).
LEXICAL_DEPTH = 50


@dataclass(frozen=True)
class Reading:
    """What one question's retrieval gives the signals: the judged passages, the question's terms,
    the shipped features and the TF-IDF cosines of the passages to the question in the corpus's
    language (an English question through its Arabic gloss), best first."""

    hits: list[Hit]
    terms: WeightedTerms
    shipped: np.ndarray
    lexical: dict[int, float]
    kind: QuestionType
    #: Whether the best candidate sentence of the judged passages holds the gold answer.
    holds_gold: bool


def lexical_first(reading: Reading) -> float:
    return reading.lexical.get(reading.hits[0].position, 0.0)


def lexical_best(reading: Reading) -> float:
    return max(reading.lexical.get(h.position, 0.0) for h in reading.hits)


def lexical_lead_first(reading: Reading) -> float:
    best = list(reading.lexical.values())[:LEXICAL_BACKGROUND]
    return lexical_first(reading) - float(np.median(best)) if len(best) == LEXICAL_BACKGROUND else math.nan


def rarest_term_in_first(reading: Reading) -> float:
    if not reading.terms:
        return math.nan
    rarest = max(reading.terms, key=lambda term: term[1])
    return float(matched_weight([rarest], reading.hits[0].chunk.text) > 0)


def rarest_unmatched_weight(reading: Reading) -> float:
    """The weight of the rarest term group missing from the passage that holds most of them."""
    best = max(reading.hits, key=lambda h: matched_weight(reading.terms, h.chunk.text))
    return max((w for g, w in reading.terms if not matched_weight([(g, w)], best.chunk.text)), default=0.0)


def passage_gap(reading: Reading) -> float:
    first, second = sorted((h.dense_score for h in reading.hits), reverse=True)[:2]
    return first - second


SIGNALS: dict[str, Callable[[Reading], float]] = {
    "lexical_first": lexical_first,
    "lexical_best": lexical_best,
    "lexical_lead_first": lexical_lead_first,
    "rarest_term_in_first": rarest_term_in_first,
    "rarest_unmatched_weight": rarest_unmatched_weight,
    "passage_gap": passage_gap,
}


def read(engine: Engine, questions: list[Question], language: str) -> list[Reading]:
    """Each question retrieved and judged as the engine does, with its lexical cosines and whether its
    best candidate holds the gold answer."""
    composer, retriever = engine._composer, engine._retriever  # reads the engine's internals, as training does
    store = retriever.store
    texts = [asked(q, language) for q in questions]
    readings = []
    for question, text, vector in zip(questions, texts, engine.embed_questions(texts), strict=True):
        question_terms = composer.terms.find(text, language)
        scores = composer.scorer.store.sentence_scores(vector)
        hits = retriever.retrieve(
            text, language, composer.abstention_depth, vector, terms=question_terms, sentence_scores=scores
        )
        terms = question_terms.weighted
        shipped = composer.answerability_features(text, language, hits, vector, question_terms, scores)
        judged = hits[: composer.abstention_depth]
        best = composer.scorer.candidates(text, language, judged, vector, scores, terms)[:1]
        quoted = [store.text(store.chunks[c.chunk_position].doc_id, c.start, c.end) for c in best]
        holds_gold = any(normalized_contains(q, answer) for q in quoted for answer in question.answers)
        in_corpus_language = text if language == "ar" else composer.terms.pseudo_question(text, language)
        scores, positions = retriever.store.lexical.search(in_corpus_language or "", LEXICAL_DEPTH)
        lexical = dict(zip(positions.tolist(), scores.tolist(), strict=True))
        readings.append(Reading(hits, terms, shipped, lexical, question_type(text), holds_gold))
    return readings


def features(readings: list[Reading], signal: str | None) -> np.ndarray:
    """The shipped features, with the signal ``signal`` (NaN counted as its mean) after them."""
    shipped = np.vstack([r.shipped for r in readings])
    if signal is None:
        return shipped
    extra = np.array([SIGNALS[signal](r) for r in readings])
    extra = np.where(np.isnan(extra), np.nanmean(extra), extra)
    return np.column_stack([shipped, extra])


def near_topic_split(data: XQuAD, tuning: set[int]) -> tuple[list[Paragraph], list[Question], np.ndarray]:
    """The even-numbered paragraphs of every article, and the tuning half's questions with whether
    they are answerable; questions whose gold answer another indexed paragraph of their article
    holds are left out (they are not unanswerable)."""
    seen: dict[int, int] = {}
    kept = []
    for paragraph in data.paragraphs:
        if seen.get(paragraph.article, 0) % 2 == 0:
            kept.append(paragraph)
        seen[paragraph.article] = seen.get(paragraph.article, 0) + 1
    kept_ids = {p.doc_id for p in kept}
    questions, answerable = [], []
    for question in data.questions:
        if question.article not in tuning:
            continue
        holds = question.doc_id in kept_ids
        if not holds and any(
            normalized_contains(p.text, answer)
            for p in kept
            if p.article == question.article
            for answer in question.answers
        ):
            continue
        questions.append(question)
        answerable.append(holds)
    return kept, questions, np.array(answerable)


#: A learner: from feature rows, their labels and articles, a function scoring rows (higher: answer)
#: and the scores of the fitting rows its threshold is taken from.
Learner = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]]
#: Gradient boosting's settings: shallow trees, slow learning, leaves of at least 20 questions (the
#: tuning half has about 270 of each kind per language in three folds).
BOOSTING = {"max_depth": 3, "learning_rate": 0.05, "max_iter": 150, "min_samples_leaf": 20}
QUESTION_KINDS: tuple[QuestionType, ...] = ("when", "how_many", "who", "where", "why", "other")


def logistic(
    rows: np.ndarray, labels: np.ndarray, articles: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """``train_abstention``'s logistic model (standardized, an unknown feature counted as its mean),
    its threshold taken from its own scores of the fitting rows, as the shipped rule does."""
    model = fit(rows, labels)

    def score(judged: np.ndarray) -> np.ndarray:
        return np.array([model.probability(row) for row in judged])

    return score, score(rows)


def boosting(
    rows: np.ndarray, labels: np.ndarray, articles: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """Gradient-boosted trees (scikit-learn's histogram version, which reads NaN as its own branch).
    Trees score the rows they were fitted on far too well, so the threshold is taken from the fitting
    rows' scores cross-fitted over their articles (3 folds)."""
    model = HistGradientBoostingClassifier(random_state=0, **BOOSTING)
    cross_fitted = cross_val_predict(model, rows, labels, groups=articles, cv=GroupKFold(3), method="predict_proba")
    fitted = model.fit(rows, labels)
    return (lambda judged: fitted.predict_proba(judged)[:, 1]), cross_fitted[:, 1]


def answer_score_by_kind(readings: list[Reading]) -> np.ndarray:
    """The shipped features with the answer ranker's score crossed with each question type (0 for
    the other types; an unknown score counted as the mean)."""
    shipped = features(readings, None)
    score = shipped[:, FEATURE_NAMES.index("answer_score")]
    score = np.where(np.isnan(score), np.nanmean(score), score)
    kinds = np.array([[r.kind == kind for kind in QUESTION_KINDS] for r in readings], dtype=float)
    return np.column_stack([shipped, kinds * score[:, None]])


@dataclass(frozen=True)
class ModelForm:
    """How a model is fitted: its feature rows, what it learns (``answered_right``: answerable and its
    best candidate holds the gold answer, instead of answerable) and its learner."""

    rows: Callable[[list[Reading]], np.ndarray]
    learner: Learner = logistic
    answered_right: bool = False


MODEL_FORMS: dict[str, ModelForm] = {
    "logistic (shipped)": ModelForm(lambda readings: features(readings, None)),
    "gradient boosting": ModelForm(lambda readings: features(readings, None), boosting),
    "logistic, answer_score x question type": ModelForm(answer_score_by_kind),
    "logistic learning answerable and answered right": ModelForm(
        lambda readings: features(readings, None), answered_right=True
    ),
}


def refusal_rates(
    form: ModelForm,
    off: tuple[list[Reading], np.ndarray, np.ndarray],
    near: tuple[list[Reading], np.ndarray, np.ndarray],
) -> dict[str, float]:
    """Refusals of held-out folds: each fold judged by a model of ``form`` fitted on the other folds'
    off-article questions (readings, answerable, article of each question) at the threshold that
    answers ``ANSWER_RATE`` of their answerable ones; how many answerable questions refused had a best
    candidate holding the gold answer; and, to compare forms at one rate whatever their thresholds
    do, the unanswerable questions refused at the threshold answering ``ANSWER_RATE`` of the held-out
    fold's own answerable questions (``*_at_equal_answer_rate``)."""
    kinds = ("off_article_unanswerable", "near_topic_unanswerable", "answerable")
    refused: dict[str, list[bool]] = {kind: [] for kind in kinds}
    at_equal: dict[str, list[bool]] = {kind: [] for kind in kinds[:2]}
    (r_off, y_off, a_off), (r_near, y_near, a_near) = off, near
    x_off, x_near = form.rows(r_off), form.rows(r_near)
    right = np.array([r.holds_gold for r in r_off]) & y_off
    refused_right = 0
    for fold in range(FOLDS):
        fitting = (a_off // 4) % FOLDS != fold
        labels = (right if form.answered_right else y_off)[fitting]
        score, fitting_scores = form.learner(x_off[fitting], labels, a_off[fitting])
        threshold = threshold_for_answer_rate(fitting_scores[y_off[fitting]].tolist(), ANSWER_RATE)
        held, held_near = ~fitting, (a_near // 4) % FOLDS == fold
        scores = {
            "off_article_unanswerable": score(x_off[held & ~y_off]),
            "near_topic_unanswerable": score(x_near[held_near & ~y_near]),
            "answerable": score(x_off[held & y_off]),
        }
        for kind in kinds:
            refused[kind] += (scores[kind] < threshold).tolist()
        refused_right += int((score(x_off[held & right]) < threshold).sum())
        own_threshold = threshold_for_answer_rate(scores["answerable"].tolist(), ANSWER_RATE)
        for kind in at_equal:
            at_equal[kind] += (scores[kind] < own_threshold).tolist()
    rates: dict[str, float] = {kind: round(float(np.mean(values)), 4) for kind, values in refused.items()}
    equal = {f"{kind}_at_equal_answer_rate": round(float(np.mean(v)), 4) for kind, v in at_equal.items()}
    return {**rates, "answerable_refused_holding_gold": refused_right, **equal}


def run() -> dict:
    data = load_default_xquad()
    indexed, tuning = abstention_split(data.article_count)
    off_questions = [q for q in data.questions if q.article in tuning]
    off_answerable = np.array([q.article in indexed for q in off_questions])
    near_paragraphs, near_questions, near_answerable = near_topic_split(data, tuning)
    off_engine = open_engine([p for p in data.paragraphs if p.article in indexed], "xquad_half")
    near_engine = open_engine(near_paragraphs, "xquad_para_half", off_engine)
    results: dict[str, object] = {
        "questions": {
            "off_article": {"answerable": int(off_answerable.sum()), "unanswerable": int((~off_answerable).sum())},
            "near_topic": {"answerable": int(near_answerable.sum()), "unanswerable": int((~near_answerable).sum())},
        },
        "shipped_features": list(FEATURE_NAMES),
        "signals": {},
        "model_forms": {},
    }
    readings = {}
    for language in LANGUAGES:
        for kind, engine, questions in (("off", off_engine, off_questions), ("near", near_engine, near_questions)):
            readings[kind, language] = read(engine, questions, language)
    articles = {
        "off": np.array([q.article for q in off_questions]),
        "near": np.array([q.article for q in near_questions]),
    }

    def judged(form: ModelForm) -> dict[str, dict[str, float]]:
        return {
            language: refusal_rates(
                form,
                (readings["off", language], off_answerable, articles["off"]),
                (readings["near", language], near_answerable, articles["near"]),
            )
            for language in LANGUAGES
        }

    for signal in (None, *SIGNALS):
        name = signal or "shipped features alone"
        results["signals"][name] = judged(ModelForm(lambda chosen, signal=signal: features(chosen, signal)))
        log(f"{name}: {results['signals'][name]}")
    for name, form in MODEL_FORMS.items():
        results["model_forms"][name] = judged(form)
        log(f"{name}: {results['model_forms'][name]}")
    return results


def main() -> None:
    path = write_result("abstention_signals", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
