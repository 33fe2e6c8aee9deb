"""Spatial join to every tier: shared boundaries, outside points, any CRS, any boundary format."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from gis.config import Tier
from gis.errors import InputError
from gis.tiers import assign_areas, link_parents, load_boundaries
from tests.projects import DISTRICTS, NEIGHBOURHOODS, X0, XM, Y0, YM, feature_collection


def _tier(path, id_field="id", name_field="name", tid="district"):
    return Tier(id=tid, level=2, name="第2層", path=path, id_field=id_field, name_field=name_field)


@pytest.fixture
def districts_gdf():
    return gpd.GeoDataFrame(
        {"id": list(DISTRICTS), "name": [v[0] for v in DISTRICTS.values()]},
        geometry=[v[1] for v in DISTRICTS.values()],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    "crs", ["EPSG:4326", "EPSG:6668", "EPSG:6674"]
)  # WGS 84, JGD2011, plane rectangular VI
def test_boundaries_in_any_crs_give_the_same_areas(tmp_path, districts_gdf, crs):
    path = tmp_path / "d.gpkg"
    districts_gdf.to_crs(crs).to_file(path)
    areas = load_boundaries(_tier(path))
    assert str(areas.crs) == "EPSG:4326"
    assert assign_areas([135.002, 135.018], [35.01, 35.01], areas) == [("A", "西地区"), ("B", "東地区")]


def test_point_on_a_shared_boundary_lands_in_exactly_one_area(tmp_path):
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps(feature_collection(DISTRICTS, "id", "name")), encoding="utf-8")
    areas = load_boundaries(_tier(path))
    hits = assign_areas([XM, XM, X0], [35.005, 35.015, Y0], areas)
    assert hits == [
        ("A", "西地区"),
        ("A", "西地区"),
        ("A", "西地区"),
    ]  # the same area every time, by id order


def test_point_outside_every_area(tmp_path):
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps(feature_collection(DISTRICTS, "id", "name")), encoding="utf-8")
    assert assign_areas([136.0], [35.01], load_boundaries(_tier(path))) == [None]


def test_zipped_shapefile_and_missing_field(tmp_path, districts_gdf):
    shp = tmp_path / "shp"
    shp.mkdir()
    districts_gdf.to_file(shp / "districts.shp", encoding="utf-8")
    archive = tmp_path / "districts.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in shp.iterdir():
            z.write(f, f.name)
    assert list(load_boundaries(_tier(archive))["area_name"]) == ["西地区", "東地区"]
    with pytest.raises(InputError, match="districts.zip.*「code」.*ある列: id, name"):
        load_boundaries(_tier(archive, id_field="code"))


def test_boundary_without_crs_in_lon_lat_is_assumed_jgd2011(tmp_path, districts_gdf):
    path = tmp_path / "nocrs.geojson"
    data = json.loads(districts_gdf.to_json())
    path.write_text(
        json.dumps(data), encoding="utf-8"
    )  # GeoJSON implies 4326; use a shapefile without .prj instead
    shp = tmp_path / "noprj.shp"
    districts_gdf.to_file(shp)
    shp.with_suffix(".prj").unlink()
    notes: list[str] = []
    areas = load_boundaries(_tier(shp), notes)
    assert len(areas) == 2 and any("JGD2011" in n for n in notes)


def test_boundary_without_crs_in_metres_is_refused(tmp_path, districts_gdf):
    shp = tmp_path / "metres.shp"
    districts_gdf.to_crs("EPSG:6674").to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="metres.shp.*座標系"):
        load_boundaries(_tier(shp))


def test_self_intersecting_boundary_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(135.0, 35.0), (135.02, 35.02), (135.02, 35.0), (135.0, 35.02), (135.0, 35.0)])
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(feature_collection({"X": ("ちょうちょ", bowtie)}, "id", "name")), encoding="utf-8"
    )
    notes: list[str] = []
    areas = load_boundaries(_tier(path), notes)
    assert areas.geometry.is_valid.all() and any("修正" in n for n in notes)
    assert assign_areas([135.018, 135.01], [35.01, 35.003], areas) == [("X", "ちょうちょ"), None]


def test_parents_link_finer_areas_to_coarser(tmp_path):
    for name, items in (("d", DISTRICTS), ("n", NEIGHBOURHOODS)):
        (tmp_path / f"{name}.geojson").write_text(
            json.dumps(feature_collection(items, "id", "name")), encoding="utf-8"
        )
    tiers = [_tier(tmp_path / "d.geojson"), _tier(tmp_path / "n.geojson", tid="nb")]
    boundaries = {t.id: load_boundaries(t) for t in tiers}
    link_parents(boundaries, tiers)
    assert dict(zip(boundaries["nb"]["area_id"], boundaries["nb"]["parent_district"])) == {
        "A1": "A",
        "A2": "A",
        "B1": "B",
        "B2": "B",
    }
    assert box(X0, Y0, XM, YM).equals(boundaries["nb"].geometry.iloc[0])
