"""Choose ``Settings.max_sense_place`` on the XQuAD tuning half: how many of a Buckwalter stem's English
senses translate an English word (``rag.glosses``; -1: FreeDict's translations alone).

Run: ``.venv/bin/python -m benchmarks.senses`` (~20 min; writes ``benchmarks/results/senses.json``).

The question-term features of the abstention model move with the terms, so for each candidate the
abstention model is first retrained on the tuning half (``benchmarks.train_abstention``, written under
``work/``, not over ``rag/abstention.json``). Then every English question is asked over all 240
paragraphs (does the answer, do the cited passages contain the gold answer) and over the half index
(unanswerable and answerable questions refused at the retrained threshold). The choice is the highest
tuning-half share of answers containing the gold answer, ties going to more unanswerable questions
refused on the tuning half; the report half is shown beside it and never used to choose.
"""

from __future__ import annotations

import json
import os
import time

from benchmarks import train_abstention
from benchmarks.common import WORK_DIR, log, write_result
from benchmarks.corpus import load_default_xquad, open_engine
from benchmarks.quality import ask_all, confidence_scores, contains_gold, shipped_thresholds
from benchmarks.xquad import XQuAD, abstention_split, split_articles

CANDIDATES = (-1, 0, 1, 2)
HALVES = ("tuning_half", "report_half")


def measure(data: XQuAD, place: int) -> dict:
    """English answers and abstention with senses up to ``place``, the abstention model retrained."""
    os.environ["RAG_MAX_SENSE_PLACE"] = str(place)  # read by every engine opened here, training's too
    model = WORK_DIR / f"abstention_senses_{place}.json"
    model.write_text(json.dumps(train_abstention.run(), ensure_ascii=False), encoding="utf-8")
    answers_tuning = split_articles(data.article_count, 2, {0})
    engine = open_engine(data.paragraphs, "xquad", abstention_model_path=model)
    result: dict[str, dict] = {half: {} for half in HALVES}
    answered = list(zip(data.questions, ask_all(engine, data.questions, "en"), strict=True))
    for half in HALVES:
        pairs = [(q, a) for q, a in answered if (q.article in answers_tuning) == (half == "tuning_half")]
        result[half]["answer_contains_gold"] = share(contains_gold(a.text, q) for q, a in pairs)
        result[half]["citations_contain_gold"] = share(
            any(contains_gold(c.text, q) for c in a.citations) for q, a in pairs
        )
        result[half]["answers"] = len(pairs)
    indexed, abstention_tuning = abstention_split(data.article_count)
    half_engine = open_engine(
        [p for p in data.paragraphs if p.article in indexed], "xquad_half", engine, abstention_model_path=model
    )
    threshold = shipped_thresholds(half_engine)["en"]
    scored = list(zip(data.questions, confidence_scores(half_engine, data.questions, "en"), strict=True))
    for half in HALVES:
        in_half = [(q, s) for q, s in scored if (q.article in abstention_tuning) == (half == "tuning_half")]
        result[half]["unanswerable_refused"] = share(s < threshold for q, s in in_half if q.article not in indexed)
        result[half]["answerable_refused"] = share(s < threshold for q, s in in_half if q.article in indexed)
    log(f"max_sense_place {place}: {result}")
    return result


def share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4)


def run() -> dict:
    started = time.perf_counter()
    data = load_default_xquad()
    previous = os.environ.get("RAG_MAX_SENSE_PLACE")
    try:
        by_place = {str(place): measure(data, place) for place in CANDIDATES}
    finally:
        os.environ.pop("RAG_MAX_SENSE_PLACE", None)
        if previous is not None:
            os.environ["RAG_MAX_SENSE_PLACE"] = previous
    chosen = max(
        CANDIDATES,
        key=lambda p: (
            by_place[str(p)]["tuning_half"]["answer_contains_gold"],
            by_place[str(p)]["tuning_half"]["unanswerable_refused"],
        ),
    )
    return {
        "dataset": "XQuAD (CC BY-SA 4.0): 240 Arabic paragraphs as articles, the English questions",
        "rule": (
            "highest tuning-half answer_contains_gold, ties to higher tuning-half unanswerable_refused; each "
            "candidate with the abstention model retrained on the tuning half (benchmarks.train_abstention)"
        ),
        "by_max_sense_place": by_place,
        "chosen": chosen,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    path = write_result("senses", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
