"""A real-city project for 倉敷市 built from ../shared/data/kurashiki (referenced where it lies, never copied).

Records are written by the test: places at real public venues (designated shelters: 公民館, schools,
halls) with their points, and places at gazetteer towns with made-up 番地 and no coordinates, so the
geocoder has to place them. Deterministic (seeded)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

CATEGORIES = [
    ("salon", "サロン", "#b3261e", "☕"),
    ("kayoi", "通いの場（体操）", "#1b5e20", "🤸"),
    ("radio", "ラジオ体操", "#0d47a1", "📻"),
    ("seniorclub", "老人クラブ", "#6a1b9a", "🌸"),
    ("cafe", "地域カフェ・食事会", "#e65100", "🍵"),
]
SCHEDULES = [
    "毎週水曜日 10:00～12:00",
    "第2・第4火曜日 13時30分～15時",
    "毎朝6時30分から",
    "毎月15日 午前10時から",
    "不定期",
    "週2回（月・木）9時半～11時",
]
HEADER = [
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
    "掲載可否",
    "状況",
]


def make_kurashiki_project(root: Path, shared: Path, n: int = 300, seed: int = 33202) -> Path:
    """Write a Kurashiki map project into `root`; `shared` is ../shared/data/kurashiki."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    venues = json.loads((shared / "facilities_evacuation_GSI.geojson").read_text(encoding="utf-8"))[
        "features"
    ]
    towns = json.loads((shared / "gazetteer" / "ja" / "岡山県" / "倉敷市.json").read_text(encoding="utf-8"))
    rows = []
    for i in range(n):
        _, label, _, _ = CATEGORIES[i % len(CATEGORIES)]
        base = {
            "種別": label,
            "開催日時": SCHEDULES[i % len(SCHEDULES)],
            "対象": "どなたでも",
            "参加費": "無料" if i % 3 else "100円",
            "活動内容": "体操・おしゃべり",
            "掲載可否": "不可" if i % 37 == 5 else "可",
            "状況": "休止中" if i % 23 == 7 else "活動中",
        }
        if i % 2 == 0:  # at a real venue, with its point
            v = venues[(i // 2) % len(venues)]
            lon, lat = v["geometry"]["coordinates"][:2]
            name = v["properties"]["施設・場所名"]
            base.update(
                {
                    "名称": f"{name}{label}",
                    "会場": name,
                    "会場種別": "公共施設",
                    "所在地": v["properties"]["住所"],
                    "緯度": f"{lat:.6f}",
                    "経度": f"{lon:.6f}",
                }
            )
        else:  # at a town address: the geocoder places it
            t = towns[rng.randrange(len(towns))]
            addr = f"倉敷市{t['town']}{rng.randint(1, 999)}-{rng.randint(1, 30)}"
            base.update(
                {
                    "名称": f"{t['town']}{label}{i}",
                    "会場": f"{t['town']}集会所",
                    "会場種別": "集会所" if i % 11 else "自宅",
                    "所在地": addr,
                    "緯度": "",
                    "経度": "",
                }
            )
        rows.append(base)
    # The known facts the tests check: 茶屋町 and 茶屋町早沖 are in 東陽中学校区 and 茶屋町小学校区.
    for town in ("茶屋町", "茶屋町早沖"):
        rows.append(
            {
                "名称": f"{town}ふれあいサロン",
                "種別": "サロン",
                "会場": f"{town}公会堂",
                "会場種別": "集会所",
                "所在地": f"岡山県倉敷市{town}123-4",
                "開催日時": "毎週水曜日 10:00～12:00",
                "掲載可否": "可",
                "状況": "活動中",
            }
        )
    with (root / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    cats = "\n".join(
        f'[[categories]]\nid = "{c}"\nlabel = "{label}"\ncolor = "{col}"\nicon = "{icon}"\n'
        for c, label, col, icon in CATEGORIES
    )
    s = shared.as_posix()
    (root / "takara.toml").write_text(
        f"""
[site]
title = "倉敷市 通いの場マップ（テスト）"
lead = "倉敷市の実在の区域と会場で作ったテスト用の地図です。活動は架空です。"
attribution = "「国土数値情報（行政区域・中学校区・小学校区）」（国土交通省）を加工して作成 / Geolonia 住所データ (CC BY 4.0) / 「指定緊急避難場所・指定避難所データ」（国土地理院）を加工して作成"
edition = "2026-11-01"
base_url = "https://example.org/kurashiki/"

[build]
gazetteer = "{s}/gazetteer/ja"
numbers_file = "numbers.json"

[[records]]
path = "records.csv"

[[tiers]]
id = "city"
level = 1
name = "第1層（倉敷市）"
path = "{s}/municipality_N03-21.geojson"
id_field = "N03_007"
name_field = "N03_004"

[[tiers]]
id = "junior_high"
level = 2
name = "第2層（中学校区）"
label = "中学校区"
path = "{s}/junior_high_districts_A32-21.geojson"
id_field = "A32_003"
name_field = "A32_004"

[[tiers]]
id = "elementary"
level = 3
name = "第3層（小学校区）"
label = "小学校区"
path = "{s}/elementary_districts_A27-21.geojson"
id_field = "A27_003"
name_field = "A27_004"

{cats}
""",
        encoding="utf-8",
    )
    return root
