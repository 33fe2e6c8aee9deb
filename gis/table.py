"""The 一覧表 (the published list): its columns, one table for places.csv, places.xlsx and the header reader.

The headers come from the catalogue (site_template/i18n), and gis.place.FIELD_ALIASES knows every one of
them, so a published list can be read back as records (tests/test_export.py holds this).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gis.config import Project
from gis.place import PublicPlace

# (catalogue key of the header, Takara Map field the column reads back as), in the list's order.
TABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("field.number", "number"),
    ("field.name", "name"),
    ("field.category", "category"),
    ("field.schedule", "schedule_text"),
    ("field.target", "target"),
    ("field.fee", "fee"),
    ("field.activities", "activities"),
    ("field.venue", "venue"),
    ("field.address", "address"),
    ("field.phone", "contact"),
    ("field.organiser", "organiser"),
    ("field.participants", "participants"),
    ("field.status", "status"),
    ("field.confirmed", "confirmed"),
    ("field.story", "story"),
    ("field.lat", "lat"),
    ("field.lon", "lon"),
)


def _value(p: PublicPlace, fieldname: str, project: Project) -> Any:
    if fieldname == "category":
        category = project.category(p.category)
        return category.label if category else p.category
    if fieldname == "contact":
        return p.phone  # only ever the consented phone
    return getattr(p, fieldname)


def published_columns(project: Project, t: Callable[[str], str]) -> list[tuple[str, Any]]:
    """(header, value of a place) for each column: TABLE_FIELDS, then the place's area in each tier.
    `t` is the catalogue of the headers' language."""
    columns: list[tuple[str, Any]] = [
        (t(key), lambda p, f=fieldname: _value(p, f, project)) for key, fieldname in TABLE_FIELDS
    ]
    for tier in project.tiers:
        columns.append((tier.name, lambda p, tid=tier.id: p.areas.get(tid, ("", ""))[1]))
    return columns
