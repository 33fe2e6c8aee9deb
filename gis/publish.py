"""The outputs' pipeline, read top to bottom like gis/pipeline.py (the inputs'):

    photos → data files → exports → prints → statistics → pages for each language

Each stage is a plain function taking the Edition and the earlier stages' results and returning its own;
what a page links to (downloads, prints, statistics, calendars) comes from those results, never from
looking at the disk. The default language is written at the root of `out`, each other under out/<lang>/,
linking the downloads, prints and statistics the default language's build wrote.
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field
from pathlib import Path

from gis.datafiles import DataFiles, write_data
from gis.edition import Edition
from gis.export import ExportResult, write_exports
from gis.insight import district_figures
from gis.output import PageReuse
from gis.pages import PageInputs, copy_assets, renderer_key, write_pages
from gis.photos import large_files, write_photos
from gis.printing import write_prints
from gis.progress import Progress, quiet
from gis.stats import StatsResult, write_stats
from gis.view import (
    DEFAULT_LANG,
    SITE_LANGS,
    Catalogue,
    Links,
    SiteModel,
    make_environment,
    site_context,
)


@dataclass
class Publication:
    """What publish_site wrote (figures for the CLI and the benchmark)."""

    places: int = 0
    pages: int = 0
    photos: int = 0
    data: DataFiles = field(default_factory=DataFiles)  # the default language's data files
    exports: ExportResult = field(default_factory=ExportResult)
    prints: list[Path] = field(default_factory=list)
    stats: StatsResult | None = None


def language_root(out: Path, lang: str) -> Path:
    return out if lang == DEFAULT_LANG else out / lang


def photos_seen_from(photos: dict[int, dict], lang: str) -> dict[int, dict]:
    """The photos stage's files as linked from a language's pages: the other languages, a folder down
    (en/), link the default language's files instead of having their own."""
    if lang == DEFAULT_LANG:
        return photos
    return {
        n: {k: f"../{v}" if k in ("thumb", "large") else v for k, v in ph.items()} for n, ph in photos.items()
    }


def publish_site(
    edition: Edition,
    out: Path,
    with_print: bool = True,
    progress: Progress = quiet,
    previous: Path | None = None,
) -> Publication:
    """Write the whole static site for `edition` into the (empty, staged) folder `out`. `previous`: the
    site this build replaces, whose unchanged pages are kept instead of rendered again (gis.output.PageReuse;
    the prints keep theirs in their own cache)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    photos = write_photos(edition, out)
    models = {
        lang: SiteModel(edition, Catalogue(lang), photos_seen_from(photos, lang)) for lang in SITE_LANGS
    }
    # Pages and data files create millions of short-lived strings; with 100,000 places' contexts alive the
    # cyclic collector would walk them again and again (a third of the time). Nothing here makes cycles.
    for model in models.values():
        model.contexts  # noqa: B018 - build them now, before the collector is frozen
    gc.collect()
    gc.freeze()
    try:
        data = {
            lang: write_data(model, language_root(out, lang), shared=lang == DEFAULT_LANG)
            for lang, model in models.items()
        }
        exports = write_exports(edition, out / "data")
        prints = (
            write_prints(edition, out / "print", progress=progress, photos=large_files(photos, out))
            if with_print
            else []
        )
        links = Links(
            data_files=frozenset(data[DEFAULT_LANG].names | set(exports.files)), print_index=bool(prints)
        )
        # a stage left out (bench --skip, tests) returns nothing: then no link, layer or figure either
        stats = write_stats(edition, out / "stats", links) or None
        links = dataclasses.replace(links, stats_index=stats is not None)
        inputs = PageInputs(
            site={},
            area_calendars={k: f"data/{v}" for k, v in exports.district_calendars.items()},
            place_events=exports.place_events,
            layers=stats.layers if stats else [],
            figures=lambda area_id: figures_of(stats, area_id),
        )
        pages = 0
        renderer = renderer_key()
        for lang, model in models.items():
            lang_links = links if lang == DEFAULT_LANG else dataclasses.replace(links, home="../")
            manifest = edition.project.root / ".takara" / "cache" / "pages" / f"{lang}.json"
            before = language_root(previous, lang) if previous is not None else None
            inputs.reuse = PageReuse(manifest, before, renderer)
            pages += write_language(model, language_root(out, lang), inputs, lang_links)
    finally:
        gc.unfreeze()
    return Publication(
        places=len(edition.places),
        pages=pages,
        photos=len(photos),
        data=data[DEFAULT_LANG],
        exports=exports,
        prints=prints,
        stats=stats,
    )


def write_language(model: SiteModel, root: Path, inputs: PageInputs, links: Links) -> int:
    """One language's assets and pages; returns the number of pages."""
    env = make_environment(model.t)
    copy_assets(root, model.t, env, model)
    inputs.site = site_context(model, links)
    return write_pages(model, env, root, inputs)


def figures_of(stats: StatsResult | None, area_id: str) -> dict | None:
    """The statistics' figures for a district page; None for an area the statistics do not know."""
    if stats is None:
        return None
    try:
        return district_figures(stats.insight, area_id)
    except KeyError:
        return None
