from pathlib import Path

import numpy as np
import pytest

from rag.bundled_model import ensure_bundled_model
from rag.config import Settings
from rag.embedding import Embedder, ModelLoadError, load_embedder, model_fingerprint
from rag.onnx_model import BUILD_INFO, INT8_MODEL_FILE, MODEL_FILE, onnx_dir_for

SENTENCES = [
    "أعلن مسؤول كبير في واشنطن عن محادثات جديدة.",
    "وقال إن الصواريخ ستكون على الطاولة.",
    "The talks start in Geneva.",
]
PASSAGE = " ".join(SENTENCES)
SENTENCE_SPANS = [(PASSAGE.index(s), PASSAGE.index(s) + len(s)) for s in SENTENCES]


@pytest.fixture(scope="module")
def torch_embedder(seed_settings: Settings):
    return load_embedder(seed_settings.with_changes(embedding_runtime="torch"))


def test_bundled_model_has_prompts_and_a_fingerprint(embedder: Embedder):
    assert embedder.dimension == 384
    assert set(embedder.prompts) >= {"query", "passage"}
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


def test_the_bundled_model_runs_in_onnx_runtime_without_torch(embedder: Embedder):
    assert embedder.runtime == "onnx"
    assert type(embedder.encoder).__name__ == "OnnxEncoder"


def test_onnx_and_torch_give_the_same_vectors(embedder: Embedder, torch_embedder):
    texts = ["What did Washington offer on missiles?", "متى ستعقد المحادثات في جنيف؟", PASSAGE, "x"]
    assert torch_embedder.runtime == "torch"
    assert torch_embedder.fingerprint == embedder.fingerprint  # an index built by one serves the other
    for method in ("embed_queries", "embed_passages"):
        ours, theirs = getattr(embedder, method)(texts), getattr(torch_embedder, method)(texts)
        assert np.sum(ours * theirs, axis=1).min() > 0.9999
    onnx_spans = embedder.embed_passages_with_spans([PASSAGE], [SENTENCE_SPANS])[1][0]
    torch_spans = torch_embedder.embed_passages_with_spans([PASSAGE], [SENTENCE_SPANS])[1][0]
    assert np.sum(onnx_spans * torch_spans, axis=1).min() > 0.9999


def test_span_vectors_come_from_the_passage_pass(embedder: Embedder):
    passages, spans = embedder.embed_passages_with_spans([PASSAGE, "جنيف"], [SENTENCE_SPANS, []])
    assert np.allclose(passages, embedder.embed_passages([PASSAGE, "جنيف"]), atol=1e-5)
    assert spans[0].shape == (3, 384) and spans[1].shape == (0, 384)
    assert np.allclose(np.linalg.norm(spans[0], axis=1), 1.0, atol=1e-4)
    alone = embedder.embed_answer_sentences([PASSAGE[start:end] for start, end in SENTENCE_SPANS])
    similarity = spans[0] @ alone.T
    # Each pooled span is closest to its own sentence embedded alone.
    assert (similarity.argmax(axis=1) == np.arange(3)).all()


def test_unknown_runtime_is_reported():
    with pytest.raises(ModelLoadError, match="runtime"):
        load_embedder(Settings().with_changes(embedding_runtime="tpu"))


def test_a_broken_onnx_export_falls_back_to_torch(embedder: Embedder, seed_settings: Settings, tmp_path: Path, caplog):
    """The ONNX file is unreadable: the model still loads, in torch, with a warning."""
    bundled = ensure_bundled_model(seed_settings.cache_dir)
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / bundled.name).symlink_to(bundled)
    exported = onnx_dir_for(bundled)
    broken = onnx_dir_for(cache / "models" / bundled.name)
    broken.mkdir()
    (broken / BUILD_INFO).write_text((exported / BUILD_INFO).read_text())
    (broken / MODEL_FILE).write_bytes(b"not an onnx model")
    embedder = load_embedder(Settings().with_changes(cache_dir=cache))
    assert embedder.runtime == "torch"
    assert "using torch instead" in caplog.text
    assert embedder.embed_queries(["جنيف"]).shape == (1, 384)


#: Texts of many lengths, so that batches finish out of order when they run at once.
MANY_TEXTS = [*SENTENCES, PASSAGE, "جنيف", PASSAGE * 3, "x", "What did Washington offer on missiles?"]


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_many_texts_on_two_threads_give_the_vectors_of_one(runtime: str, embedder: Embedder, torch_embedder):
    import torch

    model = embedder if runtime == "onnx" else torch_embedder
    threads_before = torch.get_num_threads()
    one = model.embed_passages(MANY_TEXTS, threads=1)
    two = model.embed_passages(MANY_TEXTS, threads=2)
    assert np.sum(one * two, axis=1).min() > 0.9999
    assert torch.get_num_threads() == threads_before  # a question afterwards runs as before


@pytest.fixture(scope="module")
def int8_index_embedder(seed_settings: Settings) -> Embedder:
    return load_embedder(seed_settings.with_changes(index_precision="int8"))


def test_int8_index_vectors_come_from_the_int8_model_and_stay_near_the_fp32_ones(
    embedder: Embedder, int8_index_embedder: Embedder
):
    """``index_precision`` int8: passages and answer sentences are embedded by the export with int8
    weights, made once next to it; questions keep the fp32 model."""
    index_embedder = int8_index_embedder.for_index()
    assert index_embedder is int8_index_embedder.for_index()  # loaded once
    assert index_embedder.runtime == "onnx-int8" and index_embedder.for_index() is index_embedder
    assert (int8_index_embedder.encoder.directory / INT8_MODEL_FILE).is_file()
    for method in ("embed_passages", "embed_answer_sentences"):
        fp32 = getattr(embedder, method)(MANY_TEXTS)
        int8 = getattr(index_embedder, method)(MANY_TEXTS)
        cosines = np.sum(fp32 * int8, axis=1)
        assert cosines.min() > 0.99 and cosines.max() < 0.999999  # other weights, nearly the same vectors
    assert np.array_equal(int8_index_embedder.embed_queries(["جنيف"]), embedder.embed_queries(["جنيف"]))


def test_fp32_index_precision_and_torch_build_with_the_model_itself(embedder: Embedder, torch_embedder):
    assert embedder.index_precision == "fp32" and embedder.for_index() is embedder
    assert torch_embedder.index_precision == "fp32" and torch_embedder.for_index() is torch_embedder
