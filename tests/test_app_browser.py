"""End to end: ``streamlit run app.py`` on a loopback port, driven by a real headless Chromium.

Screenshots land in ``test-output/`` (git-ignored). Skipped when Debian's Chromium is not installed
(``scripts/test.sh`` installs it when run as root).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from test_app import (
    ARABIC_QUESTION,
    ENGLISH_QUESTION,
    MARKUP_ARTICLE_ID,
    MARKUP_QUESTION_LINK,
    make_docs_dir,
)

from rag.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STREAMLIT = Path(sys.executable).parent / "streamlit"
OUTPUT = PROJECT_ROOT / "test-output"
HEALTH_TIMEOUT = 60.0
#: The first answer waits for the model to load and the index to be built.
FIRST_ANSWER_TIMEOUT_MS = 150_000
ANSWER_TIMEOUT_MS = 30_000
LOADING_TIMEOUT_MS = 30_000
EXPANDER_ANIMATION_MS = 700
SCRIPT_QUESTION = "<script>window.__pwned=1</script> When are the talks?"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does as root)"
)


@dataclass
class Server:
    url: str
    launched_at: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"streamlit was not healthy within {HEALTH_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    env = os.environ | {
        "RAG_STORE_DIR": str(root / "store"),
        "RAG_DOCS_DIR": str(make_docs_dir(root / "docs")),
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "streamlit.log"
    command = [str(STREAMLIT), "run", str(PROJECT_ROOT / "app.py"), "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as log_file:
        launched_at = time.monotonic()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(url, process, log)
            yield Server(url, launched_at)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def requested_urls() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, server: Server, requested_urls: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    try:
        chat = context.new_page()
        chat.on("request", lambda request: requested_urls.append(request.url))
        chat.goto(server.url)
        yield chat
    finally:
        context.close()


def ask(page: Page, question: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> Locator:
    """Type ``question`` into the chat input, send it, and return the assistant's reply once drawn."""
    messages = page.get_by_test_id("stChatMessage")
    before = messages.count()
    box = page.get_by_placeholder("Ask about the articles")
    box.wait_for(timeout=timeout_ms)
    box.fill(question)
    box.press("Enter")
    expect(messages).to_have_count(before + 2, timeout=timeout_ms)
    reply = messages.nth(before + 1)
    expect(reply.locator(".qa-answer, .qa-notice")).to_have_count(1, timeout=timeout_ms)
    return reply


def text_layout(paragraph: Locator) -> dict:
    """The paragraph's computed direction and the gaps between its text and its left and right edges."""
    return paragraph.evaluate(
        """element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const text = range.getBoundingClientRect();
            const box = element.getBoundingClientRect();
            return {direction: getComputedStyle(element).direction,
                    left: text.left - box.left, right: box.right - text.right};
        }"""
    )


def open_passages(reply: Locator) -> None:
    """Open every source expander; a click lost while Streamlit redraws the message is repeated."""
    summaries = reply.locator("[data-testid='stExpander'] summary")
    expect(summaries.first).to_be_visible()
    for _ in range(3):
        for summary in summaries.all():
            if not summary.evaluate("element => element.closest('details').open"):
                summary.click()
        try:
            expect(reply.locator(".qa-passage").first).to_be_visible(timeout=3000)
            return
        except AssertionError:
            continue
    expect(reply.locator(".qa-passage").first).to_be_visible()


def assert_sources_shown(reply: Locator) -> None:
    markers = reply.locator(".qa-answer .qa-marker").all_inner_texts()
    assert markers, "the answer carries its citation markers"
    numbers = sorted({marker.strip("[]") for marker in markers})
    # Streamlit draws the sources after the answer: wait for them before reading their numbers.
    expect(reply.locator(".qa-source-number")).to_have_count(len(numbers))
    assert sorted(reply.locator(".qa-source-number").all_inner_texts()) == numbers
    open_passages(reply)
    expect(reply.locator(".qa-passage")).to_have_count(len(numbers))
    assert reply.locator(".qa-passage mark").count() >= 1, "the quoted sentences are highlighted"


def screenshot(page: Page, name: str, settle_ms: int = EXPANDER_ANIMATION_MS) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.wait_for_timeout(settle_ms)
    page.screenshot(path=str(OUTPUT / name))


def assert_only_local_requests(urls: list[str], server: Server) -> None:
    remote = [url for url in urls if not url.startswith((server.url, "data:", "blob:"))]
    assert remote == [], "the page fetched something from outside the machine"


def test_first_visit_shows_loading_and_index_progress_then_the_chat(page: Page) -> None:
    """The first page of the module to open: it sees the engine load and the missing index being built."""
    expect(page.get_by_text("Loading the model and the articles")).to_be_visible(timeout=LOADING_TIMEOUT_MS)
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=FIRST_ANSWER_TIMEOUT_MS)
    screenshot(page, "chat-loading.png", settle_ms=0)
    expect(page.get_by_placeholder("Ask about the articles")).to_be_visible(timeout=FIRST_ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(page.get_by_text("Loading the model and the articles")).to_have_count(0)
    screenshot(page, "chat-ready.png")


def test_questions_in_both_languages_are_answered_with_sources_in_their_direction(
    page: Page, server: Server, requested_urls: list[str]
) -> None:
    arabic = ask(page, ARABIC_QUESTION, FIRST_ANSWER_TIMEOUT_MS)
    OUTPUT.mkdir(exist_ok=True)
    seconds = time.monotonic() - server.launched_at
    (OUTPUT / "browser-timings.txt").write_text(f"launch to first answer: {seconds:.1f} s\n", encoding="utf-8")
    paragraphs = arabic.locator(".qa-answer p")
    assert paragraphs.count() >= 2
    for paragraph in paragraphs.all():
        assert text_layout(paragraph)["direction"] == "rtl"
    lead = text_layout(paragraphs.first)
    assert lead["right"] < 2 and lead["left"] > 100, "the short Arabic lead line sits at the right edge"
    assert_sources_shown(arabic)
    assert text_layout(arabic.locator(".qa-source").first)["direction"] == "rtl", "an Arabic source reads RTL"
    screenshot(page, "chat-arabic-answer.png")

    english = ask(page, ENGLISH_QUESTION)
    english_paragraphs = english.locator(".qa-answer p")
    english_lead = text_layout(english_paragraphs.first)
    assert english_lead["direction"] == "ltr"
    assert english_lead["left"] < 2 and english_lead["right"] > 100, "the English lead line sits at the left edge"
    assert text_layout(english_paragraphs.nth(1))["direction"] == "rtl", "the quoted Arabic reads right to left"
    assert_sources_shown(english)
    screenshot(page, "chat-english-answer.png")
    assert_only_local_requests(requested_urls, server)


def test_markup_in_questions_and_articles_never_runs_and_reads_as_text(
    page: Page, server: Server, requested_urls: list[str]
) -> None:
    ask(page, SCRIPT_QUESTION, FIRST_ANSWER_TIMEOUT_MS)
    user_message = page.get_by_test_id("stChatMessage").nth(0)
    assert SCRIPT_QUESTION in user_message.inner_text()
    reply = ask(page, MARKUP_QUESTION_LINK)
    open_passages(reply)
    shown = reply.inner_text()
    assert "[الموقع الرسمي](javascript:window.__pwned=1)" in shown
    assert "![صورة](x.png)" in shown
    assert MARKUP_ARTICLE_ID in shown
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    assert "مهرجان الزهور <script>window.__pwned=1</script>" in sidebar
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src='x'], img[src='x.png'], a[href^='javascript']").count() == 0
    screenshot(page, "chat-markup-as-text.png")
    assert_only_local_requests(requested_urls, server)


def test_questions_typed_quickly_are_all_answered_in_order(page: Page) -> None:
    """Three questions sent 150 ms apart: each used to interrupt the page's run for the one before,
    and one in three vanished without a message."""
    questions = [ARABIC_QUESTION, ENGLISH_QUESTION, "ما هي العقوبات المحتملة على روسيا؟"]
    box = page.get_by_placeholder("Ask about the articles")
    box.wait_for(timeout=FIRST_ANSWER_TIMEOUT_MS)
    for question in questions:
        box.fill(question)
        box.press("Enter")
        page.wait_for_timeout(150)
    messages = page.get_by_test_id("stChatMessage")
    expect(messages).to_have_count(2 * len(questions), timeout=ANSWER_TIMEOUT_MS)
    asked = [messages.nth(2 * n).locator(".qa-question").inner_text().strip() for n in range(len(questions))]
    assert asked == questions
    for n in range(len(questions)):
        expect(messages.nth(2 * n + 1).locator(".qa-answer, .qa-notice")).to_have_count(1)


UPLOADED_ARTICLE = """<html><head><title>مهرجان الزهور</title><script>window.__pwned=1</script></head><body>
<h1>مهرجان الزهور في الرباط</h1>
<p>افتتح مهرجان الزهور في مدينة الرباط يوم الخميس بمشاركة أربعين دولة من أنحاء العالم.</p>
<p>وقال المنظمون إن المهرجان يستمر عشرة أيام ويضم معرضاً للحدائق <b>والنباتات النادرة</b>.</p>
</body></html>"""


def test_an_uploaded_article_is_answered_from_followed_up_and_removed(
    page: Page, server: Server, requested_urls: list[str]
) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Add articles · إضافة مقالات").click(timeout=FIRST_ANSWER_TIMEOUT_MS)
    sidebar.locator("input[type=file]").set_input_files(
        {"name": "festival.html", "mimeType": "text/html", "buffer": UPLOADED_ARTICLE.encode()}
    )
    expect(sidebar.get_by_text("festival.html")).to_be_visible()
    sidebar.get_by_role("button", name="Add · أضف").click()
    expect(sidebar.get_by_text("Added · أُضيف: festival")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    remove = sidebar.locator(".st-key-remove_festival")
    expect(remove).to_have_count(1)
    screenshot(page, "chat-article-added.png")

    reply = ask(page, "كم دولة تشارك في مهرجان الزهور؟")
    assert "أربعين دولة" in reply.locator(".qa-answer").inner_text()
    open_passages(reply)
    assert "festival" in reply.inner_text()

    follow_up = ask(page, "وكم يوماً يستمر؟")
    assert "عشرة أيام" in follow_up.locator(".qa-answer").inner_text()
    question = page.get_by_test_id("stChatMessage").nth(-2)
    resolved = question.locator(".qa-resolved")
    expect(resolved).to_have_count(1)
    assert "وكم يوماً يستمر؟" in resolved.inner_text() and "مهرجان" in resolved.inner_text()
    screenshot(page, "chat-follow-up.png")

    remove.get_by_role("button").first.click()
    expect(sidebar.get_by_text("Removed (kept in the trash) · حُذف (في سلة المحذوفات): festival")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS
    )
    expect(remove).to_have_count(0)
    after = ask(page, "كم دولة تشارك في مهرجان الزهور؟")
    assert "festival" not in after.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    screenshot(page, "chat-article-removed.png")
    assert_only_local_requests(requested_urls, server)
