"""Check a model-written answer, sentence by sentence, against the passages each sentence cites.

A sentence is kept only when it cites at least one passage, cites nothing that was not given, and
the cited passages support it:

- its embedding is close to one of the cited passages' sentences, across languages (the engine's
  multilingual model; the passages' sentence vectors are already in the index), plus a little for
  the share of its words found in the cited text (its own stemmed words for a sentence in the
  articles' language, their dictionary translations for an English one, ``rag.lexicon``);
- every number it states occurs in the cited text.

The weight and thresholds were chosen on the XQuAD tuning half (``benchmarks/verifier_tuning.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rag.answer import Citation
from rag.arabic import Language, detect_language, normalize, split_sentences, word_forms, words
from rag.candidates import SentenceMap
from rag.embedding import Embedder
from rag.lexicon import BilingualLexicon, LexiconLoader
from rag.retrieval import corpus_language
from rag.term_matching import group_matches, question_terms
from rag.vectorstore import VectorStore

#: A sentence's support = its best cosine to a cited passage's sentence + COVERAGE_WEIGHT x the share
#: of its terms found in the cited text; kept when at least SUPPORT_THRESHOLD[its language]. Chosen on
#: the XQuAD tuning half (even articles) for the best balanced accuracy between sentences of the cited
#: paragraph (English: its parallel translation; Arabic: a shortened copy) and sentences of another
#: paragraph of the same article (benchmarks/verifier_tuning.py, results/verifier_tuning.json). Report
#: half: English keeps 91.5% of supported and drops 95.7% of unsupported sentences; Arabic 100% and
#: 99.6%. The Arabic threshold is the lowest that drops every unsupported tuning claim (the shortened
#: copies are easier than a model's paraphrases, so the lowest separating value errs toward keeping).
COVERAGE_WEIGHT = 0.05
SUPPORT_THRESHOLD: dict[Language, float] = {"ar": 0.955, "en": 0.865}
#: A written sentence with fewer letters than this says nothing to check.
MIN_CLAIM_LETTERS = 3

DropReason = Literal["no_citation", "unknown_passage", "number_missing", "unsupported"]

_MARKER = re.compile(r"\[\s*(?:passages?|المقطع|مقطع)?\s*(\d+(?:\s*(?:,|،|and|و)\s*\d+)*)\s*\]", re.IGNORECASE)
_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_MARKER.pattern}[.!?؟]?)+", re.IGNORECASE)
_LIST_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"[*_`#]+")
_THOUSANDS = re.compile(r"(?<=\d)[,٬](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LETTER = re.compile(r"[^\W\d_]")
#: Numbers the articles write as words (normalized, without ال): «العاشر من يناير» supports "January 10".
_ARABIC_NUMBER_WORDS = {
    "1": ("واحد", "واحده", "اول", "اولي"),
    "2": ("اثنان", "اثنين", "اثنتان", "اثنتين", "ثاني", "ثانيه"),
    "3": ("ثلاث", "ثلاثه", "ثالث", "ثالثه"),
    "4": ("اربع", "اربعه", "رابع", "رابعه"),
    "5": ("خمس", "خمسه", "خامس", "خامسه"),
    "6": ("ست", "سته", "سادس", "سادسه"),
    "7": ("سبع", "سبعه", "سابع", "سابعه"),
    "8": ("ثمان", "ثماني", "ثمانيه", "ثامن", "ثامنه"),
    "9": ("تسع", "تسعه", "تاسع", "تاسعه"),
    "10": ("عشر", "عشره", "عاشر", "عاشره"),
    "20": ("عشرون", "عشرين"),
    "30": ("ثلاثون", "ثلاثين"),
    "40": ("اربعون", "اربعين"),
    "50": ("خمسون", "خمسين"),
    "60": ("ستون", "ستين"),
    "70": ("سبعون", "سبعين"),
    "80": ("ثمانون", "ثمانين"),
    "90": ("تسعون", "تسعين"),
    "100": ("مئه", "مائه"),
    "1000": ("الف",),
}
_NUMBER_OF_WORD = {word: number for number, forms in _ARABIC_NUMBER_WORDS.items() for word in forms}


@dataclass(frozen=True)
class ClaimedSentence:
    """A sentence as the model wrote it, split into its words and the passage numbers it cites."""

    written: str
    claim: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class WrittenSentence:
    """A kept sentence: ``text`` without its markers, the passages it cites, its support score, and
    ``evidence``: the article offsets of the best-matching sentence of each cited passage."""

    text: str
    citations: tuple[int, ...]
    support: float
    evidence: tuple[tuple[int, tuple[int, int]], ...]


@dataclass(frozen=True)
class DroppedSentence:
    """A sentence left out, as written (markers included), and why."""

    text: str
    citations: tuple[int, ...]
    reason: DropReason
    support: float | None = None


@dataclass(frozen=True)
class Verdict:
    kept: list[WrittenSentence]
    dropped: list[DroppedSentence]


@dataclass(frozen=True)
class Support:
    """What the cited passages say for one claim."""

    cosine: float
    coverage: float
    missing_numbers: tuple[str, ...]
    evidence: tuple[tuple[int, tuple[int, int]], ...]

    @property
    def score(self) -> float:
        return self.cosine + COVERAGE_WEIGHT * self.coverage


def cited_numbers(text: str) -> tuple[int, ...]:
    """The passage numbers of every citation marker in ``text`` ([1], [1, 2], [١]), in order."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text.translate(_INDIC_DIGITS)):
        numbers += [int(n) for n in re.findall(r"\d+", match.group(1))]
    return tuple(dict.fromkeys(numbers))


def without_markers(text: str) -> str:
    """``text`` without citation markers, list bullets or Markdown emphasis, spaces tidied."""
    text = _MARKER.sub("", text.translate(_INDIC_DIGITS))
    text = _EMPHASIS.sub("", _LIST_BULLET.sub("", text))
    text = re.sub(r"\s+([.,!?؟،؛:])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def split_written(text: str) -> list[ClaimedSentence]:
    """The sentences of a written answer. Markers a model puts after a sentence's full stop on the
    same line ("... Monday. [1]") belong to that sentence; a marker that starts a line ("[2] ...")
    belongs to the sentence it starts."""
    pieces: list[str] = []
    previous_end = 0
    for start, end in split_sentences(text):
        piece = text[start:end]
        leading = _LEADING_MARKERS.match(piece)
        if leading and pieces and "\n" not in text[previous_end:start]:
            pieces[-1] += " " + leading.group(0).strip()
            piece = piece[leading.end() :]
        if piece.strip():
            pieces.append(piece.strip())
        previous_end = end
    return [ClaimedSentence(p, without_markers(p), cited_numbers(p)) for p in pieces]


def numbers_in(text: str) -> set[str]:
    """The numbers ``text`` states: in digits (any script), and the Arabic number words up to 1000."""
    normalized = _THOUSANDS.sub("", normalize(text))
    found = set(_NUMBER.findall(normalized))
    for word in words(normalized):
        for form in word_forms(word):
            if form in _NUMBER_OF_WORD:
                found.add(_NUMBER_OF_WORD[form])
    return found


@dataclass
class SupportChecker:
    """Scores claims against the cited passages with the index's sentence vectors."""

    store: VectorStore
    sentence_map: SentenceMap
    embedder: Embedder
    corpus_language: Language
    lexicon: LexiconLoader | None = None

    def __post_init__(self) -> None:
        self._chunk_positions = {chunk.chunk_id: position for position, chunk in enumerate(self.store.chunks)}

    @classmethod
    def build(
        cls,
        store: VectorStore,
        embedder: Embedder,
        lexicon: LexiconLoader | None,
        sentence_map: SentenceMap | None = None,
    ) -> SupportChecker:
        """A checker over ``store`` (``sentence_map`` is built when not given)."""
        return cls(
            store,
            sentence_map or SentenceMap.build(store, corpus_language(store)),
            embedder,
            corpus_language(store),
            lexicon,
        )

    def verify(self, text: str, passages: Sequence[Citation]) -> Verdict:
        """Keep the sentences of ``text`` that cite only ``passages`` and that they support."""
        by_number = {p.n: p for p in passages}
        claims = [c for c in split_written(text) if len(_LETTER.findall(c.claim)) >= MIN_CLAIM_LETTERS]
        checkable = [c for c in claims if c.citations and all(n in by_number for n in c.citations)]
        supports = self.supports([c.claim for c in checkable], [[by_number[n] for n in c.citations] for c in checkable])
        support_of = {id(c): s for c, s in zip(checkable, supports, strict=True)}
        kept: list[WrittenSentence] = []
        dropped: list[DroppedSentence] = []
        for claim in claims:
            if not claim.citations:
                dropped.append(DroppedSentence(claim.written, (), "no_citation"))
                continue
            support = support_of.get(id(claim))
            if support is None:
                dropped.append(DroppedSentence(claim.written, claim.citations, "unknown_passage"))
                continue
            reason = self.rejection(claim.claim, support)
            score = round(support.score, 4)
            if reason is None:
                kept.append(WrittenSentence(claim.claim, claim.citations, score, support.evidence))
            else:
                dropped.append(DroppedSentence(claim.written, claim.citations, reason, score))
        return Verdict(kept, dropped)

    def rejection(self, claim: str, support: Support) -> DropReason | None:
        """Why ``claim`` is not supported, or ``None`` when it is."""
        if support.missing_numbers:
            return "number_missing"
        if support.score < SUPPORT_THRESHOLD[detect_language(claim)]:
            return "unsupported"
        return None

    def supports(self, claims: list[str], cited: list[list[Citation]]) -> list[Support]:
        """The support each claim finds in its cited passages (claims embedded in one batch)."""
        if not claims:
            return []
        vectors = self.embedder.embed_answer_sentences(claims)
        return [self._support(c, v, p) for c, v, p in zip(claims, vectors, cited, strict=True)]

    def _support(self, claim: str, vector: np.ndarray, passages: list[Citation]) -> Support:
        best = 0.0
        evidence = []
        for passage in passages:
            sentences = self._sentences_in(passage)
            if not sentences:
                continue
            scores = self.store.sentence_vectors[sentences] @ vector
            top = int(np.argmax(scores))
            best = max(best, float(scores[top]))
            span = self.store.sentences[sentences[top]]
            evidence.append((passage.n, (max(span.start, passage.start), min(span.end, passage.end))))
        cited_text = "\n".join(p.text for p in passages)
        missing = tuple(sorted(numbers_in(claim) - numbers_in(cited_text)))
        return Support(best, self.coverage(claim, cited_text), missing, tuple(evidence))

    def coverage(self, claim: str, cited_text: str) -> float:
        """The share of the claim's terms found in the cited text: its own stemmed words in the
        articles' language, their dictionary translations for English over Arabic articles."""
        language = detect_language(claim)
        if language == self.corpus_language:
            groups = question_terms(claim)
        elif language == "en" and self.corpus_language == "ar" and self._dictionary() is not None:
            groups = self._dictionary().term_groups(claim)
        else:
            return 0.0
        if not groups:
            return 0.0
        return sum(group_matches(g, cited_text) for g in groups) / len(groups)

    def _dictionary(self) -> BilingualLexicon | None:
        return self.lexicon.get() if self.lexicon is not None else None

    def _sentences_in(self, passage: Citation) -> list[int]:
        position = self._chunk_positions.get(passage.chunk_id)
        return self.sentence_map.sentences_of_chunk[position] if position is not None else []
