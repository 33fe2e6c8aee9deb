"""The whole pipeline on a tiny project: every row accounted for, placed in every tier, checked."""

from __future__ import annotations

from gis.config import load_project
from gis.pipeline import run
from gis.report import Report
from tests.projects import make_project, row


def _run(tmp_path, rows):
    report = Report()
    edition = run(load_project(make_project(tmp_path, rows)), report)
    return edition, report, {r.name: r for r in report.rows}


def test_accounting_identity_and_outcomes(tmp_path):
    rows = [
        row(名称="公民館サロン", 緯度="35.012", 経度="135.004"),
        row(
            名称="住所だけの体操", 種別="体操", 所在地="ミニ町東北町一丁目5-6"
        ),  # geocoded from the gazetteer
        row(名称="同意なし", 掲載可否="不可"),
        row(名称="同意欄が空", 掲載可否=""),
        row(名称="終わった会", 状況="終了"),
        row(名称="休んでいる会", 状況="休止中"),
        row(名称="町の外", 緯度="35.5", 経度="135.5"),
        row(名称="見つからない住所", 所在地="ミニ町どこにも町9-9"),
        row(名称="", 所在地="ミニ町西南町1"),
    ]
    edition, report, by_name = _run(tmp_path, rows)
    d = report.to_dict()
    assert d["rows_read"] == 9 == d["published"] + d["withheld"] + d["rejected"] + d["skipped"]
    assert (d["published"], d["withheld"], d["rejected"]) == (3, 3, 3)
    assert {p.name for p in edition.places} == {"公民館サロン", "住所だけの体操", "休んでいる会"}
    assert "区域の外" in by_name["町の外"].reason
    assert (
        "特定できません" in by_name["見つからない住所"].reason
        and by_name["見つからない住所"].field == "所在地"
    )
    assert all({"source", "row", "name", "outcome", "reason"} <= set(r) for r in d["rows"])


def test_places_are_assigned_to_every_tier(tmp_path):
    edition, _, _ = _run(
        tmp_path,
        [
            row(名称="北東の体操", 種別="体操", 所在地="和歌山県ミニ町東北町一丁目2-3"),
            row(名称="西南のサロン", 緯度="35.002", 経度="135.001"),
        ],
    )
    areas = {p.name: p.areas for p in edition.places}
    assert areas["北東の体操"] == {
        "city": ("T", "ミニ町"),
        "district": ("B", "東地区"),
        "nb": ("B2", "東北自治会"),
    }
    assert areas["西南のサロン"]["nb"] == ("A1", "西南自治会")


def test_swapped_coordinates_far_points_and_wrong_district_are_reported(tmp_path):
    edition, report, _ = _run(
        tmp_path,
        [
            row(名称="逆さま", 緯度="135.004", 経度="35.012"),
            row(
                名称="遠い点", 所在地="ミニ町東北町一丁目1", 緯度="35.001", 経度="135.001"
            ),  # ~2 km from 東北町一丁目
            row(名称="地区違い", 緯度="35.002", 経度="135.001", 地区="東地区"),
        ],
    )
    messages = {i.name: i.message for i in report.issues if i.severity == "warning"}
    assert "入れ替わって" in messages["逆さま"]
    assert {p.name: (p.lat, p.lon) for p in edition.places}["逆さま"] == (35.012, 135.004)
    assert "km 離れています" in messages["遠い点"]
    assert "合いません" in messages["地区違い"]


def test_home_venue_never_published_at_its_point(tmp_path):
    edition, _, _ = _run(
        tmp_path,
        [
            row(
                名称="お宅サロン",
                会場="鈴木さん宅",
                会場種別="自宅",
                所在地="ミニ町西南町8-9",
                緯度="35.00123",
                経度="135.00987",
            )
        ],
    )
    (place,) = edition.places
    assert (place.lat, place.lon) == (35.005, 135.005)  # the neighbourhood's representative point
    assert place.address == "ミニ町西南町" and "鈴木" not in place.venue


def test_numbers_persist_between_builds(tmp_path):
    rows = [row(名称="一番"), row(名称="二番", 所在地="ミニ町西北町1")]
    first, _, _ = _run(tmp_path, rows)
    second, _, _ = _run(tmp_path, [*list(reversed(rows)), row(名称="三番", 所在地="ミニ町東南町1")])
    assert {p.name: p.number for p in first.places} == {"一番": 1, "二番": 2}
    assert {p.name: p.number for p in second.places} == {"一番": 1, "二番": 2, "三番": 3}


def test_kurashiki_real_city(tmp_path, kurashiki_dir):
    from tests.kurashiki import make_kurashiki_project

    report = Report()
    edition = run(load_project(make_kurashiki_project(tmp_path / "kurashiki", kurashiki_dir, n=300)), report)
    d = report.to_dict()
    assert d["rows_read"] == 302 == d["published"] + d["withheld"] + d["rejected"] + d["skipped"]
    assert d["published"] >= 280
    assert len(edition.boundaries["junior_high"]) == 26
    areas = {p.name: p.areas for p in edition.places}
    for town in ("茶屋町", "茶屋町早沖"):
        assert areas[f"{town}ふれあいサロン"]["junior_high"][1] == "東陽中学校"
        assert areas[f"{town}ふれあいサロン"]["elementary"][1] == "茶屋町小学校"


def test_bundled_demo_accounts_for_every_row():
    from gis.cli import DEMO

    report = Report()
    edition = run(load_project(DEMO), report)
    d = report.to_dict()
    assert (
        d["rows_read"] >= 300
        and d["rows_read"] == d["published"] + d["withheld"] + d["rejected"] + d["skipped"]
    )
    assert d["withheld"] > 0 and d["rejected"] > 0  # the demo shows both on purpose
    assert {p.category for p in edition.places} == {c.id for c in edition.project.categories}
    assert len(edition.boundaries["neighbourhood"]) >= 20
