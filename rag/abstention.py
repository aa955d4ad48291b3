"""Whether the articles answer a question at all: a confidence held against a per-language threshold.

Confidence = the best retrieved passage's cosine to the question, mixed by
``Settings.abstain_sentence_weight`` with the best cosine of a sentence of those passages, plus
``Settings.abstain_coverage_weight`` times the largest IDF-weighted share of the question's terms found
in one retrieved passage: a question about something the articles never name finds its rare words
nowhere. It is computed over a fixed number of passages (``Settings.abstention_depth``), whatever
``top_k`` asks for. The weights and the thresholds are tuned together on the XQuAD tuning half and
live side by side in ``rag/config.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.config import Settings
from rag.retrieval import Hit
from rag.term_matching import QuestionTerms, WeightedTerms, matched_share


@dataclass(frozen=True)
class Abstention:
    same_language: float
    cross_language: float
    cross_language_without_dictionary: float
    coverage_weight: float
    sentence_weight: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Abstention:
        return cls(
            settings.abstain_threshold,
            settings.abstain_threshold_cross,
            settings.abstain_threshold_cross_without_dictionary,
            settings.abstain_coverage_weight,
            settings.abstain_sentence_weight,
        )

    def threshold(self, terms: QuestionTerms) -> float:
        """The confidence below which a question is not answered, by where its terms came from:
        its own words (the articles' language), dictionary translations, or none (cosine alone)."""
        if terms.source == "own":
            return self.same_language
        if terms.source == "dictionary":
            return self.cross_language
        return self.cross_language_without_dictionary

    def confidence(self, hits: list[Hit], terms: WeightedTerms, best_sentence_cosine: float) -> float:
        """The confidence over ``hits``, whose sentences' best cosine to the question is ``best_sentence_cosine``."""
        if not hits:
            return 0.0
        coverage = max(matched_share(terms, h.chunk.text) for h in hits) if terms else 0.0
        passage = max(h.dense_score for h in hits)
        closeness = (1 - self.sentence_weight) * passage + self.sentence_weight * best_sentence_cosine
        return closeness + self.coverage_weight * coverage
