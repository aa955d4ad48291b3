"""The engine's front door: open the model and index once, then ask questions.

The command line, the chat page and the benchmarks all go through ``Engine`` (``from rag import Engine``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from rag.abstention import PSEUDO_QUESTION_MODEL, Abstention
from rag.answer import Answer
from rag.answer_ranker import AnswerRanker
from rag.answering import AnswerComposer
from rag.arabic import Language
from rag.articles import SkippedFile, load_articles
from rag.candidates import CandidateScorer, SentenceMap
from rag.config import Settings
from rag.conversation import prefer_in_context, resolve
from rag.embedding import Embedder, load_embedder, mixed_query
from rag.errors import QuestionError
from rag.generation import ModelAnswerWriter, TextSink, WrittenAnswer
from rag.indexing import OpenedStore, Progress, is_live, open_index, write_index
from rag.lexicon import LexiconLoader
from rag.library import TRASH, SkippedUpload, Upload, add_uploads, trash_articles
from rag.names import NameIndex
from rag.retrieval import Hit, Mode, Retriever, corpus_language
from rag.store_lock import store_lock
from rag.term_matching import QuestionTermFinder, QuestionTerms
from rag.validation import Question, check_question
from rag.vector_backends import connect_backend
from rag.vectorstore import VectorStore
from rag.verification import SupportChecker
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
    #: Passages of the article in the index.
    passages: int = 0


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
    #: ``faiss`` or ``milvus``: where the passage vectors are held.
    vector_backend: str
    build_seconds: float
    store_path: str
    model: str
    #: ``loaded``, ``installed`` (read on the first English question), ``missing`` or ``off``.
    dictionary: str
    timings: OpenTimings


@dataclass(frozen=True)
class LibraryChange:
    """What ``Engine.add_articles`` or ``Engine.remove_articles`` did. ``engine`` answers from the
    updated index (the engine it was called on keeps answering from the old one)."""

    engine: Engine
    added: list[str]
    #: Ids that were there before and whose old file went to the trash (they are in ``added`` too).
    replaced: list[str]
    removed: list[str]
    #: Where each removed or replaced file was moved.
    trashed: list[Path]
    skipped: list[SkippedUpload]
    #: Passages and sentences embedded for the change (the other articles' vectors were kept).
    passages_embedded: int
    sentences_embedded: int
    articles: int
    passages: int
    #: ``updated``, ``rebuilt``, ``reused`` (nothing changed) ...
    index_action: str
    seconds: float

    def to_dict(self) -> dict:
        record = {key: value for key, value in self.__dict__.items() if key != "engine"}
        record["trashed"] = [str(path) for path in self.trashed]
        record["skipped"] = [{**asdict(s), "message": s.message("en")} for s in self.skipped]
        return record


@dataclass(frozen=True)
class EngineComponents:
    """The engine's parts, for component benchmarks that time one stage at a time (benchmarks/speed.py,
    runtime.py, sentence_vectors.py). Not for the page or the CLI, which use ``Engine``'s own methods."""

    embedder: Embedder
    store: VectorStore
    retriever: Retriever
    composer: AnswerComposer


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
    _sentence_map: SentenceMap = field(init=False)

    def __post_init__(self) -> None:
        store = self._opened.store
        language = corpus_language(store)
        sentence_map = self._sentence_map = SentenceMap.build(store, language)
        names = NameIndex.build(store.term_weights.forms, self._lexicon) if language == "ar" else None
        terms = QuestionTermFinder(store.term_weights, language, self._lexicon, names)
        self._retriever = Retriever(
            store,
            self._embedder,
            language,
            sentence_map.sentences_of_chunk,
            terms,
            self.settings.fusion_depth,
            self.settings.rrf_k,
            self.settings.passage_sentence_weight,
            self.settings.term_weight,
            self.settings.term_weight_cross,
            self.settings.term_rerank_depth,
        )
        self._composer = AnswerComposer(
            terms,
            Abstention(
                Abstention.load_models(self.settings.abstention_model_path),
                sentence_map.sentences_of_chunk,
            ),
            CandidateScorer(store, sentence_map, AnswerRanker.load(self.settings.answer_ranker_path)),
            AnswerWriter(store, language, self.settings.max_sentences, self.settings.max_citations),
            self.settings.abstention_depth,
        )

    @cached_property
    def _model_writer(self) -> ModelAnswerWriter:
        """Made on the first written answer: a question answered by quoting never needs it."""
        store = self._opened.store
        checker = SupportChecker.build(store, self._embedder, self._lexicon, self._sentence_map)
        return ModelAnswerWriter.from_settings(self.settings, checker, store)

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

        Raises ``ArticlesError`` (no usable articles), ``ModelLoadError``, ``StoreMismatchError`` or
        ``VectorBackendError`` (Milvus configured but unreachable).
        """
        started = time.perf_counter()
        faiss.omp_set_num_threads(max(1, settings.search_threads))
        connect_backend(settings)  # an unreachable Milvus fails here, before the model loads
        loaded = load_articles(settings.docs_dir, settings.max_article_bytes)
        articles_done = time.perf_counter()
        embedder = _embedder or load_embedder(settings)
        model_done = time.perf_counter()
        opened = open_index(loaded.articles, embedder, settings, progress, force_rebuild)
        timings = OpenTimings(articles_done - started, model_done - articles_done, time.perf_counter() - model_done)
        lexicon = _lexicon or LexiconLoader(
            settings.lexicon_path, settings.use_dictionary, settings.cache_dir, settings.max_sense_place
        )
        return cls(settings, embedder, opened, loaded.skipped, lexicon, timings)

    def with_settings(self, progress: Progress | None = None, **changes: object) -> Engine:
        """An engine with some settings changed (another articles folder, thresholds...) that shares
        this one's loaded model and, when its settings are unchanged, its dictionary."""
        settings = self.settings.with_changes(**changes)
        dictionary = ("lexicon_path", "use_dictionary", "cache_dir", "max_sense_place")
        same_dictionary = all(getattr(settings, name) == getattr(self.settings, name) for name in dictionary)
        lexicon = self._lexicon if same_dictionary else None
        return Engine.open(settings, progress, _embedder=self._embedder, _lexicon=lexicon)

    def refreshed(self, progress: Progress | None = None) -> Engine:
        """This engine, or a new one when another process (``rag add``, another server) has made
        another index build live since it was opened."""
        if is_live(self._opened.store, self.settings.store_location()):
            return self
        return Engine.open(self.settings, progress, False, self._embedder, self._lexicon)

    def rebuild(self, progress: Progress | None = None) -> Engine:
        """A new engine over a freshly built index (the articles are read again)."""
        return Engine.open(self.settings, progress, True, self._embedder, self._lexicon)

    def add_articles(
        self, uploads: Sequence[Upload], replace: bool = False, progress: Progress | None = None
    ) -> LibraryChange:
        """Write ``uploads`` into the articles folder (``.txt`` as is; ``.md``, ``.html``, ``.pdf`` as
        their text) and update the index, embedding only what is new. An id already in the folder is
        skipped unless ``replace``. Safe against other processes adding or removing at the same time."""
        started = time.perf_counter()
        with store_lock(self.settings.store_location(), self.settings.lock_timeout):
            written, skipped = add_uploads(
                self.settings.docs_dir, self._trash_dir, list(uploads), replace, self.settings.max_upload_bytes
            )
            engine = self._reindexed(progress) if written else self
        trashed = [w.path for w in written if w.replaced]
        replaced = [w.doc_id for w in written if w.replaced]
        return engine._change([w.doc_id for w in written], replaced, [], trashed, skipped, started)

    def remove_articles(self, doc_ids: Sequence[str], progress: Progress | None = None) -> LibraryChange:
        """Move the articles ``doc_ids`` from the articles folder into the store's trash and update the
        index; unknown ids are skipped (as is the last article: an index needs one)."""
        started = time.perf_counter()
        with store_lock(self.settings.store_location(), self.settings.lock_timeout):
            removed, skipped = trash_articles(self.settings.docs_dir, self._trash_dir, list(doc_ids))
            engine = self._reindexed(progress) if removed else self
        return engine._change([], [], [d for d, _ in removed], [p for _, p in removed], skipped, started)

    @property
    def _trash_dir(self) -> Path:
        return self.settings.store_location() / TRASH

    def _reindexed(self, progress: Progress | None) -> Engine:
        """An engine over the articles folder as it is now; call it holding the store's lock."""
        store = self._opened.store
        loaded = load_articles(self.settings.docs_dir, self.settings.max_article_bytes, store.articles)
        opened = write_index(loaded.articles, self._embedder, self.settings, progress, loaded=store)
        return Engine(self.settings, self._embedder, opened, loaded.skipped, self._lexicon, self._timings)

    def _change(self, added, replaced, removed, trashed, skipped, started: float) -> LibraryChange:
        store = self._opened.store
        return LibraryChange(
            engine=self,
            added=added,
            replaced=replaced,
            removed=removed,
            trashed=trashed,
            skipped=skipped,
            passages_embedded=self._opened.embedded_passages if added or removed else 0,
            sentences_embedded=self._opened.embedded_sentences if added or removed else 0,
            articles=len(store.articles),
            passages=len(store.chunks),
            index_action=self._opened.action,
            seconds=round(time.perf_counter() - started, 3),
        )

    def ask(self, question: str, top_k: int | None = None, history: Sequence[str] = ()) -> Answer:
        """Answer ``question`` from the articles; raises ``QuestionError`` for bad input.

        ``history`` holds the conversation's earlier questions, oldest first: a follow-up is also read
        in their context, and when that reading is kept the answer's ``resolved_question`` says how."""
        return self._read(question, top_k, history)[0]

    def write_answer(
        self,
        question: str,
        top_k: int | None = None,
        on_text: TextSink | None = None,
        history: Sequence[str] = (),
    ) -> WrittenAnswer:
        """Answer ``question`` in the language model's words where the cited passages support them
        (``on_text`` gets the model's text as it streams), else quote the articles with a notice
        saying why; the model is asked only when ``llm_url`` is set and the engine does not abstain.
        A follow-up is read as ``ask`` reads it, and the model is given the earlier questions when
        it was read in their context. Raises ``QuestionError`` for bad input."""
        answer, hits = self._read(question, top_k, history)
        earlier = list(history) if answer.resolved_question else []
        return self._model_writer.write(answer, hits, on_text, earlier)

    def _read(self, question: str, top_k: int | None, history: Sequence[str]) -> tuple[Answer, list[Hit]]:
        """The answer to ``question`` alone or, when ``rag.conversation`` prefers it, in the context
        of ``history``; with the passages retrieved for it."""
        checked = check_question(question, self.settings.max_question_chars)
        resolved = resolve(checked.text, history, self.settings.follow_up) if history else None
        if resolved is None or not resolved.in_context:
            return self._answer_and_hits(checked, self._embedder.embed_queries([checked.text])[0], top_k)
        vector_alone, vector_in_context = self._embedder.embed_queries([checked.text, resolved.text])
        own_terms = self._composer.terms.find(checked.text, checked.language)
        alone = self._answer_and_hits(checked, vector_alone, top_k, terms=own_terms)
        meant, meant_terms = (
            (Question(resolved.text, checked.language), None) if resolved.leans else (checked, own_terms)
        )
        in_context = self._answer_and_hits(
            meant, vector_in_context, top_k, retrieve_for=resolved.text, terms=meant_terms, asked=checked.text
        )
        in_context = (replace(in_context[0], question=checked.text), in_context[1])
        always = self.settings.follow_up == "always"
        if always or prefer_in_context(resolved, alone[0], in_context[0], own_terms.weighted):
            return replace(in_context[0], resolved_question=resolved.text), in_context[1]
        return alone

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

    def components(self) -> EngineComponents:
        """The parts behind this engine, for component benchmarks only."""
        return EngineComponents(self._embedder, self._opened.store, self._retriever, self._composer)

    def info(self) -> EngineInfo:
        store = self._opened.store
        passages = Counter(chunk.doc_id for chunk in store.chunks)
        return EngineInfo(
            articles=[ArticleInfo(a.doc_id, a.title, a.source, passages[a.doc_id]) for a in store.articles.values()],
            skipped=list(self._skipped),
            passages=len(store.chunks),
            sentences=len(store.sentences),
            corpus_language=self._retriever.corpus_language,
            index_action=self._opened.action,
            index_reasons=list(self._opened.reasons),
            index_kind=store.manifest.index_kind,
            vector_backend=store.manifest.vector_backend,
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
        return self._answer_and_hits(question, vector, top_k)[0]

    def _answer_and_hits(
        self,
        question: Question,
        vector: np.ndarray,
        top_k: int | None,
        retrieve_for: str | None = None,
        terms: QuestionTerms | None = None,
        asked: str | None = None,
    ) -> tuple[Answer, list[Hit]]:
        """The answer and the ``top_k`` passages retrieved for it; abstention is decided at a fixed
        depth (``abstention_depth``) whatever ``top_k`` is. The passages are retrieved for
        ``retrieve_for`` (a follow-up read in context) when given, the answer composed for ``question``,
        whose ``terms`` are found here unless given; ``asked`` is the question as asked, when ``question``
        is it resolved (``AnswerComposer.compose``)."""
        top_k = top_k or self.settings.top_k
        depth = max(top_k, self.settings.abstention_depth)
        terms = terms or self._composer.terms.find(question.text, question.language)
        retrieved = retrieve_for or question.text
        wanted = terms if retrieved == question.text else self._composer.terms.find(retrieved, question.language)
        store = self._opened.store
        scores = store.sentence_scores(vector)
        hits = self._retriever.retrieve(
            retrieved, question.language, depth, vector, terms=wanted, sentence_scores=scores
        )
        answer = self._composer.compose(
            question.text, question.language, hits, vector, top_k, terms, sentence_scores=scores, asked=asked
        )
        mixed = self._pseudo_question_vector(retrieved, question.language, vector, answer)
        if mixed is not None:
            scores = store.sentence_scores(mixed)
            hits = self._retriever.retrieve(
                retrieved, question.language, depth, mixed, terms=wanted, sentence_scores=scores
            )
            answer = self._composer.compose(
                question.text, question.language, hits, mixed, top_k, terms, PSEUDO_QUESTION_MODEL, scores, asked
            )
        return answer, hits[:top_k]

    def _pseudo_question_vector(
        self, question: str, language: Language, vector: np.ndarray, answer: Answer
    ) -> np.ndarray | None:
        """For an answer whose confidence is within ``pseudo_question_band`` of its threshold: the
        question's vector mixed with that of its pseudo-question (an English question over Arabic
        articles, ``QuestionTermFinder.pseudo_question``), for a second reading; else ``None``."""
        settings = self.settings
        if abs(answer.confidence - answer.threshold) >= settings.pseudo_question_band:
            return None
        if PSEUDO_QUESTION_MODEL not in self._composer.abstention.models:
            return None
        pseudo = self._composer.terms.pseudo_question(question, language)
        if pseudo is None:
            return None
        return mixed_query(vector, self._embedder.embed_queries([pseudo])[0], settings.pseudo_question_weight)

    def _check_many(self, questions: Sequence[str]) -> list[Question | QuestionError]:
        checked: list[Question | QuestionError] = []
        for question in questions:
            try:
                checked.append(check_question(question, self.settings.max_question_chars))
            except QuestionError as error:
                checked.append(error)
        return checked

    def _embed_checked(self, checked: Sequence[Question | QuestionError]) -> list[np.ndarray | None]:
        """One vector per item (``None`` for errors), the valid questions embedded together on
        ``build_threads`` cores."""
        valid = [i for i, item in enumerate(checked) if isinstance(item, Question)]
        texts = [checked[i].text for i in valid]
        vectors = self._embedder.embed_queries(texts, self.settings.build_threads) if valid else []
        by_position = dict(zip(valid, vectors, strict=True))
        return [by_position.get(i) for i in range(len(checked))]
