"""Speed on this machine: warm ``ask`` against the bare query-embedding floors (the engine's runtime and
torch, the runtime used before ONNX) and the LangChain peer, where the time goes, cold start and peak
memory with each runtime, and index build against the peer and the bare passage-embedding floor.

Run: ``.venv/bin/python -m benchmarks.speed`` (writes ``benchmarks/results/speed.json``);
``--only build`` runs the index builds alone (``speed_build.json``), ``--only ask`` the warm
questions alone (``speed_ask.json``).
Everything compared is measured in this one run, interleaved question by question (warm), run by run
(cold starts) and build by build.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from benchmarks.common import PROJECT_ROOT, WORK_DIR, load_average, log, summarize_ms, timed, write_result
from benchmarks.corpus import asked, corpus_facts, load_default_xquad, open_engine
from benchmarks.peer import build_peer, peer_search, stock_embeddings
from benchmarks.xquad import Question
from rag import Engine, check_question
from rag.bundled_model import ensure_bundled_model
from rag.embedding import Embedder, load_embedder, torch_thread_count

#: Questions timed per language (spread evenly over XQuAD), after WARMUP untimed ones.
QUESTIONS_PER_LANGUAGE = 50
WARMUP = 10
COLD_STARTS = 3
BUILD_REPEATS = 2
RUNTIMES = ("onnx", "torch")
#: Targets of issue 11.
GOALS = {
    "ask_over_torch_floor_p50": 0.6,
    "ask_over_floor_p50": 1.2,
    "cold_start_seconds": 2.5,
    "engine_build_over_peer": 1.0,
    "ask_peak_rss_mib": 960,
}


def sample_questions(questions: list[Question], per_language: int) -> list[str]:
    """English and Arabic questions alternating, spread evenly over the dataset."""
    step = max(1, len(questions) // per_language)
    picked = questions[::step][:per_language]
    return [asked(q, lang) for q in picked for lang in ("en", "ar")]


def time_queries(engine: Engine, torch_embedder: Embedder, peer: object, questions: list[str]) -> dict:
    """Seconds per question for the floors, ``ask``, the peer and the engine's pieces, interleaved.

    ``floor`` is the engine's own bare query embedding, ``torch_floor`` the same with torch (the
    runtime before ONNX). The order of the end-to-end measurements rotates from question to question
    so that none of them always runs right after another.
    """
    k = engine.settings.top_k
    retriever, composer, embedder = (
        engine.components().retriever,
        engine.components().composer,
        engine.components().embedder,
    )
    depth = max(k, retriever.fusion_depth)
    answer_depth = max(k, engine.settings.abstention_depth)  # as ``Engine.ask`` retrieves
    times: dict[str, list[float]] = {
        name: []
        for name in ("floor", "torch_floor", "ask", "peer", "embed", "sentence_scores", "retrieve", "dense_search")
        + ("lexical_search", "compose", "floor_cpu", "torch_floor_cpu", "ask_cpu", "peer_cpu")
    }
    end_to_end: dict[str, Callable[[str], object]] = {
        "floor": lambda q: embedder.embed_queries([q]),
        "torch_floor": lambda q: torch_embedder.embed_queries([q]),
        "ask": engine.ask,
        "peer": lambda q: peer_search(peer, q, k),
    }
    names = list(end_to_end)
    for i, question in enumerate(questions):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            cpu_before = time.thread_time()
            times[name].append(timed(lambda q=question, f=end_to_end[name]: f(q))[0])
            times[f"{name}_cpu"].append(time.thread_time() - cpu_before)
        checked = check_question(question, engine.settings.max_question_chars)
        language = checked.language
        seconds, vector = timed(lambda q=question: embedder.embed_queries([q])[0])
        times["embed"].append(seconds)
        seconds, scores = timed(lambda v=vector: retriever.store.sentence_scores(v))
        times["sentence_scores"].append(seconds)
        seconds, hits = timed(
            lambda q=question, lang=language, v=vector, s=scores: retriever.retrieve(
                q, lang, answer_depth, v, sentence_scores=s
            )
        )
        times["retrieve"].append(seconds)
        times["dense_search"].append(timed(lambda v=vector: retriever.store.search(v[None, :], depth))[0])
        if language == retriever.corpus_language:
            times["lexical_search"].append(timed(lambda q=question: retriever.store.lexical.search(q, depth))[0])
        times["compose"].append(
            timed(
                lambda q=question, lang=language, h=hits, v=vector, s=scores: composer.compose(
                    q, lang, h, v, k, sentence_scores=s
                )
            )[0]
        )
    return times


def warm_query_results(times: dict[str, list[float]]) -> dict:
    summary = {name: summarize_ms(values) for name, values in times.items() if values}
    per_question = [a / f for a, f in zip(times["ask"], times["floor"], strict=True)]
    per_question_torch = [a / f for a, f in zip(times["ask"], times["torch_floor"], strict=True)]
    per_question_peer = [a / p for a, p in zip(times["ask"], times["peer"], strict=True)]
    return {
        "timings": summary,
        "ask_over_torch_floor_p50": round(summary["ask"]["p50_ms"] / summary["torch_floor"]["p50_ms"], 3),
        "ask_over_torch_floor_median_per_question": round(statistics.median(per_question_torch), 3),
        "floor_over_torch_floor_p50": round(summary["floor"]["p50_ms"] / summary["torch_floor"]["p50_ms"], 3),
        "ask_over_floor_p50": round(summary["ask"]["p50_ms"] / summary["floor"]["p50_ms"], 3),
        "ask_over_floor_p95": round(summary["ask"]["p95_ms"] / summary["floor"]["p95_ms"], 3),
        "ask_over_floor_median_per_question": round(statistics.median(per_question), 3),
        "ask_over_peer_p50": round(summary["ask"]["p50_ms"] / summary["peer"]["p50_ms"], 3),
        "ask_over_peer_median_per_question": round(statistics.median(per_question_peer), 3),
        "peer_over_floor_p50": round(summary["peer"]["p50_ms"] / summary["floor"]["p50_ms"], 3),
        "cpu_ask_over_torch_floor_p50": round(summary["ask_cpu"]["p50_ms"] / summary["torch_floor_cpu"]["p50_ms"], 3),
        "cpu_ask_over_floor_p50": round(summary["ask_cpu"]["p50_ms"] / summary["floor_cpu"]["p50_ms"], 3),
        "cpu_floor_over_torch_floor_p50": round(
            summary["floor_cpu"]["p50_ms"] / summary["torch_floor_cpu"]["p50_ms"], 3
        ),
        "goal_ask_over_torch_floor": GOALS["ask_over_torch_floor_p50"],
        "goal_ask_over_floor": GOALS["ask_over_floor_p50"],
    }


def cold_start_once(engine: Engine, question: str, runtime: str, cli: bool) -> dict:
    """One fresh process with the index already built: ``benchmarks.cold_start`` (stages) or, with
    ``cli``, ``rag ask`` itself (total and peak memory)."""
    settings = engine.settings
    command = [sys.executable, "-m", "benchmarks.cold_start", *(["--cli"] if cli else [])]
    started = time.time()
    done = subprocess.run(
        [*command, str(settings.docs_dir), str(settings.store_dir), question],
        cwd=PROJECT_ROOT,
        env=os.environ | {"RAG_EMBEDDING_RUNTIME": runtime, "RAG_CACHE_DIR": str(settings.cache_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["total"] = record.pop("answered_at") - started
    if not cli:
        record["interpreter_start"] = (
            record["total"] - record["imports"] - record["engine_open"] - record["first_query"]
        )
        record["open_other"] = (
            record["engine_open"] - record["model_load"] - record["articles_load"] - record["index_open"]
        )
    return record


def cold_starts(engine: Engine, questions: dict[str, str], runs: int) -> dict:
    """Process start to first answer with each runtime, ``runs`` times each, the runtimes alternating:
    the engine's stages for an Arabic question, and ``rag ask`` itself for an Arabic and an English one
    (the English one also reads the dictionary, on its first use)."""
    stages = (
        "total",
        "interpreter_start",
        "imports",
        "model_load",
        "articles_load",
        "index_open",
        "open_other",
        "first_query",
        "peak_rss_mib",
    )
    kinds = {"": (False, "ar"), "_cli": (True, "ar"), "_cli_en": (True, "en")}
    records: dict[str, list[dict]] = {f"{r}{kind}": [] for r in RUNTIMES for kind in kinds}
    for _ in range(runs):
        for runtime in RUNTIMES:
            for kind, (cli, language) in kinds.items():
                record = cold_start_once(engine, questions[language], runtime, cli)
                records[f"{runtime}{kind}"].append(record)
                log(f"cold start {runtime}{kind}: {record}")
    result: dict[str, object] = {}
    for name, runs_ in records.items():
        keys = [s for s in stages if s in runs_[0]]
        result[name] = {
            "median": {s: round(statistics.median(r[s] for r in runs_), 3) for s in keys},
            "runs": [{s: round(r[s], 3) for s in keys} | {"torch_imported": r["torch_imported"]} for r in runs_],
        }
    result["onnx_over_torch_total"] = round(result["onnx"]["median"]["total"] / result["torch"]["median"]["total"], 3)
    result["note"] = (
        "onnx/torch: benchmarks.cold_start opening the engine (stages), Arabic question; *_cli: `rag ask` "
        "itself (python -m rag ask, run in the measuring process), total and peak RSS, Arabic or English "
        "(_en) question; open_other is the rest of Engine.open (answer composer, sentence map)"
    )
    return result


def index_builds(engine: Engine, peer_embeddings: object, repeats: int) -> dict:
    """The engine's build against the peer's build of the same chunks, interleaved, ``repeats`` times,
    each on ``build_threads`` cores and on one, with the engine's two embedding passes timed alone
    beside them (where its build time goes).

    ``engine`` is ``Engine.open(force_rebuild=True)`` with the engine's runtime: a passage-prompted
    vector for every passage and a query-prompted one for every answer sentence. The peer embeds the
    passages only, with torch on as many threads (its stock count here: torch's default is the core
    count). (Before ONNX, the build also embedded every sentence a second time, with the passage
    prompt, with torch: 4.29x the peer in the run of 2026-11-25.)
    """
    store = engine.components().store
    chunks = [c.text for c in store.chunks]
    sentences = [store.text(s.doc_id, s.start, s.end) for s in store.sentences]
    settings = engine.settings.with_changes(store_dir=WORK_DIR / "speed_build_store")
    threads = settings.build_threads
    metadatas = [{"chunk_id": c.chunk_id} for c in store.chunks]
    embedder = engine.components().embedder

    def engine_build(build_threads: int) -> Callable[[], object]:
        changed = settings.with_changes(build_threads=build_threads)
        return lambda: Engine.open(changed, force_rebuild=True, _embedder=embedder)

    def peer_build(torch_threads: int) -> Callable[[], object]:
        def build() -> object:
            with torch_thread_count(torch_threads):
                return build_peer(chunks, metadatas, peer_embeddings)

        return build

    builds: dict[str, Callable[[], object]] = {
        "engine": engine_build(threads),
        "peer": peer_build(threads),
        "engine_passages_only": lambda: embedder.for_index().embed_passages(chunks, threads),
        "engine_sentences_only": lambda: embedder.for_index().embed_answer_sentences(sentences, threads),
        "engine_one_thread": engine_build(1),
        "peer_one_thread": peer_build(1),
    }
    times: dict[str, list[float]] = {name: [] for name in builds}
    cpu: dict[str, list[float]] = {name: [] for name in builds}
    for round_ in range(repeats):
        names = list(builds)
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            cpu_before = time.process_time()
            times[name].append(timed(builds[name])[0])
            cpu[name].append(time.process_time() - cpu_before)
            log(f"build {name}: {times[name][-1]:.1f}s, CPU {cpu[name][-1]:.1f}s")
    seconds = {name: round(statistics.median(values), 2) for name, values in times.items()}
    tokens = {
        "passages": token_count(embedder, embedder.passage_prompt, chunks),
        "sentences": token_count(embedder, embedder.query_prompt, sentences),
    }
    return {
        "chunks": len(chunks),
        "sentences": len(store.sentences),
        "tokens": tokens,
        "engine_tokens_over_peer_tokens": round((tokens["passages"] + tokens["sentences"]) / tokens["passages"], 3),
        "build_threads": threads,
        "repeats": repeats,
        "runs": {name: [round(v, 2) for v in values] for name, values in times.items()},
        "seconds": seconds,
        "cpu_seconds": {name: round(statistics.median(values), 2) for name, values in cpu.items()},
        "engine_over_peer": round(seconds["engine"] / seconds["peer"], 3),
        "engine_over_peer_per_round": [round(e / p, 3) for e, p in zip(times["engine"], times["peer"], strict=True)],
        "passages_only_over_peer": round(seconds["engine_passages_only"] / seconds["peer"], 3),
        "sentences_only_over_peer": round(seconds["engine_sentences_only"] / seconds["peer"], 3),
        "one_thread_engine_over_peer": round(seconds["engine_one_thread"] / seconds["peer_one_thread"], 3),
        "engine_over_one_thread_engine": round(seconds["engine"] / seconds["engine_one_thread"], 3),
        "runtime": embedder.runtime,
        "index_precision": embedder.index_precision,
        "load_average": load_average(),
        "note": "engine = Engine.open(force_rebuild=True): chunking, passage and sentence vectors, FAISS, "
        "lexical index, saving with checksums, on build_threads cores; cpu_seconds = the process's CPU "
        "time (all threads, spinning included); peer = LangChain FAISS.from_texts "
        "with stock HuggingFaceEmbeddings (torch on build_threads threads, torch's own default on this "
        "machine's cores), passages only; *_one_thread = both on one core (the engine's build before "
        "build_threads); engine_passages_only / engine_sentences_only = the engine's embedder on the "
        "passages / answer sentences alone (the same work the peer does / the work it does not do); tokens "
        "are the model's, prompts and <s> </s> included; the order rotates between rounds",
    }


def token_count(embedder: Embedder, prompt: str, texts: list[str]) -> int:
    """Tokens the model reads for ``texts`` with ``prompt`` (no padding)."""
    prefix = embedder.prompts.get(prompt, "")
    encoder = embedder.encoder
    tokenizer = getattr(encoder, "tokenizer", None) or encoder.model.tokenizer
    if hasattr(tokenizer, "encode_batch"):  # a ``tokenizers`` tokenizer (ONNX Runtime)
        return sum(len(tokenizer.encode(prefix + text).ids) for text in texts)
    return sum(len(ids) for ids in tokenizer([prefix + text for text in texts], truncation=True)["input_ids"])


def run(only_ask: bool = False) -> dict:
    """Everything, or with ``only_ask`` the warm questions alone."""
    started = time.perf_counter()
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    log(f"engine open: {engine.info().timings} {corpus_facts(engine)}")
    torch_embedder = load_embedder(engine.settings.with_changes(embedding_runtime="torch"))
    questions = sample_questions(data.questions, QUESTIONS_PER_LANGUAGE)
    chunks = engine.components().store.chunks
    peer_embeddings = stock_embeddings(ensure_bundled_model(engine.settings.cache_dir))
    peer_seconds, peer = timed(
        lambda: build_peer([c.text for c in chunks], [{"chunk_id": c.chunk_id} for c in chunks], peer_embeddings)
    )
    log(f"peer built in {peer_seconds:.1f}s")
    time_queries(engine, torch_embedder, peer, questions[:WARMUP])
    result = {
        "corpus": corpus_facts(engine),
        "settings": {
            "top_k": engine.settings.top_k,
            "threads": engine.settings.torch_threads,
            "runtime": engine.components().embedder.runtime,
        },
        "torch_threads_in_process": torch_threads(),
        "goals": GOALS,
        "questions": len(questions),
        "load_average_before": load_average(),
        "warm_queries": warm_query_results(time_queries(engine, torch_embedder, peer, questions)),
        "load_average_after": load_average(),
    }
    log(f"warm queries: {result['warm_queries']}")
    if only_ask:
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result
    result["cold_start"] = cold_starts(engine, {"en": questions[0], "ar": questions[1]}, COLD_STARTS)
    result["index_build"] = index_builds(engine, peer_embeddings, BUILD_REPEATS)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def torch_threads() -> int:
    """Torch's intra-op threads in this process (the torch floor and the peer run with them)."""
    import torch

    return torch.get_num_threads()


def run_builds() -> dict:
    """The index build part alone (``--only build``)."""
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    peer_embeddings = stock_embeddings(ensure_bundled_model(engine.settings.cache_dir))
    return {"corpus": corpus_facts(engine), "index_build": index_builds(engine, peer_embeddings, BUILD_REPEATS)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed")
    parser.add_argument(
        "--only",
        choices=["build", "ask"],
        help="run only the index builds (writes results/speed_build.json) or the warm questions (speed_ask.json)",
    )
    options = parser.parse_args(argv)
    if options.only == "build":
        path = write_result("speed_build", run_builds())
    elif options.only == "ask":
        path = write_result("speed_ask", run(only_ask=True))
    else:
        path = write_result("speed", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
