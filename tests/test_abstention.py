import json
import math
from pathlib import Path

import numpy as np
import pytest

from rag import Engine, Settings
from rag.abstention import (
    BACKGROUND_SENTENCES,
    BACKGROUND_SHARE,
    FEATURE_NAMES,
    PSEUDO_QUESTION_MODEL,
    Abstention,
    AbstentionModelError,
    AnswerabilityModel,
    answerability_features,
)
from rag.errors import ModelLoadError
from rag.lexicon import LexiconLoader
from rag.retrieval import Hit
from rag.term_matching import QuestionTermFinder, QuestionTerms
from rag.vectorstore import VectorStore


def finder(store: VectorStore, settings: Settings, lexicon_path: Path | None = None) -> QuestionTermFinder:
    return QuestionTermFinder(store.term_weights, "ar", LexiconLoader(lexicon_path or settings.lexicon_path))


def abstention(engine: Engine) -> Abstention:
    return engine.components().composer.abstention


def feature(features: np.ndarray, name: str) -> float:
    return float(features[FEATURE_NAMES.index(name)])


def lead(scores: np.ndarray) -> float:
    return feature(answerability_features([], [], scores, [], math.nan), "sentence_lead")


def median_rule(scores: np.ndarray, background: int) -> float:
    best = np.sort(scores)[-background:]
    return float(best.max() - np.median(best))


def test_features_describe_the_best_passages_and_the_question_terms_they_hold(
    engine: Engine, seed_store: VectorStore, seed_settings: Settings
):
    question = "متى ستعقد المحادثات في جنيف؟"
    vector = engine.embed_questions([question])[0]
    hits: list[Hit] = engine.retrieve(question, seed_settings.abstention_depth)
    terms = finder(seed_store, seed_settings).find(question, "ar")
    assert terms.source == "own" and terms.weighted
    scores = seed_store.sentence_vectors @ vector
    sentences_of_chunk = abstention(engine).sentences_of_chunk
    features = answerability_features(hits, terms.weighted, scores, sentences_of_chunk, 1.5)
    assert feature(features, "passage_cosine") == max(h.dense_score for h in hits)
    assert feature(features, "sentence_cosine") <= scores.max()
    assert 0 < feature(features, "term_share") <= 1
    total = sum(weight for _, weight in terms.weighted)
    matched = feature(features, "matched_term_weight")
    assert matched + feature(features, "unmatched_term_weight") == pytest.approx(total)
    assert feature(features, "term_share") == pytest.approx(matched / total)
    assert feature(features, "answer_score") == 1.5
    without_terms = answerability_features(hits, [], scores, sentences_of_chunk, math.nan)
    assert [feature(without_terms, n) for n in ("term_share", "matched_term_weight", "unmatched_term_weight")] == [
        0,
        0,
        0,
    ]
    assert math.isnan(feature(without_terms, "answer_score"))


def test_the_composer_judges_by_the_answer_rankers_best_candidate(engine: Engine):
    components = engine.components()
    composer, store = components.composer, components.store
    question = "متى ستعقد المحادثات في جنيف؟"
    vector = engine.embed_questions([question])[0]
    terms = composer.terms.find(question, "ar")
    scores = store.sentence_scores(vector)
    hits = engine.retrieve(question, composer.abstention_depth)
    features = composer.answerability_features(question, "ar", hits, vector, terms, scores)
    candidates = composer.scorer.candidates(question, "ar", hits, vector, scores, terms.weighted)
    assert feature(features, "answer_score") == candidates[0].score
    assert math.isnan(
        feature(composer.answerability_features(question, "ar", [], vector, terms, scores), "answer_score")
    )


def test_sentence_lead_is_the_best_score_above_the_median_of_the_best_ones():
    scores = np.linspace(0.0, 1.0, 201)
    assert lead(scores) == pytest.approx(median_rule(scores, BACKGROUND_SENTENCES))
    assert math.isnan(lead(np.array([0.7])))
    assert math.isnan(lead(np.full(BACKGROUND_SENTENCES - 1, 0.5)))


def test_the_background_is_a_share_of_a_large_corpus():
    scores = np.linspace(0.0, 1.0, 2001)
    background = round(BACKGROUND_SHARE * len(scores))
    assert background > BACKGROUND_SENTENCES
    assert lead(scores) == pytest.approx(median_rule(scores, background))


def test_sentence_lead_equals_the_median_rule_exactly_on_unordered_scores_with_ties():
    rng = np.random.default_rng(7)
    for count in (BACKGROUND_SENTENCES, BACKGROUND_SENTENCES + 1, 337, 1148, 1149):
        scores = np.round(rng.random(count), 2).astype(np.float32)
        background = max(BACKGROUND_SENTENCES, round(BACKGROUND_SHARE * count))
        assert lead(scores) == median_rule(scores, background)


def test_sentence_lead_barely_moves_when_the_corpus_doubles_with_more_of_the_same():
    rng = np.random.default_rng(11)
    background = rng.normal(0.75, 0.03, 8000)
    small, large = np.append(background[:2000], 0.9), np.append(background, 0.9)
    fixed_count_shift = median_rule(small, BACKGROUND_SENTENCES) - median_rule(large, BACKGROUND_SENTENCES)
    assert abs(lead(large) - lead(small)) < 0.005 < fixed_count_shift


def test_an_unknown_feature_counts_as_its_training_mean(engine: Engine):
    model = abstention(engine).models["own"]
    features = model.mean + model.scale  # one standard deviation above the mean on every feature
    unknown = features.copy()
    unknown[FEATURE_NAMES.index("sentence_lead")] = math.nan
    average = features.copy()
    average[FEATURE_NAMES.index("sentence_lead")] = model.mean[FEATURE_NAMES.index("sentence_lead")]
    assert model.probability(unknown) == model.probability(average) != model.probability(features)


def test_the_threshold_follows_where_the_question_terms_came_from(engine: Engine):
    models = abstention(engine).models
    composer = engine.components().composer
    question = "متى ستعقد المحادثات في جنيف؟"
    hits = engine.retrieve(question, 5)
    vector = engine.embed_questions([question])[0]
    scores = engine.components().store.sentence_scores(vector)
    features = composer.answerability_features(question, "ar", hits, vector, QuestionTerms([], "none"), scores)
    for source in ("own", "dictionary", "none"):
        judgement = abstention(engine).judge(features, source)
        assert judgement.threshold == models[source].threshold
        assert 0 < judgement.confidence < 1
    assert abstention(engine).judge(None, "own").confidence == 0.0


def test_the_shipped_model_states_its_origin_and_round_trips(seed_settings: Settings):
    record = json.loads(seed_settings.abstention_model_path.read_text(encoding="utf-8"))
    assert "tuning half" in record["origin"] and tuple(record["features"]) == FEATURE_NAMES
    models = Abstention.load_models(seed_settings.abstention_model_path)
    assert set(models) == {"own", "dictionary", "none", PSEUDO_QUESTION_MODEL}
    for kind, model in models.items():
        assert AnswerabilityModel.from_record(model.to_record()).to_record() == record["models"][kind]


def test_a_model_file_for_other_features_is_refused_with_the_command_that_writes_it(tmp_path: Path):
    path = tmp_path / "abstention.json"
    path.write_text(json.dumps({"features": ["cosine"], "models": {}}), encoding="utf-8")
    with pytest.raises(AbstentionModelError, match="benchmarks.train_abstention") as raised:
        Abstention.load_models(path)
    assert isinstance(raised.value, ModelLoadError)
    with pytest.raises(AbstentionModelError, match="cannot read"):
        Abstention.load_models(tmp_path / "missing.json")


def test_english_terms_come_from_the_dictionary_only_when_it_is_installed(
    seed_store: VectorStore, seed_settings: Settings, tmp_path: Path
):
    without = finder(seed_store, seed_settings, tmp_path / "missing-dictionary").find("red line", "en")
    assert without.source == "none" and without.weighted == []
    assert finder(seed_store, seed_settings).find("متى ستعقد", "ar").source == "own"


def test_off_topic_questions_are_less_confident_than_answerable_ones(engine: Engine):
    def margin(question: str) -> float:
        answer = engine.ask(question)
        return answer.confidence - answer.threshold

    assert margin("ما نتيجة مباراة كرة القدم أمس؟") < 0 < margin("متى ستعقد المحادثات في جنيف؟")
    assert margin("How do I bake sourdough bread?") < 0 < margin("What did Washington offer on missiles?")


def test_without_the_dictionary_english_questions_use_the_model_without_terms(engine: Engine):
    plain = engine.with_settings(use_dictionary=False)
    answer = plain.ask("What did Washington offer on missiles?")
    assert answer.threshold == abstention(plain).models["none"].threshold
    assert not answer.abstained
    assert plain.info().dictionary == "off"


def test_english_questions_near_their_threshold_are_read_again_with_their_pseudo_question(engine: Engine):
    question = "What did Washington offer on missiles?"
    models = abstention(engine).models
    never = engine.with_settings(pseudo_question_band=0.0).ask(question)
    always = engine.with_settings(pseudo_question_band=1.0).ask(question)
    assert never.threshold == models["dictionary"].threshold
    assert always.threshold == models[PSEUDO_QUESTION_MODEL].threshold
    assert always.confidence != never.confidence
    arabic = engine.with_settings(pseudo_question_band=1.0).ask("متى ستعقد المحادثات في جنيف؟")
    assert arabic.threshold == models["own"].threshold  # only English questions have a pseudo-question
