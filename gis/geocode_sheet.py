"""The `geocode` command: a copy of a coordinator's sheet with 緯度, 経度 and 一致レベル filled in.

Rows that already have coordinates are left alone (marked 入力済み); rows with an address get the
gazetteer's (or, with --online, GSI's) point and the level it matched at, so the coordinator can check
them on a map before publishing. The original file is never touched: XLSX keeps its formatting, CSV is
written as UTF-8 with BOM so Excel opens it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.config import Project, RecordSource
from gis.encoding import decode_csv_bytes
from gis.errors import InputError, OutputError
from gis.geocode import Geocoder
from gis.limits import check_file_size
from gis.place import normalise_text
from gis.progress import Progress, quiet
from gis.records import (
    _find_header,
    _is_note,
    check_workbook_zip,
    map_headers,
    parse_csv,
)
from gis.textsafe import spreadsheet_cell
from gis.validate import FIELD_LABELS

XLSX_SUFFIXES = (".xlsx", ".xlsm")

LEVEL_HEADER = "一致レベル"
GIVEN = "入力済み"
MISS = "見つかりません"


@dataclass
class GeocodeSheetResult:
    out: Path
    rows: int = 0  # data rows seen
    given: int = 0  # rows that already had coordinates
    filled: int = 0  # rows located now
    missed: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    levels: dict[str, int] = field(default_factory=dict)  # level -> rows located at it


def default_out(sheet: Path) -> Path:
    return sheet.with_name(f"{sheet.stem}-geocoded{sheet.suffix.lower()}")


def source_for(sheet: Path, project: Project | None) -> RecordSource:
    """The project's own record entry for this file (its column mapping, sheet and header row), if any."""
    resolved = sheet.resolve()
    for source in project.records if project else []:
        if source.path.resolve() == resolved:
            return source
    return RecordSource(path=resolved, label=sheet.name)


def _blank(value: Any) -> bool:
    return value is None or not normalise_text(value)


class _Filler:
    def __init__(self, geocoder: Geocoder, result: GeocodeSheetResult, progress: Progress):
        self.geocoder, self.result, self.progress = geocoder, result, progress

    def fill(self, number: int, address: Any, lat: Any, lon: Any) -> tuple[Any, Any, str]:
        """(lat, lon, level text) for one row."""
        self.result.rows += 1
        if not _blank(lat) and not _blank(lon):
            self.result.given += 1
            return lat, lon, GIVEN
        text = normalise_text(address)
        if not text:
            self.result.missed.append((number, "所在地が空欄です / no address"))
            return lat, lon, f"{MISS}（所在地が空欄）"
        hit = self.geocoder.locate(text)
        if not hit.located:
            reason = hit.reason or "町名が見つかりません / no town matched"
            self.result.missed.append((number, reason))
            return lat, lon, f"{MISS}（{reason.split(' / ')[0]}）"
        self.result.filled += 1
        self.result.levels[hit.level] = self.result.levels.get(hit.level, 0) + 1
        return round(float(hit.lat), 6), round(float(hit.lon), 6), hit.level  # type: ignore[arg-type]


def _columns(headers: list[Any], source: RecordSource) -> tuple[dict[str, int], list[str]]:
    """0-based columns of address, lat, lon and the level column; headers to add for missing ones."""
    mapped, unknown = map_headers(headers, source.columns)
    where = {f: i for i, f in mapped.items()}
    if "address" not in where:
        raise InputError(source.label, "「所在地」（住所）の列がありません / no address column")
    width = len(headers)
    while width and _blank(headers[width - 1]):
        width -= 1
    added: list[str] = []
    for fieldname in ("lat", "lon"):
        if fieldname not in where:
            where[fieldname] = width + len(added)
            added.append(FIELD_LABELS[fieldname])
    level = next((i for i, h in unknown.items() if h == LEVEL_HEADER), None)
    if level is None:
        level = width + len(added)
        added.append(LEVEL_HEADER)
    where["level"] = level
    return where, added


def _fill_xlsx(source: RecordSource, out: Path, filler: _Filler) -> None:
    from openpyxl import load_workbook

    check_workbook_zip(source.path, source.label)
    try:
        book = load_workbook(source.path)
    except Exception as exc:  # noqa: BLE001 - any failure to open means "not a workbook we can read"
        raise InputError(
            source.label, f"Excel ファイルとして開けません / cannot open as XLSX: {exc}"
        ) from None
    if source.sheet:
        if source.sheet not in book.sheetnames:
            raise InputError(source.label, f"シート「{source.sheet}」がありません / sheet not found")
        candidates = [book[source.sheet]]
    else:
        candidates = list(book.worksheets)
    ws, table, h = _data_sheet(candidates, source)
    where, added = _columns(table[h], source)
    for header in added:
        ws.cell(row=h + 1, column=where_for(header, where) + 1, value=header)
    data = [
        i
        for i in range(h + 1, len(table))
        if any(not _blank(c) for c in table[i]) and not _is_note(table[i], {})
    ]
    for n, i in enumerate(data, 1):
        cells = table[i] + [None] * (max(where.values()) + 1 - len(table[i]))
        lat, lon, level = filler.fill(
            i + 1, cells[where["address"]], cells[where["lat"]], cells[where["lon"]]
        )
        ws.cell(row=i + 1, column=where["lat"] + 1, value=lat)
        ws.cell(row=i + 1, column=where["lon"] + 1, value=lon)
        ws.cell(row=i + 1, column=where["level"] + 1, value=level)
        filler.progress("geocode", n, len(data))
    if out.suffix.lower() in XLSX_SUFFIXES:
        tmp = out.with_name(f".{out.name}.tmp")
        book.save(tmp)
        tmp.replace(out)
    else:
        write_table([list(r) for r in ws.iter_rows(values_only=True)], out)


def _data_sheet(candidates: list[Any], source: RecordSource) -> tuple[Any, list[list[Any]], int]:
    """The first sheet with a header row (extra sheets of notes are common), its cells and header index."""
    problem: InputError | None = None
    for ws in candidates:
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        try:
            return ws, table, _find_header(table, source.columns, source.header_row, source.label)
        except InputError as exc:
            problem = problem or exc
    assert problem is not None
    raise problem


def where_for(header: str, where: dict[str, int]) -> int:
    key = {FIELD_LABELS["lat"]: "lat", FIELD_LABELS["lon"]: "lon", LEVEL_HEADER: "level"}[header]
    return where[key]


def _fill_csv(source: RecordSource, out: Path, filler: _Filler) -> None:
    check_file_size(source.path, source.label)
    text = decode_csv_bytes(source.path.read_bytes(), source.label)
    table: list[list[Any]] = list(parse_csv(text, source.label, source.path.suffix.lower(), source.columns))
    h = _find_header(table, source.columns, source.header_row, source.label)
    where, added = _columns(table[h], source)
    width = max(where.values()) + 1
    table[h] = table[h] + [""] * (width - len(table[h]))
    for header in added:
        table[h][where_for(header, where)] = header
    data = [
        i
        for i in range(h + 1, len(table))
        if any(not _blank(c) for c in table[i]) and not _is_note(table[i], {})
    ]
    for n, i in enumerate(data, 1):
        row = table[i] + [""] * (width - len(table[i]))
        row[where["lat"]], row[where["lon"]], row[where["level"]] = filler.fill(
            i + 1, row[where["address"]], row[where["lat"]], row[where["lon"]]
        )
        table[i] = row
        filler.progress("geocode", n, len(data))
    write_table(table, out)


def write_table(table: list[list[Any]], out: Path) -> None:
    """The copy in the format its name asks for: .xlsx a real workbook, anything else CSV (UTF-8 with BOM,
    for Excel). Every cell passes the spreadsheet gate: a CSV cell is plain text to us, never a formula."""
    tmp = out.with_name(f".{out.name}.tmp")
    rows = [[spreadsheet_cell(c) for c in row] for row in table]
    if out.suffix.lower() in XLSX_SUFFIXES:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "記録"
        for row in rows:
            sheet.append(row)
        book.save(tmp)
    else:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, delimiter="\t" if out.suffix.lower() == ".tsv" else ",").writerows(rows)
    tmp.replace(out)


def geocode_sheet(
    sheet: Path,
    project: Project | None,
    out: Path | None = None,
    online: bool = False,
    progress: Progress = quiet,
) -> GeocodeSheetResult:
    """Write a copy of `sheet` (XLSX or CSV) with coordinates and match levels; returns what happened."""
    sheet = Path(sheet)
    if not sheet.is_file():
        raise InputError(str(sheet), "ファイルが見つかりません / file not found")
    suffix = sheet.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ".tsv"):
        raise InputError(sheet.name, "Excel（.xlsx）か CSV を指定してください / give an .xlsx or .csv file")
    out = Path(out) if out else default_out(sheet)
    if out.suffix.lower() not in (*XLSX_SUFFIXES, ".csv", ".txt", ".tsv"):
        raise OutputError(
            f"{out}: 書き出す形式がわかりません。名前を .xlsx か .csv で終えてください / "
            "--out must end in .xlsx or .csv"
        )
    if out.resolve() == sheet.resolve():
        raise OutputError(
            f"{out}: 元のファイルには上書きしません。別の名前を指定してください / "
            "will not overwrite the original sheet"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    gazetteer = project.build.gazetteer if project else None
    if gazetteer is None and not online:
        raise InputError(
            str(sheet),
            "町名データ（gazetteer）がありません。takara.toml の [build] gazetteer を設定するか "
            "--online を付けてください / no gazetteer configured: set [build] gazetteer or use --online",
        )
    geocoder = Geocoder(
        gazetteer,
        online=online or bool(project and project.build.online_geocoder),
        cache_path=project.build.geocode_cache if project else None,
    )
    result = GeocodeSheetResult(out=out)
    source = source_for(sheet, project)
    filler = _Filler(geocoder, result, progress)
    if suffix in (".xlsx", ".xlsm"):
        _fill_xlsx(source, out, filler)
    else:
        _fill_csv(source, out, filler)
    geocoder.save()
    return result
