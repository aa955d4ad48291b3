"""Fault injection: the index survives every fault, and the user reads one clear line.

Faults are real: bytes flipped on disk, a build process killed with SIGKILL or interrupted with
SIGINT at a chosen point (a few lines of hook code run in the child process before the command
line starts), a read-only bind mount, a 2 MB tmpfs filled up, a second process holding the build
lock, hostile files in the articles folder. Each test checks that the previous index keeps
answering, that the command exits with the code the README documents and says one ``error:``
line, and that nothing outside the index folder changed. Mounting needs root: those tests are
skipped with the reason elsewhere (CI runs as root).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import PROJECT_ROOT, BuildInProgressError, Engine, Settings, StoreError
from rag.articles import load_articles
from rag.cli import EXIT_INTERRUPTED
from rag.embedding import Embedder
from rag.indexing import open_index
from rag.store_lock import store_lock
from rag.vectorstore import BUILD_MARKER, CURRENT, DATA_FILES, is_own_build, live_build, load_store

ARTICLES = {
    "geneva": "محادثات جنيف\n\nقال متحدث إن المحادثات الأمريكية الروسية ستعقد في العاشر من يناير في جنيف.",
    "sanctions": "عقوبات\n\nقد تستهدف العقوبات قطاعات الدفاع والطيران المدني في روسيا، وفق مصدر مطلع.",
}
QUESTION = "متى ستعقد المحادثات في جنيف؟"
BAD_ARTICLES = PROJECT_ROOT / "tests" / "bad_inputs" / "articles"

EXIT_STORE = StoreError.exit_code
EXIT_BUILD_RUNNING = BuildInProgressError.exit_code

#: Child-process hooks: each runs before ``rag.cli.main`` and injects one fault at one point.
KILL_MID_BUILD = """
import rag.indexing
real_embed = rag.indexing.embed_in_batches
def embed(*args, **kwargs):  # the build is under way: lock taken, folder checked, embedding
    os.kill(os.getpid(), signal.SIGKILL)
    return real_embed(*args, **kwargs)
rag.indexing.embed_in_batches = embed
"""
#: Ctrl-C as a terminal delivers it (a shell running jobs in the background ignores SIGINT for them).
INTERRUPT_MID_BUILD = "signal.signal(signal.SIGINT, signal.default_int_handler)\n" + KILL_MID_BUILD.replace(
    "SIGKILL", "SIGINT"
)
#: Says on stderr when embedding starts, to show that a failure came before the slow part.
MARK_EMBEDDING = """
import rag.indexing
real_embed = rag.indexing.embed_in_batches
def embed(*args, **kwargs):
    print("EMBEDDING STARTED", file=sys.stderr)
    return real_embed(*args, **kwargs)
rag.indexing.embed_in_batches = embed
"""
KILL_MID_SAVE = """
import numpy
real_save = numpy.save
def save(*args, **kwargs):  # the vectors and passages are on disk, the pointer not yet switched
    real_save(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
numpy.save = save
"""
FILL_DISK_AT_SAVE = """
import faiss
real_write = faiss.write_index
def write(*args):  # another program fills the disk just as the index is written
    with open(os.environ["FILLER"], "wb") as filler:
        try:
            while True:
                filler.write(b"x" * 65536)
                filler.flush()
        except OSError:
            pass
    real_write(*args)
faiss.write_index = write
"""
HOOKED_MAIN = "import os, signal, sys\n{hook}\nfrom rag.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run_cli(*args: str, hook: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", HOOKED_MAIN.format(hook=hook), *args]
    return subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, env=os.environ | (env or {})
    )


def error_line(result: subprocess.CompletedProcess, code: int) -> str:
    """The one ``error:`` line of a failed command, which exited with ``code`` and no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def snapshot(root: Path, store: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of everything under ``root`` outside ``store``."""
    found = {}
    for path in root.rglob("*"):
        if path == store or store in path.parents or path.is_dir():
            continue
        info = path.lstat()
        found[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return found


def make_docs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def assert_answers(docs: Path, store: Path, engine: Engine) -> None:
    """The index in ``store`` is intact, fits ``docs`` and answers (the session's model is reused)."""
    opened = engine.with_settings(docs_dir=docs, store_dir=store)
    assert opened.info().index_action == "reused"
    answer = opened.ask(QUESTION)
    assert not answer.abstained and answer.citations[0].doc_id == "geneva"


@pytest.fixture
def site(tmp_path: Path, embedder: Embedder) -> tuple[Path, Path, Path]:
    """``(root, docs, store)``: two small articles and their index, plus a user's folder in the store."""
    docs = make_docs(tmp_path / "docs")
    store = tmp_path / "store"
    settings = Settings().with_changes(docs_dir=docs, store_dir=store)
    open_index(load_articles(docs).articles, embedder, settings)
    (store / "build-2024-release").mkdir()
    (store / "build-2024-release" / "notes.txt").write_text("a user's folder in the store")
    return tmp_path, docs, store


def test_byte_flips_in_every_store_file_are_caught_and_rebuilt(site, engine: Engine, embedder: Embedder) -> None:
    root, docs, store = site
    settings = Settings().with_changes(docs_dir=docs, store_dir=store)
    articles = load_articles(docs).articles
    names = [CURRENT] + sorted(p.name for p in live_build(store).iterdir())
    assert len(names) == 3 + len(DATA_FILES)  # CURRENT, the marker, the manifest, the data files
    outside = snapshot(root, store)
    for name in names:
        for where in ("first", "middle", "last"):
            target = store / name if name == CURRENT else live_build(store) / name
            data = bytearray(target.read_bytes())
            data[{"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where]] ^= 0xFF
            target.write_bytes(bytes(data))
            opened = open_index(articles, embedder, settings)
            expected = "reused" if name == BUILD_MARKER else "rebuilt"  # the marker only says "ours"
            assert opened.action == expected, f"a flipped byte in {name} ({where})"
    assert_answers(docs, store, engine)
    assert snapshot(root, store) == outside
    assert (store / "build-2024-release" / "notes.txt").exists()


def test_a_flipped_current_pointer_is_rebuilt_by_the_command_line(site, engine: Engine) -> None:
    root, docs, store = site
    pointer = store / CURRENT
    pointer.write_bytes(b"\x9d" + pointer.read_bytes()[1:])
    outside = snapshot(root, store)
    result = run_cli("ask", QUESTION, "--docs", str(docs), "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "corrupted" in result.stderr
    assert "العاشر" in result.stdout
    assert_answers(docs, store, engine)
    assert snapshot(root, store) == outside
    assert (store / "build-2024-release" / "notes.txt").exists()


@pytest.mark.parametrize("hook", [KILL_MID_BUILD, KILL_MID_SAVE], ids=["mid-build", "mid-save"])
def test_kill_9_leaves_the_previous_index_answering_and_its_orphan_is_cleaned(
    site, engine: Engine, embedder: Embedder, hook: str
) -> None:
    root, docs, store = site
    before = live_build(store)
    outside = snapshot(root, store)
    killed = run_cli("index", "--rebuild", "--docs", str(docs), "--store", str(store), hook=hook)
    assert killed.returncode == -signal.SIGKILL
    assert live_build(store) == before
    assert_answers(docs, store, engine)
    orphans = [p for p in store.iterdir() if is_own_build(p) and p != before]
    assert len(orphans) == (1 if hook == KILL_MID_SAVE else 0)
    settings = Settings().with_changes(docs_dir=docs, store_dir=store)
    rebuilt = open_index(load_articles(docs).articles, embedder, settings, force_rebuild=True)
    assert [p.name for p in store.iterdir() if is_own_build(p)] == [rebuilt.store.path.name], "the orphan is gone"
    assert (store / "build-2024-release" / "notes.txt").exists()
    assert snapshot(root, store) == outside


def test_ctrl_c_mid_build_prints_one_line_and_keeps_the_index(site, engine: Engine) -> None:
    root, docs, store = site
    before = live_build(store)
    outside = snapshot(root, store)
    result = run_cli("index", "--rebuild", "--docs", str(docs), "--store", str(store), hook=INTERRUPT_MID_BUILD)
    assert "Interrupted" in error_line(result, EXIT_INTERRUPTED)
    assert live_build(store) == before
    assert_answers(docs, store, engine)
    assert snapshot(root, store) == outside


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only(site) -> Iterator[tuple[Path, Path, Path]]:
    """The site with its store bind-mounted read-only (root is not stopped by file modes)."""
    _, _, store = site
    if not mount("--bind", str(store), str(store)):
        pytest.skip("cannot bind-mount here (needs root with CAP_SYS_ADMIN); read-only store not tested")
    try:
        assert mount("-o", "remount,bind,ro", str(store), str(store))
        yield site
    finally:
        subprocess.run(["umount", str(store)], check=True)


def test_a_read_only_store_fails_in_one_line_before_embedding(read_only, engine: Engine) -> None:
    root, docs, store = read_only
    outside = snapshot(root, store)
    result = run_cli("index", "--rebuild", "--docs", str(docs), "--store", str(store), hook=MARK_EMBEDDING)
    line = error_line(result, EXIT_STORE)
    assert "cannot be written (Read-only file system)" in line and "previous index is unchanged" in line
    assert "EMBEDDING STARTED" not in result.stderr, "the failure comes before the slow part"
    assert_answers(docs, store, engine)
    (docs / "geneva.txt").write_text(ARTICLES["geneva"] + "\nسطر جديد.", encoding="utf-8")
    stale = run_cli("ask", QUESTION, "--docs", str(docs), "--store", str(store))
    assert "لا يمكن الكتابة في مجلد الفهرس" in error_line(stale, EXIT_STORE), (
        "the message is in the question's language"
    )
    outside.pop("docs/geneva.txt")
    after = snapshot(root, store)
    after.pop("docs/geneva.txt")
    assert after == outside


@pytest.fixture
def small_disk(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Path, Path, Path]]:
    """A 2 MB tmpfs holding the index of two small articles; the articles stay outside it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)):
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); full disk not tested")
    try:
        docs = make_docs(tmp_path / "docs")
        settings = Settings().with_changes(docs_dir=docs, store_dir=disk / "store")
        open_index(load_articles(docs).articles, embedder, settings)
        yield tmp_path, docs, disk / "store"
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(path: Path, leave_bytes: int) -> None:
    free = shutil.disk_usage(path.parent).free
    path.write_bytes(b"x" * max(0, free - leave_bytes))


def test_a_full_disk_fails_before_embedding_in_one_line(small_disk, engine: Engine) -> None:
    root, docs, store = small_disk
    before = live_build(store)
    fill(store.parent / "filler", leave_bytes=256 * 1024)
    outside = snapshot(root, store)
    result = run_cli("index", "--rebuild", "--docs", str(docs), "--store", str(store), hook=MARK_EMBEDDING)
    assert "Not enough disk space" in error_line(result, EXIT_STORE)
    assert "EMBEDDING STARTED" not in result.stderr, "the failure comes before the slow part"
    assert live_build(store) == before and [p for p in store.iterdir() if is_own_build(p)] == [before]
    assert_answers(docs, store, engine)
    assert snapshot(root, store) == outside


def test_a_disk_that_fills_up_during_the_save_fails_in_one_line(small_disk, engine: Engine) -> None:
    root, docs, store = small_disk
    before = live_build(store)
    filler = store.parent / "filler"
    result = run_cli(
        "index",
        "--rebuild",
        "--docs",
        str(docs),
        "--store",
        str(store),
        hook=FILL_DISK_AT_SAVE,
        env={"FILLER": str(filler)},
    )
    assert "Not enough disk space" in error_line(result, EXIT_STORE)
    assert live_build(store) == before
    assert [p for p in store.iterdir() if is_own_build(p)] == [before], "the half-written build was removed"
    filler.unlink()
    assert_answers(docs, store, engine)


def test_a_second_build_is_told_another_build_is_running(site, engine: Engine) -> None:
    root, docs, store = site
    outside = snapshot(root, store)
    with store_lock(store):
        result = run_cli("index", "--rebuild", "--docs", str(docs), "--store", str(store))
        assert "Another build of the index" in error_line(result, EXIT_BUILD_RUNNING)
        assert_answers(docs, store, engine)  # reading needs no lock
    assert snapshot(root, store) == outside


def test_concurrent_rebuilds_never_crash_and_leave_one_live_index(site, engine: Engine) -> None:
    root, docs, store = site
    outside = snapshot(root, store)
    command = [sys.executable, "-m", "rag", "index", "--rebuild", "--docs", str(docs), "--store", str(store)]
    processes = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(process.wait(timeout=600), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, EXIT_BUILD_RUNNING]), results
    assert all("Traceback" not in stderr for _, stderr in results)
    assert [p.name for p in store.iterdir() if is_own_build(p)] == [live_build(store).name]
    assert not [p for p in store.iterdir() if p.name.startswith(f".{CURRENT}.")]
    assert_answers(docs, store, engine)
    assert (store / "build-2024-release" / "notes.txt").exists()
    assert snapshot(root, store) == outside


def test_hostile_article_files_are_skipped_with_reasons(tmp_path: Path, engine: Engine) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(BAD_ARTICLES, docs)
    make_docs(tmp_path / "good")
    for name in ARTICLES:
        shutil.copy(tmp_path / "good" / f"{name}.txt", docs / f"{name}.txt")
    secret = tmp_path / "secret.txt"
    secret.write_text("كلمة السر للخادم هي ١٢٣٤ ولا تُنشر.", encoding="utf-8")
    (docs / "escape.txt").symlink_to(secret)
    (docs / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (docs / "2024").mkdir()
    (docs / "2024" / "inner.txt").write_text(ARTICLES["geneva"], encoding="utf-8")
    os.mkfifo(docs / "pipe.txt")
    (docs / "huge.txt").write_text("كلمة " * 10_000, encoding="utf-8")
    store = tmp_path / "store"
    outside = snapshot(tmp_path, store)
    result = run_cli("index", "--docs", str(docs), "--store", str(store), env={"RAG_MAX_ARTICLE_BYTES": "30000"})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    skipped = {
        line.split(": ", 1)[0][len("skipped ") :] for line in result.stderr.splitlines() if line.startswith("skipped ")
    }
    expected = {"escape.txt", "broken.txt", "2024", "pipe.txt", "huge.txt", "notes.md", "UPPER_CASE.TXT", "empty.txt"}
    assert expected <= {Path(name).name for name in skipped}
    indexed = load_store(store).articles
    assert "escape" not in indexed and all("السر" not in a.text for a in indexed.values())
    assert {"geneva", "sanctions", "script_markup", "nul_bytes"} <= indexed.keys()
    assert all("\x00" not in a.text for a in indexed.values())
    assert snapshot(tmp_path, store) == outside
