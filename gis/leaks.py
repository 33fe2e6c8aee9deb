"""The leak scanner: after a build, search every output file for what must never be published.

What counts as a secret is decided here from the records themselves, on purpose independently of
gis.privacy (if a protection there broke, this scanner must still know what it protected):

- a record without consent (掲載可否 not 可) or whose activity has ended: its name, address and phone;
- a contact number without consent (連絡先掲載 not 可), for every record;
- a private-home venue (会場種別 自宅): its address beyond the town name (the whole normalised address,
  and the part from the town on), the venue's own name (e.g. 山田さん宅), and its exact point.

Where the scanner looks: every file under the site folder. Text files (HTML, JS, JSON, GeoJSON, CSV,
ICS, SVG, CSS, Markdown …) are read as UTF-8 with their format's escaping undone (HTML entities and tags,
JSON strings, CSV quoting, iCalendar folding and escapes); XLSX and other zip files member by member;
PDFs by their text (poppler's pdftotext when installed, else pypdf) and their raw bytes (for ASCII
numbers); images by their metadata (EXIF with the GPS IFD, XMP, PNG text chunks, comments), including
JPEGs stored whole inside PDFs and XLSX files.

Matching rules (chosen so that a published neighbour never looks like a leak):
- Text is compared after NFKC and with all whitespace removed (full-width letters and digits count as
  half-width; a name wrapped across lines in a PDF is still found). A secret is reported only where it
  stands outside the published names, venues and addresses that contain it (a withheld group whose name
  is part of a published group's name), and an address that is part of a published venue's address is
  public (a withheld salon at a hall where published groups meet). A secret written into another
  record's free text (a story naming 山田さん宅) is reported: that is a leak a coordinator must see. Names and
  addresses shorter than 4 characters are not searched (they would match ordinary words), nor those
  shorter than 8 without any kana or kanji ("1-2-3", "true").
- Phones are compared by their digits: a run of digits joined by hyphens, spaces, brackets or ー
  (0866-12-3456, 0866 12 3456, ０８６６１２３４５６ …) matches when its digits are the phone's digits
  (or the +81 form). A phone also published with consent for another place is not a secret.
- Coordinates: for a home, each of latitude and longitude is written in every rounding from 6 to 3
  decimals (fixed, e.g. "35.016789" … "35.017", and the shortest form Python prints for the rounded
  value, e.g. "35.01" for 35.0100; forms with fewer than 3 decimals are too common to search). A leak is
  a rounding whose latitude AND longitude both occur in the same file as whole numbers (not part of a
  longer number), and which is not the rounding of an area's representative point (where privacy
  shows a home). Searching the pair, not one number, keeps short roundings from matching by chance.
- Images: any GPS IFD entry (or XMP GPS tag) in any image is a leak, whatever it points at.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.edition import Edition
from gis.place import STATUS_ENDED, VENUE_HOME, Place
from gis.privacy_text import find_phones, home_names, suggests_home

MIN_TEXT = 4  # shorter names/addresses are not searched (ordinary words)
MIN_ASCII_TEXT = 8  # a name or address without kana or kanji must be longer still ("1-2-3", "true" …)
MIN_PHONE_DIGITS = 8
DECIMALS = (6, 5, 4, 3)
# Levels at which a geocoded point is a public gazetteer town point, not the home's own point.
TOWN_LEVELS = {"町丁目", "大字", "市区町村"}

TEXT_SUFFIXES = {
    ".html",
    ".htm",
    ".js",
    ".mjs",
    ".json",
    ".geojson",
    ".csv",
    ".tsv",
    ".txt",
    ".ics",
    ".svg",
    ".css",
    ".md",
    ".xml",
    ".kml",
    ".gpx",
    ".webmanifest",
    ".map",
    "",
}
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".docx", ".ods", ".zip", ".kmz"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"}
SKIP_SUFFIXES = {".woff", ".woff2", ".ttf", ".otf", ".ico"}

GPS_IFD = 0x8825
EXIF_IFD = 0x8769

_PHONE_RUN = re.compile(r"\+?[0-9](?:[0-9]|[-‐‑‒–—―−ー－()（）\s]{1,3}(?=[0-9]))*")
_NUMBER = re.compile(r"(?<![0-9.])-?[0-9]{1,3}\.[0-9]+(?![0-9])")
_TAG = re.compile(r"<[^>]*>")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_ICS_ESCAPE = re.compile(r"\\([,;\\nN])")


@dataclass(frozen=True)
class Secret:
    kind: str  # withheld-name, withheld-address, withheld-phone, phone, home-address, home-venue, home-point
    where: str  # the record it comes from: "file row"
    value: str  # the secret itself (a phone's digits; "lat,lon" for a point)
    coincides: str = ""  # another record that publishes the same value legitimately: a hit is a note

    def hint(self) -> str:
        """The secret shown partly, so logs can say which record leaked without repeating it."""
        v = self.value
        if self.kind.endswith("phone"):
            return v[:3] + "*" * (len(v) - 3)
        if self.kind == "home-point":
            return ",".join(x[: x.index(".") + 2] + "…" for x in v.split(","))
        return v[:2] + "…" if len(v) > 2 else "…"


@dataclass
class Secrets:
    texts: list[Secret] = field(default_factory=list)  # names, addresses, venue names
    phones: list[Secret] = field(default_factory=list)
    # per rounding: latitude forms, longitude forms, and the record publishing that rounding legitimately
    points: list[tuple[Secret, list[tuple[set[str], set[str], str]]]] = field(default_factory=list)
    public_texts: set[str] = field(default_factory=set)  # values published anyway (masked before searching)

    def __len__(self) -> int:
        return len(self.texts) + len(self.phones) + len(self.points)


@dataclass(frozen=True)
class Leak:
    file: str  # relative to the site folder
    kind: str  # a Secret's kind, image-gps, or unreadable (a file the scanner could not read)
    where: str  # the record
    secret: str  # in full: for a private report only
    note: str = ""  # a coincidence: this value is also published legitimately by the record named here

    def __str__(self) -> str:
        """Safe for CI logs: kind, file and record, with the secret shown only partly."""
        if self.kind == "unreadable":
            return f"{self.file}: 読めません / unreadable ({self.secret})"
        text = (
            f"{self.file}: {self.kind} of {self.where} ({Secret(self.kind, self.where, self.secret).hint()})"
        )
        return text + (
            f" — {self.note} も同じ値を掲載しています / also published by {self.note}" if self.note else ""
        )


# ---------------------------------------------------------------- what is secret


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def phone_digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", _nfkc(text or ""))


def _is_withheld(p: Place) -> bool:
    return p.consent is not True or p.status == STATUS_ENDED


def _beyond_town(address: str, town: str) -> str:
    """The part of an address after its town name (番地, building …), '' when it stops at the town."""
    if town and town in address:
        rest = address[address.index(town) + len(town) :]
    elif "丁目" in address:
        rest = address[address.index("丁目") + 2 :]
    else:
        m = re.search(r"[0-9]|[一二三四五六七八九十百千]+(?:番|号|の[0-9一二三四五六七八九十])", address)
        rest = address[m.start() :] if m else ""
    return rest.strip(" -　")


def _searchable(text: str) -> bool:
    """Long enough to mean something wherever it is found: 4 characters with kana or kanji, else 8."""
    if len(text) < MIN_TEXT:
        return False
    return len(text) >= MIN_ASCII_TEXT or any(
        ord(ch) > 0x2FFF and unicodedata.category(ch)[0] == "L" for ch in text
    )


def _address_key(address: str) -> str:
    """An address compared without spaces and without its prefecture (sheets write it or leave it out)."""
    return re.sub(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)", "", squash(address))


def coordinate_forms(value: float, decimals: int) -> set[str]:
    """How `value` may be written at `decimals`: fixed ("35.010") and shortest ("35.01"), each with at
    least 3 decimals (shorter forms are left out)."""
    forms = {f"{value:.{decimals}f}", repr(round(value, decimals))}
    return {f for f in forms if "." in f and len(f.split(".")[1]) >= 3}


# A cell that is an address (not a sentence mentioning a number): a place name, then a street number.
_STREET_ADDRESS = re.compile(
    r"^[^\s、。]{0,16}?(?:[都道府県市区町村]|丁目|字)[^、。]*?[0-9]+(?:番|号|丁目|の[0-9]|-[0-9]+(?![0-9]*[人回時歳才月日分円]))"
)


def _number_cell(value: Any) -> float | None:
    try:
        number = float(_nfkc(str(value)).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass
class _Row:
    """One input row as the scanner sees it: every cell, mapped or not, and its validated Place if any."""

    where: str
    cells: list[str]
    numbers: list[float]
    place: Place | None

    @property
    def home(self) -> bool:
        own = self.place is not None and self.place.venue_kind == VENUE_HOME
        return own or any(suggests_home(c) for c in self.cells)


def _rows(places: list[Place], raw_rows: list[Any] | None) -> list[_Row]:
    """Rows from the raw sheet cells when given (so an unmapped column still counts), else from Places."""
    by_key = {(p.source, p.row): p for p in places}
    out: list[_Row] = []
    if raw_rows is None:
        for p in places:
            cells = [str(getattr(p, f) or "") for f in _PLACE_TEXT] + list(p.extra.values())
            out.append(_Row(f"{p.source} {p.row}行目", [_nfkc(c).strip() for c in cells if c], [], p))
        return out
    for r in raw_rows:
        values = [v for k, v in r.values.items() if not k.startswith("_")] + list(r.extra.values())
        cells = [
            _nfkc(str(v)).strip() for v in values if v not in (None, "") and not isinstance(v, (dict, list))
        ]
        numbers = [n for n in (_number_cell(v) for v in values if v not in (None, "")) if n is not None]
        out.append(_Row(f"{r.source} {r.row}行目", cells, numbers, by_key.get((r.source, r.row))))
    return out


_PLACE_TEXT = (
    "name",
    "venue",
    "venue_kind",
    "address",
    "contact",
    "story",
    "activities",
    "schedule_text",
    "target",
    "fee",
    "organiser",
    "participants",
    "representative",
)


def _cell_points(row: _Row) -> list[tuple[float, float]]:
    """Points written in a row's cells, mapped or not: a latitude and a longitude of Japan, each with at
    least 3 decimals (a column headed 北緯/東経 that Takara Map did not map is still the home's point)."""
    lats = [n for n in row.numbers if 20 <= n <= 46 and len(repr(n).split(".")[-1]) >= 3]
    lons = [n for n in row.numbers if 122 <= n <= 154 and len(repr(n).split(".")[-1]) >= 3]
    points = [(a, b) for a in lats for b in lons]
    p = row.place
    if p is not None and p.lat is not None and p.lon is not None and p.geocode_level not in TOWN_LEVELS:
        points.append((p.lat, p.lon))
    return list(dict.fromkeys(points))


@dataclass
class _Published:
    """What the records publish legitimately (by the scanner's own reading): a secret equal to one of these
    is a coincidence, reported as a note."""

    names: set[str] = field(default_factory=set)
    addresses: dict[str, str] = field(default_factory=dict)  # address key -> record
    phones: dict[str, str] = field(default_factory=dict)  # digits -> record
    points: dict[tuple[str, str], str] = field(default_factory=dict)  # (lat form, lon form) -> record

    def address_of(self, address: str) -> str:
        key = _address_key(address)
        return next((w for a, w in self.addresses.items() if key in a), "")


def _published(rows: list[_Row], rejected: set[tuple[str, int]], project: Any) -> tuple[_Published, set[str]]:
    pub = _Published()
    texts: set[str] = {c.label for c in getattr(project, "categories", [])}
    for row in rows:
        p = row.place
        if p is None or (p.source, p.row) in rejected or _is_withheld(p):
            continue
        texts.add(p.name)
        if p.contact_consent and len(phone_digits(p.contact)) >= MIN_PHONE_DIGITS:
            pub.phones.setdefault(phone_digits(p.contact), row.where)
        if row.home:
            continue
        texts.update((p.address, p.venue))
        if p.address:
            pub.addresses.setdefault(_address_key(p.address), row.where)
        if p.lat is not None and p.lon is not None:
            for d in DECIMALS:
                for pair in _pairs(p.lat, p.lon, d):
                    pub.points.setdefault(pair, row.where)
    return pub, texts


def _pairs(lat: float, lon: float, d: int) -> set[tuple[str, str]]:
    return {(a, b) for a in coordinate_forms(lat, d) for b in coordinate_forms(lon, d)}


def secrets_from(
    places: list[Place],
    report: Any,
    project: Any,
    rep_points: Iterable[tuple[float, float]] | None = None,
    raw_rows: list[Any] | None = None,
) -> Secrets:
    """What must not appear in the output of a build of these places (all validated Places of the project,
    e.g. pipeline.run(..., keep_private=True).private.places), judged from every cell of every
    raw row when `raw_rows` is given (edition.private.raw_rows): a column the mapping missed still counts.

    `report` tells which rows were rejected (their data is not published either way, so it is not used to
    mask); `project` gives the boundaries whose representative points are where privacy shows homes
    (pass `rep_points` to skip loading them)."""
    rejected = {(r.source, r.row) for r in getattr(report, "rows", []) if r.outcome == "rejected"}
    rows = _rows(places, raw_rows)
    pub, public_texts = _published(rows, rejected, project)
    out = Secrets(public_texts=public_texts)
    if rep_points is None:
        rep_points = _all_rep_points(project)
    area_pairs = set().union(*(_pairs(lat, lon, d) for lat, lon in rep_points for d in DECIMALS))
    for row in rows:
        _withheld_secrets(row, pub, out)
        _phone_secrets(row, pub, out)
        if row.home:
            _home_secrets(row, pub, area_pairs, out)
    out.texts = sorted(set(out.texts), key=lambda s: (s.where, s.kind, s.value))
    out.phones = sorted(set(out.phones), key=lambda s: (s.where, s.kind, s.value))
    return out


def _withheld_secrets(row: _Row, pub: _Published, out: Secrets) -> None:
    p = row.place
    if p is not None and not _is_withheld(p):
        return
    # A withheld record (or a row that never became a place): its name and address stay secret.
    name = _nfkc(p.name).strip() if p else ""
    address = _nfkc(p.address).strip() if p else ""
    if _searchable(name) and name not in out.public_texts:
        out.texts.append(Secret("withheld-name", row.where, name))
    if _searchable(address):
        out.texts.append(Secret("withheld-address", row.where, address, pub.address_of(address)))


def _phone_secrets(row: _Row, pub: _Published, out: Secrets) -> None:
    """Every phone in any cell of a row is secret unless the row's own record publishes it with consent."""
    p = row.place
    withheld = p is None or _is_withheld(p)
    own = phone_digits(p.contact) if p is not None and p.contact_consent and not withheld else ""
    found = {phone_digits(c[a:b]) for c in row.cells for a, b in find_phones(c)}
    if p is not None and len(phone_digits(p.contact)) >= MIN_PHONE_DIGITS:
        found.add(phone_digits(p.contact))
    for digits in sorted(found - {own}):
        if len(digits) >= MIN_PHONE_DIGITS:
            kind = "withheld-phone" if withheld else "phone"
            out.phones.append(Secret(kind, row.where, digits, pub.phones.get(digits, "")))


def _home_secrets(row: _Row, pub: _Published, area_pairs: set[tuple[str, str]], out: Secrets) -> None:
    """A home's street address (any cell that reads as one), its name (山田さん宅 …) and its points."""
    p = row.place
    town = p.town if p else ""
    addresses = {c for c in row.cells if _STREET_ADDRESS.search(c) and len(c) <= 60 and "。" not in c}
    if p is not None and p.address:
        addresses.add(_nfkc(p.address).strip())
    for address in addresses:
        if not (_beyond_town(address, town) and _searchable(address)):
            continue
        coincides = pub.address_of(address)
        out.texts.append(Secret("home-address", row.where, address, coincides))
        if town and town in address:
            from_town = address[address.index(town) :]
            if from_town != address and _searchable(from_town):
                out.texts.append(Secret("home-address", row.where, from_town, coincides))
    venues = {name for c in row.cells for name in home_names(c)}
    if p is not None and p.venue:
        venues.add(_nfkc(p.venue).strip())
    for venue in venues:
        if _searchable(venue) and venue not in out.public_texts:
            out.texts.append(Secret("home-venue", row.where, venue))
    for lat, lon in _cell_points(row):
        per_rounding = []
        for d in DECIMALS:
            pairs = _pairs(lat, lon, d)
            if pairs & area_pairs:
                continue  # this rounding is also an area's point: publishing it reveals nothing
            coincides = next((pub.points[x] for x in sorted(pairs) if x in pub.points), "")
            lats, lons = coordinate_forms(lat, d), coordinate_forms(lon, d)
            if lats and lons:
                per_rounding.append((lats, lons, coincides))
        if per_rounding:
            out.points.append((Secret("home-point", row.where, f"{lat!r},{lon!r}"), per_rounding))


def _all_rep_points(project: Any) -> list[tuple[float, float]]:
    from gis.tiers import representative_points
    from gis.towns import load_tier

    points: list[tuple[float, float]] = []
    for tier in getattr(project, "tiers", []):
        try:
            points += representative_points(load_tier(tier, [])).values()
        except Exception:  # noqa: BLE001 - an unreadable boundary fails the build elsewhere
            continue
    return points


# ---------------------------------------------------------------- reading output files


@dataclass
class _Content:
    name: str  # relative path (with !member)
    texts: list[str]  # text views of the file, NFKC-normalised
    numbers: set[str] = field(default_factory=set)  # decimal numbers written in it
    phones: set[str] = field(default_factory=set)  # digit strings of phone-like runs
    gps: list[str] = field(default_factory=list)  # descriptions of GPS metadata found
    error: str = ""  # why the file could not be read (an unread file is never taken as clean)


def _json_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            _json_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _json_strings(v, out)
    elif value is not None and not isinstance(value, bool):
        out.append(repr(value))  # numbers as Python writes them


def _decoded(raw: str, kind: str) -> list[str]:
    """The text of a file as a reader sees it, once its format's escaping is undone (a value with a quote or
    an ampersand in it must be whole again, or masking a published value that holds a secret would fail)."""
    if kind == "json":
        try:
            strings: list[str] = []
            _json_strings(json.loads(raw), strings)
            return ["\n".join(strings)]
        except ValueError:
            return [raw, _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), raw)]
    if kind == "csv":
        try:
            return ["\n".join("\n".join(r) for r in csv.reader(io.StringIO(raw)))]
        except csv.Error:
            return [raw]
    if kind in ("html", "xml"):
        return [html.unescape(raw), html.unescape(_TAG.sub("\n", raw))]
    if kind == "ics":
        unfolded = re.sub(r"\r?\n[ \t]", "", raw)
        return [_ICS_ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], unfolded)]
    views = [raw]
    if "\\u" in raw:  # a script's string literals
        views.append(_JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), raw))
    return views


def squash(text: str) -> str:
    """NFKC without any whitespace: a name wrapped across lines in a PDF, or folded in an iCalendar file,
    is still found (and a published value that holds a secret is still masked whole)."""
    return re.sub(r"\s+", "", _nfkc(text))


def _text_content(name: str, raw: str, kind: str) -> _Content:
    views = [_nfkc(v) for v in _decoded(raw, kind)]
    c = _Content(name, list(dict.fromkeys(squash(v) for v in views)))
    for t in views:
        c.numbers.update(_NUMBER.findall(t))
        for run in _PHONE_RUN.findall(t):
            c.phones.update(_digit_spans(run))
    return c


def _digit_spans(run: str) -> set[str]:
    """The digit strings a phone-like run may hold: its groups of digits joined in every contiguous span
    (a phone in one table cell and a number in the next can end up in one run once tags are stripped)."""
    groups = re.findall(r"[0-9]+", run)
    spans = set()
    for i in range(len(groups)):
        joined = ""
        for g in groups[i : i + 6]:
            joined += g
            if len(joined) > 15:
                break
            if len(joined) >= MIN_PHONE_DIGITS:
                spans.add(joined)
    return spans


def _kind_of(suffix: str) -> str:
    return {
        ".html": "html",
        ".htm": "html",
        ".svg": "xml",
        ".xml": "xml",
        ".kml": "xml",
        ".gpx": "xml",
        ".json": "json",
        ".geojson": "json",
        ".ics": "ics",
        ".csv": "csv",
    }.get(suffix, "text")


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _image_metadata(name: str, data: bytes) -> list[_Content]:
    """Text found in an image's metadata, and any GPS position in it."""
    from PIL import Image

    out: list[_Content] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            gps: list[str] = []
            strings: list[str] = []
            exif = im.getexif()
            gps_ifd = exif.get_ifd(GPS_IFD) if GPS_IFD in exif else {}
            if gps_ifd:
                gps.append(f"EXIF GPS IFD with tags {sorted(gps_ifd)}")
            for ifd in (exif, exif.get_ifd(EXIF_IFD) if EXIF_IFD in exif else {}):
                strings += [_meta_text(v) for v in ifd.values()]
            for key, value in im.info.items():
                if key in ("exif", "icc_profile"):
                    continue
                strings.append(_meta_text(value))
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
            xmp_text = _meta_text(xmp)
            if re.search(r"GPS(Latitude|Longitude)", xmp_text):
                gps.append("XMP GPS position")
            if b"http://ns.adobe.com/xap/1.0/" in data[:65536] and b"GPSLatitude" in data[:65536]:
                gps.append("XMP GPS position (raw)")
    except Exception as exc:  # noqa: BLE001 - an image the scanner cannot read might hold anything
        return [
            _Content(name, [], error=f"画像として読めません / not a readable image: {type(exc).__name__}")
        ]
    c = _text_content(name + " (metadata)", "\n".join(s for s in strings if s), "xml")
    c.gps = sorted(set(gps))
    out.append(c)
    return out


def _meta_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").replace("\x00", "")
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        return " ".join(_meta_text(v) for v in value)
    return ""


def _embedded_jpegs(name: str, data: bytes) -> list[_Content]:
    """JPEGs stored whole inside another file (a PDF keeps a JPEG's bytes, metadata included)."""
    out: list[_Content] = []
    start = 0
    while True:
        i = data.find(b"\xff\xd8\xff", start)
        if i < 0:
            break
        end = data.find(b"\xff\xd9", i)
        chunk = data[i:] if end < 0 else data[i : end + 2]
        found = (
            _image_metadata(f"{name}!jpeg@{i}", data[i:])
            if (b"Exif" in chunk[:64] or b"http://ns.adobe" in chunk[:65536])
            else []
        )
        out += [c for c in found if c.gps or c.texts[0].strip()]
        start = i + 3
    return out


class UnreadableFile(Exception):
    """A file the scanner cannot read: reported as an error, never skipped."""


def pdf_text(data: bytes) -> str:
    """A PDF's text and metadata: poppler's pdftotext when installed (a 300-place guidebook in a second),
    else pypdf (a runtime dependency; the same text, twenty times slower on pages full of map drawing).
    Raises UnreadableFile when neither can read it."""
    texts: list[str] = []
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        texts += [str(v) for v in (reader.metadata or {}).values()]
        tool = shutil.which("pdftotext")
        if tool:
            done = subprocess.run(
                [tool, "-q", "-enc", "UTF-8", "-", "-"],
                input=data,
                capture_output=True,
                timeout=300,
                check=False,
            )
            if done.returncode == 0:
                return "\n".join(texts) + "\n" + done.stdout.decode("utf-8", errors="replace")
        texts += [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - pypdf fails in many ways on a damaged file
        raise UnreadableFile(f"PDF として読めません / not a readable PDF: {type(exc).__name__}") from None
    return "\n".join(texts)


def _pdf_contents(name: str, data: bytes) -> list[_Content]:
    try:
        out = [_text_content(name, pdf_text(data), "pdf")]
    except UnreadableFile as exc:
        out = [_Content(name, [], error=str(exc))]
    # Raw bytes: numbers and phones written as ASCII in uncompressed parts.
    out.append(_text_content(name + " (raw)", data.decode("latin-1"), "text"))
    out[-1].texts = []  # raw bytes are searched for numbers and phones only
    out += _embedded_jpegs(name, data)
    return out


def _zip_contents(name: str, data: bytes) -> list[_Content]:
    out: list[_Content] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                member = z.read(info)
                out += _contents(f"{name}!{info.filename}", Path(info.filename).suffix.lower(), member)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        out.append(_Content(name, [], error=f"zip（XLSX など）として読めません / not a readable zip: {exc}"))
    return out


def _contents(name: str, suffix: str, data: bytes) -> list[_Content]:
    if suffix in SKIP_SUFFIXES:
        return []
    if suffix == ".pdf":
        return _pdf_contents(name, data)
    if suffix in ZIP_SUFFIXES:
        return _zip_contents(name, data)
    if suffix in IMAGE_SUFFIXES:
        return _image_metadata(name, data) + _embedded_jpegs(name, data[3:])
    if suffix in TEXT_SUFFIXES or suffix in (".rels", ".vml"):
        return [_text_content(name, _decode(data), _kind_of(suffix) if suffix != ".rels" else "xml")]
    if b"\x00" in data[:4096]:
        return _embedded_jpegs(name, data)  # an unknown binary: only embedded photos can say anything
    return [_text_content(name, _decode(data), "text")]


def read_outputs(site_dir: Path) -> list[_Content]:
    """Every file under site_dir as text views, numbers, phones and GPS findings."""
    out: list[_Content] = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        rel = path.relative_to(site_dir).as_posix()
        out += _contents(rel, path.suffix.lower(), path.read_bytes())
    return out


# ---------------------------------------------------------------- searching


def _masked(text: str, needle: str, public: list[str]) -> str:
    """`text` with the public values that contain `needle` blanked out."""
    for value in public:
        if needle in value and value in text:
            text = text.replace(value, "\x00")
    return text


def scan_contents(contents: list[_Content], secrets: Secrets) -> list[Leak]:
    """Every hit of a secret in the contents. A hit on a value another record publishes legitimately
    carries that record in `note` (a coincidence, not a leak); an unreadable file is kind "unreadable"."""
    leaks: list[Leak] = []
    public = sorted({squash(v) for v in secrets.public_texts if v}, key=len, reverse=True)
    needles = {s.value: squash(s.value) for s in secrets.texts}
    hosts_of = {v: [h for h in public if n in h and h != n] for v, n in needles.items()}
    for c in contents:
        base = c.name.split("!")[0].split(" (")[0]  # the output file (not the zip member or PDF part)
        if c.error:
            leaks.append(Leak(base, "unreadable", c.name, c.error))
        for desc in c.gps:
            leaks.append(Leak(base, "image-gps", c.name, desc))
        for s in secrets.texts:
            hosts, needle = hosts_of[s.value], needles[s.value]
            for text in c.texts:
                if needle in text and (not hosts or needle in _masked(text, needle, hosts)):
                    leaks.append(Leak(base, s.kind, s.where, s.value, s.coincides))
                    break
        for s in secrets.phones:
            forms = {s.value, "81" + s.value[1:]} if s.value.startswith("0") else {s.value}
            if forms & c.phones:
                leaks.append(Leak(base, s.kind, s.where, s.value, s.coincides))
        leaks += _point_hits(base, c, secrets)
    return sorted(set(leaks), key=lambda k: (k.file, k.kind, k.where, k.note))


def _point_hits(base: str, c: _Content, secrets: Secrets) -> list[Leak]:
    hits = []
    for s, roundings in secrets.points:
        found = [coincides for lats, lons, coincides in roundings if lats & c.numbers and lons & c.numbers]
        if found:  # a rounding nobody publishes legitimately is a leak, whatever else matched
            note = "" if "" in found else found[0]
            hits.append(Leak(base, s.kind, s.where, s.value, note))
    return hits


def scan_site(site_dir: Path, secrets: Secrets) -> list[Leak]:
    """Every leak of `secrets` in the files under `site_dir`, every GPS position in an image, and every
    file that could not be read; coincidences carry a note (see SiteScan)."""
    return scan_contents(read_outputs(Path(site_dir)), secrets)


@dataclass
class SiteScan:
    leaks: list[Leak]  # real leaks and unreadable files: each one fails `validate --site`
    notes: list[Leak]  # coincidences with values other records publish legitimately

    def lines(self) -> list[str]:
        return [f"漏えい / leak: {leak}" for leak in self.leaks if leak.kind != "unreadable"] + [
            f"エラー / error: {leak}" for leak in self.leaks if leak.kind == "unreadable"
        ]

    def note_lines(self) -> list[str]:
        return [f"注記（偶然の一致） / note (coincidence): {leak}" for leak in self.notes]


def scan_project_site(project_root: Path | str, site_dir: Path | str) -> SiteScan:
    """Re-read the project's records (every raw cell), work out what is secret, scan the built site."""
    from gis import pipeline
    from gis.config import load_project
    from gis.report import Report

    edition = pipeline.run(load_project(project_root), Report(), keep_private=True)
    return scan_edition_site(edition, site_dir)


def scan_edition_site(edition: Edition, site_dir: Path | str) -> SiteScan:
    """Scan the built site against what is secret in `edition`, which the pipeline ran with keep_private
    (every validated record and raw cell)."""
    from gis.tiers import representative_points

    project = edition.project
    assert edition.private is not None, "run the pipeline with keep_private=True"
    places = edition.private.places
    points = [pt for gdf in edition.boundaries.values() for pt in representative_points(gdf).values()]
    secrets = secrets_from(
        places,
        edition.report,
        project,
        rep_points=points,
        raw_rows=edition.private.raw_rows,
    )
    found = scan_site(Path(site_dir), secrets)
    return SiteScan([f for f in found if not f.note], [f for f in found if f.note])


def check_site(project_root: Path | str, site_dir: Path | str) -> list[str]:
    """For `takara validate --site DIR`: one line per leak or unreadable file (file, what, which record, the
    secret shown only partly); [] when clean. Coincidences are not in this list (see scan_project_site)."""
    return scan_project_site(project_root, site_dir).lines()


def private_report(leaks: list[Leak]) -> str:
    """Leaks with the secrets in full, for a coordinator's eyes only (never for CI logs)."""
    return json.dumps([leak.__dict__ for leak in leaks], ensure_ascii=False, indent=1)
