import json
from pathlib import Path

import pytest

from rag import (
    PROJECT_ROOT,
    Answer,
    AnswerSentence,
    Citation,
    Engine,
    QuestionCase,
    QuestionFileError,
    judge,
    load_cases,
    run_eval,
)
from tests.conftest import FIXED_QUESTIONS

#: The project's own question set on the seed articles (format and pass rule: tests/questions/README.md).
OWN_QUESTIONS = PROJECT_ROOT / "tests" / "questions" / "seeds.jsonl"


def _case(answerable: bool = True) -> QuestionCase:
    docs, evidence = (["a"], ["نشر الصواريخ"]) if answerable else ([], [])
    return QuestionCase("q1", "en", "q?", answerable, docs, evidence)


def _answer(*citations: Citation, abstained: bool = False) -> Answer:
    quotes = [AnswerSentence(c.text, "quote", (c.n,), c.doc_id, c.start, c.end, "ar") for c in citations]
    return Answer("q?", "en", abstained, [AnswerSentence("text", "framing"), *quotes], list(citations))


def _citation(doc_id: str, text: str) -> Citation:
    return Citation(1, doc_id, "t", None, f"{doc_id}#0", text, 0, len(text), 0.9)


def test_answerable_passes_only_with_evidence_in_a_passage_of_the_right_article():
    good = _citation("a", "قال إن واشنطن منفتحة على مناقشة نَشْر الصّواريخ في أوروبا")
    assert judge(_case(), _answer(good))[0]
    assert not judge(_case(), _answer(_citation("b", good.text)))[0]
    assert not judge(_case(), _answer(_citation("a", "نص آخر")))[0]
    assert judge(_case(), _answer(abstained=True)) == (False, "abstained on an answerable question")


def test_unanswerable_passes_only_when_abstaining_without_citations():
    assert judge(_case(False), _answer(abstained=True))[0]
    assert not judge(_case(False), _answer(_citation("a", "x")))[0]


def test_load_cases_reports_the_bad_line(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    good = {"id": "1", "lang": "en", "question": "q?", "answerable": False, "docs": [], "evidence": []}
    path.write_text(json.dumps(good) + "\n\n" + '{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(QuestionFileError, match="line 3"):
        load_cases(path)
    with pytest.raises(QuestionFileError, match="Cannot read"):
        load_cases(tmp_path / "missing.jsonl")


@pytest.mark.skipif(not FIXED_QUESTIONS.is_file(), reason="../shared/questions/fixed.jsonl is not beside the project")
def test_fixed_questions_pass(engine: Engine):
    cases = assert_every_question_passes(engine, FIXED_QUESTIONS)
    assert len(cases) == 22


def test_the_projects_own_questions_pass(engine: Engine):
    cases = assert_every_question_passes(engine, OWN_QUESTIONS)
    assert {c.lang for c in cases} == {"ar", "en"} and any(not c.answerable for c in cases)


def assert_every_question_passes(engine: Engine, path: Path) -> list[QuestionCase]:
    """Run a question file (skipped without the dictionary its English questions need); every case must pass."""
    if engine.info().dictionary == "missing":
        pytest.skip("Debian's dict-freedict-eng-ara is not installed (scripts/setup.sh installs it as root)")
    cases = load_cases(path)
    report = run_eval(engine, cases)
    failures = {r.case.id: r.reason for r in report.results if not r.passed}
    assert not failures
    assert report.passed == len(cases)
    return cases
