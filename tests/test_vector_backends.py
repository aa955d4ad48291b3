"""The two vector backends on a real milvus-lite (no mock): same answers as FAISS, clear errors.

Milvus tests use milvus-lite files under ``tmp_path`` (a local Milvus the test process starts).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import PROJECT_ROOT, Engine, Settings, VectorBackendError
from rag.articles import load_articles
from rag.embedding import Embedder
from rag.indexing import open_index
from rag.vector_backends import FaissIndex, build_vector_index, without_credentials
from rag.vectorstore import MANIFEST, load_store
from tests.conftest import FIXED_QUESTIONS, SEEDS

UNREACHABLE = "http://127.0.0.1:1"
ARTICLES = {
    "geneva": "محادثات جنيف\n\nقال متحدث إن المحادثات الأمريكية الروسية ستعقد في العاشر من يناير في جنيف.",
    "sanctions": "عقوبات\n\nقد تستهدف العقوبات قطاعات الدفاع والطيران المدني في روسيا، وفق مصدر مطلع.",
}
QUESTIONS = (
    "متى ستعقد المحادثات في جنيف؟",
    "What did Washington offer on missiles?",
    "What is the capital of Australia?",
)


def unit_rows(count: int, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, 16)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def milvus_settings(tmp_path: Path, **changes) -> Settings:
    defaults = {"vector_backend": "milvus", "milvus_uri": str(tmp_path / "milvus.db"), "store_dir": tmp_path / "store"}
    return Settings().with_changes(**{**defaults, **changes})


@pytest.fixture(params=["faiss", "milvus"])
def index_pair(request, tmp_path: Path):
    """A backend's index over 40 vectors, beside the FAISS one as the reference."""
    vectors = unit_rows(40)
    settings = milvus_settings(tmp_path, vector_backend=request.param)
    index = build_vector_index(vectors, "flat", settings, settings.store_location())
    yield index, FaissIndex.build(vectors, "flat"), vectors
    index.drop()


def test_search_and_stored_vectors_match_exact_faiss(index_pair):
    index, reference, vectors = index_pair
    queries = unit_rows(5, seed=8)
    scores, positions = index.search(queries, 10)
    expected_scores, expected_positions = reference.search(queries, 10)
    assert positions.tolist() == expected_positions.tolist()
    assert np.allclose(scores, expected_scores, atol=1e-5)
    assert np.allclose(index.vectors([3, 0, 39]), vectors[[3, 0, 39]])
    assert index.count() == 40


def test_add_appends_and_remove_shifts_later_positions_down(index_pair):
    index, reference, vectors = index_pair
    extra = unit_rows(3, seed=9)
    index.add(extra)
    assert index.count() == 43 and np.allclose(index.vectors([40, 42]), extra[[0, 2]])
    index.remove([1, 41])
    kept = np.vstack([vectors, extra])[[p for p in range(43) if p not in (1, 41)]]
    assert index.count() == 41
    assert np.allclose(index.vectors(range(41)), kept)
    _, positions = index.search(kept[[5, 39]], 1)
    assert positions[:, 0].tolist() == [5, 39]


@pytest.fixture()
def small_articles(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    return docs


def test_each_milvus_build_has_its_own_collection_and_drops_the_last_one_once_live(
    tmp_path: Path, small_articles: Path, embedder: Embedder
):
    settings = milvus_settings(tmp_path, docs_dir=small_articles)
    articles = load_articles(small_articles).articles
    built = open_index(articles, embedder, settings)
    manifest = json.loads((built.store.path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["vector_backend"] == "milvus" and "vectors.faiss" not in manifest["files"]
    assert manifest["milvus_collection"] == built.store.index.collection
    reused = open_index(articles, embedder, settings)
    assert reused.action == "reused" and reused.store.index.count() == len(reused.store.chunks) > 0
    rebuilt = open_index(articles, embedder, settings, force_rebuild=True)
    collections = rebuilt.store.index.client.list_collections()
    assert rebuilt.store.index.collection in collections and built.store.index.collection not in collections


def test_a_dropped_collection_is_rebuilt_but_an_unreachable_milvus_is_an_error(
    tmp_path: Path, small_articles: Path, embedder: Embedder
):
    settings = milvus_settings(tmp_path, docs_dir=small_articles)
    articles = load_articles(small_articles).articles
    open_index(articles, embedder, settings).store.index.drop()
    again = open_index(articles, embedder, settings)
    assert again.action == "rebuilt" and "is not in" in again.reasons[0]

    unreachable = settings.with_changes(milvus_uri=UNREACHABLE)
    with pytest.raises(VectorBackendError, match="Cannot reach the Milvus vector database at http://127.0.0.1:1"):
        open_index(articles, embedder, unreachable)
    with pytest.raises(VectorBackendError):
        load_store(unreachable.store_location(), unreachable)
    assert VectorBackendError.exit_code == 7


def test_switching_backends_moves_the_vectors_and_milvus_answers_like_faiss(
    tmp_path: Path, engine: Engine, seed_settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    store_dir = tmp_path / "seed_store"
    shutil.copytree(seed_settings.store_location(), store_dir)
    settings = milvus_settings(tmp_path, docs_dir=SEEDS, store_dir=store_dir)
    embedder = engine._embedder
    monkeypatch.setattr(embedder, "embed_passages", lambda texts: pytest.fail("re-embedded the passages"))
    moved = open_index(load_articles(SEEDS).articles, embedder, settings)
    assert moved.action == "rebuilt" and moved.reasons == ["vector backend changed (faiss -> milvus)"]
    monkeypatch.undo()

    over_milvus = engine.with_settings(vector_backend="milvus", milvus_uri=settings.milvus_uri, store_dir=store_dir)
    assert over_milvus.info().index_action == "reused" and over_milvus.info().vector_backend == "milvus"
    for question in QUESTIONS:
        assert over_milvus.ask(question).to_dict() == engine.ask(question).to_dict()
    assert [h.position for h in over_milvus.retrieve(QUESTIONS[0], 10, "dense")] == [
        h.position for h in engine.retrieve(QUESTIONS[0], 10, "dense")
    ]


def test_the_token_and_uri_credentials_never_reach_a_message():
    settings = Settings().with_changes(milvus_token="s3cret-token")
    assert "s3cret" not in repr(settings)
    assert without_credentials("https://user:pa55@milvus.example:19530/db") == "https://milvus.example:19530/db"


def test_cli_over_an_unreachable_milvus_says_so_once_and_exits_7(tmp_path: Path):
    environment = {**os.environ, "RAG_VECTOR_BACKEND": "milvus", "RAG_MILVUS_URI": UNREACHABLE}
    result = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "متى ستعقد المحادثات؟", "--store", str(tmp_path / "store")],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 7
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Cannot reach the Milvus vector database" in errors[0]
    assert "Traceback" not in result.stderr and not (tmp_path / "store").exists()


@pytest.mark.skipif(not FIXED_QUESTIONS.is_file(), reason="../shared/questions/fixed.jsonl is not beside the project")
def test_fixed_questions_pass_on_milvus_through_the_cli(tmp_path: Path, engine: Engine, seed_settings: Settings):
    """``rag eval`` with the two environment variables set, over a copy of the session's index: the CLI
    moves its vectors into milvus-lite (nothing embedded again) and answers from there."""
    if engine.info().dictionary == "missing":
        pytest.skip("Debian's dict-freedict-eng-ara is not installed (scripts/setup.sh installs it as root)")
    store_dir = tmp_path / "store"
    shutil.copytree(seed_settings.store_location(), store_dir)
    environment = {**os.environ, "RAG_VECTOR_BACKEND": "milvus", "RAG_MILVUS_URI": str(tmp_path / "cli.db")}
    result = subprocess.run(
        [sys.executable, "-m", "rag", "eval", str(FIXED_QUESTIONS), "--docs", str(SEEDS), "--store", str(store_dir)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip().splitlines()[-1] == "22 passed, 0 failed", result.stdout + result.stderr
    assert result.returncode == 0 and "Moving the passage vectors" in result.stderr
    assert json.loads(next(store_dir.glob("build-*/manifest.json")).read_text())["vector_backend"] == "milvus"


def test_adding_and_removing_articles_on_milvus_embeds_only_the_new_text(
    tmp_path: Path, small_articles: Path, embedder: Embedder
):
    settings = milvus_settings(tmp_path, docs_dir=small_articles)
    first = open_index(load_articles(small_articles).articles, embedder, settings)
    before = first.store.index.vectors(range(first.store.index.count()))
    drills = "تدريبات\n\nأبدت واشنطن استعدادها لبحث قيود على التدريبات العسكرية."
    (small_articles / "drills.txt").write_text(drills, encoding="utf-8")
    added = open_index(load_articles(small_articles).articles, embedder, settings)
    assert added.action == "updated"
    assert added.embedded_passages == sum(c.doc_id == "drills" for c in added.store.chunks) > 0
    assert added.store.index.collection != first.store.index.collection
    assert first.store.index.collection not in added.store.index.client.list_collections()
    kept = [i for i, c in enumerate(added.store.chunks) if c.doc_id != "drills"]
    assert np.allclose(added.store.index.vectors(kept), before, atol=1e-6)
    (small_articles / "geneva.txt").unlink()
    removed = open_index(load_articles(small_articles).articles, embedder, settings)
    assert removed.action == "updated" and removed.embedded_passages == 0
    assert (
        removed.store.index.count()
        == len(removed.store.chunks)
        == len(added.store.chunks) - sum(c.doc_id == "geneva" for c in added.store.chunks)
    )
