"""XQuAD (CC BY-SA 4.0): the parallel Arabic/English questions and the Arabic paragraphs as articles.

XQuAD's files are SQuAD-format and parallel: paragraph ``i`` and question ``j`` are the same in
every language. The corpus is the Arabic paragraphs; each question is asked in English and in
Arabic, and its gold passage is the paragraph it was written about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    article: int
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    qid: str
    doc_id: str
    article: int
    english: str
    arabic: str
    #: Gold answer texts in Arabic; the same ones are checked for both languages.
    answers: tuple[str, ...]

    def text(self, language: str) -> str:
        return self.arabic if language == "ar" else self.english


@dataclass(frozen=True)
class XQuAD:
    paragraphs: list[Paragraph]
    questions: list[Question]

    @property
    def article_count(self) -> int:
        return len({p.article for p in self.paragraphs})


def doc_id_for(position: int) -> str:
    """The article file stem of the ``position``-th paragraph: ``p000``, ``p001``..."""
    return f"p{position:03d}"


def load_xquad(arabic_path: Path, english_path: Path) -> XQuAD:
    """Pair the Arabic and English files; raise ``ValueError`` if they are not parallel."""
    arabic = json.loads(arabic_path.read_text(encoding="utf-8"))["data"]
    english = json.loads(english_path.read_text(encoding="utf-8"))["data"]
    if len(arabic) != len(english):
        raise ValueError(f"{len(arabic)} Arabic articles but {len(english)} English ones")
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    for article, (ar_article, en_article) in enumerate(zip(arabic, english, strict=True)):
        if len(ar_article["paragraphs"]) != len(en_article["paragraphs"]):
            raise ValueError(f"article {article}: paragraph counts differ")
        for ar_paragraph, en_paragraph in zip(ar_article["paragraphs"], en_article["paragraphs"], strict=True):
            doc_id = doc_id_for(len(paragraphs))
            paragraphs.append(Paragraph(doc_id, article, en_article.get("title", ""), ar_paragraph["context"]))
            if len(ar_paragraph["qas"]) != len(en_paragraph["qas"]):
                raise ValueError(f"{doc_id}: question counts differ")
            for ar_qa, en_qa in zip(ar_paragraph["qas"], en_paragraph["qas"], strict=True):
                if ar_qa["id"] != en_qa["id"]:
                    raise ValueError(f"{doc_id}: question ids differ ({ar_qa['id']} vs {en_qa['id']})")
                answers = tuple(dict.fromkeys(a["text"] for a in ar_qa["answers"]))
                questions.append(Question(ar_qa["id"], doc_id, article, en_qa["question"], ar_qa["question"], answers))
    return XQuAD(paragraphs, questions)


def write_corpus(paragraphs: list[Paragraph], folder: Path) -> list[Path]:
    """Write each paragraph as ``<doc_id>.txt``; drop other ``.txt`` files; leave unchanged files alone
    (so the engine's saved index stays valid between runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{p.doc_id}.txt": p.text.strip() + "\n" for p in paragraphs}
    for stale in folder.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    paths = []
    for name, text in wanted.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def split_articles(article_count: int, modulus: int, keep: set[int]) -> set[int]:
    """Article indexes ``i`` with ``i % modulus in keep``: a deterministic, interleaved split."""
    return {i for i in range(article_count) if i % modulus in keep}


def abstention_split(article_count: int) -> tuple[set[int], set[int]]:
    """The indexed articles (``i % 2 == 0``; questions about the others are unanswerable) and the
    tuning half (``i % 4 in {0, 1}``): each half holds as many indexed as unindexed articles."""
    return split_articles(article_count, 2, {0}), split_articles(article_count, 4, {0, 1})
