"""The HTML pages of one language's site (the last stage of gis.publish):

    index.html                         第1層: the whole map, the 一覧表, the district index
    districts/<area>/index.html        every area of the district tier (第2層)
    areas/<tier>-<area>/index.html     areas of finer tiers (第3層 …) holding at least one place, and of
                                       the top tier when it has more than one area (flat, and two folders
                                       deep like districts/, so one rendering of a list entry serves both)
    places/<number>/index.html         every published place
    week/index.html                    今週の予定, readable without JavaScript
    assets/                            CSS, JS, vendored Leaflet and supercluster with their licences

All links are relative, so the site works from any folder or sub-path. What other stages wrote (data
files, exports, prints, statistics) comes in as their results: nothing here looks at the disk.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import jinja2
from markupsafe import Markup

from gis.geojson import geometry_json
from gis.output import PageReuse, can_fork_workers, content_key, run_jobs, usable_cpus
from gis.residents import PlaceCalendar, place_calendar, week_ctx
from gis.view import (
    BOUNDARY_DECIMALS,
    DEFAULT_LANG,
    PATH_MARK,
    TEMPLATE_ROOT,
    Area,
    Catalogue,
    PlaceView,
    SiteModel,
    compact_json,
    simplified,
    slug,
)

ONLINE_LIST_LIMIT = 200  # groups meeting online, listed under the map (they have no point on it)
FULL_LIST_LIMIT = 2000  # index.html lists every place in HTML up to this many; beyond, a district index
DISTRICT_INDEX_LIMIT = 500  # beyond this many districts, index.html links the 第1層 pages (which list theirs)
VENDOR_FOR_SITE = ("leaflet", "supercluster")  # axe-core stays test-only


@dataclass
class PageInputs:
    """What the earlier stages give the pages: calendars (gis.export), the statistics' map layers and
    district figures (gis.stats)."""

    site: dict  # view.site_context
    area_calendars: dict[str, str] = field(default_factory=dict)  # area id -> site-relative .ics
    place_events: dict[str, list[bytes]] = field(default_factory=dict)  # place id -> its VEVENTs
    layers: list[dict] = field(default_factory=list)
    figures: Callable[[str], dict | None] = lambda area_id: None
    reuse: PageReuse = field(default_factory=lambda: PageReuse(None, None))  # nothing kept: render all


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


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
        _write(assets / "i18n" / f"{lang}.json", compact_json(strings))
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
                        simplified(model.geometry(child_tier.id, child.id)), BOUNDARY_DECIMALS
                    ),
                }
            )
    geom = model.geometry(tier.id, area.id)
    minx, miny, maxx, maxy = geom.bounds
    outline = {
        "type": "Feature",
        "properties": {"name": area.name},
        "geometry": geometry_json(simplified(geom), BOUNDARY_DECIMALS),
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


def _layer_ctx(layer: dict) -> dict:
    """A statistics map layer (blank areas, per-capita choropleth) as the index map's layer switcher needs it."""
    legend = [{"color": e.get("color", ""), "label": e.get("label", "")} for e in layer.get("legend", [])]
    return {
        "id": slug(str(layer["id"])),
        "name": layer["name"],
        "file": layer["file"],
        "show": bool(layer.get("show")),
        "legend": legend,
        "config": {"style": layer.get("style", {}), "label": layer.get("label_property", "")},
    }


PARALLEL_MIN = 2_000  # place pages per process: below this, starting another process costs more than it saves
AREA_PAGE_WEIGHT = 5  # an area page (list, stories, outlines) costs about five place pages


def in_processes(n: int, work: Callable[[int], None], workers: int, reuse: PageReuse) -> None:
    """work(0) … work(n - 1), in `workers` shares run by gis.output.run_jobs (forked processes that
    inherit everything work reads). Each item is done alone, so the result is the same whatever the
    number of processes; what each share's pages recorded in `reuse` comes back to this process."""
    shares = [(k * n // workers, (k + 1) * n // workers) for k in range(workers)]
    for made in run_jobs([partial(_do_share, work, a, b, reuse) for a, b in shares], workers):
        reuse.merge(made)


def _do_share(work: Callable[[int], None], start: int, stop: int, reuse: PageReuse) -> dict:
    before = set(reuse.made)
    for k in range(start, stop):
        work(k)
    return {name: entry for name, entry in reuse.made.items() if name not in before}


def renderer_key() -> str:
    """What every page's bytes depend on besides its context: the templates, the catalogues, the code
    that renders them and its libraries' versions."""
    from importlib.metadata import version

    here = Path(__file__).resolve().parent
    files = sorted((TEMPLATE_ROOT / "templates").glob("*")) + sorted((TEMPLATE_ROOT / "i18n").glob("*.json"))
    files += [here / name for name in ("view.py", "pages.py", "typography.py", "residents.py")]
    versions = [f"{name} {version(name)}" for name in ("jinja2", "markupsafe", "budoux")]
    return content_key(*versions, *(f.name.encode() + b"\0" + f.read_bytes() for f in files if f.is_file()))


def page_workers(pages: int) -> int:
    """How many processes render `pages` place pages' worth of work: every usable core for a large
    site, one for a small one (starting a process costs more than a few hundred pages), and one when
    forking is not safe here (gis.output.can_fork_workers)."""
    if pages < PARALLEL_MIN or not can_fork_workers():
        return 1
    return max(1, min(usable_cpus(), pages // PARALLEL_MIN))


def place_chrome(env: jinja2.Environment, site: dict) -> SimpleNamespace:
    """The head, header and footer of a place page: the same on every one, so rendered once (place.html
    puts each page's own path where PATH_MARK stands)."""
    shared = {"site": site, "root": "../../", "page": "place", "path": PATH_MARK}
    return SimpleNamespace(
        **{
            part: Markup(env.get_template(f"_{part}.html").render(**shared))
            for part in ("head", "header", "footer")
        }
    )


def write_place_pages(
    env: jinja2.Environment,
    site: dict,
    contexts: list[PlaceView],
    out: Path,
    reuse: PageReuse,
    workers: int | None = None,
    calendar_of: Callable[[int], PlaceCalendar | None] = lambda k: None,
) -> None:
    """places/<n>/index.html for every place, on `workers` processes (default: page_workers); each page
    offers its place's calendar (calendar_of: the k-th context's), made as the page is written. A page
    whose context is what made the previous build's file is kept (`reuse`)."""
    (out / "places").mkdir(exist_ok=True)
    render = env.get_template("place.html").render
    chrome = place_chrome(env, site)
    common = content_key(reuse.renderer, repr(site))

    def write(k: int) -> None:
        ctx = contexts[k]
        (out / "places" / str(ctx.n)).mkdir()
        ctx.calendar = calendar_of(k)
        key = content_key(common, repr(ctx))
        reuse.write(
            out,
            f"places/{ctx.n}/index.html",
            key,
            lambda: render(site=site, root="../../", page="place", place=ctx, chrome=chrome).encode("utf-8"),
        )
        ctx.calendar = None

    workers = page_workers(len(contexts)) if workers is None else max(1, workers)
    in_processes(len(contexts), write, workers, reuse)


def write_pages(model: SiteModel, env: jinja2.Environment, out: Path, inputs: PageInputs) -> int:
    """Every page of one language into `out`; returns how many were written."""
    for tmpl in ("index.html", "area.html", "place.html"):
        env.get_template(tmpl)  # compile once, up front
    contexts = model.contexts
    reuse = inputs.reuse
    write_index(model, env, out, inputs)
    pages = 1 + write_area_pages(model, env, out, inputs, reuse)
    write_week(model, env, out, inputs.site)
    places = model.places

    def calendar_of(k: int) -> PlaceCalendar | None:  # made as each page is written: 100,000 texts
        p = places[k]
        return place_calendar(model.edition, p, inputs.area_calendars, inputs.place_events.get(p.id))

    write_place_pages(env, inputs.site, contexts, out, reuse, calendar_of=calendar_of)
    reuse.save()
    return pages + 1 + len(contexts)


def write_index(model: SiteModel, env: jinja2.Environment, out: Path, inputs: PageInputs) -> None:
    """index.html: the map, and the full list only for projects small enough to read it in one page."""
    contexts = model.contexts
    item_tmpl = env.get_template("_place_item.html")
    full_list = len(contexts) <= FULL_LIST_LIMIT
    index_tier, index_areas = model.district_tier, model.districts
    top = model.project.top_tier
    if len(index_areas) > DISTRICT_INDEX_LIMIT and top.id != index_tier.id and len(model.areas[top.id]) > 1:
        # thousands of links would make index.html slow to open: link the 第1層 pages, which list theirs
        index_tier, index_areas = top, list(model.areas[top.id].values())
    districts = [{"name": a.name, "url": a.url, "count": len(a.places)} for a in index_areas if a.url]
    html = env.get_template("index.html").render(
        site=inputs.site,
        root="",
        page="index",
        tiers=_tiers_ctx(model),
        overlays=[
            {"id": slug(o.id), "name": o.name or o.id, "show": o.show, "color": o.color}
            for o in model.project.overlays
        ],
        insight_layers=[_layer_ctx(layer) for layer in inputs.layers],
        bounds=compact_json(initial_bounds(model)),
        items=[Markup(item_tmpl.render(p=c, root="")) for c in contexts] if full_list else [],
        full_list=full_list,
        total=len(contexts),
        online=[c for c in contexts if c.online][:ONLINE_LIST_LIMIT],
        districts=districts,
        district_tier=index_tier.name,
        path="index.html",
    )
    _write(out / "index.html", html)


def write_area_pages(
    model: SiteModel,
    env: jinja2.Environment,
    out: Path,
    inputs: PageInputs,
    reuse: PageReuse,
    workers: int | None = None,
) -> int:
    """districts/<area>/ and areas/<tier>-<area>/, on `workers` processes (default: page_workers). Every
    one is two folders deep, so one rendering of each list entry serves them all (kept as UTF-8 bytes:
    less than half the memory of str for Japanese text)."""
    by_number = {c.n: c for c in model.contexts}
    item_tmpl = env.get_template("_place_item.html")
    area_tmpl = env.get_template("area.html")
    areas = [area for tier in model.tiers for area in model.areas[tier.id].values() if area.url]
    district = model.district_tier.id
    # the figures come from the statistics, computed once here rather than once in every process
    figures = {a.id: inputs.figures(a.id) for a in areas if a.tier.id == district}
    items: dict[int, bytes] = {}
    common = content_key(reuse.renderer, repr(inputs.site))
    for area in areas:
        (out / area.url).mkdir(parents=True, exist_ok=True)

    def write(k: int) -> None:
        area = areas[k]
        for p in area.places:
            if p.number not in items:
                items[p.number] = item_tmpl.render(p=by_number[p.number], root="../../").encode("utf-8")
        ctx = _area_ctx(
            model,
            area,
            [by_number[p.number] for p in area.places],
            [Markup(items[p.number].decode("utf-8")) for p in area.places],
        )
        ctx["figures"] = figures.get(area.id) if area.tier.id == district else None
        ctx["calendar"] = inputs.area_calendars.get(area.id, "")
        root = "../" * area.depth
        reuse.write(
            out,
            f"{area.url}index.html",
            content_key(common, repr(ctx)),
            lambda: area_tmpl.render(
                site=inputs.site, root=root, page="area", area=ctx, path=area.url
            ).encode("utf-8"),
        )

    weight = len(areas) * AREA_PAGE_WEIGHT
    in_processes(len(areas), write, page_workers(weight) if workers is None else max(1, workers), reuse)
    return len(areas)


def write_week(model: SiteModel, env: jinja2.Environment, out: Path, site: dict) -> None:
    """今週の予定: what meets on each day of the edition's week, readable without JavaScript."""
    (out / "week").mkdir(exist_ok=True)
    week = week_ctx(model.places, model.contexts)
    html = env.get_template("week.html").render(
        site=site, root="../", page="week", path="week/index.html", week=week
    )
    _write(out / "week" / "index.html", html)


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
