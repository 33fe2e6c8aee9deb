"""Readers: CSV (UTF-8, UTF-8 with BOM, CP932), XLSX and GeoJSON record files → rows that remember
their file and row number. No interpretation of values here: that is gis.validate's job."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from gis.config import RecordSource
from gis.errors import InputError
from gis.place import FIELD_ALIASES, normalise_header, normalise_text

MAX_COLUMNS = 300  # a sheet wider than this is not a coordinator's list; we read the first ones and say so
NOTE_MARKS = ("※", "注", "*", "＊", "備考", "(注", "（注")


@dataclass
class RawRow:
    source: str  # file name as given in the config
    row: int  # 1-based row as the coordinator's program shows it
    values: dict[str, Any]  # Takara Map field -> raw cell value
    extra: dict[str, str] = field(default_factory=dict)  # unmapped columns, by their own header


@dataclass
class ReadResult:
    rows: list[RawRow]
    notes: list[str] = field(default_factory=list)  # things worth telling the coordinator (unknown headers …)


def _alias_index(columns: dict[str, str]) -> dict[str, str]:
    index = {normalise_header(alias): fieldname for fieldname, aliases in FIELD_ALIASES.items() for alias in aliases}
    index.update({normalise_header(h): f for h, f in columns.items()})  # the project's own mapping wins
    return index


def map_headers(headers: list[Any], columns: dict[str, str]) -> tuple[dict[int, str], dict[int, str]]:
    """Column index → field for known headers, and column index → header text for the rest."""
    index = _alias_index(columns)
    mapped: dict[int, str] = {}
    unknown: dict[int, str] = {}
    for i, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            continue
        fieldname = index.get(key)
        if fieldname and fieldname not in mapped.values():
            mapped[i] = fieldname
        else:
            unknown[i] = normalise_text(header)
    return mapped, unknown


def _find_header(rows: list[list[Any]], columns: dict[str, str], header_row: int | None, label: str) -> int:
    """0-based index of the header row: the configured one, or the first of the top 30 rows naming at
    least two known fields including the name (title rows above the table are common)."""
    if header_row is not None:
        if header_row < 1 or header_row > len(rows):
            raise InputError(label, f"header_row {header_row} は表の範囲外です / header_row is beyond the sheet")
        return header_row - 1
    for i, row in enumerate(rows[:30]):
        mapped, _ = map_headers(row, columns)
        if "name" in mapped.values() and len(mapped) >= 2:
            return i
    raise InputError(label, "見出し行（名称・住所などの列名）が見つかりません。header_row を設定するか、"
                            "列名を「名称」「所在地」のようにしてください / no header row with a name column found")


def _is_note(cells: list[Any], mapped: dict[int, str]) -> bool:
    filled = [c for c in cells if c not in (None, "") and str(c).strip()]
    if len(filled) != 1:
        return False
    text = normalise_text(filled[0])
    return text.startswith(NOTE_MARKS)


def rows_from_table(table: list[list[Any]], source: RecordSource, first_row_number: int = 1) -> ReadResult:
    """Turn a grid of cells (title rows, header, data, blank rows, notes) into RawRows."""
    label = source.label or source.path.name
    notes: list[str] = []
    if not table or all(not any(c not in (None, "") for c in row) for row in table):
        raise InputError(label, "表が空です / the sheet is empty")
    if any(len(row) > MAX_COLUMNS for row in table):
        notes.append(f"{label}: {MAX_COLUMNS} 列より右は読みません / columns beyond {MAX_COLUMNS} are ignored")
        table = [row[:MAX_COLUMNS] for row in table]
    h = _find_header(table, source.columns, source.header_row, label)
    headers = table[h]
    mapped, unknown = map_headers(headers, source.columns)
    if "name" not in mapped.values():
        raise InputError(label, "「名称」（団体名）の列がありません / no name column", row=h + first_row_number)
    if unknown:
        notes.append(f"{label}: 使わない列 / columns not used: {', '.join(unknown.values())}")
    rows: list[RawRow] = []
    for i in range(h + 1, len(table)):
        cells = list(table[i])
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue  # blank row
        if _is_note(cells, mapped):
            continue  # ※ notes under the table
        values = {f: (cells[j] if j < len(cells) else None) for j, f in mapped.items()}
        extra = {name: normalise_text(cells[j]) for j, name in unknown.items() if j < len(cells) and cells[j] not in (None, "")}
        rows.append(RawRow(source=label, row=i + first_row_number, values=values, extra=extra))
    return ReadResult(rows=rows, notes=notes)


def decode_csv_bytes(data: bytes, label: str) -> str:
    """UTF-8 (with or without BOM) or CP932, detected; anything else is an error, never mojibake."""
    if b"\x00" in data[:4096]:
        raise InputError(label, "CSV ではなくバイナリのファイルのようです / this looks like a binary file, not CSV")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(label, "文字コードを判別できません。UTF-8 か Shift_JIS で保存し直してください / "
                            "cannot decode: save as UTF-8 or Shift_JIS (the file may mix encodings)")


def read_csv(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    text = decode_csv_bytes(source.path.read_bytes(), label)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(16 * 1024 * 1024)
    try:
        table = [row for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise InputError(label, f"CSV として読めません / cannot parse CSV: {exc}") from None
    return rows_from_table(table, source)


def read_xlsx(source: RecordSource) -> ReadResult:
    from openpyxl import load_workbook

    label = source.label or source.path.name
    try:
        book = load_workbook(source.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(label, f"Excel ファイルとして開けません（壊れているか別の形式です） / cannot open as XLSX: {exc}") from None
    try:
        if source.sheet:
            if source.sheet not in book.sheetnames:
                raise InputError(label, f"シート「{source.sheet}」がありません。あるシート: {', '.join(book.sheetnames)} / "
                                        f"sheet not found")
            sheet = book[source.sheet]
        else:
            sheet = _guess_data_sheet(book, source)
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return rows_from_table(table, source)


def _guess_data_sheet(book: Any, source: RecordSource) -> Any:
    """Without a configured sheet: the first sheet that has a header row (extra sheets of notes are common)."""
    for sheet in book.worksheets:
        top = [list(r) for r in sheet.iter_rows(max_row=30, values_only=True)]
        try:
            _find_header(top, source.columns, None, source.label)
            return sheet
        except InputError:
            continue
    return book.worksheets[0]


def read_geojson(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    try:
        data = json.loads(source.path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(label, f"GeoJSON として読めません / not valid GeoJSON: {exc}") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InputError(label, "features がありません / not a FeatureCollection")
    return rows_from_features(features, source)


def rows_from_features(features: Iterable[dict], source: RecordSource) -> ReadResult:
    """GeoJSON-like features (properties + Point geometry) → RawRows; row = feature number."""
    label = source.label or source.path.name
    index = _alias_index(source.columns)
    rows, notes, unknown_names = [], [], set()
    for n, feature in enumerate(features, 1):
        props = feature.get("properties") or {}
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for key, value in props.items():
            fieldname = index.get(normalise_header(key))
            if fieldname and fieldname not in values:
                values[fieldname] = value
            elif value not in (None, ""):
                extra[normalise_text(key)] = normalise_text(value) if not isinstance(value, (dict, list)) else ""
                unknown_names.add(normalise_text(key))
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) >= 2:
                values.setdefault("lon", coords[0])
                values.setdefault("lat", coords[1])
        elif geometry:
            notes.append(f"{label} {n}件目: 点以外の形（{geometry.get('type')}）は代表点を使います / non-point geometry: "
                         "its representative point is used")
            values.setdefault("_geometry", geometry)
        rows.append(RawRow(source=label, row=n, values=values, extra=extra))
    if unknown_names:
        notes.append(f"{label}: 使わない項目 / properties not used: {', '.join(sorted(unknown_names))}")
    return ReadResult(rows=rows, notes=notes)


READERS = {".csv": read_csv, ".txt": read_csv, ".tsv": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx,
           ".geojson": read_geojson, ".json": read_geojson}


def register_reader(suffix: str, reader: Any) -> None:
    """Lets other modules (e.g. KML import) add a record format."""
    READERS[suffix] = reader


def read_source(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    if not source.path.is_file():
        raise InputError(label, "ファイルが見つかりません / file not found")
    reader = READERS.get(source.path.suffix.lower())
    if reader is None:
        raise InputError(label, f"この形式は読めません（CSV・XLSX・GeoJSON が使えます） / unsupported format "
                                f"{source.path.suffix}")
    return reader(source)


def cell_to_date(value: Any) -> date | None:
    """Excel cells may already be dates; everything else is parsed by gis.validate.parse_date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
