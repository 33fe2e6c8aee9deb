"""Map projects on real cities whose second tier is defined by a town list (tests/test_towns.py).

The town lists are made here, not taken from anywhere: the real 地区社協 lists are not public data.
Kesennuma's 16 地区社協-like areas group its 401 towns by the elementary-school district their cell's
point lies in (14 districts), the two with the most towns split in two east/west: every town in
exactly one area. The town polygons are ../shared's approximate cells (towns_voronoi_APPROX.geojson),
labelled approximate. Ishinomaki has no town polygons in ../shared, so its towns are approximated
here from the gazetteer's points (cells around each town's points, clipped to the city) — also
labelled approximate.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
from conftest import shared_path
from mirrorfixtures import voronoi_cells
from projects import CATEGORIES

MIYAGI = "宮城県"


def kesennuma_dir() -> Path:
    return shared_path("data", "kesennuma")


def ishinomaki_dir() -> Path:
    return shared_path("data", "ishinomaki")


def kesennuma_town_areas() -> dict[str, str]:
    """town name -> 地区社協-like area name (16 areas, test-made, see the module docstring)."""
    src = kesennuma_dir()
    towns = gpd.read_file(src / "towns_voronoi_APPROX.geojson").to_crs(6678)  # metres (JGD2011 X)
    schools = gpd.read_file(src / "elementary_districts_A27-21.geojson").to_crs(6678)
    points = towns.geometry.representative_point()
    area_of: dict[str, str] = {}
    for name, point in zip(towns["name"], points):
        distances = schools.geometry.distance(point)  # the islets outside every district: the nearest
        school = str(schools.loc[distances.idxmin(), "A27_004"])
        area_of[name] = school.replace("市立", "").replace("小学校", "") + "地区社協"
    by_area: dict[str, list[str]] = {}
    for name, area in area_of.items():
        by_area.setdefault(area, []).append(name)
    xs = dict(zip(towns["name"], points.x))
    for area in sorted(by_area, key=lambda a: (-len(by_area[a]), a))[:2]:
        members = sorted(by_area[area], key=lambda n: (xs[n], n))
        for name in members[len(members) // 2 :]:
            area_of[name] = area.replace("地区社協", "東地区社協")
    return area_of


def ishinomaki_towns(folder: Path) -> Path:
    """Approximate town polygons for Ishinomaki from its gazetteer points: a Voronoi cell per point,
    clipped to the city, dissolved by town name (a town with several 小字 points gets their union)."""
    src = ishinomaki_dir()
    entries = json.loads((src / "gazetteer" / "ja" / MIYAGI / "石巻市.json").read_text(encoding="utf-8"))
    city = gpd.read_file(src / "municipality_N03-21.geojson").geometry.union_all()
    points = {}
    for e in entries:  # one point per distinct position (小字 of one town may share it)
        if e["lat"] is None or e["lng"] is None:
            continue  # a town the gazetteer has no point for gets no cell
        points.setdefault((round(e["lng"], 6), round(e["lat"], 6)), e["town"])
    gdf = voronoi_cells(points, city)
    path = folder / "ishinomaki_towns_APPROX.geojson"
    folder.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, driver="GeoJSON")
    return path


def write_town_list(path: Path, area_of: dict[str, str], header: tuple[str, str]) -> Path:
    """A town list CSV as a coordinator keeps it: one row per town, with its area."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for town, area in area_of.items():
            writer.writerow((area, town))
    return path


def shelter_records(path: Path, city_dir: Path, city: str, homes: int = 1) -> Path:
    """Records at the city's real shelters (the activities are made up); the first `homes` are held
    in someone's home, whose point must never be published."""
    data = json.loads((city_dir / "facilities_evacuation_GSI.geojson").read_text(encoding="utf-8"))
    header = ["名称", "種別", "会場", "会場種別", "所在地", "緯度", "経度", "開催日時", "掲載可否", "状況"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, f in enumerate(data["features"]):
            lon, lat = f["geometry"]["coordinates"]
            home = i < homes
            writer.writerow(
                [
                    f"{city}テストサロン{i + 1}",
                    "サロン" if i % 2 else "体操",
                    "山田さん宅" if home else f["properties"]["施設・場所名"],
                    "自宅" if home else "集会所",
                    f["properties"]["住所"],
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    "毎週水曜日 10:00～12:00",
                    "可",
                    "活動中",
                ]
            )
    return path


def town_list_project(
    root: Path,
    city_dir: Path,
    city: str,
    towns_path: Path,
    tiers_toml: str,
    town_fields: tuple[str, str] = ("name", "name"),
) -> Path:
    """A project: the city (N03) as 第1層, the tiers given (made from town lists), the town layer."""
    root.mkdir(parents=True, exist_ok=True)
    records = shelter_records(root / "data" / "records.csv", city_dir, city)
    (root / "takara.toml").write_text(
        f"""
[site]
title = "{city} 宝物マップ（テスト）"
attribution = "国土数値情報（行政区域）"
edition = "2026-11-01"
base_url = "https://example.org/{city}/"

[build]
gazetteer = "{(city_dir / "gazetteer" / "ja").as_posix()}"
numbers_file = "data/numbers.json"

[[records]]
path = "{records.relative_to(root).as_posix()}"

[towns]
path = "{towns_path.as_posix()}"
id_field = "{town_fields[0]}"
name_field = "{town_fields[1]}"
approximate = true

[[tiers]]
id = "city"
level = 1
name = "第1層（{city}）"
path = "{(city_dir / "municipality_N03-21.geojson").as_posix()}"
id_field = "N03_007"
name_field = "N03_004"
{tiers_toml}
{CATEGORIES}
""",
        encoding="utf-8",
    )
    return root
