"""Written answers: a local language model answers from the numbered passages, and only the
sentences that those passages support are shown.

The engine retrieves and decides whether to answer as always; when it answers, the model gets the
passages the quoted answer cites (same numbers) and the other retrieved ones after them, and is
asked for a short answer in the question's language with every sentence ending in the numbers of
the passages it rests on. ``rag.verification`` then drops each sentence its passages do not
support. If nothing supported remains, or the server fails, the quoted answer is shown with a
notice saying why. Abstention stays the engine's decision: no model is asked then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from rag.answer import Answer, Citation
from rag.arabic import Language
from rag.config import Settings
from rag.llm_client import LanguageModel, LanguageModelError
from rag.messages import message
from rag.retrieval import Hit
from rag.vectorstore import VectorStore
from rag.verification import DroppedSentence, SupportChecker, WrittenSentence

log = logging.getLogger(__name__)

AnswerKind = Literal["quoted", "written"]
#: Receives each piece of the model's text as it streams in.
TextSink = Callable[[str], None]

INSTRUCTIONS: dict[Language, str] = {
    "en": (
        "Answer the question using only the numbered passages. Write a short answer in English, one to "
        "three sentences. End every sentence with the number of the passage it comes from in square "
        "brackets, like this: <sentence> [2]. Do not add anything the passages do not say."
    ),
    "ar": (
        "أجب عن السؤال مستعيناً بالمقاطع المرقمة وحدها. اكتب إجابة قصيرة باللغة العربية من جملة إلى ثلاث جمل. "
        "اختم كل جملة برقم المقطع الذي أُخذت منه بين قوسين مربعين، هكذا: <الجملة> [2]. "
        "لا تضف شيئاً لا تقوله المقاطع."
    ),
}
LABELS: dict[Language, tuple[str, str, str]] = {
    "en": ("Passages:", "Question:", "Answer in English:"),
    "ar": ("المقاطع:", "السؤال:", "الإجابة بالعربية:"),
}
#: Introduces the conversation's earlier questions before a follow-up read in their context.
EARLIER_LABEL: dict[Language, str] = {
    "en": "Earlier questions in this conversation (the question below follows them):",
    "ar": "الأسئلة السابقة في هذه المحادثة (السؤال التالي يتبعها):",
}


@dataclass(frozen=True)
class WrittenAnswer:
    """What to show for a question: the model's verified sentences (``kind == "written"``) or the
    quoted answer (``kind == "quoted"``), always with the quoted ``answer`` it was checked against.

    ``text`` and ``citations`` are what to show: for a written answer its sentences with their
    markers and the passages they cite, the evidence of each sentence highlighted; for a quoted one
    the quoted answer's own. ``draft`` is the model's text as it streamed, ``notice`` says why a
    quoted answer is shown or that sentences were left out."""

    answer: Answer
    kind: AnswerKind
    text: str
    citations: list[Citation]
    sentences: list[WrittenSentence] = field(default_factory=list)
    dropped: list[DroppedSentence] = field(default_factory=list)
    model: str | None = None
    notice: str | None = None
    draft: str = ""
    seconds: float = 0.0

    @classmethod
    def quoted(cls, answer: Answer, notice: str | None = None, **details: object) -> WrittenAnswer:
        return cls(answer, "quoted", answer.text, answer.citations, notice=notice, **details)

    @property
    def badge(self) -> str:
        """Which kind of answer this is, in the question's language: written by the named model, or quoted."""
        if self.kind == "written":
            return message("written_by", self.answer.language, model=self.model or "?")
        return message("quoted_badge", self.answer.language)

    def to_dict(self) -> dict:
        """The quoted answer's fields with the shown text and citations, plus how it was written."""
        return {
            **self.answer.to_dict(),
            "answer": self.text,
            "citations": [asdict(c) for c in self.citations],
            "kind": self.kind,
            "model": self.model,
            "notice": self.notice,
            "sentences": [asdict(s) for s in self.sentences],
            "dropped": [asdict(d) for d in self.dropped],
            "draft": self.draft,
            "seconds": round(self.seconds, 3),
            "quoted": {"answer": self.answer.text, "citations": [asdict(c) for c in self.answer.citations]},
        }


def build_messages(
    question: str, language: Language, passages: Sequence[Citation], earlier: Sequence[str] = ()
) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the numbered passages, the conversation's
    ``earlier`` questions (for a follow-up such as "Where will they be held?") and the question."""
    passages_label, question_label, answer_label = LABELS[language]
    numbered = "\n\n".join(f"[{p.n}] {p.text}" for p in passages)
    context = "".join(f"- {q}\n" for q in earlier)
    context = f"{EARLIER_LABEL[language]}\n{context}\n" if earlier else ""
    prompt = f"{passages_label}\n{numbered}\n\n{context}{question_label} {question}\n{answer_label}"
    return [{"role": "system", "content": INSTRUCTIONS[language]}, {"role": "user", "content": prompt}]


def passages_for(answer: Answer, hits: Sequence[Hit], store: VectorStore) -> list[Citation]:
    """The quoted answer's passages under their own numbers, then the other retrieved passages
    numbered after them."""
    passages = [replace(c, highlights=[]) for c in answer.citations]
    given = {p.chunk_id for p in passages}
    for hit in hits:
        if hit.chunk.chunk_id in given:
            continue
        article = store.articles[hit.chunk.doc_id]
        chunk = hit.chunk
        passages.append(
            Citation(
                len(passages) + 1,
                chunk.doc_id,
                article.title,
                article.source,
                chunk.chunk_id,
                chunk.text,
                chunk.start,
                chunk.end,
                round(hit.dense_score, 4),
            )
        )
        given.add(chunk.chunk_id)
    return passages


def written_text(sentences: Sequence[WrittenSentence]) -> str:
    return " ".join(f"{s.text} {''.join(f'[{n}]' for n in s.citations)}" for s in sentences)


def cited_passages(sentences: Sequence[WrittenSentence], passages: Sequence[Citation]) -> list[Citation]:
    """The passages the kept sentences cite, each with its supporting sentences highlighted."""
    highlights: dict[int, list[tuple[int, int]]] = {}
    for sentence in sentences:
        for number in sentence.citations:
            highlights.setdefault(number, [])
        for number, span in sentence.evidence:
            if span not in highlights[number]:
                highlights[number].append(span)
    return [replace(p, highlights=highlights[p.n]) for p in passages if p.n in highlights]


@dataclass
class ModelAnswerWriter:
    """Asks the configured model for a written answer and keeps what the passages support."""

    model: LanguageModel | None
    checker: SupportChecker
    store: VectorStore
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings, checker: SupportChecker, store: VectorStore) -> ModelAnswerWriter:
        """A writer for the configured server, or one that always quotes when ``llm_url`` is empty."""
        model = LanguageModel.from_settings(settings) if settings.llm_url else None
        return cls(model, checker, store, settings.llm_timeout)

    def write(
        self, answer: Answer, hits: Sequence[Hit], on_text: TextSink | None = None, earlier: Sequence[str] = ()
    ) -> WrittenAnswer:
        """The written answer to ``answer``'s question (a follow-up of the ``earlier`` questions), or
        ``answer`` itself with a notice."""
        if answer.abstained:
            return WrittenAnswer.quoted(answer)
        if self.model is None:
            return WrittenAnswer.quoted(answer, message("llm_not_configured", answer.language))
        passages = passages_for(answer, hits, self.store)
        started = time.perf_counter()
        pieces: list[str] = []
        model_name = self.model.model or None
        try:
            model_name = self.model.model_name()
            for piece in self.model.stream(build_messages(answer.question, answer.language, passages, earlier)):
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
        except LanguageModelError as error:
            log.warning("No written answer (%s): %s", error.reason, error.detail)
            notice = message(f"llm_{error.reason}", answer.language, seconds=self.timeout)
            return WrittenAnswer.quoted(
                answer, notice, model=model_name, draft="".join(pieces), seconds=_since(started)
            )
        return self._verified(answer, passages, "".join(pieces), model_name, started)

    def _verified(
        self, answer: Answer, passages: list[Citation], draft: str, model_name: str | None, started: float
    ) -> WrittenAnswer:
        """The draft's supported sentences, or the quoted answer when none is left."""
        verdict = self.checker.verify(draft, passages)
        details = {"dropped": verdict.dropped, "model": model_name, "draft": draft, "seconds": _since(started)}
        if not verdict.kept:
            notice = message("llm_nothing_supported" if draft.strip() else "llm_bad_reply", answer.language)
            return WrittenAnswer.quoted(answer, notice, **details)
        count = len(verdict.dropped)
        notice = message("llm_some_dropped", answer.language, count=count) if count else None
        text, cited = written_text(verdict.kept), cited_passages(verdict.kept, passages)
        return WrittenAnswer(answer, "written", text, cited, verdict.kept, notice=notice, **details)


def _since(started: float) -> float:
    return time.perf_counter() - started
