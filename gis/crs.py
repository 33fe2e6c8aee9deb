"""The metric CRS in which insight measures distances and areas: the Japan Plane Rectangular CS zone
(平面直角座標系) of the project's prefecture, UTM outside Japan."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from pyproj import CRS

from gis.geocode import PREFECTURES
from gis.place import normalise_text

if TYPE_CHECKING:
    from gis.edition import Edition

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
