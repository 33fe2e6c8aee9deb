"""Readers: every encoding coordinators' CSVs come in, XLSX with title rows and notes, GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from gis.config import RecordSource
from gis.errors import InputError
from gis.records import read_source

ROWS = [
    ["名称", "種別", "所在地", "参加費"],
    ["さくらサロン", "サロン", "西南町１の２", "１００円"],
    ["朝の体操", "体操", "東北町", "無料"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> RecordSource:
    path.write_bytes("\r\n".join(",".join(r) for r in rows).encode(encoding))
    return RecordSource(path=path, label=path.name)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    result = read_source(write_csv(tmp_path / "r.csv", ROWS, encoding))
    assert [r.values["name"] for r in result.rows] == ["さくらサロン", "朝の体操"]
    assert result.rows[0].values["fee"] == "１００円"  # raw here; normalised by validate
    assert result.rows[0].row == 2  # the row number Excel would show


def test_mixed_encoding_csv_is_an_error_not_mojibake(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "名称,種別\n".encode() + "さくら,サロン\n".encode("cp932") + "\x80\x81\n".encode("latin-1")
    )
    with pytest.raises(InputError, match="mixed.csv.*文字コード"):
        read_source(RecordSource(path=path, label="mixed.csv"))


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError, match="photo.csv.*バイナリ"):
        read_source(RecordSource(path=path, label="photo.csv"))


def test_csv_without_name_column_names_the_file(tmp_path):
    with pytest.raises(InputError, match="r.csv.*見出し"):
        read_source(write_csv(tmp_path / "r.csv", [["a", "b"], ["1", "2"]], "utf-8"))


def test_project_column_mapping_wins(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("サークル名,やってること\n歩こう会,ウォーキング\n", encoding="utf-8")
    result = read_source(
        RecordSource(path=path, label="own.csv", columns={"サークル名": "name", "やってること": "activities"})
    )
    assert result.rows[0].values == {"name": "歩こう会", "activities": "ウォーキング"}


def test_xlsx_title_rows_blank_rows_notes_and_extra_sheets(tmp_path):
    book = Workbook()
    notes = book.active
    notes.title = "説明"
    notes["A1"] = "この表の書き方"
    data = book.create_sheet("一覧")
    data.append(["たから市 通いの場一覧（令和8年11月1日現在）"])
    data.append([])
    data.append(["No.", "名称", "種別", "所在地", "独自の列"])
    data.append([1, "さくらサロン", "サロン", "西南町1-2", "メモ"])
    data.append([])
    data.append([2, "朝の体操", "体操", "東北町", None])
    data.append([])
    data.append(["※ この一覧は毎年更新します"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = read_source(RecordSource(path=path, label="book.xlsx"))  # sheet found without being named
    assert [(r.row, r.values["name"]) for r in result.rows] == [(4, "さくらサロン"), (6, "朝の体操")]
    assert result.rows[0].extra == {"独自の列": "メモ"}
    assert any("独自の列" in n for n in result.notes)


def test_xlsx_named_sheet_missing_lists_sheets(tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"
    path = tmp_path / "b.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="シート「一覧」がありません.*Sheet1"):
        read_source(RecordSource(path=path, label="b.xlsx", sheet="一覧"))


def test_truncated_xlsx_is_a_clear_error(tmp_path):
    book = Workbook()
    book.active.append(["名称", "種別"])
    path = tmp_path / "t.xlsx"
    book.save(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match="t.xlsx.*Excel"):
        read_source(RecordSource(path=path, label="t.xlsx"))


def test_empty_and_header_only_sheets(tmp_path):
    book = Workbook()
    path = tmp_path / "e.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="空"):
        read_source(RecordSource(path=path, label="e.xlsx"))
    book.active.append(["名称", "種別"])
    book.save(path)
    assert read_source(RecordSource(path=path, label="e.xlsx")).rows == []


def test_geojson_records_take_point_coordinates(tmp_path):
    path = tmp_path / "p.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "公園体操", "category": "体操"},
                        "geometry": {"type": "Point", "coordinates": [135.005, 35.005]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    row = read_source(RecordSource(path=path, label="p.geojson")).rows[0]
    assert (row.values["lat"], row.values["lon"], row.row) == (35.005, 135.005, 1)
