"""Maps for the printed products (district sheets and guidebooks), drawn by matplotlib as SVG.

In the print model's metric CRS: the street basemap (gis.basemap), the project's own vector layers (roads,
overlays, landmarks), area outlines and names, and numbered markers in category colours that never hide
one another. Marker numbers and every label are real text, so the PDF tests read their sizes back.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib
import numpy as np
import segno
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, FancyBboxPatch, Rectangle

from gis.place import STATUS_PAUSED, PublicPlace
from gis.printbase import (
    HALO_BOX,
    LABEL_PT,
    PT_PER_MM,
    LabelPlacer,
    PrintLayer,
    draw_basemap,
    draw_layers,
    text_width_mm,
)
from gis.typography import NO_LINE_START, phrases
from gis.view import text_colour

if TYPE_CHECKING:
    from gis.printing import District, PrintModel

FONT = "Noto Sans CJK JP"
MM = 1 / 25.4  # inches per millimetre
# Light fills that keep black text readable, for the districts on the overview map.
MARKER_PT = 9.5  # marker numbers: 9.5 pt on A4, and 14 pt and more when the large print enlarges the map
LEGEND_PT = 8.5
CREDIT_PT = 7.0
AREA_FILLS = ("#fde2c8", "#d7ecd9", "#dce6f5", "#f4dcec", "#f6f0c4", "#d9eef0", "#eadcf5", "#f0e0d0")


def wrap_ja(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Lines of at most width_mm for matplotlib text, which knows no line breaking of its own: lines
    break between the phrases of gis.typography (BudouX and 禁則), so a word, a number and its unit stay
    together; a phrase longer than a line is cut where no closing mark or small kana starts the next."""
    lines: list[str] = []
    line = ""
    for phrase in phrases(text):
        if line and text_width_mm((line + phrase).rstrip(), size_pt) > width_mm:
            lines.append(line.rstrip())
            line = ""
        line += phrase.lstrip() if not line else phrase
        while text_width_mm(line.rstrip(), size_pt) > width_mm and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and (text_width_mm(line[:cut], size_pt) > width_mm or line[cut] in NO_LINE_START):
                cut -= 1
            lines.append(line[:cut].rstrip())
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _nice_length(max_m: float) -> float:
    """The longest round length (m) not over max_m, for the scale bar."""
    steps = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000)
    return float(max([v for v in steps if v <= max_m] or [steps[0]]))


def _metres_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


# ---------------------------------------------------------------- maps


def _legend_entries(
    model: PrintModel,
    places: list[PublicPlace],
    counts: bool = True,
    symbols: bool = True,
    layers: list[PrintLayer] | None = None,
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
        entries.append((h, "黒い縁：個人宅など（おおよその位置）"))
    for layer in layers or []:
        if layer.style == "street":
            h = Line2D([], [], color="#a9a9a4", linewidth=4.0)
        elif layer.style == "line":
            h = Line2D([], [], color=layer.color, linewidth=1.8)
        elif layer.style == "landmark":
            h = Line2D([], [], linestyle="none", marker="s", markersize=6.5, color=layer.color)
        else:
            continue
        entries.append((h, layer.name))
    return entries


def _spread(points: np.ndarray, widths: np.ndarray, height: float) -> np.ndarray:
    """Move markers apart so none hides another (points, widths and height in printed points). Each
    marker, in number order, takes the first free spot on a spiral around its own place; home venues that
    share one representative point fan out around it."""
    out = np.empty_like(points)
    for i, (x, y) in enumerate(points):
        spot = (x, y)
        if i:
            placed, placed_w = out[:i], widths[:i]
            for k in range(600):
                if k:
                    ring = 1 + int(math.sqrt(k))
                    angle = k * 2.39996  # golden angle: candidates spread evenly
                    spot = (
                        x + math.cos(angle) * ring * height * 0.6,
                        y + math.sin(angle) * ring * height * 0.6,
                    )
                apart_x = np.abs(placed[:, 0] - spot[0]) >= (placed_w + widths[i]) / 2 * 0.98
                apart_y = np.abs(placed[:, 1] - spot[1]) >= height * 0.98
                if np.all(apart_x | apart_y):
                    break
        out[i] = spot
    return out


def _frame_limits(
    bounds: tuple[float, float, float, float], width_mm: float, map_h: float
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """The map frame keeps the figure's proportions; the area shown (bounds and a margin) grows to match.
    Returns the x and y limits and the width shown (metres)."""
    minx, miny, maxx, maxy = bounds
    bw, bh = maxx - minx, maxy - miny
    pad = 0.06 * max(bw, bh)
    bw, bh = bw + 2 * pad, bh + 2 * pad
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if bw / bh > width_mm / map_h:
        bh = bw * map_h / width_mm
    else:
        bw = bh * width_mm / map_h
    return (cx - bw / 2, cx + bw / 2), (cy - bh / 2, cy + bh / 2), bw


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
        legend_size = LEGEND_PT
        right_mm = 48.0  # scale bar and north arrow
        avail = width_mm - right_mm - 4
        col_mm = max([text_width_mm(label, legend_size) + 8 for _, label in legend] or [20])
        ncol = max(1, min(len(legend) or 1, int(avail // col_mm)))
        rows = math.ceil(len(legend) / ncol) if legend else 0
        attr_lines = wrap_ja(attribution, avail, CREDIT_PT)
        self.footer = 3 + rows * 4.6 + len(attr_lines) * 3.4 + 2.5
        self.footer = max(self.footer, 16.0)
        map_h = height_mm - self.footer
        self.xlim, self.ylim, shown_width = _frame_limits(bounds, width_mm, map_h)
        self.metres_per_mm = shown_width / width_mm
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
        self._legend_and_credit(legend, ncol, attr_lines, fx, fy)
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

    def _legend_and_credit(
        self, legend: list[tuple[Line2D, str]], ncol: int, attr_lines: list[str], fx: float, fy: float
    ) -> None:
        """The footer's left part: the legend in columns, the attribution under it."""
        if legend:
            self.fig.legend(
                [h for h, _ in legend],
                [label for _, label in legend],
                loc="upper left",
                bbox_to_anchor=(2 * fx, (self.footer - 2) * fy),
                ncol=ncol,
                frameon=False,
                fontsize=LEGEND_PT,
                handletextpad=0.3,
                columnspacing=1.2,
                borderaxespad=0,
                borderpad=0,
                labelspacing=0.35,
            )
        for i, line in enumerate(attr_lines):
            self.fig.text(
                2 * fx,
                (1.2 + (len(attr_lines) - 1 - i) * 3.4) * fy,
                line,
                fontsize=CREDIT_PT,
                color="#555555",
                va="bottom",
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
                (x_mm + frac * bar_mm) * fx,
                (y_mm + 2.2) * fy,
                text,
                fontsize=CREDIT_PT,
                ha="center",
                va="bottom",
            )
        self.fig.text(
            x_mm * fx, (y_mm - 1.2) * fy, "縮尺（おおよそ）", fontsize=CREDIT_PT, color="#555555", va="top"
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
            x_mm * fx, (y_mm + 8) * fy, "北 N", fontsize=CREDIT_PT, ha="center", va="bottom", weight="bold"
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


def _map_attribution(model: PrintModel) -> str:
    site = model.project.site
    tiles = model.tiles
    if tiles is not None and not tiles.failure:
        base = f"背景地図：{tiles.attribution or '保存済みの地図タイル'}"
    else:
        base = "背景地図なし（区域の境界" + ("と道路・目印のデータ" if model.layers else "") + "から作成）"
    credits = sorted({layer.attribution for layer in model.layers if layer.attribution})
    extra = f"　道路・目印：{'、'.join(credits)}" if credits else ""
    return base + extra + (f"　出典：{site.attribution}" if site.attribution else "")


# ---------------------------------------------------------------- district maps


@dataclass
class MapPart:
    """One sheet of a district too crowded for one map: some of its finer-tier areas and their places."""

    number: int  # 1, 2, … as printed: 地図1, 地図2
    names: list[str]  # the finer areas, in the order of their size
    geometry: Any  # metric CRS
    places: list[PublicPlace]

    @property
    def title(self) -> str:
        shown = "・".join(self.names[:3]) + (f" ほか{len(self.names) - 3}地区" if len(self.names) > 3 else "")
        return f"地図{self.number}　{shown}"


SPLIT_AT = 40  # a district with more places gets an overview sheet and a sheet per group of finer areas
PART_MAX = 36  # places on one part's sheet, at most, when areas are put together
PART_MIN = 8  # a part with fewer places joins its neighbour


def split_district(model: PrintModel, d: District) -> list[MapPart]:
    """A crowded district's sheets: its finer-tier areas that hold places, each on its own sheet, a small
    one joined to the touching one with the fewest places (while that stays under PART_MAX). [] when the
    district fits on one sheet."""
    finer = model.finer_tier
    if finer is None or len(d.places) <= SPLIT_AT:
        return []
    fine = model.gdf[finer.id]
    groups: dict[str, list[PublicPlace]] = {}
    for p in d.places:
        groups.setdefault(p.areas.get(finer.id, ("", ""))[0], []).append(p)
    shapes = {
        str(r.area_id): (str(r.area_name), r.geometry.intersection(d.geometry)) for r in fine.itertuples()
    }
    parts = [([shapes[a][0]], shapes[a][1], ps) for a, ps in groups.items() if a in shapes]
    loose = [p for a, ps in groups.items() if a not in shapes for p in ps]
    if len(parts) < 2:
        return []
    while True:
        parts.sort(key=lambda part: len(part[2]))
        small = parts[0]
        if len(small[2]) >= PART_MIN:
            break
        touching = [q for q in parts[1:] if q[1].buffer(1).intersects(small[1])]
        fits = [q for q in touching if len(q[2]) + len(small[2]) <= PART_MAX]
        if not fits:
            break
        other = min(fits, key=lambda q: len(q[2]))
        parts = [q for q in parts if q is not small and q is not other]
        parts.append((other[0] + small[0], shapely.union(other[1], small[1]), other[2] + small[2]))
    for p in loose:  # a place outside every finer area goes with the nearest part
        pt = shapely.Point(model.xy[p.number])
        min(parts, key=lambda q: q[1].distance(pt))[2].append(p)
    # in the order of the smallest place number, so 地図1 holds No.1's neighbourhood
    parts.sort(key=lambda q: min(p.number for p in q[2]))
    return [
        MapPart(i, names, geom, sorted(ps, key=lambda p: p.number))
        for i, (names, geom, ps) in enumerate(parts, 1)
    ]


def district_map_svg(
    model: PrintModel,
    d: District,
    width_mm: float,
    height_mm: float,
    legend: bool = True,
    part: MapPart | None = None,
    parts: list[MapPart] | None = None,
) -> bytes:
    """The district map: the street basemap and the project's streets and landmarks, its boundary, finer
    areas with names, neighbours in grey, numbered markers in category colours (SVG id marker-<number>).
    With `part`, only that part's places are numbered and the view closes in on it; with `parts` (the
    overview of a split district), places are dots and each part is outlined with its number."""
    numbered = part.places if part is not None else ([] if parts else d.places)
    focus = part.geometry if part is not None else d.geometry
    with _rc():
        c = _MapCanvas(
            width_mm,
            height_mm,
            focus.bounds,
            _legend_entries(model, numbered or d.places, symbols=bool(numbered), layers=model.layers)
            if legend
            else [],
            _map_attribution(model),
        )
        ax = c.ax
        has_basemap = draw_basemap(model, c)
        view = shapely.box(c.xlim[0], c.ylim[0], c.xlim[1], c.ylim[1])
        neighbours = _draw_neighbours(model, c, d, view, has_basemap)
        if not has_basemap:
            gpd.GeoSeries([d.geometry]).plot(ax=ax, facecolor="white", edgecolor="none", zorder=1.5)
        markers = _place_markers(model, c, numbered)
        labels = LabelPlacer(c, markers)
        _draw_parts(c, parts or [], labels)  # the overview's own labels go first: they must show
        for x, y, name in neighbours:
            labels.put(x, y, name, LABEL_PT, color="#77776f")
        _draw_finer_areas(model, c, d, markers, labels, view)
        draw_layers(c, model.layers, view, labels)
        gpd.GeoSeries([d.geometry]).boundary.plot(ax=ax, color="#222222", linewidth=1.6, zorder=6)
        if part is not None:
            gpd.GeoSeries([part.geometry]).boundary.plot(
                ax=ax, color="#b3261e", linewidth=1.4, linestyle=(0, (6, 2)), zorder=6.1
            )
        others = [p for p in d.places if p not in numbered]
        if others:
            pts = np.array([model.xy[p.number] for p in others])
            ax.scatter(pts[:, 0], pts[:, 1], s=9, c="#555555", linewidths=0, zorder=6.5)
        _draw_markers(c, markers)
        ax.set_xlim(*c.xlim)
        ax.set_ylim(*c.ylim)
        return c.svg()


def _draw_parts(c: _MapCanvas, parts: list[MapPart], labels: LabelPlacer) -> None:
    """On a split district's overview: each part outlined in red, with its map's number and size."""
    for each in parts:
        gpd.GeoSeries([each.geometry]).boundary.plot(ax=c.ax, color="#b3261e", linewidth=1.4, zorder=6.1)
        pt = each.geometry.representative_point()
        text = f"地図{each.number}（{len(each.places)}か所）"
        if not labels.put(pt.x, pt.y, text, 11.0, color="#b3261e", weight="bold"):
            labels.place_near(pt.x, pt.y, text, 11.0, color="#b3261e", weight="bold")


def _draw_neighbours(
    model: PrintModel, c: _MapCanvas, d: District, view: Any, has_basemap: bool
) -> list[tuple[float, float, str]]:
    """The neighbouring districts in grey; returns where their names would go (placed later, with the
    other labels, where they hide nothing)."""
    districts = model.gdf[model.district_tier.id]
    near = districts[districts.intersects(view) & (districts["area_id"] != d.id)]
    if not len(near):
        return []
    near_in_view = near.geometry.intersection(view)  # fewer vertices for the PDF to draw
    gpd.GeoSeries(near_in_view.values).plot(
        ax=c.ax,
        facecolor="#e4e4e0",
        edgecolor="#b0b0aa",
        linewidth=0.6,
        alpha=0.45 if has_basemap else 1.0,
        zorder=1,
    )
    spots = [(geom.representative_point(), str(name)) for geom, name in zip(near_in_view, near["area_name"])]
    return [(pt.x, pt.y, name) for pt, name in spots if not pt.is_empty]


def _draw_finer_areas(
    model: PrintModel, c: _MapCanvas, d: District, markers: list[Marker], labels: LabelPlacer, view: Any
) -> None:
    if model.finer_tier is None:
        return
    fine = model.gdf[model.finer_tier.id]
    fine = fine[fine.intersects(d.geometry)]
    clipped = fine.geometry.intersection(d.geometry)
    keep = clipped.area > d.geometry.area * 0.004
    gpd.GeoSeries(clipped[keep].intersection(view).boundary.values).plot(
        ax=c.ax, color="#7d8c9b", linewidth=0.6, linestyle=(0, (3, 2)), zorder=4
    )
    spots = np.array([(m.x, m.y) for m in markers]).reshape(-1, 2)
    view_area = view.area
    for geom, name in zip(clipped[keep], fine["area_name"][keep]):
        shown = geom.intersection(view)
        if shown.area > min(d.geometry.area, view_area) * 0.02:
            x, y = _label_spot(shown, name, LABEL_PT, spots, c)
            labels.put(x, y, name, LABEL_PT, color="#45576a")


@dataclass
class Marker:
    number: int
    x: float  # where the marker is drawn (metric CRS)
    y: float
    px: float  # where the place is
    py: float
    color: str
    paused: bool
    approximate: bool
    width_pt: float
    height_pt: float

    def box(self, c: _MapCanvas) -> tuple[float, float, float, float]:
        hw = self.width_pt / 2 / c.points_per_metre()
        hh = self.height_pt / 2 / c.points_per_metre()
        return (self.x - hw, self.y - hh, self.x + hw, self.y + hh)


def marker_size(number: int) -> tuple[float, float]:
    """Width and height (pt) of a marker: a circle for one or two digits, a rounded bar for more, always
    big enough for its number in MARKER_PT bold."""
    height = MARKER_PT * 1.5
    return max(height, len(str(number)) * MARKER_PT * 0.62 + 5.0), height


def _place_markers(model: PrintModel, c: _MapCanvas, places: list[PublicPlace]) -> list[Marker]:
    if not places:
        return []
    scale = c.points_per_metre()
    x0, y0 = c.xlim[0], c.ylim[0]
    sizes = np.array([marker_size(p.number) for p in places])
    true_pts = np.array(
        [[(model.xy[p.number][0] - x0) * scale, (model.xy[p.number][1] - y0) * scale] for p in places]
    )
    spots = _spread(true_pts, sizes[:, 0], float(sizes[0, 1]))
    out = []
    for p, (tx, ty), (sx, sy), (w, h) in zip(places, true_pts, spots, sizes):
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
                float(w),
                float(h),
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
    half_w = text_width_mm(name, size_pt) / 2 * c.metres_per_mm
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
        w, h = m.width_pt / scale, m.height_pt / scale
        shape = FancyBboxPatch(
            (m.x - w / 2 + h / 2, m.y - h / 2 + h / 2),
            max(w - h, 1e-9),
            1e-9,
            boxstyle=f"round,pad={h / 2}",
            facecolor="white" if m.paused else m.color,
            edgecolor="#111111" if m.approximate else (m.color if m.paused else "white"),
            linewidth=1.3 if (m.paused or m.approximate) else 0.8,
            zorder=8,
            gid=group,
            mutation_aspect=1,
        )
        ax.add_patch(shape)
        fg = m.color if m.paused else text_colour(m.color)
        ax.text(
            m.x,
            m.y,
            str(m.number),
            fontsize=MARKER_PT,
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
        has_basemap = draw_basemap(model, c)
        districts = model.gdf[model.district_tier.id]
        colours = [AREA_FILLS[i % len(AREA_FILLS)] for i in range(len(districts))]
        districts.plot(
            ax=ax,
            color=colours,
            alpha=0.55 if has_basemap else 1.0,
            edgecolor="#666666",
            linewidth=0.6,
            zorder=2,
        )
        top.boundary.plot(ax=ax, color="#222222", linewidth=1.4, zorder=3)
        if model.edition.places:
            pts = np.array([model.xy[p.number] for p in model.edition.places])
            cols = [
                model.categories[p.category].color if p.category in model.categories else "#555555"
                for p in model.edition.places
            ]
            ax.scatter(pts[:, 0], pts[:, 1], s=5, c=cols, linewidths=0, zorder=4)
        size = 10 if len(model.districts) <= 12 else LABEL_PT
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
                bbox=HALO_BOX,
                gid=f"district-{d.index}",
            )
        ax.set_xlim(*c.xlim)
        ax.set_ylim(*c.ylim)
        return c.svg()


def cover_map_svg(model: PrintModel, width_mm: float, height_mm: float, label_pt: float = 12.0) -> bytes:
    """The cover's picture: the municipality in its districts' colours with their names, and every place
    as a dot in its category's colour. No frame, no footer: a picture, not a map to read."""
    with _rc():
        top = model.gdf[model.project.top_tier.id]
        fig = Figure(figsize=(width_mm * MM, height_mm * MM))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_aspect("equal", adjustable="datalim")
        districts = model.gdf[model.district_tier.id]
        colours = [AREA_FILLS[i % len(AREA_FILLS)] for i in range(len(districts))]
        districts.plot(ax=ax, color=colours, edgecolor="white", linewidth=1.6, zorder=2)
        top.boundary.plot(ax=ax, color="#2f3b45", linewidth=2.0, zorder=3)
        if model.edition.places:
            pts = np.array([model.xy[p.number] for p in model.edition.places])
            cols = [
                model.categories[p.category].color if p.category in model.categories else "#555555"
                for p in model.edition.places
            ]
            ax.scatter(pts[:, 0], pts[:, 1], s=14, c=cols, edgecolors="white", linewidths=0.4, zorder=4)
        for d in model.districts:
            pt = d.geometry.representative_point()
            ax.text(
                pt.x,
                pt.y,
                d.name,
                fontsize=label_pt,
                weight="bold",
                ha="center",
                va="center",
                zorder=5,
                color="#2f3b45",
                bbox=HALO_BOX,
            )
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, transparent=True)
        return buf.getvalue()


def qr_svg(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=4, xmldecl=False, omitsize=True)
    return buf.getvalue()
