"""Read a follow-up question in the context of the conversation before it.

"And the military exercises?", "ومتى ستعقد؟" or "What did Russia say about that?" lean on the turn
before: alone, they retrieve the wrong passages. A follow-up is *resolved* by adding the content words
of the previous (resolved) question that it does not already contain. The engine then answers it twice:
alone, and *in context*, where the resolved text is what is retrieved.

Which of the two answers is given (``prefer_in_context``): the in-context one when the question leans on
the conversation — it refers back (a pronoun or demonstrative: "that", "they", «ذلك», «عنها») and names
at most ``MAX_REFERRING_WORDS`` content words, names at most ``MAX_CONTEXT_FREE_WORDS``, or has no
question word ("And the military exercises?") — and in context it does not abstain. Such a question
means the resolved text, and is answered for it. A question that names its own subject is answered in
context for its own words, so that the carried words cannot by themselves make the engine answer ("What
is the capital of Australia?" after a question about the talks), and that answer is kept only when it
quotes other sentences, is clearly more confident (``CONFIDENCE_GAIN``), its cited passages hold the
question's own terms (``OWN_COVERAGE``) and its quotes keep them: the confidence in context can come
from the carried words alone, so an answer whose best quoted sentence holds a share of the question's
own terms smaller than the best quote alone by ``OWN_TERMS_LOSS`` or more answers the conversation's
earlier question, not this one. The three numbers were chosen on conversations made from XQuAD's tuning
half and reported on its report half and on the conversation sets: ``python -m benchmarks.follow_ups``
(see benchmarks/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer import Answer
from rag.arabic import Language, detect_language, normalize, word_forms, words
from rag.term_matching import WeightedTerms, matched_share


def _word_set(text: str) -> frozenset[str]:
    """The normalized forms of the words of ``text`` (the lists below)."""
    return frozenset(normalize(word) for word in text.split())


#: A question with this many content words or fewer cannot stand alone ("Where?", «ومتى ستعقد؟»).
MAX_CONTEXT_FREE_WORDS = 1
#: A question that refers back ("that", «عنها») leans on the conversation only when it names at most
#: this many content words; one that names more names its own subject. Chosen on the XQuAD tuning
#: half (benchmarks/follow_ups.py); 99 would make every referring question lean.
MAX_REFERRING_WORDS = 4
#: A question that names its own subject is read in context only when the in-context answer's
#: margin of answerability probability over its threshold exceeds the answer alone's by this much ...
CONFIDENCE_GAIN = 0.15
#: ... and one of its cited passages holds this IDF-weighted share of the question's own terms ...
OWN_COVERAGE = 0.2
#: ... and its best quoted sentence holds a share of them less than this below the answer alone's.
#: All three chosen on the XQuAD tuning half (benchmarks/follow_ups.py).
OWN_TERMS_LOSS = 0.2

_ENGLISH_FUNCTION_WORDS = _word_set(
    """
    a about according all also an and any are article articles as at be been being but by can could
    did do does done else for from had has have he her here him his how i if in into is it its just
    many may me might more most much must my no not of on only or other our over please said say
    says shall she should so some such tell than that the their them then there these they this
    those to told too under us very was we were what when where whether which who whom whose why
    will with would yes you your
    """
)
_ENGLISH_REFERRING = _word_set(
    """
    he her him his it its she such that their them then there these they this those
    """
)
_ENGLISH_QUESTION_WORDS = _word_set("how what when where which who whom whose why")
_ENGLISH_AUXILIARIES = _word_set(
    "am are can could did do does had has have is may might must shall should was were will would"
)
_ARABIC_QUESTION_WORDS = _word_set("اي اين عما كم كيف لم لماذا لمن ما ماذا متي مما من هل")
_ARABIC_FUNCTION_WORDS = _ARABIC_QUESTION_WORDS | _word_set(
    """
    التي الذي الذين اللتان اللذان المقال المقالات الي ان انه او ايضا بشان بعد بعض بين تقول تكون تلك
    ثم حتي حسب حول خلال دون ذلك سوي ضد علي عن عند غير في قال قالت قبل قد كان كانت كل لا لن مع منذ
    هذا هذه هم هن هنا هناك هو هولاء هي وفق يقول يكون
    """
)
_ARABIC_REFERRING = _word_set(
    """
    اليه اليها اليهم بشانه بشانها به بها بهم تلك حوله حولها ذلك عليه عليها عليهم عنه عنها عنهم فيه
    فيها فيهم له لها لهم معه معها معهم منه منها منهم هذا هذه هناك هولاء
    """
)
#: A leading «و» or «ف» glued to a function word («وماذا», «فهل») leaves a function word.
_ARABIC_CONJUNCTIONS = ("و", "ف")
_WRITTEN_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


@dataclass(frozen=True)
class ResolvedQuestion:
    """The question as asked, and what is retrieved for it in context (``text`` equals ``asked`` when
    there is no context to add). ``leans`` when the question cannot stand alone."""

    asked: str
    text: str
    language: Language
    leans: bool = False

    @property
    def in_context(self) -> bool:
        return self.text != self.asked


#: ``gated``: choose between the answer alone and in context (``prefer_in_context``); ``always``: every
#: follow-up in context; ``off``: never (each question alone). Kept selectable to re-run the measurement.
FOLLOW_UP_MODES = ("gated", "always", "off")


def resolve(question: str, history: Sequence[str], mode: str = "gated") -> ResolvedQuestion:
    """``question`` read in the context of ``history`` (the earlier questions, oldest first). An earlier
    question is carried into the next one resolved when it leans on the one before it."""
    previous = ""
    for earlier in history if mode != "off" else ():
        resolved = _resolve_one(earlier, previous)
        previous = resolved.text if resolved.leans or mode == "always" else earlier
    return _resolve_one(question, previous)


def _resolve_one(question: str, previous: str) -> ResolvedQuestion:
    language = detect_language(question)
    leans = leans_on_context(question)
    own = set(words(question))
    carried = [w for w in dict.fromkeys(content_words(previous)) if normalize(w) not in own]
    if not carried:
        return ResolvedQuestion(question, question, language, leans)
    return ResolvedQuestion(question, f"{question} {' '.join(carried)}", language, leans)


def leans_on_context(question: str) -> bool:
    """Whether ``question`` refers back (a pronoun or demonstrative), names (almost) nothing of its
    own, or is a fragment without a question word ("And the military exercises?", «وعن الأمن الأوروبي؟»)."""
    tokens = words(question)
    refers = any(t in _ENGLISH_REFERRING or t in _ARABIC_REFERRING for t in tokens)
    named = len(content_words(question))
    return (refers and named <= MAX_REFERRING_WORDS) or named <= MAX_CONTEXT_FREE_WORDS or not _asks(tokens)


def _asks(tokens: list[str]) -> bool:
    """Whether the question holds a question word, or opens with an auxiliary verb ("Will ...")."""
    if tokens and tokens[0] in _ENGLISH_AUXILIARIES:
        return True
    return any(t in _ENGLISH_QUESTION_WORDS or word_forms(t) & _ARABIC_QUESTION_WORDS for t in tokens)


def prefer_in_context(
    resolved: ResolvedQuestion,
    alone: Answer,
    in_context: Answer,
    own_terms: WeightedTerms,
    gain: float = CONFIDENCE_GAIN,
    coverage: float = OWN_COVERAGE,
    loss: float = OWN_TERMS_LOSS,
) -> bool:
    """Whether to give the answer read in context rather than the one alone (see the module's text);
    ``own_terms`` are the asked question's weighted terms. ``gain``, ``coverage`` and ``loss`` are the
    tuned numbers, given otherwise only to re-run their choice (benchmarks/follow_ups.py)."""
    if not resolved.in_context or in_context.abstained:
        return False
    if resolved.leans:
        return True
    if quoted_sentences(in_context) == quoted_sentences(alone):
        return False  # nothing changes: the question stays read alone
    margin_gain = (in_context.confidence - in_context.threshold) - (alone.confidence - alone.threshold)
    if margin_gain < gain or own_coverage(own_terms, in_context) < coverage:
        return False
    return quoted_coverage(own_terms, alone) - quoted_coverage(own_terms, in_context) < loss


def quoted_sentences(answer: Answer) -> list[tuple[str | None, int | None, int | None]]:
    """Where each sentence ``answer`` quotes stands in its article."""
    return [(s.doc_id, s.start, s.end) for s in answer.sentences if s.role == "quote"]


def own_coverage(own_terms: WeightedTerms, answer: Answer) -> float:
    """The largest IDF-weighted share of the question's own terms found in one passage ``answer`` cites."""
    return max((matched_share(own_terms, c.text) for c in answer.citations), default=0.0)


def quoted_coverage(own_terms: WeightedTerms, answer: Answer) -> float:
    """The largest IDF-weighted share of the question's own terms found in one sentence ``answer`` quotes
    (0 for an answer that quotes nothing)."""
    return max((matched_share(own_terms, s.text) for s in answer.quotes), default=0.0)


def content_words(text: str) -> list[str]:
    """The words of ``text`` as written that name something: function and question words left out,
    also with a leading conjunction «و»/«ف» (compared after Arabic normalization)."""
    kept = []
    for written in _WRITTEN_WORD.findall(text):
        word = normalize(written)
        if (
            len(word) >= 2
            and word not in _ENGLISH_FUNCTION_WORDS
            and word not in _ARABIC_FUNCTION_WORDS
            and not (word.startswith(_ARABIC_CONJUNCTIONS) and word[1:] in _ARABIC_FUNCTION_WORDS)
        ):
            kept.append(written)
    return kept
