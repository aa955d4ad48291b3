from pathlib import Path

import pytest

from rag.store_lock import (
    BuildInProgressError,
    StoreFullError,
    StoreWriteError,
    build_lock,
    check_room,
    ensure_store_dir,
    write_error,
)


def test_a_second_build_is_refused_while_the_first_holds_the_lock(tmp_path: Path):
    with build_lock(tmp_path / "store"), pytest.raises(BuildInProgressError) as error, build_lock(tmp_path / "store"):
        pass
    assert error.value.key == "build_in_progress"
    with build_lock(tmp_path / "store"):  # released when the first build ends
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
