"""Every name match of the XQuAD tuning half's English questions, for reading: which Arabic words of the
corpus each capitalized word or acronym (``rag.names.question_names``) is matched to.

The limits in ``rag/names.py`` were set by reading this list (report half never read); the list says
what the matcher does, a reader judges each English word → Arabic word pair true (a transliteration or
its inflection) or false.

Run: ``.venv/bin/python -m benchmarks.name_matches`` (seconds; writes ``results/name_matches.json``).
"""

from __future__ import annotations

from collections import Counter

from benchmarks.common import log, write_result
from benchmarks.corpus import load_default_xquad
from benchmarks.xquad import split_articles
from rag import Settings
from rag.lexicon import LexiconLoader
from rag.names import NameIndex, question_names
from rag.term_matching import text_forms


def run() -> dict:
    data = load_default_xquad()
    tuning = split_articles(data.article_count, 2, {0})
    settings = Settings.from_env()
    lexicon = LexiconLoader(
        settings.lexicon_path, settings.use_dictionary, settings.cache_dir, settings.max_sense_place
    )
    forms = {form for paragraph in data.paragraphs for form in text_forms(paragraph.text)}
    index = NameIndex.build(forms, lexicon)
    asked = Counter(name for q in data.questions if q.article in tuning for name in question_names(q.english))
    matches = {name: sorted(index.matches(name)) for name in sorted(asked)}
    matched = {name: words for name, words in matches.items() if words}
    return {
        "dataset": "XQuAD tuning half (even articles): English questions over the 240 Arabic paragraphs",
        "names_asked": len(asked),
        "names_matched": len(matched),
        "pairs": sum(map(len, matched.values())),
        "matches": {name: {"questions": asked[name], "arabic": words} for name, words in matched.items()},
        "unmatched": sorted(name for name, words in matches.items() if not words),
    }


def main() -> None:
    path = write_result("name_matches", run())
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
