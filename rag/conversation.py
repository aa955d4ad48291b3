"""Read a follow-up question in the context of the conversation before it.

"And the military exercises?", "ومتى ستعقد؟" or "What did Russia say about that?" lean on the turn
before: alone, they retrieve the wrong passages. A follow-up is *resolved* by adding the content words
of the previous (resolved) question that it does not already contain; the resolved text is what is
retrieved and matched, while the answer stays in the language of the question as asked.

Only a question that is not self-contained is resolved, so that a question standing on its own is
never disturbed by the turns before it. A question leans on the conversation when it refers back
(a pronoun or demonstrative: "that", "they", «ذلك», «عنها»), when it names at most
``MAX_CONTEXT_FREE_WORDS`` content words, or when it opens as a continuation ("and ...", "what about
...", «و»/«ف» glued to a question word or a definite noun) naming at most ``MAX_CONTINUATION_WORDS``.
A continuation that names more is read alone first, and in context only if alone it finds no answer.
The method was chosen by measurement on the conversation set (tests/questions/conversations.jsonl):
see README "Follow-up questions".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.arabic import Language, detect_language, normalize, words


def _word_set(text: str) -> frozenset[str]:
    """The normalized forms of the words of ``text`` (the lists below)."""
    return frozenset(normalize(word) for word in text.split())


#: A question with this many content words or fewer cannot stand alone ("Where?", «ومتى ستعقد؟»).
MAX_CONTEXT_FREE_WORDS = 1
#: A question opening as a continuation ("And ...", «و...») names its own subject past this many
#: content words ("And what does Moscow consider a red line?").
MAX_CONTINUATION_WORDS = 3

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
_ENGLISH_OPENERS = ("and ", "but ", "so ", "also ", "what about ", "how about ", "and what ", "then ")
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
#: A first word with a leading «و» or «ف» before a question word or a definite noun continues the turn before.
_ARABIC_CONJUNCTIONS = ("و", "ف")
_WRITTEN_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


Reading = Literal["alone", "in_context", "either"]


@dataclass(frozen=True)
class ResolvedQuestion:
    """The question as asked, and what is retrieved for it (``text`` equals ``asked`` when it stands
    alone). When ``tentative``, the question names its own subject but opens as a continuation: it is
    read alone first, and in context only if alone the engine would abstain."""

    asked: str
    text: str
    language: Language
    tentative: bool = False

    @property
    def in_context(self) -> bool:
        return self.text != self.asked


#: ``gated``: resolve only questions that are not self-contained; ``always``: every follow-up;
#: ``off``: never (each question alone). Kept selectable to re-run the measurement.
FOLLOW_UP_MODES = ("gated", "always", "off")


def resolve(question: str, history: Sequence[str], mode: str = "gated") -> ResolvedQuestion:
    """``question`` read in the context of ``history`` (the earlier questions, oldest first)."""
    previous = ""
    for earlier in history if mode != "off" else ():
        previous = _resolve_one(earlier, previous, mode).text
    return _resolve_one(question, previous, mode)


def _resolve_one(question: str, previous: str, mode: str) -> ResolvedQuestion:
    language = detect_language(question)
    reading = reading_of(question) if mode == "gated" else "in_context"
    if not previous or reading == "alone":
        return ResolvedQuestion(question, question, language)
    own = set(words(question))
    carried = [w for w in dict.fromkeys(content_words(previous)) if normalize(w) not in own]
    if not carried:
        return ResolvedQuestion(question, question, language)
    return ResolvedQuestion(question, f"{question} {' '.join(carried)}", language, reading == "either")


def reading_of(question: str) -> Reading:
    """``in_context`` when ``question`` refers back or names (almost) nothing of its own, ``either``
    when it opens as a continuation but names its own subject, else ``alone``."""
    tokens = words(question)
    named = len(content_words(question))
    if any(t in _ENGLISH_REFERRING or t in _ARABIC_REFERRING for t in tokens) or named <= MAX_CONTEXT_FREE_WORDS:
        return "in_context"
    continues = " ".join(tokens).startswith(_ENGLISH_OPENERS) or (tokens and _continues_in_arabic(tokens[0]))
    if continues:
        return "in_context" if named <= MAX_CONTINUATION_WORDS else "either"
    return "alone"


def _continues_in_arabic(first: str) -> bool:
    """«ومتى», «وماذا», «والتدريبات», «فهل»: a conjunction glued to a question word or a definite noun."""
    if len(first) < 3 or not first.startswith(_ARABIC_CONJUNCTIONS):
        return False
    rest = first[1:]
    return rest in _ARABIC_QUESTION_WORDS or rest.startswith("ال")


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
