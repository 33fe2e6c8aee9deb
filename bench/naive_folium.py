"""The usual ways of putting many places on a web map, built from the same records for comparison.

- `naive`: what most folium tutorials do — one `folium.Marker` with a popup (and a tooltip) per place
  inside a `plugins.MarkerCluster`, saved to one HTML file.
- `fast`: folium's `plugins.FastMarkerCluster` — the points as one JavaScript array in the page, a
  callback making each marker (with a popup built on click).
- `geojson`: one GeoJSON file of every place and its fields, loaded by a small page into
  Leaflet.markercluster with `chunkedLoading`.

Each reads the generated records CSV, keeps the rows that may be published (掲載可否 = 可, not 終了)
so every approach draws the same places, and writes a folder with an index.html. folium pages load
Leaflet and friends from CDNs, as folium does; the benchmark's browser serves those requests from
local copies. Run as `python -m bench.naive_folium {naive,fast,geojson} PROJECT OUT` (the benchmark
does, so that build time and peak memory are those of a fresh process).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
VARIANTS = ("naive", "fast", "geojson")


def published_rows(project: Path) -> list[dict[str, str]]:
    with open(project / "data" / "records.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if r["掲載可否"] == "可" and r["状況"] != "終了"]


def _bounds(rows: list[dict[str, str]]) -> list[list[float]]:
    lats = [float(r["緯度"]) for r in rows]
    lons = [float(r["経度"]) for r in rows]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined
    )


def build_naive(project: Path, out: Path) -> Path:
    import folium
    from folium import plugins
    from markupsafe import escape

    rows = published_rows(project)
    popup = _env().get_template("popup.html")
    m = folium.Map(tiles="OpenStreetMap")
    m.fit_bounds(_bounds(rows))
    cluster = plugins.MarkerCluster().add_to(m)
    for r in rows:
        html = popup.render(
            n=r["No."],
            name=r["名称"],
            category=r["種別"],
            schedule=r["開催日時"],
            target=r["対象"],
            fee=r["参加費"],
            activities=r["活動内容"],
            venue=r["会場"],
            address=r["所在地"],
            story=r["紹介文"],
        )
        folium.Marker(
            [float(r["緯度"]), float(r["経度"])],
            popup=folium.Popup(html, max_width=300),
            tooltip=str(escape(r["名称"])),
        ).add_to(cluster)
    out.mkdir(parents=True, exist_ok=True)
    m.save(str(out / "index.html"))
    return out


def build_fast(project: Path, out: Path) -> Path:
    import folium
    from folium import plugins

    rows = published_rows(project)
    m = folium.Map(tiles="OpenStreetMap")
    m.fit_bounds(_bounds(rows))
    data = [[float(r["緯度"]), float(r["経度"]), f"No.{r['No.']} {r['名称']}", r["開催日時"]] for r in rows]
    callback = (TEMPLATES / "fast_callback.js").read_text(encoding="utf-8")
    plugins.FastMarkerCluster(data, callback=callback).add_to(m)
    out.mkdir(parents=True, exist_ok=True)
    m.save(str(out / "index.html"))
    return out


GEOJSON_FIELDS = {
    "name": "名称",
    "category_label": "種別",
    "organiser": "運営主体",
    "venue": "会場",
    "venue_kind": "会場種別",
    "address": "所在地",
    "schedule_text": "開催日時",
    "target": "対象",
    "fee": "参加費",
    "activities": "活動内容",
    "participants": "参加人数",
    "status": "状況",
    "confirmed": "最終確認日",
    "story": "紹介文",
}


def build_geojson(project: Path, out: Path, vendor: dict[str, Path]) -> Path:
    """`vendor` maps "leaflet" and "markercluster" to folders holding their dist files."""
    rows = published_rows(project)
    features = []
    for r in rows:
        props = {"number": int(r["No."]), **{k: r[v] for k, v in GEOJSON_FIELDS.items()}}
        features.append(
            {
                "type": "Feature",
                "id": props["number"],
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [float(r["経度"]), float(r["緯度"])]},
            }
        )
    (out / "data").mkdir(parents=True, exist_ok=True)
    with open(out / "data" / "places.geojson", "w", encoding="utf-8") as fh:
        json.dump(
            {"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False, separators=(",", ":")
        )
    for name, files in (
        ("leaflet", ("leaflet.js", "leaflet.css")),
        ("markercluster", ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css")),
    ):
        (out / "vendor" / name).mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy2(vendor[name] / f, out / "vendor" / name / f)
    images = vendor.get("leaflet_images")
    if images is not None:
        shutil.copytree(images, out / "vendor" / "leaflet" / "images", dirs_exist_ok=True)
    title = "宝物マップ"
    page = _env().get_template("geojson.html").render(title=title, bounds=_bounds(rows))
    (out / "index.html").write_text(page, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build a comparison map page from a generated project.")
    ap.add_argument("variant", choices=VARIANTS)
    ap.add_argument("project", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--leaflet", type=Path, help="folder with leaflet.js and leaflet.css (geojson variant)")
    ap.add_argument(
        "--leaflet-images", type=Path, help="folder with Leaflet's marker images (geojson variant)"
    )
    ap.add_argument(
        "--markercluster", type=Path, help="folder with Leaflet.markercluster's dist files (geojson variant)"
    )
    args = ap.parse_args(argv)
    if args.out.exists():
        shutil.rmtree(args.out)
    if args.variant == "naive":
        build_naive(args.project, args.out)
    elif args.variant == "fast":
        build_fast(args.project, args.out)
    else:
        if not (args.leaflet and args.markercluster):
            print("the geojson variant needs --leaflet and --markercluster", file=sys.stderr)
            return 2
        vendor = {"leaflet": args.leaflet, "markercluster": args.markercluster}
        if args.leaflet_images:
            vendor["leaflet_images"] = args.leaflet_images
        build_geojson(args.project, args.out, vendor)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
