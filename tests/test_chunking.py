from pathlib import Path

from rag.articles import Article, load_articles
from rag.chunking import SEPARATORS, chunk_articles, is_heading, split_article_sentences
from tests.conftest import SEEDS


def _article(text: str, doc_id: str = "doc") -> Article:
    return Article(doc_id, "title", None, text, "0" * 64, Path(f"{doc_id}.txt"))


def test_chunks_point_at_exact_text_of_seed_articles():
    articles = load_articles(SEEDS).articles
    texts = {a.doc_id: a.text for a in articles}
    chunks = chunk_articles(articles, chunk_size=500, chunk_overlap=100)
    assert len(chunks) > len(articles)
    for chunk in chunks:
        assert texts[chunk.doc_id][chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 500
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_long_paragraph_splits_at_arabic_punctuation_with_overlap():
    clauses = "".join(f"قال المسؤول {n}، ثم أضاف؛ هل تنجح؟ " for n in range(12))
    article = _article(clauses)
    chunks = chunk_articles([article], chunk_size=200, chunk_overlap=60)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith(("؟", "؛", "،", "."))
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:], strict=False)), "neighbours should overlap"


def test_separators_cover_arabic_and_latin_marks():
    for mark in ("؟ ", "؛ ", "، ", ". ", "? ", "; ", ", "):
        assert mark in SEPARATORS


def test_headings_are_not_answer_sentences():
    text = (
        "عنوان المقال الرئيسي\n\nقال المسؤول إن المحادثات ستعقد في جنيف.\nروسيا تطلب موقفاً جاداً\nوأضاف أن الوفود ستصل."
    )
    article = _article(text)
    sentences = [text[s.start : s.end] for s in split_article_sentences([article])]
    assert sentences == ["قال المسؤول إن المحادثات ستعقد في جنيف.", "وأضاف أن الوفود ستصل."]
    assert is_heading(text, 0, 20)
