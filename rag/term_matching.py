"""Match a question's terms against answer sentences, each term weighted by how rare it is.

The terms are the question's own words (stemmed) for a question in the articles' language, and
their dictionary translations for an English question over Arabic articles (``rag.lexicon``),
together with the Arabic spellings of the names it mentions (``rag.names``).

An Arabic word carries clitics in front (و، ب، ل، ف، ك، ال) and endings behind (ـات، ـة، ـا), so
a term matches a word when the word, with or without its leading clitics, starts with the term:
«خط» matches «خطا» and «والخط». Rare terms say more than common ones ("red line" against
"Russia" in articles about Russia), so each term group counts by its inverse document frequency
over the corpus's sentences.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Literal

from rag.arabic import CLITIC_PREFIXES, MIN_STEM, Language, nisba_forms, normalize, word_forms, word_stem, words
from rag.lexicon import LexiconLoader
from rag.names import NameIndex, question_names

_AFTER_ALL_FORMS = "\U0010ffff"


def question_terms(question: str) -> list[frozenset[str]]:
    """One group per distinct question word of three letters or more: its stem, a place name's with its
    relative adjective's (``rag.arabic.nisba_forms``: «روسيا» also matches «الروسي»)."""
    groups = [
        frozenset(nisba_forms(word_stem(word))) for word in dict.fromkeys(words(question)) if len(word) >= MIN_STEM
    ]
    return list(dict.fromkeys(groups))


def text_forms(text: str) -> set[str]:
    return {form for word in words(text) for form in word_forms(word)}


def group_matches(group: frozenset[str], text: str) -> bool:
    """Whether a word of ``text``, with or without its leading clitics, begins with a term of ``group``."""
    return _contains(group, normalize(text))


def _contains(group: frozenset[str], normalized: str) -> bool:
    """``group_matches`` on normalized text: a place where a term occurs (most groups occur nowhere,
    which a substring search says at once) that begins a word or follows a clitic beginning one.
    (One pattern for every group: compiling one per group cost more than all the searching.)"""
    for term in group:
        at = normalized.find(term)
        while at >= 0:
            if _TERM_MAY_BEGIN.match(normalized, at):
                return True
            at = normalized.find(term, at + 1)
    return False


def _term_may_begin() -> re.Pattern[str]:
    """Matches, empty, where a word begins or where one of ``CLITIC_PREFIXES`` that begins a word ends
    (the place a term may begin, as ``word_forms`` strips clitics; terms have two letters or more, so
    a stripped form keeps two); a lookbehind for each clitic length, as lookbehinds have one width."""
    lengths = sorted({len(prefix) for prefix in CLITIC_PREFIXES})
    after_clitic = [
        rf"(?<=(?<!\w)(?:{'|'.join(p for p in CLITIC_PREFIXES if len(p) == length)}))" for length in lengths
    ]
    return re.compile("|".join([r"(?<!\w)", *after_clitic]))


_TERM_MAY_BEGIN = _term_may_begin()


#: Term groups with their IDF weights.
WeightedTerms = list[tuple[frozenset[str], float]]


@dataclass(frozen=True)
class TermWeights:
    """Sentence frequencies of every word form in the corpus, sorted for prefix look-ups."""

    forms: list[str]
    cumulative_counts: list[int]
    sentence_count: int

    @classmethod
    def build(cls, sentences: Iterable[str]) -> TermWeights:
        counts: Counter[str] = Counter()
        sentence_count = 0
        for sentence in sentences:
            counts.update(text_forms(sentence))
            sentence_count += 1
        forms = sorted(counts)
        return cls(forms, [0, *accumulate(counts[f] for f in forms)], sentence_count)

    def updated(self, added: Iterable[str], removed: Iterable[str]) -> TermWeights:
        """The weights after ``added`` sentences join the corpus and ``removed`` ones leave it, equal to
        ``build`` over the resulting sentences."""
        bounds = self.cumulative_counts
        counts = Counter({form: bounds[i + 1] - bounds[i] for i, form in enumerate(self.forms)})
        sentence_count = self.sentence_count
        for sentence in added:
            counts.update(text_forms(sentence))
            sentence_count += 1
        for sentence in removed:
            counts.subtract(text_forms(sentence))
            sentence_count -= 1
        forms = sorted(form for form, count in counts.items() if count > 0)
        return TermWeights(forms, [0, *accumulate(counts[f] for f in forms)], sentence_count)

    def idf(self, group: Iterable[str]) -> float:
        """Inverse sentence frequency of a term group; a sentence may be counted once per matching
        form, so the frequency is capped at the number of sentences."""
        frequency = 0
        for term in group:
            low = bisect_left(self.forms, term)
            high = bisect_left(self.forms, term + _AFTER_ALL_FORMS)
            frequency += self.cumulative_counts[high] - self.cumulative_counts[low]
        frequency = min(frequency, self.sentence_count)
        return math.log((self.sentence_count + 1) / (frequency + 1))

    def save(self, path: Path) -> None:
        record = {"forms": self.forms, "cumulative_counts": self.cumulative_counts, "sentences": self.sentence_count}
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TermWeights:
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(record["forms"], record["cumulative_counts"], record["sentences"])

    def weigh(self, groups: list[frozenset[str]]) -> WeightedTerms:
        return [(group, self.idf(group)) for group in groups]


def matched_weight(weighted_groups: WeightedTerms, text: str) -> float:
    """The summed IDF weight of the term groups that ``text`` contains."""
    normalized = normalize(text)  # remembered by ``normalize`` for the passages questions keep meeting
    return sum(weight for group, weight in weighted_groups if _contains(group, normalized))


def matched_share(weighted_groups: WeightedTerms, text: str) -> float:
    """The IDF-weighted share of the term groups that ``text`` contains (0 to 1)."""
    total = sum(weight for _, weight in weighted_groups)
    if total <= 0:
        return 0.0
    return matched_weight(weighted_groups, text) / total


@dataclass(frozen=True)
class QuestionTerms:
    """A question's weighted terms and where they came from: the question's ``own`` words (it is in the
    articles' language), their ``dictionary`` translations (English over Arabic articles), or ``none``."""

    weighted: WeightedTerms
    source: Literal["own", "dictionary", "none"]


@dataclass(frozen=True)
class QuestionTermFinder:
    weights: TermWeights
    corpus_language: Language
    lexicon: LexiconLoader
    names: NameIndex | None = None

    def find(self, question: str, language: Language) -> QuestionTerms:
        if language == self.corpus_language:
            return QuestionTerms(self.weights.weigh(question_terms(question)), "own")
        if language == "en" and self.corpus_language == "ar":
            lexicon = self.lexicon.get()
            if lexicon is not None:
                groups = lexicon.term_groups(question) + (self.names.term_groups(question) if self.names else [])
                return QuestionTerms(self.weights.weigh(list(dict.fromkeys(groups))), "dictionary")
        return QuestionTerms([], "none")

    def pseudo_question(self, question: str, language: Language) -> str | None:
        """For an English question over Arabic articles with the dictionary installed: the question
        followed by its Arabic gloss (``BilingualLexicon.arabic_gloss``, names spelled as the corpus
        spells them), a second query for the embedding model (``rag.engine``); else ``None``."""
        lexicon = self.lexicon.get() if language == "en" and self.corpus_language == "ar" else None
        if lexicon is None:
            return None
        names = set(question_names(question)) if self.names is not None else set()

        def spell(word: str) -> str | None:
            return self.name_spelling(word) if word in names else None

        gloss = lexicon.arabic_gloss(question, spell)
        return f"{question} {gloss}" if gloss else None

    def name_spelling(self, name: str) -> str | None:
        """The corpus's spelling of an English name: of the words matching it, the one closest to it in
        length, then the most frequent."""
        found = self.names.matches(name) if self.names is not None else frozenset()
        if not found:
            return None
        return min(found, key=lambda form: (abs(len(form) - len(name)), self.weights.idf([form]), form))
