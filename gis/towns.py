"""The town layer (町丁・字) and tiers made from town lists.

Cities define their own areas — 地区社協, 地区民協, 自治会, a 班 — as lists of towns, not as boundary
files. A tier with `towns = "data/tiers/jichikai.csv"` (one row per town and the area it belongs to) or
`areas = { "○○地区社協" = ["松崎", "赤岩"] }` is dissolved here from the project's town layer
(`[towns]`, the e-Stat 小地域 polygons `init` writes). Every town should be in exactly one area: the
report names towns in no area, towns in two areas and names that match no town (with the closest
names), each with its file and row.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gis.config import Project, Tier, TownLayer
from gis.encoding import decode_csv_bytes
from gis.errors import InputError
from gis.geocode import canonical
from gis.place import normalise_header, normalise_text
from gis.report import Issue
from gis.tiers import WGS84, load_boundaries

# Headers a town list's columns are recognised by (after normalise_header).
TOWN_HEADERS = ("町名", "町丁目", "町丁・字", "町丁字", "町・字", "町字", "大字", "地名", "町丁目名", "town")
CODE_HEADERS = ("key_code", "町丁字コード", "町丁目コード", "小地域コード", "code")
AREA_HEADERS = (
    "区域",
    "区域名",
    "地区",
    "地区名",
    "自治会",
    "自治会名",
    "町内会",
    "町内会名",
    "地区社協",
    "地区社協名",
    "地区民協",
    "地区民協名",
    "圏域",
    "班",
    "班名",
    "area",
)
ESTAT_TOWN = "8101"  # HCODE of a 町丁・字等 unit; 8154 is a water area (水面調査区)
_CHOME = re.compile(r"\d+丁目$")


@dataclass
class ListRow:
    """One town named in a town list: which area it is put in, and where that was written."""

    source: str
    row: int
    field: str  # the column (or config key) naming the town
    town: str
    area: str


@dataclass
class TownTier:
    areas: gpd.GeoDataFrame  # area_id, area_name, geometry (the dissolved towns)
    assigned: dict[str, str]  # town id -> area name
    issues: list[Issue] = field(default_factory=list)


def load_town_layer(layer: TownLayer, warn: list[str] | None = None) -> gpd.GeoDataFrame:
    """The town layer as a tier's boundaries: area_id (KEY_CODE), area_name (S_NAME), geometry."""
    pseudo = Tier(
        id="towns",
        level=99,
        name="町丁・字",
        path=layer.path,
        id_field=layer.id_field,
        name_field=layer.name_field,
    )
    return load_boundaries(pseudo, warn)


# --- e-Stat 小地域 → the town layer ----------------------------------------------------------------


def clean_estat_towns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """e-Stat 小地域 (国勢調査2020) polygons → one feature per town: KEY_CODE, S_NAME, geometry.

    Keeps only 町丁・字等 units (HCODE 8101: water areas and other survey units are dropped), merges the
    features that share a KEY_CODE (the duplicates KIGO_E marks: enclaves and split parts) and then the
    pieces of one town (same S_NAME under different codes), keeping the smallest code."""
    missing = [c for c in ("KEY_CODE", "S_NAME", "HCODE") if c not in gdf.columns]
    if missing:
        raise InputError(
            "e-Stat 小地域",
            f"列 {', '.join(missing)} がありません（国勢調査の小地域境界ではありません） / not an e-Stat "
            "small-area file",
        )
    hcode = gdf["HCODE"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    towns = gdf[(hcode == ESTAT_TOWN) & gdf.geometry.notna()].copy()
    towns["KEY_CODE"] = towns["KEY_CODE"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    towns["S_NAME"] = towns["S_NAME"].map(lambda v: normalise_text(v) if isinstance(v, str) else "")
    towns = towns[towns["S_NAME"] != ""]
    if towns.empty:
        return gpd.GeoDataFrame({"KEY_CODE": [], "S_NAME": []}, geometry=[], crs=gdf.crs)
    by_code = towns.dissolve(by="KEY_CODE", aggfunc="first", as_index=False)[
        ["KEY_CODE", "S_NAME", "geometry"]
    ]
    by_code = by_code.sort_values("KEY_CODE", kind="stable")
    # one town = one name within one municipality (KEY_CODE starts with its 5-digit code): a ward's
    # 本町 and another ward's 本町 stay apart
    by_code["town_key"] = by_code["KEY_CODE"].str[:5] + " " + by_code["S_NAME"]
    merged = by_code.dissolve(by="town_key", aggfunc="first", as_index=False)  # first = smallest code
    merged = merged[["KEY_CODE", "S_NAME", "geometry"]].sort_values("KEY_CODE", kind="stable")
    return merged.reset_index(drop=True)


# --- reading a town list ---------------------------------------------------------------------------


def _read_grid(path: Path, label: str) -> list[list[Any]]:
    """The cells of a CSV (UTF-8 or Shift_JIS) or of the XLSX sheet that has a town column."""
    if not path.exists():
        raise InputError(label, "町名の表が見つかりません / town list not found")
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        text = decode_csv_bytes(path.read_bytes(), label)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(label, "町名の表は CSV か Excel（.xlsx）にしてください / use CSV or XLSX")
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "cannot open"
        raise InputError(label, f"Excel ファイルとして開けません / cannot open as XLSX: {exc}") from None
    try:
        grids = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    finally:
        book.close()
    for grid in grids:
        if _header_row(grid, None) is not None:
            return grid
    return grids[0] if grids else []


def _header_row(grid: list[list[Any]], tier: Tier | None) -> int | None:
    wanted = {normalise_header(h) for h in TOWN_HEADERS + CODE_HEADERS}
    if tier and tier.town_column:
        wanted.add(normalise_header(tier.town_column))
    for i, row in enumerate(grid[:20]):
        if any(normalise_header(c) in wanted for c in row if c not in (None, "")):
            return i
    return None


def _columns(headers: list[str], tier: Tier, label: str) -> tuple[int | None, int | None, int]:
    """(town name column, town code column, area column) of a town list."""

    def find(given: str, names: tuple[str, ...]) -> int | None:
        keys = [normalise_header(given)] if given else [normalise_header(n) for n in names]
        for key in keys:
            if key in headers:
                return headers.index(key)
        return None

    town = find(tier.town_column, TOWN_HEADERS)
    code = None if tier.town_column else find("", CODE_HEADERS)
    own = (tier.label, tier.label + "名")
    area = find(tier.area_column, own + AREA_HEADERS)
    if area is None and not tier.area_column:
        taken = {town, code}
        rest = [
            i
            for i, h in enumerate(headers)
            if h and i not in taken and h not in ("no", "no.", "番号", "備考")
        ]
        area = rest[0] if len(rest) == 1 else None
    if area is None or (town is None and code is None):
        shown = ", ".join(h for h in headers if h)
        what = "区域" if area is None else "町名"
        raise InputError(
            label,
            f"{what}の列が見つかりません（ある列: {shown}）。town_column・area_column を設定するか、"
            f"列名を「町名」「{tier.label}」にしてください / no {'area' if area is None else 'town'} column",
        )
    return town, code, area


def read_town_list(tier: Tier) -> list[ListRow]:
    """The rows of a tier's town list (file or config), in order. A row without an area is kept (its
    town is reported as in no area, with the row); a row without a town is an issue of its own."""
    if tier.town_list is None:
        return [
            ListRow(tier.source_label, line, f"areas.{area}", town, area)
            for area, town, line in tier.town_entries
        ]
    label = tier.source_label
    grid = _read_grid(tier.town_list, label)
    top = _header_row(grid, tier)
    if top is None:
        raise InputError(
            label,
            "見出し行（「町名」などの列名）が見つかりません / no header row with a town column found",
        )
    headers = [normalise_header(c) if c not in (None, "") else "" for c in grid[top]]
    town_col, code_col, area_col = _columns(headers, tier, label)
    rows: list[ListRow] = []
    for n, cells in enumerate(grid[top + 1 :], start=top + 2):

        def cell(i: int | None, cells: list[Any] = cells) -> str:
            if i is None or i >= len(cells) or cells[i] is None:
                return ""
            value = cells[i]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return normalise_text(str(value)).strip()

        town, code, area = cell(town_col), cell(code_col), cell(area_col)
        if not (town or code or area):
            continue
        column = str(grid[top][code_col]) if code and code_col is not None else str(grid[top][town_col or 0])
        rows.append(ListRow(label, n, column, code or town, area))
    return rows


# --- matching and dissolving -----------------------------------------------------------------------


def _matches(name: str, ids: set[str], by_name: dict[str, list[str]]) -> list[str]:
    """Town ids a list entry names: a KEY_CODE, a town name, or a town whose 丁目 all go together
    (本町 → 本町1丁目, 本町2丁目 …)."""
    if name in ids:
        return [name]
    key = canonical(name)
    if key in by_name:
        return by_name[key]
    return [
        tid
        for town, tids in by_name.items()
        if town.startswith(key) and _CHOME.fullmatch(town[len(key) :])
        for tid in tids
    ]


def suggestions(name: str, names: list[str], n: int = 3) -> list[str]:
    """The closest town names to one that matches none (typos, a missing 字 or 丁目, old spellings)."""
    key = canonical(name)
    keyed = {canonical(t): t for t in names}
    near = [keyed[k] for k in difflib.get_close_matches(key, list(keyed), n=n, cutoff=0.5)]
    contains = [t for k, t in keyed.items() if key and (key in k or (len(k) > 1 and k in key))]
    return list(dict.fromkeys(near + sorted(contains, key=len)))[:n]


def assign_towns(
    rows: list[ListRow], towns: gpd.GeoDataFrame, tier: Tier
) -> tuple[dict[str, str], list[Issue]]:
    """town id → area name from the list rows, and the issues: unknown names (with suggestions), towns
    put in two areas (the first row wins) and towns in no area."""
    ids = set(towns["area_id"].astype(str))
    names = dict(zip(towns["area_id"].astype(str), towns["area_name"].astype(str)))
    by_name: dict[str, list[str]] = {}
    for tid, tname in names.items():
        by_name.setdefault(canonical(tname), []).append(tid)
    assigned: dict[str, str] = {}
    first_row: dict[str, ListRow] = {}
    blank_rows: dict[str, ListRow] = {}
    issues: list[Issue] = []
    for row in rows:
        if not row.town:
            issues.append(
                Issue(
                    "warning",
                    row.source,
                    row.row,
                    row.field,
                    f"{tier.label}「{row.area}」の行に町名がありません",
                    "the row names no town",
                    row.area,
                )
            )
            continue
        hits = _matches(row.town, ids, by_name)
        if not hits:
            near = suggestions(row.town, sorted(set(names.values())))
            hint = f"。近い町名: {'、'.join(near)}" if near else ""
            issues.append(
                Issue(
                    "warning",
                    row.source,
                    row.row,
                    row.field,
                    f"町名「{row.town}」はこの市の町丁・字にありません{hint}",
                    f"no town named {row.town!r}" + (f"; closest: {', '.join(near)}" if near else ""),
                    row.town,
                )
            )
            continue
        for tid in hits:
            if not row.area:
                blank_rows.setdefault(tid, row)
            elif tid in assigned and assigned[tid] != row.area:
                was = first_row[tid]
                issues.append(
                    Issue(
                        "warning",
                        row.source,
                        row.row,
                        row.field,
                        f"町「{names[tid]}」は {was.row}行目で「{assigned[tid]}」に入っています。"
                        f"「{row.area}」にも入れることはできません（{was.row}行目を使いました）",
                        f"town {names[tid]} is already in {assigned[tid]!r} (row {was.row}); "
                        f"it cannot also be in {row.area!r}: row {was.row} was used",
                        row.town,
                    )
                )
            elif tid not in assigned:
                assigned[tid] = row.area
                first_row[tid] = row
    issues += _unassigned(names, assigned, blank_rows, tier)
    return assigned, issues


def _unassigned(
    names: dict[str, str], assigned: dict[str, str], blank_rows: dict[str, ListRow], tier: Tier
) -> list[Issue]:
    issues = []
    for tid in sorted(names):
        if tid in assigned:
            continue
        row = blank_rows.get(tid)
        code = f"（{tid}）" if tid != names[tid] else ""  # the code tells apart towns of one name
        if row is not None:
            issues.append(
                Issue(
                    "warning",
                    row.source,
                    row.row,
                    row.field,
                    f"町「{names[tid]}」の{tier.label}が空欄です。どの{tier.label}にも入りません",
                    f"town {names[tid]} has no area: it is in no {tier.id} area",
                    row.town,
                )
            )
        else:
            issues.append(
                Issue(
                    "warning",
                    tier.source_label,
                    None,
                    "",
                    f"町「{names[tid]}」{code}が表にありません。どの{tier.label}にも入りません",
                    f"town {names[tid]}{code} is not in the list: it is in no {tier.id} area",
                    names[tid],
                )
            )
    return issues


def dissolve_areas(towns: gpd.GeoDataFrame, assigned: dict[str, str], order: list[str]) -> gpd.GeoDataFrame:
    """The areas as the union of their towns: area_id = area_name = the area's name, in list order."""
    mine = towns[towns["area_id"].astype(str).isin(assigned)].copy()
    if mine.empty:
        return gpd.GeoDataFrame({"area_id": [], "area_name": []}, geometry=[], crs=WGS84)
    mine["area_name"] = mine["area_id"].astype(str).map(assigned)
    areas = mine[["area_name", "geometry"]].dissolve(by="area_name", as_index=False)
    areas["area_id"] = areas["area_name"]
    rank = {name: i for i, name in enumerate(order)}
    areas = areas.sort_values("area_name", key=lambda s: s.map(rank), kind="stable")
    return gpd.GeoDataFrame(areas[["area_id", "area_name", "geometry"]].reset_index(drop=True), crs=WGS84)


def build_town_tier(tier: Tier, towns: gpd.GeoDataFrame) -> TownTier:
    rows = read_town_list(tier)
    assigned, issues = assign_towns(rows, towns, tier)
    if not assigned:
        raise InputError(
            tier.source_label,
            f"{tier.name}: 町丁・字に当てはまる行が一つもありません / no row of the town list matches a town",
        )
    order = list(dict.fromkeys(r.area for r in rows if r.area))
    return TownTier(dissolve_areas(towns, assigned, order), assigned, issues)


def town_tier_areas(tier: Tier, warn: list[str] | None = None) -> gpd.GeoDataFrame:
    """One town-list tier's areas, for a caller that needs only the shapes (the list's problems are
    reported by the pipeline, with their rows)."""
    if tier.town_layer is None:
        raise InputError(tier.source_label, "[towns]（町丁・字の境界）がありません / no town layer ([towns])")
    return build_town_tier(tier, load_town_layer(tier.town_layer, warn)).areas


def load_town_tiers(project: Project, notes: list[str]) -> tuple[dict[str, gpd.GeoDataFrame], list[Issue]]:
    """Every tier of the project made from towns, dissolved from the town layer (read once)."""
    tiers = [t for t in project.tiers if t.from_towns]
    if not tiers or project.towns is None:
        return {}, []
    towns = load_town_layer(project.towns, notes)
    out: dict[str, gpd.GeoDataFrame] = {}
    issues: list[Issue] = []
    for tier in tiers:
        made = build_town_tier(tier, towns)
        out[tier.id] = made.areas
        issues += made.issues
        problems = sum(1 for i in made.issues if i.severity != "info")
        approx = "（概略の町区域から）" if project.towns.approximate else ""
        notes.append(
            f"{tier.name}: 町名の表から {len(made.areas)} 区域を作りました{approx}"
            f"（{len(made.assigned)} / {len(towns)} 町; 確認が必要な行 {problems}） / {len(made.areas)} areas "
            f"from {len(made.assigned)} of {len(towns)} towns"
        )
    return out, issues


def town_names(project: Project) -> pd.DataFrame:
    """The town layer's towns (code, name), sorted by code: the rows of the town list sheet."""
    if project.towns is None:
        raise InputError(
            "takara.toml",
            "[towns]（町丁・字の境界）がありません。takara init で作るか、[towns] path = … を書いてください / "
            "the project has no town layer ([towns])",
        )
    towns = load_town_layer(project.towns)
    return pd.DataFrame({"code": towns["area_id"].astype(str), "name": towns["area_name"].astype(str)})


def load_tier(tier: Tier, warn: list[str] | None = None) -> gpd.GeoDataFrame:
    """A tier's areas: dissolved from the town layer when the tier is made of towns, else read from its
    boundary file (gis.tiers.load_boundaries)."""
    return town_tier_areas(tier, warn) if tier.from_towns else load_boundaries(tier, warn)
