"""Names across scripts: English proper nouns and acronyms matched to their Arabic transliterations.

Neither the dictionary nor the 4-bit model ties "Pittsburgh" to «بيتسبرغ» reliably, but both
spell nearly the same sounds. Each word on both sides is spelled in a small common alphabet:
letters that transliterate into each other share a consonant class (b/p/f/v and ب/ف; t/d/th and
ت/ط/د/ض/ث/ذ; k/c/q/g/j and ك/ق/غ/خ/ج; s/z/sh and س/ص/ز/ش...), vowels fall into three (a and ا;
e/i/y and ي; o/u/w and و; ع stands for any), a repeat counts once and «اي» as one vowel:
"Pittsburgh" → PiTSPuRK, «بيتسبرغ» → PiTSPRK. The consonants alone are the word's skeleton
(PTSPRK), the index's key.

A corpus word whose skeleton equals the name's, or is one class away from it (four classes or
more: «برونكو» for "Broncos"), is a candidate. Candidates are judged by an edit distance over the
spellings (``spelling_distance``): an English vowel Arabic leaves unwritten costs little, a consonant
class added or dropped a whole point. A candidate is kept when that distance is small for the name
(an English dictionary word, "Super", "Doctor", needs a near-exact spelling: such words are far more
often translated than transliterated), and only the nearest candidates are kept. Two more checks
remove matches a shared spelling cannot rule out: an acronym without a vowel ("NTL") or of three
letters ("UPT") is spelled letter by letter, never as one Arabic word, so it matches none; and a
corpus word that Buckwalter's lexicon knows as an ordinary Arabic word (its English senses,
``rag.glosses``) matches only a name that is one of those senses («دكتور» "doctor" for "Doctor",
not «سفير» "ambassador" for "Super"), unless the name is no English dictionary word, the lexicon
glosses it with a spelling the corpus never uses, and the corpus word stands with the article as a
place's name does ("Crimea": Buckwalter's «قريم», in the news «القرم»; "Canada" is never «كانت»).

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

from rag.arabic import lemma_stem, word_forms
from rag.glosses import IMPERFECT_MARK, IMPERFECT_PREFIXES, SenseIndex
from rag.lexicon import LexiconLoader, english_stop_words

#: A skeleton shorter than this names too many words to mean anything. (Two classes matched with
#: their vowels, "NATO" «ناتو», "NASA" «ناسا», made the engine answer an unanswerable NATO question of
#: benchmarks/questions/seeds_hard.jsonl, x05: the abstention model was fitted without them.)
MIN_SKELETON = 3
#: Skeletons at least this long also find candidates with one class dropped on either side.
MIN_TOLERANT_SKELETON = 4
#: A name that matches more distinct corpus words than this is a common pattern, not a name.
MAX_MATCHED_WORDS = 40
#: An acronym this long with a vowel is read as a word ("NATO", "NASA"); a shorter one is spelled out.
MIN_READ_ACRONYM = 4
#: The costs of ``spelling_distance``. Arabic leaves short vowels unwritten, so an English vowel
#: without an Arabic one costs little; a long vowel Arabic writes where English has none, or a
#: different one, costs more; a consonant class added, dropped or changed costs a whole point.
UNWRITTEN_VOWEL = 0.1
ADDED_VOWEL = 0.3
OTHER_VOWEL = 0.3
#: A vowel Arabic writes at a word's end: an ending («فرنسا») or a relative adjective's «ي» («فرنسي»).
FINAL_VOWEL = 0.1
CONSONANT = 1.0
#: An English plural "s" left out of the Arabic spelling ("Huguenots" «هوغونوت»).
UNWRITTEN_PLURAL = 0.3
#: A name's candidates are kept within ``MAX_DISTANCE`` (vowels and a plural "s" only), or
#: ``MAX_LONG_DISTANCE`` (a consonant class too) when its skeleton has ``LONG_SKELETON`` classes; an
#: English dictionary word's within ``MAX_WORD_DISTANCE``; an acronym read as a word needs the same
#: spelling ("START" is not «سترد»). Set by reading every match of the XQuAD tuning
#: half's English questions (tests/test_names.py keeps examples of both sides).
MAX_DISTANCE = 0.45
LONG_SKELETON = 5
MAX_LONG_DISTANCE = 1.25
MAX_WORD_DISTANCE = 0.1
#: Candidates farther than the nearest by more than this are dropped.
NEAREST_MARGIN = 0.05
#: An English sense of an Arabic word names the name when it is the name, vowels at its end aside,
#: followed by at most this many letters ("Africa" and «افريقي» "african", "Roman" and "romans").
SENSE_ENDING = 2

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
    "a": "a",
    **dict.fromkeys("eiy", "i"),
    **dict.fromkeys("ouw", "u"),
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
    "ا": "a",
    "ي": "i",
    "و": "u",
    "ع": "e",
}
#: «اي» writes an English "i" read as a diphthong ("Biden" «بايدن», "Taylor" «تايلور»).
_DIPHTHONG = "ai"
#: An alif that only carries the vowel letter after it at a word's start («اوكرانيا», «ايطاليا»).
_ALIF_AND_VOWEL = ("au", "ai")
#: Vowels of the common spelling; ``e`` (ع) stands for any of the others.
_VOWELS = frozenset("aiue")
_ENGLISH_VOWELS = frozenset("aeiouwy")
#: Letters that begin an Arabic word where an English one begins with a vowel (normalized).
_ARABIC_VOWELS = frozenset("اعوي")
_SOFT_C = re.compile(r"c(?=[eiy])")
#: An "h" after a vowel is silent ("John" «جون»); digraphs (sh, th...) are read before this.
_SILENT_H = re.compile(r"(?<=[aeiou])h")
_QUESTION_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")
#: The Arabic definite article (normalized).
ARTICLE = "ال"
#: Suffixes an ordinary Arabic word may carry (a pronoun, a verb's person; ات and ة go with ``lemma_stem``).
SUFFIXES = ("ته", "ها", "هم", "ت")
#: Conjunctions written onto the next word («ويتضمن»).
CONJUNCTIONS = ("و", "ف")
_PLURAL = re.compile(r"[^s]s$")


def english_spelling(word: str) -> str:
    """An English word in the common spelling, repeats collapsed: "Broncos" → PRuNKuS."""
    text = _SOFT_C.sub("s", word.lower())
    text = text[:1] + _SILENT_H.sub("", text[1:])
    for digraph, letter_class in _ENGLISH_DIGRAPHS:
        text = text.replace(digraph, letter_class)
    return _collapse(_ENGLISH_LETTERS.get(c, c if c.isupper() else "") for c in text)


def arabic_spelling(word: str) -> str:
    """A normalized Arabic word in the common spelling, without a final ه (ة or a written vowel) or an
    alif carrying the first vowel, repeats and «اي» collapsed: «بايدن» → PiTN, «اوكرانيا» → uKRaNia."""
    if len(word) > 2 and word.endswith("ه"):
        word = word[:-1]
    spelling = _collapse(_ARABIC_LETTERS.get(c, "") for c in word).replace(_DIPHTHONG, "i")
    return spelling[1:] if spelling[:2] in _ALIF_AND_VOWEL else spelling


def english_skeleton(word: str) -> str:
    """The consonant classes of an English word, repeats collapsed: "Broncos" → PRNKS."""
    return _skeleton(english_spelling(word))


def arabic_skeleton(word: str) -> str:
    """The consonant classes of a normalized Arabic word: «برونكوس» → PRNKS."""
    return _skeleton(arabic_spelling(word))


def _skeleton(spelling: str) -> str:
    return _collapse(c for c in spelling if c not in _VOWELS)


def _collapse(classes: Iterable[str]) -> str:
    out: list[str] = []
    for letter_class in "".join(classes):
        if not out or out[-1] != letter_class:
            out.append(letter_class)
    return "".join(out)


def spelling_distance(english: str, arabic: str) -> float:
    """The cheapest edit of an English spelling into an Arabic one (costs above)."""
    previous = [0.0]
    for j, letter in enumerate(arabic, 1):
        previous.append(previous[-1] + _added(letter, j == len(arabic)))
    for english_letter in english:
        row = [previous[0] + _unwritten(english_letter)]
        for j, arabic_letter in enumerate(arabic, 1):
            row.append(
                min(
                    previous[j] + _unwritten(english_letter),
                    row[j - 1] + _added(arabic_letter, j == len(arabic)),
                    previous[j - 1] + _changed(english_letter, arabic_letter),
                )
            )
        previous = row
    return previous[-1]


def _unwritten(english_letter: str) -> float:
    return UNWRITTEN_VOWEL if english_letter in _VOWELS else CONSONANT


def _added(arabic_letter: str, final: bool) -> float:
    if arabic_letter in _VOWELS:
        return FINAL_VOWEL if final else ADDED_VOWEL
    return CONSONANT


def _changed(english_letter: str, arabic_letter: str) -> float:
    if english_letter == arabic_letter:
        return 0.0
    if english_letter in _VOWELS and arabic_letter in _VOWELS:
        return UNWRITTEN_VOWEL if arabic_letter == "e" else OTHER_VOWEL
    return 2 * CONSONANT


def name_distance(name: str, arabic_word: str) -> float:
    """``spelling_distance`` of a name and a normalized Arabic word, an English plural "s" optional."""
    arabic = arabic_spelling(arabic_word)
    distance = spelling_distance(english_spelling(name), arabic)
    if _PLURAL.search(name):
        distance = min(distance, spelling_distance(english_spelling(name[:-1]), arabic) + UNWRITTEN_PLURAL)
    return distance


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


def is_acronym(name: str) -> bool:
    """Whether a name has two capitals or more ("NATO", "BSkyB")."""
    return sum(c.isupper() for c in name) >= 2


def is_spelled_out(name: str) -> bool:
    """Whether an acronym is read letter by letter: without a vowel ("NTL", "BSkyB") or shorter than
    ``MIN_READ_ACRONYM`` ("UPT"); "NATO" is read as a word, «ناتو»."""
    return is_acronym(name) and (len(name) < MIN_READ_ACRONYM or not any(c in "aeiouAEIOU" for c in name))


def is_dictionary_word(name: str) -> bool:
    """Whether a capitalized word is also an ordinary English word (lemminflect's lexicon; a
    ``NameIndex`` with Buckwalter's lexicon reads the same word list from its cached sense index)."""
    from lemminflect import getAllLemmas  # its lexicon takes 0.5 s to load: on the first English name

    return bool(getAllLemmas(name.lower()))


def _variants(skeleton: str) -> set[str]:
    """The skeleton and, when long enough, every form of it with one class dropped."""
    if len(skeleton) < MIN_TOLERANT_SKELETON:
        return {skeleton}
    return {skeleton} | {skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton))}


@dataclass(frozen=True)
class NameIndex:
    """Skeleton variants of the corpus's normalized Arabic words (with and without clitics), worked out
    on the first English question: an engine that is only asked in Arabic never needs them (0.25 s
    for XQuAD's 240 articles, more for larger corpora). ``lexicon`` gives the English senses of the
    Arabic words Buckwalter's lexicon knows (none without it)."""

    words: frozenset[str]
    lexicon: LexiconLoader | None = None
    #: ``matches`` of each name asked so far (retrieval and answer scoring both ask for them).
    _matched: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, normalized_words: Iterable[str], lexicon: LexiconLoader | None = None) -> NameIndex:
        return cls(frozenset(normalized_words), lexicon)

    @cached_property
    def words_by_variant(self) -> dict[str, frozenset[str]]:
        collected: dict[str, set[str]] = {}
        for form in self.corpus_forms:
            skeleton = arabic_skeleton(form)
            if len(skeleton) < MIN_SKELETON:
                continue
            for variant in _variants(skeleton):
                collected.setdefault(variant, set()).add(form)
        return {variant: frozenset(forms) for variant, forms in collected.items()}

    @cached_property
    def senses(self) -> SenseIndex | None:
        """Buckwalter's English senses of Arabic stems (``rag.glosses``), ``None`` without the lexicon."""
        lexicon = self.lexicon.get() if self.lexicon is not None else None
        return lexicon.senses if lexicon is not None else None

    def is_dictionary_word(self, name: str) -> bool:
        """Whether a capitalized word is also an ordinary English word (lemminflect's lexicon, as kept
        with the sense index; read directly without it)."""
        return self.senses.is_english_word(name) if self.senses is not None else is_dictionary_word(name)

    @cached_property
    def corpus_forms(self) -> frozenset[str]:
        """The corpus's words with their clitics off (``word_forms``)."""
        return frozenset(form for word in self.words for form in word_forms(word))

    def _spelled_otherwise(self, name: str) -> bool:
        """Whether Buckwalter's lexicon glosses the name itself ("Crimea": «قريم»), as a name Arabic
        writes, but the corpus never uses the lexicon's spelling: then an ordinary noun's spelling
        («القرم», "gnaw") may be the corpus's own spelling of it."""
        if self.senses is None:
            return False
        items = self.senses.entries.get(name.lower(), "").split()
        stems = {item.rpartition(":")[0].removeprefix(IMPERFECT_MARK) for item in items}
        return bool(stems) and not stems & self.corpus_forms

    def matches(self, name: str) -> frozenset[str]:
        """Corpus words (clitics off) that may spell the English ``name`` (see the module's notes),
        beginning with a vowel letter exactly when the name does ("Tesla" «تسلا», not «اتصال»)."""
        if name not in self._matched:
            self._matched[name] = self._find(name)
        return self._matched[name]

    def _find(self, name: str) -> frozenset[str]:
        skeleton = english_skeleton(name)
        if len(skeleton) < MIN_SKELETON or is_spelled_out(name):
            return frozenset()
        if is_acronym(name):
            limit = 0.0
        elif self.is_dictionary_word(name):
            limit = MAX_WORD_DISTANCE
        else:
            limit = MAX_LONG_DISTANCE if len(skeleton) >= LONG_SKELETON else MAX_DISTANCE
        distances = {
            form: distance
            for form in self._candidates(name, skeleton)
            if (distance := name_distance(name, form)) <= limit and self._may_spell(name, form)
        }
        if not distances:
            return frozenset()
        nearest = min(distances.values())
        found = [form for form, distance in distances.items() if distance <= nearest + NEAREST_MARGIN]
        return frozenset(found) if len(found) <= MAX_MATCHED_WORDS else frozenset()

    def _candidates(self, name: str, skeleton: str) -> set[str]:
        """Corpus words with the name's skeleton or one class away from it, beginning with a vowel
        letter exactly when the name does."""
        vowel_first = name[:1].lower() in _ENGLISH_VOWELS
        found = set()
        for variant in _variants(skeleton):
            for form in self.words_by_variant.get(variant, ()):
                other = arabic_skeleton(form)
                close = other == skeleton or (other[0] == skeleton[0] and _one_dropped(other, skeleton))
                if close and (form[:1] in _ARABIC_VOWELS) == vowel_first:
                    found.add(form)
        return found

    def _may_spell(self, name: str, form: str) -> bool:
        """False for an ordinary Arabic word (also behind the article «ال») none of whose English senses is
        the name; suffixes of a verb or a noun taken off too («بلغت» "reached" is no "Flight"), and an
        imperfect verb's prefixes («سترد» "will return" is no "START")."""
        if ARTICLE + form in self.words and not self.is_dictionary_word(name) and self._spelled_otherwise(name):
            return True
        bare = form.removeprefix(ARTICLE)
        stems = {form, lemma_stem(form), bare}
        stems |= {bare[: -len(suffix)] for suffix in SUFFIXES if bare.endswith(suffix)}
        verb = bare[1:] if bare[:1] in CONJUNCTIONS else bare
        stems |= {IMPERFECT_MARK + verb[len(prefix) :] for prefix in IMPERFECT_PREFIXES if verb.startswith(prefix)}
        senses = {sense for stem in stems for sense in self.senses.senses_of(stem)} if self.senses else set()
        lowered = name.lower()
        beginning = lowered.rstrip("aeiouy") or lowered
        return not senses or any(
            sense.startswith(beginning) and len(sense) - len(lowered) <= SENSE_ENDING for sense in senses
        )

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
