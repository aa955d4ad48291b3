"""Choose the written-answer verifier's weight and thresholds on XQuAD, and report them on held-out articles.

A supported sentence is one the cited paragraph says: for English, a sentence of XQuAD's English
translation of that paragraph; for Arabic, a shortened copy (its first 70% of words) of one of the
paragraph's own sentences, as a model writes when it condenses. An unsupported sentence is built
the same way from another paragraph of the same article (same topic, different facts) and cited as
if the first paragraph said it. Everything is chosen on the even-numbered articles (the tuning half)
for the best balanced accuracy, and reported on the odd-numbered ones.

Run: ``.venv/bin/python -m benchmarks.verifier_tuning`` (writes ``results/verifier_tuning.json``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import numpy as np

from benchmarks.common import XQUAD_DIR, log, write_result
from benchmarks.corpus import load_default_xquad, open_engine
from benchmarks.xquad import split_articles
from rag import Citation, Settings
from rag.arabic import split_sentences
from rag.embedding import load_embedder
from rag.lexicon import LexiconLoader
from rag.vectorstore import VectorStore, load_store
from rag.verification import COVERAGE_WEIGHT, SUPPORT_THRESHOLD, SupportChecker

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)
THRESHOLDS = tuple(round(0.70 + 0.0025 * i, 4) for i in range(121))
#: Share of an Arabic sentence's words kept in its shortened copy.
KEPT_WORDS = 0.7
MIN_WORDS = 5
#: Supported claims drawn per paragraph and language (each with one unsupported one), to keep the run short.
CLAIMS_PER_PARAGRAPH = 2
SEED = 12


@dataclass(frozen=True)
class Case:
    claim: str
    language: str
    supported: bool
    article: int
    cited_doc: str


def english_paragraphs() -> list[str]:
    data = json.loads((XQUAD_DIR / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    return [p["context"] for article in data for p in article["paragraphs"]]


def shortened(sentence: str) -> str | None:
    words = sentence.split()
    if len(words) < MIN_WORDS:
        return None
    return " ".join(words[: max(MIN_WORDS, round(KEPT_WORDS * len(words)))])


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) >= MIN_WORDS]


def build_cases() -> list[Case]:
    """One supported and one unsupported claim per sentence, in English and Arabic."""
    data = load_default_xquad()
    english = english_paragraphs()
    rng = random.Random(SEED)
    by_article: dict[int, list[int]] = {}
    for position, paragraph in enumerate(data.paragraphs):
        by_article.setdefault(paragraph.article, []).append(position)
    cases = []
    for position, paragraph in enumerate(data.paragraphs):
        others = [p for p in by_article[paragraph.article] if p != position]
        if not others:
            continue
        for language in ("en", "ar"):
            own = _claims(english[position] if language == "en" else paragraph.text, language)
            for claim in rng.sample(own, min(CLAIMS_PER_PARAGRAPH, len(own))):
                other = rng.choice(others)
                foreign = _claims(english[other] if language == "en" else data.paragraphs[other].text, language)
                cases.append(Case(claim, language, True, paragraph.article, paragraph.doc_id))
                if foreign:
                    cases.append(Case(rng.choice(foreign), language, False, paragraph.article, paragraph.doc_id))
    return cases


def _claims(text: str, language: str) -> list[str]:
    sentences = sentences_of(text)
    if language == "en":
        return sentences
    return [s for s in (shortened(s) for s in sentences) if s]


def passages_of(store: VectorStore, doc_id: str) -> list[Citation]:
    chunks = [c for c in store.chunks if c.doc_id == doc_id]
    return [Citation(n, c.doc_id, "", None, c.chunk_id, c.text, c.start, c.end, 0.0) for n, c in enumerate(chunks, 1)]


def open_checker(settings: Settings) -> SupportChecker:
    """The engine's verifier over the XQuAD index (the model loaded, the dictionary as the engine reads it)."""
    store = load_store(settings.store_location())
    return SupportChecker.build(store, load_embedder(settings), LexiconLoader(settings.lexicon_path))


def features(checker: SupportChecker, cases: list[Case]) -> dict[str, np.ndarray]:
    supports = checker.supports([c.claim for c in cases], [passages_of(checker.store, c.cited_doc) for c in cases])
    return {
        "cosine": np.array([s.cosine for s in supports]),
        "coverage": np.array([s.coverage for s in supports]),
        "numbers_ok": np.array([not s.missing_numbers for s in supports]),
    }


def rates(keep: np.ndarray, supported: np.ndarray) -> dict[str, float]:
    kept_supported = float(keep[supported].mean())
    dropped_unsupported = float((~keep[~supported]).mean())
    return {
        "kept_supported": round(kept_supported, 4),
        "dropped_unsupported": round(dropped_unsupported, 4),
        "balanced_accuracy": round((kept_supported + dropped_unsupported) / 2, 4),
        "supported": int(supported.sum()),
        "unsupported": int((~supported).sum()),
    }


def decide(found: dict[str, np.ndarray], weight: float, threshold: float, numbers: bool) -> np.ndarray:
    keep = found["cosine"] + weight * found["coverage"] >= threshold
    return keep & found["numbers_ok"] if numbers else keep


def tune(found: dict[str, np.ndarray], supported: np.ndarray, rows: np.ndarray, weight: float) -> float:
    def accuracy(threshold: float) -> float:
        return rates(decide(found, weight, threshold, True)[rows], supported[rows])["balanced_accuracy"]

    return max(THRESHOLDS, key=lambda t: (accuracy(t), -t))


def main() -> None:
    data = load_default_xquad()
    engine = open_engine(data.paragraphs, "xquad")  # builds the index when missing or stale
    checker = open_checker(engine.settings)
    cases = build_cases()
    log(f"{len(cases)} claims")
    found = features(checker, cases)
    supported = np.array([c.supported for c in cases])
    tuning_articles = split_articles(data.article_count, 2, {0})
    tuning = np.array([c.article in tuning_articles for c in cases])
    results: dict[str, object] = {"claims": len(cases), "grid": {}}
    best: dict[str, tuple[float, float, float]] = {}
    for language in ("en", "ar"):
        in_language = np.array([c.language == language for c in cases])
        grid = {}
        for weight in WEIGHTS:
            threshold = tune(found, supported, tuning & in_language, weight)
            tuned = rates(decide(found, weight, threshold, True)[tuning & in_language], supported[tuning & in_language])
            grid[str(weight)] = {"threshold": threshold, "tuning": tuned}
            log(f"{language} weight {weight}: threshold {threshold} tuning {tuned}")
        results["grid"][language] = grid
        chosen = max(WEIGHTS, key=lambda w: (grid[str(w)]["tuning"]["balanced_accuracy"], -w))
        best[language] = (chosen, grid[str(chosen)]["threshold"], 0.0)
    # One weight for both languages: the one with the best mean tuning accuracy.
    weight = max(
        WEIGHTS, key=lambda w: sum(results["grid"][lang][str(w)]["tuning"]["balanced_accuracy"] for lang in best)
    )
    report = ~tuning
    results["chosen"] = {"coverage_weight": weight}
    results["shipped"] = {"coverage_weight": COVERAGE_WEIGHT, "thresholds": SUPPORT_THRESHOLD}
    for language in ("en", "ar"):
        rows = np.array([c.language == language for c in cases])
        threshold = results["grid"][language][str(weight)]["threshold"]
        shipped = SUPPORT_THRESHOLD[language]
        results["chosen"][language] = {
            "threshold": threshold,
            "tuning": rates(decide(found, weight, threshold, True)[tuning & rows], supported[tuning & rows]),
            "report": rates(decide(found, weight, threshold, True)[report & rows], supported[report & rows]),
            "report_without_number_check": rates(
                decide(found, weight, threshold, False)[report & rows], supported[report & rows]
            ),
            "report_cosine_only": rates(
                decide(found, 0.0, results["grid"][language]["0.0"]["threshold"], False)[report & rows],
                supported[report & rows],
            ),
            "report_shipped": rates(
                decide(found, COVERAGE_WEIGHT, shipped, True)[report & rows], supported[report & rows]
            ),
            "supported_failing_number_check_report": round(
                float((~found["numbers_ok"][report & rows & supported]).mean()), 4
            ),
        }
        log(f"{language}: {results['chosen'][language]}")
    path = write_result("verifier_tuning", results)
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
