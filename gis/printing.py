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
matplotlib in a metric CRS, as SVG so they stay sharp (gis/printmap.py), over a street basemap whose tiles
are fetched once and kept in the project (gis/basemap.py; [print] basemap in takara.toml). Text is set in
Noto Sans CJK JP (Debian fonts-noto-cjk), embedded as a subset.
Only PublicPlace fields are read: privacy has already decided what may be printed. Output depends only
on the edition (dates come from the config), so two builds give byte-identical PDFs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import jinja2
import markupsafe
import numpy as np
from pyproj import Transformer

from gis import basemap
from gis.basemap import TileCache, project_tiles
from gis.config import Category, Project, Tier
from gis.edition import Edition
from gis.errors import OutputError
from gis.output import RenderCache, run_jobs
from gis.place import STATUS_PAUSED, PublicPlace
from gis.printbase import PrintLayer, load_layers, text_width_mm
from gis.printmap import (  # noqa: F401  (NO_LINE_START, wrap_ja, SPLIT_AT: the tests' imports)
    NO_LINE_START,
    SPLIT_AT,
    MapPart,
    cover_map_svg,
    district_map_svg,
    overview_map_svg,
    qr_svg,
    split_district,
    wrap_ja,
)
from gis.printpdf import (
    TEMPLATE_ROOT,
    Assets,
    PdfSource,
    cached_map,
    map_inputs_key,
    renderer_fingerprint,
    source_date,
)
from gis.report import Issue
from gis.typography import phrases
from gis.view import slug

GUIDEBOOK = "guidebook.pdf"
GUIDEBOOK_LARGE = "guidebook-large.pdf"
KINDS = ("districts", "guidebook", "guidebook-large")
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
SHEET_MARGIN_MM = 10.0  # district sheet margins (district.html uses the same)
SHEET_HEADER_MM = 33.0  # title band above the map on the district sheet (district.html: 31 mm + 2 mm)
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")

Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


# ---------------------------------------------------------------- names the website shares


def district_url(project: Project, area_id: str) -> str:
    """The district's page on the published site (districts/<slug>/, as gis.pages writes it); relative
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
    """Like the site's environment (autoescape, undefined names are errors), rooted at site_template/;
    the `phrases` filter keeps each phrase of a heading, label or list cell on one line."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_ROOT)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["phrases"] = phrase_spans
    return env


PHRASE_MAX = 14  # a longer phrase (a URL, a long name) may still break inside rather than overflow


def phrase_spans(text: Any) -> markupsafe.Markup:
    """Text as HTML whose lines break only between phrases (gis.typography: BudouX and 禁則): each phrase
    is a span that does not wrap (print.css .ph)."""
    out = []
    for piece in phrases(str(text or "")):
        escaped = markupsafe.escape(piece)
        short = len(piece.strip()) > 1 and len(piece) <= PHRASE_MAX
        out.append(markupsafe.Markup('<span class="ph">{}</span>').format(escaped) if short else escaped)
    return markupsafe.Markup("").join(out)


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
    maps: dict[tuple, bytes] = field(default_factory=dict)  # (w, h, text scale, part) -> SVG
    parts: list[MapPart] = field(default_factory=list)  # a crowded district's sheets, by finer-tier area


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
    layers: list[PrintLayer] = field(default_factory=list)
    map_cache: RenderCache | None = None  # maps drawn before, found by map_key (gis.printpdf.cached_map)
    map_key: str = ""

    @property
    def today(self) -> str:
        return self.edition.date.isoformat()


def build_model(
    edition: Edition, photos: dict[int, Path] | None = None, tiles: TileCache | None = None
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
        districts.append(
            District(
                i,
                area_id,
                str(row.area_name),
                slug(area_id),
                district_url(project, area_id),
                mine,
                row.geometry,
                landscape=is_landscape(row.geometry),
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
    model.photos = _load_photos(photos)
    model.tiles = tiles
    model.layers = load_layers(project, crs, tolerance)
    for d in districts:
        d.parts = split_district(model, d)
    return model


def _load_photos(photos: dict[int, Path] | None) -> dict[int, tuple[bytes, int, int]]:
    """The photos the photos stage published (number -> its large JPEG, metadata already stripped): the
    one decision of which photo may be shown is made there."""
    from PIL import Image

    out: dict[int, tuple[bytes, int, int]] = {}
    for number, path in sorted((photos or {}).items()):
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            out[number] = (data, im.width, im.height)
    return out


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
        # no published phone: the district's coordinator, so a printed list always says whom to ask
        "contact": ""
        if p.phone
        else (c.short() if (c := model.project.site.contact_for(district[0])) else ""),
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
        # the demo's base_url is no real address: its QR codes say so
        "placeholder_url": site.fictional and bool(site.base_url),
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


LARGE_MAP_SCALE = 1.5  # the large-print guidebook's maps: every label and marker half as big again
# guidebook map box (mm) by landscape or not; the large print leaves room for its legend on the same page
BOOK_MAP_BOX = {True: (180.0, 160.0), False: (180.0, 205.0)}
LARGE_MAP_BOX = {True: (180.0, 115.0), False: (170.0, 160.0)}


def is_landscape(geometry: Any) -> bool:
    minx, miny, maxx, maxy = geometry.bounds
    return (maxx - minx) > (maxy - miny)


def sheet_map_box(landscape: bool) -> tuple[float, float]:
    """The map's box on an A4 district sheet (mm): the page less margins and the title band."""
    paper_w, paper_h = PAPER_MM["A4"]
    if landscape:
        paper_w, paper_h = paper_h, paper_w
    return paper_w - 2 * SHEET_MARGIN_MM, paper_h - 2 * SHEET_MARGIN_MM - SHEET_HEADER_MM


def district_map(
    model: PrintModel,
    d: District,
    box: tuple[float, float],
    text_scale: float = 1.0,
    part: MapPart | None = None,
) -> bytes:
    """The district's map (or one part's, or with part=None on a split district its overview) as SVG for
    a box of box[0] × box[1] mm, made once per box, text scale and part. A larger text scale draws it on a
    proportionally smaller figure, which the page then enlarges; its legend is then left to the page."""
    key = (box[0], box[1], text_scale, part.number if part else 0)
    if key not in d.maps:
        d.maps[key] = cached_map(
            model,
            f"{d.slug}-{'-'.join(map(str, key))}",
            partial(
                district_map_svg,
                model,
                d,
                box[0] / text_scale,
                box[1] / text_scale,
                legend=text_scale == 1.0,
                part=part,
                parts=d.parts if part is None else None,
            ),
        )
    return d.maps[key]


def map_sheets(d: District) -> list[tuple[MapPart | None, bool, str]]:
    """The map pages of a district: (part, landscape, title). One for a district that fits; an overview
    and one per part for a crowded one."""
    if not d.parts:
        return [(None, d.landscape, "")]
    overview = [(None, d.landscape, f"全体図（{len(d.parts)}枚の地図に分けています）")]
    return overview + [(part, is_landscape(part.geometry), part.title) for part in d.parts]


def write_district(model: PrintModel, d: District, path: Path, size: str, env: jinja2.Environment) -> Path:
    return district_source(model, d, size, env).render(path)


def district_source(model: PrintModel, d: District, size: str, env: jinja2.Environment) -> PdfSource:
    """The district sheet's HTML and images (its maps drawn here: the costly part before WeasyPrint)."""
    assets = Assets()
    scale = PAPER_MM[size][0] / PAPER_MM["A4"][0]
    qr = assets.add("qr.svg", qr_svg(d.url), "image/svg+xml") if model.project.site.base_url else ""
    sheets = []
    for i, (part, landscape, title) in enumerate(map_sheets(d)):
        box = sheet_map_box(landscape)
        svg = district_map(model, d, box, part=part)  # drawn for A4; A3 enlarges it, labels and all
        # A long name gets a smaller title rather than a second line (the band's height is fixed).
        title_pt = min(20.0, (box[0] - 75) / text_width_mm(f"{d.name} 宝物マップ", 1))
        sheets.append(
            {
                "title": title,
                "orientation": "landscape" if landscape else "portrait",
                "title_pt": round(title_pt, 1),
                "map": assets.add(f"map-{i}.svg", svg, "image/svg+xml"),
                # a little under the box, so that rounding can never push the map onto a page of its own
                "map_w": round(box[0] * scale - 0.5, 1),
                "map_h": round(box[1] * scale - 0.5, 1),
                "numbers": [p.number for p in part.places] if part else [],
            }
        )
    ctx = {
        "site": _site_ctx(model),
        "district": {"name": d.name, "id": d.id, "url": d.url, "count": len(d.places), "qr": qr},
        "sheets": sheets,
        "places": [place_ctx(model, p) for p in d.places],
        "paper": size,
        "scale": round(scale, 3),
    }
    html = env.get_template("print/district.html").render(**ctx)
    return PdfSource(html, assets, f"district-{d.slug}-{size}")


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


def _district_book_ctx(model: PrintModel, d: District, assets: Assets, large: bool) -> dict:
    text_scale = LARGE_MAP_SCALE if large else 1.0
    maps = []
    for part, landscape, title in map_sheets(d):
        w, h = (LARGE_MAP_BOX if large else BOOK_MAP_BOX)[landscape]
        svg = district_map(model, d, (w, h), text_scale, part=part)
        maps.append(
            {
                "title": title,
                "src": assets.add(f"map-{d.index}-{part.number if part else 0}.svg", svg, "image/svg+xml"),
                "w": round(w, 1),
                "h": round(h, 1),
            }
        )
    return {
        "index": d.index,
        "name": d.name,
        "count": len(d.places),
        "url": d.url,
        "maps": maps,
        "places": [place_ctx(model, p) for p in d.places],
        "legend": [c for c in _categories_ctx(model, d.places) if c["count"]],
        "layers": [
            {"name": layer.name, "style": layer.style, "color": layer.color} for layer in model.layers
        ],
        "paused": any(p.status == STATUS_PAUSED for p in d.places),
        "home": any(p.location_precision == "area" for p in d.places),
        "treasures": _treasures(model, d.places, assets),
        "qr": assets.add(f"qr-{d.index}.svg", qr_svg(d.url), "image/svg+xml")
        if model.project.site.base_url
        else "",
    }


def _treasures(model: PrintModel, places: list[PublicPlace], assets: Assets) -> list[dict]:
    """The stories and photos of these places, for the pages beside their district's map and list."""
    treasures = []
    for p in places:
        if not (p.story or p.number in model.photos):
            continue
        ctx = place_ctx(model, p)
        if p.number in model.photos:
            data, w, h = model.photos[p.number]
            ctx["photo"] = assets.add(f"photo-{p.number}.jpg", data, "image/jpeg")
            ctx["photo_portrait"] = h > w
        treasures.append(ctx)
    return treasures


def write_guidebook(model: PrintModel, path: Path, env: jinja2.Environment, large: bool = False) -> Path:
    return guidebook_source(model, env, large).render(path)


def guidebook_source(model: PrintModel, env: jinja2.Environment, large: bool = False) -> PdfSource:
    """The guidebook's HTML and images: every district's maps, the overview, the cover."""
    assets = Assets()
    text_scale = LARGE_MAP_SCALE if large else 1.0
    districts = [_district_book_ctx(model, d, assets, large) for d in model.districts]
    overview_svg = cached_map(
        model,
        f"overview-{text_scale}",
        partial(overview_map_svg, model, 180.0 / text_scale, 200.0 / text_scale, legend=not large),
    )
    overview = assets.add("overview.svg", overview_svg, "image/svg+xml")
    cover = assets.add(
        "cover.svg",
        cached_map(
            model,
            f"cover-{large}",
            partial(cover_map_svg, model, 170.0, 120.0, label_pt=15.0 if large else 12.0),
        ),
        "image/svg+xml",
    )
    by_cat, by_day = _index_entries(model)
    ctx = {
        "site": _site_ctx(model),
        "large": large,
        "overview": overview,
        "cover_map": cover,
        "districts": districts,
        "outside": [place_ctx(model, p) for p in model.outside],
        "outside_treasures": _treasures(model, model.outside, assets),
        "categories": _categories_ctx(model),
        "by_category": by_cat,
        "by_weekday": by_day,
        "treasure_count": sum(len(d["treasures"]) for d in districts),
        "place_count": len(model.edition.places),
        "has_paused": any(p.status == STATUS_PAUSED for p in model.edition.places),
        "has_home": any(p.location_precision == "area" for p in model.edition.places),
        "site_qr": assets.add("site-qr.svg", qr_svg(model.project.site.base_url), "image/svg+xml")
        if model.project.site.base_url
        else "",
    }
    html = env.get_template("print/guidebook.html").render(**ctx)
    return PdfSource(html, assets, "guidebook-large" if large else "guidebook")


def _probe_tiles(edition: Edition, tiles: TileCache) -> None:
    """Ask for one tile in the middle of the municipality before the PDFs are made in parallel: when it
    cannot be had, no worker asks again, every map says 背景地図なし, and the report tells why."""
    top = edition.boundaries[edition.project.top_tier.id].to_crs(4326)
    west, south, east, north = top.total_bounds
    z = min(14, max(tiles.zooms() or [0]))
    x, y = basemap.tile_xy((west + east) / 2, (south + north) / 2, z)
    tiles.tile(z, int(x), int(y))
    if tiles.failure:
        edition.report.add(
            Issue(
                "warning",
                edition.project.config_path.name,
                None,
                "print.basemap",
                "背景地図のタイルを取得できなかったため、印刷用の地図は区域の境界と道路・目印のデータだけで作りました"
                f"（{tiles.failure}）。インターネットにつながる所で作り直すと、背景地図が入ります",
                f"basemap tiles could not be fetched ({tiles.failure}); printed maps show outlines only",
            )
        )


def default_cache(edition: Edition) -> RenderCache:
    """The PDFs of the last build, kept in the project beside the report (never in the site)."""
    return RenderCache(edition.project.root / ".takara" / "cache" / "print")


def _make_pdf(prepare: Callable[[], PdfSource], path: Path, cache: RenderCache, renderer: str) -> bool:
    """One job: draw the maps and fill the template, then render, unless last build's PDF has the same
    key. True when WeasyPrint ran."""
    source = prepare()
    return cache.make(path.name, source.key(renderer), path, source.render)


def write_prints(
    edition: Edition,
    out: Path,
    sizes: tuple[str, ...] = ("A4",),
    progress: Progress = _quiet,
    *,
    kinds: tuple[str, ...] = KINDS,
    tiles: TileCache | None = None,
    workers: int | None = None,
    cache: RenderCache | None = None,
    photos: dict[int, Path] | None = None,
) -> list[Path]:
    """Write the printed products into `out` (the site's print/ folder) and return the paths written:
    a district sheet per 第2層 area and paper size, the guidebook, the large-print guidebook (`kinds`
    chooses among them) and index.html. `photos`: the photos stage's large JPEG of each place that has one
    (gis.photos.large_files). The street basemap comes from `tiles` when given, else from the
    project's [print] settings (fetched once into its tile cache); when no tile can be had, the maps are
    drawn from outlines and vector layers, and the report says so.
    The PDFs are made in `workers` processes at once (None: every usable CPU; 1: this process only);
    each is made on its own, so the files are the same bytes either way. A PDF whose HTML and images
    are what they were last build is taken from `cache` (default: the project's .takara/cache/print)
    instead of being rendered again; cache.rendered and cache.reused then name what was which."""
    unknown = [s for s in sizes if s not in PAPER_MM] + [k for k in kinds if k not in KINDS]
    if unknown or not sizes:
        raise OutputError(
            f"印刷の指定 {', '.join(unknown) or '（用紙なし）'} には対応していません"
            f"（用紙は A4・A3、種類は {', '.join(KINDS)}） / unknown paper size or print kind"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = default_cache(edition) if cache is None else cache
    if tiles is None:
        tiles = project_tiles(edition.project.printing, edition.project.root)
    if tiles is not None:
        _probe_tiles(edition, tiles)
    model = build_model(edition, photos, tiles)
    model.map_cache, model.map_key = cache, map_inputs_key(model)
    env = make_print_environment()
    # the guidebooks first: they take longest, and the sheets fill in around them
    jobs: list[tuple[Path, Callable[[], PdfSource]]] = []
    if "guidebook" in kinds:
        jobs.append((out / GUIDEBOOK, partial(guidebook_source, model, env)))
    if "guidebook-large" in kinds:
        jobs.append((out / GUIDEBOOK_LARGE, partial(guidebook_source, model, env, large=True)))
    if "districts" in kinds:
        jobs += [
            (out / district_pdf_name(d.id, size), partial(district_source, model, d, size, env))
            for d in model.districts
            for size in sizes
        ]
    renderer = renderer_fingerprint()
    with source_date(model.today):
        rendered = run_jobs(
            [partial(_make_pdf, prepare, path, cache, renderer) for path, prepare in jobs],
            workers,
            lambda done, total: progress("print", done, total),
        )
    for (path, _), made in zip(jobs, rendered):
        cache.tally(path.name, made)
    books = {GUIDEBOOK, GUIDEBOOK_LARGE}
    written = [p for p, _ in jobs if p.name not in books] + [p for p, _ in jobs if p.name in books]
    return [*written, _write_index(model, env, out, sizes)]


def _write_index(model: PrintModel, env: jinja2.Environment, out: Path, sizes: tuple[str, ...]) -> Path:
    """print/index.html: every PDF with its size in kB."""

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
    return index
