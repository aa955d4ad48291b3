from rag.lexical import LexicalIndex

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
