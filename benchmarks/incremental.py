"""Adding one article to an index of 1,000 against embedding that article alone, measured in one run.

The 1,000 articles are XQuAD's 240 Arabic paragraphs cut at sentence ends into 1,000 runs of
consecutive sentences (1-2 sentences each; 164k characters in all: embedding a corpus of 1,000 full
news articles takes hours on this machine). The added article is, in turn, one of the seed articles
(a real news article of 4 KB) and one whole XQuAD paragraph of the English file. For each,
``Engine.add_articles`` (copy into the folder, read the folder, embed the new article's passages and
sentences, rebuild the vector, lexical and term indexes from the combined arrays, save a new build
atomically) is timed against
embedding the same passages and sentences alone, interleaved, ``REPEATS`` times; then the article is
removed again (also timed). The issue's target: adding costs at most 2x embedding the article alone.

    python -m benchmarks.incremental          # writes benchmarks/results/incremental.json
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import PROJECT_ROOT, WORK_DIR, log, write_result
from benchmarks.corpus import load_default_xquad
from benchmarks.xquad import Paragraph, write_corpus
from rag import Engine, Settings, Upload
from rag.arabic import split_sentences
from rag.articles import clean_article
from rag.chunking import chunk_articles, split_article_sentences

CORPUS_SIZE = 1000
REPEATS = 5
TARGET_RATIO = 2.0
SEED_ARTICLE = PROJECT_ROOT / "seeds" / "004_147c06deaea37dba.txt"


def corpus_paragraphs(texts: list[str], size: int) -> list[Paragraph]:
    """``size`` articles of consecutive sentences of ``texts`` (see the module docstring)."""
    sentences = [text[start:end] for text in texts for start, end in split_sentences(text)]
    bounds = [round(i * len(sentences) / size) for i in range(size + 1)]
    return [Paragraph(f"a{k:04d}", k, "", " ".join(sentences[bounds[k] : bounds[k + 1]])) for k in range(size)]


def embed_alone(engine: Engine, upload: Upload, settings: Settings) -> tuple[float, int, int]:
    """Seconds to embed the passages and answer sentences of ``upload`` (as the index would), and
    how many of each."""
    from rag.articles import Article

    text = upload.data.decode("utf-8")
    body, title, source = clean_article(text)
    article = Article(upload.article_id, title, source, body, "", SEED_ARTICLE)
    chunks = chunk_articles([article], settings.chunk_size, settings.chunk_overlap)
    sentences = split_article_sentences([article])
    embedder = engine._embedder  # the benchmark measures the engine's own model
    started = time.perf_counter()
    embedder.for_index().embed_passages([c.text for c in chunks])
    embedder.for_index().embed_answer_sentences([body[s.start : s.end] for s in sentences])
    return time.perf_counter() - started, len(chunks), len(sentences)


def measure(engine: Engine, upload: Upload) -> tuple[Engine, dict]:
    """Add and remove ``upload`` ``REPEATS`` times, interleaved with embedding it alone."""
    adds, removes, alone = [], [], []
    facts: dict[str, object] = {}
    for _ in range(REPEATS):
        seconds, passages, sentences = embed_alone(engine, upload, engine.settings)
        alone.append(seconds)
        started = time.perf_counter()
        change = engine.add_articles([upload])
        adds.append(time.perf_counter() - started)
        if change.added != [upload.article_id] or change.index_action != "updated":
            raise RuntimeError(f"the add did not go as planned: {change.to_dict()}")
        facts = {
            "article": upload.article_id,
            "article_chars": len(upload.data.decode("utf-8")),
            "passages": passages,
            "sentences": sentences,
            "passages_embedded_by_add": change.passages_embedded,
            "sentences_embedded_by_add": change.sentences_embedded,
            "index_passages_after_add": change.passages,
        }
        started = time.perf_counter()
        removal = change.engine.remove_articles([upload.article_id])
        removes.append(time.perf_counter() - started)
        engine = removal.engine
    add_s, alone_s = statistics.median(adds), statistics.median(alone)
    return engine, {
        **facts,
        "embed_alone_median_s": round(alone_s, 4),
        "add_median_s": round(add_s, 4),
        "remove_median_s": round(statistics.median(removes), 4),
        "add_over_embed_alone": round(add_s / alone_s, 3),
        "meets_target": add_s / alone_s <= TARGET_RATIO,
        "add_s": [round(s, 4) for s in adds],
        "embed_alone_s": [round(s, 4) for s in alone],
    }


def load_english_paragraph() -> str:
    import json

    from benchmarks.common import XQUAD_DIR

    data = json.loads((XQUAD_DIR / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    return data[0]["paragraphs"][0]["context"]


def main() -> None:
    xquad = load_default_xquad()
    corpus = corpus_paragraphs([p.text.strip() for p in xquad.paragraphs], CORPUS_SIZE)
    english = load_english_paragraph()
    settings = Settings.from_env().with_changes(
        docs_dir=WORK_DIR / "incremental_docs", store_dir=WORK_DIR / "incremental_store"
    )
    write_corpus(corpus, settings.docs_dir)
    log(f"opening the engine over {CORPUS_SIZE} articles (built the first time: several minutes)")
    started = time.perf_counter()
    engine = Engine.open(settings)
    info = engine.info()
    opened = {
        "articles": len(info.articles),
        "passages": info.passages,
        "sentences": info.sentences,
        "index_action": info.index_action,
        "open_seconds": round(time.perf_counter() - started, 1),
    }
    log(f"index: {opened}")
    uploads = [
        Upload(SEED_ARTICLE.name, SEED_ARTICLE.read_bytes()),
        Upload("xquad_en_0.txt", (english.strip() + "\n").encode()),
    ]
    results = []
    for upload in uploads:
        engine, result = measure(engine, upload)
        seconds = f"{result['add_median_s']} s vs {result['embed_alone_median_s']} s"
        log(f"{upload.name}: {result['add_over_embed_alone']}x ({seconds})")
        results.append(result)
    path = write_result(
        "incremental",
        {
            "description": __doc__.split("\n\n")[0],
            "corpus": opened,
            "repeats": REPEATS,
            "target_ratio": TARGET_RATIO,
            "added_articles": results,
        },
    )
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
