import json
from pathlib import Path

import numpy as np
import pytest

from rag.answer_features import FEATURE_NAMES, CandidateEvidence, SentenceFacts
from rag.answer_ranker import WEIGHTS_PATH, AnswerRanker, RankerWeightsError


def evidence(**changes: object) -> CandidateEvidence:
    fields = {
        "sentence_cosine": 0.85,
        "best_sentence_cosine": 0.87,
        "passage_cosine": 0.84,
        "best_passage_cosine": 0.86,
        "passage_rank": 1,
        "lexical_rank": None,
        "in_best_passage": False,
        "term_share": 0.5,
        "question_kind": "when",
        "facts": SentenceFacts.of("ستعقد المحادثات في العاشر من يناير 2022."),
        "question_numbers": frozenset(),
        "first_in_article": False,
        "neighbour_only": False,
    }
    return CandidateEvidence(**{**fields, **changes})


def test_features_follow_the_named_order():
    vector = evidence().vector()
    assert vector.shape == (len(FEATURE_NAMES),)
    named = dict(zip(FEATURE_NAMES, vector, strict=True))
    assert named["sentence_cosine_gap"] == pytest.approx(-0.02)
    assert named["passage_rank_reciprocal"] == 0.5 and named["lexical_rank_reciprocal"] == 0.0
    assert named["answers_question_kind"] == 1.0 and named["number_not_in_question"] == 1.0
    assert evidence(question_numbers=frozenset({"2022"})).vector()[FEATURE_NAMES.index("number_not_in_question")] == 0


@pytest.mark.parametrize("path", [WEIGHTS_PATH, WEIGHTS_PATH.with_name("answer_ranker_learned.json")])
def test_the_weights_files_state_their_origin_and_fit_the_features(path: Path):
    record = json.loads(path.read_text(encoding="utf-8"))
    assert "tuning half" in record["origin"] and record["features"] == list(FEATURE_NAMES)
    assert set(AnswerRanker.load(path).models) == {"same", "cross"}


@pytest.mark.parametrize("path", [WEIGHTS_PATH, WEIGHTS_PATH.with_name("answer_ranker_learned.json")])
def test_a_closer_sentence_with_more_question_terms_ranks_higher(path: Path):
    ranker = AnswerRanker.load(path)
    better = evidence(sentence_cosine=0.87, term_share=0.9).vector()
    worse = evidence(sentence_cosine=0.80, term_share=0.1).vector()
    for kind in ("same", "cross"):
        scores = ranker.scores(np.vstack([better, worse]), kind)
        assert scores[0] > scores[1]
        assert ranker.second_sentence_margin(kind) >= 0


def test_weights_for_other_features_are_refused(tmp_path: Path):
    record = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    record["features"] = record["features"][:-1]
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(RankerWeightsError, match="other features"):
        AnswerRanker.load(path)
