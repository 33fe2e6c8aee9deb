"""The statistics stage (gis.stats): the CSV files, the workbook, the map layers, the charts and the stats
page written from gis.insight's figures; what it reports having written; what the site may and may not
hold (withheld places only in the coordinators' file outside it)."""

from __future__ import annotations

import json
import math
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_insight import (
    MINI_TIERS,
    SQUARE_PLACES,
    SQUARE_TIERS,
    edition_of,
    grid_tiers,
    ll,
    mini_places,
    read_csv,
    square_with_people,
    town_with_needs,
)

from gis import insight, stats
from gis.charts import CHART_MAX_BARS
from gis.config import load_project
from gis.pipeline import run
from gis.view import Links, slug
from tests.projects import make_project, row

# ---------------------------------------------------------------- the files, checked against hand-made figures


def test_square_district_coverage_files_layer_and_page(tmp_path):
    ed = edition_of(tmp_path, SQUARE_TIERS, SQUARE_PLACES)
    result = stats.write_stats(ed, tmp_path / "site")
    stats.write_stats(ed, tmp_path / "site")
    rows = {r["区域ID"]: r for r in read_csv(tmp_path / "site" / "stats" / "coverage.csv")}
    assert rows["NE"]["500 m以内の面積の割合（%）"] == "19.6"
    assert rows["NE"]["1 km以内の面積の割合（%）"] == "78.5"
    assert rows["D"]["500 m以内の面積の割合（%）"] == "19.6"
    # The blank areas: four corners beyond 1 km, listed with their share and km², drawn in lon/lat.
    layer = json.loads(
        (tmp_path / "site" / "data" / "layers" / "blank_areas.geojson").read_text(encoding="utf-8")
    )
    feats = {f["properties"]["area_id"]: f for f in layer["features"]}
    assert set(feats) == {"SW", "SE", "NW", "NE"}
    for f in feats.values():
        assert f["properties"]["uncovered_share"] == pytest.approx(1 - math.pi / 4, abs=1e-3)
        assert f["properties"]["uncovered_km2"] == pytest.approx(0.215, abs=1e-3)
        lon, lat = np.array(f["geometry"]["coordinates"][0]).mean(axis=0)
        assert 133.7 < lon < 133.85 and 34.55 < lat < 34.65
    page = (tmp_path / "site" / "stats" / "index.html").read_text(encoding="utf-8")
    assert "19.6" in page and "78.5" in page and "EPSG:6673" in page
    # what the stage says it wrote is what is there, and the map lists only the layers it wrote
    assert result.page == "stats/index.html" and result.page in result.files
    for name in result.files:
        assert (tmp_path / "site" / name).is_file(), name
    assert sorted(
        p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*.*")
    ) == sorted(result.files)
    assert [layer["id"] for layer in result.layers] == ["blank_areas"]  # no population table: no choropleth


def test_population_points_give_the_share_of_people_in_the_coverage_file(tmp_path):
    ed = square_with_people(tmp_path)
    stats.write_stats(ed, tmp_path / "site")
    row_ne = next(r for r in read_csv(tmp_path / "site" / "stats" / "coverage.csv") if r["区域ID"] == "NE")
    assert row_ne["500 m以内の人口の割合（%）"] == "16.7" and row_ne["1 km以内の人口の割合（%）"] == "50.0"


def test_counts_file_per_area_of_every_tier(tmp_path):
    ed = edition_of(tmp_path, MINI_TIERS, mini_places())
    stats.write_stats(ed, tmp_path / "site")
    rows = {(r["層"], r["区域ID"]): r for r in read_csv(tmp_path / "site" / "stats" / "counts.csv")}
    assert rows[("第2層（地区）", "A")]["種別：サロン"] == "2"
    assert rows[("第2層（地区）", "A")]["休止中"] == "1"
    assert rows[("第2層（地区）", "B")]["運営：NPO"] == "1"
    assert rows[("第3層（自治会）", "B1")]["掲載数"] == "0"


def test_per_capita_layer_legend_and_file(tmp_path):
    pop = tmp_path / "population.csv"
    pop.write_text('区域ID,人口,65歳以上人口\nA1,"1,000",400\nA2,600,200\nB1,900,300\n', encoding="utf-8")
    ed = edition_of(tmp_path, MINI_TIERS, mini_places(), population=pop)
    result = stats.write_stats(ed, tmp_path / "site")
    layer = json.loads(
        (tmp_path / "site" / "data" / "layers" / "per_capita.geojson").read_text(encoding="utf-8")
    )
    assert layer == insight.per_capita_layer(ed, result.insight)  # its figures: tests/test_insight.py
    fills = {f["properties"]["fill"] for f in layer["features"] if f["properties"]["fill"]}
    assert len(fills) == 3
    assert [x["id"] for x in result.layers] == ["blank_areas", "per_capita"]
    (layer_desc,) = [x for x in result.layers if x["id"] == "per_capita"]
    legend_colours = [e["color"] for e in layer_desc["legend"] if e["color"]]
    assert legend_colours == list(insight.choropleth_colours(len(legend_colours)))
    assert fills <= set(legend_colours)
    assert (tmp_path / "site" / layer_desc["file"]).is_file()
    rows = {r["区域ID"]: r for r in read_csv(tmp_path / "site" / "stats" / "per_capita.csv")}
    assert rows["A1"]["高齢者千人あたりの場所の数"] == "2.5"


def test_needs_file_and_page_show_the_needs_without_an_answer(tmp_path):
    ed = town_with_needs(tmp_path)
    stats.write_stats(ed, tmp_path / "site")
    rows = read_csv(tmp_path / "site" / "stats" / "needs.csv")
    unmatched = [(r["区域ID"], r["種類"]) for r in rows if r["応える活動（番号と名称）"] == "なし"]
    assert unmatched == [("ZZ", "見守り"), ("B", "居場所"), ("B2", "移動支援")]
    assert next(r for r in rows if r["区域ID"] == "A1")["応える活動（番号と名称）"] == "4 西北おでかけ便"
    page = (tmp_path / "site" / "stats" / "index.html").read_text(encoding="utf-8")
    assert page.count("まだありません") >= 3
    assert next(r for r in rows if r["区域ID"] == "T")["地区"] == "全域"  # the whole town's need


def test_workbook_is_stamped_with_the_editions_date(tmp_path):
    ed = edition_of(tmp_path, MINI_TIERS, mini_places())
    ed.date = date(2027, 3, 31)  # the edition's one date, whatever the config says
    stats.write_stats(ed, tmp_path / "site")
    with zipfile.ZipFile(tmp_path / "site" / "stats" / "insight.xlsx") as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(2027, 3, 31)}
        core = z.read("docProps/core.xml").decode("utf-8")
    assert "2027-03-31T00:00:00Z" in core
    page = (tmp_path / "site" / "stats" / "index.html").read_text(encoding="utf-8")
    assert "2027年3月31日" in page


def test_the_page_links_what_the_earlier_stages_wrote(tmp_path):
    ed = edition_of(tmp_path, MINI_TIERS, mini_places())
    stats.write_stats(ed, tmp_path / "plain")
    stats.write_stats(ed, tmp_path / "full", Links(print_index=True))
    plain = (tmp_path / "plain" / "stats" / "index.html").read_text(encoding="utf-8")
    full = (tmp_path / "full" / "stats" / "index.html").read_text(encoding="utf-8")
    assert "../print/index.html" not in plain and "../print/index.html" in full
    assert "../stats/index.html" in plain  # the page is in the header's links either way
    district_links = set(re.findall(r'href="(\.\./districts/[^"]+)"', plain))
    assert district_links == {f"../districts/{slug(a)}/index.html" for a in ("A", "B")}


# ---------------------------------------------------------------- what the site may and may not hold

WITHHELD_NAME = "秘密のお茶会"


def pipeline_project(tmp_path: Path) -> Path:
    rows = [
        row(名称="公民館サロン", 緯度="35.012", 経度="135.004"),
        row(名称="東の体操", 種別="体操", 所在地="ミニ町東北町一丁目5-6"),
        row(名称="休んでいる会", 状況="休止中", 緯度="35.002", 経度="135.018"),
        row(名称=WITHHELD_NAME, 掲載可否="不可", 緯度="35.003", 経度="135.003"),
        row(名称="同意欄が空の会", 掲載可否="", 緯度="35.004", 経度="135.004"),
        row(名称="終わった会", 状況="終了", 緯度="35.016", 経度="135.016"),
    ]
    root = make_project(tmp_path / "proj", rows)
    (root / "data" / "population.csv").write_text(
        "area_id,population,aged_65\nA1,1000,400\nA2,800,300\nB1,500,200\nB2,1200,250\n", encoding="utf-8"
    )
    (root / "data" / "needs.csv").write_text(
        "area_id,kind,text\nA,居場所,お茶を飲める場所\nB2,移動支援,病院への足\n", encoding="utf-8"
    )
    toml = (
        (root / "takara.toml")
        .read_text(encoding="utf-8")
        .replace('icon = "☕"', 'icon = "☕"\nanswers = ["居場所"]')
    )
    toml += '\n[insight]\npopulation = "data/population.csv"\nneeds = "data/needs.csv"\n'
    (root / "takara.toml").write_text(toml, encoding="utf-8")
    return root


def all_text(folder: Path) -> dict[str, str]:
    """Every file under `folder` as text (xlsx: the XML inside it)."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                out[str(f)] = "".join(z.read(n).decode("utf-8") for n in z.namelist())
        else:
            out[str(f)] = f.read_bytes().decode("utf-8-sig")
    return out


def test_withheld_places_are_counted_only_in_the_coordinators_file(tmp_path):
    root = pipeline_project(tmp_path)
    ed = run(load_project(root))
    assert ed.report.counts()["withheld"] == 3
    site = tmp_path / "site"
    stats.write_stats(ed, site)
    files = all_text(site / "stats") | all_text(site / "data" / "layers")
    assert len(files) >= 10
    for name, text in files.items():
        for word in (WITHHELD_NAME, "同意欄が空の会", "終わった会", "非掲載", "withheld"):
            assert word not in text, f"{word} found in {name}"
    counts = {(r["層"], r["区域ID"]): r for r in read_csv(site / "stats" / "counts.csv")}
    assert counts[("第2層（地区）", "A")]["掲載数"] == "1"  # not 3: two withheld places lie in A
    assert counts[("第1層（町全域）", "T")]["掲載数"] == str(len(ed.places)) == "3"

    private = root / ".takara" / "insight_counts.csv"  # outside the site
    stats.write_coordinator_counts(ed, insight.analyse(ed), private)
    rows = {r["地区"]: r for r in read_csv(private)}
    assert rows["西地区"]["非掲載（同意なし・終了など）"] == "2"
    assert rows["合計（全域）"]["非掲載（同意なし・終了など）"] == "3"
    assert ed.report.stats["insight_counts_by_district"]["西地区"]["withheld"] == 2


class _PageCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables = self.captions = self.imgs_with_alt = self.imgs = 0
        self.th_without_scope = 0
        self.style_attrs = 0
        self.links: list[str] = []
        self.scripts_inline = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tables += tag == "table"
        self.captions += tag == "caption"
        if tag == "img":
            self.imgs += 1
            self.imgs_with_alt += bool(a.get("alt"))
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        self.style_attrs += "style" in a
        if tag == "link":
            self.links.append(a.get("href", ""))
        if tag == "script":
            self._in_script = "src" not in a

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts_inline += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_stats_page_tables_charts_and_determinism(tmp_path):
    root = pipeline_project(tmp_path)
    first, second = tmp_path / "one", tmp_path / "two"
    stats.write_stats(run(load_project(root)), first)
    stats.write_stats(run(load_project(root)), second / "stats")  # the stats/ folder itself is accepted too
    a, b = all_text(first), all_text(second)
    assert [Path(k).relative_to(first) for k in a] == [Path(k).relative_to(second) for k in b]
    for (ka, va), vb in zip(a.items(), b.values()):
        assert va == vb, f"{ka} differs between two builds of the same edition"
    assert (first / "stats" / "insight.xlsx").read_bytes() == (second / "stats" / "insight.xlsx").read_bytes()

    html = (first / "stats" / "index.html").read_text(encoding="utf-8")
    check = _PageCheck()
    check.feed(html)
    assert check.tables >= 5 and check.tables == check.captions
    assert check.th_without_scope == 0
    assert check.imgs >= 3 and check.imgs == check.imgs_with_alt
    assert check.style_attrs == 0 and check.scripts_inline == 0  # the site's CSP allows neither
    assert "../assets/takara.css" in check.links and "stats.css" in check.links
    for chart in ("counts.svg", "coverage.svg", "per_capita.svg"):
        svg = (first / "stats" / chart).read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg
    assert "西地区" in (first / "stats" / "counts.svg").read_text(encoding="utf-8")  # Japanese kept as text
    for href in re.findall(r'href="([^"#:]+)"', html):
        if not href.startswith("../"):
            assert (first / "stats" / href).is_file(), href
    with zipfile.ZipFile(first / "stats" / "insight.xlsx") as z:
        assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet4.xml"} <= set(z.namelist())


# ---------------------------------------------------------------- many areas: readable charts


def test_charts_and_tables_of_many_areas_stay_readable(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    spots = [ll(x, y) for x, y in rng.uniform(0, 2800, (30, 2))]
    ed = edition_of(tmp_path, grid_tiers(), [{"at": p} for p in spots])
    monkeypatch.setattr(stats, "PAGE_MAX_ROWS", 20)
    result = stats.write_stats(ed, tmp_path / "site")
    folder = tmp_path / "site" / "stats"
    cov = sorted(
        (c for c in result.insight.coverage if c.tier_id == "district"),
        key=lambda c: (c.shares[1000], c.shares[500]),
    )
    svg = (folder / "coverage.svg").read_text(encoding="utf-8")
    shown = {c.area_name for c in cov if f">{c.area_name}<" in svg}
    assert shown == {c.area_name for c in cov[:CHART_MAX_BARS]}  # the 40 least covered of 49
    counts_svg = (folder / "counts.svg").read_text(encoding="utf-8")
    assert sum(f">{c.area_name}<" in counts_svg for c in cov) == CHART_MAX_BARS
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page.count("<figcaption>") == 2 and "49 あるため" in page
    assert "ここには 20 行だけを示します" in page
    assert len(read_csv(folder / "coverage.csv")) == 49 * 2  # the files keep every row
