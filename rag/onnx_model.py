"""Export the rebuilt model to ONNX once, and run it with ONNX Runtime without torch.

``ensure_onnx_model`` writes ``model.onnx`` (the BERT encoder: token ids and attention mask in, last
hidden states out), the tokenizer and the prompts next to the rebuilt sentence-transformers model
under ``.cache/models/``. The export needs torch and the ``onnx`` package and runs once (about 15 s);
``OnnxEncoder`` then needs only ``onnxruntime``, ``tokenizers`` and numpy, so a process answering
questions never imports torch. Mean pooling and normalization are done here in numpy, exactly as the
rebuilt model's sentence-transformers modules do (``rag/bundled_model.py``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.bundled_model import quiet_transformers, read_build_info

log = logging.getLogger(__name__)

BUILD_INFO = "rag_onnx_info.json"
MODEL_FILE = "model.onnx"
#: The token embedding table (250k x 384, 80% of the weights) stays outside the graph: memory-mapped,
#: only the rows of the tokens seen are read, so a process loads in a fraction of the time and memory.
WORD_EMBEDDINGS = "word_embeddings.npy"
IO_NAMES = ("inputs_embeds", "attention_mask", "last_hidden_state")
#: Bump when the export recipe changes so cached exports are redone.
EXPORT_VERSION = 2
OPSET = 17
FILE_MODE = 0o644
#: The export with per-channel int8 weights, for building indexes (``Settings.index_precision``).
INT8_MODEL_FILE = "model_int8.onnx"
#: Weight MatMuls left in fp32 in the int8 model: the feed-forward output projections. Their inputs
#: (after GELU) quantize worst: layer 4's alone moved the vectors more than any other MatMul (mean
#: cosine error 1.3e-3, the next 2.5e-4); keeping all twelve fp32 keeps XQuAD quality, keeping only
#: layer 4's did not quite (``benchmarks/build_ways.py``).
FP32_MATMULS = re.compile(r"/layer\.\d+/output/dense/MatMul$")


@dataclass(frozen=True)
class TokenBatch:
    """One batch through the encoder: sentence vectors and what span pooling needs."""

    vectors: np.ndarray  # (batch, dim), mean-pooled and normalized
    hidden: np.ndarray  # (batch, tokens, dim), last hidden states
    mask: np.ndarray  # (batch, tokens), 1 for real tokens
    offsets: np.ndarray  # (batch, tokens, 2), character offsets in the (prompted) text


def onnx_dir_for(model_dir: Path) -> Path:
    return model_dir.with_name(model_dir.name + "-onnx")


def ensure_onnx_model(model_dir: Path) -> Path:
    """Return the ONNX export of the sentence-transformers model at ``model_dir``, exporting it first if
    it is missing or was made from other weights or by an older recipe."""
    target = onnx_dir_for(model_dir)
    source = (read_build_info(model_dir) or {}).get("source_sha256", "")
    info = read_onnx_info(target)
    if info is None or info.get("export_version") != EXPORT_VERSION or info.get("source_sha256") != source:
        log.warning("Exporting %s to ONNX into %s (one time)...", model_dir.name, target)
        export_onnx(model_dir, target, source)
    return target


def read_onnx_info(onnx_dir: Path) -> dict | None:
    try:
        return json.loads((onnx_dir / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None


def export_onnx(model_dir: Path, target: Path, source_sha256: str) -> Path:
    """Trace the model's BERT encoder into ``target/model.onnx`` (atomically), with its tokenizer."""
    import torch
    from sentence_transformers import SentenceTransformer

    class HiddenStates(torch.nn.Module):
        """The Hugging Face encoder returning only its last hidden states."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    quiet_transformers()
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    bert = model[0].auto_model.eval()
    encoder = HiddenStates(bert).eval()  # else the export, restoring its mode, puts bert in training mode
    word_embeddings = bert.get_input_embeddings().weight.detach()
    # Two texts of different lengths, so the traced graph handles padding.
    sample = model.tokenizer(["query: a b c d", "x"], padding=True, return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as work:
        out_dir = Path(work) / "onnx"
        out_dir.mkdir()
        with torch.inference_mode(), warnings.catch_warnings():
            _ignore_expected_export_warnings(torch)
            torch.onnx.export(
                encoder,
                (word_embeddings[sample["input_ids"]], sample["attention_mask"]),
                str(out_dir / MODEL_FILE),
                input_names=["inputs_embeds", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in IO_NAMES},
                opset_version=OPSET,
                dynamo=False,
            )
        check_export(out_dir / MODEL_FILE, encoder, word_embeddings, model.tokenizer)
        np.save(out_dir / WORD_EMBEDDINGS, word_embeddings.numpy().astype(np.float32))
        shutil.copyfile(model_dir / "tokenizer.json", out_dir / "tokenizer.json")
        info = {
            "export_version": EXPORT_VERSION,
            "source_sha256": source_sha256,
            "max_seq_length": int(model.max_seq_length),
            "pad_token_id": int(model.tokenizer.pad_token_id),
            "pad_token": str(model.tokenizer.pad_token),
            "dimension": int(model.get_embedding_dimension()),
            "prompts": dict(model.prompts),
        }
        (out_dir / BUILD_INFO).write_text(json.dumps(info, indent=2, ensure_ascii=False))
        for file in out_dir.iterdir():
            file.chmod(FILE_MODE)
        if target.exists():
            shutil.rmtree(target)
        out_dir.rename(target)
    return target


def ensure_int8_model(onnx_dir: Path) -> Path:
    """The export in ``onnx_dir`` with per-channel dynamic int8 weights (ONNX Runtime's own
    quantizer), written next to it once (a few seconds); a new export replaces the folder, and so this."""
    target = onnx_dir / INT8_MODEL_FILE
    if target.is_file():
        return target
    import onnx

    log.info("Quantizing %s to int8 for index builds (one time)...", onnx_dir.name)
    graph = onnx.load(str(onnx_dir / MODEL_FILE), load_external_data=False).graph
    keep = [node.name for node in graph.node if node.op_type == "MatMul" and FP32_MATMULS.search(node.name)]
    with tempfile.TemporaryDirectory(dir=onnx_dir, prefix=".int8-") as work:
        written = Path(work) / INT8_MODEL_FILE
        quantize_int8(onnx_dir / MODEL_FILE, written, keep)
        written.chmod(FILE_MODE)
        written.replace(target)
    return target


def quantize_int8(source: Path, target: Path, keep_fp32: list[str]) -> None:
    """``source`` with per-channel dynamic int8 weights (ONNX Runtime's own quantizer) written to
    ``target``, the MatMul nodes named in ``keep_fp32`` left in fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_quantizer():
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep_fp32
        )


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """The quantizer's advice to pre-process the graph first left out of the log (done without it,
    the int8 model keeps quality; ``benchmarks/build_ways.py``)."""

    def keep(record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _ignore_expected_export_warnings(torch: object) -> None:
    """Silence, inside a ``warnings.catch_warnings()`` block, the warnings every export of this model
    prints and that say nothing about it:

    - torch's notice that the TorchScript exporter (``dynamo=False``) is deprecated. It is chosen on
      purpose: the ``torch.export`` exporter needs the ``onnxscript`` package, gave the same outputs
      (max difference 1.5e-6) and was no faster here (64 passages in 12.4 s against 11.2 s), and
      torch is pinned (2.13) with this exporter in it;
    - the tracer's warnings from transformers' mask and attention code that a tensor compared with a
      number becomes a constant: ``is_causal`` is false whenever a mask is given (it always is) and
      the mask's padding length is 0 for any input whose mask is as long as its tokens (always);
    - the exporter's note that indexing gives wrong results for negative indices (the mask code
      indexes with positions, never negative).
      ``check_export`` verifies the exported graph on other batch sizes and lengths anyway.
    """
    warnings.filterwarnings("ignore", "You are using the legacy TorchScript-based ONNX export", DeprecationWarning)
    warnings.filterwarnings("ignore", "The feature will be removed", DeprecationWarning, r"torch\.onnx")
    warnings.filterwarnings("ignore", "Exporting aten::index operator", UserWarning, r"torch\.onnx")
    warnings.filterwarnings(
        "ignore", category=torch.jit.TracerWarning, module=r"transformers\.(masking_utils|integrations\.sdpa_attention)"
    )


#: Texts of other lengths than the traced sample, padded together, to check the exported graph with.
CHECK_TEXTS = ("query: متى ستعقد المحادثات في جنيف؟", "passage: " + "كلمة " * 60, "x")
#: Largest difference of a hidden state allowed between the exported graph and torch.
CHECK_TOLERANCE = 1e-3


def check_export(model_file: Path, encoder: object, word_embeddings: object, tokenizer: object) -> None:
    """Raise ``RuntimeError`` unless the exported graph gives torch's hidden states on a batch of other
    sizes and lengths than it was traced with (so a trace that fixed a shape fails here, not later)."""
    import onnxruntime
    import torch

    batch = tokenizer(list(CHECK_TEXTS), padding=True, return_tensors="pt")
    inputs = (word_embeddings[batch["input_ids"]], batch["attention_mask"])
    with torch.inference_mode():
        expected = encoder(*inputs).numpy()
    session = onnxruntime.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"inputs_embeds": inputs[0].numpy(), "attention_mask": inputs[1].numpy()})
    real = batch["attention_mask"].numpy() > 0
    difference = float(np.abs(got - expected)[real].max()) if got.shape == expected.shape else np.inf
    if difference > CHECK_TOLERANCE:
        raise RuntimeError(f"the ONNX export does not reproduce the model (difference {difference:.3g})")


class OnnxEncoder:
    """The exported encoder in ONNX Runtime, with the ``tokenizers`` tokenizer and numpy pooling."""

    #: One text a run: no padding at all. On one thread, 48 XQuAD passages sorted by length took 9.3 s
    #: one at a time against 10.1 s in fours and 13.3 s in sixteens (torch's batches of 32: 14.8 s).
    batch_size = 1

    def __init__(self, onnx_dir: Path, threads: int = 1, model_file: str = MODEL_FILE):
        import onnxruntime
        from tokenizers import Tokenizer

        info = read_onnx_info(onnx_dir)
        if info is None:
            raise FileNotFoundError(f"{onnx_dir / BUILD_INFO} is missing")
        self.directory = onnx_dir
        self.threads = max(1, threads)
        self.prompts: dict[str, str] = info["prompts"]
        self.dimension: int = info["dimension"]
        self.word_embeddings = np.load(onnx_dir / WORD_EMBEDDINGS, mmap_mode="r")
        self.tokenizer = Tokenizer.from_file(str(onnx_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(info["max_seq_length"])
        self.tokenizer.enable_padding(pad_id=info["pad_token_id"], pad_token=info["pad_token"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(onnx_dir / model_file), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalized mean-pooled vectors of one padded batch."""
        hidden, mask, _ = self._run(texts)
        return mean_pool(hidden, mask)

    def encode_many(self, batches: list[list[str]], threads: int) -> list[np.ndarray]:
        """The vectors of each batch, ``threads`` batches at a time on this one session (ONNX Runtime
        releases the GIL and runs one session from several threads), each on the session's own
        intra-op threads. The vectors are the same as one batch at a time."""
        if threads <= 1 or len(batches) <= 1:
            return [self.encode(batch) for batch in batches]
        pool = ThreadPoolExecutor(threads, thread_name_prefix="onnx-encode")
        try:
            return list(pool.map(self.encode, batches))
        finally:  # on Ctrl-C, only the texts already running are finished
            pool.shutdown(wait=True, cancel_futures=True)

    def encode_tokens(self, texts: list[str]) -> TokenBatch:
        """One padded batch through the model, with the tokens' character offsets."""
        hidden, mask, encodings = self._run(texts)
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64).reshape(len(texts), -1, 2)
        return TokenBatch(mean_pool(hidden, mask), hidden, mask, offsets)

    def _run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
        """The last hidden states and attention mask of one padded batch, and its tokenizer encodings."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        inputs = {"inputs_embeds": self.word_embeddings[ids], "attention_mask": mask}
        (hidden,) = self.session.run(None, inputs)
        return hidden, mask, encodings


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the real tokens' hidden states, normalized to unit length."""
    weights = mask[..., None].astype(hidden.dtype)
    summed = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return normalize(summed)


def normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
