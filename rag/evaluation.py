"""Run a question file against the engine and judge each answer by the pass rule.

The file format and the rule are those of ``shared/questions/README.md``: one JSON object a line
with ``id``, ``lang``, ``question``, ``answerable``, ``docs`` and ``evidence``. A conversation has
``turns`` (its questions in order) instead of ``question``, and is judged on its last turn, asked
after the others (tests/questions/README.md). An answerable
question passes when a cited passage from one of ``docs`` contains one of the ``evidence`` phrases
(after Arabic normalization); an unanswerable one passes when the engine abstains citing nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answer import Answer
from rag.arabic import normalize
from rag.errors import QuestionError, QuestionFileError

if TYPE_CHECKING:
    from rag.engine import Engine


@dataclass(frozen=True)
class QuestionCase:
    id: str
    lang: str
    question: str
    answerable: bool
    docs: list[str]
    evidence: list[str]
    #: For a conversation: the earlier turns' questions, oldest first (``question`` is the last turn).
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    case: QuestionCase
    passed: bool
    reason: str
    answer: Answer | None

    def to_dict(self) -> dict:
        answer = self.answer.to_dict() if self.answer else None
        return {"id": self.case.id, "passed": self.passed, "reason": self.reason, "answer": answer}


@dataclass(frozen=True)
class EvalReport:
    results: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def summary(self) -> dict:
        return {"total": len(self.results), "passed": self.passed, "failed": self.failed}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "results": [r.to_dict() for r in self.results]}


def load_cases(path: Path) -> list[QuestionCase]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(f"Cannot read the question file {path}: {error}") from error
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = [str(t) for t in record["turns"]] if "turns" in record else [str(record["question"])]
            cases.append(
                QuestionCase(
                    id=str(record["id"]),
                    lang=str(record.get("lang", "")),
                    question=turns[-1],
                    history=tuple(turns[:-1]),
                    answerable=bool(record["answerable"]),
                    docs=[str(d) for d in record.get("docs", [])],
                    evidence=[str(e) for e in record.get("evidence", [])],
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise QuestionFileError(f"{path}, line {number}: not a valid question record ({error})") from error
    if not cases:
        raise QuestionFileError(f"{path} holds no questions")
    return cases


def judge(case: QuestionCase, answer: Answer) -> tuple[bool, str]:
    """Apply the pass rule; the reason says why, in a few words."""
    if not case.answerable:
        if answer.abstained and not answer.citations:
            return True, "abstained as expected"
        return False, "answered a question the articles do not answer"
    if answer.abstained:
        return False, "abstained on an answerable question"
    from_docs = [c for c in answer.citations if c.doc_id in case.docs]
    if not from_docs:
        cited = ", ".join(sorted({c.doc_id for c in answer.citations})) or "nothing"
        return False, f"cited {cited}, none of the expected articles"
    for citation in from_docs:
        for phrase in case.evidence:
            if normalized_contains(citation.text, phrase):
                return True, f"[{citation.n}] {citation.doc_id} contains «{phrase}»"
    return False, "cited the right article but no passage with the evidence"


def normalized_contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` after Arabic normalization of both."""
    return normalize(needle) in normalize(haystack)


def result_of(case: QuestionCase, answer: Answer | QuestionError) -> CaseResult:
    if isinstance(answer, QuestionError):
        return CaseResult(case, False, f"rejected: {answer.message}", None)
    passed, reason = judge(case, answer)
    return CaseResult(case, passed, reason, answer)


def run_eval(engine: Engine, cases: list[QuestionCase]) -> EvalReport:
    """Ask every question (single questions embedded in batches, conversations turn by turn) and
    judge each answer; a conversation is judged on its last turn."""
    singles = [case for case in cases if not case.history]
    answers = dict(zip((id(c) for c in singles), engine.ask_many([c.question for c in singles]), strict=True))
    for case in cases:
        if case.history:
            answers[id(case)] = _ask_in_conversation(engine, case)
    return EvalReport([result_of(case, answers[id(case)]) for case in cases])


def _ask_in_conversation(engine: Engine, case: QuestionCase) -> Answer | QuestionError:
    try:
        return engine.ask(case.question, history=case.history)
    except QuestionError as error:
        return error
