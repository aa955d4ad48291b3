"""The one home of the engine's text rules: normalization, letters, language, sentences, clitics, stems.

Every module that compares, splits or stems text uses these, so indexing and questions always agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Language = Literal["ar", "en"]

_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
#: Letter forms unified for matching, and Arabic-Indic digits as Western ones (no output is itself a key,
#: so replacing one after another equals one simultaneous translation).
_LETTER_FORMS = (
    ("أ", "ا"),
    ("إ", "ا"),
    ("آ", "ا"),
    ("ٱ", "ا"),
    ("ى", "ي"),
    ("ة", "ه"),
    ("ؤ", "و"),
    ("ئ", "ي"),
    *((chr(0x0660 + digit), str(digit)) for digit in range(10)),
)
#: Whitespace that collapsing would change: any but a single inner space.
_UNCOLLAPSED_SPACE = re.compile(r"[^\S ]|  |^ | $")
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")
# A sentence ends at . ! ? ؟ or a line break; "…", a full stop after a digit and a name's one-letter
# initial («راجيندرا ك. باتشوري», "John C. Messenger", "U.S.") do not end one. (Ending sentences after a
# number too, "في عام 2014. وقال", split 63 XQuAD passages more and lowered the tuning half's answers
# holding the gold answer: English 78.6% → 77.8%, Arabic 80.6% → 80.4%.)
_SENTENCE_END = re.compile(r"(?<=[.!?؟])(?<!\d\.)(?<![\s.][^\W\d_]\.)(?<!^[^\W\d_]\.)\s+|\n+")
#: Latin letters' names as Arabic spells a name's middle initial («جون سي. ميسنجر», «جون إف. كينيدي»,
#: «جورج دبليو. بوش»); names that are also common words (أي، إن، أو، في، كي، ال، ام) are left out.
SPELLED_INITIALS = frozenset(
    ("إيه", "ايه", "بي", "سي", "دي", "إي", "إف", "اف", "جي", "إتش", "اتش", "آي", "جيه", "كيه", "إل", "إم", "كيو")
    + ("آر", "إس", "اس", "تي", "يو", "دبليو", "إكس", "اكس", "واي", "زد")
)
#: The two words before a full stop: a spelled initial after a name, not after another letter's name
#: (an acronym such as «بي بي سي.» ends its sentence).
_WORDS_BEFORE_STOP = re.compile(r"(\S+)\s+(\S+)\.$")
#: Marks that end a sentence (a line ending in one is a statement, not a headline).
SENTENCE_FINAL = (".", "؟", "?", "!", ":", "…")
#: Closing quotes and brackets that may follow a sentence's final mark.
_CLOSERS = "»\"”'’)]"

#: Leading clitics, longest first; a stripped form keeps at least two letters.
CLITIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف", "ك")
_CLITICS_BY_FIRST_LETTER = {
    letter: tuple(p for p in CLITIC_PREFIXES if p[0] == letter) for letter in {p[0] for p in CLITIC_PREFIXES}
}
#: Endings taken off a question word (normalized): attached pronouns, dual and plural endings.
_WORD_ENDING = re.compile(r"(هما|هم|ها|ه|ات|ون|ين|ان)$")
#: Feminine plural and feminine endings (normalized), taken off a dictionary lemma so that it matches
#: every form of its word by prefix: «اجتماعات» → «اجتماع». (Stripping ون from lemmas turned كانون into كان.)
_LEMMA_ENDING = re.compile(r"(ات|ه)$")
_DEFINITE_ARTICLE = re.compile(r"^(ال|لل)(?=..)")
#: Stems shorter than this are particles, not terms.
MIN_STEM = 3
#: A place name keeps at least this many letters before its final «ا» to have a relative adjective
#: (روسي، امريكي), so that «عليا» (higher) and «كندا» are left alone.
MIN_NISBA_STEM = 4


#: Texts whose normalized form is kept (passages and sentences of the last few questions' hits).
NORMALIZED_CACHE = 4096


@lru_cache(maxsize=NORMALIZED_CACHE)
def normalize(text: str) -> str:
    """Arabic normalization used for matching: no diacritics or tatweel, unified letter forms,
    Western digits, lowercase, collapsed whitespace. Remembered for the last ``NORMALIZED_CACHE`` texts:
    every question matches its terms against the same passages and sentences again, and normalizing
    them took about a third of a warm ``ask`` beyond the question's embedding."""
    if not unicodedata.is_normalized("NFKC", text):  # a quick check; most text already is
        text = unicodedata.normalize("NFKC", text)
    text = strip_diacritics(text).replace(_TATWEEL, "")
    for letter, unified in _LETTER_FORMS:  # str.translate looks up every character: 10x slower here
        if letter in text:
            text = text.replace(letter, unified)
    text = text.lower()
    return " ".join(text.split()) if _UNCOLLAPSED_SPACE.search(text) else text


def strip_diacritics(text: str) -> str:
    """``text`` without Arabic diacritics (short vowels, shadda, sukun, Quranic marks)."""
    return _DIACRITICS.sub("", text)


def detect_language(text: str) -> Language:
    """``ar`` when Arabic letters outnumber Latin ones, else ``en``."""
    arabic = len(ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "ar" if arabic > latin else "en"


def has_letters(text: str) -> bool:
    """Whether ``text`` holds at least one letter of any script (not only marks, digits or symbols)."""
    return any(map(str.isalpha, text))  # isalpha: the Unicode letter categories (L*)


def words(text: str) -> list[str]:
    """Normalized word tokens."""
    return _WORD.findall(normalize(text))


def ends_sentence(line: str) -> bool:
    """Whether a line ends with a sentence-final mark, possibly followed by closing quotes or brackets.
    A quoted headline (``روسيا تطلب "موقفاً جاداً"``) does not: its quote closes a phrase, not a sentence."""
    return line.rstrip().rstrip(_CLOSERS).endswith(SENTENCE_FINAL)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``, stripped of outer space."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_at_spelled_initial(text, match.start()):
            continue
        _append_stripped(text, position, match.start(), spans)
        position = match.end()
    _append_stripped(text, position, len(text), spans)
    return spans


def _ends_at_spelled_initial(text: str, end: int) -> bool:
    """Whether the full stop just before ``end`` follows a name's spelled initial (``SPELLED_INITIALS``)."""
    words = _WORDS_BEFORE_STOP.search(text, max(0, end - 40), end)
    return (
        words is not None
        and words.group(2) in SPELLED_INITIALS
        and words.group(1) not in SPELLED_INITIALS
        and ARABIC_LETTER.search(words.group(1)) is not None
    )


def _append_stripped(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def word_forms(word: str) -> set[str]:
    """A normalized word and the words it may be with its leading clitics taken off."""
    forms = {word}
    for prefix in _CLITICS_BY_FIRST_LETTER.get(word[:1], ()):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            forms.add(word[len(prefix) :])
    return forms


def word_stem(word: str) -> str:
    """A normalized word without its leading clitics and one pronoun, dual or plural ending, kept at
    three letters or more (تصريحاته → تصريحات, بالصواريخ → صواريخ)."""
    bare = min(word_forms(word), key=len)
    stem = _WORD_ENDING.sub("", bare)
    return stem if len(stem) >= MIN_STEM else bare


def without_article(word: str) -> str:
    """A normalized word without a leading definite article (ال، لل), when two letters remain."""
    return _DEFINITE_ARTICLE.sub("", word)


def lemma_stem(lemma: str) -> str:
    """A normalized dictionary lemma without a feminine or plural ending, when three letters remain."""
    stem = _LEMMA_ENDING.sub("", lemma)
    return stem if len(stem) >= MIN_STEM else lemma


def nisba_forms(term: str) -> tuple[str, ...]:
    """The terms that match, by prefix, a normalized place name ending in «ا» and its relative adjective
    (nisba), which the articles use as often («المسؤول الروسي», «الخارجية الأمريكية»): «روسيا» →
    «روسي» (a prefix of both), «امريكا» → «امريكا», «امريكي». Other terms are their own nisba's
    prefix already («ايران» in «الايراني») and come back as they are."""
    if not term.endswith("ا") or len(term) - 1 < MIN_NISBA_STEM:
        return (term,)
    if term.endswith("يا"):
        return (term[:-1],)
    return (term, term[:-1] + "ي")
