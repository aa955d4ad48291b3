"""Cold start: process start to the first answer of ``rag ask``, with the index already built.

``python -m benchmarks.cold_start`` (about 1 minute; ``--runs N``, default 7) asks an Arabic and an English
question over the seed articles, each in a fresh process, and writes ``results/cold_start.json``: wall
and CPU seconds of the whole process, its peak resident memory, and whether torch was imported. With
``--baseline DIR`` (another checkout of the project, e.g. ``git worktree add /tmp/base main``) the same
runs of that checkout alternate with this one's, and the ratios are taken pair by pair.

One process, as ``benchmarks.speed`` runs it: ``python -m benchmarks.cold_start DOCS_DIR STORE_DIR
QUESTION`` prints one JSON line of seconds per stage, the wall-clock time (``time.time()``) of the
first answer, the peak resident memory and whether torch was imported. With ``--cli`` first, it runs
``python -m rag ask`` itself (``runpy``, in this process) and prints the same line without the stages.
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


def one_process(argv: list[str]) -> None:
    measure = cli_ask if argv[0] == "--cli" else engine_stages
    record = measure(*argv[-3:]) | process_facts()
    print(json.dumps(record), flush=True)


#: Seed-article questions: one Arabic, one English (the English one also reads the dictionary).
QUESTIONS = {"ar": "متى ستعقد المحادثات في جنيف؟", "en": "When will the talks in Geneva be held?"}


def timed_process(tree: Path, docs: Path, store: Path, question: str) -> dict[str, object]:
    """``rag ask`` (through ``--cli`` of ``tree``'s own copy of this module) in a fresh process: wall
    and CPU seconds from the outside, peak memory and torch from the inside."""
    import os
    import subprocess

    command = [sys.executable, "-m", "benchmarks.cold_start", "--cli", str(docs), str(store), question]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    printed = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    record = json.loads(printed.strip().splitlines()[-1])
    if process.returncode != 0 or record.get("exit_code") not in (0, None):
        raise RuntimeError(f"{command} in {tree} failed: {record}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": record["peak_rss_mib"],
        "torch_imported": record["torch_imported"],
    }


def tree_commit(tree: Path) -> str:
    """The commit checked out in ``tree`` (``?`` when it is not a git checkout, e.g. an exported copy)."""
    import subprocess

    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    inside = subprocess.run(["git", "-C", str(tree), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    same = done.returncode == 0 and Path(inside.stdout.strip()).resolve() == tree.resolve()
    return done.stdout.strip() if same else "?"


def run(runs: int, baseline: Path | None) -> dict[str, object]:
    import os
    import statistics
    import subprocess

    from benchmarks.common import PROJECT_ROOT, WORK_DIR, log

    docs = PROJECT_ROOT / "seeds"
    trees = {"this": PROJECT_ROOT} | ({"baseline": baseline.resolve()} if baseline else {})
    # Each tree its own store: a baseline of another index format would rebuild a shared one at every run.
    stores = {name: WORK_DIR / f"cold_start_store_{name}" for name in trees}
    for name, tree in trees.items():  # build (or reuse) the index with each tree's own code
        subprocess.run(
            [sys.executable, "-m", "rag", "index", "--docs", str(docs), "--store", str(stores[name])],
            cwd=tree,
            check=True,
            capture_output=True,
        )
    load_before = os.getloadavg()[0]
    records: dict[str, list[dict]] = {f"{name}_{lang}": [] for name in trees for lang in QUESTIONS}
    for round_ in range(runs + 1):  # the first round warms the file cache and is not counted
        for name in list(trees)[round_ % len(trees) :] + list(trees)[: round_ % len(trees)]:
            for lang, question in QUESTIONS.items():
                record = timed_process(trees[name], docs, stores[name], question)
                if round_:
                    records[f"{name}_{lang}"].append(record)
                    log(f"cold start {name} {lang}: {record}")
    result: dict[str, object] = {
        "runs": runs,
        "load_average_1min_before": load_before,
        "trees": {name: str(tree) for name, tree in trees.items()},
        "commits": {name: tree_commit(tree) for name, tree in trees.items()},
        "questions": QUESTIONS,
        "goal_seconds": 2.5,
    }
    for name, values in records.items():
        result[name] = {
            key: round(statistics.median(float(v[key]) for v in values), 3) for key in ("wall", "cpu", "peak_rss_mib")
        } | {"wall_min": round(min(v["wall"] for v in values), 3), "torch_imported": values[0]["torch_imported"]}
    if baseline:
        for lang in QUESTIONS:
            pairs = zip(records[f"this_{lang}"], records[f"baseline_{lang}"], strict=True)
            ratios = [(a["wall"] / b["wall"], a["cpu"] / b["cpu"]) for a, b in pairs]
            result[f"this_over_baseline_{lang}"] = {
                "wall": round(statistics.median(r[0] for r in ratios), 3),
                "cpu": round(statistics.median(r[1] for r in ratios), 3),
            }
    result["load_average_1min_after"] = os.getloadavg()[0]
    return result


def main(argv: list[str]) -> None:
    if not argv or argv[0] in {"--runs", "--baseline", "-h", "--help"}:
        import argparse

        from benchmarks.common import log, write_result

        parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start")
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--baseline", type=Path, help="another checkout to compare with, run for run")
        options = parser.parse_args(argv)
        log(f"wrote {write_result('cold_start', run(options.runs, options.baseline))}")
    else:
        one_process(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
