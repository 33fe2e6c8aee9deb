"""Printed district maps and the guidebook (PDF): the paper that councils and older residents hold.

Written into the site's `print/` folder (the `out` given here):

    district-<slug>.pdf        one A4 sheet per 第2層 area: the map (portrait or landscape, whichever fits
                               the district's shape), a QR code to its web page, then the numbered list
    district-<slug>-a3.pdf     the same on A3, when sizes includes "A3"
    guidebook.pdf              the whole booklet: cover, contents, how to read it, the city map, indexes
                               by category and weekday, every district, treasure pages, contacts
    guidebook-large.pdf        the booklet in large print: one column, 14 pt and larger
    index.html                 a plain page listing the PDFs (the site links to it)

HTML from Jinja templates in site_template/print/ is turned into PDF by WeasyPrint; maps are drawn by
matplotlib in a metric CRS, as SVG so they stay sharp, from the boundaries alone: basemap tiles are
drawn only from a local tile folder given as `tiles` (nothing is ever downloaded). Text is set in Noto Sans CJK JP (Debian fonts-noto-cjk), embedded as a subset.
Only PublicPlace fields are read: privacy has already decided what may be printed. Output depends only
on the edition (dates come from the config), so two builds give byte-identical PDFs.
"""

from __future__ import annotations

import contextlib
import io
import math
import multiprocessing
import os
import signal
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import jinja2
import matplotlib
import numpy as np
import segno
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrow, Rectangle
from pyproj import Transformer

from gis.config import Category, Project, Tier
from gis.edition import Edition
from gis.errors import OutputError
from gis.place import STATUS_PAUSED, PublicPlace
from gis.site import slug, text_colour

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
GUIDEBOOK = "guidebook.pdf"
GUIDEBOOK_LARGE = "guidebook-large.pdf"
KINDS = ("districts", "guidebook", "guidebook-large")
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
SHEET_MARGIN_MM = 10.0  # district sheet margins (district.html uses the same)
SHEET_HEADER_MM = 33.0  # title band above the map on the district sheet (district.html: 31 mm + 2 mm)
FONT = "Noto Sans CJK JP"
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
ASSET_SCHEME = "takara-asset:"
MM = 1 / 25.4  # inches per millimetre
PT_PER_MM = 72 / 25.4
# Light fills that keep black text readable, for the districts on the overview map.
AREA_FILLS = ("#fde2c8", "#d7ecd9", "#dce6f5", "#f4dcec", "#f6f0c4", "#d9eef0", "#eadcf5", "#f0e0d0")

Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


# ---------------------------------------------------------------- names the website shares


def district_url(project: Project, area_id: str) -> str:
    """The district's page on the published site (districts/<slug>/, as gis.site writes it); relative
    when the config has no base_url."""
    path = f"districts/{quote(slug(area_id))}/"
    base = project.site.base_url
    if not base:
        return path
    return (base if base.endswith("/") else base + "/") + path


def district_pdf_name(area_id: str, size: str = "A4") -> str:
    """print/<this>: district-<slug>.pdf for A4, district-<slug>-a3.pdf for A3."""
    suffix = "" if size == "A4" else f"-{size.lower()}"
    return f"district-{slug(area_id)}{suffix}.pdf"


def print_files(edition: Edition, sizes: tuple[str, ...] = ("A4",)) -> list[str]:
    """The names write_prints writes into print/, in order (for links and checks)."""
    names = [GUIDEBOOK, GUIDEBOOK_LARGE]
    for area_id in edition.boundaries[edition.project.district_tier.id]["area_id"]:
        names += [district_pdf_name(str(area_id), size) for size in sizes]
    return names


# ---------------------------------------------------------------- templates and assets


def make_print_environment() -> jinja2.Environment:
    """Like the site's environment (autoescape, undefined names are errors), rooted at site_template/."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_ROOT)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Assets:
    """Images made in memory (maps, QR codes, photos), served to WeasyPrint under takara-asset:<name>.
    Anything else may only come from site_template/ on disk: a PDF build never touches the network."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[bytes, str]] = {}

    def add(self, name: str, data: bytes, mime: str) -> str:
        self.items[name] = (data, mime)
        return ASSET_SCHEME + name

    def fetcher(self) -> Any:
        from weasyprint import urls

        items = self.items
        allowed = TEMPLATE_ROOT.resolve().as_uri()

        def lookup(url: str) -> tuple[bytes, str]:
            if url.startswith(ASSET_SCHEME):
                return items[url[len(ASSET_SCHEME) :]]
            if url.startswith((allowed, "data:")):
                return b"", ""
            raise OutputError(f"印刷用PDFが外部の資源を読もうとしました / a print template asked for {url}")

        if hasattr(urls, "URLFetcher"):  # WeasyPrint ≥ 66

            class Fetcher(urls.URLFetcher):
                def fetch(self, url: str, headers: Any = None) -> Any:
                    data, mime = lookup(url)
                    if not mime:
                        return super().fetch(url, headers)
                    return urls.URLFetcherResponse(url, data, {"Content-Type": mime})

            return Fetcher(fail_on_errors=True)

        def fetch(url: str) -> dict:  # older WeasyPrint: a plain function returning a dict
            data, mime = lookup(url)
            if not mime:
                return urls.default_url_fetcher(url)
            return {"string": data, "mime_type": mime}

        return fetch


# ---------------------------------------------------------------- small formatting helpers


def japanese_date(iso: str) -> str:
    """2026-11-01 → 令和8年11月1日（2026年）; the era helps older readers, the year avoids doubt."""
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    if d >= date(2019, 5, 1):
        era = f"令和{'元' if d.year == 2019 else d.year - 2018}年"
    else:
        era = f"平成{d.year - 1988}年"
    return f"{era}{d.month}月{d.day}日（{d.year}年）"


def schedule_words(p: PublicPlace) -> str:
    if p.schedule is not None and getattr(p.schedule, "parsed", False):
        return p.schedule.describe("ja")
    return p.schedule_text


def weekdays_of(p: PublicPlace) -> tuple[int, ...]:
    if p.schedule is None or not getattr(p.schedule, "parsed", False):
        return ()
    return tuple(p.schedule.occurs_on_weekdays())


def _text_width_mm(text: str, size_pt: float) -> float:
    """Rough printed width: CJK characters are one em wide, others about half."""
    em = size_pt / PT_PER_MM
    return sum(em if unicodedata.east_asian_width(c) in "WFA" else em * 0.55 for c in text)


NO_LINE_START = set("、。，．・：；？！）」』】〕〉》ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々/)")


def wrap_ja(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Lines of at most width_mm for matplotlib text, which knows no 禁則: a closing bracket, a comma or a
    small kana is never left at the start of a line (it stays with the character before it)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and _text_width_mm(line + ch, size_pt) > width_mm and ch not in NO_LINE_START:
            lines.append(line.rstrip())
            line = ch.lstrip()
        else:
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _nice_length(max_m: float) -> float:
    """The longest round length (m) not over max_m, for the scale bar."""
    steps = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000)
    return float(max([v for v in steps if v <= max_m] or [steps[0]]))


def _metres_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


# ---------------------------------------------------------------- the print model


@dataclass
class District:
    index: int
    id: str
    name: str
    slug: str
    url: str
    places: list[PublicPlace]
    geometry: Any  # metric CRS
    landscape: bool = False
    maps: dict[tuple[float, float, float], bytes] = field(default_factory=dict)  # (w, h, text scale) -> SVG


@dataclass
class PrintModel:
    """Everything the PDFs are made from, computed once per edition."""

    edition: Edition
    project: Project
    crs: Any
    district_tier: Tier
    finer_tier: Tier | None
    districts: list[District]
    outside: list[PublicPlace]  # published places in no district (shown in the guidebook only)
    xy: dict[int, tuple[float, float]]  # number -> metric point
    gdf: dict[str, gpd.GeoDataFrame]  # tier id -> boundaries in the metric CRS, lightly simplified
    categories: dict[str, Category]
    photos: dict[int, tuple[bytes, int, int]] = field(default_factory=dict)  # number -> (jpeg, w, h)
    tiles: TileCache | None = None

    @property
    def today(self) -> str:
        return self.project.site.edition or date.today().isoformat()


def build_model(
    edition: Edition, photos_dir: Path | None = None, tiles: TileCache | None = None
) -> PrintModel:
    project = edition.project
    top = edition.boundaries[project.top_tier.id]
    crs = top.estimate_utm_crs()  # metres, and north is up near enough for a district map
    extent = max(np.ptp(top.to_crs(crs).total_bounds.reshape(2, 2), axis=0))
    tolerance = max(extent / 4000, 1.0)  # well under a printed line width
    gdf = {}
    for tier in project.tiers:
        g = edition.boundaries[tier.id].to_crs(crs)
        g["geometry"] = g.geometry.simplify(tolerance, preserve_topology=True)
        gdf[tier.id] = g
    dtier = project.district_tier
    finer = next((t for t in project.tiers if t.level > dtier.level), None)
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = to_metric.transform([p.lon for p in edition.places], [p.lat for p in edition.places])
    xy = {
        p.number: (float(x), float(y))
        for p, x, y in zip(edition.places, np.atleast_1d(xs), np.atleast_1d(ys))
    }
    places = sorted(edition.places, key=lambda p: p.number)
    districts = []
    for i, row in enumerate(gdf[dtier.id].itertuples(index=False)):
        area_id = str(row.area_id)
        mine = [p for p in places if p.areas.get(dtier.id, ("", ""))[0] == area_id]
        minx, miny, maxx, maxy = row.geometry.bounds
        districts.append(
            District(
                i,
                area_id,
                str(row.area_name),
                slug(area_id),
                district_url(project, area_id),
                mine,
                row.geometry,
                landscape=(maxx - minx) > (maxy - miny),
            )
        )
    outside = [p for p in places if dtier.id not in p.areas]
    model = PrintModel(
        edition,
        project,
        crs,
        dtier,
        finer,
        districts,
        outside,
        xy,
        gdf,
        {c.id: c for c in project.categories},
    )
    model.photos = _load_photos(edition, photos_dir)
    model.tiles = tiles
    return model


def _load_photos(edition: Edition, photos_dir: Path | None) -> dict[int, tuple[bytes, int, int]]:
    """The site's re-encoded photos (print/../photos/<n>-l.jpg, metadata already stripped) when present;
    otherwise the consented source photo, cleaned here the same way."""
    from PIL import Image

    from gis import photos as photo_mod

    project = edition.project
    bases = [r.path.parent for r in project.records] + [project.root, project.root / "data"]
    out: dict[int, tuple[bytes, int, int]] = {}
    for p in edition.places:
        if not p.photo:
            continue
        web = photos_dir / f"{p.number}-l.jpg" if photos_dir else None
        if web is not None and web.is_file():
            data = web.read_bytes()
        else:
            rel = Path(p.photo)
            src = next(
                (c for c in ([rel] if rel.is_absolute() else [b / rel for b in bases]) if c.is_file()), None
            )
            if src is None:
                continue  # the site build reports a missing photo once; the print just goes without
            try:
                data = photo_mod.encode(photo_mod.clean_image(src), photo_mod.LARGE_SIDE)
            except photo_mod.PhotoError:
                continue
        with Image.open(io.BytesIO(data)) as im:
            out[p.number] = (data, im.width, im.height)
    return out


# ---------------------------------------------------------------- maps


@dataclass
class TileCache:
    """Basemap tiles already on disk, laid out <folder>/<z>/<x>/<y>.png (or .jpg) in the usual web map
    (XYZ, Web Mercator) scheme. Off unless given: the build never downloads anything."""

    folder: Path
    attribution: str = ""

    def zooms(self) -> list[int]:
        return (
            sorted(int(p.name) for p in self.folder.iterdir() if p.is_dir() and p.name.isdigit())
            if self.folder.is_dir()
            else []
        )

    def tile(self, z: int, x: int, y: int) -> Path | None:
        for ext in ("png", "jpg", "jpeg"):
            path = self.folder / str(z) / str(x) / f"{y}.{ext}"
            if path.is_file():
                return path
        return None


MAX_TILES = 64


def _draw_tiles(model: PrintModel, c: _MapCanvas) -> bool:
    """Put cached tiles under the map (each tile placed by its corners in the metric CRS: near enough at
    a district's scale). Returns whether any tile was drawn."""
    from PIL import Image

    cache = model.tiles
    zooms = cache.zooms() if cache else []
    if not cache or not zooms:
        return False
    to_lonlat = Transformer.from_crs(model.crs, "EPSG:4326", always_xy=True)
    to_metric = Transformer.from_crs("EPSG:4326", model.crs, always_xy=True)
    lons, lats = to_lonlat.transform(
        [c.xlim[0], c.xlim[1], c.xlim[0], c.xlim[1]], [c.ylim[0], c.ylim[0], c.ylim[1], c.ylim[1]]
    )
    lat_mid = (min(lats) + max(lats)) / 2
    want = math.log2(156543.03 * math.cos(math.radians(lat_mid)) / (c.metres_per_mm / 8))  # about 200 dpi
    usable = [z for z in zooms if z <= round(want)] or zooms[:1]

    def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
        n = 2**z
        return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n

    def lonlat(x: float, y: float, z: int) -> tuple[float, float]:
        n = 2**z
        return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))

    for z in reversed(usable):
        x0, y0 = tile_xy(min(lons), max(lats), z)
        x1, y1 = tile_xy(max(lons), min(lats), z)
        span = [(x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]
        if len(span) <= MAX_TILES:
            break
    drawn = False
    for x, y in span:
        path = cache.tile(z, x, y)
        if path is None:
            continue
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))
        (left, top), (right, bottom) = lonlat(x, y, z), lonlat(x + 1, y + 1, z)
        (ml, mr), (mt, mb) = to_metric.transform([left, right], [top, bottom])
        c.ax.imshow(pixels, extent=(ml, mr, mb, mt), zorder=0.5, interpolation="bilinear", alpha=0.75)
        drawn = True
    return drawn


def _legend_entries(
    model: PrintModel, places: list[PublicPlace], counts: bool = True, symbols: bool = True
) -> list[tuple[Line2D, str]]:
    entries = []
    for cat in model.project.categories:
        n = sum(1 for p in places if p.category == cat.id)
        if n:
            h = Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=9,
                markerfacecolor=cat.color,
                markeredgecolor="white",
                markeredgewidth=0.8,
            )
            entries.append((h, f"{cat.label}（{n}）" if counts else cat.label))
    if symbols and any(p.status == STATUS_PAUSED for p in places):
        h = Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=9,
            markerfacecolor="white",
            markeredgecolor="#444444",
            markeredgewidth=1.4,
        )
        entries.append((h, "白抜き：休止中"))
    if symbols and any(p.location_precision == "area" for p in places):
        h = Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=9,
            markerfacecolor="#bbbbbb",
            markeredgecolor="#222222",
            markeredgewidth=1.0,
        )
        h.set_markeredgecolor("#222222")
        entries.append((h, "黒い縁：個人宅など（地区内のおおよその位置）"))
    return entries


def _spread(points: np.ndarray, diameter: float) -> np.ndarray:
    """Move markers apart so none hides another (points and diameter in printed points). Each marker,
    in number order, takes the first free spot on a spiral around its own place; home venues that share
    one representative point fan out around it."""
    placed = np.empty((0, 2))
    out = np.empty_like(points)
    need = diameter * 0.98
    for i, (x, y) in enumerate(points):
        spot = (x, y)
        if len(placed):
            for k in range(400):
                if k:
                    ring = 1 + int(math.sqrt(k))
                    angle = k * 2.39996  # golden angle: candidates spread evenly
                    spot = (
                        x + math.cos(angle) * ring * diameter * 0.6,
                        y + math.sin(angle) * ring * diameter * 0.6,
                    )
                if np.min(np.hypot(placed[:, 0] - spot[0], placed[:, 1] - spot[1])) >= need:
                    break
        out[i] = spot
        placed = np.vstack([placed, spot])
    return out


class _MapCanvas:
    """One map figure: the map frame on top, a footer strip under it with the legend, the scale bar,
    the north arrow and the attribution, so that none of them can cover a marker."""

    def __init__(
        self,
        width_mm: float,
        height_mm: float,
        bounds: tuple[float, float, float, float],
        legend: list[tuple[Line2D, str]],
        attribution: str,
    ):
        self.w, self.h = width_mm, height_mm
        legend_size = 7.0
        right_mm = 48.0  # scale bar and north arrow
        avail = width_mm - right_mm - 4
        col_mm = max([_text_width_mm(label, legend_size) + 8 for _, label in legend] or [20])
        ncol = max(1, min(len(legend) or 1, int(avail // col_mm)))
        rows = math.ceil(len(legend) / ncol) if legend else 0
        attr_lines = wrap_ja(attribution, avail, 5.5)
        self.footer = 3 + rows * 3.9 + len(attr_lines) * 2.8 + 2.5
        self.footer = max(self.footer, 16.0)
        map_h = height_mm - self.footer
        # The map frame keeps the figure's proportions; the area shown grows to match it.
        minx, miny, maxx, maxy = bounds
        bw, bh = maxx - minx, maxy - miny
        pad = 0.06 * max(bw, bh)
        bw, bh = bw + 2 * pad, bh + 2 * pad
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        if bw / bh > width_mm / map_h:
            bh = bw * map_h / width_mm
        else:
            bw = bh * width_mm / map_h
        self.xlim = (cx - bw / 2, cx + bw / 2)
        self.ylim = (cy - bh / 2, cy + bh / 2)
        self.metres_per_mm = bw / width_mm
        self.fig = Figure(figsize=(width_mm * MM, height_mm * MM))
        self.ax = self.fig.add_axes((0, self.footer / height_mm, 1, map_h / height_mm))
        self.ax.set_xlim(*self.xlim)
        self.ax.set_ylim(*self.ylim)
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.set_axis_off()
        self.ax.add_patch(
            Rectangle(
                (0, 0), 1, 1, transform=self.ax.transAxes, facecolor="#f3f3f1", edgecolor="none", zorder=0
            )
        )
        fx, fy = 1 / width_mm, 1 / height_mm  # mm → figure fraction
        if legend:
            self.fig.legend(
                [h for h, _ in legend],
                [label for _, label in legend],
                loc="upper left",
                bbox_to_anchor=(2 * fx, (self.footer - 2) * fy),
                ncol=ncol,
                frameon=False,
                fontsize=legend_size,
                handletextpad=0.3,
                columnspacing=1.2,
                borderaxespad=0,
                borderpad=0,
                labelspacing=0.35,
            )
        for i, line in enumerate(attr_lines):
            self.fig.text(
                2 * fx,
                (1.2 + (len(attr_lines) - 1 - i) * 2.8) * fy,
                line,
                fontsize=5.5,
                color="#555555",
                va="bottom",
            )
        self._scale_bar(width_mm - right_mm + 2, self.footer - 9, fx, fy)
        self._north_arrow(width_mm - 8, self.footer - 13, fx, fy)
        self.fig.add_artist(
            Rectangle(
                (0, self.footer * fy),
                1,
                map_h * fy,
                transform=self.fig.transFigure,
                fill=False,
                edgecolor="#666666",
                linewidth=0.6,
            )
        )

    def _scale_bar(self, x_mm: float, y_mm: float, fx: float, fy: float) -> None:
        length = _nice_length(30 * self.metres_per_mm)
        bar_mm = length / self.metres_per_mm
        for i in range(2):
            self.fig.add_artist(
                Rectangle(
                    ((x_mm + i * bar_mm / 2) * fx, y_mm * fy),
                    bar_mm / 2 * fx,
                    1.4 * fy,
                    transform=self.fig.transFigure,
                    facecolor="#222222" if i == 0 else "white",
                    edgecolor="#222222",
                    linewidth=0.5,
                )
            )
        for frac, text in ((0, "0"), (1, _metres_label(length))):
            self.fig.text(
                (x_mm + frac * bar_mm) * fx, (y_mm + 2.2) * fy, text, fontsize=6, ha="center", va="bottom"
            )
        self.fig.text(
            x_mm * fx, (y_mm - 1.2) * fy, "縮尺（おおよそ）", fontsize=5.5, color="#555555", va="top"
        )

    def _north_arrow(self, x_mm: float, y_mm: float, fx: float, fy: float) -> None:
        self.fig.add_artist(
            FancyArrow(
                x_mm * fx,
                y_mm * fy,
                0,
                7 * fy,
                width=1.2 * fx,
                head_width=3.6 * fx,
                head_length=3 * fy,
                length_includes_head=True,
                transform=self.fig.transFigure,
                color="#222222",
            )
        )
        self.fig.text(
            x_mm * fx, (y_mm + 8) * fy, "北 N", fontsize=6.5, ha="center", va="bottom", weight="bold"
        )

    def points_per_metre(self) -> float:
        return PT_PER_MM / self.metres_per_mm

    def svg(self) -> bytes:
        buf = io.BytesIO()
        self.fig.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue()


def _rc() -> Any:
    return matplotlib.rc_context(
        {
            "svg.hashsalt": "takara-map",  # stable ids: the same data gives the same SVG, and the same PDF
            "svg.fonttype": "none",  # real text: small files, and the numbers on the map can be read back
            "font.family": [FONT, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "path.simplify": True,
        }
    )


HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _map_attribution(model: PrintModel) -> str:
    site = model.project.site
    if model.tiles and model.tiles.zooms():
        base = f"背景地図：{model.tiles.attribution or '保存済みの地図タイル'}"
    else:
        base = "地図：区域の境界データから作成（背景地図なし）"
    return base + (f"　出典：{site.attribution}" if site.attribution else "")


def district_map_svg(
    model: PrintModel, d: District, width_mm: float, height_mm: float, legend: bool = True
) -> bytes:
    """The district map: its boundary, finer areas faintly with names, neighbours in grey for orientation,
    numbered markers in category colours. Marker circles carry the SVG id marker-<number>."""
    with _rc():
        attribution = _map_attribution(model)
        c = _MapCanvas(
            width_mm,
            height_mm,
            d.geometry.bounds,
            _legend_entries(model, d.places) if legend else [],
            attribution,
        )
        ax = c.ax
        basemap = _draw_tiles(model, c)
        view = shapely.box(c.xlim[0], c.ylim[0], c.xlim[1], c.ylim[1])
        districts = model.gdf[model.district_tier.id]
        near = districts[districts.intersects(view) & (districts["area_id"] != d.id)]
        if len(near):
            near_in_view = near.geometry.intersection(view)  # fewer vertices for the PDF to draw
            gpd.GeoSeries(near_in_view.values).plot(
                ax=ax,
                facecolor="#e4e4e0",
                edgecolor="#b0b0aa",
                linewidth=0.6,
                alpha=0.6 if basemap else 1.0,
                zorder=1,
            )
            for geom, name in zip(near_in_view, near["area_name"]):
                pt = geom.representative_point()
                if not pt.is_empty:
                    ax.text(pt.x, pt.y, name, fontsize=7, color="#8a8a84", ha="center", va="center", zorder=2)
        if not basemap:
            gpd.GeoSeries([d.geometry]).plot(ax=ax, facecolor="white", edgecolor="none", zorder=3)
        markers = _place_markers(model, c, d.places)
        if model.finer_tier is not None:
            fine = model.gdf[model.finer_tier.id]
            fine = fine[fine.intersects(d.geometry)]
            clipped = fine.geometry.intersection(d.geometry)
            keep = clipped.area > d.geometry.area * 0.004
            gpd.GeoSeries(clipped[keep].boundary.values).plot(
                ax=ax, color="#9aa7b4", linewidth=0.5, linestyle=(0, (3, 2)), zorder=4
            )
            spots = np.array([(m.x, m.y) for m in markers]).reshape(-1, 2)
            for geom, name in zip(clipped[keep], fine["area_name"][keep]):
                if geom.area > d.geometry.area * 0.02:
                    x, y = _label_spot(geom, name, 6.5, spots, c)
                    ax.text(
                        x,
                        y,
                        name,
                        fontsize=6.5,
                        color="#5b6b7c",
                        ha="center",
                        va="center",
                        zorder=5,
                        path_effects=HALO,
                    )
        gpd.GeoSeries([d.geometry]).boundary.plot(ax=ax, color="#222222", linewidth=1.6, zorder=6)
        _draw_markers(c, markers)
        ax.set_xlim(*c.xlim)
        ax.set_ylim(*c.ylim)
        return c.svg()


@dataclass
class Marker:
    number: int
    x: float  # where the circle is drawn (metric CRS)
    y: float
    px: float  # where the place is
    py: float
    color: str
    paused: bool
    approximate: bool
    diameter_pt: float


def _place_markers(model: PrintModel, c: _MapCanvas, places: list[PublicPlace]) -> list[Marker]:
    if not places:
        return []
    scale = c.points_per_metre()
    x0, y0 = c.xlim[0], c.ylim[0]
    # Markers shrink a little when the district is crowded, never below a readable size.
    map_area_pt = (c.xlim[1] - c.xlim[0]) * (c.ylim[1] - c.ylim[0]) * scale * scale
    diameter = max(9.0, min(13.0, math.sqrt(map_area_pt / (len(places) * 14))))
    true_pts = np.array(
        [[(model.xy[p.number][0] - x0) * scale, (model.xy[p.number][1] - y0) * scale] for p in places]
    )
    spots = _spread(true_pts, diameter)
    out = []
    for p, (tx, ty), (sx, sy) in zip(places, true_pts, spots):
        cat = model.categories.get(p.category)
        out.append(
            Marker(
                p.number,
                x0 + sx / scale,
                y0 + sy / scale,
                x0 + tx / scale,
                y0 + ty / scale,
                cat.color if cat else "#555555",
                p.status == STATUS_PAUSED,
                p.location_precision == "area",
                diameter,
            )
        )
    return out


def _label_spot(
    geom: Any, name: str, size_pt: float, spots: np.ndarray, c: _MapCanvas
) -> tuple[float, float]:
    """Where an area's name covers the fewest markers: the point inside the area, on a coarse grid, whose
    label box lies farthest from every marker (ties go to the point nearest the area's middle)."""
    rep = geom.representative_point()
    if not len(spots):
        return rep.x, rep.y
    half_w = _text_width_mm(name, size_pt) / 2 * c.metres_per_mm
    half_h = size_pt / PT_PER_MM / 2 * c.metres_per_mm
    minx, miny, maxx, maxy = geom.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 11)[1:-1], np.linspace(miny, maxy, 11)[1:-1])
    cand = np.column_stack([xs.ravel(), ys.ravel()])
    inside = shapely.contains_xy(geom.buffer(-half_h), cand[:, 0], cand[:, 1])
    cand = np.vstack([[rep.x, rep.y], cand[inside]])
    radius = 6.5 * c.metres_per_mm / PT_PER_MM * 2  # about one marker radius
    dx = np.maximum(np.abs(cand[:, None, 0] - spots[None, :, 0]) - half_w, 0)
    dy = np.maximum(np.abs(cand[:, None, 1] - spots[None, :, 1]) - half_h, 0)
    clearance = np.minimum(np.hypot(dx, dy).min(axis=1), radius * 3)
    centre = np.hypot(cand[:, 0] - rep.x, cand[:, 1] - rep.y)
    best = np.lexsort((centre, -np.round(clearance / radius, 1)))[0]
    return float(cand[best, 0]), float(cand[best, 1])


def _draw_markers(c: _MapCanvas, markers: list[Marker]) -> None:
    ax = c.ax
    scale = c.points_per_metre()
    for m in markers:
        group = f"marker-{m.number}"
        if (m.x, m.y) != (m.px, m.py):  # moved to stay readable: a leader line back to the real place
            ax.plot([m.px, m.x], [m.py, m.y], color="#444444", linewidth=0.5, zorder=7)
            ax.plot([m.px], [m.py], marker="o", markersize=1.8, color="#444444", zorder=7)
        circle = Circle(
            (m.x, m.y),
            m.diameter_pt / 2 / scale,
            facecolor="white" if m.paused else m.color,
            edgecolor="#111111" if m.approximate else (m.color if m.paused else "white"),
            linewidth=1.3 if (m.paused or m.approximate) else 0.8,
            zorder=8,
            gid=group,
        )
        ax.add_patch(circle)
        label = str(m.number)
        size = m.diameter_pt * (0.58 if len(label) <= 2 else 0.46 if len(label) == 3 else 0.38)
        fg = m.color if m.paused else text_colour(m.color)
        ax.text(
            m.x,
            m.y,
            label,
            fontsize=size,
            color=fg,
            ha="center",
            va="center_baseline",
            weight="bold",
            zorder=9,
        )


def overview_map_svg(model: PrintModel, width_mm: float, height_mm: float, legend: bool = True) -> bytes:
    """The whole municipality: 第2層 areas in light colours with their names and how many places each has."""
    with _rc():
        top = model.gdf[model.project.top_tier.id]
        attribution = _map_attribution(model)
        c = _MapCanvas(
            width_mm,
            height_mm,
            tuple(top.total_bounds),
            _legend_entries(model, model.edition.places, counts=False, symbols=False) if legend else [],
            attribution,
        )
        ax = c.ax
        districts = model.gdf[model.district_tier.id]
        colours = [AREA_FILLS[i % len(AREA_FILLS)] for i in range(len(districts))]
        districts.plot(ax=ax, color=colours, edgecolor="#666666", linewidth=0.6, zorder=2)
        top.boundary.plot(ax=ax, color="#222222", linewidth=1.4, zorder=3)
        if model.edition.places:
            pts = np.array([model.xy[p.number] for p in model.edition.places])
            cols = [
                model.categories[p.category].color if p.category in model.categories else "#555555"
                for p in model.edition.places
            ]
            ax.scatter(pts[:, 0], pts[:, 1], s=5, c=cols, linewidths=0, zorder=4)
        size = 8 if len(model.districts) <= 12 else 6.5
        for d in model.districts:
            pt = d.geometry.representative_point()
            ax.text(
                pt.x,
                pt.y,
                f"{d.name}\n{len(d.places)}か所",
                fontsize=size,
                ha="center",
                va="center",
                zorder=5,
                linespacing=1.1,
                path_effects=HALO,
                gid=f"district-{d.index}",
            )
        ax.set_xlim(*c.xlim)
        ax.set_ylim(*c.ylim)
        return c.svg()


def qr_svg(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2, xmldecl=False)
    return buf.getvalue()


# ---------------------------------------------------------------- page contexts


def place_ctx(model: PrintModel, p: PublicPlace) -> dict:
    cat = model.categories.get(p.category)
    district = p.areas.get(model.district_tier.id, ("", ""))
    return {
        "n": p.number,
        "name": p.name,
        "cat": cat.label if cat else p.category,
        "color": cat.color if cat else "#555555",
        "when": schedule_words(p),
        "venue": p.venue,
        "address": p.address,
        "approximate": p.location_precision == "area",
        "target": p.target,
        "fee": p.fee,
        "activities": p.activities,
        "phone": p.phone,
        "organiser": p.organiser,
        "status": p.status,
        "paused": p.status == STATUS_PAUSED,
        "stale": p.stale,
        "confirmed": f"{p.confirmed.year}年{p.confirmed.month}月" if p.confirmed else "",
        "district": district[1],
        "story": p.story,
        "photo": "",
        "photo_portrait": False,
    }


def _site_ctx(model: PrintModel) -> dict:
    site = model.project.site
    return {
        "title": site.title,
        "lead": site.lead,
        "attribution": site.attribution,
        "licence": site.licence,
        "fictional": site.fictional,
        "edition": model.today,
        "edition_ja": japanese_date(model.today),
        "base_url": site.base_url,
        "contacts": [
            {"name": c.name, "role": c.role, "phone": c.phone, "hours": c.hours} for c in site.contacts
        ],
        "district_label": model.district_tier.label,
        "district_tier": model.district_tier.name,
        "finer_label": model.finer_tier.label if model.finer_tier else "",
    }


def _categories_ctx(model: PrintModel, places: list[PublicPlace] | None = None) -> list[dict]:
    places = model.edition.places if places is None else places
    return [
        {
            "id": c.id,
            "label": c.label,
            "color": c.color,
            "count": sum(1 for p in places if p.category == c.id),
        }
        for c in model.project.categories
    ]


def _render_pdf(html: str, assets: _Assets, path: Path, title: str) -> Path:
    from weasyprint import HTML

    doc = HTML(string=html, base_url=(TEMPLATE_ROOT / "print").as_uri() + "/", url_fetcher=assets.fetcher())
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.write_pdf(path, pdf_identifier=title.encode("utf-8")[:32] or b"takara", uncompressed_pdf=False)
    return path


LARGE_MAP_SCALE = 1.5  # the large-print guidebook's maps: every label and marker half as big again
BOOK_MAP_BOX = {True: (180.0, 125.0), False: (180.0, 215.0)}  # guidebook map box (mm) by landscape or not


def sheet_map_box(d: District) -> tuple[float, float]:
    """The map's box on the A4 district sheet (mm): the page less margins and the title band."""
    paper_w, paper_h = PAPER_MM["A4"]
    if d.landscape:
        paper_w, paper_h = paper_h, paper_w
    return paper_w - 2 * SHEET_MARGIN_MM, paper_h - 2 * SHEET_MARGIN_MM - SHEET_HEADER_MM


def district_map(model: PrintModel, d: District, box: tuple[float, float], text_scale: float = 1.0) -> bytes:
    """The district's map as SVG for a box of box[0] × box[1] mm, made once per box and text scale. A
    larger text scale draws it on a proportionally smaller figure, which the page then enlarges; its
    legend is then left to the page, in large type."""
    key = (box[0], box[1], text_scale)
    if key not in d.maps:
        d.maps[key] = district_map_svg(
            model, d, box[0] / text_scale, box[1] / text_scale, legend=text_scale == 1.0
        )
    return d.maps[key]


def write_district(model: PrintModel, d: District, path: Path, size: str, env: jinja2.Environment) -> Path:
    box = sheet_map_box(d)
    svg = district_map(model, d, box)  # drawn for A4; A3 enlarges it, labels and all
    assets = _Assets()
    orientation = "landscape" if d.landscape else "portrait"
    scale = PAPER_MM[size][0] / PAPER_MM["A4"][0]
    # a little under the box, so that rounding can never push the map onto a page of its own
    map_w, map_h = box[0] * scale - 0.5, box[1] * scale - 0.5
    qr = assets.add("qr.svg", qr_svg(d.url), "image/svg+xml") if model.project.site.base_url else ""
    # A long district name gets a smaller title rather than a second line (the band's height is fixed).
    title_pt = min(20.0, (box[0] - 75) / _text_width_mm(f"{d.name} 宝物マップ", 1))
    ctx = {
        "site": _site_ctx(model),
        "district": {
            "name": d.name,
            "id": d.id,
            "url": d.url,
            "count": len(d.places),
            "title_pt": round(title_pt, 1),
            "map": assets.add("map.svg", svg, "image/svg+xml"),
            "qr": qr,
            "map_w": round(map_w, 1),
            "map_h": round(map_h, 1),
        },
        "places": [place_ctx(model, p) for p in d.places],
        "paper": size,
        "orientation": orientation,
        "scale": round(scale, 3),
    }
    html = env.get_template("print/district.html").render(**ctx)
    return _render_pdf(html, assets, path, f"district-{d.slug}-{size}")


def _index_groups(model: PrintModel, places: list[PublicPlace]) -> list[dict]:
    """Places of one index heading, grouped by district: the page number is looked up once per district
    (one target-counter per group, not per place, keeps WeasyPrint fast) and the reader sees at once
    which of them are near home."""
    groups = []
    for d in model.districts:
        mine = [p for p in places if p.areas.get(model.district_tier.id, ("", ""))[0] == d.id]
        if mine:
            groups.append(
                {
                    "anchor": f"d-{d.index}",
                    "name": d.name,
                    "items": [
                        {"n": p.number, "name": p.name, "paused": p.status == STATUS_PAUSED} for p in mine
                    ],
                }
            )
    rest = [p for p in places if model.district_tier.id not in p.areas]
    if rest:
        groups.append(
            {
                "anchor": "outside",
                "name": f"{model.district_tier.label}の外",
                "items": [{"n": p.number, "name": p.name, "paused": p.status == STATUS_PAUSED} for p in rest],
            }
        )
    return groups


def _index_entries(model: PrintModel) -> tuple[list[dict], list[dict]]:
    """The two indexes: by category and by weekday (from the parsed schedule; the rest under 不定期)."""
    places = model.edition.places
    by_cat = []
    for c in model.project.categories:
        mine = [p for p in places if p.category == c.id]
        if mine:
            by_cat.append(
                {"label": c.label, "color": c.color, "count": len(mine), "groups": _index_groups(model, mine)}
            )
    by_day = []
    for wd, label in enumerate(WEEKDAYS_JA):
        mine = [p for p in places if wd in weekdays_of(p)]
        by_day.append({"label": f"{label}曜日", "count": len(mine), "groups": _index_groups(model, mine)})
    other = [p for p in places if not weekdays_of(p)]
    if other:
        by_day.append(
            {
                "label": "曜日が決まっていない・不定期",
                "count": len(other),
                "groups": _index_groups(model, other),
            }
        )
    return by_cat, by_day


def write_guidebook(model: PrintModel, path: Path, env: jinja2.Environment, large: bool = False) -> Path:
    assets = _Assets()
    districts = []
    text_scale = LARGE_MAP_SCALE if large else 1.0
    for d in model.districts:
        w, h = BOOK_MAP_BOX[d.landscape]
        svg = district_map(model, d, (w, h), text_scale)
        districts.append(
            {
                "index": d.index,
                "name": d.name,
                "count": len(d.places),
                "url": d.url,
                "map": assets.add(f"map-{d.index}.svg", svg, "image/svg+xml"),
                "map_w": round(w, 1),
                "map_h": round(h, 1),
                "places": [place_ctx(model, p) for p in d.places],
                "legend": [c for c in _categories_ctx(model, d.places) if c["count"]],
                "paused": any(p.status == STATUS_PAUSED for p in d.places),
                "home": any(p.location_precision == "area" for p in d.places),
                "qr": assets.add(f"qr-{d.index}.svg", qr_svg(d.url), "image/svg+xml")
                if model.project.site.base_url
                else "",
            }
        )
    overview_svg = overview_map_svg(model, 180.0 / text_scale, 200.0 / text_scale, legend=not large)
    overview = assets.add("overview.svg", overview_svg, "image/svg+xml")
    treasures = []
    for p in model.edition.places:
        if not (p.story or p.number in model.photos):
            continue
        ctx = place_ctx(model, p)
        if p.number in model.photos:
            data, w, h = model.photos[p.number]
            ctx["photo"] = assets.add(f"photo-{p.number}.jpg", data, "image/jpeg")
            ctx["photo_portrait"] = h > w
        treasures.append(ctx)
    by_cat, by_day = _index_entries(model)
    ctx = {
        "site": _site_ctx(model),
        "large": large,
        "overview": overview,
        "districts": districts,
        "outside": [place_ctx(model, p) for p in model.outside],
        "categories": _categories_ctx(model),
        "by_category": by_cat,
        "by_weekday": by_day,
        "treasures": treasures,
        "place_count": len(model.edition.places),
        "has_paused": any(p.status == STATUS_PAUSED for p in model.edition.places),
        "has_home": any(p.location_precision == "area" for p in model.edition.places),
        "site_qr": assets.add("site-qr.svg", qr_svg(model.project.site.base_url), "image/svg+xml")
        if model.project.site.base_url
        else "",
    }
    html = env.get_template("print/guidebook.html").render(**ctx)
    return _render_pdf(html, assets, path, "guidebook-large" if large else "guidebook")


_JOBS: list[Callable[[], Path]] = []  # what forked workers run, inherited from the parent process


def _run_job(i: int) -> Path:
    return _JOBS[i]()


def _worker_init() -> None:
    # Ctrl-C is the parent's to handle (it stops the pool, and the staged site is thrown away).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_jobs(jobs: list[Callable[[], Path]], workers: int, progress: Progress) -> list[Path]:
    """Run the jobs one after another, or in `workers` forked processes: they inherit the model, so
    nothing crosses between processes but a job's index and the path it wrote."""
    global _JOBS
    if workers <= 1 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        written = []
        for i, job in enumerate(jobs):
            written.append(job())
            progress("print", i + 1, len(jobs))
        return written
    _JOBS = jobs
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            min(workers, len(jobs)), mp_context=context, initializer=_worker_init
        ) as pool:
            # the guidebooks (last in the list, and the longest) start first; the sheets fill in around them
            futures = {pool.submit(_run_job, i): i for i in reversed(range(len(jobs)))}
            results: dict[int, Path] = {}
            for done, future in enumerate(as_completed(futures), 1):
                results[futures[future]] = future.result()
                progress("print", done, len(jobs))
        return [results[i] for i in range(len(jobs))]
    finally:
        _JOBS = []


@contextlib.contextmanager
def _source_date(day: date | str) -> Iterator[None]:
    """Font subsets carry a creation time (fontTools reads SOURCE_DATE_EPOCH): pin it to the edition date so
    two builds of one edition give the same PDF bytes, whenever and wherever they run."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def write_prints(
    edition: Edition,
    out: Path,
    sizes: tuple[str, ...] = ("A4",),
    progress: Progress = _quiet,
    *,
    kinds: tuple[str, ...] = KINDS,
    tiles: TileCache | None = None,
    workers: int = 1,
) -> list[Path]:
    """Write the printed products into `out` (the site's print/ folder) and return the paths written:
    a district sheet per 第2層 area and paper size, the guidebook, the large-print guidebook (`kinds`
    chooses among them) and index.html. `tiles` draws a basemap from a local tile folder; by default
    the maps are drawn from the boundaries alone and nothing is fetched. `workers` > 1 makes the PDFs in
    that many processes at once (each PDF is made on its own, so the files are the same either way)."""
    unknown = [s for s in sizes if s not in PAPER_MM] + [k for k in kinds if k not in KINDS]
    if unknown or not sizes:
        raise OutputError(
            f"印刷の指定 {', '.join(unknown) or '（用紙なし）'} には対応していません"
            f"（用紙は A4・A3、種類は {', '.join(KINDS)}） / unknown paper size or print kind"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(edition, out.parent / "photos", tiles)
    env = make_print_environment()
    jobs: list[Callable[[], Path]] = []
    if "districts" in kinds:
        jobs += [
            partial(write_district, model, d, out / district_pdf_name(d.id, size), size, env)
            for d in model.districts
            for size in sizes
        ]
    if "guidebook" in kinds:
        jobs.append(partial(write_guidebook, model, out / GUIDEBOOK, env))
    if "guidebook-large" in kinds:
        jobs.append(partial(write_guidebook, model, out / GUIDEBOOK_LARGE, env, large=True))
    with _source_date(model.today):
        written = _run_jobs(jobs, workers, progress)

    def kb(name: str) -> int:
        path = out / name
        return math.ceil(path.stat().st_size / 1024) if path.is_file() else 0

    index = out / "index.html"
    index.write_text(
        env.get_template("print/index.html").render(
            site=_site_ctx(model),
            districts=[
                {
                    "name": d.name,
                    "count": len(d.places),
                    "files": [
                        {"size": s, "name": district_pdf_name(d.id, s), "kb": kb(district_pdf_name(d.id, s))}
                        for s in sizes
                        if kb(district_pdf_name(d.id, s))
                    ],
                }
                for d in model.districts
            ],
            guidebook={"name": GUIDEBOOK, "kb": kb(GUIDEBOOK)},
            guidebook_large={"name": GUIDEBOOK_LARGE, "kb": kb(GUIDEBOOK_LARGE)},
        ),
        encoding="utf-8",
    )
    written.append(index)
    return written
