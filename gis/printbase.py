"""What lies under the markers of a printed map: the street basemap (tiles from gis.basemap, reprojected
into the map's metric CRS), the project's own vector layers (streets, lines such as a bus route, landmarks),
and the placing of labels where they cover no marker and no other label."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from gis import basemap

if TYPE_CHECKING:
    from gis.printing import PrintModel
    from gis.printmap import Marker, _MapCanvas

PT_PER_MM = 72 / 25.4
LABEL_PT = 8.0  # area names and landmarks

# A pale box behind a label keeps it readable over streets; a stroked halo would turn the text into
# outlines in the SVG (large, slow to print, and no longer text the tests can read back).
HALO_BOX = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


def text_width_mm(text: str, size_pt: float) -> float:
    """Rough printed width: CJK characters are one em wide, others about half."""
    em = size_pt / PT_PER_MM
    return sum(em if unicodedata.east_asian_width(c) in "WFA" else em * 0.55 for c in text)


BASEMAP_PX_PER_MM = 6.0  # about 150 dpi: sharp enough for streets on paper, small enough for the PDF


def draw_basemap(model: PrintModel, c: _MapCanvas) -> bool:
    """Put the street basemap under the map, reprojected from Web Mercator tiles into the map's metric
    CRS (so streets line up with the vector layers). Returns whether any tile was drawn."""
    cache = model.tiles
    if cache is None:
        return False
    to_lonlat = Transformer.from_crs(model.crs, "EPSG:4326", always_xy=True)
    corners_x = [c.xlim[0], c.xlim[1], c.xlim[0], c.xlim[1]]
    corners_y = [c.ylim[0], c.ylim[0], c.ylim[1], c.ylim[1]]
    lons, lats = to_lonlat.transform(corners_x, corners_y)
    bbox = (min(lons), min(lats), max(lons), max(lats))
    z = basemap.choose_zoom(cache, bbox, c.metres_per_mm)
    if z is None:
        return False
    got = basemap.mosaic(cache, bbox, z)
    if got is None:
        return False
    pixels, _ = got
    tx0, ty0 = basemap.tile_xy(bbox[0], bbox[3], z)
    origin = (int(tx0), int(ty0))
    width = max(2, int(c.w * BASEMAP_PX_PER_MM))
    height = max(2, int((c.h - c.footer) * BASEMAP_PX_PER_MM))
    # Where each output pixel falls in the mosaic: exact on a coarse grid, linear in between.
    gx, gy = np.meshgrid(np.linspace(c.xlim[0], c.xlim[1], 33), np.linspace(c.ylim[1], c.ylim[0], 33))
    glon, glat = to_lonlat.transform(gx.ravel(), gy.ravel())
    n = 2**z
    col = ((np.asarray(glon) + 180) / 360 * n - origin[0]) * 256
    row = ((1 - np.arcsinh(np.tan(np.radians(glat))) / math.pi) / 2 * n - origin[1]) * 256
    fine_x, fine_y = np.linspace(0, 32, width), np.linspace(0, 32, height)
    cols = _upsample(col.reshape(33, 33), fine_x, fine_y)
    rows = _upsample(row.reshape(33, 33), fine_x, fine_y)
    ci = np.clip(cols.astype(int), 0, pixels.shape[1] - 1)
    ri = np.clip(rows.astype(int), 0, pixels.shape[0] - 1)
    image = pixels[ri, ci]
    c.ax.imshow(
        image,
        extent=(c.xlim[0], c.xlim[1], c.ylim[0], c.ylim[1]),
        zorder=0.5,
        interpolation="none",
        alpha=0.85,
        gid="basemap",
    )
    return True


def _upsample(grid: np.ndarray, fine_x: np.ndarray, fine_y: np.ndarray) -> np.ndarray:
    """A coarse grid of values interpolated linearly to len(fine_y) × len(fine_x)."""
    across = np.array([np.interp(fine_x, np.arange(grid.shape[1]), r) for r in grid])
    return np.array([np.interp(fine_y, np.arange(grid.shape[0]), cl) for cl in across.T]).T


# ---------------------------------------------------------------- vector layers drawn as part of the base


@dataclass
class PrintLayer:
    """A line or point layer the project already has, drawn under the markers: streets (the roads used
    for walking distance, or an overlay with print_style = "street"), lines such as a bus route or a
    river, and landmarks (points, labelled with their name)."""

    name: str
    style: str  # street / line / landmark / area
    geometry: gpd.GeoSeries  # metric CRS
    labels: list[str]
    color: str
    attribution: str = ""


def load_layers(project: Any, crs: Any, tolerance: float = 1.0) -> list[PrintLayer]:
    """The project's roads and overlays as print layers, in the order they are drawn (streets first),
    simplified to `tolerance` metres (well under a printed line's width: smaller PDFs, faster pages)."""
    layers = []
    if project.roads is not None and project.roads.is_file():
        roads = gpd.read_file(project.roads).to_crs(crs)
        layers.append(PrintLayer("道路", "street", roads.geometry.simplify(tolerance), [], "#ffffff"))
    for overlay in project.overlays:
        style = overlay.print_style or {"lines": "line", "points": "landmark"}.get(_kind_of(overlay), "none")
        if style == "none" or not overlay.path.is_file():
            continue
        g = gpd.read_file(overlay.path)
        if g.crs is None:
            g = g.set_crs(4326)
        g = g.to_crs(crs)
        g["geometry"] = g.geometry.simplify(tolerance)
        names = [str(v) if isinstance(v, str) else "" for v in g.get("name", [""] * len(g))]
        layers.append(PrintLayer(overlay.name, style, g.geometry, names, overlay.color, overlay.attribution))
    order = {"area": 0, "street": 1, "line": 2, "landmark": 3}
    return sorted(layers, key=lambda layer: order.get(layer.style, 9))


def _kind_of(overlay: Any) -> str:
    if overlay.kind != "auto":
        return overlay.kind
    types = set(gpd.read_file(overlay.path).geom_type) if overlay.path.is_file() else set()
    return (
        "points"
        if types <= {"Point", "MultiPoint"}
        else "lines"
        if "LineString" in str(types)
        else "polygons"
    )


STREET_WIDTH_MM = {"main": 1.6, "minor": 0.9}


def draw_layers(c: _MapCanvas, layers: list[PrintLayer], view: Any, labels: LabelPlacer) -> None:
    ax = c.ax
    for layer in layers:
        inside = layer.geometry[layer.geometry.intersects(view)]
        if not len(inside):
            continue
        clipped = gpd.GeoSeries(inside.intersection(view).values)
        if layer.style == "area":
            clipped.plot(ax=ax, facecolor=layer.color, edgecolor="none", alpha=0.18, zorder=1.2)
        elif layer.style == "street":
            width = STREET_WIDTH_MM["minor"] * PT_PER_MM
            clipped.plot(ax=ax, color="#a9a9a4", linewidth=width + 1.0, zorder=2.1)
            clipped.plot(ax=ax, color="#ffffff", linewidth=width, zorder=2.2)
        elif layer.style == "line":
            clipped.plot(ax=ax, color=layer.color, linewidth=1.8, alpha=0.85, zorder=2.4)
        elif layer.style == "landmark":
            for geom, name in zip(inside, [layer.labels[i] for i in inside.index]):
                pt = geom.representative_point()
                ax.plot(
                    [pt.x],
                    [pt.y],
                    marker="s",
                    markersize=6.5,
                    color=layer.color,
                    mec="white",
                    mew=0.8,
                    zorder=7.5,
                )
                if name:
                    labels.place_near(pt.x, pt.y, name, LABEL_PT, color="#1f3340", weight="bold")


class LabelPlacer:
    """Puts text where it covers no marker and no other label: each label tries a few spots around its
    point and is left out (its symbol still shows) when none is free."""

    def __init__(self, c: _MapCanvas, markers: list[Marker]):
        self.c = c
        self.boxes: list[tuple[float, float, float, float]] = [m.box(c) for m in markers]
        self.placed: list[tuple[str, tuple[float, float, float, float]]] = []

    def _size(self, text: str, size_pt: float) -> tuple[float, float]:
        return (
            text_width_mm(text, size_pt) * self.c.metres_per_mm,
            size_pt / PT_PER_MM * 1.25 * self.c.metres_per_mm,
        )

    def free(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        vx0, vx1 = self.c.xlim
        vy0, vy1 = self.c.ylim
        if x0 < vx0 or x1 > vx1 or y0 < vy0 or y1 > vy1:
            return False
        return all(x1 <= a0 or x0 >= a1 or y1 <= b0 or y0 >= b1 for a0, b0, a1, b1 in self.boxes)

    def put(self, x: float, y: float, text: str, size_pt: float, **style: Any) -> bool:
        """The label centred on x, y, when that spot is free."""
        w, h = self._size(text, size_pt)
        box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if not self.free(box):
            return False
        self.boxes.append(box)
        self.placed.append((text, box))
        self.c.ax.text(
            x, y, text, fontsize=size_pt, ha="center", va="center", zorder=7.6, bbox=HALO_BOX, **style
        )
        return True

    def place_near(self, x: float, y: float, text: str, size_pt: float, **style: Any) -> bool:
        w, h = self._size(text, size_pt)
        gap = 2.2 * self.c.metres_per_mm
        for dx, dy in ((w / 2 + gap, 0), (-w / 2 - gap, 0), (0, h / 2 + gap), (0, -h / 2 - gap)):
            if self.put(x + dx, y + dy, text, size_pt, **style):
                return True
        return False
