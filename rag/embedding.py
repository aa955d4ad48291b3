"""Load the embedding model (offline) and embed questions, passages and spans of passages.

Two runtimes run the same model: ONNX Runtime (``rag/onnx_model.py``; the default for the bundled
model: it loads without torch and runs a query in about half the time) and torch through
sentence-transformers (any model, and the fallback when the ONNX export cannot be made or loaded).
Both give the same vectors (cosine 1.0000, ``benchmarks/runtime.py``), so an index built by one is
valid for the other.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.bundled_model import ensure_bundled_model, quiet_transformers, read_build_info
from rag.config import BUNDLED_MODEL, Settings
from rag.errors import ModelLoadError
from rag.onnx_model import OnnxEncoder, TokenBatch, ensure_int8_model, ensure_onnx_model, normalize

# Nothing is ever fetched from a model hub: models come from installed packages or local paths.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger(__name__)

RUNTIMES = ("onnx", "torch")
#: Part of the fingerprint: bump when the way answer-sentence vectors are made changes, so indexes
#: holding sentence vectors made the old way are rebuilt.
SENTENCE_VECTOR_RECIPE = "query-prompt-1"


class Encoder(Protocol):
    """A runtime running the model on one batch of already prompted texts."""

    prompts: dict[str, str]
    dimension: int
    #: Texts run through the model at once (sorted by length, so they pad little).
    batch_size: int

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_many(self, batches: list[list[str]], threads: int) -> list[np.ndarray]: ...

    def encode_tokens(self, texts: list[str]) -> TokenBatch: ...


@dataclass
class Embedder:
    """The model in one runtime, plus the identity the index manifest records."""

    encoder: Encoder
    model_id: str
    fingerprint: str
    query_prompt: str
    passage_prompt: str
    runtime: str = "torch"
    #: ``int8``: index vectors come from the export with int8 weights (``for_index``); ``fp32``: from
    #: this model. Only ONNX Runtime has the int8 model.
    index_precision: str = "fp32"
    _index_embedder: Embedder | None = field(default=None, init=False, repr=False)

    def for_index(self) -> Embedder:
        """The embedder that makes an index's passage and answer-sentence vectors: with ``int8``, this
        model's export with int8 weights (made and loaded on the first build, never for questions),
        otherwise this one. An index made by either answers questions embedded by either (same
        dimension, cosine 0.999 to each other; ``benchmarks/build_ways.py``), so it is not rebuilt
        when the setting changes."""
        if self.index_precision != "int8":
            return self
        if self._index_embedder is None:
            self._index_embedder = self._int8_embedder()
        return self._index_embedder

    def _int8_embedder(self) -> Embedder:
        try:
            model = ensure_int8_model(self.encoder.directory)
            encoder = OnnxEncoder(self.encoder.directory, self.encoder.threads, model_file=model.name)
        except Exception as error:  # noqa: BLE001 - any failure keeps the fp32 model
            log.warning("The int8 model could not be made or loaded (%s); building with the fp32 model.", error)
            return self
        return replace(self, encoder=encoder, runtime=f"{self.runtime}-int8", index_precision="fp32")

    @property
    def dimension(self) -> int:
        return int(self.encoder.dimension)

    @property
    def prompts(self) -> dict[str, str]:
        return self.encoder.prompts

    def embed_queries(self, texts: list[str], threads: int = 1) -> np.ndarray:
        """Query-prompted vectors. ``threads`` (``Settings.build_threads`` for many texts: a build, an
        update, ``ask_many``) is how many cores the runtime may use for them; 1 for one question."""
        return self._encode(self._prompted(texts, self.query_prompt), threads)

    def embed_passages(self, texts: list[str], threads: int = 1) -> np.ndarray:
        return self._encode(self._prompted(texts, self.passage_prompt), threads)

    def embed_answer_sentences(self, texts: list[str], threads: int = 1) -> np.ndarray:
        """Sentence vectors for answer selection: each sentence alone, with the query prompt. On XQuAD
        this keeps "answer contains gold" within a point of the normalized mean of the passage- and
        query-prompted vectors used before (tuning half: English +1.0, Arabic -0.5 points) at half the
        cost; pooling sentences from their passages' pass lost 5-11 points
        (``benchmarks/sentence_vectors.py``)."""
        return self.embed_queries(texts, threads)

    def embed_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors and, from the same forward pass, the normalized mean of the token states
        covering each ``(start, end)`` character span of each text. A span the model never saw (cut
        off past its token limit) is embedded on its own with ``embed_answer_sentences``. (Measured as
        a way to make answer-sentence vectors without a second pass; it lost answers, see above.)"""
        prefix = self.prompts.get(self.passage_prompt, "")
        prompted = [prefix + text for text in texts]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors = [np.zeros((len(s), self.dimension), dtype=np.float32) for s in spans]
        unseen: list[tuple[int, int]] = []
        for batch in length_batches(prompted, self.encoder.batch_size):
            states = self.encoder.encode_tokens([prompted[i] for i in batch])
            vectors[batch] = states.vectors
            for row, i in enumerate(batch):
                for j, (start, end) in enumerate(spans[i]):
                    pooled = pool_span(states, row, start + len(prefix), end + len(prefix))
                    if pooled is None:
                        unseen.append((i, j))
                    else:
                        span_vectors[i][j] = pooled
        if unseen:
            alone = self.embed_answer_sentences([texts[i][slice(*spans[i][j])] for i, j in unseen])
            for (i, j), vector in zip(unseen, alone, strict=True):
                span_vectors[i][j] = vector
        return vectors, span_vectors

    def _prompted(self, texts: list[str], prompt: str) -> list[str]:
        prefix = self.prompts.get(prompt, "")
        return [prefix + text for text in texts]

    def _encode(self, texts: list[str], threads: int = 1) -> np.ndarray:
        """Texts of similar length batched together (little padding), the batches run on ``threads``
        cores, vectors in input order."""
        if len(texts) == 1:
            return self.encoder.encode(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = length_batches(texts, self.encoder.batch_size)
        encoded = self.encoder.encode_many([[texts[i] for i in batch] for batch in batches], threads)
        for batch, batch_vectors in zip(batches, encoded, strict=True):
            vectors[batch] = batch_vectors
        return vectors


def mixed_query(vector: np.ndarray, other: np.ndarray, weight: float) -> np.ndarray:
    """The normalized mix ``(1 - weight) * vector + weight * other`` of two query vectors."""
    mixed = (1 - weight) * vector + weight * other
    return mixed / np.linalg.norm(mixed)


def length_batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices of ``texts``, longest first, in groups of ``batch_size``."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pool_span(states: TokenBatch, row: int, start: int, end: int) -> np.ndarray | None:
    """Normalized mean of the token states of ``row`` whose characters overlap ``[start, end)``."""
    token_starts, token_ends = states.offsets[row, :, 0], states.offsets[row, :, 1]
    real = (states.mask[row] > 0) & (token_ends > token_starts)  # not padding, not <s> or </s>
    inside = real & (token_starts < end) & (token_ends > start)
    if not inside.any():
        return None
    return normalize(states.hidden[row][inside].mean(axis=0, keepdims=True))[0]


class TorchEncoder:
    """A sentence-transformers model run by torch (its own pooling, normalized)."""

    batch_size = 16

    def __init__(self, model: object):
        self.model = model  # sentence_transformers.SentenceTransformer
        self.prompts: dict[str, str] = dict(model.prompts)
        self.dimension = int(model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._forward(texts)[0]

    def encode_many(self, batches: list[list[str]], threads: int) -> list[np.ndarray]:
        """The vectors of each batch, torch running with ``threads`` intra-op threads meanwhile."""
        with torch_thread_count(threads):
            return [self.encode(batch) for batch in batches]

    def encode_tokens(self, texts: list[str]) -> TokenBatch:
        vectors, output, features = self._forward(texts)
        tokenized = self.model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.model.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="np",
        )
        return TokenBatch(
            vectors,
            output["token_embeddings"].numpy(),
            features["attention_mask"].numpy(),
            tokenized["offset_mapping"],
        )

    def _forward(self, texts: list[str]) -> tuple[np.ndarray, dict, dict]:
        """Texts straight through the model's modules: no ``encode()`` machinery (about 1.2 ms of a
        15 ms query here), same vectors."""
        import torch

        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize  # renamed in v6
        features = preprocess(texts)
        with torch.inference_mode():
            output = self.model(features)
        vectors = torch.nn.functional.normalize(output["sentence_embedding"], dim=-1)
        return np.ascontiguousarray(vectors.numpy(), dtype=np.float32), output, features


@contextmanager
def torch_thread_count(count: int) -> Iterator[None]:
    """Torch's intra-op threads set to ``count`` meanwhile (they are the process's; set back after)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, count))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_embedder(settings: Settings) -> Embedder:
    """Build (once) and load the configured model in the configured runtime; raise ``ModelLoadError``.

    The bundled model runs in ONNX Runtime unless ``settings.embedding_runtime`` is ``torch``; when the
    ONNX export cannot be made or loaded, torch is used with a warning. Other models run in torch."""
    if settings.embedding_runtime not in RUNTIMES:
        raise ModelLoadError(f"Unknown embedding runtime {settings.embedding_runtime!r}; use one of {RUNTIMES}")
    try:
        if settings.model == BUNDLED_MODEL:
            path = ensure_bundled_model(settings.cache_dir)
            fingerprint = (read_build_info(path) or {}).get("source_sha256", "")
        else:
            path = Path(settings.model)
            fingerprint = model_fingerprint(settings.model)
        encoder, runtime = None, "torch"
        if settings.model == BUNDLED_MODEL and settings.embedding_runtime == "onnx":
            encoder, runtime = _load_onnx(path, settings.torch_threads), "onnx"
        if encoder is None:
            name = str(path) if settings.model == BUNDLED_MODEL else settings.model
            encoder, runtime = _load_torch(name, settings), "torch"
    except Exception as error:  # any failure to build or load is reported the same way
        raise ModelLoadError(f"Could not load the embedding model {settings.model!r}: {error}") from error
    fingerprint = hashlib.sha256(f"{fingerprint}:{SENTENCE_VECTOR_RECIPE}".encode()).hexdigest()
    index_precision = settings.index_precision if runtime == "onnx" else "fp32"
    embedder = Embedder(
        encoder, settings.model, fingerprint, settings.query_prompt, settings.passage_prompt, runtime, index_precision
    )
    embedder.embed_queries(["warm-up"])  # the first call pays one-time setup; pay it while loading
    return embedder


def _load_onnx(model_dir: Path, threads: int) -> OnnxEncoder | None:
    """The ONNX export of ``model_dir`` (made once), or ``None`` with a warning when it fails."""
    try:
        return OnnxEncoder(ensure_onnx_model(model_dir), threads)
    except Exception as error:  # noqa: BLE001 - any failure falls back to torch
        log.warning("ONNX Runtime could not run the model (%s); using torch instead.", error)
        return None


def _load_torch(name_or_path: str, settings: Settings) -> TorchEncoder:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, settings.torch_threads))
    quiet_transformers()
    return TorchEncoder(SentenceTransformer(name_or_path, device="cpu", local_files_only=True))


def model_fingerprint(name_or_path: str) -> str:
    """A checksum of a local model directory's files (names, sizes, times), or of the name."""
    digest = hashlib.sha256(name_or_path.encode())
    path = Path(name_or_path)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = file.stat()
            digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()
