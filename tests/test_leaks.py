"""The leak scanner (gis.leaks): zero hits on the demo and on a hostile project, and for each protection a
test that removes it and watches the scanner catch the leak.

Failure messages print only each leak's kind, file and record (str(Leak)), never a secret in full."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from gis import leaks
from gis.leaks import Leak, check_site, scan_site, secrets_from
from gis.place import Place
from gis.privacy import to_public as _real_to_public
from tests.hostile import (
    HOMES,
    UNCONSENTED_PHONES,
    WITHHELD,
    build_cli,
    gps_jpeg,
    hostile_site,
    make_hostile_project,
    text_png,
)

REPO = Path(__file__).resolve().parent.parent


def _kinds(found: list[Leak]) -> set[str]:
    return {leak.kind for leak in found}


def _show(found: list[Leak]) -> str:
    return "\n".join(str(leak) for leak in found[:30])  # kind, file, record; the secret only hinted


# ---------------------------------------------------------------- clean builds


def test_hostile_project_build_leaks_nothing_in_any_file():
    project, site = hostile_site(with_print=True)
    problems = check_site(project, site)
    assert problems == [], "\n".join(problems)
    # The scan really covered every kind of output the build writes.
    scanned = {Path(c.name.split("!")[0].split(" (")[0]).suffix for c in leaks.read_outputs(site)}
    assert {
        ".html",
        ".json",
        ".geojson",
        ".csv",
        ".xlsx",
        ".pdf",
        ".ics",
        ".jpg",
        ".svg",
        ".js",
    } <= scanned, scanned


def test_the_hostile_project_holds_every_kind_of_secret():
    """Guards the test above: a scan with nothing to look for would pass trivially."""
    from gis import pipeline
    from gis.config import load_project
    from gis.report import Report

    project, _ = hostile_site(with_print=True)
    edition = pipeline.run(load_project(project), Report(), keep_private=True)
    secrets = secrets_from(edition.private.places, edition.report, edition.project)
    kinds = {s.kind for s in secrets.texts + secrets.phones}
    assert kinds == {
        "withheld-name",
        "withheld-address",
        "withheld-phone",
        "phone",
        "home-address",
        "home-venue",
    }
    assert len([s for s in secrets.texts if s.kind == "withheld-name"]) == len(WITHHELD)
    assert len([s for s in secrets.phones if s.kind == "phone"]) == len(UNCONSENTED_PHONES)
    assert len(secrets.points) == len(HOMES)


def test_demo_build_leaks_nothing(tmp_path):
    """The bundled demo (prints skipped here: the demo's PDFs take minutes; the hostile project above has
    its PDFs scanned)."""
    code, _, err = build_cli(REPO, tmp_path / "site", "--no-print", "--report", str(tmp_path / "report.json"))
    assert code == 0, err[-2000:]
    problems = check_site(REPO, tmp_path / "site")
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------- each protection, removed


@pytest.fixture
def project(tmp_path) -> Path:
    return make_hostile_project(tmp_path / "project", hostile_config=False)


@pytest.fixture
def no_stats(monkeypatch):
    """The statistics pages are not where these leaks would show first; leaving them out keeps these
    builds quick (the clean builds above scan them)."""
    from gis import publish

    monkeypatch.setattr(publish, "write_stats", lambda *args, **kwargs: False)


def _build_and_scan(project: Path, out: Path, *args: str) -> list[Leak]:
    code, _, err = build_cli(project, out, *args)
    assert code == 0, err[-2000:]
    return _scan(project, out)


def _scan(project: Path, site: Path) -> list[Leak]:
    from gis import pipeline
    from gis.config import load_project
    from gis.report import Report

    # The secrets come from the records themselves (gis.leaks decides them without gis.privacy), so a
    # patched privacy module cannot hide what it failed to protect.
    edition = pipeline.run(load_project(project), Report(), keep_private=True)
    secrets = secrets_from(
        edition.private.places,
        edition.report,
        edition.project,
        raw_rows=edition.private.raw_rows,
    )
    return scan_site(site, secrets)


def test_a_home_is_caught_even_when_the_sheet_mapping_misses_its_venue_column(
    tmp_path, monkeypatch, no_stats
):
    """The venue and venue-kind columns under headers no alias knows: the reading of the sheet never sees
    the home, but the scanner reads every raw cell, so a home published exactly is still caught."""
    from tests.projects import make_project, row

    home = row(
        名称="縁側の会",
        会場="",
        会場種別="",
        所在地="和歌山県ミニ町西南町3-21-7",
        緯度="35.003217",
        経度="135.007654",
    )
    project = make_project(tmp_path / "p", [row(), home])
    records = project / "data" / "records.csv"
    text = (
        records.read_text(encoding="utf-8-sig")
        .replace("会場種別", "どんな所", 1)
        .replace("会場", "やる所", 1)
    )
    lines = text.splitlines()
    lines[2] = lines[2].replace(",,,和歌山県", ",山田花子さん宅,自宅,和歌山県", 1)
    records.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    _publish_every_venue_exactly(monkeypatch)
    found = _build_and_scan(project, tmp_path / "site", "--no-print")
    assert {"home-point", "home-address"} <= _kinds(found), _show(found)  # (the venue column is unused)
    assert {leak.where for leak in found if leak.kind == "home-point"} == {"data/records.csv 3行目"}
    assert not [leak for leak in found if leak.note], _show(found)


def test_publishing_records_without_consent_is_caught_in_every_format(project, tmp_path, monkeypatch):
    monkeypatch.setattr("gis.pipeline.withhold_reason", lambda place: None)
    found = _build_and_scan(project, tmp_path / "site", "--no-print")  # PDFs: test_the_scanner_reads_…
    assert {"withheld-name", "withheld-address", "withheld-phone"} <= _kinds(found), _show(found)
    files = {Path(leak.file).suffix for leak in found if leak.kind == "withheld-name"}
    # HTML pages, JSON data, GeoJSON, CSV (BOM), XLSX (zipped XML), iCalendar (folded), statistics.
    assert {".html", ".json", ".geojson", ".csv", ".xlsx", ".ics"} <= files, files


def _publish_every_venue_exactly(monkeypatch) -> None:
    """Break privacy's location rule: every venue counts as public (its exact place is published), and
    free text is no longer masked (a home's name in the venue column would be)."""
    from gis import privacy

    monkeypatch.setattr("gis.privacy.mask_text", lambda text, *args, **kwargs: (text, []))
    exact = privacy.LocationDecision(True, False, "公開", "public")
    monkeypatch.setattr("gis.privacy.decide_location", lambda place, venues: exact)
    monkeypatch.setattr("gis.pipeline.decide_location", lambda place, venues: exact)


def test_showing_a_home_at_its_exact_point_and_address_is_caught(project, tmp_path, monkeypatch, no_stats):
    _publish_every_venue_exactly(monkeypatch)
    found = _build_and_scan(project, tmp_path / "site", "--no-print")
    assert {"home-point", "home-address", "home-venue"} <= _kinds(found), _show(found)
    assert {leak.where for leak in found if leak.kind == "home-point"} == {
        s.where for s in _home_secrets(project)
    }
    assert any(leak.file == "data/places.geojson" for leak in found if leak.kind == "home-point")


def _home_secrets(project: Path):
    from gis import pipeline
    from gis.config import load_project
    from gis.report import Report

    edition = pipeline.run(load_project(project), Report(), keep_private=True)
    return [s for s, _ in secrets_from(edition.private.places, edition.report, edition.project).points]


def test_publishing_phones_without_consent_is_caught(project, tmp_path, monkeypatch, no_stats):
    def every_phone(place: Place, *args, **kwargs):
        return _real_to_public(dataclasses.replace(place, contact_consent=True), *args, **kwargs)

    monkeypatch.setattr("gis.pipeline.to_public", every_phone)
    found = _build_and_scan(project, tmp_path / "site", "--no-print")
    phones = [leak for leak in found if leak.kind == "phone"]
    # both unconsented phones, whatever their writing (full-width digits, spaces)
    assert len({leak.where for leak in phones}) == len(UNCONSENTED_PHONES), _show(found)


def test_a_photo_copied_without_stripping_its_metadata_is_caught(project, tmp_path, monkeypatch, no_stats):
    from gis import photos

    def copy_as_is(src, dest_dir, stem, cache_dir=None):
        for suffix in ("s", "l"):
            shutil.copyfile(src, Path(dest_dir) / f"{stem}-{suffix}.jpg")
        with Image.open(src) as im:
            w, h = im.size
        return {
            "thumb": f"photos/{stem}-s.jpg",
            "large": f"photos/{stem}-l.jpg",
            "tw": w,
            "th": h,
            "w": w,
            "h": h,
        }

    monkeypatch.setattr(photos, "publish_photo", copy_as_is)
    found = _build_and_scan(project, tmp_path / "site", "--no-print")
    gps = {leak.file for leak in found if leak.kind == "image-gps"}
    assert gps and all(f.startswith("photos/") for f in gps), _show(found)
    # the PNG's text chunk and the JPEG's EXIF description carry a home's address
    assert any(leak.kind == "home-address" and leak.file.startswith("photos/") for leak in found), _show(
        found
    )


def test_check_site_names_the_file_and_record_but_not_the_whole_secret(
    project, tmp_path, monkeypatch, no_stats
):
    monkeypatch.setattr("gis.pipeline.withhold_reason", lambda place: None)
    code, _, err = build_cli(project, tmp_path / "site", "--no-print")
    assert code == 0, err
    monkeypatch.undo()
    lines = check_site(project, tmp_path / "site")
    name = WITHHELD[0][0]
    mine = [line for line in lines if "withheld-name" in line and "13行目" in line]
    assert mine and all(name not in line and "data/records.csv" in line for line in mine), lines[:5]
    assert any(line.startswith("漏えい / leak: index.html:") for line in mine)


# ---------------------------------------------------------------- the scanner's readers and rules


def _place(**fields) -> Place:
    base = {
        "source": "r.csv",
        "row": 2,
        "name": "ふつうのサロン",
        "category": "salon",
        "venue": "中央公民館",
        "venue_kind": "公共施設",
        "address": "岡山県たから市本町1-2",
        "lat": 34.6,
        "lon": 133.7,
        "consent": True,
        "geocode_level": "座標",
    }
    base.update(fields)
    return Place(**base)


SECRET_NAME = "ないしょの茶話会"
SECRET_PHONE = "0866-12-3456"
HOME = {
    "row": 4,
    "name": "縁側サロン",
    "venue": "山田さん宅",
    "venue_kind": "自宅",
    "address": "岡山県たから市本町2丁目14-3",
    "town": "本町2丁目",
    "lat": 34.612345,
    "lon": 133.712345,
}


@pytest.fixture
def secrets():
    places = [
        _place(),
        _place(row=3, name=SECRET_NAME, consent=False, contact=SECRET_PHONE, address="たから市北町7-7"),
        _place(**HOME),
        _place(row=5, name="ないしょの茶話会の仲間", contact="0866-99-0000", contact_consent=True),
    ]
    return secrets_from(places, None, None, rep_points=[(34.61, 133.71)])


def _xlsx(text: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["名称", text])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ics(text: str) -> bytes:
    from icalendar import Calendar, Event

    cal, event = Calendar(), Event()
    event.add("summary", "定例会 " * 12 + text)  # long enough to be folded across lines
    event.add("location", text + "、本町")
    cal.add_component(event)
    return cal.to_ical()


def _csv(text: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(["1", f'"{text}"', "０８６６－１２－３４５６"])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _pdf(text: str) -> bytes:
    from weasyprint import HTML

    body = "<p style='width:4em'>" + text + "</p><p>TEL 0866 12 3456</p><p>34.6123, 133.7123</p>"
    return HTML(string=body).write_pdf()


FORMATS = {  # file name -> bytes holding the withheld name (and in some, its phone or the home's point)
    "page.html": lambda: f"<p>{SECRET_NAME[:5]}&#x8336;{SECRET_NAME[6:]}</p>".encode(),
    "data.json": lambda: json.dumps({"n": SECRET_NAME, "tel": SECRET_PHONE}, ensure_ascii=True).encode(),
    "data.js": lambda: ("var x = " + json.dumps(SECRET_NAME, ensure_ascii=True) + ";").encode(),
    "table.csv": lambda: _csv(SECRET_NAME),
    "book.xlsx": lambda: _xlsx(SECRET_NAME),
    "cal.ics": lambda: _ics(SECRET_NAME),
    "chart.svg": lambda: f"<svg><text>{SECRET_NAME}</text></svg>".encode(),
    "print.pdf": lambda: _pdf(SECRET_NAME),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_scanner_reads_each_output_format(name, secrets, tmp_path):
    (tmp_path / name).write_bytes(FORMATS[name]())
    found = scan_site(tmp_path, secrets)
    assert ("withheld-name", name) in {(leak.kind, leak.file) for leak in found}, _show(found)


def test_pdf_text_is_read_without_poppler_too(secrets, tmp_path, monkeypatch):
    monkeypatch.setattr(leaks.shutil, "which", lambda name: None)
    (tmp_path / "print.pdf").write_bytes(_pdf(SECRET_NAME))
    assert {"withheld-name", "withheld-phone", "home-point"} <= _kinds(scan_site(tmp_path, secrets))


def test_phones_are_matched_by_their_digits(secrets, tmp_path):
    for k, text in enumerate(
        ("TEL:０８６６（１２）３４５６", "+81-866-12-3456", "<td>0866-12-</td><td>3456</td>")
    ):
        (tmp_path / f"{k}.html").write_text(text, encoding="utf-8")
    (tmp_path / "clean.html").write_text("10866-12-34567 086612345 0866-99-0000", encoding="utf-8")
    found = scan_site(tmp_path, secrets)
    assert {leak.file for leak in found} == {"0.html", "1.html", "2.html"}, _show(found)


def test_home_points_are_found_at_every_rounding_but_only_as_a_pair(secrets, tmp_path):
    for d in (6, 5, 4, 3):
        (tmp_path / f"r{d}.json").write_text(
            json.dumps({"lat": [round(HOME["lat"], d)], "lon": [round(HOME["lon"], d)]})
        )
    (tmp_path / "lat-only.json").write_text(json.dumps([HOME["lat"], 133.7]))
    (tmp_path / "longer.csv").write_text("34.6123456,133.7123456\n")  # a neighbour 1 cm away at 7 decimals
    (tmp_path / "area-point.json").write_text("[34.61,133.71]")  # where privacy shows the home
    found = scan_site(tmp_path, secrets)
    assert {leak.file for leak in found if leak.kind == "home-point"} == {
        "r6.json",
        "r5.json",
        "r4.json",
        "r3.json",
    }


def test_home_address_and_venue_are_found_but_the_town_alone_is_not(secrets, tmp_path):
    (tmp_path / "a.html").write_text("<p>たから市本町2丁目14-3</p>", encoding="utf-8")
    (tmp_path / "b.html").write_text("<p>会場：山田さん宅</p>", encoding="utf-8")
    (tmp_path / "c.html").write_text("<p>岡山県たから市本町2丁目（個人宅（地区内））</p>", encoding="utf-8")
    found = scan_site(tmp_path, secrets)
    assert {(leak.kind, leak.file) for leak in found} == {
        ("home-address", "a.html"),
        ("home-venue", "b.html"),
    }


def test_a_secret_inside_a_published_value_is_not_a_leak(secrets, tmp_path):
    (tmp_path / "a.html").write_text("<li>ないしょの茶話会の仲間</li><li>0866-99-0000</li>", encoding="utf-8")
    (tmp_path / "b.html").write_text(
        "<li>ないしょの茶話会の仲間</li><li>ないしょの茶話会</li>", encoding="utf-8"
    )
    found = scan_site(tmp_path, secrets)
    assert {leak.file for leak in found} == {"b.html"}, _show(found)


def test_any_gps_position_in_any_image_is_a_leak(secrets, tmp_path):
    gps_jpeg(tmp_path / "gps.jpg")
    text_png(tmp_path / "note.png", SECRET_NAME)
    Image.new("RGB", (10, 10)).save(tmp_path / "clean.jpg")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4\n" + (tmp_path / "gps.jpg").read_bytes() + b"\n%%EOF")
    found = scan_site(tmp_path, secrets)
    assert {(leak.kind, leak.file) for leak in found} == {
        ("image-gps", "gps.jpg"),
        ("image-gps", "doc.pdf"),
        ("withheld-name", "note.png"),
        ("unreadable", "doc.pdf"),  # not a PDF a reader can open: an error, never taken as clean
    }, _show(found)


@pytest.mark.shared
def test_kurashiki_build_leaks_nothing_with_venues_known_from_the_gsi_facility_list(tmp_path, kurashiki_dir):
    """Kurashiki's real venues with 会場種別 left blank: the GSI facility list named in [privacy] makes them
    public (exact); every home and every town-address venue is at area level; the scan finds nothing."""
    from gis.leaks import scan_project_site
    from tests.kurashiki import make_kurashiki_project

    root = make_kurashiki_project(tmp_path / "k", kurashiki_dir, n=120)
    records = root / "records.csv"
    with records.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["会場種別"] == "公共施設":
            r["会場種別"] = ""  # known public only through the facility list
    with records.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    from gis import pipeline
    from gis.config import load_project
    from gis.report import Report

    def exact_by_name() -> int:
        decisions = pipeline.run(load_project(root), Report()).report.decisions
        return sum(1 for d in decisions if d["location"] == "exact" and d["reason"].startswith("会場「"))

    by_words = exact_by_name()  # venues recognised by their words alone (…公民館, …小学校)
    gsi = (kurashiki_dir / "facilities_evacuation_GSI.geojson").as_posix()
    with (root / "takara.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[privacy]\nfacilities = ["{gsi}"]\n')
    assert exact_by_name() > by_words  # the facility list makes more real venues public
    code, _, err = build_cli(root, tmp_path / "site", "--no-print")
    assert code == 0, err[-2000:]
    scan = scan_project_site(root, tmp_path / "site")
    assert scan.lines() == [], "\n".join(scan.lines()[:20])


def test_a_value_another_record_publishes_legitimately_is_a_note_not_a_leak(tmp_path):
    """A home geocoded to the same point as a public hall that another record publishes: finding that
    point is a coincidence (a note), while the home's own street address is still a leak."""
    hall = _place(
        row=2, name="公民館の体操", lat=34.612345, lon=133.712345, address="岡山県たから市本町2丁目1-1"
    )
    home = _place(**{**HOME, "row": 3})
    secrets = secrets_from([hall, home], None, None, rep_points=[])
    (tmp_path / "a.json").write_text(json.dumps({"lat": 34.612345, "lon": 133.712345}), encoding="utf-8")
    (tmp_path / "b.html").write_text("<p>たから市本町2丁目14-3</p>", encoding="utf-8")
    found = scan_site(tmp_path, secrets)
    notes = [leak for leak in found if leak.note]
    assert [(leak.kind, leak.file, leak.note) for leak in notes] == [("home-point", "a.json", "r.csv 2行目")]
    assert [(leak.kind, leak.file) for leak in found if not leak.note] == [("home-address", "b.html")]


def test_an_unreadable_output_file_is_an_error_never_a_skip(secrets, tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    found = scan_site(tmp_path, secrets)
    assert {(leak.kind, leak.file) for leak in found} == {
        ("unreadable", "broken.pdf"),
        ("unreadable", "broken.xlsx"),
        ("unreadable", "broken.png"),
    }, _show(found)
