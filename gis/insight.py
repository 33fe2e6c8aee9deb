"""District insight for councils (協議体): counts per area of every tier, places per 1,000 residents
aged 65+, walking-distance coverage and blank areas (空白地域), and needs against resources (マッチング).

Reads only the published places (`PublicPlace`) and the tiers' boundaries. The one exception is the
withheld count, which comes from the coordinators' report and is written only by
`write_coordinator_counts` into a file OUTSIDE the site; nothing under stats/ or data/layers/ holds it.

Distances are straight-line (crow-flies) distances measured in a metric CRS chosen for the project's
location (`metric_crs`: the Japan Plane Rectangular CS zone of the prefecture, UTM outside Japan).
When the project names a road-line file (`roads`), walking reach is measured along the roads instead
(`reach_along_roads`, needs networkx).

    stats/index.html, counts.csv, coverage.csv, needs.csv, per_capita.csv, insight.xlsx, *.svg
    data/layers/blank_areas.geojson, data/layers/per_capita.geojson
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import math
import re
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.geometry
from pyproj import CRS

from gis.errors import InputError
from gis.geocode import PREFECTURES
from gis.geojson import geometry_texts
from gis.place import ORGANISER_TYPES, STATUS_ACTIVE, STATUS_PAUSED, normalise_header, normalise_text
from gis.report import WITHHELD, Issue
from gis.textsafe import csv_cell, spreadsheet_cell

if TYPE_CHECKING:
    from gis.config import Project, Tier
    from gis.edition import Edition
    from gis.view import Links

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
WGS84 = "EPSG:4326"
QUAD_SEGS = 16  # vertices per quarter circle; disc_radius widens each disc so its area is the true circle's
BLANK_SIMPLIFY_M = 2.0  # the blank-area layer is simplified by this much (metres) to keep it small
ROAD_SIDE_M = 100.0  # road reach: a house this far from a reachable road counts as reached
ROAD_SNAP_M = 1.0  # road vertices closer than this are one junction
MIN_BLANK_M2 = 1.0
LAYER_DECIMALS = 5  # ~1 m: plenty for an area outline, and keeps the layers small  # slivers smaller than this are not a blank area
NO_ORGANISER = "未記入"
CACHE_KEY = "insight"
PAGE_MAX_ROWS = (
    1000  # a longer table makes the page too heavy to open: the rest are in the CSV and Excel files
)
CHART_MAX_BARS = 40  # more bars than this cannot be read: a chart then shows the lowest ones and says so

# ---------------------------------------------------------------- the metric CRS

# Japan Plane Rectangular CS (平面直角座標系), JGD2011: zone I..XIX is EPSG:6669..6687.
ZONE_EPSG = {zone: 6668 + zone for zone in range(1, 20)}
ROMAN = (
    "",
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
    "XVIII",
    "XIX",
)
# PREFECTURES (gis.geocode) is in JIS X 0401 order: code = index + 1
# The zone of each prefecture (国土交通省告示「平面直角座標系」). 北海道, 東京都, 鹿児島県 and 沖縄県 are
# split between zones and handled in plane_rectangular_zone.
PREFECTURE_ZONE = {
    1: 12,
    2: 10,
    3: 10,
    4: 10,
    5: 10,
    6: 10,
    7: 9,
    8: 9,
    9: 9,
    10: 9,
    11: 9,
    12: 9,
    13: 9,
    14: 9,
    15: 8,
    16: 7,
    17: 7,
    18: 6,
    19: 8,
    20: 8,
    21: 7,
    22: 8,
    23: 7,
    24: 6,
    25: 6,
    26: 6,
    27: 6,
    28: 5,
    29: 6,
    30: 6,
    31: 5,
    32: 3,
    33: 5,
    34: 3,
    35: 3,
    36: 4,
    37: 4,
    38: 4,
    39: 4,
    40: 2,
    41: 2,
    42: 1,
    43: 2,
    44: 2,
    45: 2,
    46: 2,
    47: 15,
}
# 北海道 by municipality code: zone XI (小樽・函館・伊達・北斗, 後志・檜山・渡島, 胆振の有珠郡・虻田郡) and
# zone XIII (北見・帯広・釧路・網走・根室, オホーツク・十勝・釧路・根室管内); every other municipality is XII.
_HOKKAIDO_XI = (
    {1202, 1203, 1233, 1236, 1571, 1575, 1584}
    | set(range(1331, 1348))
    | set(range(1361, 1372))
    | set(range(1391, 1410))
)
_HOKKAIDO_XIII = (
    {1206, 1207, 1208, 1211, 1223}
    | set(range(1543, 1565))
    | set(range(1631, 1650))
    | set(range(1661, 1669))
    | set(range(1691, 1701))
)
# Where a prefecture cannot be read from the data, the nearest of these points decides it: each
# prefectural office, plus a few points in prefectures that are large or split between zones.
_PREFECTURE_POINTS = (
    (1, 43.064, 141.347),
    (1, 41.769, 140.729),
    (1, 43.771, 142.365),
    (1, 42.985, 144.381),
    (1, 42.924, 143.196),
    (1, 43.804, 143.894),
    (1, 45.415, 141.673),
    (1, 42.315, 140.974),
    (2, 40.824, 140.740),
    (2, 40.512, 141.488),
    (3, 39.704, 141.153),
    (4, 38.269, 140.872),
    (5, 39.719, 140.102),
    (6, 38.240, 140.364),
    (7, 37.750, 140.468),
    (8, 36.342, 140.447),
    (9, 36.566, 139.884),
    (10, 36.391, 139.061),
    (11, 35.857, 139.649),
    (12, 35.605, 140.123),
    (13, 35.690, 139.692),
    (13, 33.113, 139.789),
    (13, 27.094, 142.192),
    (14, 35.448, 139.643),
    (15, 37.902, 139.023),
    (15, 37.148, 138.236),
    (16, 36.695, 137.211),
    (17, 36.594, 136.626),
    (18, 36.065, 136.222),
    (19, 35.664, 138.568),
    (20, 36.651, 138.181),
    (21, 35.391, 136.722),
    (22, 34.977, 138.383),
    (22, 34.711, 137.726),
    (23, 35.180, 136.907),
    (24, 34.730, 136.509),
    (25, 35.004, 135.868),
    (26, 35.021, 135.756),
    (27, 34.686, 135.520),
    (28, 34.691, 135.183),
    (28, 34.816, 134.686),
    (29, 34.685, 135.833),
    (30, 34.226, 135.168),
    (31, 35.504, 134.238),
    (32, 35.472, 133.051),
    (33, 34.662, 133.935),
    (34, 34.397, 132.460),
    (34, 34.486, 133.362),
    (35, 34.186, 131.471),
    (36, 34.066, 134.559),
    (37, 34.340, 134.043),
    (38, 33.842, 132.766),
    (39, 33.560, 133.531),
    (40, 33.607, 130.418),
    (40, 33.883, 130.875),
    (41, 33.249, 130.299),
    (42, 32.745, 129.874),
    (43, 32.790, 130.742),
    (44, 33.238, 131.613),
    (45, 31.911, 131.424),
    (46, 31.560, 130.558),
    (46, 28.377, 129.494),
    (46, 30.350, 130.530),
    (47, 26.212, 127.681),
    (47, 24.341, 124.156),
    (47, 24.806, 125.281),
    (47, 25.830, 131.230),
)
_JAPAN_BOX = (122.0, 20.0, 154.5, 46.0)  # lon/lat: outside it, UTM is used


def prefecture_code(value: Any) -> int | None:
    """1..47 from a prefecture name (岡山県, 岡山), a 2-digit code (33) or a municipality code
    (33202, or 332020 with its check digit). None when it is none of these."""
    if value is None:
        return None
    text = normalise_text(value)
    if re.fullmatch(r"\d{1,2}", text):
        code = int(text)
        return code if 1 <= code <= 47 else None
    if re.fullmatch(r"\d{5,6}", text):
        code = int(text[:2])
        return code if 1 <= code <= 47 else None
    for i, name in enumerate(PREFECTURES):
        if text.startswith(name) or text == name.rstrip("都道府県"):
            return i + 1
    return None


def nearest_prefecture(lon: float, lat: float) -> int:
    """The prefecture of the nearest reference point (approximate near prefectural borders)."""

    def dist(item: tuple[int, float, float]) -> float:
        _, plat, plon = item
        return ((plon - lon) * math.cos(math.radians(lat))) ** 2 + (plat - lat) ** 2

    return min(_PREFECTURE_POINTS, key=dist)[0]


def plane_rectangular_zone(lon: float, lat: float, prefecture: int, municipality: str | None = None) -> int:
    """The zone (1..19) for a point in `prefecture` (JIS code). For 北海道 the municipality code decides
    exactly; without one, longitude does (west of 141°E: XI, east of 143°E: XIII, else XII — approximate)."""
    if prefecture == 1:
        code = int(municipality[:5]) if municipality and re.fullmatch(r"01\d{3,4}", municipality) else None
        if code is not None:
            return 11 if code in _HOKKAIDO_XI else 13 if code in _HOKKAIDO_XIII else 12
        return 11 if lon < 141.0 else 13 if lon >= 143.0 else 12
    if prefecture == 13:  # 東京都: south of 28°N the islands have their own zones
        if lat < 28.0:
            return 18 if lon < 140.5 else 19 if lon > 143.0 else 14
        return 9
    if prefecture == 46:  # 鹿児島県: the islands between 27°N-32°N and 128°18'E-130°E (奄美 to 130°13') are I
        if 27.0 <= lat <= 32.0 and 128.3 <= lon <= (130.22 if lat < 29.0 else 130.0):
            return 1
        return 2
    if prefecture == 47:  # 沖縄県: by longitude, as the zones are defined
        return 16 if lon < 126.0 else 17 if lon > 130.0 else 15
    return PREFECTURE_ZONE[prefecture]


def metric_crs(lon: float, lat: float, prefecture: Any = None, municipality: str | None = None) -> CRS:
    """A metric CRS for distances and areas around (lon, lat).

    In Japan: the JGD2011 Plane Rectangular CS zone (EPSG:6669-6687) of the prefecture. The prefecture
    is taken from `municipality` (a JIS municipality code such as N03_007 "33202"), else `prefecture`
    (a name or code), else the nearest reference point (prefectural offices and a few more): exact for
    the codes, approximate for a point near a prefectural border. Outside Japan: the WGS 84 UTM zone
    of the longitude."""
    minx, miny, maxx, maxy = _JAPAN_BOX
    if minx <= lon <= maxx and miny <= lat <= maxy:
        pref = prefecture_code(municipality) or prefecture_code(prefecture) or nearest_prefecture(lon, lat)
        return CRS.from_epsg(ZONE_EPSG[plane_rectangular_zone(lon, lat, pref, municipality)])
    zone = min(60, int((lon + 180.0) // 6.0) + 1)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def crs_label(crs: CRS) -> str:
    """How the page names the CRS: 平面直角座標系 第V系 (EPSG:6673)."""
    epsg = crs.to_epsg() or 0
    if 6669 <= epsg <= 6687:
        return f"平面直角座標系 第{ROMAN[epsg - 6668]}系（JGD2011, EPSG:{epsg}）"
    return f"{crs.name}（EPSG:{epsg}）"


def project_crs(edition: Edition) -> CRS:
    """metric_crs for the project: the centre of the first tier; the prefecture from its area ids
    (municipality codes), its area names, or the gazetteer's single prefecture folder."""
    project = edition.project
    top = edition.boundaries[project.top_tier.id]
    centre = shapely.union_all(top.geometry.values).centroid
    municipality = next(
        (str(a) for a in top["area_id"] if prefecture_code(a) and re.fullmatch(r"\d{5,6}", str(a))), None
    )
    prefecture = None
    if municipality is None:
        prefecture = next((prefecture_code(n) for n in top["area_name"] if prefecture_code(n)), None)
        gazetteer = project.build.gazetteer
        if prefecture is None and gazetteer is not None and Path(gazetteer).is_dir():
            found = [prefecture_code(d.name) for d in Path(gazetteer).iterdir() if d.is_dir()]
            found = [c for c in found if c]
            if len(set(found)) == 1:
                prefecture = found[0]
    return metric_crs(centre.x, centre.y, prefecture=prefecture, municipality=municipality)


# ---------------------------------------------------------------- figures


@dataclass
class AreaCounts:
    tier_id: str
    tier_name: str
    area_id: str
    area_name: str
    parent: str  # the district (district tier) name for finer tiers, "" otherwise
    total: int
    active: int
    paused: int
    by_category: dict[str, int]  # category id -> published places (every configured category, 0 included)
    active_by_category: dict[str, int]
    by_organiser: dict[str, int]  # organiser type -> published places (standard types first)


@dataclass
class PerCapita:
    tier_id: str
    area_id: str
    area_name: str
    population: int | None
    aged_65: int | None
    places: int  # active places
    per_1000: float | None  # active places per 1,000 residents aged 65+
    klass: int | None = None  # choropleth class, 0 = lowest


@dataclass
class Coverage:
    tier_id: str
    area_id: str
    area_name: str
    parent: str
    area_km2: float
    shares: dict[int, float]  # walking distance (m) -> share of the area within it (0..1)
    uncovered_km2: float  # beyond the largest distance
    population: float | None = None  # when population points are given
    population_shares: dict[int, float] | None = None

    @property
    def uncovered_share(self) -> float:
        return max(0.0, 1.0 - self.shares[max(self.shares)])


@dataclass
class NeedMatch:
    row: int
    area_id: str
    area_name: str
    district_id: str  # "" when the need is for the whole municipality or its area is unknown
    district_name: str
    kind: str
    text: str
    places: list[tuple[int, str, str]]  # (number, name, category label) of active places answering it


@dataclass
class Insight:
    crs: CRS
    distances: tuple[int, ...]
    method: str  # "straight" or "roads"
    counts: list[AreaCounts]
    per_capita: list[PerCapita]
    per_capita_tier: str
    breaks: list[float]
    coverage: list[Coverage]
    blank: list[tuple[str, str, str, Any]]  # (area id, area name, district, geometry in the metric CRS)
    needs: list[NeedMatch]
    notes: list[str] = field(default_factory=list)


def analyse(edition: Edition) -> Insight:
    """Every figure, computed once per edition (cached in edition.extras)."""
    cached = edition.extras.get(CACHE_KEY)
    if isinstance(cached, Insight):
        return cached
    project = edition.project
    crs = project_crs(edition)
    distances = tuple(sorted({int(d) for d in project.build.walk_distances_m})) or (500, 1000)
    notes: list[str] = []
    reach, method = _reach(edition, crs, distances, notes)
    cov, blank = _coverage(edition, crs, distances, reach)
    pc, pc_tier = per_capita(edition)
    breaks = class_breaks([p.per_1000 for p in pc if p.per_1000 is not None and p.tier_id == pc_tier])
    for p in pc:
        p.klass = _class_of(p.per_1000, breaks)
    result = Insight(
        crs=crs,
        distances=distances,
        method=method,
        counts=counts(edition),
        per_capita=pc,
        per_capita_tier=pc_tier,
        breaks=breaks,
        coverage=cov,
        blank=blank,
        needs=match_needs(edition),
        notes=notes,
    )
    edition.extras[CACHE_KEY] = result
    return result


def _parents(edition: Edition, tier: Tier) -> dict[str, str]:
    """area id -> the district's name, for tiers finer than the district tier."""
    project = edition.project
    district = project.district_tier
    if tier.level <= district.level:
        return {}
    gdf = edition.boundaries[tier.id]
    col = f"parent_{district.id}"
    names = dict(
        zip(edition.boundaries[district.id]["area_id"], edition.boundaries[district.id]["area_name"])
    )
    if col not in gdf.columns:
        return {}
    return {str(a): names.get(str(p), "") for a, p in zip(gdf["area_id"], gdf[col])}


def organiser_types(edition: Edition) -> list[str]:
    """The standard organiser types, then any other written ones (sorted), then 未記入 — those present."""
    seen = {p.organiser or NO_ORGANISER for p in edition.places}
    ordered = [t for t in ORGANISER_TYPES if t in seen]
    ordered += sorted(seen - set(ORGANISER_TYPES) - {NO_ORGANISER})
    return ordered + ([NO_ORGANISER] if NO_ORGANISER in seen else [])


def counts(edition: Edition) -> list[AreaCounts]:
    """Published places per area of every tier (every area, zeros included), by category, by organiser
    type, active and paused. Withheld places are not here: see write_coordinator_counts."""
    project = edition.project
    cat_ids = [c.id for c in project.categories]
    organisers = organiser_types(edition)
    out: list[AreaCounts] = []
    for tier in project.tiers:
        parents = _parents(edition, tier)
        gdf = edition.boundaries[tier.id]
        by_area: dict[str, list] = {str(a): [] for a in gdf["area_id"]}
        for p in edition.places:
            hit = p.areas.get(tier.id)
            if hit and hit[0] in by_area:
                by_area[hit[0]].append(p)
        for area_id, name in zip(gdf["area_id"], gdf["area_name"]):
            places = by_area[str(area_id)]
            by_cat = dict.fromkeys(cat_ids, 0)
            active_cat = dict.fromkeys(cat_ids, 0)
            by_org = dict.fromkeys(organisers, 0)
            for p in places:
                by_cat[p.category] = by_cat.get(p.category, 0) + 1
                if p.is_active:
                    active_cat[p.category] = active_cat.get(p.category, 0) + 1
                by_org[p.organiser or NO_ORGANISER] += 1
            out.append(
                AreaCounts(
                    tier.id,
                    tier.name,
                    str(area_id),
                    str(name),
                    parents.get(str(area_id), ""),
                    total=len(places),
                    active=sum(p.status == STATUS_ACTIVE for p in places),
                    paused=sum(p.status == STATUS_PAUSED for p in places),
                    by_category=by_cat,
                    active_by_category=active_cat,
                    by_organiser=by_org,
                )
            )
    return out


# ---------------------------------------------------------------- small table readers

_ALIASES = {
    "area_id": ("area_id", "areaid", "区域id", "地区id", "区域コード", "地区コード", "コード", "id"),
    "area_name": ("area_name", "区域名", "地区名", "区域", "地区", "name"),
    "population": ("population", "pop", "人口", "総人口", "人口総数"),
    "aged_65": ("aged_65", "aged65", "65歳以上", "65歳以上人口", "高齢者人口", "高齢者数", "老年人口"),
    "kind": ("kind", "種類", "ニーズの種類", "分類", "種別"),
    "text": ("text", "内容", "ニーズ", "声", "ニーズの内容", "説明"),
    "lon": ("lon", "lng", "longitude", "経度", "x"),
    "lat": ("lat", "latitude", "緯度", "y"),
}


def _read_table(
    path: Path, label: str, wanted: tuple[str, ...]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows of a small CSV (UTF-8 or Shift_JIS) as {field: text}, and the header each field came from.
    The header row is the first non-blank row; rows are numbered as a spreadsheet shows them."""
    from gis.encoding import decode_csv_bytes
    from gis.limits import check_file_size
    from gis.records import parse_csv

    if not path.is_file():
        raise InputError(label, "ファイルが見つかりません / file not found")
    check_file_size(path, label)
    text = decode_csv_bytes(path.read_bytes(), label)
    table = parse_csv(text, label)  # the records' CSV rules: strict quotes, limits, no merged rows
    start = next((i for i, r in enumerate(table) if any(c.strip() for c in r)), None)
    if start is None:
        raise InputError(label, "中身が空です / the file is empty")
    headers = [normalise_header(h) for h in table[start]]
    columns: dict[str, int] = {}
    for fieldname in wanted:
        for alias in _ALIASES[fieldname]:
            if alias in headers and headers.index(alias) not in columns.values():
                columns[fieldname] = headers.index(alias)
                break
    rows = []
    for i in range(start + 1, len(table)):
        cells = table[i]
        if not any(c.strip() for c in cells):
            continue
        row = {f: normalise_text(cells[j]) if j < len(cells) else "" for f, j in columns.items()}
        row["_row"] = str(i + 1)
        rows.append(row)
    return rows, {f: table[start][j] for f, j in columns.items()}


def _label(project: Project, path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(project.root))
    except ValueError:
        return Path(path).name


def _number(value: str, label: str, row: int, column: str) -> int:
    text = value.replace(",", "").replace("人", "").strip()
    try:
        number = float(text)
    except ValueError:
        raise InputError(
            label, f"「{value}」は数ではありません / not a number", row=row, field=column
        ) from None
    if number < 0 or number != int(number):
        raise InputError(
            label,
            f"「{value}」は 0 以上の整数にしてください / must be a whole number ≥ 0",
            row=row,
            field=column,
        )
    return int(number)


# ---------------------------------------------------------------- per capita


def per_capita(edition: Edition) -> tuple[list[PerCapita], str]:
    """Active places per 1,000 residents aged 65+ for every tier the population table covers, and the
    tier of its finest rows (the choropleth's). The table may mix tiers (a row per district and a row per
    neighbourhood); a coarser area without a row of its own is summed from its finer areas when every one
    of them has a figure. ([], "") without a table."""
    project = edition.project
    path = getattr(project, "population", None)
    if not path:
        return [], ""
    label = _label(project, path)
    rows, headers = _read_table(Path(path), label, ("area_id", "population", "aged_65"))
    for needed in ("area_id", "aged_65"):
        if needed not in headers:
            raise InputError(
                label,
                f"列「{needed}」がありません（{'/'.join(_ALIASES[needed][:4])}） / "
                f"column {needed} is missing",
                field=needed,
            )
    ids_of = {t.id: set(edition.boundaries[t.id]["area_id"].astype(str)) for t in project.tiers}
    figures: dict[str, dict[str, tuple[int | None, int]]] = {t.id: {} for t in project.tiers}
    for r in rows:
        row = int(r["_row"])
        # an id found in several tiers is taken as the finest one's
        tier = next((t for t in reversed(project.tiers) if r["area_id"] in ids_of[t.id]), None)
        if tier is None:
            edition.report.add(
                Issue(
                    "warning",
                    label,
                    row,
                    headers["area_id"],
                    f"区域ID「{r['area_id']}」はどの層の区域にもありません（この行は使いません）",
                    "area id not found in any tier; row not used",
                )
            )
            continue
        pop = _number(r["population"], label, row, headers["population"]) if r.get("population") else None
        figures[tier.id][r["area_id"]] = (pop, _number(r["aged_65"], label, row, headers["aged_65"]))
    given = [t for t in project.tiers if figures[t.id]]
    if not given:
        raise InputError(
            label,
            "区域IDがどの層の区域とも合いません / no area id matches any tier's areas",
            field=headers["area_id"],
        )
    base = given[-1]
    active: dict[str, dict[str, int]] = {t.id: {} for t in project.tiers}
    for p in edition.places:
        if p.is_active:
            for tid, (aid, _) in p.areas.items():
                active.setdefault(tid, {})[aid] = active.setdefault(tid, {}).get(aid, 0) + 1
    fine = edition.boundaries[base.id]
    out: list[PerCapita] = []
    for t in project.tiers:
        if t.level > base.level:
            continue
        gdf = edition.boundaries[t.id]
        for aid, name in zip(gdf["area_id"].astype(str), gdf["area_name"]):
            pop, aged = figures[t.id].get(aid, (None, None))
            if aged is None and t.id != base.id:
                members = [
                    str(a) for a, parent in zip(fine["area_id"], fine[f"parent_{t.id}"]) if str(parent) == aid
                ]
                have = [figures[base.id][m] for m in members if m in figures[base.id]]
                if members and len(have) == len(members):
                    pops = [h[0] for h in have]
                    pop = None if any(x is None for x in pops) else sum(x for x in pops if x is not None)
                    aged = sum(h[1] for h in have)
            n = active.get(t.id, {}).get(aid, 0)
            rate = round(n / aged * 1000, 2) if aged else None
            out.append(PerCapita(t.id, aid, str(name), pop, aged, n, rate))
    return out, base.id


def class_breaks(values: list[float], k: int = 5) -> list[float]:
    """Upper bounds of up to k quantile classes (the last is the maximum), rounded to 0.1; fewer classes
    when there are few distinct values. [] when there is nothing to classify."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return []
    k = max(1, min(k, len(set(vals))))
    bounds = [round(float(np.quantile(vals, (i + 1) / k)), 1) for i in range(k)]
    bounds[-1] = max(bounds[-1], round(math.ceil(vals[-1] * 10) / 10, 1))
    return sorted(set(bounds))


def _class_of(value: float | None, breaks: list[float]) -> int | None:
    if value is None or not breaks:
        return None
    for i, upper in enumerate(breaks):
        if value <= upper + 1e-9:
            return i
    return len(breaks) - 1


# Sequential, colour-blind safe (ColorBrewer YlGnBu), light = few places per 1,000 aged 65+.
CHOROPLETH = {
    1: ["#41b6c4"],
    2: ["#c7e9b4", "#225ea8"],
    3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
    4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
    5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
}
BLANK_COLOUR = "#d95f02"  # one class only; the legend text says what it is


def choropleth_colours(n: int) -> list[str]:
    return CHOROPLETH.get(n, CHOROPLETH[5])[:n]


def legend_entries(breaks: list[float]) -> list[dict]:
    colours = choropleth_colours(len(breaks))
    entries = []
    lower = 0.0
    for i, upper in enumerate(breaks):
        if i == 0:
            text = "0 か所（活動中の場所なし）" if upper == 0 else f"{upper:.1f} か所以下"
        else:
            text = f"{lower:.1f} か所より多く {upper:.1f} か所以下"
        entries.append({"color": colours[i], "label": text, "min": lower, "max": upper})
        lower = upper
    entries.append({"color": "", "label": "人口の数字なし（塗りなし）", "min": None, "max": None})
    return entries


# ---------------------------------------------------------------- walking reach and coverage


def _active_points(edition: Edition, crs: CRS) -> np.ndarray:
    import geopandas as gpd

    active = [p for p in edition.places if p.is_active]
    if not active:
        return np.array([], dtype=object)
    pts = gpd.GeoSeries(gpd.points_from_xy([p.lon for p in active], [p.lat for p in active]), crs=WGS84)
    return pts.to_crs(crs).values


def disc_radius(d: float, quad_segs: int = QUAD_SEGS) -> float:
    """The buffer radius whose polygon (4 × quad_segs vertices on the circle) has the area of a true circle
    of radius d: an inscribed polygon would undercount every share (by 0.16 % at 16 segments)."""
    n = 4 * quad_segs
    return d * math.sqrt(2 * math.pi / (n * math.sin(2 * math.pi / n)))


def _reach(
    edition: Edition, crs: CRS, distances: tuple[int, ...], notes: list[str]
) -> tuple[dict[int, Any], str]:
    """distance -> the area within that walking distance of an active place, as disjoint polygons (metric
    CRS) rather than one union: each area is then cut only by the few polygons near it (_coverage)."""
    points = _active_points(edition, crs)
    roads = getattr(edition.project, "roads", None)
    if roads:
        try:
            import networkx  # noqa: F401
        except ImportError:
            notes.append(
                "道路に沿った距離には networkx が必要です。直線距離で計算しました / "
                "road distance needs networkx; used straight-line distance"
            )
        else:
            pieces = _road_pieces(points, _read_lines(edition.project, Path(roads), crs), distances)
            return {
                d: _dissolve(p, shapely.STRtree(p).query(p, predicate="intersects"))
                for d, p in pieces.items()
            }, "roads"
    if len(points) == 0:
        return {d: np.array([], dtype=object) for d in distances}, "straight"
    # places sharing a point (several groups in one hall, home venues at an area's point) buffer once
    points = shapely.points(np.unique(np.round(shapely.get_coordinates(points), 3), axis=0))
    tree = shapely.STRtree(points)
    out = {}
    for d in distances:
        radius = disc_radius(d)
        near = tree.query(points, predicate="dwithin", distance=2 * radius)  # discs that may overlap
        out[d] = _dissolve(shapely.buffer(points, radius, quad_segs=QUAD_SEGS), near)
    return out, "straight"


def _components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components of n items linked by `pairs` (2 × k indices): a label per item."""
    label = np.arange(n)
    i, j = pairs
    while True:
        low = np.minimum(label[i], label[j])
        new = label.copy()
        np.minimum.at(new, label[i], low)
        np.minimum.at(new, label[j], low)
        while not np.array_equal(new[new], new):  # point every item at its root
            new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def _dissolve(pieces: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The union of `pieces` as disjoint polygons: each group of overlapping pieces (`pairs` of candidates)
    is unioned on its own. Far cheaper than one union_all, which keeps re-noding the separate groups."""
    if len(pieces) == 0:
        return pieces
    label = _components(len(pieces), pairs)
    size = np.bincount(label)[label]
    merged = _grouped_union(pieces[size > 1], label[size > 1])
    return shapely.get_parts(np.concatenate([pieces[size == 1], merged]))


def _grouped_union(geoms: np.ndarray, group: np.ndarray) -> np.ndarray:
    """union_all of geoms per group value, vectorised: groups are padded with None (skipped by union_all)
    to the next power of two in size, so each size class is one call rather than a Python loop."""
    if len(geoms) == 0:
        return np.array([], dtype=object)
    order = np.argsort(group, kind="stable")
    geoms, group = geoms[order], group[order]
    _, starts, sizes = np.unique(group, return_index=True, return_counts=True)
    width = 1 << np.ceil(np.log2(sizes)).astype(int)
    out = []
    for w in np.unique(width):
        rows = np.flatnonzero(width == w)
        grid = np.full((len(rows), w), None, dtype=object)
        col = np.arange(w)
        mask = col[None, :] < sizes[rows][:, None]
        grid[mask] = geoms[(starts[rows][:, None] + col[None, :])[mask]]
        out.append(shapely.union_all(grid, axis=1))
    return np.concatenate(out)


def _read_lines(project: Project, path: Path, crs: CRS) -> np.ndarray:
    from gis.tiers import _read_any

    label = _label(project, path)
    try:
        gdf = _read_any(path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all mean "unreadable"
        raise InputError(label, f"道路のファイルを読めません / cannot read the road file: {exc}") from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:6668")
    lines = shapely.get_parts(gdf.to_crs(crs).geometry.values)
    lines = lines[np.isin(shapely.get_type_id(lines), [1, 2])]  # LineString, LinearRing
    if len(lines) == 0:
        raise InputError(label, "線（道路）がありません / no lines in the road file")
    return lines


def reach_along_roads(
    points: np.ndarray, lines: np.ndarray, distances: tuple[int, ...], side_m: float = ROAD_SIDE_M
) -> dict[int, Any]:
    """Walking reach along a road network (metric CRS): from each place to its nearest road vertex in a
    straight line, then along the roads; the reached stretches of road, widened by `side_m` on each side
    (the houses along them). Roads meet where they share a vertex (within ROAD_SNAP_M)."""
    return {
        d: shapely.union_all(pieces) if len(pieces) else shapely.Polygon()
        for d, pieces in _road_pieces(points, lines, distances, side_m).items()
    }


def _road_pieces(
    points: np.ndarray, lines: np.ndarray, distances: tuple[int, ...], side_m: float = ROAD_SIDE_M
) -> dict[int, np.ndarray]:
    """reach_along_roads as pieces (widened road stretches and access discs), not unioned."""
    import networkx as nx

    graph = nx.Graph()
    coords_of: dict[tuple[int, int], tuple[float, float]] = {}
    for line in lines:
        xy = shapely.get_coordinates(line)
        keys = [(round(x / ROAD_SNAP_M), round(y / ROAD_SNAP_M)) for x, y in xy]
        for (k1, k2), (p1, p2) in zip(pairwise(keys), pairwise(xy)):
            if k1 == k2:
                continue
            coords_of.setdefault(k1, tuple(p1))
            coords_of.setdefault(k2, tuple(p2))
            length = float(math.hypot(p2[0] - p1[0], p2[1] - p1[1]))
            if not graph.has_edge(k1, k2) or graph[k1][k2]["w"] > length:
                graph.add_edge(k1, k2, w=length)
    if len(points) == 0 or graph.number_of_nodes() == 0:
        return {d: np.array([], dtype=object) for d in distances}
    nodes = list(coords_of)
    node_pts = shapely.points(np.array([coords_of[n] for n in nodes]))
    tree = shapely.STRtree(node_pts)
    nearest = tree.nearest(points)
    source = ("source",)
    for p, idx in zip(points, nearest):
        access = float(shapely.distance(p, node_pts[idx]))
        n = nodes[idx]
        if not graph.has_edge(source, n) or graph[source][n]["w"] > access:
            graph.add_edge(source, n, w=access)
    dist = nx.single_source_dijkstra_path_length(graph, source, cutoff=max(distances), weight="w")
    out = {}
    for d in distances:
        pieces = []
        for u, v, data in graph.edges(data=True):
            if source in (u, v):
                continue
            du, dv, length = dist.get(u, math.inf), dist.get(v, math.inf), data["w"]
            a, b = np.array(coords_of[u]), np.array(coords_of[v])
            if du + length <= d or dv + length <= d:
                pieces.append(shapely.LineString([a, b]))
                continue
            for start, end, ds in ((a, b, du), (b, a, dv)):
                if ds < d:  # part of the edge from this end
                    t = (d - ds) / length
                    pieces.append(shapely.LineString([start, start + (end - start) * t]))
        reached = (
            shapely.buffer(np.array(pieces, dtype=object), side_m, quad_segs=8)
            if pieces
            else np.array([], dtype=object)
        )
        # the straight stretch from each place to the road counts too
        access_disc = shapely.buffer(points, disc_radius(min(side_m, d)), quad_segs=QUAD_SEGS)
        out[d] = np.concatenate([reached, access_disc])
    return out


def _read_population_points(edition: Edition, path: Path, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Points (metric CRS) and their weights from a point or mesh file (GeoJSON, GPKG, SHP: polygons are
    taken at a point inside them) or a CSV with lon/lat columns; weight = aged_65 if present, else population."""
    import geopandas as gpd

    from gis.tiers import _read_any

    project = edition.project
    label = _label(project, path)
    if path.suffix.lower() in (".csv", ".txt"):
        rows, headers = _read_table(path, label, ("lon", "lat", "population", "aged_65"))
        weight = "aged_65" if "aged_65" in headers else "population"
        for needed in ("lon", "lat", weight):
            if needed not in headers:
                raise InputError(
                    label, f"列「{needed}」がありません / column {needed} is missing", field=needed
                )
        lons, lats, weights = [], [], []
        for r in rows:
            row = int(r["_row"])
            try:
                lons.append(float(r["lon"]))
                lats.append(float(r["lat"]))
            except ValueError:
                raise InputError(
                    label,
                    "緯度・経度が数ではありません / latitude/longitude is not a number",
                    row=row,
                    field=headers["lon"],
                ) from None
            weights.append(_number(r[weight], label, row, headers[weight]))
        pts = gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs=WGS84).to_crs(crs).values
        return pts, np.array(weights, dtype=float)
    try:
        gdf = _read_any(path)
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            label, f"人口のファイルを読めません / cannot read the population file: {exc}"
        ) from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:6668")
    cols = {normalise_header(c): c for c in gdf.columns if c != "geometry"}
    column = next((cols[a] for f in ("aged_65", "population") for a in _ALIASES[f] if a in cols), None)
    if column is None:
        raise InputError(
            label, "人口の列（population / 人口 / aged_65 / 65歳以上）がありません / no population column"
        )
    gdf = gdf.to_crs(crs)
    geoms = gdf.geometry.values
    polys = np.isin(shapely.get_type_id(geoms), [3, 6])
    pts = np.where(polys, shapely.point_on_surface(geoms), shapely.centroid(geoms))
    weights = gdf[column].fillna(0).astype(float).values
    return pts, weights


def _coverage(
    edition: Edition, crs: CRS, distances: tuple[int, ...], reach: dict[int, Any]
) -> tuple[list[Coverage], list[tuple[str, str, str, Any]]]:
    """Coverage of every area of the finest tier and the district tier; blank areas of the finest tier.
    `reach` holds disjoint polygons (see _reach): each area is cut only by the ones it touches, so the work
    grows with areas + places, not with areas × the whole reach."""
    project = edition.project
    tiers = [project.finest_tier] + (
        [project.district_tier] if project.district_tier.id != project.finest_tier.id else []
    )
    trees = {d: shapely.STRtree(reach[d]) for d in distances}
    pop_path = getattr(project, "population_points", None)
    pop_pts, pop_w = (
        _read_population_points(edition, Path(pop_path), crs)
        if pop_path
        else (np.array([], dtype=object), np.array([]))
    )
    covered_pts = {}
    if len(pop_pts):
        for d in distances:
            covered_pts[d] = np.zeros(len(pop_pts), dtype=bool)
            if len(reach[d]):
                covered_pts[d][np.unique(trees[d].query(pop_pts, predicate="intersects")[0])] = True
    out: list[Coverage] = []
    blank: list[tuple[str, str, str, Any]] = []
    far = max(distances)
    for tier in tiers:
        parents = _parents(edition, tier)
        gdf = edition.boundaries[tier.id]
        areas = np.asarray(gdf.to_crs(crs).geometry.values, dtype=object)
        shapely.prepare(areas)
        total = shapely.area(areas)
        safe_total = np.where(total > 0, total, 1)
        shares: dict[int, np.ndarray] = {}
        rest = areas
        for d in distances:
            pieces = reach[d]
            area_idx, piece_idx = trees[d].query(areas, predicate="intersects")
            order = np.argsort(area_idx, kind="stable")
            area_idx, piece_idx = area_idx[order], piece_idx[order]
            if d == far and tier.id == project.finest_tier.id:
                # the part beyond reach: its area gives the share, and it is the blank area itself
                rest = areas.copy()
                if len(area_idx):
                    hit, local = np.unique(area_idx, return_inverse=True)
                    near = shapely.multipolygons(pieces[piece_idx], indices=local)  # disjoint, so valid
                    rest[hit] = shapely.difference(areas[hit], near)
                shares[d] = np.where(total > 0, 1.0 - shapely.area(rest) / safe_total, 0.0)
                continue
            # the pieces are disjoint: the covered area is the sum of each piece's part in the area
            inside = shapely.contains_properly(areas[area_idx], pieces[piece_idx])  # no cutting needed
            part = shapely.area(pieces[piece_idx])
            cut = ~inside
            part[cut] = shapely.area(shapely.intersection(areas[area_idx[cut]], pieces[piece_idx[cut]]))
            shares[d] = np.bincount(area_idx, weights=part, minlength=len(areas)) / safe_total
        members: dict[int, np.ndarray] = {}
        if len(pop_pts):
            hit_area, hit_pt = shapely.STRtree(pop_pts).query(areas, predicate="contains")
            order = np.argsort(hit_area, kind="stable")
            keys, starts = np.unique(hit_area[order], return_index=True)
            members = dict(zip(keys.tolist(), np.split(hit_pt[order], starts[1:])))
        for i, (aid, name) in enumerate(zip(gdf["area_id"].astype(str), gdf["area_name"])):
            s = {d: float(min(1.0, max(0.0, shares[d][i]))) for d in distances}
            c = Coverage(
                tier.id,
                aid,
                str(name),
                parents.get(aid, ""),
                area_km2=float(total[i]) / 1e6,
                shares=s,
                uncovered_km2=float(total[i]) * max(0.0, 1.0 - s[far]) / 1e6,
            )
            if len(pop_pts):
                idx = members.get(i, np.array([], dtype=int))
                weight = float(pop_w[idx].sum())
                c.population = weight
                c.population_shares = {
                    d: (float(pop_w[idx][covered_pts[d][idx]].sum()) / weight if weight else 0.0)
                    for d in distances
                }
            out.append(c)
        if tier.id == project.finest_tier.id:
            for i, (aid, name) in enumerate(zip(gdf["area_id"].astype(str), gdf["area_name"])):
                g = rest[i]
                if g is not None and not g.is_empty and g.area >= MIN_BLANK_M2:
                    blank.append((aid, str(name), parents.get(aid, ""), g))
    return out, blank


# ---------------------------------------------------------------- needs against resources


def read_needs(edition: Edition) -> list[dict[str, Any]]:
    """The needs table (area_id, kind, text) as rows with their row number; [] when none is configured."""
    project = edition.project
    path = getattr(project, "needs", None)
    if not path:
        return []
    label = _label(project, path)
    rows, headers = _read_table(Path(path), label, ("area_id", "area_name", "kind", "text"))
    if "kind" not in headers:
        raise InputError(label, "列「kind」（種類）がありません / column kind is missing", field="kind")
    if "area_id" not in headers and "area_name" not in headers:
        raise InputError(
            label, "列「area_id」（区域ID）がありません / column area_id is missing", field="area_id"
        )
    needs: list[dict[str, Any]] = []
    for r in rows:
        needs.append({**r, "_label": label, "_headers": headers})
    return needs


def _locate_area(edition: Edition, area_id: str, area_name: str) -> tuple[Tier, str, str] | None:
    """(tier, id, name) of the area a need names: the district tier first, then finer, then coarser tiers;
    by id, else by name."""
    project = edition.project
    district = project.district_tier
    order = (
        [district]
        + [t for t in project.tiers if t.level > district.level]
        + [t for t in reversed(project.tiers) if t.level < district.level]
    )
    for key, column in ((area_id, "area_id"), (area_name, "area_name")):
        if not key:
            continue
        for tier in order:
            gdf = edition.boundaries[tier.id]
            hit = gdf[gdf[column].astype(str) == key]
            if len(hit):
                return tier, str(hit["area_id"].iloc[0]), str(hit["area_name"].iloc[0])
    return None


def match_needs(edition: Edition) -> list[NeedMatch]:
    """Each need with the published ACTIVE places in the same district whose category answers its kind.
    A need for the whole municipality (first tier) is matched against every district."""
    project = edition.project
    district = project.district_tier
    answers = {c.id: {normalise_header(k) for k in c.answers} for c in project.categories}
    labels = {c.id: c.label for c in project.categories}
    district_names = dict(
        zip(
            edition.boundaries[district.id]["area_id"].astype(str),
            edition.boundaries[district.id]["area_name"],
        )
    )
    out: list[NeedMatch] = []
    for r in read_needs(edition):
        row = int(r["_row"])
        found = _locate_area(edition, r.get("area_id", ""), r.get("area_name", ""))
        kind = r.get("kind", "")
        if found is None:
            column = r["_headers"].get("area_id") or r["_headers"].get("area_name", "")
            edition.report.add(
                Issue(
                    "warning",
                    r["_label"],
                    row,
                    column,
                    f"区域「{r.get('area_id') or r.get('area_name')}」がどの層にもありません",
                    "the need's area is in no tier",
                )
            )
            out.append(
                NeedMatch(
                    row, r.get("area_id", ""), r.get("area_name", ""), "", "", kind, r.get("text", ""), []
                )
            )
            continue
        tier, aid, aname = found
        if tier.level == district.level:
            did, within = aid, {aid}
        elif tier.level > district.level:
            gdf = edition.boundaries[tier.id]
            did = str(gdf.loc[gdf["area_id"].astype(str) == aid, f"parent_{district.id}"].iloc[0])
            within = {did}
        else:  # a coarser tier (the municipality): every district inside it
            did = ""
            dgdf = edition.boundaries[district.id]
            col = f"parent_{tier.id}"
            within = (
                set(dgdf["area_id"].astype(str))
                if tier.id == project.top_tier.id or col not in dgdf.columns
                else set(dgdf.loc[dgdf[col].astype(str) == aid, "area_id"].astype(str))
            )
        if not kind:
            edition.report.add(
                Issue(
                    "warning",
                    r["_label"],
                    row,
                    r["_headers"]["kind"],
                    "ニーズの種類が空欄です",
                    "the need has no kind",
                )
            )
        want = normalise_header(kind)
        places = [
            (p.number, p.name, labels.get(p.category, p.category))
            for p in edition.places
            if p.is_active
            and want
            and want in answers.get(p.category, set())
            and p.areas.get(district.id, ("", ""))[0] in within
        ]
        out.append(
            NeedMatch(
                row, aid, aname, did, district_names.get(did, ""), kind, r.get("text", ""), sorted(places)
            )
        )
    return out


# ---------------------------------------------------------------- public helpers for pages and prints


def _pct(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def distance_label(d: int) -> str:
    return f"{d / 1000:g} km" if d >= 1000 else f"{d} m"


def district_figures(edition: Edition, area_id: str) -> dict:
    """The figures for one area (a district page or a guidebook page): counts by category and organiser,
    walking-distance coverage, per-capita rate and the needs with and without an answering activity.
    Plain JSON-ready values; withheld places are not counted. KeyError for an unknown area."""
    ins = analyse(edition)
    project = edition.project
    tier_ids = [project.district_tier.id] + [t.id for t in project.tiers if t.id != project.district_tier.id]
    c = next((x for tid in tier_ids for x in ins.counts if x.tier_id == tid and x.area_id == area_id), None)
    if c is None:
        raise KeyError(area_id)
    cats = {cat.id: cat for cat in project.categories}
    cov = next((x for x in ins.coverage if x.tier_id == c.tier_id and x.area_id == area_id), None)
    pc = next((x for x in ins.per_capita if x.tier_id == c.tier_id and x.area_id == area_id), None)
    if c.tier_id == project.district_tier.id:
        needs = [
            n
            for n in ins.needs
            if n.district_id == area_id or (not n.district_id and n.area_id and _is_top(edition, n.area_id))
        ]
    else:
        needs = [n for n in ins.needs if n.area_id == area_id]
    need_rows = [
        {
            "kind": n.kind,
            "text": n.text,
            "area": n.area_name,
            "places": [{"number": num, "name": name, "category": cl} for num, name, cl in n.places],
        }
        for n in needs
    ]
    return {
        "area_id": c.area_id,
        "area_name": c.area_name,
        "tier_id": c.tier_id,
        "tier_name": c.tier_name,
        "total": c.total,
        "active": c.active,
        "paused": c.paused,
        "by_category": [
            {
                "id": cid,
                "label": cats[cid].label if cid in cats else cid,
                "color": cats[cid].color if cid in cats else "#555555",
                "count": n,
                "active": c.active_by_category.get(cid, 0),
            }
            for cid, n in c.by_category.items()
        ],
        "by_organiser": [{"label": o, "count": n} for o, n in c.by_organiser.items() if n],
        "coverage": []
        if cov is None
        else [
            {
                "distance_m": d,
                "label": distance_label(d),
                "share": round(cov.shares[d], 4),
                "percent": _pct(cov.shares[d]),
                "population_share": None
                if cov.population_shares is None
                else round(cov.population_shares[d], 4),
            }
            for d in ins.distances
        ],
        "uncovered_km2": None if cov is None else round(cov.uncovered_km2, 3),
        "per_capita": None
        if pc is None
        else {
            "aged_65": pc.aged_65,
            "population": pc.population,
            "active_places": pc.places,
            "per_1000": pc.per_1000,
        },
        "needs": need_rows,
        "needs_unmatched": [n for n in need_rows if not n["places"]],
        "method": "道路に沿った距離" if ins.method == "roads" else "直線距離",
    }


def _is_top(edition: Edition, area_id: str) -> bool:
    return area_id in set(edition.boundaries[edition.project.top_tier.id]["area_id"].astype(str))


def insight_layers(edition: Edition) -> list[dict]:
    """The switchable map layers write_stats writes, for the index map: id, name, file (site-relative),
    kind, style (Leaflet path options; `fillColorProperty` names the feature property holding each
    feature's fill), label_property (text to show on or beside each area), legend entries, show."""
    ins = analyse(edition)
    far = distance_label(max(ins.distances))
    via = "道のりで" if ins.method == "roads" else ""
    layers = [
        {
            "id": "blank_areas",
            "name": f"空白地域（{via}{far}以内に活動中の場所がない所）",
            "file": "data/layers/blank_areas.geojson",
            "kind": "polygons",
            "style": {
                "color": "#7f2704",
                "weight": 1,
                "fillColor": BLANK_COLOUR,
                "fillOpacity": 0.45,
                "dashArray": "4 3",
            },
            "label_property": "label",
            "legend": [{"color": BLANK_COLOUR, "label": f"{via}{far}以内に活動中の場所がない所"}],
            "show": False,
        }
    ]
    if ins.per_capita:
        layers.append(
            {
                "id": "per_capita",
                "name": "高齢者千人あたりの場所の数（65歳以上 1,000 人あたり）",
                "file": "data/layers/per_capita.geojson",
                "kind": "polygons",
                "style": {"color": "#444444", "weight": 1, "fillOpacity": 0.7, "fillColorProperty": "fill"},
                "label_property": "label",
                "legend": legend_entries(ins.breaks),
                "show": False,
            }
        )
    return layers


# ---------------------------------------------------------------- writing


def _layer_text(name: str, parts: list[tuple[dict, str]]) -> str:
    """A FeatureCollection's JSON text from (feature without geometry, geometry text) pairs, without
    parsing the geometry texts again."""

    def feature(f: dict, geometry: str) -> str:
        return json.dumps(f, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"geometry":' + geometry + "}"

    features = ",".join(feature(f, g) for f, g in parts)
    return f'{{"type":"FeatureCollection","name":{json.dumps(name)},"features":[{features}]}}\n'


def _to_wgs84(geoms: list[Any], crs: CRS) -> list[Any]:
    import geopandas as gpd

    if not geoms:
        return []
    return list(gpd.GeoSeries(geoms, crs=crs).to_crs(WGS84).values)


def blank_layer(edition: Edition) -> dict:
    """Blank areas as a GeoJSON FeatureCollection (EPSG:4326), one feature per finest-tier area."""
    return {
        "type": "FeatureCollection",
        "name": "blank_areas",
        "features": [f | {"geometry": json.loads(g)} for f, g in _blank_parts(edition)],
    }


def _blank_parts(edition: Edition) -> list[tuple[dict, str]]:
    """blank_layer's features without their geometry, and each geometry as GeoJSON text."""
    ins = analyse(edition)
    cov = {c.area_id: c for c in ins.coverage if c.tier_id == edition.project.finest_tier.id}
    # without topology checks: 15× faster, and a drawing needs no more (the figures are measured unsimplified)
    simple = shapely.simplify(
        np.array([g for *_, g in ins.blank], dtype=object), BLANK_SIMPLIFY_M, preserve_topology=False
    )
    geoms = _to_wgs84(list(simple), ins.crs)
    decimals = min(edition.project.build.precision, LAYER_DECIMALS)
    far = distance_label(max(ins.distances))
    keep = [i for i, g in enumerate(geoms) if not g.is_empty]
    shapes = dict(zip(keep, geometry_texts([geoms[i] for i in keep], decimals)))
    parts = []
    for i, (aid, name, parent, _) in enumerate(ins.blank):
        c = cov[aid]
        if i not in shapes:
            continue
        parts.append(
            (
                {
                    "type": "Feature",
                    "id": f"blank-{aid}",
                    "properties": {
                        "area_id": aid,
                        "area_name": name,
                        "district": parent,
                        "uncovered_share": round(c.uncovered_share, 4),
                        "uncovered_km2": round(c.uncovered_km2, 3),
                        "label": f"{name}：{far}以内に場所がない所 {_pct(c.uncovered_share)}%（{c.uncovered_km2:.2f} km²）",
                    },
                },
                shapes[i],
            )
        )
    return parts


def per_capita_layer(edition: Edition) -> dict:
    """The choropleth: areas of the population table's tier with per_1000, class, fill and a label."""
    ins = analyse(edition)
    if not ins.per_capita:
        return {"type": "FeatureCollection", "name": "per_capita", "features": []}
    colours = choropleth_colours(len(ins.breaks))
    gdf = edition.boundaries[ins.per_capita_tier]
    geoms = dict(zip(gdf["area_id"].astype(str), gdf.geometry.values))
    decimals = min(edition.project.build.precision, LAYER_DECIMALS)
    rows = [p for p in ins.per_capita if p.tier_id == ins.per_capita_tier]
    shapes = geometry_texts(
        list(shapely.simplify(np.array([geoms[p.area_id] for p in rows], dtype=object), 0.00002)), decimals
    )
    features = []
    for p, shape in zip(rows, shapes):
        text = "数字なし" if p.per_1000 is None else f"{p.per_1000:.1f}"
        features.append(
            {
                "type": "Feature",
                "id": f"per-capita-{p.area_id}",
                "properties": {
                    "area_id": p.area_id,
                    "area_name": p.area_name,
                    "active_places": p.places,
                    "aged_65": p.aged_65,
                    "population": p.population,
                    "per_1000": p.per_1000,
                    "class": p.klass,
                    "fill": "" if p.klass is None else colours[p.klass],
                    "label": f"{p.area_name}：{text}（高齢者千人あたり {p.places} か所）"
                    if p.per_1000 is not None
                    else f"{p.area_name}：人口の数字なし",
                },
                "geometry": json.loads(shape),
            }
        )
    return {"type": "FeatureCollection", "name": "per_capita", "features": features}


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_cell(h) for h in header])
    for r in rows:
        w.writerow(["" if v is None else csv_cell(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def tables(edition: Edition) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The tables behind the CSV files and the workbook: name -> (header, rows)."""
    ins = analyse(edition)
    project = edition.project
    cats = project.categories
    organisers = organiser_types(edition)
    district_label = project.district_tier.label
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}
    out["counts"] = (
        ["層", "区域ID", "区域名", district_label, "掲載数", "活動中", "休止中"]
        + [f"種別：{c.label}" for c in cats]
        + [f"運営：{o}" for o in organisers],
        [
            [c.tier_name, c.area_id, c.area_name, c.parent, c.total, c.active, c.paused]
            + [c.by_category.get(k.id, 0) for k in cats]
            + [c.by_organiser.get(o, 0) for o in organisers]
            for c in ins.counts
        ],
    )
    tier_names = {t.id: t.name for t in project.tiers}
    if ins.per_capita:
        out["per_capita"] = (
            ["層", "区域ID", "区域名", "人口", "65歳以上人口", "活動中の場所", "高齢者千人あたりの場所の数"],
            [
                [tier_names[p.tier_id], p.area_id, p.area_name, p.population, p.aged_65, p.places, p.per_1000]
                for p in ins.per_capita
            ],
        )
    pop_mode = any(c.population_shares is not None for c in ins.coverage)
    head = (
        ["層", "区域ID", "区域名", district_label, "面積（km²）"]
        + [f"{distance_label(d)}以内の面積の割合（%）" for d in ins.distances]
        + [f"{distance_label(max(ins.distances))}以内に場所がない面積（km²）"]
    )
    if pop_mode:
        head += ["人口（点データの合計）"] + [
            f"{distance_label(d)}以内の人口の割合（%）" for d in ins.distances
        ]
    rows = []
    for c in ins.coverage:
        r = (
            [tier_names[c.tier_id], c.area_id, c.area_name, c.parent, round(c.area_km2, 3)]
            + [round(c.shares[d] * 100, 1) for d in ins.distances]
            + [round(c.uncovered_km2, 3)]
        )
        if pop_mode:
            r += [round(c.population or 0)] + [
                round((c.population_shares or {}).get(d, 0) * 100, 1) for d in ins.distances
            ]
        rows.append(r)
    out["coverage"] = (head, rows)
    out["needs"] = (
        [
            district_label + "ID",
            district_label,
            "区域ID",
            "区域名",
            "種類",
            "内容",
            "応える活動の数",
            "応える活動（番号と名称）",
        ],
        [
            [
                n.district_id,
                n.district_name or ("全域" if n.area_id and _is_top(edition, n.area_id) else ""),
                n.area_id,
                n.area_name,
                n.kind,
                n.text,
                len(n.places),
                "、".join(f"{num} {name}" for num, name, _ in n.places) or "なし",
            ]
            for n in sorted(ins.needs, key=lambda n: (n.district_id, n.row))
        ],
    )
    return out


SHEET_NAMES = {
    "counts": "場所の数",
    "per_capita": "高齢者千人あたり",
    "coverage": "歩いて行ける範囲",
    "needs": "ニーズと活動",
}


def write_xlsx(edition: Edition, path: Path) -> None:
    """The same tables as a workbook for the council's papers; byte-identical for the same edition.
    Written in openpyxl's write-only mode: a national project has tens of thousands of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    for key, (header, rows) in tables(edition).items():
        ws = wb.create_sheet(SHEET_NAMES[key])
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, 1):
            width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows[:200] if r[i - 1] is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.8 + 2))
        head = []
        for h in header:
            cell = WriteOnlyCell(ws, value=spreadsheet_cell(h))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF4")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            head.append(cell)
        ws.append(head)
        for r in rows:
            ws.append([spreadsheet_cell(v) for v in r])
    stamp = _edition_stamp(edition)
    wb.properties.creator = "Takara Map"
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_normalise_zip(buf.getvalue(), stamp))


def _edition_stamp(edition: Edition) -> datetime:
    iso = edition.project.site.edition or "2000-01-01"
    return datetime.fromisoformat(iso)


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """openpyxl writes the save time into docProps/core.xml and every zip entry: put the edition date."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + when.encode() + rb"\g<2>", body
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def _dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_stats(edition: Edition, out: Path, links: Links | None = None) -> bool:
    """Write the statistics into the site folder `out` (its stats/ folder is also accepted):
    stats/index.html, stats/*.csv (UTF-8 with BOM), stats/insight.xlsx, stats/*.svg charts and the map
    layers data/layers/blank_areas.geojson and per_capita.geojson. Published places only. `links`: what the
    page's header and footer link to (gis.view.Links, from the earlier stages' results)."""
    out = Path(out)
    site = out.parent if out.name == "stats" else out
    stats = site / "stats"
    layers = site / "data" / "layers"
    stats.mkdir(parents=True, exist_ok=True)
    layers.mkdir(parents=True, exist_ok=True)
    ins = analyse(edition)
    files = {
        "counts": "counts.csv",
        "coverage": "coverage.csv",
        "needs": "needs.csv",
        "per_capita": "per_capita.csv",
    }
    all_tables = tables(edition)
    if not getattr(edition.project, "needs", None):
        all_tables.pop("needs")
    for key, (header, rows) in all_tables.items():
        (stats / files[key]).write_bytes(_csv_bytes(header, rows))
    write_xlsx(edition, stats / "insight.xlsx")
    (layers / "blank_areas.geojson").write_text(
        _layer_text("blank_areas", _blank_parts(edition)), encoding="utf-8"
    )
    if ins.per_capita:
        (layers / "per_capita.geojson").write_text(_dump_json(per_capita_layer(edition)), encoding="utf-8")
    charts = write_charts(edition, ins, stats)
    shutil.copyfile(TEMPLATE_ROOT / "stats" / "stats.css", stats / "stats.css")
    html = _render_page(edition, ins, charts, [files[k] for k in all_tables], links)
    (stats / "index.html").write_bytes(html.encode("utf-8"))
    return True


def page_context(
    edition: Edition, ins: Insight, charts: dict[str, dict[str, str]], downloads: list[str]
) -> dict:
    """Everything stats/index.html shows, as plain values (the template escapes all text)."""
    project = edition.project
    district, finest = project.district_tier, project.finest_tier
    cats = project.categories
    organisers = organiser_types(edition)
    try:
        from gis.view import slug
    except ImportError:  # the site module is optional here

        def slug(area_id: str) -> str:
            return area_id

    def link(tier_id: str, area_id: str) -> str:
        if tier_id == district.id:
            return f"../districts/{slug(area_id)}/index.html"
        return ""

    notes: dict[str, str] = {}

    def shown(key: str, rows: list, what: str) -> list:
        """rows up to PAGE_MAX_ROWS; a note under the table says where the rest are."""
        if len(rows) > PAGE_MAX_ROWS:
            notes[key] = (
                f"{what}が {len(rows):,} あるため、ここには {PAGE_MAX_ROWS:,} 行だけを示します。"
                "すべての行は下の CSV・Excel ファイルにあります。"
            )
        return rows[:PAGE_MAX_ROWS]

    tiers = []
    for t in project.tiers:
        rows = shown(f"counts-{t.id}", [c for c in ins.counts if c.tier_id == t.id], t.label)
        tiers.append(
            {
                "id": t.id,
                "name": t.name,
                "label": t.label,
                "is_district": t.id == district.id,
                "has_parent": t.level > district.level,
                "rows": [
                    {
                        "id": c.area_id,
                        "name": c.area_name,
                        "url": link(t.id, c.area_id),
                        "parent": c.parent,
                        "total": c.total,
                        "active": c.active,
                        "paused": c.paused,
                        "cats": [c.by_category.get(k.id, 0) for k in cats],
                        "orgs": [c.by_organiser.get(o, 0) for o in organisers],
                    }
                    for c in rows
                ],
            }
        )
    cov_rows = {}
    for t in (finest, district):
        cov_rows[t.id] = [
            {
                "id": c.area_id,
                "name": c.area_name,
                "url": link(t.id, c.area_id),
                "parent": c.parent,
                "km2": f"{c.area_km2:.2f}",
                "shares": [_pct(c.shares[d]) for d in ins.distances],
                "pop": None if c.population is None else f"{c.population:,.0f}",
                "pop_shares": None
                if c.population_shares is None
                else [_pct(c.population_shares[d]) for d in ins.distances],
                "uncovered_km2": f"{c.uncovered_km2:.2f}",
                "uncovered_pct": _pct(c.uncovered_share),
            }
            for c in shown(f"coverage-{t.id}", [c for c in ins.coverage if c.tier_id == t.id], t.label)
        ]
    cov_by = {c.area_id: c for c in ins.coverage if c.tier_id == finest.id}
    blank: list[dict[str, Any]] = sorted(
        (
            {
                "name": name,
                "parent": parent,
                "pct": _pct(cov_by[aid].uncovered_share),
                "km2": f"{cov_by[aid].uncovered_km2:.2f}",
                "sort": cov_by[aid].uncovered_km2,
            }
            for aid, name, parent, _ in ins.blank
            if cov_by[aid].uncovered_km2 >= 0.005
        ),
        key=lambda b: (-b["sort"], b["name"]),
    )
    blank = shown("blank", blank, f"空白地域のある{finest.label}")
    needs_by_district: dict[str, dict] = {}
    for n in sorted(ins.needs, key=lambda n: (n.district_id == "", n.district_id, n.row)):
        key = n.district_id or "_all"
        name = n.district_name or (
            "全域" if n.area_id and _is_top(edition, n.area_id) else "区域がわからないもの"
        )
        group = needs_by_district.setdefault(
            key, {"name": name, "url": link(district.id, n.district_id) if n.district_id else "", "rows": []}
        )
        group["rows"].append(
            {
                "area": n.area_name or n.area_id,
                "kind": n.kind,
                "text": n.text,
                "places": [
                    {"number": num, "name": nm, "category": cl, "url": f"../places/{num}/index.html"}
                    for num, nm, cl in n.places
                ],
            }
        )
    pc_rows = [
        {
            "tier": next(t.name for t in project.tiers if t.id == p.tier_id),
            "name": p.area_name,
            "population": "" if p.population is None else f"{p.population:,}",
            "aged_65": "" if p.aged_65 is None else f"{p.aged_65:,}",
            "places": p.places,
            "per_1000": "" if p.per_1000 is None else f"{p.per_1000:.1f}",
        }
        for p in shown("per_capita", ins.per_capita, "区域")
    ]
    top_counts = [c for c in ins.counts if c.tier_id == project.top_tier.id]
    return {
        "title": project.site.title,
        "edition": project.site.edition,
        "fictional": project.site.fictional,
        "attribution": project.site.attribution,
        "total": sum(c.total for c in top_counts) if top_counts else len(edition.places),
        "active": sum(c.active for c in top_counts),
        "paused": sum(c.paused for c in top_counts),
        "categories": [{"id": c.id, "label": c.label} for c in cats],
        "organisers": organisers,
        "district": {"id": district.id, "name": district.name, "label": district.label},
        "finest": {"id": finest.id, "name": finest.name, "label": finest.label},
        "tiers": tiers,
        "distances": [distance_label(d) for d in ins.distances],
        "far": distance_label(max(ins.distances)),
        "coverage_finest": cov_rows[finest.id],
        "coverage_district": cov_rows[district.id] if district.id != finest.id else [],
        "population_mode": any(c.population_shares is not None for c in ins.coverage),
        "blank": blank,
        "needs": list(needs_by_district.values()),
        "needs_total": len(ins.needs),
        "needs_unmatched": sum(1 for n in ins.needs if not n.places),
        "per_capita": pc_rows,
        "legend": legend_entries(ins.breaks) if ins.per_capita else [],
        "crs": crs_label(ins.crs),
        "method": ins.method,
        "charts": charts,
        "downloads": [{"file": f, "label": DOWNLOAD_LABELS.get(f, f)} for f in [*downloads, "insight.xlsx"]],
        "notes": ins.notes,
        "table_notes": notes,
    }


DOWNLOAD_LABELS = {
    "counts.csv": "場所の数（CSV）",
    "per_capita.csv": "高齢者千人あたりの場所の数（CSV）",
    "coverage.csv": "歩いて行ける範囲（CSV）",
    "needs.csv": "地域の声と活動（CSV）",
    "insight.xlsx": "すべての表（Excel）",
}


def _render_page(
    edition: Edition,
    ins: Insight,
    charts: dict[str, dict[str, str]],
    downloads: list[str],
    links: Links | None,
) -> str:
    """stats/index.html through the website's own environment and base page (header, footer, CSP)."""
    from gis import view

    catalogue = view.Catalogue(view.DEFAULT_LANG)
    env = view.make_environment(catalogue)
    links = dataclasses.replace(links or view.Links(), stats_index=True)
    site = view.site_context(view.SiteModel(edition, catalogue), links)
    ctx = page_context(edition, ins, charts, downloads)
    return env.get_template("stats/index.html").render(site=site, root="../", page="stats", s=ctx)


# ---------------------------------------------------------------- charts (SVG, deterministic)

CHART_FONTS = (
    "Noto Sans CJK JP",
    "IPAexGothic",
    "IPAGothic",
    "DejaVu Sans",
)  # fonts-noto-cjk (scripts/setup.sh)
NEAR_COLOUR, FAR_COLOUR = "#08519c", "#9ecae1"  # one hue, dark and light: readable without colour vision


# Chart text in points of the SVG, which a browser draws at 4/3 px per pt when the chart is shown at its
# own size (phones scroll it sideways rather than shrink it): 10 pt = 13.3 px, 9.5 pt = 12.7 px, both
# at least the 12 px a reader can still make out.
CHART_FONT_PT = 10
CHART_SMALL_PT = 9.5


def _chart_fonts() -> list[str]:
    """The installed ones of CHART_FONTS, found before any text is drawn: matplotlib logs a findfont
    warning for every text it sets in a family that is missing."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = []
    for name in CHART_FONTS:
        if name not in installed:
            continue
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        except ValueError:  # listed in a stale font cache, but its file is gone
            continue
        if Path(path).is_file():
            found.append(name)
    return found or ["sans-serif"]


@contextmanager
def _quiet_fonts() -> Iterator[None]:
    """No findfont lines on stderr while the charts are drawn (the fonts are chosen by _chart_fonts)."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
            yield
    finally:
        logger.setLevel(level)


def _chart_rows(rows: list[Any], key: Any) -> tuple[list[Any], bool]:
    """The bars of a chart, top to bottom: every row when they fit, else the CHART_MAX_BARS lowest by `key`
    (ties in table order), and whether rows were left out."""
    if len(rows) <= CHART_MAX_BARS:
        return rows, False
    return sorted(rows, key=key)[:CHART_MAX_BARS], True


def _figure(rows: int) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(7.5, 1.1 + 0.32 * max(1, rows)), dpi=96)


def _save_svg(fig: Any, path: Path) -> None:
    import matplotlib

    # Text stays text (small files, selectable, read by screen readers); the reader's Japanese font draws it.
    with matplotlib.rc_context({"svg.hashsalt": "takara-map", "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")


def _svg_size(path: Path) -> tuple[str, str]:
    """The chart's size in CSS px (matplotlib writes it in pt): the page reserves it before the file loads."""
    head = path.read_text(encoding="utf-8")[:2000]
    size = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', head, re.DOTALL)
    if size is None:
        return "", ""
    return tuple(str(round(float(v) * 4 / 3)) for v in size.groups())  # type: ignore[return-value]


def write_charts(edition: Edition, ins: Insight, folder: Path) -> dict[str, dict[str, str]]:
    """counts.svg (places per district by category), coverage.svg (walking reach per finest area, or per
    district when the finest tier has more than CHART_MAX_BARS areas), per_capita.svg (when a population
    table is given). A chart with more areas than CHART_MAX_BARS shows the lowest ones and says so in its
    title, alt text and `note`. name -> {file, alt, note}. The tables on the page hold every number, so
    the charts need no other text alternative than a summary."""
    with _quiet_fonts():
        charts = _write_charts(edition, ins, folder)
    for chart in charts.values():
        chart["width"], chart["height"] = _svg_size(folder / chart["file"])
    return charts


def _write_charts(edition: Edition, ins: Insight, folder: Path) -> dict[str, dict[str, str]]:
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    project = edition.project
    charts: dict[str, dict[str, str]] = {}
    limit = CHART_MAX_BARS
    with matplotlib.rc_context(
        {
            "font.family": _chart_fonts(),
            "font.size": CHART_FONT_PT,
            "svg.hashsalt": "takara-map",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        district = project.district_tier
        every = [c for c in ins.counts if c.tier_id == district.id]
        rows, cut = _chart_rows(every, key=lambda c: c.total)
        rows = rows[::-1]  # barh draws the first row at the bottom
        fig = _figure(len(rows))
        ax = fig.add_subplot()
        left = np.zeros(len(rows))
        names = [c.area_name for c in rows]
        for cat in project.categories:
            vals = np.array([c.by_category.get(cat.id, 0) for c in rows], dtype=float)
            ax.barh(
                names, vals, left=left, color=cat.color, label=cat.label, edgecolor="white", linewidth=0.6
            )
            left += vals
        for y, total in enumerate(left):
            ax.text(
                total + max(left.max(initial=0), 1) * 0.01,
                y,
                f"{int(total)}",
                va="center",
                fontsize=CHART_SMALL_PT,
            )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("掲載している場所の数（か所）")
        ax.set_title(
            f"{district.label}ごとの場所の数（種別ごと）"
            + (f"：場所の少ない {limit} {district.label}" if cut else ""),
            loc="left",
        )
        ax.legend(loc="upper left", fontsize=CHART_SMALL_PT, frameon=False, bbox_to_anchor=(1.01, 1.0))
        ax.set_xlim(0, max(left.max(initial=0), 1) * 1.12)
        _save_svg(fig, folder / "counts.svg")
        note = (
            (
                f"{district.label}が {len(every):,} あるため、図には場所の少ない {limit} {district.label}だけを"
                "示します。すべての数は下の表にあります。"
            )
            if cut
            else ""
        )
        charts["counts"] = {
            "file": "counts.svg",
            "note": note,
            "alt": f"{district.label}ごとの場所の数を種別に色分けした横棒グラフ。"
            + (f"場所の少ない {limit} {district.label}を示します。" if cut else "")
            + "数は下の表と同じです。",
        }

        finest = project.finest_tier
        tier = finest
        if sum(c.tier_id == finest.id for c in ins.coverage) > limit and district.id != finest.id:
            tier = district  # a bar per neighbourhood would be unreadable: the districts instead
        near, far = min(ins.distances), max(ins.distances)
        every_cov = [c for c in ins.coverage if c.tier_id == tier.id]
        cov, cut = _chart_rows(every_cov, key=lambda c: (c.shares[far], c.shares[near]))
        cov = cov[::-1]
        fig = _figure(len(cov))
        ax = fig.add_subplot()
        names = [c.area_name for c in cov]
        far_vals = [c.shares[far] * 100 for c in cov]
        near_vals = [c.shares[near] * 100 for c in cov]
        ax.barh(names, far_vals, color=FAR_COLOUR, label=f"{distance_label(far)}以内")
        if near != far:
            ax.barh(names, near_vals, color=NEAR_COLOUR, height=0.5, label=f"{distance_label(near)}以内")
        for y, (a, b) in enumerate(zip(near_vals, far_vals)):
            text = f"{a:.0f}% / {b:.0f}%" if near != far else f"{b:.0f}%"
            ax.text(101, y, text, va="center", fontsize=CHART_SMALL_PT)
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("面積のうち、活動中の場所から歩いて行ける範囲の割合（%）")
        ax.set_title(
            f"{tier.label}ごとの歩いて行ける範囲"
            + (f"：{distance_label(far)}以内の割合が低い {limit} {tier.label}" if cut else ""),
            loc="left",
        )
        ax.legend(loc="upper left", fontsize=CHART_SMALL_PT, frameon=False, bbox_to_anchor=(1.01, 1.0))
        _save_svg(fig, folder / "coverage.svg")
        note = (
            (
                f"{tier.label}が {len(every_cov):,} あるため、図には{distance_label(far)}以内の割合が低い {limit} "
                f"{tier.label}だけを示します。すべての数は下の表にあります。"
            )
            if cut
            else ""
        )
        charts["coverage"] = {
            "file": "coverage.svg",
            "note": note,
            "alt": f"{tier.label}ごとに、{distance_label(near)}以内と{distance_label(far)}以内の"
            "面積の割合を示す横棒グラフ。"
            + (f"{distance_label(far)}以内の割合が低い {limit} {tier.label}を示します。" if cut else "")
            + "数は下の表と同じです。",
        }

        every_pc = [p for p in ins.per_capita if p.tier_id == ins.per_capita_tier]
        if every_pc:
            pc_label = next(t.label for t in project.tiers if t.id == ins.per_capita_tier)
            pcs, cut = _chart_rows(every_pc, key=lambda p: (p.per_1000 is None, p.per_1000 or 0.0))
            pcs = pcs[::-1]
            colours = choropleth_colours(len(ins.breaks))
            fig = _figure(len(pcs))
            ax = fig.add_subplot()
            pc_vals = [p.per_1000 or 0.0 for p in pcs]
            ax.barh(
                [p.area_name for p in pcs],
                pc_vals,
                edgecolor="#444444",
                linewidth=0.5,
                color=["#ffffff" if p.klass is None else colours[p.klass] for p in pcs],
            )
            top = max([*pc_vals, 1.0])
            for y, p in enumerate(pcs):
                ax.text(
                    (p.per_1000 or 0) + top * 0.01,
                    y,
                    "数字なし" if p.per_1000 is None else f"{p.per_1000:.1f}",
                    va="center",
                    fontsize=CHART_SMALL_PT,
                )
            ax.set_xlim(0, top * 1.15)
            ax.set_xlabel("活動中の場所の数（65歳以上の人 1,000 人あたり）")
            ax.set_title(
                "高齢者千人あたりの場所の数" + (f"：少ない {limit} {pc_label}" if cut else ""), loc="left"
            )
            _save_svg(fig, folder / "per_capita.svg")
            note = (
                (
                    f"{pc_label}が {len(every_pc):,} あるため、図には高齢者千人あたりの場所が少ない {limit} "
                    f"{pc_label}だけを示します。すべての数は下の表にあります。"
                )
                if cut
                else ""
            )
            charts["per_capita"] = {
                "file": "per_capita.svg",
                "note": note,
                "alt": "区域ごとの、高齢者千人あたりの活動中の場所の数の横棒グラフ。"
                + (f"少ない {limit} {pc_label}を示します。" if cut else "")
                + "数は下の表と同じです。",
            }
    return charts


# ---------------------------------------------------------------- coordinators only (outside the site)


def withheld_by_district(edition: Edition) -> dict[str, int]:
    """Withheld places per district name, from the coordinators' report (the pipeline puts them there)."""
    data = edition.report.stats.get("withheld_by_area", {})
    return {str(k): int(v) for k, v in dict(data).items()} if isinstance(data, dict) else {}


def write_coordinator_counts(edition: Edition, path: Path) -> None:
    """Coordinators' CSV (UTF-8 BOM): per district, published / active / paused / withheld. It names
    how many records are held back, so write it OUTSIDE the site (e.g. PROJECT/.takara/); never publish."""
    ins = analyse(edition)
    withheld = withheld_by_district(edition)
    total_withheld = sum(1 for r in edition.report.rows if r.outcome == WITHHELD)
    district = edition.project.district_tier
    rows = [
        [c.area_id, c.area_name, c.total, c.active, c.paused, withheld.get(c.area_name, 0)]
        for c in ins.counts
        if c.tier_id == district.id
    ]
    rows.append(
        [
            "",
            "合計（全域）",
            len(edition.places),
            sum(p.is_active for p in edition.places),
            sum(p.status == STATUS_PAUSED for p in edition.places),
            total_withheld,
        ]
    )
    edition.report.stats["insight_counts_by_district"] = {
        r[1]: {"published": r[2], "active": r[3], "paused": r[4], "withheld": r[5]} for r in rows
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        _csv_bytes(
            [
                f"{district.label}ID",
                district.label,
                "掲載数",
                "活動中",
                "休止中",
                "非掲載（同意なし・終了など）",
            ],
            rows,
        )
    )
