"""The chat page, driven through Streamlit's AppTest with the real engine.

The engine is opened once for the module (model load and index build over a temporary store): every
test starts a fresh session of the page, and ``st.cache_resource`` hands it the same engine.
"""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from benchmarks.local_llm import MODEL_ALIAS, LocalModelServer, free_port
from rag import PROJECT_ROOT, Answer, Citation, Engine, Settings
from rag.messages import message, one_line
from rag.store_lock import store_lock

APP = PROJECT_ROOT / "app.py"
REBUILD_REQUESTED = "rebuild_requested"
#: The first run loads the model and builds the index; later runs take well under a second.
RUN_TIMEOUT = 180
ARABIC_QUESTION = "متى ستعقد المحادثات في جنيف؟"
ENGLISH_QUESTION = "When will the US-Russia talks in Geneva take place?"
UNANSWERABLE_ENGLISH = "What is the capital of Australia?"
UNANSWERABLE_ARABIC = "ما نتيجة مباراة كرة القدم أمس؟"
#: An article whose title, text and links carry markup that must be shown as text, never run or rendered.
MARKUP_ARTICLE_ID = "900_markup_test"
MARKUP_ARTICLE = """مهرجان الزهور <script>window.__pwned=1</script> في الحديقة المركزية

أعلنت بلدية المدينة أن مهرجان الزهور السنوي سيقام في الحديقة المركزية يوم الجمعة المقبل \
<img src=x onerror="window.__pwned=1"> بمشاركة خمسين عارضاً من المزارعين.

وقال رئيس البلدية إن التذاكر متاحة عبر [الموقع الرسمي](javascript:window.__pwned=1) وإن الدخول مجاني \
للأطفال ![صورة](x.png) دون سن العاشرة.
"""
MARKUP_QUESTION_SCRIPT = "متى سيقام مهرجان الزهور؟"
MARKUP_QUESTION_LINK = "هل الدخول مجاني للأطفال في مهرجان الزهور؟"


def make_docs_dir(folder: Path) -> Path:
    """The seed articles plus the markup article, in ``folder``."""
    folder.mkdir(parents=True)
    for article in (PROJECT_ROOT / "seeds").glob("*.txt"):
        shutil.copy(article, folder / article.name)
    (folder / f"{MARKUP_ARTICLE_ID}.txt").write_text(MARKUP_ARTICLE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppTest]:
    """The page's first run, which opens the engine over a fresh store; the environment stays set for the module."""
    root = tmp_path_factory.mktemp("app")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_STORE_DIR", str(root / "store"))
        patch.setenv("RAG_DOCS_DIR", str(make_docs_dir(root / "docs")))
        yield AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()


@pytest.fixture
def page(first_run: AppTest) -> AppTest:
    """A new session of the page (the engine is already open)."""
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()


def ask(page: AppTest, question: str) -> AppTest:
    return page.chat_input[0].set_value(question).run()


def html_of(block: Block) -> list[str]:
    return [element.value for element in block.get("html")]


def last_exchange(page: AppTest) -> tuple[Block, Block]:
    user, assistant = page.chat_message[-2:]
    assert (user.name, assistant.name) == ("user", "assistant")
    return user, assistant


def last_answer(page: AppTest) -> Answer:
    answer = page.session_state["history"][-1].answer
    assert answer is not None
    return answer


def sources_of(assistant: Block) -> list[str]:
    return [body for body in html_of(assistant) if 'class="qa-source"' in body]


def marked_text(citation: Citation) -> list[str]:
    """The escaped highlighted pieces the passage must show for ``citation``, one per line."""
    pieces = []
    for start, end in citation.highlights:
        quoted = citation.text[max(0, start - citation.start) : end - citation.start]
        pieces += [f"<mark>{html.escape(line)}</mark>" for line in quoted.split("\n") if line]
    return pieces


def assert_no_live_markup(bodies: list[str]) -> None:
    for body in bodies:
        assert "<script" not in body
        assert "<img" not in body
        assert "<a " not in body


def assert_answered_with_sources(page: AppTest, question: str, language: str) -> Answer:
    assert not page.exception
    user, assistant = last_exchange(page)
    assert f'<p dir="auto">{html.escape(question)}</p>' in html_of(user)[0]
    answer = last_answer(page)
    assert answer.question == question
    assert answer.language == language
    assert not answer.abstained
    cited = sorted({n for sentence in answer.sentences for n in sentence.citations})
    assert cited, "the answer's quotes carry citations"
    assert sorted(c.n for c in answer.citations) == cited, "the engine cites exactly what the answer quotes"
    answer_body = html_of(assistant)[0]
    assert 'class="qa-text qa-answer"' in answer_body
    for n in cited:
        assert f'<span class="qa-marker">[{n}]</span>' in answer_body
    assert any("Sources · المصادر" in body for body in html_of(assistant))
    sources = sources_of(assistant)
    assert len(sources) == len(cited), "one source entry per cited marker, and no other"
    for source, citation in zip(sources, answer.citations, strict=True):
        assert f'<span class="qa-source-number">{citation.n}</span>' in source
        assert html.escape(citation.title) in source
        assert html.escape(citation.doc_id) in source
        if citation.source:
            assert f"<bdi>{html.escape(citation.source)}</bdi>" in source
    assert [e.label for e in assistant.expander] == [f"Passage [{c.n}] · المقطع" for c in answer.citations]
    for expander, citation in zip(assistant.expander, answer.citations, strict=True):
        passage = html_of(expander)[0]
        for piece in marked_text(citation):
            assert piece in passage
    every_paragraph = [body for body in html_of(user) + html_of(assistant) if "<p" in body]
    assert all(body.count("<p") == body.count('<p dir="auto">') for body in every_paragraph)
    return answer


def test_first_run_opens_the_engine_and_shows_what_is_indexed(first_run: AppTest) -> None:
    assert not first_run.exception
    assert not first_run.error
    sidebar = "".join(html_of(first_run.sidebar))
    article_ids = [path.stem for path in Settings.from_env().docs_dir.glob("*.txt")]
    assert f"<td>Articles · المقالات</td><td>{len(article_ids)}</td>" in sidebar
    assert all(f'<code dir="ltr">{article_id}</code>' in sidebar for article_id in article_ids)
    assert "مهرجان الزهور &lt;script&gt;window.__pwned=1&lt;/script&gt; في الحديقة المركزية" in sidebar
    assert "built now · بُني الآن" in sidebar, "a missing index is built on first start"
    assert html.escape(Settings().model) in sidebar
    assert first_run.sidebar.slider[0].value == Settings().top_k
    assert len(first_run.chat_input) == 1
    assert not first_run.chat_message


@pytest.mark.parametrize(
    ("variable", "value", "title"),
    [
        ("RAG_DOCS_DIR", "/nonexistent/articles", "The articles could not be loaded · تعذر تحميل المقالات"),
        ("RAG_MODEL", "/nonexistent/model", "The model could not be loaded · تعذر تحميل النموذج"),
        ("RAG_TOP_K", "five", "A RAG_ setting is invalid · قيمة إعداد غير صالحة"),
    ],
)
def test_setup_problem_gets_a_clear_message_instead_of_a_crash(
    first_run: AppTest, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, title: str
) -> None:
    monkeypatch.setenv(variable, value)
    page = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert not page.exception
    assert [error.value for error in page.error] == [title]
    assert value in page.code[0].value
    assert not page.chat_input


def test_arabic_question_is_answered_with_its_cited_sources(page: AppTest) -> None:
    ask(page, ARABIC_QUESTION)
    assert_answered_with_sources(page, ARABIC_QUESTION, "ar")


def test_english_question_is_answered_with_its_cited_sources(page: AppTest) -> None:
    ask(page, ENGLISH_QUESTION)
    answer = assert_answered_with_sources(page, ENGLISH_QUESTION, "en")
    assert answer.text.startswith(message("answer_lead_quoted", "en"))


@pytest.mark.parametrize(
    ("question", "language"),
    [(UNANSWERABLE_ENGLISH, "en"), (UNANSWERABLE_ARABIC, "ar")],
)
def test_unanswerable_question_says_so_in_its_language_without_sources(
    page: AppTest, question: str, language: str
) -> None:
    ask(page, question)
    _, assistant = last_exchange(page)
    assert last_answer(page).abstained
    bodies = html_of(assistant)
    assert len(bodies) == 1
    assert "qa-abstained" in bodies[0]
    assert html.escape(message("abstain", language)) in bodies[0]
    assert not assistant.expander
    assert not sources_of(assistant)


def test_conversation_keeps_every_turn_until_cleared(page: AppTest) -> None:
    ask(page, ARABIC_QUESTION)
    ask(page, UNANSWERABLE_ENGLISH)
    assert [m.name for m in page.chat_message] == ["user", "assistant"] * 2
    assert [turn.question for turn in page.session_state["history"]] == [ARABIC_QUESTION, UNANSWERABLE_ENGLISH]
    page.sidebar.button(key="clear").click().run()
    assert not page.chat_message
    assert page.session_state["history"] == []
    assert page.main.button(key="example_0").label, "the example questions are offered again under the title"


def test_an_example_is_asked_with_one_click(page: AppTest) -> None:
    example = page.main.button(key="example_1")
    example.click().run()
    assert_answered_with_sources(page, example.label, "ar")
    assert not [button for button in page.main.button if button.key.startswith("example")]
    page.sidebar.button(key="example_2").click().run()
    assert_answered_with_sources(page, page.sidebar.button(key="example_2").label, "en")


def test_top_k_slider_sets_the_passages_the_engine_retrieves(page: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    asked_top_k: list[int | None] = []
    real_ask = Engine.ask

    def recording_ask(engine: Engine, question: str, top_k: int | None = None, history=()) -> Answer:
        asked_top_k.append(top_k)
        return real_ask(engine, question, top_k, history)

    monkeypatch.setattr(Engine, "ask", recording_ask)
    page.sidebar.slider[0].set_value(2).run()
    ask(page, ARABIC_QUESTION)
    assert asked_top_k == [2]
    assert_answered_with_sources(page, ARABIC_QUESTION, "ar")


def test_empty_question_is_ignored(page: AppTest) -> None:
    ask(page, "   \n  ")
    assert not page.exception
    assert not page.chat_message
    assert page.session_state["history"] == []


def test_too_long_question_gets_a_clear_message_and_is_kept(page: AppTest) -> None:
    limit = Settings().max_question_chars
    question = "Why " + "x" * limit
    ask(page, question)
    user, assistant = last_exchange(page)
    assert question in html_of(user)[0], "the question is shown in full, not lost"
    problem = html_of(assistant)[0]
    assert "qa-problem" in problem
    assert html.escape(message("question_too_long", "en", length=len(question), limit=limit)) in problem
    assert not assistant.expander


@pytest.mark.parametrize(
    "question",
    [
        "<script>window.__pwned=1</script> When are the talks?",
        '<img src=x onerror="window.__pwned=1"> متى المحادثات؟',
        "[click here](http://evil.example) When are the talks?",
        "![pic](http://evil.example/p.png) When are the talks?",
    ],
)
def test_question_with_markup_is_shown_as_plain_text(page: AppTest, question: str) -> None:
    ask(page, question)
    user, assistant = last_exchange(page)
    shown = html_of(user)
    assert shown == [f'<div class="qa-text qa-question"><p dir="auto">{html.escape(question)}</p></div>']
    assert not user.markdown, "user text is never handed to Markdown"
    assert_no_live_markup(shown)
    assert "qa-problem" in html_of(assistant)[0]
    assert page.session_state["history"][-1].problem


@pytest.mark.parametrize(
    ("question", "escaped_markup"),
    [
        (MARKUP_QUESTION_SCRIPT, html.escape('<img src=x onerror="window.__pwned=1">')),
        (MARKUP_QUESTION_LINK, "[الموقع الرسمي](javascript:window.__pwned=1)"),
    ],
)
def test_article_markup_is_shown_as_plain_text(page: AppTest, question: str, escaped_markup: str) -> None:
    ask(page, question)
    _, assistant = last_exchange(page)
    answer = last_answer(page)
    assert MARKUP_ARTICLE_ID in {c.doc_id for c in answer.citations}
    bodies = html_of(assistant)
    assert escaped_markup in "".join(bodies)
    assert "مهرجان الزهور &lt;script&gt;window.__pwned=1&lt;/script&gt;" in "".join(bodies)
    assert_no_live_markup(bodies)
    assert not assistant.markdown
    assert_no_live_markup(html_of(page.sidebar))


def test_rebuild_button_rebuilds_the_index(page: AppTest) -> None:
    page.sidebar.button(key="rebuild").click().run()
    assert not page.exception
    sidebar = "".join(html_of(page.sidebar))
    assert "rebuilt · أعيد بناؤه" in sidebar
    passages = re.search(r"<td>Passages · المقاطع</td><td>(\d+)</td>", sidebar)
    assert passages
    assert "English-Arabic dictionary · القاموس<br>loaded · محمّل</td>" in sidebar
    assert [s.value for s in page.sidebar.success] == [
        f"Index rebuilt: {passages.group(1)} passages · أعيد بناء الفهرس"
    ]
    ask(page, ARABIC_QUESTION)
    assert_answered_with_sources(page, ARABIC_QUESTION, "ar")


def test_the_page_listens_on_loopback_and_hides_error_details_by_default() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"


def test_rebuild_is_not_offered_when_the_page_listens_beyond_loopback(
    first_run: AppTest, caplog: pytest.LogCaptureFixture
) -> None:
    address = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        page = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
        assert not page.exception
        assert "rebuild" not in [button.key for button in page.sidebar.button]
        page.session_state[REBUILD_REQUESTED] = True  # a forged request is ignored too
        page.run()
        assert not page.exception and not page.sidebar.success
        assert "A rebuild was requested on a page that does not offer it; ignored." in caplog.text
    finally:
        st_config.set_option("server.address", address)


def test_rebuild_is_not_offered_when_admin_actions_are_off(first_run: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_ADMIN_ACTIONS", "off")
    page = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert not page.exception
    assert "rebuild" not in [button.key for button in page.sidebar.button]


def test_a_rebuild_during_another_build_says_so_and_keeps_answering(page: AppTest) -> None:
    with store_lock(Settings.from_env().store_location()):
        page.sidebar.button(key="rebuild").click().run()
    assert not page.exception
    assert [error.value for error in page.sidebar.error] == [
        one_line("build_in_progress", None, store="store", detail="")
    ], "the server path is not shown, only the folder's name"
    ask(page, ARABIC_QUESTION)
    assert_answered_with_sources(page, ARABIC_QUESTION, "ar")


def test_an_unexpected_error_is_logged_and_shown_without_details(
    page: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_ask(*_args, **_kwargs):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(Engine, "ask", broken_ask)
    ask(page, ARABIC_QUESTION)
    assert not page.exception
    shown = [error.value for error in page.error]
    assert shown == ["Something went wrong; the details are in the server log · حدث خطأ؛ التفاصيل في سجل الخادم"]
    assert "/srv/secret/path" in caplog.text and "Traceback" in caplog.text
    monkeypatch.undo()
    page.run()
    assert [turn.question for turn in page.session_state["history"]] == [ARABIC_QUESTION], "the question was kept"


def written_page(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    """A page whose engine writes answers with the language model server at ``url``."""
    monkeypatch.setenv("RAG_LLM_URL", url)
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "64")  # a short answer keeps the test quick
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "300")  # generous for a busy CI machine
    page = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert not page.exception
    assert page.sidebar.toggle[0].label == "Written answers · إجابات مكتوبة" and page.sidebar.toggle[0].value
    return page


def test_written_answer_shows_its_badge_its_sources_and_the_quoted_answer_one_click_away(
    first_run: AppTest, llm_server: LocalModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = ask(written_page(monkeypatch, llm_server.url), ENGLISH_QUESTION)
    assert not page.exception
    turn = page.session_state["history"][-1]
    written = turn.written
    assert written is not None and turn.answer is None and written.model == MODEL_ALIAS
    _, assistant = last_exchange(page)
    bodies = html_of(assistant)
    assert_no_live_markup(bodies)
    if written.kind == "written":
        assert message("written_by", "en", model=MODEL_ALIAS) in bodies[0] and "qa-badge-written" in bodies[0]
        answer_body = next(body for body in bodies if "qa-answer" in body)
        for citation in written.citations:
            assert f'<span class="qa-marker">[{citation.n}]</span>' in answer_body
        labels = [e.label for e in assistant.expander]
        assert "Quoted from the articles · مقتبسة من المقالات" in labels
        assert [f"Passage [{c.n}] · المقطع" for c in written.citations] == labels[: len(written.citations)]
    else:  # the small model wrote nothing its passages support: the quoted answer, and why
        assert message("quoted_badge", "en") in bodies[0]
        assert html.escape(written.notice or "") in bodies[1]


def test_unreachable_language_model_gives_the_quoted_answer_with_a_notice(
    first_run: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = ask(written_page(monkeypatch, f"http://127.0.0.1:{free_port()}/v1"), ARABIC_QUESTION)
    assert not page.exception
    written = page.session_state["history"][-1].written
    assert written.kind == "quoted" and written.answer.citations
    _, assistant = last_exchange(page)
    bodies = html_of(assistant)
    assert message("quoted_badge", "ar") in bodies[0]
    assert html.escape(message("llm_unreachable", "ar")) in bodies[1]
    assert "qa-answer" in bodies[2] and sources_of(assistant)


def test_a_follow_up_is_read_in_context_and_says_so_in_small_print(page: AppTest) -> None:
    ask(page, "متى ستعقد المحادثات الأمريكية الروسية؟")
    ask(page, "وأين ستعقد؟")
    user, _ = last_exchange(page)
    resolved = last_answer(page).resolved_question
    assert resolved and resolved.startswith("وأين ستعقد؟") and "المحادثات" in resolved
    assert any("qa-resolved" in body and html.escape(resolved) in body for body in html_of(user))
    ask(page, "How long was the video call between Biden and Putin on December 7?")
    assert last_answer(page).resolved_question is None, "a question that stands alone is read alone"
    page.sidebar.button(key="clear").click().run()
    ask(page, "وأين ستعقد؟")
    assert last_answer(page).resolved_question is None, "a new conversation has no earlier turns"


def test_a_pasted_article_is_indexed_listed_and_removed(page: AppTest) -> None:
    title = "مهرجان <b>الزهور</b>"
    page.sidebar.text_input[0].set_value(title)
    page.sidebar.text_area[0].set_value("افتتح مهرجان الزهور في مدينة الرباط يوم الخميس بمشاركة أربعين دولة.")
    page.sidebar.button(key="add_articles").click().run()
    assert not page.exception
    sidebar = "".join(html_of(page.sidebar))
    assert "Added · أُضيف: مهرجان_b_الزهور_b" in sidebar
    assert html.escape(title) in sidebar and "<b>" not in sidebar
    ask(page, "كم دولة تشارك في مهرجان الزهور؟")
    assert last_answer(page).cited()[0].doc_id == "مهرجان_b_الزهور_b"
    page.sidebar.button(key="remove_مهرجان_b_الزهور_b").click().run()
    sidebar = "".join(html_of(page.sidebar))
    assert "Removed (kept in the trash) · حُذف (في سلة المحذوفات): مهرجان_b_الزهور_b" in sidebar
    assert not [b for b in page.sidebar.button if b.key == "remove_مهرجان_b_الزهور_b"]


def test_adding_and_removing_articles_is_not_offered_when_admin_actions_are_off(
    first_run: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_ADMIN_ACTIONS", "off")
    page = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert not page.exception
    keys = {button.key for button in page.sidebar.button}
    assert "rebuild" not in keys and not any(key.startswith("remove_") for key in keys)
    assert not page.sidebar.text_area
