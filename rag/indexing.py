"""Turn articles into a searchable index: chunk, split sentences, embed, build the lexical side, save.

Reuses the saved index when it fits the articles, model and settings; otherwise builds a new one
and saves it atomically (``rag.vectorstore``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.articles import Article
from rag.chunking import chunk_articles, split_article_sentences
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import IndexCorruptError, StoreMismatchError
from rag.lexical import LexicalIndex
from rag.store_lock import build_lock
from rag.term_matching import TermWeights
from rag.vector_backends import build_vector_index, check_backend, connect_backend
from rag.vectorstore import (
    FORMAT_VERSION,
    IndexManifest,
    VectorStore,
    estimated_build_bytes,
    load_store,
    prepare_build,
    save_store,
)

log = logging.getLogger(__name__)

EMBED_BATCH = 64

#: ``progress(done, total)``: texts embedded so far.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OpenedStore:
    store: VectorStore
    #: ``reused``, ``built`` (there was none), or ``rebuilt``.
    action: str
    reasons: list[str]


def index_kind_for(chunk_count: int, settings: Settings) -> str:
    return "hnsw" if chunk_count > settings.hnsw_threshold else "flat"


def expected_manifest(articles: list[Article], embedder: Embedder, settings: Settings, kind: str) -> IndexManifest:
    return IndexManifest(
        format_version=FORMAT_VERSION,
        docs_dir=str(settings.docs_dir.resolve()),
        model_id=embedder.model_id,
        model_fingerprint=embedder.fingerprint,
        dimension=embedder.dimension,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        index_kind=kind,
        articles={a.doc_id: a.checksum for a in articles},
        vector_backend=check_backend(settings),
    )


def open_index(
    articles: list[Article],
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
    force_rebuild: bool = False,
) -> OpenedStore:
    """Load the saved index if it is intact and fits the inputs; otherwise (re)build it.

    Articles are chunked only when building: a saved index that fits reports its own chunk count.
    Raises ``StoreMismatchError`` when the store holds the index of another articles folder, and
    ``VectorBackendError`` when the configured Milvus cannot be reached (never an empty index instead)."""
    store_dir = settings.store_location()
    connect_backend(settings)
    expected = expected_manifest(articles, embedder, settings, kind="")
    reasons = ["rebuild requested"] if force_rebuild else []
    if not force_rebuild:
        try:
            store = load_store(store_dir, settings)
        except FileNotFoundError:
            pass
        except IndexCorruptError as error:
            reasons = [f"index corrupted: {error}"]
            log.warning("The saved index in %s is corrupted (%s); rebuilding.", store_dir, error)
        else:
            check_same_folder(store.manifest, expected, store_dir)
            kind = index_kind_for(store.manifest.chunk_count, settings)
            reasons = store.manifest.stale_reasons(replace(expected, index_kind=kind))
            if not reasons:
                return OpenedStore(store, "reused", [])
            if not store.manifest.stale_reasons(
                replace(expected, index_kind=kind, vector_backend=store.manifest.vector_backend)
            ):
                return OpenedStore(move_vectors(store, settings), "rebuilt", reasons)
            log.info("The saved index in %s is out of date (%s); rebuilding.", store_dir, "; ".join(reasons))
    with build_lock(store_dir):
        prepare_build(store_dir, estimated_build_bytes(articles, embedder.dimension))  # before the slow part
        store = build_index(articles, embedder, settings, expected, progress)
        saved = save_store(store_dir, store)
    return OpenedStore(saved, "rebuilt" if reasons else "built", reasons)


def check_same_folder(saved: IndexManifest, expected: IndexManifest, store_dir: Path) -> None:
    """Refuse to replace the index of another articles folder that still exists."""
    other = Path(saved.docs_dir)
    if saved.docs_dir != expected.docs_dir and other.is_dir() and not other.samefile(expected.docs_dir):
        raise StoreMismatchError(
            f"The index folder {store_dir} holds the index of the articles in {other}, not {expected.docs_dir}. "
            "Pass --store with another folder (or leave --store out to use the one derived from --docs), "
            "or run `rag index --rebuild` to replace it."
        )


def build_index(
    articles: list[Article],
    embedder: Embedder,
    settings: Settings,
    manifest: IndexManifest,
    progress: Progress | None = None,
) -> VectorStore:
    """Chunk, split and embed ``articles`` into an unsaved ``VectorStore`` described by ``manifest``
    (its index kind, passage count and build time are filled in here)."""
    started = time.perf_counter()
    chunks = chunk_articles(articles, settings.chunk_size, settings.chunk_overlap)
    sentences = split_article_sentences(articles)
    texts = {a.doc_id: a.text for a in articles}
    sentence_texts = [texts[s.doc_id][s.start : s.end] for s in sentences]
    jobs = [
        ([c.text for c in chunks], embedder.embed_passages),
        (sentence_texts, embedder.embed_answer_sentences),
    ]
    chunk_vectors, sentence_vectors = embed_in_batches(jobs, embedder.dimension, progress)
    kind = index_kind_for(len(chunks), settings)
    index = build_vector_index(chunk_vectors, kind, settings, settings.store_location())
    manifest = replace(
        manifest,
        index_kind=kind,
        chunk_count=len(chunks),
        built_at=time.time(),
        build_seconds=round(time.perf_counter() - started, 3),
        milvus_collection=index.collection,
    )
    return VectorStore(
        manifest=manifest,
        index=index,
        chunks=chunks,
        articles={a.doc_id: a for a in articles},
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        lexical=LexicalIndex.build([c.text for c in chunks]),
        term_weights=TermWeights.build(sentence_texts),
    )


def move_vectors(store: VectorStore, settings: Settings) -> VectorStore:
    """``store`` saved again with its passage vectors copied into the configured backend (nothing is
    embedded again); the other backend's copy is dropped once the new build is live."""
    log.info("Moving the passage vectors of %s to %s.", store.path, settings.vector_backend)
    started = time.perf_counter()
    vectors = store.index.vectors(range(store.index.count()))
    store_dir = settings.store_location()
    with build_lock(store_dir):
        prepare_build(store_dir, 2 * vectors.nbytes)
        index = build_vector_index(vectors, store.manifest.index_kind, settings, store_dir)
        manifest = replace(
            store.manifest,
            vector_backend=index.backend,
            milvus_collection=index.collection,
            build_seconds=round(time.perf_counter() - started, 3),
        )
        moved = save_store(store_dir, replace(store, manifest=manifest, index=index))
    store.index.drop()
    return moved


def embed_in_batches(
    jobs: list[tuple[list[str], Callable[[list[str]], np.ndarray]]],
    dimension: int,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """Run each ``(texts, encode)`` job in batches, reporting ``progress(done, total)`` over all."""
    total = sum(len(texts) for texts, _ in jobs)
    done = 0
    if progress:
        progress(done, total)
    results = []
    for texts, encode in jobs:
        parts = [np.zeros((0, dimension), dtype=np.float32)]
        for begin in range(0, len(texts), EMBED_BATCH):
            parts.append(encode(texts[begin : begin + EMBED_BATCH]))
            done += len(parts[-1])
            if progress:
                progress(done, total)
        results.append(np.vstack(parts))
    return results
