"""Turning a print's HTML into PDF (WeasyPrint): the images it embeds, what decides its bytes, its date.

A PdfSource is one PDF's HTML and in-memory images; its key() is what gis.output.RenderCache files it
under, so a rebuild re-makes a PDF only when something that decides its bytes has changed. The maps in
it are costly too (matplotlib): cached_map() keeps each map's SVG under a key of everything maps are
drawn from (map_inputs_key), so a rebuild whose places did not move or change kind redraws none."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.errors import OutputError
from gis.output import RenderCache, content_key

if TYPE_CHECKING:
    from gis.printing import PrintModel

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
ASSET_SCHEME = "takara-asset:"


class Assets:
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


@dataclass
class PdfSource:
    """Everything a PDF is made from: its HTML, the images it embeds, and its identifier."""

    html: str
    assets: Assets
    title: str

    def key(self, renderer: str) -> str:
        """The render cache's key: the HTML, every embedded image's bytes, the identifier, the date fonts
        carry, and `renderer` (WeasyPrint and its options, the print CSS, the fonts)."""
        parts: list[bytes | str] = [renderer, self.title, os.environ.get("SOURCE_DATE_EPOCH", ""), self.html]
        for name, (data, mime) in sorted(self.assets.items.items()):
            parts += [name, mime, data]
        return content_key(*parts)

    def render(self, path: Path) -> Path:
        from weasyprint import HTML

        doc = HTML(
            string=self.html,
            base_url=(TEMPLATE_ROOT / "print").as_uri() + "/",
            url_fetcher=self.assets.fetcher(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.write_pdf(path, **_pdf_options(self.title))
        return path


def _pdf_options(title: str) -> dict[str, Any]:
    return {"pdf_identifier": title.encode("utf-8")[:32] or b"takara", "uncompressed_pdf": False}


@functools.cache
def renderer_fingerprint() -> str:
    """What decides a PDF's bytes besides its HTML and images: the libraries' versions, the write
    options, the print CSS and templates on disk, and the font files fontconfig picks (an upgraded
    font changes the PDFs, so it must change the key)."""
    from importlib.metadata import PackageNotFoundError, version

    # this module's own code too: how HTML becomes PDF (base URL, fetcher, options) lives here
    parts: list[bytes | str] = [inspect.getsource(sys.modules[__name__]), sys.version]
    for package in ("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "Pyphen"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    for css in sorted((TEMPLATE_ROOT / "print").iterdir()):
        if css.is_file():
            parts += [css.name, css.read_bytes()]
    for family in ("Noto Sans CJK JP", "Noto Serif CJK JP", "sans-serif", "serif"):
        parts.append(_font_identity(family))
    return content_key(*parts)


def _font_identity(family: str) -> str:
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"{family}: no fc-match"
    try:
        st = os.stat(found)
    except OSError:
        return f"{family}: {found}"
    return f"{family}: {found} {st.st_size} {st.st_mtime_ns}"


@contextlib.contextmanager
def source_date(day: date | str) -> Iterator[None]:
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


# the modules whose code draws the maps: a change to any of them must redraw every map
MAP_MODULES = ("printing.py", "printmap.py", "printbase.py", "basemap.py", "typography.py", "view.py")
MAP_PACKAGES = ("matplotlib", "geopandas", "shapely", "numpy", "pyproj", "segno", "budoux")


def map_inputs_key(model: PrintModel) -> str:
    """A key of everything a printed map is drawn from: the drawing code and its libraries, the fonts,
    every boundary, layer and category, the site's settings, and of each published place only what a
    map shows (number, point, kind, status, precision, areas). A row edited in its schedule, phone or
    story leaves it unchanged; a place moved or added changes it, and every map is drawn again."""
    from importlib.metadata import PackageNotFoundError, version

    parts: list[bytes | str] = [renderer_fingerprint()]
    here = Path(__file__).resolve().parent
    parts += [(here / name).read_bytes() for name in MAP_MODULES]  # the code, as the files hold it
    for package in MAP_PACKAGES:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    parts += [str(model.crs), repr(model.project.site), repr(model.project.tiers), repr(model.categories)]
    for tier_id, gdf in sorted(model.gdf.items()):
        parts.append(tier_id)
        parts += [f"{a}|{n}|{g.wkb_hex}" for a, n, g in zip(gdf["area_id"], gdf["area_name"], gdf.geometry)]
    for layer in model.layers:
        parts += [layer.name, layer.style, layer.color, layer.attribution, repr(layer.labels)]
        parts += [g.wkb_hex if g is not None else "" for g in layer.geometry]
    for p in sorted(model.edition.places, key=lambda q: q.number):
        x, y = model.xy[p.number]
        parts.append(
            f"{p.number}|{x!r}|{y!r}|{p.category}|{p.status}|{p.location_precision}|{sorted(p.areas.items())}"
        )
    parts.append(_tiles_identity(model))
    return content_key(*parts)


def _tiles_identity(model: PrintModel) -> str:
    """The basemap's tiles on disk (names, sizes, times) and where missing ones would come from."""
    tiles = model.tiles
    if tiles is None:
        return "no basemap"
    files = sorted(p for p in tiles.folder.rglob("*") if p.is_file()) if tiles.folder.is_dir() else []
    listing = [f"{p.relative_to(tiles.folder)} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in files]
    provider = tiles.provider.build_url() if tiles.provider is not None else ""
    return content_key(tiles.attribution, provider, tiles.failure, *listing)


def cached_map(model: PrintModel, name: str, draw: Callable[[], bytes]) -> bytes:
    """The map's SVG from the cache when drawn before from the same inputs, else drawn (and kept). A map
    that fetched or failed to fetch a tile while being drawn is not kept: its inputs were not all on
    disk when the key was made."""
    cache: RenderCache | None = model.map_cache
    if cache is None or not model.map_key:
        return draw()
    key = content_key(model.map_key, name)
    kept = cache.fetch(f"maps/{name}.svg", key)
    if kept is not None:
        return kept
    tiles = model.tiles
    before = (tiles.fetched, tiles.failure) if tiles is not None else None
    svg = draw()
    if tiles is None or (tiles.fetched, tiles.failure) == before:
        cache.store(f"maps/{name}.svg", key, svg)
    return svg
