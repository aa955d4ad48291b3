"""Check a question before any work is done on it."""

from __future__ import annotations

import re
import unicodedata

from rag.language import Language, detect_language
from rag.messages import bilingual, message

_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}


class QuestionError(ValueError):
    """A question the engine will not answer; ``message`` is in the user's language."""

    def __init__(self, code: str, message_text: str, language: Language | None):
        super().__init__(message_text)
        self.code = code
        self.message = message_text
        self.language = language


def check_question(question: str, max_chars: int) -> str:
    """Return the question with whitespace collapsed, or raise ``QuestionError``."""
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
    return text
