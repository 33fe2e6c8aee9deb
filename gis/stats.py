"""The statistics stage: writes what gis.insight computes, published places only.

    stats/index.html                 数字で見る: tables, charts and downloads
    stats/counts.csv, per_capita.csv, coverage.csv, needs.csv   UTF-8 with BOM, for Excel
    stats/insight.xlsx               the same tables as a workbook, stamped with the edition's date
    stats/*.svg, stats/stats.css     the charts (gis.charts) and the page's style
    data/layers/blank_areas.geojson, data/layers/per_capita.geojson   the index map's switchable layers

`write_stats(edition, out, links)` analyses the edition once and returns a StatsResult: the Insight (for
the district pages: gis.insight.district_figures(result.insight, area_id)), the files and the map layers
it wrote (the index map lists result.layers; nothing looks for files on disk). The page renders through
the site's view (gis.view), with the header's and footer's links from the earlier stages (Links).

The withheld count is written only by write_coordinator_counts, into a file OUTSIDE the site.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.charts import write_charts
from gis.crs import crs_label
from gis.insight import (
    BLANK_COLOUR,
    Insight,
    analyse,
    blank_parts,
    distance_label,
    legend_entries,
    organiser_types,
    per_capita_layer,
    percent,
)
from gis.place import STATUS_PAUSED
from gis.report import WITHHELD
from gis.textsafe import csv_cell, spreadsheet_cell
from gis.view import DEFAULT_LANG, Catalogue, Links, SiteModel, make_environment, site_context, slug

if TYPE_CHECKING:
    from gis.edition import Edition

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent / "site_template"
PAGE = "stats/index.html"
PAGE_MAX_ROWS = (
    1000  # a longer table makes the page too heavy to open: the rest are in the CSV and Excel files
)
CSV_FILES = {
    "counts": "counts.csv",
    "coverage": "coverage.csv",
    "needs": "needs.csv",
    "per_capita": "per_capita.csv",
}
DOWNLOAD_LABELS = {
    "counts.csv": "場所の数（CSV）",
    "per_capita.csv": "高齢者千人あたりの場所の数（CSV）",
    "coverage.csv": "歩いて行ける範囲（CSV）",
    "needs.csv": "地域の声と活動（CSV）",
    "insight.xlsx": "すべての表（Excel）",
}
SHEET_NAMES = {
    "counts": "場所の数",
    "per_capita": "高齢者千人あたり",
    "coverage": "歩いて行ける範囲",
    "needs": "ニーズと活動",
}
Table = tuple[list[str], list[list[Any]]]


@dataclass
class StatsResult:
    """What write_stats wrote: site-relative files, the map layers (insight_layers' entries whose file
    was written) and the figures themselves."""

    insight: Insight
    page: str = PAGE
    files: list[str] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)


def write_stats(edition: Edition, out: Path, links: Links | None = None) -> StatsResult:
    """Write the statistics into the site folder `out` (its stats/ folder is also accepted). `links`: what
    the page's header and footer link to (from the earlier stages' results; the page itself is added)."""
    out = Path(out)
    site = out.parent if out.name == "stats" else out
    stats, layers = site / "stats", site / "data" / "layers"
    stats.mkdir(parents=True, exist_ok=True)
    layers.mkdir(parents=True, exist_ok=True)
    ins = analyse(edition)
    result = StatsResult(ins)

    def written(path: Path) -> None:
        result.files.append(path.relative_to(site).as_posix())

    every = tables(edition, ins)
    with_needs = bool(getattr(edition.project, "needs", None))
    csv_tables = [key for key in every if key != "needs" or with_needs]
    for key in csv_tables:
        (stats / CSV_FILES[key]).write_bytes(_csv_bytes(*every[key]))
        written(stats / CSV_FILES[key])
    write_xlsx(edition, every, stats / "insight.xlsx")
    written(stats / "insight.xlsx")
    (layers / "blank_areas.geojson").write_text(
        _layer_text("blank_areas", blank_parts(edition, ins)), encoding="utf-8"
    )
    written(layers / "blank_areas.geojson")
    if ins.per_capita:
        (layers / "per_capita.geojson").write_text(
            _dump_json(per_capita_layer(edition, ins)), encoding="utf-8"
        )
        written(layers / "per_capita.geojson")
    result.layers = [layer for layer in insight_layers(ins) if layer["file"] in result.files]
    charts = write_charts(ins, stats)
    result.files += [f"stats/{c['file']}" for c in charts.values()]
    shutil.copyfile(TEMPLATE_ROOT / "stats" / "stats.css", stats / "stats.css")
    written(stats / "stats.css")
    context = page_context(edition, ins, charts, [CSV_FILES[k] for k in csv_tables])
    html = _render_page(edition, links or Links(), context)
    (stats / "index.html").write_bytes(html.encode("utf-8"))
    written(stats / "index.html")
    return result


def _render_page(edition: Edition, links: Links, context: dict) -> str:
    """stats/index.html through the site's environment and base page (header, footer, CSP), in the
    default language: the page is in Japanese."""
    catalogue = Catalogue(DEFAULT_LANG)
    site = site_context(SiteModel(edition, catalogue), dataclasses.replace(links, stats_index=True))
    return (
        make_environment(catalogue).get_template(PAGE).render(site=site, root="../", page="stats", s=context)
    )


# ---------------------------------------------------------------- map layers


def insight_layers(ins: Insight) -> list[dict]:
    """The switchable map layers write_stats writes, for the index map: id, name, file (site-relative),
    kind, style (Leaflet path options; `fillColorProperty` names the feature property holding each
    feature's fill), label_property (text to show on or beside each area), legend entries, show.
    write_stats returns those it wrote in StatsResult.layers: the pages read them from there."""
    far = distance_label(max(ins.distances))
    via = "道のりで" if ins.method == "roads" else ""
    layers = [
        {
            "id": "blank_areas",
            "name": f"空白地域（{via}{far}以内に活動中の場所がない所）",
            "file": "data/layers/blank_areas.geojson",
            "kind": "polygons",
            "style": {
                "color": "#7f2704",
                "weight": 1,
                "fillColor": BLANK_COLOUR,
                "fillOpacity": 0.45,
                "dashArray": "4 3",
            },
            "label_property": "label",
            "legend": [{"color": BLANK_COLOUR, "label": f"{via}{far}以内に活動中の場所がない所"}],
            "show": False,
        }
    ]
    if ins.per_capita:
        layers.append(
            {
                "id": "per_capita",
                "name": "高齢者千人あたりの場所の数（65歳以上 1,000 人あたり）",
                "file": "data/layers/per_capita.geojson",
                "kind": "polygons",
                "style": {"color": "#444444", "weight": 1, "fillOpacity": 0.7, "fillColorProperty": "fill"},
                "label_property": "label",
                "legend": legend_entries(ins.breaks),
                "show": False,
            }
        )
    return layers


def _layer_text(name: str, parts: list[tuple[dict, str]]) -> str:
    """A FeatureCollection's JSON text from (feature without geometry, geometry text) pairs, without
    parsing the geometry texts again."""

    def feature(f: dict, geometry: str) -> str:
        return json.dumps(f, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"geometry":' + geometry + "}"

    features = ",".join(feature(f, g) for f, g in parts)
    return f'{{"type":"FeatureCollection","name":{json.dumps(name)},"features":[{features}]}}\n'


def _dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


# ---------------------------------------------------------------- tables: CSV and the workbook


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_cell(h) for h in header])
    for r in rows:
        w.writerow(["" if v is None else csv_cell(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def tables(edition: Edition, ins: Insight) -> dict[str, Table]:
    """The tables behind the CSV files and the workbook: name -> (header, rows)."""
    project = edition.project
    cats = project.categories
    organisers = organiser_types(edition)
    district_label = project.district_tier.label
    out: dict[str, Table] = {}
    out["counts"] = (
        ["層", "区域ID", "区域名", district_label, "掲載数", "活動中", "休止中"]
        + [f"種別：{c.label}" for c in cats]
        + [f"運営：{o}" for o in organisers],
        [
            [c.tier_name, c.area_id, c.area_name, c.parent, c.total, c.active, c.paused]
            + [c.by_category.get(k.id, 0) for k in cats]
            + [c.by_organiser.get(o, 0) for o in organisers]
            for c in ins.counts
        ],
    )
    tier_names = {t.id: t.name for t in project.tiers}
    if ins.per_capita:
        out["per_capita"] = (
            ["層", "区域ID", "区域名", "人口", "65歳以上人口", "活動中の場所", "高齢者千人あたりの場所の数"],
            [
                [tier_names[p.tier_id], p.area_id, p.area_name, p.population, p.aged_65, p.places, p.per_1000]
                for p in ins.per_capita
            ],
        )
    pop_mode = any(c.population_shares is not None for c in ins.coverage)
    head = (
        ["層", "区域ID", "区域名", district_label, "面積（km²）"]
        + [f"{distance_label(d)}以内の面積の割合（%）" for d in ins.distances]
        + [f"{distance_label(max(ins.distances))}以内に場所がない面積（km²）"]
    )
    if pop_mode:
        head += ["人口（点データの合計）"] + [
            f"{distance_label(d)}以内の人口の割合（%）" for d in ins.distances
        ]
    rows = []
    for c in ins.coverage:
        r = (
            [tier_names[c.tier_id], c.area_id, c.area_name, c.parent, round(c.area_km2, 3)]
            + [round(c.shares[d] * 100, 1) for d in ins.distances]
            + [round(c.uncovered_km2, 3)]
        )
        if pop_mode:
            r += [round(c.population or 0)] + [
                round((c.population_shares or {}).get(d, 0) * 100, 1) for d in ins.distances
            ]
        rows.append(r)
    out["coverage"] = (head, rows)
    out["needs"] = (
        [
            district_label + "ID",
            district_label,
            "区域ID",
            "区域名",
            "種類",
            "内容",
            "応える活動の数",
            "応える活動（番号と名称）",
        ],
        [
            [
                n.district_id,
                n.district_name or ("全域" if n.whole else ""),
                n.area_id,
                n.area_name,
                n.kind,
                n.text,
                len(n.places),
                "、".join(f"{num} {name}" for num, name, _ in n.places) or "なし",
            ]
            for n in sorted(ins.needs, key=lambda n: (n.district_id, n.row))
        ],
    )
    return out


SHEET_NAMES = {
    "counts": "場所の数",
    "per_capita": "高齢者千人あたり",
    "coverage": "歩いて行ける範囲",
    "needs": "ニーズと活動",
}


def write_xlsx(edition: Edition, every: dict[str, Table], path: Path) -> None:
    """The same tables as a workbook for the council's papers; byte-identical for the same edition.
    Written in openpyxl's write-only mode: a national project has tens of thousands of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    for key, (header, rows) in every.items():
        ws = wb.create_sheet(SHEET_NAMES[key])
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, 1):
            width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows[:200] if r[i - 1] is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.8 + 2))
        head = []
        for h in header:
            cell = WriteOnlyCell(ws, value=spreadsheet_cell(h))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF4")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            head.append(cell)
        ws.append(head)
        for r in rows:
            ws.append([spreadsheet_cell(v) for v in r])
    stamp = _edition_stamp(edition)
    wb.properties.creator = "Takara Map"
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_normalise_zip(buf.getvalue(), stamp))


def _edition_stamp(edition: Edition) -> datetime:
    return datetime(edition.date.year, edition.date.month, edition.date.day)


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """openpyxl writes the save time into docProps/core.xml and every zip entry: put the edition date."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + when.encode() + rb"\g<2>", body
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


# ---------------------------------------------------------------- the page


def page_context(
    edition: Edition, ins: Insight, charts: dict[str, dict[str, str]], downloads: list[str]
) -> dict:
    """Everything stats/index.html shows, as plain values (the template escapes all text)."""
    project = edition.project
    district, finest = project.district_tier, project.finest_tier
    organisers = organiser_types(edition)

    def link(tier_id: str, area_id: str) -> str:
        return f"../districts/{slug(area_id)}/index.html" if tier_id == district.id else ""

    page = _Page(ins, link)
    top_counts = [c for c in ins.counts if c.tier_id == project.top_tier.id]
    return {
        "title": project.site.title,
        "edition": edition.date.isoformat(),
        "fictional": project.site.fictional,
        "attribution": project.site.attribution,
        "total": sum(c.total for c in top_counts) if top_counts else len(edition.places),
        "active": sum(c.active for c in top_counts),
        "paused": sum(c.paused for c in top_counts),
        "categories": [{"id": c.id, "label": c.label} for c in project.categories],
        "organisers": organisers,
        "district": {"id": district.id, "name": district.name, "label": district.label},
        "finest": {"id": finest.id, "name": finest.name, "label": finest.label},
        "tiers": page.count_tables(organisers),
        "distances": [distance_label(d) for d in ins.distances],
        "far": distance_label(max(ins.distances)),
        "coverage_finest": page.coverage_rows(finest.id, finest.label),
        "coverage_district": page.coverage_rows(district.id, district.label)
        if district.id != finest.id
        else [],
        "population_mode": any(c.population_shares is not None for c in ins.coverage),
        "blank": page.blank_rows(),
        "needs": page.need_groups(),
        "needs_total": len(ins.needs),
        "needs_unmatched": sum(1 for n in ins.needs if not n.places),
        "per_capita": page.per_capita_rows(),
        "legend": legend_entries(ins.breaks) if ins.per_capita else [],
        "crs": crs_label(ins.crs),
        "method": ins.method,
        "charts": charts,
        "downloads": [{"file": f, "label": DOWNLOAD_LABELS.get(f, f)} for f in [*downloads, "insight.xlsx"]],
        "notes": ins.notes,
        "table_notes": page.notes,
    }


class _Page:
    """The page's tables, each cut to PAGE_MAX_ROWS rows with a note under it saying where the rest are
    (`notes`, by table)."""

    def __init__(self, ins: Insight, link: Callable[[str, str], str]) -> None:
        self.ins = ins
        self.link = link
        self.notes: dict[str, str] = {}

    def shown(self, key: str, rows: list, what: str) -> list:
        if len(rows) > PAGE_MAX_ROWS:
            self.notes[key] = (
                f"{what}が {len(rows):,} あるため、ここには {PAGE_MAX_ROWS:,} 行だけを示します。"
                "すべての行は下の CSV・Excel ファイルにあります。"
            )
        return rows[:PAGE_MAX_ROWS]

    def count_tables(self, organisers: list[str]) -> list[dict]:
        project = self.ins.project
        district = project.district_tier
        tiers = []
        for t in project.tiers:
            rows = self.shown(f"counts-{t.id}", [c for c in self.ins.counts if c.tier_id == t.id], t.label)
            tiers.append(
                {
                    "id": t.id,
                    "name": t.name,
                    "label": t.label,
                    "is_district": t.id == district.id,
                    "has_parent": t.level > district.level,
                    "rows": [
                        {
                            "id": c.area_id,
                            "name": c.area_name,
                            "url": self.link(t.id, c.area_id),
                            "parent": c.parent,
                            "total": c.total,
                            "active": c.active,
                            "paused": c.paused,
                            "cats": [c.by_category.get(k.id, 0) for k in project.categories],
                            "orgs": [c.by_organiser.get(o, 0) for o in organisers],
                        }
                        for c in rows
                    ],
                }
            )
        return tiers

    def coverage_rows(self, tier_id: str, label: str) -> list[dict]:
        distances = self.ins.distances
        rows = [c for c in self.ins.coverage if c.tier_id == tier_id]
        return [
            {
                "id": c.area_id,
                "name": c.area_name,
                "url": self.link(tier_id, c.area_id),
                "parent": c.parent,
                "km2": f"{c.area_km2:.2f}",
                "shares": [percent(c.shares[d]) for d in distances],
                "pop": None if c.population is None else f"{c.population:,.0f}",
                "pop_shares": None
                if c.population_shares is None
                else [percent(c.population_shares[d]) for d in distances],
                "uncovered_km2": f"{c.uncovered_km2:.2f}",
                "uncovered_pct": percent(c.uncovered_share),
            }
            for c in self.shown(f"coverage-{tier_id}", rows, label)
        ]

    def blank_rows(self) -> list[dict]:
        finest = self.ins.project.finest_tier
        cov_by = {c.area_id: c for c in self.ins.coverage if c.tier_id == finest.id}
        blank: list[dict[str, Any]] = sorted(
            (
                {
                    "name": name,
                    "parent": parent,
                    "pct": percent(cov_by[aid].uncovered_share),
                    "km2": f"{cov_by[aid].uncovered_km2:.2f}",
                    "sort": cov_by[aid].uncovered_km2,
                }
                for aid, name, parent, _ in self.ins.blank
                if cov_by[aid].uncovered_km2 >= 0.005
            ),
            key=lambda b: (-b["sort"], b["name"]),
        )
        return self.shown("blank", blank, f"空白地域のある{finest.label}")

    def need_groups(self) -> list[dict]:
        district = self.ins.project.district_tier
        groups: dict[str, dict] = {}
        for n in sorted(self.ins.needs, key=lambda n: (n.district_id == "", n.district_id, n.row)):
            name = n.district_name or ("全域" if n.whole else "区域がわからないもの")
            url = self.link(district.id, n.district_id) if n.district_id else ""
            group = groups.setdefault(n.district_id or "_all", {"name": name, "url": url, "rows": []})
            group["rows"].append(
                {
                    "area": n.area_name or n.area_id,
                    "kind": n.kind,
                    "text": n.text,
                    "places": [
                        {"number": num, "name": nm, "category": cl, "url": f"../places/{num}/index.html"}
                        for num, nm, cl in n.places
                    ],
                }
            )
        return list(groups.values())

    def per_capita_rows(self) -> list[dict]:
        tier_names = {t.id: t.name for t in self.ins.project.tiers}
        return [
            {
                "tier": tier_names[p.tier_id],
                "name": p.area_name,
                "population": "" if p.population is None else f"{p.population:,}",
                "aged_65": "" if p.aged_65 is None else f"{p.aged_65:,}",
                "places": p.places,
                "per_1000": "" if p.per_1000 is None else f"{p.per_1000:.1f}",
            }
            for p in self.shown("per_capita", self.ins.per_capita, "区域")
        ]


# ---------------------------------------------------------------- coordinators only (outside the site)


def withheld_by_district(edition: Edition) -> dict[str, int]:
    """Withheld places per district name, from the coordinators' report (the pipeline puts them there)."""
    data = edition.report.stats.get("withheld_by_area", {})
    return {str(k): int(v) for k, v in dict(data).items()} if isinstance(data, dict) else {}


def write_coordinator_counts(edition: Edition, ins: Insight, path: Path) -> None:
    """Coordinators' CSV (UTF-8 BOM): per district, published / active / paused / withheld. It names
    how many records are held back, so write it OUTSIDE the site (e.g. PROJECT/.takara/); never publish."""
    withheld = withheld_by_district(edition)
    total_withheld = sum(1 for r in edition.report.rows if r.outcome == WITHHELD)
    district = edition.project.district_tier
    rows = [
        [c.area_id, c.area_name, c.total, c.active, c.paused, withheld.get(c.area_name, 0)]
        for c in ins.counts
        if c.tier_id == district.id
    ]
    rows.append(
        [
            "",
            "合計（全域）",
            len(edition.places),
            sum(p.is_active for p in edition.places),
            sum(p.status == STATUS_PAUSED for p in edition.places),
            total_withheld,
        ]
    )
    edition.report.stats["insight_counts_by_district"] = {
        r[1]: {"published": r[2], "active": r[3], "paused": r[4], "withheld": r[5]} for r in rows
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        _csv_bytes(
            [
                f"{district.label}ID",
                district.label,
                "掲載数",
                "活動中",
                "休止中",
                "非掲載（同意なし・終了など）",
            ],
            rows,
        )
    )
