"""Source footnote marks ("[12]", "[١٥٤]", "[citation needed]"), common in text pasted from the web.

Inside a quoted answer they would read as the engine's own citation numbers (and the chat page
would draw them as such), so the quoted text shows the sentence without them. The sentence's
offsets stay those of the article: a mark at either end is left out of the span, one inside it
stays in the cited passage (which is shown exactly as indexed) and leaves only the quote.
"""

from __future__ import annotations

import re

#: A bracketed number of up to three digits (Western or Arabic-Indic; "[2022]" is a year) or one of
#: the editors' notes that web encyclopedias put in brackets.
FOOTNOTE_MARK = re.compile(
    r"\s*\[(?:[0-9٠-٩]{1,3}|citation needed|clarification needed|when\?|who\?|بحاجة لمصدر|مطلوب مصدر|من دون مصدر)\]"
)


def without_footnote_marks(text: str) -> str:
    """``text`` with its footnote marks taken out."""
    return FOOTNOTE_MARK.sub("", text) if "[" in text else text


def trim_footnote_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """The span ``text[start:end]`` without footnote marks (or spaces) at its start or end."""
    while text.find("[", start, end) >= 0:  # every mark opens with a bracket
        leading = FOOTNOTE_MARK.match(text, start, end)
        if leading and leading.end() > start:
            start = leading.end()
            continue
        trailing = _trailing_mark(text, start, end)
        if trailing is None:
            break
        end = trailing
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _trailing_mark(text: str, start: int, end: int) -> int | None:
    """Where a footnote mark that ends ``text[start:end]`` begins, if one does."""
    for match in FOOTNOTE_MARK.finditer(text, start, end):
        if match.end() == end and match.start() > start:
            return match.start()
    return None
