"""Sheets in the coordinators' own words: header dialects, columns read by their values with a ready
[records.columns] line, a sheet without a consent column stopped (never a silent "0 published"), and the
bundled second workbook (data/records/dialect.xlsx) built after pasting the proposed lines."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pytest

from gis import pipeline
from gis.config import load_project
from gis.errors import InputError
from gis.place import normalise_text
from gis.report import Report
from tests.conftest import REPO
from tests.projects import make_project


def _project(tmp_path: Path, header: list[str], rows: list[list[str]], extra_toml: str = "") -> Path:
    root = make_project(tmp_path / "p", [], extra_toml=extra_toml)
    with (root / "data" / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return root


def _run(root: Path):
    return pipeline.run(load_project(root), Report())


VENUE_HEADERS = ["活動場所", "開催場所", "実施場所", "場所", "会場名", "集会場所", "活動会場", "開催会場"]


@pytest.mark.parametrize("header", VENUE_HEADERS)
def test_the_venue_column_is_read_under_the_councils_own_headers(tmp_path, header):
    root = _project(
        tmp_path,
        ["団体名", "種別", header, "住所", "掲載可否"],
        [
            ["公民館の体操", "体操", "西南公民館", "和歌山県ミニ町西南町1-2", "可"],
            ["縁側サロン", "サロン", "山田様方", "和歌山県ミニ町西北町3-21-7", "可"],
        ],
    )
    edition = _run(root)
    hall, home = edition.places
    assert (hall.venue, hall.location_precision) == ("西南公民館", "exact")
    assert home.location_precision == "area" and "山田" not in home.venue + home.address


@pytest.mark.parametrize(
    "header, field",
    [
        ("ＨＰ掲載", "consent"),
        ("ホームページ掲載", "consent"),
        ("公開の可否", "consent"),
        ("掲載の可否", "consent"),
        ("電話番号の掲載", "contact_consent"),
        ("連絡先の公開", "contact_consent"),
        ("代表者", "representative"),
        ("主催者", "organiser"),
    ],
)
def test_municipal_header_dialects_are_known(header, field):
    from gis.records import map_headers

    mapped, unknown = map_headers(["名称", header], {})
    assert mapped[1] == field and not unknown


def test_consent_under_hp_keisai_publishes_and_the_representative_is_never_published(tmp_path):
    root = _project(
        tmp_path,
        ["団体名", "種別", "会場", "住所", "代表者", "活動内容", "ＨＰ掲載", "電話番号", "電話番号の掲載"],
        [
            [
                "歩こう会",
                "体操",
                "西南公民館",
                "和歌山県ミニ町西南町1-2",
                "山田花子",
                "山田花子が案内します",
                "○",
                "0739-11-2222",
                "×",
            ],
            ["休みの会", "体操", "西南公民館", "和歌山県ミニ町西南町1-2", "", "", "×", "", ""],
        ],
    )
    edition = _run(root)
    [p] = edition.places
    assert p.name == "歩こう会" and p.phone == "" and "山田花子" not in p.activities
    assert [r.outcome for r in sorted(edition.report.rows, key=lambda r: r.row)] == ["published", "withheld"]


def test_an_unmapped_venue_column_gives_area_level_for_every_venue_not_known_public(tmp_path):
    root = _project(
        tmp_path,
        ["団体名", "種別", "やる所", "住所", "掲載可否"],
        [
            ["公民館の体操", "体操", "西南公民館", "和歌山県ミニ町西南町1-2", "可"],
            ["縁側サロン", "サロン", "山田さん宅", "和歌山県ミニ町西北町3-21-7", "可"],
            ["東のサロン", "サロン", "東南集会所", "和歌山県ミニ町東南町4-4", "可"],
        ],
    )
    edition = _run(root)
    assert [p.location_precision for p in edition.places] == ["area", "area", "area"]
    assert all("-" not in p.address for p in edition.places)  # cut to the town
    warned = {i.row for i in edition.report.issues if i.severity == "warning" and i.field == "会場"}
    assert warned == {2, 3, 4}
    assert all("会場種別" in i.message for i in edition.report.issues if i.field == "会場")  # how to mark it
    # the unused column is named, and proposed as the venue column with a ready line
    assert any('"やる所" = "venue"' in n for n in edition.report.notes), edition.report.notes


def test_a_consent_column_in_the_councils_words_is_proposed_and_the_build_stops_until_it_is_named(tmp_path):
    header = ["団体名", "種別", "会場", "住所", "HP・広報誌への掲載", "電話を載せる", "写真の公開OK"]
    rows = [
        ["歩こう会", "体操", "西南公民館", "和歌山県ミニ町西南町1-2", "○", "はい", "いいえ"],
        ["休みの会", "体操", "西南公民館", "和歌山県ミニ町西南町1-2", "×", "いいえ", "はい"],
    ]
    root = _project(tmp_path, header, rows)
    with pytest.raises(InputError) as caught:
        _run(root)
    message = str(caught.value)
    assert message.startswith("data/records.csv: 掲載可否") and "「HP・広報誌への掲載」" in message
    pasted = message.split("[records.columns]\n", 1)[1]
    assert set(pasted.splitlines()) == {
        '"HP・広報誌への掲載" = "consent"',
        '"電話を載せる" = "contact_consent"',
        '"写真の公開OK" = "photo_consent"',
    }
    toml = (root / "takara.toml").read_text(encoding="utf-8")
    (root / "takara.toml").write_text(
        toml.replace('path = "data/records.csv"', 'path = "data/records.csv"\n[records.columns]\n' + pasted),
        encoding="utf-8",
    )
    edition = _run(root)
    assert [p.name for p in edition.places] == ["歩こう会"]


def test_a_sheet_without_any_consent_column_is_an_error_not_zero_published(tmp_path):
    root = _project(
        tmp_path, ["団体名", "種別", "会場", "住所"], [["歩こう会", "体操", "西南公民館", "西南町1-2"]]
    )
    with pytest.raises(InputError, match=r"掲載可否.*列が見つかりません.*\[records.columns\]"):
        _run(root)


def test_a_header_row_error_names_records_columns_as_the_fix(tmp_path):
    root = _project(tmp_path, ["サークル", "何の会"], [["歩こう会", "体操"]])
    with pytest.raises(InputError, match=r"\[records.columns\]"):
        _run(root)


# ---------------------------------------------------------------- the bundled dialect workbook


def _dialect_script():
    spec = importlib.util.spec_from_file_location(
        "make_dialect_workbook", REPO / "scripts" / "make_dialect_workbook.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _dialect_copy(tmp_path: Path, with_columns: bool) -> Path:
    root = tmp_path / "dialect"
    shutil.copytree(REPO / "layers", root / "layers")
    for part in ("boundaries", "gazetteer"):
        shutil.copytree(REPO / "data" / part, root / "data" / part)
    (root / "data" / "records").mkdir()
    shutil.copy(REPO / "data" / "records" / "dialect.xlsx", root / "data" / "records")
    toml = (REPO / "takara-dialect.toml").read_text(encoding="utf-8")
    if not with_columns:
        toml = toml.split("[records.columns]", 1)[0]
    (root / "takara.toml").write_text(toml, encoding="utf-8")
    return root


def test_the_dialect_workbook_is_what_its_script_writes(tmp_path):
    script = _dialect_script()
    script.make(tmp_path)
    assert (tmp_path / "data/records/dialect.xlsx").read_bytes() == (
        REPO / "data/records/dialect.xlsx"
    ).read_bytes()
    assert (tmp_path / "takara-dialect.toml").read_text() == (REPO / "takara-dialect.toml").read_text()
    assert script.readme_section() in (REPO / "data" / "README.md").read_text(encoding="utf-8")


def test_the_dialect_workbook_stops_with_the_proposed_lines_then_builds_once_they_are_pasted(tmp_path):
    script = _dialect_script()
    with pytest.raises(InputError) as caught:
        _run(_dialect_copy(tmp_path / "a", with_columns=False))
    assert "HP・広報誌への掲載" in str(caught.value)
    printed = str(caught.value).split("[records.columns]\n", 1)[1].splitlines()
    assert printed == script.columns_toml().splitlines()  # what takara-dialect.toml holds, pasted

    edition = _run(_dialect_copy(tmp_path / "b", with_columns=True))
    outcomes = {r.name: r.outcome for r in edition.report.rows}
    # every row of the table, and the note under it reported as skipped (never a place, never lost)
    assert outcomes == {
        **{row[0]: row[15] for row in script.ROWS},
        normalise_text(script.FOOTNOTE): "skipped",
    }
    places = {p.name: p for p in edition.places}
    home = places["おしゃべり会 ほっと"]  # a home under 活動場所
    assert home.location_precision == "area" and "山田" not in home.venue and home.address == "たから市東山"
    assert places["さくら町いきいきサロン"].location_precision == "exact"
    assert places["さくら町いきいきサロン"].phone == "0866-00-3101"  # 代表者電話, full width, ○
    assert places["ひのでラジオ体操会"].phone == ""  # 電話番号を載せてよいか ×
    assert str(places["さくら町いきいきサロン"].confirmed) == "2024-07-22"  # 令和６年７月２２日, full width
    assert str(places["ひのでラジオ体操会"].confirmed) == "2024-05-01"  # Ｒ６．５．１
    assert places["東山手芸の会"].location_precision == "exact"  # blank kind, venue known by its words
    assert places["朝日台お元気クラブ"].location_precision == "area"  # その他


def test_the_dialect_build_leaks_nothing(tmp_path):
    from gis.leaks import scan_project_site
    from tests.hostile import build_cli

    root = _dialect_copy(tmp_path, with_columns=True)
    code, _, err = build_cli(root, tmp_path / "site", "--no-print")
    assert code == 0, err[-2000:]
    scan = scan_project_site(root, tmp_path / "site")
    assert scan.lines() == [] and scan.note_lines() == []
    site_text = "".join(
        p.read_text(encoding="utf-8", errors="ignore") for p in (tmp_path / "site").rglob("*.json")
    )
    assert "3199" not in site_text and "山田様方" not in site_text  # 備考's phone, the home's name
