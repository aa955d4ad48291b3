from pathlib import Path

import faiss
import numpy as np
import pytest

import rag.vectorstore as vectorstore
from rag import Engine, IndexCorruptError, Settings, StoreMismatchError, StoreWriteError
from rag.vectorstore import CURRENT, load_store
from tests.conftest import SMALL_ARTICLES


def test_first_open_builds_and_second_reuses(small):
    _, settings, open_ = small
    first = open_()
    assert first.action == "built" and first.reasons == []
    manifest = first.store.manifest
    assert set(manifest.articles) == {"geneva", "sanctions"}
    assert manifest.chunk_count == len(first.store.chunks) == first.store.index.count()
    assert manifest.model_id == settings.model and manifest.dimension == 384
    assert set(manifest.files) == set(vectorstore.DATA_FILES)
    second = open_()
    assert second.action == "reused"
    assert second.store.path == first.store.path
    assert second.store.lexical.matrix.shape == first.store.lexical.matrix.shape
    assert second.store.term_weights == first.store.term_weights


def test_a_build_on_two_threads_gives_the_vectors_of_one_and_stays_valid(small):
    _, _, open_ = small
    one = open_(build_threads=1).store
    two = open_(force_rebuild=True, build_threads=2).store
    assert len(two.chunks) > 1 and len(two.sentences) > 1
    rows = range(one.index.count())
    assert np.sum(one.index.vectors(rows) * two.index.vectors(rows), axis=1).min() > 0.9999
    assert np.sum(one.sentence_vectors * two.sentence_vectors, axis=1).min() > 0.9999
    assert open_(build_threads=1).action == "reused"  # the thread count is not part of the index


def test_edited_article_or_settings_make_the_index_stale(small):
    docs, _, open_ = small
    open_()
    (docs / "geneva.txt").write_text(SMALL_ARTICLES["geneva"] + "\nسطر جديد.", encoding="utf-8")
    updated = open_()
    assert updated.action == "updated"
    assert updated.reasons == ["articles changed (added 0, removed 0, edited 1)"]
    assert "سطر جديد" in updated.store.articles["geneva"].text
    geneva = [c for c in updated.store.chunks if c.doc_id == "geneva"]
    assert updated.embedded_passages == len(geneva) < len(updated.store.chunks)
    assert open_(chunk_size=300).reasons == ["chunking settings changed"]


def test_corrupted_index_is_detected_and_rebuilt(small):
    _, settings, open_ = small
    built = open_()
    (built.store.path / vectorstore.VECTORS).write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_store(settings.store_dir)
    reopened = open_()
    assert reopened.action == "rebuilt"
    assert reopened.reasons[0].startswith("index corrupted")
    assert load_store(settings.store_dir).index.count() == built.store.index.count()


def test_half_written_build_is_reported_as_corrupt(small):
    _, settings, open_ = small
    built = open_()
    (built.store.path / vectorstore.MANIFEST).unlink()
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_store(settings.store_dir)


def test_crash_mid_build_leaves_previous_index_usable(small, monkeypatch: pytest.MonkeyPatch):
    docs, settings, open_ = small
    before = open_()
    (docs / "geneva.txt").write_text("نص جديد تماماً عن جنيف.", encoding="utf-8")

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(vectorstore.np, "save", crash)
    with pytest.raises(StoreWriteError, match="disk full"):
        open_()
    survivor = load_store(settings.store_dir)
    assert survivor.path == before.store.path
    assert survivor.articles["geneva"].text == before.store.articles["geneva"].text
    assert (settings.store_dir / CURRENT).read_text() == before.store.path.name
    builds = sorted(p.name for p in settings.store_dir.iterdir() if p.name.startswith("build-"))
    assert builds == [before.store.path.name], "the failed build left no folder behind"


def test_large_corpora_switch_to_hnsw(small):
    _, _, open_ = small
    opened = open_(hnsw_threshold=1)
    assert opened.store.manifest.index_kind == "hnsw"
    assert isinstance(opened.store.index.index, faiss.IndexHNSWFlat)
    assert opened.store.index.index.hnsw.efSearch == 512
    query = opened.store.index.vectors([0])[0]
    scores, positions = opened.store.search(query[None, :], 1)
    assert positions[0][0] == 0 and np.isclose(scores[0][0], 1.0, atol=1e-4)
    assert open_().reasons == ["index kind changed"]


def test_a_saved_lexical_index_searches_like_a_fresh_one(small):
    _, settings, open_ = small
    built = open_()
    loaded = load_store(settings.store_dir)
    for query in ("العقوبات على روسيا", "محادثات جنيف"):
        fresh_scores, fresh_positions = built.store.lexical.search(query, 2)
        saved_scores, saved_positions = loaded.lexical.search(query, 2)
        assert list(fresh_positions) == list(saved_positions) and np.allclose(fresh_scores, saved_scores)


def test_a_store_never_replaces_the_index_of_another_articles_folder(small, tmp_path: Path, engine: Engine):
    docs, settings, open_ = small
    open_()
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("خبر\n\nنص آخر عن موضوع آخر تماماً.", encoding="utf-8")
    with pytest.raises(StoreMismatchError, match="--store"):
        open_(docs_dir=other)
    assert load_store(settings.store_dir).manifest.docs_dir == str(docs.resolve())
    assert open_(docs_dir=other, force_rebuild=True).action == "rebuilt"


def test_without_a_store_each_articles_folder_gets_its_own(tmp_path: Path):
    first, second = Settings(docs_dir=tmp_path / "a"), Settings(docs_dir=tmp_path / "b")
    assert first.store_location() != second.store_location()
    assert first.store_location().parent == second.store_location().parent
    assert first.store_location().name.startswith("a-")
    assert Settings(docs_dir=tmp_path / "a", store_dir=tmp_path / "s").store_location() == tmp_path / "s"


def test_an_update_embeds_only_new_and_edited_articles_and_equals_a_fresh_build(small):
    docs, _, open_ = small
    first = open_()
    (docs / "geneva.txt").write_text(SMALL_ARTICLES["geneva"] + "\nوأكد ريابكوف الموعد.", encoding="utf-8")
    drills = "تدريبات\n\nأبدت واشنطن استعدادها لبحث قيود على التدريبات العسكرية."
    (docs / "drills.txt").write_text(drills, encoding="utf-8")
    updated = open_()
    assert updated.action == "updated" and updated.store.path != first.store.path
    changed = {"geneva", "drills"}
    assert updated.embedded_passages == sum(c.doc_id in changed for c in updated.store.chunks)
    assert updated.embedded_sentences == sum(s.doc_id in changed for s in updated.store.sentences)
    kept = [i for i, c in enumerate(first.store.chunks) if c.doc_id == "sanctions"]
    kept_now = [i for i, c in enumerate(updated.store.chunks) if c.doc_id == "sanctions"]
    assert np.array_equal(first.store.index.vectors(kept), updated.store.index.vectors(kept_now))
    fresh = open_(force_rebuild=True).store
    reloaded = load_store(updated.store.path.parent)
    for store in (updated.store, reloaded):
        assert [c.chunk_id for c in store.chunks] == [c.chunk_id for c in fresh.chunks]
        assert store.sentences == fresh.sentences
        assert np.allclose(store.sentence_vectors, fresh.sentence_vectors, atol=1e-4)
        assert store.term_weights == fresh.term_weights
        for query in ("العقوبات على روسيا", "التدريبات العسكرية", "ريابكوف"):
            scores, positions = store.lexical.search(query, 3)
            fresh_scores, fresh_positions = fresh.lexical.search(query, 3)
            assert list(positions) == list(fresh_positions) and np.allclose(scores, fresh_scores, atol=1e-5)


def test_a_removed_article_leaves_the_index_without_embedding_anything(small):
    docs, _, open_ = small
    open_()
    (docs / "geneva.txt").unlink()
    updated = open_()
    assert updated.action == "updated" and updated.embedded_passages == updated.embedded_sentences == 0
    assert {c.doc_id for c in updated.store.chunks} == {"sanctions"} == set(updated.store.articles)
    assert updated.store.index.count() == len(updated.store.chunks) == updated.store.lexical.matrix.shape[0]
