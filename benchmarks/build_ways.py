"""Ways to build the index in less time, each with its seconds and the XQuAD quality it keeps, side by side.

The engine's build (``now``) embeds every passage with the passage prompt and every answer sentence on
its own with the query prompt; LangChain's ``FAISS.from_texts`` (the peer of ``benchmarks.speed``)
embeds the passages only. Ways to do less work or cheaper work:

- ``one_pass_pooled``: the sentence pass only; each passage's vector is the mean of the token states of
  the sentences it holds (their content tokens, each sentence weighted by the share of its characters
  inside the passage), so the passage pass is not run;
- ``spans``: the passage pass only; each sentence pooled from its passage's token states
  (``benchmarks.sentence_vectors``), so the sentence pass is not run;
- ``int8``: both passes through the model with per-channel dynamic int8 weights
  (``onnxruntime.quantization.quantize_dynamic``, every weight MatMul), the questions still fp32;
- ``int8_fp32_ffn4``: the same with layer 4's feed-forward output projection kept in fp32 (alone, the
  MatMul whose int8 weights move the vectors most: mean cosine error 1.3e-3, the next 2.5e-4);
- ``int8_fp32_ffn_out``: all twelve feed-forward output projections kept in fp32.

Seconds: each pass alone on ``build_threads`` cores (as the engine's build runs them), in rounds whose
order rotates, beside the peer's build and the engine's own build in the same rounds. A way's build against the peer
is estimated as the engine's (measured) scaled by the way's embedding seconds over the engine's two
passes: embedding is nearly all of a build.

Quality: each way's passage and sentence vectors are swapped into the same XQuAD index and every
question is asked in English and Arabic (question vectors fp32, computed once): hybrid recall@1 of the
gold paragraph and "answer contains gold", on the tuning half (even articles) and the report half. A
way keeps quality when recall@1 is within 0.5 point and answers within 1 point of ``now`` on both halves
in both languages (issue #11). ``noise`` rows show what vectors perturbed at random to the same cosine
as int8's do to those figures, i.e. how much of a way's change is chance.

Run: ``.venv/bin/python -m benchmarks.build_ways`` (writes ``results/build_ways.json``, ~15 min).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from benchmarks.common import WORK_DIR, load_average, log, timed, write_result
from benchmarks.corpus import LANGUAGES, corpus_facts, load_default_xquad, open_engine
from benchmarks.metrics import gold_rank, retrieval_summary
from benchmarks.quality import evaluate_answers
from benchmarks.sentence_vectors import pooled_from_passages
from benchmarks.xquad import split_articles
from rag import Engine
from rag.bundled_model import ensure_bundled_model
from rag.chunking import Chunk, Sentence
from rag.embedding import Embedder, torch_thread_count
from rag.onnx_model import MODEL_FILE, OnnxEncoder, normalize, quantize_int8
from rag.vector_backends import FaissIndex

ROUNDS = 2
MAX_RECALL_DROP = 0.005
MAX_ANSWER_DROP = 0.01
#: Per-channel int8 variants: the weight MatMuls kept in fp32.
FFN_OUT = "/bert/encoder/layer.{}/output/dense/MatMul"
INT8_VARIANTS = {
    "int8": [],
    "int8_fp32_ffn4": [FFN_OUT.format(4)],
    "int8_fp32_ffn_out": [FFN_OUT.format(layer) for layer in range(12)],
}
NOISE_SEEDS = 3


class QuestionMemo:
    """The engine's encoder with every text's vector kept: each question is embedded once per run."""

    def __init__(self, encoder: OnnxEncoder):
        self.encoder = encoder
        self.prompts, self.dimension, self.batch_size = encoder.prompts, encoder.dimension, encoder.batch_size
        self.vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self.vectors]
        for text, vectors in zip(missing, self.encoder.encode_many([[t] for t in missing], 2), strict=True):
            self.vectors[text] = vectors[0]
        return np.stack([self.vectors[text] for text in texts])

    def encode_many(self, batches: list[list[str]], threads: int) -> list[np.ndarray]:
        self.encode([text for batch in batches for text in batch])
        return [self.encode(batch) for batch in batches]


def int8_embedder(embedder: Embedder, name: str, keep_fp32: list[str]) -> Embedder:
    """``embedder`` running the exported model with per-channel int8 weights, ``keep_fp32`` excepted."""
    onnx_dir = embedder.encoder.directory
    target = WORK_DIR / f"onnx_{name}" / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_int8(onnx_dir / MODEL_FILE, target, keep_fp32)
    return replace(embedder, encoder=OnnxEncoder(onnx_dir, 1, model_file=str(target)), runtime=name)


def overlap_shares(chunks: list[Chunk], sentences: list[Sentence]) -> np.ndarray:
    """(chunks x sentences): the share of each sentence's characters inside each chunk."""
    shares = np.zeros((len(chunks), len(sentences)))
    by_doc: dict[str, list[int]] = defaultdict(list)
    for j, sentence in enumerate(sentences):
        by_doc[sentence.doc_id].append(j)
    for i, chunk in enumerate(chunks):
        for j in by_doc[chunk.doc_id]:
            sentence = sentences[j]
            overlap = min(chunk.end, sentence.end) - max(chunk.start, sentence.start)
            if overlap > 0:
                shares[i, j] = overlap / (sentence.end - sentence.start)
    return shares


def sentence_pass_with_token_sums(embedder: Embedder, texts: list[str], threads: int) -> tuple[np.ndarray, np.ndarray]:
    """The engine's sentence vectors (query prompt, each sentence alone) and, from the same forward
    passes, the sum of each sentence's content token states (prompt, ``<s>`` and ``</s>`` left out)."""
    prefix = embedder.prompts.get(embedder.query_prompt, "")

    def one(text: str) -> tuple[np.ndarray, np.ndarray]:
        states = embedder.encoder.encode_tokens([prefix + text])
        starts, ends = states.offsets[0, :, 0], states.offsets[0, :, 1]
        content = (states.mask[0] > 0) & (ends > starts) & (starts >= len(prefix))
        return states.vectors[0], states.hidden[0][content].sum(axis=0)

    with ThreadPoolExecutor(threads) as pool:
        rows = list(pool.map(one, texts))
    return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])


def way_vectors(engine: Engine, threads: int) -> tuple[dict, dict[str, list[str]], np.ndarray, list[str]]:
    """Each pass (a callable making its vectors), each way (the passes it runs), the chunk-sentence
    overlap shares and the sentence texts."""
    store, embedder = engine.components().store, engine.components().embedder
    chunk_texts = [c.text for c in store.chunks]
    sentence_texts = [store.text(s.doc_id, s.start, s.end) for s in store.sentences]
    shares = overlap_shares(store.chunks, store.sentences)
    passes: dict[str, Callable[[], tuple]] = {
        "passages": lambda: embedder.embed_passages(chunk_texts, threads),
        "sentences": lambda: embedder.embed_answer_sentences(sentence_texts, threads),
        "sentences_with_token_sums": lambda: sentence_pass_with_token_sums(embedder, sentence_texts, threads),
    }
    for name, keep in INT8_VARIANTS.items():
        quantized = int8_embedder(embedder, name, keep)
        passes[f"{name}_passages"] = lambda e=quantized: e.embed_passages(chunk_texts, threads)
        passes[f"{name}_sentences"] = lambda e=quantized: e.embed_answer_sentences(sentence_texts, threads)
    ways = {
        "now": ["passages", "sentences"],
        "one_pass_pooled": ["sentences_with_token_sums"],
        "spans": ["passages"],
        **{name: [f"{name}_passages", f"{name}_sentences"] for name in INT8_VARIANTS},
    }
    return passes, ways, shares, sentence_texts


def time_passes(engine: Engine, passes: dict[str, Callable[[], object]], threads: int) -> tuple[dict, dict]:
    """Median seconds of each pass, of the peer's build and of the engine's build, ``ROUNDS`` rotating
    rounds; and the last output of each pass."""
    from benchmarks.peer import build_peer, stock_embeddings  # LangChain: a benchmark extra, not a test dependency

    store = engine.components().store
    chunk_texts = [c.text for c in store.chunks]
    metadatas = [{"chunk_id": c.chunk_id} for c in store.chunks]
    peer_embeddings = stock_embeddings(ensure_bundled_model(engine.settings.cache_dir))
    settings = engine.settings.with_changes(store_dir=WORK_DIR / "build_ways_store")
    embedder = engine.components().embedder

    def peer() -> object:
        with torch_thread_count(threads):
            return build_peer(chunk_texts, metadatas, peer_embeddings)

    jobs = {
        **passes,
        "peer": peer,
        "engine_build": lambda: Engine.open(settings, force_rebuild=True, _embedder=embedder),
    }
    times: dict[str, list[float]] = defaultdict(list)
    outputs: dict[str, object] = {}
    names = list(jobs)
    for round_ in range(ROUNDS):
        shift = round_ * len(names) // ROUNDS
        for name in names[shift:] + names[:shift]:
            seconds, outputs[name] = timed(jobs[name])
            times[name].append(seconds)
            log(f"round {round_}: {name} {seconds:.1f}s")
    return {name: round(statistics.median(values), 2) for name, values in times.items()}, outputs


def evaluate(engine: Engine, questions: dict, chunk_vectors: np.ndarray, sentence_vectors: np.ndarray) -> dict:
    """Hybrid recall@1 and answers on each half with these vectors swapped into the index."""
    store = engine.components().store
    saved = store.index, store.sentence_vectors
    store.index = FaissIndex.build(np.ascontiguousarray(chunk_vectors, dtype=np.float32), "flat")
    store.sentence_vectors = np.ascontiguousarray(sentence_vectors, dtype=np.float32)
    result: dict[str, dict] = {}
    try:
        for half, asked in questions.items():
            answers = evaluate_answers(engine, asked)
            result[half] = {}
            for language in LANGUAGES:
                hits = engine.retrieve_many([q.text(language) for q in asked], 20, "hybrid")
                ranks = [gold_rank([h.chunk.doc_id for h in hs], q.doc_id) for q, hs in zip(asked, hits, strict=True)]
                result[half][language] = {
                    "recall@1": retrieval_summary(ranks)["recall@1"],
                    "answer_contains_gold": answers[language]["answer_contains_gold"],
                    "abstained": answers[language]["abstained"],
                }
    finally:
        store.index, store.sentence_vectors = saved
    return result


def perturbed(vectors: np.ndarray, cosine: float, rng: np.random.Generator) -> np.ndarray:
    """``vectors`` each turned by a random direction to ``cosine`` with itself."""
    noise = rng.standard_normal(vectors.shape).astype(np.float32)
    noise = normalize(noise - (noise * vectors).sum(axis=1, keepdims=True) * vectors)
    return normalize(cosine * vectors + np.sqrt(1 - cosine**2) * noise)


def changes(quality: dict[str, dict]) -> dict[str, dict]:
    """Each way's change against ``now`` (points) and whether it keeps quality."""
    base = quality["now"]
    result = {}
    for name, figures in quality.items():
        deltas = {
            f"{half} {language} {metric}": round(
                100 * (figures[half][language][metric] - base[half][language][metric]), 2
            )
            for half in figures
            for language in LANGUAGES
            for metric in ("recall@1", "answer_contains_gold")
        }
        keeps = all(
            value >= -100 * (MAX_RECALL_DROP if "recall" in key else MAX_ANSWER_DROP) for key, value in deltas.items()
        )
        result[name] = {"points": deltas, "keeps_quality": keeps}
    return result


def build_estimates(seconds: dict[str, float], ways: dict[str, list[str]]) -> dict[str, dict]:
    """Each way's embedding seconds and its build against the peer, estimated as the engine's build
    measured in the same rounds scaled by the way's embedding seconds over ``now``'s (embedding is
    nearly all of a build; the passes timed alone and inside the build differ more than the rest)."""
    now = seconds["passages"] + seconds["sentences"]
    result = {}
    for name, passes in ways.items():
        way_seconds = sum(seconds[p] for p in passes)
        result[name] = {
            "passes": passes,
            "embedding_seconds": round(way_seconds, 2),
            "embedding_over_now": round(way_seconds / now, 3),
            "estimated_build_over_peer": round(seconds["engine_build"] / seconds["peer"] * way_seconds / now, 3),
        }
    return result


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    threads = engine.settings.build_threads
    store, embedder = engine.components().store, engine.components().embedder
    tuning = split_articles(data.article_count, 2, {0})
    questions = {
        "tuning_half": [q for q in data.questions if q.article in tuning],
        "report_half": [q for q in data.questions if q.article not in tuning],
    }
    passes, ways, shares, sentence_texts = way_vectors(engine, threads)
    seconds, outputs = time_passes(engine, passes, threads)
    load = load_average()
    vectors = {
        "now": (outputs["passages"], outputs["sentences"]),
        "one_pass_pooled": (
            normalize(shares @ outputs["sentences_with_token_sums"][1]),
            outputs["sentences_with_token_sums"][0],
        ),
        "spans": (
            outputs["passages"],
            pooled_from_passages(embedder, store.chunks, store.sentences, sentence_texts),
        ),
        **{name: (outputs[f"{name}_passages"], outputs[f"{name}_sentences"]) for name in INT8_VARIANTS},
    }
    memo = QuestionMemo(embedder.encoder)
    embedder.encoder = memo
    try:
        quality = {}
        for name, (chunk_vectors, sentence_vectors) in vectors.items():
            quality[name] = evaluate(engine, questions, chunk_vectors, sentence_vectors)
            log(f"{name}: {quality[name]}")
        now_passages, now_sentences = vectors["now"]
        int8_passages, int8_sentences = vectors["int8_fp32_ffn4"]
        cosine = float(
            np.mean([(now_passages * int8_passages).sum(1).mean(), (now_sentences * int8_sentences).sum(1).mean()])
        )
        rng = np.random.default_rng(0)
        for seed in range(NOISE_SEEDS):
            name = f"noise_{seed}"
            quality[name] = evaluate(
                engine, questions, perturbed(now_passages, cosine, rng), perturbed(now_sentences, cosine, rng)
            )
            log(f"{name}: {quality[name]}")
    finally:
        embedder.encoder = memo.encoder
    build = build_estimates(seconds, ways)
    cosines = {
        name: {
            "passages": round(float((vectors["now"][0] * chunk_vectors).sum(1).mean()), 5),
            "sentences": round(float((vectors["now"][1] * sentence_vectors).sum(1).mean()), 5),
        }
        for name, (chunk_vectors, sentence_vectors) in vectors.items()
    }
    return {
        "corpus": corpus_facts(engine),
        "build_threads": threads,
        "rounds": ROUNDS,
        "seconds": seconds,
        "engine_build_over_peer": round(seconds["engine_build"] / seconds["peer"], 3),
        "ways": build,
        "mean_cosine_to_now": cosines,
        "noise_cosine": round(cosine, 5),
        "quality": quality,
        "changes_vs_now": changes(quality),
        "meets_target": {
            name: build[name]["estimated_build_over_peer"] <= 1.0 and changes(quality)[name]["keeps_quality"]
            for name in build
        },
        "load_average": load,
        "tuning_articles": sorted(tuning),
        "seconds_total": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("build_ways", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
