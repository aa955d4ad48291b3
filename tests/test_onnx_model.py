import warnings
from pathlib import Path

import numpy as np
import pytest

from rag.bundled_model import ensure_bundled_model, read_build_info
from rag.config import Settings
from rag.embedding import Embedder
from rag.onnx_model import MODEL_FILE, check_export, export_onnx, onnx_dir_for


@pytest.fixture(scope="module")
def export(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, str]:
    """A fresh export of the bundled model, with the warnings it gave."""
    bundled = ensure_bundled_model(seed_settings.cache_dir)
    target = tmp_path_factory.mktemp("export") / "onnx"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        export_onnx(bundled, target, (read_build_info(bundled) or {}).get("source_sha256", ""))
    return target, seen, str(bundled)


def test_an_export_prints_no_warnings(export):
    _, seen, _ = export
    assert [f"{w.category.__name__}: {w.message}" for w in seen] == []


def test_a_fresh_export_is_the_graph_in_use(export, seed_settings: Settings):
    target, _, bundled = export
    in_use = onnx_dir_for(Path(bundled)) / MODEL_FILE
    assert (target / MODEL_FILE).read_bytes() == in_use.read_bytes()


def test_an_export_that_does_not_reproduce_the_model_is_refused(export):
    import torch
    from sentence_transformers import SentenceTransformer

    target, _, bundled = export
    model = SentenceTransformer(bundled, device="cpu", local_files_only=True)
    bert = model[0].auto_model.eval()

    def shifted(inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state + 0.01

    words = bert.get_input_embeddings().weight.detach()
    check_export(
        target / MODEL_FILE,
        lambda e, m: bert(inputs_embeds=e, attention_mask=m).last_hidden_state,
        words,
        model.tokenizer,
    )
    with pytest.raises(RuntimeError, match="does not reproduce"):
        check_export(target / MODEL_FILE, shifted, words, model.tokenizer)


def test_texts_run_on_two_threads_give_the_vectors_of_one_at_a_time(embedder: Embedder):
    encoder = embedder.encoder
    texts = [f"passage: {'كلمة ' * n}جنيف" for n in (40, 1, 25, 3, 60, 9, 0, 17)]
    one_at_a_time = [encoder.encode([text]) for text in texts]
    on_two_threads = encoder.encode_many([[text] for text in texts], threads=2)
    assert len(on_two_threads) == len(texts)
    for expected, got in zip(one_at_a_time, on_two_threads, strict=True):
        assert np.allclose(got, expected, atol=1e-6)
