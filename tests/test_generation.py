"""Written answers against real servers started here on 127.0.0.1: llama.cpp's OpenAI-compatible server
with Gemma 3 270M (a PyPI package), a plain HTTP server that is not a model, and a closed port.

The small model writes poorly, which is what the verifier must catch: the tests check the protocol,
the streaming, that every shown sentence cites given passages that support it, that what the model
writes off the passages is dropped, and that the quoted answer comes back, with a notice, whenever
the server fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.local_llm import MODEL_ALIAS, LocalModelServer, free_port
from rag import PROJECT_ROOT, Answer, Citation, Engine, Settings
from rag.generation import ModelAnswerWriter, WrittenAnswer, build_messages, passages_for
from rag.llm_client import LanguageModel, LanguageModelError, base_url
from rag.messages import message
from rag.vectorstore import VectorStore
from rag.verification import SUPPORT_THRESHOLD, SupportChecker, split_written
from tests.conftest import start_llm_server

ENGLISH_QUESTION = "When will the US-Russia talks in Geneva take place?"
ARABIC_QUESTION = "متى ستعقد المحادثات في جنيف؟"
UNANSWERABLE = "What is the capital of Australia?"
FOLLOW_UP = "Who invited him?"


#: A short answer from few passages keeps the test quick; the timeout is generous for a busy CI machine.
TEST_SETTINGS = {"llm_max_tokens": 64, "llm_timeout": 300.0}
TOP_K = 2


def with_model(engine: Engine, url: str, **changes: object) -> Engine:
    """The session's engine, writing answers with the server at ``url``."""
    return engine.with_settings(llm_url=url, **{**TEST_SETTINGS, **changes})


def passages_of(engine: Engine, store: VectorStore, question: str) -> tuple[Answer, list[Citation]]:
    """The quoted answer to ``question`` and the passages a model is given for it."""
    answer = engine.ask(question)
    return answer, passages_for(answer, engine.retrieve(question, engine.settings.top_k), store)


@pytest.fixture(scope="module")
def written(engine: Engine, llm_server: LocalModelServer) -> tuple[WrittenAnswer, list[str]]:
    """An English question answered by the model, with the pieces as they streamed."""
    pieces: list[str] = []
    return with_model(engine, llm_server.url).write_answer(ENGLISH_QUESTION, TOP_K, pieces.append), pieces


def test_base_url_accepts_the_full_endpoint() -> None:
    assert base_url("http://127.0.0.1:8080/v1/chat/completions") == "http://127.0.0.1:8080/v1"
    assert base_url(" http://127.0.0.1:8080/v1/ ") == "http://127.0.0.1:8080/v1"


def test_the_prompt_numbers_the_passages_and_asks_in_the_question_language(
    engine: Engine, seed_store: VectorStore
) -> None:
    answer, passages = passages_of(engine, seed_store, ARABIC_QUESTION)
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))
    assert [p.chunk_id for p in passages[: len(answer.citations)]] == [c.chunk_id for c in answer.citations]
    assert len({p.chunk_id for p in passages}) == len(passages)
    system, user = build_messages(answer.question, answer.language, passages)
    assert "باللغة العربية" in system["content"] and "[2]" in system["content"]
    for passage in passages:
        assert f"[{passage.n}] {passage.text}" in user["content"]
    assert user["content"].rstrip().endswith("الإجابة بالعربية:")


def test_a_follow_ups_prompt_gives_the_earlier_questions_before_it(engine: Engine, seed_store: VectorStore) -> None:
    _, passages = passages_of(engine, seed_store, ENGLISH_QUESTION)
    earlier = ["When will the US-Russia talks take place?"]
    _, user = build_messages("Where will they be held?", "en", passages, earlier)
    content = user["content"]
    assert content.index(earlier[0]) < content.index("Question: Where will they be held?")
    assert content.index(passages[-1].text) < content.index(earlier[0])
    assert "Earlier questions" not in build_messages("Where?", "en", passages)[1]["content"]


def test_the_server_speaks_the_protocol_and_streams(llm_server: LocalModelServer) -> None:
    model = LanguageModel.from_settings(Settings(llm_url=llm_server.url, **TEST_SETTINGS))
    assert model.model_name() == MODEL_ALIAS  # asked of the server: no model was configured
    pieces = list(model.stream([{"role": "user", "content": "Say hello in three words."}]))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_the_written_answer_streams_and_shows_only_supported_cited_sentences(
    written: tuple[WrittenAnswer, list[str]],
) -> None:
    result, pieces = written
    assert len(pieces) > 1, "the answer arrives in pieces"
    assert "".join(pieces) == result.draft
    assert result.model == MODEL_ALIAS
    assert not result.answer.abstained
    claims = [c for c in split_written(result.draft) if c.claim]
    assert len(result.sentences) + len(result.dropped) <= len(claims)
    given = {p.n for p in result.citations} | {c.n for c in result.answer.citations}
    for sentence in result.sentences:
        assert sentence.citations and sentence.support >= SUPPORT_THRESHOLD["en"]
        assert set(sentence.citations) <= given
    if result.kind == "written":
        assert result.sentences
        assert {n for s in result.sentences for n in s.citations} == {c.n for c in result.citations}
        for citation in result.citations:
            assert all(citation.start <= s < e <= citation.end for s, e in citation.highlights)
        dropped = len(result.dropped)
        assert result.notice == (message("llm_some_dropped", "en", count=dropped) if dropped else None)
    else:
        assert result.notice == message("llm_nothing_supported", "en")
        assert result.text == result.answer.text and result.dropped
    record = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert record["kind"] == result.kind and record["quoted"]["answer"] == result.answer.text


def test_a_follow_up_is_written_from_the_passages_read_in_context(engine: Engine, llm_server: LocalModelServer) -> None:
    """ "Who invited him?" alone does not say who "him" is; after the question about the Iranian
    president's visit, the model is given the passages read in context and the earlier question."""
    history = ["Will the Iranian president visit Russia?"]
    quoted = engine.ask(FOLLOW_UP, TOP_K, history=history)
    assert quoted.resolved_question and "003_a655eacadd409cf1" in {c.doc_id for c in quoted.citations}
    result = with_model(engine, llm_server.url).write_answer(FOLLOW_UP, TOP_K, history=history)
    assert result.answer == quoted
    assert result.draft.strip()
    alone = with_model(engine, llm_server.url).write_answer(FOLLOW_UP, TOP_K)
    assert alone.answer.resolved_question is None


def test_what_the_model_writes_off_the_passages_is_dropped(
    engine: Engine, seed_store: VectorStore, support_checker: SupportChecker, llm_server: LocalModelServer
) -> None:
    """The real model, asked to write about something else while citing the passages: nothing it
    writes is shown."""
    _, passages = passages_of(engine, seed_store, ENGLISH_QUESTION)
    off_topic = [
        {
            "role": "user",
            "content": "Write three sentences about how bananas grow. End every sentence with [1].",
        }
    ]
    model = LanguageModel.from_settings(Settings(llm_url=llm_server.url, **TEST_SETTINGS))
    text = "".join(model.stream(off_topic))
    verdict = support_checker.verify(text, passages)
    assert verdict.dropped, text
    assert not verdict.kept, verdict


def test_server_stopped_mid_answer_gives_the_quoted_answer_and_a_notice(engine: Engine, tmp_path: Path) -> None:
    doomed = start_llm_server(tmp_path / "server.log")
    pieces: list[str] = []

    def stop_after_first_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 1:
            doomed.stop()

    try:
        result = with_model(engine, doomed.url).write_answer(ENGLISH_QUESTION, TOP_K, stop_after_first_piece)
    finally:
        doomed.stop()
    assert pieces, "the answer had started"
    assert result.kind == "quoted"
    assert result.notice == message("llm_unreachable", "en")
    assert result.text == result.answer.text and result.citations == result.answer.citations
    assert not result.answer.abstained


def test_unreachable_server_gives_the_quoted_answer_and_a_notice(engine: Engine) -> None:
    result = with_model(engine, f"http://127.0.0.1:{free_port()}/v1").write_answer(ARABIC_QUESTION)
    assert result.kind == "quoted"
    assert result.notice == message("llm_unreachable", "ar")
    assert result.answer == engine.ask(ARABIC_QUESTION)


def test_a_server_too_slow_times_out(engine: Engine, llm_server: LocalModelServer) -> None:
    result = with_model(engine, llm_server.url, llm_timeout=0.05).write_answer(ENGLISH_QUESTION)
    assert result.kind == "quoted"
    assert result.notice == message("llm_timeout", "en", seconds=0.05)


def test_a_server_that_is_not_a_model_gives_a_notice(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/")
        result = with_model(engine, f"http://127.0.0.1:{port}/v1", llm_model="any").write_answer(ENGLISH_QUESTION)
    finally:
        web.kill()
        web.wait(timeout=10)
    assert result.kind == "quoted"
    assert result.notice == message("llm_bad_reply", "en")


def test_abstention_stays_the_engines_and_asks_no_model(engine: Engine) -> None:
    """The closed port would give a notice if the model were asked."""
    result = with_model(engine, f"http://127.0.0.1:{free_port()}/v1").write_answer(UNANSWERABLE)
    assert result.answer.abstained and result.kind == "quoted"
    assert result.notice is None and result.draft == ""


def test_no_server_configured_quotes_with_a_notice(engine: Engine) -> None:
    result = engine.write_answer(ENGLISH_QUESTION)
    assert result.kind == "quoted" and result.notice == message("llm_not_configured", "en")


def test_errors_never_show_the_api_key(
    engine: Engine, seed_store: VectorStore, support_checker: SupportChecker, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-test-secret-never-shown"
    settings = engine.settings.with_changes(llm_url=f"http://127.0.0.1:{free_port()}/v1")
    model = LanguageModel.from_settings(settings, api_key=secret)
    with pytest.raises(LanguageModelError) as raised:
        list(model.stream([{"role": "user", "content": "hi"}]))
    assert raised.value.reason == "unreachable"
    writer = ModelAnswerWriter(model, support_checker, seed_store)
    answer = engine.ask(ENGLISH_QUESTION)
    result = writer.write(answer, engine.retrieve(ENGLISH_QUESTION, engine.settings.top_k))
    assert secret not in json.dumps(result.to_dict()) + caplog.text + str(raised.value) + repr(settings)


def test_cli_generate_records_the_kind_and_the_dropped_sentences(
    engine: Engine, seed_settings: Settings, llm_server: LocalModelServer
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rag", "ask", ENGLISH_QUESTION, "--generate", "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "RAG_STORE_DIR": str(seed_settings.store_location()),
            "RAG_LLM_URL": llm_server.url,
            "RAG_TOP_K": str(TOP_K),
            **{f"RAG_{name.upper()}": str(value) for name, value in TEST_SETTINGS.items()},
        },
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["kind"] in {"written", "quoted"} and record["model"] == MODEL_ALIAS
    assert isinstance(record["dropped"], list) and record["draft"]
    assert {"question", "language", "answer", "abstained", "citations", "quoted"} <= set(record)


def _wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")
