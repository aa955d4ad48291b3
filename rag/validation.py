"""Check a question before any work is done on it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.arabic import Language, detect_language
from rag.errors import QuestionError
from rag.messages import bilingual, message

_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}


@dataclass(frozen=True)
class Question:
    """A question that passed the checks: whitespace collapsed, its language detected once."""

    text: str
    language: Language


def check_question(question: str, max_chars: int) -> Question:
    """Return the checked question, or raise ``QuestionError``."""
    text = " ".join((question or "").split())
    if not text:
        raise QuestionError("empty_question", bilingual("empty_question"), None)
    language = detect_language(text)
    if len(text) > max_chars:
        raise QuestionError(
            "question_too_long",
            message("question_too_long", language, length=len(text), limit=max_chars),
            language,
        )
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in question):
        raise QuestionError("control_characters", message("control_characters", language), language)
    if _HTML_TAG.search(text) or _MARKDOWN_LINK.search(text):
        raise QuestionError("markup", message("markup", language), language)
    return Question(text, language)
