"""The metric CRS insight measures in (gis.crs): the Plane Rectangular CS zone of each prefecture, the
municipality codes that decide 北海道's zones, UTM outside Japan, and a real city's project CRS."""

from __future__ import annotations

import pytest
from test_insight import CATS

from gis import crs
from gis.config import BuildOptions, Project, SiteMeta, Tier
from gis.edition import Edition
from gis.pipeline import edition_date
from gis.report import Report
from gis.tiers import load_boundaries

# ---------------------------------------------------------------- the metric CRS


@pytest.mark.parametrize(
    ("place", "lon", "lat", "epsg"),
    [
        ("倉敷市", 133.772, 34.585, 6673),
        ("気仙沼市", 141.570, 38.908, 6678),
        ("石巻市", 141.303, 38.434, 6678),
        ("新宿区", 139.692, 35.690, 6677),
        ("札幌市", 141.347, 43.064, 6680),
        ("函館市", 140.729, 41.769, 6679),
        ("釧路市", 144.381, 42.985, 6681),
        ("那覇市", 127.681, 26.212, 6683),
        ("石垣市", 124.156, 24.341, 6684),
        ("小笠原村父島", 142.192, 27.094, 6682),
        ("広島市", 132.460, 34.397, 6671),
        ("福岡市", 130.418, 33.607, 6670),
        ("長崎市", 129.874, 32.745, 6669),
        ("名古屋市", 136.907, 35.180, 6675),
        ("大阪市", 135.520, 34.686, 6674),
    ],
)
def test_metric_crs_is_the_prefectures_plane_rectangular_zone(place, lon, lat, epsg):
    assert crs.metric_crs(lon, lat).to_epsg() == epsg, place


def test_metric_crs_from_municipality_codes_and_outside_japan():
    assert crs.metric_crs(133.77, 34.58, municipality="33202").to_epsg() == 6673  # 倉敷市
    assert crs.metric_crs(141.57, 38.91, municipality="04205").to_epsg() == 6678  # 気仙沼市
    # 室蘭市 lies west of 141°E but is in zone XII; 紋別市 lies far east but is XII too (告示 by municipality)
    assert crs.metric_crs(140.974, 42.315, municipality="01205").to_epsg() == 6680
    assert crs.metric_crs(143.354, 44.356, municipality="01219").to_epsg() == 6680
    assert crs.metric_crs(143.896, 43.804, municipality="01208").to_epsg() == 6681  # 北見市
    assert crs.metric_crs(-0.12, 51.5).to_epsg() == 32630  # London: UTM 30N
    assert crs.metric_crs(151.2, -33.87).to_epsg() == 32756  # Sydney: UTM 56S


@pytest.mark.parametrize(("city", "epsg"), [("kurashiki", 6673), ("kesennuma", 6678)])
def test_project_crs_for_real_cities(tmp_path, city, epsg):
    from tests.conftest import shared_path

    path = shared_path("data", city, "municipality_N03-21.geojson")
    tier = Tier("city", 1, "第1層", path, "N03_007", "N03_004")
    gdf = load_boundaries(tier)
    project = Project(
        root=tmp_path,
        config_path=tmp_path / "takara.toml",
        site=SiteMeta(title="t"),
        build=BuildOptions(),
        records=[],
        tiers=[tier],
        categories=CATS,
    )
    ed = Edition(
        project=project, boundaries={"city": gdf}, places=[], report=Report(), date=edition_date(project)
    )
    assert crs.project_crs(ed).to_epsg() == epsg
