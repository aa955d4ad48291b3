"""Names across scripts: English proper nouns and acronyms matched to their Arabic transliterations.

Neither the dictionary nor the 4-bit model ties "Pittsburgh" to «بيتسبرغ» reliably, but both
spell nearly the same consonants. Each word on both sides is reduced to a consonant skeleton:
letters that transliterate into each other share a class (b/p/f/v and ب/ف; t/d/th and ت/ط/د/ض/ث/ذ;
k/c/q/g/j and ك/ق/غ/خ/ج; s/z/sh and س/ص/ز/ش...), vowels and the Arabic long-vowel letters drop out,
and a repeated class counts once. "Pittsburgh" → PTSPRK, «بيتسبرغ» → PTSPRK. Two skeletons of
four classes or more also match when one class was dropped on either side (a vowel written as a
consonant, an English silent letter), so «برونكو» (PRNK) matches "Broncos" (PRNKS).

``NameIndex`` is built from the corpus's words when the engine opens; for an English question it
returns, per name, the corpus's Arabic words that match it. Those words are ordinary term groups
for ``rag.term_matching`` (weighted by rarity), so names count in answer scoring and abstention,
and they give English questions a lexical query over the Arabic passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from rag.arabic import word_forms
from rag.lexicon import english_stop_words

#: A skeleton shorter than this names too many words to mean anything.
MIN_SKELETON = 3
#: Skeletons at least this long also match with one class dropped on either side.
MIN_TOLERANT_SKELETON = 4
#: A name that matches more distinct corpus words than this is a common pattern, not a name.
MAX_MATCHED_WORDS = 40

_ENGLISH_DIGRAPHS = (("sh", "S"), ("ch", "S"), ("th", "T"), ("ph", "P"), ("gh", "K"), ("ck", "K"), ("kh", "K"))
_ENGLISH_LETTERS = {
    **dict.fromkeys("bpfv", "P"),
    **dict.fromkeys("td", "T"),
    **dict.fromkeys("kcqgj", "K"),
    **dict.fromkeys("sz", "S"),
    "x": "KS",
    "m": "M",
    "n": "N",
    "l": "L",
    "r": "R",
    "h": "H",
}
#: Arabic letters after ``rag.language.normalize`` (so ة is ه, أ/إ/آ are ا, ى is ي).
_ARABIC_LETTERS = {
    **dict.fromkeys("بفپڤ", "P"),
    **dict.fromkeys("تطدضثذظ", "T"),
    **dict.fromkeys("كقغخجگ", "K"),
    **dict.fromkeys("سصزش", "S"),
    "م": "M",
    "ن": "N",
    "ل": "L",
    "ر": "R",
    "ه": "H",
    "ح": "H",
}
_ENGLISH_VOWELS = frozenset("aeiouwy")
#: Letters that begin an Arabic word where an English one begins with a vowel (normalized).
_ARABIC_VOWELS = frozenset("اعوي")
_SOFT_C = re.compile(r"c(?=[eiy])")
#: An "h" after a vowel is silent ("John" «جون»); digraphs (sh, th...) are read before this.
_SILENT_H = re.compile(r"(?<=[aeiou])h")
_QUESTION_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")


def english_skeleton(word: str) -> str:
    """The consonant classes of an English word, repeats collapsed: "Broncos" → PRNKS."""
    text = _SOFT_C.sub("s", word.lower())
    text = text[:1] + _SILENT_H.sub("", text[1:])
    for digraph, letter_class in _ENGLISH_DIGRAPHS:
        text = text.replace(digraph, letter_class)
    return _collapse(_ENGLISH_LETTERS.get(c, c if c.isupper() else "") for c in text)


def arabic_skeleton(word: str) -> str:
    """The consonant classes of a normalized Arabic word, without a final ه (ة or a written vowel)."""
    if len(word) > 2 and word.endswith("ه"):
        word = word[:-1]
    return _collapse(_ARABIC_LETTERS.get(c, "") for c in word)


def _collapse(classes: Iterable[str]) -> str:
    out: list[str] = []
    for letter_class in "".join(classes):
        if not out or out[-1] != letter_class:
            out.append(letter_class)
    return "".join(out)


def question_names(question: str) -> list[str]:
    """The words of an English question that look like names: capitalized words other than its
    first (unless that one is no common word) and acronyms."""
    names = []
    for position, match in enumerate(_QUESTION_WORD.finditer(question)):
        word = match.group().strip("'’-")
        word = re.sub(r"['’]s$", "", word)
        if not word or not word[0].isupper() or word.lower() in english_stop_words():
            continue
        if position == 0 and not _ACRONYM.match(word):
            continue
        names.append(word)
    return list(dict.fromkeys(names))


def _variants(skeleton: str) -> set[str]:
    """The skeleton and, when long enough, every form of it with one class dropped."""
    if len(skeleton) < MIN_TOLERANT_SKELETON:
        return {skeleton}
    return {skeleton} | {skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton))}


@dataclass(frozen=True)
class NameIndex:
    """Skeleton variants of the corpus's normalized Arabic words (with and without clitics), worked out
    on the first English question: an engine that is only asked in Arabic never needs them (0.25 s
    for XQuAD's 240 articles, more for larger corpora)."""

    words: frozenset[str]
    #: ``matches`` of each name asked so far (retrieval and answer scoring both ask for them).
    _matched: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, normalized_words: Iterable[str]) -> NameIndex:
        return cls(frozenset(normalized_words))

    @cached_property
    def words_by_variant(self) -> dict[str, frozenset[str]]:
        collected: dict[str, set[str]] = {}
        for word in self.words:
            for form in word_forms(word):
                skeleton = arabic_skeleton(form)
                if len(skeleton) < MIN_SKELETON:
                    continue
                for variant in _variants(skeleton):
                    collected.setdefault(variant, set()).add(form)
        return {variant: frozenset(forms) for variant, forms in collected.items()}

    def matches(self, name: str) -> frozenset[str]:
        """Corpus words (clitics off) that may spell the English ``name``: those with its skeleton or,
        when there are none, those one dropped class away that begin with the same class; either way
        beginning with a vowel letter exactly when the name does ("Tesla" «تسلا», not «اتصال»)."""
        if name not in self._matched:
            self._matched[name] = self._find(name)
        return self._matched[name]

    def _find(self, name: str) -> frozenset[str]:
        skeleton = english_skeleton(name)
        if len(skeleton) < MIN_SKELETON:
            return frozenset()
        vowel_first = name[:1].lower() in _ENGLISH_VOWELS

        def fits(form: str) -> bool:
            return (form[:1] in _ARABIC_VOWELS) == vowel_first

        exact = self.words_by_variant.get(skeleton, frozenset())
        found = {form for form in exact if arabic_skeleton(form) == skeleton and fits(form)}
        if not found:
            for variant in _variants(skeleton):
                for form in self.words_by_variant.get(variant, ()):
                    other = arabic_skeleton(form)
                    if other[0] == skeleton[0] and _one_dropped(other, skeleton) and fits(form):
                        found.add(form)
        return frozenset(found) if len(found) <= MAX_MATCHED_WORDS else frozenset()

    def term_groups(self, question: str) -> list[frozenset[str]]:
        """For each name in an English question that the corpus spells, the Arabic words spelling it."""
        groups = []
        for name in question_names(question):
            found = self.matches(name)
            if found:
                groups.append(found)
        return list(dict.fromkeys(groups))


def _one_dropped(first: str, second: str) -> bool:
    """Whether one skeleton is the other with one class dropped."""
    if abs(len(first) - len(second)) != 1:
        return False
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
