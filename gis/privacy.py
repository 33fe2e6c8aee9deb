"""The only place that decides what may be published.

- A record without consent to publish (掲載可否) is withheld; so is one whose activity has ended.
- A private-home venue (自宅) is shown only at the representative point of its finest area, with the
  address cut to the town and the venue named only as 個人宅 — never its exact point or street number.
- A contact number is published only with consent; a photo only with consent.
Everything downstream reads PublicPlace, built here, so a withheld field cannot leak.
"""

from __future__ import annotations

import re
from datetime import date

from gis.config import Project
from gis.place import STATUS_ENDED, VENUE_HOME, Place, PublicPlace, normalise_text

HOME_VENUE_LABEL = "個人宅（地区内）"


def withhold_reason(place: Place) -> tuple[str, str] | None:
    """(Japanese, English) reason to withhold the whole record, or None to publish it."""
    if place.consent is False:
        return "掲載不可（同意なし）", "no consent to publish"
    if place.consent is None:
        return "掲載可否が空欄（同意が確認できない）", "consent not recorded"
    if place.status == STATUS_ENDED:
        return "活動終了", "activity has ended"
    return None


def cut_to_town(address: str, town: str = "") -> str:
    """The address up to its town name: 岡山県たから市本町二丁目3-5 → 岡山県たから市本町二丁目.
    Uses the geocoder's matched town when known; otherwise keeps up to 丁目, or stops before the 番地."""
    text = normalise_text(address)
    if town and town in text:
        return text[: text.index(town) + len(town)]
    m = re.match(r"^(.*?[0-9一二三四五六七八九十]+丁目)", text)
    if m:
        return m[1]
    m = re.match(r"^(.*?)(?:[0-9]|[一二三四五六七八九十百千]+(?:番|-|の|号))", text)
    return (m[1] if m else text).rstrip("-　 ")


def photo_path_problem(path: str) -> tuple[str, str] | None:
    """(Japanese, English) reason a photo path may not be used, or None. A photo is a file inside the map
    project named by a relative path: never a URL (javascript:, http:, data:, file:), an absolute path or a
    path climbing out with .. (a sheet could otherwise make the build read and publish any file)."""
    text = path.strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text):
        return (
            "写真は URL やドライブ名ではなく、プロジェクト内のファイル名で書いてください",
            "a photo must be a file in the project, not a URL or drive",
        )
    if text.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", text):
        return (
            "写真はプロジェクトのフォルダの中のファイルだけ使えます（外を指す .. や / で始まるパスは使えません）",
            "a photo must be inside the project folder (no absolute path, no ..)",
        )
    return None


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def to_public(
    place: Place, number: int, rep_points: dict[str, tuple[float, float]], project: Project, today: date
) -> PublicPlace:
    """The published form of a place whose record may be published."""
    precision = project.build.precision
    lat, lon = place.lat, place.lon
    address, venue, precision_kind = place.address, place.venue, "exact"
    if place.venue_kind == VENUE_HOME:
        finest = next((place.areas[t.id] for t in reversed(project.tiers) if t.id in place.areas), None)
        if finest and finest[0] in rep_points:
            lat, lon = rep_points[finest[0]]
        address = cut_to_town(place.address, place.town)
        venue = HOME_VENUE_LABEL
        precision_kind = "area"
        precision = min(precision, 4)  # an area's point needs no more; it also keeps home points off any grid
    stale = bool(place.confirmed and months_between(place.confirmed, today) > project.build.stale_months)
    return PublicPlace(
        id=str(number),
        number=number,
        name=place.name,
        category=place.category,
        organiser=place.organiser,
        venue=venue,
        venue_kind=place.venue_kind,
        address=address,
        lat=round(float(lat), precision),
        lon=round(float(lon), precision),
        location_precision=precision_kind,
        schedule_text=place.schedule_text,
        target=place.target,
        fee=place.fee,
        activities=place.activities,
        participants=place.participants,
        phone=place.contact if place.contact_consent else "",
        photo=place.photo
        if place.photo and place.photo_consent and not photo_path_problem(place.photo)
        else "",
        story=place.story,
        status=place.status,
        confirmed=place.confirmed,
        stale=stale,
        areas=dict(place.areas),
        schedule=place.schedule,
    )
