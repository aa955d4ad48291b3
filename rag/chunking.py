"""Split cleaned articles into overlapping passages that keep their exact character offsets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.arabic import ends_sentence, split_sentences
from rag.articles import Article

if TYPE_CHECKING:  # imported where used: only building an index chunks articles
    from langchain_text_splitters import RecursiveCharacterTextSplitter

#: Paragraphs first, then lines, sentence ends (Arabic and Latin), clause marks, words.
SEPARATORS = ["\n\n", "\n", "؟ ", "? ", "! ", ". ", "؛ ", "; ", "، ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """A passage of one article: ``text == article.text[start:end]``."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_articles(articles: Iterable[Article], chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    splitter = make_splitter(chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    for article in articles:
        chunks.extend(chunk_article(article, splitter))
    return chunks


def chunk_article(article: Article, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    chunks = []
    for document in splitter.create_documents([article.text]):
        start = document.metadata["start_index"]
        text = document.page_content
        if start < 0 or article.text[start : start + len(text)] != text:
            start = article.text.find(text)
        end = start + len(text)
        chunks.append(Chunk(f"{article.doc_id}#{len(chunks)}", article.doc_id, text, start, end))
    return chunks


@dataclass(frozen=True)
class Sentence:
    """A sentence of one article, by its character offsets in ``Article.text``."""

    doc_id: str
    start: int
    end: int


#: A line this short that does not end a sentence is a headline or subheading, not a statement.
HEADING_MAX_WORDS = 15


def split_article_sentences(articles: Iterable[Article]) -> list[Sentence]:
    """The sentences of each article that can answer a question: headings are left out."""
    return [
        Sentence(a.doc_id, start, end)
        for a in articles
        for start, end in split_sentences(a.text)
        if not is_heading(a.text, start, end)
    ]


def is_heading(text: str, start: int, end: int) -> bool:
    """A whole line of a few words with no sentence-final punctuation."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end].strip()
    return len(line.split()) <= HEADING_MAX_WORDS and not ends_sentence(line)
