from rag.footnotes import trim_footnote_marks, without_footnote_marks

TEXT = "قال المتحدث إن المحادثات ستعقد في جنيف.[12] وأضاف[3] أن الوفد سيصل غدا [بحاجة لمصدر]"


def test_marks_are_taken_out_of_shown_text():
    assert without_footnote_marks("ستعقد في جنيف[12] يوم الاثنين[١٥٤].") == "ستعقد في جنيف يوم الاثنين."
    assert without_footnote_marks("founded in 1990 [citation needed].") == "founded in 1990."


def test_numbers_in_brackets_that_are_text_stay():
    assert without_footnote_marks("the [2022] budget of [5 million]") == "the [2022] budget of [5 million]"


def test_trimmed_spans_keep_article_offsets():
    first_end = TEXT.index("[12]") + len("[12]")
    start, end = trim_footnote_marks(TEXT, 0, first_end)
    assert TEXT[start:end] == "قال المتحدث إن المحادثات ستعقد في جنيف."
    second_start = first_end + 1
    start, end = trim_footnote_marks(TEXT, second_start, len(TEXT))
    assert TEXT[start:end] == "وأضاف[3] أن الوفد سيصل غدا"  # a mark inside stays: only the shown text drops it


def test_a_span_of_marks_only_trims_to_nothing():
    start, end = trim_footnote_marks("[1][2]", 0, 6)
    assert start == end
