"""Write a file whole or not at all: a reader (another process, the next start) never sees half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it over ``target``.

    The file is readable by every user (0o644), as a shared cache or articles folder needs; on any
    error the temporary file is removed and ``target`` keeps its old content.
    """
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as written:
        partial = Path(written.name)
        try:
            written.write(data)
        except BaseException:
            written.close()
            partial.unlink(missing_ok=True)
            raise
    try:
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
