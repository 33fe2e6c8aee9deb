"""Turn raw rows into Places: normalise every value, and say precisely what is wrong with a row.

Severity per check: an `error` rejects the row (it is not published, and the report says why);
a `warning` publishes it but tells the coordinator; `info` is a hint. `--strict` fails on warnings.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from gis.config import Project
from gis.place import (
    ORGANISER_TYPES,
    STATUS_ALIASES,
    VENUE_HOME,
    VENUE_KIND_ALIASES,
    Place,
    normalise_header,
    normalise_text,
    parse_yes_no,
)
from gis.privacy import photo_path_problem, suggests_home
from gis.records import RawRow, cell_to_date
from gis.report import Issue, Report

# Japanese names of fields, for messages that say which column is wrong.
FIELD_LABELS = {
    "number": "No.",
    "record_id": "ID",
    "name": "名称",
    "category": "種別",
    "organiser": "運営主体",
    "venue": "会場",
    "venue_kind": "会場種別",
    "address": "所在地",
    "lat": "緯度",
    "lon": "経度",
    "schedule_text": "開催日時",
    "target": "対象",
    "fee": "参加費",
    "activities": "活動内容",
    "participants": "参加人数",
    "contact": "連絡先",
    "contact_consent": "連絡先掲載",
    "consent": "掲載可否",
    "photo": "写真",
    "photo_consent": "写真掲載",
    "story": "紹介文",
    "status": "状況",
    "confirmed": "最終確認日",
    "district_hint": "地区",
    "representative": "代表者",
}

ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
MAX_NUMBER = 999_999  # a 一覧表No. becomes a folder name and a printed label: keep it a sane size
MAX_CELL = 5000  # characters kept from one cell; a longer cell is cut and the coordinator told


class RowError(Exception):
    def __init__(self, fieldname: str, ja: str, en: str):
        self.field, self.ja, self.en = fieldname, ja, en
        super().__init__(en)


def parse_date(value: Any) -> date | None:
    """西暦 or 和暦: 2023/2/6, 2023-02-06, 2023年2月6日, 令和6年7月22日, 令和元年5月1日, R5.2.5, H31.4.1.
    Raises ValueError on text that is not a date."""
    as_date = cell_to_date(value)
    if as_date:
        return as_date
    text = normalise_text(value).lower().replace(" ", "")
    if not text:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < float(value) < 80000:
        return date.fromordinal(date(1899, 12, 30).toordinal() + int(value))  # an Excel serial number
    m = re.fullmatch(r"(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(令和|平成|昭和|r|h|s)\.?(元|\d{1,2})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?", text)
    if m:
        year = 1 if m[2] == "元" else int(m[2])
        return date(ERAS[m[1]] + year, int(m[3]), int(m[4]))
    raise ValueError(text)


def _number(value: Any, fieldname: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            result = float(value)
        except OverflowError:  # an integer too large for a float
            raise RowError(
                fieldname, f"{FIELD_LABELS[fieldname]}の値が大きすぎます", f"{fieldname} is too large"
            ) from None
    else:
        text = normalise_text(value).replace(",", "")
        try:
            result = float(text)
        except ValueError:
            raise RowError(
                fieldname,
                f"{FIELD_LABELS[fieldname]}「{text[:30]}」は数値ではありません",
                f"{fieldname} {text[:30]!r} is not a number",
            ) from None
    if not math.isfinite(result):
        raise RowError(
            fieldname, f"{FIELD_LABELS[fieldname]}が数値ではありません", f"{fieldname} is not a finite number"
        )
    return result


def _text(row: RawRow, fieldname: str, report: Report, place_name: str = "") -> str:
    text = normalise_text(row.values.get(fieldname))
    if len(text) > MAX_CELL:
        report.add(
            Issue(
                "warning",
                row.source,
                row.row,
                FIELD_LABELS[fieldname],
                f"{FIELD_LABELS[fieldname]}が長すぎるため {MAX_CELL} 文字で切りました",
                f"cell longer than {MAX_CELL} characters was cut",
                place_name,
            )
        )
        text = text[:MAX_CELL]
    return text


class CategoryMatcher:
    def __init__(self, project: Project):
        self.index: dict[str, str] = {}
        for c in project.categories:
            for word in (c.id, c.label, *c.aliases):
                self.index[normalise_header(word)] = c.id
        self.choices = "、".join(c.label for c in project.categories)

    def match(self, value: str) -> str | None:
        return self.index.get(normalise_header(value))


def _check_photo_path(p: Place, row: RawRow, report: Report) -> None:
    """A photo path that could reach outside the project is dropped, with a warning."""
    problem = photo_path_problem(p.photo) if p.photo else None
    if problem:
        report.add(
            Issue(
                "warning",
                row.source,
                row.row,
                "写真",
                f"写真「{p.photo[:60]}」は使えません: {problem[0]}",
                problem[1],
                p.name,
            )
        )
        p.photo = ""


def _second_consent_columns(p: Place, row: RawRow, report: Report) -> None:
    """A 不可 in a further column that also reads as a consent column (公開 beside 掲載) is never overruled
    by the column the sheet was mapped with: privacy fails closed."""
    for fieldname, cells in row.also.items():
        for header, cell, refusal in cells:
            if parse_yes_no(cell) is not refusal or getattr(p, fieldname) is False:
                continue
            setattr(p, fieldname, False)
            what = FIELD_LABELS.get(fieldname, fieldname)
            report.add(
                Issue(
                    "warning",
                    row.source,
                    row.row,
                    header,
                    f"列「{header}」が「{normalise_text(cell)}」のため、{what}を不可として扱います"
                    f"（{what}の列が二つあります。使う列を一つにしてください）",
                    f"column {header!r} says no: {fieldname} treated as no",
                    p.name,
                )
            )


def _read_consent_and_date(p: Place, row: RawRow, report: Report) -> None:
    """掲載可否, 連絡先掲載, 写真掲載 and 最終確認日: an answer not understood publishes nothing."""
    name = p.name
    consent_raw = row.values.get("consent")
    p.consent = parse_yes_no(consent_raw)
    if p.consent is None and normalise_text(consent_raw):
        report.add(
            Issue(
                "warning",
                row.source,
                row.row,
                "掲載可否",
                f"掲載可否「{normalise_text(consent_raw)[:20]}」がわからないため掲載しません（可・不可で書いてください）",
                "consent value not understood: not published",
                name,
            )
        )
    p.contact_consent = parse_yes_no(row.values.get("contact_consent")) is True
    p.photo_consent = parse_yes_no(row.values.get("photo_consent")) is True
    _second_consent_columns(p, row, report)

    raw_date = row.values.get("confirmed")
    try:
        p.confirmed = parse_date(raw_date)
    except (ValueError, OverflowError):
        report.add(
            Issue(
                "warning",
                row.source,
                row.row,
                "最終確認日",
                f"最終確認日「{normalise_text(raw_date)[:20]}」を日付として読めません（例: 2024/7/22、令和6年7月22日）",
                "date not understood",
                name,
            )
        )


def _check_organiser(p: Place, row: RawRow, report: Report) -> None:
    name = p.name
    if p.organiser and p.organiser not in ORGANISER_TYPES:
        report.add(
            Issue(
                "info",
                row.source,
                row.row,
                "運営主体",
                f"運営主体「{p.organiser}」は標準の区分ではありません",
                f"organiser type {p.organiser!r} is not a standard one",
                name,
            )
        )


# Free-text fields, kept as written (cut at MAX_CELL, with a warning).
TEXT_FIELDS = (
    "venue",
    "address",
    "schedule_text",
    "target",
    "fee",
    "activities",
    "participants",
    "contact",
    "photo",
    "story",
    "district_hint",
    "record_id",
    "organiser",
    "representative",
)


def place_from_row(row: RawRow, project: Project, categories: CategoryMatcher, report: Report) -> Place:
    """Build a Place, or raise RowError naming the field. Warnings go to the report. The fields are read
    in this order, so a row's warnings and its one rejection are always the same ones."""
    name = _text(row, "name", report)
    if not name:
        raise RowError("name", "名称が空欄です", "the name is empty")
    p = Place(source=row.source, row=row.row, name=name)
    for fieldname in TEXT_FIELDS:
        setattr(p, fieldname, _text(row, fieldname, report, name))
    p.extra = row.extra
    _check_photo_path(p, row, report)
    p.category = _read_category(row, categories, report, name)
    p.number = _read_number(row)
    p.lat, p.lon = _read_coordinates(row, p.address)
    p.venue_kind = _read_venue_kind(row, report, name, p.venue)
    _check_organiser(p, row, report)
    p.status = _read_status(row, report, name)
    _read_consent_and_date(p, row, report)
    if "_geometry" in row.values:
        p.lat, p.lon = _geometry_point(row.values["_geometry"])
    return p


def _read_category(row: RawRow, categories: CategoryMatcher, report: Report, name: str) -> str:
    """The category's id: its id, label or an alias as written; anything else rejects the row."""
    raw_category = _text(row, "category", report, name)
    category = categories.match(raw_category)
    if category is not None:
        return category
    if not raw_category:
        raise RowError(
            "category",
            f"種別が空欄です（{categories.choices} から選んでください）",
            "the category is empty",
        )
    raise RowError(
        "category",
        f"種別「{raw_category}」は一覧にありません（{categories.choices} から選んでください）",
        f"category {raw_category!r} is not one of the project's categories",
    )


def _read_number(row: RawRow) -> int | None:
    """The 一覧表No.: empty, or a whole number from 1 to MAX_NUMBER."""
    number = _number(row.values.get("number"), "number")
    if number is None:
        return None
    if number != int(number) or not 1 <= number <= MAX_NUMBER:
        raise RowError(
            "number",
            f"No. は 1 から {MAX_NUMBER} までの整数にしてください",
            f"No. must be a whole number from 1 to {MAX_NUMBER}",
        )
    return int(number)


def _read_coordinates(row: RawRow, address: str) -> tuple[float | None, float | None]:
    """緯度 and 経度: both or neither, on the earth (swapped ones pass: the pipeline reports them); a row
    with neither needs an address or a geometry, or it cannot be located."""
    lat = _number(row.values.get("lat"), "lat")
    lon = _number(row.values.get("lon"), "lon")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise RowError(
            missing,
            f"{FIELD_LABELS[missing]}だけが空欄です（緯度と経度は両方書くか、両方空欄に）",
            "give both latitude and longitude, or neither",
        )
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            pass  # swapped: the pipeline detects and reports it against the city's extent
        else:
            raise RowError("lat", "緯度・経度の値が地球上にありません", "latitude/longitude out of range")
    if lat is None and not address and "_geometry" not in row.values:
        raise RowError(
            "address",
            "所在地も緯度・経度も空欄のため、場所がわかりません",
            "no address and no coordinates: the place cannot be located",
        )
    return lat, lon


def _read_venue_kind(row: RawRow, report: Report, name: str, venue: str) -> str:
    kind = _text(row, "venue_kind", report, name)
    venue_kind = VENUE_KIND_ALIASES.get(normalise_header(kind), kind) if kind else ""
    if not venue_kind and suggests_home(venue):
        return VENUE_HOME  # a venue written as someone's home is one (gis.privacy decides what is shown)
    return venue_kind


def _read_status(row: RawRow, report: Report, name: str) -> str:
    status_raw = _text(row, "status", report, name)
    status = STATUS_ALIASES.get(normalise_header(status_raw))
    if status is None:
        raise RowError(
            "status",
            f"状況「{status_raw}」がわかりません（活動中・休止中・終了 のどれか）",
            f"status {status_raw!r} is not 活動中 / 休止中 / 終了",
        )
    return status


def _geometry_point(geometry: Any) -> tuple[float, float]:
    """(lat, lon) of a point inside a GeoJSON feature's geometry (a polygon's is inside it)."""
    from shapely.geometry import shape

    try:
        point = shape(geometry).representative_point()
        return point.y, point.x
    except Exception:  # noqa: BLE001 - any malformed geometry is the coordinator's row problem
        raise RowError("lat", "形（geometry）が壊れています", "the feature's geometry is broken") from None


def validate_rows(rows: list[RawRow], project: Project, report: Report) -> list[Place]:
    """Every row becomes a Place or a rejection in the report. Duplicate numbers are rejected after the first."""
    categories = CategoryMatcher(project)
    places: list[Place] = []
    seen_numbers: dict[int, Place] = {}
    for row in rows:
        name = normalise_text(row.values.get("name"))[:80]
        try:
            place = place_from_row(row, project, categories, report)
        except RowError as err:
            report.reject(row.source, row.row, name, FIELD_LABELS.get(err.field, err.field), err.ja, err.en)
            continue
        if place.number is not None and place.number in seen_numbers:
            first = seen_numbers[place.number]
            report.reject(
                row.source,
                row.row,
                name,
                "No.",
                f"No.{place.number} は {first.source} {first.row}行目と重複しています",
                f"No. {place.number} is already used by {first.source} row {first.row}",
            )
            continue
        if place.number is not None:
            seen_numbers[place.number] = place
        places.append(place)
    return places
