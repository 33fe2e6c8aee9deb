"""The HTML pages (gis.pages): every place and area page, breadcrumbs, escaping, CSP, no CDN, the
languages, and pages rendered by several processes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sites import HOSTILE, make_edition, numbers_in

from gis import pages
from gis import view as site_mod
from gis.place import STATUS_PAUSED
from gis.publish import publish_site

# The print, export and statistics stages (tested in their own files) write nothing here.
pytestmark = pytest.mark.usefixtures("site_only_stages")


def test_every_place_gets_a_page_and_an_entry_in_the_index_list(small_site):
    edition, out = small_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert numbers_in(index) == [p.number for p in edition.places]
    for p in edition.places:
        page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
        assert f"No.{p.number}" in page
        assert 'aria-label="現在の場所"' in page  # breadcrumbs
    # every district-tier area has a page listing exactly its own places
    for area_id, name in (("W", "西中学校区"), ("E", "東中学校区")):
        page = (out / "districts" / area_id / "index.html").read_text(encoding="utf-8")
        expected = [p.number for p in edition.places if p.areas["district"][0] == area_id]
        assert expected and numbers_in(page) == expected
        assert f"{name}の宝物マップ" in page


def test_place_page_breadcrumbs_follow_the_tiers(small_site):
    edition, out = small_site
    p = edition.places[0]
    page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.DOTALL).group(0)
    names = re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", crumbs)
    assert names == ["たから市", p.areas["district"][1], p.areas["town"][1], f"No.{p.number} {p.name}"]
    assert f'href="../../districts/{p.areas["district"][0]}/"' in crumbs
    assert f'href="../../areas/town-{p.areas["town"][0]}/"' in crumbs


def test_finer_tier_pages_are_linked_from_their_district(small_site):
    edition, out = small_site
    page = (out / "districts" / "W" / "index.html").read_text(encoding="utf-8")
    for town in ("W-S", "W-N"):
        if any(p.areas.get("town", ("",))[0] == town for p in edition.places):
            assert f'href="../../areas/town-{town}/"' in page
            town_page = (out / "areas" / f"town-{town}" / "index.html").read_text(encoding="utf-8")
            assert numbers_in(town_page) == [p.number for p in edition.places if p.areas["town"][0] == town]
    assert "E南町" not in page  # the other district's neighbourhoods are not listed


def test_paused_places_are_shown_marked_not_hidden(small_site):
    edition, out = small_site
    paused = [p for p in edition.places if p.status == STATUS_PAUSED]
    assert paused
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in paused:
        entry = re.search(
            rf'<li class="place is-paused" id="place-{p.number}".*?</li>', index, re.DOTALL
        ).group(0)
        assert "休止中" in entry


def test_record_text_is_escaped_everywhere(small_site):
    out = small_site[1]
    for page in [
        out / "index.html",
        out / "places" / "101" / "index.html",
        *(out / "districts").glob("*/index.html"),
    ]:
        html = page.read_text(encoding="utf-8")
        assert "<img src=x" not in html and "<script>window" not in html and 'onerror="window' not in html
    place = (out / "places" / "101" / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in place
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in place
    # data files carry the text as data (the JS sets it with textContent)
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    assert HOSTILE in index["name"]


def test_hostile_area_names_cannot_break_out_of_the_embedded_outline(tmp_path):
    edition = make_edition(
        tmp_path / "p", count=4, district_names=("</script><script>alert(1)</script>", "東")
    )
    publish_site(edition, tmp_path / "site", with_print=False)
    page = (tmp_path / "site" / "districts" / "W" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    data = re.search(r'<script type="application/json" id="area-data">(.*?)</script>', page, re.DOTALL).group(
        1
    )
    assert json.loads(data)["outline"]["properties"]["name"] == "</script><script>alert(1)</script>"


def test_pages_carry_a_content_security_policy_without_inline_script(small_site):
    out = small_site[1]
    for page in (
        out / "index.html",
        out / "places" / "1" / "index.html",
        out / "districts" / "W" / "index.html",
    ):
        html = page.read_text(encoding="utf-8")
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "https://cyberjapandata.gsi.go.jp" in csp
        # every script is a file of our own, or a JSON data block
        for attrs in re.findall(r"<script([^>]*)>", html):
            assert 'type="application/json"' in attrs or re.search(r'src="(\.\./)*assets/', attrs), attrs
        assert " style=" not in html  # style attributes would need 'unsafe-inline'


def test_no_cdn_or_remote_asset_is_referenced(small_site):
    _, out = small_site
    for path in [*out.glob("*.html"), *out.rglob("assets/*.css"), out / "assets" / "takara.js"]:
        text = path.read_text(encoding="utf-8")
        remote = set(re.findall(r"(?:src|href)=\"(https?://[^\"]+)", text))
        allowed = ("https://creativecommons.org/",)
        assert all(u.startswith(allowed) for u in remote), remote
    assert (out / "assets" / "vendor" / "leaflet" / "LICENSE").is_file()
    assert (out / "assets" / "vendor" / "supercluster" / "LICENSE").is_file()
    assert not (out / "assets" / "vendor" / "axe-core").exists()  # test-only


def test_without_javascript_the_lists_are_readable(small_site):
    edition, out = small_site
    index = (out / "index.html").read_text(encoding="utf-8")
    first = edition.places[0]
    entry = re.search(rf'id="place-{first.number}".*?</li>', index, re.DOTALL).group(0)
    for text in (first.name, "毎週 水曜日 10:00〜12:00", first.target, first.fee, first.activities, "サロン"):
        assert text in entry
    assert "<noscript>" in index


def test_large_projects_get_a_district_index_instead_of_a_full_list(tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "FULL_LIST_LIMIT", 5)
    edition = make_edition(tmp_path / "p", count=8)
    publish_site(edition, tmp_path / "site", with_print=False)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert numbers_in(index) == []
    assert 'id="place-pages"' in index
    assert 'href="districts/W/"' in index and 'href="districts/E/"' in index


def test_english_catalogue_renders_the_same_site_in_english(tmp_path):
    edition = make_edition(tmp_path / "p", count=3)
    publish_site(edition, tmp_path / "site", with_print=False)
    html = (tmp_path / "site" / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "List of places" in html and "一覧表" not in html
    place = (tmp_path / "site" / "en" / "places" / "1" / "index.html").read_text(encoding="utf-8")
    assert "Every Wednesday 10:00–12:00" in place


def test_pages_written_by_several_processes_are_the_same_bytes(tmp_path, monkeypatch):
    import subprocess
    import threading

    if threading.active_count() > 1:
        # Another test's threads (the shared browser) rightly rule out forking in this process: run alone.
        name = f"{__file__}::test_pages_written_by_several_processes_are_the_same_bytes"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent.parent,
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
        return
    edition = make_edition(tmp_path / "p", count=40)
    monkeypatch.setenv("TAKARA_WORKERS", "1")
    publish_site(edition, tmp_path / "serial", with_print=False)
    monkeypatch.setattr(pages, "PARALLEL_MIN", 10)
    monkeypatch.setenv("TAKARA_WORKERS", "2")
    assert threading.active_count() == 1  # otherwise the fork path is (rightly) not taken
    started = []
    real_run_jobs = pages.run_jobs

    def counting_run_jobs(jobs, workers=None, done=None):
        started.append(workers)
        return real_run_jobs(jobs, workers, done)

    monkeypatch.setattr(pages, "run_jobs", counting_run_jobs)
    publish_site(edition, tmp_path / "forked", with_print=False)
    # place pages and area pages, each language: two pools per language build
    assert started == [2] * 2 * len(site_mod.SITE_LANGS)
    serial = {
        p.relative_to(tmp_path / "serial"): p.read_bytes()
        for p in (tmp_path / "serial").rglob("*")
        if p.is_file()
    }
    forked = {
        p.relative_to(tmp_path / "forked"): p.read_bytes()
        for p in (tmp_path / "forked").rglob("*")
        if p.is_file()
    }
    assert len([p for p in serial if p.parts[0] == "places"]) == 40 and any(
        p.parts[0] == "districts" for p in serial
    )
    assert serial.keys() == forked.keys()
    assert [p for p in serial if serial[p] != forked[p]] == []
