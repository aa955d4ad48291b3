import stat
from pathlib import Path

import pytest

from rag.atomic_files import write_atomically


def test_writes_the_whole_content_readable_by_all(tmp_path: Path):
    target = tmp_path / "article.txt"
    write_atomically(target, "نص المقال".encode())
    assert target.read_text(encoding="utf-8") == "نص المقال"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["article.txt"]


def test_replaces_an_existing_file(tmp_path: Path):
    target = tmp_path / "article.txt"
    target.write_text("old", encoding="utf-8")
    write_atomically(target, b"new")
    assert target.read_text(encoding="utf-8") == "new"


def test_a_failed_rename_keeps_the_old_content_and_leaves_no_partial_file(tmp_path: Path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("kept", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert (target / "inside").read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
