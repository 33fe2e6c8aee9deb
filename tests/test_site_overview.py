"""What index.html needs for its first paint: the first view's bounds in the page, and data/overview.json
(clusters made at build time) that accounts for every place at each zoom level it holds."""

from __future__ import annotations

import html
import json
import re

from sites import make_edition
from stages import site_only

import gis.datafiles
import gis.pages
from gis.publish import publish_site


def _site_only(monkeypatch):
    site_only(monkeypatch)


def test_first_view_bounds_and_overview_account_for_every_place(tmp_path, monkeypatch):
    _site_only(monkeypatch)
    edition = make_edition(tmp_path / "p", count=60)
    publish_site(edition, tmp_path / "site", with_print=False)
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    (south, west), (north, east) = json.loads(
        html.unescape(re.search(r'data-bounds="([^"]+)"', page).group(1))
    )
    for p in edition.places:
        assert south - 1e-5 <= p.lat <= north + 1e-5 and west - 1e-5 <= p.lon <= east + 1e-5, p.number
    assert 'rel="preload" href="data/overview.json"' in page
    overview = json.loads((tmp_path / "site" / "data" / "overview.json").read_text(encoding="utf-8"))
    assert overview["count"] == len(edition.places)
    assert overview["levels"], "no level to paint"
    for zoom, cells in overview["levels"].items():
        assert sum(c[2] for c in cells) == len(edition.places), zoom
        for lat, lon, _ in cells:
            assert south - 1e-5 <= lat <= north + 1e-5 and west - 1e-5 <= lon <= east + 1e-5
    # coarser levels never hold more cells than finer ones
    sizes = [len(overview["levels"][z]) for z in sorted(overview["levels"], key=int)]
    assert sizes == sorted(sizes)


def test_overview_levels_stop_before_the_grid_gets_large(tmp_path, monkeypatch):
    _site_only(monkeypatch)
    monkeypatch.setattr(gis.datafiles, "OVERVIEW_MAX_CELLS", 3)
    edition = make_edition(tmp_path / "p", count=40)
    publish_site(edition, tmp_path / "site", with_print=False)
    overview = json.loads((tmp_path / "site" / "data" / "overview.json").read_text(encoding="utf-8"))
    assert all(len(cells) <= 3 for cells in overview["levels"].values())


def test_index_links_first_tier_pages_when_districts_are_too_many(tmp_path, monkeypatch):
    """A national project has thousands of districts: index.html links its municipalities instead (each
    of whose pages lists its districts), so the page stays quick to open."""
    from bench.generate import generate
    from gis.config import load_project
    from gis.pipeline import run

    _site_only(monkeypatch)
    edition = run(load_project(generate(300, tmp_path / "cache")))
    top, districts = edition.project.top_tier, edition.project.district_tier
    monkeypatch.setattr(gis.pages, "DISTRICT_INDEX_LIMIT", 5)
    publish_site(edition, tmp_path / "site", with_print=False)
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    index = page[page.index('class="district-index"') :]
    links = re.findall(r'href="([^"]+)"', index[: index.index("</ul>")])
    assert len(links) == len(edition.boundaries[top.id]) > 1
    for link in links:
        assert link.startswith(f"areas/{top.id}-")
        area_page = (tmp_path / "site" / link / "index.html").read_text(encoding="utf-8")
        assert "districts/" in area_page  # the municipality's page leads on to its districts
    assert len(edition.boundaries[districts.id]) > 5
