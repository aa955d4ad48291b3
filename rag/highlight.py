"""Cut cited passages into pieces a page can draw: plain text and the highlighted sentences the answer quotes.

Pure text work, no HTML and no Streamlit: the page escapes and styles the pieces it gets from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A run of passage text, ``highlighted`` when the answer quotes it."""

    text: str
    highlighted: bool = False


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """``spans`` clipped to ``[0, length]``, empty ones dropped, overlapping or touching ones joined, in order."""
    clipped = sorted((max(0, start), min(length, end)) for start, end in spans)
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def passage_segments(passage: str, passage_start: int, highlights: Iterable[tuple[int, int]]) -> list[Segment]:
    """``passage`` as plain and highlighted segments; ``highlights`` are article offsets, the passage
    starts at article offset ``passage_start``."""
    relative = ((start - passage_start, end - passage_start) for start, end in highlights)
    segments: list[Segment] = []
    position = 0
    for start, end in merge_spans(relative, len(passage)):
        if start > position:
            segments.append(Segment(passage[position:start]))
        segments.append(Segment(passage[start:end], highlighted=True))
        position = end
    if position < len(passage):
        segments.append(Segment(passage[position:]))
    return segments


def passage_paragraphs(passage: str, passage_start: int, highlights: Iterable[tuple[int, int]]) -> list[list[Segment]]:
    """The passage's non-blank lines, each as its segments, so each can be drawn as its own paragraph."""
    paragraphs: list[list[Segment]] = [[]]
    for segment in passage_segments(passage, passage_start, highlights):
        first, *rest = segment.text.split("\n")
        paragraphs[-1].append(Segment(first, segment.highlighted))
        paragraphs.extend([Segment(line, segment.highlighted)] for line in rest)
    return [
        [segment for segment in paragraph if segment.text]
        for paragraph in paragraphs
        if "".join(segment.text for segment in paragraph).strip()
    ]
