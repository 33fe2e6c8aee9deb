"""The statistics' map layers on the index map (blank areas, places per 1,000 older residents): listed with
their legends, off at first, and each switched on and off by its checkbox — in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import serve, wait_ready

from gis.config import load_project
from gis.insight import analyse
from gis.pipeline import run
from gis.publish import publish_site
from gis.stats import insight_layers

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    edition = run(load_project(REPO))
    out = tmp_path_factory.mktemp("site-layers")
    publish_site(edition, out, with_print=False)
    with serve(out) as base:
        yield edition, out, base


def _paths(page, layer_id: str) -> int:
    return page.locator(f"path.tk-insight-{layer_id}").count()


def test_blank_areas_and_per_capita_layers_can_be_switched(demo, open_page):
    edition, out, base = demo
    layers = {layer["id"]: layer for layer in insight_layers(analyse(edition))}
    assert {"blank_areas", "per_capita"} <= set(layers), "the demo should have both analysis layers"
    for layer in layers.values():
        assert (out / layer["file"]).is_file()
    page, guard = open_page(base + "index.html")
    wait_ready(page)
    boxes = page.locator('#layer-insight input[name="insight"]')
    assert sorted(boxes.evaluate_all("els => els.map(e => e.value)")) == sorted(layers)
    for layer_id, layer in layers.items():
        box = page.locator(f'#layer-insight input[value="{layer_id}"]')
        assert (
            page.locator(f'#layer-insight label:has(input[value="{layer_id}"])').inner_text().strip()
            == layer["name"]
        )
        assert not box.is_checked() and _paths(page, layer_id) == 0  # off until asked for
    # on: the areas are drawn and the legend shows, each entry with its colour
    page.check('#layer-insight input[value="per_capita"]')
    page.wait_for_function("() => takara.insightVisible('per_capita')")
    assert _paths(page, "per_capita") >= 1
    legend = page.locator("#legend-per_capita")
    assert legend.is_visible()
    entries = legend.locator("li")
    assert entries.count() == len(layers["per_capita"]["legend"])
    first = layers["per_capita"]["legend"][0]
    assert first["label"] in entries.first.inner_text()
    swatch = entries.first.locator(".insight-swatch").evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = (int(first["color"][i : i + 2], 16) for i in (1, 3, 5))
    assert swatch == f"rgb({r}, {g}, {b})"
    # the areas are filled with the colours the layer's features name
    fills = set(
        page.locator("path.tk-insight-per_capita").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    )
    assert fills & {e["color"] for e in layers["per_capita"]["legend"] if e["color"]}
    # switch to the blank areas: one layer on, the other off
    page.check('#layer-insight input[value="blank_areas"]')
    page.wait_for_function("() => takara.insightVisible('blank_areas')")
    page.uncheck('#layer-insight input[value="per_capita"]')
    page.wait_for_function("() => !takara.insightVisible('per_capita')")
    assert _paths(page, "per_capita") == 0 and not legend.is_visible()
    assert _paths(page, "blank_areas") >= 1 and page.locator("#legend-blank_areas").is_visible()
    page.uncheck('#layer-insight input[value="blank_areas"]')
    page.wait_for_function("() => !takara.insightVisible('blank_areas')")
    assert _paths(page, "blank_areas") == 0
    # the places stay on the map throughout
    assert page.evaluate("takara.drawn().places + takara.drawn().online") == len(edition.places)
    guard.assert_clean()
