"""Reading a coordinator's 開催日時 text into a `gis.schedule.Schedule` (`parse_schedule`).

The text is cut into known pieces (tokens); `_Reading` walks them and builds the Schedule, refusing
anything it does not know (see gis.schedule's docstring for the decisions). What a Schedule then
means — its dates, closures, rules and words — is gis.schedule; this module only reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gis.place import normalise_text
from gis.schedule import EVEN_MONTHS, EXCEPTIONS, ODD_MONTHS, WEEKDAYS_JA, Schedule, minutes_of_day

_HOLIDAY = 7  # stands for 祝日 inside a parsed weekday list

# ---------------------------------------------------------------------------------------------
# Tokenising. Every piece of the normalised text becomes one token; SEP and GAP are fillers.

_DAY_ITEM = r"(?:[月火水木金土日]{1,7}(?:曜日|曜)|[月火水木金土日]{1,7}(?![\d回末])|祝祭日|祝日|祭日|祝)"
_LIST_SEP = r"(?:[・、,/]|と|及び|および|や|[～\-]|から)"
_MER = r"(午前|午後|朝|夜|夕方|夕|昼|AM|PM|am|pm|a\.m\.|p\.m\.)?"


def _point(i: int) -> str:
    return (
        _MER.replace("(", f"(?P<mer{i}>", 1)
        + rf"(?:(?P<h{i}>\d{{1,2}})(?::(?P<mm{i}>\d{{2}})|時(?!間)(?:(?P<mn{i}>\d{{1,2}})分|(?P<half{i}>半))?)"
        + rf"|(?P<noon{i}>正午))(?!\d)"
    )


_RANGE_SEP = r"(?:～|-|ー|から|より)"
_TIME = re.compile(
    _point(1) + r"(?:頃|ごろ)?(?:" + _RANGE_SEP + r"(?:" + _point(2) + r")?)?(?:頃|ごろ)?(?:まで)?"
)
_TIME_END = re.compile(r"(?:～|-)" + _point(2) + r"(?:頃|ごろ)?(?:まで)?")
# 「10～12時」: the first hour borrows 時 from the second
_TIME_SHORT = re.compile(
    _MER.replace("(", "(?P<mer1>", 1) + r"(?P<h1>\d{1,2})(?:～|-)" + _point(2) + r"(?:頃|ごろ)?(?:まで)?"
)

_FREQ = re.compile(
    r"(?:毎)?(?:(?P<km>\d+)[ヶかカケ箇ヵ]月|ひと月|(?P<kw>\d+)週間?|(?P<unit>月|週|年))に?"
    r"(?P<lo>\d+)(?:[～\-](?P<hi>\d+))?回(?:程度|位|くらい|ぐらい|ほど|前後)?"
)
_NTH_ITEM = r"(?:第\d|最終|最後)(?:週目?)?"
_NTH = re.compile(
    _NTH_ITEM + r"(?:(?:(?:[・、,]|と|及び|および|[～\-])第?\d|第\d|(?:[・、,]|と)?(?:最終|最後))"
    r"(?:週目?)?)*(?!\d)"
)

# Tried in this order at each position; the first that matches takes the piece.
_PATTERN_LIST: list[tuple[str, str | re.Pattern[str]]] = [
    ("WEEKLY", r"毎(?=[月火水木金土日]曜)"),  # 毎日曜日 / 毎月曜日: before 毎日 and 毎月
    (
        "IRREG",
        (
            r"不定期|要問い?合わ?せ|お?問い?合わ?せ(?:ください|下さい)|随時|応相談|要相談|相談に応じ(?:て|ます)?"
            r"|日程調整|その都度|都度|未定|調整中|要確認"
        ),
    ),
    ("RAIN", r"(?:雨天|荒天|悪天候|雨)(?:時|の日|の場合)?(?:は)?(?:中止|お休み|休み)"),
    ("HOLIDAY_ON", r"祝(?:祭)?日も(?:開催|実施|活動|あり|有り)?"),
    ("BIWEEKLY", r"隔週"),
    ("BIMONTHLY", r"隔月"),
    ("FREQ", _FREQ),
    ("DATE", r"\d{1,2}月\d{1,2}日|\d{1,2}/\d{1,2}"),
    (
        "DURATION",
        (
            r"約?(?P<hours>\d+(?:\.\d+)?)時間(?P<half>半)?(?:程度|位|くらい|ぐらい|ほど)?"
            r"|約?(?P<mins>\d+)分間?(?:程度|位|くらい|ぐらい|ほど)?"
        ),
    ),
    ("TIME", _TIME),
    ("TIME", _TIME_END),
    ("TIME", _TIME_SHORT),
    (
        "MONTHS",
        r"奇数月|偶数月|\d{1,2}月?(?:(?:[・、,]|と|[～\-]|から)\d{1,2}月?)*(?<=月)(?![\d曜])(?:まで)?",
    ),
    ("DAYS", r"\d{1,2}日?(?:(?:[・、,]|と)\d{1,2}日?)*(?<=日)(?!曜)|毎月末日?|月末日|末日"),
    ("NTH", _NTH),
    ("EVERY_DAY", r"毎日(?!曜)|毎朝|毎夕|毎晩|毎夜|年中無休"),
    ("WEEKLY", r"毎週"),
    ("MONTHLY", r"毎月(?!曜)|各月"),
    ("WD_GROUP", r"平日|週末"),
    ("YEAR_END", r"年末年始"),
    ("OBON", r"お盆(?:期間)?"),
    ("EXCL", r"定休日?|休館日?|休業日|お休み|休み|休会|休業|休止|除く|のぞく|以外|休"),
    ("DAYPART", r"午前中|午前|午後|早朝|朝|昼間|昼|夕方|夕|夜間|夜|晩"),
    ("SEP", r"および|及び"),
    # filler words: before WD, so that 日程・日時 are not read as 日曜
    (
        "GAP",
        (
            r"開催日時|開催日|開催時間|開催|日時|日程|時間|実施|活動|予定|開始|毎回|原則として|原則|基本的に"
            r"|基本|通年|毎年|いずれも|ただし|但し|の場合|場合|です|ます|まで|から|より|頃|ごろ|ころ|曜日"
        ),
    ),
    ("WD", _DAY_ITEM + r"(?:" + _LIST_SEP + r"?" + _DAY_ITEM + r")*"),
    ("SEP", r"[・、,/と]|や"),
    ("GAP", r"[ ()\[\]「」【】。.:;!?※*～\-ーのはにでをも&]"),
]
_PATTERNS = [(kind, rx if isinstance(rx, re.Pattern) else re.compile(rx)) for kind, rx in _PATTERN_LIST]


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int
    value: object = None
    excluded: bool = False
    bound: bool = False  # a WD token taken by the 第N before it
    closed: bool = False  # excluded by a 定休日-style word: closed on these days, so open on the others


def _normalise(text: str) -> str:
    s = normalise_text(text)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"(?<=[\d時分半])\s*ー\s*(?=[\d午朝夜])", "～", s)  # ー typed as a dash between times
    kanji = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5"}
    s = re.sub(r"第([一二三四五])", lambda m: "第" + kanji[m.group(1)], s)
    s = re.sub(
        r"(?<=第\d)([・、,と])([一二三四五])(?=[・、,と第月火水木金土日曜週])",
        lambda m: m.group(1) + kanji[m.group(2)],
        s,
    )
    return s


def _tokenise(s: str) -> list[_Tok] | None:
    """The tokens of `s`, or None when some piece is not understood."""
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(s):
        for kind, rx in _PATTERNS:
            m = rx.match(s, pos)
            if m and m.end() > pos:
                tokens.append(_Tok(kind, m.group(0), pos, m))
                pos = m.end()
                break
        else:
            return None
    return tokens


def _weekday_list(text: str) -> list[int] | None:
    """Days (0..6, _HOLIDAY) of a WD token's text; ranges like 月～金 expanded. None when malformed."""
    days: list[int] = []
    range_from: int | None = None
    for m in re.finditer(_DAY_ITEM + "|" + _LIST_SEP, text):
        piece = m.group(0)
        if piece[0] in "祝祭":
            items = [_HOLIDAY]
        elif piece[0] in WEEKDAYS_JA:
            items = [WEEKDAYS_JA.index(c) for c in piece.replace("曜日", "").replace("曜", "")]
        else:
            if piece in ("～", "-", "から"):
                if not days or days[-1] == _HOLIDAY:
                    return None
                range_from = days[-1]
            continue
        if range_from is not None:
            if len(items) != 1 or items[0] == _HOLIDAY:
                return None
            if items[0] == range_from:
                return None  # 月～月
            d = (range_from + 1) % 7
            while d != items[0]:
                days.append(d)
                d = (d + 1) % 7
            range_from = None
        days.extend(items)
    if range_from is not None or len(days) != len(set(days)):
        return None
    return days


def _number_list(text: str, unit: str, lo: int, hi: int) -> list[int] | None:
    """Numbers of a month or day list such as 4・7・10月 or 4月～11月 (ranges expanded, wrapping over the
    year for months). None when a number is out of [lo, hi]."""
    out: list[int] = []
    pending_range = False
    for m in re.finditer(r"\d+|[～\-]|から", text):
        piece = m.group(0)
        if not piece.isdigit():
            pending_range = True
            continue
        n = int(piece)
        if not lo <= n <= hi:
            return None
        if pending_range and out:
            a = out[-1]
            span = (n - a) % (hi - lo + 1) if unit == "月" else n - a
            if span <= 0:
                return None
            out.extend(lo + (a - lo + k) % (hi - lo + 1) for k in range(1, span + 1))
        else:
            out.append(n)
        pending_range = False
    return out


def _nth_list(text: str) -> list[int] | None:
    out: list[int] = []
    pending_range = False
    for m in re.finditer(r"\d|最終|最後|[～\-]", text):
        piece = m.group(0)
        if piece in ("～", "-"):
            pending_range = True
            continue
        n = -1 if not piece.isdigit() else int(piece)
        if n == 0 or n > 5:
            return None
        if pending_range and out and out[-1] > 0 and n > out[-1]:
            out.extend(range(out[-1] + 1, n + 1))
        elif pending_range:
            return None
        else:
            out.append(n)
        pending_range = False
    return out


_EXCLUDABLE = ("MONTHS", "WD", "WD_GROUP", "YEAR_END", "OBON")
_EXCL_LEAD = {"は", "を", "も", "の", "場合", "の場合", " ", ":"}  # may sit between a closure and 休み


def _is_weekday_tok(tok: _Tok) -> bool:
    return tok.kind == "WD_GROUP" or (tok.kind == "WD" and any(c in WEEKDAYS_JA for c in tok.text))


def _joins(a: _Tok, sep: _Tok, b: _Tok) -> bool:
    """Whether two closures next to each other are one list: 「8月、年末年始は休み」 yes, but
    「毎週水曜日、8月は休み」 no — a weekday joins only with the tight ・."""
    if not all(t.kind in _EXCLUDABLE and not t.bound for t in (a, b)):
        return False
    return sep.text == "・" or not (_is_weekday_tok(a) or _is_weekday_tok(b))


def _bind_exclusions(tokens: list[_Tok]) -> bool:
    """Mark what each 休み/除く/定休 refers to: the closures just before it (「日曜・祝日は休み」,
    「8月、12月は休み」), or for 定休日 with nothing before, those right after it. False if nothing."""
    for i, tok in enumerate(tokens):
        if tok.kind != "EXCL":
            continue
        closed = tok.text.startswith(("定休", "休館", "休業日"))
        j = i - 1
        while j >= 0 and tokens[j].kind == "GAP" and tokens[j].text in _EXCL_LEAD:
            j -= 1
        run: list[_Tok] = []
        if j >= 0 and tokens[j].kind in _EXCLUDABLE and not tokens[j].bound:
            run.append(tokens[j])
            while j >= 2 and tokens[j - 1].kind == "SEP" and _joins(tokens[j - 2], tokens[j - 1], tokens[j]):
                run.append(tokens[j - 2])
                j -= 2
        elif closed:
            k = i + 1
            while k < len(tokens) and tokens[k].kind == "GAP" and tokens[k].text in _EXCL_LEAD:
                k += 1
            if k < len(tokens) and tokens[k].kind in _EXCLUDABLE:
                run.append(tokens[k])
                while (
                    k + 2 < len(tokens)
                    and tokens[k + 1].kind == "SEP"
                    and _joins(tokens[k], tokens[k + 1], tokens[k + 2])
                ):
                    run.append(tokens[k + 2])
                    k += 2
        if not run:
            return False
        for t in run:
            if t.excluded:
                return False
            t.excluded, t.closed = True, closed
    return True


# ---------------------------------------------------------------------------------------------
# Interpreting the tokens


@dataclass
class _Time:
    hour: int
    minute: int
    mer: str | None


def _time_point(m: re.Match[str], i: int) -> _Time | None:
    g = m.groupdict()
    if g.get(f"noon{i}"):
        return _Time(12, 0, "noon")
    if g.get(f"h{i}") is None:
        return None
    minute = g.get(f"mm{i}") or g.get(f"mn{i}") or ("30" if g.get(f"half{i}") else "0")
    return _Time(int(g[f"h{i}"]), int(minute), g.get(f"mer{i}"))


_PM = {"午後", "PM", "pm", "p.m.", "夜", "夕方", "夕"}
_AM = {"午前", "AM", "am", "a.m.", "朝"}


def _hour24(t: _Time, mer: str | None) -> int | None:
    """The 24-hour hour of a written time, given its 午前/午後-style marker (or the context's)."""
    if t.minute >= 60 or t.hour > 24:
        return None
    if mer in _PM or mer == "afternoon_ctx":
        return t.hour + 12 if t.hour < 12 else t.hour
    if mer == "昼":
        return t.hour + 12 if 1 <= t.hour <= 6 else t.hour
    if mer in _AM:
        return 0 if t.hour == 12 and mer != "朝" else t.hour
    return t.hour


def _resolve_times(
    start: _Time | None, end: _Time | None, context: str | None
) -> tuple[str | None, str | None] | None:
    """24-hour "HH:MM" strings, or None when impossible. See the module docstring for the rules."""
    ctx_mer = {"afternoon": "afternoon_ctx", "evening": "afternoon_ctx"}.get(context or "")
    s = e = None
    if start is not None:
        mer = start.mer or ctx_mer
        s = _hour24(start, mer)
        if s is None:
            return None
        if mer is None and context != "morning" and 1 <= s <= 5:
            s += 12  # 「1時半～3時」 is an afternoon in a timetable
    if end is not None:
        e = _end_hour(start, end, s, context, ctx_mer)
        if e is None:
            return None
    s_txt = f"{s:02d}:{start.minute:02d}" if start is not None and s is not None else None
    e_txt = f"{e:02d}:{end.minute:02d}" if end is not None and e is not None else None
    if (s_txt and s_txt > "23:59") or (e_txt and e_txt > "24:00"):
        return None
    if s_txt and e_txt and e_txt <= s_txt:
        return None
    return s_txt, e_txt


def _end_hour(
    start: _Time | None, end: _Time, s: int | None, context: str | None, ctx_mer: str | None
) -> int | None:
    mer = end.mer or (start.mer if start is not None and start.mer in _PM else None) or ctx_mer
    e = _hour24(end, mer)
    if e is None:
        return None
    if s is not None and end.mer is None:
        if e < s and 1 <= e <= 7 and e + 12 > s:
            e += 12  # 「10時～2時」 → 14:00
    elif s is None and end.mer is None and context != "morning" and 1 <= e <= 5:
        e += 12
    return e


def _add_minutes(hhmm: str, minutes: int) -> str | None:
    total = minutes_of_day(hhmm) + minutes
    return f"{total // 60:02d}:{total % 60:02d}" if total <= 24 * 60 else None


_DAYPARTS = {
    "午前中": "morning",
    "午前": "morning",
    "早朝": "morning",
    "朝": "morning",
    "昼間": "afternoon",
    "昼": "afternoon",
    "午後": "afternoon",
    "夕方": "evening",
    "夕": "evening",
    "夜間": "evening",
    "夜": "evening",
    "晩": "evening",
    "毎朝": "morning",
    "毎夕": "evening",
    "毎晩": "evening",
    "毎夜": "evening",
}


class _Refused(Exception):
    """The text says something a Schedule cannot hold, or says it ambiguously: keep it as written."""


def parse_schedule(text: str) -> Schedule:
    """Parse a coordinator's 開催日時 text. Never raises on odd text: `parsed=False` keeps it as written."""
    original = "" if text is None else str(text)
    s = _normalise(original)
    tokens = _tokenise(s) if s else None
    try:
        if not tokens:
            raise _Refused
        reading = _Reading(s, tokens)
        reading.read()
        return reading.schedule(original)
    except _Refused:
        return Schedule(text=original, parsed=False)


class _Reading:
    """The pieces of one schedule text, gathered token by token (`read`) and then put together,
    refusing contradictions (`schedule`)."""

    def __init__(self, s: str, tokens: list[_Tok]):
        self.s, self.tokens = s, tokens
        # 第N binds the weekday list right after it (fillers such as の may sit between)
        self.content = [t for t in tokens if t.kind not in ("SEP", "GAP")]
        self.has_nth = any(t.kind == "NTH" for t in self.content)
        self.weekdays: set[int] = set()
        self.excluded_weekdays: set[int] = set()
        self.nth: list[tuple[int, int]] = []
        self.month_days: set[int] = set()
        self.in_months: set[int] = set()
        self.out_months: set[int] = set()
        self.exceptions: set[str] = set()
        self.freqs: list[tuple[int, int, str, int]] = []  # (low, high, unit, interval)
        self.times: list[tuple[_Time | None, _Time | None]] = []
        self.durations: list[int] = []
        self.parts: set[str] = set()
        self.daily = self.weekly = self.monthly = self.irregular = self.closed_days = False

    # ---- gathering ----
    def read(self) -> None:
        for i, tok in enumerate(self.content):
            if tok.kind == "NTH":
                if i + 1 >= len(self.content) or self.content[i + 1].kind != "WD":
                    raise _Refused
                self.content[i + 1].bound = True
        if not _bind_exclusions(self.tokens) or _has_override(self.tokens) or not self.content:
            raise _Refused
        handlers = {
            "IRREG": self._irregular,
            "RAIN": self._rain,
            "HOLIDAY_ON": self._nothing,  # 祝日も開催: nothing to leave out
            "EXCL": self._nothing,  # bound by _bind_exclusions
            "BIWEEKLY": self._biweekly,
            "BIMONTHLY": self._bimonthly,
            "FREQ": self._frequency,
            "DATE": self._date,
            "DURATION": self._duration,
            "TIME": self._time,
            "MONTHS": self._months,
            "DAYS": self._days,
            "NTH": self._nth,
            "EVERY_DAY": self._every_day,
            "WEEKLY": self._weekly,
            "MONTHLY": self._monthly,
            "WD": self._weekday,
            "WD_GROUP": self._weekday,
            "YEAR_END": self._closure,
            "OBON": self._closure,
            "DAYPART": self._daypart,
        }
        for i, tok in enumerate(self.content):
            assert isinstance(tok.value, re.Match)
            handlers[tok.kind](i, tok, tok.value)

    def _nothing(self, i: int, tok: _Tok, m: re.Match) -> None:
        pass

    def _irregular(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.irregular = True

    def _rain(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.exceptions.add("rain")

    def _biweekly(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.freqs.append((1, 1, "week", 2))

    def _bimonthly(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.freqs.append((1, 1, "month", 2))

    def _frequency(self, i: int, tok: _Tok, m: re.Match) -> None:
        lo = int(m.group("lo"))
        hi = int(m.group("hi") or lo)
        if lo < 1 or hi < lo:
            raise _Refused
        if m.group("km"):
            unit, interval = "month", int(m.group("km"))
        elif m.group("kw"):
            unit, interval = "week", int(m.group("kw"))
        elif m.group("unit"):
            unit, interval = {"月": "month", "週": "week", "年": "year"}[m.group("unit")], 1
        else:
            unit, interval = "month", 1  # ひと月
        self.freqs.append((lo, hi, unit, interval))

    def _date(self, i: int, tok: _Tok, m: re.Match) -> None:
        raise _Refused  # a one-off date is not a recurrence

    def _duration(self, i: int, tok: _Tok, m: re.Match) -> None:
        if m.group("mins"):
            self.durations.append(int(m.group("mins")))
        else:
            self.durations.append(round(float(m.group("hours")) * 60) + (30 if m.group("half") else 0))

    def _time(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.times.append((_time_point(m, 1), _time_point(m, 2)))

    def _months(self, i: int, tok: _Tok, m: re.Match) -> None:
        if _open_ended(self.tokens, tok) or (
            tok.text.endswith("まで") and not re.search(r"[～\-]|から", tok.text)
        ):
            raise _Refused  # 「4月から」「11月まで」: a start or end date, not the months it runs in
        if tok.text in ("奇数月", "偶数月"):
            named = list(ODD_MONTHS if tok.text == "奇数月" else EVEN_MONTHS)
        else:
            found = _number_list(tok.text, "月", 1, 12)
            if found is None:
                raise _Refused
            named = found
        (self.out_months if tok.excluded else self.in_months).update(named)

    def _days(self, i: int, tok: _Tok, m: re.Match) -> None:
        if tok.excluded or _open_ended(self.tokens, tok):
            raise _Refused
        if "末" in tok.text:
            self.month_days.add(-1)
            self.monthly = self.monthly or tok.text.startswith(("毎", "月"))
            return
        found = _number_list(tok.text, "日", 1, 31)
        if found is None:
            raise _Refused
        self.month_days.update(found)

    def _nth(self, i: int, tok: _Tok, m: re.Match) -> None:
        ns = _nth_list(tok.text)
        days = _weekday_list(self.content[i + 1].text)
        if not ns or not days or _HOLIDAY in days or self.content[i + 1].excluded:
            raise _Refused
        if re.search(r"曜.*(?:と|や|及び|および)", self.content[i + 1].text):
            raise _Refused  # 「第1土曜と日曜」: the first Sunday, or every Sunday? not said
        self.nth.extend((n, d) for n in ns for d in days)

    def _every_day(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.daily = True
        if tok.text in _DAYPARTS:
            self.parts.add(_DAYPARTS[tok.text])

    def _weekly(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.weekly = True

    def _monthly(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.monthly = True

    def _weekday(self, i: int, tok: _Tok, m: re.Match) -> None:
        if tok.bound:
            return
        if tok.kind == "WD_GROUP":
            days = [0, 1, 2, 3, 4] if tok.text == "平日" else [5, 6]
        else:
            days = _weekday_list(tok.text) or []
            if not days:
                raise _Refused
        if tok.excluded:
            if _HOLIDAY in days:
                self.exceptions.add("holidays")
            self.excluded_weekdays.update(d for d in days if d != _HOLIDAY)
            self.closed_days = self.closed_days or tok.closed
            return
        if _HOLIDAY in days:
            raise _Refused  # 土日祝: "also on holidays" cannot be a rule
        self._check_weekday_is_said(i, tok, days)
        self.weekdays.update(days)

    def _check_weekday_is_said(self, i: int, tok: _Tok, days: list[int]) -> None:
        prev = self.content[i - 1] if i else None
        after_weekly = prev is not None and (
            prev.kind == "WEEKLY"
            or (prev.kind in ("FREQ", "BIWEEKLY") and (prev.kind == "BIWEEKLY" or "週" in prev.text))
        )
        explicit = tok.kind == "WD_GROUP" or "曜" in tok.text or len(days) > 1 or _bracketed(self.s, tok)
        if not (explicit or after_weekly):
            raise _Refused  # a lone 水 with nothing saying it is a weekday
        if prev is not None and prev.kind in ("DAYS", "MONTHLY"):
            raise _Refused  # 毎月末の金曜日, 毎月水曜日: which one?
        if self.has_nth and not (prev is not None and prev.kind == "WEEKLY"):
            raise _Refused  # 「第1土曜と日曜」: every Sunday, or the first? not said

    def _closure(self, i: int, tok: _Tok, m: re.Match) -> None:
        if not tok.excluded:
            raise _Refused
        self.exceptions.add("year_end" if tok.kind == "YEAR_END" else "obon")
        self.closed_days = self.closed_days or tok.closed

    def _daypart(self, i: int, tok: _Tok, m: re.Match) -> None:
        self.parts.add(_DAYPARTS[tok.text])

    # ---- putting the pieces together ----
    def _settle_days(self) -> None:
        # 定休日 日曜: closed on Sundays, so open every other day
        if self.daily or (self.closed_days and not (self.weekdays or self.nth or self.month_days)):
            if self.weekdays:
                self.daily = False  # 平日の毎朝: the weekdays narrow 毎日
            elif self.excluded_weekdays:
                self.weekdays, self.daily = set(range(7)), False
            elif not self.daily:
                raise _Refused
        if self.excluded_weekdays:
            if not self.weekdays or not self.weekdays - self.excluded_weekdays:
                raise _Refused  # 「日曜休み」 with nothing open said
            self.weekdays -= self.excluded_weekdays
        per_month = bool(self.nth or self.month_days)
        if (self.daily and per_month) or (self.excluded_weekdays and per_month):
            raise _Refused
        if (self.weekly and not self.weekdays) or (self.monthly and not per_month):
            raise _Refused  # 毎月 alone, 毎月水曜日: which day?
        some_monthly = self.monthly or self.in_months or any(f[2] in ("month", "year") for f in self.freqs)
        if self.month_days and not some_monthly:
            raise _Refused  # 「15日」 alone may be one date
        if len(self.parts) > 1:
            raise _Refused

    def _run_months(self) -> tuple[int, ...]:
        run_months = (self.in_months or set(range(1, 13))) - self.out_months
        if not run_months:
            raise _Refused
        return () if len(run_months) == 12 else tuple(sorted(run_months))

    def _frequency_text(self, recurs: bool, months: tuple[int, ...]) -> str | None:
        if recurs and self.irregular:
            raise _Refused  # 不定期 next to days: the days are a hint, not a rule
        if len(self.freqs) > 1:
            raise _Refused
        if not self.freqs:
            if not recurs and not self.irregular:
                raise _Refused  # times, months or 毎週 alone name no day
            return None
        lo, hi, unit, interval = self.freqs[0]
        agrees = _frequency_agrees(
            self.freqs[0], self.weekdays, self.nth, self.month_days, months, self.daily
        )
        if recurs and not agrees:
            raise _Refused
        self.irregular = self.irregular or not recurs
        count = f"{lo}" if lo == hi else f"{lo}-{hi}"
        return count + "/" + (f"{interval}{unit}" if interval > 1 else unit)

    def _start_end(self) -> tuple[str | None, str | None]:
        if len(self.times) > 1 or len(self.durations) > 1:
            raise _Refused
        start = end = None
        if self.times:
            part = next(iter(self.parts)) if self.parts else None
            resolved = _resolve_times(self.times[0][0], self.times[0][1], part)
            if resolved is None:
                raise _Refused
            start, end = resolved
        if self.durations:
            if start is None or end is not None:
                raise _Refused
            end = _add_minutes(start, self.durations[0])
            if end is None:
                raise _Refused
        return start, end

    def schedule(self, original: str) -> Schedule:
        self._settle_days()
        months = self._run_months()
        recurs = bool(self.daily or self.weekdays or self.nth or self.month_days)
        frequency = self._frequency_text(recurs, months)
        start, end = self._start_end()
        return Schedule(
            text=original,
            parsed=True,
            weekdays=tuple(sorted(self.weekdays)),
            nth_weekdays=tuple(sorted(set(self.nth), key=lambda p: (p[1], p[0] if p[0] > 0 else 9))),
            month_days=tuple(sorted(self.month_days, key=lambda d: d if d > 0 else 99)),
            daily=self.daily,
            months=months,
            start=start,
            end=end,
            irregular=self.irregular,
            frequency=frequency,
            day_part=next(iter(self.parts)) if self.parts and not (start or end) else None,
            exceptions=tuple(x for x in EXCEPTIONS if x in self.exceptions),
        )


def _has_override(tokens: list[_Tok]) -> bool:
    """「12月は第1土曜日」「土曜日は午後」「8月も開催」: は/も after something that is not a closure marks
    an exception to the rule, which a Schedule cannot hold."""
    for i, tok in enumerate(tokens):
        if tok.kind in ("GAP", "SEP", "EXCL") or tok.excluded:
            continue
        for nxt in tokens[i + 1 :]:
            if nxt.kind not in ("GAP", "SEP"):
                break
            if nxt.text in ("は", "も", "の場合", "場合"):
                return True
            if nxt.text not in ("の", " "):
                break
    return False


def _open_ended(tokens: list[_Tok], tok: _Tok) -> bool:
    """A month or day next to から/より/まで/～ marks when something starts or stops (4月から, ～11月)."""
    i = tokens.index(tok)
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    prev = tokens[i - 1] if i else None
    return (nxt is not None and nxt.kind == "GAP" and nxt.text in ("から", "より", "まで", "～", "-")) or (
        prev is not None and prev.kind == "GAP" and prev.text in ("～", "-")
    )


def _bracketed(s: str, tok: _Tok) -> bool:
    end = tok.pos + len(tok.text)
    return tok.pos > 0 and s[tok.pos - 1] == "(" and end < len(s) and s[end] == ")"


def _frequency_agrees(
    freq: tuple[int, int, str, int],
    weekdays: set[int],
    nth: list[tuple[int, int]],
    month_days: set[int],
    months: tuple[int, ...],
    daily: bool,
) -> bool:
    lo, hi, unit, interval = freq
    if lo != hi or daily:
        return False
    per_month = len(set(nth)) + len(month_days)
    if unit == "week":
        return interval == 1 and not per_month and len(weekdays) == lo
    if weekdays:
        return False
    if unit == "month":
        if interval == 2:
            return months in (ODD_MONTHS, EVEN_MONTHS) and per_month == lo
        return interval == 1 and per_month == lo
    return interval == 1 and per_month * (len(months) or 12) == lo


def parse_rate(texts: Iterable[str]) -> float:
    """Share of texts parse_schedule understands (0.0 for no texts)."""
    results = [parse_schedule(t).parsed for t in texts]
    return sum(results) / len(results) if results else 0.0
