"""Index storage: the CURRENT pointer, the build lock, and what the store may remove."""

from pathlib import Path

import pytest

from rag import BuildInProgressError, StoreBusyError, StoreWriteError
from rag.store_lock import store_lock
from rag.vectorstore import BUILD_MARKER, CURRENT, IndexCorruptError, load_store


def builds(store_dir: Path) -> list[str]:
    return sorted(p.name for p in store_dir.iterdir() if p.name.startswith("build-"))


@pytest.mark.parametrize(
    "damage",
    [b"\x9d", b"build-\xff\xfe", b"build-000000000000", b"../../etc", b"build-" + b"a" * 100],
)
def test_a_damaged_current_pointer_is_reported_and_rebuilt(small, damage: bytes):
    _, settings, open_ = small
    built = open_()
    pointer = settings.store_dir / CURRENT
    pointer.write_bytes(damage + pointer.read_bytes()[len(damage) :] if len(damage) == 1 else damage)
    with pytest.raises(IndexCorruptError, match=CURRENT):
        load_store(settings.store_dir)
    reopened = open_()
    assert reopened.action == "rebuilt" and CURRENT in reopened.reasons[0]
    assert load_store(settings.store_dir).index.count() == built.store.index.count()
    assert builds(settings.store_dir) == [reopened.store.path.name]


def test_current_as_a_folder_is_rebuilt_when_empty_and_named_when_not(small):
    _, settings, open_ = small
    open_()
    pointer = settings.store_dir / CURRENT
    pointer.unlink()
    pointer.mkdir()
    assert open_().action == "rebuilt" and pointer.is_file()
    pointer.unlink()
    pointer.mkdir()
    (pointer / "a user's file").write_text("kept")
    for _ in range(3):
        with pytest.raises(StoreWriteError, match="not empty"):
            open_()
    assert (pointer / "a user's file").read_text() == "kept"
    assert len(builds(settings.store_dir)) == 1, "failed retries leave no build folders behind"


def test_a_store_path_that_is_a_file_gets_a_clear_error(small):
    _, settings, open_ = small
    settings.store_dir.write_text("not a folder")
    with pytest.raises(StoreWriteError, match="not a folder"):
        open_()
    assert settings.store_dir.read_text() == "not a folder"


def test_the_store_removes_only_the_builds_it_made(small):
    _, settings, open_ = small
    store = settings.store_dir
    first = open_()
    users = [store / "build-2024-release", store / "build-0123456789ab", store / ".CURRENT.notes"]
    users[0].mkdir()
    (users[0] / "report.pdf").write_text("a user's work")
    users[1].mkdir()  # our naming pattern, but no marker: not provably ours
    users[2].write_text("a user's notes")
    orphan = store / "build-abcdefabcdef"  # a build of ours that was killed mid-save
    orphan.mkdir()
    (orphan / BUILD_MARKER).write_text("")
    rebuilt = open_(chunk_size=300)
    assert rebuilt.action == "rebuilt"
    assert not first.store.path.exists() and not orphan.exists()
    assert all(path.exists() for path in users)
    assert (users[0] / "report.pdf").read_text() == "a user's work"


def test_a_build_is_refused_while_another_process_writes_and_an_update_waits(small):
    _, settings, open_ = small
    built = open_()
    with store_lock(settings.store_dir):
        with pytest.raises(BuildInProgressError):
            open_(force_rebuild=True)
        with pytest.raises(StoreBusyError):
            open_(chunk_size=300, lock_timeout=0.1)
        assert open_().action == "reused", "an index that fits is still served during a build"
    assert load_store(settings.store_dir).path == built.store.path
