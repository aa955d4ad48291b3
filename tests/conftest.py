"""Shared fixtures: the real model and a real index over the seed articles, built once a session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import PROJECT_ROOT, Engine, Settings
from rag.embedding import Embedder
from rag.vectorstore import VectorStore, load_store

SEEDS = PROJECT_ROOT / "seeds"
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
