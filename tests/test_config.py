from pathlib import Path

import pytest

from rag.config import BUNDLED_MODEL, Settings, admin_allowed
from rag.errors import SettingsError


def test_defaults_work_without_environment():
    settings = Settings.from_env({})
    assert settings.model == BUNDLED_MODEL
    assert settings.docs_dir.name == "seeds"
    assert settings.store_dir is None and settings.store_location().parent.name == "vectorstore"
    assert settings.abstention_model_path.name == "abstention.json"


def test_environment_overrides_each_type():
    settings = Settings.from_env(
        {"RAG_TOP_K": "8", "RAG_TERM_WEIGHT_CROSS": "0.5", "RAG_STORE_DIR": "/tmp/x", "RAG_MODEL": "some/model"}
        | {"RAG_BUILD_THREADS": "3"}
    )
    assert settings.top_k == 8
    assert settings.build_threads == 3
    assert settings.term_weight_cross == 0.5
    assert settings.store_dir == Path("/tmp/x")
    assert settings.model == "some/model"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="RAG_TOP_K"):
        Settings.from_env({"RAG_TOP_K": "many"})


def test_with_changes_ignores_none():
    settings = Settings().with_changes(top_k=None, chunk_size=300)
    assert settings.top_k == Settings().top_k
    assert settings.chunk_size == 300


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": -100}, "top_k"),
        ({"term_weight_cross": float("nan")}, "term_weight_cross"),
        ({"term_rerank_depth": -1}, "term_rerank_depth"),
        ({"pseudo_question_band": -0.1}, "pseudo_question_band"),
        ({"pseudo_question_weight": float("nan")}, "pseudo_question_weight"),
        ({"passage_sentence_weight": float("inf")}, "passage_sentence_weight"),
        ({"chunk_overlap": 700}, "chunk_overlap"),
        ({"max_article_bytes": 0}, "max_article_bytes"),
        ({"build_threads": 0}, "build_threads"),
        ({"admin_actions": "maybe"}, "admin_actions"),
    ],
)
def test_values_the_engine_cannot_work_with_are_refused(changes: dict, named: str):
    with pytest.raises(SettingsError, match=named):
        Settings().with_changes(**changes)


@pytest.mark.parametrize(
    ("variable", "value"), [("RAG_TERM_WEIGHT_CROSS", "nan"), ("RAG_TOP_K", "-1"), ("RAG_BUILD_THREADS", "0")]
)
def test_environment_values_that_would_switch_things_off_are_refused(variable: str, value: str):
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(
    ("setting", "address", "allowed"),
    [
        ("auto", "127.0.0.1", True),
        ("auto", "::1", True),
        ("auto", "localhost", True),
        ("auto", "0.0.0.0", False),
        ("auto", "", False),
        ("auto", None, False),
        ("auto", "192.168.1.20", False),
        ("auto", "myhost.example", False),
        ("on", "0.0.0.0", True),
        ("off", "127.0.0.1", False),
    ],
)
def test_admin_actions_are_off_when_the_page_listens_beyond_loopback(setting: str, address: str | None, allowed: bool):
    assert admin_allowed(setting, address) is allowed
