"""Follow-up questions on XQuAD: does reading a question in the context of the one before help a
follow-up, and leave a question that stands alone undisturbed?

XQuAD has no conversations, so they are made from its questions (tuning half to choose the rule,
report half to report it), each asked in English and in Arabic:

- ``follow_up``: two questions about the same paragraph; in the second, the longest run of words it
  shares with the first is replaced by "it" (English) or dropped (Arabic), as a user who has just
  named the subject would ("Where did Super Bowl 50 take place?" after a question about Super Bowl
  50 becomes "Where did it take place?"). Passes when an answer cites the gold answer.
- ``standalone``: a question preceded by one about another article. Passes as above.
- ``same_topic``: a question, as written, preceded by one about another paragraph of the same
  article: it names its own subject, and the conversation's topic is near enough to pull the answer
  in context towards the earlier question ("And what does Moscow consider a red line?" after
  questions about the talks). Passes as above.
- ``unanswerable``: a question about an article left out of the index, preceded by an answerable
  one. Passes when the engine abstains.

Each item is asked alone and in context (``follow_up="always"``); both answers' confidences and the
question's self-containedness are dumped, and the rule of ``rag/conversation.py`` is applied to them.
Which questions lean (``MAX_REFERRING_WORDS``) also decides how the engine composes an answer in
context, so the tuning half is read once for each number tried; the rule's other numbers are chosen
with each, and the best of all on the tuning half is reported beside the shipped ones on both halves.

Run: ``.venv/bin/python -m benchmarks.follow_ups`` (writes ``benchmarks/results/follow_ups.json``).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.common import WORK_DIR, log, write_result
from benchmarks.corpus import LANGUAGES, load_default_xquad, open_engine
from benchmarks.quality import contains_gold
from benchmarks.xquad import Question, XQuAD
from rag import PROJECT_ROOT, Answer, Engine, conversation, load_cases, run_eval
from rag.arabic import normalize, word_stem
from rag.conversation import (
    CONFIDENCE_GAIN,
    FOLLOW_UP_MODES,
    OWN_COVERAGE,
    OWN_TERMS_LOSS,
    ResolvedQuestion,
    content_words,
    prefer_in_context,
    resolve,
)
from rag.term_matching import WeightedTerms

#: Items of each kind per language and half.
ITEMS_PER_KIND = 120
SEED = 20261127
#: A word found in fewer than this share of XQuAD's questions names a topic (``topical_words``).
TOPICAL_SHARE = 0.02
ARTICLES = {"the", "a", "an"}
KINDS = ("follow_up", "standalone", "unanswerable", "same_topic")
#: The numbers tried for ``rag.conversation``'s CONFIDENCE_GAIN, OWN_COVERAGE and OWN_TERMS_LOSS
#: (a loss of 9 or more never refuses).
GAIN_GRID = (-1.0, -0.05, 0.0, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 9.0)
COVERAGE_GRID = (0.0, 0.1, 0.2, 0.3, 0.4)
LOSS_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 9.0)
#: The numbers tried for ``rag.conversation``'s MAX_REFERRING_WORDS, each with its own reading of the
#: tuning half (the largest makes every question that refers back lean, the rule before it).
REFERRING_GRID = (2, 3, 4, 5, 6, 8, 99)
#: The numbers of a rule: (confidence gain, own coverage, own terms loss).
Numbers = tuple[float, float, float]
NUMBER_NAMES = ("confidence_gain", "own_coverage", "own_terms_loss")
#: ``article % 4``: (answerable articles, articles left out of the index) of each half. The tuning
#: half is articles with an even index (benchmarks/train_answer_ranker.py).
HALVES = {"tuning": (0, 2), "report": (1, 3)}
CONVERSATION_SETS = {
    "conversations": PROJECT_ROOT / "tests" / "questions" / "conversations.jsonl",
    "conversations_heldout": PROJECT_ROOT / "benchmarks" / "questions" / "conversations_heldout.jsonl",
}
_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*|[^\w\s]")


@dataclass(frozen=True)
class Item:
    kind: str
    language: str
    previous: str
    question: str
    gold: Question


def _key(word: str) -> str:
    return word_stem(normalize(word))


def elided(follow_up: str, previous: str, language: str, topical: set[str]) -> str | None:
    """``follow_up`` with its longest run of ``topical`` words shared with ``previous`` (with the
    function words between them) replaced by "it" in English or dropped in Arabic; ``None`` when
    they share no topical word or nothing would be left."""
    shared = {_key(w) for w in content_words(previous)} & topical
    content = {_key(w) for w in content_words(follow_up)}
    tokens = _TOKEN.findall(follow_up)
    best: tuple[int, int, int] = (0, 0, 0)
    start = None
    count = 0
    for i, token in enumerate([*tokens, "?"]):
        key = _key(token)
        if key in shared and key in content:
            start = i if start is None else start
            count += 1
            if count > best[0]:
                best = (count, start, i + 1)
        elif not (start is not None and token.isalpha() and key not in content):
            start, count = None, 0
    count, start, end = best
    if not count:
        return None
    if start and tokens[start - 1].lower() in ARTICLES:
        start -= 1
    kept = [*tokens[:start], *(["it"] if language == "en" else []), *tokens[end:]]
    if len([t for t in kept if t.isalpha()]) < 2 or not content_words(" ".join(kept)):
        return None
    return re.sub(r"\s+([?؟.,،])", r"\1", " ".join(kept))


def topical_words(questions: list[Question], language: str) -> set[str]:
    """Content words (as keys) found in fewer than ``TOPICAL_SHARE`` of the questions: the names of
    things ("Panthers", «الأمازون»), not of kinds of question ("year", «عدد»)."""
    counts: dict[str, int] = {}
    for question in questions:
        for key in {_key(w) for w in content_words(question.text(language))}:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count < TOPICAL_SHARE * len(questions)}


def make_items(data: XQuAD, answerable: int, left_out: int, rng: random.Random) -> list[Item]:
    questions = [q for q in data.questions if q.article % 4 == answerable]
    unanswerable = [q for q in data.questions if q.article % 4 == left_out]
    by_doc: dict[str, list[Question]] = {}
    for question in questions:
        by_doc.setdefault(question.doc_id, []).append(question)
    items: list[Item] = []
    for language in LANGUAGES:
        topical = topical_words(data.questions, language)
        follow_ups = []
        for group in by_doc.values():
            for first in group:
                for second in group:
                    text = (
                        elided(second.text(language), first.text(language), language, topical)
                        if first != second
                        else None
                    )
                    if text:
                        follow_ups.append(Item("follow_up", language, first.text(language), text, second))
        items += rng.sample(follow_ups, min(ITEMS_PER_KIND, len(follow_ups)))
        for question in rng.sample(questions, ITEMS_PER_KIND):
            other = rng.choice([q for q in questions if q.article != question.article])
            items.append(Item("standalone", language, other.text(language), question.text(language), question))
        for question in rng.sample(unanswerable, ITEMS_PER_KIND):
            other = rng.choice(questions)
            items.append(Item("unanswerable", language, other.text(language), question.text(language), question))
    return items + same_topic_items(questions, random.Random(SEED + 1))


def same_topic_items(questions: list[Question], rng: random.Random) -> list[Item]:
    """Questions preceded by one about another paragraph of their article, in each language (drawn
    apart from the other kinds, which stay the items they were before this kind was added)."""
    items = []
    for language in LANGUAGES:
        for question in rng.sample(questions, ITEMS_PER_KIND):
            near = [q for q in questions if q.article == question.article and q.doc_id != question.doc_id]
            other = rng.choice(near)
            items.append(Item("same_topic", language, other.text(language), question.text(language), question))
    return items


@dataclass(frozen=True)
class Readings:
    """One item's answers alone and in context, reduced to what the rule and the pass rule need."""

    kind: str
    language: str
    passed_alone: bool
    passed_in_context: bool
    resolved: ResolvedQuestion
    alone: Answer
    in_context: Answer
    own_terms: WeightedTerms

    def passes(self, numbers: Numbers) -> bool:
        chosen = prefer_in_context(self.resolved, self.alone, self.in_context, self.own_terms, *numbers)
        return self.passed_in_context if chosen else self.passed_alone


def passed(item: Item, answer: Answer) -> bool:
    if item.kind == "unanswerable":
        return answer.abstained
    return not answer.abstained and any(contains_gold(c.text, item.gold) for c in answer.citations)


def read_half(data: XQuAD, base: Engine | None, half: str) -> tuple[Engine, list[Readings]]:
    """Every item of ``half`` asked alone (``follow_up="off"``) and in context (``always``)."""
    answerable, left_out = HALVES[half]
    paragraphs = [p for p in data.paragraphs if p.article % 4 != left_out]
    engine = open_engine(paragraphs, f"follow_ups_{half}", base)
    alone_engine, always = engine.with_settings(follow_up="off"), engine.with_settings(follow_up="always")
    terms = engine.components().composer.terms
    readings = []
    for item in make_items(data, answerable, left_out, random.Random(SEED)):
        alone = alone_engine.ask(item.question)
        in_context = always.ask(item.question, history=[item.previous])
        own_terms = terms.find(item.question, alone.language).weighted
        resolved = resolve(item.question, [item.previous])
        readings.append(
            Readings(
                item.kind,
                item.language,
                passed(item, alone),
                passed(item, in_context),
                resolved,
                alone,
                in_context,
                own_terms,
            )
        )
    log(f"{half}: {len(readings)} items")
    return engine, readings


def pass_rates(readings: list[Readings], passes: Callable[[Readings], bool]) -> dict[str, dict[str, float]]:
    """Share of ``readings`` that ``passes``, per kind and language."""
    rates: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        rates[kind] = {}
        for language in LANGUAGES:
            chosen = [passes(r) for r in readings if r.kind == kind and r.language == language]
            rates[kind][language] = round(sum(chosen) / len(chosen), 4)
    return rates


def rule(numbers: Numbers) -> Callable[[Readings], bool]:
    """Whether an item passes when ``rag.conversation``'s rule is set to ``numbers``."""
    return lambda readings: readings.passes(numbers)


def mean_rate(rates: dict[str, dict[str, float]]) -> float:
    return round(
        sum(v for by_language in rates.values() for v in by_language.values()) / (len(KINDS) * len(LANGUAGES)), 4
    )


def choose_numbers(readings: list[Readings]) -> Numbers:
    """The (gain, coverage, loss) with the best mean pass rate over kinds and languages; ties go to
    the smaller numbers, in that order (a smaller gain or coverage refuses fewer answers in context,
    a smaller loss more of those that drop the question's own words)."""
    grid = [(g, c, loss) for g in GAIN_GRID for c in COVERAGE_GRID for loss in LOSS_GRID]
    return max(grid, key=lambda p: (mean_rate(pass_rates(readings, rule(p))), -p[0], -p[1], -p[2]))


def conversation_sets(engine: Engine) -> dict:
    """The conversation sets' pass counts per language of the last turn, with each way of reading."""
    results: dict = {}
    for name, path in CONVERSATION_SETS.items():
        cases = load_cases(path)
        results[name] = {}
        for mode in FOLLOW_UP_MODES:
            report = run_eval(engine.with_settings(follow_up=mode), cases)
            counts = {
                language: f"{sum(r.passed for r in report.results if r.case.lang == language)}/"
                f"{sum(r.case.lang == language for r in report.results)}"
                for language in LANGUAGES
            }
            failed = [r.case.id for r in report.results if not r.passed]
            results[name][mode] = {**counts, "failed": failed}
            log(f"{name} {mode}: {counts} failed {failed}")
    return results


@contextmanager
def referring_words(count: int) -> Iterator[None]:
    """``rag.conversation.MAX_REFERRING_WORDS`` set to ``count`` while the engine answers: it decides
    which questions lean, and so how the engine composes an answer in context, not only which is kept."""
    shipped = conversation.MAX_REFERRING_WORDS
    conversation.MAX_REFERRING_WORDS = count
    try:
        yield
    finally:
        conversation.MAX_REFERRING_WORDS = shipped


def rates_of(readings: list[Readings], passes: Callable[[Readings], bool]) -> dict:
    rates = pass_rates(readings, passes)
    return {"mean": mean_rate(rates), **rates}


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    base = None
    tuning: dict[int, list[Readings]] = {}
    for count in REFERRING_GRID:
        with referring_words(count):
            base, tuning[count] = read_half(data, base, "tuning")
    numbers = {count: choose_numbers(readings) for count, readings in tuning.items()}
    best = {count: mean_rate(pass_rates(tuning[count], rule(numbers[count]))) for count in REFERRING_GRID}
    chosen_count = max(REFERRING_GRID, key=lambda count: (best[count], -count))
    shipped_count, every_count = conversation.MAX_REFERRING_WORDS, max(REFERRING_GRID)
    shipped = (CONFIDENCE_GAIN, OWN_COVERAGE, OWN_TERMS_LOSS)
    report: dict[int, list[Readings]] = {}
    for count in dict.fromkeys([shipped_count, chosen_count, every_count]):
        with referring_words(count):
            base, report[count] = read_half(data, base, "report")
    #: Each way of reading: the MAX_REFERRING_WORDS its readings were made with, and its pass rule.
    ways: dict[str, tuple[int, Callable[[Readings], bool]]] = {
        "alone (off)": (shipped_count, lambda r: r.passed_alone),
        "always in context (always)": (shipped_count, lambda r: r.passed_in_context),
        "in context only when leaning": (shipped_count, rule((9.0, 9.0, 9.0))),
        "shipped rule, every referring question leaning": (every_count, rule(shipped)),
        "shipped rule without its own terms loss": (shipped_count, rule((*shipped[:2], 9.0))),
        "shipped rule (gated)": (shipped_count, rule(shipped)),
        "rule with the numbers chosen here": (chosen_count, rule(numbers[chosen_count])),
    }
    xquad = {
        half: {name: rates_of(by_count[count], passes) for name, (count, passes) in ways.items()}
        for half, by_count in {"tuning": tuning, "report": report}.items()
    }
    seeds = base.with_settings(docs_dir=PROJECT_ROOT / "seeds", store_dir=WORK_DIR / "seeds_store")
    return {
        "method": __doc__.split("Run:")[0].strip(),
        "items_per_kind_and_language": ITEMS_PER_KIND,
        "tuning_mean_by_max_referring_words": {str(count): best[count] for count in REFERRING_GRID},
        "chosen_on_tuning_half": {
            "max_referring_words": chosen_count,
            **dict(zip(NUMBER_NAMES, numbers[chosen_count], strict=True)),
        },
        "shipped": {"max_referring_words": shipped_count, **dict(zip(NUMBER_NAMES, shipped, strict=True))},
        "xquad": xquad,
        "conversation_sets": conversation_sets(seeds),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("follow_ups", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
