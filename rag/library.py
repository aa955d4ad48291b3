"""The articles folder as a library: add uploaded files to it, take articles out of it into a trash.

The folder stays the single source of truth: an upload is written into it as a UTF-8 ``.txt`` file
whose name (without extension) is the article id; ``.txt`` files are copied as they are, ``.md``,
``.html`` and ``.pdf`` are converted to text first (markdown-it-py, BeautifulSoup, pypdf). A removed
article is moved into ``<store>/trash/``, so nothing is lost by a slip. Updating the index afterwards
is the engine's job (``Engine.add_articles``, ``Engine.remove_articles``), under the store's lock.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rag.arabic import Language
from rag.articles import article_files, clean_article
from rag.atomic_files import write_atomically
from rag.messages import message

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
TRASH = "trash"
#: An article id: letters (any script), digits, ``_``, ``-`` and ``.``, not starting with a dot.
_ARTICLE_ID = re.compile(r"^\w[\w.\-]{0,119}$")
_NOT_ID = re.compile(r"[^\w\-]+")
#: Elements whose text is not article text.
_NON_TEXT_ELEMENTS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form")
#: Elements that start a paragraph of their own; inline ones (``b``, ``a``, ``span``) run on.
_BLOCK_ELEMENTS = (
    *("p", "div", "section", "article", "main", "blockquote", "pre", "li", "ul", "ol", "dl", "dt", "dd"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th", "figcaption", "title"),
)
_BLOCK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class Upload:
    """A file to add: its name as the user gave it (only the last path component counts) and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: Path) -> Upload:
        return cls(path.name, path.read_bytes())

    @classmethod
    def pasted(cls, title: str, text: str) -> Upload:
        """A pasted text: its title is its first line and, with every run of other characters than
        letters, digits and ``-`` made one ``_``, its article id."""
        article_id = _NOT_ID.sub("_", title.strip()).strip("_")[:100]
        return cls(f"{article_id}.txt", f"{title.strip()}\n\n{text.strip()}\n".encode())

    @property
    def article_id(self) -> str:
        return Path(self.name.replace("\\", "/")).stem

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass(frozen=True)
class SkippedUpload:
    """An upload or article id that was not added or removed, and why: ``code`` names a message of
    ``rag.messages`` (read it with ``message``), ``detail`` fills it in."""

    name: str
    code: str
    detail: str = ""

    def message(self, language: Language = "en") -> str:
        return message(self.code, language, name=self.name, detail=self.detail)


@dataclass(frozen=True)
class WrittenArticle:
    doc_id: str
    path: Path
    #: Whether an article with this id was there before (and is now in the trash).
    replaced: bool


class UploadRefused(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def add_uploads(
    docs_dir: Path, trash_dir: Path, uploads: list[Upload], replace: bool, max_bytes: int
) -> tuple[list[WrittenArticle], list[SkippedUpload]]:
    """Write each upload into ``docs_dir`` as ``<id>.txt``; an id already there is refused unless
    ``replace`` (the old file then goes to the trash). Returns what was written and what was skipped."""
    written: list[WrittenArticle] = []
    skipped: list[SkippedUpload] = []
    for upload in uploads:
        try:
            data = article_bytes(upload, max_bytes)
            target = docs_dir / f"{upload.article_id}.txt"
            if any(w.doc_id == upload.article_id for w in written):
                raise UploadRefused("upload_duplicate")
            existed = target.exists()
            if existed and not replace:
                raise UploadRefused("upload_id_taken")
        except UploadRefused as refused:
            skipped.append(SkippedUpload(upload.name, refused.code, refused.detail))
            continue
        if existed:
            move_to_trash(target, trash_dir)
        write_atomically(target, data)
        written.append(WrittenArticle(upload.article_id, target, existed))
    return written, skipped


def article_bytes(upload: Upload, max_bytes: int) -> bytes:
    """The UTF-8 text to save for ``upload``; raises ``UploadRefused`` saying why it cannot be added."""
    if upload.suffix not in SUPPORTED_SUFFIXES:
        raise UploadRefused("upload_type", ", ".join(SUPPORTED_SUFFIXES))
    if not _ARTICLE_ID.match(upload.article_id):
        raise UploadRefused("upload_bad_id")
    if len(upload.data) > max_bytes:
        raise UploadRefused("upload_too_large", f"{len(upload.data) / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB")
    text = upload_text(upload)
    body, _, _ = clean_article(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not body.strip():
        raise UploadRefused("upload_empty")
    return upload.data if upload.suffix == ".txt" else text.encode("utf-8")


def upload_text(upload: Upload) -> str:
    """The text of an upload, converted from Markdown, HTML or PDF."""
    if upload.suffix == ".pdf":
        return pdf_text(upload.data)
    try:
        text = upload.data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as error:
        raise UploadRefused("upload_not_utf8") from error
    if upload.suffix in {".md", ".markdown"}:
        from markdown_it import MarkdownIt

        return html_text(MarkdownIt().render(text))
    if upload.suffix in {".html", ".htm"}:
        return html_text(text)
    return text


def html_text(markup: str) -> str:
    """The visible text of an HTML page: one line per block, blank lines between paragraphs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for element in soup(_NON_TEXT_ELEMENTS):
        element.decompose()
    for element in soup(_BLOCK_ELEMENTS):
        element.insert_before("\n\n")
        element.insert_after("\n\n")
    for element in soup("br"):
        element.replace_with("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().split("\n")]
    return _paragraphs(lines)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise UploadRefused("upload_bad_pdf", str(error)[:200]) from error
    text = "\n\n".join(pages)
    if not text.strip():
        raise UploadRefused("upload_pdf_no_text")
    return _paragraphs([" ".join(line.split()) for line in text.split("\n")])


def _paragraphs(lines: list[str]) -> str:
    """Lines joined with blank lines collapsed to one."""
    return _BLOCK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


def trash_articles(
    docs_dir: Path, trash_dir: Path, doc_ids: list[str]
) -> tuple[list[tuple[str, Path]], list[SkippedUpload]]:
    """Move each article ``<id>.txt`` into the trash; returns ``(id, trash path)`` pairs and the ids
    skipped (unknown, or the last article: the engine needs one)."""
    present = {path.stem: path for path in article_files(docs_dir).files}
    removed: list[tuple[str, Path]] = []
    skipped: list[SkippedUpload] = []
    for doc_id in dict.fromkeys(doc_ids):
        if doc_id not in present:
            skipped.append(SkippedUpload(doc_id, "article_not_found"))
        elif len(present) == 1:
            skipped.append(SkippedUpload(doc_id, "last_article"))
        else:
            removed.append((doc_id, move_to_trash(present.pop(doc_id), trash_dir)))
    return removed, skipped


def move_to_trash(path: Path, trash_dir: Path) -> Path:
    """Move ``path`` to ``trash_dir/<stem>.<UTC time>.txt`` (never over another file)."""
    trash_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = trash_dir / f"{path.stem}.{stamp}{path.suffix}"
    counter = 1
    while target.exists():
        counter += 1
        target = trash_dir / f"{path.stem}.{stamp}-{counter}{path.suffix}"
    shutil.move(path, target)
    return target
