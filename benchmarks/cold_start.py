"""One cold start, run as its own process: imports, engine open over a built index, first answer.

Used by ``benchmarks.speed``: ``python -m benchmarks.cold_start DOCS_DIR STORE_DIR QUESTION`` prints
one JSON line of seconds per stage and the wall-clock time (``time.time()``) of the first answer.
"""

from __future__ import annotations

import time

IMPORT_STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from rag import Engine, Settings  # noqa: E402


def main(docs_dir: str, store_dir: str, question: str) -> None:
    imports = time.perf_counter() - IMPORT_STARTED
    settings = Settings.from_env().with_changes(docs_dir=Path(docs_dir), store_dir=Path(store_dir))
    opening = time.perf_counter()
    engine = Engine.open(settings)
    asked = time.perf_counter()
    answer = engine.ask(question)
    first_query = time.perf_counter() - asked
    info = engine.info()
    record = {
        "imports": imports,
        "model_load": info.timings.model_load,
        "articles_load": info.timings.articles_load,
        "index_open": info.timings.index_open,
        "engine_open": asked - opening,
        "index_action": info.index_action,
        "first_query": first_query,
        "answered_at": time.time(),
        "abstained": answer.abstained,
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
