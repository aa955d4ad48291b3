"""The engine's front door: open the model and index once, then ask questions.

The command line, the chat page and the benchmarks all go through ``Engine`` (``from rag import Engine``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import faiss
import numpy as np

from rag.abstention import Abstention
from rag.answer import Answer
from rag.answer_ranker import AnswerRanker
from rag.answering import AnswerComposer
from rag.arabic import Language
from rag.articles import SkippedFile, load_articles
from rag.candidates import CandidateScorer, SentenceMap
from rag.config import Settings
from rag.embedding import Embedder, load_embedder
from rag.errors import QuestionError
from rag.indexing import OpenedStore, Progress, open_index
from rag.lexicon import LexiconLoader
from rag.names import NameIndex
from rag.retrieval import Hit, Mode, Retriever, corpus_language
from rag.term_matching import QuestionTermFinder
from rag.validation import Question, check_question
from rag.writing import AnswerWriter


@dataclass(frozen=True)
class OpenTimings:
    """Seconds spent opening the engine, by stage."""

    articles_load: float
    model_load: float
    index_open: float


@dataclass(frozen=True)
class ArticleInfo:
    doc_id: str
    title: str
    source: str | None


@dataclass(frozen=True)
class EngineInfo:
    """What the engine holds and how it was opened: what the page's sidebar and ``rag index`` show."""

    articles: list[ArticleInfo]
    skipped: list[SkippedFile]
    passages: int
    sentences: int
    corpus_language: Language
    #: ``reused``, ``built`` or ``rebuilt``, and why it was (re)built.
    index_action: str
    index_reasons: list[str]
    index_kind: str
    build_seconds: float
    store_path: str
    model: str
    #: ``loaded``, ``installed`` (read on the first English question), ``missing`` or ``off``.
    dictionary: str
    timings: OpenTimings


@dataclass
class Engine:
    settings: Settings
    _embedder: Embedder
    _opened: OpenedStore
    _skipped: list[SkippedFile]
    _lexicon: LexiconLoader
    _timings: OpenTimings
    _retriever: Retriever = field(init=False)
    _composer: AnswerComposer = field(init=False)

    def __post_init__(self) -> None:
        store = self._opened.store
        language = corpus_language(store)
        sentence_map = SentenceMap.build(store, language)
        names = NameIndex.build(store.term_weights.forms) if language == "ar" else None
        self._retriever = Retriever(
            store,
            self._embedder,
            language,
            sentence_map.sentences_of_chunk,
            names,
            self.settings.fusion_depth,
            self.settings.rrf_k,
            self.settings.passage_sentence_weight,
            self.settings.name_weight,
        )
        self._composer = AnswerComposer(
            QuestionTermFinder(store.term_weights, language, self._lexicon, names),
            Abstention.from_settings(self.settings),
            CandidateScorer(store, sentence_map, AnswerRanker.load(self.settings.answer_ranker_path)),
            AnswerWriter(store, language, self.settings.max_sentences, self.settings.max_citations),
            self.settings.abstention_depth,
        )

    @classmethod
    def open(
        cls,
        settings: Settings,
        progress: Progress | None = None,
        force_rebuild: bool = False,
        _embedder: Embedder | None = None,
        _lexicon: LexiconLoader | None = None,
    ) -> Engine:
        """Load the model and articles, then reuse, build or rebuild the index as needed.

        Raises ``ArticlesError`` (no usable articles), ``ModelLoadError`` or ``StoreMismatchError``.
        """
        started = time.perf_counter()
        faiss.omp_set_num_threads(max(1, settings.search_threads))
        loaded = load_articles(settings.docs_dir)
        articles_done = time.perf_counter()
        embedder = _embedder or load_embedder(settings)
        model_done = time.perf_counter()
        opened = open_index(loaded.articles, embedder, settings, progress, force_rebuild)
        timings = OpenTimings(articles_done - started, model_done - articles_done, time.perf_counter() - model_done)
        lexicon = _lexicon or LexiconLoader(settings.lexicon_path, settings.use_dictionary)
        return cls(settings, embedder, opened, loaded.skipped, lexicon, timings)

    def with_settings(self, progress: Progress | None = None, **changes: object) -> Engine:
        """An engine with some settings changed (another articles folder, thresholds...) that shares
        this one's loaded model and, when its settings are unchanged, its dictionary."""
        settings = self.settings.with_changes(**changes)
        same_dictionary = (settings.lexicon_path, settings.use_dictionary) == (
            self.settings.lexicon_path,
            self.settings.use_dictionary,
        )
        lexicon = self._lexicon if same_dictionary else None
        return Engine.open(settings, progress, _embedder=self._embedder, _lexicon=lexicon)

    def rebuild(self, progress: Progress | None = None) -> Engine:
        """A new engine over a freshly built index (the articles are read again)."""
        return Engine.open(self.settings, progress, True, self._embedder, self._lexicon)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer ``question`` from the articles; raises ``QuestionError`` for bad input."""
        checked = check_question(question, self.settings.max_question_chars)
        return self._answer(checked, self._embedder.embed_queries([checked.text])[0], top_k)

    def ask_many(self, questions: Sequence[str], top_k: int | None = None) -> list[Answer | QuestionError]:
        """Answer many questions, their embeddings computed in batches; a question that fails its
        checks gives its ``QuestionError`` in its place."""
        checked = self._check_many(questions)
        vectors = self._embed_checked(checked)
        return [
            item if isinstance(item, QuestionError) else self._answer(item, vectors[i], top_k)
            for i, item in enumerate(checked)
        ]

    def retrieve(self, question: str, k: int, mode: Mode = "hybrid") -> list[Hit]:
        """The ``k`` best passages for ``question``, by ``dense``, ``lexical`` or ``hybrid`` ranking."""
        return self.retrieve_many([question], k, mode)[0]

    def retrieve_many(self, questions: Sequence[str], k: int, mode: Mode = "hybrid") -> list[list[Hit]]:
        """``retrieve`` for many questions, embedded in batches; raises ``QuestionError`` for bad input."""
        checked = [check_question(q, self.settings.max_question_chars) for q in questions]
        vectors = self._embed_checked(checked) if mode != "lexical" else [None] * len(checked)
        return [self._retriever.retrieve(q.text, q.language, k, v, mode) for q, v in zip(checked, vectors, strict=True)]

    def embed_questions(self, questions: Sequence[str]) -> np.ndarray:
        """The question vectors alone, one row each (the floor an answer's latency is measured against)."""
        return self._embedder.embed_queries(list(questions))

    def info(self) -> EngineInfo:
        store = self._opened.store
        return EngineInfo(
            articles=[ArticleInfo(a.doc_id, a.title, a.source) for a in store.articles.values()],
            skipped=list(self._skipped),
            passages=len(store.chunks),
            sentences=len(store.sentences),
            corpus_language=self._retriever.corpus_language,
            index_action=self._opened.action,
            index_reasons=list(self._opened.reasons),
            index_kind=store.manifest.index_kind,
            build_seconds=store.manifest.build_seconds,
            store_path=str(store.path),
            model=self.settings.model,
            dictionary=self._dictionary_state(),
            timings=self._timings,
        )

    def _dictionary_state(self) -> str:
        if not self.settings.use_dictionary:
            return "off"
        if self._lexicon.loaded:
            return "loaded"
        return "installed" if self._lexicon.installed else "missing"

    def _answer(self, question: Question, vector: np.ndarray, top_k: int | None) -> Answer:
        top_k = top_k or self.settings.top_k
        depth = max(top_k, self.settings.abstention_depth)
        hits = self._retriever.retrieve(question.text, question.language, depth, vector)
        return self._composer.compose(question.text, question.language, hits, vector, top_k)

    def _check_many(self, questions: Sequence[str]) -> list[Question | QuestionError]:
        checked: list[Question | QuestionError] = []
        for question in questions:
            try:
                checked.append(check_question(question, self.settings.max_question_chars))
            except QuestionError as error:
                checked.append(error)
        return checked

    def _embed_checked(self, checked: Sequence[Question | QuestionError]) -> list[np.ndarray | None]:
        """One vector per item (``None`` for errors), the valid questions embedded in one batch."""
        valid = [i for i, item in enumerate(checked) if isinstance(item, Question)]
        vectors = self._embedder.embed_queries([checked[i].text for i in valid]) if valid else []
        by_position = dict(zip(valid, vectors, strict=True))
        return [by_position.get(i) for i in range(len(checked))]
