import numpy as np

from rag.articles import load_articles
from rag.chunking import Chunk, Sentence, chunk_articles, split_article_sentences
from rag.config import Settings
from rag.embedding import Embedder
from rag.sentence_vectors import embed_chunks_and_sentences, sentence_owners


def test_each_sentence_goes_to_the_chunk_holding_it_with_most_context():
    text = "a" * 100
    chunks = [Chunk("d#0", "d", text[0:60], 0, 60), Chunk("d#1", "d", text[40:100], 40, 100)]
    sentences = [
        Sentence("d", 0, 30),  # only the first chunk holds it
        Sentence("d", 45, 55),  # both: 15/5 margins in the first, 5/45 in the second
        Sentence("d", 50, 90),  # only the second
        Sentence("d", 30, 80),  # neither holds it whole
        Sentence("other", 0, 10),  # no chunk of its article
    ]
    assert sentence_owners(chunks, sentences) == [0, 0, 1, None, None]


def test_build_vectors_pool_sentences_from_their_passages(embedder: Embedder, seed_settings: Settings):
    articles = load_articles(seed_settings.docs_dir).articles[:2]
    chunks = chunk_articles(articles, seed_settings.chunk_size, seed_settings.chunk_overlap)
    sentences = split_article_sentences(articles)
    texts = {a.doc_id: a.text for a in articles}
    progress: list[tuple[int, int]] = []
    chunk_vectors, sentence_vectors = embed_chunks_and_sentences(
        embedder, chunks, sentences, texts, lambda done, total: progress.append((done, total))
    )
    assert chunk_vectors.shape == (len(chunks), 384) and sentence_vectors.shape == (len(sentences), 384)
    assert np.allclose(np.linalg.norm(sentence_vectors, axis=1), 1.0, atol=1e-4)
    assert progress[0] == (0, len(chunks)) and progress[-1] == (len(chunks), len(chunks))
    assert np.allclose(chunk_vectors, embedder.embed_passages([c.text for c in chunks]), atol=1e-5)
    # Each pooled vector is nearer its own sentence embedded alone than the other sentences are.
    alone = embedder.embed_answer_sentences([texts[s.doc_id][s.start : s.end] for s in sentences])
    similarity = sentence_vectors @ alone.T
    own = np.diag(similarity)
    others = (similarity.sum(axis=1) - own) / (len(sentences) - 1)
    assert np.mean(own > others) > 0.95
