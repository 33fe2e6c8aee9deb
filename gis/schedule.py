"""Japanese schedule text (開催日時) → a structured `Schedule`.

Coordinators write when a place meets as free text: 「毎月第2・第4火曜日 10:00～12:00（8月休み）」.
Printing, the site's filters, the "this week" view and the iCalendar export all read the
`Schedule` that `gis.schedule_parse.parse_schedule` makes from it. This module is what a Schedule
means (its dates, closures, calendar rules and words); gis.schedule_parse only reads the text.

The parser is strict on purpose. The text is cut into known pieces (weekdays, 第N, days of the
month, months, times, exceptions, a few filler words such as の・は・開催); if any piece is left that
it does not know, or the pieces contradict each other, the result is `parsed=False` and every
reader shows the text exactly as written. A wrong date on a map is worse than no date.

Decisions a reader of the output should know:
- 不定期・要問合せ・随時・応相談 … → `irregular=True`, `parsed=True`, no recurrence.
- A frequency without a day (月1回, 月1回程度, 週2回, 年4回, 隔月) is understood but names no
  day: `irregular=True` with `frequency` ("1/month"), never an invented day. A frequency next to
  days must agree with them (週2回（水・金） is fine; 月1回 水曜日 or 隔週水曜日 is refused: which
  Wednesday is not said).
- Refused: a specific date (4月15日), a start or end (4月から, 11月まで), a second time range
  (10時～12時、13時～15時), seasons (夏休み), 土日祝 ("also on holidays"), "one or the other"
  (土曜日または日曜日), and exceptions to the rule (12月は第1土曜日, 8月も開催): は/も after anything
  but a closure means the text says more than a Schedule can hold.
- A bare hour from 1 to 5 (「1時半～3時」) is read as afternoon, as Japanese timetables write
  it, unless 朝/午前/毎朝 says otherwise; 6 to 12 are read as written (radio exercise meets at 6:30).
  An end hour of 1–7 earlier than the start is afternoon (「10時～2時」 → 10:00–14:00); any other end
  not after the start is refused.
- 祝日休み, 年末年始休み (29 Dec – 3 Jan), お盆休み (13–16 Aug) and 雨天中止 are kept in
  `exceptions`; `occurrences` leaves out those dates (Japanese national holidays are computed by
  `japanese_holidays`, from jpholiday), and `excluded_dates` lists them for EXDATE.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import jpholiday

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ODD_MONTHS = (1, 3, 5, 7, 9, 11)
EVEN_MONTHS = (2, 4, 6, 8, 10, 12)
PERIODS = ("morning", "afternoon", "evening")

# How far ahead of the edition date the published dates go: the calendars list closed days (EXDATE) and
# data/week.json (the week page) says on which days each place meets over these same days.
PUBLISHED_DAYS = 53 * 7  # a year, in whole weeks


def published_days(edition_date: date) -> tuple[date, date]:
    """The first and last day (inclusive) the calendars' closures and the week page's dates cover."""
    return edition_date, edition_date + timedelta(days=PUBLISHED_DAYS - 1)


# exception codes kept in Schedule.exceptions, in this order
EXCEPTIONS = ("holidays", "year_end", "obon", "rain")
_EXCEPTION_JA = {"holidays": "祝日休み", "year_end": "年末年始休み", "obon": "お盆休み", "rain": "雨天中止"}
_EXCEPTION_EN = {
    "holidays": "closed on public holidays",
    "year_end": "closed over the New Year",
    "obon": "closed during Obon",
    "rain": "cancelled if it rains",
}
_PERIOD_JA = {"morning": "午前", "afternoon": "午後", "evening": "夜"}


@dataclass(frozen=True)
class Schedule:
    """When a place meets. Built by `gis.schedule_parse.parse_schedule`; when `parsed` is False only `text` is set."""

    text: str  # original text, always kept
    parsed: bool  # True when every meaningful part was understood
    weekdays: tuple[int, ...] = ()  # 0=Mon..6=Sun, weekly
    nth_weekdays: tuple[tuple[int, int], ...] = ()  # (n, weekday); n=1..5, -1 = last
    month_days: tuple[int, ...] = ()  # 1..31, -1 = last day of the month (末日)
    daily: bool = False
    months: tuple[int, ...] = ()  # months it runs in (empty = every month)
    start: str | None = None  # "HH:MM"
    end: str | None = None
    irregular: bool = False  # 不定期 / 要問合せ / a frequency without a day
    frequency: str | None = None  # "1/month", "1-2/month", "2/week", "4/year", "1/2month", "1/2week"
    day_part: str | None = (
        None  # "morning"/"afternoon"/"evening" from 午前・午後・朝・夜 when no time is given
    )
    exceptions: tuple[str, ...] = ()  # subset of EXCEPTIONS

    # ---- questions the site and the exports ask ----

    @property
    def recurs(self) -> bool:
        return self.parsed and bool(self.daily or self.weekdays or self.nth_weekdays or self.month_days)

    def occurs_on_weekdays(self) -> tuple[int, ...]:
        """Every weekday it may fall on (daily or a day of the month → all 7)."""
        if not self.recurs:
            return ()
        if self.daily or self.month_days:
            return tuple(range(7))
        return tuple(sorted(set(self.weekdays) | {wd for _, wd in self.nth_weekdays}))

    def periods(self) -> tuple[str, ...]:
        """Parts of the day it covers: morning < 12:00 ≤ afternoon < 17:00 ≤ evening (the end is exclusive)."""
        if not self.parsed:
            return ()
        if self.start is None and self.end is None:
            return (self.day_part,) if self.day_part else ()
        if self.start is not None and self.end is not None:
            lo, hi = minutes_of_day(self.start), minutes_of_day(self.end)
        elif self.start is not None:
            lo = minutes_of_day(self.start)
            hi = lo + 1
        else:
            hi = minutes_of_day(self.end or "00:00")
            lo = hi - 1
        bounds = {"morning": (0, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 48 * 60)}
        return tuple(p for p in PERIODS if lo < bounds[p][1] and hi > bounds[p][0])

    def matches(self, day: date) -> bool:
        """Whether it meets on this date (months and closures respected)."""
        if not self.recurs:
            return False
        if self.months and day.month not in self.months:
            return False
        if _closed_by_exceptions(self.exceptions, day):
            return False
        return self._rule_matches(day)

    def _rule_matches(self, day: date) -> bool:
        if self.daily or day.weekday() in self.weekdays:
            return True
        for n, wd in self.nth_weekdays:
            if day.weekday() == wd and (n == _nth_of_month(day) or (n == -1 and _is_last_of_month(day))):
                return True
        last_day = calendar.monthrange(day.year, day.month)[1]
        return day.day in self.month_days or (-1 in self.month_days and day.day == last_day)

    def occurrences(self, start: date, end: date) -> list[date]:
        """Concrete dates in [start, end]. [] when it does not recur (irregular or not parsed)."""
        if not self.recurs:
            return []
        days = (start + timedelta(n) for n in range((end - start).days + 1))
        return [d for d in days if self.matches(d)]

    def excluded_dates(self, start: date, end: date) -> list[date]:
        """Dates in [start, end] the rrules produce but that are closed (祝日・年末年始・お盆): for EXDATE."""
        if not self.recurs or not self.exceptions:
            return []
        days = (start + timedelta(n) for n in range((end - start).days + 1))
        return [
            d
            for d in days
            if (not self.months or d.month in self.months)
            and self._rule_matches(d)
            and _closed_by_exceptions(self.exceptions, d)
        ]

    def rrules(self) -> list[dict]:
        """RRULE dicts for icalendar.vRecur, one per kind of recurrence; [] when none. Closures are not
        in the rules: add `excluded_dates` as EXDATE."""
        if not self.recurs:
            return []
        extra: dict = {"BYMONTH": list(self.months)} if self.months else {}
        rules: list[dict] = []
        if self.daily:
            rules.append({"FREQ": "DAILY", **extra})
        if self.weekdays:
            rules.append({"FREQ": "WEEKLY", "BYDAY": [ICAL_DAYS[d] for d in self.weekdays], **extra})
        if self.nth_weekdays:
            rules.append(
                {"FREQ": "MONTHLY", "BYDAY": [f"{n}{ICAL_DAYS[wd]}" for n, wd in self.nth_weekdays], **extra}
            )
        if self.month_days:
            rules.append({"FREQ": "MONTHLY", "BYMONTHDAY": list(self.month_days), **extra})
        return rules

    def describe(self, lang: str = "ja") -> str:
        """Plain words for pages and prints. Not parsed → the text as written."""
        if lang not in ("ja", "en"):
            raise ValueError(f"describe: lang must be 'ja' or 'en', not {lang!r}")
        if not self.parsed:
            return self.text
        return _describe_ja(self) if lang == "ja" else _describe_en(self)

    def to_json(self) -> dict:
        """Compact form for the site's JSON; only non-empty keys. The text itself is not repeated
        (the place carries schedule_text). Keys: ok parsed · d daily · wd weekdays (0=Mon) ·
        nth [[n, weekday]] (n=-1 last) · md days of month (-1 last) · m months · s/e start/end "HH:MM" ·
        irr irregular · fq frequency · dp day part · x exceptions · ow occurs_on_weekdays · pd periods."""
        out: dict = {
            "ok": self.parsed,
            "d": self.daily,
            "wd": list(self.weekdays),
            "nth": [list(p) for p in self.nth_weekdays],
            "md": list(self.month_days),
            "m": list(self.months),
            "s": self.start,
            "e": self.end,
            "irr": self.irregular,
            "fq": self.frequency,
            "dp": self.day_part,
            "x": list(self.exceptions),
            "ow": list(self.occurs_on_weekdays()),
            "pd": list(self.periods()),
        }
        return {k: v for k, v in out.items() if v not in (None, False, [], "")}


# ---------------------------------------------------------------------------------------------
# Calendar helpers


def minutes_of_day(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _nth_of_month(day: date) -> int:
    return (day.day - 1) // 7 + 1


def _is_last_of_month(day: date) -> bool:
    """The last such weekday of its month (最終金曜)."""
    return (day + timedelta(7)).month != day.month


@lru_cache(maxsize=64)
def japanese_holidays(year: int) -> frozenset[date]:
    """Japanese national holidays (国民の祝日, 振替休日, 国民の休日), from jpholiday, which follows the law
    (and its one-off changes, such as the 2020 and 2021 Olympic moves) rather than a formula."""
    return frozenset(day for day, _name in jpholiday.year_holidays(year))


def _closed_by_exceptions(exceptions: tuple[str, ...], day: date) -> bool:
    if "holidays" in exceptions and day in japanese_holidays(day.year):
        return True
    if "year_end" in exceptions and (
        (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    ):
        return True
    return "obon" in exceptions and day.month == 8 and 13 <= day.day <= 16


# ---------------------------------------------------------------------------------------------
# Describing


def _runs(values: Iterable[int], lo: int, hi: int) -> list[tuple[int, int]]:
    """Consecutive values as (first, last) runs; a run may wrap from hi back to lo (土～月, 11～3月)."""
    vs = sorted(set(values))
    runs: list[list[int]] = []
    for v in vs:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    if len(runs) > 1 and runs[0][0] == lo and runs[-1][1] == hi:
        runs[0][0] = runs.pop()[0]
    return [(a, b) for a, b in runs]


def _weekday_names_ja(days: tuple[int, ...]) -> str:
    runs = _runs(days, 0, 6)
    if len(runs) == 1 and (runs[0][1] - runs[0][0]) % 7 >= 2:
        return f"{WEEKDAYS_JA[runs[0][0]]}～{WEEKDAYS_JA[runs[0][1]]}曜日"
    return "・".join(WEEKDAYS_JA[d] for d in days) + "曜日"


def _weekday_names_en(days: tuple[int, ...]) -> str:
    runs = _runs(days, 0, 6)
    if len(runs) == 1 and (runs[0][1] - runs[0][0]) % 7 >= 2:
        return f"{WEEKDAYS_EN[runs[0][0]]}–{WEEKDAYS_EN[runs[0][1]]}"
    return _join_en([WEEKDAYS_EN[d] for d in days])


def _join_en(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ordinal(n: int) -> str:
    if n == -1:
        return "last"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n, "th")


def _month_words(months: tuple[int, ...], lang: str) -> tuple[str, str]:
    """(leading words, closing note) for the months a schedule runs in."""
    if not months:
        return "", ""
    if months == ODD_MONTHS:
        return ("奇数月", "") if lang == "ja" else ("Odd-numbered months", "")
    if months == EVEN_MONTHS:
        return ("偶数月", "") if lang == "ja" else ("Even-numbered months", "")
    missing = [m for m in range(1, 13) if m not in months]
    runs = _runs(months, 1, 12)
    if len(missing) > 2 and len(runs) == 1 and len(months) >= 3:  # 4～11月
        a, b = runs[0]
        return (f"{a}～{b}月", "") if lang == "ja" else (f"{MONTHS_EN[a - 1]}–{MONTHS_EN[b - 1]}", "")
    if len(missing) <= 3:  # 8月休み
        if lang == "ja":
            return "", "・".join(f"{m}月" for m in missing) + "休み"
        return "", "closed in " + _join_en([MONTHS_EN[m - 1] for m in missing])
    if lang == "ja":
        return "・".join(str(m) for m in months) + "月", ""
    return "In " + _join_en([MONTHS_EN[m - 1] for m in months]), ""


def _nth_groups(pairs: tuple[tuple[int, int], ...]) -> list[tuple[list[int], int]]:
    groups: dict[int, list[int]] = {}
    for n, wd in pairs:
        groups.setdefault(wd, []).append(n)
    return [(ns, wd) for wd, ns in groups.items()]


def _clock(hhmm: str | None) -> str:
    """6:30 rather than 06:30, as printed timetables write it."""
    return "" if hhmm is None else hhmm.lstrip("0").rjust(4, "0")


def _describe_ja(sch: Schedule) -> str:
    lead, note = _month_words(sch.months, "ja")
    parts: list[str] = [lead] if lead else []
    prefix_month = "" if lead else "毎月 "
    rec: list[str] = []
    if sch.daily:
        rec.append({"morning": "毎朝", "evening": "毎晩"}.get(sch.day_part or "", "毎日"))
    if sch.weekdays:
        rec.append("毎週 " + _weekday_names_ja(sch.weekdays))
    if sch.nth_weekdays:
        items = [
            "・".join("最終" if n == -1 else f"第{n}" for n in ns) + WEEKDAYS_JA[wd] + "曜日"
            for ns, wd in _nth_groups(sch.nth_weekdays)
        ]
        rec.append(prefix_month + "、".join(items))
    if sch.month_days:
        rec.append(prefix_month + "・".join("末日" if d == -1 else f"{d}日" for d in sch.month_days))
    if rec:
        parts.append("、".join(rec))
    if sch.irregular:
        if sch.frequency:
            parts.append(_frequency_ja(sch.frequency))
        parts.append("不定期（日程は問い合わせ）" if not sch.frequency else "（日程は問い合わせ）")
    if sch.start or sch.end:
        parts.append(f"{_clock(sch.start)}〜{_clock(sch.end)}")
    elif sch.day_part and not (sch.daily and sch.day_part in ("morning", "evening")):
        parts.append(_PERIOD_JA[sch.day_part])
    notes = [note] if note else []
    notes += [_EXCEPTION_JA[x] for x in sch.exceptions]
    text = " ".join(parts).replace(" （", "（")
    return text + ("（" + "、".join(notes) + "）" if notes else "")


def _frequency_parts(code: str) -> tuple[str, int, str]:
    count, per = code.split("/")
    m = re.fullmatch(r"(\d*)(month|week|year)", per)
    assert m is not None, code
    return count, int(m.group(1) or 1), m.group(2)


def _frequency_ja(code: str) -> str:
    count, every, unit = _frequency_parts(code)
    count = count.replace("-", "～")
    if every == 1:
        return {"month": "月", "week": "週", "year": "年"}[unit] + f"{count}回"
    if every == 2 and count == "1":
        return "隔月" if unit == "month" else "隔週"
    return f"{every}か月に{count}回" if unit == "month" else f"{every}週間に{count}回"


def _frequency_en(code: str) -> str:
    count, every, unit = _frequency_parts(code)
    times = {"1": "Once", "2": "Twice"}.get(count, count.replace("-", "–") + " times")
    return f"{times} a {unit}" if every == 1 else f"{times} every {every} {unit}s"


def _describe_en(sch: Schedule) -> str:
    lead, note = _month_words(sch.months, "en")
    rec: list[str] = []
    if sch.daily:
        rec.append(
            {"morning": "every morning", "evening": "every evening"}.get(sch.day_part or "", "every day")
        )
    if sch.weekdays:
        rec.append("every " + _weekday_names_en(sch.weekdays))
    if sch.nth_weekdays:
        items = [
            _join_en([_ordinal(n) for n in ns]) + " " + WEEKDAYS_EN[wd]
            for ns, wd in _nth_groups(sch.nth_weekdays)
        ]
        rec.append("the " + _join_en(items) + " of the month")
    if sch.month_days:
        days = ["last day" if d == -1 else _ordinal(d) for d in sch.month_days]
        rec.append("on the " + _join_en(days) + " of the month")
    body = _join_en(rec) if rec else ""
    if sch.irregular:
        body = (_frequency_en(sch.frequency) if sch.frequency else "Irregular") + " (ask for dates)"
    when = ""
    if sch.start and sch.end:
        when = f"{_clock(sch.start)}–{_clock(sch.end)}"
    elif sch.start:
        when = f"from {_clock(sch.start)}"
    elif sch.end:
        when = f"until {_clock(sch.end)}"
    elif sch.day_part and not (sch.daily and sch.day_part in ("morning", "evening")):
        when = f"in the {sch.day_part}"
    text = f"{lead}: {body}" if lead else body
    text = text[0].upper() + text[1:] if text else text
    if when:
        text = f"{text} {when}" if text else when
    notes = [note] if note else []
    notes += [_EXCEPTION_EN[x] for x in sch.exceptions]
    return text + (" (" + "; ".join(notes) + ")" if notes else "")
