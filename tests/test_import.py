"""Records drawn in Google My Maps (KML, KMZ) and uMap (GeoJSON, .umap) import like any record file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import gis.kml  # noqa: F401 - registers the .kml/.kmz/.umap readers and the uMap-aware GeoJSON reader
from gis.config import RecordSource, load_project
from gis.errors import InputError
from gis.pipeline import run
from gis.records import read_source
from gis.report import Report
from tests.projects import make_project

# As Google My Maps exports a map with two layers: styles, CDATA descriptions, ExtendedData from the
# sheet the layer was imported from (the description repeats it as "列: 値<br>"), one hand-drawn point.
MY_MAPS_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document>
    <name>ミニ町 宝物マップ（下書き）</name>
    <description/>
    <Style id="icon-1899-0288D1-normal">
      <IconStyle>
        <color>ffd18802</color>
        <scale>1</scale>
        <Icon>
          <href>https://www.gstatic.com/mapspro/images/stock/503-wht-blank_maps.png</href>
        </Icon>
        <hotSpot x="32" xunits="pixels" y="64" yunits="insetPixels"/>
      </IconStyle>
      <LabelStyle>
        <scale>0</scale>
      </LabelStyle>
    </Style>
    <StyleMap id="icon-1899-0288D1">
      <Pair>
        <key>normal</key>
        <styleUrl>#icon-1899-0288D1-normal</styleUrl>
      </Pair>
    </StyleMap>
    <Folder>
      <name>ふれあいサロン</name>
      <Placemark>
        <name>西南ふれあいサロン</name>
        <description><![CDATA[開催日時: 毎月第2・第4火曜日 10:00～12:00<br>参加費: 100円<br>掲載可否: 可<br>会場: 西南集会所]]></description>
        <styleUrl>#icon-1899-0288D1</styleUrl>
        <ExtendedData>
          <Data name="開催日時">
            <value>毎月第2・第4火曜日 10:00～12:00</value>
          </Data>
          <Data name="参加費">
            <value>100円</value>
          </Data>
          <Data name="掲載可否">
            <value>可</value>
          </Data>
          <Data name="会場">
            <value>西南集会所</value>
          </Data>
        </ExtendedData>
        <Point>
          <coordinates>
            135.0052,35.0048,0
          </coordinates>
        </Point>
      </Placemark>
      <Placemark>
        <name>北のお茶っこ会</name>
        <description><![CDATA[<b>みんなでお茶とおしゃべり</b><br>手芸をする日もあります &amp; 新しい方も歓迎]]></description>
        <styleUrl>#icon-1899-0288D1</styleUrl>
        <ExtendedData>
          <Data name="掲載可否">
            <value>可</value>
          </Data>
          <Data name="いつ">
            <value>毎週水曜日 13:30～15:00</value>
          </Data>
        </ExtendedData>
        <Point>
          <coordinates>135.0061,35.0152,0</coordinates>
        </Point>
      </Placemark>
    </Folder>
    <Folder>
      <name>体操</name>
      <Placemark>
        <name>東北公園ラジオ体操</name>
        <styleUrl>#icon-1899-0288D1</styleUrl>
        <ExtendedData>
          <Data name="開催日時">
            <value>毎朝6時30分</value>
          </Data>
          <Data name="掲載可否">
            <value>可</value>
          </Data>
          <Data name="会場種別">
            <value>公園</value>
          </Data>
        </ExtendedData>
        <Point>
          <coordinates>135.0155,35.0149,0</coordinates>
        </Point>
      </Placemark>
    </Folder>
  </Document>
</kml>
"""

# A uMap layer downloaded as GeoJSON: the layer's options at the top, styling in each feature's
# _umap_options, uMap's own markup in descriptions.
UMAP_LAYER = {
    "type": "FeatureCollection",
    "_umap_options": {"displayOnLoad": True, "name": "体操", "color": "DarkGreen", "iconClass": "Circle"},
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [135.0151, 35.0049]},
            "properties": {
                "name": "東南いきいき体操",
                "description": "**いきいき百歳体操**と脳トレ\n{{https://example.org/p.jpg}}",
                "開催日時": "毎週金曜日 9:30～10:30",
                "掲載可否": "可",
                "参加費": "無料",
                "_umap_options": {"color": "Red", "iconClass": "Drop"},
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [135.0158, 35.0158]},
            "properties": {
                "name": "ウォーキングの会",
                "description": "[[https://example.org/walk|ルートはこちら]]",
                "開催日時": "毎週日曜日 7:00～8:00",
                "掲載可否": "可",
                "_umap_options": {},
            },
        },
    ],
}


def _project_with(tmp_path: Path, name: str, content: bytes | str, columns: str = "") -> Path:
    root = make_project(tmp_path / "project", [], records_name=name)
    target = root / "data" / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if columns:
        toml = root / "takara.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(
            text.replace(f'path = "data/{name}"\n', f'path = "data/{name}"\ncolumns = {columns}\n', 1),
            encoding="utf-8",
        )
    return root


def _build(root: Path, out: Path) -> int:
    """Build the site as `python build.py` does, in this process (so the readers registered by the import
    above are used whether or not the pipeline imports gis.kml yet). Returns the exit code."""
    from gis.cli import main

    return main(
        ["build", str(root), "--out", str(out), "--no-print", "--report", str(out.parent / "report.json")]
    )


# ---------------------------------------------------------------- Google My Maps


def test_my_maps_kml_reads_names_data_folders_and_points(tmp_path):
    path = tmp_path / "map.kml"
    path.write_text(MY_MAPS_KML, encoding="utf-8")
    result = read_source(RecordSource(path=path, label="map.kml"))
    rows = {r.values["name"]: r for r in result.rows}
    assert list(rows) == ["西南ふれあいサロン", "北のお茶っこ会", "東北公園ラジオ体操"]
    salon = rows["西南ふれあいサロン"]
    assert (salon.values["lon"], salon.values["lat"]) == (135.0052, 35.0048)
    assert (
        salon.values["schedule_text"] == "毎月第2・第4火曜日 10:00～12:00" and salon.values["fee"] == "100円"
    )
    assert salon.values["category"] == "ふれあいサロン"  # the layer (folder) name
    assert "activities" not in salon.values  # the description only repeated the data
    assert (
        rows["北のお茶っこ会"].values["activities"]
        == "みんなでお茶とおしゃべり\n手芸をする日もあります & 新しい方も歓迎"
    )
    assert rows["東北公園ラジオ体操"].values["category"] == "体操"
    assert any("レイヤ" in n for n in result.notes)


def test_my_maps_kml_imports_with_a_column_mapping_and_builds(tmp_path):
    root = _project_with(tmp_path, "mymaps.kml", MY_MAPS_KML, columns='{ "いつ" = "schedule_text" }')
    edition = run(load_project(root))
    places = {p.name: p for p in edition.places}
    assert set(places) == {"西南ふれあいサロン", "北のお茶っこ会", "東北公園ラジオ体操"}
    assert (
        places["北のお茶っこ会"].schedule_text == "毎週水曜日 13:30～15:00"
    )  # mapped from the layer's own column
    assert places["北のお茶っこ会"].schedule.weekdays == (2,)
    assert (
        places["東北公園ラジオ体操"].category == "exercise"
        and places["西南ふれあいサロン"].category == "salon"
    )
    assert places["西南ふれあいサロン"].areas["nb"] == ("A1", "西南自治会")
    assert _build(root, tmp_path / "site") == 0
    geo = json.loads((tmp_path / "site" / "data" / "places.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["name"] for f in geo["features"]) == sorted(places)
    assert (tmp_path / "site" / "index.html").is_file()


def test_kmz_from_my_maps_reads_its_doc_kml(tmp_path):
    path = tmp_path / "map.kmz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("doc.kml", MY_MAPS_KML)
        z.writestr("images/icon-1.png", b"\x89PNG\r\n")
    result = read_source(RecordSource(path=path, label="map.kmz"))
    assert [r.values["name"] for r in result.rows] == [
        "西南ふれあいサロン",
        "北のお茶っこ会",
        "東北公園ラジオ体操",
    ]


def test_a_map_without_consent_data_is_withheld_not_published(tmp_path):
    kml = MY_MAPS_KML.replace("<value>可</value>", "<value></value>")
    report = Report()
    edition = run(load_project(_project_with(tmp_path, "map.kml", kml)), report)
    assert edition.places == []
    assert {r.outcome for r in report.rows} == {"withheld"}
    assert all("掲載可否" in r.reason for r in report.rows)


HOSTILE_DOCTYPES = {
    "entity expansion": '<!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    "external entity": '<!DOCTYPE kml [<!ENTITY b SYSTEM "{secret}">]>',
    "external DTD": '<!DOCTYPE kml SYSTEM "{secret}">',
}


@pytest.mark.parametrize("doctype", HOSTILE_DOCTYPES.values(), ids=HOSTILE_DOCTYPES.keys())
def test_kml_with_a_doctype_or_entities_is_refused_reading_nothing_it_names(tmp_path, doctype):
    secret = tmp_path / "secret.txt"
    secret.write_text("秘密の住所", encoding="utf-8")
    path = tmp_path / "evil.kml"
    path.write_text(
        '<?xml version="1.0"?>'
        + doctype.format(secret=secret.as_uri())
        + "<kml><Document><Placemark><name>&b;</name></Placemark></Document></kml>",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="evil.kml.*DOCTYPE") as refused:
        read_source(RecordSource(path=path, label="evil.kml"))
    assert "秘密" not in str(refused.value)


def test_broken_kml_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.kml"
    path.write_text(
        '<?xml version="1.0"?>\n<kml>\n<Document>\n<Placemark><name>a</name>\n</Document></kml>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"broken.kml.*5行目"):
        read_source(RecordSource(path=path, label="broken.kml"))


# ---------------------------------------------------------------- uMap


def test_umap_layer_geojson_uses_the_layer_name_and_drops_styling(tmp_path):
    path = tmp_path / "umap.geojson"
    path.write_text(json.dumps(UMAP_LAYER, ensure_ascii=False), encoding="utf-8")
    result = read_source(RecordSource(path=path, label="umap.geojson"))
    rows = {r.values["name"]: r for r in result.rows}
    first = rows["東南いきいき体操"]
    assert first.values["category"] == "体操"
    assert first.values["activities"] == "いきいき百歳体操と脳トレ"
    assert rows["ウォーキングの会"].values["activities"] == "ルートはこちら"
    assert not any("_umap_options" in r.extra for r in result.rows)
    assert not any("_umap_options" in n for n in result.notes)


def test_umap_geojson_imports_and_builds(tmp_path):
    root = _project_with(tmp_path, "umap_layer.geojson", json.dumps(UMAP_LAYER, ensure_ascii=False))
    edition = run(load_project(root))
    places = {p.name: p for p in edition.places}
    assert set(places) == {"東南いきいき体操", "ウォーキングの会"}
    assert all(p.category == "exercise" for p in places.values())
    assert (
        places["東南いきいき体操"].areas["district"] == ("B", "東地区") and places["東南いきいき体操"].is_free
    )
    assert _build(root, tmp_path / "site") == 0
    assert "東南いきいき体操" in (tmp_path / "site" / "data" / "places.csv").read_text(encoding="utf-8-sig")


def test_umap_map_backup_reads_every_layer(tmp_path):
    salon_layer = {
        "type": "FeatureCollection",
        "_umap_options": {"name": "サロン"},
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [135.004, 35.004]},
                "properties": {"name": "公民館サロン", "掲載可否": "可", "_umap_options": {"color": "Blue"}},
            }
        ],
    }
    backup = {
        "type": "umap",
        "uri": "https://umap.openstreetmap.fr/ja/map/mini_1",
        "properties": {"name": "ミニ町"},
        "geometry": {"type": "Point", "coordinates": [135.01, 35.01]},
        "layers": [UMAP_LAYER, salon_layer],
    }
    root = _project_with(tmp_path, "mini.umap", json.dumps(backup, ensure_ascii=False))
    edition = run(load_project(root))
    assert {p.name: p.category for p in edition.places} == {
        "東南いきいき体操": "exercise",
        "ウォーキングの会": "exercise",
        "公民館サロン": "salon",
    }


def test_plain_geojson_is_read_as_before(tmp_path):
    path = tmp_path / "plain.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [135.001, 35.002]},
                        "properties": {"名称": "ふつうのサロン", "種別": "サロン", "メモ": "x"},
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = read_source(RecordSource(path=path, label="plain.geojson"))
    (only,) = result.rows
    assert only.values == {"name": "ふつうのサロン", "category": "サロン", "lon": 135.001, "lat": 35.002}
    assert only.extra == {"メモ": "x"}
