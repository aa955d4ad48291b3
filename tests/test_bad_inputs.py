"""The bad-input corpus (tests/bad_inputs/) against the engine, the command line and the chat page.

``questions.jsonl`` holds hostile and odd questions, each marked ``refused`` (the engine must refuse
it with a message) or ``any`` (an answer, an abstention or a refusal, but never a crash);
``articles/`` holds hostile article files. Whatever comes in, the user gets an answer or one clear
message, never a traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag import PROJECT_ROOT, Engine, QuestionError, Settings, cli
from rag.articles import load_articles
from tests.conftest import SEEDS

CORPUS = PROJECT_ROOT / "tests" / "bad_inputs"
QUESTIONS = [json.loads(line) for line in (CORPUS / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
REFUSED = [q for q in QUESTIONS if q["expect"] == "refused"]
#: Empty questions are ignored by the page (nothing to answer, nothing to say).
EMPTY = {"", "   ", "\n\t\n"}
APP = PROJECT_ROOT / "app.py"


def test_the_corpus_is_large_enough():
    assert len(QUESTIONS) >= 60
    assert len([p for p in (CORPUS / "articles").iterdir()]) >= 20


@pytest.mark.parametrize("case", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_engine_answers_or_refuses_every_question_with_a_message(engine: Engine, case: dict):
    try:
        answer = engine.ask(case["question"])
    except QuestionError as error:
        assert error.message.strip() and "\n" not in error.message, "one clear line"
        return
    assert case["expect"] == "any", f"{case['note']}: should have been refused"
    assert answer.text.strip()
    assert answer.abstained or answer.citations


@pytest.mark.parametrize("case", REFUSED, ids=[q["id"] for q in REFUSED])
def test_command_line_refuses_in_one_line_before_loading_anything(
    case: dict, capsys: pytest.CaptureFixture, tmp_path: Path
):
    code = cli.main(["ask", case["question"], "--docs", str(SEEDS), "--store", str(tmp_path / "store")])
    out, err = capsys.readouterr()
    assert code == QuestionError.exit_code and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "store").exists()


def test_undecodable_bytes_on_the_command_line_get_one_line(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "rag", "ask", b"abc\xff\xfe", "--store", str(tmp_path / "store")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == QuestionError.exit_code
    assert result.stderr.decode().startswith("error: The question contains characters that are not valid text")
    assert b"Traceback" not in result.stderr


def test_the_whole_corpus_runs_through_eval_without_stopping(engine: Engine, seed_settings: Settings):
    result = subprocess.run(
        [sys.executable, "-m", "rag", "eval", str(CORPUS / "questions.jsonl"), "--json"]
        + ["--docs", str(SEEDS), "--store", str(seed_settings.store_location())],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, cli.EXIT_FAILED_QUESTIONS), result.stderr
    results = {r["id"]: r for r in json.loads(result.stdout)["results"]}
    assert results.keys() == {q["id"] for q in QUESTIONS}
    for case in REFUSED:
        assert results[case["id"]]["reason"].startswith("rejected: "), case["note"]


@pytest.fixture(scope="module")
def page_env(engine: Engine, seed_settings: Settings):
    """The page over the seed articles and the session's index (already built: only the model loads)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_DOCS_DIR", str(SEEDS))
        patch.setenv("RAG_STORE_DIR", str(seed_settings.store_location()))
        yield


def as_a_browser_sends(question: str) -> str:
    """The page receives UTF-8 from the browser, where a lone surrogate has become U+FFFD."""
    return question.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def test_the_page_keeps_every_question_and_answers_or_explains(page_env):
    page = None
    for number, case in enumerate(QUESTIONS):
        if number % 15 == 0:  # a fresh session now and then keeps each run short
            page = AppTest.from_file(str(APP), default_timeout=120).run()
        question = as_a_browser_sends(case["question"])
        turns = len(page.session_state["history"])
        page.chat_input[0].set_value(question).run()
        assert not page.exception, case["note"]
        history = page.session_state["history"]
        if question in EMPTY:
            assert len(history) == turns
            continue
        assert len(history) == turns + 1, f"{case['note']}: the question was lost"
        turn = history[-1]
        assert turn.question == question
        if case["expect"] == "refused" and question == case["question"]:
            assert turn.problem and turn.answer is None, case["note"]
        else:
            assert turn.answer is not None or turn.problem


def test_hostile_articles_are_indexed_or_skipped_by_the_engine_and_listed_on_the_page(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS / "articles", docs)
    loaded = load_articles(docs)
    names = {a.path.name for a in loaded.articles} | {s.path.name for s in loaded.skipped}
    assert names == {p.name for p in docs.iterdir()}, "every file is either read or reported"
    assert all(s.reason for s in loaded.skipped)
    opened = engine.with_settings(docs_dir=docs, store_dir=tmp_path / "store")
    answer = opened.ask("متى ستعقد المحادثات في جنيف؟")
    assert not answer.abstained and "العاشر" in answer.text

    monkeypatch.setenv("RAG_DOCS_DIR", str(docs))
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))
    page = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not page.exception and not page.error
    sidebar = "".join(element.value for element in page.sidebar.get("html"))
    warning = f"{len(loaded.skipped)} unreadable file(s) skipped · ملفات لم تُقرأ"
    assert [w.value for w in page.sidebar.warning] == [warning]
    for skipped in loaded.skipped:
        assert skipped.reason.split(" (")[0] in sidebar
