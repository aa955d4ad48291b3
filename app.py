"""The chat page: ask the articles a question in Arabic or English, read the answer and its sources.

This page only draws: every answer comes from the engine's public surface (``from rag import ...``).
Follow-up questions are asked with the conversation's earlier questions, and the sidebar adds
(uploaded or pasted) and removes articles where admin actions are allowed (``Settings.admin_actions``).
All user and article text is ``html.escape``d before it is placed in HTML and drawn with ``st.html``
(no Markdown, sanitized), in paragraphs with ``dir="auto"`` so that each paragraph reads in the direction
of its own language.

Run it with ``scripts/run.sh``.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

from rag import (
    SUPPORTED_SUFFIXES,
    Answer,
    AnswerSentence,
    ArticlesError,
    Citation,
    Engine,
    EngineInfo,
    LibraryChange,
    ModelLoadError,
    Progress,
    QuestionError,
    RagError,
    Segment,
    Settings,
    StoreError,
    Upload,
    WrittenAnswer,
    admin_allowed,
    passage_paragraphs,
)

PAGE_TITLE = "Arabic news QA — أسئلة الأخبار"
EXAMPLE_QUESTIONS = (
    "What did Washington offer on missiles?",
    "متى ستعقد المحادثات في جنيف؟",
    "When will the US-Russia talks in Geneva take place?",
    "ماذا طلبت روسيا بشأن القواعد العسكرية الأمريكية؟",
)
MAX_TOP_K = 20
MARKER_START = '<span class="qa-marker">'
DICTIONARY_STATES = {
    "loaded": "loaded · محمّل",
    "installed": "installed, loads on the first English question · مثبّت",
    "missing": "not installed: English answers are weaker · غير مثبّت",
    "off": "off · معطّل",
}
INDEX_ACTIONS = {
    "reused": "saved · محفوظ",
    "updated": "updated · حُدّث",
    "built": "built now · بُني الآن",
    "rebuilt": "rebuilt · أعيد بناؤه",
}

HISTORY = "history"
#: Questions submitted and not yet answered, oldest first: a question sent while the page is still
#: answering the one before is queued by the input's callback, never dropped.
QUESTION_QUEUE = "question_queue"
CHAT_INPUT = "chat_input"
REBUILD_REQUESTED = "rebuild_requested"
NOTICE = "notice"
TOP_K = "top_k"
#: Errors are logged for the operator (the server's stderr); users see a short message only.
log = logging.getLogger("rag.app")
WRITTEN_ANSWERS = "written_answers"
#: What the last add or remove did, shown once in the sidebar.
CHANGE = "library_change"
PENDING_REMOVAL = "pending_removal"
PENDING_UPLOADS = "pending_uploads"
UPLOAD_FILES = "upload_files"
PASTE_TITLE = "paste_title"
PASTE_BODY = "paste_body"

STYLE = """
<style>
.qa-text, .qa-source-title, .qa-article-title {
  font-family: "Source Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Segoe UI", Tahoma, "DejaVu Sans", sans-serif;
}
.qa-text p {
  unicode-bidi: plaintext;
  text-align: start;
  margin: 0 0 0.45rem 0;
  line-height: 1.75;
}
.qa-text p:last-child { margin-bottom: 0; }
.qa-question { max-height: 16rem; overflow-y: auto; overflow-wrap: anywhere; }
.qa-answer p + p { margin-top: 0.35rem; }
.qa-marker {
  display: inline-block;
  unicode-bidi: isolate;
  direction: ltr;
  font-size: 0.78em;
  font-weight: 600;
  line-height: 1.3;
  padding: 0 0.35em;
  margin: 0 0.1em;
  border-radius: 0.6em;
  color: #1d4ed8;
  background: #e0e7ff;
  vertical-align: 0.15em;
}
.qa-notice { padding: 0.6rem 0.85rem; border-radius: 0.5rem; }
.qa-notice p { border-inline-start: 4px solid; padding-inline-start: 0.7rem; }
.qa-abstained { background: #f1f5f9; color: #334155; }
.qa-abstained p { border-color: #94a3b8; }
.qa-problem { background: #fff7ed; color: #7c2d12; }
.qa-problem p { border-color: #f97316; }
.qa-sources-heading {
  font-size: 0.85rem;
  font-weight: 600;
  color: #475569;
  margin: 0.9rem 0 0.2rem 0;
  letter-spacing: 0.02em;
}
.qa-source { display: flex; gap: 0.6rem; align-items: flex-start; }
.qa-source-number {
  flex: none;
  min-width: 1.6rem;
  text-align: center;
  font-weight: 700;
  font-size: 0.85rem;
  color: #1d4ed8;
  background: #e0e7ff;
  border-radius: 0.4rem;
  padding: 0.1rem 0.3rem;
  margin-top: 0.2rem;
}
.qa-source-body { flex: 1; min-width: 0; }
.qa-source-title {
  font-weight: 600;
  unicode-bidi: plaintext;
  text-align: start;
  line-height: 1.6;
}
.qa-meta { font-size: 0.8rem; color: #64748b; margin-top: 0.1rem; overflow-wrap: anywhere; }
.qa-meta code { font-size: 0.78rem; unicode-bidi: isolate; }
.qa-field { unicode-bidi: isolate; margin-inline-end: 0.9rem; white-space: nowrap; }
.qa-label { font-size: 0.7rem; text-transform: uppercase; letter-spacing: 0.05em; color: #94a3b8; }
.qa-passage p { font-size: 0.95rem; color: #1e293b; }
.qa-passage mark { background: #fde68a; color: inherit; padding: 0.05em 0.1em; border-radius: 0.2em; }
.qa-header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 0.5rem; }
.qa-header h1 { font-size: 2rem; font-weight: 700; margin: 0; padding: 0; }
.qa-header .qa-header-ar { font-size: 1.8rem; font-weight: 700; margin-left: auto; }
.qa-intro {
  display: flex;
  flex-wrap: wrap;
  justify-content: space-between;
  gap: 0.4rem 1.5rem;
  color: #475569;
  margin: 0.3rem 0 0.8rem;
}
.qa-intro p { margin: 0; flex: 1 1 16rem; }
.qa-article { margin: 0 0 0.55rem 0; }
.qa-article-title { font-size: 0.88rem; line-height: 1.5; unicode-bidi: plaintext; text-align: start; }
.qa-stats { width: 100%; font-size: 0.88rem; border-collapse: collapse; }
.qa-stats td { padding: 0.15rem 0; border: none; vertical-align: top; }
.qa-stats td:first-child { white-space: nowrap; padding-inline-end: 0.6rem; color: #475569; }
.qa-stats td:last-child { text-align: end; font-weight: 600; }
.qa-stats td[colspan] { text-align: start; font-weight: normal; white-space: normal; padding-top: 0.3rem; }
.qa-stats code { font-size: 0.78rem; overflow-wrap: anywhere; }
.qa-badge {
  display: inline-block;
  unicode-bidi: isolate;
  font-size: 0.75rem;
  font-weight: 600;
  padding: 0.1rem 0.55rem;
  border-radius: 0.8rem;
  margin-bottom: 0.4rem;
}
.qa-badge-written { color: #065f46; background: #d1fae5; }
.qa-badge-quoted { color: #1e3a8a; background: #e0e7ff; }
.qa-draft p { color: #64748b; font-style: italic; }
.qa-note { font-size: 0.85rem; color: #92400e; }
.qa-resolved { font-size: 0.78rem; color: #64748b; margin-top: 0.2rem; }
.qa-resolved p { margin: 0; unicode-bidi: plaintext; text-align: start; }
.qa-change p { font-size: 0.85rem; margin: 0 0 0.25rem 0; unicode-bidi: plaintext; text-align: start; }
</style>
"""

HEADER = """
<div class="qa-header">
  <h1>Arabic news QA</h1>
  <span class="qa-header-ar" dir="rtl" lang="ar">أسئلة الأخبار</span>
</div>
<div class="qa-intro">
  <p>Ask in Arabic or English. Answers quote the articles and cite the passages they come from.</p>
  <p dir="rtl" lang="ar">اسأل بالعربية أو بالإنجليزية. تقتبس الإجابات من المقالات وتشير إلى المقاطع التي أُخذت منها.</p>
</div>
"""


@dataclass(frozen=True)
class Turn:
    """One exchange of the conversation: a question and either its answer or why it was refused."""

    question: str
    answer: Answer | None = None
    problem: str | None = None
    #: Set instead of ``answer`` when written answers are on: the model's checked sentences, or the
    #: quoted answer with a notice saying why.
    written: WrittenAnswer | None = None

    @property
    def answered(self) -> Answer | None:
        """The engine's answer, quoted or under the written one; ``None`` for a refused question."""
        return self.written.answer if self.written is not None else self.answer


class EngineHolder:
    """The engine of this server process, shared by every browser session, opened at most once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self, progress: Progress) -> Engine:
        with self._lock:
            if self.engine is None:
                self.engine = Engine.open(self.settings, progress=progress)
            return self.engine

    def rebuild(self, current: Engine, progress: Progress) -> Engine:
        with self._lock:
            self.engine = current.rebuild(progress)
            return self.engine

    def refresh(self, progress: Progress) -> Engine:
        """The engine over the live index (another process may have added or removed articles)."""
        with self._lock:
            self.engine = self.engine.refreshed(progress)
            return self.engine

    def change(self, apply: Callable[[Engine], LibraryChange]) -> LibraryChange:
        """Add or remove articles with ``apply``; the engine it returns serves every session from now on."""
        with self._lock:
            done = apply(self.engine)
            self.engine = done.engine
            return done


@st.cache_resource(show_spinner=False)
def engine_holder(settings: Settings) -> EngineHolder:
    return EngineHolder(settings)


def escaped(text: str) -> str:
    return html.escape(text, quote=True)


def text_html(text: str, css_class: str) -> str:
    """``text`` as one ``dir="auto"`` paragraph per non-blank line, inside a ``div`` of ``css_class``."""
    paragraphs = "".join(f'<p dir="auto">{escaped(line)}</p>' for line in text.split("\n") if line.strip())
    return f'<div class="qa-text {css_class}">{paragraphs}</div>'


def sentence_html(sentence: AnswerSentence, answer_language: str) -> str:
    """One answer sentence as a paragraph: a quote in another language than the answer's between
    quotation marks, then its citation markers (kept on the line of the words they cite)."""
    text = escaped(sentence.shown_text)
    if sentence.role == "quote" and sentence.language != answer_language:
        text = f"“{text}”"
    markers = "".join(f"{MARKER_START}[{n}]</span>" for n in sentence.citations)
    return f'<p dir="auto">{text}&nbsp;{markers}</p>' if markers else f'<p dir="auto">{text}</p>'


def answer_html(answer: Answer) -> str:
    paragraphs = "".join(sentence_html(sentence, answer.language) for sentence in answer.sentences)
    return f'<div class="qa-text qa-answer">{paragraphs}</div>'


def written_html(written: WrittenAnswer) -> str:
    """A written answer as one paragraph: each checked sentence followed by its citation markers."""
    sentences = []
    for sentence in written.sentences:
        markers = "".join(f"{MARKER_START}[{n}]</span>" for n in sentence.citations)
        sentences.append(f"{escaped(sentence.text)}&nbsp;{markers}")
    return f'<div class="qa-text qa-answer"><p dir="auto">{" ".join(sentences)}</p></div>'


def segment_html(segment: Segment) -> str:
    return f"<mark>{escaped(segment.text)}</mark>" if segment.highlighted else escaped(segment.text)


def passage_html(citation: Citation) -> str:
    paragraphs = passage_paragraphs(citation.text, citation.start, citation.highlights)
    body = "".join(f'<p dir="auto">{"".join(segment_html(s) for s in paragraph)}</p>' for paragraph in paragraphs)
    return f'<div class="qa-text qa-passage">{body}</div>'


def source_html(citation: Citation) -> str:
    return (
        '<div class="qa-source" dir="auto">'
        f'<span class="qa-source-number">{citation.n}</span>'
        '<div class="qa-source-body">'
        f'<div class="qa-source-title">{escaped(citation.title)}</div>'
        f"{meta_html(citation.source, citation.doc_id)}"
        "</div></div>"
    )


def meta_html(outlet: str | None, doc_id: str) -> str:
    """An article's outlet and id, each isolated so that neither reorders the other; they follow the
    direction of the title above them."""
    outlet_html = f"<bdi>{escaped(outlet)}</bdi>" if outlet else "unknown"
    return (
        '<div class="qa-meta">'
        f'<span class="qa-field"><span class="qa-label">Outlet</span> {outlet_html}</span>'
        f'<span class="qa-field"><span class="qa-label">ID</span> <code dir="ltr">{escaped(doc_id)}</code></span>'
        "</div>"
    )


def badge_html(written: WrittenAnswer) -> str:
    """Which kind of answer this is: written by the named model, or quoted from the articles."""
    return f'<div dir="auto"><span class="qa-badge qa-badge-{written.kind}">{escaped(written.badge)}</span></div>'


def ask(
    engine: Engine,
    question: str,
    top_k: int,
    write: bool = False,
    on_text: Callable[[str], None] | None = None,
    history: list[Turn] | None = None,
) -> Turn | None:
    """The turn for ``question``, or ``None`` for an empty question (nothing to answer, nothing to say).
    With ``write`` the engine asks its language model (``on_text`` gets the draft as it streams). A
    follow-up is read after the answered questions of ``history``."""
    earlier = [turn.question for turn in history or [] if turn.answered is not None]
    try:
        if write:
            written = engine.write_answer(question, top_k=top_k, on_text=on_text, history=earlier)
            return Turn(question, written=written)
        return Turn(question, answer=engine.ask(question, top_k=top_k, history=earlier))
    except QuestionError as error:
        if error.code == "empty_question":
            return None
        return Turn(question, problem=error.message)


def progress_bar(label: str) -> tuple[Progress, Callable[[], None]]:
    """A progress callback that draws into a fresh bar, and the function that removes the bar."""
    slot = st.empty()

    def report(done: int, total: int) -> None:
        slot.progress(done / total if total else 1.0, text=f"{done}/{total} · {label}")

    return report, slot.empty


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        stop_with_error("A RAG_ setting is invalid · قيمة إعداد غير صالحة", error)


def open_engine(holder: EngineHolder) -> Engine:
    """The shared engine, showing a loading state (and index-building progress) the first time."""
    if holder.engine is not None:
        return holder.engine
    try:
        with st.spinner("Loading the model and the articles… · جارٍ تحميل النموذج والمقالات", show_time=True):
            report, remove_bar = progress_bar("Indexing passages · فهرسة المقاطع")
            engine = holder.get(report)
            remove_bar()
    except ArticlesError as error:
        stop_with_error("The articles could not be loaded · تعذر تحميل المقالات", error)
    except ModelLoadError as error:
        stop_with_error("The model could not be loaded · تعذر تحميل النموذج", error)
    except StoreError as error:
        st.error(store_problem(error))
        st.stop()
    except RagError as error:
        stop_with_error("The index could not be opened · تعذر فتح الفهرس", error)
    return engine


def store_problem(error: StoreError) -> str:
    """The store error in one bilingual line, naming the index folder but not its server path."""
    log.warning("Index store problem: %s", error)
    return error.message_in(None, store=error.store_dir.name)


def show_error(title: str, error: Exception) -> None:
    """A bilingual ``title`` and the error's own words as plain text (a path is never read as Markdown)."""
    st.error(title)
    st.code(str(error), language=None, wrap_lines=True)


def stop_with_error(title: str, error: Exception) -> NoReturn:
    show_error(title, error)
    st.stop()


def render_source(citation: Citation) -> None:
    with st.container(border=True):
        st.html(source_html(citation))
        with st.expander(f"Passage [{citation.n}] · المقطع"):
            st.html(passage_html(citation))


def render_answer(answer: Answer) -> None:
    if answer.abstained:
        st.html(text_html(answer.text, "qa-notice qa-abstained"))
        return
    st.html(answer_html(answer))
    sources = answer.cited()
    if sources:
        st.html('<div class="qa-sources-heading">Sources · المصادر</div>')
    for citation in sources:
        render_source(citation)


def render_written(written: WrittenAnswer) -> None:
    """The verified written answer with its sources, or the quoted one; the badge says which, a
    note says why sentences were left out or the model was not used, and the quoted answer is
    one click away under a written one."""
    if written.answer.abstained:
        render_answer(written.answer)
        return
    st.html(badge_html(written))
    if written.notice:
        st.html(text_html(written.notice, "qa-note"))
    if written.kind == "quoted":
        render_answer(written.answer)
        return
    st.html(written_html(written))
    st.html('<div class="qa-sources-heading">Sources · المصادر</div>')
    for citation in written.citations:
        render_source(citation)
    with st.expander("Quoted from the articles · مقتبسة من المقالات"):
        render_answer(written.answer)


def render_reply(turn: Turn) -> None:
    if turn.written is not None:
        render_written(turn.written)
    elif turn.answer is not None:
        render_answer(turn.answer)
    else:
        st.html(text_html(turn.problem or "", "qa-notice qa-problem"))


def resolved_html(resolved: str) -> str:
    """The small print under a follow-up: how it was read in the context of the conversation."""
    return (
        '<div class="qa-text qa-resolved">'
        f'<p dir="auto">Read in context · قُرئ في سياق المحادثة: {escaped(resolved)}</p></div>'
    )


def render_turn(turn: Turn) -> None:
    with st.chat_message("user"):
        st.html(text_html(turn.question, "qa-question"))
        if turn.answered is not None and turn.answered.resolved_question:
            st.html(resolved_html(turn.answered.resolved_question))
    with st.chat_message("assistant"):
        render_reply(turn)


def answer_live(engine: Engine, question: str, top_k: int, history: list[Turn]) -> Turn | None:
    """Ask the model and draw its draft as it streams, then the checked answer in its place; a
    follow-up is read after the answered questions of ``history``."""
    if not question.strip():
        return None
    with st.chat_message("user"):
        st.html(text_html(question, "qa-question"))
    with st.chat_message("assistant"):
        slot = st.empty()
        pieces: list[str] = []

        def draw(piece: str) -> None:
            pieces.append(piece)
            slot.html(text_html("".join(pieces), "qa-draft"))

        with st.spinner("Writing… · جارٍ الكتابة"):
            turn = ask(engine, question, top_k, write=True, on_text=draw, history=history)
        slot.empty()
        if turn is not None:
            render_reply(turn)
    return turn


def queue_question(question: str | None) -> None:
    if question is not None:
        st.session_state.setdefault(QUESTION_QUEUE, []).append(question)


def queue_typed_question() -> None:
    """The chat input's callback: it runs before the next script run starts, so a run interrupted
    by a newer question cannot lose the older one."""
    queue_question(st.session_state.get(CHAT_INPUT))


def choose_example(question: str) -> None:
    queue_question(question)


def clear_history() -> None:
    st.session_state[HISTORY] = []


def request_rebuild() -> None:
    st.session_state[REBUILD_REQUESTED] = True


def render_examples() -> None:
    """One button per example question: under the title while the conversation is empty, then in the sidebar."""
    for position, question in enumerate(EXAMPLE_QUESTIONS):
        st.button(
            question,
            key=f"example_{position}",
            on_click=choose_example,
            args=(question,),
            width="stretch",
        )


def stats_html(info: EngineInfo) -> str:
    rows = (
        ("Articles · المقالات", str(len(info.articles))),
        ("Passages · المقاطع", str(info.passages)),
        ("Index · الفهرس", INDEX_ACTIONS.get(info.index_action, escaped(info.index_action))),
    )
    cells = "".join(f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in rows)
    model = f'<tr><td colspan="2">Model · النموذج<br><code>{escaped(info.model)}</code></td></tr>'
    status = DICTIONARY_STATES.get(info.dictionary, escaped(info.dictionary))
    dictionary = f'<tr><td colspan="2">English-Arabic dictionary · القاموس<br>{status}</td></tr>'
    return f'<table class="qa-stats">{cells}{model}{dictionary}</table>'


def article_html(title: str, outlet: str | None, doc_id: str) -> str:
    return (
        '<div class="qa-article" dir="auto">'
        f'<div class="qa-article-title">{escaped(title)}</div>'
        f"{meta_html(outlet, doc_id)}"
        "</div>"
    )


def request_removal(doc_id: str) -> None:
    st.session_state[PENDING_REMOVAL] = doc_id


def change_html(change: LibraryChange) -> str:
    """What an add or remove did, one escaped line each, in both languages."""
    lines = [f"Added · أُضيف: {doc_id}" for doc_id in change.added]
    lines += [f"Removed (kept in the trash) · حُذف (في سلة المحذوفات): {doc_id}" for doc_id in change.removed]
    if change.added or change.removed:
        lines.append(
            f"Indexed {change.passages_embedded} new passages; {change.articles} articles, {change.passages} passages "
            f"· فُهرس {change.passages_embedded} مقطعاً جديداً"
        )
    lines += [f"{s.message('en')} · {s.message('ar')}" for s in change.skipped]
    return (
        '<div class="qa-text qa-change">' + "".join(f'<p dir="auto">{escaped(line)}</p>' for line in lines) + "</div>"
    )


def render_articles(info: EngineInfo, writable: bool) -> None:
    """The indexed articles, each with a remove button when the server allows writes."""
    articles = info.articles
    with st.expander(f"Articles ({len(articles)}) · المقالات", expanded=len(articles) <= 10):
        for article in articles:
            st.html(article_html(article.title, article.source, article.doc_id))
            if writable:
                st.button(
                    "Remove · حذف",
                    key=f"remove_{article.doc_id}",
                    help="Moves the article to the trash and updates the index · يُنقل المقال إلى سلة المحذوفات",
                    on_click=request_removal,
                    args=(article.doc_id,),
                    type="tertiary",
                    icon=":material/delete:",
                )


def submit_uploads() -> None:
    """Queue the form's files and pasted text; they are added at the top of this run."""
    uploads = [Upload(file.name, file.getvalue()) for file in st.session_state.get(UPLOAD_FILES) or []]
    title, body = st.session_state.get(PASTE_TITLE, ""), st.session_state.get(PASTE_BODY, "")
    if title.strip() and body.strip():
        uploads.append(Upload.pasted(title, body))
    st.session_state[PENDING_UPLOADS] = uploads


def render_upload() -> None:
    """Upload files or paste a text with its title (``submit_uploads``)."""
    with st.expander("Add articles · إضافة مقالات"), st.form("upload", clear_on_submit=True):
        st.file_uploader(
            "Files · ملفات",
            type=[suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES],
            accept_multiple_files=True,
            key=UPLOAD_FILES,
        )
        st.text_input("Or paste a text: title · أو الصق نصاً: العنوان", key=PASTE_TITLE)
        st.text_area("Text · النص", height=150, key=PASTE_BODY)
        st.form_submit_button("Add · أضف", key="add_articles", on_click=submit_uploads, width="stretch")


def apply_pending_changes(holder: EngineHolder, writable: bool) -> None:
    """Add the submitted uploads or remove the article whose button was pressed, with progress."""
    uploads = st.session_state.pop(PENDING_UPLOADS, None)
    removal = st.session_state.pop(PENDING_REMOVAL, None)
    if not uploads and removal is None:
        return
    if not writable:
        log.warning("Articles were sent to a page that does not offer adding or removing them; ignored.")
        return
    with st.sidebar:
        report, remove_bar = progress_bar("Indexing · الفهرسة")
        try:
            if uploads:
                st.session_state[CHANGE] = holder.change(lambda engine: engine.add_articles(uploads, progress=report))
            if removal is not None:
                st.session_state[CHANGE] = holder.change(lambda engine: engine.remove_articles([removal], report))
        except StoreError as error:
            st.error(store_problem(error))
        except RagError as error:
            show_error("The articles could not be changed · تعذر تعديل المقالات", error)
        finally:
            remove_bar()


def render_index(engine: Engine, writable: bool) -> None:
    info = engine.info()
    st.subheader("Index · الفهرس")
    st.html(stats_html(info))
    if info.index_reasons:
        st.html(f'<div class="qa-meta">Why · السبب: {escaped("; ".join(info.index_reasons))}</div>')
    change = st.session_state.pop(CHANGE, None)
    if change is not None:
        st.html(change_html(change))
    render_articles(info, writable)
    if writable:
        render_upload()
    skipped = info.skipped
    if skipped:
        st.warning(f"{len(skipped)} unreadable file(s) skipped · ملفات لم تُقرأ")
        st.html(text_html("\n".join(f"{s.path.name}: {s.reason}" for s in skipped), "qa-meta"))


def render_sidebar(engine: Engine, writable: bool) -> int:
    """Draw the sidebar; return the number of passages to retrieve."""
    with st.sidebar:
        render_index(engine, writable)
        top_k = st.slider(
            "Passages to retrieve · عدد المقاطع",
            min_value=1,
            max_value=max(MAX_TOP_K, engine.settings.top_k),
            value=engine.settings.top_k,
            key=TOP_K,
        )
        if engine.settings.llm_url:
            st.toggle("Written answers · إجابات مكتوبة", value=True, key=WRITTEN_ANSWERS)
            model = engine.settings.llm_model or "the server's model · نموذج الخادم"
            st.html(f'<div class="qa-meta">Language model · النموذج اللغوي: <code>{escaped(model)}</code></div>')
        if writable:
            st.button("Rebuild index · إعادة بناء الفهرس", key="rebuild", on_click=request_rebuild, width="stretch")
        notice = st.session_state.pop(NOTICE, None)
        if notice:
            st.success(notice)
        st.divider()
        st.button(
            "New conversation · محادثة جديدة",
            on_click=clear_history,
            key="clear",
            width="stretch",
        )
    return top_k


def admin_actions_allowed(settings: Settings) -> bool:
    """Write actions (rebuilding the index) are offered only where ``Settings.admin_actions`` allows:
    by default, when the server listens on loopback alone."""
    return admin_allowed(settings.admin_actions, st.get_option("server.address"))


def rebuild_index(holder: EngineHolder, current: Engine) -> Engine | None:
    """Rebuild the shared index with progress in the sidebar; ``None`` (and an error shown) if it failed."""
    if not admin_actions_allowed(current.settings):
        log.warning("A rebuild was requested on a page that does not offer it; ignored.")
        return None
    with st.sidebar:
        report, remove_bar = progress_bar("Rebuilding the index · إعادة بناء الفهرس")
        try:
            engine = holder.rebuild(current, report)
        except StoreError as error:
            st.error(store_problem(error))
            return None
        except RagError as error:
            show_error("The index could not be rebuilt · تعذرت إعادة بناء الفهرس", error)
            return None
        finally:
            remove_bar()
    st.session_state[NOTICE] = f"Index rebuilt: {engine.info().passages} passages · أعيد بناء الفهرس"
    return engine


def refresh_engine(holder: EngineHolder) -> Engine:
    """The shared engine over the live index, reopened when another process changed it."""
    report, remove_bar = progress_bar("Indexing · الفهرسة")
    try:
        return holder.refresh(report)
    except RagError as error:
        show_error("The index could not be reopened · تعذر فتح الفهرس", error)
        return holder.engine
    finally:
        remove_bar()


def answer_queued(engine: Engine, top_k: int, live: bool = False) -> None:
    """Answer every queued question in order; each leaves the queue only once its turn is kept.
    ``live``: in the model's words, each drawn as it is written."""
    queue: list[str] = st.session_state.setdefault(QUESTION_QUEUE, [])
    while queue:
        history = st.session_state[HISTORY]
        turn = answer_live(engine, queue[0], top_k, history) if live else ask(engine, queue[0], top_k, history=history)
        if turn is not None:
            st.session_state[HISTORY].append(turn)
        queue.pop(0)


def draw_page() -> None:
    st.html(STYLE)
    st.html(HEADER)
    st.session_state.setdefault(HISTORY, [])
    holder = engine_holder(load_settings())
    engine = open_engine(holder)
    writable = admin_actions_allowed(holder.settings)
    apply_pending_changes(holder, writable)
    engine = refresh_engine(holder)
    if st.session_state.pop(REBUILD_REQUESTED, False):
        engine = rebuild_index(holder, engine) or engine
    top_k = render_sidebar(engine, writable)
    st.chat_input("Ask about the articles… · اسأل عن المقالات", key=CHAT_INPUT, on_submit=queue_typed_question)
    write = bool(engine.settings.llm_url) and st.session_state.get(WRITTEN_ANSWERS, True)
    if not write:
        answer_queued(engine, top_k)
    history: list[Turn] = st.session_state[HISTORY]
    if history or st.session_state.get(QUESTION_QUEUE):
        with st.sidebar:
            st.subheader("Examples · أمثلة")
            render_examples()
    else:
        st.caption("Try an example · جرّب مثالاً")
        render_examples()
    for turn in history:
        render_turn(turn)
    if write:  # drawn below the conversation as the model writes
        answer_queued(engine, top_k, live=True)


def main() -> None:
    """Draw the page; an unexpected error is logged with its traceback and shown as one line."""
    st.set_page_config(page_title=PAGE_TITLE, page_icon="📰", layout="centered")
    try:
        draw_page()
    except Exception:
        log.exception("The chat page failed")
        st.error("Something went wrong; the details are in the server log · حدث خطأ؛ التفاصيل في سجل الخادم")


if __name__ == "__main__":
    main()
