"""One cold start, run as its own process: imports, engine open over a built index, first answer.

Used by ``benchmarks.speed``. ``python -m benchmarks.cold_start DOCS_DIR STORE_DIR QUESTION`` prints one
JSON line of seconds per stage, the wall-clock time (``time.time()``) of the first answer, the peak
resident memory and whether torch was imported. With ``--cli`` first, it runs ``python -m rag ask``
itself (``runpy``, in this process) and prints the same line without the stages.
The runtime comes from ``RAG_EMBEDDING_RUNTIME`` like every setting.
"""

from __future__ import annotations

import time

IMPORT_STARTED = time.perf_counter()

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def process_facts() -> dict[str, object]:
    """Peak resident memory so far, and whether torch was imported. The peak is the kernel's VmHWM:
    ``ru_maxrss`` would carry the launching process's peak over (Linux keeps it across exec)."""
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return {"peak_rss_mib": round(peak_kib / 1024, 1), "torch_imported": "torch" in sys.modules}


def engine_stages(docs_dir: str, store_dir: str, question: str) -> dict[str, object]:
    from rag import Engine, Settings

    imports = time.perf_counter() - IMPORT_STARTED
    settings = Settings.from_env().with_changes(docs_dir=Path(docs_dir), store_dir=Path(store_dir))
    opening = time.perf_counter()
    engine = Engine.open(settings)
    asked = time.perf_counter()
    answer = engine.ask(question)
    first_query = time.perf_counter() - asked
    info = engine.info()
    return {
        "imports": imports,
        "model_load": info.timings.model_load,
        "articles_load": info.timings.articles_load,
        "index_open": info.timings.index_open,
        "engine_open": asked - opening,
        "index_action": info.index_action,
        "runtime": engine.components().embedder.runtime,
        "first_query": first_query,
        "answered_at": time.time(),
        "abstained": answer.abstained,
    }


def cli_ask(docs_dir: str, store_dir: str, question: str) -> dict[str, object]:
    """``python -m rag ask QUESTION --docs DOCS --store STORE``, run in this process."""
    sys.argv = ["rag", "ask", question, "--docs", docs_dir, "--store", store_dir]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        try:
            runpy.run_module("rag", run_name="__main__", alter_sys=True)
        except SystemExit as done:
            code = done.code
    return {"exit_code": code, "answered_at": time.time(), "answer_chars": len(printed.getvalue())}


def main(argv: list[str]) -> None:
    measure = cli_ask if argv[0] == "--cli" else engine_stages
    record = measure(*argv[-3:]) | process_facts()
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
