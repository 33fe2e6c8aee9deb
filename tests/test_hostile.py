"""Hostile and broken input: whatever a sheet or boundary holds, the build never crashes with a traceback.
It either publishes (the bad row rejected and reported) or stops with one clear line naming the file
(exit code 2).

Property-based parts use hypothesis with a fixed budget (max_examples, no deadline); all of them together
stay under a minute."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from shapely.geometry import box

from gis.config import RecordSource, load_project
from gis.errors import InputError
from gis.leaks import scan_site, secrets_from
from gis.place import FIELD_ALIASES
from gis.privacy import photo_path_problem, to_public
from gis.records import RawRow, read_source, rows_from_table
from gis.report import Report
from gis.validate import FIELD_LABELS, MAX_CELL, validate_rows
from tests.hostile import (
    PAYLOADS,
    build_cli,
    deep_geojson,
    deep_kml,
    folder_hash,
    gps_jpeg,
    kmz_bomb,
    kmz_many_members,
    leftovers,
    make_hostile_project,
    previous_site,
    xlsx_declaring,
)
from tests.projects import HEADER, make_project, row

REPO = Path(__file__).resolve().parent.parent
BUDGET = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# ---------------------------------------------------------------- strategies

MEGABYTE = "宝" * 350_000  # ~1 MB of UTF-8 in one cell
SPECIAL = [
    *PAYLOADS,
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e\u200f",
    "\ufeff",
    "\x1b[31m",
    "ー",
    "１２３",
    "令和元年5月1日",
    "R5.2.5",
    "９９９９９９９９９９",
    "-1",
    "1e309",
    "nan",
    "NaN",
    "inf",
    "0x10",
    " ",
    "\n\r\t",
    "可",
    "不可",
    "自宅",
    "終了",
    "../../etc/passwd",
    "javascript:alert(1)",
    "C:\\secret.jpg",
    MEGABYTE,
]
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
any_char = st.one_of(st.characters(codec=None), surrogates)
nasty_text = st.one_of(
    st.text(any_char, max_size=40),
    st.sampled_from(SPECIAL),
    st.lists(st.sampled_from(SPECIAL[:30]), max_size=4).map("".join),
)
cell = st.one_of(
    nasty_text,
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.decimals(allow_nan=True),
    st.sampled_from([10**400, 10**7, 1e300, -5, 0, 0.5]),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(any_char, max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
FIELDS = sorted(FIELD_LABELS)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("tiny") / "p", [row()])


# ---------------------------------------------------------------- every field, any value


@BUDGET
@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), cell, max_size=len(FIELDS)), min_size=1, max_size=6))
def test_any_cell_values_become_a_place_or_a_rejection(tiny, values):
    project = load_project(tiny)
    rows = [RawRow("records.xlsx", n + 2, v) for n, v in enumerate(values)]
    report = Report()
    places = validate_rows(rows, project, report)
    rejected = [r for r in report.rows if r.outcome == "rejected"]
    assert len(places) + len(rejected) == len(rows)  # nothing lost, nothing counted twice
    assert all(r.source == "records.xlsx" and r.row >= 2 and r.reason for r in rejected)
    for p in places:
        for name in (
            "name",
            "venue",
            "address",
            "schedule_text",
            "target",
            "fee",
            "activities",
            "contact",
            "story",
            "photo",
            "organiser",
        ):
            text = getattr(p, name)
            text.encode("utf-8")  # no lone surrogate survives into a place
            assert len(text) <= MAX_CELL and "\x00" not in text
        assert not p.photo or photo_path_problem(p.photo) is None, p.photo  # a refused path is dropped
        # whatever survived validation can be made public without an error
        p.lat, p.lon = (35.005, 135.005) if p.lat is None else (p.lat, p.lon)
        public = to_public(p, 1, {}, project, date(2026, 11, 1))
        json.dumps(public.__dict__, default=str, ensure_ascii=False).encode("utf-8")
    for issue in report.issues:
        issue.line().encode("utf-8")  # the report can be printed and written


@BUDGET
@given(st.lists(st.lists(cell, max_size=8), max_size=12), st.booleans(), st.integers(0, 11))
def test_any_grid_is_read_into_rows_or_refused_naming_the_file(grid, with_header, at):
    if with_header:
        grid.insert(min(at, len(grid)), ["名称", "種別", "所在地", "掲載可否"])
    source = RecordSource(path=Path("records.xlsx"), label="data/records.xlsx")
    try:
        result = rows_from_table(grid, source)
    except InputError as exc:
        assert str(exc).startswith("data/records.xlsx")
        return
    assert all(r.source == "data/records.xlsx" and set(r.values) <= set(FIELD_ALIASES) for r in result.rows)


@BUDGET
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=300).map(lambda b: "名称,種別\nサロン,サロン\n".encode("cp932") + b),
        st.binary(max_size=300).map(lambda b: "\ufeff名称,種別\nサロン,サロン\n".encode() + b),
    )
)
def test_any_bytes_named_csv_are_read_or_refused_naming_the_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        path.write_bytes(data)
        try:
            read_source(RecordSource(path=path, label="data/records.csv"))
        except InputError as exc:
            assert str(exc).startswith("data/records.csv")


@BUDGET
@given(
    st.lists(
        st.one_of(
            json_value,
            st.fixed_dictionaries(
                {},
                optional={
                    "type": st.just("Feature"),
                    "properties": st.one_of(
                        json_value,
                        st.fixed_dictionaries(
                            {"名称": nasty_text, "種別": st.just("サロン")},
                            optional={"緯度": json_value, "経度": json_value, "所在地": nasty_text},
                        ),
                    ),
                    "geometry": st.one_of(
                        json_value,
                        st.fixed_dictionaries(
                            {"type": st.sampled_from(["Point", "Polygon", "Line"]), "coordinates": json_value}
                        ),
                    ),
                },
            ),
        ),
        max_size=6,
    )
)
def test_geojson_features_of_any_shape_are_rows_or_rejections(tiny, features):
    """Anything in a GeoJSON file's feature list is a row: read, then published or rejected by number."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
        try:
            result = read_source(RecordSource(path=path, label="data/records.geojson"))
        except InputError as exc:
            assert str(exc).startswith("data/records.geojson")
            return
    assert [r.row for r in result.rows] == list(range(1, len(features) + 1))
    report = Report()
    places = validate_rows(result.rows, load_project(tiny), report)
    assert len(places) + sum(r.outcome == "rejected" for r in report.rows) == len(features)


def _valid_xlsx() -> bytes:
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append([row().get(h, "") for h in HEADER])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX = _valid_xlsx()


@BUDGET
@given(
    st.one_of(
        st.integers(0, len(XLSX) - 1).map(lambda n: XLSX[:n]),
        st.lists(st.tuples(st.integers(0, len(XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8).map(
            lambda edits: bytes(_edit(XLSX, edits))
        ),
    )
)
def test_a_damaged_workbook_is_refused_naming_the_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.xlsx"
        path.write_bytes(data)
        try:
            read_source(RecordSource(path=path, label="data/records.xlsx"))
        except InputError as exc:
            assert str(exc).startswith("data/records.xlsx")


def _edit(data: bytes, edits: list[tuple[int, int]]) -> bytearray:
    out = bytearray(data)
    for i, value in edits:
        out[i] = value
    return out


# ---------------------------------------------------------------- whole builds of hostile records

record_text = st.one_of(st.text(any_char, max_size=30), st.sampled_from(SPECIAL[:-1]))


@st.composite
def features(draw):
    """GeoJSON features (lone surrogates and NUL survive JSON, unlike CSV) with a distinctive name each, so
    the leak scan can never match by chance; points have six non-zero decimals for the same reason."""
    out = []
    for i in range(draw(st.integers(1, 4))):
        props = {
            k: draw(record_text)
            for k in draw(
                st.sets(
                    st.sampled_from(
                        [
                            "会場",
                            "所在地",
                            "開催日時",
                            "対象",
                            "参加費",
                            "活動内容",
                            "紹介文",
                            "運営主体",
                            "参加人数",
                            "地区",
                            "写真",
                        ]
                    )
                )
            )
        }
        props.update(
            {
                "名称": f"記録{i}号-" + draw(record_text),
                "種別": draw(st.sampled_from(["サロン", "体操", "salon", ""])),
                "会場種別": draw(st.sampled_from(["自宅", "集会所", "", "公園"])),
                "掲載可否": draw(st.sampled_from(["可", "不可", "", "○"])),
                "連絡先": f"０７３９－{i:02d}－{draw(st.integers(0, 9999)):04d}"
                if draw(st.booleans())
                else "",
                "連絡先掲載": draw(st.sampled_from(["可", "不可", ""])),
                "写真掲載": "可",
            }
        )
        lat = 35.0 + (draw(st.integers(100, 19900)) * 10 + 3) / 1e6
        lon = 135.0 + (draw(st.integers(100, 19900)) * 10 + 7) / 1e6
        geometry = {"type": "Point", "coordinates": [lon, lat]} if draw(st.booleans()) else None
        if geometry is None:
            props["所在地"] = "和歌山県ミニ町西南町1-" + str(i)
        elif "所在地" in props:  # any text, but never one that could match the page around it by chance
            props["所在地"] = f"記録{i}の所在地" + props["所在地"]
        if "会場" in props:  # the same text in a home's venue and its story would be a leak (rightly)
            props["会場"] = f"記録{i}の会場" + props["会場"]
        out.append({"type": "Feature", "properties": props, "geometry": geometry})
    return out


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(features())
def test_hostile_records_publish_or_are_rejected_and_never_leak(tmp_path_factory, feats):
    root = tmp_path_factory.mktemp("h")
    project = make_project(root / "p", [], records_name="records.geojson")
    (project / "data" / "records.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8"
    )
    code, _, err = build_cli(project, root / "site", "--no-print", "--report", str(root / "report.json"))
    assert code == 0 and "Traceback" not in err, err[-1500:]
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    assert (
        report["rows_read"]
        == len(feats)
        == report["published"] + report["withheld"] + report["rejected"] + report["skipped"]
    )
    for path in (root / "site").rglob("*"):
        if path.suffix in (".html", ".json", ".geojson", ".csv", ".ics", ".js"):
            path.read_bytes().decode("utf-8")  # strict: no lone surrogate or broken character was written
    from gis import pipeline

    edition = pipeline.run(load_project(project), Report(), keep_private=True)
    found = scan_site(root / "site", secrets_from(edition.private.places, edition.report, edition.project))
    assert not found, [str(leak) for leak in found]


# ---------------------------------------------------------------- hand-made broken files


def _records(project: Path, data: bytes, name: str = "records.csv") -> None:
    (project / "data" / name).write_bytes(data)


def _xlsx_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _damaged_sheet() -> bytes:
    src = io.BytesIO(XLSX)
    with zipfile.ZipFile(src) as z:
        items = {n: z.read(n) for n in z.namelist()}
    items["xl/worksheets/sheet1.xml"] = items["xl/worksheets/sheet1.xml"][:200]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in items.items():
            z.writestr(name, data)
    return out.getvalue()


def _mixed_encoding() -> bytes:
    head = "名称,種別,所在地,掲載可否\nサロンA,サロン,和歌山県ミニ町西南町1-2,可\n".encode()
    return head + "サロンB,サロン,和歌山県ミニ町西南町1-3,可\n".encode("cp932")


def _boundary(project: Path, name: str, geometry: dict | None) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "T", "name": "ミニ町"}, "geometry": geometry}],
    }
    (project / "data" / "boundaries" / f"{name}.geojson").write_text(json.dumps(fc), encoding="utf-8")


def _shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "crs was not provided": that is the point
        gdf.to_file(path)


def _shapefile_city(project: Path, geometry, crs=None) -> None:
    _shapefile(
        gpd.GeoDataFrame({"id": ["T"], "name": ["ミニ町"]}, geometry=[geometry], crs=crs),
        project / "data" / "boundaries" / "city.shp",
    )
    toml = project / "takara.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("boundaries/city.geojson", "boundaries/city.shp"),
        encoding="utf-8",
    )


def _no_id(project: Path) -> None:
    path = project / "data" / "boundaries" / "districts.geojson"
    fc = json.loads(path.read_text(encoding="utf-8"))
    fc["features"][1]["properties"]["id"] = None
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")


REFUSED = {  # case -> (how to break the project, the file the message must name, words it must hold)
    "truncated xlsx": (lambda p: _records(p, XLSX[: len(XLSX) // 2], "records.xlsx"), "records.xlsx", "XLSX"),
    "damaged sheet inside the xlsx": (
        lambda p: _records(p, _damaged_sheet(), "records.xlsx"),
        "records.xlsx",
        "damaged",
    ),
    "binary file named .csv": (lambda p: _records(p, bytes(range(256)) * 40), "records.csv", "binary"),
    "csv mixing encodings": (
        lambda p: _records(p, _mixed_encoding()),
        "records.csv 3行目",
        "mixes encodings",
    ),
    "empty csv": (lambda p: _records(p, b""), "records.csv", "empty"),
    "empty sheet": (lambda p: _records(p, _xlsx_bytes([]), "records.xlsx"), "records.xlsx", "empty"),
    "unclosed boundary ring": (
        lambda p: _boundary(
            p, "city", {"type": "Polygon", "coordinates": [[[135.0, 35.0], [135.02, 35.0], [135.02, 35.02]]]}
        ),
        "city.geojson",
        "boundary",
    ),
    "boundary that is only points": (
        lambda p: _boundary(p, "city", {"type": "Point", "coordinates": [135.0, 35.0]}),
        "city.geojson",
        "polygon",
    ),
    "projected boundary without CRS": (
        lambda p: _shapefile_city(p, box(-50000, -200000, -48000, -198000)),
        "city.shp",
        "CRS",
    ),
    "boundary area without an id": (_no_id, "districts.geojson", "no id"),
    # the machine's limits (gis/limits.py): each refused from what is cheap to read, naming the limit
    "kmz unpacking to 20 MB from 20 KB": (
        lambda p: _records_as(p, kmz_bomb(20), "records.kmz"),
        "records.kmz",
        "the limit is 200x",
    ),
    "kmz with 1,500 files inside": (
        lambda p: _records_as(p, kmz_many_members(1_500), "records.kmz"),
        "records.kmz",
        "the limit is 1000",
    ),
    "kml folders nested 5,000 deep": (
        lambda p: _records_as(p, deep_kml(5_000), "records.kml"),
        "records.kml",
        "the limit is 64 levels",
    ),
    "geojson nested 100,000 deep": (
        lambda p: _records_as(p, deep_geojson(100_000), "records.geojson"),
        "records.geojson",
        "the limit is 64 levels",
    ),
    "geojson nested 70 deep": (
        lambda p: _records_as(p, deep_geojson(70), "records.geojson"),
        "records.geojson",
        "the limit is 64 levels",
    ),
    "umap nested 5,000 deep": (
        lambda p: _records_as(p, deep_geojson(5_000, umap=True), "records.umap"),
        "records.umap",
        "the limit is 64 levels",
    ),
    "xlsx holding a cell at row 1,048,576": (
        lambda p: _records(p, xlsx_declaring("A1:XFD1048576", far_row=1_048_576), "records.xlsx"),
        "records.xlsx",
        "the limit is 200,000",
    ),
    "csv 400 columns wide": (
        lambda p: _records(p, (",".join(HEADER + [f"列{i}" for i in range(400)]) + "\n").encode()),
        "records.csv",
        "the limit is 300",
    ),
    "csv with a quote that never closes": (
        lambda p: _records(p, ('名称,所在地,掲載可否\n"サロン,和歌山県ミニ町西南町1-2,可\n').encode()),
        "records.csv",
        "badly quoted",
    ),
    "csv whose stray quote swallows the next rows": (
        lambda p: _records(
            p,
            (
                "名称,種別,所在地,緯度,経度,掲載可否\n"
                '"ひまわり,サロン,和歌山県ミニ町西南町1-2,,,可\n'
                "つくし,サロン,和歌山県ミニ町西南町1-3,,,可\n"
                'すみれ",サロン,和歌山県ミニ町西南町1-4,,,可\n'
            ).encode(),
        ),
        "records.csv 2行目",
        "unclosed quote",
    ),
    "boundary in metres without a CRS (GeoJSON)": (
        lambda p: _boundary(
            p,
            "city",
            {
                "type": "Polygon",
                "coordinates": [[[-50000, -200000], [-48000, -200000], [-48000, -198000], [-50000, -200000]]],
            },
        ),
        "city.geojson",
        "cannot be longitude/latitude",
    ),
    "numbers.json with merge-conflict markers": (
        lambda p: _numbers(
            p, '{\n<<<<<<< HEAD\n "next": 3,\n=======\n "next": 4,\n>>>>>>> theirs\n "places": {}}\n'
        ),
        "numbers.json",
        "merge-conflict markers",
    ),
    "numbers.json with a number that is not one": (
        lambda p: _numbers(p, json.dumps({"next": 3, "places": {"a|b": "二"}})),
        "numbers.json",
        "previous edition's data/places.csv",
    ),
    "numbers.json cut short": (lambda p: _numbers(p, '{"next": 3, "pla'), "numbers.json", "not JSON"),
    "an edition date that does not exist": (
        lambda p: _toml_replace(p, 'edition = "2026-11-01"', 'edition = "2026-02-30"'),
        "takara.toml:",
        "2026-02-30",
    ),
}


def _records_as(project: Path, data: bytes, name: str) -> None:
    """The project's records replaced by one file called `name` (KMZ, KML, GeoJSON …)."""
    _records(project, data, name)
    _toml_replace(project, 'path = "data/records.csv"', f'path = "data/{name}"')


def _numbers(project: Path, text: str) -> None:
    (project / "data" / "numbers.json").write_text(text, encoding="utf-8")


def _toml_replace(project: Path, old: str, new: str) -> None:
    toml = project / "takara.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_broken_files_stop_the_build_with_one_line_naming_the_file(case, tmp_path):
    brake, names, words = REFUSED[case]
    xlsx = "xlsx" in case or "sheet" in case
    project = make_project(tmp_path / "p", [row()], records_name="records.xlsx" if xlsx else "records.csv")
    brake(project)
    site = previous_site(tmp_path / "site")
    before = folder_hash(site)
    numbers = project / "data" / "numbers.json"
    numbers_before = numbers.read_bytes() if numbers.exists() else None
    started = time.perf_counter()
    code, _, err = build_cli(project, site, "--no-print")
    lines = [line for line in err.splitlines() if not line.startswith("config:")]
    assert code == 2 and len(lines) == 1, err[-1500:]
    assert lines[0].startswith("エラー / error: ") and names in lines[0] and words in lines[0], lines[0]
    assert time.perf_counter() - started < 30  # refused before the expensive work, not after it
    assert folder_hash(site) == before and leftovers(site) == []  # the old site stays, byte for byte
    assert (numbers.read_bytes() if numbers.exists() else None) == numbers_before  # never "repaired"


def test_odd_but_readable_files_are_published_and_reported(tmp_path):
    """Header-only sheet, trailing blank columns, a self-intersecting boundary and a lon/lat boundary
    without CRS: the build publishes, and the report says what it did about each."""
    inside = {"緯度": "35.01", "経度": "135.003"}  # inside the bow-tie's west half
    project = make_project(tmp_path / "p", [row(名称="幅広シートのサロン", **inside)])
    wide_header = HEADER + [None] * 10_000  # formatting dragged far to the right: blank, not data
    wide_row = [row(名称="幅広シートのサロン", **inside).get(h, "") for h in HEADER] + [""] * 10_000
    _records(
        project,
        _xlsx_bytes([wide_header, [*wide_row[:1], "幅広ブックの体操", "体操", *wide_row[3:]]]),
        "wide.xlsx",
    )
    _records(project, _xlsx_bytes([HEADER]), "header-only.xlsx")
    _records(project, ",".join(HEADER).encode() + b"\n", "header-only.csv")
    toml = project / "takara.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "".join(
            f'\n[[records]]\npath = "data/{n}"\n'
            for n in ("wide.xlsx", "header-only.xlsx", "header-only.csv")
        ),
        encoding="utf-8",
    )
    # a bow-tie municipality (self-intersecting), neighbourhoods as a shapefile without .prj
    _boundary(
        project,
        "city",
        {
            "type": "Polygon",
            "coordinates": [[[135.0, 35.0], [135.02, 35.02], [135.02, 35.0], [135.0, 35.02], [135.0, 35.0]]],
        },
    )
    nb = gpd.read_file(project / "data" / "boundaries" / "neighbourhoods.geojson")
    _shapefile(nb.set_crs(None, allow_override=True), project / "data" / "boundaries" / "nb.shp")
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("boundaries/neighbourhoods.geojson", "boundaries/nb.shp"),
        encoding="utf-8",
    )
    code, _, err = build_cli(project, tmp_path / "site", "--no-print", "--report", str(tmp_path / "r.json"))
    assert code == 0, err[-1500:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["rows_read"] == 2 and report["published"] == 2  # the header-only files add no rows
    notes = " ".join(report["notes"])
    assert "repaired invalid polygons" in notes and "no CRS: assumed JGD2011" in notes
    published = json.loads((tmp_path / "site" / "data" / "places.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["name"] for f in published["features"]} == {
        "幅広シートのサロン",
        "幅広ブックの体操",
    }


_OPENED: list[str] = []
_WATCH: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _WATCH and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # an audit hook cannot be removed: it records only while _WATCH is set


def test_photo_paths_never_reach_outside_the_project(tmp_path):
    project = make_project(tmp_path / "p", [row()])
    gps_jpeg(tmp_path / "bait.jpg")  # a real photo beside the project: readable, but not the project's
    paths = [
        "../../etc/passwd",
        "/etc/passwd",
        "javascript:alert(1)",
        "../bait.jpg",
        "../../bait.jpg",
        "photos/../../../bait.jpg",
        "file:///etc/passwd",
        "C:\\Users\\x\\bait.jpg",
        "\\\\server\\bait.jpg",
    ]
    header = [*HEADER, "写真", "写真掲載"]
    with (project / "data" / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, path in enumerate(paths):
            w.writerow([row(名称=f"写真{k}").get(h, "") for h in HEADER] + [path, "可"])
    _WATCH.append(True)
    try:
        code, _, err = build_cli(project, tmp_path / "site", "--report", str(tmp_path / "r.json"))
    finally:
        _WATCH.clear()
    assert code == 0, err[-1500:]
    touched = [p for p in _OPENED if p.endswith(("passwd", "bait.jpg"))]
    assert not touched, touched
    assert not (tmp_path / "site" / "photos").exists()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    refused = [i for i in report["issues"] if i["field"] == "写真" and i["severity"] == "warning"]
    assert len(refused) == len(paths)


# ---------------------------------------------------------------- through `python build.py`


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )


def test_build_py_publishes_hostile_records_without_a_traceback(tmp_path):
    project = make_hostile_project(tmp_path / "p")
    with (project / "data" / "records.csv").open("a", encoding="utf-8", newline="") as fh:  # 1 MB cells
        csv.writer(fh).writerow([row().get(h, "") for h in HEADER[:2]] + [MEGABYTE] * 10)
    done = _run(
        str(project), "--out", str(tmp_path / "site"), "--no-print", "--report", str(tmp_path / "r.json")
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (
        report["rows_read"]
        == report["published"] + report["withheld"] + report["rejected"] + report["skipped"]
        > 0
    )
    assert "site written" in done.stdout


def test_build_py_stops_on_a_broken_file_with_one_line_and_exit_2(tmp_path):
    project = make_project(tmp_path / "p", [row()], records_name="records.xlsx")
    _records(project, _damaged_sheet(), "records.xlsx")
    done = _run(str(project), "--out", str(tmp_path / "site"))
    lines = [line for line in done.stderr.splitlines() if not line.startswith("config:")]
    assert done.returncode == 2 and len(lines) == 1 and "records.xlsx" in lines[0], done.stderr[-1500:]
    assert not (tmp_path / "site").exists()
