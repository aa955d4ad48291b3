"""Check a question before any work is done on it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.arabic import Language, detect_language
from rag.errors import QuestionError
from rag.messages import message, one_line

_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
#: Control characters (Unicode category Cc: U+0000-001F, U+007F-009F) other than line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Lone surrogates: what undecodable bytes (argv, a file) become in Python.
_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD_CATEGORIES = {"Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No"}


@dataclass(frozen=True)
class Question:
    """A question that passed the checks: whitespace collapsed, its language detected once."""

    text: str
    language: Language


def check_question(question: str, max_chars: int) -> Question:
    """Return the checked question, or raise ``QuestionError``."""
    text = " ".join((question or "").split())
    if not text:
        raise QuestionError("empty_question", one_line("empty_question", None), None)
    readable = _SURROGATE.sub("", text)
    language = detect_language(readable)
    if readable != text:
        raise QuestionError("invalid_characters", message("invalid_characters", language), language)
    if len(text) > max_chars:
        raise QuestionError(
            "question_too_long",
            message("question_too_long", language, length=len(text), limit=max_chars),
            language,
        )
    if _CONTROL.search(question):
        raise QuestionError("control_characters", message("control_characters", language), language)
    if _HTML_TAG.search(text) or _MARKDOWN_LINK.search(text):
        raise QuestionError("markup", message("markup", language), language)
    if not has_words(text):
        raise QuestionError("no_words", one_line("no_words", None), None)  # no words: no language
    return Question(text, language)


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit: invisible marks, emoji, symbols, diacritics and
    modifier letters such as the tatweel (ـ) alone make no word."""
    return any(unicodedata.category(c) in _WORD_CATEGORIES for c in text)
