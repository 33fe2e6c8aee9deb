"""iCalendar (RFC 5545) from parsed schedules: a place's events, and the VCALENDAR bytes around them.

gis.export writes the district and whole-map calendars with these; a place's own calendar is the text its
page carries (`place_calendar_text`), made into a file by the browser. Ids are uuid5 in the project's
namespace (`project_namespace`, `stable_id`), shared with the HSDS export, so they survive rebuilds.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from gis.config import Project
from gis.place import STATUS_ACTIVE, PublicPlace
from gis.schedule import published_days
from gis.textsafe import one_line

TZID = "Asia/Tokyo"
TOKYO = ZoneInfo(TZID)
FIRST_SEARCH_YEARS = 2  # a rule with no occurrence within this long is not published as an event


def project_namespace(project: Project) -> uuid.UUID:
    """The project's uuid namespace: its public address when it has one (stable across rebuilds and
    distinct between cities, so national aggregations do not merge place 1 of two towns)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "takara-map:" + (project.site.base_url or project.site.title))


def stable_id(ns: uuid.UUID, *parts: object) -> str:
    return str(uuid.uuid5(ns, "/".join(str(p) for p in parts)))


def category_label(project: Project, cid: str) -> str:
    c = project.category(cid)
    return c.label if c else cid


def rrule_text(rule: dict) -> str:
    return _rrule_text_cached(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in rule.items()))


@lru_cache(maxsize=1024)
def _rrule_text_cached(items: tuple) -> str:
    from icalendar import vRecur

    return vRecur({k: list(v) if isinstance(v, tuple) else v for k, v in items}).to_ical().decode()


def _first(rule_text: str, day: date, at: time) -> datetime | None:
    from dateutil.rrule import rrulestr

    begin = datetime.combine(day, at)
    limit = datetime.combine(day + timedelta(days=366 * FIRST_SEARCH_YEARS), time())
    return rrulestr(rule_text, dtstart=begin).replace(until=limit).after(begin, inc=True)


def _clock(hhmm: str | None) -> time | None:
    if not hhmm:
        return None
    h, m = (int(x) for x in hhmm.split(":"))
    return time(min(h, 23), m)


@dataclass(frozen=True)
class _Plan:
    """What a schedule becomes in a calendar: per rule its first meeting and the closed dates to EXDATE,
    or why there is no event. The same for every place with that schedule, so it is computed once."""

    rules: tuple[tuple[dict, date, tuple[date, ...]], ...] = ()
    reason: tuple[str, str] | None = None


@lru_cache(maxsize=4096)
def _plan(sch: Any, day: date) -> _Plan:
    from dateutil.rrule import rrulestr

    if sch is None or not getattr(sch, "parsed", False):
        return _Plan(reason=("開催日時を読み取れないため予定にできません", "schedule could not be parsed"))
    if sch.irregular or not sch.rrules():
        return _Plan(reason=("不定期のため予定にできません", "irregular schedule: no recurrence"))
    _, window_end = published_days(day)  # closures (祝日・年末年始・お盆) are EXDATEs up to here
    closed = set(sch.excluded_dates(day, window_end))
    rules, produced = [], set()
    for rule in sch.rrules():
        text = rrule_text(rule)
        first = _first(text, day, time())
        if first is None:
            continue
        dates = [
            d.date()
            for d in rrulestr(text, dtstart=first).between(
                first, datetime.combine(window_end, time()), inc=True
            )
        ]
        produced.update(dates)
        meetings = [d for d in dates if d not in closed]
        if not meetings:
            continue
        first_day = meetings[0]  # DTSTART itself must be a real meeting, not a closed day
        rules.append((rule, first_day, tuple(d for d in dates if d in closed and d > first_day)))
    if not rules:
        return _Plan(reason=("開催日が見つからないため予定にできません", "no occurrence found"))
    # The rules must give exactly the dates the schedule means; a wrong date is worse than none.
    if produced - closed != set(sch.occurrences(day, window_end)):
        return _Plan(
            reason=(
                "予定表の規則と開催日が一致しないため載せません",
                "recurrence rules disagree with the schedule",
            )
        )
    return _Plan(rules=tuple(rules))


def schedule_plan(sch: Any, day: date) -> _Plan:
    """_plan, cached by the schedule's structure: 毎週水曜 and 毎週水曜日 share one plan."""
    try:
        key: Any = (
            dataclasses.replace(sch, text="")
            if dataclasses.is_dataclass(sch) and not isinstance(sch, type)
            else sch
        )
        return _plan(key, day)
    except TypeError:  # an unhashable stand-in for Schedule: no caching
        return _plan.__wrapped__(sch, day)


def place_events(
    p: PublicPlace, project: Project, day: date, ns: uuid.UUID
) -> tuple[list[bytes], tuple[str, str] | None]:
    """The place's VEVENTs, each serialised once (district and whole-map calendars reuse the bytes),
    or why it has none."""
    from icalendar import Event, vRecur

    if p.status != STATUS_ACTIVE:
        return [], ("休止中のため予定はありません", "paused: no events")
    plan = schedule_plan(p.schedule, day)
    if plan.reason:
        return [], plan.reason
    sch = p.schedule
    start, end = _clock(sch.start), _clock(sch.end)
    stamp = datetime.combine(day, time(), tzinfo=UTC)
    where = "、".join(x for x in (p.venue, p.address) if x)
    description = _event_description(p, project)
    label = category_label(project, p.category)
    events = []
    for i, (rule, first, exdates) in enumerate(plan.rules):
        ev = Event()
        ev.add("uid", f"{stable_id(ns, 'event', p.id, i)}@takara-map")
        ev.add("dtstamp", stamp)
        ev.add("summary", one_line(p.name))
        if start is not None:
            ev.add("dtstart", datetime.combine(first, start, tzinfo=TOKYO))
            if end is not None and end > start:
                ev.add("dtend", datetime.combine(first, end, tzinfo=TOKYO))
            else:  # no end written: without one, RFC 5545 makes it an instant that calendars hide
                ev.add("duration", ASSUMED_DURATION)
        else:
            ev.add("dtstart", first)  # no time given: an all-day entry
        ev.add("rrule", vRecur(rule))
        if exdates:
            ev.add(
                "exdate",
                [datetime.combine(d, start, tzinfo=TOKYO) if start is not None else d for d in exdates],
            )
        if where:
            ev.add("location", one_line(where))
        if p.location_precision != "area":
            ev.add("geo", (p.lat, p.lon))
        ev.add("description", description)
        ev.add("categories", [one_line(label)])
        if project.site.base_url:
            ev.add("url", one_line(f"{project.site.base_url.rstrip('/')}/places/{p.number}/"))
        events.append(ev.to_ical())
    return events, None


def _event_description(p: PublicPlace, project: Project) -> str:
    lines = [f"開催日・時間: {one_line(p.schedule_text)}"]
    if p.schedule is not None and p.schedule.start and not p.schedule.end:
        lines.append("終わりの時刻は書かれていないため、カレンダーには1時間として入れています")
    for label, value in (
        ("参加対象", p.target),
        ("参加費", p.fee),
        ("主な活動", p.activities),
        ("連絡先", p.phone),
        ("運営", p.organiser),
    ):
        if value:
            lines.append(f"{label}: {one_line(value)}")
    if p.location_precision == "area":
        lines.append("会場は個人宅などのため、場所は問い合わせてください")
    lines.append(f"出典: {one_line(project.site.title)}（{one_line(project.site.licence)}）")
    return "\n".join(lines)


# An event with a start time and no end time is entered for an hour, and its description says so.
ASSUMED_DURATION = timedelta(hours=1)


@lru_cache(maxsize=1)
def _vtimezone() -> bytes:
    """Asia/Tokyo: JST all year (no DST since 1951), written out so every client can read the TZID."""
    from icalendar import Timezone, TimezoneStandard

    tz = Timezone()
    tz.add("tzid", TZID)
    std = TimezoneStandard()
    std.add("dtstart", datetime(1970, 1, 1))
    std.add("tzoffsetfrom", timedelta(hours=9))
    std.add("tzoffsetto", timedelta(hours=9))
    std.add("tzname", "JST")
    tz.add_component(std)
    return tz.to_ical()


@lru_cache(maxsize=1)
def _calendar_frame() -> tuple[bytes, bytes]:
    """What every VCALENDAR written here has before and after its X-WR-CALNAME line."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Takara Map//宝物マップ//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "-")
    cal.add("x-wr-timezone", TZID)
    head = cal.to_ical()
    tail = b"END:VCALENDAR\r\n"
    assert head.endswith(tail)
    before, after = head[: -len(tail)].split(b"X-WR-CALNAME:-\r\n")
    return before, after + _vtimezone()


def calendar_bytes(name: str, events: list[bytes]) -> bytes:
    """A VCALENDAR around already serialised VEVENTs: the same bytes icalendar writes for a Calendar
    holding them, without serialising each event again for every calendar it is in, and with only the
    name's line written per calendar (a place page carries one: 100,000 of them)."""
    from icalendar import Calendar

    before, after = _calendar_frame()
    only_name = Calendar()
    only_name.add("x-wr-calname", one_line(name))
    line = only_name.to_ical()[len(b"BEGIN:VCALENDAR\r\n") : -len(b"END:VCALENDAR\r\n")]
    return before + line + after + b"".join(events) + b"END:VCALENDAR\r\n"


def place_calendar_name(p: PublicPlace) -> str:
    """The file name a place's calendar is downloaded as (from its page)."""
    return f"{p.id}.ics"


def place_calendar_text(p: PublicPlace, project: Project, day: date) -> str | None:
    """The place's own VCALENDAR (its events, the same as in its district's calendar), for its page to
    offer as a download; None when its schedule cannot become a calendar (paused, irregular, unread)."""
    events, reason = place_events(p, project, day, project_namespace(project))
    if reason:
        return None
    return place_calendar_of(p, project, events)


def place_calendar_of(p: PublicPlace, project: Project, events: list[bytes]) -> str:
    """The place's own VCALENDAR around its already serialised events (gis.export keeps them)."""
    return calendar_bytes(f"{p.name}（{project.site.title}）", events).decode("utf-8")
