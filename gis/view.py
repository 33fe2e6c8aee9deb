"""The one view of an edition: the Jinja environment, the interface strings (Catalogue), area slugs and
what a page shows of each place (PlaceView, SiteModel). Every output stage that renders HTML (pages,
prints, statistics, the edition diff) renders through make_environment; none builds its own.

Only `PublicPlace` fields are read (privacy has already decided). Record text is never assembled into
HTML here: templates escape it (autoescape) and the JS sets it with textContent.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import jinja2
import shapely
from markupsafe import Markup

from gis.config import Category, Project, Tier
from gis.edition import Edition
from gis.place import STATUS_PAUSED, VENUE_ONLINE, PublicPlace
from gis.typography import phrases

if TYPE_CHECKING:
    from gis.residents import PlaceCalendar

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
DEFAULT_LANG = "ja"
SITE_LANGS = ("ja", "en")  # one build writes the default language at the root and each other under <lang>/
NO_DISTRICT = "_none"  # detail file for places outside every district (slugs never start with _)
BOUNDARY_DECIMALS = 5  # ~1 m: plenty for an outline, and keeps the files small
BOUNDARY_TOLERANCE = 0.00002  # degrees (~2 m): "simplified a little"
FLAG_FREE, FLAG_ACTIVE, FLAG_PAUSED, FLAG_STALE, FLAG_AREA, FLAG_PHOTO = 1, 2, 4, 8, 16, 32
FLAG_ONLINE = 64  # met online: in the list, not on the map
TILE_HOSTS = ("https://cyberjapandata.gsi.go.jp", "https://tile.openstreetmap.org")
PATH_MARK = "@@TAKARA-PAGE-PATH@@"  # in the shared place-page chrome; place.html puts places/<n>/ there
# The open-data files a page may link to, when a stage wrote them (label keys in the catalogue).
DOWNLOADS = (
    ("places.geojson", "data.geojson"),
    ("places.csv", "data.csv"),
    ("places.xlsx", "data.xlsx"),
    ("places.ics", "data.ics"),
    ("metadata.json", "data.metadata"),
)
HSDS_ENTRY = "hsds/service.json"  # HSDS is a folder of tables; its services table is the way in


@dataclass(frozen=True)
class Links:
    """What the earlier output stages wrote that a page links to: taken from their results (gis.publish),
    never from looking at the disk."""

    data_files: frozenset[str] = frozenset()  # paths relative to data/
    print_index: bool = False
    stats_index: bool = False
    home: str = ""  # from this language's root to the folder holding the shared downloads ("../" for en/)


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


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def simplified(geom: shapely.Geometry) -> shapely.Geometry:
    """An outline simplified a little (BOUNDARY_TOLERANCE), never to nothing."""
    simple = shapely.simplify(geom, BOUNDARY_TOLERANCE, preserve_topology=True)
    return simple if not simple.is_empty else geom


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
        # the site's pages by name ("place.html"); prints, statistics and reports by folder ("print/…")
        loader=jinja2.FileSystemLoader([str(TEMPLATE_ROOT / "templates"), str(TEMPLATE_ROOT)]),
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


@lru_cache(maxsize=1 << 16)
def _phrase_markup(text: str) -> Markup:
    return Markup("<wbr>").join(Markup.escape(piece) for piece in phrases(text))


def phrase_markup(text: Any) -> Markup:
    """Text with a <wbr> between its phrases (gis.typography.phrases): with the site's CSS (word-break:
    keep-all) a line breaks only there, so headings and labels never break as デ/モ, 500/円 or ス/ーパー."""
    if text is None or text == "":
        return Markup("")
    return _phrase_markup(str(text))  # labels, targets and fees repeat across places: cut each once


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
    calendar: PlaceCalendar | None = None  # its own calendar, made in the browser (set by gis.pages)
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

    def __init__(self, edition: Edition, catalogue: Catalogue, photos: dict[int, dict] | None = None):
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
        self.photos: dict[int, dict] = photos or {}  # number -> published photo files (gis.photos)
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
        """place_ctx of every place, in number order (computed once)."""
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


# ---------------------------------------------------------------- what every page shows


def site_context(model: SiteModel, links: Links) -> dict:
    """What every page's head, header and footer show (the `site` of the templates)."""
    meta = model.project.site
    downloads = [
        {"url": f"data/{name}", "label": model.t(key)} for name, key in DOWNLOADS if name in links.data_files
    ]
    if HSDS_ENTRY in links.data_files:
        downloads.append({"url": f"data/{HSDS_ENTRY}", "label": model.t("data.hsds")})
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
        "print_url": "print/index.html" if links.print_index else "",
        "stats_url": "stats/index.html" if links.stats_index else "",
        "downloads": downloads,
        "categories": model.cat_ctx,
        "week_url": "week/index.html",
        "home": links.home,
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
