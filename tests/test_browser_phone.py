"""The demo on a phone (390×844), in Japanese, in English and with 大きな文字: the map within the first
screen, a place opened as a sheet a reader can use, one meaning for a number in a circle, the menu, and no
console error on any kind of page.

One build of the demo (no PDFs) serves the whole module.
"""

from __future__ import annotations

import re

import pytest
from browser import serve, wait_ready

from gis.config import load_project
from gis.pipeline import run
from gis.publish import publish_site
from tests.conftest import REPO

pytestmark = pytest.mark.browser
PHONE = (390, 844)
MODES = [("ja", False), ("en", False), ("ja", True)]  # (language, 大きな文字)
MODE_IDS = ["ja", "en", "large-text"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    edition = run(load_project(REPO))
    out = tmp_path_factory.mktemp("phone-site")
    publish_site(edition, out, with_print=False)
    with serve(out) as base:
        yield edition, out, base


def _url(base: str, lang: str, path: str) -> str:
    return base + ("" if lang == "ja" else f"{lang}/") + path


def _placed(edition):
    return [p for p in edition.places if p.venue_kind != "オンライン"]


@pytest.mark.parametrize(("lang", "large"), MODES, ids=MODE_IDS)
def test_the_map_starts_within_the_first_screen(built, open_page, lang, large):
    edition, _, base = built
    district = edition.project.district_tier.id
    pages = ["index.html"]
    first = sorted({p.areas[district][0] for p in edition.places if district in p.areas})[0]
    pages.append(f"districts/{first}/")
    for path in pages:
        page, guard = open_page(_url(base, lang, path), PHONE, large_text=large)
        wait_ready(page)
        assert page.evaluate("document.documentElement.classList.contains('large-text')") == large
        top = page.evaluate("document.getElementById('map').getBoundingClientRect().top")
        assert 0 < top < PHONE[1] - 150, f"{path}: the map starts {top:.0f} px down, below the first screen"
        assert page.locator("#map").is_visible()
        # the menu is one button; the lead is one line with もっと読む (index)
        assert page.locator("#menu-toggle").is_visible() and page.locator("#site-nav").is_hidden()
        if path == "index.html":
            lead = page.locator(".lead-box .lead").bounding_box()
            line = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.lead-box .lead')).lineHeight)"
            )
            assert lead["height"] <= line * 1.2
            page.locator("label.lead-more").click()
            assert page.locator(".lead-box .lead").bounding_box()["height"] > line * 2
        guard.assert_clean()


def _sheet_problems(page) -> list[str]:
    """What keeps a reader from using the open sheet: outside the window, covered by a control, a field
    out of sight."""
    return page.evaluate(
        """() => {
        const problems = [];
        const sheet = document.getElementById('place-sheet');
        if (!sheet || sheet.hidden) { return ['no sheet open']; }
        const r = sheet.getBoundingClientRect();
        if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) {
            problems.push(`sheet outside the window: ${JSON.stringify(r)}`);
        }
        // nothing lies on top of it: every point of a grid over it belongs to the sheet
        for (let x = r.left + 4; x < r.right - 2; x += (r.width - 8) / 6) {
            for (let y = r.top + 4; y < r.bottom - 2; y += (r.height - 8) / 6) {
                const hit = document.elementFromPoint(x, y);
                if (!hit || !sheet.contains(hit)) { problems.push(`covered at ${x|0},${y|0} by ${hit && hit.outerHTML.slice(0, 80)}`); }
            }
        }
        const body = sheet.querySelector('.sheet-body').getBoundingClientRect();
        for (const row of sheet.querySelectorAll('.facts > div[data-field]')) {
            const key = row.dataset.field;
            if (!['field.schedule', 'field.target', 'field.fee', 'field.venue', 'field.phone', 'field.contact'].includes(key)) { continue; }
            const b = row.getBoundingClientRect();
            if (b.top < body.top - 0.5 || b.bottom > body.bottom + 0.5) { problems.push(`${key} needs scrolling (${b.top|0}-${b.bottom|0} in ${body.top|0}-${body.bottom|0})`); }
        }
        return problems;
    }"""
    )


@pytest.mark.parametrize(("lang", "large"), MODES, ids=MODE_IDS)
def test_a_place_opens_as_a_sheet_with_what_a_reader_needs_in_view(built, open_page, lang, large):
    edition, _, base = built
    # a place with every field a resident asks for, and no phone of its own: the district's coordinator
    p = next(
        p for p in _placed(edition) if p.target and p.fee and p.venue and p.schedule_text and not p.phone
    )
    page, guard = open_page(_url(base, lang, "index.html"), PHONE, large_text=large)
    wait_ready(page)
    page.get_by_role("button", name="一覧" if lang == "ja" else "List", exact=True).click()
    page.click(f"#place-{p.number} button.show-on-map")
    page.wait_for_function("() => document.querySelector('#place-sheet .facts > div[data-field]')")
    assert page.locator("#place-sheet .tk-popup").get_attribute("data-n") == str(p.number)
    assert page.locator(".leaflet-popup").count() == 0  # a sheet, not a popup squeezed into the map
    fields = page.eval_on_selector_all(
        "#place-sheet .facts > div[data-field]", "els => els.map(e => e.dataset.field)"
    )
    for key in ("field.schedule", "field.target", "field.fee", "field.venue", "field.contact"):
        assert key in fields, (key, fields)
    assert _sheet_problems(page) == []
    contact = edition.project.site.contact_for(p.areas[edition.project.district_tier.id][0])
    assert contact.phone in page.locator("#place-sheet .contact-fallback").inner_text()
    # the place it points at is in view, above the sheet
    sheet_top = page.evaluate("document.getElementById('place-sheet').getBoundingClientRect().top")
    spot = page.evaluate(
        """n => { const el = document.querySelector(`.tk-marker[data-n="${n}"]`) || document.querySelector('.tk-stack.is-chosen');
                  const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }""",
        p.number,
    )
    assert spot[0] >= 0 and spot[1] <= sheet_top, (spot, sheet_top)
    # closing gives the map back
    page.locator("#place-sheet .sheet-close").click()
    assert page.locator("#place-sheet").is_hidden()
    guard.assert_clean()


def test_a_number_in_a_circle_is_always_a_place(built, open_page):
    edition, _, base = built
    numbers = {str(p.number) for p in edition.places}
    page, guard = open_page(base + "index.html", PHONE)
    wait_ready(page)

    def shapes():
        return page.evaluate(
            """() => ({
            groups: Array.from(document.querySelectorAll('.tk-cluster .tk-cluster-body, .tk-stack .tk-cluster-body')).map(e =>
                [e.textContent, getComputedStyle(e).borderTopLeftRadius, e.getBoundingClientRect().width, e.getBoundingClientRect().height]),
            pins: Array.from(document.querySelectorAll('.tk-pin')).map(e =>
                [e.firstChild.textContent, getComputedStyle(e).borderTopLeftRadius, e.getBoundingClientRect().width]),
        })"""
        )

    seen = shapes()
    assert seen["groups"], "the first view of the whole town should show groups"
    for text, radius, width, height in seen["groups"]:
        assert re.fullmatch(r"\d+か所", text), text  # says 「23か所」, not a bare number
        assert (
            radius.endswith("px") and float(radius[:-2]) < min(width, height) / 2 - 4
        )  # a box, not a circle
    # closer in: from neighbourhood zoom nothing is grouped, and every circle is a place's number
    page.evaluate("takara.map.setZoom(15, {animate: false})")
    page.wait_for_timeout(200)
    seen = shapes()
    assert page.locator(".tk-cluster").count() == 0
    for text, radius, width in seen["pins"]:
        assert text in numbers
        assert radius == "50%" or float(radius.rstrip("px")) >= width / 2 - 1  # a circle
    # a neighbourhood's page never groups its places
    finest = max(edition.project.tiers, key=lambda t: t.level)
    area = next(p.areas[finest.id][0] for p in _placed(edition) if finest.id in p.areas)
    page.goto(base + f"areas/{finest.id}-{area}/")
    wait_ready(page)
    page.evaluate("takara.map.setZoom(12, {animate: false})")
    page.wait_for_timeout(200)
    assert page.locator(".tk-cluster").count() == 0
    guard.assert_clean()


@pytest.mark.parametrize(("lang", "large"), MODES, ids=MODE_IDS)
def test_the_districts_link_reaches_the_list_of_districts(built, open_page, lang, large):
    _, _, base = built
    page, guard = open_page(_url(base, lang, "week/index.html"), PHONE, large_text=large)
    page.locator("#menu-toggle").click()
    assert page.locator("#menu-toggle").get_attribute("aria-expanded") == "true"
    page.locator("#site-nav a.nav-districts").click()
    wait_ready(page)
    page.wait_for_timeout(200)
    heading = page.locator("#districts")
    assert heading.is_visible()
    box = heading.bounding_box()
    assert 0 <= box["y"] < PHONE[1], box
    # in view and not under the sticky 地図/一覧 switch
    assert page.evaluate(
        "() => { const h = document.getElementById('districts'), r = h.getBoundingClientRect();"
        " return h.contains(document.elementFromPoint(r.left + 20, r.top + r.height / 2)); }"
    )
    first = page.locator(".district-index a").first
    assert first.is_visible()
    # and from the index page itself (a link to the same page only changes the hash)
    page.locator("button[data-view=map]").click()
    page.locator("#menu-toggle").click()
    page.locator("#site-nav a.nav-districts").click()
    page.wait_for_timeout(200)
    assert page.locator("#districts").is_visible()
    guard.assert_clean()


def test_no_page_logs_an_error(built, open_page):
    edition, out, base = built
    places = _placed(edition)
    finest = max(edition.project.tiers, key=lambda t: t.level)
    area = next(p.areas[finest.id][0] for p in places if finest.id in p.areas)
    district = sorted(p.areas[edition.project.district_tier.id][0] for p in places)[0]
    paths = [
        "index.html",
        f"districts/{district}/",
        f"areas/{finest.id}-{area}/",
        f"places/{places[0].number}/",
        "week/index.html",
        "stats/index.html",
    ]
    assert (out / "favicon.ico").is_file()
    for lang in ("ja", "en"):
        for path in paths:
            if lang == "en" and path.startswith("stats"):
                continue  # the statistics are written once, in Japanese
            page, guard = open_page(_url(base, lang, path), PHONE)
            if path.startswith(("index", "districts", "areas", "places")):
                wait_ready(page)
            page.wait_for_load_state("networkidle")
            guard.assert_clean()
            page.context.close()
