"""The website in a real browser (headless Debian Chromium via Playwright), served from 127.0.0.1 with
every other host blocked — tile servers too, to prove the page works without its basemap.

The checks run on every project in SITES: the bundled demo and 倉敷市 (built from ../shared, skipped
without it, never under CI).
Screenshots go to test-artifacts/ for review."""

from __future__ import annotations

import csv
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import serve, wait_ready
from stages import site_only

from gis.config import RecordSource, load_project
from gis.edition import Edition
from gis.pipeline import run
from gis.place import STATUS_PAUSED
from gis.publish import publish_site
from gis.tiers import load_boundaries

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 800)


@dataclass
class BuiltSite:
    name: str
    edition: Edition
    folder: Path


def build(project_dir: Path, out: Path, name: str) -> BuiltSite:
    """Run the real pipeline and write the site (prints skipped: they are not what is tested here)."""
    edition = run(load_project(project_dir))
    publish_site(edition, out, with_print=False)
    return BuiltSite(name, edition, out)


def _kurashiki(tmp: Path) -> Path:
    """倉敷市 (26 junior-high districts) from ../shared, records written by tests/kurashiki.py."""
    from conftest import shared_path
    from kurashiki import make_kurashiki_project

    return make_kurashiki_project(tmp / "kurashiki", shared_path("data", "kurashiki"))


# Projects the browser checks run on: name -> function(temporary folder) giving the project folder.
SITES = {"demo": lambda tmp: REPO, "kurashiki": _kurashiki}


@pytest.fixture(scope="module", params=list(SITES))
def site(request, tmp_path_factory) -> BuiltSite:
    name = request.param
    project = SITES[name](tmp_path_factory.mktemp(f"project-{name}"))
    return build(project, tmp_path_factory.mktemp(f"site-{name}"), name)


@pytest.fixture(scope="module")
def server(site):
    with serve(site.folder) as base:
        yield base


def _district_areas(site: BuiltSite):
    tier = site.edition.project.district_tier
    gdf = site.edition.boundaries[tier.id]
    from gis.view import slug

    return tier, [(str(a), str(n), slug(str(a))) for a, n in zip(gdf["area_id"], gdf["area_name"])]


# ---------------------------------------------------------------- index


def test_every_place_is_on_the_map_and_each_list_entry_opens_its_popup(site, server, open_page):
    places = site.edition.places
    assert places, "the project published nothing"
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    # At the first view every place is drawn: as its own marker or inside a group whose count adds up;
    # groups meeting online are listed under the map instead of being placed.
    online = [p for p in places if p.venue_kind == "オンライン"]
    assert page.evaluate("takara.total()") == len(places)
    drawn = page.evaluate("takara.drawn()")
    assert drawn["places"] + drawn["online"] == len(places), drawn
    assert drawn["online"] == len(online)
    counts = page.eval_on_selector_all(
        ".tk-cluster[data-count], .tk-stack[data-count]", "els => els.map(e => +e.dataset.count)"
    )
    singles = page.eval_on_selector_all(".tk-marker[data-n]", "els => els.length")
    assert sum(counts) + singles + len(online) == len(places)
    listed = page.eval_on_selector_all(".online-list a", "els => els.map(a => a.getAttribute('href'))")
    assert listed == [f"places/{p.number}/" for p in sorted(online, key=lambda p: p.number)]
    # Choosing list entry N shows marker N (or the one marker of the places at its point) and opens
    # popup N, which links to places/N/.
    seen = set()
    for p in places:
        if p in online:
            assert page.locator(f"#place-{p.number} button.show-on-map").count() == 0
            continue
        page.click(f"#place-{p.number} button.show-on-map")
        shown = page.evaluate("""() => {
            const popups = document.querySelectorAll('.leaflet-popup .tk-popup');
            const box = popups[popups.length - 1];
            return {count: popups.length, n: box.dataset.n, no: box.querySelector('.no').textContent,
                    title: box.querySelector('.tk-popup-title').textContent,
                    href: box.querySelector('a.more').getAttribute('href'),
                    markers: document.querySelectorAll(`.tk-marker[data-n="${box.dataset.n}"]`).length
                           + document.querySelectorAll('.tk-stack.is-chosen').length};
        }""")
        assert shown == {
            "count": 1,
            "n": str(p.number),
            "no": f"一覧表No.{p.number}",
            "title": p.name,
            "href": f"places/{p.number}/",
            "markers": 1,
        }, (p.number, shown)
        seen.add(p.number)
    assert seen == {p.number for p in places} - {p.number for p in online}
    # the details arrive from the district file (last popup)
    last = places[-1]
    if last.target:
        page.wait_for_function(
            "() => document.querySelector('.leaflet-popup .tk-popup dl').textContent.length > 0"
        )
        assert last.target in page.locator(".leaflet-popup .tk-popup dl").inner_text()
    assert guard.tiles, "the page never asked for basemap tiles (were they blocked before being requested?)"
    guard.assert_clean()


def test_zooming_in_splits_clusters_into_numbered_markers(site, server, open_page):
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    total = len(site.edition.places)
    for _ in range(8):
        if page.locator(".tk-cluster").count() == 0 or page.evaluate("takara.drawnNumbers().length"):
            break
        # the smallest group: the biggest may be places sharing one spot (an area point, an office), which
        # open as one list marker, not as numbered markers
        smallest = page.evaluate(
            "() => Math.min(...Array.from(document.querySelectorAll('.tk-cluster')).map(e => +e.dataset.count))"
        )
        cluster = page.locator(f'.tk-cluster[data-count="{smallest}"]').first
        before = page.evaluate("takara.drawn().clusters")
        cluster.click()
        page.wait_for_timeout(400)
        assert (
            page.evaluate("takara.drawn().points") > 0 or page.evaluate("takara.drawn().clusters") != before
        )
    numbers = page.evaluate("takara.drawnNumbers()")
    assert numbers and set(numbers) <= {p.number for p in site.edition.places}
    label = page.locator(f'.tk-marker[data-n="{numbers[0]}"]').get_attribute("aria-label")
    assert label.startswith(f"No.{numbers[0]} ")
    assert page.evaluate("takara.total()") == total
    guard.assert_clean()


def test_tier_layers_switch_their_boundaries_off_and_on(site, server, open_page):
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    for tier in site.edition.project.tiers:
        box = page.locator(f'input[name="tier"][value="{tier.id}"]')
        if not box.is_checked():
            box.check()
            page.wait_for_function(f"() => takara.tierVisible('{tier.id}')")
        assert page.locator(f"path.tk-tier-{tier.id}").count() >= 1
        box.uncheck()
        page.wait_for_function(f"() => !takara.tierVisible('{tier.id}')")
        assert page.locator(f"path.tk-tier-{tier.id}").count() == 0
        assert page.locator(f'.tk-area-label[data-tier="{tier.id}"]').count() == 0
        box.check()
        page.wait_for_function(f"() => takara.tierVisible('{tier.id}')")
        assert page.locator(f"path.tk-tier-{tier.id}").count() >= 1
    guard.assert_clean()


def test_a_category_layer_hides_its_markers_and_list_entries(site, server, open_page):
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    places = site.edition.places
    cat = max(site.edition.project.categories, key=lambda c: sum(p.category == c.id for p in places))
    mine = [p for p in places if p.category == cat.id]
    page.locator(f'input[name="category"][value="{cat.id}"]').uncheck()
    assert page.evaluate("takara.visibleCount()") == len(places) - len(mine)
    assert page.evaluate("takara.drawn().places + takara.drawn().online") == len(places) - len(mine)
    assert page.locator(f"#place-{mine[0].number}").is_hidden()
    page.locator(f'input[name="category"][value="{cat.id}"]').check()
    assert page.evaluate("takara.drawn().places + takara.drawn().online") == len(places)
    assert page.locator(f"#place-{mine[0].number}").is_visible()
    guard.assert_clean()


def test_markers_can_be_reached_and_opened_with_the_keyboard(site, server, open_page):
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    places = [p for p in site.edition.places if p.venue_kind != "オンライン"]

    def opened_alone(n: int) -> bool:  # its own marker (not one shared with places at the same spot)
        page.evaluate(f"takara.openPlace({n})")
        return page.locator(f'.tk-marker[data-n="{n}"]').count() == 1

    p = next(p for p in places if opened_alone(p.number))
    page.keyboard.press("Escape")
    marker = page.locator(f'.tk-marker[data-n="{p.number}"]')
    assert marker.get_attribute("tabindex") == "0"
    marker.focus()
    page.keyboard.press("Enter")
    assert page.locator(".leaflet-popup .tk-popup").get_attribute("data-n") == str(p.number)
    # places at one spot are one marker: Enter lists them, and each opens from that list
    q = next((q for q in places if not opened_alone(q.number)), None)
    if q is not None:
        page.keyboard.press("Escape")
        stack = page.locator(".tk-stack.is-chosen")
        assert stack.get_attribute("tabindex") == "0"
        stack.focus()
        page.keyboard.press("Enter")
        members = page.locator(".leaflet-popup .stack-member")
        assert members.count() == int(stack.get_attribute("data-count")) >= 2
        assert str(q.number) in stack.get_attribute("data-members").split(",")
        members.first.focus()
        page.keyboard.press("Enter")
        opened = page.locator(".leaflet-popup .tk-popup").get_attribute("data-n")
        assert opened and opened in page.locator(".tk-stack.is-chosen").get_attribute("data-members").split(
            ","
        )
    guard.assert_clean()


def test_phone_layout_switches_between_list_and_map(site, server, open_page):
    page, guard = open_page(server + "index.html", PHONE)
    wait_ready(page)
    assert page.locator("#map").is_visible() and page.locator("#list").is_hidden()
    page.get_by_role("button", name="一覧", exact=True).click()
    assert page.locator("#list").is_visible() and page.locator("#map").is_hidden()
    p = site.edition.places[len(site.edition.places) // 2]
    page.click(f"#place-{p.number} button.show-on-map")
    assert page.locator("#map").is_visible()
    # on a phone the place opens as a sheet along the bottom (tests/test_browser_phone.py looks closer)
    sheet = page.locator("#place-sheet .tk-popup")
    assert sheet.get_attribute("data-n") == str(p.number)
    box = page.locator("#place-sheet").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]  # the sheet fits the screen
    guard.assert_clean()


def test_paused_places_are_marked_on_the_map(site, server, open_page):
    paused = [p for p in site.edition.places if p.status == STATUS_PAUSED]
    assert paused, f"{site.name}: the browser projects should include a paused place"
    page, guard = open_page(server + "index.html", DESKTOP)
    wait_ready(page)
    # (one that is not at one spot with other places, where the marker is theirs together)
    for p in (p for p in paused if p.venue_kind != "オンライン"):
        page.click(f"#place-{p.number} button.show-on-map")
        # one evaluation: opening the popup pans the map, which redraws (replaces) the markers
        label, shown = page.evaluate(
            """n => {
            const el = document.querySelector(`.tk-marker[data-n="${n}"]`);
            return el ? [el.getAttribute('aria-label'), getComputedStyle(el.querySelector('.tk-pin'), '::after').content]
                      : [null, null];
        }""",
            p.number,
        )
        if label is not None:
            break
    assert label.endswith("休止中")  # said in words to screen readers
    assert shown == '"休止中"'  # and drawn on the marker
    assert "休止中" in page.locator(".leaflet-popup .tk-popup").inner_text()
    guard.assert_clean()


# ---------------------------------------------------------------- district and place pages


def test_each_district_page_shows_exactly_its_own_places(site, server, open_page):
    tier, areas = _district_areas(site)
    for area_id, name, folder in areas:
        expected = sorted(p.number for p in site.edition.places if p.areas.get(tier.id, ("",))[0] == area_id)
        page, guard = open_page(server + f"districts/{folder}/", DESKTOP)
        wait_ready(page)
        assert name in page.locator("h1").inner_text()
        listed = page.eval_on_selector_all("#place-list > li.place", "els => els.map(e => +e.dataset.n)")
        assert listed == expected
        assert page.evaluate("takara.total()") == len(expected)
        assert page.evaluate("takara.drawn().places + takara.drawn().online") == len(expected)
        if expected:
            page.click(f"#place-{expected[0]} button.show-on-map")
            assert page.locator(".leaflet-popup .tk-popup").get_attribute("data-n") == str(expected[0])
        guard.assert_clean()
        page.context.close()


def test_place_pages_show_breadcrumbs_through_every_tier(site, server, open_page):
    tiers = site.edition.project.tiers
    for p in site.edition.places[:: max(1, len(site.edition.places) // 8)]:
        page, guard = open_page(server + f"places/{p.number}/", DESKTOP)
        wait_ready(page)
        crumbs = page.locator("nav.breadcrumbs li").all_inner_texts()
        expected = [p.areas[t.id][1] for t in tiers if t.id in p.areas]
        assert [c.replace("›", "").strip() for c in crumbs[:-1]] == expected
        assert crumbs[-1].strip().endswith(f"No.{p.number} {p.name}")
        assert page.locator("h1").inner_text().endswith(p.name)
        district = p.areas.get(site.edition.project.district_tier.id)
        if district:
            link = page.locator("nav.breadcrumbs a", has_text=district[1])
            link.click()
            page.wait_for_load_state()
            assert "/districts/" in page.url
        guard.assert_clean()
        page.context.close()


def test_screenshots_for_review(site, server, open_page, artifacts):
    tier, areas = _district_areas(site)
    busiest = max(
        areas, key=lambda a: sum(p.areas.get(tier.id, ("",))[0] == a[0] for p in site.edition.places)
    )
    with_story = [p for p in site.edition.places if p.photo or p.story] or site.edition.places
    pages = {
        "index": "index.html",
        "district": f"districts/{busiest[2]}/",
        "place": f"places/{with_story[0].number}/",
    }
    for label, path in pages.items():
        for w, h in (DESKTOP, PHONE):
            page, guard = open_page(server + path, (w, h))
            wait_ready(page)
            if label == "index" and w == DESKTOP[0]:
                page.click(f"#place-{site.edition.places[0].number} button.show-on-map")
                page.wait_for_timeout(300)
            target = artifacts / f"site-{site.name}-{label}-{w}x{h}.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 10_000
            guard.assert_clean()
            page.context.close()


def test_a_large_project_lists_its_places_in_pages(tmp_path, open_page, monkeypatch):
    """Beyond FULL_LIST_LIMIT the index holds no list in HTML: the script pages through index.json."""
    from sites import make_edition

    import gis.pages

    site_only(monkeypatch)  # the site alone
    monkeypatch.setattr(gis.pages, "FULL_LIST_LIMIT", 20)
    edition = make_edition(tmp_path / "p", count=150)
    publish_site(edition, tmp_path / "site", with_print=False)
    with serve(tmp_path / "site") as base:
        page, guard = open_page(base + "index.html", DESKTOP)
        wait_ready(page)
        assert page.evaluate("() => takara.markerCount()") == 150
        rows = page.locator("#place-list-paged > li.place")
        assert rows.count() == 100 and rows.first.get_attribute("data-n") == "1"
        page.get_by_role("button", name="次へ").click()
        assert rows.count() == 50 and rows.first.get_attribute("data-n") == "101"
        page.click("#place-list-paged li[data-n='120'] button.show-on-map")
        assert page.locator(".leaflet-popup .tk-popup").get_attribute("data-n") == "120"
        assert page.locator(".district-index a").count() == 2
        guard.assert_clean()


# ---------------------------------------------------------------- hostile records


HOSTILE_ROWS = [
    {
        "名称": "<script>window.__pwned=1</script>サロン",
        "主な活動": '"><img src=x onerror="window.__pwned=2">',
        "参加対象": "`${window.__pwned=3}` どなたでも",
        "紹介文": "<b>太字</b>でなく文字で</script>",
        "会場": "`backtick`",
    },
    {
        "名称": '"><img src=x onerror=alert(1)>',
        "主な活動": "<svg onload=alert(2)>",
        "参加対象": "`x`",
        "紹介文": "javascript:alert(3)",
        "会場": "<iframe src=javascript:alert(4)>",
    },
]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> BuiltSite:
    """A tiny project using the demo's config, layers and boundaries, with records written to attack."""
    root = tmp_path_factory.mktemp("hostile-project")
    shutil.copy(REPO / "takara.toml", root / "takara.toml")
    for folder in ("layers", "data"):
        if (REPO / folder).is_dir():  # the demo's records are copied only because the config names them
            shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("numbers.json"))
    project = load_project(root)
    # the records go to a point inside the first district
    anchor = load_boundaries(project.district_tier).geometry.representative_point().iloc[0]
    category = project.categories[0].label
    path = root / "hostile.csv"
    headers = [
        "No.",
        "名称",
        "種別",
        "会場",
        "所在地",
        "緯度",
        "経度",
        "開催日時",
        "参加対象",
        "参加費",
        "主な活動",
        "掲載可否",
        "紹介文",
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for k, row in enumerate(HOSTILE_ROWS):
            w.writerow(
                [
                    k + 1,
                    row["名称"],
                    category,
                    row["会場"],
                    "",
                    anchor.y + 0.0005 * k,
                    anchor.x,
                    "毎週水曜日 10時～",
                    row["参加対象"],
                    "無料",
                    row["主な活動"],
                    "可",
                    row["紹介文"],
                ]
            )
    project.records = [RecordSource(path=path, label="hostile.csv")]
    edition = run(project)
    assert [p.name for p in edition.places] == [r["名称"] for r in HOSTILE_ROWS]
    out = tmp_path_factory.mktemp("hostile-site")
    publish_site(edition, out, with_print=False)
    return BuiltSite("hostile", edition, out)


def test_hostile_record_text_shows_as_text_and_runs_nothing(hostile_site, open_page):
    dialogs = []
    with serve(hostile_site.folder) as base:
        tier = hostile_site.edition.project.district_tier
        pages = ["index.html"] + [f"places/{p.number}/" for p in hostile_site.edition.places]
        from gis.view import slug

        pages += sorted(
            {
                f"districts/{slug(p.areas[tier.id][0])}/"
                for p in hostile_site.edition.places
                if tier.id in p.areas
            }
        )
        for path in pages:
            page, guard = open_page(base + path, DESKTOP)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            wait_ready(page)
            for p in hostile_site.edition.places:
                if path == "index.html" or path == f"places/{p.number}/":
                    if path == "index.html":
                        page.click(f"#place-{p.number} button.show-on-map")
                        title = page.locator(".leaflet-popup .tk-popup-title")
                        assert title.inner_text() == p.name
                        page.wait_for_function(
                            "() => !document.querySelector('.leaflet-popup .tk-popup-status')"
                        )
                        popup_text = page.locator(".leaflet-popup .tk-popup").inner_text()
                        assert p.activities in popup_text and p.target in popup_text
                        assert page.locator(f"#place-{p.number} .place-name").inner_text() == p.name
                    else:
                        assert page.locator("h1 .place-title").inner_text() == p.name
                        assert p.story in page.locator(".story-text").inner_text()
            page.wait_for_timeout(200)  # give any injected handler time to fire
            assert page.evaluate("window.__pwned") is None
            assert page.locator("main img[src='x'], main iframe, main svg[onload]").count() == 0
            guard.assert_clean()
            page.context.close()
    assert dialogs == []


if __name__ == "__main__":  # pragma: no cover - convenience: python tests/test_browser_site.py
    sys.exit(pytest.main([__file__, "-q"]))
