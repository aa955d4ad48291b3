"""Speed on this machine: warm ``ask`` against the bare query-embedding floor and the LangChain peer,
where the time goes, cold start, and index build against the bare passage-embedding floor.

Run: ``.venv/bin/python -m benchmarks.speed`` (writes ``benchmarks/results/speed.json``).
Everything compared is measured in this one run, interleaved question by question.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import PROJECT_ROOT, WORK_DIR, log, summarize_ms, timed, write_result
from benchmarks.corpus import asked, corpus_facts, load_default_xquad, open_engine
from benchmarks.peer import build_peer, peer_search
from benchmarks.xquad import Question
from rag import vectorstore
from rag.arabic import detect_language
from rag.embedding import Embedder
from rag.engine import Engine

#: Questions timed per language (spread evenly over XQuAD), after WARMUP untimed ones.
QUESTIONS_PER_LANGUAGE = 100
WARMUP = 10
COLD_STARTS = 3
BUILD_REPEATS = 2


def sample_questions(questions: list[Question], per_language: int) -> list[str]:
    """English and Arabic questions alternating, spread evenly over the dataset."""
    step = max(1, len(questions) // per_language)
    picked = questions[::step][:per_language]
    return [asked(q, lang) for q in picked for lang in ("en", "ar")]


def time_queries(engine: Engine, peer: object, questions: list[str]) -> dict[str, list[float]]:
    """Seconds per question for the floor, ``ask``, the peer and the engine's pieces, interleaved.

    The order of the end-to-end measurements rotates from question to question so that
    none of them always runs right after another.
    """
    k = engine.settings.top_k
    retriever, composer, embedder = engine.retriever, engine.composer, engine.embedder
    depth = max(k, retriever.fusion_depth)
    times: dict[str, list[float]] = {
        name: []
        for name in ("floor", "ask", "peer", "encode", "embed", "retrieve", "dense_search", "lexical_search", "compose")
    }
    end_to_end: dict[str, Callable[[str], object]] = {
        "floor": lambda q: embedder.embed_queries([q]),
        "ask": engine.ask,
        "peer": lambda q: peer_search(peer, q, k),
        "encode": lambda q: encode_one(embedder, q),
    }
    names = list(end_to_end)
    for i, question in enumerate(questions):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            times[name].append(timed(lambda q=question, f=end_to_end[name]: f(q))[0])
        seconds, vector = timed(lambda q=question: retriever.embed_question(q))
        times["embed"].append(seconds)
        seconds, hits = timed(lambda q=question, v=vector: retriever.retrieve(q, k, v))
        times["retrieve"].append(seconds)
        times["dense_search"].append(timed(lambda v=vector: retriever.store.search(v[None, :], depth))[0])
        if detect_language(question) == retriever.corpus_language:
            times["lexical_search"].append(timed(lambda q=question: retriever.lexical.search(q, depth))[0])
        language = detect_language(question)
        times["compose"].append(
            timed(lambda q=question, lang=language, h=hits, v=vector: composer.compose(q, lang, h, v))[0]
        )
    return times


def encode_one(embedder: Embedder, question: str) -> np.ndarray:
    """One question through ``SentenceTransformer.encode``, the call LangChain's embeddings make."""
    prompt = embedder.query_prompt if embedder.query_prompt in embedder.model.prompts else None
    return embedder.model.encode([question], prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)


def warm_query_results(times: dict[str, list[float]]) -> dict:
    summary = {name: summarize_ms(values) for name, values in times.items() if values}
    per_question = [a / f for a, f in zip(times["ask"], times["floor"], strict=True)]
    per_question_peer = [a / p for a, p in zip(times["ask"], times["peer"], strict=True)]
    return {
        "timings": summary,
        "ask_over_floor_p50": round(summary["ask"]["p50_ms"] / summary["floor"]["p50_ms"], 3),
        "ask_over_floor_p95": round(summary["ask"]["p95_ms"] / summary["floor"]["p95_ms"], 3),
        "ask_over_floor_median_per_question": round(statistics.median(per_question), 3),
        "ask_over_peer_p50": round(summary["ask"]["p50_ms"] / summary["peer"]["p50_ms"], 3),
        "ask_over_peer_median_per_question": round(statistics.median(per_question_peer), 3),
        "peer_over_floor_p50": round(summary["peer"]["p50_ms"] / summary["floor"]["p50_ms"], 3),
        "goal_ask_over_floor": 1.5,
    }


def cold_starts(engine: Engine, question: str, runs: int) -> dict:
    """Process start to first answer, with the index already built, ``runs`` times in fresh processes."""
    records = []
    for _ in range(runs):
        started = time.time()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.cold_start",
                str(engine.settings.docs_dir),
                str(engine.settings.store_dir),
                question,
            ],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        record = json.loads(done.stdout.strip().splitlines()[-1])
        record["total"] = record.pop("answered_at") - started
        record["interpreter_start"] = (
            record["total"] - record["imports"] - record["engine_open"] - record["first_query"]
        )
        record["open_other"] = (
            record["engine_open"] - record["model_load"] - record["articles_load"] - record["index_open"]
        )
        records.append(record)
        log(f"cold start: {record}")
    stages = (
        "total",
        "interpreter_start",
        "imports",
        "model_load",
        "articles_load",
        "index_open",
        "open_other",
        "first_query",
    )
    return {
        "median_seconds": {s: round(statistics.median(r[s] for r in records), 3) for s in stages},
        "runs": [{s: round(r[s], 3) for s in stages} | {"index_action": r["index_action"]} for r in records],
        "note": "open_other is the lexical (TF-IDF) index and answer composer, built inside Engine.open",
    }


def index_builds(engine: Engine, repeats: int) -> dict:
    """Engine build against bare embedding of the same texts and against the peer's build, interleaved.

    ``floor_chunks`` is one ``embed_passages`` call over all the chunks (sentence-transformers then
    sorts them by length, so batches carry little padding); ``floor_chunks_and_sentences`` adds one call
    embedding the sentences as the engine does for answer selection; ``engine_batching_chunks`` embeds
    the chunks in the engine's batches (``rag.vectorstore.EMBED_BATCH`` texts a call, for progress).
    """
    chunks = [c.text for c in engine.store.chunks]
    sentences = [engine.store.articles[s.doc_id].text[s.start : s.end] for s in engine.store.sentences]
    settings = engine.settings.with_changes(store_dir=WORK_DIR / "speed_build_store")
    metadatas = [{"chunk_id": c.chunk_id} for c in engine.store.chunks]
    embedder = engine.embedder
    embed_sentences = getattr(embedder, "embed_answer_sentences", embedder.embed_passages)
    batch = getattr(vectorstore, "EMBED_BATCH", 64)
    builds: dict[str, Callable[[], object]] = {
        "floor_chunks": lambda: embedder.embed_passages(chunks),
        "engine": lambda: Engine.open(settings, embedder=embedder, force_rebuild=True),
        "peer": lambda: build_peer(chunks, metadatas, embedder),
        "engine_batching_chunks": lambda: [
            embedder.embed_passages(chunks[i : i + batch]) for i in range(0, len(chunks), batch)
        ],
        "floor_chunks_and_sentences": lambda: (embedder.embed_passages(chunks), embed_sentences(sentences)),
    }
    times: dict[str, list[float]] = {name: [] for name in builds}
    for _ in range(repeats):
        for name, build in builds.items():
            times[name].append(timed(build)[0])
            log(f"build {name}: {times[name][-1]:.1f}s")
    seconds = {name: round(statistics.median(values), 2) for name, values in times.items()}
    return {
        "chunks": len(chunks),
        "sentences": len(sentences),
        "repeats": repeats,
        "seconds": seconds,
        "engine_over_floor": round(seconds["engine"] / seconds["floor_chunks"], 3),
        "engine_over_floor_with_sentences": round(seconds["engine"] / seconds["floor_chunks_and_sentences"], 3),
        "engine_over_peer": round(seconds["engine"] / seconds["peer"], 3),
        "peer_over_floor": round(seconds["peer"] / seconds["floor_chunks"], 3),
        "sentence_embedding": getattr(embed_sentences, "__name__", "embed_passages"),
        "note": "engine = Engine.open(force_rebuild=True): chunking, embedding chunks and every sentence, "
        "FAISS, saving with checksums, lexical index; floor = one bare embed_passages call over the chunks",
    }


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    log(f"engine open: {engine.timings} {corpus_facts(engine)}")
    questions = sample_questions(data.questions, QUESTIONS_PER_LANGUAGE)
    chunks = engine.store.chunks
    peer_seconds, peer = timed(
        lambda: build_peer([c.text for c in chunks], [{"chunk_id": c.chunk_id} for c in chunks], engine.embedder)
    )
    log(f"peer built in {peer_seconds:.1f}s")
    time_queries(engine, peer, questions[:WARMUP])
    result = {
        "corpus": corpus_facts(engine),
        "settings": {"top_k": engine.settings.top_k, "torch_threads": engine.settings.torch_threads},
        "questions": len(questions),
        "warm_queries": warm_query_results(time_queries(engine, peer, questions)),
    }
    log(f"warm queries: {result['warm_queries']}")
    result["cold_start"] = cold_starts(engine, questions[1], COLD_STARTS)
    result["index_build"] = index_builds(engine, BUILD_REPEATS)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    path = write_result("speed", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
