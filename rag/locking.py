"""One writer at a time per index folder, across processes: a lock file beside the builds.

Readers never take it: a build is only made live by replacing ``CURRENT`` atomically. Whoever writes
(a build, an update, an added or removed article) holds it from reading the articles folder to
switching ``CURRENT``, so two writers never lose each other's articles. It waits for the other writer
(up to ``Settings.lock_timeout``); ``rag.store_lock.build_lock``, taken inside it, still refuses at once
a build that someone holds without it.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import StoreBusyError
from rag.store_lock import ensure_store_dir, write_error

LOCK_FILE = ".write.lock"


class StoreLock:
    """``with StoreLock(store_dir, timeout):`` waits for the other writers of ``store_dir``."""

    def __init__(self, store_dir: Path, timeout: float) -> None:
        self._lock = FileLock(str(store_dir / LOCK_FILE), timeout=timeout)
        self._store_dir = store_dir
        self._timeout = timeout

    def __enter__(self) -> StoreLock:
        ensure_store_dir(self._store_dir)
        try:
            self._lock.acquire()
        except Timeout as error:  # a TimeoutError, so before OSError
            raise StoreBusyError(
                f"Another process has been writing the index in {self._store_dir} for over {self._timeout:.0f} s; "
                "try again when it has finished."
            ) from error
        except OSError as error:
            raise write_error(self._store_dir, error) from error
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()
