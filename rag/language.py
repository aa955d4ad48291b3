"""Arabic-aware text primitives: normalization, language detection, sentences and words."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["ar", "en"]

_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_LETTER_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
    }
)
_SPACES = re.compile(r"\s+")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")
# A sentence ends at . ! ? ؟ or a line break; "…" and decimal points do not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?؟])(?<!\d\.)\s+|\n+")


def normalize(text: str) -> str:
    """Arabic normalization used for matching: no diacritics or tatweel, unified letter forms,
    Western digits, lowercase, collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    text = text.translate(_LETTER_MAP).lower()
    return _SPACES.sub(" ", text).strip()


def detect_language(text: str) -> Language:
    """``ar`` when Arabic letters outnumber Latin ones, else ``en``."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "ar" if arabic > latin else "en"


def words(text: str) -> list[str]:
    """Normalized word tokens."""
    return _WORD.findall(normalize(text))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``, stripped of outer space."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        _append_stripped(text, position, match.start(), spans)
        position = match.end()
    _append_stripped(text, position, len(text), spans)
    return spans


def _append_stripped(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
