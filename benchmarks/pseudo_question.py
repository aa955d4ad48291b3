"""A second query vector for English questions over Arabic articles: the question with its Arabic gloss.

Run: ``.venv/bin/python -m benchmarks.pseudo_question`` (about 5 minutes; writes
``results/pseudo_question.json``; question vectors are cached in ``work/pseudo_question_vectors.npz``).

The 4-bit e5 model ties English questions to Arabic text weakly. The dictionary's translations and the
corpus's spellings of the question's names make an Arabic gloss of it (``BilingualLexicon.arabic_gloss``,
``QuestionTermFinder.pseudo_question``), embedded with the query prompt. Two pseudo-questions are
measured: the ``gloss`` alone and the ``question_and_gloss`` (the English question followed by its gloss,
what the engine uses). Each is mixed with the question's vector at weight ``a``, either as vectors
(``vector``: the normalized mix, one vector to search with) or as cosines (``score``: the unnormalized
mix, whose inner products are ``(1-a)·cos(q, x) + a·cos(pseudo, x)``), and the mix replaces the question's
vector everywhere (retrieval, answer candidates, abstention). On the XQuAD tuning halves only:

- answers (all 240 paragraphs indexed, English questions of the even-numbered articles): recall@1 and
  recall@5 of the gold paragraph (en→ar hybrid is dense), the top answer candidate holding the gold
  answer, and the answer text holding it with abstention off;
- abstention (the even-numbered articles indexed, questions of articles ``i % 4 in {0, 1}``, as
  ``benchmarks.train_abstention``): the engine's abstention features, a logistic model fitted 5-fold by
  article, its AUC and the unanswerable questions it refuses at the threshold that answers 95% of the
  answerable ones;
- the gate: reading a second time only the questions whose first confidence lies within a band of the
  threshold, and how many second embeddings that takes;
- the cost: a question's embedding and the second reading's, interleaved, and ``ask`` on English
  questions with the second reading on and off, side by side.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks.common import WORK_DIR, log, write_result
from benchmarks.corpus import load_default_xquad, open_engine
from benchmarks.metrics import threshold_for_answer_rate
from benchmarks.quality import contains_gold
from benchmarks.train_abstention import ANSWER_RATE, neutral_model_file
from benchmarks.xquad import Question, abstention_split, split_articles
from rag import Engine, check_question

#: Mixing weights of the pseudo-question's vector.
GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
#: Bands around the threshold within which a question is read a second time.
BANDS = (0.05, 0.1, 0.2, 0.3)
#: The engine's weight (``Settings.pseudo_question_weight``) is chosen from this run: the gate is
#: measured for it.
CHOSEN = ("question_and_gloss", "vector", 0.3)
FOLDS = 5
TIMED_QUESTIONS = 100


def pseudo_texts(engine: Engine, texts: list[str]) -> dict[str, list[str]]:
    """Each English question's gloss alone and the question followed by its gloss."""
    finder = engine._composer.terms  # a benchmark reads the engine's internals
    with_question = [finder.pseudo_question(text, "en") or text for text in texts]
    return {
        "gloss": [p[len(t) :].strip() or t for t, p in zip(texts, with_question, strict=True)],
        "question_and_gloss": with_question,
    }


def vectors(engine: Engine, half_engine: Engine, texts: list[str]) -> dict[str, np.ndarray]:
    """The questions' vectors and their pseudo-questions' (built over each index's names), cached."""
    cache = WORK_DIR / "pseudo_question_vectors.npz"
    if cache.exists():
        return dict(np.load(cache))
    found = {"question": engine.embed_questions(texts)}
    for name, built in (("full", engine), ("half", half_engine)):
        for kind, pseudo in pseudo_texts(built, texts).items():
            found[f"{kind}_{name}"] = engine.embed_questions(pseudo)
    np.savez(cache, **found)
    return found


def mixed(question: np.ndarray, pseudo: np.ndarray, weight: float, mix: str) -> np.ndarray:
    vector = (1 - weight) * question + weight * pseudo
    return vector / np.linalg.norm(vector, axis=-1, keepdims=True) if mix == "vector" else vector


def answers(engine: Engine, questions: list[Question], texts: list[str], query: np.ndarray) -> dict:
    composer, retriever = engine._composer, engine._retriever
    store = retriever.store
    found = {"recall@1": [], "recall@5": [], "top1_contains_gold": [], "answer_contains_gold_no_abstention": []}
    for question, text, vector in zip(questions, texts, query, strict=True):
        terms = composer.terms.find(text, "en")
        hits = retriever.retrieve(text, "en", engine.settings.top_k, vector, terms=terms)
        docs = [h.chunk.doc_id for h in hits]
        found["recall@1"].append(docs[:1] == [question.doc_id])
        found["recall@5"].append(question.doc_id in docs)
        scores = composer.scorer.store.sentence_scores(vector)
        candidates = composer.scorer.candidates(text, "en", hits, vector, scores, terms.weighted)
        best = candidates[0] if candidates else None
        best_text = store.text(store.chunks[best.chunk_position].doc_id, best.start, best.end) if best else ""
        found["top1_contains_gold"].append(contains_gold(best_text, question))
        answer = composer.compose(text, "en", hits, vector, engine.settings.top_k, terms)
        found["answer_contains_gold_no_abstention"].append(contains_gold(answer.text, question))
    return {name: np.array(values) for name, values in found.items()}


def abstention_features(engine: Engine, texts: list[str], query: np.ndarray) -> np.ndarray:
    composer, retriever = engine._composer, engine._retriever
    rows = []
    for text, vector in zip(texts, query, strict=True):
        terms = composer.terms.find(text, "en")
        scores = composer.scorer.store.sentence_scores(vector)
        hits = retriever.retrieve(text, "en", composer.abstention_depth, vector, terms=terms, sentence_scores=scores)
        rows.append(composer.answerability_features(text, "en", hits, vector, terms, scores))
    return np.vstack(rows)


def cross_validated(features: np.ndarray, answerable: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """Each question's probability of being answerable from a model fitted on the other folds (by article)."""
    probabilities = np.zeros(len(answerable))
    ordered = sorted(set(articles.tolist()))
    for fold in range(FOLDS):
        test = np.isin(articles, ordered[fold::FOLDS])
        mean, scale = features[~test].mean(axis=0), features[~test].std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(max_iter=1000).fit((features[~test] - mean) / scale, answerable[~test])
        probabilities[test] = model.predict_proba((features[test] - mean) / scale)[:, 1]
    return probabilities


def refusals(probabilities: np.ndarray, answerable: np.ndarray) -> tuple[float, np.ndarray]:
    """The threshold answering ``ANSWER_RATE`` of the answerable questions, and who it refuses."""
    threshold = threshold_for_answer_rate(list(probabilities[answerable]), ANSWER_RATE)
    return threshold, probabilities < threshold


def rates(refused: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    return {
        "unanswerable_refused": round(float(refused[~answerable].mean()), 4),
        "answerable_refused": round(float(refused[answerable].mean()), 4),
    }


def paired(better: np.ndarray, base: np.ndarray) -> dict[str, int]:
    return {"gained": int((better & ~base).sum()), "lost": int((~better & base).sum())}


def measure_mixes(engine, half, wanted, texts, found, answer_rows, abstention_rows, answerable, articles) -> dict:
    results: dict[str, dict] = {}
    base_answers = None
    probabilities: dict[str, np.ndarray] = {}
    for kind in ("question_and_gloss", "gloss"):
        for mix in ("vector", "score"):
            for weight in GRID:
                name = f"{kind} {mix} {weight}"
                if weight == 0 and probabilities:
                    continue  # the question alone, measured once
                full = mixed(found["question"], found[f"{kind}_full"], weight, mix)
                part = mixed(found["question"], found[f"{kind}_half"], weight, mix)
                got = answers(
                    engine, [wanted[i] for i in answer_rows], [texts[i] for i in answer_rows], full[answer_rows]
                )
                features = abstention_features(half, [texts[i] for i in abstention_rows], part[abstention_rows])
                probability = cross_validated(features, answerable, articles)
                probabilities[name] = probability
                base_answers = got if base_answers is None else base_answers
                results[name] = {
                    **{metric: round(float(values.mean()), 4) for metric, values in got.items()},
                    "recall@1_against_question_alone": paired(got["recall@1"], base_answers["recall@1"]),
                    "top1_against_question_alone": paired(
                        got["top1_contains_gold"], base_answers["top1_contains_gold"]
                    ),
                    "abstention_auc": round(float(roc_auc_score(answerable, probability)), 4),
                    **rates(refusals(probability, answerable)[1], answerable),
                }
                log(f"{name}: {results[name]}")
    return {"mixes": results, "probabilities": probabilities}


def gate(base: np.ndarray, second: np.ndarray, answerable: np.ndarray) -> dict:
    """Reading a second time only the questions whose first confidence is near its threshold."""
    base_threshold, base_refused = refusals(base, answerable)
    _, second_refused = refusals(second, answerable)
    rng = np.random.default_rng(0)
    unanswerable = np.flatnonzero(~answerable)
    gains = [
        second_refused[s].mean() - base_refused[s].mean()
        for s in (rng.choice(unanswerable, len(unanswerable)) for _ in range(2000))
    ]
    result = {
        "question_alone": rates(base_refused, answerable),
        "always_second_reading": rates(second_refused, answerable),
        "always_gain_bootstrap_95": [round(float(v), 4) for v in np.percentile(gains, [2.5, 97.5])],
    }
    for band in BANDS:
        near = np.abs(base - base_threshold) < band
        refused = np.where(near, second_refused, base_refused)
        result[f"band {band}"] = {**rates(refused, answerable), "read_twice": round(float(near.mean()), 4)}
    return result


def cost(engine: Engine, texts: list[str]) -> dict:
    """One question's embedding against the same plus its pseudo-question's, and ``ask`` with the second
    reading on and off, interleaved on the same English questions."""
    finder = engine._composer.terms
    off = engine.with_settings(pseudo_question_band=0.0)
    chosen = texts[:: max(1, len(texts) // TIMED_QUESTIONS)][:TIMED_QUESTIONS]
    ways = {
        "embed_question": lambda t: engine.embed_questions([t]),
        "embed_question_and_pseudo_question": lambda t: (
            engine.embed_questions([t]),
            engine.embed_questions([finder.pseudo_question(t, "en")]),
        ),
        "ask_second_reading_on": lambda t: engine.ask(t),
        "ask_second_reading_off": lambda t: off.ask(t),
    }
    for text in chosen[:10]:
        for way in ways.values():
            way(text)
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for i, text in enumerate(chosen):
        names = list(ways)[i % len(ways) :] + list(ways)[: i % len(ways)]
        for name in names:
            started = time.perf_counter()
            ways[name](text)
            seconds[name].append(time.perf_counter() - started)
    floor = np.array(seconds["embed_question"])
    return {
        "questions": len(chosen),
        "median_ms": {name: round(statistics.median(v) * 1000, 2) for name, v in seconds.items()},
        "mean_ms": {name: round(statistics.fmean(v) * 1000, 2) for name, v in seconds.items()},
        "median_ratio_to_embedding": {
            name: round(float(np.median(np.array(v) / floor)), 3) for name, v in seconds.items()
        },
        "mean_ratio_to_embedding": {name: round(float(np.mean(v) / np.mean(floor)), 3) for name, v in seconds.items()},
    }


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    indexed, abstention_tuning = abstention_split(data.article_count)
    answer_tuning = split_articles(data.article_count, 2, {0})
    neutral = neutral_model_file(WORK_DIR)
    engine = open_engine(data.paragraphs, "xquad", abstention_model_path=neutral)
    paragraphs = [p for p in data.paragraphs if p.article in indexed]
    half = open_engine(paragraphs, "xquad_half", engine, abstention_model_path=neutral)
    wanted = [q for q in data.questions if q.article in answer_tuning | abstention_tuning]
    texts = [check_question(q.english, engine.settings.max_question_chars).text for q in wanted]
    found = vectors(engine, half, texts)
    answer_rows = np.array([i for i, q in enumerate(wanted) if q.article in answer_tuning])
    abstention_rows = np.array([i for i, q in enumerate(wanted) if q.article in abstention_tuning])
    answerable = np.array([wanted[i].article in indexed for i in abstention_rows])
    articles = np.array([wanted[i].article for i in abstention_rows])
    measured = measure_mixes(engine, half, wanted, texts, found, answer_rows, abstention_rows, answerable, articles)
    probabilities = measured["probabilities"]
    chosen = " ".join(map(str, CHOSEN))
    shipped = open_engine(data.paragraphs, "xquad", engine)
    return {
        "dataset": "XQuAD (CC BY-SA 4.0) tuning halves: answers on the even-numbered articles' English questions "
        f"({len(answer_rows)}), abstention on articles i % 4 in {{0, 1}} ({len(abstention_rows)}, "
        f"{int(answerable.sum())} answerable) with the even-numbered articles indexed",
        "mixes": measured["mixes"],
        "chosen": chosen,
        "gate": gate(probabilities["question_and_gloss vector 0.0"], probabilities[chosen], answerable),
        "cost": cost(shipped, [texts[i] for i in answer_rows]),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("pseudo_question", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
