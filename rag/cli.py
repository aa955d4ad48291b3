"""Command line: ``python -m rag index | ask | eval | add | remove | list``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rag import (
    Answer,
    Citation,
    Engine,
    EngineInfo,
    EvalReport,
    Language,
    LibraryChange,
    QuestionError,
    RagError,
    Settings,
    StoreError,
    Upload,
    WrittenAnswer,
    check_question,
    detect_language,
    load_cases,
    one_line,
    run_eval,
)

# Exit codes (the README's table); the other failures exit with their error's ``exit_code``.
EXIT_FAILED_QUESTIONS = 1
EXIT_SKIPPED_FILES = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--docs", type=Path, help="folder of UTF-8 .txt articles (default: seeds/)")
    common.add_argument(
        "--store", type=Path, help="index folder (default: one of its own under vectorstore/ for each --docs folder)"
    )
    common.add_argument("--model", help="sentence-transformers model name or path (default: bundled e5-small)")
    common.add_argument("--top-k", type=int, help="passages to retrieve")

    parser = argparse.ArgumentParser(prog="python -m rag", description="Question answering over Arabic news.")
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", parents=[common], help="build the index, or reuse it if up to date")
    index.add_argument("--rebuild", action="store_true", help="rebuild even if the index is up to date")
    ask = commands.add_parser("ask", parents=[common], help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--generate",
        action=argparse.BooleanOptionalAction,
        help="answer in a language model's words, checked against the passages (default: on when RAG_LLM_URL is set)",
    )
    evaluate = commands.add_parser("eval", parents=[common], help="run a question file and judge the answers")
    evaluate.add_argument("questions", type=Path, help="JSON-lines question file")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    add = commands.add_parser("add", parents=[common], help="copy articles into the articles folder and index them")
    add.add_argument("paths", nargs="+", type=Path, help=".txt, .md, .html or .pdf files")
    add.add_argument("--replace", action="store_true", help="replace an article with the same id")
    add.add_argument("--json", action="store_true", help="print one JSON object")
    remove = commands.add_parser("remove", parents=[common], help="move articles to the trash and update the index")
    remove.add_argument("ids", nargs="+", help="article ids (file names without extension)")
    remove.add_argument("--json", action="store_true", help="print one JSON object")
    listing = commands.add_parser("list", parents=[common], help="list the indexed articles")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("rag").setLevel(logging.INFO)
    try:
        settings = Settings.from_env().with_changes(
            docs_dir=args.docs, store_dir=args.store, model=args.model, top_k=args.top_k
        )
        if args.command == "eval":
            cases = load_cases(args.questions)
        if args.command == "ask":
            check_question(args.question, settings.max_question_chars)  # before any slow work
        progress = ProgressBar() if sys.stderr.isatty() else None
        engine = Engine.open(settings, progress=progress, force_rebuild=getattr(args, "rebuild", False))
        if args.command == "index":
            return _report_index(engine)
        if args.command in {"add", "remove"}:
            return _change_articles(engine, args, progress)
        if args.command == "list":
            info = engine.info()
            print(json.dumps(list_record(info), ensure_ascii=False) if args.json else format_list(info))
            return 0
        if args.command == "ask":
            generate = bool(settings.llm_url) if args.generate is None else args.generate
            result = _ask(engine, args.question, generate, stream=not args.json and sys.stderr.isatty())
            print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else format_result(result))
            return 0
        report = run_eval(engine, cases)
        print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_report(report))
        return EXIT_FAILED_QUESTIONS if report.failed else 0
    except QuestionError as error:
        return _fail(error.message, error.exit_code)
    except StoreError as error:
        return _fail(error.message_in(_user_language(args)), error.exit_code)
    except RagError as error:
        return _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        return _fail(one_line("interrupted", _user_language(args)), EXIT_INTERRUPTED)


def _user_language(args: argparse.Namespace) -> Language | None:
    """The language of the question asked, if any: messages are given in it."""
    question = getattr(args, "question", None)
    return detect_language(question) if isinstance(question, str) else None


def _ask(engine: Engine, question: str, generate: bool, stream: bool) -> Answer | WrittenAnswer:
    """The quoted answer, or with ``generate`` the written one (its draft streamed to stderr when
    ``stream``; the verified version goes to stdout)."""
    if not generate:
        return engine.ask(question)

    def show(piece: str) -> None:
        print(piece, end="", file=sys.stderr, flush=True)

    written = engine.write_answer(question, on_text=show if stream else None)
    if stream and written.draft:
        print("\n", file=sys.stderr)
    return written


def _fail(text: str, code: int) -> int:
    print(f"error: {text}", file=sys.stderr)
    return code


class ProgressBar:
    """Index-building progress, drawn as a tqdm bar on stderr; a ``Progress`` callback."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, desc="Embedding passages and sentences", unit="text", file=sys.stderr)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None


def _report_index(engine: Engine) -> int:
    info = engine.info()
    if info.index_action == "reused":
        what = "Index is up to date (reused)"
    else:
        why = f" ({'; '.join(info.index_reasons)})" if info.index_reasons else ""
        what = f"Index {info.index_action}{why} in {info.build_seconds:.1f} s"
    print(
        f"{what}: {len(info.articles)} articles, {info.passages} passages, "
        f"{info.sentences} sentences, model {info.model}, vectors in {info.vector_backend} -> {info.store_path}"
    )
    for skipped in info.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    return 0


def _change_articles(engine: Engine, args: argparse.Namespace, progress) -> int:
    if args.command == "add":
        uploads = []
        for path in args.paths:
            try:
                uploads.append(Upload.from_path(path))
            except OSError as error:
                return _fail(f"cannot read {path}: {error.strerror or error}", EXIT_SKIPPED_FILES)
        change = engine.add_articles(uploads, replace=args.replace, progress=progress)
    else:
        change = engine.remove_articles(args.ids, progress=progress)
    print(json.dumps(change.to_dict(), ensure_ascii=False) if args.json else format_change(change))
    for skipped in change.skipped:
        print(f"skipped {skipped.message('en')}", file=sys.stderr)
    return EXIT_SKIPPED_FILES if change.skipped else 0


def format_change(change: LibraryChange) -> str:
    lines = [
        f"added {doc_id}" + (" (replaced; old file in the trash)" if doc_id in change.replaced else "")
        for doc_id in change.added
    ]
    lines += [
        f"removed {doc_id} (moved to {path})" for doc_id, path in zip(change.removed, change.trashed, strict=False)
    ]
    lines.append(
        f"Index {change.index_action}: embedded {change.passages_embedded} passages and "
        f"{change.sentences_embedded} sentences; {change.articles} articles, {change.passages} passages "
        f"({change.seconds:.1f} s)"
    )
    return "\n".join(lines)


def list_record(info: EngineInfo) -> dict:
    return {
        "articles": [asdict(a) for a in info.articles],
        "passages": info.passages,
        "store": info.store_path,
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in info.skipped],
    }


def format_list(info: EngineInfo) -> str:
    rows = [
        f"{a.doc_id}\t{a.passages} passages\t{a.title}" + (f" — {a.source}" if a.source else "") for a in info.articles
    ]
    rows.append(f"{len(info.articles)} articles, {info.passages} passages")
    return "\n".join(rows)


def format_result(result: Answer | WrittenAnswer) -> str:
    if isinstance(result, Answer):
        return format_answer(result)
    if result.answer.abstained:
        return format_answer(result.answer)
    head = [f"({line})" for line in (result.badge, result.notice) if line]
    return "\n".join(head) + "\n" + format_answer(result.answer, result.text, result.citations)


def format_answer(answer: Answer, text: str | None = None, citations: list[Citation] | None = None) -> str:
    """The answer (or ``text`` in its place) and its sources (or ``citations``)."""
    citations = answer.citations if citations is None else citations
    lines = [answer.text if text is None else text]
    if citations:
        lines += ["", "Sources:" if answer.language == "en" else "المصادر:"]
    for citation in citations:
        outlet = f" — {citation.source}" if citation.source else ""
        lines.append(f"[{citation.n}] {citation.title}{outlet} ({citation.doc_id}, {citation.chunk_id})")
        lines += [f"    {line}" for line in citation.text.splitlines() if line.strip()]
    return "\n".join(lines)


def format_report(report: EvalReport) -> str:
    rows = [f"{'id':<8} {'result':<6} reason"]
    for result in report.results:
        rows.append(f"{result.case.id:<8} {'PASS' if result.passed else 'FAIL':<6} {result.reason}")
    rows.append(f"{report.passed} passed, {report.failed} failed")
    return "\n".join(rows)
