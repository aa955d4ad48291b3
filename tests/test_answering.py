import re
from dataclasses import replace
from pathlib import Path

import pytest

from rag.answering import COVERAGE_WEIGHT, Answer
from rag.config import Settings
from rag.engine import Engine

QUESTIONS = [
    "What did Washington offer on missiles?",
    "متى ستعقد المحادثات في جنيف؟",
    "Who is the US envoy to Iran?",
    "ما القطاعات الروسية التي قد تستهدفها العقوبات؟",
    "What did Lavrov say about the timing?",
    "هل سيتم التفاوض على عدد القوات الأمريكية في أوروبا؟",
]


def check_citations_are_exact(engine: Engine, answer: Answer) -> None:
    """Every marker has a citation, every citation a marker, every quote stands in its passage."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        article = engine.store.articles[citation.doc_id]
        assert article.text[citation.start : citation.end] == citation.text
        assert citation.title == article.title and citation.source == article.source
        for start, end in citation.highlights:
            assert citation.start <= start < end <= citation.end
    for line in answer.answer.splitlines()[1:]:
        quote = re.sub(r"\s*(\[\d+\])+$", "", line).strip("“”")
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        assert numbers, f"answer line without a citation: {line}"
        assert quote in next(c.text for c in answer.citations if c.n == numbers[0])


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_cite_exact_passages(engine: Engine, question: str):
    answer = engine.ask(question)
    assert not answer.abstained
    assert 1 <= len(answer.citations) <= engine.settings.max_citations
    check_citations_are_exact(engine, answer)


def test_answer_speaks_the_question_language(engine: Engine):
    english = engine.ask("When will the US-Russia talks in Geneva take place?")
    arabic = engine.ask("متى ستعقد المحادثات الأمريكية الروسية؟")
    assert english.language == "en" and english.answer.startswith("According to the articles")
    assert arabic.language == "ar" and arabic.answer.startswith("بحسب المقالات")
    assert "العاشر" in english.answer and "العاشر" in arabic.answer


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("What is the capital of Australia?", "The articles don't answer this question."),
        ("ما نتيجة مباراة كرة القدم أمس؟", "لا تتضمن المقالات إجابة عن هذا السؤال."),
        ("How do I bake sourdough bread?", "The articles don't answer this question."),
    ],
)
def test_abstains_in_the_question_language_citing_nothing(engine: Engine, question: str, message: str):
    answer = engine.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer == message


def test_two_articles_saying_the_same_thing_are_both_cited(tmp_path: Path, engine: Engine):
    docs = tmp_path / "docs"
    docs.mkdir()
    claim = "ستعقد المحادثات بين الولايات المتحدة وروسيا في العاشر من يناير في جنيف."
    (docs / "first.txt").write_text(f"خبر أول\n\n{claim}\nوتناول المقال قضايا أخرى كثيرة.", encoding="utf-8")
    (docs / "second.txt").write_text(f"خبر ثان\n\nقال مسؤول: {claim}", encoding="utf-8")
    (docs / "other.txt").write_text("خبر ثالث\n\nفاز الفريق بالمباراة النهائية أمس.", encoding="utf-8")
    settings = Settings().with_changes(docs_dir=docs, store_dir=tmp_path / "store")
    small = Engine.open(settings, embedder=engine.embedder)
    answer = small.ask("متى ستعقد المحادثات بين الولايات المتحدة وروسيا؟")
    assert {c.doc_id for c in answer.citations} >= {"first", "second"}
    assert "[1][2]" in answer.answer
    check_citations_are_exact(small, answer)


def test_confidence_adds_the_question_terms_found_in_a_retrieved_passage(engine: Engine):
    question = "متى ستعقد المحادثات في جنيف؟"
    hits = engine.retrieve(question, engine.settings.top_k)
    best_cosine = max(h.dense_score for h in hits)
    with_terms = engine.composer.question_confidence(question, "ar", hits)
    assert best_cosine < with_terms <= best_cosine + COVERAGE_WEIGHT
    assert engine.composer.confidence(hits, []) == best_cosine
    assert engine.composer.confidence([], []) == 0.0


def test_off_topic_questions_are_less_confident_than_answerable_ones(engine: Engine):
    def confidence(question: str, language: str) -> float:
        return engine.composer.question_confidence(question, language, engine.retrieve(question, 5))

    assert confidence("ما نتيجة مباراة كرة القدم أمس؟", "ar") < engine.settings.abstain_threshold
    assert confidence("متى ستعقد المحادثات في جنيف؟", "ar") > engine.settings.abstain_threshold
    assert confidence("How do I bake sourdough bread?", "en") < engine.settings.abstain_threshold_cross
    assert confidence("What did Washington offer on missiles?", "en") > engine.settings.abstain_threshold_cross


def test_without_the_dictionary_english_questions_use_the_cosine_only_threshold(engine: Engine):
    composer = replace(engine.composer, lexicon=None)
    settings = engine.settings
    assert composer.threshold("en") == settings.abstain_threshold_cross_without_dictionary
    assert engine.composer.threshold("en") == settings.abstain_threshold_cross
    assert composer.threshold("ar") == engine.composer.threshold("ar") == settings.abstain_threshold
    english_articles = replace(engine.composer, corpus_language="en")  # the dictionary is English → Arabic only
    assert english_articles.threshold("ar") == settings.abstain_threshold_cross_without_dictionary
    question = "What did Washington offer on missiles?"
    hits = engine.retrieve(question, settings.top_k)
    answer = composer.compose(question, "en", hits, engine.retriever.embed_question(question))
    assert not answer.abstained
    check_citations_are_exact(engine, answer)
