"""What the site offers residents beyond the map: filter data (who a place is for), the gazetteer's towns
for 「近くの場所」, the 今週の予定 page, and the figures and calendar links on district and place pages.

Called by gis.datafiles and gis.pages; reads only PublicPlace fields. Nothing here writes HTML: the
week page is the template site_template/templates/week.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.place import normalise_text
from gis.schedule import published_days

if TYPE_CHECKING:
    from gis.edition import Edition

# Who a place is for, derived from the 参加対象 text at build time. A place may be in several groups;
# "other" when no rule matched (text we cannot classify is not guessed into a group).
TARGET_GROUPS = ("anyone", "older", "men", "women", "local", "carers", "other")
_TARGET_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "anyone",
        re.compile(r"どなたでも|だれでも|誰でも|どなたも|子ども?から高齢者|年齢問わ|制限なし|どの世代"),
    ),
    ("older", re.compile(r"高齢|シニア|老人|お年寄り")),
    ("men", re.compile(r"男性|男の")),
    ("women", re.compile(r"女性|女の")),
    ("local", re.compile(r"地域住民|地域の方|地域の皆|自治会員|町内|近所|歩いて来られる|住民")),
    ("carers", re.compile(r"介護中|介護している|介護する|家族介護|ご家族")),
)
_AGE_FROM = re.compile(r"(\d{2})\s*歳以上")
OLDER_FROM_AGE = 55  # 「おおむね60歳以上」「65歳以上」 are older people's groups; 「20歳以上」 is not


def target_groups(text: str) -> tuple[str, ...]:
    """The target groups a 参加対象 text names, in TARGET_GROUPS order; ("other",) when none (or blank)."""
    t = normalise_text(text)
    found = {gid for gid, rule in _TARGET_RULES if rule.search(t)}
    if any(int(m.group(1)) >= OLDER_FROM_AGE for m in _AGE_FROM.finditer(t)):
        found.add("older")
    return tuple(g for g in TARGET_GROUPS if g in found) or ("other",)


def target_bits(text: str) -> int:
    return sum(1 << TARGET_GROUPS.index(g) for g in target_groups(text))


def filters_payload(places: list[Any]) -> dict:
    """data/filters.json: per place (same order as data/index.json) its target-group bits."""
    return {"version": 1, "targets": list(TARGET_GROUPS), "t": [target_bits(p.target) for p in places]}


def towns_payload(gazetteer: Path | None) -> dict:
    """data/towns.json: the gazetteer's town names and their public representative points (town level
    only: no address finer than a 町丁目 is ever written). Empty when the project has no gazetteer."""
    names: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    if gazetteer is not None:
        from gis.geocode import towns

        rows = towns(Path(gazetteer))
        cities = {r["city"] for r in rows}
        seen = set()
        for r in rows:
            name = r["town"] if len(cities) == 1 else f"{r['city']}{r['town']}"
            if not name or name in seen:
                continue
            seen.add(name)
            names.append(name)
            lat.append(round(float(r["lat"]), 5))
            lon.append(round(float(r["lng"]), 5))
    return {"version": 1, "name": names, "lat": lat, "lon": lon}


# ---------------------------------------------------------------- 今週の予定


def week_ctx(places: list[Any], contexts: list[Any]) -> dict:
    """The week page: under each weekday (Mon..Sun) every place that may meet on it, earliest first. The
    weekday comes from Schedule.occurs_on_weekdays, the one rule the weekday filter and the prints use too
    (daily and day-of-month schedules are under every weekday; whether they meet in a given week is in
    data/week.json). Places whose schedule is irregular or not understood are listed apart (said as
    written, never placed on a guessed day)."""
    days: list[list[dict]] = [[] for _ in range(7)]
    irregular: list[dict] = []
    unknown: list[dict] = []
    for p, c in zip(places, contexts):
        s = p.schedule
        parsed = s is not None and s.parsed
        entry = {"p": c, "start": (s.start or "") if parsed else "", "end": (s.end or "") if parsed else ""}
        if not parsed:
            if p.schedule_text:
                unknown.append(entry)
            continue
        weekdays = s.occurs_on_weekdays()
        if not weekdays:
            irregular.append(entry)
        for wd in weekdays:
            days[wd].append(entry)

    def order(e: dict) -> tuple:
        return (e["start"] or "99:99", e["p"].n)

    districts: dict[str, str] = {}
    for c in contexts:
        if c.district:
            districts.setdefault(c.dkey, c.district)
    return {
        "days": [sorted(d, key=order) for d in days],
        "irregular": irregular,
        "unknown": unknown,
        "districts": [{"key": k, "name": v} for k, v in districts.items()],
    }


def week_payload(places: list[Any], edition_date: date, paused_status: str) -> dict:
    """data/week.json: for each place with a recurring schedule, the days it meets from the edition date on,
    as a hex string of bits (bit k = start + k days), computed by Schedule.occurrences over the days the
    calendars cover (gis.schedule.published_days; months, 祝日・お盆・年末年始 closures). A paused place meets
    on no day. The week page's script reads this instead of working out 第N曜日 itself; days before the
    edition date it says nothing about, as the calendars do not."""
    start, end = published_days(edition_date)
    on: dict[str, str] = {}
    by_schedule: dict[int, str] = {}  # the pipeline parses each schedule text once: places share the object
    for p in places:
        s = p.schedule
        if s is None or not s.recurs:
            continue
        if p.status == paused_status:
            on[str(p.number)] = "0"
            continue
        bits = by_schedule.get(id(s))
        if bits is None:
            days = s.occurrences(start, end)
            bits = by_schedule[id(s)] = format(sum(1 << (d - start).days for d in days), "x")
        on[str(p.number)] = bits
    return {"version": 1, "start": start.isoformat(), "days": (end - start).days + 1, "on": on}


# ---------------------------------------------------------------- place pages


@dataclass(frozen=True)
class PlaceCalendar:
    """A place page's 「カレンダーに追加」: the VCALENDAR text the browser offers as a download named
    `file`, and `fallback`, the district's calendar (holding the same events) linked for readers
    without JavaScript."""

    text: str
    file: str
    fallback: str


def place_calendar(
    edition: Edition, p: Any, district_calendars: dict[str, str], events: list[bytes] | None
) -> PlaceCalendar | None:
    """The place's calendar for its page, or None when it has no events or no calendars were written
    (district_calendars: area id → site-relative path of the district's .ics; events: the place's VEVENTs;
    both from gis.export's result)."""
    if not district_calendars or not events:
        return None
    from gis.ical import place_calendar_name, place_calendar_of

    text = place_calendar_of(p, edition.project, events)
    district_id, _name = p.areas.get(edition.project.district_tier.id, ("", ""))
    return PlaceCalendar(text, place_calendar_name(p), district_calendars.get(district_id, "data/places.ics"))
