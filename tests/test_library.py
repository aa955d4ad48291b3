"""Adding and removing articles: conversion of uploads, refusals, the trash, the engine's incremental
update, and two writers at once (two real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag import PROJECT_ROOT, Engine, Upload
from rag.library import add_uploads, article_bytes, html_text, trash_articles

ARTICLES = {
    "geneva": "محادثات جنيف\n\nقال متحدث إن المحادثات الأمريكية الروسية ستعقد في العاشر من يناير في جنيف.\n",
    "sanctions": "عقوبات\n\nقد تستهدف العقوبات قطاعات الدفاع والطيران المدني في روسيا، وفق مصدر مطلع.\n",
}
FESTIVAL = "مهرجان الزهور\n\nافتتح مهرجان الزهور في مدينة الرباط يوم الخميس بمشاركة أربعين دولة من أنحاء العالم.\n"
LIMIT = 100_000


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (Latin letters, Helvetica), written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize(
    ("name", "data", "expected", "absent"),
    [
        (
            "a.md",
            "# العنوان\n\nنص **المقال** مع [رابط](http://x).\n",
            ["العنوان", "نص المقال مع رابط."],
            ["**", "http"],
        ),
        (
            "a.html",
            "<html><head><title>t</title><script>alert(1)</script></head><body><nav>قائمة</nav>"
            "<h1>العنوان</h1><p>الفقرة <b>الأولى</b>.</p><p>الثانية.</p></body></html>",
            ["t", "العنوان", "الفقرة الأولى.", "الثانية."],
            ["alert", "<", "قائمة"],
        ),
        ("a.pdf", pdf_with_text("Geneva talks on January 10."), ["Geneva talks on January 10."], []),
    ],
)
def test_markdown_html_and_pdf_become_plain_text(name: str, data: str | bytes, expected: list[str], absent: list[str]):
    raw = data if isinstance(data, bytes) else data.encode()
    text = article_bytes(Upload(name, raw), LIMIT).decode("utf-8")
    lines = [line for line in text.splitlines() if line]
    assert lines == expected
    assert not any(marker in text for marker in absent)


def test_a_txt_upload_is_copied_byte_for_byte(tmp_path: Path):
    data = ("\ufeff" + FESTIVAL).encode()
    written, skipped = add_uploads(tmp_path, tmp_path / "trash", [Upload("dir/festival.txt", data)], False, LIMIT)
    assert skipped == [] and [w.doc_id for w in written] == ["festival"]
    assert (tmp_path / "festival.txt").read_bytes() == data


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (Upload("x.exe", b"MZ"), "upload_type"),
        (Upload(".hidden.txt", FESTIVAL.encode()), "upload_bad_id"),
        (Upload("big.txt", b"x" * (LIMIT + 1)), "upload_too_large"),
        (Upload("latin1.txt", "café".encode("latin-1")), "upload_not_utf8"),
        (Upload("blank.md", b"   \n\n"), "upload_empty"),
        (Upload("scan.pdf", b"%PDF-1.4 not really"), "upload_bad_pdf"),
        (Upload("geneva.txt", FESTIVAL.encode()), "upload_id_taken"),
    ],
)
def test_refused_uploads_say_why_in_both_languages_and_change_nothing(tmp_path: Path, upload: Upload, code: str):
    (tmp_path / "geneva.txt").write_text(ARTICLES["geneva"], encoding="utf-8")
    written, skipped = add_uploads(tmp_path, tmp_path / "trash", [upload], False, LIMIT)
    assert written == [] and [s.code for s in skipped] == [code]
    assert upload.name in skipped[0].message("en") and upload.name in skipped[0].message("ar")
    assert skipped[0].message("en") != skipped[0].message("ar")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geneva.txt"]


def test_replace_and_remove_keep_the_old_text_in_the_trash(tmp_path: Path):
    docs, trash = tmp_path / "docs", tmp_path / "trash"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    written, _ = add_uploads(docs, trash, [Upload("geneva.txt", FESTIVAL.encode())], True, LIMIT)
    assert written[0].replaced and (docs / "geneva.txt").read_text(encoding="utf-8") == FESTIVAL
    removed, skipped = trash_articles(docs, trash, ["sanctions", "nope", "geneva"])
    assert [doc_id for doc_id, _ in removed] == ["sanctions"]
    assert [(s.name, s.code) for s in skipped] == [("nope", "article_not_found"), ("geneva", "last_article")]
    kept = sorted(path.read_text(encoding="utf-8") for path in trash.iterdir())
    assert kept == sorted([ARTICLES["geneva"], ARTICLES["sanctions"]])


def test_html_text_never_keeps_markup():
    assert "<" not in html_text("<p>a &lt;script&gt; b</p><script>x</script>").replace("<script>", "")


@pytest.fixture()
def small_engine(tmp_path: Path, engine: Engine) -> Engine:
    """An engine over two short articles, sharing the session's model."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
    return engine.with_settings(docs_dir=docs, store_dir=tmp_path / "store")


def test_engine_adds_an_article_answers_from_it_and_removes_it(small_engine: Engine):
    before = small_engine.info().passages
    added = small_engine.add_articles([Upload("festival.md", ("# " + FESTIVAL).encode()), Upload("bad.exe", b"")])
    assert added.added == ["festival"] and [s.code for s in added.skipped] == ["upload_type"]
    assert added.index_action == "updated" and added.passages_embedded == added.passages - before >= 1
    answer = added.engine.ask("كم دولة تشارك في مهرجان الزهور؟")
    assert not answer.abstained and answer.cited()[0].doc_id == "festival"
    assert "festival" in {a.doc_id for a in added.engine.info().articles}
    assert small_engine.ask("كم دولة تشارك في مهرجان الزهور؟").question  # the old engine still answers
    removed = added.engine.remove_articles(["festival"])
    assert removed.removed == ["festival"] and removed.trashed[0].parent.name == "trash"
    assert removed.passages_embedded == 0 and removed.passages == before
    assert "festival" not in {a.doc_id for a in removed.engine.info().articles}


def test_two_processes_adding_at_once_lose_no_article(small_engine: Engine, tmp_path: Path):
    settings = small_engine.settings
    uploads = []
    for name, place in (("rabat", "الرباط"), ("tunis", "تونس")):
        path = tmp_path / f"{name}.txt"
        path.write_text(FESTIVAL.replace("الرباط", place), encoding="utf-8")
        uploads.append(path)
    command = [sys.executable, "-m", "rag", "add", "--docs", str(settings.docs_dir), "--store", str(settings.store_dir)]
    writers = [
        subprocess.Popen([*command, str(path), "--json"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE) for path in uploads
    ]
    outputs = [json.loads(writer.communicate(timeout=600)[0]) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0]
    assert sorted(doc_id for output in outputs for doc_id in output["added"]) == ["rabat", "tunis"]
    listed = subprocess.run(
        [*command[:3], "list", "--docs", str(settings.docs_dir), "--store", str(settings.store_dir), "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    articles = {a["doc_id"] for a in json.loads(listed.stdout)["articles"]}
    assert articles == {"geneva", "sanctions", "rabat", "tunis"}
    assert "Updating" not in listed.stderr and "rebuilding" not in listed.stderr  # the list reused the index
