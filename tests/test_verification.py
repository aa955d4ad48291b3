"""The written-answer verifier, on the real model and the seed articles' index."""

from __future__ import annotations

import pytest

from rag import Engine
from rag.generation import passages_for
from rag.vectorstore import VectorStore
from rag.verification import (
    SUPPORT_THRESHOLD,
    SupportChecker,
    cited_numbers,
    numbers_in,
    split_written,
    without_markers,
)

QUESTION = "When will the US-Russia talks in Geneva take place?"


def test_citation_markers_in_every_form_a_model_writes() -> None:
    assert cited_numbers("Talks open in Geneva [1][3].") == (1, 3)
    assert cited_numbers("Talks open [2, 4] and [passage 5].") == (2, 4, 5)
    assert cited_numbers("ستعقد المحادثات في جنيف [١، ٢].") == (1, 2)
    assert cited_numbers("No marker here, nor in (1).") == ()
    assert without_markers("**Talks** open in Geneva [1] .") == "Talks open in Geneva."


def test_markers_after_the_full_stop_belong_to_the_sentence_before() -> None:
    sentences = split_written("Talks open in Geneva. [1] Russia wants guarantees. [2]\n- Nothing else.")
    assert [(s.claim, s.citations) for s in sentences] == [
        ("Talks open in Geneva.", (1,)),
        ("Russia wants guarantees.", (2,)),
        ("Nothing else.", ()),
    ]


def test_a_marker_that_starts_a_line_belongs_to_its_own_line() -> None:
    sentences = split_written("[1] Talks open in Geneva.\n\n[2] Russia wants guarantees.")
    assert [(s.claim, s.citations) for s in sentences] == [
        ("Talks open in Geneva.", (1,)),
        ("Russia wants guarantees.", (2,)),
    ]


@pytest.fixture(scope="module")
def checker(support_checker: SupportChecker) -> SupportChecker:
    return support_checker


@pytest.fixture(scope="module")
def passages(engine: Engine, seed_store: VectorStore):
    answer = engine.ask(QUESTION)
    assert not answer.abstained
    return passages_for(answer, engine.retrieve(QUESTION, engine.settings.top_k), seed_store)


def test_numbers_in_digits_of_any_script_and_in_arabic_words() -> None:
    assert numbers_in("في العاشر من يناير 2022 قتل ١٢٣ و1,000 شخص") >= {"10", "2022", "123", "1000"}
    assert "27" not in numbers_in("في العاشر من يناير")


def test_supported_sentences_are_kept_with_their_evidence(checker: SupportChecker, passages) -> None:
    verdict = checker.verify("The US and Russia will hold talks next month [1].", passages)
    assert [s.citations for s in verdict.kept] == [(1,)], verdict
    kept = verdict.kept[0]
    assert kept.support >= SUPPORT_THRESHOLD["en"]
    (number, (start, end)), *_ = kept.evidence
    assert number == 1 and passages[0].start <= start < end <= passages[0].end


def test_unsupported_uncited_and_unknown_sentences_are_dropped(checker: SupportChecker, passages) -> None:
    text = (
        "The US and Russia will hold talks next month [1]. "
        "Bananas are yellow fruits grown in Ecuador [1]. "
        "The talks will be held on 27 March 1999 [1]. "
        "The talks are in Geneva [9]. "
        "This sentence cites nothing."
    )
    verdict = checker.verify(text, passages)
    assert len(verdict.kept) == 1
    reasons = [d.reason for d in verdict.dropped]
    assert reasons == ["unsupported", "number_missing", "unknown_passage", "no_citation"]
    assert verdict.dropped[0].support < SUPPORT_THRESHOLD["en"]


def test_arabic_sentences_are_checked_against_arabic_passages(checker: SupportChecker, passages) -> None:
    text = "ستجري الولايات المتحدة وروسيا محادثات بينهما الشهر المقبل [1]. يحب الأطفال اللعب في الحديقة [1]."
    verdict = checker.verify(text, passages)
    assert [s.citations for s in verdict.kept] == [(1,)]
    assert [d.reason for d in verdict.dropped] == ["unsupported"]
