"""Where the passage vectors live: a FAISS index file in each build (the default) or a Milvus collection.

Both backends implement ``VectorIndex``. A vector's id is its passage's position in the build's chunk
list, so retrieval, answers and citations are the same code for both. ``RAG_VECTOR_BACKEND=milvus``
puts the vectors of each build in a collection of their own, named per build (``rag_<store>_<build>``):
a new build fills a new collection, ``CURRENT`` moves to it, and only then are the store's other
collections dropped, so a build stays atomic as with FAISS. ``RAG_MILVUS_URI`` is a local ``.db``
file (milvus-lite, one process at a time) or ``http://host:19530`` (a Milvus server or cluster);
``RAG_MILVUS_TOKEN`` is sent to the server and never logged. A Milvus that cannot be reached is a
``VectorBackendError``: the engine never falls back to an empty index.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import faiss
import numpy as np

from rag.config import Settings
from rag.errors import IndexCorruptError, SettingsError, VectorBackendError

log = logging.getLogger(__name__)

BACKENDS = ("faiss", "milvus")
#: The FAISS index file in a build folder.
FAISS_FILE = "vectors.faiss"
HNSW_NEIGHBOURS = 32
#: Rows sent to Milvus in one insert or get (384 floats each: about 8 MB a message).
MILVUS_BATCH = 5_000
MILVUS_LITE_FILE = "milvus.db"
ID_FIELD = "id"
VECTOR_FIELD = "vector"


class VectorIndex(Protocol):
    """The passage vectors of one build; positions are chunk positions."""

    #: ``faiss`` or ``milvus``, as the manifest records it.
    backend: str
    #: The Milvus collection holding the vectors; empty for FAISS (its file is in the build folder).
    collection: str

    def count(self) -> int: ...

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Inner products and positions of the ``k`` nearest vectors per query, ``-1`` where fewer."""

    def vectors(self, positions: Sequence[int]) -> np.ndarray:
        """The stored vectors at ``positions``, in that order."""

    def add(self, vectors: np.ndarray) -> None:
        """Append ``vectors`` at the next positions."""

    def remove(self, positions: Sequence[int]) -> None:
        """Delete the vectors at ``positions``; later ones move down, as in a list."""

    def save(self, build: Path) -> tuple[str, ...]:
        """Make the vectors durable for the build folder ``build``; the local files written."""

    def drop(self) -> None:
        """Delete the vectors wherever they are held outside the build folder."""

    def drop_other_builds(self) -> None:
        """Delete the vectors of the store's other builds (call once ``CURRENT`` names this one)."""


# --- FAISS -------------------------------------------------------------------------------------


@dataclass
class FaissIndex:
    """An in-process FAISS index, written as ``vectors.faiss`` into its build folder."""

    index: faiss.Index
    backend = "faiss"
    collection = ""

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str) -> FaissIndex:
        return cls(make_index(vectors, kind))

    @classmethod
    def load(cls, build: Path) -> FaissIndex:
        index = faiss.read_index(str(build / FAISS_FILE))
        set_search_depth(index)
        return cls(index)

    def count(self) -> int:
        return self.index.ntotal

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), min(k, self.count()))

    def vectors(self, positions: Sequence[int]) -> np.ndarray:
        if not len(positions):
            return np.zeros((0, self.index.d), dtype=np.float32)
        return np.vstack([self.index.reconstruct(int(p)) for p in positions])

    def add(self, vectors: np.ndarray) -> None:
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        set_search_depth(self.index)

    def remove(self, positions: Sequence[int]) -> None:
        if isinstance(self.index, faiss.IndexHNSWFlat):  # HNSW cannot delete: rebuild from the rest
            kept = np.setdiff1d(np.arange(self.count()), np.asarray(positions, dtype=np.int64))
            self.index = make_index(self.vectors(kept), "hnsw")
        else:
            self.index.remove_ids(np.asarray(positions, dtype=np.int64))

    def save(self, build: Path) -> tuple[str, ...]:
        """Written through a Python file, so that a failed write raises ``OSError`` with its errno
        (faiss's own writer raises a bare ``RuntimeError`` and prints to stderr)."""
        with open(build / FAISS_FILE, "wb") as handle:
            faiss.write_index(self.index, faiss.PyCallbackIOWriter(handle.write))
        return (FAISS_FILE,)

    def drop(self) -> None:
        """Nothing to do: the index file goes with its build folder."""

    def drop_other_builds(self) -> None:
        """Nothing to do: other builds' files go with their folders."""


def make_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    """Exact inner-product search, or HNSW for corpora past ``Settings.hnsw_threshold``."""
    dimension = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexFlatIP(dimension)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    set_search_depth(index)
    return index


def set_search_depth(index: faiss.Index) -> None:
    """HNSW search depth by corpus size, for recall@10 against exact search of about 0.98 at 100k
    passages (efSearch 512) and 0.9 at 1M (1024), measured on e5-like vectors (benchmarks/scale.py)."""
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = hnsw_search_depth(index.ntotal)


def hnsw_search_depth(count: int) -> int:
    return 512 if count <= 500_000 else 1024


# --- Milvus ------------------------------------------------------------------------------------


@dataclass
class MilvusCollection:
    """One build's vectors in a Milvus collection: primary key = chunk position, inner-product metric.

    ``kind`` ``flat`` is exact search (Milvus ``FLAT``); ``hnsw`` is Milvus's HNSW with the FAISS
    backend's neighbours and search depth."""

    client: object  # pymilvus.MilvusClient
    collection: str
    dimension: int
    kind: str
    where: str  # the server or file, for messages (no credentials)
    #: Rows held, kept here so that a search needs no second round trip for its HNSW depth.
    rows: int = 0
    backend = "milvus"

    @classmethod
    def create(cls, client: object, name: str, vectors: np.ndarray, kind: str, where: str) -> MilvusCollection:
        from pymilvus import DataType

        schema = client.create_schema(auto_id=False)
        schema.add_field(ID_FIELD, DataType.INT64, is_primary=True)
        schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        params = client.prepare_index_params()
        if kind == "hnsw":
            params.add_index(
                VECTOR_FIELD, index_type="HNSW", metric_type="IP", params={"M": HNSW_NEIGHBOURS, "efConstruction": 40}
            )
        else:
            params.add_index(VECTOR_FIELD, index_type="FLAT", metric_type="IP")
        created = cls(client, name, int(vectors.shape[1]), kind, where)
        with created._errors("create the collection"):
            client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
        created.add(vectors)
        return created

    def count(self) -> int:
        with self._errors("count the vectors"):
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.asarray(query_vectors, dtype=np.float32)
        params: dict[str, object] = {"metric_type": "IP"}
        if self.kind == "hnsw":
            params["params"] = {"ef": max(k, hnsw_search_depth(self.rows))}
        with self._errors("search"):
            results = self.client.search(
                self.collection, data=queries.tolist(), limit=k, anns_field=VECTOR_FIELD, search_params=params
            )
        scores = np.zeros((len(queries), k), dtype=np.float32)
        positions = np.full((len(queries), k), -1, dtype=np.int64)
        for row, hits in enumerate(results):
            for column, hit in enumerate(hits):
                scores[row, column] = hit["distance"]
                positions[row, column] = hit[ID_FIELD]
        return scores, positions

    def vectors(self, positions: Sequence[int]) -> np.ndarray:
        wanted = [int(p) for p in positions]
        found: dict[int, list[float]] = {}
        for begin in range(0, len(wanted), MILVUS_BATCH):
            with self._errors("read vectors"):
                rows = self.client.get(
                    self.collection, ids=wanted[begin : begin + MILVUS_BATCH], output_fields=[VECTOR_FIELD]
                )
            found.update((int(r[ID_FIELD]), r[VECTOR_FIELD]) for r in rows)
        missing = [p for p in wanted if p not in found]
        if missing:
            raise IndexCorruptError(
                f"the Milvus collection {self.collection} lacks the vectors of positions {missing[:5]}"
            )
        return np.asarray([found[p] for p in wanted], dtype=np.float32).reshape(len(wanted), self.dimension)

    def add(self, vectors: np.ndarray) -> None:
        self._insert(self.rows, np.asarray(vectors, dtype=np.float32))

    def remove(self, positions: Sequence[int]) -> None:
        """Delete ``positions``, then move every later vector down (re-inserted under its new position):
        the cost follows the passages after the first removed one."""
        removed = sorted({int(p) for p in positions})
        if not removed:
            return
        later = [p for p in range(removed[0], self.rows) if p not in set(removed)]
        moved = self.vectors(later)
        with self._errors("delete vectors"):
            self.client.delete(self.collection, ids=list(range(removed[0], self.rows)))
        self._insert(removed[0], moved)

    def save(self, build: Path) -> tuple[str, ...]:
        """Flush, then reload so that searches run on the sealed, indexed segments (milvus-lite
        otherwise keeps searching its unindexed in-memory rows: 179 ms against 17 ms at 20k rows)."""
        with self._errors("flush the collection"):
            self.client.flush(self.collection)
        self._reload()
        return ()

    def _reload(self, attempts: int = 5) -> None:
        """Release and load the collection. milvus-lite indexes flushed rows in a background thread and
        a load that meets a half-written index file fails: it is tried again once that has finished."""
        from pymilvus.exceptions import MilvusException

        for attempt in range(1, attempts + 1):
            try:
                self.client.release_collection(self.collection)
                self.client.load_collection(self.collection)
                return
            except MilvusException as error:
                if attempt == attempts:
                    raise VectorBackendError(
                        f"Milvus at {self.where} failed to load the collection: {reason(error)}"
                    ) from None
                time.sleep(attempt)

    def drop(self) -> None:
        with self._errors("drop the collection"):
            self.client.drop_collection(self.collection)

    def drop_other_builds(self) -> None:
        prefix = self.collection.rsplit("_", 1)[0] + "_"
        with self._errors("list the collections"):
            names = self.client.list_collections()
        for name in names:
            if name.startswith(prefix) and name != self.collection:
                log.info("Dropping the Milvus collection %s of an older build.", name)
                with self._errors(f"drop the collection {name}"):
                    self.client.drop_collection(name)

    def _insert(self, first_position: int, vectors: np.ndarray) -> None:
        for begin in range(0, len(vectors), MILVUS_BATCH):
            records = [
                {ID_FIELD: first_position + begin + i, VECTOR_FIELD: vector}
                for i, vector in enumerate(vectors[begin : begin + MILVUS_BATCH])
            ]
            with self._errors("insert vectors"):
                self.client.insert(self.collection, records)
        self.rows = first_position + len(vectors)

    def _errors(self, action: str) -> MilvusErrors:
        return MilvusErrors(action, self.where)


@dataclass(frozen=True)
class MilvusErrors:
    """Turns a pymilvus failure into one ``VectorBackendError`` naming what was being done, and where."""

    action: str
    where: str

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        from pymilvus.exceptions import MilvusException

        if isinstance(error, MilvusException):
            raise VectorBackendError(f"Milvus at {self.where} failed to {self.action}: {reason(error)}") from None
        return False


# --- Choosing and opening a backend ----------------------------------------------------------------


def build_vector_index(vectors: np.ndarray, kind: str, settings: Settings, store_dir: Path) -> VectorIndex:
    """A new index over ``vectors`` in the configured backend (for Milvus, a new collection)."""
    if check_backend(settings) == "faiss":
        return FaissIndex.build(vectors, kind)
    client, where = milvus_client(settings, store_dir)
    name = f"{collection_prefix(store_dir)}{uuid.uuid4().hex[:12]}"
    return MilvusCollection.create(client, name, vectors, kind, where)


def open_vector_index(
    backend: str, collection: str, kind: str, dimension: int, build: Path, settings: Settings, store_dir: Path
) -> VectorIndex:
    """The saved vectors of a build: its FAISS file, or its Milvus collection (``IndexCorruptError``
    when the collection is gone, ``VectorBackendError`` when Milvus cannot be reached)."""
    if backend == "faiss":
        return FaissIndex.load(build)
    if backend != "milvus":
        raise IndexCorruptError(f"unknown vector backend {backend!r} in the manifest")
    client, where = milvus_client(settings, store_dir)
    with MilvusErrors("look up the collection", where):
        exists = client.has_collection(collection)
    if not exists:
        raise IndexCorruptError(f"the Milvus collection {collection} is not in {where}")
    with MilvusErrors("load the collection", where):
        client.load_collection(collection)
    opened = MilvusCollection(client, collection, dimension, kind, where)
    opened.rows = opened.count()
    return opened


def connect_backend(settings: Settings) -> None:
    """Fail now, before any embedding, when the configured backend is unknown or cannot be reached."""
    if check_backend(settings) == "milvus":
        milvus_client(settings, settings.store_location())


def check_backend(settings: Settings) -> str:
    if settings.vector_backend not in BACKENDS:
        raise SettingsError(f"RAG_VECTOR_BACKEND={settings.vector_backend!r}: use one of {', '.join(BACKENDS)}")
    return settings.vector_backend


def collection_prefix(store_dir: Path) -> str:
    """``rag_<8 hex digits of the store's path>_``: the collections of one store, and no other's."""
    return f"rag_{hashlib.sha256(str(store_dir.resolve()).encode()).hexdigest()[:8]}_"


def milvus_uri(settings: Settings, store_dir: Path) -> str:
    """``RAG_MILVUS_URI``, or a milvus-lite file ``milvus.db`` in the index folder."""
    return settings.milvus_uri or str(store_dir / MILVUS_LITE_FILE)


def milvus_client(settings: Settings, store_dir: Path) -> tuple[object, str]:
    """A connected ``MilvusClient`` and where it points (without credentials)."""
    uri = milvus_uri(settings, store_dir)
    remote = uri.startswith(("http://", "https://", "tcp://", "unix:"))
    if not remote and not uri.endswith(".db"):
        raise SettingsError(f"RAG_MILVUS_URI={uri!r}: use http://host:19530 or a milvus-lite file ending in .db")
    if not remote:
        uri = str(Path(uri).expanduser().resolve())
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite's in-process gRPC server logs an error for AllocTimestamp, which it lacks and
        # pymilvus does without, and logs every failure it also returns (raised here as ours).
        for name in ("grpc._server", "milvus_lite"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    return _connect(uri, settings.milvus_token), without_credentials(uri)


def without_credentials(uri: str) -> str:
    """``uri`` with any ``user:password@`` taken out, for messages."""
    parts = urlsplit(uri)
    if parts.hostname and "@" in parts.netloc:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def reason(error: Exception) -> str:
    """A pymilvus error's own message, without its class name and code."""
    return str(getattr(error, "message", "") or error)


@lru_cache(maxsize=8)
def _connect(uri: str, token: str) -> object:
    """One client per server (or milvus-lite file) and token for the process."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    try:
        client = MilvusClient(uri=uri, token=token)
        client.list_collections()  # fails here, not at the first search, when the server is down
    except MilvusException as error:
        hint = " (milvus-lite opens a file in one process at a time)" if uri.endswith(".db") else ""
        raise VectorBackendError(
            f"Cannot reach the Milvus vector database at {without_credentials(uri)}{hint}: "
            f"{reason(error).replace(uri, without_credentials(uri))}. Start it, or set RAG_MILVUS_URI to one "
            "that runs, or RAG_VECTOR_BACKEND=faiss."
        ) from None
    return client
