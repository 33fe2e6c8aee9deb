"""Printed district maps and guidebooks (gis.printing): what a resident or a council holds on paper.

The PDFs are built once per module: the bundled demo (たから市, A4 and A3, every kind) and a Kurashiki
project on the real 26 junior-high districts (A4 sheets and the guidebook). Text is read back with
pypdf, first pages are rendered with pdftoppm into test-artifacts/ for review, and QR codes are decoded
with zbarimg (zbar-tools)."""

from __future__ import annotations

import io
import json
import math
import re
import resource
import shutil
import subprocess
import threading
import time
import unicodedata
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from conftest import REPO, shared_path
from kurashiki import make_kurashiki_project
from PIL import Image
from projects import make_project, row
from pypdf import PdfReader

from gis.build import build_site
from gis.config import load_project
from gis.edition import Edition
from gis.output import RenderCache, usable_cpus
from gis.photos import large_files, write_photos
from gis.pipeline import read_all, run
from gis.printing import (
    GUIDEBOOK,
    GUIDEBOOK_LARGE,
    NO_LINE_START,
    SPLIT_AT,
    build_model,
    default_cache,
    district_pdf_name,
    district_url,
    print_files,
    wrap_ja,
    write_prints,
)
from gis.printpdf import map_inputs_key
from gis.report import WITHHELD, Report
from gis.validate import validate_rows
from gis.view import Catalogue, SiteModel

WEEKDAYS = "月火水木金土日"
PHONE = r"0\d{1,4}-\d{1,4}-\d{4}"
BUILT: dict[str, Built] = {}


def norm(text: str) -> str:
    """Text as compared: NFKC, no whitespace, one kind of wave dash (fonts map 〜 and ～ alike)."""
    text = unicodedata.normalize("NFKC", text).replace("〜", "~").replace("～", "~")
    return re.sub(r"\s+", "", text)


@dataclass
class Built:
    name: str
    edition: Edition
    out: Path
    seconds: float
    cpu_seconds: float
    paths: list[Path]
    rendered: int = 0  # PDFs rendered by this build, and taken from the project's render cache
    reused: int = 0
    _pages: dict[str, list[str]] = field(default_factory=dict)

    def pages(self, pdf: str) -> list[str]:
        if pdf not in self._pages:
            self._pages[pdf] = [page.extract_text() for page in PdfReader(self.out / pdf).pages]
        return self._pages[pdf]

    def text(self, pdf: str) -> str:
        return norm("".join(self.pages(pdf)))

    @property
    def districts(self) -> list[tuple[str, str]]:
        gdf = self.edition.boundaries[self.edition.project.district_tier.id]
        return list(zip(gdf["area_id"].astype(str), gdf["area_name"].astype(str)))

    def places_of(self, area_id: str) -> list:
        return self.edition.places_in(self.edition.project.district_tier.id, area_id)


def cpu_time() -> float:
    """This process's CPU time and its finished workers' (the PDFs are rendered in forked processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def build(name: str, project_root: Path, out: Path, **kwargs) -> Built:
    """The prints of a project, on every CPU, through the project's own render cache: a PDF is reused only
    when its HTML, images, CSS, fonts and renderer are byte for byte what made it (tested below)."""
    edition = run(load_project(project_root))
    cache = default_cache(edition)
    wall, cpu = time.perf_counter(), cpu_time()
    photos = large_files(write_photos(edition, out.parent), out.parent)  # the stage before, in gis.publish
    paths = write_prints(edition, out, cache=cache, photos=photos, **kwargs)
    BUILT[name] = Built(name, edition, out, time.perf_counter() - wall, cpu_time() - cpu, paths)
    BUILT[name].rendered, BUILT[name].reused = len(cache.rendered), len(cache.reused)
    return BUILT[name]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Built:
    if not (REPO / "takara.toml").is_file():
        pytest.fail("the bundled demo (takara.toml, data/, layers/) is missing from the repository")
    site = tmp_path_factory.mktemp("demo-site")
    return build("demo", REPO, site / "print")


@pytest.fixture(scope="module")
def kurashiki(tmp_path_factory) -> Built:
    shared = shared_path("data", "kurashiki")
    root = make_kurashiki_project(tmp_path_factory.mktemp("kurashiki"), shared)
    site = tmp_path_factory.mktemp("kurashiki-site")
    # The guidebooks come from the same templates as the demo's (tested there); the 26 district sheets are
    # what this real city adds, and leaving the books out keeps the run short.
    return build("kurashiki", root, site / "print", kinds=("districts",))


@pytest.fixture(params=["demo", "kurashiki"])
def built(request) -> Built:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module", autouse=True)
def record_figures(artifacts):
    """Timings and page counts of the builds in this module, for the README and for review."""
    yield
    figures = {}
    for name, b in sorted(BUILT.items()):
        figures[name] = {
            "places": len(b.edition.places),
            "districts": len(b.districts),
            "seconds_wall": round(b.seconds, 1),
            "seconds_cpu": round(b.cpu_seconds, 1),
            "pdfs_rendered": b.rendered,
            "pdfs_reused": b.reused,
            "pages": {p.name: len(PdfReader(p).pages) for p in b.paths if p.suffix == ".pdf"},
        }
    if figures:
        (artifacts / "print-figures.json").write_text(
            json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


def withheld_names(b: Built) -> list[str]:
    """Names of withheld rows that cannot be confused with a published place's text."""
    published = [norm(f"{p.name} {p.venue} {p.activities} {p.target} {p.address}") for p in b.edition.places]
    names = {norm(r.name) for r in b.edition.report.rows if r.outcome == WITHHELD and r.name}
    return sorted(n for n in names if len(n) >= 3 and not any(n in text for text in published))


def render_first_page(pdf: Path, target: Path, dpi: int = 60) -> Path:
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", "-png", str(pdf), str(stem)],
        check=True,
    )
    return stem.with_suffix(".png")


# ---------------------------------------------------------------- what is printed


def test_every_district_gets_a_sheet_and_the_index_links_every_pdf(built):
    names = {p.name for p in built.paths}
    expected = {district_pdf_name(area_id) for area_id, _ in built.districts}
    if built.name == "demo":
        expected |= {GUIDEBOOK, GUIDEBOOK_LARGE}
        assert set(print_files(built.edition)) == expected
    assert expected <= names
    index = (built.out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{name}"' in index for name in names if name.endswith(".pdf"))
    assert all((built.out / href).is_file() for href in re.findall(r'href="([^"]+\.pdf)"', index))


def test_district_sheets_list_every_published_place_with_its_number_and_nothing_withheld(built):
    hidden = withheld_names(built)
    if built.name == "demo":
        assert hidden, "the demo should have withheld rows to check against"
    for area_id, area_name in built.districts:
        text = built.text(district_pdf_name(area_id))
        assert norm(area_name) in text
        for p in built.places_of(area_id):
            # the list row starts with the same No. as the website, then the name
            assert f"{p.number}{norm(p.name)}" in text, (area_name, p.number, p.name)
        for name in hidden:
            assert name not in text, (area_name, name)


def test_paused_places_say_so_and_phones_are_only_the_consented_ones(demo):
    for area_id, _ in demo.districts:
        text = demo.text(district_pdf_name(area_id))
        for p in demo.places_of(area_id):
            if p.status == "休止中":
                after = text[text.index(f"{p.number}{norm(p.name)}") :][:200]
                assert "休止中" in after
            if p.phone:
                assert norm(p.phone) in text
    # a phone the coordinator did not consent to publish (or of a withheld record) never reaches paper
    project = demo.edition.project
    everyone = validate_rows(read_all(project, Report()), project, Report())
    published = {m for p in demo.edition.places for m in re.findall(PHONE, norm(p.phone))}
    private = {m for p in everyone for m in re.findall(PHONE, norm(p.contact))} - published
    assert private, "the demo should have phone numbers without consent"
    for pdf in [GUIDEBOOK] + [district_pdf_name(a) for a, _ in demo.districts]:
        assert not private & set(re.findall(PHONE, demo.text(pdf))), pdf


def test_numbers_on_the_map_are_the_numbers_of_the_list(built):
    """The map pages come first: their marker numbers are real text, the same numbers the list and
    website use. A crowded district is split into an overview (no numbers) and one map per group of
    finer areas; every place is numbered on exactly one of them."""
    split = 0
    for area_id, area_name in built.districts:
        pages = PdfReader(built.out / district_pdf_name(area_id)).pages
        maps = [page.extract_text() for page in pages if "縮尺" in page.extract_text()]
        numbered = [
            [int(line) for line in text.split("\n") if re.fullmatch(r"\d+", line.strip())] for text in maps
        ]
        numbered = [[n for n in nums if n] for nums in numbered]
        places = {p.number for p in built.places_of(area_id)}
        if len(maps) == 1:
            assert set(numbered[0]) == places, area_name
            continue
        split += 1
        assert len(places) > SPLIT_AT and numbered[0] == [], area_name  # the overview has dots only
        every = [n for nums in numbered[1:] for n in nums]
        assert sorted(every) == sorted(places), area_name  # each place on exactly one part's map
        assert all(0 < len(nums) < len(places) for nums in numbered[1:])  # a real split, no empty sheet
    if built.name == "demo":
        assert split, "the demo should have a district crowded enough to be split"


def test_the_website_and_the_print_agree_on_district_pages(built):
    model = SiteModel(built.edition, Catalogue("ja"))
    base = built.edition.project.site.base_url
    assert base
    for area in model.districts:
        assert district_url(built.edition.project, area.id) == base + area.url
        assert district_pdf_name(area.id) == f"district-{area.slug}.pdf"


def test_qr_codes_open_the_district_page(built, tmp_path):
    if not shutil.which("zbarimg"):
        pytest.fail("zbarimg (Debian zbar-tools) is needed to decode the QR codes")
    checked = built.districts if built.name == "demo" else built.districts[::6]
    for area_id, _ in checked:
        png = render_first_page(
            built.out / district_pdf_name(area_id), tmp_path / f"qr-{area_id}.png", dpi=150
        )
        decoded = subprocess.run(
            ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert decoded == [district_url(built.edition.project, area_id)]


def test_a_long_district_continues_over_pages_with_the_header_repeated(demo):
    counts = {area_id: len(demo.places_of(area_id)) for area_id, _ in demo.districts}
    big = max(counts, key=counts.get)
    assert counts[big] >= 60, "the demo should have a district with 60 or more places"
    pages = [page for page in demo.pages(district_pdf_name(big)) if "縮尺" not in page]
    assert len(pages) >= 4
    for page in pages:  # every list page: the column headings again, and rows
        assert "名称・種類" in page and "開催日・時間" in page
        assert re.search(r"^\d+ ", page, re.MULTILINE)


def test_page_counts_follow_the_number_of_places(built):
    pages = {a: len(PdfReader(built.out / district_pdf_name(a)).pages) for a, _ in built.districts}
    counts = {a: len(built.places_of(a)) for a, _ in built.districts}
    for a, pages_a in pages.items():
        assert pages_a >= 2  # the map, then the list (a crowded district: more maps, and a longer list)
        for b, pages_b in pages.items():
            if counts[a] >= counts[b] + 25:
                assert pages_a > pages_b, (counts[a], pages_a, counts[b], pages_b)


def test_the_map_page_turns_with_the_district_and_the_list_stays_portrait(demo):
    gdf = demo.edition.boundaries[demo.edition.project.district_tier.id].to_crs(6690)  # metres (JGD2011 UTM)
    turned = set()
    for area_id, _ in demo.districts:
        pages = PdfReader(demo.out / district_pdf_name(area_id)).pages
        w, h = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
        assert sorted((round(w), round(h))) == [595, 842]  # A4
        minx, miny, maxx, maxy = gdf.loc[gdf["area_id"] == area_id].geometry.iloc[0].bounds
        assert (w > h) == ((maxx - minx) > (maxy - miny))
        turned.add(w > h)
        lists = [p for p in pages if "縮尺" not in p.extract_text()]
        assert lists and all(float(p.mediabox.height) > float(p.mediabox.width) for p in lists)
    assert turned == {True, False}, "the demo should have both a wide and a tall district"


def test_a3_sheets_are_the_a4_sheet_enlarged(tiny, tmp_path, artifacts):
    paths = write_prints(tiny, tmp_path / "print", sizes=("A4", "A3"), kinds=("districts",))
    a4, a3 = (PdfReader(tmp_path / "print" / district_pdf_name("A", size)) for size in ("A4", "A3"))
    assert len(a4.pages) == len(a3.pages)
    for p4, p3 in zip(a4.pages, a3.pages):
        assert round(float(p3.mediabox.width) / float(p4.mediabox.width), 2) == 1.41
        assert round(float(p3.mediabox.height) / float(p4.mediabox.height), 2) == 1.41
        assert norm(p3.extract_text()) == norm(p4.extract_text())
    assert tmp_path / "print" / "district-B-a3.pdf" in paths
    render_first_page(
        tmp_path / "print" / district_pdf_name("A", "A3"), artifacts / "print-tiny-district-a3.png"
    )


# ---------------------------------------------------------------- the guidebook


def test_guidebook_has_contents_with_true_page_numbers(demo):
    pages = demo.pages(GUIDEBOOK)
    toc = next(i for i, p in enumerate(pages) if "もくじ" in p)
    entries = re.findall(r"^(.+?)（(\d+)か所）[.\s]*(\d+)$", pages[toc], re.MULTILINE)
    assert len(entries) == len(demo.districts)
    tier = norm(demo.edition.project.district_tier.name)
    for name, count, page in entries:
        # the district's chapter opens on that page: its heading, then the tier and the count
        assert f"{norm(name)}{tier}|{count}か所" in norm(pages[int(page) - 1]), (name, page)
        area_id = next(a for a, n in demo.districts if n == name.strip())
        assert int(count) == len(demo.places_of(area_id))
    # page numbers are printed at the foot of the pages after the cover
    assert pages[toc].strip().endswith(str(toc + 1))


def test_guidebook_lists_every_place_and_nothing_withheld(demo):
    text = demo.text(GUIDEBOOK)
    for p in demo.edition.places:
        assert f"{p.number}{norm(p.name)}" in text, (p.number, p.name)
    for name in withheld_names(demo):
        assert name not in text
    assert len(demo.pages(GUIDEBOOK)) > 2 * len(demo.districts)


def test_weekday_index_puts_places_under_the_days_they_meet(demo):
    text = demo.text(GUIDEBOOK)
    start = text.index("さくいん(曜日別)", text.index("さくいん(種類別)") + 10)
    # the index ends where the undated places begin, or else at the first district's chapter
    ends = [
        text.find(marker, start)
        for marker in ("曜日が決まっていない", norm(demo.edition.project.district_tier.name))
    ]
    end = min(e for e in ends if e > 0)
    sections = re.split(r"([月火水木金土日]曜日)\(\d+か所\)", text[start:end])
    by_day = {sections[i][0]: sections[i + 1] for i in range(1, len(sections), 2)}
    assert set(by_day) == set(WEEKDAYS)
    names = [norm(p.name) for p in demo.edition.places]
    checked = 0
    for p in demo.edition.places:
        if names.count(norm(p.name)) != 1 or p.schedule is None or not p.schedule.parsed:
            continue
        days = p.schedule.occurs_on_weekdays()
        for i, day in enumerate(WEEKDAYS):
            entry = f"{p.number}{norm(p.name)}"
            assert (entry in by_day[day]) == (i in days), (p.name, p.schedule_text, day)
        checked += 1
    assert checked > 50


def test_guidebook_has_contacts_treasures_and_the_fictional_label(demo):
    text = demo.text(GUIDEBOOK)
    for c in demo.edition.project.site.contacts:
        assert norm(c.name) in text and norm(c.phone) in text
    assert "架空の町のデモです" in text
    stories = [p for p in demo.edition.places if p.story]
    assert stories
    for p in stories:
        assert norm(p.story)[:30] in text


def test_photos_are_embedded_without_metadata(demo):
    with_photo = [p for p in demo.edition.places if p.photo]
    assert with_photo, "the demo should have consented photos"
    jpegs = []
    for page in PdfReader(demo.out / GUIDEBOOK).pages:
        for xobject in page["/Resources"].get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image" and xobject.get("/Filter") == "/DCTDecode":
                jpegs.append(xobject.get_data())  # the JPEG file as embedded, not decoded
    assert len(jpegs) >= len(with_photo)
    for data in jpegs:
        assert data[:2] == b"\xff\xd8"
        assert (
            b"Exif" not in data[:65536]
            and b"GPS" not in data[:65536]
            and b"http://ns.adobe.com/xap" not in data
        )


def test_large_print_is_one_column_and_no_text_under_14pt(demo):
    reader = PdfReader(demo.out / GUIDEBOOK_LARGE)
    assert len(reader.pages) > len(demo.pages(GUIDEBOOK))
    checked, label_x = 0, set()
    for page in reader.pages:
        chunks: list[tuple[str, float, int]] = []

        def visit(text, cm, tm, font, size, chunks=chunks):
            if text.strip():
                scale = math.sqrt(abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2]))
                chunks.append((text.strip(), size * scale, round(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])))

        page.extract_text(visitor_text=visit)
        if not chunks or any("縮尺" in t for t, _, _ in chunks):
            continue  # a map page: the map's own labels are part of the picture, enlarged with it
        smallest = min(chunks, key=lambda c: c[1])
        assert smallest[1] >= 13.9, smallest
        label_x |= {x for t, _, x in chunks if t == "日時"}
        checked += 1
    assert checked > len(reader.pages) / 2
    # one column: every entry's 日時 label starts at the same left edge
    assert len(label_x) == 1, label_x


def test_no_printed_line_starts_with_a_closing_mark_or_small_kana(demo):
    """禁則: 、。」） ー and small kana never begin a line (pypdf returns one line per printed line)."""
    lines = [
        line.strip()
        for pdf in (GUIDEBOOK, district_pdf_name(demo.districts[0][0]))
        for page in demo.pages(pdf)
        for line in page.split("\n")
        if line.strip()
    ]
    assert len(lines) > 1500
    assert [line for line in lines if line[0] in NO_LINE_START] == []


def test_fonts_are_noto_cjk_and_embedded(built):
    names = [district_pdf_name(built.districts[0][0])] + (
        [GUIDEBOOK, GUIDEBOOK_LARGE] if built.name == "demo" else []
    )
    for name in names:
        fonts = {}
        for page in PdfReader(built.out / name).pages:
            for font in page["/Resources"].get("/Font", {}).values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                descriptor = descendant["/FontDescriptor"].get_object()
                fonts[str(font["/BaseFont"])] = any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
        assert fonts and all(fonts.values()), fonts
        assert any("Noto-Sans-CJK-JP" in f or "NotoSansCJKjp" in f for f in fonts), fonts


def test_first_pages_rendered_for_review(built, artifacts):
    kinds = {"district": district_pdf_name(max(built.districts, key=lambda d: len(built.places_of(d[0])))[0])}
    if built.name == "demo":
        kinds |= {"guidebook": GUIDEBOOK, "guidebook-large": GUIDEBOOK_LARGE}
    for kind, pdf in kinds.items():
        png = render_first_page(built.out / pdf, artifacts / f"print-{built.name}-{kind}.png")
        pixels = np.asarray(Image.open(png).convert("L"))
        assert (pixels < 128).mean() > 0.01  # not a blank page
    if built.name != "demo":
        return
    # and the pages a reviewer most wants: contents, how to read it, the city map, the first index
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-f",
            "2",
            "-l",
            "5",
            "-png",
            str(built.out / GUIDEBOOK),
            str(artifacts / f"print-{built.name}-guidebook-page"),
        ],
        check=True,
    )


# ---------------------------------------------------------------- small pieces, on the tiny project


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Edition:
    rows = [row(名称=f"西南サロン{i}", 所在地="和歌山県ミニ町西南町1-2") for i in range(1, 4)]
    rows += [
        row(
            名称="東北体操クラブ",
            種別="体操",
            所在地="和歌山県ミニ町東北町一丁目3",
            開催日時="毎朝6時30分から",
        ),
        row(名称="秘密のお茶会", 掲載可否="不可"),
    ]
    root = make_project(tmp_path_factory.mktemp("tiny"), rows)
    return run(load_project(root))


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_one_process_every_cpu_and_a_rebuild_give_byte_identical_prints(tiny, tmp_path):
    """Every PDF rendered (fresh caches) once in this process and once spread over the CPUs; then a
    rebuild over the second cache renders nothing, sooner, and gives the same bytes again."""
    serial, parallel = RenderCache(tmp_path / "cache-1"), RenderCache(tmp_path / "cache-n")
    started = time.perf_counter()
    a = write_prints(tiny, tmp_path / "a" / "print", workers=1, cache=serial)
    rendered_in = time.perf_counter() - started
    b = write_prints(tiny, tmp_path / "b" / "print", workers=max(2, usable_cpus()), cache=parallel)
    pdfs = sorted(p.name for p in a if p.suffix == ".pdf")
    assert pdfs == ["district-A.pdf", "district-B.pdf", GUIDEBOOK_LARGE, GUIDEBOOK]
    assert [p.name for p in a] == [p.name for p in b]
    assert sorted(serial.rendered) == sorted(parallel.rendered) == pdfs
    assert folder_bytes(tmp_path / "a") == folder_bytes(tmp_path / "b")

    again = RenderCache(tmp_path / "cache-n")
    started = time.perf_counter()
    write_prints(tiny, tmp_path / "c" / "print", cache=again)
    reused_in = time.perf_counter() - started
    assert again.rendered == [] and sorted(again.reused) == pdfs
    assert folder_bytes(tmp_path / "c") == folder_bytes(tmp_path / "a")
    assert reused_in < rendered_in / 3, f"rendering took {rendered_in:.1f} s, reusing {reused_in:.1f} s"

    meta = PdfReader(a[0]).metadata  # the only date in a PDF is the edition's
    assert (
        meta.creation_date.date().isoformat()
        == meta.modification_date.date().isoformat()
        == tiny.project.site.edition
    )


def test_one_edited_row_remakes_its_district_and_the_guidebooks_and_matches_a_clean_build(tmp_path):
    """The whole site, built, edited in one row of district A, rebuilt into the same --out: only A's
    sheet and the two guidebooks are written anew (a reused PDF keeps its time), and the folder is
    byte-identical to a clean build of the edited project into a fresh folder."""
    rows = [row(名称=f"西南サロン{i}", 所在地="和歌山県ミニ町西南町1-2") for i in range(1, 3)]
    rows.append(row(名称="東北体操クラブ", 種別="体操", 所在地="和歌山県ミニ町東北町一丁目3"))
    root = make_project(tmp_path / "project", rows)
    out = tmp_path / "site"
    build_site(root, out, tmp_path / "report.json")

    def pdf_times() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in sorted((out / "print").glob("*.pdf"))}

    def maps_drawn() -> dict[str, int]:  # the maps kept in the project's cache, and when each was drawn
        return {
            p.name: p.stat().st_mtime_ns for p in (root / ".takara" / "cache" / "print" / "maps").iterdir()
        }

    before, site_before, maps = pdf_times(), folder_bytes(out), maps_drawn()
    assert any(name.startswith("overview") for name in maps) and len(maps) >= 2 * 3 + 2
    time.sleep(0.05)  # a re-made file gets a later time than any of the first build's
    build_site(root, out, tmp_path / "report.json")
    assert pdf_times() == before, "a rebuild without changes rendered a PDF again"
    assert maps_drawn() == maps, "a rebuild without changes drew a map again"
    assert folder_bytes(out) == site_before

    rows[0] = row(名称="西南サロン1", 所在地="和歌山県ミニ町西南町1-2", 開催日時="毎週金曜日 13:00～15:00")
    make_project(root, rows)  # the same project, one row edited (and the numbers kept)
    build_site(root, out, tmp_path / "report.json")
    after = pdf_times()
    remade = {name for name in after if after[name] != before[name]}
    assert remade == {"district-A.pdf", GUIDEBOOK, GUIDEBOOK_LARGE}
    assert maps_drawn() == maps, "a new meeting day moves no marker: no map is drawn again"
    assert "金曜日" in norm(
        " ".join(p.extract_text() for p in PdfReader(out / "print" / "district-A.pdf").pages)
    )

    clean_root = shutil.copytree(root, tmp_path / "clean-project", ignore=shutil.ignore_patterns(".takara"))
    build_site(clean_root, tmp_path / "clean-site", tmp_path / "clean-report.json")
    assert folder_bytes(out) == folder_bytes(tmp_path / "clean-site")


def test_maps_are_drawn_again_when_a_place_moves_or_changes_kind_but_not_for_its_schedule(tiny):
    model = build_model(tiny)
    key = map_inputs_key(model)
    first = tiny.places[0]

    def edited(**change: str) -> Edition:
        return replace(tiny, places=[replace(first, **change), *tiny.places[1:]])

    model.edition = edited(schedule_text="毎週金曜日", phone="0866-00-9999")
    assert map_inputs_key(model) == key
    model.edition = edited(category="exercise" if first.category != "exercise" else "salon")
    assert map_inputs_key(model) != key
    model.edition = tiny
    x, y = model.xy[first.number]
    model.xy[first.number] = (x + 5.0, y)
    assert map_inputs_key(model) != key


def test_district_urls_and_file_names(tiny):
    project = tiny.project
    assert district_url(project, "A") == "https://example.org/mini/districts/A/"
    project.site.base_url = "https://example.org/mini"
    assert district_url(project, "A") == "https://example.org/mini/districts/A/"
    project.site.base_url = ""
    assert district_url(project, "A") == "districts/A/"
    project.site.base_url = "https://example.org/mini/"
    # a Japanese or unsafe id becomes the same stable folder name the website uses
    assert re.fullmatch(r"district-a[0-9a-f]{12}\.pdf", district_pdf_name("中央/地区"))
    assert district_pdf_name("A", "A3") == "district-A-a3.pdf"


def test_wrapping_for_map_text_keeps_closing_brackets_with_their_word():
    lines = wrap_ja("「国土数値情報（行政区域データ）」（国土交通省）を加工して作成", 30, 6)
    assert len(lines) > 1
    assert not any(line[0] in "）」、。" for line in lines)
    assert "".join(lines) == "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


def test_unknown_paper_size_is_refused_in_plain_words(tiny, tmp_path):
    from gis.errors import OutputError

    with pytest.raises(OutputError, match="A4"):
        write_prints(tiny, tmp_path / "print", sizes=("B5",))


# ---------------------------------------------------------------- sizes, line breaks and labels, read with pdfplumber


def map_pages(pdf: Path) -> list:
    """The pages of a PDF that carry a map (its footer's scale bar says 縮尺), as pdfplumber pages."""
    return [page for page in pdfplumber.open(pdf).pages if "縮尺" in (page.extract_text() or "")]


def marker_sizes(page, numbers: set[int]) -> list[float]:
    """Sizes of the bold place numbers on a map page (the markers)."""
    words = page.extract_words(extra_attrs=["size", "fontname"])
    return [
        w["size"]
        for w in words
        if w["text"].isdigit() and int(w["text"]) in numbers and "Bold" in w["fontname"]
    ]


def test_marker_numbers_are_9pt_on_a4_and_14pt_in_large_print(demo):
    for area_id, name in demo.districts:
        numbers = {p.number for p in demo.places_of(area_id)}
        sizes = [
            s
            for page in map_pages(demo.out / district_pdf_name(area_id))
            for s in marker_sizes(page, numbers)
        ]
        assert len(sizes) >= len(numbers), name  # every marker's number is there, as text
        assert min(sizes) >= 9.0, (name, min(sizes))
    everyone = {p.number for p in demo.edition.places}
    for pdf, least in ((GUIDEBOOK, 9.0), (GUIDEBOOK_LARGE, 13.9)):
        sizes = [s for page in map_pages(demo.out / pdf) for s in marker_sizes(page, everyone)]
        assert len(sizes) >= len(everyone), pdf
        assert min(sizes) >= least, (pdf, min(sizes))


def test_body_text_is_10_5pt_and_14pt_in_large_print(demo):
    """Every character outside the maps: lists, indexes, stories, headers and page numbers."""
    checks = [(GUIDEBOOK, 10.45), (GUIDEBOOK_LARGE, 13.9)]
    checks += [(district_pdf_name(area_id), 10.45) for area_id, _ in demo.districts]
    for pdf, least in checks:
        checked = 0
        for page in pdfplumber.open(demo.out / pdf).pages:
            chars = [c for c in page.chars if c["text"].strip()]
            if not chars or any(c["text"] == "縮" for c in chars):
                continue  # a map page: the map's own labels are drawn with the map
            smallest = min(chars, key=lambda c: c["size"])
            assert smallest["size"] >= least, (pdf, page.page_number, smallest["text"], smallest["size"])
            checked += 1
        assert checked, pdf


UNIT_START = re.compile(r"^(?:円|歳|時|分|人|名|回|か所|ヶ所|箇所|件|日(?!の)|月|年|%|％|km|ｍ|m(?![a-z]))")


def line_starts(page) -> list[tuple[str, str]]:
    """(the text before, the text that starts a new line) for every line break in the page's text flow:
    WeasyPrint writes each line in reading order, so a character placed below and left of the one before
    it begins a new line."""
    chars = [c for c in page.chars if c["text"].strip()]
    out = []
    for i in range(1, len(chars)):
        before, c = chars[i - 1], chars[i]
        if c["top"] > before["bottom"] - 1 and c["x0"] < before["x0"] - 1:
            out.append(
                (
                    "".join(x["text"] for x in chars[max(0, i - 4) : i]),
                    "".join(x["text"] for x in chars[i : i + 4]),
                )
            )
    return out


def test_no_line_starts_with_a_closing_mark_small_kana_or_a_unit(demo):
    """禁則 and phrases, over every heading, label, list cell and story of the guidebooks and a district
    sheet: no line starts with 、。」）ー or a small kana, and a number never ends a line whose next line
    starts with its unit (500/円, 8か/所)."""
    bad, seen = [], 0
    for pdf in (GUIDEBOOK, GUIDEBOOK_LARGE, district_pdf_name(demo.districts[0][0])):
        for page in pdfplumber.open(demo.out / pdf).pages:
            for before, start in line_starts(page):
                seen += 1
                if start[0] in NO_LINE_START or (before[-1:].isdigit() and UNIT_START.match(start)):
                    bad.append((pdf, page.page_number, before, start))
    assert seen > 3000
    assert bad == []


def test_labels_on_the_maps_do_not_collide(demo):
    """On every map page of a district sheet, no two pieces of text (marker numbers, area names,
    landmarks) overlap."""
    checked = 0
    for area_id, name in demo.districts:
        for page in map_pages(demo.out / district_pdf_name(area_id)):
            words = [w for w in page.extract_words(extra_attrs=["size"]) if w["size"] < 12]
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                    assert w <= 0.5 or h <= 0.5, (name, page.page_number, a["text"], b["text"])
            checked += len(words)
    assert checked > 500


def test_each_district_has_its_stories_beside_its_map_and_list(demo):
    """A story is printed in its district's chapter (the running header names the district), after the
    district's maps and before its list."""
    pages = demo.pages(GUIDEBOOK)
    headers = [
        norm(page.crop((0, 0, page.width, 40)).extract_text() or "")
        for page in pdfplumber.open(demo.out / GUIDEBOOK).pages
    ]
    stories = [p for p in demo.edition.places if p.story]
    assert stories
    tier = demo.edition.project.district_tier.id
    for p in stories:
        district = norm(
            p.areas[tier][1] if tier in p.areas else f"{demo.edition.project.district_tier.label}の外"
        )
        where = [i for i, text in enumerate(pages) if norm(p.story)[:25] in norm(text)]
        assert where, p.name
        assert headers[where[0]].startswith(district), (p.name, district, where[0] + 1)
        chapter = [i for i, header in enumerate(headers) if header.startswith(district)]
        maps = [i for i in chapter if "縮尺" in pages[i]]
        lists = [i for i in chapter if "名称・種類" in pages[i]]
        assert max(maps) < where[0] < min(lists), (p.name, where[0] + 1)  # after its maps, before its list


def test_large_print_keeps_the_legend_on_the_map_page(demo):
    labels = {c.id: c.label for c in demo.edition.project.categories}
    for page in map_pages(demo.out / GUIDEBOOK_LARGE):
        text = norm(page.extract_text())
        shown = [label for label in labels.values() if norm(label) in text]
        assert shown, page.page_number  # the legend is under the map, on the same page


def test_the_cover_shows_the_city_and_the_demo_qr_says_it_is_a_placeholder(demo):
    cover = pdfplumber.open(demo.out / GUIDEBOOK).pages[0]
    text = norm(cover.extract_text())
    assert all(norm(name) in text for _, name in demo.districts)  # the city's map, its districts named
    assert len(cover.curves) + len(cover.rects) > 20
    assert "仮のアドレス" in demo.text(GUIDEBOOK)
    assert "仮のアドレス" in demo.text(district_pdf_name(demo.districts[0][0]))


# ---------------------------------------------------------------- the street basemap, from a loopback tile server


TILE_GROUND = (246, 236, 200)  # the tiles' pale yellow ground: no other part of a print has this colour


def draw_tile(z: int, x: int, y: int) -> bytes:
    """A tile as a street map would look: a pale ground and a grid of grey streets."""
    from PIL import ImageDraw

    im = Image.new("RGB", (256, 256), TILE_GROUND)
    pen = ImageDraw.Draw(im)
    for k in range(0, 256, 64):
        pen.line([(k, 0), (k, 255)], fill=(150, 150, 150), width=5)
        pen.line([(0, k), (255, k)], fill=(150, 150, 150), width=5)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


class TileServer:
    """Tiles on 127.0.0.1, drawn by the test; counts the requests it answers."""

    def __init__(self) -> None:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                m = re.fullmatch(r"/(\d+)/(\d+)/(\d+)\.png", self.path)
                if not m:
                    self.send_error(404)
                    return
                body = draw_tile(*map(int, m.groups()))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tile_server():
    server = TileServer()
    yield server
    server.stop()


def tiny_with_basemap(root: Path, url: str, monkeypatch) -> Edition:
    monkeypatch.delenv("TAKARA_BASEMAP", raising=False)  # this project asks its own server for tiles
    rows = [row(名称=f"西南サロン{i}", 所在地="和歌山県ミニ町西南町1-2") for i in range(1, 4)]
    rows.append(row(名称="東北体操クラブ", 種別="体操", 所在地="和歌山県ミニ町東北町一丁目3"))
    extra = f'\n[print]\nbasemap = "{url}"\nbasemap_attribution = "テスト用タイル"\n'
    return run(load_project(make_project(root, rows, extra_toml=extra)))


def ground_share(pdf: Path, page: int, tmp_path: Path) -> float:
    """How much of a page shows the tiles' ground colour (rendered at 30 dpi)."""
    png = tmp_path / f"{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", "30", "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(png)],
        check=True,
    )
    rgb = np.asarray(Image.open(png.with_suffix(".png")).convert("RGB")).astype(int)
    # the ground, seen through the map's light tint: near the tile's own colour
    return float((np.abs(rgb - np.array(TILE_GROUND)).sum(axis=2) < 40).mean())


def test_every_printed_map_has_the_street_basemap_and_its_credit(tmp_path, tile_server, monkeypatch):
    edition = tiny_with_basemap(tmp_path / "mini", tile_server.url, monkeypatch)
    out = write_prints(edition, tmp_path / "site" / "print")
    asked = tile_server.requests
    assert asked > 0
    maps = 0
    for pdf in (p for p in out if p.suffix == ".pdf"):
        for page in pdfplumber.open(pdf).pages:
            text = norm(page.extract_text() or "")
            if "縮尺" not in text:
                continue
            maps += 1
            assert "背景地図:テスト用タイル" in text, (pdf.name, page.page_number)
            assert ground_share(pdf, page.page_number, tmp_path) > 0.05, (pdf.name, page.page_number)
    assert maps == 2 + 2 * 3  # two sheets, and in each guidebook the overview and two districts
    assert not [i for i in edition.report.issues if i.field == "print.basemap"]
    # the tiles were kept in the project: a rebuild asks for nothing
    cache = edition.project.root / ".takara" / "tiles"
    assert len(list(cache.rglob("*.png"))) == asked
    write_prints(run(load_project(edition.project.root)), tmp_path / "again" / "print")
    assert tile_server.requests == asked


def test_without_tiles_the_maps_are_outlines_and_the_report_says_why(tmp_path, monkeypatch):
    server = TileServer()
    url = server.url
    server.stop()  # nothing answers at this address any more
    edition = tiny_with_basemap(tmp_path / "mini", url, monkeypatch)
    out = write_prints(edition, tmp_path / "site" / "print", kinds=("districts",))
    sheet = next(p for p in out if p.name == district_pdf_name("A"))
    assert "背景地図なし" in norm(PdfReader(sheet).pages[0].extract_text())
    assert ground_share(sheet, 1, tmp_path) < 0.01
    warnings = [i for i in edition.report.issues if i.field == "print.basemap"]
    assert len(warnings) == 1 and "背景地図" in warnings[0].message


def test_basemap_settings_are_checked_in_plain_words(tmp_path, monkeypatch):
    from gis.errors import ConfigError

    rows = [row(名称="西南サロン", 所在地="和歌山県ミニ町西南町1-2")]
    for setting, words in (
        ('basemap = "https://tiles.example/{z}/{x}.png"', "{y}"),
        ('basemap = "https://tiles.example/{z}/{x}/{y}.png"', "basemap_attribution"),
        ('basemap = "どこかの地図"', "背景地図"),
    ):
        root = make_project(tmp_path / str(len(words)), rows, extra_toml=f"\n[print]\n{setting}\n")
        with pytest.raises(ConfigError, match=re.escape(words)) as caught:
            load_project(root)
        assert "print.basemap" in str(caught.value)
