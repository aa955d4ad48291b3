from pathlib import Path

import pytest

from rag.config import BUNDLED_MODEL, Settings


def test_defaults_work_without_environment():
    settings = Settings.from_env({})
    assert settings.model == BUNDLED_MODEL
    assert settings.docs_dir.name == "seeds"
    assert settings.store_dir is None and settings.store_location().parent.name == "vectorstore"
    assert 0 < settings.abstain_threshold_cross < settings.abstain_threshold < 1


def test_environment_overrides_each_type():
    settings = Settings.from_env(
        {"RAG_TOP_K": "8", "RAG_ABSTAIN_THRESHOLD": "0.5", "RAG_STORE_DIR": "/tmp/x", "RAG_MODEL": "some/model"}
    )
    assert settings.top_k == 8
    assert settings.abstain_threshold == 0.5
    assert settings.store_dir == Path("/tmp/x")
    assert settings.model == "some/model"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="RAG_TOP_K"):
        Settings.from_env({"RAG_TOP_K": "many"})


def test_with_changes_ignores_none():
    settings = Settings().with_changes(top_k=None, chunk_size=300)
    assert settings.top_k == Settings().top_k
    assert settings.chunk_size == 300
