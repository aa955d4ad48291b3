from pathlib import Path

from rag import Engine, Settings
from rag.abstention import Abstention
from rag.lexicon import LexiconLoader
from rag.retrieval import Hit
from rag.term_matching import QuestionTermFinder, QuestionTerms
from rag.vectorstore import VectorStore


def finder(store: VectorStore, settings: Settings, lexicon_path: Path | None = None) -> QuestionTermFinder:
    return QuestionTermFinder(store.term_weights, "ar", LexiconLoader(lexicon_path or settings.lexicon_path))


def test_confidence_mixes_passage_and_sentence_cosines_and_adds_the_question_terms_found(
    engine: Engine, seed_store: VectorStore, seed_settings: Settings
):
    abstention = Abstention.from_settings(seed_settings)
    question = "متى ستعقد المحادثات في جنيف؟"
    hits: list[Hit] = engine.retrieve(question, seed_settings.top_k)
    best_cosine = max(h.dense_score for h in hits)
    mixed = (1 - seed_settings.abstain_sentence_weight) * best_cosine + seed_settings.abstain_sentence_weight * 0.9
    terms = finder(seed_store, seed_settings).find(question, "ar")
    assert terms.source == "own" and terms.weighted
    with_terms = abstention.confidence(hits, terms.weighted, 0.9)
    assert mixed < with_terms <= mixed + seed_settings.abstain_coverage_weight
    assert abstention.confidence(hits, [], 0.9) == mixed
    assert abstention.confidence([], [], 0.9) == 0.0


def test_threshold_follows_where_the_question_terms_came_from(seed_settings: Settings):
    abstention = Abstention.from_settings(seed_settings)
    assert abstention.threshold(QuestionTerms([], "own")) == seed_settings.abstain_threshold
    assert abstention.threshold(QuestionTerms([], "dictionary")) == seed_settings.abstain_threshold_cross
    assert abstention.threshold(QuestionTerms([], "none")) == seed_settings.abstain_threshold_cross_without_dictionary


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


def test_without_the_dictionary_english_questions_use_the_cosine_only_threshold(engine: Engine, tmp_path: Path):
    plain = engine.with_settings(use_dictionary=False)
    answer = plain.ask("What did Washington offer on missiles?")
    assert answer.threshold == plain.settings.abstain_threshold_cross_without_dictionary
    assert not answer.abstained
    assert plain.info().dictionary == "off"
