import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from rag.arabic import normalize
from rag.lexical import LexicalIndex, char_ngrams

PASSAGES = [
    "ستعقد المحادثات الأمريكية الروسية في العاشر من يناير في جنيف.",
    "قد تستهدف العقوبات قطاعات الدفاع والطيران المدني.",
    "أكد المسؤول أن عدد القوات غير مطروح للتفاوض.",
]


def test_finds_passage_through_arabic_spelling_variants():
    index = LexicalIndex.build(PASSAGES)
    scores, positions = index.search("متى ستُعقد المحادثات الامريكيه؟", 3)
    assert positions[0] == 0
    assert scores[0] > 0


def test_clitics_still_match_through_character_ngrams():
    index = LexicalIndex.build(PASSAGES)
    _, positions = index.search("والعقوبات على الطيران", 1)
    assert positions.tolist() == [1]


def test_no_overlap_returns_nothing():
    index = LexicalIndex.build(PASSAGES)
    scores, positions = index.search("zzzz qqqq", 3)
    assert len(scores) == len(positions) == 0


def test_an_updated_index_equals_one_built_from_the_same_passages():
    extra = ["أبدت واشنطن استعدادها لبحث قيود على التدريبات العسكرية.", "رادع ودبلوماسية."]
    rows = [2, 3, 0, 4]  # drop passage 1, keep 2 and 0, add both new ones around them
    updated = LexicalIndex.build(PASSAGES).updated(rows, extra)
    fresh = LexicalIndex.build([PASSAGES[2], extra[0], PASSAGES[0], extra[1]])
    assert updated.matrix.shape == fresh.matrix.shape
    assert set(updated.vocabulary) == set(fresh.vocabulary)
    for query in ("التدريبات العسكرية", "محادثات جنيف", "القوات", "الطيران المدني", "رادع"):
        scores, positions = updated.search(query, 4)
        fresh_scores, fresh_positions = fresh.search(query, 4)
        assert list(positions) == list(fresh_positions)
        assert np.allclose(scores, fresh_scores, atol=1e-6)


def test_ngrams_are_scikit_learns_char_wb_analyzer_over_normalized_text():
    texts = [*PASSAGES, "  و  ال ب؟ x", "", "كلّ الأمريكيّة\nسطر آخر\tو", "a ab abc abcd abcdef"]
    sklearn_ngrams = TfidfVectorizer(preprocessor=normalize, analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for text in texts:
        assert char_ngrams(text) == sklearn_ngrams(text)


def test_question_scores_equal_scikit_learns_tfidf_cosine():
    index = LexicalIndex.build(PASSAGES)
    vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True).fit(PASSAGES)
    question = "متى ستُعقد المحادثات في جنيف والطيران؟"
    expected = (vectorizer.transform(PASSAGES) @ vectorizer.transform([question]).T).toarray().ravel()
    scores, positions = index.search(question, 3)
    assert np.allclose(scores, expected[positions], atol=1e-6)
    assert list(positions) == list(np.argsort(-expected, kind="stable")[: len(positions)])


def test_saved_index_reads_back_without_change(tmp_path):
    index = LexicalIndex.build(PASSAGES)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.vocabulary == index.vocabulary
    for query in ("محادثات جنيف", "القوات"):
        assert [list(a) for a in loaded.search(query, 3)] == [list(a) for a in index.search(query, 3)]
