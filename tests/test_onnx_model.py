import warnings
from pathlib import Path

import pytest

from rag.bundled_model import ensure_bundled_model, read_build_info
from rag.config import Settings
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
