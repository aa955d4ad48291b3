"""The answer records that cross from the engine to the page, the CLI and the benchmarks.

An answer is a list of sentences: the engine's own framing, and quotes of the articles with their
exact offsets and the numbers of the passages they are cited from. The display text and the JSON
``answer`` string are derived from that structure; nothing downstream parses them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from rag.arabic import Language
from rag.footnotes import without_footnote_marks

Role = Literal["framing", "quote"]


@dataclass(frozen=True)
class Citation:
    """A cited passage: ``text`` is the passage exactly as indexed, ``start``/``end`` its offsets
    in the article, ``highlights`` the article offsets of the sentences the answer quotes."""

    n: int
    doc_id: str
    title: str
    source: str | None
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer. A ``quote`` is ``text == article.text[start:end]`` of ``doc_id``,
    in ``language``, cited from the passages numbered ``citations``; ``framing`` is the engine's own."""

    text: str
    role: Role
    citations: tuple[int, ...] = ()
    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    language: Language | None = None

    @property
    def shown_text(self) -> str:
        """The text to show: a quote without the source's own footnote marks ("[12]"), which would
        read as the engine's citation numbers; ``text`` and the offsets stay the article's."""
        return without_footnote_marks(self.text) if self.role == "quote" else self.text

    def display(self, answer_language: Language) -> str:
        """The sentence as shown: a quote in another language than the answer's between quotation
        marks, each quote followed by its citation markers."""
        if self.role == "framing":
            return self.text
        text = self.shown_text if self.language == answer_language else f"“{self.shown_text}”"
        markers = "".join(f"[{n}]" for n in self.citations)
        return f"{text} {markers}" if markers else text


@dataclass(frozen=True)
class Answer:
    question: str
    language: Language
    abstained: bool
    sentences: list[AnswerSentence]
    citations: list[Citation]
    #: The abstention signal and the threshold it was held against (``rag.abstention``).
    confidence: float = 0.0
    threshold: float = 0.0
    #: A follow-up as it was read in the context of the conversation (``rag.conversation``);
    #: ``None`` when the question was read on its own.
    resolved_question: str | None = None

    @property
    def text(self) -> str:
        """The answer as one text, a line per sentence."""
        return "\n".join(sentence.display(self.language) for sentence in self.sentences)

    @property
    def quotes(self) -> list[AnswerSentence]:
        return [sentence for sentence in self.sentences if sentence.role == "quote"]

    def cited(self) -> list[Citation]:
        """The citations that some sentence of the answer cites, in citation order."""
        numbers = {n for sentence in self.sentences for n in sentence.citations}
        return [citation for citation in self.citations if citation.n in numbers]

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "threshold": self.threshold,
            "resolved_question": self.resolved_question,
            "sentences": [asdict(sentence) for sentence in self.sentences],
            "citations": [asdict(citation) for citation in self.citations],
        }
