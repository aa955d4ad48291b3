"""Fast checks of the benchmark helpers: metrics, thresholds, the XQuAD loader and corpus writer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmarks.abstention_signals import Reading, answer_score_by_kind, boosting, near_topic_split
from benchmarks.common import percentile, summarize_ms
from benchmarks.metrics import (
    abstention_rates,
    choose_threshold,
    gold_rank,
    mrr_at,
    recall_at,
    retrieval_summary,
    threshold_for_answer_rate,
    unique_in_order,
)
from benchmarks.scale import BuildTimeout, build_hnsw, recall_at_k, recommend_switch, top1_found, unit_vectors
from benchmarks.train_abstention import ANSWER_RATE
from benchmarks.train_abstention import fit as fit_abstention
from benchmarks.train_answer_ranker import (
    QuestionCandidates,
    cross_validated_gold,
    fit,
    gain_in_standard_errors,
    quoted_gold,
)
from benchmarks.xquad import Paragraph, Question, XQuAD, load_xquad, split_articles, write_corpus


def test_gold_rank_counts_documents_not_chunks() -> None:
    # p1 is split into two chunks ranked 1 and 3: it counts once, at its first rank.
    ranked = ["p1", "p2", "p1", "p3"]
    assert unique_in_order(ranked) == ["p1", "p2", "p3"]
    assert gold_rank(ranked, "p3") == 3
    assert gold_rank(ranked, "p1") == 1
    assert gold_rank(ranked, "p9") is None


def test_recall_and_mrr_on_hand_made_ranks() -> None:
    ranks = [1, 2, None, 5, 11]
    assert recall_at(ranks, 1) == pytest.approx(1 / 5)
    assert recall_at(ranks, 5) == pytest.approx(3 / 5)
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 5) / 5)
    summary = retrieval_summary(ranks)
    assert summary["n"] == 5
    assert summary["recall@5"] == pytest.approx(0.6)
    assert recall_at([], 1) == 0.0


def test_abstention_rates_abstain_below_threshold() -> None:
    rates = abstention_rates(answerable=[0.9, 0.85, 0.7], unanswerable=[0.6, 0.75], threshold=0.8)
    assert rates.abstain_answerable == pytest.approx(1 / 3)
    assert rates.abstain_unanswerable == pytest.approx(1.0)
    assert rates.balanced_accuracy == pytest.approx((1.0 + 2 / 3) / 2)


def test_choose_threshold_separates_separable_scores() -> None:
    chosen = choose_threshold(answerable=[0.86, 0.9, 0.95], unanswerable=[0.7, 0.75, 0.8])
    assert 0.8 < chosen.threshold < 0.86
    assert chosen.balanced_accuracy == pytest.approx(1.0)


def test_choose_threshold_with_overlap_maximizes_balanced_accuracy() -> None:
    answerable = [0.78, 0.85, 0.9, 0.92]
    unanswerable = [0.7, 0.72, 0.8, 0.88]
    chosen = choose_threshold(answerable, unanswerable)
    best = max(abstention_rates(answerable, unanswerable, t / 1000).balanced_accuracy for t in range(600, 1000))
    assert chosen.balanced_accuracy == pytest.approx(best)
    with pytest.raises(ValueError):
        abstention_rates([], [0.5], 0.6)


def test_percentile_and_summary() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    summary = summarize_ms([0.001, 0.002, 0.003])
    assert summary["p50_ms"] == pytest.approx(2.0)
    assert summary["n"] == 3


def squad(paragraphs: list[list[tuple[str, str, str]]], contexts: list[str]) -> dict:
    """A tiny SQuAD file: one article per entry of ``paragraphs``, one paragraph each."""
    return {
        "version": "1.1",
        "data": [
            {
                "title": f"article {i}",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {"id": qid, "question": question, "answers": [{"answer_start": 0, "text": answer}]}
                            for qid, question, answer in qas
                        ],
                    }
                ],
            }
            for i, (qas, context) in enumerate(zip(paragraphs, contexts, strict=True))
        ],
    }


def write_pair(folder: Path, arabic: dict, english: dict) -> tuple[Path, Path]:
    ar, en = folder / "ar.json", folder / "en.json"
    ar.write_text(json.dumps(arabic, ensure_ascii=False), encoding="utf-8")
    en.write_text(json.dumps(english), encoding="utf-8")
    return ar, en


def test_load_xquad_pairs_languages(tmp_path: Path) -> None:
    arabic = squad(
        [[("q1", "ما عاصمة مصر؟", "القاهرة")], [("q2", "من كتب؟", "نجيب")]], ["القاهرة عاصمة مصر.", "كتب نجيب."]
    )
    english = squad([[("q1", "What is the capital of Egypt?", "Cairo")], [("q2", "Who wrote?", "Naguib")]], ["c", "d"])
    data = load_xquad(*write_pair(tmp_path, arabic, english))
    assert [p.doc_id for p in data.paragraphs] == ["p000", "p001"]
    assert data.paragraphs[1].text == "كتب نجيب."
    assert data.article_count == 2
    second = data.questions[1]
    assert (second.doc_id, second.article) == ("p001", 1)
    assert second.text("en") == "Who wrote?"
    assert second.text("ar") == "من كتب؟"
    assert second.answers == ("نجيب",)


def test_load_xquad_rejects_files_that_are_not_parallel(tmp_path: Path) -> None:
    arabic = squad([[("q1", "سؤال", "جواب")]], ["نص"])
    english = squad([[("other", "question", "answer")]], ["text"])
    with pytest.raises(ValueError, match="ids differ"):
        load_xquad(*write_pair(tmp_path, arabic, english))


def test_write_corpus_replaces_stale_files_and_keeps_unchanged_ones(tmp_path: Path) -> None:
    arabic = squad([[("q1", "س", "ج")], [("q2", "س", "ج")]], ["الفقرة الأولى", "الفقرة الثانية"])
    data = load_xquad(*write_pair(tmp_path, arabic, arabic))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "old.txt").write_text("stale", encoding="utf-8")
    write_corpus(data.paragraphs, folder)
    first = folder / "p000.txt"
    stamp = first.stat().st_mtime_ns
    write_corpus(data.paragraphs[:1], folder)
    assert sorted(p.name for p in folder.iterdir()) == ["p000.txt"]
    assert first.read_text(encoding="utf-8") == "الفقرة الأولى\n"
    assert first.stat().st_mtime_ns == stamp


def test_split_articles_is_interleaved() -> None:
    assert split_articles(8, 2, {0}) == {0, 2, 4, 6}
    assert split_articles(8, 4, {0, 1}) == {0, 1, 4, 5}


def test_recall_at_k_ignores_missing_results() -> None:
    truth = np.array([[1, 2], [3, 4]])
    found = np.array([[2, -1], [5, 6]])
    assert recall_at_k(found, truth) == pytest.approx(0.25)


def test_recommend_switch_solves_the_linear_latency_fit() -> None:
    def point(size: int, ms: float, recall: float) -> dict:
        return {
            "size": size,
            "flat": {"latency": {"1_threads": {"p50_ms": ms}}},
            "hnsw": {"recall@10": {"near": recall}},
        }

    # 1 ms per 100k chunks, floor 20 ms: the budget (25%) of 5 ms is reached at 500k chunks.
    points = [point(100_000, 1.0, 0.99), point(1_000_000, 10.0, 0.9)]
    advice = recommend_switch(points, floor=20.0, threads=1)
    assert advice["switch_at_chunks"] == 500_000
    assert advice["hnsw_recall_ok_at_sizes"] == [100_000]


def test_threshold_for_answer_rate_keeps_that_share_answered() -> None:
    answerable = [i / 100 for i in range(60, 100)]  # 40 scores
    threshold = threshold_for_answer_rate(answerable, 0.95)
    answered = sum(1 for s in answerable if s >= threshold)
    assert answered >= 0.95 * len(answerable)
    assert sum(1 for s in answerable if s >= threshold + 0.01) < 0.95 * len(answerable)


def test_top1_found_checks_only_the_nearest() -> None:
    truth = np.array([[1, 2], [3, 4]])
    found = np.array([[2, 1], [4, 9]])
    assert top1_found(found, truth) == pytest.approx(0.5)


def test_hnsw_build_stops_at_its_budget() -> None:
    vectors = unit_vectors(np.random.default_rng(0), 200)
    assert build_hnsw(vectors).ntotal == 200
    with pytest.raises(BuildTimeout) as stopped:
        build_hnsw(vectors, budget_seconds=-1.0)
    assert stopped.value.added == 0


def test_column_search_ranks_like_the_engines_lexical_index() -> None:
    from benchmarks.lexical_scale import ColumnSearch
    from rag.lexical import LexicalIndex

    texts = [
        "عاصمة مصر هي القاهرة وتقع على نهر النيل",
        "كرة القدم رياضة شعبية في العالم العربي",
        "نهر النيل أطول أنهار أفريقيا",
        "تقع دمشق في سوريا وهي من أقدم المدن",
    ]
    index = LexicalIndex.build(texts)
    column = ColumnSearch.of(index)
    for question in ("ما هي عاصمة مصر؟", "أطول نهر في أفريقيا", "مدينة دمشق"):
        assert list(column.search(question, 2)) == list(index.search(question, 2)[1])


def test_each_sentence_is_pooled_from_the_chunk_holding_it_with_most_context():
    from benchmarks.sentence_vectors import sentence_owners
    from rag.chunking import Chunk, Sentence

    text = "a" * 100
    chunks = [Chunk("d#0", "d", text[0:60], 0, 60), Chunk("d#1", "d", text[40:100], 40, 100)]
    sentences = [
        Sentence("d", 0, 30),  # only the first chunk holds it
        Sentence("d", 42, 50),  # both: margin 10 in the first, 2 in the second
        Sentence("d", 50, 58),  # both: margin 2 in the first, 10 in the second
        Sentence("d", 30, 80),  # neither holds it whole
        Sentence("other", 0, 10),  # no chunk of its article
    ]
    assert sentence_owners(chunks, sentences) == [0, 0, 1, None, None]


def test_near_topic_split_indexes_every_other_paragraph_and_drops_answers_found_elsewhere() -> None:
    paragraphs = [
        Paragraph("p000", 0, "A", "القاهرة عاصمة مصر."),
        Paragraph("p001", 0, "A", "النيل يمر بالقاهرة ويبلغ طوله 6650 كيلومترا."),
        Paragraph("p002", 0, "A", "يمر النيل بالقاهرة."),
        Paragraph("p003", 1, "B", "كتب نجيب محفوظ الثلاثية."),
    ]
    questions = [
        Question("q1", "p000", 0, "Capital?", "ما العاصمة؟", ("القاهرة",)),
        Question("q2", "p001", 0, "How long?", "كم طوله؟", ("6650 كيلومترا",)),
        Question("q3", "p001", 0, "Through where?", "بأين يمر؟", ("بالقاهرة",)),
        Question("q4", "p003", 1, "Who?", "من كتب؟", ("نجيب محفوظ",)),
    ]
    kept, asked, answerable = near_topic_split(XQuAD(paragraphs, questions), {0})
    assert [p.doc_id for p in kept] == ["p000", "p002", "p003"]
    # q3's answer is also in p002, which is indexed: not unanswerable, left out; q4 is not in the tuning half
    assert [q.qid for q in asked] == ["q1", "q2"]
    assert answerable.tolist() == [True, False]


def test_a_passage_takes_each_sentence_by_the_share_of_it_that_it_holds():
    from benchmarks.build_ways import overlap_shares
    from rag.chunking import Chunk, Sentence

    text = "a" * 100
    chunks = [Chunk("d#0", "d", text[0:60], 0, 60), Chunk("d#1", "d", text[40:100], 40, 100)]
    sentences = [Sentence("d", 0, 40), Sentence("d", 40, 60), Sentence("d", 50, 100), Sentence("other", 0, 10)]
    shares = overlap_shares(chunks, sentences)
    assert shares.tolist() == [[1.0, 1.0, 0.2, 0.0], [0.0, 1.0, 1.0, 0.0]]


def test_random_perturbation_keeps_unit_length_at_the_asked_cosine():
    from benchmarks.build_ways import perturbed

    rng = np.random.default_rng(1)
    vectors = unit_vectors(rng, 50, 16)
    moved = perturbed(vectors, 0.998, rng)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    assert np.allclose((moved * vectors).sum(axis=1), 0.998, atol=1e-5)


def test_a_build_way_keeps_quality_only_within_both_limits_everywhere():
    from benchmarks.build_ways import changes

    def figures(recall: float, answers: float) -> dict:
        one = {"recall@1": recall, "answer_contains_gold": answers}
        return {half: {"en": one, "ar": dict(one)} for half in ("tuning_half", "report_half")}

    result = changes(
        {
            "now": figures(0.80, 0.70),
            "close": figures(0.796, 0.692),
            "recall_off": figures(0.794, 0.70),
            "answers_off": figures(0.80, 0.688),
        }
    )
    assert result["close"]["keeps_quality"] and result["now"]["keeps_quality"]
    assert not result["recall_off"]["keeps_quality"] and not result["answers_off"]["keeps_quality"]
    assert result["recall_off"]["points"]["report_half ar recall@1"] == -0.6


def _candidates(article: int, gold_first: bool, sentences: tuple[int, int, int] = (0, 5, 10)) -> QuestionCandidates:
    """Three candidates of one article whose first feature (sentence cosine) is highest for the gold
    one or not."""
    features = np.zeros((3, 14))
    features[:, 0] = [0.9, 0.5, 0.1] if gold_first else [0.5, 0.9, 0.1]
    return QuestionCandidates(
        features, np.array([True, False, False]), article, np.array(sentences), np.array(["d"] * 3)
    )


def test_quoted_gold_counts_a_second_sentence_only_within_the_margin() -> None:
    collected = [_candidates(0, gold_first=False)]
    model = fit([_candidates(a, gold_first=True) for a in range(8)])
    assert model.weights[0] > 0
    assert not quoted_gold(replace(model, second_sentence_margin=0.0), collected)[0]
    assert quoted_gold(replace(model, second_sentence_margin=1e9), collected)[0]


def test_quoted_gold_counts_the_best_sentences_neighbour_within_its_margin() -> None:
    gold_third = _candidates(0, gold_first=False, sentences=(4, 5, 9))
    gold_third.features[:, 0] = [0.1, 0.9, 0.5]
    model = replace(fit([_candidates(a, gold_first=True) for a in range(8)]), second_sentence_margin=0.0)
    assert not quoted_gold(replace(model, neighbour_margin=0.0), [gold_third])[0]
    assert quoted_gold(replace(model, neighbour_margin=1e9), [gold_third])[0]


def test_cross_validated_gold_fits_each_fold_without_its_articles() -> None:
    collected = [_candidates(a, gold_first=a % 2 == 0) for a in range(8) for _ in range(3)]
    seen: list[set[int]] = []

    def train(items: list[QuestionCandidates]):
        seen.append({item.article for item in items})
        return fit(items)

    held = cross_validated_gold(train, collected)
    assert len(held) == len(collected) and len(seen) == 4
    assert all(len(articles) == 6 for articles in seen)
    assert held[[i for i, c in enumerate(collected) if c.article % 2 == 0]].all()


def test_gain_in_standard_errors_is_zero_for_equal_results_and_grows_with_the_gain() -> None:
    same = np.array([True, False] * 50)
    assert gain_in_standard_errors(same, same) == 0.0
    better = same.copy()
    better[1:11:2] = True
    assert gain_in_standard_errors(better, same) > 2
    assert gain_in_standard_errors(same, better) < -2


def test_the_abstention_fit_counts_an_unknown_feature_as_its_mean_and_answers_its_share() -> None:
    rng = np.random.default_rng(3)
    answerable = rng.random(400) < 0.6
    signal = np.where(answerable, 1.0, -1.0) + rng.normal(0, 0.8, 400)
    unknown_sometimes = np.where(rng.random(400) < 0.2, np.nan, rng.normal(0, 1, 400))
    model = fit_abstention(np.column_stack([signal, unknown_sometimes]), answerable)
    assert np.isfinite(model.mean).all() and model.weights[0] > 0
    answered = [model.probability(row) >= model.threshold for row in np.column_stack([signal, unknown_sometimes])]
    assert np.mean(np.array(answered)[answerable]) >= ANSWER_RATE
    assert np.mean(np.array(answered)[~answerable]) < 0.5


def _reading(kind: str, answer_score: float) -> Reading:
    shipped = np.array([0.8, 0.8, 0.02, 0.5, 3.0, 2.0, answer_score])
    return Reading([], [], shipped, {}, kind, False)


def test_answer_score_is_crossed_with_the_question_type_and_an_unknown_score_counts_as_the_mean() -> None:
    rows = answer_score_by_kind([_reading("who", 1.2), _reading("when", 1.4), _reading("who", float("nan"))])
    crossed = rows[:, 7:]  # one column per type after the shipped features: when, how_many, who, where, why, other
    assert crossed.shape == (3, 6)
    assert crossed[0].tolist() == [0.0, 0.0, 1.2, 0.0, 0.0, 0.0]
    assert crossed[1].tolist() == [1.4, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert crossed[2, 2] == pytest.approx(1.3)


def test_boosting_takes_its_threshold_from_scores_of_rows_it_was_not_fitted_on() -> None:
    # Labels that are pure noise: trees fitted on them score their own rows well, held-out rows at chance.
    rng = np.random.default_rng(3)
    rows, labels = rng.normal(size=(300, 4)), rng.random(300) < 0.5
    articles = np.arange(300) // 10
    score, fitting_scores = boosting(rows, labels, articles)
    own = np.mean((score(rows) >= 0.5) == labels)
    cross_fitted = np.mean((fitting_scores >= 0.5) == labels)
    assert own > 0.7
    assert cross_fitted < 0.62


def test_the_best_candidate_is_told_apart_by_where_it_comes_from() -> None:
    from benchmarks.passage_choice import best_candidate, with_prior
    from rag.answer_features import FEATURE_NAMES

    def item(cosines: list[float], labels: list[bool], docs: list[str]) -> QuestionCandidates:
        features = np.zeros((len(cosines), len(FEATURE_NAMES)))
        features[:, FEATURE_NAMES.index("sentence_cosine")] = cosines
        features[:, FEATURE_NAMES.index("passage_rank_reciprocal")] = [1.0, 0.5][: len(cosines)]
        return QuestionCandidates(features, np.array(labels), 0, np.arange(len(cosines)), np.array(docs))

    collected = [
        item([0.9, 0.8], [True, False], ["p0", "p1"]),  # right
        item([0.9, 0.8], [False, True], ["p0", "p0"]),  # the gold paragraph, another sentence
        item([0.9, 0.8], [False, True], ["p1", "p0"]),  # a neighbouring paragraph of the same article
        item([0.9, 0.8], [False, True], ["p5", "p0"]),  # another article
    ]
    counts = best_candidate(collected, ["p0"] * 4, {"p0": 0, "p1": 0, "p5": 1})
    assert counts == {"holds_gold": 1, "gold_paragraph": 1, "own_article": 1, "other_article": 1}
    # a prior for the passage's retrieval rank moves the choice only when it outweighs the cosine gap
    assert int(np.argmax(with_prior(0.05, collected).scores(collected[2].features))) == 0
    flipped = item([0.8, 0.85], [False, True], ["p1", "p0"])
    assert int(np.argmax(with_prior(0.2, [flipped]).scores(flipped.features))) == 0
    assert int(np.argmax(with_prior(0.0, [flipped]).scores(flipped.features))) == 1
