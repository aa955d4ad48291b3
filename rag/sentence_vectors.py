"""Passage vectors and answer-sentence vectors in one forward pass over the passages.

Each answer sentence is pooled from the token states of the passage that holds it with the most
context on both sides (passages overlap), instead of being embedded again on its own twice (with the
query and the passage prompt). Measured on XQuAD in ``benchmarks/sentence_vectors.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from rag.chunking import Chunk, Sentence
from rag.embedding import Embedder

Progress = Callable[[int, int], None]
#: Passages embedded per call, so progress can be reported.
BATCH = 64


def sentence_owners(chunks: list[Chunk], sentences: list[Sentence]) -> list[int | None]:
    """For each sentence, the index of the chunk holding it whole with the widest margin on its
    shorter side, or ``None`` when no chunk holds it whole."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, chunk in enumerate(chunks):
        by_doc[chunk.doc_id].append(i)
    owners: list[int | None] = []
    for sentence in sentences:
        holding = [
            i for i in by_doc[sentence.doc_id] if chunks[i].start <= sentence.start and sentence.end <= chunks[i].end
        ]
        owners.append(
            max(holding, key=lambda i: min(sentence.start - chunks[i].start, chunks[i].end - sentence.end))
            if holding
            else None
        )
    return owners


def embed_chunks_and_sentences(
    embedder: Embedder,
    chunks: list[Chunk],
    sentences: list[Sentence],
    article_texts: dict[str, str],
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Passage vectors of ``chunks`` and answer-sentence vectors of ``sentences``, in their orders."""
    owners = sentence_owners(chunks, sentences)
    spans: list[list[tuple[int, int]]] = [[] for _ in chunks]
    slots: list[list[int]] = [[] for _ in chunks]
    for k, (sentence, owner) in enumerate(zip(sentences, owners, strict=True)):
        if owner is not None:
            start = chunks[owner].start
            spans[owner].append((sentence.start - start, sentence.end - start))
            slots[owner].append(k)
    chunk_vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    sentence_vectors = np.zeros((len(sentences), embedder.dimension), dtype=np.float32)
    if progress:
        progress(0, len(chunks))
    for begin in range(0, len(chunks), BATCH):
        end = min(begin + BATCH, len(chunks))
        vectors, span_vectors = embedder.embed_passages_with_spans(
            [c.text for c in chunks[begin:end]], spans[begin:end]
        )
        chunk_vectors[begin:end] = vectors
        for i, pooled in zip(range(begin, end), span_vectors, strict=True):
            sentence_vectors[slots[i]] = pooled
        if progress:
            progress(end, len(chunks))
    orphans = [k for k, owner in enumerate(owners) if owner is None]
    if orphans:
        texts = [article_texts[sentences[k].doc_id][sentences[k].start : sentences[k].end] for k in orphans]
        sentence_vectors[orphans] = embedder.embed_answer_sentences(texts)
    return chunk_vectors, sentence_vectors
