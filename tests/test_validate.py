"""Normalisation and row checks: full-width text, 和暦 dates, consent words, and clear rejections."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gis.config import load_project
from gis.place import normalise_text, parse_yes_no
from gis.records import RawRow
from gis.report import Report
from gis.validate import parse_date, validate_rows
from tests.projects import make_project, row


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023/2/6", date(2023, 2, 6)),
        ("2023-02-06", date(2023, 2, 6)),
        ("2023年2月6日", date(2023, 2, 6)),
        ("令和6年7月22日", date(2024, 7, 22)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R5.2.5", date(2023, 2, 5)),
        ("H31.4.1", date(2019, 4, 1)),
        ("平成30年12月1日", date(2018, 12, 1)),
        ("Ｒ５．２．５", date(2023, 2, 5)),
        ("２０２３／２／６", date(2023, 2, 6)),
        ("", None),
        (None, None),
        (datetime(2024, 1, 2, 0, 0), date(2024, 1, 2)),
        (45000, date(2023, 3, 15)),
    ],
)
def test_dates_in_seireki_and_wareki(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["来週", "2023/13/1", "R5"])
def test_bad_dates_raise(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_full_width_digits_letters_and_punctuation_are_normalised():
    assert normalise_text("ＡＢＣ１２３（木）") == "ABC123(木)"
    assert normalise_text("本町２丁目３－５") == "本町2丁目3-5"
    assert normalise_text("ｻﾛﾝ") == "サロン"
    assert normalise_text("10:00〜12:00") == "10:00～12:00"
    assert normalise_text("名前\x00\u202e") == "名前"


@pytest.mark.parametrize(
    "word, expected",
    [("可", True), ("○", True), ("はい", True), ("不可", False), ("×", False), ("", None), ("たぶん", None)],
)
def test_consent_words(word, expected):
    assert parse_yes_no(word) is expected


def _validate(tmp_path, *rows):
    project = load_project(make_project(tmp_path, []))
    report = Report()
    raw = [
        RawRow(
            "records.csv",
            i + 2,
            {
                "name": r["名称"],
                "category": r["種別"],
                "address": r["所在地"],
                "lat": r["緯度"],
                "lon": r["経度"],
                "consent": r["掲載可否"],
                "status": r["状況"],
                "confirmed": r["最終確認日"],
                "number": r.get("No.", ""),
                "fee": r["参加費"],
            },
        )
        for i, r in enumerate(rows)
    ]
    return validate_rows(raw, project, report), report


def test_rejections_name_file_row_and_field_in_japanese_and_english(tmp_path):
    places, report = _validate(
        tmp_path,
        row(名称=""),
        row(種別="ヨガ"),
        row(所在地="", 緯度="", 経度=""),
        row(緯度="35.0", 経度=""),
        row(状況="たぶん"),
        row(名称="良い行"),
    )
    assert [p.name for p in places] == ["良い行"]
    rejected = {r.row: (r.field, r.reason) for r in report.rows}
    assert rejected[2][0] == "名称" and "名称が空欄" in rejected[2][1] and "empty" in rejected[2][1]
    assert rejected[3][0] == "種別" and "ヨガ" in rejected[3][1] and "サロン" in rejected[3][1]
    assert rejected[4][0] == "所在地"
    assert rejected[5][0] == "経度"
    assert rejected[6][0] == "状況"


def test_duplicate_number_is_rejected_pointing_at_the_first(tmp_path):
    places, report = _validate(tmp_path, {**row(名称="一"), "No.": "5"}, {**row(名称="二"), "No.": "５"})
    assert [p.number for p in places] == [5]
    assert "records.csv 2行目" in report.rows[0].reason


def test_category_alias_and_fee_normalised(tmp_path):
    places, _ = _validate(tmp_path, row(種別="ふれあいサロン", 参加費="１００円"))
    assert places[0].category == "salon" and places[0].fee == "100円"
