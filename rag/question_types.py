"""What a question asks for (a time, a number, a person, a place, a reason) and whether a sentence
holds that kind of thing, in English, Modern Standard Arabic and common dialect forms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from rag.arabic import normalize

QuestionType = Literal["when", "how_many", "who", "where", "why", "other"]

#: Checked in this order; the first that matches names the type ("how many years" is a number).
_ENGLISH_TYPES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (
        "how_many",
        re.compile(r"\bhow (many|much|long|far|old|large|big|tall|high)\b|\bwhat (percentage|number|amount)\b"),
    ),
    ("when", re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|century|decade|time)\b")),
    ("who", re.compile(r"\bwho(m|se)?\b")),
    ("where", re.compile(r"\bwhere\b|\b(what|which) (city|country|place|state|region)\b")),
    ("why", re.compile(r"\bwhy\b|\bfor what reason\b")),
)
#: Normalized Arabic (أ/إ → ا, ة → ه, ى → ي); MSA first, then dialect forms (امتى، قديش، مين، وين، ليش...).
_ARABIC_TYPES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (
        "how_many",
        re.compile(r"(?<!\w)(كم|بكم|قديش|اديش|قداش|قدي|(ما|كم) (ال)?(عدد|مقدار|نسبه|مساحه|طول|مده|عمر|حجم|سعر))(?!\w)"),
    ),
    (
        "when",
        re.compile(r"(?<!\w)(متي|امتي|ايمتي|وقتاش|امتا|(في )?(اي|ايه) (عام|سنه|يوم|شهر|قرن|تاريخ|وقت))(?!\w)"),
    ),
    ("who", re.compile(r"(?<!\w)(من هو|من هي|من هم|مين|منو|شكون|من)(?!\w)")),
    ("where", re.compile(r"(?<!\w)(اين|وين|فين|وينو|(في )?(اي|ايه) (مدينه|بلد|دوله|مكان|منطقه|ولايه))(?!\w)")),
    ("why", re.compile(r"(?<!\w)(لماذا|ليش|ليه|علاش|لم|لاي سبب|ما سبب|ما هو سبب)(?!\w)")),
)
#: The Arabic «من» also means "from"; it asks "who" only as one of the question's first two words.
_WHO_POSITION = 2


def _word_set(words: str) -> frozenset[str]:
    """The words, normalized as the text they are looked for in («الرئيس» is «الريس» there)."""
    return frozenset(normalize(word) for word in words.split())


_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")
_DIGITS = re.compile(r"\d")
_MONTHS = _word_set(
    "january february march april may june july august september october november december "
    "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين"
)
_TIME_WORDS = _word_set("عام سنه القرن قرن العام السنه يوم اليوم شهر الشهر منذ خلال")
_NUMBER_WORDS = _word_set(
    "واحد اثنان اثنين ثلاث اربع خمس ست سبع ثمان تسع عشر عشره عشرون عشرين مئه مائه مئات الف الاف "
    "مليون ملايين مليار نصف ربع ثلث ضعف بالمئه بالمائه"
)
_CAUSE_WORDS = _word_set("لان لانه لانها بسبب نتيجه بهدف اجل لكي كي بفضل اثر سبب ادي")
_PLACE_WORDS = _word_set(
    "مدينه المدينه ولايه الولايه منطقه المنطقه دوله الدوله بلده عاصمه العاصمه شمال جنوب شرق غرب "
    "نهر جزيره قريه مقاطعه اقليم"
)
_PERSON_WORDS = _word_set(
    "الرئيس الملك السيد الدكتور المتحدث الوزير رئيس وزير مدير قائد الكاتب العالم المهندس اللاعب المدرب "
    "الامير البابا الامبراطور بن ابن"
)


#: Direction marks (left-to-right, right-to-left, embeddings, isolates) that pasted Arabic text often
#: carries before its first word, where they would hide the question word.
_DIRECTION_MARKS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def question_type(question: str) -> QuestionType:
    """The kind of answer ``question`` asks for ("other" for what/which/how questions about anything)."""
    text = normalize(_DIRECTION_MARKS.sub("", question))
    for kind, pattern in _ENGLISH_TYPES:
        if pattern.search(text):
            return kind
    opening = " ".join(text.split()[:_WHO_POSITION])
    for kind, pattern in _ARABIC_TYPES:
        if kind == "who":
            if pattern.match(opening) or re.search(r"(?<!\w)(مين|منو|شكون)(?!\w)", text):
                return kind
        elif pattern.search(text):
            return kind
    return "other"


def sentence_kinds(sentence: str) -> Mapping[str, bool]:
    """Which kinds of answers a sentence holds: a date, a number, a reason, a place, a person."""
    text = normalize(sentence)
    words = set(re.findall(r"\w+", text))
    kinds = {
        "date": bool(_YEAR.search(text) or words & _MONTHS or words & _TIME_WORDS),
        "number": bool(_DIGITS.search(text) or words & _NUMBER_WORDS),
        "cause": bool(words & _CAUSE_WORDS),
        "place": bool(words & _PLACE_WORDS),
        "person": bool(words & _PERSON_WORDS),
    }
    return MappingProxyType(kinds)


#: The sentence kind each question type looks for.
WANTED_KIND: dict[QuestionType, str] = {
    "when": "date",
    "how_many": "number",
    "why": "cause",
    "where": "place",
    "who": "person",
}


def answers_kind(question_kind: QuestionType, kinds: Mapping[str, bool]) -> bool:
    """Whether a sentence holding ``kinds`` (``sentence_kinds``) holds the kind of thing the question
    asks for (False for "other")."""
    wanted = WANTED_KIND.get(question_kind)
    return wanted is not None and kinds[wanted]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> frozenset[str]:
    """The numbers written in digits in ``text`` (Arabic-Indic digits read as Western ones)."""
    return frozenset(_NUMBER.findall(normalize(text)))
