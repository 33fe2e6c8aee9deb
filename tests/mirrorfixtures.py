"""Mirror trees in the official layouts, made by the tests (gis/mirror.py documents the layout).

`tiny_mirror` is a whole prefecture's mirror for ミニ市 (code 30201, 和歌山県), a 2 × 2 km square of two
junior-high districts and four towns, needing nothing from ../shared: N03 (GeoJSON in its zip, like
the real 2024 release), A32 and A27 (Shift_JIS shapefiles without .cpg, with the school-point layer the
reader must skip), an e-Stat 小地域 Shapefile with a duplicated KEY_CODE (KIGO_E), a town in two pieces
under two codes, and water units (HCODE 8154), and the Geolonia gazetteer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, box

from gis.mirror import (
    A27_PATH,
    A32_PATH,
    ESTAT_PATH,
    GAZETTEER_CITY_PATH,
    GAZETTEER_INDEX_PATH,
    N03_PATH,
)

PREF, PREF_NAME, CODE, CITY = "30", "和歌山県", "30201", "ミニ市"
DECOY_CODE, DECOY_CITY = "30202", "よそ市"
X0, Y0, X1, Y1 = 135.00, 34.00, 135.02, 34.02
XM, YM = 135.01, 34.01
TOWNS = {  # name -> (KEY_CODE, box)
    "西南町": (f"{CODE}000100", box(X0, Y0, XM, YM)),
    "西北町": (f"{CODE}000200", box(X0, YM, XM, Y1)),
    "東南町": (f"{CODE}000300", box(XM, Y0, X1, YM)),
    "東北町一丁目": (f"{CODE}000400", box(XM, YM, X1, Y1)),
}
DECOY = box(135.1, 34.1, 135.12, 34.12)


def write_zip(path: Path, members: dict[str, Path | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            if isinstance(content, Path):
                zf.write(content, name)
            else:
                zf.writestr(name, content)
    return path


def shapefile_members(gdf: gpd.GeoDataFrame, stem: str, folder: str, work: Path) -> dict[str, Path | bytes]:
    """A Shift_JIS shapefile without .cpg (as 国土数値情報 and e-Stat ship them) as zip members."""
    work.mkdir(parents=True, exist_ok=True)
    gdf.to_file(work / f"{stem}.shp", encoding="cp932")
    return {
        f"{folder}{f.name}": f
        for f in sorted(work.iterdir())
        if f.name.startswith(stem + ".") and f.suffix.lower() != ".cpg"
    }


def ksj_zip(path: Path, prefix: str, gdf: gpd.GeoDataFrame, work: Path) -> Path:
    """Like the real A32/A27 zips: the polygon shapefile and a point layer of the schools (A32P-…)."""
    points = gdf.copy()
    points["geometry"] = points.geometry.representative_point()
    members = shapefile_members(gdf, f"{prefix}-21_{PREF}", f"{prefix}-21_{PREF}_GML/", work)
    members |= shapefile_members(points, f"{prefix}P-21_{PREF}", f"{prefix}-21_{PREF}_GML/", work)
    return write_zip(path, members)


def estat_frame(code: str, towns: list[tuple[str, str, shapely.Geometry]]) -> gpd.GeoDataFrame:
    """e-Stat 小地域 rows for (KEY_CODE, S_NAME, geometry) towns, plus what real files hold and a
    clean-up must undo: the first town split in two features under one KEY_CODE (KIGO_E E1/E2), the
    second in two pieces under two codes, and two water units (HCODE 8154)."""
    rows = []

    def add(key: str, name: str, geom: shapely.Geometry, hcode: int = 8101, kigo_e: str = "") -> None:
        rows.append(
            {
                "KEY_CODE": key,
                "PREF": code[:2],
                "CITY": code[2:],
                "S_AREA": key[5:],
                "PREF_NAME": PREF_NAME,
                "CITY_NAME": CITY,
                "S_NAME": name,
                "KIGO_E": kigo_e,
                "HCODE": hcode,
                "AREA": 0.0,
                "JINKO": 100,
                "SETAI": 40,
                "geometry": geom,
            }
        )

    for i, (key, name, geom) in enumerate(towns):
        if i in (0, 1):
            minx, miny, maxx, maxy = geom.bounds
            mid = (minx + maxx) / 2
            west, east = (
                geom.intersection(box(minx, miny, mid, maxy)),
                geom.intersection(box(mid, miny, maxx, maxy)),
            )
            if i == 0:
                add(key, name, west, kigo_e="E1")
                add(key, name, east, kigo_e="E2")
            else:
                add(key, name, west)
                add(key[:-2] + "99", name, east)  # a second code for a piece of the same town
            continue
        add(key, name, geom)
    first = towns[0][2]
    add(f"{code}999900", "水面調査区", first.centroid.buffer(1e-4), hcode=8154)
    add(f"{code}999901", "（水面）", towns[-1][2].centroid.buffer(1e-4), hcode=8154)
    return gpd.GeoDataFrame(rows, crs="EPSG:6668")


def estat_zip(path: Path, pref: str, frame: gpd.GeoDataFrame, work: Path) -> Path:
    """e-Stat's prefecture zip: r2ka<PP>.shp and its sidecar files at the top."""
    return write_zip(path, shapefile_members(frame, f"r2ka{pref}", "", work / f"estat-{pref}"))


def voronoi_cells(points: dict[tuple[float, float], str], outline: shapely.Geometry) -> gpd.GeoDataFrame:
    """Cells around named points, clipped to outline, dissolved by name: approximate town areas."""
    cells = shapely.voronoi_polygons(MultiPoint(list(points)), extend_to=outline.envelope.buffer(0.1))
    rows = []
    for cell in cells.geoms:
        name = next(n for (x, y), n in points.items() if cell.intersects(shapely.Point(x, y)))
        clipped = cell.intersection(outline)
        if not clipped.is_empty:
            rows.append((name, clipped))
    gdf = gpd.GeoDataFrame({"name": [n for n, _ in rows]}, geometry=[g for _, g in rows], crs="EPSG:4326")
    return gdf.dissolve(by="name", as_index=False)


def tiny_mirror(root: Path, work: Path, *, city_name: str = CITY, gazetteer: bytes | None = None) -> Path:
    """ミニ市's prefecture in the mirror layout under root (see the module docstring)."""
    outline = box(X0, Y0, X1, Y1)
    n03 = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "N03_001": PREF_NAME,
                    "N03_002": None,
                    "N03_003": None,
                    "N03_004": name,
                    "N03_005": None,
                    "N03_007": code,
                },
                "geometry": shapely.geometry.mapping(geom),
            }
            for name, code, geom in ((city_name, CODE, outline), (DECOY_CITY, DECOY_CODE, DECOY))
        ],
    }
    write_zip(
        root / N03_PATH.format(pref=PREF).lstrip("/"),
        {f"N03-20240101_{PREF}.geojson": json.dumps(n03, ensure_ascii=False).encode("utf-8")},
    )
    for prefix, path, schools in (
        ("A32", A32_PATH, {"西中学校": box(X0, Y0, XM, Y1), "東中学校": box(XM, Y0, X1, Y1)}),
        ("A27", A27_PATH, {"ミニ小学校": outline}),
    ):
        rows = [
            {
                f"{prefix}_001": CODE,
                f"{prefix}_002": "ミニ市立",
                f"{prefix}_003": f"S{i}",
                f"{prefix}_004": n,
                "geometry": g,
            }
            for i, (n, g) in enumerate(schools.items())
        ]
        rows.append(
            {
                f"{prefix}_001": DECOY_CODE,
                f"{prefix}_002": "",
                f"{prefix}_003": "D",
                f"{prefix}_004": "よその学校",
                "geometry": DECOY,
            }
        )
        ksj_zip(
            root / path.format(pref=PREF).lstrip("/"),
            prefix,
            gpd.GeoDataFrame(rows, crs="EPSG:6668"),
            work / prefix,
        )
    frame = estat_frame(CODE, [(key, name, geom) for name, (key, geom) in TOWNS.items()])
    decoy = estat_frame(DECOY_CODE, [(f"{DECOY_CODE}000100", "よそ町", DECOY)])  # the prefecture's other city
    frame = gpd.GeoDataFrame(pd.concat([frame, decoy], ignore_index=True), crs=frame.crs)
    estat_zip(root / ESTAT_PATH.format(pref=PREF).lstrip("/"), PREF, frame, work)
    index = root / GAZETTEER_INDEX_PATH.lstrip("/")
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps({PREF_NAME: [city_name, DECOY_CITY]}, ensure_ascii=False), encoding="utf-8")
    for name in (city_name, DECOY_CITY):
        towns = [
            {"town": t, "koaza": "", "lat": g.centroid.y, "lng": g.centroid.x} for t, (_, g) in TOWNS.items()
        ]
        city_file = root / GAZETTEER_CITY_PATH.format(pref=PREF_NAME, city=name).lstrip("/")
        if ".." in name or "/" in name or "\n" in name:
            continue  # a hostile name: the file it would need cannot be made inside the mirror anyway
        city_file.parent.mkdir(parents=True, exist_ok=True)
        city_file.write_bytes(
            gazetteer
            if gazetteer is not None and name == city_name
            else json.dumps(towns, ensure_ascii=False).encode("utf-8")
        )
    return root
