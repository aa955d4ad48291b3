"""XQuAD retrieval with the passage vectors in Milvus against FAISS, and Milvus's own BM25 full-text search
against the engine's character n-gram ranking (rag/lexical.py), in one run.

Run: ``.venv/bin/python -m benchmarks.milvus_quality`` (writes ``benchmarks/results/milvus_quality.json``).
Milvus here is milvus-lite (a local file under ``benchmarks/work``). The Milvus engine is the FAISS
engine's index with its vectors moved into a Milvus collection (nothing embedded again), so any
difference in recall comes from the vector search alone. BM25 runs on the same passages, as written
and Arabic-normalized by ``rag.arabic.normalize`` (what the engine's n-gram ranking sees), with the
analyzer milvus-lite offers (``standard``: ``\\w+`` words, lowercased).
"""

from __future__ import annotations

import shutil
import time

from benchmarks.common import WORK_DIR, log, memory_bytes, read_result, summarize_ms, write_result
from benchmarks.corpus import LANGUAGES, asked, load_default_xquad, open_engine
from benchmarks.metrics import gold_rank, retrieval_summary
from benchmarks.xquad import Question
from rag import Engine, check_question
from rag.arabic import normalize
from rag.vector_backends import milvus_client
from rag.vectorstore import load_store

DEPTH = 20
MODES = ("dense", "hybrid")
#: The share of a recall@1 point within which Milvus must agree with FAISS (issue 13).
AGREEMENT_POINTS = 0.5
#: Milvus BM25 replaces the local lexical ranking only within this many recall@1 points of it.
BM25_WITHIN_POINTS = 1.0
BM25_COLLECTION = "xquad_bm25"
#: Share of the machine's memory the local lexical matrix may take.
LEXICAL_MEMORY_SHARE = 0.25


def local_lexical_limits() -> dict | None:
    """Passage counts where the local n-gram ranking stops fitting one machine, from the last
    ``benchmarks.lexical_scale`` run (linear in the passages) and the search budget of ``benchmarks.scale``
    (a quarter of the query-embedding floor, the rule that sets ``hnsw_threshold``)."""
    lexical, scale = read_result("lexical_scale"), read_result("scale")
    if lexical is None or scale is None:
        return None
    budget_ms = scale["recommendation"]["1_threads"]["budget_ms"]
    per_passage_ms = lexical["search_ms_per_10k_chunks"] / 1e4
    largest = max(lexical["points"], key=lambda p: p["chunks"])
    mib_per_passage = largest["matrix_mib"] / largest["chunks"]
    memory_budget_mib = LEXICAL_MEMORY_SHARE * memory_bytes() / 2**20
    return {
        "search_budget_ms": budget_ms,
        "search_ms_per_10k_passages": lexical["search_ms_per_10k_chunks"],
        "passages_within_search_budget": int(round((budget_ms - lexical["intercept_ms"]) / per_passage_ms, -3)),
        "matrix_kib_per_passage": round(mib_per_passage * 1024, 2),
        "memory_budget_gib": round(memory_budget_mib / 1024, 1),
        "passages_within_memory_budget": int(round(memory_budget_mib / mib_per_passage, -4)),
        "build_seconds_per_10k_passages": round(largest["build_seconds"] / largest["chunks"] * 1e4, 2),
    }


def embedded_questions(engine: Engine, questions: list[Question]) -> dict[str, tuple[list, list]]:
    """Each language's checked questions and their vectors, embedded once for every engine and mode."""
    checked = {}
    for language in LANGUAGES:
        texts = [asked(q, language) for q in questions]
        checked[language] = ([check_question(t, len(t)) for t in texts], engine.embed_questions(texts))
    return checked


def retrieval(engine: Engine, questions: list[Question], embedded: dict, modes: tuple[str, ...]) -> dict:
    """recall@1/5 and MRR@10 of the gold paragraph by language pair and ranker (the engine's retriever
    given the question vectors, as ``Engine.retrieve`` does after embedding)."""
    results: dict[str, dict] = {}
    for language, (checked, vectors) in embedded.items():
        for mode in modes:
            if mode == "lexical" and language != "ar":
                continue
            ranks = [
                gold_rank(
                    [h.chunk.doc_id for h in engine._retriever.retrieve(c.text, c.language, DEPTH, v, mode)], q.doc_id
                )
                for q, c, v in zip(questions, checked, vectors, strict=True)
            ]
            results[f"{language}->ar {mode}"] = retrieval_summary(ranks)
    return results


def milvus_engine(base: Engine, name: str) -> Engine:
    """``base``'s index copied and its vectors moved into a milvus-lite collection."""
    store_dir = WORK_DIR / f"{name}_store"
    shutil.rmtree(store_dir, ignore_errors=True)
    shutil.copytree(base.settings.store_location(), store_dir)
    uri = WORK_DIR / "milvus" / f"{name}.db"
    started = time.perf_counter()
    engine = base.with_settings(store_dir=store_dir, vector_backend="milvus", milvus_uri=str(uri))
    log(f"vectors moved to Milvus in {time.perf_counter() - started:.1f} s: {engine.info().index_reasons}")
    return engine


def bm25_recall(engine: Engine, questions: list[Question]) -> dict:
    """recall@1/5 and MRR@10 of Milvus BM25 over the passages, raw and Arabic-normalized, plus latency."""
    from pymilvus import DataType, Function, FunctionType

    store = load_store(engine.settings.store_location(), engine.settings)
    client, _ = milvus_client(engine.settings, engine.settings.store_location())
    texts = [asked(q, "ar") for q in questions]
    results = {}
    for variant, prepare in (("raw", str), ("normalized", normalize)):
        if client.has_collection(BM25_COLLECTION):
            client.drop_collection(BM25_COLLECTION)
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field(
            "text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params={"type": "standard"}
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]
            )
        )
        params = client.prepare_index_params()
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        client.create_collection(BM25_COLLECTION, schema=schema, index_params=params, consistency_level="Strong")
        client.insert(BM25_COLLECTION, [{"id": i, "text": prepare(c.text)} for i, c in enumerate(store.chunks)])
        client.flush(BM25_COLLECTION)
        ranks, seconds = [], []
        for question, text in zip(questions, texts, strict=True):
            started = time.perf_counter()
            hits = client.search(
                BM25_COLLECTION, data=[prepare(text)], anns_field="sparse", limit=DEPTH, output_fields=["id"]
            )[0]
            seconds.append(time.perf_counter() - started)
            ranks.append(gold_rank([store.chunks[int(h["id"])].doc_id for h in hits], question.doc_id))
        results[variant] = {**retrieval_summary(ranks), "search": summarize_ms(seconds)}
        log(f"Milvus BM25 ({variant}): {results[variant]}")
    client.drop_collection(BM25_COLLECTION)
    return results


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    faiss_engine = open_engine(data.paragraphs, "xquad")
    on_milvus = milvus_engine(faiss_engine, "xquad_milvus")
    embedded = embedded_questions(faiss_engine, data.questions)
    faiss_result = retrieval(faiss_engine, data.questions, embedded, (*MODES, "lexical"))
    log(f"FAISS: {faiss_result}")
    milvus_result = retrieval(on_milvus, data.questions, embedded, MODES)
    log(f"Milvus: {milvus_result}")
    gaps = {
        key: round(100 * (milvus_result[key]["recall@1"] - faiss_result[key]["recall@1"]), 2) for key in milvus_result
    }
    bm25 = bm25_recall(on_milvus, data.questions)
    local = faiss_result["ar->ar lexical"]["recall@1"]
    best_bm25 = max(bm25.values(), key=lambda r: r["recall@1"])["recall@1"]
    bm25_gap = round(100 * (best_bm25 - local), 2)
    return {
        "milvus": "milvus-lite (pymilvus MilvusClient on a local .db file)",
        "passages": faiss_engine.info().passages,
        "questions_per_language": len(data.questions),
        "faiss": faiss_result,
        "milvus_vectors": milvus_result,
        "recall@1_gap_points_milvus_minus_faiss": gaps,
        "agree_within_points": AGREEMENT_POINTS,
        "agrees": all(abs(g) <= AGREEMENT_POINTS for g in gaps.values()),
        "lexical": {
            "local_char_ngram_tfidf_ar->ar": faiss_result["ar->ar lexical"],
            "milvus_bm25_ar->ar": bm25,
            "best_bm25_minus_local_recall@1_points": bm25_gap,
            "use_milvus_bm25": bm25_gap >= -BM25_WITHIN_POINTS,
            "local_limits": local_lexical_limits(),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("milvus_quality", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
