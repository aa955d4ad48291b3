from pathlib import Path

import pytest

from rag import Answer, Engine
from rag.vectorstore import VectorStore

QUESTIONS = [
    "What did Washington offer on missiles?",
    "متى ستعقد المحادثات في جنيف؟",
    "Who is the US envoy to Iran?",
    "ما القطاعات الروسية التي قد تستهدفها العقوبات؟",
    "What did Lavrov say about the timing?",
    "هل سيتم التفاوض على عدد القوات الأمريكية في أوروبا؟",
]


def check_citations_are_exact(store: VectorStore, answer: Answer) -> None:
    """Every quote stands in the article at its offsets and in every passage it cites; every citation is cited."""
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.cited() == answer.citations
    by_number = {c.n: c for c in answer.citations}
    for citation in answer.citations:
        article = store.articles[citation.doc_id]
        assert article.text[citation.start : citation.end] == citation.text
        assert citation.title == article.title and citation.source == article.source
        for start, end in citation.highlights:
            assert citation.start <= start < end <= citation.end
    assert answer.sentences[0].role == "framing" and answer.quotes
    for quote in answer.quotes:
        assert quote.citations, f"a quote without a citation: {quote.text}"
        assert store.articles[quote.doc_id].text[quote.start : quote.end] == quote.text
        first = by_number[quote.citations[0]]
        assert first.doc_id == quote.doc_id and quote.text in first.text
        assert (quote.start, quote.end) in first.highlights


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_cite_exact_passages(engine: Engine, seed_store: VectorStore, question: str):
    answer = engine.ask(question)
    assert not answer.abstained
    assert 1 <= len(answer.citations) <= engine.settings.max_citations
    check_citations_are_exact(seed_store, answer)


def test_answer_text_is_derived_from_its_sentences(engine: Engine):
    english = engine.ask("When will the US-Russia talks in Geneva take place?")
    lines = english.text.split("\n")
    assert lines[0] == english.sentences[0].text == "According to the articles (quoted in their own language):"
    for line, quote in zip(lines[1:], english.quotes, strict=True):
        assert line == f"“{quote.text}” " + "".join(f"[{n}]" for n in quote.citations)
    assert english.to_dict()["answer"] == english.text
    assert english.to_dict()["sentences"][1]["role"] == "quote"


def test_answer_speaks_the_question_language(engine: Engine):
    english = engine.ask("When will the US-Russia talks in Geneva take place?")
    arabic = engine.ask("متى ستعقد المحادثات الأمريكية الروسية؟")
    assert english.language == "en" and english.text.startswith("According to the articles")
    assert arabic.language == "ar" and arabic.text.startswith("بحسب المقالات")
    assert not arabic.text.count("“")  # quotes in the question's own language are not put in quotation marks
    assert "العاشر" in english.text and "العاشر" in arabic.text


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
    assert answer.abstained and answer.citations == [] and answer.quotes == []
    assert answer.text == message
    assert answer.confidence < answer.threshold


def test_ask_many_answers_like_ask_and_keeps_bad_questions_in_place(engine: Engine):
    questions = ["متى ستعقد المحادثات في جنيف؟", "   ", "What did Washington offer on missiles?"]
    answers = engine.ask_many(questions)
    assert [a.text for a in (answers[0], answers[2])] == [engine.ask(q).text for q in (questions[0], questions[2])]
    assert answers[1].code == "empty_question"


def test_two_articles_saying_the_same_thing_are_both_cited(tmp_path: Path, engine: Engine):
    docs = tmp_path / "docs"
    docs.mkdir()
    claim = "ستعقد المحادثات بين الولايات المتحدة وروسيا في العاشر من يناير في جنيف."
    (docs / "first.txt").write_text(f"خبر أول\n\n{claim}\nوتناول المقال قضايا أخرى كثيرة.", encoding="utf-8")
    (docs / "second.txt").write_text(f"خبر ثان\n\nقال مسؤول: {claim}", encoding="utf-8")
    (docs / "other.txt").write_text("خبر ثالث\n\nفاز الفريق بالمباراة النهائية أمس.", encoding="utf-8")
    small = engine.with_settings(docs_dir=docs, store_dir=tmp_path / "store")
    answer = small.ask("متى ستعقد المحادثات بين الولايات المتحدة وروسيا؟")
    assert {c.doc_id for c in answer.citations} >= {"first", "second"}
    assert answer.quotes[0].citations == (1, 2)
    assert "[1][2]" in answer.text


def test_source_footnote_marks_are_not_citation_markers(tmp_path: Path, engine: Engine):
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "خبر\n\nأعلنت البلدية أن مهرجان الزهور سيقام يوم الجمعة في الحديقة المركزية[12] بمشاركة واسعة."
    (docs / "a.txt").write_text(text, encoding="utf-8")
    answer = engine.with_settings(docs_dir=docs, store_dir=tmp_path / "store").ask("متى سيقام مهرجان الزهور؟")
    assert "[12]" in answer.quotes[0].text  # quoted exactly, yet only the structure carries citations
    assert answer.quotes[0].citations == (1,) and len(answer.citations) == 1
    assert "[12]" not in answer.text and "الحديقة المركزية بمشاركة" in answer.text  # nor does it show


@pytest.mark.parametrize("question", ["متى ستعقد المحادثات في جنيف؟", "What did Washington offer on missiles?"])
def test_confidence_does_not_move_with_top_k(engine: Engine, question: str):
    confidences = {engine.ask(question, top_k=k).confidence for k in (1, 3, 10)}
    assert len(confidences) == 1


@pytest.mark.parametrize(
    ("question", "name"), [("What did Ryabkov say?", "ريابكوف"), ("What did Blinken say?", "بلينكن")]
)
def test_english_questions_find_people_by_their_arabic_spelling(engine: Engine, question: str, name: str):
    answer = engine.ask(question)
    assert not answer.abstained and name in answer.quotes[0].text
