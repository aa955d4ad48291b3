"""Load: N browser sessions asking at once against one local chat server.

One ``streamlit run app.py`` on 127.0.0.1 over the seed articles; Debian's Chromium (playwright) opens
N sessions at the same time and each asks ``--questions`` questions one after the other, timing each
from pressing Enter to the answer (or abstention) being drawn. N grows through ``--sessions`` and stops
after the first level whose p95 passes ``--limit`` seconds. The browser runs on the same two cores as
the server, so the figures are an upper bound on what the server alone would take.

    .venv/bin/python -m benchmarks.load                     # a few minutes; results/load.json
    .venv/bin/python -m benchmarks.load --sessions 1,4 --questions 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from playwright.async_api import Browser, async_playwright, expect

from benchmarks.common import PROJECT_ROOT, WORK_DIR, percentile, write_result

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
STREAMLIT = Path(sys.executable).parent / "streamlit"
QUESTIONS = (
    "متى ستعقد المحادثات في جنيف؟",
    "What did Washington offer on missiles?",
    "ماذا طلبت روسيا بشأن القواعد العسكرية الأمريكية؟",
    "When will the US-Russia talks in Geneva take place?",
    "ما هي العقوبات المحتملة على روسيا؟",
    "What is the capital of Australia?",
)
#: A question not answered within this many seconds counts as not received.
ANSWER_TIMEOUT_S = 60
SERVER_START_TIMEOUT_S = 60
REPLY = "[data-testid='stChatMessage'] .qa-answer, [data-testid='stChatMessage'] .qa-notice"


@dataclass(frozen=True)
class Level:
    sessions: int
    asked: int
    answered: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    seconds: float
    server_rss_mib_before: float
    server_rss_mib_after: float
    load_average_1min_after: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, store: Path, log: Path) -> subprocess.Popen:
    env = os.environ | {"RAG_DOCS_DIR": str(PROJECT_ROOT / "seeds"), "RAG_STORE_DIR": str(store)}
    command = [str(STREAMLIT), "run", str(PROJECT_ROOT / "app.py"), "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit was not healthy within {SERVER_START_TIMEOUT_S} s:\n{log.read_text()}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def session(browser: Browser, url: str, questions: list[str]) -> list[float | None]:
    """One visitor: open the page, ask each question after the last answer, time each answer."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = await context.new_page()
        await page.goto(url)
        box = page.get_by_placeholder("Ask about the articles")
        await box.wait_for(timeout=ANSWER_TIMEOUT_S * 3000)
        latencies: list[float | None] = []
        for number, question in enumerate(questions, start=1):
            await box.fill(question)
            started = time.perf_counter()
            await box.press("Enter")
            try:
                await expect(page.locator(REPLY)).to_have_count(number, timeout=ANSWER_TIMEOUT_S * 1000)
                latencies.append(time.perf_counter() - started)
            except AssertionError:
                latencies.append(None)
                break
        return latencies
    finally:
        await context.close()


async def run_level(browser: Browser, url: str, sessions: int, questions: int, pid: int) -> Level:
    before = rss_mib(pid)
    started = time.perf_counter()
    plans = [[QUESTIONS[(s + q) % len(QUESTIONS)] for q in range(questions)] for s in range(sessions)]
    results = await asyncio.gather(*(session(browser, url, plan) for plan in plans))
    seconds = time.perf_counter() - started
    times = [t for latencies in results for t in latencies if t is not None]
    return Level(
        sessions=sessions,
        asked=sessions * questions,
        answered=len(times),
        p50_s=round(percentile(times, 50), 3) if times else None,
        p95_s=round(percentile(times, 95), 3) if times else None,
        max_s=round(max(times), 3) if times else None,
        seconds=round(seconds, 1),
        server_rss_mib_before=before,
        server_rss_mib_after=rss_mib(pid),
        load_average_1min_after=round(os.getloadavg()[0], 2),
    )


async def measure(url: str, levels: list[int], questions: int, limit_s: float, pid: int) -> list[Level]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            await session(browser, url, [QUESTIONS[0]])  # warm-up: the engine opens, the index is built
            measured = []
            for sessions in levels:
                level = await run_level(browser, url, sessions, questions, pid)
                print(asdict(level), flush=True)
                measured.append(level)
                if level.answered < level.asked or (level.p95_s or 0) > limit_s:
                    break
            return measured
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,2,4,8,12,16", help="session counts to try, in order")
    parser.add_argument("--questions", type=int, default=5, help="questions each session asks")
    parser.add_argument("--limit", type=float, default=5.0, help="p95 seconds a level must stay under")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.sessions.split(",")]
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(port, WORK_DIR / "load_store", WORK_DIR / "load_streamlit.log")
    try:
        idle = rss_mib(server.pid)
        measured = asyncio.run(measure(f"http://127.0.0.1:{port}", levels, args.questions, args.limit, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    held = [level.sessions for level in measured if level.answered == level.asked and level.p95_s <= args.limit]
    result = {
        "p95_limit_s": args.limit,
        "questions_per_session": args.questions,
        "server_rss_mib_idle": idle,
        "sessions_held": max(held) if held else 0,
        "levels": [asdict(level) for level in measured],
        "note": "browser and server share the machine's cores; latency is Enter to the answer drawn",
    }
    path = write_result("load", result)
    print(f"{result['sessions_held']} sessions held with p95 <= {args.limit} s -> {path}")


if __name__ == "__main__":
    main()
