"""English → Arabic word translations, for English questions asked of Arabic articles.

The embedding model ties many English words only weakly to their Arabic counterparts: for
"What is Russia's red line regarding Ukraine?" it ranks the sentence with «خطا أحمر» below five
other sentences about Russia and Ukraine. A bilingual dictionary names the counterparts, so the
answer step can prefer the sentences that contain them (see ``rag.term_matching``).

The dictionary is FreeDict's English-Arabic one (87k headwords, GPL), installed from Debian's
package ``dict-freedict-eng-ara`` by ``scripts/setup.sh``. It is in dictd format: an index of
``headword<TAB>offset<TAB>length`` (offsets in dictd's base64) and a gzip-compatible ``.dict.dz``
whose entries read ``Headword /pronunciation/`` followed by one translation a line.

FreeDict has one translation a headword, no part of speech and few phrases: "held" is «محمول»
(carried), "be held" and "take place" are missing. The Arabic stems whose English senses include a word
or two-word phrase (``rag.glosses``: "be held" → «تعقد», «انعقد»; "took place" → «يقام», «تجري») join
its translations, as long as it is one of their first ``Settings.max_sense_place + 1`` senses.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from rag.arabic import lemma_stem, nisba_forms, normalize, strip_diacritics, without_article
from rag.errors import LexiconError
from rag.glosses import SenseIndex, cached_sense_index

log = logging.getLogger(__name__)

_BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
#: Words that frame a question about the articles rather than name what it is about.
QUESTION_FRAMING = frozenset(
    [
        "according",
        "article",
        "articles",
        "report",
        "reports",
        "reported",
        "say",
        "says",
        "said",
        "mention",
        "mentioned",
        "tell",
        "told",
    ]
)
#: Auxiliary verbs that scikit-learn's stop words lack ("do" is there): "What did Washington offer?"
#: asks nothing about doing, yet the dictionary translates "did" as «عمل», a rare and telling term.
AUXILIARY_VERBS = frozenset(["did", "does", "doing"])
#: Arabic particles inside multi-word translations ("نوع من الخبز"); they carry no meaning alone.
_ARABIC_PARTICLES = frozenset(normalize(w) for w in ["من", "في", "على", "إلى", "عن", "مع", "بشكل", "نحو"])
#: A translation longer than this many words is a definition, not a counterpart.
MAX_TRANSLATION_WORDS = 2
_ENGLISH_WORD = re.compile(r"[a-z]+")
#: English question words (and two-word openings) and the Arabic ones an Arabic question carries,
#: for ``BilingualLexicon.arabic_gloss``: e5 embeds a question with its question word.
ARABIC_QUESTION_WORDS = {
    "how many": "كم",
    "how much": "كم",
    "how long": "كم",
    "what year": "في أي عام",
    "when": "متى",
    "where": "أين",
    "who": "من",
    "whom": "من",
    "whose": "لمن",
    "what": "ما",
    "which": "أي",
    "why": "لماذا",
    "how": "كيف",
}
_GLOSS_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")


@cache
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``), read
    from the module that holds them without importing scikit-learn, whose import took 2-3 s of a
    question's cold start."""
    package = importlib.util.find_spec("sklearn")
    if package is None or not package.submodule_search_locations:
        raise ImportError("scikit-learn is not installed")
    path = Path(package.submodule_search_locations[0]) / "feature_extraction" / "_stop_words.py"
    spec = importlib.util.spec_from_file_location("rag_english_stop_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.ENGLISH_STOP_WORDS)


@dataclass(frozen=True)
class BilingualLexicon:
    """English headwords (lowercased) with the places of their entries in the decompressed
    dictionary; an entry is decoded into normalized Arabic terms when first looked up."""

    entries: dict[str, tuple[tuple[int, int], ...]]
    data: bytes
    #: Arabic stems by English sense (``rag.glosses``), the senses FreeDict lacks; ``None`` without them.
    senses: SenseIndex | None = None
    #: A stem translates an English word when its gloss lists the word at this place or earlier (0: first).
    max_sense_place: int = 0
    _decoded: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def read_dictd(cls, index_path: Path, dict_path: Path) -> BilingualLexicon:
        try:
            data = gzip.decompress(dict_path.read_bytes())
            index = index_path.read_text(encoding="utf-8")
            entries: dict[str, tuple[tuple[int, int], ...]] = {}
            for line in index.splitlines():
                headword, _, place = line.partition("\t")
                if headword.startswith("00database") or not place:
                    continue
                offset, _, length = place.partition("\t")
                key = headword.lower()
                entries[key] = (*entries.get(key, ()), (_decode(offset), _decode(length)))
        except (OSError, EOFError, UnicodeDecodeError, KeyError, gzip.BadGzipFile) as error:
            raise LexiconError(f"cannot read {dict_path} or {index_path}: {error}") from error
        return cls(entries, data)

    def translations(self, headword: str) -> tuple[str, ...]:
        """The dictionary's normalized Arabic terms for an English headword (empty when unknown)."""
        if headword not in self._decoded:
            self._decoded[headword] = arabic_terms(self._translation_lines(headword))
        return self._decoded[headword]

    def sense_terms(self, words: str) -> tuple[str, ...]:
        """The Arabic stems having ``words`` (an English word or two-word phrase, or an inflection of
        one: "held", "took place") among their first ``max_sense_place + 1`` senses (``rag.glosses``)."""
        first, _, rest = words.partition(" ")
        if self.senses is None or (rest and first in english_stop_words() and rest in english_stop_words()):
            return ()  # "how much", "at all": a question's frame, not its subject
        return self.senses.translations(words, self.max_sense_place)

    def phrase_terms(self, phrase: str) -> tuple[str, ...]:
        """Arabic terms for a two-word phrase: the dictionary's and the senses'."""
        return tuple(dict.fromkeys((*self.translations(phrase), *self.sense_terms(phrase))))

    def _translation_lines(self, headword: str) -> list[str]:
        """The translation lines of every entry of ``headword`` (an entry's first line is the headword)."""
        lines: list[str] = []
        for offset, length in self.entries.get(headword, ()):
            lines += self.data[offset : offset + length].decode("utf-8", "replace").split("\n")[1:]
        return lines

    def term_groups(self, question: str) -> list[frozenset[str]]:
        """One group of Arabic terms for each content word (or two-word phrase) of an English
        question that the dictionary knows, in question order."""
        tokens = _ENGLISH_WORD.findall(re.sub(r"'s\b", "", question.lower()))
        groups: list[frozenset[str]] = []
        position = 0
        while position < len(tokens):
            phrase_terms = (
                self.phrase_terms(" ".join(tokens[position : position + 2])) if position + 1 < len(tokens) else ()
            )
            if phrase_terms:
                groups.append(frozenset(phrase_terms))
                position += 2
                continue
            word = tokens[position]
            if word not in english_stop_words() and word not in QUESTION_FRAMING and word not in AUXILIARY_VERBS:
                terms = self.lookup(word)
                if terms:
                    groups.append(frozenset(terms))
            position += 1
        return list(dict.fromkeys(groups))

    def arabic_gloss(self, question: str, spell_name: Callable[[str], str | None] = lambda _: None) -> str:
        """An English question rendered word by word in Arabic, in its order: question words as an
        Arabic question asks them, the first translation of each two-word phrase or content word the
        dictionary knows, ``spell_name``'s Arabic spelling of a word it is not (a name), other words as
        they are; framing words and stop words dropped. Not a translation: a second query for the
        embedding model, which ties English words to Arabic ones weakly (``rag.retrieval``)."""
        tokens = [t.strip("'’-") for t in _GLOSS_TOKEN.findall(re.sub(r"['’]s\b", "", question))]
        glossed: list[str] = []
        position = 0
        while position < len(tokens):
            gloss, used = self._gloss_at(tokens, position, spell_name)
            glossed += [gloss] if gloss else []
            position += used
        return " ".join(glossed)

    def _gloss_at(
        self, tokens: list[str], position: int, spell_name: Callable[[str], str | None]
    ) -> tuple[str | None, int]:
        """The gloss of the words at ``position`` and how many words it takes (one or two)."""
        word = tokens[position]
        lower, pair = word.lower(), " ".join(tokens[position : position + 2]).lower()
        if position + 1 < len(tokens) and pair in ARABIC_QUESTION_WORDS:
            return ARABIC_QUESTION_WORDS[pair], 2
        if lower in ARABIC_QUESTION_WORDS:
            return ARABIC_QUESTION_WORDS[lower], 1
        if word.isdigit():
            return word, 1
        spelled = None if self.entries.get(lower) else spell_name(word)
        if spelled:
            return spelled, 1
        phrase = self.translation_line(pair) if position + 1 < len(tokens) else None
        if phrase:
            return phrase, 2
        if lower in english_stop_words() or lower in QUESTION_FRAMING or lower in AUXILIARY_VERBS:
            return None, 1
        return self.translation_line(lower) or word, 1

    def translation_line(self, word: str) -> str | None:
        """The first translation of ``word`` (or of its base form) that is a counterpart: Arabic, at most
        ``MAX_TRANSLATION_WORDS`` words, without diacritics; ``None`` when there is none."""
        for form in english_base_forms(word):
            for line in self._translation_lines(form):
                text = strip_diacritics(line).strip()
                if text and not re.search(r"[A-Za-z]", text) and len(text.split()) <= MAX_TRANSLATION_WORDS:
                    return text
        return None

    def lookup(self, word: str) -> tuple[str, ...]:
        """The dictionary's translations of ``word`` or, failing that, of its base form (missiles →
        missile), and the stems having ``word`` among their first senses."""
        dictionary: tuple[str, ...] = ()
        for form in english_base_forms(word):
            dictionary = self.translations(form)
            if dictionary:
                break
        return tuple(dict.fromkeys((*dictionary, *self.sense_terms(word))))


def english_base_forms(word: str) -> list[str]:
    """``word`` and the forms it may be inflected from, most likely first."""
    forms = [word]
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        forms.append(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        forms += [word[:-2], word[:-1]]
    if word.endswith("ing") and len(word) > 5:
        forms += [word[:-3], word[:-3] + "e"]
    return forms


def arabic_terms(lines: list[str]) -> tuple[str, ...]:
    """The normalized Arabic words of a dictionary entry's translation lines, a place name with its
    relative adjective (``rag.arabic.nisba_forms``: "Russia" also matches «الروسي»)."""
    terms: list[str] = []
    for line in lines:
        text = normalize(line)
        if not text or re.search(r"[a-z]", text) or len(text.split()) > MAX_TRANSLATION_WORDS:
            continue
        for word in re.findall(r"\w+", text):
            word = without_article(word)
            if len(word) >= 2 and word not in _ARABIC_PARTICLES:
                terms += nisba_forms(lemma_stem(word))
    return tuple(dict.fromkeys(terms))


def load_lexicon(
    path: Path, senses: Callable[[], SenseIndex | None] = lambda: None, max_sense_place: int = 0
) -> BilingualLexicon | None:
    """The dictionary at ``path`` (``path.index`` and ``path.dict.dz``) with the English senses of
    Arabic stems that ``senses`` reads (``rag.glosses``; their first ``max_sense_place + 1`` count), or
    ``None`` with a warning: English questions are then answered from the embedding alone."""
    index_path, dict_path = dictd_files(path)
    if not index_path.is_file() or not dict_path.is_file():
        log.warning(
            "No English-Arabic dictionary at %s (install Debian's dict-freedict-eng-ara, as scripts/setup.sh "
            "does); English questions will be matched by the embedding model alone.",
            path,
        )
        return None
    try:
        lexicon = BilingualLexicon.read_dictd(index_path, dict_path)
        return replace(lexicon, senses=senses(), max_sense_place=max_sense_place)
    except LexiconError as error:
        log.warning("English-Arabic dictionary unusable, English questions use the embedding alone: %s", error)
        return None


class LexiconLoader:
    """The dictionary at ``path`` with the senses of Buckwalter's lexicon, whose index is kept in
    ``cache_dir`` (``rag.glosses``), read on first use (only English questions need them) and kept.
    Without ``cache_dir``, or with ``max_sense_place`` below 0, the dictionary alone."""

    def __init__(
        self, path: Path, enabled: bool = True, cache_dir: Path | None = None, max_sense_place: int = -1
    ) -> None:
        self.path = path
        self.enabled = enabled
        self.cache_dir = cache_dir
        self.max_sense_place = max_sense_place
        self._lexicon: BilingualLexicon | None = None
        self._tried = False
        self._lock = threading.Lock()

    @property
    def installed(self) -> bool:
        """Whether the dictionary's files are there (without reading them)."""
        index_path, dict_path = dictd_files(self.path)
        return self.enabled and index_path.is_file() and dict_path.is_file()

    @property
    def loaded(self) -> bool:
        return self._lexicon is not None

    def _senses(self) -> SenseIndex | None:
        if self.cache_dir is None or self.max_sense_place < 0:
            return None
        return cached_sense_index(self.cache_dir)

    def get(self) -> BilingualLexicon | None:
        with self._lock:
            if not self._tried and self.enabled:
                self._lexicon = load_lexicon(self.path, self._senses, self.max_sense_place)
                self._tried = True
            return self._lexicon


def dictd_files(path: Path) -> tuple[Path, Path]:
    """The index and data files of the dictd dictionary at ``path``."""
    return path.with_name(path.name + ".index"), path.with_name(path.name + ".dict.dz")


def _decode(number: str) -> int:
    value = 0
    for character in number:
        value = value * 64 + _BASE64[character]
    return value
