"""End-to-end: the command line as a user runs it, on the real model and index."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag import PROJECT_ROOT, Engine, Settings
from tests.conftest import SEEDS

#: A question set the project keeps in the repo (a fresh clone has no ../shared).
QUESTION_SET = PROJECT_ROOT / "benchmarks" / "questions" / "seeds_heldout.jsonl"

ASK_KEYS = {"question", "language", "answer", "abstained", "citations", "sentences", "confidence", "threshold"}
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
    return str(seed_settings.store_location())


def test_index_builds_then_reuses(tmp_path: Path):
    first = run_cli("index", "--store", str(tmp_path / "store"))
    assert first.returncode == 0, first.stderr
    assert "Index built" in first.stdout and "5 articles" in first.stdout
    assert "Embedding passages" not in first.stderr  # progress bars only on a terminal
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
    quotes = [s for s in payload["sentences"] if s["role"] == "quote"]
    assert quotes and all(s["citations"] for s in quotes)
    assert quotes[0]["text"] in payload["citations"][quotes[0]["citations"][0] - 1]["text"]


def test_docs_without_store_never_touch_the_default_index(tmp_path: Path, store: str):
    docs = tmp_path / "mine"
    docs.mkdir()
    (docs / "note.txt").write_text("خبر\n\nافتتحت البلدية مكتبة عامة جديدة في وسط المدينة يوم الأحد.", encoding="utf-8")
    before = (Path(store) / "CURRENT").read_text()
    derived = Settings(docs_dir=docs).store_location()
    result = run_cli("index", "--docs", str(docs))
    shutil.rmtree(derived, ignore_errors=True)  # a store of the test's own under the project's vectorstore/
    assert result.returncode == 0, result.stderr
    assert "1 articles" in result.stdout and f"{PROJECT_ROOT / 'vectorstore'}" in result.stdout
    assert (Path(store) / "CURRENT").read_text() == before
    refused = run_cli("index", "--docs", str(docs), "--store", store)
    assert refused.returncode == 2 and "--store" in refused.stderr and "Traceback" not in refused.stderr
    assert (Path(store) / "CURRENT").read_text() == before


def test_eval_prints_a_table_a_summary_and_an_honest_exit_code(store: str):
    table = run_cli("eval", str(QUESTION_SET), "--store", store)
    as_json = run_cli("eval", str(QUESTION_SET), "--json", "--store", store)
    payload = json.loads(as_json.stdout)
    summary = payload["summary"]
    lines_in_file = [line for line in QUESTION_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert summary["total"] == len(lines_in_file) == summary["passed"] + summary["failed"]
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
