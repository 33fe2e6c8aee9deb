"""The browser's own print of a district page gives a usable A4 sheet: the map on paper, then every place
of the district, without the on-screen controls (issue 4, item 6)."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from browser import serve, wait_ready
from pypdf import PdfReader

from gis.cli import DEMO, main
from gis.config import load_project
from gis.view import slug

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("print-site") / "site"
    assert (
        main(
            [
                str(DEMO),
                "--out",
                str(out),
                "--no-print",
                "--report",
                str(tmp_path_factory.mktemp("r") / "report.json"),
            ]
        )
        == 0
    )
    return out


def test_district_page_prints_as_a4_with_map_and_every_place(site, chromium, artifacts):
    features = json.loads((site / "data" / "places.geojson").read_text(encoding="utf-8"))["features"]
    tier_key = load_project(DEMO).district_tier.id + "_id"
    area = min(f["properties"][tier_key] for f in features)
    own = [f["properties"] for f in features if f["properties"].get(tier_key) == area]
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    try:
        with serve(site) as base:
            page.goto(f"{base}districts/{slug(area)}/index.html")
            wait_ready(page)
            page.emulate_media(media="print")
            shown = page.evaluate("""() => ({
                map: getComputedStyle(document.querySelector('#map')).display,
                header: getComputedStyle(document.querySelector('.site-header')).display})""")
            assert shown == {"map": "block", "header": "none"}
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.close()
    (artifacts / "browser-print-district.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    pdf_path = artifacts / "browser-print-district.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = text.replace(" ", "").replace("\n", "")
    missing = [p["name"] for p in own if p["name"].replace(" ", "") not in text]
    assert not missing, f"printed district page lacks {missing[:5]}"
