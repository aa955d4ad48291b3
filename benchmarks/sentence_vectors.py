"""Answer-sentence vectors: how they are made, what they cost, and the XQuAD answers they give.

The index holds a vector for every answer sentence. Ways to make them, each timed together with the
passage vectors the index needs anyway:

- ``two_prompts`` (before): every sentence embedded on its own twice, with the passage and the query
  prompt, and the normalized mean kept;
- ``query_prompt`` (the engine's now) / ``passage_prompt``: every sentence on its own once, one prompt;
- ``spans``: each sentence pooled from the token states of the passage that holds it, in the passages'
  own forward pass (``Embedder.embed_passages_with_spans``);
- ``spans_and_query_prompt``: the normalized sum of the pooled span and the query-prompted sentence.

Each set of sentence vectors is swapped into the same XQuAD index, and every question is asked in
English and Arabic; "answer contains gold" is reported on all questions and on the tuning and report
halves of the articles (``benchmarks.xquad.split_articles``). The cheapest way within 1 point of
``two_prompts`` on the tuning half is the one to use; the report half checks it.

Run: ``.venv/bin/python -m benchmarks.sentence_vectors`` (writes ``results/sentence_vectors.json``, ~10 min).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from benchmarks.common import log, timed, write_result
from benchmarks.corpus import corpus_facts, load_default_xquad, open_engine
from benchmarks.quality import evaluate_answers
from benchmarks.xquad import split_articles
from rag import Engine
from rag.chunking import Chunk, Sentence
from rag.embedding import Embedder
from rag.onnx_model import normalize

#: Largest drop in "answer contains gold" (either language, tuning half) accepted for a cheaper way.
MAX_ANSWER_DROP = 0.01


def sentence_owners(chunks: list[Chunk], sentences: list[Sentence]) -> list[int | None]:
    """For each sentence, the index of the chunk holding it whole with the widest margin on its
    shorter side (chunks overlap), or ``None`` when no chunk holds it whole."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, chunk in enumerate(chunks):
        by_doc[chunk.doc_id].append(i)
    owners: list[int | None] = []
    for sentence in sentences:
        holding = [
            i for i in by_doc[sentence.doc_id] if chunks[i].start <= sentence.start and sentence.end <= chunks[i].end
        ]
        margins = {i: min(sentence.start - chunks[i].start, chunks[i].end - sentence.end) for i in holding}
        owners.append(max(holding, key=margins.__getitem__) if holding else None)
    return owners


def pooled_from_passages(embedder: Embedder, chunks: list[Chunk], sentences: list[Sentence], texts: list[str]):
    """Passage vectors, and each sentence's vector pooled from the passage holding it, in one pass
    (``Embedder.embed_passages_with_spans``); a sentence no chunk holds whole is embedded alone."""
    owners = sentence_owners(chunks, sentences)
    spans: list[list[tuple[int, int]]] = [[] for _ in chunks]
    slots: list[list[int]] = [[] for _ in chunks]
    for k, (sentence, owner) in enumerate(zip(sentences, owners, strict=True)):
        if owner is not None:
            spans[owner].append((sentence.start - chunks[owner].start, sentence.end - chunks[owner].start))
            slots[owner].append(k)
    _, span_vectors = embedder.embed_passages_with_spans([c.text for c in chunks], spans)
    vectors = np.zeros((len(sentences), embedder.dimension), dtype=np.float32)
    for slot, pooled in zip(slots, span_vectors, strict=True):
        vectors[slot] = pooled
    orphans = [k for k, owner in enumerate(owners) if owner is None]
    if orphans:
        vectors[orphans] = embedder.embed_answer_sentences([texts[k] for k in orphans])
    return vectors


def sentence_vector_methods(engine: Engine) -> dict[str, Callable[[], np.ndarray]]:
    """Each way to make the sentence vectors, including the passage vectors every build needs."""
    store, embedder = engine.components().store, engine.components().embedder
    texts = [store.articles[s.doc_id].text[s.start : s.end] for s in store.sentences]
    chunk_texts = [c.text for c in store.chunks]

    def alone(embed: Callable[[list[str]], np.ndarray]) -> Callable[[], np.ndarray]:
        return lambda: (embedder.embed_passages(chunk_texts), embed(texts))[1]

    def spans() -> np.ndarray:
        return pooled_from_passages(embedder, store.chunks, store.sentences, texts)

    return {
        "two_prompts": alone(lambda t: normalize(embedder.embed_passages(t) + embedder.embed_queries(t))),
        "query_prompt": alone(embedder.embed_queries),
        "passage_prompt": alone(embedder.embed_passages),
        "spans": spans,
        "spans_and_query_prompt": lambda: normalize(spans() + embedder.embed_queries(texts)),
    }


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")
    log(f"engine open: {engine.info().timings} {corpus_facts(engine)}")
    tuning = split_articles(data.article_count, 2, {0})
    halves = {
        "tuning_half": [q for q in data.questions if q.article in tuning],
        "report_half": [q for q in data.questions if q.article not in tuning],
    }
    store = engine.components().store
    owners = sentence_owners(store.chunks, store.sentences)
    saved_vectors = store.sentence_vectors
    methods: dict[str, dict] = {}
    try:
        for name, make in sentence_vector_methods(engine).items():
            seconds, vectors = timed(make)
            log(f"{name}: chunks and sentences embedded in {seconds:.1f}s")
            store.sentence_vectors = vectors
            answers = {half: evaluate_answers(engine, questions) for half, questions in halves.items()}
            methods[name] = {
                "embedding_seconds_with_chunks": round(seconds, 2),
                "answers": answers | {"all": pooled(answers)},
            }
            write_result("sentence_vectors", {"partial": True, "methods": methods})  # long runs: keep what is done
    finally:
        store.sentence_vectors = saved_vectors
    return {
        "corpus": corpus_facts(engine),
        "runtime": engine.components().embedder.runtime,
        "sentences_without_a_whole_chunk": sum(owner is None for owner in owners),
        "tuning_articles": sorted(tuning),
        "methods": methods,
        "changes_vs_two_prompts": changes(methods),
        "seconds": round(time.perf_counter() - started, 1),
    }


def pooled(answers: dict[str, dict]) -> dict[str, dict]:
    """Both halves together: "answer contains gold" over all questions, per language."""
    result = {}
    for language in ("en", "ar"):
        parts = [half[language] for half in answers.values()]
        n = sum(p["n"] for p in parts)
        hits = sum(p["answer_contains_gold"] * p["n"] for p in parts)
        result[language] = {"answer_contains_gold": round(hits / n, 4), "n": n}
    return result


def changes(methods: dict[str, dict]) -> dict[str, dict]:
    """Each way's change in "answer contains gold" against ``two_prompts``, per half and language, and
    its cost relative to ``two_prompts``."""
    base = methods["two_prompts"]
    result = {}
    for name, method in methods.items():
        deltas = {
            f"{half} {language}": round(
                method["answers"][half][language]["answer_contains_gold"]
                - base["answers"][half][language]["answer_contains_gold"],
                4,
            )
            for half in method["answers"]
            for language in method["answers"][half]
        }
        tuning = [v for k, v in deltas.items() if k.startswith("tuning_half")]
        result[name] = {
            "answer_contains_gold_change": deltas,
            "cost_over_two_prompts": round(
                method["embedding_seconds_with_chunks"] / base["embedding_seconds_with_chunks"], 3
            ),
            "within_one_point_on_tuning_half": min(tuning) >= -MAX_ANSWER_DROP,
        }
    return result


def main() -> None:
    path = write_result("sentence_vectors", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
