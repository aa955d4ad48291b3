"""Turn articles into a searchable index: chunk, split sentences, embed, build the lexical side, save.

Reuses the saved index when it fits the articles, model and settings. When only articles changed, the
index is updated: the passages, sentences and vectors of every article whose checksum is unchanged
are kept, only new or edited articles are embedded, and the search structures are rebuilt from the
combined arrays. Otherwise a new index is built. Either way it is saved as a new build made live
atomically (``rag.vectorstore``), by one writer at a time (``rag.store_lock``), and the articles folder
is read again under that lock so that no other writer's article is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.articles import Article, load_articles
from rag.chunking import Chunk, Sentence, chunk_articles, split_article_sentences
from rag.config import Settings
from rag.embedding import Embedder, length_batches
from rag.errors import IndexCorruptError, StoreMismatchError
from rag.lexical import LexicalIndex
from rag.store_lock import store_lock
from rag.term_matching import TermWeights
from rag.vector_backends import VectorIndex, build_vector_index, check_backend, connect_backend
from rag.vectorstore import (
    CURRENT,
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
    #: ``reused``, ``built`` (there was none), ``updated`` (only articles changed: the new and edited
    #: ones were embedded) or ``rebuilt``.
    action: str
    reasons: list[str]
    #: Passages and sentences embedded to open it (0 when reused).
    embedded_passages: int = 0
    embedded_sentences: int = 0


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
    """Load the saved index if it is intact and fits the inputs; otherwise update or (re)build it.

    Articles are chunked only when building: a saved index that fits reports its own chunk count.
    Raises ``StoreMismatchError`` when the store holds the index of another articles folder, and
    ``VectorBackendError`` when the configured Milvus cannot be reached (never an empty index instead)."""
    connect_backend(settings)
    if not force_rebuild:
        saved, reasons = saved_index(articles, embedder, settings)
        if saved is not None and not reasons:
            return OpenedStore(saved, "reused", [])
    with store_lock(settings.store_location(), 0.0 if force_rebuild else settings.lock_timeout):
        known = {a.doc_id: a for a in articles}
        current = load_articles(settings.docs_dir, settings.max_article_bytes, known).articles
        return write_index(current, embedder, settings, progress, force_rebuild)


def saved_index(
    articles: list[Article], embedder: Embedder, settings: Settings, loaded: VectorStore | None = None
) -> tuple[VectorStore | None, list[str]]:
    """The saved index (``None`` when there is none or it is corrupt) and why it does not fit
    ``articles`` (empty when it fits). ``loaded``, a store already in memory, is taken instead of
    reading the files again while it is still the live build."""
    store_dir = settings.store_location()
    expected = expected_manifest(articles, embedder, settings, kind="")
    try:
        store = loaded if loaded is not None and is_live(loaded, store_dir) else load_store(store_dir, settings)
    except FileNotFoundError:
        return None, []
    except IndexCorruptError as error:
        log.warning("The saved index in %s is corrupted (%s); rebuilding.", store_dir, error)
        return None, [f"index corrupted: {error}"]
    check_same_folder(store.manifest, expected, store_dir)
    kind = index_kind_for(store.manifest.chunk_count, settings)
    return store, store.manifest.stale_reasons(replace(expected, index_kind=kind))


def is_live(store: VectorStore, store_dir: Path) -> bool:
    """Whether ``store`` was loaded from (or saved as) the build ``CURRENT`` names now."""
    try:
        return store.path is not None and (store_dir / CURRENT).read_text().strip() == store.path.name
    except OSError:
        return False


def write_index(
    articles: list[Article],
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
    force_rebuild: bool = False,
    loaded: VectorStore | None = None,
) -> OpenedStore:
    """Reuse, update or build the index of ``articles`` and save it; call it holding ``store_lock``
    with ``articles`` read from the folder under that lock (``loaded`` as for ``saved_index``)."""
    store_dir = settings.store_location()
    if force_rebuild:
        saved, reasons = None, ["rebuild requested"]
    else:
        saved, reasons = saved_index(articles, embedder, settings, loaded)
    if saved is not None and not reasons:
        return OpenedStore(saved, "reused", [])
    expected = expected_manifest(articles, embedder, settings, kind="")
    if saved is not None:
        kind = index_kind_for(saved.manifest.chunk_count, settings)
        if not saved.manifest.stale_reasons(
            replace(expected, index_kind=kind, vector_backend=saved.manifest.vector_backend)
        ):
            return OpenedStore(move_vectors(saved, settings), "rebuilt", reasons)
    prepare_build(store_dir, estimated_build_bytes(articles, embedder.dimension))  # before the slow part
    if saved is not None and only_articles_changed(saved.manifest, expected):
        log.info("Updating the index in %s (%s).", store_dir, "; ".join(reasons))
        store, embedded = update_index(saved, articles, embedder, settings, expected, progress)
        action = "updated"
    else:
        if reasons:
            log.info("The saved index in %s is out of date (%s); rebuilding.", store_dir, "; ".join(reasons))
        store = build_index(articles, embedder, settings, expected, progress)
        embedded = (len(store.chunks), len(store.sentences))
        action = "rebuilt" if reasons else "built"
    saved_store = save_store(store_dir, store)
    return OpenedStore(saved_store, action, reasons, *embedded)


def only_articles_changed(saved: IndexManifest, expected: IndexManifest) -> bool:
    """Whether the saved index's passages and vectors can be kept for its unchanged articles."""
    keys = ("format_version", "model_id", "model_fingerprint", "dimension", "chunk_size", "chunk_overlap")
    same_backend = saved.vector_backend == expected.vector_backend
    return same_backend and all(getattr(saved, key) == getattr(expected, key) for key in keys)


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
    embedded = embed_articles(articles, embedder, settings, progress)
    kind = index_kind_for(len(embedded.chunks), settings)
    index = build_vector_index(embedded.chunk_vectors, kind, settings, settings.store_location())
    return VectorStore(
        manifest=built_manifest(manifest, kind, len(embedded.chunks), started, index),
        index=index,
        chunks=embedded.chunks,
        articles={a.doc_id: a for a in articles},
        sentences=embedded.sentences,
        sentence_vectors=embedded.sentence_vectors,
        lexical=LexicalIndex.build([c.text for c in embedded.chunks]),
        term_weights=TermWeights.build(embedded.sentence_texts),
    )


@dataclass(frozen=True)
class EmbeddedArticles:
    """Articles chunked and split, with a vector for every passage and every answer sentence."""

    chunks: list[Chunk]
    sentences: list[Sentence]
    sentence_texts: list[str]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray


def embed_articles(
    articles: list[Article], embedder: Embedder, settings: Settings, progress: Progress | None = None
) -> EmbeddedArticles:
    """Chunk and split ``articles`` and embed their passages and answer sentences, in batches, with
    the embedder's index model (``Embedder.for_index``)."""
    chunks = chunk_articles(articles, settings.chunk_size, settings.chunk_overlap)
    sentences = split_article_sentences(articles)
    texts = {a.doc_id: a.text for a in articles}
    sentence_texts = [texts[s.doc_id][s.start : s.end] for s in sentences]
    index_embedder = embedder.for_index()
    jobs = [
        ([c.text for c in chunks], index_embedder.embed_passages),
        (sentence_texts, index_embedder.embed_answer_sentences),
    ]
    chunk_vectors, sentence_vectors = embed_in_batches(jobs, embedder.dimension, settings.build_threads, progress)
    return EmbeddedArticles(chunks, sentences, sentence_texts, chunk_vectors, sentence_vectors)


def built_manifest(
    manifest: IndexManifest, kind: str, chunk_count: int, started: float, index: VectorIndex
) -> IndexManifest:
    """``manifest`` with what the build just made: index kind, passage count, build time, collection."""
    return replace(
        manifest,
        index_kind=kind,
        chunk_count=chunk_count,
        built_at=time.time(),
        build_seconds=round(time.perf_counter() - started, 3),
        milvus_collection=index.collection,
    )


def update_index(
    previous: VectorStore,
    articles: list[Article],
    embedder: Embedder,
    settings: Settings,
    manifest: IndexManifest,
    progress: Progress | None = None,
) -> tuple[VectorStore, tuple[int, int]]:
    """``previous`` brought up to ``articles``: the passages, sentences and vectors of the articles whose
    checksum is unchanged are kept, the others are chunked, split and embedded; the result equals
    ``build_index`` over ``articles`` (same order). Also returns the passages and sentences embedded."""
    started = time.perf_counter()
    saved = previous.manifest.articles
    kept = {doc_id for doc_id, checksum in manifest.articles.items() if saved.get(doc_id) == checksum}
    new = embed_articles([a for a in articles if a.doc_id not in kept], embedder, settings, progress)
    new_chunks, new_sentences, new_sentence_texts = new.chunks, new.sentences, new.sentence_texts
    new_chunk_vectors, new_sentence_vectors = new.chunk_vectors, new.sentence_vectors
    chunk_rows = _rows_by_article(articles, previous.chunks, new_chunks, kept)
    sentence_rows = _rows_by_article(articles, previous.sentences, new_sentences, kept)
    chunks = [*previous.chunks, *new_chunks]
    sentences = [*previous.sentences, *new_sentences]
    chunk_vectors = np.vstack([previous.index.vectors(range(previous.index.count())), new_chunk_vectors])
    sentence_vectors = np.vstack([previous.sentence_vectors, new_sentence_vectors])
    dropped = [previous.text(s.doc_id, s.start, s.end) for s in previous.sentences if s.doc_id not in kept]
    kind = index_kind_for(len(chunk_rows), settings)
    index = build_vector_index(chunk_vectors[chunk_rows], kind, settings, settings.store_location())
    store = VectorStore(
        manifest=built_manifest(manifest, kind, len(chunk_rows), started, index),
        index=index,
        chunks=[chunks[i] for i in chunk_rows],
        articles={a.doc_id: a for a in articles},
        sentences=[sentences[i] for i in sentence_rows],
        sentence_vectors=sentence_vectors[sentence_rows],
        lexical=previous.lexical.updated(chunk_rows, [c.text for c in new_chunks]),
        term_weights=previous.term_weights.updated(new_sentence_texts, dropped),
    )
    return store, (len(new_chunks), len(new_sentences))


def _rows_by_article(articles: list[Article], old: list, new: list, kept: set[str]) -> list[int]:
    """Positions in ``old + new`` of the items (chunks or sentences, each with a ``doc_id``) of each
    article in turn: its old items when it is ``kept``, else its new ones."""
    rows: dict[str, list[int]] = {a.doc_id: [] for a in articles}
    for position, item in enumerate(old):
        if item.doc_id in kept and item.doc_id in rows:
            rows[item.doc_id].append(position)
    for position, item in enumerate(new, start=len(old)):
        rows[item.doc_id].append(position)
    return [position for doc_rows in rows.values() for position in doc_rows]


def move_vectors(store: VectorStore, settings: Settings) -> VectorStore:
    """``store`` saved again with its passage vectors copied into the configured backend (nothing is
    embedded again); the other backend's copy is dropped once the new build is live."""
    log.info("Moving the passage vectors of %s to %s.", store.path, settings.vector_backend)
    started = time.perf_counter()
    vectors = store.index.vectors(range(store.index.count()))
    store_dir = settings.store_location()
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
    jobs: list[tuple[list[str], Callable[[list[str], int], np.ndarray]]],
    dimension: int,
    threads: int,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """Run each ``(texts, encode)`` job in groups of ``EMBED_BATCH`` texts of similar length (longest
    first, so the runtime pads little) on ``threads`` cores, reporting ``progress(done, total)`` over
    all; the vectors come back in the order of ``texts``."""
    total = sum(len(texts) for texts, _ in jobs)
    done = 0
    if progress:
        progress(done, total)
    results = []
    for texts, encode in jobs:
        vectors = np.zeros((len(texts), dimension), dtype=np.float32)
        for group in length_batches(texts, EMBED_BATCH):
            vectors[group] = encode([texts[i] for i in group], threads)
            done += len(group)
            if progress:
                progress(done, total)
        results.append(vectors)
    return results
