"""Japanese line breaks on the demo site, as a reader sees them: on a phone (390 px, normal and 大きな文字)
and on a desktop, every heading and label of the index, a district, a neighbourhood, a place, the week
and the statistics page is measured character by character in Chromium. No line may start with a small
kana, ー, a closing bracket or punctuation (禁則), and no number may be split from its unit (500/円,
8か/所) or from itself.
"""

from __future__ import annotations

import pytest
from browser import serve

from gis.config import load_project
from gis.pipeline import run
from gis.publish import publish_site
from gis.typography import NO_LINE_START
from tests.conftest import REPO

pytestmark = pytest.mark.browser

# every heading and label a reader scans (running text is left to the browser's own rules)
LABELS = (
    "h1, h2, h3, h4, legend, label, dt, th, caption, summary, button, .site-name, .site-nav a, .notice,"
    " .place-name, .week-name, .cat-tag, .badge, .breadcrumbs li, .district-index a, .list-count, .filter-count"
)
UNITS = "円歳時分人名回か所箇ヶ個件日月年%％"

MEASURE = """([selector, noStart, units]) => {
  const found = [];
  const digit = c => /[0-9０-９]/.test(c);
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length || el.closest('.vh, [hidden], .leaflet-container')) { continue; }
    const text = el.textContent;
    if (!text.trim() || text.length > 300) { continue; }
    // every visible character with its box, in order
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.vh')) { continue; }
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getClientRects()[0];
        if (r && r.width > 0) { chars.push({ c: node.data[i], top: r.top, h: r.height }); }
      }
    }
    for (let k = 1; k < chars.length; k++) {
      const prev = chars[k - 1], cur = chars[k];
      if (cur.top <= prev.top + prev.h / 2) { continue; } // same line
      if (/\\s/.test(cur.c)) { continue; }
      const bad = noStart.includes(cur.c) ? 'line starts with ' + cur.c
        : digit(prev.c) && (digit(cur.c) || units.includes(cur.c)) ? 'number split from its unit' : '';
      if (bad) {
        const line = chars.slice(Math.max(0, k - 6), k + 4).map(x => x.c).join('');
        found.push(`${el.tagName.toLowerCase()}.${el.className}: ${bad}: 「${line}」`);
      }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    edition = run(load_project(REPO))
    out = tmp_path_factory.mktemp("linebreak-site")
    publish_site(edition, out, with_print=False)
    with serve(out) as base:
        yield edition, out, base


def _pages(edition) -> list[str]:
    places = [p for p in edition.places if p.venue_kind != "オンライン"]
    finest = max(edition.project.tiers, key=lambda t: t.level)
    area = next(p.areas[finest.id][0] for p in places if finest.id in p.areas)
    district = sorted(p.areas[edition.project.district_tier.id][0] for p in places)[0]
    longest = max(places, key=lambda p: len(p.name))
    return [
        "index.html",
        f"districts/{district}/",
        f"areas/{finest.id}-{area}/",
        f"places/{longest.number}/",
        "week/index.html",
        "stats/index.html",
    ]


@pytest.mark.parametrize(
    ("viewport", "large"),
    [((390, 844), False), ((390, 844), True), ((1280, 800), False)],
    ids=["phone", "phone-large", "desktop"],
)
def test_no_heading_or_label_breaks_against_japanese_rules(built, open_page, viewport, large):
    edition, _, base = built
    problems: list[str] = []
    measured = 0
    for path in _pages(edition):
        page, _guard = open_page(base + path, viewport, large_text=large)
        page.wait_for_load_state("load")
        if viewport[0] < 900 and page.locator("button[data-view=list]").count():
            page.locator("button[data-view=list]").click()  # the list's headings and labels too
        found = page.evaluate(MEASURE, [LABELS, "".join(sorted(NO_LINE_START)), UNITS])
        measured += page.evaluate(f"document.querySelectorAll({LABELS!r}).length")
        problems += [f"{path}: {f}" for f in found]
        page.context.close()
    assert measured > 500, "too few headings and labels were measured to mean anything"
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"
