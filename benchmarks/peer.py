"""The peer: LangChain's FAISS vector store over the same chunks, with LangChain's stock
``HuggingFaceEmbeddings`` (sentence-transformers on torch) loading the same bundled model directory."""

from __future__ import annotations

from pathlib import Path

from langchain_community.embeddings import HuggingFaceEmbeddings
from langchain_community.vectorstores import FAISS
from langchain_community.vectorstores.utils import DistanceStrategy
from langchain_core.documents import Document


def stock_embeddings(model_dir: Path) -> HuggingFaceEmbeddings:
    """The stock class with its default batching; it takes one set of encode options for passages and
    questions alike, so both get the ``passage: `` prompt (the same cost as ``query: ``)."""
    return HuggingFaceEmbeddings(
        model_name=str(model_dir),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "prompt_name": "passage"},
    )


def build_peer(texts: list[str], metadatas: list[dict], embeddings: HuggingFaceEmbeddings) -> FAISS:
    """A LangChain FAISS store (exact inner product, like the engine's flat index) over ``texts``."""
    return FAISS.from_texts(
        texts, embeddings, metadatas=metadatas, distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT
    )


def peer_search(store: FAISS, question: str, k: int) -> list[Document]:
    return store.similarity_search(question, k=k)
