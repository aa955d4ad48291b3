"""Retrieval metrics over ranked document ids, and abstention thresholds over confidence scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def unique_in_order(doc_ids: Iterable[str]) -> list[str]:
    """Document ids in rank order, each kept at its first (best) rank."""
    return list(dict.fromkeys(doc_ids))


def gold_rank(ranked_doc_ids: Sequence[str], gold: str) -> int | None:
    """1-based rank of ``gold`` among the distinct documents, or ``None`` when it is missing."""
    for rank, doc_id in enumerate(unique_in_order(ranked_doc_ids), start=1):
        if doc_id == gold:
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries whose gold document is within the first ``k``."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int) -> float:
    """Mean reciprocal rank, counting 0 for a gold document past ``k`` or missing."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def retrieval_summary(ranks: Sequence[int | None]) -> dict[str, float]:
    return {
        "recall@1": round(recall_at(ranks, 1), 4),
        "recall@5": round(recall_at(ranks, 5), 4),
        "mrr@10": round(mrr_at(ranks, 10), 4),
        "n": len(ranks),
    }


@dataclass(frozen=True)
class AbstentionRates:
    """What a threshold does: abstain when the confidence score is below it."""

    threshold: float
    #: Share of unanswerable questions abstained on (higher is better).
    abstain_unanswerable: float
    #: Share of answerable questions wrongly abstained on (lower is better).
    abstain_answerable: float

    @property
    def balanced_accuracy(self) -> float:
        return (self.abstain_unanswerable + 1.0 - self.abstain_answerable) / 2

    def to_dict(self) -> dict[str, float]:
        return {
            "threshold": round(self.threshold, 4),
            "abstain_unanswerable": round(self.abstain_unanswerable, 4),
            "abstain_answerable": round(self.abstain_answerable, 4),
            "balanced_accuracy": round(self.balanced_accuracy, 4),
        }


def abstention_rates(answerable: Sequence[float], unanswerable: Sequence[float], threshold: float) -> AbstentionRates:
    if not answerable or not unanswerable:
        raise ValueError("need both answerable and unanswerable scores")
    wrong = sum(1 for s in answerable if s < threshold) / len(answerable)
    right = sum(1 for s in unanswerable if s < threshold) / len(unanswerable)
    return AbstentionRates(threshold, right, wrong)


def choose_threshold(answerable: Sequence[float], unanswerable: Sequence[float]) -> AbstentionRates:
    """The threshold that maximizes balanced accuracy on these scores.

    Candidates are the midpoints between consecutive distinct scores (plus one below and one above
    all of them); when several tie, the middle one of the tied candidates is taken.
    """
    scores = sorted(set(answerable) | set(unanswerable))
    if not scores:
        raise ValueError("no scores")
    candidates = [scores[0] - 1e-6] + [(a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)]
    candidates.append(scores[-1] + 1e-6)
    rated = [abstention_rates(answerable, unanswerable, t) for t in candidates]
    best = max(r.balanced_accuracy for r in rated)
    tied = [r for r in rated if r.balanced_accuracy >= best - 1e-12]
    return tied[len(tied) // 2]


def threshold_for_answer_rate(answerable: Sequence[float], answer_rate: float) -> float:
    """The highest threshold that still answers at least ``answer_rate`` of these answerable questions."""
    if not answerable:
        raise ValueError("no scores")
    ordered = sorted(answerable)
    allowed = int((1.0 - answer_rate) * len(ordered) + 1e-9)
    return ordered[min(allowed, len(ordered) - 1)]
