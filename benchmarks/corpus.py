"""Open the engine over XQuAD paragraphs written as article files under ``benchmarks/work``."""

from __future__ import annotations

from benchmarks.common import WORK_DIR, XQUAD_DIR
from benchmarks.xquad import Paragraph, Question, XQuAD, load_xquad, write_corpus
from rag import Engine, Settings, check_question

LANGUAGES = ("en", "ar")


def load_default_xquad() -> XQuAD:
    return load_xquad(XQUAD_DIR / "xquad.ar.json", XQUAD_DIR / "xquad.en.json")


def xquad_settings(name: str, **changes: object) -> Settings:
    """Engine settings whose articles folder is ``work/<name>_docs`` and index ``work/<name>_store``."""
    return Settings.from_env().with_changes(
        docs_dir=WORK_DIR / f"{name}_docs", store_dir=WORK_DIR / f"{name}_store", **changes
    )


def open_engine(paragraphs: list[Paragraph], name: str, base: Engine | None = None, **changes: object) -> Engine:
    """Write ``paragraphs`` as articles and open the engine over them through its own docs_dir path
    (sharing ``base``'s loaded model when given)."""
    settings = xquad_settings(name, **changes)
    write_corpus(paragraphs, settings.docs_dir)
    if base is None:
        engine = Engine.open(settings)
    else:
        engine = base.with_settings(docs_dir=settings.docs_dir, store_dir=settings.store_dir, **changes)
    loaded = {a.doc_id for a in engine.info().articles}
    missing = sorted({p.doc_id for p in paragraphs} - loaded)
    if missing:
        raise RuntimeError(f"the engine skipped {len(missing)} paragraphs, e.g. {missing[:5]}")
    return engine


def corpus_facts(engine: Engine) -> dict[str, object]:
    info = engine.info()
    return {
        "articles": len(info.articles),
        "skipped": len(info.skipped),
        "chunks": info.passages,
        "sentences": info.sentences,
        "index_kind": info.index_kind,
        "index_action": info.index_action,
        "index_build_seconds": info.build_seconds,
    }


def asked(question: Question, language: str) -> str:
    """The question as the engine sees it after its input check (whitespace collapsed)."""
    return check_question(question.text(language), Settings.max_question_chars).text
