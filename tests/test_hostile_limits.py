"""Hostile input, part two: the machine's limits, nesting, CSV quoting, rows that look like notes, line
breaks and control characters in every text, and formulas on their way to a spreadsheet.

Each test fails without the fix it holds (gis/limits.py, gis/records.py, gis/textsafe.py …)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis import limits
from gis.config import RecordSource
from gis.errors import InputError
from gis.kml import features_from_kml
from gis.records import parse_csv, read_source
from gis.textsafe import one_line, spreadsheet_cell
from tests.hostile import (
    CONTROLS,
    LINE_BREAKS,
    PAYLOADS,
    broken_line_text,
    build_cli,
    deep_geojson,
    deep_kml,
    folder_hash,
    leftovers,
    png_claiming,
    previous_site,
    xlsx_declaring,
)
from tests.projects import HEADER, make_project, row

BREAK_CHARS = [c for c in LINE_BREAKS if len(c) == 1]
BUDGET = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _source(path: Path) -> RecordSource:
    return RecordSource(path=path, label=path.name)


# ---------------------------------------------------------------- limits


def _small_files(tmp_path: Path) -> dict[str, bytes]:
    xlsx = xlsx_declaring("A1:C2")
    geojson = deep_geojson(1)
    kml = deep_kml(1)
    csv_text = ("名称,所在地,掲載可否\n" + "サロン,和歌山県ミニ町西南町1-2,可\n" * 200).encode()
    return {"records.csv": csv_text, "records.xlsx": xlsx, "records.geojson": geojson, "records.kml": kml}


@pytest.mark.parametrize("name", ["records.csv", "records.xlsx", "records.geojson", "records.kml"])
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, name):
    path = tmp_path / name
    path.write_bytes(_small_files(tmp_path)[name])
    read_source(_source(path))  # within the limit: read
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", path.stat().st_size - 1)
    opened: list[str] = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: opened.append(p.name) or real_read_bytes(p))
    with pytest.raises(InputError) as caught:
        read_source(_source(path))
    message = str(caught.value)
    assert message.startswith(name) and "file too large" in message and "the limit is 0 MB" in message
    assert "\n" not in message and name not in opened  # refused from its size, never read


@pytest.mark.parametrize(
    "attr, value, words",
    [("MAX_ROWS", 100, "too many rows: 101, the limit is 100"), ("MAX_CELLS", 500, "too many cells")],
)
def test_rows_and_cells_over_the_limit_are_refused_naming_it(tmp_path, monkeypatch, attr, value, words):
    path = tmp_path / "records.csv"
    path.write_bytes(_small_files(tmp_path)["records.csv"])
    monkeypatch.setattr(limits, attr, value)
    with pytest.raises(InputError, match=words):
        read_source(_source(path))


def test_a_workbook_declaring_a_million_rows_by_16384_columns_is_read_in_a_moment(tmp_path):
    """A 5 KB XLSX may declare A1:XFD1048576; openpyxl would pad every row to that size."""
    path = tmp_path / "records.xlsx"
    path.write_bytes(xlsx_declaring("A1:XFD1048576"))
    assert path.stat().st_size < 30_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = read_source(_source(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.values["name"] for r in result.rows] == ["宣言だけ大きいサロン"]
    assert time.perf_counter() - started < 5 and peak < 50 * 1024 * 1024


def test_a_zip_member_unpacking_past_its_declared_size_is_refused(tmp_path):
    """The zip directory is what the ratio check reads; a forged one cannot make a member unpack more."""
    body = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>' + b" " * 4000
    body += b"</Document></kml>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("doc.kml", body)
    data = bytearray(buf.getvalue())
    # lower the declared size in both headers (local: offset 22; central directory: offset 24)
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (100).to_bytes(4, "little")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path = tmp_path / "records.kmz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        read_source(_source(path))
    assert str(caught.value).startswith("records.kmz") and "\n" not in str(caught.value)


def test_a_20000_by_20000_photo_is_left_out_with_one_warning(tmp_path):
    project = make_project(
        tmp_path / "p", [row(名称="大きな写真のサロン", 写真="photos/huge.png", 写真掲載="可"), row()]
    )
    records = project / "data" / "records.csv"
    with records.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*HEADER, "写真", "写真掲載"])
        writer.writerow(
            [row(名称="大きな写真のサロン").get(h, "") for h in HEADER] + ["photos/huge.png", "可"]
        )
    (project / "data" / "photos").mkdir()
    (project / "data" / "photos" / "huge.png").write_bytes(png_claiming(20_000, 20_000))
    code, _, err = build_cli(project, tmp_path / "site", "--no-print", "--report", str(tmp_path / "r.json"))
    assert code == 0 and "Traceback" not in err, err[-2000:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["published"] == 1
    photo_issues = [i for i in report["issues"] if i["field"] == "写真"]
    assert len(photo_issues) == 1 and "the limit is 60 megapixels" in photo_issues[0]["message"]
    assert not (tmp_path / "site" / "photos").exists() or not any((tmp_path / "site" / "photos").iterdir())


# ---------------------------------------------------------------- nesting


@BUDGET
@given(depth=st.integers(min_value=0, max_value=3_000), kind=st.sampled_from(["geojson", "umap", "kml"]))
def test_any_nesting_depth_is_read_or_refused_naming_the_limit(tmp_path_factory, depth, kind):
    folder = tmp_path_factory.mktemp("deep")
    path = folder / f"records.{kind}"
    path.write_bytes(deep_kml(depth) if kind == "kml" else deep_geojson(depth, umap=kind == "umap"))
    try:
        result = read_source(_source(path))
    except InputError as exc:
        assert depth > 30 and f"the limit is {limits.MAX_DEPTH} levels" in str(exc), exc
        assert str(exc).startswith(path.name)
        return
    assert len(result.rows) == 1 and result.rows[0].values["name"] == "深いサロン"


def test_kml_depth_is_checked_before_the_tree_is_walked():
    with pytest.raises(InputError, match="nested too deeply"):
        features_from_kml(deep_kml(limits.MAX_DEPTH + 1), "x.kml")
    assert len(features_from_kml(deep_kml(20), "x.kml")) == 1


# ---------------------------------------------------------------- CSV quoting: no row lost or altered

csv_cell = st.text(st.sampled_from([*"ab宝 '\"\n\r;\t", "、", "注", "＊", "”"]), max_size=12).filter(
    lambda c: c.count(",") <= 2
)


@BUDGET
@given(st.lists(st.lists(csv_cell, min_size=3, max_size=3), min_size=1, max_size=8))
def test_any_cells_excel_can_write_come_back_unchanged(rows):
    """Quotes, apostrophes, semicolons, tabs and line breaks inside cells: written the way Excel writes CSV,
    read back cell for cell (no sniffed quote character, no merged rows, no extra quote)."""
    table = [["名称", "所在地", "備考"], *rows]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    text = buf.getvalue().replace("\r\n", "\n") if "\r" not in "".join(map("".join, rows)) else buf.getvalue()
    assert parse_csv(text, "x.csv") == table


def test_apostrophes_never_become_quotes():
    """csv.Sniffer chose ' as the quote for this file and merged five rows into one cell."""
    text = "名称,所在地,掲載可否\n" + "".join(f"'{k}'のサロン,'西南町{k}',可\n" for k in range(5))
    table = parse_csv(text, "x.csv")
    assert len(table) == 6 and table[4] == ["'3'のサロン", "'西南町3'", "可"]


def test_a_quoted_field_ending_in_a_quote_keeps_exactly_one():
    text = '名称,所在地\n"サロン""ひまわり""",和歌山県\n'
    assert parse_csv(text, "x.csv")[1] == ['サロン"ひまわり"', "和歌山県"]


# ---------------------------------------------------------------- rows that look like notes


def test_rows_that_look_like_notes_are_skipped_with_their_row_number_never_dropped(tmp_path):
    project = make_project(tmp_path / "p", [row()])
    notes = ["注：掲載は同意のあるものだけ", "＊ひまわり会", "備考", "※毎年4月に見直します"]
    records = project / "data" / "records.csv"
    with records.open("a", encoding="utf-8", newline="") as fh:
        for text in notes:
            csv.writer(fh).writerow([text if h == "名称" else "" for h in HEADER])
    code, out, err = build_cli(project, tmp_path / "site", "--no-print", "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    skipped = [(r["row"], r["name"]) for r in report["rows"] if r["outcome"] == "skipped"]
    assert skipped == [(k + 3, unicodedata.normalize("NFKC", text)) for k, text in enumerate(notes)]
    assert (
        report["rows_read"]
        == 5
        == (report["published"] + report["withheld"] + report["rejected"] + report["skipped"])
    )
    assert "+ skipped 4" in out  # the summary line says so too


# ---------------------------------------------------------------- line breaks, controls and formulas


@BUDGET
@given(st.text(st.sampled_from([*BREAK_CHARS, *CONTROLS, "\t", "a", "宝", "="]), max_size=30))
def test_one_line_leaves_no_line_break_or_control_and_keeps_the_text(text):
    line = one_line(text)
    assert not any(ch in line for ch in [*LINE_BREAKS, *CONTROLS, "\t"])
    assert line.replace(" ", "") == "".join(ch for ch in text if ch in "a宝=")


@BUDGET
@given(
    st.text(st.sampled_from([*BREAK_CHARS, *CONTROLS, " ", "\t", "=", "+", "-", "@", "a", "宝"]), max_size=12)
)
def test_a_spreadsheet_cell_never_starts_a_formula(text):
    cell = spreadsheet_cell(text)
    assert cell.startswith("'") or (cell.lstrip(" \u3000")[:1] or "x") not in "=+-@\t\r\n"
    assert not any(ch in cell for ch in CONTROLS)


def test_a_photo_over_the_pixel_limit_is_refused_from_its_header_naming_its_size():
    from gis.photos import PhotoError, clean_image

    with pytest.raises(PhotoError, match="8000x8000 pixels, the limit is 60 megapixels"):
        clean_image(png_claiming(8_000, 8_000))  # decoding 64 million pixels would take seconds


def _hostile_text_project(root: Path) -> Path:
    """Every record field, the title, a category label and an area name hold line breaks and controls."""
    fields = [
        h
        for h in HEADER
        if h
        not in (
            "No.",
            "緯度",
            "経度",
            "掲載可否",
            "状況",
            "最終確認日",
            "種別",
            "連絡先掲載",
            "所在地",
            "開催日時",
        )
    ]
    records = [
        row(
            **{f: broken_line_text(f"{f}{k}") for f in fields},
            所在地="和歌山県ミニ町西南町1-2",
            種別="salon",
            開催日時="毎週水曜日 10:00～12:00",
        )
        for k in range(2)
    ]
    records[1]["名称"] = '=HYPERLINK("http://example.invalid/","x")' + broken_line_text("名")
    records[1]["連絡先掲載"] = "可"
    project = make_project(root, records)
    toml = project / "takara.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        'title = "ミニ町 宝物マップ（テスト）"', f"title = {json.dumps(broken_line_text('=ミニ町'))}"
    )
    text = text.replace('label = "サロン"', f"label = {json.dumps(broken_line_text('+サロン'))}")
    text = text.replace('name = "第2層（地区）"', f"name = {json.dumps(broken_line_text('@第2層'))}")
    toml.write_text(text, encoding="utf-8")
    return project


def test_line_breaks_and_controls_in_every_text_never_break_a_calendar_or_a_spreadsheet(tmp_path):
    from icalendar import Calendar
    from openpyxl import load_workbook

    project = _hostile_text_project(tmp_path / "p")
    site = tmp_path / "site"
    code, out, err = build_cli(project, site, "--no-print", "--report", str(tmp_path / "r.json"))
    assert code == 0 and "Traceback" not in err, err[-2000:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["published"] == 2
    calendars = {path.name: path.read_bytes() for path in (site / "data").rglob("*.ics")}
    for page in sorted(
        (site / "places").glob("*/index.html")
    ):  # a place's own, as its page's script makes it
        found = re.search(r'data-ics="([^"]*)"', page.read_text(encoding="utf-8"))
        if found:
            calendars[page.parent.name] = re.sub(r"\r?\n", "\r\n", html.unescape(found[1])).encode("utf-8")
    assert len(calendars) >= 3  # the district's, the whole map, each place's
    for name, raw in calendars.items():
        for line in raw.split(b"\r\n")[:-1]:
            assert b"\n" not in line and b"\r" not in line, (name, line)
        cal = Calendar.from_ical(raw)
        for component in cal.walk():
            for key in ("SUMMARY", "LOCATION", "X-WR-CALNAME"):
                value = str(component.get(key, ""))
                assert not any(ch in value for ch in [*LINE_BREAKS, *CONTROLS]), (name, key, value)
    places_csv = (site / "data" / "places.csv").read_text(encoding="utf-8-sig")
    assert (
        len(places_csv.splitlines()) == 3
    )  # header + 2 places, one line each, however the cells were broken
    rows = list(csv.reader(io.StringIO(places_csv)))
    assert len(rows) == 3
    for cells in rows:
        for cell in cells:
            assert cell[:1] not in ("=", "+", "-", "@") and not any(ch in cell for ch in CONTROLS), cell
    for book_path in [site / "data" / "places.xlsx", *site.rglob("stats/*.xlsx")]:
        book = load_workbook(book_path)
        for sheet in book.worksheets:
            for cells in sheet.iter_rows():
                for c in cells:
                    assert c.data_type != "f", (book_path.name, c.coordinate, c.value)
    for line in out.splitlines():  # the printed report: one line per issue, whatever the records held
        assert not any(ch in line for ch in [*LINE_BREAKS[2:], *CONTROLS]), line


def snapshot(names: dict[int, str], label: str):
    from gis.diff import FIELDS, Snapshot

    places = {
        n: {
            **{k: "" for k, _ in FIELDS},
            "name": name,
            "address": name,
            "number": n,
            "lat": 35.0,
            "lon": 135.0,
            "areas": {"d": name},
        }
        for n, name in names.items()
    }
    return Snapshot(label=label, edition="2026-11-01", places=places, tier_names={"d": label})


def test_diff_workbook_holds_formulas_from_records_and_config_as_text(tmp_path):
    from openpyxl import load_workbook

    from gis.diff import compare, write_xlsx

    old = snapshot({1: "ひまわり"}, label="=cmd|' /C calc'!A0")
    new = snapshot({1: PAYLOADS[9], 2: '@SUM(1+1)*cmd|"/C calc"!A0', 3: "-2+3"}, label="+ミニ町")
    path = write_xlsx(compare(old, new), tmp_path / "diff.xlsx")
    book = load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for c in cells:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
                texts.append(str(c.value))
    assert "'" + PAYLOADS[9] in texts and "'-2+3" in texts


@pytest.mark.parametrize(
    "features",
    [
        ["not a feature"],
        [{"type": "Feature", "properties": "x", "geometry": None}],
        [{"type": "Feature", "properties": {"number": True}, "geometry": {"coordinates": [1, 2]}}],
        [{"type": "Feature", "properties": {"number": 1}, "geometry": {"coordinates": ["nan", 2]}}],
        [{"type": "Feature", "properties": {"number": 1e400}, "geometry": {"coordinates": [1, 2]}}],
        {"a": 1},
    ],
)
def test_an_odd_previous_edition_is_one_line_for_diff(tmp_path, features):
    from gis.cli import main

    old = tmp_path / "old.geojson"
    old.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    new = tmp_path / "new.geojson"
    new.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = main(["diff", str(old), str(new), "--out", str(tmp_path / "d.html")])
    assert code == 2 and err.getvalue().count("\n") == 1 and "old.geojson" in err.getvalue(), err.getvalue()


def test_a_failed_limit_check_leaves_the_previous_site_and_nothing_beside_it(tmp_path):
    project = make_project(tmp_path / "p", [row()])
    (project / "data" / "records.csv").write_bytes(
        b"\xef\xbb\xbf" + (",".join(HEADER) + "\n").encode() + b'"x' + b",y" * 400
    )
    site = previous_site(tmp_path / "site")
    before = folder_hash(site)
    code, _, err = build_cli(project, site, "--no-print")
    assert code == 2 and "records.csv" in err and "Traceback" not in err
    assert folder_hash(site) == before and leftovers(site) == []
