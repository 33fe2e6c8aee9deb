"""Tier boundaries (第1層 municipality, 第2層 districts, 第3層 neighbourhoods … any number) and the
spatial join that puts each place in exactly one area of every tier."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from gis.config import Tier
from gis.errors import InputError
from gis.limits import check_file_size

WGS84 = "EPSG:4326"
JGD2011 = "EPSG:6668"


def _read_any(path: Path) -> gpd.GeoDataFrame:
    """GeoJSON, GeoPackage, Shapefile, or a zipped Shapefile (pyogrio reads zip:// paths)."""
    target = f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gpd.read_file(target)


def _read_areas(tier: Tier, label: str, warn: list[str]) -> gpd.GeoDataFrame:
    """The boundary file's non-empty features, each with an id (and a name: its id when blank)."""
    if not tier.path.exists():
        raise InputError(label, "境界ファイルが見つかりません / boundary file not found")
    if tier.path.is_file():
        check_file_size(tier.path, label)
    try:
        gdf = _read_any(tier.path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all mean "unreadable"
        raise InputError(label, f"境界ファイルを読めません / cannot read boundary file: {exc}") from None
    if gdf.empty:
        raise InputError(label, "境界ファイルに区域がありません / the boundary file has no areas")
    for key, column in (("id_field", tier.id_field), ("name_field", tier.name_field)):
        if column not in gdf.columns:
            available = ", ".join(c for c in gdf.columns if c != "geometry")
            raise InputError(
                label,
                f"{key} の列「{column}」がありません。ある列: {available} / column not found",
                field=column,
            )
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    blank_id = gdf[tier.id_field].isna() | (gdf[tier.id_field].astype(str).str.strip() == "")
    if blank_id.any():  # an area without an id cannot get a page, a link or a place
        first = int(blank_id.to_numpy().nonzero()[0][0]) + 1
        raise InputError(
            label,
            f"{first}番目の区域の「{tier.id_field}」が空欄です。すべての区域に ID を入れてください / "
            f"area {first} has no id ({tier.id_field} is empty)",
            field=tier.id_field,
        )
    blank_name = gdf[tier.name_field].isna()
    if blank_name.any():
        warn.append(
            f"{label}: 名前が空欄の区域は ID を名前にしました / areas without a name are named by their id"
        )
        gdf = gdf.copy()
        gdf.loc[blank_name, tier.name_field] = gdf.loc[blank_name, tier.id_field]
    return gdf


def load_boundaries(tier: Tier, warn: list[str] | None = None) -> gpd.GeoDataFrame:
    """One tier's areas in EPSG:4326 with columns area_id, area_name, geometry, sorted by area_id.

    Any CRS is reprojected; a file without CRS whose coordinates look like longitude/latitude is taken
    as JGD2011 (and said so); invalid polygons are repaired with shapely.make_valid (and said so)."""
    label = tier.path.name
    warn = warn if warn is not None else []
    gdf = _read_areas(tier, label, warn)
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
            warn.append(
                f"{label}: 座標系の指定がないため経緯度（JGD2011）とみなしました / no CRS: assumed JGD2011 lon/lat"
            )
            gdf = gdf.set_crs(JGD2011)
        else:
            raise InputError(
                label,
                "座標系（CRS）がわかりません。.prj を付けるか GeoJSON で保存してください / "
                "no CRS and the coordinates are not longitude/latitude",
            )
    _check_lon_lat(gdf, label)
    if CRS.from_user_input(gdf.crs) != CRS.from_user_input(WGS84):
        gdf = gdf.to_crs(WGS84)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        names = ", ".join(str(v) for v in gdf.loc[invalid, tier.name_field].head(5))
        warn.append(f"{label}: 形が正しくない区域を修正しました / repaired invalid polygons: {names}")
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.loc[invalid, "geometry"].values)
    gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])]
    gdf.loc[gdf.geom_type == "GeometryCollection", "geometry"] = gdf.loc[
        gdf.geom_type == "GeometryCollection", "geometry"
    ].apply(_polygons_only)
    if gdf.empty:
        raise InputError(label, "面（ポリゴン）の区域がありません / no polygon areas")
    out = gpd.GeoDataFrame(
        {
            "area_id": gdf[tier.id_field].astype(str).str.strip().values,
            "area_name": gdf[tier.name_field].astype(str).str.strip().values,
        },
        geometry=gdf.geometry.values,
        crs=WGS84,
    )
    # Several features with one id (e.g. a district in parts) become one area.
    if out["area_id"].duplicated().any():
        out = out.dissolve(by="area_id", aggfunc="first", as_index=False)[
            ["area_id", "area_name", "geometry"]
        ]
    return out.sort_values("area_id", kind="stable").reset_index(drop=True)


def _check_lon_lat(gdf: gpd.GeoDataFrame, label: str) -> None:
    """A file read as longitude/latitude (GeoJSON always is, CRS or not) must hold coordinates that can
    be: metres written without a CRS would otherwise put every place in no area."""
    if not CRS.from_user_input(gdf.crs).is_geographic:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            label,
            f"座標が経度・緯度ではありません（{minx:.0f}〜{maxx:.0f}, {miny:.0f}〜{maxy:.0f}）。メートル単位の"
            "座標系なら、座標系（CRS）を付けて保存し直してください（QGIS の「エクスポート」で EPSG を指定） / "
            "the coordinates cannot be longitude/latitude and the file names no other CRS: save it with its CRS",
        )


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def link_parents(boundaries: dict[str, gpd.GeoDataFrame], tiers: list[Tier]) -> None:
    """Give each area of a finer tier the id of the coarser area that holds its representative point."""
    for i, tier in enumerate(tiers):
        fine = boundaries[tier.id]
        points = gpd.GeoDataFrame(
            {"area_id": fine["area_id"]}, geometry=fine.geometry.representative_point(), crs=WGS84
        )
        for coarse_tier in tiers[:i]:
            hits = _join_first(points, boundaries[coarse_tier.id])
            fine[f"parent_{coarse_tier.id}"] = hits["hit_id"].fillna("").values


def _join_first(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each point, the first area (by area_id) that covers it: a point on a shared boundary lands
    in exactly one area, the same one every time."""
    right = areas[["area_id", "area_name", "geometry"]].rename(
        columns={"area_id": "hit_id", "area_name": "hit_name"}
    )
    joined = gpd.sjoin(points, right, how="left", predicate="intersects")
    joined = joined.sort_values("hit_id", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    return joined


def assign_areas(
    lons: list[float], lats: list[float], areas: gpd.GeoDataFrame
) -> list[tuple[str, str] | None]:
    """(area id, area name) for each point, or None when the point lies in no area."""
    if not lons:
        return []
    points = gpd.GeoDataFrame({"i": range(len(lons))}, geometry=gpd.points_from_xy(lons, lats), crs=WGS84)
    hits = _join_first(points, areas)
    ids, names = hits["hit_id"].tolist(), hits["hit_name"].tolist()
    return [None if pd.isna(a) else (str(a), str(n)) for a, n in zip(ids, names)]


def representative_points(areas: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """area id -> (lat, lon) of a point surely inside it: where a home venue is shown instead of the home."""
    pts = areas.geometry.representative_point()
    return {aid: (p.y, p.x) for aid, p in zip(areas["area_id"], pts)}
