"""Open the engine over XQuAD paragraphs written as article files under ``benchmarks/work``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.common import WORK_DIR, XQUAD_DIR
from benchmarks.xquad import Paragraph, Question, XQuAD, load_xquad, write_corpus
from rag.config import Settings
from rag.embedding import Embedder
from rag.engine import Engine
from rag.validation import check_question

LANGUAGES = ("en", "ar")


def load_default_xquad() -> XQuAD:
    return load_xquad(XQUAD_DIR / "xquad.ar.json", XQUAD_DIR / "xquad.en.json")


def xquad_settings(name: str, **changes: object) -> Settings:
    """Engine settings whose articles folder is ``work/<name>_docs`` and index ``work/<name>_store``."""
    return Settings.from_env().with_changes(
        docs_dir=WORK_DIR / f"{name}_docs", store_dir=WORK_DIR / f"{name}_store", **changes
    )


def open_engine(
    paragraphs: list[Paragraph],
    name: str,
    embedder: Embedder | None = None,
    force_rebuild: bool = False,
    **changes: object,
) -> Engine:
    """Write ``paragraphs`` as articles and open the engine over them through its own docs_dir path."""
    settings = xquad_settings(name, **changes)
    write_corpus(paragraphs, settings.docs_dir)
    engine = Engine.open(settings, embedder=embedder, force_rebuild=force_rebuild)
    loaded = {a.doc_id for a in engine.loaded.articles}
    missing = sorted({p.doc_id for p in paragraphs} - loaded)
    if missing:
        raise RuntimeError(f"the engine skipped {len(missing)} paragraphs, e.g. {missing[:5]}")
    return engine


def corpus_facts(engine: Engine) -> dict[str, object]:
    store = engine.store
    return {
        "articles": len(engine.loaded.articles),
        "skipped": len(engine.loaded.skipped),
        "chunks": len(store.chunks),
        "sentences": len(store.sentences),
        "index_kind": store.manifest.index_kind,
        "index_action": engine.opened.action,
        "index_build_seconds": store.manifest.build_seconds,
    }


@dataclass(frozen=True)
class QueryVectors:
    """Every question embedded once per language (batched), reused by every evaluation."""

    by_language: dict[str, np.ndarray]

    @classmethod
    def embed(cls, embedder: Embedder, questions: list[Question]) -> QueryVectors:
        return cls({lang: embedder.embed_queries([asked(q, lang) for q in questions]) for lang in LANGUAGES})


def asked(question: Question, language: str) -> str:
    """The question as the engine sees it after its input check (whitespace collapsed)."""
    return check_question(question.text(language), Settings.max_question_chars)
