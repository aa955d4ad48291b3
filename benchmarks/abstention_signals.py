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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import log, write_result
from benchmarks.corpus import LANGUAGES, asked, load_default_xquad, open_engine
from benchmarks.train_abstention import fit
from benchmarks.xquad import Paragraph, Question, XQuAD, abstention_split
from rag import Engine, normalized_contains
from rag.abstention import FEATURE_NAMES
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


def read(engine: Engine, texts: list[str], language: str, vectors: np.ndarray) -> list[Reading]:
    """Each question retrieved and judged as the engine does, with its lexical cosines."""
    composer, retriever = engine._composer, engine._retriever  # reads the engine's internals, as training does
    readings = []
    for text, vector in zip(texts, vectors, strict=True):
        question_terms = composer.terms.find(text, language)
        scores = composer.scorer.store.sentence_scores(vector)
        hits = retriever.retrieve(
            text, language, composer.abstention_depth, vector, terms=question_terms, sentence_scores=scores
        )
        terms = question_terms.weighted
        shipped = composer.answerability_features(text, language, hits, vector, question_terms, scores)
        in_corpus_language = text if language == "ar" else composer.terms.pseudo_question(text, language)
        scores, positions = retriever.store.lexical.search(in_corpus_language or "", LEXICAL_DEPTH)
        readings.append(Reading(hits, terms, shipped, dict(zip(positions.tolist(), scores.tolist(), strict=True))))
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


def refusal_rates(
    off: tuple[np.ndarray, np.ndarray, np.ndarray], near: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, float]:
    """Refusals of held-out folds: each fold judged by a model fitted on the other folds' off-article
    questions (features, answerable, article of each question)."""
    refused = {"off_article_unanswerable": [], "near_topic_unanswerable": [], "answerable": []}
    (x_off, y_off, a_off), (x_near, y_near, a_near) = off, near
    for fold in range(FOLDS):
        fitting = (a_off // 4) % FOLDS != fold
        model = fit(x_off[fitting], y_off[fitting])  # its threshold answers ANSWER_RATE of them
        held, held_near = ~fitting, (a_near // 4) % FOLDS == fold
        for kind, rows in (
            ("off_article_unanswerable", x_off[held & ~y_off]),
            ("near_topic_unanswerable", x_near[held_near & ~y_near]),
            ("answerable", x_off[held & y_off]),
        ):
            refused[kind] += [model.probability(row) < model.threshold for row in rows]
    return {kind: round(float(np.mean(values)), 4) for kind, values in refused.items()}


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
    }
    readings = {}
    for language in LANGUAGES:
        for kind, engine, questions in (("off", off_engine, off_questions), ("near", near_engine, near_questions)):
            texts = [asked(q, language) for q in questions]
            readings[kind, language] = read(engine, texts, language, engine.embed_questions(texts))
    articles = {
        "off": np.array([q.article for q in off_questions]),
        "near": np.array([q.article for q in near_questions]),
    }
    for signal in (None, *SIGNALS):
        name = signal or "shipped features alone"
        results["signals"][name] = {
            language: refusal_rates(
                (features(readings["off", language], signal), off_answerable, articles["off"]),
                (features(readings["near", language], signal), near_answerable, articles["near"]),
            )
            for language in LANGUAGES
        }
        log(f"{name}: {results['signals'][name]}")
    return results


def main() -> None:
    path = write_result("abstention_signals", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
