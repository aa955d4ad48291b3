"""The embedding runtimes side by side: torch (sentence-transformers), ONNX Runtime fp32 (the engine's
default) and ONNX Runtime with dynamic int8 weights, on the same bundled model.

For each runtime: cosine to torch's vectors on the 50-sentence parity set of ``tests/test_bundled_model.py``
and on XQuAD; the XQuAD index built with that runtime (its build time) and retrieval from it (dense and
hybrid recall@1/@5 of the gold paragraph, both directions) with that runtime's question vectors; time
per question (one at a time, interleaved). A runtime is fit to replace torch when its parity cosine is ≥ 0.99 and its
recall@1 is within 0.5 point of torch's in both directions.

Run: ``.venv/bin/python -m benchmarks.runtime`` (writes ``benchmarks/results/runtime.json``, ~8 min on a quiet
machine; ``--parity-only`` stops after the parity cosines).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np

from benchmarks.common import WORK_DIR, log, summarize_ms, timed, write_result
from benchmarks.corpus import LANGUAGES, asked, corpus_facts, load_default_xquad, open_engine, xquad_settings
from benchmarks.quality import evaluate_retrieval
from benchmarks.speed import sample_questions
from benchmarks.xquad import XQuAD, write_corpus
from rag import Engine
from rag.embedding import Embedder, load_embedder
from rag.onnx_model import MODEL_FILE, OnnxEncoder
from tests.test_bundled_model import SENTENCES

#: Parity set: the test's 10 sentences, 5 numbered variants each (50 texts), as the test embeds them.
PARITY_TEXTS = [f"{s} ({i})" for i in range(5) for s in SENTENCES]
MIN_PARITY_COSINE = 0.99
MAX_RECALL_DROP = 0.005
TIMED_QUESTIONS_PER_LANGUAGE = 100
REPEATS = 2


def int8_embedder(onnx_embedder: Embedder, threads: int) -> Embedder:
    """The exported model with its weights quantized to int8 (onnxruntime's dynamic quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    onnx_dir = onnx_embedder.encoder.directory
    target = WORK_DIR / "onnx_int8" / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(onnx_dir / MODEL_FILE), str(target), weight_type=QuantType.QInt8)
    encoder = OnnxEncoder(onnx_dir, threads, model_file=str(target))
    return replace(onnx_embedder, encoder=encoder, runtime="onnx-int8")


def load_runtimes(engine: Engine) -> dict[str, Embedder]:
    settings = engine.settings
    onnx = load_embedder(settings.with_changes(embedding_runtime="onnx"))
    return {
        "torch": load_embedder(settings.with_changes(embedding_runtime="torch")),
        "onnx": onnx,
        "onnx-int8": int8_embedder(onnx, settings.torch_threads),
    }


def cosines(vectors: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    values = np.sum(vectors * reference, axis=1)
    return {"min": round(float(values.min()), 5), "mean": round(float(values.mean()), 5)}


def parity(runtimes: dict[str, Embedder]) -> dict[str, dict]:
    """Cosine to torch's vectors on the parity set, with the query and the passage prompt."""
    reference = runtimes["torch"]
    ref_q, ref_p = reference.embed_queries(PARITY_TEXTS), reference.embed_passages(PARITY_TEXTS)
    return {
        name: {
            "parity_queries": cosines(embedder.embed_queries(PARITY_TEXTS), ref_q),
            "parity_passages": cosines(embedder.embed_passages(PARITY_TEXTS), ref_p),
        }
        for name, embedder in runtimes.items()
    }


def retrieval(data: XQuAD, runtimes: dict[str, Embedder]) -> dict[str, dict]:
    """Each runtime builds its own XQuAD index and answers retrieval with its own question vectors;
    also the cosine of its passage and question vectors to torch's."""
    results: dict[str, dict] = {}
    vectors: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    for name, embedder in runtimes.items():
        settings = xquad_settings(f"xquad_{name}")
        write_corpus(data.paragraphs, settings.docs_dir)
        engine = Engine.open(settings, force_rebuild=True, _embedder=embedder)
        log(f"{name}: {corpus_facts(engine)}")
        results[name] = {"index_build_seconds": engine.info().build_seconds}
        results[name]["retrieval"] = evaluate_retrieval(engine, data.questions)
        chunks = [c.text for c in engine.components().store.chunks]
        vectors[name] = (
            embedder.embed_passages(chunks),
            {lang: embedder.embed_queries([asked(q, lang) for q in data.questions]) for lang in LANGUAGES},
        )
    torch_chunks, torch_questions = vectors["torch"]
    for name, (chunk_vectors, question_vectors) in vectors.items():
        results[name]["xquad_chunks"] = cosines(chunk_vectors, torch_chunks)
        for language in LANGUAGES:
            results[name][f"xquad_questions_{language}"] = cosines(
                question_vectors[language], torch_questions[language]
            )
    return results


def time_questions(runtimes: dict[str, Embedder], questions: list[str]) -> dict[str, dict]:
    """One question at a time, each runtime in turn (the order rotates), ``REPEATS`` rounds."""
    names = list(runtimes)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(REPEATS):
        for i, question in enumerate(questions):
            shift = (i + round_) % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(timed(lambda q=question, e=runtimes[name]: e.embed_queries([q]))[0])
    return {name: summarize_ms(values) for name, values in times.items()}


def verdicts(results: dict[str, dict]) -> dict[str, dict]:
    """Whether each runtime keeps quality: parity cosine and recall@1 against torch's, both directions."""
    torch_recall = results["torch"]["retrieval"]
    verdict = {}
    for name, result in results.items():
        parity_min = min(result["parity_queries"]["min"], result["parity_passages"]["min"])
        drops = {
            f"{pair} {mode}": round(
                torch_recall[pair][mode]["recall@1"] - result["retrieval"][pair][mode]["recall@1"], 4
            )
            for pair in torch_recall
            for mode in ("dense", "hybrid")
        }
        verdict[name] = {
            "parity_min_cosine": parity_min,
            "recall@1_change_vs_torch": {k: -v for k, v in drops.items()},
            "keeps_quality": parity_min >= MIN_PARITY_COSINE and max(abs(v) for v in drops.values()) <= MAX_RECALL_DROP,
        }
    return verdict


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    runtimes = load_runtimes(engine)
    results = parity(runtimes)
    log(f"parity: {results}")
    write_result("runtime", {"partial": True, "runtimes": results})  # long runs: keep what is done
    if "--parity-only" in sys.argv:
        return {"corpus": corpus_facts(engine), "runtimes": results, "partial": True}
    for name, result in retrieval(data, runtimes).items():
        results[name].update(result)
    questions = sample_questions(data.questions, TIMED_QUESTIONS_PER_LANGUAGE)
    time_questions(runtimes, questions[:10])  # warm-up
    query_times = time_questions(runtimes, questions)
    torch_p50 = query_times["torch"]["p50_ms"]
    result = {
        "corpus": corpus_facts(engine),
        "threads": engine.settings.torch_threads,
        "runtimes": results,
        "verdicts": verdicts(results),
        "question_embedding": {
            name: {**timing, "p50_over_torch": round(timing["p50_ms"] / torch_p50, 3)}
            for name, timing in query_times.items()
        },
        "questions_timed": len(questions) * REPEATS,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    path = write_result("runtime", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
