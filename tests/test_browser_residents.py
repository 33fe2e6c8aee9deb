"""What residents do with the site, in a real browser (headless Debian Chromium via Playwright): filter and
search the map and list together, share a filtered view by its address, find places near a town, use it by
keyboard alone and on a phone, read it without JavaScript, in Japanese and English; axe-core checks each
kind of page. Expected counts are computed in Python from the same edition.

One demo site is built for the whole module. Screenshots go to test-artifacts/ (and docs/img/ for the
README)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import recurring_ical_events
from browser import CHROMIUM_ARGS, Guard, serve, wait_ready  # noqa: F401
from icalendar import Calendar

from gis.config import load_project
from gis.ical import place_calendar_text
from gis.pipeline import run
from gis.publish import publish_site
from gis.residents import target_groups, towns_payload
from gis.view import slug

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "site_template" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
DOCS_IMG = REPO / "docs" / "img"
pytestmark = pytest.mark.browser
PHONE = (390, 844)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    edition = run(load_project(REPO))
    out = tmp_path_factory.mktemp("residents-site")
    publish_site(edition, out, with_print=False)
    with serve(out) as base:
        yield edition, out, base


def _count(edition, keep) -> int:
    return sum(1 for p in edition.places if keep(p))


def _on(p, wd=None, period=None) -> bool:
    s = p.schedule
    if s is None or not s.parsed:
        return False
    return (wd is None or wd in s.occurs_on_weekdays()) and (period is None or period in s.periods())


def _ready(page) -> None:
    wait_ready(page)
    page.wait_for_function("() => window.takara.filtersReady === true", timeout=10000)


def _shown(page) -> tuple[int, int]:
    """(places the map keeps, entries of the 一覧表 shown) — they must agree."""
    return tuple(
        page.evaluate(
            "() => [window.takara.visibleCount(),"
            " document.querySelectorAll('#place-list > li.place:not([hidden])').length]"
        )
    )


def _open_filters(page) -> None:
    page.evaluate("() => { document.getElementById('filters-details').open = true; }")


def test_each_filter_and_their_combination_update_map_and_list(built, open_page):
    edition, _, base = built
    page, guard = open_page(base + "index.html")
    _ready(page)
    _open_filters(page)
    total = len(edition.places)
    assert _shown(page) == (total, total)
    cases = [
        ("input[name=wd][value='2']", _count(edition, lambda p: _on(p, wd=2))),
        ("input[name=pd][value=morning]", _count(edition, lambda p: _on(p, period="morning"))),
        ("input[name=free]", _count(edition, lambda p: p.is_free)),
        ("input[name=active]", _count(edition, lambda p: p.is_active)),
    ]
    for selector, expected in cases:
        assert 0 < expected < total, selector  # a filter that keeps all or nothing would prove little
        page.check(selector)
        assert _shown(page) == (expected, expected), selector
        assert str(expected) in page.text_content("#filter-count")
        page.uncheck(selector)
        assert _shown(page) == (total, total)
    older = _count(edition, lambda p: "older" in target_groups(p.target))
    page.select_option("#f-t", "older")
    assert _shown(page) == (older, older)
    page.select_option("#f-t", "")
    # a category switched off hides its places in both
    cat = edition.project.categories[0].id
    page.uncheck(f"#layers input[name=category][value='{cat}']")
    others = _count(edition, lambda p: p.category != cat)
    assert _shown(page) == (others, others)
    page.check(f"#layers input[name=category][value='{cat}']")
    # the combination: Wednesday morning, free, open to older people
    page.check("input[name=wd][value='2']")
    page.check("input[name=pd][value=morning]")
    page.check("input[name=free]")
    combo = _count(edition, lambda p: _on(p, 2, "morning") and p.is_free)
    assert combo > 0
    assert _shown(page) == (combo, combo)
    # the list shows the same places the Python filter keeps
    numbers = page.evaluate(
        "() => Array.from(document.querySelectorAll('#place-list > li.place:not([hidden])'))"
        ".map(li => Number(li.dataset.n))"
    )
    assert numbers == sorted(p.number for p in edition.places if _on(p, 2, "morning") and p.is_free)
    guard.assert_clean()


def test_the_address_restores_a_filtered_view(built, open_page):
    edition, _, base = built
    page, guard = open_page(base + "index.html")
    _ready(page)
    _open_filters(page)
    page.check("input[name=wd][value='4']")
    page.check("input[name=active]")
    page.select_option("#f-t", "anyone")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"wd": ["4"], "active": ["1"], "t": ["anyone"]}
    expected = _count(edition, lambda p: _on(p, wd=4) and p.is_active and "anyone" in target_groups(p.target))
    shared_url = page.url
    other, guard2 = open_page(shared_url)
    _ready(other)
    assert _shown(other) == (expected, expected)
    assert other.is_checked("input[name=wd][value='4']") and other.is_checked("input[name=active]")
    assert other.input_value("#f-t") == "anyone"
    guard.assert_clean()
    guard2.assert_clean()


def _katakana_place(edition):
    for p in edition.places:
        run_ = re.search(r"[\u30a1-\u30f6ー]{3,}", p.name)
        if run_:
            return p, run_.group(0)
    raise AssertionError("the demo has no place with a katakana name")


def test_a_hiragana_query_finds_a_katakana_name(built, open_page):
    edition, _, base = built
    place, word = _katakana_place(edition)
    hiragana = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in word)
    assert hiragana != word
    page, guard = open_page(base + "index.html?q=" + hiragana)
    _ready(page)
    # the page's own folding (takara.js, the one implementation) is the oracle for what should match
    key, *texts = _fold(
        page, [hiragana] + [f"{p.name} {p.activities} {p.venue} {p.organiser}" for p in edition.places]
    )
    expected = sorted(p.number for p, text in zip(edition.places, texts) if key in text)
    assert place.number in expected
    assert _listed(page) == expected
    assert page.input_value("#f-q") == hiragana
    # full-width capitals find what is written in half-width lower case, too (NFKC and case)
    guard.assert_clean()


def _fold(page, texts: list[str]) -> list[str]:
    return page.evaluate("texts => texts.map(window.takara.normaliseSearch)", texts)


def _listed(page) -> list[int]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#place-list > li.place:not([hidden])'))"
        ".map(li => Number(li.dataset.n))"
    )


def test_search_folds_width_kana_case_and_spaces_one_way_for_box_and_data(built, open_page):
    """The search box and the searched text are folded by one function (takara.js normaliseSearch; filters.js
    and search.json have no folding of their own): every way of writing a word finds the same places."""
    edition, out, base = built
    page, guard = open_page(base + "index.html")
    _ready(page)
    pairs = [
        ("ＡＢＣ", "abc"),  # full width, capitals
        ("ｶﾌｪ", "かふぇ"),  # half-width katakana
        ("カフェ", "かふぇ"),  # katakana
        ("お 茶\u3000会", "お茶会"),  # half- and full-width spaces
        ("Ｔｅａ　Ｒｏｏｍ", "tearoom"),
    ]
    folded = _fold(page, [a for a, _ in pairs] + [b for _, b in pairs])
    assert folded[: len(pairs)] == folded[len(pairs) :]
    guard.assert_clean()
    # search.json carries the records' own text: the folding happens once, in the browser
    search = json.loads((out / "data" / "search.json").read_text(encoding="utf-8"))
    first = edition.places[0]
    assert search["q"][0] == f"{first.activities} {first.venue} {first.organiser}"
    # a word from the data, written three ways, filters the map's list to the same places
    word = next(
        m.group(0) for p in edition.places for m in [re.search(r"[\u30a1-\u30f6ー]{3,}", p.activities)] if m
    )
    hiragana = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in word)
    results = []
    for query in (word, hiragana, _half_width(word)):
        page, guard = open_page(base + "index.html?q=" + quote(query))
        _ready(page)
        results.append(_listed(page))
        guard.assert_clean()
    assert results[0] and all(r == results[0] for r in results), (word, [len(r) for r in results])


def _half_width(katakana: str) -> str:
    """ｶﾀｶﾅ as old systems type it: each full-width kana (and its voicing mark) by its half-width form."""
    half = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFFA0)}
    half.update({"\u3099": "ﾞ", "\u309a": "ﾟ"})
    return "".join(half.get(c, c) for c in unicodedata.normalize("NFD", katakana))


def _haversine(lat1, lon1, lat2, lon2) -> float:
    r = math.radians
    a = (
        math.sin(r(lat2 - lat1) / 2) ** 2
        + math.cos(r(lat1)) * math.cos(r(lat2)) * math.sin(r(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371000 * math.asin(math.sqrt(a))


def test_near_a_typed_town_sorts_the_list_by_distance(built, open_page):
    edition, _, base = built
    towns = towns_payload(edition.project.build.gazetteer)
    k = len(towns["name"]) // 2
    name, lat, lon = towns["name"][k], towns["lat"][k], towns["lon"][k]
    page, guard = open_page(base + "index.html")
    _ready(page)
    _open_filters(page)
    page.fill("#near-town", name)
    page.click("#near-go")
    page.wait_for_selector("#place-list .distance")
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('#place-list > li.place'))"
        ".slice(0, 8).map(li => [Number(li.dataset.n), li.querySelector('.distance').textContent])"
    )
    by_distance = sorted(edition.places, key=lambda p: _haversine(lat, lon, p.lat, p.lon))
    dist = {p.number: _haversine(lat, lon, p.lat, p.lon) for p in edition.places}
    got = [n for n, _ in rows]
    assert [round(dist[n]) for n in got] == [round(dist[p.number]) for p in by_distance[:8]]
    assert all(text.startswith("約") for _, text in rows)
    assert name in page.text_content("#near-status")
    assert parse_qs(urlsplit(page.url).query)["near"] == [name]
    guard.assert_clean()


def test_keyboard_alone_reaches_and_opens_a_place(built, open_page):
    _, _, base = built
    page, guard = open_page(base + "index.html")
    _ready(page)
    page.evaluate("() => window.takara.map.setZoom(16, {animate: false})")  # every place is its own marker
    page.wait_for_function("() => window.takara.drawn().points > 0")
    for _ in range(150):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('tk-marker')"):
            break
    else:
        raise AssertionError("Tab never reached a marker")
    label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    n = page.evaluate("() => Number(document.activeElement.dataset.n)")
    assert label.startswith(f"No.{n} ")
    page.keyboard.press("Enter")
    page.wait_for_selector(f".tk-popup[data-n='{n}'] .more")
    # on from the list: Tab to a place's own link and open its page
    page.focus("#place-list li.place a")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/" + href.lstrip("./"))
    assert page.locator("article.place-page h1").is_visible()
    guard.assert_clean()


def test_phone_switches_list_and_map_and_popups_fit(built, open_page):
    edition, _, base = built
    page, guard = open_page(base + "index.html?wd=2&pd=morning", viewport=PHONE)
    _ready(page)
    assert page.is_visible(".view-switch")
    page.click(".view-switch button[data-view=list]")
    assert page.is_visible("#list") and not page.is_visible("#map")
    expected = _count(edition, lambda p: _on(p, 2, "morning"))
    assert _shown(page)[1] == expected
    ARTIFACTS.mkdir(exist_ok=True)
    # the filter box folded (as a phone shows it), its count, the switch and the filtered list in view
    page.evaluate("() => window.scrollTo(0, document.getElementById('filters').offsetTop - 8)")
    page.screenshot(path=str(ARTIFACTS / "residents-phone-filtered.png"))
    page.click(".view-switch button[data-view=map]")
    assert page.is_visible("#map") and not page.is_visible("#list")
    n = page.evaluate(
        "() => Array.from(document.querySelectorAll('#place-list > li.place:not([hidden])'))[0].dataset.n"
    )
    page.evaluate(f"() => window.takara.openPlace({n})")
    box = page.locator("#place-sheet").bounding_box()  # on a phone a place opens as a sheet
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE[1]
    guard.assert_clean()


def test_large_text_is_remembered_and_the_layout_holds(built, open_page):
    _, _, base = built
    page, guard = open_page(base + "index.html?free=1", viewport=(1280, 900))
    _ready(page)
    before = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("#large-toggle")
    assert page.get_attribute("#large-toggle", "aria-pressed") == "true"
    after = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= before * 1.4
    # nothing runs off the side of the window
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.evaluate(
        "() => { document.getElementById('filters-details').open = false;"
        " window.scrollTo(0, document.getElementById('list').offsetTop - 8); }"
    )
    page.screenshot(path=str(ARTIFACTS / "residents-large-text.png"))
    # the desktop layout holds: the map beside the list, and the list in its own scroll box
    layout = page.evaluate(
        """() => { const list = document.getElementById('list'), map = document.getElementById('map');
        const l = list.getBoundingClientRect(), m = map.getBoundingClientRect();
        return {side: l.left >= m.right - 1, scrolls: list.scrollHeight > list.clientHeight + 100,
                boxed: l.height <= innerHeight, page: document.documentElement.scrollHeight}; }"""
    )
    assert layout["side"] and layout["scrolls"] and layout["boxed"], layout
    assert layout["page"] < 6000, layout  # not the whole list down the page
    # the map's labels grow with the text
    assert (
        page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.tk-area-label')).fontSize)")
        >= 20
    )
    page.reload()
    _ready(page)
    assert page.evaluate("() => document.documentElement.classList.contains('large-text')")
    guard.assert_clean()


def test_200_percent_zoom_keeps_one_column_without_sideways_scrolling(built, open_page):
    _, _, base = built
    page, guard = open_page(base + "index.html", viewport=(640, 400))  # 1280×800 at 200 %
    _ready(page)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page.is_visible(".view-switch")
    guard.assert_clean()


def test_week_page_lists_each_weekday_from_the_schedules(built, open_page):
    edition, _, base = built
    page, guard = open_page(base + "week/index.html")
    page.wait_for_function("() => window.takaraWeek && window.takaraWeek.ready")
    for wd in range(7):
        expected = sorted(
            p.number
            for p in edition.places
            if p.schedule is not None and p.schedule.parsed and wd in p.schedule.occurs_on_weekdays()
        )
        got = page.evaluate(
            f"() => Array.from(document.querySelectorAll('#wd-{wd} .week-item')).map(li => Number(li.dataset.n))"
        )
        assert sorted(got) == expected
    assert page.locator("#wd-0 .week-date").text_content().strip()
    # whether it meets this week is the build's answer (Schedule.matches, like the calendars), not the script's
    monday = date.fromisoformat(page.evaluate("takaraWeek.monday"))
    marked = page.evaluate(
        "() => Array.from(document.querySelectorAll('.week-day .week-item[data-this-week]'))"
        ".map(li => [Number(li.closest('.week-day').dataset.wd), Number(li.dataset.n), li.dataset.thisWeek === '1'])"
    )
    assert marked, "no entry says whether it meets this week"
    by_number = {p.number: p for p in edition.places}
    for wd, n, on in marked:
        p = by_number[n]
        assert on == (p.status != "休止中" and p.schedule.matches(monday + timedelta(days=wd))), (wd, n)
    # every entry says where it is; the district filter keeps only that district's entries
    assert page.locator(".week-item .week-where").count() == page.locator(".week-item").count()
    key = page.eval_on_selector("#week-district option:nth-child(2)", "o => o.value")
    page.select_option("#week-district", key)
    shown = page.eval_on_selector_all(".week-item:not([hidden])", "els => els.map(e => e.dataset.d)")
    assert shown and set(shown) == {key}
    assert f"d={key}" in page.url
    guard.assert_clean()


def _events_by_place(edition) -> dict[str, int]:
    """VEVENT UID → place number, from the calendars the place pages offer."""
    uids = {}
    for p in edition.places:
        text = place_calendar_text(p, edition.project, edition.date)
        for event in Calendar.from_ical(text).walk("VEVENT") if text else []:
            uids[str(event["uid"])] = p.number
    return uids


def _meeting_days(calendar: Calendar, start: date, end: date) -> dict[int, set[date]]:
    """What a calendar client (recurring-ical-events) shows: UID → the days an event happens."""
    days: dict[str, set[date]] = {}
    for event in recurring_ical_events.of(calendar).between(start, end + timedelta(days=1)):
        start_at = event.decoded("dtstart")
        days.setdefault(str(event["uid"]), set()).add(start_at if type(start_at) is date else start_at.date())
    return days


def test_a_place_page_offers_its_own_calendar_made_in_the_browser(built, open_page):
    """「カレンダーに追加」 downloads <place id>.ics made from the page: it parses, its events are the ones the
    district calendar holds for the place, and a calendar client gets the schedule's dates from it."""
    edition, out, base = built
    tier = edition.project.district_tier.id
    kinds = {
        "第N曜日": lambda s: bool(s.nth_weekdays),
        "毎月N日": lambda s: bool(s.month_days),
        "毎朝（終わりの時刻なし）": lambda s: s.daily and s.end is None,
        "毎週": lambda s: bool(s.weekdays),
    }
    start, end = edition.date, edition.date + timedelta(days=365)
    for kind, wanted in kinds.items():
        p = next(
            q
            for q in edition.places
            if q.status == "活動中" and q.schedule is not None and q.schedule.recurs and wanted(q.schedule)
        )
        phone = kind == "毎月N日"  # one of them on a phone: the link is a full-size target there too
        page, guard = open_page(
            base + f"places/{p.number}/index.html", viewport=PHONE if phone else (1280, 800)
        )
        link = page.locator(".calendar-link a")
        assert not phone or link.bounding_box()["height"] >= 44
        page.wait_for_function("() => document.querySelector('.calendar-link a').dataset.own === '1'")
        assert link.text_content() == "この場所の予定をカレンダーに入れる（iCalendar）"
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == f"{p.id}.ics", kind
        got = Path(download.path()).read_bytes()
        assert got == place_calendar_text(p, edition.project, edition.date).encode("utf-8"), kind
        mine = _meeting_days(Calendar.from_ical(got), start, end)
        district = Calendar.from_ical(
            (out / "data" / "calendar" / f"district-{slug(p.areas[tier][0])}.ics").read_bytes()
        )
        in_district = _meeting_days(district, start, end)
        assert mine and all(in_district[uid] == days for uid, days in mine.items()), kind
        assert sorted(set().union(*mine.values())) == p.schedule.occurrences(start, end), kind
        guard.assert_clean()
    # no calendar for a paused place, and no file per place is written
    paused = next(
        q for q in edition.places if q.status != "活動中" and q.schedule is not None and q.schedule.recurs
    )
    page, guard = open_page(base + f"places/{paused.number}/index.html")
    assert page.locator(".calendar-link").count() == 0
    assert sorted(f.name for f in (out / "data" / "calendar").iterdir()) == sorted(
        f"district-{slug(a)}.ics"
        for a in edition.boundaries[tier]["area_id"].astype(str)
        if edition.places_in(tier, a)
    )


def _week_in_browser(chromium, base: str, day: date) -> dict[date, set[int]]:
    """The week page as a reader sees it on `day`: for each date of that week, the places marked as meeting."""
    ctx = chromium.new_context(locale="ja-JP", service_workers="block")
    try:
        page = ctx.new_page()
        page.clock.set_fixed_time(datetime.combine(day, time(10)))
        page.goto(base + "week/index.html")
        page.wait_for_function(
            "() => window.takaraWeek && window.takaraWeek.ready && !window.takaraWeek.error"
        )
        monday = date.fromisoformat(page.evaluate("takaraWeek.monday"))
        marked = page.evaluate(
            "() => Array.from(document.querySelectorAll('.week-day .week-item[data-this-week=\"1\"]'))"
            ".map(li => [Number(li.closest('.week-day').dataset.wd), Number(li.dataset.n)])"
        )
    finally:
        ctx.close()
    week: dict[date, set[int]] = {monday + timedelta(days=k): set() for k in range(7)}
    for wd, n in marked:
        week[monday + timedelta(days=wd)].add(n)
    return week


def test_the_week_page_and_the_district_calendars_agree_on_every_day(built, chromium):
    """For the edition's week and the next, the places the week page marks as meeting on a date are exactly
    those whose district calendar has an event that day (closures: tests/test_export.py, whose records have
    them; the demo's have none)."""
    edition, out, base = built
    owner = _events_by_place(edition)
    for day in (edition.date, edition.date + timedelta(days=7)):
        week = _week_in_browser(chromium, base, day)
        first, last = min(week), max(week)
        calendars = {}
        for path in sorted((out / "data" / "calendar").glob("district-*.ics")):
            for uid, days in _meeting_days(Calendar.from_ical(path.read_bytes()), first, last).items():
                for d in days:
                    calendars.setdefault(d, set()).add(owner[uid])
        for d, numbers in week.items():
            assert bool(numbers) == (d >= edition.date), d  # nothing is said of days before the edition
            assert numbers == calendars.get(d, set()), (d, sorted(numbers ^ calendars.get(d, set())))


def test_without_javascript_the_list_district_and_place_pages_read(built, chromium):
    edition, _, base = built
    ctx = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        page.goto(base + "index.html")
        assert page.locator("#place-list > li.place").count() == len(edition.places)
        assert page.locator("#place-list > li.place").first.is_visible()
        assert not page.is_visible("#filters")  # controls that need the script are not offered
        tier = edition.project.district_tier
        area_id = str(edition.boundaries[tier.id]["area_id"].iloc[0])
        page.goto(base + f"districts/{slug(area_id)}/index.html")
        assert page.locator("#place-list > li.place").count() == len(edition.places_in(tier.id, area_id))
        p = edition.places[0]
        page.goto(base + f"places/{p.number}/index.html")
        assert p.name in page.text_content("h1")
        assert page.is_visible(".facts-full")
        # the place's own calendar needs the script: the link gives its district's calendar and says so
        tier = edition.project.district_tier.id
        p = next(q for q in edition.places if place_calendar_text(q, edition.project, edition.date))
        page.goto(base + f"places/{p.number}/index.html")
        assert (
            page.get_attribute(".calendar-link a", "href")
            == f"../../data/calendar/district-{slug(p.areas[tier][0])}.ics"
        )
        assert "地区の予定" in page.text_content(".calendar-link")
        page.goto(base + "week/index.html")
        assert page.locator(".week-item").count() > 0
    finally:
        ctx.close()


def _axe(chromium, url: str) -> list[dict]:
    ctx = chromium.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 800}
    )  # axe is injected inline
    guard = Guard()
    ctx.route("**/*", guard.route)
    try:
        page = ctx.new_page()
        page.goto(url)
        if page.evaluate("() => !!document.getElementById('map')"):
            wait_ready(page)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
    finally:
        ctx.close()
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["", "en/"])
def test_axe_finds_no_serious_violation(built, chromium, lang):
    edition, _, base = built
    tier = edition.project.district_tier
    area_id = str(edition.boundaries[tier.id]["area_id"].iloc[0])
    pages = [
        "index.html",
        f"districts/{slug(area_id)}/index.html",
        f"places/{edition.places[0].number}/index.html",
        "week/index.html",
    ]
    problems = {p: _axe(chromium, base + lang + p) for p in pages}
    assert not {p: v for p, v in problems.items() if v}, problems


def test_english_site_and_language_links(built, open_page):
    _, out, base = built
    page, guard = open_page(base + "en/index.html")
    _ready(page)
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("#filters-title").text_content() == "Search and filter"
    link = page.locator("a.lang-link[hreflang=ja]")
    link.click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ja"
    # every page of both languages names its other-language twin, and the twin exists
    for html in list(out.glob("places/*/index.html"))[:5] + list(out.glob("en/districts/*/index.html"))[:3]:
        text = html.read_text(encoding="utf-8")
        for href in re.findall(r'<a class="lang-link" href="([^"]+)"', text):
            assert (html.parent / href / "index.html").resolve().is_file() or (
                html.parent / href
            ).resolve().is_file()
    guard.assert_clean()


def test_screenshots_for_the_readme_are_copied(built):
    """Runs after the screenshot tests: the README shows the phone view and large text."""
    for name in ("residents-phone-filtered.png", "residents-large-text.png"):
        src = ARTIFACTS / name
        assert src.is_file() and src.stat().st_size > 10_000, name
        if os.environ.get("TAKARA_UPDATE_DOCS"):  # regenerate the README's copies on request only
            shutil.copy2(src, DOCS_IMG / name)
        assert (DOCS_IMG / name).stat().st_size > 10_000, f"README screenshot docs/img/{name} is missing"
