"""Guard the index folder while a build writes to it: one build at a time, and room checked first.

Only one process may build into a store at a time: ``build_lock`` takes an exclusive ``flock`` on
``<store>/.build.lock`` and raises ``BuildInProgressError`` at once when another process holds it
(the kernel drops the lock when its holder dies, even by ``kill -9``). ``check_room`` runs before
any embedding, so a store that cannot be written fails in a second, not after the slow part.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.arabic import Language
from rag.errors import RagError
from rag.messages import one_line

LOCK_FILE = ".build.lock"
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
def build_lock(store_dir: Path) -> Iterator[None]:
    """Hold the store's build lock for the ``with`` block; ``BuildInProgressError`` if taken."""
    ensure_store_dir(store_dir)
    try:
        handle = open(store_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - held for the block
    except OSError as error:
        raise write_error(store_dir, error) from error
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildInProgressError(store_dir) from error
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


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
