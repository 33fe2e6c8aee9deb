"""The outputs' pipeline (gis.publish): the stages in order, links from their results, identical builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sites import camera_photo, make_edition

from gis import publish
from gis.insight import analyse
from gis.publish import publish_site
from gis.stats import StatsResult

# The print, export and statistics stages (tested in their own files) write nothing here.
pytestmark = pytest.mark.usefixtures("site_only_stages")


def test_pages_link_prints_and_statistics_only_when_their_stages_wrote_them(tmp_path, monkeypatch):
    edition = make_edition(tmp_path / "p", count=3)
    publish_site(edition, tmp_path / "plain", with_print=True)
    plain = (tmp_path / "plain" / "index.html").read_text(encoding="utf-8")
    assert "print/index.html" not in plain and "stats/index.html" not in plain

    calls = []

    def fake_prints(ed, target, **kwargs):
        calls.append("prints")
        target.mkdir(parents=True, exist_ok=True)
        (target / "index.html").write_text("ok", encoding="utf-8")
        return [target / "index.html"]

    def fake_stats(ed, target, links):
        calls.append("statistics")
        # the statistics page links the prints exactly when they were written before it
        assert links.print_index == ("prints" in calls)
        return StatsResult(insight=analyse(ed))

    monkeypatch.setattr(publish, "write_prints", fake_prints)
    monkeypatch.setattr(publish, "write_stats", fake_stats)
    publish_site(edition, tmp_path / "full", with_print=True)
    assert calls == ["prints", "statistics"]  # the outputs' pipeline order
    full = (tmp_path / "full" / "index.html").read_text(encoding="utf-8")
    assert 'href="print/index.html"' in full and 'href="stats/index.html"' in full
    calls.clear()
    publish_site(edition, tmp_path / "noprint", with_print=False)
    assert calls == ["statistics"]
    noprint = (tmp_path / "noprint" / "index.html").read_text(encoding="utf-8")
    assert "print/index.html" not in noprint


def test_two_builds_are_byte_identical(tmp_path):
    photo = tmp_path / "p" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    camera_photo(photo)
    outs = []
    for k in range(2):
        edition = make_edition(
            tmp_path / "p", extra=[{"number": 77, "photo": "photo.jpg", "story": "写真つき"}]
        )
        out = tmp_path / f"site{k}"
        publish_site(edition, out, with_print=False)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert Path("photos/77-l.jpg") in files
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_every_local_link_of_every_page_in_every_language_resolves(tmp_path):
    """The English pages, a folder down, link the downloads, photos and calendars the default language's
    stages wrote: every src and href that is not a web address or an anchor names a file of the site."""
    root = tmp_path / "p"
    root.mkdir()
    camera_photo(root / "ok.jpg", size=(800, 600))
    edition = make_edition(root, count=6, extra=[{"number": 60, "photo": "ok.jpg", "story": "写真つき"}])
    out = tmp_path / "site"
    publish_site(edition, out, with_print=False)
    pages = sorted(out.rglob("*.html"))
    assert any(p.parts[-3] == "en" or "en" in p.relative_to(out).parts[:1] for p in pages)
    broken = []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for link in re.findall(r'(?:src|href)="([^"]+)"', html):
            if re.match(r"(?:[a-z]+:|#|//)", link) or "@@" in link:
                continue
            target = (page.parent / link.split("#")[0].split("?")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(out)} → {link}")
    assert broken == []
    assert (out / "en" / "places" / "60" / "index.html").read_text(encoding="utf-8").count(
        "../../../photos/60-"
    ) >= 1


def _site_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_a_rebuild_keeps_unchanged_pages_and_equals_a_clean_build(tmp_path, monkeypatch):
    """A rebuild into the same --out renders only the pages whose inputs changed (the others are the
    previous build's files, hard-linked: same inode), and the site is byte-identical to a clean build."""
    import shutil

    from projects import make_project, row

    from gis.build import build_site

    monkeypatch.undo()  # the whole pipeline here, every stage but the prints
    rows = [
        row(名称=f"サロン{k}", 所在地=f"和歌山県ミニ町西南町1-{k}", 参加費=f"{k}0円") for k in range(1, 6)
    ]
    project = make_project(tmp_path / "p", rows)
    out = tmp_path / "site"
    build_site(project, out, with_print=False)
    place = next(p for p in out.glob("places/*/index.html") if "サロン3" in p.read_text(encoding="utf-8"))
    inodes = {p: p.stat().st_ino for p in out.rglob("places/*/index.html")}
    build_site(project, out, with_print=False)  # nothing changed
    assert {p: p.stat().st_ino for p in out.rglob("places/*/index.html")} == inodes

    records = project / "data" / "records.csv"
    records.write_text(records.read_text(encoding="utf-8-sig").replace("30円", "300円"), encoding="utf-8-sig")
    build_site(project, out, with_print=False)
    assert "300円" in place.read_text(encoding="utf-8")
    english = out / "en" / place.relative_to(out)
    changed = [p for p in inodes if p.stat().st_ino != inodes[p]]
    assert sorted(changed) == sorted([place, english])  # rendered again, in both languages; the rest kept

    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".takara"))  # numbers.json comes along
    build_site(fresh, tmp_path / "clean", with_print=False)
    assert _site_files(out) == _site_files(tmp_path / "clean")
