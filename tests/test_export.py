"""Open data exports: HSDS 3.0 that validates, calendars whose dates are right, Excel files that open,
metadata that says where the data came from, and nothing withheld in any of it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import recurring_ical_events
from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar
from openpyxl import load_workbook

from gis.config import load_project
from gis.export import write_exports
from gis.ical import calendar_bytes, place_calendar_text
from gis.pipeline import run
from gis.place import STATUS_PAUSED
from gis.residents import week_payload
from tests.conftest import shared_path
from tests.projects import make_project, row

EDITION = date(2026, 11, 1)  # tests/projects.py's edition date
TOKYO = "Asia/Tokyo"

ROWS = [
    row(名称="第2第4火曜サロン", 開催日時="毎月第2・第4火曜日 10:00～12:00", 参加費="100円"),
    row(
        名称="朝のラジオ体操",
        種別="体操",
        開催日時="毎朝6時30分",
        所在地="ミニ町東北町一丁目5-6",
        参加費="無料",
        連絡先="086-111-2222",
        連絡先掲載="可",
    ),
    row(名称="水曜のお茶会", 開催日時="毎週水曜日 13:30～15:00（祝日休み）", 所在地="ミニ町西北町2-1"),
    row(名称="ときどきの会", 開催日時="不定期"),
    row(名称="気まぐれ茶話会", 開催日時="月に一度くらい気が向いたら"),
    row(
        名称="お休み中の体操",
        種別="体操",
        開催日時="毎週金曜日 9:00～10:00",
        状況="休止中",
        所在地="ミニ町東南町3-1",
    ),
]


def _edition(root: Path, rows: list[dict]):
    return run(load_project(make_project(root, rows)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    edition = _edition(root / "project", ROWS)
    data = root / "data"
    result = write_exports(edition, data)
    return edition, data, result


def _by_name(edition):
    return {p.name: p for p in edition.places}


def _hsds(data: Path) -> dict[str, list[dict]]:
    return {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in (data / "hsds").glob("*.json")}


def _hsds_validators():
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    spec = shared_path("specs", "hsds-3.0")
    registry = Registry().with_resources(
        (path.resolve().as_uri(), DRAFT202012.create_resource(json.loads(path.read_text(encoding="utf-8"))))
        for path in spec.glob("*.json")
    )

    def validator(name: str):
        ref = {"$ref": (spec / f"{name}.json").resolve().as_uri()}
        return Draft202012Validator(ref, registry=registry, format_checker=FormatChecker())

    return validator


def _validate_all(data: Path) -> dict[str, int]:
    validator = _hsds_validators()
    counts = {}
    for name, rows in _hsds(data).items():
        v = validator(name)
        errors = [f"{name}[{i}]: {e.message}" for i, r in enumerate(rows) for e in v.iter_errors(r)]
        assert not errors, errors[:5]
        counts[name] = len(rows)
    return counts


# ---------------------------------------------------------------- HSDS


def test_hsds_validates_against_the_hsds_3_schemas(built):
    edition, data, _ = built
    counts = _validate_all(data)
    n = len(edition.places)
    assert n == 6
    for name in ("organization", "service", "location", "service_at_location", "attribute"):
        assert counts[name] == n, name
    assert counts["taxonomy"] == 1 and counts["taxonomy_term"] == len(edition.project.categories)
    # the validator is not vacuous: a service without its required status is refused
    service = dict(_hsds(data)["service"][0])
    del service["status"]
    assert list(_hsds_validators()("service").iter_errors(service))


def test_hsds_links_places_categories_fees_phones_and_schedules(built):
    _, data, _ = built
    h = _hsds(data)
    services = {s["name"]: s for s in h["service"]}
    orgs = {o["id"]: o for o in h["organization"]}
    terms = {t["id"]: t for t in h["taxonomy_term"]}
    salon = services["第2第4火曜サロン"]
    assert orgs[salon["organization_id"]]["name"] == "第2第4火曜サロン"
    assert salon["status"] == "active" and services["お休み中の体操"]["status"] == "temporarily closed"
    assert salon["fees_description"] == "100円" and salon["url"] == "https://example.org/mini/places/1/"
    # category through attribute → taxonomy_term
    cat_of = {a["link_id"]: terms[a["taxonomy_term_id"]]["name"] for a in h["attribute"]}
    assert cat_of[services["朝のラジオ体操"]["id"]] == "体操" and cat_of[salon["id"]] == "サロン"
    # cost options carry the yen amount when the text names one
    costs = {c["service_id"]: c for c in h["cost_option"]}
    assert costs[salon["id"]]["amount"] == 100 and costs[salon["id"]]["currency"] == "JPY"
    assert costs[services["朝のラジオ体操"]["id"]]["amount"] == 0
    # the consented phone only
    assert [p["number"] for p in h["phone"]] == ["086-111-2222"]
    # location and address of the service
    sal = next(x for x in h["service_at_location"] if x["service_id"] == salon["id"])
    loc = next(x for x in h["location"] if x["id"] == sal["location_id"])
    assert (loc["latitude"], loc["longitude"]) == (35.005, 135.005) and loc["name"] == "西南集会所"
    address = next(a for a in h["address"] if a["location_id"] == loc["id"])
    assert (address["state_province"], address["city"], address["address_1"]) == (
        "和歌山県",
        "ミニ町",
        "西南町1-2",
    )
    # schedules: nth weekdays as MONTHLY BYDAY, with the first date on or after the edition date
    sched = next(s for s in h["schedule"] if s["service_id"] == salon["id"])
    assert (sched["freq"], sched["byday"], sched["dtstart"]) == ("MONTHLY", "2TU,4TU", "2026-11-10")
    assert (sched["opens_at"], sched["closes_at"], sched["timezone"]) == ("10:00+09:00", "12:00+09:00", 9)
    # an unparsed schedule keeps its text and invents no rule
    odd = next(s for s in h["schedule"] if s["service_id"] == services["気まぐれ茶話会"]["id"])
    assert odd["description"] == "月に一度くらい気が向いたら" and "freq" not in odd


def test_hsds_ids_survive_a_rebuild_and_changes_are_recorded(tmp_path):
    root = tmp_path / "p"
    first = _edition(root, ROWS[:3])
    write_exports(first, tmp_path / "v1")
    again = _edition(root, ROWS[:3])
    write_exports(again, tmp_path / "v1-again")
    for name in ("service", "location", "organization", "schedule"):
        assert (tmp_path / "v1" / "hsds" / f"{name}.json").read_bytes() == (
            tmp_path / "v1-again" / "hsds" / f"{name}.json"
        ).read_bytes()

    changed = [
        dict(ROWS[0], 参加費="200円"),
        ROWS[1],
        dict(ROWS[2], 掲載可否="不可"),
        row(名称="新しいサロン"),
    ]
    second = _edition(root, changed)
    result = write_exports(second, tmp_path / "v2", previous=tmp_path / "v1")
    meta = _hsds(tmp_path / "v2")["metadata"]
    assert result.hsds_changes == len(meta) > 0
    old_services = {s["name"]: s["id"] for s in _hsds(tmp_path / "v1")["service"]}
    new_services = {s["name"]: s["id"] for s in _hsds(tmp_path / "v2")["service"]}
    assert old_services["第2第4火曜サロン"] == new_services["第2第4火曜サロン"]
    fee = [
        m
        for m in meta
        if m["resource_id"] == new_services["第2第4火曜サロン"] and m["field_name"] == "fees_description"
    ]
    assert [(m["last_action_type"], m["previous_value"], m["replacement_value"]) for m in fee] == [
        ("update", "100円", "200円")
    ]
    assert any(
        m["last_action_type"] == "create" and m["resource_id"] == new_services["新しいサロン"] for m in meta
    )
    gone = [m for m in meta if m["resource_id"] == old_services["水曜のお茶会"]]
    assert [(m["last_action_type"], m["previous_value"]) for m in gone] == [("delete", "")]
    assert all(m["last_action_date"] == "2026-11-01" for m in meta)
    _validate_all(tmp_path / "v2")


# ---------------------------------------------------------------- iCalendar


def _calendar(path: Path) -> Calendar:
    return Calendar.from_ical(path.read_bytes())


def _place_calendar(edition, p) -> Calendar:
    """The calendar a place page offers (made in the browser from this text; tests/test_browser_site.py)."""
    text = place_calendar_text(p, edition.project, edition.date)
    assert text is not None, p.name
    return Calendar.from_ical(text)


def _expand(event, start: date, end: date) -> list[datetime]:
    """Occurrences of one VEVENT as a calendar client computes them (RRULE from DTSTART, minus EXDATE)."""
    dtstart = event.decoded("dtstart")
    if not isinstance(dtstart, datetime):
        dtstart = datetime.combine(dtstart, datetime.min.time())
    rules = rruleset()
    rules.rrule(rrulestr(event["rrule"].to_ical().decode(), dtstart=dtstart))
    exdates = event.get("exdate")
    for ex in exdates if isinstance(exdates, list) else [exdates] if exdates else []:
        for d in ex.dts:
            value = d.dt if isinstance(d.dt, datetime) else datetime.combine(d.dt, datetime.min.time())
            rules.exdate(value)
    tz = dtstart.tzinfo
    return rules.between(
        datetime.combine(start, datetime.min.time(), tz),
        datetime.combine(end, datetime.max.time(), tz),
        inc=True,
    )


def test_second_and_fourth_tuesday_in_november_2026(built):
    edition, _, _ = built
    salon = _by_name(edition)["第2第4火曜サロン"]
    cal = _place_calendar(edition, salon)
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == TOKYO
    (event,) = cal.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == TOKYO
    assert event.decoded("dtstart").isoformat() == "2026-11-10T10:00:00+09:00"
    assert event.decoded("dtend").isoformat() == "2026-11-10T12:00:00+09:00"
    november = _expand(event, date(2026, 11, 1), date(2026, 11, 30))
    assert [d.isoformat() for d in november] == ["2026-11-10T10:00:00+09:00", "2026-11-24T10:00:00+09:00"]
    assert str(event["summary"]) == "第2第4火曜サロン"


def test_an_event_without_an_end_time_lasts_an_hour_and_says_so(built):
    edition, _, _ = built
    radio = _by_name(edition)["朝のラジオ体操"]  # 毎朝6時30分: a start, no end
    (event,) = _place_calendar(edition, radio).walk("VEVENT")
    assert event.decoded("dtstart").isoformat().endswith("T06:30:00+09:00")
    assert "dtend" not in event and event.decoded("duration") == timedelta(hours=1)
    assert "1時間として" in str(event["description"])


def test_every_calendar_gives_the_schedules_dates_for_a_year(built):
    edition, _, _ = built
    end = EDITION + timedelta(days=365)
    checked = 0
    for p in edition.places:
        if place_calendar_text(p, edition.project, edition.date) is None:
            continue
        events = _place_calendar(edition, p).walk("VEVENT")
        got = sorted({d.date() for ev in events for d in _expand(ev, EDITION, end)})
        assert got == p.schedule.occurrences(EDITION, end), p.name
        checked += 1
    assert checked == 3
    # the holiday closure is an EXDATE: こどもの日 2027-05-05 is a Wednesday
    tea = _by_name(edition)["水曜のお茶会"]
    (event,) = _place_calendar(edition, tea).walk("VEVENT")
    wednesdays = {d.date() for d in _expand(event, date(2027, 5, 1), date(2027, 5, 31))}
    assert date(2027, 5, 5) not in wednesdays and date(2027, 5, 12) in wednesdays


def test_unparsed_irregular_and_paused_schedules_give_no_event_and_are_listed(built):
    edition, data, result = built
    skipped = {s["name"]: s["reason"] for s in result.calendar_skipped}
    assert set(skipped) == {"ときどきの会", "気まぐれ茶話会", "お休み中の体操"}
    assert "不定期" in skipped["ときどきの会"] and "読み取れない" in skipped["気まぐれ茶話会"]
    assert "休止中" in skipped["お休み中の体操"]
    for name in skipped:
        assert place_calendar_text(_by_name(edition)[name], edition.project, edition.date) is None
    meta = json.loads((data / "metadata.json").read_text(encoding="utf-8"))
    assert {s["name"] for s in meta["calendar_skipped"]} == set(skipped)


def test_no_calendar_file_per_place_only_districts_and_the_whole_map(built):
    _, data, _ = built
    written = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.ics"))
    assert written == ["calendar/district-A.ics", "calendar/district-B.ics", "places.ics"]


def test_a_places_calendar_is_the_bytes_icalendar_writes_for_it(built):
    """calendar_bytes writes only the name line per calendar: the result must still be what icalendar
    itself writes for a Calendar holding those events, whatever the name holds."""
    edition, _, _ = built
    salon = _by_name(edition)["第2第4火曜サロン"]
    text = place_calendar_text(salon, edition.project, edition.date)
    assert text is not None
    event = text[text.index("BEGIN:VEVENT") : text.rindex("END:VCALENDAR")].encode()
    for name in ("第2第4火曜サロン（ミニ町）", "長い名前" * 30, 'a,b;c\\d "e"', "é" * 80 + "日"):
        cal = Calendar()
        for key, value in (
            ("prodid", "-//Takara Map//宝物マップ//JA"),
            ("version", "2.0"),
            ("calscale", "GREGORIAN"),
            ("method", "PUBLISH"),
            ("x-wr-calname", name),
            ("x-wr-timezone", TOKYO),
        ):
            cal.add(key, value)
        cal.add_component(Calendar.from_ical(calendar_bytes(name, [])).walk("VTIMEZONE")[0])
        cal.add_component(Calendar.from_ical(text).walk("VEVENT")[0])
        assert calendar_bytes(name, [event]) == cal.to_ical()


def test_the_week_data_and_the_calendars_give_the_same_days_for_a_year(built):
    """data/week.json (the week page) and the district calendars, as a calendar client expands them, agree
    on every day of the year they cover: 祝日 closed, the paused place on no day."""
    edition, data, _ = built
    week = week_payload(edition.places, edition.date, STATUS_PAUSED)
    start = date.fromisoformat(week["start"])
    by_number = {str(p.number): p for p in edition.places}
    from_week = {
        (by_number[n].name, start + timedelta(days=k))
        for n, bits in week["on"].items()
        for k in range(week["days"])
        if int(bits, 16) >> k & 1
    }
    from_calendars = set()
    for path in sorted((data / "calendar").glob("district-*.ics")):
        calendar = Calendar.from_ical(path.read_bytes())
        for event in recurring_ical_events.of(calendar).between(start, start + timedelta(days=week["days"])):
            when = event.decoded("dtstart")
            from_calendars.add((str(event["summary"]), when if type(when) is date else when.date()))
    assert from_week == from_calendars
    assert ("水曜のお茶会", date(2027, 5, 5)) not in from_week  # こどもの日, a Wednesday
    assert not any(name == "お休み中の体操" for name, _ in from_week)


def test_district_calendars_hold_their_districts_events(built):
    _, data, result = built
    assert set(result.district_calendars) == {"A", "B"}
    west = _calendar(data / "calendar" / "district-A.ics")
    east = _calendar(data / "calendar" / "district-B.ics")
    assert {str(e["summary"]) for e in west.walk("VEVENT")} == {"第2第4火曜サロン", "水曜のお茶会"}
    assert {str(e["summary"]) for e in east.walk("VEVENT")} == {
        "朝のラジオ体操"
    }  # the paused one has no event
    assert west.walk("VTIMEZONE") and str(west["x-wr-calname"]).startswith("西地区")


# ---------------------------------------------------------------- XLSX, metadata, determinism


def test_xlsx_opens_with_japanese_headers_and_the_edition_date(built):
    edition, data, _ = built
    book = load_workbook(data / "places.xlsx")
    sheet = book["一覧表"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("一覧表No.", "名称", "種類")
    assert [r[1] for r in rows[1:]] == [p.name for p in edition.places]
    assert rows[2][header.index("連絡先")] == "086-111-2222"
    assert book.properties.created == book.properties.modified == datetime(2026, 11, 1)
    about = dict(book["このデータについて"].iter_rows(values_only=True))
    assert about["ライセンス"] == "CC BY 4.0" and about["版（データの日付）"] == "2026-11-01"


def test_exports_are_identical_when_rebuilt(built, tmp_path):
    edition, data, _ = built
    write_exports(edition, tmp_path / "again")
    for path in sorted(data.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "again" / path.relative_to(data)).read_bytes(), path.name


def test_metadata_names_licence_sources_counts_and_files(built):
    _, data, result = built
    meta = json.loads((data / "metadata.json").read_text(encoding="utf-8"))
    assert meta["title"] == "ミニ町 宝物マップ（テスト）" and meta["edition"] == "2026-11-01"
    assert (meta["licence"], meta["attribution"]) == ("CC BY 4.0", "テストデータ")
    assert meta["licence_url"].startswith("https://creativecommons.org/")
    assert meta["sources"] == ["records.csv"]  # a file name, never a path on the coordinator's computer
    assert meta["counts"] == {
        "salon": {"label": "サロン", "count": 4},
        "exercise": {"label": "体操", "count": 2},
    }
    assert meta["files"] == sorted(result.files)
    assert all((data / f).is_file() for f in meta["files"])
    assert {"places.xlsx", "hsds/service.json", "metadata.json", "calendar/district-A.ics"} <= set(
        meta["files"]
    )


def test_site_build_links_exports_and_writes_excel_readable_csv(tmp_path):
    from gis.publish import publish_site

    edition = _edition(tmp_path / "p", ROWS)
    out = tmp_path / "site"
    publish_site(edition, out, with_print=False)
    raw = (out / "data" / "places.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][1] == "名称" and [r[1] for r in table[1:]] == [p.name for p in edition.places]
    assert (out / "data" / "places.xlsx").is_file() and (out / "data" / "hsds" / "service.json").is_file()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="data/places.xlsx"' in page and 'href="data/places.ics"' in page


# ---------------------------------------------------------------- privacy

PRIVATE = [
    row(
        名称="秘密のお茶会",
        掲載可否="不可",
        所在地="ミニ町西北町7-7-7",
        連絡先="090-1111-2222",
        連絡先掲載="可",
    ),
    row(名称="同意欄が空の会", 掲載可否="", 所在地="ミニ町東南町4-4-4"),
    row(
        名称="お宅サロン",
        会場="鈴木花子さん宅",
        会場種別="自宅",
        所在地="ミニ町西南町8-9",
        緯度="35.00123",
        経度="135.00987",
        開催日時="毎週水曜日 13:30～15:00",
        連絡先="090-3333-4444",
    ),
    row(
        名称="電話は載せない体操",
        種別="体操",
        所在地="ミニ町東北町一丁目9-9",
        連絡先="086-999-0000",
        連絡先掲載="",
    ),
]
FORBIDDEN = [
    "秘密のお茶会",
    "西北町7-7-7",
    "090-1111-2222",
    "同意欄が空の会",
    "東南町4-4-4",
    "鈴木",
    "西南町8-9",
    "35.00123",
    "135.00987",
    "090-3333-4444",
    "086-999-0000",
]


def _all_text(folder: Path) -> dict[str, str]:
    """Every file's text as a reader would see it: XLSX unzipped, iCalendar lines unfolded."""
    texts = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                texts[str(path)] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            texts[str(path)] = path.read_bytes().decode("utf-8").replace("\r\n ", "").replace("\\n", "\n")
    return texts


def test_no_withheld_record_home_address_or_unconsented_phone_in_any_export(tmp_path):
    from gis.publish import publish_site

    edition = _edition(tmp_path / "p", [*PRIVATE, row(名称="公開サロン")])
    assert {p.name for p in edition.places} == {"お宅サロン", "電話は載せない体操", "公開サロン"}
    out = tmp_path / "site"
    publish_site(edition, out, with_print=False)
    texts = _all_text(out / "data")
    assert any(str(out / "data" / "places.xlsx") == k for k in texts) and len(texts) > 15
    assert any("お宅サロン" in t for t in texts.values())  # the scan does see published text
    leaks = [(word, Path(name).name) for name, text in texts.items() for word in FORBIDDEN if word in text]
    assert not leaks


def test_what_was_withdrawn_since_the_last_edition_does_not_survive_in_change_rows(tmp_path):
    root = tmp_path / "p"
    before = [
        row(名称="のちに取り下げる会", 所在地="ミニ町西北町3-3", 連絡先="090-5555-0001", 連絡先掲載="可"),
        row(
            名称="電話を取り下げる会", 所在地="ミニ町東北町一丁目3-3", 連絡先="090-5555-0002", 連絡先掲載="可"
        ),
        row(
            名称="自宅に移った会", 会場="集会所", 所在地="ミニ町東南町7-7", 緯度="35.00444", 経度="135.01444"
        ),
    ]
    write_exports(_edition(root, before), tmp_path / "v1")
    assert "090-5555-0001" in (tmp_path / "v1" / "hsds" / "phone.json").read_text(encoding="utf-8")
    after = [
        dict(before[0], 掲載可否="不可"),
        dict(before[1], 連絡先掲載=""),
        dict(before[2], 会場="田中さん宅", 会場種別="自宅"),
    ]
    write_exports(_edition(root, after), tmp_path / "v2", previous=tmp_path / "v1")
    assert _hsds(tmp_path / "v2")["metadata"]  # changes were recorded …
    texts = _all_text(tmp_path / "v2")
    words = [
        "のちに取り下げる会",
        "西北町3-3",
        "090-5555-0001",
        "090-5555-0002",
        "東南町7-7",
        "35.00444",
        "135.01444",
    ]
    leaks = [(w, Path(n).name) for n, t in texts.items() for w in words if w in t]
    assert not leaks  # … without the withdrawn values


# ---------------------------------------------------------------- the published list reads back


def test_the_published_list_reads_back_as_records(tmp_path):
    """places.csv and places.xlsx carry headers the record reader knows, so last edition's published
    list can be the start of this edition's sheet: every column is recognised and every value comes back."""
    from gis.config import RecordSource
    from gis.datafiles import csv_text
    from gis.export import xlsx_bytes
    from gis.records import read_source
    from gis.report import Report
    from gis.table import TABLE_FIELDS
    from gis.validate import validate_rows
    from gis.view import Catalogue, SiteModel

    project = load_project(Path(__file__).resolve().parent.parent)
    edition = run(project)
    (tmp_path / "places.csv").write_text(csv_text(SiteModel(edition, Catalogue("ja"))), encoding="utf-8")
    (tmp_path / "places.xlsx").write_bytes(xlsx_bytes(project, edition.places, edition.date))
    for name in ("places.csv", "places.xlsx"):
        result = read_source(RecordSource(path=tmp_path / name, label=name))
        assert set(result.columns.values()) >= {f for _, f in TABLE_FIELDS}, (name, result.unused)
        assert len(result.rows) == len(edition.places)
        for raw, place in zip(result.rows, edition.places):
            assert str(raw.values["name"]) == place.name
            assert int(raw.values["number"]) == place.number
            assert raw.values["category"] == project.category(place.category).label
            assert str(raw.values["schedule_text"] or "") == place.schedule_text
        # and the validator makes them places again: none rejected, the same numbers, names and kinds
        report = Report()
        places = validate_rows(result.rows, project, report)
        errors = [i for i in report.issues if i.severity == "error"]
        assert not errors, (name, [str(i) for i in errors[:3]])
        assert [(p.number, p.name, p.category) for p in places] == [
            (p.number, p.name, p.category) for p in edition.places
        ], name


# ---------------------------------------------------------------- every output to its spec (the demo)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    from gis.publish import publish_site

    edition = run(load_project(Path(__file__).resolve().parent.parent))
    out = tmp_path_factory.mktemp("demo-site")
    publish_site(edition, out, with_print=False)
    return edition, out


def test_every_calendar_the_demo_writes_parses_and_every_event_has_an_end(demo_site):
    """RFC 5545 §3.6.1: an event with a start time and neither DTEND nor DURATION is an instant, which
    calendars hide; all-day events (a DATE start) are a day long."""
    edition, out = demo_site
    calendars = {path.relative_to(out).as_posix(): path.read_bytes() for path in out.rglob("*.ics")}
    calendars.update(
        (f"places/{p.number} (page)", text.encode("utf-8"))
        for p in edition.places
        if (text := place_calendar_text(p, edition.project, edition.date))
    )
    assert "data/places.ics" in calendars and len(calendars) > len(edition.places) // 2
    events = 0
    for name, raw in calendars.items():
        calendar = Calendar.from_ical(raw)
        assert str(calendar["version"]) == "2.0" and calendar.walk("VTIMEZONE"), name
        for event in calendar.walk("VEVENT"):
            all_day = type(event.decoded("dtstart")) is date
            assert all_day or "dtend" in event or "duration" in event, (name, str(event["summary"]))
            assert "dtend" not in event or "duration" not in event, name  # never both (§3.6.1)
            events += 1
    assert events > len(edition.places)


def test_every_polygon_the_demo_writes_winds_counter_clockwise_with_clockwise_holes(demo_site):
    """RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise — boundaries, overlays and the
    statistics' layers alike."""
    from shapely.geometry import LinearRing

    _, out = demo_site
    files = sorted(out.rglob("*.geojson"))
    assert files
    rings = 0
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data.get("features", [data]) if isinstance(data, dict) else []
        for feature in features:
            geometry = feature.get("geometry") or {}
            polygons = {
                "Polygon": [geometry.get("coordinates")],
                "MultiPolygon": geometry.get("coordinates"),
            }.get(geometry.get("type"), [])
            for polygon in polygons:
                for k, ring in enumerate(polygon):
                    ccw = LinearRing(ring).is_ccw
                    assert ccw == (k == 0), (
                        path.relative_to(out).as_posix(),
                        "exterior" if k == 0 else "hole",
                    )
                    rings += 1
    assert rings > 0
