"""Run every benchmark, each in its own process, then draw the chart and write the tables.

Run: ``.venv/bin/python -m benchmarks.all [quality speed runtime sentence_vectors scale ...]``
(default: all, in that order; scale reads the query-embedding floor that speed measured; lexical_scale,
milvus_quality and scale_milvus the XQuAD index that quality builds).
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.common import PROJECT_ROOT, log

BENCHMARKS = (
    "quality",
    "speed",
    "runtime",
    "sentence_vectors",
    "build_ways",
    "scale",
    "lexical_scale",
    "milvus_quality",
    "scale_milvus",
)


def run_module(name: str) -> None:
    log(f"benchmarks.{name}")
    subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=PROJECT_ROOT, check=True)


def main(names: list[str]) -> None:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        run_module(name)
    run_module("chart")
    run_module("report")


if __name__ == "__main__":
    main(sys.argv[1:])
