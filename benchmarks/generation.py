"""Written answers on XQuAD (report half) with the small local model the tests use: how many of its
sentences the verifier keeps, how often the shown answer contains the gold answer, and the latency
against the quoted (extractive) path, measured side by side for each question.

The model is Gemma 3 270M (4-bit) on llama.cpp's server with 2 threads, started here
(``benchmarks/local_llm.py``); it writes poorly, so these numbers are the floor a bigger model starts
from. Questions are a seeded sample of the report half (odd-numbered articles), asked in English and
in Arabic, over the index of all 240 XQuAD paragraphs.

Run: ``.venv/bin/python -m benchmarks.generation [--per-language N]`` (writes ``results/generation.json``).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import XQUAD_DIR, log, percentile, summarize_ms, write_result
from benchmarks.corpus import LANGUAGES, load_default_xquad, open_engine
from benchmarks.local_llm import MODEL_ALIAS, LocalModelServer
from benchmarks.xquad import Question, split_articles
from rag import Engine, WrittenAnswer, normalized_contains
from rag.verification import MIN_CLAIM_LETTERS, split_written

PER_LANGUAGE = 50
SEED = 12


def english_answers() -> dict[str, tuple[str, ...]]:
    """XQuAD's English gold answers by question id (the Arabic ones are on ``Question``)."""
    data = json.loads((XQUAD_DIR / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    return {
        qa["id"]: tuple(a["text"] for a in qa["answers"])
        for article in data
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }


def contains_gold(text: str, golds: tuple[str, ...]) -> bool:
    return any(normalized_contains(text, gold) for gold in golds)


def claims_in(draft: str) -> int:
    return sum(1 for c in split_written(draft) if sum(ch.isalpha() for ch in c.claim) >= MIN_CLAIM_LETTERS)


def measure(engine: Engine, question: Question, language: str, golds: tuple[str, ...]) -> dict:
    text = question.text(language)
    started = time.perf_counter()
    quoted = engine.ask(text)
    quoted_seconds = time.perf_counter() - started
    first: list[float] = []
    started = time.perf_counter()
    written: WrittenAnswer = engine.write_answer(
        text, on_text=lambda _: first.append(time.perf_counter() - started) if not first else None
    )
    written_seconds = time.perf_counter() - started
    return {
        "qid": question.qid,
        "language": language,
        "abstained": quoted.abstained,
        "kind": written.kind,
        "notice": written.notice,
        "claims": claims_in(written.draft),
        "kept": len(written.sentences),
        "dropped": [d.reason for d in written.dropped],
        "quoted_contains_gold": contains_gold(quoted.text, golds),
        "shown_contains_gold": contains_gold(written.text, golds),
        "written_contains_gold": written.kind == "written" and contains_gold(written.text, golds),
        "draft_contains_gold": contains_gold(written.draft, golds),
        "quoted_seconds": quoted_seconds,
        "written_seconds": written_seconds,
        "first_text_seconds": first[0] if first else None,
        "draft": written.draft,
        "shown": written.text,
    }


def summarize(rows: list[dict]) -> dict:
    answered = [r for r in rows if not r["abstained"]]
    replied = [r for r in answered if r["claims"]]
    claims = sum(r["claims"] for r in replied)
    kept = sum(r["kept"] for r in replied)
    n = len(answered) or 1
    quoted_ms = [r["quoted_seconds"] for r in answered]
    written_ms = [r["written_seconds"] for r in answered]
    firsts = [r["first_text_seconds"] for r in answered if r["first_text_seconds"] is not None]
    return {
        "questions": len(rows),
        "answered_by_engine": len(answered),
        "model_replied": len(replied),
        "written_sentences": claims,
        "kept_sentences": kept,
        "kept_share": round(kept / claims, 4) if claims else None,
        "drop_reasons": dict(Counter(reason for r in replied for reason in r["dropped"])),
        "shown_written": round(sum(r["kind"] == "written" for r in answered) / n, 4),
        "notices": dict(Counter(r["notice"] for r in answered if r["kind"] == "quoted")),
        "quoted_contains_gold": round(sum(r["quoted_contains_gold"] for r in answered) / n, 4),
        "shown_contains_gold": round(sum(r["shown_contains_gold"] for r in answered) / n, 4),
        "written_contains_gold": round(sum(r["written_contains_gold"] for r in answered) / n, 4),
        "draft_contains_gold": round(sum(r["draft_contains_gold"] for r in answered) / n, 4),
        "quoted_latency": summarize_ms(quoted_ms) if quoted_ms else None,
        "written_latency": summarize_ms(written_ms) if written_ms else None,
        "first_text_latency": summarize_ms(firsts) if firsts else None,
        "written_over_quoted_p50": (
            round(percentile(written_ms, 50) / percentile(quoted_ms, 50), 1) if quoted_ms else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=PER_LANGUAGE, help="questions sampled per language")
    args = parser.parse_args()
    data = load_default_xquad()
    report_articles = set(range(data.article_count)) - split_articles(data.article_count, 2, {0})
    pool = [q for q in data.questions if q.article in report_articles]
    sample = random.Random(SEED).sample(pool, min(args.per_language, len(pool)))
    english = english_answers()
    engine = open_engine(data.paragraphs, "xquad")
    with tempfile.TemporaryDirectory() as folder:
        server = LocalModelServer.start(engine.settings.cache_dir, Path(folder) / "server.log")
        try:
            engine = engine.with_settings(llm_url=server.url)
            rows = []
            for language in LANGUAGES:
                for position, question in enumerate(sample, 1):
                    golds = question.answers + english.get(question.qid, ())
                    rows.append(measure(engine, question, language, golds))
                    if position % 10 == 0:
                        log(f"{language}: {position}/{len(sample)}")
        finally:
            server.stop()
    results = {
        "model": MODEL_ALIAS,
        "server": "llama-cpp-python server, 2 threads, n_ctx 4096, temperature 0",
        "settings": {"llm_max_tokens": engine.settings.llm_max_tokens, "top_k": engine.settings.top_k},
        "sample": {"per_language": len(sample), "seed": SEED, "pool": len(pool), "half": "report (odd articles)"},
        "by_language": {lang: summarize([r for r in rows if r["language"] == lang]) for lang in LANGUAGES},
        "all": summarize(rows),
        "rows": rows,
    }
    for language in LANGUAGES:
        log(f"{language}: {json.dumps(results['by_language'][language], ensure_ascii=False)}")
    log(f"wrote {write_result('generation', results)}")


if __name__ == "__main__":
    main()
