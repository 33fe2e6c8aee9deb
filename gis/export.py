"""Open data: what the site publishes, in the forms other people's tools read.

Written under the site's data/ folder (gis.datafiles writes places.geojson and places.csv beside these):

    places.xlsx                 the 一覧表 for Excel, same columns as places.csv
    hsds/<object>.json          an HSDS 3.0 dataset (Open Referral): one JSON array per object type
    calendar/district-<id>.ics  iCalendar per district (第2層), every place in it, with recurrence rules
                                from the parsed schedule
    places.ics                  iCalendar of every place
    metadata.json               title, licence, attribution, edition, sources, counts, files

Only PublicPlace is read (privacy has already decided). Every file is deterministic: ids are uuid5 of
the place id, and the only date written is the edition date, so two builds of one edition are equal
byte for byte and the differences between editions are real changes.

A place's own calendar is not a file: its page carries the text (`gis.ical.place_calendar_text`) and the browser
offers it as a download named <place id>.ics, so 100,000 places do not cost 100,000 files.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from gis.config import Project
from gis.edition import Edition
from gis.ical import (
    calendar_bytes,
    category_label,
    place_events,
    project_namespace,
    rrule_text,
    schedule_plan,
    stable_id,
)
from gis.place import STATUS_ACTIVE, STATUS_PAUSED, VENUE_ONLINE, PublicPlace, normalise_text
from gis.table import published_columns
from gis.textsafe import one_line, spreadsheet_cell

UTC_OFFSET = "+09:00"  # Japan has had no daylight saving since 1951
HSDS_OBJECTS = (
    "organization",
    "service",
    "location",
    "address",
    "phone",
    "service_at_location",
    "schedule",
    "cost_option",
    "taxonomy",
    "taxonomy_term",
    "attribute",
    "metadata",
)
# Fields whose earlier value must not be repeated in change rows: a home venue's former address or point,
# or a phone whose consent was withdrawn, would otherwise survive in metadata.json.
PRIVATE_HISTORY = {
    ("location", "latitude"),
    ("location", "longitude"),
    ("location", "name"),
    ("location", "description"),
    ("address", "address_1"),
    ("address", "city"),
    ("address", "state_province"),
    ("phone", "number"),
}
PRIVACY_NOTE_JA = (
    "掲載に同意のあった場所だけを載せています。個人宅など公開の会場と確認できない会場は町名までの住所と地区の代表点で示し、"
    "連絡先は掲載に同意のあったものだけです。"
)
PRIVACY_NOTE_EN = (
    "consented places only; venues not known to be public (private homes …) by town and area point; "
    "phone numbers only with consent"
)
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|[^\s都道府県]{2,3}県)")


@dataclass
class ExportResult:
    files: list[str] = field(default_factory=list)  # paths relative to data/
    district_calendars: dict[str, str] = field(
        default_factory=dict
    )  # area id -> calendar/district-<slug>.ics
    calendar_skipped: list[dict] = field(default_factory=list)
    # place id -> its VEVENTs, serialised once: the district calendars and the place's page share them
    place_events: dict[str, list[bytes]] = field(default_factory=dict, repr=False)
    hsds_changes: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "files": sorted(self.files),
            "district_calendars": self.district_calendars,
            "calendar_skipped": self.calendar_skipped,
            "hsds_changes": self.hsds_changes,
            "notes": self.notes,
        }


def write_exports(edition: Edition, data_dir: Path, previous: Path | None = None) -> ExportResult:
    """Write every export into `data_dir` (the site's data/ folder). `previous` is the previous edition's
    data/ (or hsds/) folder: HSDS metadata rows then record what changed. Returns what was written
    (the pages link the files and calendars it names)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    day = edition.date
    result = ExportResult()
    places = sorted(edition.places, key=lambda p: p.number)

    _write_bytes(data_dir / "places.xlsx", xlsx_bytes(edition.project, places, day))
    result.files.append("places.xlsx")

    hsds = hsds_dataset(edition.project, places, day)
    before = _read_previous_hsds(previous, result.notes)
    if before is not None:
        hsds["metadata"] = change_rows(
            before, hsds, day, project_namespace(edition.project), _updated_by(edition.project)
        )
    result.hsds_changes = len(hsds["metadata"])
    (data_dir / "hsds").mkdir(exist_ok=True)
    for name in HSDS_OBJECTS:
        _write_json(data_dir / "hsds" / f"{name}.json", hsds[name])
        result.files.append(f"hsds/{name}.json")

    write_calendars(edition, places, data_dir, day, result)
    for name in ("places.geojson", "places.csv"):  # written by gis.datafiles; listed when present
        if (data_dir / name).is_file():
            result.files.append(name)
    result.files.append("metadata.json")
    _write_json(data_dir / "metadata.json", metadata(edition, places, day, result))
    return result


# ---------------------------------------------------------------- small helpers


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _write_json(path: Path, data: Any) -> None:
    _write_bytes(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def _updated_by(project: Project) -> str:
    return project.site.attribution or project.site.title


def _source_names(project: Project) -> list[str]:
    return sorted({Path(r.label or r.path.name).name for r in project.records})


# ---------------------------------------------------------------- XLSX


def table_columns(project: Project) -> list[tuple[str, Any]]:
    """The 一覧表 columns with Japanese headers (gis.table; the same as the site's places.csv)."""
    from gis.view import Catalogue

    return published_columns(project, Catalogue("ja"))


def xlsx_bytes(project: Project, places: list[PublicPlace], day: date) -> bytes:
    """One sheet of places and one explaining the data. Written in openpyxl's streaming mode (a national
    export has 150,000 rows). Deterministic: document dates are the edition date and the zip entries carry
    it too (openpyxl would stamp the time of saving)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("一覧表")
    columns = table_columns(project)
    for i, (name, _) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = (
            8 if i == 1 else min(40, max(10, len(name) * 2 + 2))
        )
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(places) + 1}"
    bold = Font(bold=True)
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(sheet, value=spreadsheet_cell(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    getters = [get for _, get in columns]
    for p in places:
        sheet.append([spreadsheet_cell(get(p)) for get in getters])

    about = book.create_sheet("このデータについて")
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 80
    site = project.site
    for key, value in (
        ("題名", site.title),
        ("版（データの日付）", day.isoformat()),
        ("ライセンス", site.licence),
        ("ライセンスの URL", site.licence_url),
        ("出典・クレジット", site.attribution),
        ("元の記録", "、".join(_source_names(project))),
        ("件数", len(places)),
        ("注意", PRIVACY_NOTE_JA),
    ):
        about.append([key, spreadsheet_cell(value)])
    if site.fictional:
        about.append(["架空のデータ", "この地図のデータは説明用の架空のものです。"])

    stamp = datetime.combine(day, time())
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "Takara Map"
    book.properties.title = one_line(site.title)  # an XML attribute-like field: no controls, one line
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # not save_workbook(): that stamps `modified` with the clock
    return _restamp_zip(raw.getvalue(), day)


def _restamp_zip(data: bytes, day: date) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- HSDS 3.0


def split_address(address: str, city: str) -> tuple[str, str, str]:
    """(state_province, city, address_1) from a Japanese address; the city is the 第1層 area's name."""
    text = normalise_text(address)
    pref = ""
    m = _PREFECTURE.match(text)
    if m:
        pref, text = m[1], text[m.end() :]
    if city and text.startswith(city):
        text = text[len(city) :]
    return pref, city, text


def fee_amount(fee: str) -> float | None:
    """The yen amount when the fee text names exactly one (無料 → 0); None when it cannot be said."""
    text = normalise_text(fee).replace(",", "")
    if text in {"無料", "なし", "無", "0円", "0", "free"}:
        return 0.0
    amounts = re.findall(r"(\d+)\s*円", text)
    return float(amounts[0]) if len(amounts) == 1 else None


def _rule_fields(rule: dict) -> dict:
    """An RRULE dict (Schedule.rrules) as HSDS schedule fields. HSDS has only WEEKLY and MONTHLY:
    DAILY is written as weekly on every day; BYMONTH has no field and goes into the notes."""
    freq = str(rule["FREQ"]).upper()
    out: dict[str, Any] = {}
    if freq == "DAILY":
        out["freq"], out["byday"] = "WEEKLY", ",".join(ICAL_DAYS)
    else:
        out["freq"] = freq
        if rule.get("BYDAY"):
            out["byday"] = ",".join(str(d) for d in rule["BYDAY"])
        if rule.get("BYMONTHDAY"):
            out["bymonthday"] = ",".join(str(d) for d in rule["BYMONTHDAY"])
    return out


def hsds_dataset(project: Project, places: list[PublicPlace], day: date) -> dict[str, list[dict]]:
    """Each place is an organization (the group) delivering a service (the activity) at a location (the
    venue), linked by service_at_location; categories are a taxonomy whose terms are attached to
    services through attribute rows. Objects are flat, with foreign keys, as in HSDS's tabular form."""
    ns = project_namespace(project)
    data: dict[str, list[dict]] = {name: [] for name in HSDS_OBJECTS}
    term_ids = _hsds_taxonomy(ns, project, day, data)
    for p in places:
        ids = {
            kind: stable_id(ns, kind, p.id)
            for kind in ("organization", "service", "location", "service_at_location")
        }
        label = category_label(project, p.category)
        data["organization"].append(_hsds_organization(p, ids, label))
        data["service"].append(_hsds_service(project, p, ids, label))
        _hsds_location(project, ns, p, ids, data)
        _hsds_contact_and_cost(ns, p, ids, data)
        if p.category in term_ids:
            data["attribute"].append(
                {
                    "id": stable_id(ns, "attribute", p.id, p.category),
                    "link_id": ids["service"],
                    "taxonomy_term_id": term_ids[p.category],
                    "link_type": "category",
                    "link_entity": "service",
                    "value": label,
                }
            )
        data["schedule"] += _schedules(ns, p, ids["service"], ids["service_at_location"], day)
    for rows in data.values():
        rows.sort(key=lambda r: r["id"])
    return data


def _hsds_taxonomy(ns: uuid.UUID, project: Project, day: date, data: dict[str, list[dict]]) -> dict[str, str]:
    """The categories as one taxonomy; returns the term id of each category."""
    taxonomy_id = stable_id(ns, "taxonomy")
    name = f"{project.site.title} 種類"
    data["taxonomy"].append(
        {
            "id": taxonomy_id,
            "name": name,
            "description": "宝物マップの場所の種類（地図の凡例）",
            "version": day.isoformat(),
        }
    )
    term_ids = {}
    for c in project.categories:
        term_ids[c.id] = stable_id(ns, "taxonomy_term", c.id)
        data["taxonomy_term"].append(
            {
                "id": term_ids[c.id],
                "code": c.id,
                "name": c.label,
                "description": c.label,
                "taxonomy": name,
                "taxonomy_id": taxonomy_id,
                "language": "ja",
            }
        )
    return term_ids


def _hsds_organization(p: PublicPlace, ids: dict[str, str], label: str) -> dict[str, Any]:
    org: dict[str, Any] = {
        "id": ids["organization"],
        "name": p.name,
        "description": f"{label}（運営: {p.organiser}）" if p.organiser else label,
    }
    if p.organiser:
        org["legal_status"] = p.organiser
    return org


HSDS_STATUS = {STATUS_ACTIVE: "active", STATUS_PAUSED: "temporarily closed"}


def _hsds_service(project: Project, p: PublicPlace, ids: dict[str, str], label: str) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": ids["service"],
        "organization_id": ids["organization"],
        "name": p.name,
        "description": "\n\n".join(x for x in (p.activities, p.story) if x) or label,
        "status": HSDS_STATUS.get(p.status, "inactive"),
    }
    base = project.site.base_url.rstrip("/") + "/" if project.site.base_url else ""
    optional = {
        "url": f"{base}places/{p.number}/" if base else "",
        "fees_description": p.fee,
        "eligibility_description": p.target,
        "assured_date": p.confirmed.isoformat() if p.confirmed else "",
        "alert": "最終確認から時間がたっています。参加の前に問い合わせてください" if p.stale else "",
    }
    service.update({key: value for key, value in optional.items() if value})
    return service


def _hsds_location(
    project: Project, ns: uuid.UUID, p: PublicPlace, ids: dict[str, str], data: dict[str, list[dict]]
) -> None:
    """The location (virtual for online groups), its address, and its link to the service."""
    online = p.venue_kind == VENUE_ONLINE
    location: dict[str, Any] = {
        "id": ids["location"],
        "location_type": "virtual" if online else "physical",
        "organization_id": ids["organization"],
        "name": p.venue or p.name,
        "external_identifier": p.id,
        "external_identifier_type": "takara-map number",
    }
    if not online:
        location["latitude"], location["longitude"] = p.lat, p.lon
    if p.location_precision == "area":
        location["description"] = (
            "個人宅など場所を公開していない会場のため、町名までの住所と地区の代表点で示しています"
        )
    data["location"].append(location)
    if p.address and not online:
        pref, city, rest = split_address(p.address, p.areas.get(project.top_tier.id, ("", ""))[1])
        data["address"].append(
            {
                "id": stable_id(ns, "address", p.id),
                "location_id": ids["location"],
                "address_1": rest,
                "city": city,
                "state_province": pref,
                "postal_code": "",
                "country": "JP",
                "address_type": "physical",
            }
        )
    data["service_at_location"].append(
        {"id": ids["service_at_location"], "service_id": ids["service"], "location_id": ids["location"]}
    )


def _hsds_contact_and_cost(
    ns: uuid.UUID, p: PublicPlace, ids: dict[str, str], data: dict[str, list[dict]]
) -> None:
    if p.phone:
        data["phone"].append(
            {
                "id": stable_id(ns, "phone", p.id),
                "service_id": ids["service"],
                "number": p.phone,
                "type": "voice",
                "description": "連絡先（掲載に同意あり）",
            }
        )
    if p.fee:
        cost: dict[str, Any] = {
            "id": stable_id(ns, "cost_option", p.id),
            "service_id": ids["service"],
            "currency": "JPY",
            "amount_description": p.fee,
        }
        amount = fee_amount(p.fee)
        if amount is not None:
            cost["amount"] = amount
        data["cost_option"].append(cost)


def _schedules(ns: uuid.UUID, p: PublicPlace, svc_id: str, sal_id: str, day: date) -> list[dict]:
    """One schedule row per recurrence rule; an irregular or unparsed schedule keeps its text only."""
    sch = p.schedule
    if not p.schedule_text and sch is None:
        return []
    base = {
        "service_id": svc_id,
        "service_at_location_id": sal_id,
        "valid_from": day.isoformat(),
        "description": p.schedule_text,
    }
    rules = sch.rrules() if sch is not None and getattr(sch, "parsed", False) else []
    if not rules:
        note = "不定期（日程は問い合わせ）" if sch is not None and sch.parsed and sch.irregular else ""
        return [{"id": stable_id(ns, "schedule", p.id, 0), **base, **({"notes": note} if note else {})}]
    rows = []
    firsts = {rrule_text(rule): first for rule, first, _ in schedule_plan(sch, day).rules}
    for i, rule in enumerate(rules):
        row: dict[str, Any] = {
            "id": stable_id(ns, "schedule", p.id, i),
            **base,
            **_rule_fields(rule),
            "timezone": 9,
        }
        first = firsts.get(rrule_text(rule))
        if first is not None:  # the same first meeting as the calendar's DTSTART
            row["dtstart"] = first.isoformat()
        if sch.start:
            row["opens_at"] = sch.start + UTC_OFFSET
        if sch.end:
            row["closes_at"] = sch.end + UTC_OFFSET
        if sch.months or sch.exceptions:
            row["notes"] = sch.describe("ja")
        rows.append(row)
    return rows


def _read_previous_hsds(previous: Path | None, notes: list[str]) -> dict[str, list[dict]] | None:
    if previous is None:
        return None
    folder = Path(previous)
    if (folder / "hsds").is_dir():
        folder = folder / "hsds"
    if not (folder / "service.json").is_file():
        notes.append(
            f"前の版の HSDS が見つからないため、変更の記録は作りません / no previous HSDS at {previous}"
        )
        return None
    out: dict[str, list[dict]] = {}
    for name in HSDS_OBJECTS:
        path = folder / f"{name}.json"
        try:
            rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            notes.append(
                f"前の版の hsds/{name}.json を読めないため比べません / previous {name}.json unreadable"
            )
            rows = []
        out[name] = [r for r in rows if isinstance(r, dict) and "id" in r] if isinstance(rows, list) else []
    return out


def change_rows(
    before: dict[str, list[dict]], after: dict[str, list[dict]], day: date, ns: uuid.UUID, updated_by: str
) -> list[dict]:
    """HSDS metadata rows: what was created, deleted or changed (field by field) since the previous edition.
    A deletion names only the resource, and earlier values of PRIVATE_HISTORY fields are left blank: what
    was withdrawn from publication must not live on in the change log."""
    rows = []
    when = day.isoformat()

    def add(
        resource_type: str, resource_id: str, action: str, fieldname: str = "", old: str = "", new: str = ""
    ) -> None:
        rows.append(
            {
                "id": stable_id(ns, "metadata", when, resource_type, resource_id, action, fieldname),
                "resource_id": resource_id,
                "resource_type": resource_type,
                "last_action_date": when,
                "last_action_type": action,
                "field_name": fieldname,
                "previous_value": old,
                "replacement_value": new,
                "updated_by": updated_by,
            }
        )

    for name in HSDS_OBJECTS:
        if name == "metadata":
            continue
        old = {r["id"]: r for r in before.get(name, [])}
        new = {r["id"]: r for r in after[name]}
        for rid in sorted(new.keys() - old.keys()):
            add(name, rid, "create")
        for rid in sorted(old.keys() - new.keys()):
            add(name, rid, "delete")
        for rid in sorted(new.keys() & old.keys()):
            for key in sorted((new[rid].keys() | old[rid].keys()) - {"id"}):
                a, b = old[rid].get(key), new[rid].get(key)
                if a != b:
                    private = (name, key) in PRIVATE_HISTORY
                    add(
                        name,
                        rid,
                        "update",
                        key,
                        "" if private or a is None else _as_text(a),
                        "" if b is None else _as_text(b),
                    )
    return rows


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- iCalendar files


def write_calendars(
    edition: Edition, places: list[PublicPlace], data_dir: Path, day: date, result: ExportResult
) -> None:
    from gis.view import slug

    project = edition.project
    ns = project_namespace(project)
    title = project.site.title
    folder = data_dir / "calendar"
    if folder.is_dir():
        shutil.rmtree(folder)  # ours alone: a place whose schedule stopped recurring must lose its file
    folder.mkdir()
    events_of: dict[str, list[bytes]] = {}
    for p in places:
        events, reason = place_events(p, project, day, ns)
        if reason:
            result.calendar_skipped.append(
                {
                    "id": p.id,
                    "number": p.number,
                    "name": p.name,
                    "schedule_text": p.schedule_text,
                    "reason": f"{reason[0]} / {reason[1]}",
                }
            )
            continue
        events_of[p.id] = events
    result.place_events = events_of
    tier = project.district_tier
    for area_id, area_name in _areas(edition, tier.id):
        events = [ev for p in edition.places_in(tier.id, area_id) for ev in events_of.get(p.id, [])]
        if not events:
            continue
        rel = f"calendar/district-{slug(area_id)}.ics"
        _write_bytes(data_dir / rel, calendar_bytes(f"{area_name}（{title}）", events))
        result.district_calendars[area_id] = rel
        result.files.append(rel)
    every = [ev for p in places for ev in events_of.get(p.id, [])]
    if every:
        _write_bytes(data_dir / "places.ics", calendar_bytes(title, every))
        result.files.append("places.ics")


def _areas(edition: Edition, tier_id: str) -> list[tuple[str, str]]:
    gdf = edition.boundaries.get(tier_id)
    if gdf is None:
        return sorted({p.areas[tier_id] for p in edition.places if tier_id in p.areas})
    return sorted((str(a), str(n)) for a, n in zip(gdf["area_id"], gdf["area_name"]))


# ---------------------------------------------------------------- metadata.json


def metadata(edition: Edition, places: list[PublicPlace], day: date, result: ExportResult) -> dict:
    project = edition.project
    site = project.site
    counts = {
        c.id: {"label": c.label, "count": sum(1 for p in places if p.category == c.id)}
        for c in project.categories
    }
    return {
        "title": site.title,
        "edition": day.isoformat(),
        "licence": site.licence,
        "licence_url": site.licence_url,
        "attribution": site.attribution,
        "fictional": site.fictional,
        "sources": _source_names(project),
        "places": len(places),
        "counts": counts,
        "crs": "EPSG:4326",
        "privacy": f"{PRIVACY_NOTE_JA} / {PRIVACY_NOTE_EN}",
        "hsds": {"version": "3.0", "folder": "hsds/", "changes": result.hsds_changes},
        "calendar_skipped": result.calendar_skipped,
        "files": sorted(result.files),
    }
