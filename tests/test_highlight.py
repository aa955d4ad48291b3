from rag.highlight import (
    Segment,
    merge_spans,
    passage_paragraphs,
    passage_segments,
)


def test_merge_spans_clips_joins_and_drops_empty() -> None:
    assert merge_spans([(8, 12), (-3, 2), (1, 4), (4, 6), (20, 30), (9, 9)], 25) == [(0, 6), (8, 12), (20, 25)]


def test_merge_spans_drops_spans_outside_the_passage() -> None:
    assert merge_spans([(-10, -2), (40, 50)], 30) == []


def test_passage_segments_use_article_offsets() -> None:
    passage = "One. Two three. Four."
    passage_start = 100
    segments = passage_segments(passage, passage_start, [(105, 115)])
    assert segments == [Segment("One. "), Segment("Two three.", True), Segment(" Four.")]
    assert "".join(s.text for s in segments) == passage


def test_passage_segments_clip_a_highlight_that_starts_before_the_passage() -> None:
    segments = passage_segments("قال الوزير إن المحادثات ستعقد.", 50, [(40, 53)])
    assert segments == [Segment("قال", True), Segment(" الوزير إن المحادثات ستعقد.")]


def test_passage_segments_without_highlights_is_the_whole_passage() -> None:
    assert passage_segments("نص", 0, []) == [Segment("نص")]


def test_passage_paragraphs_split_a_highlight_across_lines_and_drop_blank_lines() -> None:
    passage = "First line.\n\nSecond line here."
    paragraphs = passage_paragraphs(passage, 0, [(6, 19)])
    assert paragraphs == [
        [Segment("First "), Segment("line.", True)],
        [Segment("Second", True), Segment(" line here.")],
    ]
