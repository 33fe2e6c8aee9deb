"""Injection, checked in a real browser (headless Debian Chromium through Playwright, the site served on
127.0.0.1): a site built from hostile records — attack strings in every record field, in the site title,
a category label and the area names — opens with no dialog, runs no script from the data and gets no
element injected. Checked on the index (every hostile place's popup opened from the list), a district
page and each hostile place's page."""

from __future__ import annotations

import json

import pytest
from browser import serve, wait_ready

from gis.view import slug
from tests.hostile import PWN, hostile_site

pytestmark = pytest.mark.browser
DESKTOP = (1280, 800)

# Everything in the page that could run code or was not written by the templates.
DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on')) bad.push(`${el.tagName} ${a.name}`);
      if (/^\\s*javascript:/i.test(a.value) && ['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name))
        bad.push(`${el.tagName} ${a.name}=javascript:`);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if (s.type === 'application/json') { try { JSON.parse(s.textContent); } catch (e) { bad.push('broken JSON island'); } }
    else if (!s.src || new URL(s.src).origin !== location.origin || !new URL(s.src).pathname.includes('/assets/'))
      bad.push('script not from assets/: ' + (s.src || s.textContent.slice(0, 40)));
  }
  for (const sel of ['img[src="x"]', 'iframe', 'svg[onload]', 'object', 'embed', 'base', 'meta[http-equiv="refresh"]'])
    if (document.querySelector(sel)) bad.push(sel);
  return bad;
}"""


@pytest.fixture(scope="module")
def hostile():
    _, site = hostile_site(with_print=True)
    geo = json.loads((site / "data" / "places.geojson").read_text(encoding="utf-8"))
    places = [f["properties"] for f in geo["features"]]
    with serve(site) as base:
        yield base, places


def _watch(page) -> list[str]:  # a Playwright page
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def _assert_nothing_ran(page, dialogs: list[str], guard) -> None:
    page.wait_for_timeout(150)  # give any injected handler the chance to fire
    assert dialogs == []
    assert page.evaluate("() => window.__pwned") is None, "a script from the data ran"
    assert page.evaluate(DOM_CHECK) == []
    guard.assert_clean()


def _hostile(places: list[dict]) -> list[dict]:
    return [p for p in places if p["name"].startswith("危険")]


def test_index_and_every_hostile_popup_run_nothing(hostile, open_page):
    base, places = hostile
    page, guard = open_page(base + "index.html", DESKTOP)
    dialogs = _watch(page)
    wait_ready(page)
    assert "><img src=x" in page.title()  # the hostile site title is shown as text
    targets = _hostile(places)
    assert len(targets) >= 10
    for p in targets:
        page.click(f"#place-{p['number']} button.show-on-map")
        title = page.locator(".leaflet-popup .tk-popup-title")
        assert title.inner_text() == p["name"]
        # the details (activities, target …) arrive from the district file and are shown as text
        page.wait_for_function("() => !document.querySelector('.leaflet-popup .tk-popup-status')")
        assert p["activities"] in page.locator(".leaflet-popup .tk-popup").inner_text()
        assert page.evaluate(DOM_CHECK) == [], p["number"]
    _assert_nothing_ran(page, dialogs, guard)


def test_a_district_page_with_hostile_names_runs_nothing(hostile, open_page):
    base, places = hostile
    target = _hostile(places)[0]
    page, guard = open_page(base + f"districts/{slug(target['district_id'])}/", DESKTOP)
    dialogs = _watch(page)
    wait_ready(page)
    assert target["district_name"] in page.locator("h1").inner_text()  # the hostile area name, as text
    assert target["name"] in page.locator("main").inner_text()
    _assert_nothing_ran(page, dialogs, guard)


def test_hostile_place_pages_run_nothing(hostile, open_page):
    base, places = hostile
    for p in _hostile(places):
        page, guard = open_page(base + p["url"], DESKTOP)
        dialogs = _watch(page)
        wait_ready(page)
        assert page.locator("h1 .place-title").inner_text() == p["name"]
        body = page.locator("main").inner_text()
        assert p["target"] in body and p["phone"] in body
        _assert_nothing_ran(page, dialogs, guard)
        page.context.close()


def test_the_check_would_see_an_injected_script(hostile, open_page, tmp_path):
    """The DOM check is not blind: a page that does carry a payload fails it."""
    (tmp_path / "bad.html").write_text(
        f'<p><img src=x onerror="{PWN}"><a href="javascript:{PWN}">x</a></p><script>{PWN}</script>',
        encoding="utf-8",
    )
    with serve(tmp_path) as base:
        page, _ = open_page(base + "bad.html", DESKTOP)
        page.wait_for_timeout(150)
        assert page.evaluate("() => window.__pwned") == 1
        assert len(page.evaluate(DOM_CHECK)) >= 3
