"""The statistics page's charts: deterministic SVG drawn with matplotlib (text kept as text, no date),
one hue dark and light so they read without colour vision. Every number is also in the page's tables."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gis.insight import choropleth_colours, distance_label

if TYPE_CHECKING:
    from gis.insight import Insight

CHART_MAX_BARS = 40  # more bars than this cannot be read: a chart then shows the lowest ones and says so
CHART_FONTS = (
    "Noto Sans CJK JP",
    "IPAexGothic",
    "IPAGothic",
    "DejaVu Sans",
)  # fonts-noto-cjk (scripts/setup.sh)
NEAR_COLOUR, FAR_COLOUR = "#08519c", "#9ecae1"  # one hue, dark and light: readable without colour vision


# Chart text in points of the SVG, which a browser draws at 4/3 px per pt when the chart is shown at its
# own size (phones scroll it sideways rather than shrink it): 10 pt = 13.3 px, 9.5 pt = 12.7 px, both
# at least the 12 px a reader can still make out.
CHART_FONT_PT = 10
CHART_SMALL_PT = 9.5


def _chart_fonts() -> list[str]:
    """The installed ones of CHART_FONTS, found before any text is drawn: matplotlib logs a findfont
    warning for every text it sets in a family that is missing."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = []
    for name in CHART_FONTS:
        if name not in installed:
            continue
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        except ValueError:  # listed in a stale font cache, but its file is gone
            continue
        if Path(path).is_file():
            found.append(name)
    return found or ["sans-serif"]


@contextmanager
def _quiet_fonts() -> Iterator[None]:
    """No findfont lines on stderr while the charts are drawn (the fonts are chosen by _chart_fonts)."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
            yield
    finally:
        logger.setLevel(level)


def _chart_rows(rows: list[Any], key: Any) -> tuple[list[Any], bool]:
    """The bars of a chart, top to bottom: every row when they fit, else the CHART_MAX_BARS lowest by `key`
    (ties in table order), and whether rows were left out."""
    if len(rows) <= CHART_MAX_BARS:
        return rows, False
    return sorted(rows, key=key)[:CHART_MAX_BARS], True


def _figure(rows: int) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(7.5, 1.1 + 0.32 * max(1, rows)), dpi=96)


def _save_svg(fig: Any, path: Path) -> None:
    import matplotlib

    # Text stays text (small files, selectable, read by screen readers); the reader's Japanese font draws it.
    with matplotlib.rc_context({"svg.hashsalt": "takara-map", "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")


def _svg_size(path: Path) -> tuple[str, str]:
    """The chart's size in CSS px (matplotlib writes it in pt): the page reserves it before the file loads."""
    head = path.read_text(encoding="utf-8")[:2000]
    size = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', head, re.DOTALL)
    if size is None:
        return "", ""
    return tuple(str(round(float(v) * 4 / 3)) for v in size.groups())  # type: ignore[return-value]


def write_charts(ins: Insight, folder: Path) -> dict[str, dict[str, str]]:
    """counts.svg (places per district by category), coverage.svg (walking reach per finest area, or per
    district when the finest tier has more than CHART_MAX_BARS areas), per_capita.svg (when a population
    table is given). A chart with more areas than CHART_MAX_BARS shows the lowest ones and says so in its
    title, alt text and `note`. name -> {file, alt, note}. The tables on the page hold every number, so
    the charts need no other text alternative than a summary."""
    import matplotlib

    charts: dict[str, dict[str, str]] = {}
    with (
        _quiet_fonts(),
        matplotlib.rc_context(
            {
                "font.family": _chart_fonts(),
                "font.size": CHART_FONT_PT,
                "svg.hashsalt": "takara-map",
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        charts["counts"] = _counts_chart(ins, folder / "counts.svg")
        charts["coverage"] = _coverage_chart(ins, folder / "coverage.svg")
        if any(p.tier_id == ins.per_capita_tier for p in ins.per_capita):
            charts["per_capita"] = _per_capita_chart(ins, folder / "per_capita.svg")
    for chart in charts.values():
        chart["width"], chart["height"] = _svg_size(folder / chart["file"])
    return charts


def _title_and_legend(ax: Any, title: str) -> None:
    """The title above the bars, flush left; the legend to the right of them."""
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", fontsize=CHART_SMALL_PT, frameon=False, bbox_to_anchor=(1.01, 1.0))


def _counts_chart(ins: Insight, path: Path) -> dict[str, str]:
    """Places per district, a stacked bar per category."""
    from matplotlib.ticker import MaxNLocator

    project = ins.project
    limit = CHART_MAX_BARS
    district = project.district_tier
    every = [c for c in ins.counts if c.tier_id == district.id]
    rows, cut = _chart_rows(every, key=lambda c: c.total)
    rows = rows[::-1]  # barh draws the first row at the bottom
    fig = _figure(len(rows))
    ax = fig.add_subplot()
    left = np.zeros(len(rows))
    names = [c.area_name for c in rows]
    for cat in project.categories:
        vals = np.array([c.by_category.get(cat.id, 0) for c in rows], dtype=float)
        ax.barh(names, vals, left=left, color=cat.color, label=cat.label, edgecolor="white", linewidth=0.6)
        left += vals
    for y, total in enumerate(left):
        ax.text(
            total + max(left.max(initial=0), 1) * 0.01,
            y,
            f"{int(total)}",
            va="center",
            fontsize=CHART_SMALL_PT,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("掲載している場所の数（か所）")
    ax.set_xlim(0, max(left.max(initial=0), 1) * 1.12)
    _title_and_legend(
        ax,
        f"{district.label}ごとの場所の数（種別ごと）"
        + (f"：場所の少ない {limit} {district.label}" if cut else ""),
    )
    _save_svg(fig, path)
    note = (
        (
            f"{district.label}が {len(every):,} あるため、図には場所の少ない {limit} {district.label}だけを"
            "示します。すべての数は下の表にあります。"
        )
        if cut
        else ""
    )
    return {
        "file": path.name,
        "note": note,
        "alt": f"{district.label}ごとの場所の数を種別に色分けした横棒グラフ。"
        + (f"場所の少ない {limit} {district.label}を示します。" if cut else "")
        + "数は下の表と同じです。",
    }


def _coverage_chart(ins: Insight, path: Path) -> dict[str, str]:
    """The share within each walking distance, per finest area (per district when there are too many)."""
    project = ins.project
    limit = CHART_MAX_BARS
    district = project.district_tier
    finest = project.finest_tier
    tier = finest
    if sum(c.tier_id == finest.id for c in ins.coverage) > limit and district.id != finest.id:
        tier = district  # a bar per neighbourhood would be unreadable: the districts instead
    near, far = min(ins.distances), max(ins.distances)
    every_cov = [c for c in ins.coverage if c.tier_id == tier.id]
    cov, cut = _chart_rows(every_cov, key=lambda c: (c.shares[far], c.shares[near]))
    cov = cov[::-1]
    fig = _figure(len(cov))
    ax = fig.add_subplot()
    names = [c.area_name for c in cov]
    far_vals = [c.shares[far] * 100 for c in cov]
    near_vals = [c.shares[near] * 100 for c in cov]
    ax.barh(names, far_vals, color=FAR_COLOUR, label=f"{distance_label(far)}以内")
    if near != far:
        ax.barh(names, near_vals, color=NEAR_COLOUR, height=0.5, label=f"{distance_label(near)}以内")
    for y, (a, b) in enumerate(zip(near_vals, far_vals)):
        text = f"{a:.0f}% / {b:.0f}%" if near != far else f"{b:.0f}%"
        ax.text(101, y, text, va="center", fontsize=CHART_SMALL_PT)
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("面積のうち、活動中の場所から歩いて行ける範囲の割合（%）")
    _title_and_legend(
        ax,
        f"{tier.label}ごとの歩いて行ける範囲"
        + (f"：{distance_label(far)}以内の割合が低い {limit} {tier.label}" if cut else ""),
    )
    _save_svg(fig, path)
    note = (
        (
            f"{tier.label}が {len(every_cov):,} あるため、図には{distance_label(far)}以内の割合が低い {limit} "
            f"{tier.label}だけを示します。すべての数は下の表にあります。"
        )
        if cut
        else ""
    )
    return {
        "file": path.name,
        "note": note,
        "alt": f"{tier.label}ごとに、{distance_label(near)}以内と{distance_label(far)}以内の"
        "面積の割合を示す横棒グラフ。"
        + (f"{distance_label(far)}以内の割合が低い {limit} {tier.label}を示します。" if cut else "")
        + "数は下の表と同じです。",
    }


def _per_capita_chart(ins: Insight, path: Path) -> dict[str, str]:
    """Active places per 1,000 residents aged 65+, per area of the population table's tier."""
    limit = CHART_MAX_BARS
    every_pc = [p for p in ins.per_capita if p.tier_id == ins.per_capita_tier]
    pc_label = next(t.label for t in ins.project.tiers if t.id == ins.per_capita_tier)
    pcs, cut = _chart_rows(every_pc, key=lambda p: (p.per_1000 is None, p.per_1000 or 0.0))
    pcs = pcs[::-1]
    colours = choropleth_colours(len(ins.breaks))
    fig = _figure(len(pcs))
    ax = fig.add_subplot()
    pc_vals = [p.per_1000 or 0.0 for p in pcs]
    ax.barh(
        [p.area_name for p in pcs],
        pc_vals,
        edgecolor="#444444",
        linewidth=0.5,
        color=["#ffffff" if p.klass is None else colours[p.klass] for p in pcs],
    )
    top = max([*pc_vals, 1.0])
    for y, p in enumerate(pcs):
        ax.text(
            (p.per_1000 or 0) + top * 0.01,
            y,
            "数字なし" if p.per_1000 is None else f"{p.per_1000:.1f}",
            va="center",
            fontsize=CHART_SMALL_PT,
        )
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel("活動中の場所の数（65歳以上の人 1,000 人あたり）")
    ax.set_title("高齢者千人あたりの場所の数" + (f"：少ない {limit} {pc_label}" if cut else ""), loc="left")
    _save_svg(fig, path)
    note = (
        (
            f"{pc_label}が {len(every_pc):,} あるため、図には高齢者千人あたりの場所が少ない {limit} "
            f"{pc_label}だけを示します。すべての数は下の表にあります。"
        )
        if cut
        else ""
    )
    return {
        "file": path.name,
        "note": note,
        "alt": "区域ごとの、高齢者千人あたりの活動中の場所の数の横棒グラフ。"
        + (f"少ない {limit} {pc_label}を示します。" if cut else "")
        + "数は下の表と同じです。",
    }
