"""Who said it: questions that ask what someone said, and the speakers of the articles' sentences.

"What did Russia say about that?", «ماذا قالت روسيا؟», «ما موقف واشنطن؟», "According to Lavrov, ..."
ask for the words of a *speaker* X. A news article quotes several sides about one topic in sentences
that hold the same terms («قال متحدث ... الأميركي إن المحادثات الأميركية الروسية ستعقد» against
«أكد سيرغي ريابكوف، نائب وزير الخارجية الروسي، أن المحادثات ستعقد»); what tells them apart is who
speaks. ``asked_speaker`` reads X from the question; ``speaker_spans`` finds, in an Arabic sentence,
the words that name who speaks: those around a speech verb (قال، أكد، أعلن، صرح... in their
inflections) up to the complementizer «إن/أن» or a colon or quote that opens the words said —
after the verb (VSO: «قال متحدث باسم ... إن»), or before it when the verb is plural («رفضوا»: the
subject came first), the clause opens with «كان» («وكان وزير الخارجية الروسي سيرغي لافروف قال ... إن»)
or follows a complementizer («إن موسكو تؤكد»). When no complementizer follows within
``MAX_SPEAKER_WORDS``, the first ``SUBJECT_WORDS`` words after the verb (the subject of a VSO clause)
stand for the speaker. «بحسب/وفق/نقلا عن X» name a source the same way.

X matches a speaker when the speaker's words hold each of X's Arabic term groups, found by the
question's own term matching (``rag.term_matching``: own words for an Arabic question, the dictionary,
senses and names for an English one), a country also by its relative adjective, its capital and its
seat of government (``COUNTRIES``): «روسيا» matches «الروسي» and «موسكو». A sentence that names X only
in what is said («قال متحدث ... الأميركي إن المحادثات الأميركية الروسية») does not match.

``AskedSpeaker.speaks`` is the signal; ``rag.candidates`` brings X's statements near the retrieved
passages (``STATEMENT_REACH``) into the candidates and adds ``SPEAKER_BONUS_IN_MARGINS`` of the ranker's second-sentence
margin to the score of each sentence whose speaker is X. Only Arabic sentences have speakers here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.arabic import Language, normalize
from rag.term_matching import QuestionTermFinder, group_matches


@dataclass(frozen=True)
class Country:
    """How a question names a country and how a sentence names it as a speaker."""

    #: Names an English question uses (lowercase), when the dictionary has none or a wrong one ("US").
    english: tuple[str, ...]
    #: Names an Arabic question uses.
    arabic: tuple[str, ...]
    #: Terms that find it in a speaker's words by prefix (``rag.term_matching``): its name, its relative
    #: adjective (nisba), its capital and seat of government as metonyms («الكرملين قال»).
    terms: tuple[str, ...]


#: The countries whose relative adjective or capital a speaker is named by. No installed library gives
#: Arabic relative adjectives or capitals (CLDR names countries only), and ``rag.arabic.nisba_forms``
#: derives the adjective only from a name ending in «ا» («روسيا» → «الروسي»), not «الولايات المتحدة» →
#: «الأميركي»; so this short table, of the countries Arabic news quotes most, gives them.
COUNTRIES: tuple[Country, ...] = (
    Country(
        ("russia", "russian federation", "moscow", "kremlin"),
        ("روسيا", "موسكو", "الكرملين"),
        ("روسي", "موسكو", "كرملين"),
    ),
    Country(
        ("us", "u.s.", "usa", "united states", "america", "washington", "white house"),
        ("الولايات المتحدة", "أمريكا", "أميركا", "واشنطن", "البيت الأبيض"),
        ("ولايات المتحدة", "أمريك", "أميرك", "واشنطن", "بيت الأبيض"),
    ),
    Country(("ukraine", "kyiv", "kiev"), ("أوكرانيا", "كييف"), ("أوكران", "كييف")),
    Country(("iran", "tehran"), ("إيران", "طهران"), ("إيران", "طهران")),
    Country(("china", "beijing"), ("الصين", "بكين"), ("صين", "بكين")),
    Country(
        ("uk", "u.k.", "united kingdom", "britain", "london"),
        ("المملكة المتحدة", "بريطانيا", "لندن"),
        ("مملكة المتحدة", "بريطان", "لندن"),
    ),
    Country(("france", "paris", "elysee"), ("فرنسا", "باريس", "الإليزيه"), ("فرنس", "باريس", "إليزيه")),
    Country(("germany", "berlin"), ("ألمانيا", "برلين"), ("ألمان", "برلين")),
    Country(
        ("eu", "european union", "brussels"),
        ("الاتحاد الأوروبي", "بروكسل"),
        ("اتحاد الأوروبي", "بروكسل"),
    ),
)

#: The part of the ranker's second-sentence margin (``rag.answer_ranker``: the distance within which it
#: holds two sentences equally good and quotes both) a sentence gains when its speaker is the one asked
#: about. Hand-set, not tuned: who speaks breaks the ranker's ties, which its features cannot see, and
#: cannot lift a sentence that it ranks clearly worse. XQuAD's questions rarely ask who said what.
SPEAKER_BONUS_IN_MARGINS = 1.0
#: Statements of the asked speaker up to this many sentences before or after a retrieved passage, in its
#: article, join the candidates: the answer to "what did Russia say" often follows the passage that
#: matches the topic, where the other side spoke first.
STATEMENT_REACH = 8
#: A complementizer this many words or fewer after a speech verb closes the speaker's words.
MAX_SPEAKER_WORDS = 12
#: Without one, this many words after the verb (a VSO clause's subject) stand for the speaker.
SUBJECT_WORDS = 4
#: An Arabic question names its speaker in at most this many words after the verb.
MAX_ASKED_WORDS = 5


def _normalized(words: str) -> frozenset[str]:
    return frozenset(normalize(word) for word in words.split())


#: Speech and stance verbs (the English side asks "want" too: «يريد الرئيس الروسي ضمانات»): the past
#: tense (he) and the imperfect's stem (يقول → قول), normalized.
_SPEECH_VERBS = {
    normalize(past): normalize(stem)
    for past, stem in (
        ("قال", "قول"),
        ("أكد", "ؤكد"),
        ("أضاف", "ضيف"),
        ("أعلن", "علن"),
        ("صرح", "صرح"),
        ("أوضح", "وضح"),
        ("أشار", "شير"),
        ("شدد", "شدد"),
        ("اعتبر", "عتبر"),
        ("رأى", "رى"),
        ("نفى", "نفي"),
        ("حذر", "حذر"),
        ("تابع", "تابع"),
        ("ذكر", "ذكر"),
        ("أفاد", "فيد"),
        ("كشف", "كشف"),
        ("طالب", "طالب"),
        ("دعا", "دعو"),
        ("عرض", "عرض"),
        ("اقترح", "قترح"),
        ("رد", "رد"),
        ("رفض", "رفض"),
        ("هدد", "هدد"),
        ("أعرب", "عرب"),
        ("زعم", "زعم"),
        ("نقل", "نقل"),
        ("أقر", "قر"),
        ("اعترف", "عترف"),
        ("أراد", "ريد"),
    )
}


def _verb_forms() -> tuple[frozenset[str], frozenset[str]]:
    """The singular (he, she) and plural (they) forms of the speech verbs: قال، قالت، يقول، تقول;
    قالوا، يقولون. A verb ending in a vowel letter drops it before an ending (نفى: نفت، نفوا)."""
    singular, plural = set(), set()
    for past, stem in _SPEECH_VERBS.items():
        base = past[:-1] if past.endswith(("ي", "ا")) else past
        singular |= {past, base + "ت", "ي" + stem, "ت" + stem}
        plural |= {base + "وا", "ي" + stem + "ون", "ت" + stem + "ون"}
    return frozenset(singular), frozenset(plural)


_SINGULAR_VERBS, _PLURAL_VERBS = _verb_forms()
#: Words that open the words said: «إن/أن» with or without a pronoun, «بأن».
_COMPLEMENTIZERS = _normalized("أن إن أنه إنه أنها إنها أنهم إنهم أنهما إنهما أننا إننا بأن بأنه بأنها بأنهم")
#: Words that name a source: «بحسب X»، «وفقا لـX»، «نقلا عن X»، «على لسان X».
_SOURCE_MARKERS = _normalized("بحسب حسب وفق وفقا وفقاً نقلا نقلاً لسان")
#: Forms of «كان» that open a clause whose subject precedes its verb («وكان لافروف قال»).
_KANA = _normalized("كان كانت وكان وكانت فكان فكانت وكانوا كانوا")
#: Particles between a subject and its verb, or before a verb («وكان لافروف قد قال»، «فقد قال»).
_PARTICLES = _normalized("قد وقد فقد لقد")
#: Marks that open the words said after the speaker's (a comma does not: «أكد ريابكوف، نائب الوزير، أن»).
_OPENING_MARKS = frozenset(':"«»“”')
#: Marks that end a sentence or a clause.
_SENTENCE_MARKS = frozenset(".!?؟؛;")
_CLAUSE_MARKS = _OPENING_MARKS | _SENTENCE_MARKS | frozenset("،,")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _forms(token: str) -> tuple[str, str]:
    """A normalized token, and the token without a leading «و» or «ف» (verbs take no other clitic)."""
    return token, token[1:] if token[:1] in "وف" and len(token) > 3 else token


def _is_source_marker(token: str) -> bool:
    return any(form in _SOURCE_MARKERS for form in _forms(token))


def _verb_number(token: str) -> str | None:
    """``singular`` or ``plural`` when ``token`` (normalized) is a speech verb, with or without «و/ف»."""
    for form in _forms(token):
        if form in _SINGULAR_VERBS:
            return "singular"
        if form in _PLURAL_VERBS:
            return "plural"
    return None


@lru_cache(maxsize=8192)
def speaker_spans(sentence: str) -> tuple[str, ...]:
    """The words (normalized) naming who speaks at each speech verb or source marker of ``sentence``."""
    tokens = _TOKEN.findall(normalize(sentence))
    spans = []
    for at, token in enumerate(tokens):
        number = "source" if _is_source_marker(token) else _verb_number(token)
        if number is None:
            continue
        words = _subject_before(tokens, at) if number != "source" else []
        if number != "plural":
            words += _words_after(tokens, at, number == "source")
        if words:
            spans.append(" ".join(words))
    return tuple(spans)


def _subject_before(tokens: list[str], verb: int) -> list[str]:
    """The words before a verb, back to its clause's start, when they are its subject: the verb is plural,
    the clause opens with «كان», or it follows a complementizer."""
    start = verb
    while start > 0 and verb - start < MAX_SPEAKER_WORDS:
        previous = tokens[start - 1]
        if previous in _CLAUSE_MARKS or previous in _COMPLEMENTIZERS or _verb_number(previous):
            break
        start -= 1
    words = [t for t in tokens[start:verb] if t not in _PARTICLES and t not in _KANA and t[0].isalnum()]
    opened_by = tokens[start - 1] if start > 0 else ""
    if _verb_number(tokens[verb]) == "plural" or tokens[start] in _KANA or opened_by in _COMPLEMENTIZERS:
        return words
    return []


def _words_after(tokens: list[str], verb: int, source: bool) -> list[str]:
    """The speaker's words after a verb: up to a complementizer, colon or quote within
    ``MAX_SPEAKER_WORDS``, else its first ``SUBJECT_WORDS`` words; after a source marker, up to a
    comma or the end of those words."""
    words: list[str] = []
    for token in tokens[verb + 1 :]:
        if token in _COMPLEMENTIZERS or token in _OPENING_MARKS or (source and token in _CLAUSE_MARKS):
            return words[:SUBJECT_WORDS] if source else words
        if _verb_number(token) or token in _SENTENCE_MARKS or len(words) == MAX_SPEAKER_WORDS:
            break
        if token[0].isalnum() and token not in _PARTICLES:
            words.append(token)
    return words[:SUBJECT_WORDS]


@dataclass(frozen=True)
class AskedSpeaker:
    """The speaker a question asks about, as Arabic term groups a speaker's words must all hold."""

    groups: tuple[frozenset[str], ...]

    def speaks(self, sentence: str) -> bool:
        """Whether someone matching the asked speaker speaks in ``sentence``."""
        return any(all(group_matches(g, span) for g in self.groups) for span in speaker_spans(sentence))


_ENGLISH_SPEECH = (
    r"say|said|says|announced?|confirm(?:ed)?|warn(?:ed)?|offer(?:ed)?|propose[d]?|demand(?:ed)?|state[d]?|"
    r"claim(?:ed)?|den(?:y|ied)|insist(?:ed)?|repl(?:y|ied)|respond(?:ed)?|react(?:ed)?|answer(?:ed)?|tell|"
    r"told|declare[d]?|stress(?:ed)?|add(?:ed)?|suggest(?:ed)?|threaten(?:ed)?|argue[d]?|ask(?:ed)?|"
    r"request(?:ed)?|reveal(?:ed)?|note[d]?|think|want(?:ed)?|reject(?:ed)?|promise[d]?|accuse[d]?|call for"
)
_ENGLISH_STANCE = r"response|reaction|reply|answer|position|stance|views?|statements?|message|demands?|proposals?|offer"
_ENGLISH_ASKED = (
    re.compile(
        r"\b(?:what|how)\s+(?:did|does|do|has|have|had|will|would|could|can)\s+"
        rf"(?P<x>[^?,.;]+?)\s+(?-i:{_ENGLISH_SPEECH})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:what|how)\s+(?:is|was|are|were)\s+(?P<x>[^?,.;]+?)['’]s?\s+(?:{_ENGLISH_STANCE})\b", re.IGNORECASE
    ),
    re.compile(
        rf"\b(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:{_ENGLISH_STANCE})\s+of\s+"
        r"(?P<x>[^?,.;]+?)(?=\s+(?:on|to|about|regarding|towards?|over)\b|[?,.;]|$)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\baccording\s+to\s+(?P<x>[^?,.;]+?)(?=\s+(?:what|when|where|who|why|how|which|did|does|is|was|will)\b"
        r"|[?,.;]|$)",
        re.IGNORECASE,
    ),
)
_PRONOUNS = _normalized("he she it they them that this those these you we i him her")
#: Arabic question words before a speech verb or a stance noun (with dialect forms: شو، ايش، شنو).
_ARABIC_ASKING = _normalized("ماذا بماذا عما ما شو ايش إيش اش وش شنو ايه كيف بم")
#: Words between the question word and the verb («ما الذي أكده»، «ما هو موقف»).
_ARABIC_RELATIVES = _normalized("الذي التي هو هي")
#: Nouns asking for a stance («ما موقف X»، «ما رد فعل X»، «ما تصريحات X»).
_ARABIC_STANCE = _normalized("موقف رد تصريح تصريحات رأي مطالب")
#: Words that end the speaker's name in an Arabic question («ماذا قالت روسيا عن ...»، «ماذا قال بوتين إنه
#: سيفعل»، «مطالب بوتين التي ...»).
_ARABIC_STOPS = _COMPLEMENTIZERS | _normalized(
    "عن بشأن حول في من على إلى حيال تجاه إزاء بخصوص مع بعد قبل خلال لدى اليوم أمس الذي التي الذين إذا لم لن"
)
#: A preposition with a pronoun between a verb and its subject («ما الذي دعا إليه لوثر»), skipped.
_ARABIC_PREPOSITION_PRONOUNS = _normalized("إليه إليها إليهم عليه عليها عنه عنها فيه فيها به بها له لها")
_OBJECT_PRONOUN = re.compile(r"(?<=..)(ته|ها|ه)$")


def _without_object(verb: str) -> str:
    """A verb without the object pronoun a relative clause gives it («الذي أكده» → «أكد»)."""
    return _OBJECT_PRONOUN.sub("", verb)


def _english_speaker(question: str) -> tuple[int, int] | None:
    """Where an English question names the speaker it asks about (not a pronoun), if it asks one."""
    for pattern in _ENGLISH_ASKED:
        match = pattern.search(question)
        if match and match.group("x").strip().lower() not in _PRONOUNS:
            return match.span("x")
    return None


def _arabic_speaker(question: str) -> str | None:
    """The words (normalized) naming the speaker an Arabic question asks about, if it asks one: after a
    question word and a speech verb or stance noun, or after a source marker («بحسب X»)."""
    tokens = _TOKEN.findall(normalize(question))
    for at, token in enumerate(tokens):
        if token not in _ARABIC_ASKING and not (token[:1] in "وف" and token[1:] in _ARABIC_ASKING):
            if _is_source_marker(token):
                return _arabic_name(tokens[at + 1 :])
            continue
        rest = tokens[at + 1 :]
        while rest and rest[0] in _ARABIC_RELATIVES:
            rest = rest[1:]
        if rest and (rest[0] in _ARABIC_STANCE or _verb_number(rest[0]) or _verb_number(_without_object(rest[0]))):
            named = rest[2:] if rest[:2] == ["رد", "فعل"] else rest[1:]
            return _arabic_name(named)
    return None


def _arabic_name(tokens: list[str]) -> str | None:
    """The first words of ``tokens`` up to a preposition, relative pronoun or mark."""
    while tokens and tokens[0] in _ARABIC_PREPOSITION_PRONOUNS:
        tokens = tokens[1:]
    name = []
    for token in tokens[:MAX_ASKED_WORDS]:
        if token in _ARABIC_STOPS or token in _ARABIC_PREPOSITION_PRONOUNS or not token[0].isalnum():
            break
        name.append(token)
    return " ".join(name) or None


def asked_speaker(finder: QuestionTermFinder, question: str, language: Language) -> AskedSpeaker | None:
    """The speaker ``question`` asks about, ``None`` for a question that asks no one's words (or one
    whose speaker has no Arabic terms): "What did Russia say", «ماذا قالت موسكو», «ما موقف واشنطن»."""
    if language == "en":
        span = _english_speaker(question)
        if span is None:
            return None
        # The name as a question's subject: alone, a name opening the text reads as a capitalized first
        # word (``rag.names``); "what did" are words the dictionary skips.
        name, countries = _countries_named(question[span[0] : span[1]], language)
        text = f"What did {name}"
    else:
        text = _arabic_speaker(question)
        if text is None:
            return None
        text, countries = _countries_named(text, language)
    groups = [g for g, _ in finder.find(text, language).weighted] if text.strip() else []
    groups = [_with_countries(group) for group in groups] + [c.terms for c in countries]
    return AskedSpeaker(tuple(dict.fromkeys(groups))) if groups else None


def _countries_named(name: str, language: Language) -> tuple[str, list[_CountryForms]]:
    """The countries ``name`` names, and ``name`` without those names."""
    found = []
    name = name if language == "en" else normalize(name)
    for country in _COUNTRY_FORMS:
        pattern = country.english_pattern if language == "en" else country.arabic_pattern
        name, named = pattern.subn(" ", name)
        if named:
            found.append(country)
    return name, found


def _with_countries(group: frozenset[str]) -> frozenset[str]:
    """A term group with the terms of the country it names («روسي» with «موسكو»), if any."""
    for forms in _COUNTRY_FORMS:
        if any(group_matches(forms.terms, term) for term in group):
            return group | forms.terms
    return group


@dataclass(frozen=True)
class _CountryForms:
    """A country's names as patterns that find them in a question, and its speaker terms normalized."""

    english_pattern: re.Pattern[str]
    arabic_pattern: re.Pattern[str]
    terms: frozenset[str]

    @classmethod
    def of(cls, country: Country) -> _CountryForms:
        english = "|".join(re.escape(n) for n in country.english)
        arabic = "|".join(re.escape(normalize(n)) for n in country.arabic)
        return cls(
            re.compile(rf"(?<![\w.])(?:the\s+)?(?:{english})(?:['’]s)?(?![\w])", re.IGNORECASE),
            re.compile(rf"(?<!\w)[وف]?(?:{arabic})(?!\w)"),
            frozenset(normalize(t) for t in country.terms),
        )


_COUNTRY_FORMS = tuple(_CountryForms.of(country) for country in COUNTRIES)
