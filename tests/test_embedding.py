from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embedding import Embedder, ModelLoadError, load_embedder, model_fingerprint


def test_bundled_model_has_prompts_and_a_fingerprint(embedder: Embedder):
    assert embedder.dimension == 384
    assert set(embedder.model.prompts) >= {"query", "passage"}
    assert len(embedder.fingerprint) == 64
    vectors = embedder.embed_queries(["سؤال", "question"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_query_and_passage_prompts_differ(embedder: Embedder):
    query = embedder.embed_queries(["جنيف"])[0]
    passage = embedder.embed_passages(["جنيف"])[0]
    assert float(query @ passage) < 0.999


def test_a_model_that_will_not_load_is_reported(tmp_path: Path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="broken-model"):
        load_embedder(Settings().with_changes(model=str(broken)))


def test_fingerprint_changes_when_model_files_change(tmp_path: Path):
    (tmp_path / "weights.bin").write_bytes(b"a")
    before = model_fingerprint(str(tmp_path))
    (tmp_path / "weights.bin").write_bytes(b"ab")
    assert model_fingerprint(str(tmp_path)) != before


def test_single_question_fast_path_gives_the_batched_vector(embedder: Embedder):
    questions = ["What did Washington offer on missiles?", "متى ستعقد المحادثات في جنيف؟"]
    batched = embedder.embed_queries(questions)
    for question, expected in zip(questions, batched, strict=True):
        single = embedder.embed_queries([question])
        assert single.shape == (1, 384) and single.dtype == np.float32
        assert float(single[0] @ expected) > 0.9999
