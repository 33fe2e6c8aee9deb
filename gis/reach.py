"""Walking reach and coverage (insight): the area within each walking distance of an active place, the
share of every area of the finest and district tiers within it, and the blank areas (空白地域) beyond it.

Straight-line (crow-flies) distances in the project's metric CRS (gis.crs); when the project names a
road-line file, reach is measured along the roads instead (reach_along_roads, needs networkx).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS

from gis.errors import InputError

if TYPE_CHECKING:
    from gis.config import Tier
    from gis.edition import Edition

WGS84 = "EPSG:4326"
QUAD_SEGS = 16  # vertices per quarter circle; disc_radius widens each disc so its area is the true circle's
ROAD_SIDE_M = 100.0  # road reach: a house this far from a reachable road counts as reached
ROAD_SNAP_M = 1.0  # road vertices closer than this are one junction
MIN_BLANK_M2 = 1.0  # slivers smaller than this are not a blank area
NO_POINTS = np.array([], dtype=object)


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


Blank = tuple[str, str, str, Any]  # (area id, area name, district, geometry in the metric CRS)


def district_names(edition: Edition, tier: Tier) -> dict[str, str]:
    """area id -> the district's name, for tiers finer than the district tier."""
    district = edition.project.district_tier
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


def active_points(edition: Edition, crs: CRS) -> np.ndarray:
    import geopandas as gpd

    active = [p for p in edition.places if p.is_active]
    if not active:
        return NO_POINTS
    pts = gpd.GeoSeries(gpd.points_from_xy([p.lon for p in active], [p.lat for p in active]), crs=WGS84)
    return pts.to_crs(crs).values


def disc_radius(d: float, quad_segs: int = QUAD_SEGS) -> float:
    """The buffer radius whose polygon (4 × quad_segs vertices on the circle) has the area of a true circle
    of radius d: an inscribed polygon would undercount every share (by 0.16 % at 16 segments)."""
    n = 4 * quad_segs
    return d * math.sqrt(2 * math.pi / (n * math.sin(2 * math.pi / n)))


def walking_reach(
    points: np.ndarray, lines: np.ndarray | None, distances: tuple[int, ...]
) -> dict[int, np.ndarray]:
    """distance -> the area within that walking distance of `points` (along `lines`, the roads, when
    given), as disjoint polygons (metric CRS) rather than one union: each area is then cut only by the few
    polygons near it (coverage)."""
    if lines is not None:
        pieces = _road_pieces(points, lines, distances)
        return {
            d: _dissolve(p, shapely.STRtree(p).query(p, predicate="intersects")) for d, p in pieces.items()
        }
    if len(points) == 0:
        return {d: np.array([], dtype=object) for d in distances}
    # places sharing a point (several groups in one hall, home venues at an area's point) buffer once
    points = shapely.points(np.unique(np.round(shapely.get_coordinates(points), 3), axis=0))
    tree = shapely.STRtree(points)
    out = {}
    for d in distances:
        radius = disc_radius(d)
        near = tree.query(points, predicate="dwithin", distance=2 * radius)  # discs that may overlap
        out[d] = _dissolve(shapely.buffer(points, radius, quad_segs=QUAD_SEGS), near)
    return out


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


def read_lines(path: Path, label: str, crs: CRS) -> np.ndarray:
    """The road lines of a line file, in `crs` (a file without a CRS is read as JGD2011)."""
    from gis.tiers import _read_any

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


def coverage(
    edition: Edition,
    crs: CRS,
    distances: tuple[int, ...],
    reach: dict[int, np.ndarray],
    people: tuple[np.ndarray, np.ndarray] = (NO_POINTS, np.array([])),
) -> tuple[list[Coverage], list[Blank]]:
    """Coverage of every area of the finest tier and the district tier; blank areas of the finest tier.
    `reach` holds disjoint polygons (see walking_reach): each area is cut only by the ones it touches, so
    the work grows with areas + places, not with areas × the whole reach. `people`: population points
    (metric CRS) and their weights, when the project gives them."""
    project = edition.project
    finest = project.finest_tier
    tiers = [finest] + ([project.district_tier] if project.district_tier.id != finest.id else [])
    trees = {d: shapely.STRtree(reach[d]) for d in distances}
    pop_pts, pop_w = people
    covered_pts = {}
    if len(pop_pts):
        for d in distances:
            covered_pts[d] = np.zeros(len(pop_pts), dtype=bool)
            if len(reach[d]):
                covered_pts[d][np.unique(trees[d].query(pop_pts, predicate="intersects")[0])] = True
    out: list[Coverage] = []
    blank: list[Blank] = []
    far = max(distances)
    for tier in tiers:
        parents = district_names(edition, tier)
        gdf = edition.boundaries[tier.id]
        areas = np.asarray(gdf.to_crs(crs).geometry.values, dtype=object)
        shapely.prepare(areas)
        total = shapely.area(areas)
        shares, rest = _shares(areas, total, reach, trees, distances, blank_too=tier.id == finest.id)
        members = _members(areas, pop_pts)
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
            g = rest[i] if rest is not None else None
            if g is not None and not g.is_empty and g.area >= MIN_BLANK_M2:
                blank.append((aid, str(name), parents.get(aid, ""), g))
    return out, blank


def _shares(
    areas: np.ndarray,
    total: np.ndarray,
    reach: dict[int, np.ndarray],
    trees: dict[int, shapely.STRtree],
    distances: tuple[int, ...],
    blank_too: bool,
) -> tuple[dict[int, np.ndarray], np.ndarray | None]:
    """distance -> each area's covered share, and (when `blank_too`) each area's part beyond the largest
    distance: the blank area itself, whose area then gives that distance's share."""
    safe_total = np.where(total > 0, total, 1)
    shares: dict[int, np.ndarray] = {}
    rest = None
    far = max(distances)
    for d in distances:
        pieces = reach[d]
        area_idx, piece_idx = trees[d].query(areas, predicate="intersects")
        order = np.argsort(area_idx, kind="stable")
        area_idx, piece_idx = area_idx[order], piece_idx[order]
        if d == far and blank_too:
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
    return shares, rest


def _members(areas: np.ndarray, points: np.ndarray) -> dict[int, np.ndarray]:
    """area index -> the indices of the points inside it."""
    if not len(points):
        return {}
    hit_area, hit_pt = shapely.STRtree(points).query(areas, predicate="contains")
    order = np.argsort(hit_area, kind="stable")
    keys, starts = np.unique(hit_area[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(hit_pt[order], starts[1:])))
