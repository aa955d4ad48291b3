import threading
import time
from pathlib import Path

import pytest

from rag.errors import StoreBusyError
from rag.store_lock import (
    BuildInProgressError,
    StoreFullError,
    StoreWriteError,
    check_room,
    ensure_store_dir,
    store_lock,
    write_error,
)


def test_a_second_build_is_refused_while_the_first_holds_the_lock(tmp_path: Path):
    with store_lock(tmp_path / "store"), pytest.raises(BuildInProgressError) as error, store_lock(tmp_path / "store"):
        pass
    assert error.value.key == "build_in_progress"
    with store_lock(tmp_path / "store"):  # released when the first build ends
        pass


def test_an_update_waits_for_the_writer_before_it_and_says_so_when_it_waited_too_long(tmp_path: Path):
    store = tmp_path / "store"
    taken, order = threading.Event(), []

    def first_writer() -> None:
        with store_lock(store):
            taken.set()
            time.sleep(0.3)  # the second writer is waiting meanwhile
            order.append("first done")

    thread = threading.Thread(target=first_writer)
    thread.start()
    taken.wait()
    with store_lock(store, wait=60):
        order.append("second")
    thread.join()
    assert order == ["first done", "second"]
    with store_lock(store), pytest.raises(StoreBusyError), store_lock(store, wait=0.1):
        pass


def test_a_store_path_that_is_a_file_is_named_not_overwritten(tmp_path: Path):
    store = tmp_path / "store"
    store.write_text("a user's file")
    with pytest.raises(StoreWriteError, match="not a folder"):
        ensure_store_dir(store)
    assert store.read_text() == "a user's file"


def test_too_little_room_is_found_before_any_work(tmp_path: Path):
    with pytest.raises(StoreFullError) as error:
        check_room(tmp_path, needed_bytes=1 << 60)
    assert error.value.values["free"].endswith("MiB")


def test_failed_writes_become_store_errors(tmp_path: Path):
    assert isinstance(write_error(tmp_path, OSError(28, "No space left on device")), StoreFullError)
    read_only = OSError(30, "Read-only file system")
    assert isinstance(write_error(tmp_path, read_only), StoreWriteError)
    assert "Read-only" in str(write_error(tmp_path, read_only))
