"""Tiers defined by town lists (gis/towns.py): real cities (Kesennuma's 16 地区社協 areas, Ishinomaki's
areas from its gazetteer towns), what the report says about a list with mistakes, areas written in
takara.toml, the town sheet, and a private home shown at its 自治会 area's point."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from projects import NEIGHBOURHOODS, make_project, row
from shapely.geometry import mapping
from towncities import (
    ishinomaki_dir,
    ishinomaki_towns,
    kesennuma_dir,
    kesennuma_town_areas,
    town_list_project,
    write_town_list,
)

from gis.build import build_site
from gis.cli import main
from gis.config import load_project
from gis.errors import ConfigError
from gis.pipeline import run
from gis.printing import build_model, district_pdf_name, make_print_environment, write_district
from gis.report import Report
from gis.tiers import representative_points
from gis.towns import suggestions

CHIKUSHAKYO = """
[[tiers]]
id = "chikushakyo"
level = 2
name = "第2層（地区社協）"
label = "地区社協"
towns = "data/tiers/chikushakyo.csv"
"""


def _tier_issues(report: Report, source: str) -> list:
    return [i for i in report.issues if i.source == source]


@pytest.fixture(scope="module")
def kesennuma(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("kesennuma")
    area_of = kesennuma_town_areas()
    write_town_list(root / "data/tiers/chikushakyo.csv", area_of, ("地区社協名", "町名"))
    towns = kesennuma_dir() / "towns_voronoi_APPROX.geojson"
    town_tier = f"""
[[tiers]]
id = "towns"
level = 3
name = "第3層（町丁・字、概略）"
label = "町丁・字"
path = "{towns.as_posix()}"
id_field = "name"
name_field = "name"
"""
    return town_list_project(root, kesennuma_dir(), "気仙沼市", towns, CHIKUSHAKYO + town_tier), area_of


@pytest.fixture(scope="module")
def kesennuma_site(kesennuma, tmp_path_factory):
    root, _ = kesennuma
    out = tmp_path_factory.mktemp("kesennuma-site") / "site"
    return build_site(root, out, None, with_print=False)


def test_kesennuma_16_chikushakyo_areas_from_a_town_list_hold_every_town_once(kesennuma):
    root, area_of = kesennuma
    edition = run(load_project(root))
    areas = edition.boundaries["chikushakyo"]
    assert len(areas) == 16 and sorted(areas["area_name"]) == sorted(set(area_of.values()))
    assert _tier_issues(edition.report, "data/tiers/chikushakyo.csv") == []  # none missing, none twice
    towns = gpd.read_file(kesennuma_dir() / "towns_voronoi_APPROX.geojson").to_crs(6678)
    metric = areas.to_crs(6678)
    # the areas cover exactly the towns, without overlapping: every town is in exactly one area
    assert metric.geometry.area.sum() == pytest.approx(towns.geometry.union_all().area, rel=1e-6)
    assert metric.geometry.union_all().area == pytest.approx(metric.geometry.area.sum(), rel=1e-6)
    for name, area in list(area_of.items())[::40]:
        point = towns.loc[towns["name"] == name].geometry.representative_point().iloc[0]
        holding = metric[metric.geometry.contains(point)]["area_name"].tolist()
        assert holding == [area], name
    note = next(n for n in edition.report.notes if n.startswith("第2層（地区社協）"))
    assert "16 区域" in note and "401 / 401 町" in note and "概略" in note
    # every published place is in its 地区社協 area (one shelter lies beyond the approximate cells)
    assert sum("chikushakyo" in p.areas for p in edition.places) >= len(edition.places) - 1


def test_kesennuma_district_pages_per_chikushakyo_area_say_the_towns_are_approximate(kesennuma_site):
    out = kesennuma_site.out
    pages = sorted((out / "districts").glob("*/index.html"))
    assert len(pages) == 16
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    for name in ("松岩地区社協", "唐桑地区社協", "気仙沼東地区社協"):
        assert name in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "町丁・字の区域は概略" in index
    # the 401 towns are a layer of the map, off when the page opens; the 16 areas are on
    assert re.search(r'value="towns"[^>]*>', index) and not re.search(r'value="towns"[^>]*checked', index)
    assert re.search(r'value="chikushakyo"[^>]*checked', index)
    metadata = json.loads((out / "data/metadata.json").read_text(encoding="utf-8"))
    assert "概略" in json.dumps(metadata, ensure_ascii=False)
    # statistics and walking-distance coverage per 地区社協 area
    for table in ("counts.csv", "coverage.csv"):
        rows = list(csv.reader((out / "stats" / table).read_text(encoding="utf-8-sig").splitlines()))
        names = {r[2] for r in rows[1:] if r[0] == "第2層（地区社協）"}
        assert len(names) == 16 and "松岩地区社協" in names, table


def test_kesennuma_prints_a_chikushakyo_area_sheet(kesennuma_site, tmp_path):
    model = build_model(kesennuma_site.edition)
    assert len(model.districts) == 16
    district = max(model.districts, key=lambda d: len(d.places))
    pdf = write_district(
        model, district, tmp_path / district_pdf_name(district.id), "A4", make_print_environment()
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert district.name in flat and "概略" in flat
    for place in district.places:
        assert place.name in flat


def test_ishinomaki_areas_from_a_town_list_over_towns_made_from_its_gazetteer(tmp_path):
    src = ishinomaki_dir()
    towns_path = ishinomaki_towns(tmp_path / "towns")  # approximate: see tests/towncities.py
    towns = gpd.read_file(towns_path)
    districts = gpd.read_file(src / "junior_high_districts_A32-21.geojson")
    points = gpd.GeoDataFrame(towns[["name"]], geometry=towns.to_crs(6678).representative_point())
    hits = gpd.sjoin_nearest(points, districts[["A32_004", "geometry"]].to_crs(6678), how="left")
    hits = hits[~hits.index.duplicated()]
    area_of = {n: s.replace("中学校", "地区民協") for n, s in zip(hits["name"], hits["A32_004"])}
    write_town_list(tmp_path / "p/data/tiers/minkyo.csv", area_of, ("地区民協", "町名"))
    tier = CHIKUSHAKYO.replace("chikushakyo", "minkyo").replace("地区社協", "地区民協")
    root = town_list_project(tmp_path / "p", src, "石巻市", towns_path, tier)
    edition = run(load_project(root))
    areas = edition.boundaries["minkyo"]
    assert len(towns) == 331  # 337 towns, 6 of them without a point in the gazetteer
    assert len(areas) == len(set(area_of.values())) >= 15
    assert _tier_issues(edition.report, "data/tiers/minkyo.csv") == []
    placed = [p for p in edition.places if "minkyo" in p.areas]
    assert len(placed) >= 0.95 * len(edition.places) > 50
    assert {p.areas["minkyo"][1] for p in placed} <= set(area_of.values())


def test_a_list_with_mistakes_is_reported_with_file_row_and_suggestions(kesennuma, tmp_path, capsys):
    root, area_of = kesennuma
    typo_town, twice_town, gone_town, blank_town = "松崎尾崎", "唐桑町石浜", "大前見島", "本吉町滝沢"
    other = next(a for a in sorted(set(area_of.values())) if a != area_of[twice_town])
    rows = [("地区社協名", "町名")]
    for town, area in area_of.items():
        if town == gone_town:
            continue  # a town left out of the list
        rows.append(("" if town == blank_town else area, "松崎尾先" if town == typo_town else town))
    rows.append((other, twice_town))  # a town put in a second area at the end
    row_of = {town: n for n, (_, town) in reversed(list(enumerate(rows, start=1)))}  # first row naming it
    path = root / "data/tiers/mistakes.csv"
    with path.open("w", encoding="cp932", newline="") as fh:  # as Excel saves it: Shift_JIS
        csv.writer(fh).writerows(rows)
    project = load_project(root)
    project.tiers[1].town_list, project.tiers[1].source_label = path, "data/tiers/mistakes.csv"
    report = run(project).report
    issues = {i.name: i for i in _tier_issues(report, "data/tiers/mistakes.csv")}
    # the mistyped name matches no town, so the town it meant is in no area either
    assert set(issues) == {"松崎尾先", typo_town, twice_town, gone_town, blank_town}

    typo = issues["松崎尾先"]
    assert typo.row == row_of["松崎尾先"] and typo.field == "町名"
    assert "この市の町丁・字にありません" in typo.message and f"近い町名: {typo_town}" in typo.message
    twice = issues[twice_town]
    assert twice.row == len(rows) and f"{row_of[twice_town]}行目で「{area_of[twice_town]}」" in twice.message
    assert f"「{other}」" in twice.message
    gone = issues[gone_town]
    assert gone.row is None and "表にありません" in gone.message and gone.source == "data/tiers/mistakes.csv"
    blank = issues[blank_town]
    assert blank.row == row_of[blank_town] and "空欄" in blank.message
    # the same, as a coordinator reads it from `validate`
    text = (root / "takara.toml").read_text(encoding="utf-8")
    (root / "takara.toml").write_text(text.replace("chikushakyo.csv", "mistakes.csv"), encoding="utf-8")
    try:
        assert main(["validate", str(root), "--report", str(tmp_path / "r.json")]) in (0, 1)
    finally:
        (root / "takara.toml").write_text(text, encoding="utf-8")
    out = capsys.readouterr().out
    assert f"data/tiers/mistakes.csv {typo.row}行目「町名」 [松崎尾先]" in out and "近い町名" in out


def test_suggestions_find_the_town_meant():
    names = ["松崎柳沢", "松崎下金取", "赤岩五駄鱈", "本町一丁目", "本町二丁目", "唐桑町宿"]
    assert suggestions("松崎柳澤", names)[0] == "松崎柳沢"
    assert suggestions("全然違う名前", names) == []  # nothing close: no guess is offered
    assert set(suggestions("本町", names)) == {"本町一丁目", "本町二丁目"}
    assert "赤岩五駄鱈" in suggestions("赤岩", names)


# --- small projects (no ../shared needed) ----------------------------------------------------------

TOWN_LAYER = """
[towns]
path = "data/boundaries/towns.geojson"
id_field = "code"
name_field = "name"
"""
TOWN_NAMES = {"A1": "西南町", "A2": "西北町", "B1": "東南町", "B2": "東北町一丁目"}


def _mini(tmp_path: Path, tiers: str, rows: list[dict]) -> Path:
    root = make_project(tmp_path / "p", rows, extra_toml=TOWN_LAYER + tiers)
    towns = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": f"3020100{i}", "name": TOWN_NAMES[k]},
                "geometry": mapping(g),
            }
            for i, (k, (_, g)) in enumerate(NEIGHBOURHOODS.items())
        ],
    }
    (root / "data/boundaries/towns.geojson").write_text(
        json.dumps(towns, ensure_ascii=False), encoding="utf-8"
    )
    text = (root / "takara.toml").read_text(encoding="utf-8")
    start = text.index('[[tiers]]\nid = "nb"')
    end = text.index("[[categories]]")
    (root / "takara.toml").write_text(text[:start] + text[end:], encoding="utf-8")  # no boundary 第3層
    return root


JICHIKAI = """
[[tiers]]
id = "jichikai"
level = 3
name = "第3層（自治会）"
label = "自治会"

[tiers.areas]
"西自治会" = ["西南町", "西北町"]
"東自治会" = ["東南町", "東北町",
  "北東町"]
"""


def test_areas_written_in_the_config_with_the_line_of_each_mistake(tmp_path):
    root = _mini(tmp_path, JICHIKAI, [row()])
    edition = run(load_project(root))
    areas = edition.boundaries["jichikai"]
    assert list(areas["area_name"]) == ["西自治会", "東自治会"]
    # 東北町 means every 丁目 of it: 東北町一丁目 is in 東自治会
    point = NEIGHBOURHOODS["B2"][1].centroid
    assert areas.loc[areas.geometry.contains(point), "area_name"].tolist() == ["東自治会"]
    [issue] = _tier_issues(edition.report, "takara.toml")
    lines = (root / "takara.toml").read_text(encoding="utf-8").splitlines()
    assert issue.name == "北東町" and '"北東町"' in lines[issue.row - 1] and issue.field == "areas.東自治会"


def test_a_private_home_is_shown_at_the_point_of_its_jichikai_area(tmp_path):
    home = row(名称="山田さん宅サロン", 会場="山田さん宅", 会場種別="自宅", 緯度="35.0012", 経度="135.0013")
    root = _mini(tmp_path, JICHIKAI.replace(',\n  "北東町"', ""), [home])
    project = load_project(root)
    assert project.finest_tier.id == "jichikai"  # a town-list tier is an ordinary tier
    edition = run(project)
    [place] = edition.places
    west = representative_points(edition.boundaries["jichikai"])["西自治会"]
    assert (place.lat, place.lon) == (round(west[0], 4), round(west[1], 4))
    assert place.areas["jichikai"] == ("西自治会", "西自治会") and place.location_precision == "area"
    assert (place.lat, place.lon) != (35.0012, 135.0013)


def test_a_town_list_tier_needs_the_town_layer_and_one_source(tmp_path):
    root = make_project(tmp_path / "p", [row()], extra_toml=JICHIKAI)
    with pytest.raises(ConfigError, match=r"tiers\[3\]\.towns: .*\[towns\]"):
        load_project(root)
    both = JICHIKAI.replace('label = "自治会"', 'label = "自治会"\npath = "data/boundaries/city.geojson"')
    root = make_project(tmp_path / "q", [row()], extra_toml=TOWN_LAYER + both)
    with pytest.raises(ConfigError, match="どれか一つ"):
        load_project(root)


def test_the_town_sheet_lists_every_town_and_fills_in_an_existing_tier(tmp_path):
    root = _mini(tmp_path, JICHIKAI, [row()])
    sheet = tmp_path / "towns.xlsx"
    assert main(["template", str(root), "--tier-towns", "district", "--out", str(sheet)]) == 0
    ws = load_workbook(sheet)["町名と区域"]
    assert [c.value for c in ws[1]] == ["No.", "町名", "町丁字コード", "地区", "備考"]
    got = {r[1]: r[3] for r in ws.iter_rows(min_row=2, values_only=True)}
    # a tier drawn from a boundary file: each town's area from where it lies (a start to adjust)
    assert got == {"西南町": "西地区", "西北町": "西地区", "東南町": "東地区", "東北町一丁目": "東地区"}
    assert main(["template", str(root), "--tier-towns", "jichikai", "--out", str(sheet), "--force"]) == 0
    book = load_workbook(sheet)
    got = {r[1]: r[3] for r in book["町名と区域"].iter_rows(min_row=2, values_only=True)}
    assert got == {
        "西南町": "西自治会",
        "西北町": "西自治会",
        "東南町": "東自治会",
        "東北町一丁目": "東自治会",
    }
    assert [c.value for c in book["区域の一覧"]["A"]] == ["自治会", "西自治会", "東自治会"]
    # the sheet, saved as the tier's list, makes the same areas
    text = (root / "takara.toml").read_text(encoding="utf-8")
    start = text.index("[tiers.areas]")
    (root / "takara.toml").write_text(text[:start] + f'towns = "{sheet.as_posix()}"\n', encoding="utf-8")
    edition = run(load_project(root))
    assert list(edition.boundaries["jichikai"]["area_name"]) == ["西自治会", "東自治会"]
    assert _tier_issues(edition.report, sheet.as_posix()) == []


def test_town_lists_make_tiers_at_any_level_nested_in_each_other(tmp_path):
    """第2層 地区社協, 第3層 自治会 and a 第4層 班, all from the same towns, each area inside its parent."""
    levels = """
[[tiers]]
id = "shakyo"
level = 2
name = "第2層（地区社協）"
label = "地区社協"
[tiers.areas]
"ミニ地区社協" = ["西南町", "西北町", "東南町", "東北町"]

[[tiers]]
id = "jichikai"
level = 3
name = "第3層（自治会）"
label = "自治会"
[tiers.areas]
"西自治会" = ["西南町", "西北町"]
"東自治会" = ["東南町", "東北町"]

[[tiers]]
id = "han"
level = 4
name = "第4層（班）"
label = "班"
[tiers.areas]
"西南班" = ["西南町"]
"西北班" = ["西北町"]
"東班" = ["東南町", "東北町一丁目"]
"""
    root = _mini(tmp_path, levels, [row()])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    start = text.index('[[tiers]]\nid = "district"')
    (root / "takara.toml").write_text(
        text[:start] + text[text.index("[[categories]]", start) :], encoding="utf-8"
    )
    project = load_project(root)
    assert [t.id for t in project.tiers] == ["city", "shakyo", "jichikai", "han"]
    edition = run(project)
    han = edition.boundaries["han"].set_index("area_id")
    assert (
        han.loc["西北班", "parent_jichikai"] == "西自治会"
        and han.loc["東班", "parent_jichikai"] == "東自治会"
    )
    assert set(han["parent_shakyo"]) == {"ミニ地区社協"}
    [place] = edition.places
    assert [place.areas[t][0] for t in ("shakyo", "jichikai", "han")] == [
        "ミニ地区社協",
        "西自治会",
        "西南班",
    ]
    assert not [i for i in edition.report.issues if i.source == "takara.toml"]


def test_a_tier_of_hundreds_of_towns_is_off_when_the_map_opens_even_as_the_district_tier(kesennuma):
    from gis.pages import _tiers_ctx
    from gis.view import Catalogue, SiteModel

    root, _ = kesennuma
    project = load_project(root)
    project.tiers = [t for t in project.tiers if t.id in ("city", "towns")]  # the towns are the 第2層
    model = SiteModel(run(project), Catalogue("ja"))
    shown = {t["id"]: (t["count"], t["show"]) for t in _tiers_ctx(model)}
    assert shown == {"city": (1, True), "towns": (401, False)}


def test_a_home_in_a_town_left_out_of_the_list_is_shown_at_a_coarser_area_never_at_home(tmp_path):
    home = row(名称="山田さん宅サロン", 会場="山田さん宅", 会場種別="自宅", 緯度="35.0012", 経度="135.0013")
    root = _mini(tmp_path, JICHIKAI.replace('"西南町", ', "").replace(',\n  "北東町"', ""), [home])
    edition = run(load_project(root))
    [place] = edition.places
    assert "jichikai" not in place.areas  # 西南町 is in no 自治会 area
    west = representative_points(edition.boundaries["district"])["A"]  # 西地区, the area it is in
    assert (place.lat, place.lon) == (round(west[0], 4), round(west[1], 4)) != (35.0012, 135.0013)
