"""Readers: CSV (UTF-8, UTF-8 with BOM, CP932), XLSX and GeoJSON record files → rows that remember
their file and row number. No interpretation of values here: that is gis.validate's job."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gis import limits
from gis.columns import Proposal, propose
from gis.config import RecordSource
from gis.encoding import decode_csv_bytes
from gis.errors import InputError
from gis.place import FIELD_ALIASES, normalise_header, normalise_text

NOTE_MARKS = ("※", "注", "*", "＊", "備考", "(注", "（注")


@dataclass
class RawRow:
    source: str  # file name as given in the config
    row: int  # 1-based row as the coordinator's program shows it
    values: dict[str, Any]  # Takara Map field -> raw cell value
    extra: dict[str, str] = field(default_factory=dict)  # unmapped columns, by their own header
    # consent field -> (header, cell) of each further column that also speaks for it (公開 beside 掲載)
    # (header, cell, True when the header names the refusal so its yes is the 不可)
    also: dict[str, list[tuple[str, Any, bool]]] = field(default_factory=dict)


@dataclass
class ReadResult:
    rows: list[RawRow]
    notes: list[str] = field(default_factory=list)  # things worth telling the coordinator (unknown headers …)
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> field (the mapping used)
    unused: list[str] = field(default_factory=list)  # headers of columns not used
    proposals: list[Proposal] = field(default_factory=list)  # what the unused columns seem to hold
    table: bool = False  # a sheet (CSV/XLSX): it must have a consent column
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, text) of rows read as notes


def _alias_index(columns: dict[str, str]) -> dict[str, str]:
    index = {
        normalise_header(alias): fieldname
        for fieldname, aliases in FIELD_ALIASES.items()
        for alias in aliases
    }
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
            raise InputError(
                label, f"header_row {header_row} は表の範囲外です / header_row is beyond the sheet"
            )
        return header_row - 1
    for i, row in enumerate(rows[:30]):
        mapped, _ = map_headers(row, columns)
        if "name" in mapped.values() and len(mapped) >= 2:
            return i
    raise InputError(
        label,
        "見出し行（名称・住所などの列名）が見つかりません。header_row を設定するか、"
        'takara.toml の [records.columns] でシートの列名を対応づけてください（例: "サークル名" = "name"） / '
        "no header row with a name column found: set header_row, or map the sheet's headers in "
        "[records.columns]",
    )


def _is_note(cells: list[Any], mapped: dict[int, str]) -> bool:
    filled = [c for c in cells if c not in (None, "") and str(c).strip()]
    if len(filled) != 1:
        return False
    text = normalise_text(filled[0])
    return text.startswith(NOTE_MARKS)


CONSENT_FIELDS = {"consent": "掲載可否", "contact_consent": "連絡先掲載", "photo_consent": "写真掲載"}


def check_consent_headers(headers: list[Any], mapped: dict[int, str], label: str) -> None:
    """A consent column must ask the question: one headed 掲載不可 or 非公開 holds ○ for the refusals, and
    read as consent it would publish exactly them."""
    from gis.columns import names_refusal

    for j, fieldname in mapped.items():
        if fieldname in CONSENT_FIELDS and names_refusal(str(headers[j])):
            header = normalise_text(headers[j])
            raise InputError(
                label,
                f"列「{header}」は「載せない」ことを示す見出しのため、{CONSENT_FIELDS[fieldname]}"
                f"（載せてよいか）の列としては使えません。○が「載せない」の意味になり、断った方を載せてしまいます。"
                f"{CONSENT_FIELDS[fieldname]}の列を可/不可で作り、takara.toml の [records.columns] から"
                f"「{header}」の行を消してください / column {header!r} names the refusal: it cannot be the "
                f"{fieldname} column",
            )


def rows_from_table(table: list[list[Any]], source: RecordSource, first_row_number: int = 1) -> ReadResult:
    """Turn a grid of cells (title rows, header, data, blank rows, notes) into RawRows."""
    label = source.label or source.path.name
    notes: list[str] = []
    if not table or all(not any(c not in (None, "") for c in row) for row in table):
        raise InputError(label, "表が空です / the sheet is empty")
    limits.check_table(
        len(table), max(map(len, table)), sum(map(len, table)), label
    )  # before any row is interpreted
    h = _find_header(table, source.columns, source.header_row, label)
    headers = table[h]
    mapped, unknown = map_headers(headers, source.columns)
    if "name" not in mapped.values():
        raise InputError(
            label,
            "「名称」（団体名）の列がありません。takara.toml の [records.columns] で名称の列を対応づけてください"
            '（例: "サークル名" = "name"） / no name column: map it in [records.columns]',
            row=h + first_row_number,
        )
    check_consent_headers(headers, mapped, label)
    proposals = propose(unknown, table, h + 1, set(mapped.values()))
    if unknown:
        notes.append(f"{label}: 使わない列 / columns not used: {', '.join(unknown.values())}")
    notes += [p.note(label) for p in proposals]
    by_header = {header: j for j, header in unknown.items()}
    seconds = [(by_header[p.header], p) for p in proposals if p.also and p.header in by_header]
    rows: list[RawRow] = []
    skipped: list[tuple[int, str]] = []
    for i in range(h + 1, len(table)):
        cells = list(table[i])
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue  # blank row
        if _is_note(cells, mapped):  # ※ notes under the table: reported as skipped, never dropped unseen
            text = next(c for c in cells if c not in (None, "") and str(c).strip())
            skipped.append((i + first_row_number, normalise_text(text)))
            continue
        values = {f: (cells[j] if j < len(cells) else None) for j, f in mapped.items()}
        extra = {
            name: normalise_text(cells[j])
            for j, name in unknown.items()
            if j < len(cells) and cells[j] not in (None, "")
        }
        also: dict[str, list[tuple[str, Any, bool]]] = {}
        for j, p in seconds:
            also.setdefault(p.also, []).append((p.header, cells[j] if j < len(cells) else None, p.refusal))
        rows.append(RawRow(source=label, row=i + first_row_number, values=values, extra=extra, also=also))
    return ReadResult(
        rows=rows,
        notes=notes,
        columns={normalise_text(headers[j]): f for j, f in mapped.items()},
        unused=list(unknown.values()),
        proposals=proposals,
        table=True,
        skipped=skipped,
    )


def csv_delimiter(text: str, suffix: str, columns: dict[str, str] | None = None) -> str:
    """Comma, TAB or semicolon: the one under which a header row (naming the name column) appears in the
    top lines; else TAB for .tsv and comma otherwise. Counting characters would be a guess (cells full of
    semicolons), and the quote is never guessed: always the double quote Excel writes."""
    top = "\n".join(text.splitlines()[:30])
    order = ("\t", ",", ";") if suffix == ".tsv" else (",", "\t", ";")
    for delimiter in order:
        try:
            rows = list(csv.reader(io.StringIO(top), delimiter=delimiter))
        except csv.Error:
            continue
        for cells in rows:
            mapped, _ = map_headers(cells, columns or {})
            if "name" in mapped.values() and len(mapped) >= 2:
                return delimiter
    return order[0]


def parse_csv(
    text: str, label: str, suffix: str = ".csv", columns: dict[str, str] | None = None
) -> list[list[str]]:
    """CSV text → rows of cells, Excel's dialect (double quote, "" inside quotes), strictly: a quote that
    never closes, or a quoted field followed by more text, is an error at its line, never merged rows."""
    delimiter = csv_delimiter(text, suffix, columns)
    csv.field_size_limit(limits.MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    table: list[list[str]] = []
    try:
        for cells in reader:
            table.append(cells)
            if len(table) > limits.MAX_ROWS:
                limits.check_table(len(table), 0, 0, label)
    except csv.Error as exc:
        raise InputError(
            label,
            '引用符（"）の使い方が正しくないため読めません。Excel で開いて CSV で保存し直してください / '
            f"badly quoted CSV: {exc}",
            row=reader.line_num,
        ) from None
    _refuse_merged_rows(table, delimiter, label)
    return table


def _refuse_merged_rows(table: list[list[str]], delimiter: str, label: str) -> None:
    """A stray quote that closes rows later swallows the rows between into one cell: a cell holding line
    breaks whose lines look like whole rows (many delimiters) is refused at its row."""
    width = max((len(r) for r in table), default=0)
    for n, cells in enumerate(table, 1):
        for cell in cells:
            if "\n" in cell and any(part.count(delimiter) >= max(3, width - 2) for part in cell.splitlines()):
                raise InputError(
                    label,
                    '引用符（"）が閉じていないため、いくつもの行が一つのセルに入ってしまいます。'
                    'その行の " を消すか "" にしてください / an unclosed quote merges several rows into one cell',
                    row=n,
                )


def read_csv(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    limits.check_file_size(source.path, label)
    text = decode_csv_bytes(source.path.read_bytes(), label)
    return rows_from_table(parse_csv(text, label, source.path.suffix.lower(), source.columns), source)


def read_xlsx(source: RecordSource) -> ReadResult:
    from openpyxl import load_workbook

    label = source.label or source.path.name
    check_workbook_zip(source.path, label)
    try:
        book = load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook we can open"
        raise InputError(
            label, f"Excel ファイルとして開けません（壊れているか別の形式です） / cannot open as XLSX: {exc}"
        ) from None
    try:
        if source.sheet:
            if source.sheet not in book.sheetnames:
                raise InputError(
                    label,
                    f"シート「{source.sheet}」がありません。あるシート: {', '.join(book.sheetnames)} / "
                    f"sheet not found",
                )
            sheet = book[source.sheet]
        else:
            sheet = _guess_data_sheet(book, source)
        table = sheet_rows(sheet, label)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a readable zip fails in many ways (XML, zlib …)
        raise InputError(
            label,
            "Excel ファイルの中身が壊れていて読めません。Excel で開いて保存し直してください / "
            f"the workbook is damaged inside: {type(exc).__name__}: {str(exc)[:120]}",
        ) from None
    finally:
        book.close()
    return rows_from_table(table, source)


def check_workbook_zip(path: Any, label: str) -> None:
    """Size, member count and expansion ratio of an XLSX (a zip), before openpyxl unpacks anything."""
    import zipfile

    limits.check_file_size(path, label)
    try:
        with zipfile.ZipFile(path) as archive:
            limits.check_zip(archive, label)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(
            label, f"Excel ファイルとして開けません（壊れているか別の形式です） / cannot open as XLSX: {exc}"
        ) from None


def sheet_rows(sheet: Any, label: str) -> list[list[Any]]:
    """A sheet's cells, row by row, within the limits. The sheet's own declared size is ignored (a 5 KB
    file may declare a million rows by 16,384 columns, which openpyxl would fill with blanks)."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    table: list[list[Any]] = []
    cells = 0
    for values in sheet.iter_rows(values_only=True):
        row = list(values)
        while row and row[-1] in (None, ""):
            row.pop()  # trailing blanks: formatting, not data
        table.append(row)
        cells += len(row)
        if len(table) > limits.MAX_ROWS or len(row) > limits.MAX_COLUMNS or cells > limits.MAX_CELLS:
            limits.check_table(len(table), len(row), cells, label)
    return table


def _guess_data_sheet(book: Any, source: RecordSource) -> Any:
    """Without a configured sheet: the first sheet that has a header row (extra sheets of notes are common)."""
    for sheet in book.worksheets:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        top = [list(r)[: limits.MAX_COLUMNS] for r in sheet.iter_rows(max_row=30, values_only=True)]
        try:
            _find_header(top, source.columns, None, source.label)
            return sheet
        except InputError:
            continue
    return book.worksheets[0]


def read_geojson(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    data = load_json(source.path, label)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InputError(label, "features がありません / not a FeatureCollection")
    return rows_from_features(features, source)


def load_json(path: Any, label: str) -> Any:
    """A JSON file within the size and nesting limits (deep nesting would exhaust the stack later)."""
    limits.check_file_size(path, label)
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except RecursionError:
        raise limits.depth_error(label) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(label, f"GeoJSON として読めません / not valid GeoJSON: {exc}") from None
    limits.check_json_depth(data, label)
    return data


def rows_from_features(features: Iterable[dict], source: RecordSource) -> ReadResult:
    """GeoJSON-like features (properties + Point geometry) → RawRows; row = feature number."""
    label = source.label or source.path.name
    index = _alias_index(source.columns)
    rows, notes, unknown_names = [], [], set()
    for n, feature in enumerate(features, 1):
        if n > limits.MAX_ROWS:
            limits.check_table(n, 0, 0, label)
        # Anything that is not a feature object still counts as a row (validation rejects it by number).
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties")
        props = props if isinstance(props, dict) else {}
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for key, value in props.items():
            fieldname = index.get(normalise_header(key))
            if fieldname and fieldname not in values:
                values[fieldname] = value
            elif value not in (None, ""):
                extra[normalise_text(key)] = (
                    normalise_text(value) if not isinstance(value, (dict, list)) else ""
                )
                unknown_names.add(normalise_text(key))
        geometry = feature.get("geometry")
        geometry = geometry if isinstance(geometry, dict) else {}
        if geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                values.setdefault("lon", coords[0])
                values.setdefault("lat", coords[1])
        elif geometry:
            notes.append(
                f"{label} {n}件目: 点以外の形（{geometry.get('type')}）は代表点を使います / non-point geometry: "
                "its representative point is used"
            )
            values.setdefault("_geometry", geometry)
        rows.append(RawRow(source=label, row=n, values=values, extra=extra))
    if unknown_names:
        notes.append(f"{label}: 使わない項目 / properties not used: {', '.join(sorted(unknown_names))}")
    return ReadResult(rows=rows, notes=notes, unused=sorted(unknown_names))


READERS = {
    ".csv": read_csv,
    ".txt": read_csv,
    ".tsv": read_csv,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".geojson": read_geojson,
    ".json": read_geojson,
}


def register_reader(suffix: str, reader: Any) -> None:
    """Lets other modules (e.g. KML import) add a record format."""
    READERS[suffix] = reader


def read_source(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    if not source.path.is_file():
        raise InputError(label, "ファイルが見つかりません / file not found")
    reader = READERS.get(source.path.suffix.lower())
    if reader is None:
        raise InputError(
            label,
            f"この形式は読めません（CSV・XLSX・GeoJSON・KML・KMZ・uMap が使えます） / unsupported format "
            f"{source.path.suffix}",
        )
    return reader(source)


def cell_to_date(value: Any) -> date | None:
    """Excel cells may already be dates; everything else is parsed by gis.validate.parse_date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
