"""The index on disk: save a build atomically, load and verify it, say when it is stale.

Layout of the store folder::

    CURRENT                 name of the live build folder (replaced atomically)
    .write.lock             held by the one process writing (rag/store_lock.py)
    build-<id>/.rag-build      marker: this folder was made by the store (and may be removed by it)
    build-<id>/manifest.json   IndexManifest, with a sha256 of every other file
    build-<id>/vectors.faiss   inner-product index over normalized passage vectors (FAISS backend;
                               with Milvus they live in the collection the manifest names)
    build-<id>/chunks.jsonl    one Chunk a line, in index order
    build-<id>/sentences.jsonl one Sentence a line; sentence_vectors.npy holds their vectors
    build-<id>/articles.json   the cleaned articles the offsets refer to
    build-<id>/lexical_*       the character n-gram index (rag/lexical.py)
    build-<id>/term_weights.json  sentence frequencies of word forms (rag/term_matching.py)

A build is written to a fresh folder and only then made live by replacing ``CURRENT``, so a
crash mid-build leaves the previous index usable. The store only ever removes folders it made: named
``build-<12 hex digits>`` and holding the marker, and only while it holds the writer lock; anything
else in the folder (a user's ``build-2024-release/``) is never touched. Building the contents is
``rag/indexing.py``'s job.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag.articles import Article
from rag.checksums import file_sha256
from rag.chunking import Chunk, Sentence
from rag.config import Settings
from rag.errors import IndexCorruptError
from rag.lexical import LexicalIndex
from rag.store_lock import StoreWriteError, check_room, ensure_store_dir, write_error
from rag.term_matching import TermWeights
from rag.vector_backends import FAISS_FILE, VectorIndex, open_vector_index

log = logging.getLogger(__name__)

FORMAT_VERSION = 6
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
VECTORS = FAISS_FILE
CHUNKS = "chunks.jsonl"
ARTICLES = "articles.json"
SENTENCES = "sentences.jsonl"
SENTENCE_VECTORS = "sentence_vectors.npy"
TERM_WEIGHTS = "term_weights.json"
#: The files of every build; a FAISS build also has ``VECTORS``.
LOCAL_FILES = (CHUNKS, ARTICLES, SENTENCES, SENTENCE_VECTORS, TERM_WEIGHTS, *LexicalIndex.FILES)
DATA_FILES = (VECTORS, *LOCAL_FILES)
BUILD_MARKER = ".rag-build"
#: The next ``CURRENT``, written inside the new build folder and moved over ``CURRENT`` in one step.
NEXT_POINTER = "CURRENT.next"
BUILD_NAME = re.compile(r"build-[0-9a-f]{12}")
MAX_POINTER_BYTES = 64


@dataclass(frozen=True)
class IndexManifest:
    """What an index was built from; any difference from the current inputs makes it stale."""

    format_version: int
    docs_dir: str
    model_id: str
    model_fingerprint: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    index_kind: str
    articles: dict[str, str]  # doc_id -> sha256 of the article file
    chunk_count: int = 0
    built_at: float = 0.0
    build_seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    #: ``faiss`` (``VECTORS`` in the build folder) or ``milvus`` (the collection below).
    vector_backend: str = "faiss"
    milvus_collection: str = ""

    def stale_reasons(self, expected: IndexManifest) -> list[str]:
        """Why this index does not fit ``expected`` (empty when it fits)."""
        reasons = []
        if self.format_version != expected.format_version:
            reasons.append("index format changed")
        if (self.model_id, self.model_fingerprint) != (
            expected.model_id,
            expected.model_fingerprint,
        ):
            reasons.append("embedding model changed")
        if (self.chunk_size, self.chunk_overlap) != (
            expected.chunk_size,
            expected.chunk_overlap,
        ):
            reasons.append("chunking settings changed")
        if self.index_kind != expected.index_kind:
            reasons.append("index kind changed")
        if self.vector_backend != expected.vector_backend:
            reasons.append(f"vector backend changed ({self.vector_backend} -> {expected.vector_backend})")
        if self.articles != expected.articles:
            added = expected.articles.keys() - self.articles.keys()
            removed = self.articles.keys() - expected.articles.keys()
            changed = {
                d for d in self.articles.keys() & expected.articles.keys() if self.articles[d] != expected.articles[d]
            }
            reasons.append(f"articles changed (added {len(added)}, removed {len(removed)}, edited {len(changed)})")
        return reasons


@dataclass
class VectorStore:
    """A loaded build: passages with their vectors and lexical index, sentences with theirs, articles."""

    manifest: IndexManifest
    index: VectorIndex
    chunks: list[Chunk]
    articles: dict[str, Article]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    lexical: LexicalIndex
    term_weights: TermWeights
    path: Path | None = None

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and chunk positions of the ``k`` nearest passages for each query vector."""
        return self.index.search(query_vectors, min(k, len(self.chunks)))

    def sentence_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """The cosine of every sentence of the corpus to the question (retrieval, abstention and the
        answer candidates read them)."""
        return self.sentence_vectors @ query_vector

    def chunk_scores(self, query_vector: np.ndarray, positions: list[int]) -> dict[int, float]:
        """Cosine of ``query_vector`` to the passages at ``positions`` (vectors read from the index)."""
        if not positions:
            return {}
        vectors = self.index.vectors(positions)
        return {p: float(s) for p, s in zip(positions, vectors @ query_vector, strict=True)}

    def text(self, doc_id: str, start: int, end: int) -> str:
        """Article text by offsets."""
        return self.articles[doc_id].text[start:end]


def estimated_build_bytes(articles: list[Article], dimension: int) -> int:
    """A generous size for one build of ``articles``: passages (about one per 500 bytes of text, each
    with its vector, HNSW links and lexical n-gram row), sentences with theirs, the texts as JSON."""
    text_bytes = sum(len(a.text.encode("utf-8")) for a in articles)
    passages = text_bytes // 500 + len(articles)
    sentences = text_bytes // 40 + len(articles)
    return 3 * text_bytes + passages * (dimension * 4 + 300 + 12_000) + sentences * (dimension * 4 + 150)


def prepare_build(store_dir: Path, needed_bytes: int) -> None:
    """Before any embedding (and under the writer lock): drop orphan builds of ours (left by a crash
    mid-save), make sure ``CURRENT`` can be replaced, that the folder takes writes, and that
    ``needed_bytes`` fit. Raises ``StoreWriteError`` or ``StoreFullError``."""
    ensure_store_dir(store_dir)
    live = _live_build_name(store_dir)
    if live is not None:  # with no valid CURRENT, any build may be the last good one: keep them all
        _remove_builds(store_dir, keep=live)
    pointer = store_dir / CURRENT
    if pointer.is_dir() and not pointer.is_symlink():
        try:
            pointer.rmdir()  # an empty folder in the pointer's place holds nothing to lose
        except OSError as error:
            raise StoreWriteError(store_dir, f"{CURRENT} is a folder that is not empty; move it away") from error
    try:
        tempfile.TemporaryFile(dir=store_dir).close()
    except OSError as error:
        raise write_error(store_dir, error) from error
    check_room(store_dir, needed_bytes)


def save_store(store_dir: Path, store: VectorStore) -> VectorStore:
    """Write a new build folder, then switch ``CURRENT`` to it atomically; drop older builds of ours.

    Call it holding ``store_lock(store_dir)``. A failed write removes the new folder and raises
    ``StoreWriteError``/``StoreFullError``; the previous build stays live."""
    build = store_dir / f"build-{uuid.uuid4().hex[:12]}"
    try:
        final = _write_build(build, store)
        os.replace(build / NEXT_POINTER, store_dir / CURRENT)
    except BaseException as error:
        shutil.rmtree(build, ignore_errors=True)
        if isinstance(error, OSError):
            raise write_error(store_dir, error) from error
        raise
    _fsync_folder(store_dir)
    store.index.drop_other_builds()
    _remove_builds(store_dir, keep=build.name)
    return VectorStore(**{**store.__dict__, "manifest": final, "path": build})


def _write_build(build: Path, store: VectorStore) -> IndexManifest:
    build.mkdir(parents=True)
    (build / BUILD_MARKER).write_text("made by rag.vectorstore; removed by it when no longer live\n")
    vector_files = store.index.save(build)
    _write_jsonl(build / CHUNKS, store.chunks)
    _write_jsonl(build / SENTENCES, store.sentences)
    np.save(build / SENTENCE_VECTORS, store.sentence_vectors)
    article_records = [{**asdict(a), "path": str(a.path)} for a in store.articles.values()]
    (build / ARTICLES).write_text(json.dumps(article_records, ensure_ascii=False), encoding="utf-8")
    store.lexical.save(build)
    store.term_weights.save(build / TERM_WEIGHTS)
    files = {name: file_sha256(build / name) for name in (*vector_files, *LOCAL_FILES)}
    final = IndexManifest(**{**asdict(store.manifest), "files": files})
    (build / MANIFEST).write_text(json.dumps(asdict(final), ensure_ascii=False, indent=1), encoding="utf-8")
    (build / NEXT_POINTER).write_text(build.name)
    _fsync_tree(build)
    return final


def live_build(store_dir: Path) -> Path:
    """The build folder ``CURRENT`` names, checked like any index file.

    ``FileNotFoundError`` when there is no index; ``IndexCorruptError`` when ``CURRENT`` is not a
    small file holding the name of one of the store's build folders."""
    pointer = store_dir / CURRENT
    if not pointer.exists() and not pointer.is_symlink():
        raise FileNotFoundError(f"No index in {store_dir}")
    if pointer.is_symlink() or not pointer.is_file():
        raise IndexCorruptError(f"{CURRENT} is not a regular file")
    try:
        with open(pointer, "rb") as handle:
            raw = handle.read(MAX_POINTER_BYTES + 1)
        name = raw.decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorruptError(f"{CURRENT} is unreadable ({type(error).__name__})") from error
    if len(raw) > MAX_POINTER_BYTES or not BUILD_NAME.fullmatch(name):
        raise IndexCorruptError(f"{CURRENT} does not name a build folder")
    build = store_dir / name
    if build.is_symlink() or not build.is_dir():
        raise IndexCorruptError(f"{CURRENT} names a build folder that is missing")
    return build


def load_store(store_dir: Path, settings: Settings | None = None) -> VectorStore:
    """Load and verify the live build; ``FileNotFoundError`` when there is none. ``settings`` (by default
    from the environment) say how to reach Milvus when the build's vectors are there."""
    build = live_build(store_dir)
    try:
        manifest = IndexManifest(**json.loads((build / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise IndexCorruptError(f"unreadable manifest in {build}: {error}") from error
    for name, digest in manifest.files.items():
        if not (build / name).is_file():
            raise IndexCorruptError(f"{name} is missing")
        if file_sha256(build / name) != digest:
            raise IndexCorruptError(f"{name} fails its checksum")
    if set(manifest.files) != set(data_files(manifest.vector_backend)):
        raise IndexCorruptError("manifest does not list the index files")
    try:
        chunks = [Chunk(**record) for record in _read_jsonl(build / CHUNKS)]
        sentences = [Sentence(**record) for record in _read_jsonl(build / SENTENCES)]
        sentence_vectors = np.load(build / SENTENCE_VECTORS, allow_pickle=False)
        records = json.loads((build / ARTICLES).read_text(encoding="utf-8"))
        articles = {r["doc_id"]: Article(**{**r, "path": Path(r["path"])}) for r in records}
        lexical = LexicalIndex.load(build)
        term_weights = TermWeights.load(build / TERM_WEIGHTS)
    except (RuntimeError, OSError, ValueError, TypeError, KeyError) as error:
        raise IndexCorruptError(f"cannot read the index files: {error}") from error
    index = _open_vectors(manifest, build, settings or Settings.from_env(), store_dir)
    if index.count() != len(chunks) or len(chunks) != manifest.chunk_count:
        raise IndexCorruptError("vector count does not match the passages")
    if sentence_vectors.shape != (len(sentences), manifest.dimension):
        raise IndexCorruptError("sentence vectors do not match the sentences")
    if lexical.matrix.shape[0] != len(chunks):
        raise IndexCorruptError("lexical index does not match the passages")
    return VectorStore(manifest, index, chunks, articles, sentences, sentence_vectors, lexical, term_weights, build)


def data_files(backend: str) -> tuple[str, ...]:
    """The files a build of ``backend`` holds besides its manifest."""
    return DATA_FILES if backend == "faiss" else LOCAL_FILES


def _open_vectors(manifest: IndexManifest, build: Path, settings: Settings, store_dir: Path) -> VectorIndex:
    try:
        return open_vector_index(
            manifest.vector_backend,
            manifest.milvus_collection,
            manifest.index_kind,
            manifest.dimension,
            build,
            settings,
            store_dir,
        )
    except (RuntimeError, OSError) as error:
        raise IndexCorruptError(f"cannot read the vectors: {error}") from error


def _write_jsonl(path: Path, records: list) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        _fsync_file(path)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _live_build_name(store_dir: Path) -> str | None:
    try:
        return live_build(store_dir).name
    except (FileNotFoundError, IndexCorruptError):
        return None


def is_own_build(path: Path) -> bool:
    """A folder this store made: ``build-<12 hex digits>``, not a link, holding the marker."""
    return (
        BUILD_NAME.fullmatch(path.name) is not None
        and not path.is_symlink()
        and path.is_dir()
        and (path / BUILD_MARKER).is_file()
    )


def _remove_builds(store_dir: Path, keep: str | None) -> None:
    """Remove the store's own builds except ``keep`` (call it holding the writer lock)."""
    for path in store_dir.iterdir():
        if path.name != keep and is_own_build(path):
            shutil.rmtree(path, ignore_errors=True)
