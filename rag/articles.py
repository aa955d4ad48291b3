"""Load article files and clean them into the text the engine indexes.

An article is a UTF-8 ``.txt`` file directly in the articles folder, at most ``max_bytes`` long; its
id is the file name without ``.txt``. Everything else in the folder (other extensions, subfolders,
hidden files, links that leave the folder or lead nowhere, pipes, files too large) is skipped with a
reason. Cleaning drops
what is not article text (Latin-script photo captions, photo credits, "اقرأ أيضاً", reading-time,
subscription and copyright lines) and keeps the title and the outlet where the text names them.
All citation offsets refer to ``Article.text``, the cleaned text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rag.arabic import ARABIC_LETTER, detect_language, ends_sentence
from rag.config import Settings
from rag.errors import ArticlesError
from rag.validation import has_words

log = logging.getLogger(__name__)

_OUTLETS = (
    "الجزيرة",
    "رويترز",
    "نورث برس",
    "أوكرانيا برس",
    "فرانس برس",
    "الفرنسية",
    "أسوشيتد برس",
    "الأناضول",
    "سبوتنيك",
    "نوفوستي",
    "بي بي سي",
    "سي إن إن",
    "العربية",
    "الشرق",
    "سكاي نيوز",
    "وكالة الأنباء",
)
_OUTLET_ALTERNATION = "|".join(re.escape(o) for o in sorted(_OUTLETS, key=len, reverse=True))
_COPYRIGHT = re.compile(r"حقوق (?:النشر|الطبع|الملكية)|جميع الحقوق محفوظة|©|copyright", re.IGNORECASE)
_COPYRIGHT_OUTLET = re.compile(r"(?:لوكالة|لموقع|لصحيفة|لقناة|ل)\s*[\"“«]?([^\"”»\d]+?)[\"”»]?\s*(?:\d|$)")
_SOURCE_LINE = re.compile(r"^\s*المصدر\s*[:：]\s*(.+)$")
_CREDIT_LINE = re.compile(rf"^\s*(?:وكالات\s*[-–—+]\s*)?({_OUTLET_ALTERNATION})(?:\s*[-–—+]\s*وكالات)?\s*$")
_DATELINE = re.compile(rf"^\s*[\w\u0600-\u06ff]+(?:\s[\w\u0600-\u06ff]+)?\s*[-–—]\s*({_OUTLET_ALTERNATION})\s*$")
_READ_ALSO = re.compile(
    r"^\s*(?:اقرأ|إقرأ|اقرا)\s+(?:أيضا|أيضاً|ايضا|ايضاً)\s*[:：]?\s*$|^\s*read (?:also|more)\b",
    re.I,
)
_READING_TIME = re.compile(r"(?:دقائق|دقيقة|وقت)\s+القراءة|reading icon|\bmin(?:ute)?s? read\b", re.IGNORECASE)
_SUBSCRIBE = re.compile(r"^\s*(?:اشترك|للاشتراك|تابعونا|تابعوا|subscribe)\b|t\.me/|https?://", re.IGNORECASE)
_PHOTO_CREDIT = re.compile(
    rf"(?:getty images|afp|reuters|\bap\b|epa)\s*$|\((?:{_OUTLET_ALTERNATION}|غيتي|أسوشيتد برس|إي بي إيه)\)\s*$",
    re.IGNORECASE,
)
#: C0 controls other than tab and line breaks, and DEL: never article text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_TITLE_CHARS = 150
_MAX_BOILERPLATE_CHARS = 220


@dataclass(frozen=True)
class Article:
    """One cleaned article: ``text`` is what is chunked, indexed and cited."""

    doc_id: str
    title: str
    source: str | None
    text: str
    checksum: str
    path: Path


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass(frozen=True)
class LoadedFiles:
    files: list[Path]
    skipped: list[SkippedFile]


@dataclass(frozen=True)
class LoadedArticles:
    articles: list[Article]
    skipped: list[SkippedFile]


def article_files(docs_dir: Path, max_bytes: int = Settings.max_article_bytes) -> LoadedFiles:
    """The article files of ``docs_dir`` in a stable order, and every other entry with the reason
    it is not read."""
    if not docs_dir.is_dir():
        raise ArticlesError(f"Articles folder not found: {docs_dir}")
    root = docs_dir.resolve()
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for path in sorted(docs_dir.iterdir()):
        reason = why_not_an_article(path, root, max_bytes)
        if reason:
            skipped.append(SkippedFile(path, reason))
        else:
            files.append(path)
    return LoadedFiles(files, skipped)


def why_not_an_article(path: Path, root: Path, max_bytes: int) -> str | None:
    """Why the folder entry ``path`` is not read as an article (``None`` when it is one)."""
    if path.is_symlink():
        if not path.exists():
            return "broken link"
        if not path.resolve().is_relative_to(root):
            return "link to a file outside the articles folder"
    if path.name.startswith("."):
        return "hidden file"
    if path.is_dir():
        return "a folder (subfolders are not read)"
    if path.suffix != ".txt":
        if path.suffix.lower() == ".txt":
            return f"extension {path.suffix} (only lower-case .txt files are read)"
        return "not a .txt file"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size > max_bytes:
        return too_large(size, max_bytes)
    return None


def too_large(size: int, max_bytes: int) -> str:
    return f"too large ({size / 1000:,.0f} KB; the limit is {max_bytes / 1000:,.0f} KB, RAG_MAX_ARTICLE_BYTES)"


def load_articles(
    docs_dir: Path, max_bytes: int = Settings.max_article_bytes, known: Mapping[str, Article] | None = None
) -> LoadedArticles:
    """Load and clean every article; other entries and unreadable files are skipped with a warning. An
    article of ``known`` whose file is unchanged (same checksum) is taken as it is, not cleaned again."""
    found = article_files(docs_dir, max_bytes)
    articles: list[Article] = []
    skipped = list(found.skipped)
    for path in found.files:
        try:
            articles.append(load_article(path, max_bytes, known.get(path.stem) if known else None))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            skipped.append(SkippedFile(path, _describe(error)))
    for entry in skipped:
        log.warning("Skipping %s: %s", entry.path, entry.reason)
    if not articles:
        raise ArticlesError(f"No readable article (.txt, UTF-8) in {docs_dir}")
    return LoadedArticles(articles, sorted(skipped, key=lambda entry: entry.path.name))


def _describe(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not valid UTF-8"
    return str(error)


def load_article(path: Path, max_bytes: int = Settings.max_article_bytes, known: Article | None = None) -> Article:
    with open(path, "rb") as handle:
        raw = handle.read(max_bytes + 1)  # a file that grew since it was listed is still bounded
    if len(raw) > max_bytes:
        raise ValueError(too_large(path.stat().st_size, max_bytes))
    if known is not None and known.checksum == hashlib.sha256(raw).hexdigest():
        return known
    text = raw.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    body, title, source = clean_article(_CONTROLS.sub("", text))
    if not body.strip():
        raise ValueError("empty after cleaning")
    if not has_words(body):
        raise ValueError("no words (only symbols or invisible marks)")
    return Article(
        doc_id=path.stem,
        title=title,
        source=source,
        text=body,
        checksum=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


def clean_article(text: str) -> tuple[str, str, str | None]:
    """Return ``(body, title, source)`` for the raw text of one article."""
    lines = [line.strip() for line in text.split("\n")]
    arabic_article = detect_language(text) == "ar"
    source = find_source(lines)
    kept: list[str] = []
    for line in lines:
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        if kept and line == _last_text_line(kept):
            continue  # a caption repeated verbatim
        if _is_boilerplate(line, arabic_article):
            continue
        kept.append(line)
    body = "\n".join(kept).strip()
    return body, make_title(body), source


def _last_text_line(kept: list[str]) -> str:
    return next((line for line in reversed(kept) if line), "")


def _is_boilerplate(line: str, arabic_article: bool) -> bool:
    """Boilerplate lines are short; a paragraph of article text is never dropped whole."""
    if len(line) > _MAX_BOILERPLATE_CHARS:
        return False
    if arabic_article and not ARABIC_LETTER.search(line):
        return True  # Latin-script photo caption or credit in an Arabic article
    return bool(
        _PHOTO_CREDIT.search(line)
        or _READ_ALSO.search(line)
        or _READING_TIME.search(line)
        or _SUBSCRIBE.search(line)
        or _COPYRIGHT.search(line)
        or _SOURCE_LINE.match(line)
        or _CREDIT_LINE.match(line)
        or _DATELINE.match(line)
    )


def find_source(lines: list[str]) -> str | None:
    """The outlet the article names: copyright holder, then "المصدر:", then dateline or credit."""
    lines = [line for line in lines if len(line) <= _MAX_BOILERPLATE_CHARS]
    for line in lines:
        if _COPYRIGHT.search(line):
            match = _COPYRIGHT_OUTLET.search(line)
            if match and match.group(1).strip():
                return match.group(1).strip()
    for line in lines:
        match = _SOURCE_LINE.match(line)
        if match:
            first = re.split(r"\s*[+،,/]\s*", match.group(1).strip())[0]
            return first or None
    for line in lines:
        match = _DATELINE.match(line) or _CREDIT_LINE.match(line)
        if match:
            return match.group(1)
    return None


def make_title(body: str) -> str:
    """The first line when it reads as a headline, else the opening words of the first line."""
    first = body.split("\n", 1)[0].strip()
    if len(first) <= _MAX_TITLE_CHARS and not ends_sentence(first):
        return first
    words = first.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
