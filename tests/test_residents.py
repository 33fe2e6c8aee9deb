"""The residents' side of the site without a browser: target groups, the towns file, the week page's
grouping, both languages from one build, district figures and calendar links, and the catalogues."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from gis.config import load_project
from gis.pipeline import run
from gis.publish import publish_site
from gis.residents import TARGET_GROUPS, target_groups, towns_payload, week_ctx
from gis.schedule_parse import parse_schedule
from gis.view import TEMPLATE_ROOT, slug

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("どなたでも", ("anyone",)),
        ("どなたでも（初回見学可）", ("anyone",)),
        ("一人暮らしの高齢者", ("older",)),
        ("おおむね60歳以上", ("older",)),
        ("20歳以上", ("other",)),  # an adult age limit is not an older people's group
        ("60歳以上の男性", ("older", "men")),
        ("女性のみ", ("women",)),
        ("地域住民", ("local",)),
        ("介護中のご家族", ("carers",)),
        ("会員(入会随時)", ("other",)),  # not guessed into a group
        ("", ("other",)),
    ],
)
def test_target_groups_from_the_written_target(text, groups):
    assert target_groups(text) == groups
    assert set(groups) <= set(TARGET_GROUPS)


def _place(n, text):
    return SimpleNamespace(number=n, schedule=parse_schedule(text), schedule_text=text), SimpleNamespace(
        n=n, district="中央中学校区", dkey="chuo"
    )


def test_week_lists_each_weekday_by_the_same_rule_as_the_filter_and_keeps_the_rest_apart():
    rows = [
        _place(1, "毎週水曜日 10:00～12:00"),
        _place(2, "第2・第4火曜日 13時30分～15時"),
        _place(3, "毎朝6:30"),
        _place(4, "毎月15日"),
        _place(5, "不定期"),
        _place(6, "気が向いたとき"),
        _place(7, "毎週水曜日 9時～"),
    ]
    week = week_ctx([p for p, _ in rows], [c for _, c in rows])
    # one rule (Schedule.occurs_on_weekdays, which the weekday filter and the prints read) decides the day
    for wd in range(7):
        want = [p.number for p, _ in rows if wd in p.schedule.occurs_on_weekdays()]
        assert sorted(e["p"].n for e in week["days"][wd]) == sorted(want)
    assert [e["p"].n for e in week["days"][2]] == [3, 7, 1, 4]  # earliest first, no time last
    assert [e["p"].n for e in week["days"][1]] == [3, 2, 4]
    assert [e["p"].n for e in week["irregular"]] == [5]
    assert [e["p"].n for e in week["unknown"]] == [6]  # not understood: shown as written, never on a day


def test_week_data_says_which_days_a_place_meets_from_the_schedule_closures_and_status():
    from datetime import date

    from gis.residents import week_payload

    def place(n, text, status="活動中"):
        return SimpleNamespace(number=n, schedule=parse_schedule(text), status=status)

    places = [
        place(1, "第2・第4火曜日 13時30分～15時"),
        place(2, "毎週月曜日（祝日休み）"),
        place(3, "毎週月曜日", status="休止中"),
        place(4, "毎週水曜日（年末年始休み）"),
        place(5, "不定期"),
    ]
    data = week_payload(places, date(2026, 11, 5), "休止中")
    start = date.fromisoformat(data["start"])
    assert start == date(2026, 11, 5)  # from the edition date, as the calendars (nothing said of days before)

    def meets(n, day):
        return bool(int(data["on"][str(n)], 16) >> (day - start).days & 1)

    assert meets(1, date(2026, 11, 10)) and meets(1, date(2026, 11, 24))  # 2nd and 4th Tuesday
    assert not meets(1, date(2026, 11, 17)) and not meets(1, date(2026, 12, 1))
    assert meets(2, date(2026, 11, 9)) and not meets(2, date(2026, 11, 23))  # 勤労感謝の日 is a holiday
    assert not any(meets(3, start + __import__("datetime").timedelta(k)) for k in range(data["days"]))
    assert meets(4, date(2026, 12, 23)) and not meets(4, date(2026, 12, 30))  # closed over 年末年始
    assert "5" not in data["on"]  # irregular: no days claimed


def test_towns_file_has_only_town_names_and_points():
    project = load_project(REPO)
    towns = towns_payload(project.build.gazetteer)
    assert len(towns["name"]) == len(towns["lat"]) == len(towns["lon"]) > 0
    assert len(set(towns["name"])) == len(towns["name"])
    assert not any(re.search(r"\d+番|\d+-\d+", n) for n in towns["name"])
    assert towns_payload(None)["name"] == []


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    edition = run(load_project(REPO))
    out = tmp_path_factory.mktemp("site")
    return edition, out, publish_site(edition, out, with_print=False)


@pytest.fixture(scope="module")
def site(published):
    edition, out, _ = published
    return edition, out


def test_one_build_writes_japanese_and_english_with_links_both_ways(site):
    edition, out = site
    p = edition.places[0]
    ja = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
    en = (out / "en" / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    # search engines read hreflang only as absolute links: from the config's base_url
    base = edition.project.site.base_url.rstrip("/")
    assert base.startswith("https://")
    assert f'<link rel="alternate" hreflang="en" href="{base}/en/places/{p.number}/">' in ja
    assert f'<link rel="alternate" hreflang="ja" href="{base}/places/{p.number}/">' in en
    assert f'<link rel="alternate" hreflang="ja" href="{base}/places/{p.number}/">' in ja
    # the visible language link stays relative, so the site works wherever it is opened
    assert f'class="lang-link" href="../../en/places/{p.number}/"' in ja
    assert f'class="lang-link" href="../../../places/{p.number}/"' in en
    for page in ("index.html", "week/index.html"):
        assert (out / "en" / page).is_file()
    # the English site links the one set of open data, not a copy
    assert not (out / "en" / "data" / "hsds").exists()
    assert 'href="../data/places.xlsx"' in (out / "en" / "index.html").read_text(encoding="utf-8")


def test_district_pages_show_figures_and_calendar_place_pages_their_calendar(published):
    edition, out, publication = published
    tier = edition.project.district_tier
    exports = publication.exports
    area_id, rel = min(exports.district_calendars.items())
    html = (out / "districts" / slug(area_id) / "index.html").read_text(encoding="utf-8")
    assert "数字で見るこの地区" in html
    total = len(edition.places_in(tier.id, area_id))
    assert f"{total}か所（うち活動中" in html
    assert f'href="../../data/{rel}"' in html and (out / "data" / rel).is_file()
    # a place's own calendar is in its page (made into a file by the browser); the link's own address,
    # for readers without JavaScript, is its district's calendar
    p = next(q for q in edition.places_in(tier.id, area_id) if q.status == "活動中" and q.schedule.recurs)
    page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
    assert f'href="../../data/{rel}" download data-file="{p.id}.ics" data-ics="BEGIN:VCALENDAR' in page
    assert not (out / "data" / "calendar" / f"{p.id}.ics").exists()
    footer = (out / "index.html").read_text(encoding="utf-8")
    assert f"出典（{edition.project.site.attribution}）を示せば自由に利用できます" in footer
    assert 'href="data/hsds/service.json"' in footer and 'href="data/metadata.json"' in footer


def test_filter_data_lines_up_with_the_index(site):
    edition, out = site
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    filters = json.loads((out / "data" / "filters.json").read_text(encoding="utf-8"))
    assert len(filters["t"]) == len(index["n"])
    for n, bits in zip(index["n"], filters["t"]):
        p = next(q for q in edition.places if q.number == n)
        assert {g for k, g in enumerate(filters["targets"]) if bits >> k & 1} == set(target_groups(p.target))


def test_every_string_the_residents_pages_and_scripts_use_is_in_both_catalogues():
    ja = json.loads((TEMPLATE_ROOT / "i18n" / "ja.json").read_text(encoding="utf-8"))
    en = json.loads((TEMPLATE_ROOT / "i18n" / "en.json").read_text(encoding="utf-8"))
    used = set()
    for name in ("index.html", "week.html", "area.html", "_header.html", "_footer.html"):
        text = (TEMPLATE_ROOT / "templates" / name).read_text(encoding="utf-8")
        used |= set(
            re.findall(
                r"""["']((?:wd|wdl|period|target|week|filters|near|figures|area|large|lang|nav)"""
                r"""\.[a-z_0-9]+)["']""",
                text,
            )
        )
    for name in ("filters.js", "week.js"):
        used |= set(
            re.findall(
                r"""\bt\('([a-z_.0-9]+)'""", (TEMPLATE_ROOT / "assets" / name).read_text(encoding="utf-8")
            )
        )
    assert len(used) > 40
    assert used <= set(ja) and used <= set(en), used - (set(ja) & set(en))


def test_every_place_offers_a_way_to_get_in_touch(site):
    """A place without a published phone shows its district's coordinator (config
    site.district_contacts) on its card, its popup's details and its page; one with a phone shows its own."""
    edition, out = site
    tier = edition.project.district_tier.id
    without = [p for p in edition.places if not p.phone]
    assert without, "the demo should have places without a published contact"
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in without[:25] + [q for q in edition.places if q.phone][:5]:
        contact = edition.project.site.contact_for(p.areas[tier][0])
        page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
        card = re.search(rf'<li class="place[^"]*" id="place-{p.number}".*?</li>', index, re.DOTALL).group(0)
        details = json.loads((out / "data" / "districts" / f"{slug(p.areas[tier][0])}.json").read_text())
        entry = details["places"][str(p.number)]
        if p.phone:
            assert p.phone in page and p.phone in card and "contact-fallback" not in card
            assert "contact" not in entry
        else:
            assert contact.name in page and contact.phone in page and "contact-fallback" in page
            assert contact.name in card and contact.phone in card
            assert entry["contact"]["name"] == contact.name and entry["contact"]["phone"] == contact.phone
    # each district's own coordinator, not one for all
    shown = {edition.project.site.contact_for(p.areas[tier][0]).name for p in without}
    assert len(shown) >= 2


def test_cards_and_place_pages_say_where_and_show_residents_no_coordinators_row(site):
    edition, out = site
    tier = edition.project.district_tier.id
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in edition.places[:40]:
        card = re.search(rf'<li class="place[^"]*" id="place-{p.number}".*?</li>', index, re.DOTALL).group(0)
        where = re.search(r'<p class="place-where">(.*?)</p>', card).group(1)
        assert p.areas[tier][1] in where and (not p.venue or p.venue in where)
        page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
        assert "記録での書き方" not in page  # how the record wrote the schedule is for coordinators only
    week = (out / "week" / "index.html").read_text(encoding="utf-8")
    assert week.count('class="week-where"') == week.count('class="week-item"')
