"""Synthetic map projects of N places with matching tier boundaries (deterministic for a seed).

The shape of the data follows the national picture: Japan has 1,741 municipalities and counted
145,641 通いの場 (FY2022), about 86 per municipality, and roughly one junior-high-school district per
15 places (Kurashiki: 430 places, 26 districts). So a project of N places gets

    第1層  municipalities   round(N × 1741 / 150000)   (150,000 places → 1,741: "all of Japan")
    第2層  districts        round(N / 15)
    第3層  neighbourhoods   round(N / 6)

over a box whose area grows with N (150,000 places → a Japan-sized 16° × 14° box). Neighbourhoods
are Voronoi cells with wavy edges; districts and municipalities are unions of neighbourhoods, so the
tiers nest exactly and their outlines have realistic vertex counts. Places are spread unevenly
(log-normal weights per neighbourhood and municipality: towns and cities), with realistic field
lengths, schedules from a list of phrases, ~5 % home venues (自宅), ~3 % without consent (掲載不可),
~8 % paused, and coordinates given so that geocoding is not what is measured.

Usage: `python -m bench.generate 3000 [--cache /tmp/takara-bench]` prints the project folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely

DEFAULT_CACHE = Path("/tmp/takara-bench")
DEFAULT_SEED = 20261101
GENERATOR_VERSION = 3  # bump when the generated data changes, so cached projects are remade
NATIONAL_PLACES = 150_000
NATIONAL_MUNICIPALITIES = 1_741
NATIONAL_BOX = (16.0, 14.0)  # degrees of longitude × latitude at 150,000 places
CENTRE = (137.0, 36.5)
GRID = 1e-7  # degrees (~1 cm): shared vertices of neighbouring areas are snapped to one grid

HEADER = [
    "No.",
    "名称",
    "種別",
    "運営主体",
    "会場",
    "会場種別",
    "所在地",
    "緯度",
    "経度",
    "開催日時",
    "対象",
    "参加費",
    "活動内容",
    "参加人数",
    "連絡先",
    "連絡先掲載",
    "掲載可否",
    "状況",
    "最終確認日",
    "紹介文",
]

CATEGORIES = [  # id, label, colour, icon, share of places
    ("salon", "サロン", "#b3261e", "☕", 0.30),
    ("exercise", "体操・運動", "#1b5e20", "🤸", 0.25),
    ("kayoi", "通いの場", "#0d47a1", "🏠", 0.20),
    ("club", "老人クラブ", "#6a1b9a", "👥", 0.10),
    ("cafe", "地域カフェ", "#e65100", "🍵", 0.10),
    ("hobby", "趣味・学び", "#37474f", "📚", 0.05),
]
KANJI = list(
    "青赤東西南北山川田野原島浜松竹梅桜森林岡坂本新大小高中上下宮沢谷崎津井石金富福吉長広美和平若葉緑泉清水瀬"
)
FLOWERS = [
    "ひまわり",
    "さくら",
    "すみれ",
    "たんぽぽ",
    "あじさい",
    "コスモス",
    "なでしこ",
    "つくし",
    "もみじ",
    "すずらん",
    "やまぶき",
    "ふじ",
    "つばき",
    "なのはな",
    "あおば",
    "わかば",
    "ひだまり",
    "えがお",
    "なかよし",
    "ほっと",
]
NAME_PATTERNS = {
    "salon": [
        "ふれあいいきいきサロン「{flower}」",
        "{town}サロン",
        "{flower}サロン",
        "男のサロン {town}",
        "{town}ふれあいサロン",
    ],
    "exercise": [
        "いきいき百歳体操 {town}会場",
        "{town}ラジオ体操会",
        "{flower}ウォーキングの会",
        "{town}グラウンドゴルフ同好会",
        "シルバーリハビリ体操 {town}",
    ],
    "kayoi": ["{town}通いの場", "通いの場「{flower}」", "{town}元気クラブ", "{flower}の会"],
    "club": ["{town}老人クラブ", "{town}寿会", "{flower}クラブ"],
    "cafe": [
        "地域カフェ{flower}",
        "{town}コミュニティカフェ",
        "まちの縁側「{flower}」",
        "オレンジカフェ {town}",
    ],
    "hobby": ["{town}手芸の会", "囲碁・将棋を楽しむ会 {town}", "{flower}うたごえ広場", "{town}男の料理教室"],
}
DAYS = [
    "毎週月曜日",
    "毎週火曜日",
    "毎週水曜日",
    "毎週木曜日",
    "毎週金曜日",
    "毎週土曜日",
    "毎週月・木曜日",
    "毎週火・金曜日",
    "第1・第3水曜日",
    "第2・第4火曜日",
    "第1月曜日",
    "毎月第3土曜日",
    "毎月第4木曜日",
    "第2金曜日",
    "毎月15日",
    "毎日",
    "毎朝",
]
TIMES = [
    "10:00～12:00",
    "13:30～15:30",
    "9:30～11:00",
    "10時～11時半",
    "14:00～16:00",
    "6:30～7:00",
    "10:00～11:30",
    "午前",
    "13:00～15:00",
]
EXTRAS = ["", "", "", "", " 祝日休み", "（8月休み）", " 雨天中止", " 年末年始休み"]
OTHER_SCHEDULES = [
    "月1回",
    "週2回（火・金） 10:00～11:00",
    "不定期（要問合せ）",
    "隔月 第2日曜日 10:00～12:00",
    "4月～11月の第2日曜日 午前中",
    "月2回程度（日程は会長さんまで）",
]
TARGETS = [
    "どなたでも",
    "65歳以上の方",
    "地域の高齢者",
    "男性の方",
    "おおむね60歳以上の方",
    "介護予防に関心のある方",
    "地域にお住まいの方ならどなたでも",
    "会員（入会随時）",
]
FEES = ["無料", "無料", "無料", "100円", "200円（お茶代）", "300円", "月500円", "実費", "年会費1,000円"]
ACTIVITIES = [
    "おしゃべり",
    "健康体操",
    "脳トレ",
    "季節の行事",
    "手芸",
    "歌",
    "茶話会",
    "いきいき百歳体操",
    "ラジオ体操",
    "囲碁・将棋",
    "グラウンドゴルフ",
    "料理",
    "血圧測定",
    "ミニ講話",
    "健康チェック",
    "レクリエーション",
    "折り紙",
    "カラオケ",
    "散歩",
    "野菜づくり",
    "絵手紙",
    "ボッチャ",
    "お花見",
    "クリスマス会",
]
STORY_BITS = [
    "始まりは、ご近所のお茶飲み友達が集まったことでした。",
    "夏休みには子どもたちも加わり、80人ほどになります。",
    "採れた野菜は近くの施設にお届けしています。",
    "毎回15人ほどが集まり、体操のあとはお茶を飲みながらおしゃべりします。",
    "足の弱った方には、近所の方が声をかけて一緒に来ています。",
    "コロナで一時休みましたが、2023年から再開しました。",
    "会場は自治会の皆さんが当番で準備しています。",
    "初めての方も気軽にのぞいてみてください。",
]
ORGANISERS = ["住民主体"] * 7 + ["社協", "NPO", "医療・介護機関", "企業", "その他"]
VENUE_KINDS = [
    ("集会所", "{town}集会所"),
    ("公共施設", "{town}公民館"),
    ("公共施設", "{muni}福祉センター"),
    ("屋外", "{town}公園"),
    ("店舗", "スーパー{flower} 休憩スペース"),
    ("その他", "{town}寺 本堂"),
]


@dataclass(frozen=True)
class Spec:
    """Everything that decides a generated project; equal specs give byte-identical projects."""

    places: int
    municipalities: int
    districts: int
    neighbourhoods: int
    seed: int
    extent: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    version: int = GENERATOR_VERSION

    @property
    def name(self) -> str:
        return f"p{self.places}-s{self.seed}-v{self.version}"


def spec_for(places: int, seed: int = DEFAULT_SEED) -> Spec:
    if places < 10:
        raise ValueError("generate at least 10 places")
    n3 = max(4, round(places / 6))
    n2 = min(n3, max(2, round(places / 15)))
    n1 = min(n2, max(1, round(places * NATIONAL_MUNICIPALITIES / NATIONAL_PLACES)))
    scale = math.sqrt(places / NATIONAL_PLACES)
    w, h = NATIONAL_BOX[0] * scale / 2, NATIONAL_BOX[1] * scale / 2
    extent = (
        round(CENTRE[0] - w, 6),
        round(CENTRE[1] - h, 6),
        round(CENTRE[0] + w, 6),
        round(CENTRE[1] + h, 6),
    )
    return Spec(places, n1, n2, n3, seed, extent)


# ---------------------------------------------------------------- boundaries


def _neighbourhood_cells(rng: np.random.Generator, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of random seeds over the box, with wavy, densified edges. Returns (seeds, cells)."""
    minx, miny, maxx, maxy = spec.extent
    n = spec.neighbourhoods
    seeds = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    frame = shapely.box(minx, miny, maxx, maxy)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    )
    cells = shapely.intersection(cells, frame)
    size = math.sqrt((maxx - minx) * (maxy - miny) / n)  # typical cell width
    cells = shapely.segmentize(cells, size / 10)
    wave, amp = 1.6 * size, 0.06 * size  # amplitude × slope stays well below 1: the map stays one-to-one
    phase = rng.uniform(0, 2 * math.pi, 4)

    def bend(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        k = 2 * math.pi / wave
        dx = amp * np.sin(k * y + phase[0]) * np.cos(0.7 * k * x + phase[1])
        dy = amp * np.sin(k * x + phase[2]) * np.cos(0.8 * k * y + phase[3])
        return np.column_stack([x + dx, y + dy])

    cells = shapely.set_precision(shapely.transform(cells, bend), GRID)
    cells = shapely.make_valid(cells)
    return seeds, cells


def _nearest(targets: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each point, the index of the nearest target (ties: the lowest index)."""
    tree = shapely.STRtree(shapely.points(targets))
    idx = tree.query_nearest(shapely.points(points), all_matches=False)
    out = np.empty(len(points), dtype=np.int64)
    out[idx[0]] = idx[1]
    return out


def _union_by(cells: np.ndarray, groups: np.ndarray, count: int) -> list:
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(count + 1))
    return [shapely.union_all(cells[order[bounds[g] : bounds[g + 1]]], grid_size=GRID) for g in range(count)]


@dataclass
class Geography:
    muni_of: np.ndarray  # per neighbourhood: municipality index
    district_of: np.ndarray  # per neighbourhood: district index
    district_muni: np.ndarray  # per district: municipality index
    cells: np.ndarray  # neighbourhood polygons
    districts: list
    municipalities: list


def make_geography(rng: np.random.Generator, spec: Spec) -> Geography:
    seeds, cells = _neighbourhood_cells(rng, spec)
    n3 = len(seeds)
    # Municipalities: nearest of n1 seeds chosen among the neighbourhood seeds (so none is empty).
    muni_seeds = rng.choice(n3, spec.municipalities, replace=False)
    muni_of = _nearest(seeds[muni_seeds], seeds)
    muni_of[muni_seeds] = np.arange(spec.municipalities)
    # Districts: within each municipality, its share of the district count, by nearest seed.
    district_of = np.empty(n3, dtype=np.int64)
    district_muni: list[int] = []
    per_muni = np.bincount(muni_of, minlength=spec.municipalities)
    for m in range(spec.municipalities):
        members = np.flatnonzero(muni_of == m)
        k = int(min(len(members), max(1, round(per_muni[m] * spec.districts / n3))))
        chosen = members[rng.choice(len(members), k, replace=False)]
        local = _nearest(seeds[chosen], seeds[members])
        local[np.searchsorted(members, chosen)] = np.arange(k)
        district_of[members] = len(district_muni) + local
        district_muni += [m] * k
    n2 = len(district_muni)
    districts = _union_by(cells, district_of, n2)
    municipalities = _union_by(
        np.array(districts, dtype=object), np.array(district_muni), spec.municipalities
    )
    return Geography(muni_of, district_of, np.array(district_muni), cells, districts, municipalities)


def _name(rng: np.random.Generator, suffix: str) -> str:
    a, b = rng.choice(len(KANJI), 2, replace=False)
    return KANJI[a] + KANJI[b] + suffix


def _collection(ids: list[str], names: list[str], geoms: list, extra: list[dict] | None = None) -> dict:
    features = []
    for i, (aid, name, geom) in enumerate(zip(ids, names, geoms)):
        props = {"id": aid, "name": name, **(extra[i] if extra else {})}
        features.append(
            {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- places


def _sample_in(rng: np.random.Generator, poly, count: int) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    got: list[np.ndarray] = []
    have = 0
    for _ in range(50):
        need = count - have
        xs = rng.uniform(minx, maxx, need * 2 + 4)
        ys = rng.uniform(miny, maxy, need * 2 + 4)
        keep = shapely.contains_xy(poly, xs, ys)
        pts = np.column_stack([xs[keep], ys[keep]])[:need]
        got.append(pts)
        have += len(pts)
        if have >= count:
            break
    if have < count:  # a sliver: fall back to a point surely inside
        p = poly.representative_point()
        got.append(np.tile([p.x, p.y], (count - have, 1)))
    return np.concatenate(got)


def _pick(rng: np.random.Generator, items: list) -> object:
    return items[int(rng.integers(len(items)))]


def _schedule(rng: np.random.Generator) -> str:
    if rng.random() < 0.08:
        return str(_pick(rng, OTHER_SCHEDULES))
    return f"{_pick(rng, DAYS)} {_pick(rng, TIMES)}{_pick(rng, EXTRAS)}"


def _confirmed(rng: np.random.Generator) -> str:
    d = date(2023, 6, 1) + timedelta(days=int(rng.integers(0, 1250)))
    if rng.random() < 0.15:
        return f"令和{d.year - 2018}年{d.month}月{d.day}日"
    return f"{d.year}/{d.month}/{d.day}"


def place_rows(
    rng: np.random.Generator, spec: Spec, geo: Geography, muni_names: list[str], town_names: list[str]
) -> list[list[str]]:
    n3 = len(geo.cells)
    weights = rng.lognormal(0, 0.9, n3) * rng.lognormal(0, 0.7, spec.municipalities)[geo.muni_of]
    counts = rng.multinomial(spec.places, weights / weights.sum())
    cat_ids = [c[0] for c in CATEGORIES]
    cat_labels = {c[0]: c[1] for c in CATEGORIES}
    cat_p = np.array([c[4] for c in CATEGORIES])
    rows: list[list[str]] = []
    for cell in np.flatnonzero(counts):
        pts = _sample_in(rng, geo.cells[cell], int(counts[cell]))
        town = town_names[cell]
        muni = muni_names[geo.muni_of[cell]]
        for lon, lat in pts:
            cat = cat_ids[int(rng.choice(len(cat_ids), p=cat_p))]
            flower = _pick(rng, FLOWERS)
            name = str(_pick(rng, NAME_PATTERNS[cat])).format(town=town, flower=flower)
            home = rng.random() < 0.05
            if home:
                kind, venue = "自宅", f"{_pick(rng, KANJI)}{_pick(rng, KANJI)}さん宅"
            else:
                kind, pattern = _pick(rng, VENUE_KINDS)  # type: ignore[misc]
                venue = str(pattern).format(town=town, muni=muni, flower=flower)
            acts = rng.choice(len(ACTIVITIES), int(rng.integers(2, 5)), replace=False)
            activities = "、".join(ACTIVITIES[a] for a in acts) + (
                "などを楽しんでいます" if rng.random() < 0.4 else ""
            )
            contact = (
                f"0{int(rng.integers(10, 99))}-{int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
            )
            story = ""
            if rng.random() < 0.12:
                story = "".join(
                    STORY_BITS[b] for b in rng.choice(len(STORY_BITS), int(rng.integers(1, 4)), replace=False)
                )
            rows.append(
                [
                    "",
                    name,
                    cat_labels[cat],
                    str(_pick(rng, ORGANISERS)),
                    venue,
                    kind,
                    f"宝県{muni}{town}{int(rng.integers(1, 6))}丁目{int(rng.integers(1, 30))}-{int(rng.integers(1, 20))}",
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    _schedule(rng),
                    str(_pick(rng, TARGETS)),
                    str(_pick(rng, FEES)),
                    activities,
                    f"約{int(rng.integers(5, 40))}人",
                    contact,
                    "可" if rng.random() < 0.4 else "不可",
                    "不可" if rng.random() < 0.03 else "可",
                    "休止中" if rng.random() < 0.08 else "活動中",
                    _confirmed(rng),
                    story,
                ]
            )
    order = rng.permutation(len(rows))  # a coordinator's sheet is not sorted by area
    rows = [rows[i] for i in order]
    for i, r in enumerate(rows):
        r[0] = str(i + 1)
    return rows


# ---------------------------------------------------------------- the project

CONFIG = """[site]
title = "{title}"
lead = "ベンチマーク用に生成した架空のデータです（{places:,} か所）。"
attribution = "架空のデータ（Takara Map ベンチマーク）"
edition = "2026-11-01"
fictional = true

[[records]]
path = "data/records.csv"

[[tiers]]
id = "municipality"
level = 1
name = "第1層（市区町村）"
label = "市区町村"
path = "data/boundaries/municipalities.geojson"
id_field = "id"
name_field = "name"

[[tiers]]
id = "district"
level = 2
name = "第2層（中学校区）"
label = "中学校区"
path = "data/boundaries/districts.geojson"
id_field = "id"
name_field = "name"

[[tiers]]
id = "neighbourhood"
level = 3
name = "第3層（自治会）"
label = "自治会"
path = "data/boundaries/neighbourhoods.geojson"
id_field = "id"
name_field = "name"
"""

CATEGORY_TOML = """
[[categories]]
id = "{id}"
label = "{label}"
color = "{color}"
icon = "{icon}"
"""


def write_project(spec: Spec, root: Path) -> Path:
    """Write the project for `spec` into `root` (replaced whole)."""
    rng = np.random.default_rng([spec.seed, spec.places, spec.version])
    geo = make_geography(rng, spec)
    muni_names = [
        _name(rng, "市" if rng.random() < 0.45 else ("町" if rng.random() < 0.8 else "村"))
        for _ in range(spec.municipalities)
    ]
    town_names = [_name(rng, "町") for _ in range(len(geo.cells))]
    rows = place_rows(rng, spec, geo, muni_names, town_names)

    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    bdir = tmp / "data" / "boundaries"
    bdir.mkdir(parents=True)
    n2 = len(geo.districts)
    muni_ids = [f"m{m + 1:04d}" for m in range(spec.municipalities)]
    district_ids = [f"d{d + 1:05d}" for d in range(n2)]
    hood_ids = [f"n{k + 1:06d}" for k in range(len(geo.cells))]
    district_names = [f"{muni_names[geo.district_muni[d]]}{_name(rng, '中学校区')}" for d in range(n2)]
    layers = (
        ("municipalities", _collection(muni_ids, muni_names, geo.municipalities)),
        ("districts", _collection(district_ids, district_names, geo.districts)),
        (
            "neighbourhoods",
            _collection(hood_ids, [t.replace("町", "自治会") for t in town_names], list(geo.cells)),
        ),
    )
    for name, fc in layers:
        with open(bdir / f"{name}.geojson", "w", encoding="utf-8") as fh:
            json.dump(fc, fh, ensure_ascii=False, separators=(",", ":"))
    with open(tmp / "data" / "records.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    title = (
        "全国 通いの場マップ（ベンチマーク）"
        if spec.municipalities >= NATIONAL_MUNICIPALITIES
        else "宝県 宝物マップ（ベンチマーク）"
    )
    config = CONFIG.format(title=title, places=spec.places) + "".join(
        CATEGORY_TOML.format(id=c[0], label=c[1], color=c[2], icon=c[3]) for c in CATEGORIES
    )
    (tmp / "takara.toml").write_text(config, encoding="utf-8")
    manifest = {
        **asdict(spec),
        "districts_made": n2,
        "rows": len(rows),
        "home_venues": sum(r[5] == "自宅" for r in rows),
        "without_consent": sum(r[16] == "不可" for r in rows),
    }
    (tmp / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root


def generate(places: int, cache: Path = DEFAULT_CACHE, seed: int = DEFAULT_SEED) -> Path:
    """The project folder for `places` places, generated once and then reused from the cache."""
    spec = spec_for(places, seed)
    root = Path(cache) / "projects" / spec.name
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("version") == spec.version:
                return root
        except ValueError:
            pass
    root.parent.mkdir(parents=True, exist_ok=True)
    return write_project(spec, root)


def reset_state(project: Path) -> None:
    """Forget what an earlier build left in the project (numbers.json, .takara/), so every timed build
    is a first build."""
    (project / "numbers.json").unlink(missing_ok=True)
    shutil.rmtree(project / ".takara", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("places", type=int)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    print(generate(args.places, args.cache, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
