"""The peer: LangChain's FAISS vector store over the same chunks and the same sentence-transformers model."""

from __future__ import annotations

from langchain_community.vectorstores import FAISS
from langchain_community.vectorstores.utils import DistanceStrategy
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.embedding import Embedder


class SentenceTransformerEmbeddings(Embeddings):
    """LangChain embeddings calling the engine's SentenceTransformer with its query:/passage: prompts."""

    def __init__(self, embedder: Embedder):
        self.model = embedder.model
        self.query_prompt = embedder.query_prompt
        self.passage_prompt = embedder.passage_prompt

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, self.passage_prompt, 16).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self.query_prompt, 32)[0].tolist()

    def _encode(self, texts: list[str], prompt: str, batch_size: int):
        return self.model.encode(
            texts,
            prompt_name=prompt if prompt in self.model.prompts else None,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def build_peer(texts: list[str], metadatas: list[dict], embedder: Embedder) -> FAISS:
    """A LangChain FAISS store (exact inner product, like the engine's flat index) over ``texts``."""
    return FAISS.from_texts(
        texts,
        SentenceTransformerEmbeddings(embedder),
        metadatas=metadatas,
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
    )


def peer_search(store: FAISS, question: str, k: int) -> list[Document]:
    return store.similarity_search(question, k=k)
