"""The static website: page contexts, Jinja rendering, assets and the map's data files.

Layout of the written site (all links are relative, so it works from any folder or sub-path):

    index.html                         第1層: the whole map, the 一覧表, the district index
    districts/<area>/index.html        every area of the district tier (第2層)
    areas/<tier>-<area>/index.html     areas of finer tiers (第3層 …) holding at least one place, and of
                                       the top tier when it has more than one area (flat, and two folders
                                       deep like districts/, so one rendering of a list entry serves both)
    places/<number>/index.html         every published place
    data/index.json                    compact columnar index for the map (numbers, points, filter bits)
    data/overview.json                 the first view's clusters, made at build time (painted before index.json)
    data/search.json                   normalised search text, same order (fetched only when searching)
    data/districts/<area>.json         per-district details, fetched when a popup is opened
    data/places.geojson, places.csv    open data (published places only)
    data/boundaries/<tier>.geojson     each tier's areas, simplified a little
    data/overlays/<id>.geojson         the project's overlays
    photos/<number>-s.jpg, -l.jpg      re-encoded photos without metadata
    assets/                            CSS, JS, vendored Leaflet and supercluster with their licences

Only `PublicPlace` fields are read (privacy has already decided). Record text is never assembled into
HTML here: templates escape it (autoescape) and the JS sets it with textContent.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import importlib
import importlib.util
import io
import json
import math
import multiprocessing
import os
import re
import shutil
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import jinja2
import numpy as np
import shapely
from markupsafe import Markup

from gis.config import Category, Project, Tier
from gis.edition import Edition
from gis.geojson import geometry_json
from gis.place import STATUS_PAUSED, VENUE_ONLINE, PublicPlace
from gis.report import Issue
from gis.residents import PlaceCalendar
from gis.table import published_columns
from gis.textsafe import csv_cell
from gis.typography import phrases

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
DEFAULT_LANG = "ja"
SITE_LANGS = ("ja", "en")  # one build writes the default language at the root and each other under <lang>/
ONLINE_LIST_LIMIT = 200  # groups meeting online, listed under the map (they have no point on it)
FULL_LIST_LIMIT = 2000  # index.html lists every place in HTML up to this many; beyond, a district index
NO_DISTRICT = (
    "_none"  # detail file for places outside every district (cannot clash: slugs never start with _)
)
BOUNDARY_DECIMALS = 5  # ~1 m: plenty for an outline, and keeps the files small
BOUNDARY_TOLERANCE = 0.00002  # degrees (~2 m): "simplified a little"
VENDOR_FOR_SITE = ("leaflet", "supercluster")  # axe-core stays test-only
DISTRICT_INDEX_LIMIT = 500  # beyond this many districts, index.html links the 第1層 pages (which list theirs)
OVERVIEW_CELL_PX = 80  # grid cell of the build-time clusters: a little wider than supercluster's radius
OVERVIEW_MAX_CELLS = 1500  # per zoom level; finer levels are left to the browser's supercluster
OVERVIEW_ZOOMS = range(4, 15)  # the map's minZoom to the last clustered zoom (takara.js CLUSTER_MAX = 14)
FLAG_FREE, FLAG_ACTIVE, FLAG_PAUSED, FLAG_STALE, FLAG_AREA, FLAG_PHOTO = 1, 2, 4, 8, 16, 32
FLAG_ONLINE = 64  # met online: in the list, not on the map
PERIOD_BITS = {"morning": 1, "afternoon": 2, "evening": 4}
TILE_HOSTS = ("https://cyberjapandata.gsi.go.jp", "https://tile.openstreetmap.org")
# The open-data files a page may link to, when some stage wrote them (label keys in the catalogue).
DOWNLOADS = (
    ("places.geojson", "data.geojson"),
    ("places.csv", "data.csv"),
    ("places.xlsx", "data.xlsx"),
    ("places.ics", "data.ics"),
    ("metadata.json", "data.metadata"),
)


@dataclass
class SiteResult:
    """What render_site wrote (figures for the CLI and the benchmark)."""

    pages: int = 0
    places: int = 0
    photos: int = 0
    files: dict[str, int] = field(default_factory=dict)  # relative path -> bytes, for the key files


# ---------------------------------------------------------------- small helpers


def slug(area_id: str) -> str:
    """A folder name for an area id: kept when already safe, else a stable hash (ids can be Japanese,
    or hold / and .., which must never become a path)."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", area_id) and ".." not in area_id:
        return area_id
    return "a" + hashlib.sha1(area_id.encode("utf-8")).hexdigest()[:12]


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with a #RRGGBB background (WCAG relative luminance)."""
    rgb = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def phone_href(phone: str) -> str:
    digits = re.sub(r"[^0-9+]", "", unicodedata.normalize("NFKC", phone))
    return f"tel:{digits}" if len(digits) >= 5 else ""


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _dump_to(path: Path, data: Any) -> int:
    """JSON straight into the file (as _dumps would write it, without one big string in memory)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
    return path.stat().st_size


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


class Catalogue:
    """Interface strings of one language (site_template/i18n/<lang>.json). A missing key is a bug in a
    template, so it raises instead of showing the key."""

    def __init__(self, lang: str):
        self.lang = lang
        self.path = TEMPLATE_ROOT / "i18n" / f"{lang}.json"
        self.strings: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"{self.path.name}: no string {key!r}") from None
        return text.format(**values) if values else text

    def date(self, iso: str) -> str:
        if not iso:
            return ""
        y, m, d = (int(x) for x in str(iso).split("-"))
        return self("date.format", y=y, m=m, d=d)


def make_environment(catalogue: Catalogue) -> jinja2.Environment:
    """The one Jinja environment: autoescape everywhere, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_ROOT / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["t"] = catalogue
    # Labels used inside per-place loops, looked up once (a call per label would cost 100,000 calls each).
    env.globals["L"] = SimpleNamespace(
        **{
            k: Markup.escape(catalogue(v))
            for k, v in {
                "number": "field.number",
                "show_on_map": "list.show_on_map",
                "breadcrumb": "breadcrumb.label",
                "stale_long": "status.stale_long",
                "phone": "field.phone",
                "noscript": "map.noscript",
                "area_precision": "place.area_precision",
                "areas": "place.areas",
                "back_home": "place.back_home",
                "calendar": "place.calendar",
                "calendar_noscript": "place.calendar_noscript",
                "where": "field.where",
                "contact": "field.contact",
                "contact_note": "contact.note",
            }.items()
        }
    )
    env.globals["PATH_MARK"] = PATH_MARK  # where the shared place-page chrome takes each page's own path
    env.globals["lang"] = catalogue.lang
    env.filters["jdate"] = catalogue.date
    env.filters["phrases"] = phrase_markup
    return env


def phrase_markup(text: Any) -> Markup:
    """Text with a <wbr> between its phrases (gis.typography.phrases): with the site's CSS (word-break:
    keep-all) a line breaks only there, so headings and labels never break as デ/モ, 500/円 or ス/ーパー."""
    if text is None or text == "":
        return Markup("")
    return Markup("<wbr>").join(Markup.escape(piece) for piece in phrases(str(text)))


# ---------------------------------------------------------------- the model of the site


@dataclass
class Area:
    tier: Tier
    id: str
    name: str
    slug: str
    url: str  # root-relative folder ("districts/a1/"), or "" when the area has no page
    depth: int  # how many folders below the root its page is
    parents: dict[str, str]  # coarser tier id -> area id
    label_point: tuple[float, float]  # lon, lat
    places: list[PublicPlace] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: str
    label: str
    icon: str
    color: str
    fg: str  # text colour on `color` (black or white, whichever contrasts more)


@dataclass(slots=True)
class PlaceView:
    """What the templates and detail files show of one place. Slots, not a dict: 100,000 of them stay
    in memory through the build, and attribute access is Jinja's fast path."""

    n: int
    name: str
    title: str  # "No.12 name"
    cat: CategoryView
    status: str
    paused: bool
    stale: bool
    badges: list[tuple[str, str]]  # (css class, text)
    facts_short: list[tuple[str, str]]  # (label, value) for the 一覧表
    facts: list[tuple[str, str]]  # (label, value) for the place page
    schedule: str
    schedule_written: str
    target: str
    fee: str
    activities: str
    venue: str
    address: str
    phone: str
    phone_href: str
    organiser: str
    participants: str
    story: str
    confirmed: str
    area_precision: bool
    lat: float
    lon: float
    dkey: str  # detail file (district) key
    photo: dict | None
    crumbs: list[dict]  # shared between places of one neighbourhood
    back: list[dict]
    calendar: PlaceCalendar | None = None  # its own calendar, made in the browser (set in render_pages)
    town: str = ""  # the finest area it lies in (第3層 …)
    district: str = ""  # its district's name
    where: str = ""  # venue · town · district, for cards and the week page
    online: bool = False  # met online: listed, never placed on the map
    contact: dict | None = None  # the district's coordinator, when the place publishes no phone

    @property
    def url(self) -> str:
        return f"places/{self.n}/"


class SiteModel:
    """Everything the pages and data files are made from, computed once."""

    def __init__(self, edition: Edition, catalogue: Catalogue):
        self.edition = edition
        self.project: Project = edition.project
        self.t = catalogue
        self.places = sorted(edition.places, key=lambda p: p.number)
        self.categories = list(self.project.categories)
        self.cat_index = {c.id: i for i, c in enumerate(self.categories)}
        self.cat_ctx = [self._category_ctx(c) for c in self.categories]
        self.tiers = list(self.project.tiers)
        self.district_tier = self.project.district_tier
        self.areas: dict[str, dict[str, Area]] = {t.id: self._areas_of(t) for t in self.tiers}
        for p in self.places:
            for tier_id, (area_id, _) in p.areas.items():
                area = self.areas.get(tier_id, {}).get(area_id)
                if area is not None:
                    area.places.append(p)
        # Finer-tier pages only where something is to be found (a city has thousands of 町丁目).
        for tier in self.tiers:
            if tier.level > self.district_tier.level:
                for area in self.areas[tier.id].values():
                    if not area.places:
                        area.url = ""
        self.districts = list(self.areas[self.district_tier.id].values())
        self.district_key = {a.id: a.slug for a in self.districts}
        self.photos: dict[int, dict] = {}
        self.labels = {
            k: catalogue(f"field.{k}")
            for k in (
                "schedule",
                "schedule_written",
                "target",
                "fee",
                "activities",
                "venue",
                "address",
                "organiser",
                "participants",
                "status",
                "confirmed",
            )
        }
        self.labels.update(paused=catalogue("status.paused"), stale=catalogue("status.stale"))
        self._contexts: list[PlaceView] | None = None
        self._links: dict[tuple[str, str], dict] = {}
        self._crumbs: dict[tuple, tuple[list[dict], list[dict]]] = {}
        self._schedules: dict[int, dict] = {}
        self._geoms: dict[str, dict[str, shapely.Geometry]] = {}
        self._described: dict[str, str] = {}
        self._children: dict[str, dict[str, list[Area]]] = {}

    @property
    def contexts(self) -> list[PlaceView]:
        """place_ctx of every place, in number order (computed once, after the photos are known)."""
        if self._contexts is None:
            self._contexts = [self.place_ctx(p) for p in self.places]
        return self._contexts

    # -- areas

    def _areas_of(self, tier: Tier) -> dict[str, Area]:
        gdf = self.edition.boundaries[tier.id]
        top = self.project.top_tier
        single_top = tier.id == top.id and len(gdf) == 1 and tier.id != self.district_tier.id
        # columns read as lists: tier ids may hold "-", which itertuples cannot name
        parent_cols = {
            c[len("parent_") :]: [v if isinstance(v, str) else "" for v in gdf[c].tolist()]
            for c in gdf.columns
            if c.startswith("parent_")
        }
        points = gdf.geometry.representative_point()
        out: dict[str, Area] = {}
        for i, (raw_id, raw_name) in enumerate(zip(gdf["area_id"].tolist(), gdf["area_name"].tolist())):
            area_id, name = str(raw_id), str(raw_name)
            s = slug(area_id)
            if tier.id == self.district_tier.id:
                url, depth = f"districts/{s}/", 2
            elif single_top:
                url, depth = "", 0  # index.html is the only 第1層 area's page
            else:
                url, depth = f"areas/{tier.id}-{s}/", 2  # depth 2 like districts/: list entries are shared
            parents = {tier_id: values[i] for tier_id, values in parent_cols.items()}
            pt = points.iloc[i]
            out[area_id] = Area(tier, area_id, name, s, url, depth, parents, (pt.x, pt.y))
        return dict(sorted(out.items()))

    def area_link(self, tier_id: str, area_id: str) -> dict:
        key = (tier_id, area_id)
        link = self._links.get(key)
        if link is None:
            area = self.areas.get(tier_id, {}).get(area_id)
            tier = next(t for t in self.tiers if t.id == tier_id)
            if area is None:
                link = {"tier": tier.name, "name": area_id, "url": ""}
            else:
                url = area.url if area.url else ("" if tier_id != self.project.top_tier.id else "index.html")
                link = {"tier": tier.name, "name": area.name, "url": url}
            self._links[key] = link
        return link

    def crumbs_of(self, p: PublicPlace) -> tuple[list[dict], list[dict]]:
        """Breadcrumbs (coarsest first) and back links (finest first) of a place; shared between the many
        places of one neighbourhood."""
        key = tuple(p.areas.get(tr.id, ("", ""))[0] for tr in self.tiers)
        hit = self._crumbs.get(key)
        if hit is None:
            crumbs = [self.area_link(tr.id, p.areas[tr.id][0]) for tr in self.tiers if tr.id in p.areas]
            back = [
                {"url": c["url"], "label": self.t("place.back_area", name=c["name"])}
                for c in reversed(crumbs)
                if c["url"] and c["url"] != "index.html"
            ]
            hit = self._crumbs[key] = (crumbs, back)
        return hit

    def geometry(self, tier_id: str, area_id: str) -> shapely.Geometry:
        if tier_id not in self._geoms:
            gdf = self.edition.boundaries[tier_id]
            self._geoms[tier_id] = dict(zip(gdf["area_id"].astype(str), gdf.geometry))
        return self._geoms[tier_id][area_id]

    def children(self, tier_id: str, child_tier_id: str) -> dict[str, list[Area]]:
        """Areas of `child_tier_id` grouped by their parent in `tier_id` (once per pair of tiers)."""
        key = f"{tier_id}>{child_tier_id}"
        if key not in self._children:
            groups: dict[str, list[Area]] = {}
            for child in self.areas[child_tier_id].values():
                groups.setdefault(child.parents.get(tier_id, ""), []).append(child)
            self._children[key] = groups
        return self._children[key]

    def schedule_json(self, p: PublicPlace) -> dict | None:
        """Schedule.to_json() of a place, computed once (the index and the GeoJSON both use it)."""
        if p.schedule is None:
            return None
        hit = self._schedules.get(p.number)
        if hit is None:
            hit = self._schedules[p.number] = p.schedule.to_json()
        return hit

    # -- categories and places

    def _category_ctx(self, c: Category) -> CategoryView:
        return CategoryView(c.id, c.label, c.icon, c.color, text_colour(c.color))

    def category_of(self, p: PublicPlace) -> CategoryView:
        i = self.cat_index.get(p.category)
        if i is None:  # validation should have caught it; show the raw id rather than fail the build
            return CategoryView("", p.category, "●", "#555555", "#ffffff")
        return self.cat_ctx[i]

    def district_of(self, p: PublicPlace) -> str:
        hit = p.areas.get(self.district_tier.id)
        return self.district_key.get(hit[0], NO_DISTRICT) if hit else NO_DISTRICT

    def schedule_text(self, p: PublicPlace) -> str:
        """Plain words for the schedule when it was understood, else the text as written. Cached by text:
        coordinators write the same few phrases again and again."""
        if p.schedule is None or not getattr(p.schedule, "parsed", False):
            return p.schedule_text
        hit = self._described.get(p.schedule_text)
        if hit is None:
            hit = self._described[p.schedule_text] = p.schedule.describe(self.t.lang)
        return hit

    def place_ctx(self, p: PublicPlace) -> PlaceView:
        """What a template or a detail file shows of one place. Strings only come from PublicPlace; labels
        are looked up here once, so the templates that run per place stay simple loops."""
        crumbs, back = self.crumbs_of(p)
        town, district = self.where_of(p)
        schedule = self.schedule_text(p)
        written = p.schedule_text if p.schedule_text != schedule else ""
        paused = p.status == STATUS_PAUSED
        confirmed = p.confirmed.isoformat() if p.confirmed else ""
        lb = self.labels
        short = [
            (lb["schedule"], schedule),
            (lb["target"], p.target),
            (lb["fee"], p.fee),
            (lb["activities"], p.activities),
        ]
        # residents see the schedule in plain words; how the record wrote it is for coordinators only
        full = [
            *short,
            (lb["venue"], p.venue),
            (lb["address"], p.address),
            (lb["organiser"], p.organiser),
            (lb["participants"], p.participants),
            (lb["status"], p.status if paused else ""),
            (lb["confirmed"], self.t.date(confirmed) if confirmed else ""),
        ]
        badges = ([("badge-paused", lb["paused"])] if paused else []) + (
            [("badge-stale", lb["stale"])] if p.stale else []
        )
        return PlaceView(
            n=p.number,
            name=p.name,
            title=self.t("place.no", n=p.number) + " " + p.name,
            cat=self.category_of(p),
            status=p.status,
            paused=paused,
            stale=p.stale,
            badges=badges,
            facts_short=[(k, v) for k, v in short if v],
            facts=[(k, v) for k, v in full if v],
            schedule=schedule,
            schedule_written=written,
            target=p.target,
            fee=p.fee,
            activities=p.activities,
            venue=p.venue,
            address=p.address,
            phone=p.phone,
            phone_href=phone_href(p.phone) if p.phone else "",
            organiser=p.organiser,
            participants=p.participants,
            story=p.story,
            confirmed=confirmed,
            area_precision=p.location_precision == "area",
            lat=p.lat,
            lon=p.lon,
            dkey=self.district_of(p),
            photo=self.photos.get(p.number),
            crumbs=crumbs,
            back=back,
            town=town,
            district=district,
            where="・".join(x for x in (p.venue, town, district) if x),
            online=p.venue_kind == VENUE_ONLINE,
            contact=None if p.phone else self.contact_of(p),
        )

    def contact_of(self, p: PublicPlace) -> dict | None:
        """The coordinator a resident asks about a place without a published contact (config
        site.district_contacts, else the first site.contacts entry)."""
        hit = p.areas.get(self.district_tier.id)
        c = self.project.site.contact_for(hit[0] if hit else "")
        if c is None:
            return None
        return {
            "name": c.name,
            "role": c.role,
            "phone": c.phone,
            "phone_href": phone_href(c.phone) if c.phone else "",
            "hours": c.hours,
        }

    def where_of(self, p: PublicPlace) -> tuple[str, str]:
        """(town, district): the names of the finest area and of the district a place lies in."""
        finest = max(self.tiers, key=lambda t: t.level)
        town = p.areas.get(finest.id, ("", ""))[1] if finest.level > self.district_tier.level else ""
        return town, p.areas.get(self.district_tier.id, ("", ""))[1]

    def flags(self, p: PublicPlace) -> int:
        f = 0
        f |= FLAG_FREE if p.is_free else 0
        f |= FLAG_ACTIVE if p.is_active else 0
        f |= FLAG_PAUSED if p.status == STATUS_PAUSED else 0
        f |= FLAG_STALE if p.stale else 0
        f |= FLAG_AREA if p.location_precision == "area" else 0
        f |= FLAG_PHOTO if p.number in self.photos else 0
        f |= FLAG_ONLINE if p.venue_kind == VENUE_ONLINE else 0
        return f


# ---------------------------------------------------------------- data files


def _simplify(geom: shapely.Geometry) -> shapely.Geometry:
    simple = shapely.simplify(geom, BOUNDARY_TOLERANCE, preserve_topology=True)
    return simple if not simple.is_empty else geom


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
                "geometry": geometry_json(_simplify(geoms[area.id]), BOUNDARY_DECIMALS),
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


def initial_bounds(model: SiteModel) -> list[list[float]]:
    """[[south, west], [north, east]] of the places (else of the top tier's areas): the map's first view,
    written into index.html so the map is placed before any data arrives."""
    if model.places:
        lats = [p.lat for p in model.places]
        lons = [p.lon for p in model.places]
        s, n, w, e = min(lats), max(lats), min(lons), max(lons)
    else:
        w, s, e, n = (float(v) for v in model.edition.boundaries[model.project.top_tier.id].total_bounds)
    return [[round(s, 5), round(w, 5)], [round(n, 5), round(e, 5)]]


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
            ("," if k else "") + _dumps(feature) for k, feature in enumerate(geojson_features(model))
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
    features.sort(key=lambda f: _dumps(f))
    return {"type": "FeatureCollection", "name": overlay.id, "features": features}


# ---------------------------------------------------------------- assets


def copy_assets(out: Path, catalogue: Catalogue, env: jinja2.Environment, model: SiteModel) -> None:
    assets = out / "assets"
    shutil.copytree(TEMPLATE_ROOT / "assets", assets, dirs_exist_ok=True)
    for name in VENDOR_FOR_SITE:
        shutil.copytree(TEMPLATE_ROOT / "vendor" / name, assets / "vendor" / name, dirs_exist_ok=True)
    shutil.copy2(TEMPLATE_ROOT / "vendor" / "VERSIONS.md", assets / "vendor" / "VERSIONS.md")
    if catalogue.lang == DEFAULT_LANG:  # browsers ask for /favicon.ico whatever the page says
        shutil.copy2(TEMPLATE_ROOT / "favicon.ico", out / "favicon.ico")
    # The catalogues, as JSON (for a language toggle) and as a script the pages load without a fetch.
    (assets / "i18n").mkdir(exist_ok=True)
    for path in sorted((TEMPLATE_ROOT / "i18n").glob("*.json")):
        lang = path.stem
        strings = json.loads(path.read_text(encoding="utf-8"))
        _write(assets / "i18n" / f"{lang}.json", _dumps(strings))
        _write(
            assets / "i18n" / f"{lang}.js",
            "window.TAKARA_I18N=window.TAKARA_I18N||{};window.TAKARA_I18N["
            + json.dumps(lang)
            + "]="
            + json.dumps(strings, ensure_ascii=True)
            + ";\n",
        )
    # Category colours as classes: a style attribute would need 'unsafe-inline' in the CSP.
    _write(assets / "categories.css", env.get_template("categories.css.j2").render(categories=model.cat_ctx))


def _run_optional_stages(edition: Edition, out: Path, with_print: bool) -> None:
    """Print, export and insight stages, when those modules exist (wired by the lead)."""
    stages = [("gis.export", "write_exports", out / "data"), ("gis.insight", "write_stats", out / "stats")]
    if with_print:
        stages.insert(0, ("gis.printing", "write_prints", out / "print"))
    for module_name, func, target in stages:
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
        except (ImportError, ValueError):
            continue
        module = importlib.import_module(module_name)
        if hasattr(module, func):
            getattr(module, func)(edition, target)


def _photo_sources(edition: Edition) -> dict[int, list[Path]]:
    """Where to look for each place's photo: beside its record file, then the project root and data/."""
    project = edition.project
    by_label = {r.label: r.path.parent for r in project.records}
    source_of = {r.number: r.source for r in edition.report.rows if r.outcome == "published"}
    out = {}
    for p in edition.places:
        if not p.photo:
            continue
        rel = Path(p.photo)
        bases = [by_label.get(source_of.get(p.number, ""), project.root), project.root, project.root / "data"]
        out[p.number] = [rel] if rel.is_absolute() else [b / rel for b in bases]
    return out


def write_photos(edition: Edition, out: Path, model: SiteModel) -> int:
    from gis.photos import PhotoError, publish_photo
    from gis.privacy import photo_inside_project

    sources = _photo_sources(edition)
    if not sources:
        return 0
    (out / "photos").mkdir(exist_ok=True)
    cache = edition.project.root / ".takara" / "photos"
    report = edition.report
    rows = {r.number: r for r in report.rows if r.outcome == "published"}
    for number, candidates in sorted(sources.items()):
        src = next((c for c in candidates if c.is_file()), None)
        row = rows.get(number)
        where = (row.source, row.row, row.name) if row else ("", None, "")
        if src is not None and not photo_inside_project(src, edition.project.root):
            report.add(
                Issue(
                    "warning",
                    where[0],
                    where[1],
                    "写真",
                    f"写真「{candidates[0].name}」はプロジェクトの外のファイルを指している（リンク）ため、使いません",
                    "the photo resolves (symbolic links followed) outside the project: not published",
                    where[2],
                )
            )
            continue
        if src is None:
            report.add(
                Issue(
                    "warning",
                    where[0],
                    where[1],
                    "写真",
                    f"写真「{candidates[0].name}」が見つからないため、写真なしで掲載します",
                    "photo file not found; published without a photo",
                    where[2],
                )
            )
            continue
        try:
            model.photos[number] = publish_photo(src, out / "photos", str(number), cache_dir=cache)
        except PhotoError as exc:
            report.add(
                Issue(
                    "warning",
                    where[0],
                    where[1],
                    "写真",
                    f"写真を読めないため、写真なしで掲載します（{exc}）",
                    "photo unreadable; published without a photo",
                    where[2],
                )
            )
    return len(model.photos)


# ---------------------------------------------------------------- pages


def _root(depth: int) -> str:
    return "../" * depth


def _site_ctx(model: SiteModel, out: Path) -> dict:
    meta = model.project.site
    home_dir = getattr(model, "home_dir", None)  # a second language links the default build's downloads
    out = home_dir or out
    downloads = [
        {"url": f"data/{name}", "label": model.t(key)}
        for name, key in DOWNLOADS
        if (out / "data" / name).is_file()
    ]
    return {
        "title": meta.title,
        "lead": meta.lead,
        "attribution": meta.attribution,
        "licence": meta.licence,
        "licence_url": meta.licence_url,
        "edition": meta.edition,
        "fictional": meta.fictional,
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "phone": c.phone,
                "phone_href": phone_href(c.phone),
                "hours": c.hours,
            }
            for c in meta.contacts
        ],
        "overlay_attributions": sorted({o.attribution for o in model.project.overlays if o.attribution}),
        "print_url": "print/index.html" if (out / "print" / "index.html").is_file() else "",
        "stats_url": "stats/index.html" if (out / "stats" / "index.html").is_file() else "",
        # HSDS is a folder of tables; its services table is the way in (metadata.json lists the rest)
        "downloads": downloads
        + (
            [{"url": "data/hsds/service.json", "label": model.t("data.hsds")}]
            if (out / "data" / "hsds" / "service.json").is_file()
            else []
        ),
        "categories": model.cat_ctx,
        "week_url": "week/index.html",
        "home": "../"
        if home_dir
        else "",  # prefix from this language's root to the folder holding data/ downloads
        "alt": [
            {
                "lang": other,
                "label": Catalogue(other)("lang.name"),
                "prefix": f"{other}/" if model.t.lang == DEFAULT_LANG else "../",
                "site_prefix": "" if other == DEFAULT_LANG else f"{other}/",
            }
            for other in SITE_LANGS
            if other != model.t.lang
        ],
        "csp_img": " ".join(TILE_HOSTS),
        # absolute hreflang links need where the site is published; "" keeps them relative
        "base_url": meta.base_url.rstrip("/") + "/" if meta.base_url else "",
        "lang_prefix": "" if model.t.lang == DEFAULT_LANG else f"{model.t.lang}/",
    }


MANY_AREAS = 200


def _tiers_ctx(model: SiteModel) -> list[dict]:
    district_level = model.district_tier.level
    return [
        {
            "id": t.id,
            "name": t.name,
            "label": t.label,
            "count": len(model.areas[t.id]),
            # a tier of hundreds of areas (the 町丁・字) would bury the map: listed, but off at first
            "show": t.level <= district_level and len(model.areas[t.id]) < MANY_AREAS,
            "labels": len(model.areas[t.id]) > 1,
        }
        for t in model.tiers
    ]


def _area_ctx(model: SiteModel, area: Area, places: list[PlaceView], items: list[Markup]) -> dict:
    tier = area.tier
    crumbs = [
        model.area_link(tid, aid)
        for tid, aid in ((t.id, area.parents.get(t.id, "")) for t in model.tiers if t.level < tier.level)
        if aid
    ]
    finer = [t for t in model.tiers if t.level > tier.level]
    children: list[dict] = []
    child_tier = finer[0] if finer else None
    child_features: list[dict] = []
    if child_tier is not None:
        for child in model.children(tier.id, child_tier.id).get(area.id, []):
            children.append({"name": child.name, "url": child.url, "count": len(child.places)})
            lon, lat = child.label_point
            child_features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "name": child.name,
                        "label": [round(lon, BOUNDARY_DECIMALS), round(lat, BOUNDARY_DECIMALS)],
                    },
                    "geometry": geometry_json(
                        _simplify(model.geometry(child_tier.id, child.id)), BOUNDARY_DECIMALS
                    ),
                }
            )
    geom = model.geometry(tier.id, area.id)
    minx, miny, maxx, maxy = geom.bounds
    outline = {
        "type": "Feature",
        "properties": {"name": area.name},
        "geometry": geometry_json(_simplify(geom), BOUNDARY_DECIMALS),
    }
    return {
        "id": area.id,
        "name": area.name,
        "tier": {"id": tier.id, "name": tier.name, "label": tier.label},
        "crumbs": crumbs,
        "children": children,
        "child_tier": child_tier.name if child_tier else "",
        "places": places,
        "entries": items,
        "stories": [p for p in places if p.story or p.photo],
        "map": {
            "bounds": [[round(miny, 5), round(minx, 5)], [round(maxy, 5), round(maxx, 5)]],
            "outline": outline,
            "children": {"type": "FeatureCollection", "features": child_features},
            # finer than a district (a neighbourhood): every place shown alone, never grouped
            "group": tier.level <= model.district_tier.level,
        },
    }


def _insight_layers(model: SiteModel, out: Path) -> list[dict]:
    """The statistics stage's map layers (blank areas, per-capita choropleth) whose files it wrote."""
    try:
        if importlib.util.find_spec("gis.insight") is None:
            return []
    except (ImportError, ValueError):
        return []
    module = importlib.import_module("gis.insight")
    if not hasattr(module, "insight_layers") or not (out / "data" / "layers").is_dir():
        return []
    layers = []
    for layer in module.insight_layers(model.edition):
        if (out / layer["file"]).is_file():
            legend = [
                {"color": e.get("color", ""), "label": e.get("label", "")} for e in layer.get("legend", [])
            ]
            layers.append(
                {
                    "id": slug(str(layer["id"])),
                    "name": layer["name"],
                    "file": layer["file"],
                    "show": bool(layer.get("show")),
                    "legend": legend,
                    "config": {"style": layer.get("style", {}), "label": layer.get("label_property", "")},
                }
            )
    return layers


PATH_MARK = "@@TAKARA-PAGE-PATH@@"  # in the shared place-page chrome; place.html puts places/<n>/ there
PARALLEL_MIN = 20_000  # place pages from which a second process (where available) is worth starting
_FORKED: dict[str, Any] = {}  # what forked workers read (inherited, not pickled)


def _render_place_range(bounds: tuple[int, int]) -> int:
    state = _FORKED
    render, site, chrome, folder = state["render"], state["site"], state["chrome"], state["folder"]
    for ctx in state["contexts"][bounds[0] : bounds[1]]:
        page_dir = os.path.join(folder, str(ctx.n))
        os.mkdir(page_dir)
        html = render(site=site, root="../../", page="place", place=ctx, chrome=chrome).encode("utf-8")
        fd = os.open(os.path.join(page_dir, "index.html"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, html)
        finally:
            os.close(fd)
    return bounds[1] - bounds[0]


def write_place_pages(
    template: jinja2.Template, site: dict, chrome: SimpleNamespace, contexts: list[PlaceView], folder: Path
) -> None:
    """places/<n>/index.html for every place. Large projects are split over the CPUs with fork (the
    workers inherit the compiled template and contexts); only when no other thread is running, since
    forking a threaded process is unsafe. The bytes written are the same either way."""
    folder.mkdir(exist_ok=True)
    _FORKED.update(render=template.render, site=site, chrome=chrome, folder=str(folder), contexts=contexts)
    try:
        n = len(contexts)
        workers = min(os.cpu_count() or 1, 4)
        if (
            n >= PARALLEL_MIN
            and workers > 1
            and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()
        ):
            chunks = [(k * n // workers, (k + 1) * n // workers) for k in range(workers)]
            with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
                pending = pool.map_async(_render_place_range, chunks[1:])
                _render_place_range(chunks[0])  # this process takes the first share itself
                pending.get()
        else:
            _render_place_range((0, n))
    finally:
        _FORKED.clear()


def render_pages(model: SiteModel, env: jinja2.Environment, out: Path) -> int:
    site = _site_ctx(model, out)
    for tmpl in ("index.html", "area.html", "place.html"):
        env.get_template(tmpl)  # compile once, up front
    contexts = model.contexts
    from gis.residents import calendar_links, district_figures, place_calendar, week_ctx

    area_cals = calendar_links(model.edition)
    for c, p in zip(contexts, model.places):
        c.calendar = place_calendar(model.edition, p, area_cals)
    by_number = {c.n: c for c in contexts}
    item_tmpl = env.get_template("_place_item.html")
    pages = 0

    # index.html (the full list only for projects small enough to read it in one page)
    full_list = len(contexts) <= FULL_LIST_LIMIT
    index_tier, index_areas = model.district_tier, model.districts
    top = model.project.top_tier
    if len(index_areas) > DISTRICT_INDEX_LIMIT and top.id != index_tier.id and len(model.areas[top.id]) > 1:
        # thousands of links would make index.html slow to open: link the 第1層 pages, which list theirs
        index_tier, index_areas = top, list(model.areas[top.id].values())
    districts = [{"name": a.name, "url": a.url, "count": len(a.places)} for a in index_areas if a.url]
    index_html = env.get_template("index.html").render(
        site=site,
        root="",
        page="index",
        tiers=_tiers_ctx(model),
        overlays=[
            {"id": slug(o.id), "name": o.name or o.id, "show": o.show, "color": o.color}
            for o in model.project.overlays
        ],
        insight_layers=_insight_layers(model, out),
        bounds=_dumps(initial_bounds(model)),
        items=[Markup(item_tmpl.render(p=c, root="")) for c in contexts] if full_list else [],
        full_list=full_list,
        total=len(contexts),
        online=[c for c in contexts if c.online][:ONLINE_LIST_LIMIT],
        districts=districts,
        district_tier=index_tier.name,
        path="index.html",
    )
    _write(out / "index.html", index_html)
    pages += 1

    # area pages: every one is two folders deep, so one rendering of each list entry serves them all
    # (kept as UTF-8 bytes: less than half the memory of str for Japanese text, and decoding is quick)
    items: dict[int, bytes] = {}
    area_tmpl = env.get_template("area.html")
    for tier in model.tiers:
        for area in model.areas[tier.id].values():
            if not area.url:
                continue
            for p in area.places:
                if p.number not in items:
                    items[p.number] = item_tmpl.render(p=by_number[p.number], root="../../").encode("utf-8")
            folder = out / area.url
            folder.mkdir(parents=True, exist_ok=True)
            ctx = _area_ctx(
                model,
                area,
                [by_number[p.number] for p in area.places],
                [Markup(items[p.number].decode("utf-8")) for p in area.places],
            )
            ctx["figures"] = (
                district_figures(model.edition, area.id) if tier.id == model.district_tier.id else None
            )
            ctx["calendar"] = area_cals.get(area.id, "")
            _write(
                folder / "index.html",
                area_tmpl.render(site=site, root=_root(area.depth), page="area", area=ctx, path=area.url),
            )
            pages += 1
    items.clear()

    # 今週の予定: what meets on each weekday, readable without JavaScript
    (out / "week").mkdir(exist_ok=True)
    _write(
        out / "week" / "index.html",
        env.get_template("week.html").render(
            site=site, root="../", page="week", path="week/index.html", week=week_ctx(model.places, contexts)
        ),
    )
    pages += 1

    # place pages: one compiled template, one render and one write each (100,000 of them must be quick).
    # The head, header and footer are the same on every place page: render them once.
    shared = {
        "site": site,
        "root": "../../",
        "page": "place",
        "path": PATH_MARK,
    }  # place.html puts its own path
    chrome = SimpleNamespace(
        **{
            part: Markup(env.get_template(f"_{part}.html").render(**shared))
            for part in ("head", "header", "footer")
        }
    )
    write_place_pages(env.get_template("place.html"), site, chrome, contexts, out / "places")
    return pages + len(contexts)


def write_data(model: SiteModel, out: Path, result: SiteResult) -> None:
    data = out / "data"
    for sub in ("districts", "boundaries", "overlays"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    result.files["data/index.json"] = _dump_to(data / "index.json", index_payload(model))
    result.files["data/overview.json"] = _dump_to(data / "overview.json", overview_payload(model))
    _dump_to(data / "search.json", search_payload(model))
    # residents' filters (who a place is for) and 近くの場所 by town name: gis.residents
    from gis.residents import filters_payload, towns_payload, week_payload

    _dump_to(data / "filters.json", filters_payload(model.places))
    _dump_to(data / "week.json", week_payload(model.places, model.edition.date, STATUS_PAUSED))
    _dump_to(data / "towns.json", towns_payload(model.project.build.gazetteer))
    for key, payload in district_payloads(model):
        _dump_to(data / "districts" / f"{key}.json", payload)
    write_geojson(model, data / "places.geojson")
    _write(data / "places.csv", csv_text(model))
    for tier in model.tiers:
        _write(data / "boundaries" / f"{tier.id}.geojson", _dumps(boundary_collection(model, tier)) + "\n")
    for overlay in model.project.overlays:
        _write(
            data / "overlays" / f"{slug(overlay.id)}.geojson", _dumps(overlay_payload(model, overlay)) + "\n"
        )


def render_site(
    edition: Edition, out: Path, with_print: bool = True, lang: str = DEFAULT_LANG, home: Path | None = None
) -> SiteResult:
    """Write the whole static site for `edition` into the (empty, staged) folder `out`: the default language
    at `out`, then every other language of SITE_LANGS under out/<lang>/ (`home` is then the default build's
    folder, whose exports, prints and statistics the other language links instead of writing again)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(lang)
    env = make_environment(catalogue)
    model = SiteModel(edition, catalogue)
    model.home_dir = home  # type: ignore[attr-defined]
    result = SiteResult(places=len(model.places))
    copy_assets(out, catalogue, env, model)
    if home is None:
        result.photos = write_photos(edition, out, model)
        edition.extras["site_photos"] = model.photos  # the other languages show the same files
    else:  # a second language links the default build's photos instead of writing them again
        shared = cast("dict[int, dict[str, str]]", edition.extras.get("site_photos") or {})
        model.photos = {
            n: {k: f"../{v}" if k in ("thumb", "large") else v for k, v in ph.items()}
            for n, ph in shared.items()
        }
    model.contexts  # noqa: B018 - build them now, before the collector is frozen
    # The pages create millions of short-lived strings; with 100,000 places' contexts alive the cyclic
    # collector would walk them again and again (a third of the time). Nothing rendered here makes cycles.
    gc.collect()
    gc.freeze()
    try:
        write_data(model, out, result)
        if home is None:
            _run_optional_stages(edition, out, with_print)
        result.pages = render_pages(model, env, out)
    finally:
        gc.unfreeze()
    result.files["index.html"] = (out / "index.html").stat().st_size
    if home is None and lang == DEFAULT_LANG:
        for other in SITE_LANGS:
            if other != lang:
                result.pages += render_site(
                    edition, out / other, with_print=False, lang=other, home=out
                ).pages
    return result
