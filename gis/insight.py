"""District insight for councils (協議体): counts per area of every tier, places per 1,000 residents
aged 65+, walking-distance coverage and blank areas (空白地域), and needs against resources (マッチング).

Only computes: `analyse(edition)` returns every figure as an `Insight`, once per edition; the statistics
stage (gis.stats) writes the files, charts, map layers and the stats page from it, and the district
pages take their figures from it (`district_figures`). Reads only the published places (`PublicPlace`)
and the tiers' boundaries; withheld records are counted only by gis.stats.write_coordinator_counts,
from the coordinators' report, into a file outside the site.

Distances and areas are measured in the project's metric CRS (gis.crs); walking reach and coverage are
gis.reach.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS

from gis.crs import project_crs
from gis.errors import InputError
from gis.geojson import geometry_texts
from gis.place import ORGANISER_TYPES, STATUS_ACTIVE, STATUS_PAUSED, normalise_header, normalise_text
from gis.reach import (
    NO_POINTS,
    WGS84,
    Blank,
    Coverage,
    active_points,
    coverage,
    district_names,
    read_lines,
    walking_reach,
)
from gis.report import Issue

if TYPE_CHECKING:
    from gis.config import Project, Tier
    from gis.edition import Edition

BLANK_SIMPLIFY_M = 2.0  # the blank-area layer is simplified by this much (metres) to keep it small
LAYER_DECIMALS = 5  # ~1 m: plenty for an area outline, and keeps the layers small
NO_ORGANISER = "未記入"


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
class NeedMatch:
    row: int
    area_id: str
    area_name: str
    district_id: str  # "" when the need is for the whole municipality or its area is unknown
    district_name: str
    kind: str
    text: str
    places: list[tuple[int, str, str]]  # (number, name, category label) of active places answering it
    whole: bool = False  # the need is for the whole municipality (an area of the first tier)


@dataclass
class Insight:
    """Every figure of one edition: what the statistics stage writes and the district pages show."""

    project: Project
    crs: CRS
    distances: tuple[int, ...]
    method: str  # "straight" or "roads"
    counts: list[AreaCounts]
    per_capita: list[PerCapita]
    per_capita_tier: str
    breaks: list[float]
    coverage: list[Coverage]
    blank: list[Blank]
    needs: list[NeedMatch]
    notes: list[str] = field(default_factory=list)


def analyse(edition: Edition) -> Insight:
    """Every figure of the edition. Call it once (the statistics stage does) and pass the result on:
    coverage is the costly part. Warnings about the population and needs tables go into edition.report."""
    project = edition.project
    crs = project_crs(edition)
    distances = tuple(sorted({int(d) for d in project.build.walk_distances_m})) or (500, 1000)
    notes: list[str] = []
    lines = _road_lines(edition, crs, notes)
    reach = walking_reach(active_points(edition, crs), lines, distances)
    pop_path = getattr(project, "population_points", None)
    people = _read_population_points(edition, Path(pop_path), crs) if pop_path else (NO_POINTS, np.array([]))
    cov, blank = coverage(edition, crs, distances, reach, people)
    pc, pc_tier = per_capita(edition)
    breaks = class_breaks([p.per_1000 for p in pc if p.per_1000 is not None and p.tier_id == pc_tier])
    for p in pc:
        p.klass = _class_of(p.per_1000, breaks)
    return Insight(
        project=project,
        crs=crs,
        distances=distances,
        method="straight" if lines is None else "roads",
        counts=counts(edition),
        per_capita=pc,
        per_capita_tier=pc_tier,
        breaks=breaks,
        coverage=cov,
        blank=blank,
        needs=match_needs(edition),
        notes=notes,
    )


def _road_lines(edition: Edition, crs: CRS, notes: list[str]) -> np.ndarray | None:
    """The project's road lines (metric CRS) when it names a road file and networkx is installed; None
    (straight-line distance) otherwise, with a note saying why when roads were asked for."""
    roads = getattr(edition.project, "roads", None)
    if not roads:
        return None
    try:
        import networkx  # noqa: F401
    except ImportError:
        notes.append(
            "道路に沿った距離には networkx が必要です。直線距離で計算しました / "
            "road distance needs networkx; used straight-line distance"
        )
        return None
    return read_lines(Path(roads), _label(edition.project, Path(roads)), crs)


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
        parents = district_names(edition, tier)
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
    names = dict(
        zip(
            edition.boundaries[district.id]["area_id"].astype(str),
            edition.boundaries[district.id]["area_name"],
        )
    )
    top_ids = set(edition.boundaries[project.top_tier.id]["area_id"].astype(str))
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
            area_id = r.get("area_id", "")
            need = NeedMatch(row, area_id, r.get("area_name", ""), "", "", kind, r.get("text", ""), [])
            need.whole = bool(area_id) and area_id in top_ids
            out.append(need)
            continue
        tier, aid, aname = found
        did, within = _districts_within(edition, tier, aid)
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
        need = NeedMatch(row, aid, aname, did, names.get(did, ""), kind, r.get("text", ""), sorted(places))
        need.whole = bool(aid) and aid in top_ids
        out.append(need)
    return out


def _districts_within(edition: Edition, tier: Tier, area_id: str) -> tuple[str, set[str]]:
    """(the district of an area of `tier`, or "" for a coarser area; the ids of the districts a need
    there is matched in)."""
    project = edition.project
    district = project.district_tier
    if tier.level == district.level:
        return area_id, {area_id}
    if tier.level > district.level:
        gdf = edition.boundaries[tier.id]
        did = str(gdf.loc[gdf["area_id"].astype(str) == area_id, f"parent_{district.id}"].iloc[0])
        return did, {did}
    # a coarser tier (the municipality): every district inside it
    dgdf = edition.boundaries[district.id]
    col = f"parent_{tier.id}"
    if tier.id == project.top_tier.id or col not in dgdf.columns:
        return "", set(dgdf["area_id"].astype(str))
    return "", set(dgdf.loc[dgdf[col].astype(str) == area_id, "area_id"].astype(str))


# ---------------------------------------------------------------- one area's figures (district pages)


def percent(share: float | None) -> str:
    """A share (0..1) as the pages and layers print it: 19.6 ("" when unknown)."""
    return "" if share is None else f"{share * 100:.1f}"


def distance_label(d: int) -> str:
    return f"{d / 1000:g} km" if d >= 1000 else f"{d} m"


def district_figures(insight: Insight, area_id: str) -> dict:
    """The figures for one area (a district page or a guidebook page): counts by category and organiser,
    walking-distance coverage, per-capita rate and the needs with and without an answering activity.
    Plain JSON-ready values; withheld places are not counted. KeyError for an unknown area."""
    project = insight.project
    district = project.district_tier.id
    tier_ids = [district] + [t.id for t in project.tiers if t.id != district]
    c = next(
        (x for tid in tier_ids for x in insight.counts if x.tier_id == tid and x.area_id == area_id), None
    )
    if c is None:
        raise KeyError(area_id)
    cats = {cat.id: cat for cat in project.categories}
    cov = next((x for x in insight.coverage if x.tier_id == c.tier_id and x.area_id == area_id), None)
    pc = next((x for x in insight.per_capita if x.tier_id == c.tier_id and x.area_id == area_id), None)
    if c.tier_id == district:
        needs = [n for n in insight.needs if n.district_id == area_id or (not n.district_id and n.whole)]
    else:
        needs = [n for n in insight.needs if n.area_id == area_id]
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
        "coverage": _coverage_figures(insight, cov),
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
        "method": "道路に沿った距離" if insight.method == "roads" else "直線距離",
    }


def _coverage_figures(insight: Insight, cov: Coverage | None) -> list[dict]:
    if cov is None:
        return []
    return [
        {
            "distance_m": d,
            "label": distance_label(d),
            "share": round(cov.shares[d], 4),
            "percent": percent(cov.shares[d]),
            "population_share": None if cov.population_shares is None else round(cov.population_shares[d], 4),
        }
        for d in insight.distances
    ]


# ---------------------------------------------------------------- the map layers' features


def _to_wgs84(geoms: list[Any], crs: CRS) -> list[Any]:
    import geopandas as gpd

    if not geoms:
        return []
    return list(gpd.GeoSeries(geoms, crs=crs).to_crs(WGS84).values)


def blank_layer(edition: Edition, insight: Insight) -> dict:
    """Blank areas as a GeoJSON FeatureCollection (EPSG:4326), one feature per finest-tier area."""
    return {
        "type": "FeatureCollection",
        "name": "blank_areas",
        "features": [f | {"geometry": json.loads(g)} for f, g in blank_parts(edition, insight)],
    }


def blank_parts(edition: Edition, insight: Insight) -> list[tuple[dict, str]]:
    """blank_layer's features without their geometry, and each geometry as GeoJSON text (written as they
    are, without parsing them again)."""
    ins = insight
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
                        "label": f"{name}：{far}以内に場所がない所 {percent(c.uncovered_share)}%（{c.uncovered_km2:.2f} km²）",
                    },
                },
                shapes[i],
            )
        )
    return parts


def per_capita_layer(edition: Edition, insight: Insight) -> dict:
    """The choropleth: areas of the population table's tier with per_1000, class, fill and a label."""
    ins = insight
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
