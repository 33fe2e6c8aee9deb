"""The data files (gis.datafiles): index.json, district details, places.geojson and .csv, overlays."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sites import make_edition
from test_geojson import published_polygons_follow_rfc7946

from gis.place import STATUS_PAUSED
from gis.publish import publish_site

# The print, export and statistics stages (tested in their own files) write nothing here.
pytestmark = pytest.mark.usefixtures("site_only_stages")


def test_index_json_is_columnar_and_matches_the_places(small_site):
    edition, out = small_site
    data = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    n = len(edition.places)
    assert data["count"] == n
    for key in ("n", "lat", "lon", "c", "d", "w", "p", "f", "name"):
        assert len(data[key]) == n, key
    assert data["n"] == sorted(data["n"])
    p = edition.places[0]
    i = data["n"].index(p.number)
    assert (data["lat"][i], data["lon"][i]) == (p.lat, p.lon)
    assert data["categories"][data["c"][i]]["id"] == p.category
    assert data["districts"][data["d"][i]]["id"] == p.areas["district"][0]
    assert data["w"][i] == 1 << 2  # 水曜日
    assert data["p"][i] == data["periods"]["morning"]
    paused = [q.number for q in edition.places if q.status == STATUS_PAUSED]
    flagged = [num for num, f in zip(data["n"], data["f"]) if f & data["flags"]["paused"]]
    assert flagged == paused


def test_district_detail_files_hold_each_place_once(small_site):
    edition, out = small_site
    seen = {}
    for path in sorted((out / "data" / "districts").glob("*.json")):
        for num, entry in json.loads(path.read_text(encoding="utf-8"))["places"].items():
            assert num not in seen
            seen[num] = (path.stem, entry)
    assert sorted(int(k) for k in seen) == [p.number for p in edition.places]
    p = edition.places[0]
    key, entry = seen[str(p.number)]
    assert key == p.areas["district"][0]
    assert entry["target"] == p.target and entry["schedule"] == "毎週 水曜日 10:00〜12:00"


def test_geojson_is_rfc7946_with_tier_columns(small_site):
    edition, out = small_site
    gj = json.loads((out / "data" / "places.geojson").read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and "crs" not in gj
    assert [f["properties"]["number"] for f in gj["features"]] == [p.number for p in edition.places]
    f, p = gj["features"][0], edition.places[0]
    assert f["geometry"]["coordinates"] == [p.lon, p.lat]
    props = f["properties"]
    assert props["district_id"] == p.areas["district"][0] and props["town_name"] == p.areas["town"][1]
    assert "photo_consent" not in props and "contact" not in props
    assert (out / "data" / "boundaries" / "district.geojson").is_file()
    bd = json.loads((out / "data" / "boundaries" / "town.geojson").read_text(encoding="utf-8"))
    assert [x["properties"]["id"] for x in bd["features"]] == sorted(
        x["properties"]["id"] for x in bd["features"]
    )
    # RFC 7946 §3.1.6: every published polygon's exterior runs counter-clockwise (the sources do not).
    assert published_polygons_follow_rfc7946(out) == []


def test_csv_opens_in_excel_and_defuses_formulas(tmp_path):
    edition = make_edition(tmp_path / "p", count=2, extra=[{"number": 50, "name": '=HYPERLINK("http://x")'}])
    publish_site(edition, tmp_path / "site", with_print=False)
    raw = (tmp_path / "site" / "data" / "places.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["一覧表No.", "名称", "種類"]
    assert "第2層（中学校区）" in rows[0]
    assert rows[-1][1] == '\'=HYPERLINK("http://x")'


def test_overlays_keep_only_their_popup_fields(tmp_path):
    edition = make_edition(tmp_path / "p", count=2, overlays=True)
    publish_site(edition, tmp_path / "site", with_print=False)
    gj = json.loads(
        (tmp_path / "site" / "data" / "overlays" / "shelters.geojson").read_text(encoding="utf-8")
    )
    assert gj["features"][0]["properties"] == {"名称": "避難所<b>A</b>", "種別": "指定避難所"}
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'value="shelters"' in index and "たから市防災課" in index
