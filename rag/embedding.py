"""Load the sentence-transformers model (offline) and embed questions and passages."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.bundled_model import ensure_bundled_model, read_build_info
from rag.config import BUNDLED_MODEL, Settings
from rag.errors import ModelLoadError

# Nothing is ever fetched from a model hub: models come from installed packages or local paths.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass
class Embedder:
    """A sentence-transformers model plus the identity the index manifest records."""

    model: object  # sentence_transformers.SentenceTransformer
    model_id: str
    fingerprint: str
    query_prompt: str
    passage_prompt: str

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._forward_one(texts[0], self.query_prompt)
        return self._encode(texts, self.query_prompt, batch_size=32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, batch_size=16)

    def embed_answer_sentences(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors for answer selection: the normalized mean of the passage- and the
        query-prompted embeddings. On XQuAD (tuning half) this put the gold sentence first for
        55% of English questions against 48% with passage prompts alone (Arabic: 71% vs 71%)."""
        mean = self.embed_passages(texts) + self.embed_queries(texts)
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        return mean / np.maximum(norms, 1e-12)

    def _forward_one(self, text: str, prompt: str) -> np.ndarray:
        """One text straight through the model's modules. For a single question this skips
        ``encode()``'s batching machinery, about 1.2 ms of a 15 ms query here (same vector)."""
        import torch

        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize  # renamed in v6
        features = preprocess([self.model.prompts.get(prompt, "") + text])
        with torch.inference_mode():
            vector = self.model(features)["sentence_embedding"]
        vector = torch.nn.functional.normalize(vector, dim=-1)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        prompt_name = prompt if prompt in self.model.prompts else None
        vectors = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    """Build (once) and load the configured model; raise ``ModelLoadError`` with the reason."""
    import torch

    torch.set_num_threads(max(1, settings.torch_threads))
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        if settings.model == BUNDLED_MODEL:
            path = ensure_bundled_model(settings.cache_dir)
            fingerprint = (read_build_info(path) or {}).get("source_sha256", "")
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        else:
            fingerprint = model_fingerprint(settings.model)
            model = SentenceTransformer(settings.model, device="cpu", local_files_only=True)
    except Exception as error:  # any failure to build or load is reported the same way
        raise ModelLoadError(f"Could not load the embedding model {settings.model!r}: {error}") from error
    embedder = Embedder(model, settings.model, fingerprint, settings.query_prompt, settings.passage_prompt)
    embedder.embed_queries(["warm-up"])  # the first call pays ~1 s of one-time setup; pay it while loading
    return embedder


def model_fingerprint(name_or_path: str) -> str:
    """A checksum of a local model directory's files (names, sizes, times), or of the name."""
    digest = hashlib.sha256(name_or_path.encode())
    path = Path(name_or_path)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = file.stat()
            digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()
