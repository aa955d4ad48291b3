import logging
import os
from pathlib import Path

import pytest

from rag.articles import ArticlesError, clean_article, load_article, load_articles
from tests.conftest import SEEDS


def test_seed_articles_keep_title_and_outlet():
    loaded = load_articles(SEEDS)
    by_id = {a.doc_id: a for a in loaded.articles}
    assert len(by_id) == 5 and not loaded.skipped
    assert by_id["000_bf55ac0bceedb8fb"].title.startswith("لتجنب الأزمة في أوكرانيا")
    assert by_id["000_bf55ac0bceedb8fb"].source == "الجزيرة"
    assert by_id["001_682252450b7fb760"].source == "رويترز"
    assert by_id["003_a655eacadd409cf1"].source == "نورث برس"
    assert by_id["004_147c06deaea37dba"].source == "أوكرانيا برس"
    assert by_id["002_5f7f452c673ae9d5"].source is None


def test_cleaning_drops_what_is_not_article_text():
    texts = {a.doc_id: a.text for a in load_articles(SEEDS).articles}
    assert "U.S. President Joe Biden" not in texts["000_bf55ac0bceedb8fb"]
    assert "المصدر : الجزيرة" not in texts["000_bf55ac0bceedb8fb"]
    assert "دقائق القراءة" not in texts["001_682252450b7fb760"]
    assert "Getty Images" not in texts["001_682252450b7fb760"]
    assert "اقرأ أيضاً" not in texts["001_682252450b7fb760"]
    assert "اشترك في قناتنا" not in texts["004_147c06deaea37dba"]
    assert "حقوق النشر" not in texts["004_147c06deaea37dba"]
    assert "واشنطن – نورث برس" not in texts["003_a655eacadd409cf1"]
    # the article text itself stays
    assert "خطا أحمر" in texts["004_147c06deaea37dba"]
    assert "كوبا وإيران وكوريا الشمالية وسوريا" in texts["000_bf55ac0bceedb8fb"]


def test_long_paragraph_is_never_dropped_as_boilerplate():
    paragraph = "نص طويل عن التاريخ " * 20 + "حقوق النشر © تذكر هنا في وسط الفقرة."
    body, _, source = clean_article(paragraph)
    assert body == paragraph.strip()
    assert source is None


def test_title_is_headline_or_opening_words():
    _, title, _ = clean_article("عنوان قصير\n\nنص المقال هنا.")
    assert title == "عنوان قصير"
    long_first = "قال مسؤول كبير في الإدارة الأمريكية إن المحادثات ستعقد في جنيف الأسبوع المقبل بحضور الوفود كلها."
    _, title, _ = clean_article(long_first)
    assert title.endswith("…") and long_first.startswith(title[:-1])


def test_unreadable_files_are_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    (tmp_path / "good.txt").write_text("عنوان\n\nنص مقال صالح للقراءة.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        loaded = load_articles(tmp_path)
    assert [a.doc_id for a in loaded.articles] == ["good"]
    reasons = {s.path.name: s.reason for s in loaded.skipped}
    assert reasons == {
        "empty.txt": "empty after cleaning",
        "latin1.txt": "not valid UTF-8",
        "notes.md": "not a .txt file",
    }
    assert "latin1.txt" in caplog.text and "empty.txt" in caplog.text and "notes.md" in caplog.text


def test_missing_folder_and_folder_without_articles_are_named(tmp_path: Path):
    with pytest.raises(ArticlesError, match="not found: .*nowhere"):
        load_articles(tmp_path / "nowhere")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ArticlesError, match=str(tmp_path)):
        load_articles(tmp_path)


def test_article_id_checksum_and_windows_newlines(tmp_path: Path):
    path = tmp_path / "abc.txt"
    path.write_bytes("\ufeffعنوان\r\n\r\nالنص.".encode())
    article = load_article(path)
    assert article.doc_id == "abc"
    assert article.text == "عنوان\n\nالنص."
    assert len(article.checksum) == 64


def test_links_out_of_the_folder_are_not_followed(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("عنوان\n\nنص مقال صالح للقراءة.", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("كلمة السر السرية للخادم هي ١٢٣٤.", encoding="utf-8")
    (docs / "escape.txt").symlink_to(secret)
    (docs / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (docs / "alias.txt").symlink_to(docs / "good.txt")  # inside the folder: read
    loaded = load_articles(docs)
    assert sorted(a.doc_id for a in loaded.articles) == ["alias", "good"]
    assert all("السر" not in a.text for a in loaded.articles)
    reasons = {s.path.name: s.reason for s in loaded.skipped}
    assert reasons == {"broken.txt": "broken link", "escape.txt": "link to a file outside the articles folder"}


def test_everything_not_read_is_reported_with_a_reason(tmp_path: Path):
    (tmp_path / "good.txt").write_text("عنوان\n\nنص مقال صالح للقراءة.", encoding="utf-8")
    (tmp_path / "LOUD.TXT").write_text("نص", encoding="utf-8")
    (tmp_path / "notes.md").write_text("نص", encoding="utf-8")
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "inner.txt").write_text("نص", encoding="utf-8")
    (tmp_path / ".draft.txt").write_text("نص", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would block forever
    reasons = {s.path.name: s.reason for s in load_articles(tmp_path).skipped}
    assert reasons == {
        ".draft.txt": "hidden file",
        "2024": "a folder (subfolders are not read)",
        "LOUD.TXT": "extension .TXT (only lower-case .txt files are read)",
        "notes.md": "not a .txt file",
        "pipe.txt": "not a regular file",
    }


def test_articles_over_the_size_limit_are_skipped_before_reading(tmp_path: Path):
    (tmp_path / "good.txt").write_text("عنوان\n\nنص مقال صالح للقراءة.", encoding="utf-8")
    (tmp_path / "huge.txt").write_text("كلمة " * 5000, encoding="utf-8")
    loaded = load_articles(tmp_path, max_bytes=10_000)
    assert [a.doc_id for a in loaded.articles] == ["good"]
    [skipped] = loaded.skipped
    assert skipped.path.name == "huge.txt"
    assert skipped.reason == "too large (45 KB; the limit is 10 KB, RAG_MAX_ARTICLE_BYTES)"
