"""The data files of one language's site (the data files stage of gis.publish):

data/index.json                    compact columnar index for the map (numbers, points, filter bits)
data/overview.json                 the first view's clusters, made at build time (painted before index.json)
data/search.json                   normalised search text, same order (fetched only when searching)
data/filters.json, week.json       residents' filters and the week's meetings (gis.residents)
data/towns.json                    town names and points for 近くの場所
data/districts/<area>.json         per-district details, fetched when a popup is opened
data/places.geojson, places.csv    open data (published places only)
data/boundaries/<tier>.geojson     each tier's areas, simplified a little
data/overlays/<id>.geojson         the project's overlays
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gis.config import Tier
from gis.geojson import geometry_json
from gis.place import STATUS_PAUSED, PublicPlace
from gis.residents import filters_payload, towns_payload, week_payload
from gis.table import published_columns
from gis.textsafe import csv_cell
from gis.view import (
    BOUNDARY_DECIMALS,
    FLAG_ACTIVE,
    FLAG_AREA,
    FLAG_FREE,
    FLAG_ONLINE,
    FLAG_PAUSED,
    FLAG_PHOTO,
    FLAG_STALE,
    PlaceView,
    SiteModel,
    compact_json,
    simplified,
    slug,
)

OVERVIEW_CELL_PX = 80  # grid cell of the build-time clusters: a little wider than supercluster's radius
OVERVIEW_MAX_CELLS = 1500  # per zoom level; finer levels are left to the browser's supercluster
OVERVIEW_ZOOMS = range(4, 15)  # the map's minZoom to the last clustered zoom (takara.js CLUSTER_MAX = 14)
PERIOD_BITS = {"morning": 1, "afternoon": 2, "evening": 4}


@dataclass
class DataFiles:
    """What the data files stage wrote: names relative to data/ (for the pages' download links)."""

    names: set[str] = field(default_factory=set)
    sizes: dict[str, int] = field(default_factory=dict)  # key files' bytes, for the CLI and the benchmark


def _dump_to(path: Path, data: Any) -> int:
    """JSON straight into the file (as compact_json would write it, without one big string in memory)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
    return path.stat().st_size


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def boundary_collection(model: SiteModel, tier: Tier) -> dict:
    """One tier's areas as GeoJSON: id, name, page url, place count and a label point per area."""
    gdf = model.edition.boundaries[tier.id]
    features = []
    geoms = dict(zip(gdf["area_id"].astype(str), gdf.geometry))
    for area in model.areas[tier.id].values():
        lon, lat = area.label_point
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": area.id,
                    "name": area.name,
                    "url": area.url,
                    "count": len(area.places),
                    "label": [round(lon, BOUNDARY_DECIMALS), round(lat, BOUNDARY_DECIMALS)],
                },
                "geometry": geometry_json(simplified(geoms[area.id]), BOUNDARY_DECIMALS),
            }
        )
    return {"type": "FeatureCollection", "name": tier.id, "features": features}


def index_payload(model: SiteModel) -> dict:
    """data/index.json: what the map needs to draw every marker and filter it, as parallel arrays."""
    places = model.places
    weekdays, periods = [], []
    for p in places:
        s = model.schedule_json(p) or {}
        weekdays.append(sum(1 << d for d in s.get("ow", ())))
        periods.append(sum(PERIOD_BITS.get(x, 0) for x in s.get("pd", ())))
    dindex = {a.slug: i for i, a in enumerate(model.districts)}
    return {
        "version": 1,
        "count": len(places),
        "flags": {
            "free": FLAG_FREE,
            "active": FLAG_ACTIVE,
            "paused": FLAG_PAUSED,
            "stale": FLAG_STALE,
            "area": FLAG_AREA,
            "photo": FLAG_PHOTO,
            "online": FLAG_ONLINE,
        },
        "periods": PERIOD_BITS,
        "categories": [
            {"id": c.id, "label": c.label, "icon": c.icon, "color": c.color, "fg": c.fg}
            for c in model.cat_ctx
        ],
        "districts": [
            {"id": a.id, "name": a.name, "key": a.slug, "url": a.url, "count": len(a.places)}
            for a in model.districts
        ],
        "n": [p.number for p in places],
        "lat": [p.lat for p in places],
        "lon": [p.lon for p in places],
        "c": [model.cat_index.get(p.category, -1) for p in places],
        "d": [dindex.get(model.district_of(p), -1) for p in places],
        "w": weekdays,
        "p": periods,
        "f": [model.flags(p) for p in places],
        "name": [p.name for p in places],
    }


def overview_payload(model: SiteModel) -> dict:
    """data/overview.json: places counted on a grid of OVERVIEW_CELL_PX pixels at each zoom from 4 up,
    as [lat, lon, count] (the cell's mean point). The browser paints the level of its first view at
    once, while index.json and the full clustering are still on their way. Levels stop where a grid
    would have more than OVERVIEW_MAX_CELLS cells, so the file stays small whatever the size."""
    levels: dict[str, list[list[float]]] = {}
    if model.places:
        lat = np.array([p.lat for p in model.places], dtype=np.float64)
        lon = np.array([p.lon for p in model.places], dtype=np.float64)
        x = (lon + 180.0) / 360.0  # Web Mercator, 0..1 (as Leaflet projects)
        sin = np.sin(np.radians(np.clip(lat, -85.0, 85.0)))
        y = 0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)
        for z in OVERVIEW_ZOOMS:
            cells = 256 * 2**z / OVERVIEW_CELL_PX
            key = np.floor(x * cells).astype(np.int64) * (1 << 31) + np.floor(y * cells).astype(np.int64)
            uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
            if len(uniq) > OVERVIEW_MAX_CELLS:
                break
            mlat = np.bincount(inverse, weights=lat) / counts
            mlon = np.bincount(inverse, weights=lon) / counts
            levels[str(z)] = [
                [round(float(a), 5), round(float(b), 5), int(c)] for a, b, c in zip(mlat, mlon, counts)
            ]
            if len(uniq) == len(lat):  # every place alone: finer levels would say the same
                break
    return {"version": 1, "count": len(model.places), "cell_px": OVERVIEW_CELL_PX, "levels": levels}


def search_payload(model: SiteModel) -> dict:
    """data/search.json: activities, venue and organiser as written (the JS adds the name, which index.json
    has, and folds both with takara.js `normaliseSearch`, the one implementation of search folding)."""
    return {"version": 1, "q": [f"{p.activities} {p.venue} {p.organiser}" for p in model.places]}


DETAIL_FIELDS = (
    "schedule",
    "where",
    "contact",
    "target",
    "fee",
    "activities",
    "venue",
    "address",
    "phone",
    "phone_href",
    "organiser",
    "participants",
    "story",
    "confirmed",
)


def district_payloads(model: SiteModel) -> Iterator[tuple[str, dict]]:
    """data/districts/<key>.json: the details a popup shows, for one district's places (one district at a
    time, in key order, so only one is in memory)."""
    groups: dict[str, list[tuple[PublicPlace, PlaceView]]] = {}
    for p, ctx in zip(model.places, model.contexts):
        groups.setdefault(ctx.dkey, []).append((p, ctx))
    for key in sorted(groups):
        places: dict[str, dict] = {}
        for p, ctx in groups[key]:
            entry: dict[str, Any] = {k: getattr(ctx, k) for k in DETAIL_FIELDS if getattr(ctx, k)}
            entry["name"] = p.name
            entry["status"] = p.status
            if ctx.photo:
                entry["photo"] = ctx.photo
            places[str(p.number)] = entry
        yield key, {"version": 1, "places": places}


def geojson_features(model: SiteModel) -> Iterator[dict]:
    """The features of data/places.geojson (RFC 7946): every published field, each tier's area id and name."""
    for p in model.places:
        props: dict[str, Any] = {
            "id": p.id,
            "number": p.number,
            "name": p.name,
            "category": p.category,
            "category_label": model.category_of(p).label,
            "organiser": p.organiser,
            "venue": p.venue,
            "venue_kind": p.venue_kind,
            "address": p.address,
            "location_precision": p.location_precision,
            "schedule_text": p.schedule_text,
            "schedule": model.schedule_json(p),
            "target": p.target,
            "fee": p.fee,
            "activities": p.activities,
            "participants": p.participants,
            "phone": p.phone,
            "photo": model.photos[p.number]["large"] if p.number in model.photos else "",
            "story": p.story,
            "status": p.status,
            "confirmed": p.confirmed.isoformat() if p.confirmed else "",
            "stale": p.stale,
            "url": f"places/{p.number}/",
        }
        for t in model.tiers:
            area_id, area_name = p.areas.get(t.id, ("", ""))
            props[f"{t.id}_id"], props[f"{t.id}_name"] = area_id, area_name
        yield {
            "type": "Feature",
            "id": p.number,
            "properties": props,
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
        }


def write_geojson(model: SiteModel, path: Path) -> None:
    """Written feature by feature (100,000 features need not sit in memory as one string)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type":"FeatureCollection","features":[')
        fh.writelines(
            ("," if k else "") + compact_json(feature) for k, feature in enumerate(geojson_features(model))
        )
        fh.write("]}\n")


def csv_text(model: SiteModel) -> str:
    """data/places.csv: the 一覧表 for Excel (UTF-8 with BOM); the same columns as places.xlsx."""
    columns = published_columns(model.project, model.t)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name, _ in columns])
    for p in model.places:
        writer.writerow([csv_cell(get(p)) for _, get in columns])
    return "\ufeff" + buf.getvalue()


def overlay_payload(model: SiteModel, overlay: Any) -> dict:
    """data/overlays/<id>.geojson: the overlay in EPSG:4326 with only its popup fields, sorted."""
    import geopandas as gpd

    from gis.errors import InputError
    from gis.limits import check_file_size

    if overlay.path.is_file():
        check_file_size(overlay.path, overlay.path.name)
    try:
        gdf = gpd.read_file(overlay.path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all mean "unreadable"
        raise InputError(
            overlay.path.name, f"重ねる情報（overlay）を読めません / cannot read overlay: {exc}"
        ) from None
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    decimals = min(model.project.build.precision, 6)
    keys = [k for k in overlay.popup_fields if k in gdf.columns]  # column lists: names may not be identifiers
    columns = {k: gdf[k].tolist() for k in keys}
    features = []
    for i, geom in enumerate(gdf.geometry.tolist()):
        if geom is None or geom.is_empty:
            continue
        props = {}
        for key in overlay.popup_fields:
            value = columns[key][i] if key in columns else None
            props[key] = (
                "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            )
        features.append({"type": "Feature", "properties": props, "geometry": geometry_json(geom, decimals)})
    features.sort(key=lambda f: compact_json(f))
    return {"type": "FeatureCollection", "name": overlay.id, "features": features}


def write_data(model: SiteModel, out: Path, shared: bool = True) -> DataFiles:
    """Every data file of one language's site under out/data/; returns their names and key sizes. The
    files every language links from the default one (the downloads, week.json) are written only when
    `shared` (the default language's build)."""
    data = out / "data"
    for sub in ("districts", "boundaries", "overlays"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    sizes = {
        "index.json": _dump_to(data / "index.json", index_payload(model)),
        "overview.json": _dump_to(data / "overview.json", overview_payload(model)),
        "search.json": _dump_to(data / "search.json", search_payload(model)),
        "filters.json": _dump_to(data / "filters.json", filters_payload(model.places)),
        "towns.json": _dump_to(data / "towns.json", towns_payload(model.project.build.gazetteer)),
    }
    for key, payload in district_payloads(model):
        _dump_to(data / "districts" / f"{key}.json", payload)
    for tier in model.tiers:
        _write(
            data / "boundaries" / f"{tier.id}.geojson", compact_json(boundary_collection(model, tier)) + "\n"
        )
    for overlay in model.project.overlays:
        payload = overlay_payload(model, overlay)
        _write(data / "overlays" / f"{slug(overlay.id)}.geojson", compact_json(payload) + "\n")
    if shared:
        week = week_payload(model.places, model.edition.date, STATUS_PAUSED)
        sizes["week.json"] = _dump_to(data / "week.json", week)
        write_geojson(model, data / "places.geojson")
        sizes["places.geojson"] = (data / "places.geojson").stat().st_size
        sizes["places.csv"] = _write(data / "places.csv", csv_text(model))
    return DataFiles(names=set(sizes), sizes=sizes)
