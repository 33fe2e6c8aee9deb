"""gis.schedule: coordinators' 開催日時 text → Schedule, and what the site and exports ask of it."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import vRecur

from gis.schedule import Schedule, japanese_holidays
from gis.schedule_parse import parse_rate, parse_schedule

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)
ODD = (1, 3, 5, 7, 9, 11)
EVEN = (2, 4, 6, 8, 10, 12)


def all_but(*months: int) -> tuple[int, ...]:
    return tuple(m for m in range(1, 13) if m not in months)


def when(**fields) -> dict:
    """The structured result expected; every field not named must be empty."""
    base = {
        "weekdays": (),
        "nth_weekdays": (),
        "month_days": (),
        "daily": False,
        "months": (),
        "start": None,
        "end": None,
        "irregular": False,
        "frequency": None,
        "day_part": None,
        "exceptions": (),
    }
    unknown = set(fields) - set(base)
    assert not unknown, unknown
    return base | fields


# (text as coordinators write it, expected structure)
UNDERSTOOD = [
    # ---- weekly ----
    ("毎週水曜日", when(weekdays=(WED,))),
    ("毎週水曜", when(weekdays=(WED,))),
    ("水曜日", when(weekdays=(WED,))),
    ("毎週 水曜日", when(weekdays=(WED,))),
    ("毎週　水曜日", when(weekdays=(WED,))),
    ("毎週月・木", when(weekdays=(MON, THU))),
    ("毎週月曜・木曜", when(weekdays=(MON, THU))),
    ("毎週月曜日、木曜日", when(weekdays=(MON, THU))),
    ("週2回（水・金）", when(weekdays=(WED, FRI), frequency="2/week")),
    ("週２回（水曜・金曜）", when(weekdays=(WED, FRI), frequency="2/week")),
    ("月～金", when(weekdays=WEEKDAYS)),
    ("月曜日～金曜日", when(weekdays=WEEKDAYS)),
    ("月曜から金曜", when(weekdays=WEEKDAYS)),
    ("平日", when(weekdays=WEEKDAYS)),
    ("平日 9:00～17:00", when(weekdays=WEEKDAYS, start="09:00", end="17:00")),
    ("土日", when(weekdays=(SAT, SUN))),
    ("土・日曜日", when(weekdays=(SAT, SUN))),
    ("週末", when(weekdays=(SAT, SUN))),
    ("火曜と金曜", when(weekdays=(TUE, FRI))),
    ("火曜日と金曜日 10時～12時", when(weekdays=(TUE, FRI), start="10:00", end="12:00")),
    ("月水金", when(weekdays=(MON, WED, FRI))),
    ("毎週火・金曜日 午後1時～3時", when(weekdays=(TUE, FRI), start="13:00", end="15:00")),
    ("毎週木曜日　１３：３０～１５：００", when(weekdays=(THU,), start="13:30", end="15:00")),
    ("毎週金曜 午後2時～4時", when(weekdays=(FRI,), start="14:00", end="16:00")),
    ("毎週水曜日 午前10時から11時半", when(weekdays=(WED,), start="10:00", end="11:30")),
    ("毎週水曜日10:00～12:00", when(weekdays=(WED,), start="10:00", end="12:00")),
    ("水曜日 9:30~11:30", when(weekdays=(WED,), start="09:30", end="11:30")),
    (
        "毎週月曜日 10時～11時半（祝日は休み）",
        when(weekdays=(MON,), start="10:00", end="11:30", exceptions=("holidays",)),
    ),
    ("毎週 火 10:00-12:00", when(weekdays=(TUE,), start="10:00", end="12:00")),
    ("（水）10:00～", when(weekdays=(WED,), start="10:00")),
    ("毎週土曜日 朝7時～8時", when(weekdays=(SAT,), start="07:00", end="08:00")),
    ("毎週水曜日 午後", when(weekdays=(WED,), day_part="afternoon")),
    ("水曜日午前中", when(weekdays=(WED,), day_part="morning")),
    ("毎週日曜日の朝", when(weekdays=(SUN,), day_part="morning")),
    ("毎週1回 水曜日", when(weekdays=(WED,), frequency="1/week")),
    (
        "週1回（木曜日）13時30分～15時30分",
        when(weekdays=(THU,), start="13:30", end="15:30", frequency="1/week"),
    ),
    ("毎週月・水・金 9時半～11時", when(weekdays=(MON, WED, FRI), start="09:30", end="11:00")),
    ("月・水・金曜日 6:00～6:30", when(weekdays=(MON, WED, FRI), start="06:00", end="06:30")),
    ("毎週水・土曜日 10時～12時", when(weekdays=(WED, SAT), start="10:00", end="12:00")),
    ("毎週水曜日（8月、12月はお休み）", when(weekdays=(WED,), months=all_but(8, 12))),
    (
        "毎週水曜日 10:00～12:00 ※8月は休み",
        when(weekdays=(WED,), start="10:00", end="12:00", months=all_but(8)),
    ),
    ("4月～11月 毎週日曜日 9時～", when(weekdays=(SUN,), months=tuple(range(4, 12)), start="09:00")),
    ("毎週火曜日（祝日・年末年始を除く）", when(weekdays=(TUE,), exceptions=("holidays", "year_end"))),
    ("毎週木曜日（雨天中止）", when(weekdays=(THU,), exceptions=("rain",))),
    ("毎週土曜日 10時～ 雨天時は中止", when(weekdays=(SAT,), start="10:00", exceptions=("rain",))),
    (
        "月～土 10:00～16:00（日曜・祝日休み）",
        when(weekdays=(MON, TUE, WED, THU, FRI, SAT), start="10:00", end="16:00", exceptions=("holidays",)),
    ),
    ("月～金曜日（水曜除く）", when(weekdays=(MON, TUE, THU, FRI))),
    ("11:30～17:00 定休日 日曜日", when(weekdays=(MON, TUE, WED, THU, FRI, SAT), start="11:30", end="17:00")),
    ("日曜定休 10時～16時", when(weekdays=(MON, TUE, WED, THU, FRI, SAT), start="10:00", end="16:00")),
    ("毎週水曜日と土曜日", when(weekdays=(WED, SAT))),
    ("毎週金曜日 夜7時～9時", when(weekdays=(FRI,), start="19:00", end="21:00")),
    ("毎週火曜日 10時～正午", when(weekdays=(TUE,), start="10:00", end="12:00")),
    ("毎週水曜日 10時～（約2時間）", when(weekdays=(WED,), start="10:00", end="12:00")),
    ("毎週木曜 13:30～ 90分程度", when(weekdays=(THU,), start="13:30", end="15:00")),
    ("毎週月曜日 10時頃から", when(weekdays=(MON,), start="10:00")),
    ("毎週水曜日 10:00ー12:00", when(weekdays=(WED,), start="10:00", end="12:00")),
    ("毎週水曜日 AM10:00～PM3:00", when(weekdays=(WED,), start="10:00", end="15:00")),
    ("毎週水曜日・土曜日の午前", when(weekdays=(WED, SAT), day_part="morning")),
    ("水曜日 午後１時半～３時", when(weekdays=(WED,), start="13:30", end="15:00")),
    ("毎週木曜日 1時半～3時半", when(weekdays=(THU,), start="13:30", end="15:30")),
    ("毎週火曜 10時～2時", when(weekdays=(TUE,), start="10:00", end="14:00")),
    ("毎週水曜日１０時～１２時まで", when(weekdays=(WED,), start="10:00", end="12:00")),
    ("原則 毎週金曜日 13:00～", when(weekdays=(FRI,), start="13:00")),
    ("毎日曜日", when(weekdays=(SUN,))),
    ("毎月曜・木曜", when(weekdays=(MON, THU))),
    ("毎週水曜日 10～12時", when(weekdays=(WED,), start="10:00", end="12:00")),
    ("毎週水曜日 午後1～3時", when(weekdays=(WED,), start="13:00", end="15:00")),
    ("毎週水曜日（8月・年末年始休み）", when(weekdays=(WED,), months=all_but(8), exceptions=("year_end",))),
    ("毎週水曜日、8月は休み", when(weekdays=(WED,), months=all_but(8))),
    ("毎週水曜日 ただし8月は休み", when(weekdays=(WED,), months=all_but(8))),
    (
        "平日 10時〜15時（土日祝休み）",
        when(weekdays=WEEKDAYS, start="10:00", end="15:00", exceptions=("holidays",)),
    ),
    # ---- nth weekday of the month ----
    ("第2・第4火曜", when(nth_weekdays=((2, TUE), (4, TUE)))),
    ("第２・第４火曜日", when(nth_weekdays=((2, TUE), (4, TUE)))),
    ("毎月第1水曜", when(nth_weekdays=((1, WED),))),
    ("毎月第１水曜日 10時～11時30分", when(nth_weekdays=((1, WED),), start="10:00", end="11:30")),
    ("第1・3木曜日", when(nth_weekdays=((1, THU), (3, THU)))),
    ("第1、第3木曜日", when(nth_weekdays=((1, THU), (3, THU)))),
    ("第3日曜日", when(nth_weekdays=((3, SUN),))),
    ("最終金曜", when(nth_weekdays=((-1, FRI),))),
    ("毎月最終土曜日 14時～16時", when(nth_weekdays=((-1, SAT),), start="14:00", end="16:00")),
    ("第2・4月曜日", when(nth_weekdays=((2, MON), (4, MON)))),
    ("第2第4土曜", when(nth_weekdays=((2, SAT), (4, SAT)))),
    (
        "毎月第一・第三月曜日 13:30～15:30",
        when(nth_weekdays=((1, MON), (3, MON)), start="13:30", end="15:30"),
    ),
    ("毎月第2火曜日（1月・8月は休み）", when(nth_weekdays=((2, TUE),), months=all_but(1, 8))),
    ("月2回 第1・第3金曜日", when(nth_weekdays=((1, FRI), (3, FRI)), frequency="2/month")),
    ("毎月1回 第3日曜日", when(nth_weekdays=((3, SUN),), frequency="1/month")),
    ("月1回（第2水曜日）", when(nth_weekdays=((2, WED),), frequency="1/month")),
    ("第2週の火曜日", when(nth_weekdays=((2, TUE),))),
    ("第1土曜日と第3日曜日", when(nth_weekdays=((1, SAT), (3, SUN)))),
    ("第1・第3月・木曜日", when(nth_weekdays=((1, MON), (3, MON), (1, THU), (3, THU)))),
    (
        "毎月第1・第3水曜日 午後1時30分～3時30分",
        when(nth_weekdays=((1, WED), (3, WED)), start="13:30", end="15:30"),
    ),
    ("奇数月の第2土曜日", when(nth_weekdays=((2, SAT),), months=ODD)),
    ("偶数月 第1日曜日 10:00～", when(nth_weekdays=((1, SUN),), months=EVEN, start="10:00")),
    ("4～11月の第2・第4土曜日", when(nth_weekdays=((2, SAT), (4, SAT)), months=tuple(range(4, 12)))),
    (
        "毎月第2・第4火曜日 10:00～12:00（8月休み）",
        when(nth_weekdays=((2, TUE), (4, TUE)), start="10:00", end="12:00", months=all_but(8)),
    ),
    ("第2・最終水曜日", when(nth_weekdays=((2, WED), (-1, WED)))),
    ("毎週水曜日と第1土曜日", when(weekdays=(WED,), nth_weekdays=((1, SAT),))),
    (
        "毎月第3木曜日（年末年始・お盆は休み）",
        when(nth_weekdays=((3, THU),), exceptions=("year_end", "obon")),
    ),
    ("隔月（奇数月）第2土曜", when(nth_weekdays=((2, SAT),), months=ODD, frequency="1/2month")),
    (
        "年4回（3・6・9・12月の第2日曜日）",
        when(nth_weekdays=((2, SUN),), months=(3, 6, 9, 12), frequency="4/year"),
    ),
    ("毎月第4日曜日 朝9時～", when(nth_weekdays=((4, SUN),), start="09:00")),
    ("第1・第3金曜日（祝日の場合は休み）", when(nth_weekdays=((1, FRI), (3, FRI)), exceptions=("holidays",))),
    ("第2火曜・第4木曜", when(nth_weekdays=((2, TUE), (4, THU)))),
    (
        "毎月第２・４水曜日　午後１時半から３時半",
        when(nth_weekdays=((2, WED), (4, WED)), start="13:30", end="15:30"),
    ),
    ("第1･3土日", when(nth_weekdays=((1, SAT), (3, SAT), (1, SUN), (3, SUN)))),
    # ---- every day ----
    ("毎日", when(daily=True)),
    ("毎朝", when(daily=True, day_part="morning")),
    ("毎朝6時30分から", when(daily=True, start="06:30")),
    ("毎朝６時半～", when(daily=True, start="06:30")),
    ("毎日 6:30～6:45", when(daily=True, start="06:30", end="06:45")),
    ("毎朝6時30分から（雨天中止）", when(daily=True, start="06:30", exceptions=("rain",))),
    ("平日の毎朝", when(weekdays=WEEKDAYS, day_part="morning")),
    ("毎日（日曜・祝日除く）", when(weekdays=(MON, TUE, WED, THU, FRI, SAT), exceptions=("holidays",))),
    ("年中無休 10時～17時", when(daily=True, start="10:00", end="17:00")),
    ("毎日 朝6時半", when(daily=True, start="06:30")),
    ("毎朝 6時半から（日曜日は休み）", when(weekdays=(MON, TUE, WED, THU, FRI, SAT), start="06:30")),
    ("毎日（年末年始を除く）", when(daily=True, exceptions=("year_end",))),
    ("毎朝5時半から", when(daily=True, start="05:30")),
    # ---- days of the month ----
    ("毎月15日", when(month_days=(15,))),
    ("毎月1日・15日", when(month_days=(1, 15))),
    ("毎月1・15日", when(month_days=(1, 15))),
    ("毎月５日、１５日、２５日", when(month_days=(5, 15, 25))),
    ("毎月15日 13時～15時", when(month_days=(15,), start="13:00", end="15:00")),
    ("毎月末日", when(month_days=(-1,))),
    ("奇数月の15日", when(month_days=(15,), months=ODD)),
    ("月1回（15日）", when(month_days=(15,), frequency="1/month")),
    # ---- months ----
    ("4月～11月の毎週日曜日", when(weekdays=(SUN,), months=tuple(range(4, 12)))),
    ("毎週土曜日（11月～3月は休み）", when(weekdays=(SAT,), months=tuple(range(4, 11)))),
    ("8月を除く毎週水曜", when(weekdays=(WED,), months=all_but(8))),
    ("毎週木曜日（7・8月はお休み）", when(weekdays=(THU,), months=all_but(7, 8))),
    # ---- irregular, or a frequency without a day: understood, but no recurrence ----
    ("不定期", when(irregular=True)),
    ("要問合せ", when(irregular=True)),
    ("要問い合わせ", when(irregular=True)),
    ("随時", when(irregular=True)),
    ("応相談", when(irregular=True)),
    ("月1回程度", when(irregular=True, frequency="1/month")),
    ("月１回", when(irregular=True, frequency="1/month")),
    ("週1回", when(irregular=True, frequency="1/week")),
    ("年4回", when(irregular=True, frequency="4/year")),
    ("月1～2回", when(irregular=True, frequency="1-2/month")),
    ("不定期（月1回程度）", when(irregular=True, frequency="1/month")),
    ("年4回（3・6・9・12月）", when(irregular=True, frequency="4/year", months=(3, 6, 9, 12))),
    ("隔週", when(irregular=True, frequency="1/2week")),
    ("2か月に1回", when(irregular=True, frequency="1/2month")),
    ("随時 10:00～16:00", when(irregular=True, start="10:00", end="16:00")),
    ("不定期（要問合せ）", when(irregular=True)),
    ("月に1回", when(irregular=True, frequency="1/month")),
    ("月1回（日程は要問合せ）", when(irregular=True, frequency="1/month")),
    ("月2回（不定期）", when(irregular=True, frequency="2/month")),
]

# Text that must be shown as written: no recurrence may be invented from it.
REFUSED = [
    "季節による",
    "お花見の時期",
    "",
    "   ",
    "月1回 水曜日",  # which Wednesday?
    "隔週水曜日",  # which weeks?
    "4月15日 10時～",  # a one-off date
    "10時～12時",  # no day
    "夏休み期間",
    "土日祝",  # "also on holidays" is not a rule we can keep
    "毎週水曜日 10時～12時、13時～15時",  # two sessions
    "第1土曜と日曜",  # every Sunday, or the first?
    "毎月水曜日",  # which Wednesday?
    "15日",  # a date, not "every month"
    "8月休み",  # only a closure
    "不定期（主に水曜日）",  # the day is a hint
    "毎週水曜日（祝日の場合は翌日）",
    "毎月",
    "毎週",
    "水",
    "水曜 25時～",
    "毎週水曜日 10:70～",
    "第6水曜日",
    "毎月32日",
    "要問合せ・毎週水曜日",
    "毎週水曜日 ラジオ体操",
    "水曜 12時～11時",
    "毎週水曜日 9:00～17:00 (時期により変更あり)",
    "年に数回",
    "4/15",
    "土曜日または日曜日",  # one or the other
    "4月から毎週水曜日",  # a start date, not "only in April"
    "11月まで 毎週水曜日",
    "月末の金曜日",
    "毎月末の金曜日",
    "毎月第２土曜日（１２月は第１土曜日）",  # an exception to the rule
    "毎週水曜日（土曜日は午後）",
    "毎週水曜日 8月も開催",
    "ほぼ毎日",
    "毎朝 6:30～(ラジオ体操)",  # the activity is not part of the schedule
    "週1回（月・木）",  # Monday or Thursday?
    "毎週水曜日（月2回程度）",
    "毎週水曜日（第5水曜日は休み）",
    "月～月",
]


@pytest.mark.parametrize(("text", "expected"), UNDERSTOOD, ids=[t for t, _ in UNDERSTOOD])
def test_understood_phrases(text, expected):
    sch = parse_schedule(text)
    assert sch.parsed, f"not understood: {text!r}"
    assert sch.text == text
    got = {k: getattr(sch, k) for k in expected}
    assert got == expected


@pytest.mark.parametrize("text", REFUSED)
def test_refused_phrases_are_kept_as_written(text):
    sch = parse_schedule(text)
    assert sch == Schedule(text=text, parsed=False)
    assert sch.describe("ja") == text and sch.describe("en") == text
    assert sch.occurrences(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert sch.rrules() == [] and sch.occurs_on_weekdays() == () and sch.periods() == ()


def test_phrase_sets_are_large_enough():
    assert len(UNDERSTOOD) >= 110
    assert len(REFUSED) + sum(1 for _, e in UNDERSTOOD if e["irregular"]) >= 15


def test_irregular_has_no_dates():
    for text in ("不定期", "月1回程度", "年4回（3・6・9・12月）", "随時 10:00～16:00"):
        sch = parse_schedule(text)
        assert sch.parsed and sch.irregular
        assert sch.occurrences(date(2026, 1, 1), date(2026, 12, 31)) == []
        assert sch.rrules() == [] and sch.occurs_on_weekdays() == ()


# ---- occurrences ----


def _days(text, start, end):
    return parse_schedule(text).occurrences(start, end)


def test_second_and_fourth_tuesday_in_november_2026():
    assert _days("第2・第4火曜", date(2026, 11, 1), date(2026, 11, 30)) == [
        date(2026, 11, 10),
        date(2026, 11, 24),
    ]


def test_odd_months_leave_out_even_months():
    got = _days("奇数月の第2土曜日", date(2026, 1, 1), date(2026, 12, 31))
    assert [d.month for d in got] == [1, 3, 5, 7, 9, 11]
    assert all(d.weekday() == SAT and 8 <= d.day <= 14 for d in got)


def test_august_closure_leaves_out_august():
    got = _days("毎週水曜日（8月休み）", date(2026, 7, 1), date(2026, 9, 30))
    assert got and all(d.month != 8 and d.weekday() == WED for d in got)
    assert len(got) == 5 + 5  # July 2026 has five Wednesdays, September five


def test_last_friday_and_last_day():
    assert _days("最終金曜", date(2026, 1, 1), date(2026, 2, 28)) == [date(2026, 1, 30), date(2026, 2, 27)]
    assert _days("毎月末日", date(2028, 2, 1), date(2028, 3, 31)) == [date(2028, 2, 29), date(2028, 3, 31)]


def test_occurrences_include_both_ends():
    assert _days("毎日", date(2026, 3, 1), date(2026, 3, 1)) == [date(2026, 3, 1)]
    assert _days("毎週水曜日", date(2026, 3, 4), date(2026, 3, 11)) == [date(2026, 3, 4), date(2026, 3, 11)]


def test_months_wrapping_over_the_new_year():
    got = _days("毎週土曜日（11月～3月は休み）", date(2026, 1, 1), date(2026, 12, 31))
    assert {d.month for d in got} == set(range(4, 11))


def test_public_holiday_closure():
    # 2026-09-22 is a 国民の休日 between 敬老の日 and 秋分の日
    got = _days("毎週火曜日（祝日は休み）", date(2026, 9, 1), date(2026, 9, 30))
    assert got == [date(2026, 9, 1), date(2026, 9, 8), date(2026, 9, 15), date(2026, 9, 29)]
    # 2026-05-04 (みどりの日) is a Monday
    assert date(2026, 5, 4) not in _days("毎週月曜日 10時～（祝日休み）", date(2026, 5, 1), date(2026, 5, 31))
    assert date(2026, 5, 4) in _days("毎週月曜日 10時～", date(2026, 5, 1), date(2026, 5, 31))


def test_year_end_and_obon_closures():
    got = _days("毎日（年末年始を除く）", date(2026, 12, 27), date(2027, 1, 5))
    assert got == [date(2026, 12, 27), date(2026, 12, 28), date(2027, 1, 4), date(2027, 1, 5)]
    got = _days("毎日 朝6時半（お盆休み）", date(2026, 8, 12), date(2026, 8, 17))
    assert got == [date(2026, 8, 12), date(2026, 8, 17)]


def test_japanese_holidays_2026():
    # the Cabinet Office's list for 2026
    official = {
        (1, 1),
        (1, 12),
        (2, 11),
        (2, 23),
        (3, 20),
        (4, 29),
        (5, 3),
        (5, 4),
        (5, 5),
        (5, 6),
        (7, 20),
        (8, 11),
        (9, 21),
        (9, 22),
        (9, 23),
        (10, 12),
        (11, 3),
        (11, 23),
    }
    assert japanese_holidays(2026) == {date(2026, m, d) for m, d in official}
    assert date(2025, 2, 24) in japanese_holidays(2025)  # 振替休日 for Sunday 23 February
    assert date(2025, 9, 23) in japanese_holidays(2025) and date(2025, 3, 20) in japanese_holidays(2025)


def test_excluded_dates_are_what_the_rules_would_wrongly_include():
    sch = parse_schedule("毎週火曜日（祝日・年末年始を除く）")
    # 国民の休日, 文化の日 and 29 December fall on Tuesdays
    assert sch.excluded_dates(date(2026, 9, 1), date(2027, 1, 31)) == [
        date(2026, 9, 22),
        date(2026, 11, 3),
        date(2026, 12, 29),
    ]


# ---- what the site's filters read ----


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("毎週月・木", (MON, THU)),
        ("第1土曜日と第3日曜日", (SAT, SUN)),
        ("毎週水曜日と第1土曜日", (WED, SAT)),
        ("毎朝6時30分から", tuple(range(7))),
        ("毎月15日", tuple(range(7))),
        ("不定期", ()),
    ],
)
def test_occurs_on_weekdays(text, weekdays):
    assert parse_schedule(text).occurs_on_weekdays() == weekdays


@pytest.mark.parametrize(
    ("text", "periods"),
    [
        ("毎週水曜日 10:00～12:00", ("morning",)),
        ("毎週水曜日 11時～13時", ("morning", "afternoon")),
        ("毎週水曜日 12:00～17:00", ("afternoon",)),
        ("毎週水曜日 16:00～18:00", ("afternoon", "evening")),
        ("毎週金曜日 夜7時～9時", ("evening",)),
        ("毎週水曜日 13:30～", ("afternoon",)),
        ("毎朝6時30分から", ("morning",)),
        ("毎週水曜日 午後", ("afternoon",)),
        ("毎週水曜日", ()),
        ("季節による", ()),
    ],
)
def test_periods(text, periods):
    assert parse_schedule(text).periods() == periods


# ---- iCalendar ----


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("第2・第4火曜 10:00～12:00", [{"FREQ": "MONTHLY", "BYDAY": ["2TU", "4TU"]}]),
        (
            "毎月第2・第4火曜日（8月休み）",
            [{"FREQ": "MONTHLY", "BYDAY": ["2TU", "4TU"], "BYMONTH": [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]}],
        ),
        ("毎週月・木", [{"FREQ": "WEEKLY", "BYDAY": ["MO", "TH"]}]),
        ("毎朝6時30分から", [{"FREQ": "DAILY"}]),
        ("最終金曜", [{"FREQ": "MONTHLY", "BYDAY": ["-1FR"]}]),
        ("奇数月の15日", [{"FREQ": "MONTHLY", "BYMONTHDAY": [15], "BYMONTH": [1, 3, 5, 7, 9, 11]}]),
        (
            "毎週水曜日と第1土曜日",
            [{"FREQ": "WEEKLY", "BYDAY": ["WE"]}, {"FREQ": "MONTHLY", "BYDAY": ["1SA"]}],
        ),
        ("月1回程度", []),
    ],
)
def test_rrules(text, rules):
    assert parse_schedule(text).rrules() == rules


@pytest.mark.parametrize("text", [t for t, e in UNDERSTOOD if not e["irregular"]])
def test_rrules_give_the_same_dates_as_occurrences(text):
    """An iCalendar reader expanding the rules (minus EXDATEs) must see the dates the site shows."""
    sch = parse_schedule(text)
    start, end = date(2026, 1, 1), date(2027, 12, 31)
    expanded: set[date] = set()
    for rule in sch.rrules():
        ical = vRecur(rule).to_ical().decode()
        expanded |= {
            dt.date()
            for dt in rrulestr(
                f"RRULE:{ical};UNTIL=20271231T235959", dtstart=__import__("datetime").datetime(2026, 1, 1)
            )
        }
    expanded -= set(sch.excluded_dates(start, end))
    assert sorted(expanded) == sch.occurrences(start, end)


# ---- words for pages and prints ----


@pytest.mark.parametrize(
    ("text", "ja", "en"),
    [
        ("毎週水曜日 10:00～12:00", "毎週 水曜日 10:00〜12:00", "Every Wednesday 10:00–12:00"),
        (
            "毎月第2・第4火曜日 10:00～12:00（8月休み）",
            "毎月 第2・第4火曜日 10:00〜12:00（8月休み）",
            "The 2nd and 4th Tuesday of the month 10:00–12:00 (closed in August)",
        ),
        ("毎朝6時30分から", "毎日 6:30〜", "Every day from 6:30"),
        ("毎朝", "毎朝", "Every morning"),
        ("毎週土曜日（11月～3月は休み）", "4～10月 毎週 土曜日", "April–October: every Saturday"),
        ("月～金 9時～17時", "毎週 月～金曜日 9:00〜17:00", "Every Monday–Friday 9:00–17:00"),
        ("奇数月の第2土曜日", "奇数月 第2土曜日", "Odd-numbered months: the 2nd Saturday of the month"),
        ("毎月1日・15日", "毎月 1日・15日", "On the 1st and 15th of the month"),
        ("4月～11月 毎週日曜日", "4～11月 毎週 日曜日", "April–November: every Sunday"),
        ("最終金曜", "毎月 最終金曜日", "The last Friday of the month"),
        (
            "毎週火曜日（祝日・年末年始を除く）",
            "毎週 火曜日（祝日休み、年末年始休み）",
            "Every Tuesday (closed on public holidays; closed over the New Year)",
        ),
        ("毎週水曜日 午後", "毎週 水曜日 午後", "Every Wednesday in the afternoon"),
        ("不定期", "不定期（日程は問い合わせ）", "Irregular (ask for dates)"),
        ("月1回程度", "月1回（日程は問い合わせ）", "Once a month (ask for dates)"),
        ("季節による", "季節による", "季節による"),
    ],
)
def test_describe(text, ja, en):
    sch = parse_schedule(text)
    assert sch.describe() == ja
    assert sch.describe("en") == en


def test_describe_rejects_unknown_language():
    with pytest.raises(ValueError):
        parse_schedule("毎週水曜日").describe("fr")


# ---- JSON for the site ----


def test_to_json_is_compact():
    assert parse_schedule("毎月第2・第4火曜日 10:00～12:00（8月休み）").to_json() == {
        "ok": True,
        "nth": [[2, 1], [4, 1]],
        "m": [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12],
        "s": "10:00",
        "e": "12:00",
        "ow": [1],
        "pd": ["morning"],
    }
    assert parse_schedule("月1回程度").to_json() == {"ok": True, "irr": True, "fq": "1/month"}
    assert parse_schedule("お花見の時期").to_json() == {}


def test_schedule_is_frozen_and_hashable():
    sch = parse_schedule("毎週水曜日")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sch.weekdays = (1,)  # type: ignore[misc]
    assert len({sch, parse_schedule("毎週水曜日")}) == 1


# ---- parse rate, and odd input ----


def test_parse_rate():
    assert parse_rate(["毎週水曜日", "季節による", "不定期", ""]) == 0.5
    assert parse_rate([]) == 0.0
    everything = [t for t, _ in UNDERSTOOD] + REFUSED
    assert parse_rate(everything) == pytest.approx(len(UNDERSTOOD) / len(everything))


def test_none_is_an_empty_text():
    assert parse_schedule(None) == Schedule(text="", parsed=False)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="毎週月火水木金土日曜第・、～-0123456789時分半午前後:（）休み祝年末始回程度 ", max_size=30
    )
)
def test_any_text_gives_a_schedule_whose_dates_agree(text):
    sch = parse_schedule(text)
    assert sch.text == text
    got = sch.occurrences(date(2026, 1, 1), date(2026, 3, 31))
    if not sch.parsed or sch.irregular:
        assert got == []
    assert all(sch.matches(d) for d in got)
    assert {d.weekday() for d in got} <= set(sch.occurs_on_weekdays())
    if sch.start and sch.end:
        assert sch.start < sch.end
