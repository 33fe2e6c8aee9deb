"""Small map projects made by tests: a square town of two districts and four neighbourhoods.

Town ミニ町 spans lon 135.00–135.02, lat 35.00–35.02. District A is the west half, B the east half;
neighbourhoods A1/A2 (south/north of A) and B1/B2. The gazetteer has one town per neighbourhood."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from shapely.geometry import box, mapping

X0, Y0, X1, Y1 = 135.00, 35.00, 135.02, 35.02
XM, YM = 135.01, 35.01
DISTRICTS = {"A": ("西地区", box(X0, Y0, XM, Y1)), "B": ("東地区", box(XM, Y0, X1, Y1))}
NEIGHBOURHOODS = {
    "A1": ("西南自治会", box(X0, Y0, XM, YM)),
    "A2": ("西北自治会", box(X0, YM, XM, Y1)),
    "B1": ("東南自治会", box(XM, Y0, X1, YM)),
    "B2": ("東北自治会", box(XM, YM, X1, Y1)),
}
TOWNS = {  # town -> (lat, lng) at the centre of its neighbourhood
    "西南町": (35.005, 135.005),
    "西北町": (35.015, 135.005),
    "東南町": (35.005, 135.015),
    "東北町一丁目": (35.015, 135.015),
}

CATEGORIES = """
[[categories]]
id = "salon"
label = "サロン"
color = "#b3261e"
icon = "☕"
aliases = ["ふれあいサロン"]

[[categories]]
id = "exercise"
label = "体操"
color = "#1b5e20"
icon = "🤸"
"""

HEADER = [
    "No.",
    "名称",
    "種別",
    "会場",
    "会場種別",
    "所在地",
    "緯度",
    "経度",
    "開催日時",
    "対象",
    "参加費",
    "活動内容",
    "連絡先",
    "連絡先掲載",
    "掲載可否",
    "状況",
    "最終確認日",
    "地区",
]


def feature_collection(items: dict, id_field: str, name_field: str) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {id_field: k, name_field: name}, "geometry": mapping(geom)}
            for k, (name, geom) in items.items()
        ],
    }


def write_boundaries(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    city = {"T": ("ミニ町", box(X0, Y0, X1, Y1))}
    for name, items in (("city", city), ("districts", DISTRICTS), ("neighbourhoods", NEIGHBOURHOODS)):
        (folder / f"{name}.geojson").write_text(
            json.dumps(feature_collection(items, "id", "name"), ensure_ascii=False), encoding="utf-8"
        )


def write_gazetteer(folder: Path) -> Path:
    ja = folder / "ja"
    (ja / "和歌山県").mkdir(parents=True, exist_ok=True)
    (folder / "ja.json").write_text(
        json.dumps({"和歌山県": ["ミニ町"]}, ensure_ascii=False), encoding="utf-8"
    )
    towns = [{"town": t, "koaza": "", "lat": lat, "lng": lng} for t, (lat, lng) in TOWNS.items()]
    (ja / "和歌山県" / "ミニ町.json").write_text(json.dumps(towns, ensure_ascii=False), encoding="utf-8")
    return ja


def row(**values: object) -> dict:
    """A record row with sensible defaults (consented, active, a salon at a hall in 西南町)."""
    base = {
        "名称": "テストサロン",
        "種別": "サロン",
        "会場": "西南集会所",
        "会場種別": "集会所",
        "所在地": "和歌山県ミニ町西南町1-2",
        "緯度": "",
        "経度": "",
        "開催日時": "毎週水曜日 10:00～12:00",
        "対象": "どなたでも",
        "参加費": "無料",
        "活動内容": "おしゃべり",
        "連絡先": "",
        "連絡先掲載": "",
        "掲載可否": "可",
        "状況": "活動中",
        "最終確認日": "2026/4/1",
        "地区": "",
    }
    base.update({k: ("" if v is None else v) for k, v in values.items()})
    return base


def make_project(
    root: Path,
    rows: list[dict],
    *,
    encoding: str = "utf-8-sig",
    extra_toml: str = "",
    records_name: str = "records.csv",
) -> Path:
    """Write a complete tiny map project into `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    write_boundaries(root / "data" / "boundaries")
    write_gazetteer(root / "data" / "gazetteer")
    records = root / "data" / records_name
    if records_name.endswith(".csv"):
        with records.open("w", encoding=encoding, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
            writer.writeheader()
            for r in rows:
                writer.writerow({k: r.get(k, "") for k in HEADER})
    (root / "takara.toml").write_text(
        f"""
[site]
title = "ミニ町 宝物マップ（テスト）"
lead = "テスト用の小さな町です。"
attribution = "テストデータ"
edition = "2026-11-01"
base_url = "https://example.org/mini/"
fictional = true

[build]
gazetteer = "data/gazetteer/ja"
numbers_file = "data/numbers.json"

[[records]]
path = "data/{records_name}"

[[tiers]]
id = "city"
level = 1
name = "第1層（町全域）"
path = "data/boundaries/city.geojson"
id_field = "id"
name_field = "name"

[[tiers]]
id = "district"
level = 2
name = "第2層（地区）"
label = "地区"
path = "data/boundaries/districts.geojson"
id_field = "id"
name_field = "name"

[[tiers]]
id = "nb"
level = 3
name = "第3層（自治会）"
label = "自治会"
path = "data/boundaries/neighbourhoods.geojson"
id_field = "id"
name_field = "name"
{CATEGORIES}
{extra_toml}
""",
        encoding="utf-8",
    )
    return root
