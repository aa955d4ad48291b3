"""The engine's front door: open the model and index once, then ask questions.

The command line, the chat page and the benchmarks all go through ``Engine``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import faiss

from rag.answering import Answer, AnswerComposer
from rag.articles import LoadedArticles, load_articles
from rag.config import Settings
from rag.embedding import Embedder, load_embedder
from rag.language import detect_language
from rag.lexicon import BilingualLexicon, load_lexicon
from rag.retrieval import Hit, Mode, Retriever
from rag.validation import check_question
from rag.vectorstore import OpenedStore, Progress, VectorStore, open_store


@dataclass(frozen=True)
class OpenTimings:
    """Seconds spent opening the engine, by stage."""

    model_load: float
    articles_load: float
    index_open: float
    lexicon_load: float = 0.0


@dataclass
class Engine:
    settings: Settings
    embedder: Embedder
    loaded: LoadedArticles
    opened: OpenedStore
    retriever: Retriever
    composer: AnswerComposer
    timings: OpenTimings
    lexicon: BilingualLexicon | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        progress: Progress | None = None,
        force_rebuild: bool = False,
        embedder: Embedder | None = None,
        lexicon: BilingualLexicon | None = None,
    ) -> Engine:
        """Load the model and articles, then reuse, build or rebuild the index as needed.

        Raises ``ArticlesError`` (no usable articles) or ``ModelLoadError``.
        """
        started = time.perf_counter()
        faiss.omp_set_num_threads(max(1, settings.search_threads))
        loaded = load_articles(settings.docs_dir)
        articles_done = time.perf_counter()
        embedder = embedder or load_embedder(settings)
        model_done = time.perf_counter()
        opened = open_store(loaded.articles, embedder, settings, progress, force_rebuild)
        index_done = time.perf_counter()
        lexicon = lexicon or load_lexicon(settings.lexicon_path)
        lexicon_done = time.perf_counter()
        timings = OpenTimings(
            model_done - articles_done, articles_done - started, index_done - model_done, lexicon_done - index_done
        )
        return cls._assemble(settings, embedder, loaded, opened, timings, lexicon)

    @classmethod
    def _assemble(
        cls,
        settings: Settings,
        embedder: Embedder,
        loaded: LoadedArticles,
        opened: OpenedStore,
        timings: OpenTimings,
        lexicon: BilingualLexicon | None,
    ) -> Engine:
        store = opened.store
        retriever = Retriever.create(store, embedder, settings.fusion_depth, settings.rrf_k)
        composer = AnswerComposer(
            store,
            retriever.corpus_language,
            settings.abstain_threshold,
            settings.abstain_threshold_cross,
            settings.abstain_threshold_cross_without_dictionary,
            settings.max_sentences,
            settings.max_citations,
            settings.sentence_keep_ratio,
            lexicon,
        )
        return cls(settings, embedder, loaded, opened, retriever, composer, timings, lexicon)

    @property
    def store(self) -> VectorStore:
        return self.opened.store

    def rebuild(self, progress: Progress | None = None) -> Engine:
        """A new engine over a freshly built index (the articles are read again)."""
        return Engine.open(self.settings, progress, force_rebuild=True, embedder=self.embedder, lexicon=self.lexicon)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer ``question`` from the articles; raises ``QuestionError`` for bad input."""
        text = check_question(question, self.settings.max_question_chars)
        language = detect_language(text)
        query_vector = self.retriever.embed_question(text)
        hits = self.retriever.retrieve(text, top_k or self.settings.top_k, query_vector)
        return self.composer.compose(text, language, hits, query_vector)

    def retrieve(self, question: str, k: int, mode: Mode = "hybrid") -> list[Hit]:
        """Ranked passages only, for evaluation and benchmarks."""
        text = check_question(question, self.settings.max_question_chars)
        return self.retriever.retrieve(text, k, mode=mode)
