"""Guard the index folder while it is written: one writer at a time, and room checked first.

Readers never take the lock: a build is only made live by replacing ``CURRENT`` atomically. Whoever
writes (a build, an update, an added or removed article) holds ``store_lock`` — an exclusive ``flock``
on ``<store>/.write.lock`` (``filelock``) that the kernel drops when its holder dies, even by
``kill -9`` — from reading the articles folder to switching ``CURRENT``, so two writers never lose
each other's articles. It has two modes: a build the user asked for (``rag index --rebuild``, the
page's "Rebuild index") refuses at once when another writer holds it (``BuildInProgressError``, exit
code 6); an update (an index found out of date, ``rag add``, ``rag remove``) waits its turn, up to
``Settings.lock_timeout`` (``StoreBusyError`` after). ``check_room`` runs before any embedding, so a
store that cannot be written fails in a second, not after the slow part.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.arabic import Language
from rag.errors import RagError, StoreBusyError
from rag.messages import one_line

LOCK_FILE = ".write.lock"
#: Room kept free beyond the estimate: file system metadata, the manifest, rounding.
SPARE_BYTES = 1 << 20


class StoreError(RagError):
    """The index folder cannot be used for a build; ``key`` and ``values`` name a message in
    ``rag.messages`` so that the user reads it in their language."""

    key = "store_not_writable"
    exit_code = 5

    def __init__(self, store_dir: Path, detail: str = "", **values: object) -> None:
        self.store_dir = store_dir
        self.values = {"store": store_dir, "detail": detail, **values}
        super().__init__(f"{store_dir}: {detail}" if detail else str(store_dir))

    def message_in(self, language: Language | None, **overrides: object) -> str:
        """The user's message, in ``language`` (both languages on one line when unknown)."""
        return one_line(self.key, language, **{**self.values, **overrides})


class BuildInProgressError(StoreError):
    """Another process is building this index right now."""

    key = "build_in_progress"
    exit_code = 6


class StoreWriteError(StoreError):
    """The index folder cannot be written (read-only, no permission, not a folder)."""

    key = "store_not_writable"


class StoreFullError(StoreError):
    """The disk holding the index folder has too little free space for the build."""

    key = "store_full"


@contextmanager
def store_lock(store_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the store's writer lock for the ``with`` block. When another process holds it: with
    ``wait`` 0 raise ``BuildInProgressError`` at once, else wait up to ``wait`` seconds, then raise
    ``StoreBusyError``."""
    ensure_store_dir(store_dir)
    lock = FileLock(str(store_dir / LOCK_FILE), timeout=max(wait, 0.0))
    try:
        lock.acquire()
    except Timeout as error:  # a TimeoutError, so before OSError
        if wait <= 0:
            raise BuildInProgressError(store_dir) from error
        raise StoreBusyError(
            f"Another process has been writing the index in {store_dir} for over {wait:.0f} s; "
            "try again when it has finished."
        ) from error
    except OSError as error:
        raise write_error(store_dir, error) from error
    try:
        yield
    finally:
        lock.release()


def ensure_store_dir(store_dir: Path) -> None:
    """Create the store folder if needed; ``StoreWriteError`` when the path is not a folder."""
    if store_dir.exists() and not store_dir.is_dir():
        raise StoreWriteError(store_dir, "the path exists and is not a folder")
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(store_dir, error) from error


def check_room(store_dir: Path, needed_bytes: int) -> None:
    """Fail early, before any embedding, when ``store_dir`` cannot take ``needed_bytes`` more."""
    free = shutil.disk_usage(store_dir).free
    if free < needed_bytes + SPARE_BYTES:
        raise StoreFullError(store_dir, needed=_mib(needed_bytes + SPARE_BYTES), free=_mib(free))


def write_error(store_dir: Path, error: OSError) -> StoreError:
    """The ``StoreError`` that a failed write into ``store_dir`` stands for (a short write such as
    numpy's "25344 requested and 6112 written" carries no errno: then the free space decides)."""
    code = getattr(error, "errno", None)
    free = shutil.disk_usage(store_dir).free if store_dir.is_dir() else 0
    if code in (errno.ENOSPC, errno.EDQUOT) or (code is None and free < SPARE_BYTES):
        return StoreFullError(store_dir, "no space left on the device", needed="?", free=_mib(free))
    return StoreWriteError(store_dir, os.strerror(code) if code else str(error))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"
