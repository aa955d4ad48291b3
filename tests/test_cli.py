"""End-to-end: the command line as a user runs it, on the real model and index."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.engine import Engine
from tests.conftest import FIXED_QUESTIONS, SEEDS

ASK_KEYS = {"question", "language", "answer", "abstained", "citations"}
CITATION_KEYS = {"n", "doc_id", "title", "source", "chunk_id", "text", "start", "end", "score"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def store(engine: Engine, seed_settings: Settings) -> str:
    """The session's index, already built by the ``engine`` fixture."""
    return str(seed_settings.store_dir)


def test_index_builds_then_reuses(tmp_path: Path):
    first = run_cli("index", "--store", str(tmp_path / "store"))
    assert first.returncode == 0, first.stderr
    assert "Index built" in first.stdout and "5 articles" in first.stdout
    assert "Embedding passages" in first.stderr  # the progress bar
    second = run_cli("index", "--store", str(tmp_path / "store"))
    assert second.returncode == 0
    assert "Index is up to date (reused)" in second.stdout


def test_ask_prints_answer_with_numbered_sources(store: str):
    result = run_cli("ask", "What did Washington offer on missiles?", "--store", store)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert answer.startswith("According to the articles") and "[1]" in answer
    assert sources.startswith("[1] ") and "000_bf55ac0bceedb8fb" in sources and "الجزيرة" in sources


def test_ask_json_in_arabic_follows_the_schema(store: str):
    result = run_cli("ask", "متى ستعقد المحادثات في جنيف؟", "--json", "--store", store)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload.keys() >= ASK_KEYS
    assert payload["language"] == "ar" and payload["abstained"] is False
    assert payload["citations"] and all(c.keys() >= CITATION_KEYS for c in payload["citations"])
    first = payload["citations"][0]
    article = (SEEDS / f"{first['doc_id']}.txt").read_text(encoding="utf-8")
    assert first["text"] in article or first["text"].replace("\n\n", "\n") in article
    assert "العاشر" in payload["answer"]


def test_eval_prints_a_table_a_summary_and_an_honest_exit_code(store: str):
    table = run_cli("eval", str(FIXED_QUESTIONS), "--store", store)
    as_json = run_cli("eval", str(FIXED_QUESTIONS), "--json", "--store", store)
    payload = json.loads(as_json.stdout)
    summary = payload["summary"]
    assert summary["total"] == 22 == summary["passed"] + summary["failed"]
    lines = table.stdout.strip().splitlines()
    assert lines[-1] == f"{summary['passed']} passed, {summary['failed']} failed"
    verdicts = {line.split()[0]: line.split()[1] for line in lines[1:-1]}
    assert verdicts == {r["id"]: "PASS" if r["passed"] else "FAIL" for r in payload["results"]}
    assert table.returncode == as_json.returncode == (1 if summary["failed"] else 0)
    assert all({"id", "passed", "reason", "answer"} <= r.keys() for r in payload["results"])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("   ", "Please type a question."),
        ("<script>alert(1)</script>", "markup"),
        ("x" * 5000, "too long"),
    ],
)
def test_bad_questions_get_a_message_and_a_nonzero_exit(store: str, question: str, expected: str):
    result = run_cli("ask", question, "--store", store)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_docs_folder_is_named(tmp_path: Path):
    result = run_cli("ask", "any question?", "--docs", str(tmp_path / "nowhere"), "--store", str(tmp_path / "s"))
    assert result.returncode == 3
    assert "nowhere" in result.stderr and "not found" in result.stderr
    assert not (tmp_path / "s").exists()
