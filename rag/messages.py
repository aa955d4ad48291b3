"""Every sentence the engine says to a user, in Arabic and English."""

from __future__ import annotations

from rag.arabic import Language

MESSAGES: dict[str, dict[Language, str]] = {
    "empty_question": {
        "en": "Please type a question.",
        "ar": "من فضلك اكتب سؤالاً.",
    },
    "question_too_long": {
        "en": "The question is too long ({length} characters); please keep it under {limit}.",
        "ar": "السؤال طويل جداً ({length} حرفاً)؛ يرجى ألا يتجاوز {limit} حرف.",
    },
    "control_characters": {
        "en": "The question contains control characters; please type it as plain text.",
        "ar": "يحتوي السؤال على رموز تحكم؛ يرجى كتابته كنص عادي.",
    },
    "markup": {
        "en": "The question contains markup (HTML or a Markdown link/image); please ask in plain text.",
        "ar": "يحتوي السؤال على وسوم (HTML أو رابط/صورة Markdown)؛ يرجى طرح السؤال كنص عادي.",
    },
    "abstain": {
        "en": "The articles don't answer this question.",
        "ar": "لا تتضمن المقالات إجابة عن هذا السؤال.",
    },
    "answer_lead": {
        "en": "According to the articles:",
        "ar": "بحسب المقالات:",
    },
    "answer_lead_quoted": {
        "en": "According to the articles (quoted in their own language):",
        "ar": "بحسب المقالات (مقتبسة بلغتها الأصلية):",
    },
}


def message(key: str, language: Language, **values: object) -> str:
    return MESSAGES[key][language].format(**values)


def bilingual(key: str, **values: object) -> str:
    """Both languages, English first, for when the user's language is unknown."""
    return f"{message(key, 'en', **values)}\n{message(key, 'ar', **values)}"
