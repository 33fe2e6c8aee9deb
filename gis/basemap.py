"""The street map under every printed map: web map tiles (XYZ, Web Mercator), fetched at build time and
kept in the project, so a rebuild never asks twice.

The provider is an `xyzservices.TileProvider`: 地理院タイル 淡色地図 by default, any xyzservices name
(`OpenStreetMap.Mapnik`), or a URL template with {z}/{x}/{y}; `basemap = "none"` turns it off
(`[print]` in takara.toml, or TAKARA_BASEMAP=none for every build on a machine without a network).
Tiles are saved as <tile_cache>/<provider>/<z>/<x>/<y>.png; a tile the server does not have (the sea)
is remembered as <y>.none. The first tile that cannot be had (no network, server down) stops the
asking for the rest of the build: the maps are then drawn from outlines, and the report says so.
"""

from __future__ import annotations

import io
import math
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xyzservices
import xyzservices.providers

GSI_PALE = xyzservices.TileProvider(
    name="GSI.pale",
    url="https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png",
    attribution="地理院タイル（淡色地図）",
    html_attribution='<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>',
    max_zoom=18,
    min_zoom=5,
)
OFF = ("", "none", "off", "false", "no")
MAX_TILES = 100  # per map; the zoom steps down until the map's tiles fit
TIMEOUT_S = 10.0
USER_AGENT = "takara-map (printed community maps; https://github.com/)"
EARTH_M = 40075016.686  # the equator's length: metres per tile at zoom 0


class BasemapError(ValueError):
    """The [print] basemap setting cannot be used (named in the config's words)."""


def provider_for(setting: str, attribution: str = "") -> xyzservices.TileProvider | None:
    """The tile provider a `basemap` setting names: gsi-pale (the default), an xyzservices name, a URL
    template with {z}, {x} and {y}, or none/off for no basemap."""
    value = setting.strip()
    if value.lower() in OFF:
        return None
    if value.lower() in ("gsi-pale", "gsi.pale", "gsi"):
        return GSI_PALE
    if re.match(r"https?://", value):
        if not all(k in value for k in ("{z}", "{x}", "{y}")):
            raise BasemapError(
                "タイルのURLには {z}・{x}・{y} を入れてください / the URL needs {z}, {x} and {y}"
            )
        if not attribution:
            raise BasemapError(
                "独自のタイルには basemap_attribution（地図の出典）を書いてください / "
                "name the tiles' source in basemap_attribution"
            )
        name = re.sub(r"[^A-Za-z0-9.-]+", "_", value.split("://", 1)[1].split("{", 1)[0]).strip("_")
        return xyzservices.TileProvider(name=name or "custom", url=value, attribution=attribution)
    try:
        provider = xyzservices.providers.query_name(value)
    except ValueError:
        raise BasemapError(
            f"背景地図「{value}」が分かりません（gsi-pale、none、xyzservices の名前、または URL） / unknown basemap"
        ) from None
    if attribution:
        provider = xyzservices.TileProvider({**provider, "attribution": attribution})
    return provider


@dataclass
class TileCache:
    """Tiles on disk, laid out <folder>/<z>/<x>/<y>.png (or .jpg), and, when a provider is given, the
    provider to fetch the missing ones from (each saved there, so a rebuild never asks again)."""

    folder: Path
    attribution: str = ""
    provider: xyzservices.TileProvider | None = None
    failure: str = ""  # why tiles could not be had (the first error); no more asking once set
    fetched: int = 0
    _zooms: list[int] | None = field(default=None, repr=False)

    @property
    def online(self) -> bool:
        return self.provider is not None and not self.failure

    def zooms(self) -> list[int]:
        if self.provider is not None:
            low = int(self.provider.get("min_zoom", 0))
            return list(range(low, int(self.provider.get("max_zoom", 18)) + 1))
        if self._zooms is None:
            self._zooms = (
                sorted(int(p.name) for p in self.folder.iterdir() if p.is_dir() and p.name.isdigit())
                if self.folder.is_dir()
                else []
            )
        return self._zooms

    def tile(self, z: int, x: int, y: int) -> Path | None:
        """The tile's file, fetched first when it is not on disk yet; None when there is none."""
        base = self.folder / str(z) / str(x)
        for ext in ("png", "jpg", "jpeg"):
            path = base / f"{y}.{ext}"
            if path.is_file():
                return path
        if (base / f"{y}.none").is_file() or not self.online:
            return None
        return self._fetch(z, x, y)

    def _fetch(self, z: int, x: int, y: int) -> Path | None:
        assert self.provider is not None
        url = self.provider.build_url(x=x, y=y, z=z)
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        base = self.folder / str(z) / str(x)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                data = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (204, 404):  # no tile here (the sea, outside the coverage): remember it
                base.mkdir(parents=True, exist_ok=True)
                (base / f"{y}.none").write_bytes(b"")
                return None
            self.failure = f"{url}: HTTP {exc.code}"
            return None
        except (OSError, ValueError) as exc:  # no network, refused, timed out
            self.failure = f"{url}: {getattr(exc, 'reason', exc)}"
            return None
        ext = "jpg" if data[:2] == b"\xff\xd8" else "png"
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"{y}.{ext}"
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written tile in the cache
        self.fetched += 1
        return path


def project_tiles(settings: Any, root: Path) -> TileCache | None:
    """The project's tile cache from its [print] settings (None when the basemap is off). The
    TAKARA_BASEMAP environment variable, when set, wins over the config."""
    setting = os.environ.get("TAKARA_BASEMAP", settings.basemap)
    provider = provider_for(setting, settings.basemap_attribution)
    if provider is None:
        return None
    folder = settings.tile_cache if settings.tile_cache.is_absolute() else root / settings.tile_cache
    return TileCache(folder / provider.name, provider.get("attribution", ""), provider)


# ---------------------------------------------------------------- which tiles, and the picture they make


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 2**z
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def tile_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    n = 2**z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def tile_span(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    west, south, east, north = bbox
    x0, y0 = tile_xy(west, north, z)
    x1, y1 = tile_xy(east, south, z)
    return [(x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]


def choose_zoom(
    cache: TileCache, bbox: tuple[float, float, float, float], metres_per_mm: float
) -> int | None:
    """The zoom that gives about 200 dpi on paper, lowered until the box needs at most MAX_TILES."""
    zooms = cache.zooms()
    if not zooms:
        return None
    lat = (bbox[1] + bbox[3]) / 2
    want = math.log2(EARTH_M * math.cos(math.radians(lat)) / 256 / (metres_per_mm / 8))
    usable = [z for z in zooms if z <= round(want)] or zooms[:1]
    for z in reversed(usable):
        if len(tile_span(bbox, z)) <= MAX_TILES:
            return z
    return usable[0]


def mosaic(
    cache: TileCache, bbox: tuple[float, float, float, float], z: int
) -> tuple[np.ndarray, tuple] | None:
    """The tiles over bbox at zoom z as one RGB picture, and its corners (west, east, south, north) in
    degrees; None when not one tile could be had."""
    from PIL import Image

    span = tile_span(bbox, z)
    xs = sorted({x for x, _ in span})
    ys = sorted({y for _, y in span})
    canvas = np.full((len(ys) * 256, len(xs) * 256, 3), 255, dtype=np.uint8)
    drawn = False
    for x, y in span:
        path = cache.tile(z, x, y)
        if path is None:
            continue
        try:
            with Image.open(path) as im:
                pixels = np.asarray(im.convert("RGB").resize((256, 256)))
        except OSError:  # a damaged file in the cache: go without that tile
            continue
        i, j = ys.index(y), xs.index(x)
        canvas[i * 256 : (i + 1) * 256, j * 256 : (j + 1) * 256] = pixels
        drawn = True
    if not drawn:
        return None
    west, north = tile_lonlat(xs[0], ys[0], z)
    east, south = tile_lonlat(xs[-1] + 1, ys[-1] + 1, z)
    return canvas, (west, east, south, north)


def png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", optimize=True)
    return buf.getvalue()
