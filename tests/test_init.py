"""`takara init --city CODE`: offline, against a local HTTP server serving files laid out like the real
downloads (国土数値情報 zips, Geolonia's japanese-addresses API), built here from ../shared/data/kurashiki."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import socket
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import pytest
from mirrorfixtures import estat_frame, estat_zip, voronoi_cells
from openpyxl import load_workbook
from shapely.geometry import box, shape

from gis.cli import main
from gis.mirror import A27_PATH, A32_PATH, ESTAT_PATH, GAZETTEER_CITY_PATH, GAZETTEER_INDEX_PATH, N03_PATH

DECOY_CODE = "33203"  # another city of the prefecture, which must be filtered out
DECOY = box(134.0, 35.0, 134.1, 35.1)


def _zip(path: Path, members: dict[str, Path | bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            if isinstance(content, Path):
                zf.write(content, name)
            else:
                zf.writestr(name, content)


def _shapefile_zip(path: Path, prefix: str, gdf: gpd.GeoDataFrame, work: Path) -> None:
    """Like the real A32/A27 zips: a folder holding the polygon shapefile in Shift_JIS without .cpg,
    and a point layer of the schools (A32P-…) that must be ignored."""
    work.mkdir(parents=True, exist_ok=True)
    stem = f"{prefix}-21_33"
    gdf.to_file(work / f"{stem}.shp", encoding="cp932")
    points = gdf.copy()
    points["geometry"] = points.geometry.representative_point()
    points.to_file(work / f"{prefix}P-21_33.shp", encoding="cp932")
    members: dict[str, Path | bytes] = {}
    for f in sorted(work.iterdir()):
        if f.suffix.lower() == ".cpg":
            continue  # 国土数値情報 ships no .cpg: the reader must assume Shift_JIS
        members[f"{prefix}-21_33_GML/{f.name}"] = f
    _zip(path, members)


def build_fixtures(root: Path, shared: Path, work: Path) -> None:
    """The download tree: root/ksj/gml/data/… and root/japanese-addresses/api/…"""
    n03 = json.loads((shared / "municipality_N03-21.geojson").read_text(encoding="utf-8"))
    for f in n03["features"]:
        f["properties"].setdefault("N03_005", None)
    n03["features"].append(
        {
            "type": "Feature",
            "geometry": DECOY.__geo_interface__,
            "properties": {
                "N03_001": "岡山県",
                "N03_002": None,
                "N03_003": None,
                "N03_004": "津山市",
                "N03_005": None,
                "N03_007": DECOY_CODE,
            },
        }
    )
    _zip(
        root / N03_PATH.format(pref="33").lstrip("/"),
        {
            "N03-20240101_33.geojson": json.dumps(n03, ensure_ascii=False).encode("utf-8"),
            "KS-META-N03-20240101_33.xml": b"<metadata/>",
        },
    )
    for prefix, name in (
        ("A32", "junior_high_districts_A32-21.geojson"),
        ("A27", "elementary_districts_A27-21.geojson"),
    ):
        gdf = gpd.read_file(shared / name)
        decoy = gpd.GeoDataFrame(
            {
                c: [f"{DECOY_CODE}" if c.endswith("_001") else "よその学校"]
                for c in gdf.columns
                if c != "geometry"
            },
            geometry=[DECOY],
            crs=gdf.crs,
        )
        gdf = gpd.GeoDataFrame(gpd.pd.concat([gdf, decoy], ignore_index=True), crs=gdf.crs or "EPSG:6668")
        path = A32_PATH if prefix == "A32" else A27_PATH
        _shapefile_zip(root / path.format(pref="33").lstrip("/"), prefix, gdf, work / prefix)
    # e-Stat 小地域 for 倉敷市: cells around the gazetteer's town points stand in for the census
    # polygons (made here, approximate), with the duplicates and water units of the real files
    towns = json.loads((shared / "gazetteer" / "ja" / "岡山県" / "倉敷市.json").read_text(encoding="utf-8"))
    outline = gpd.GeoDataFrame.from_features(n03["features"][:1]).geometry.union_all()
    points = {(t["lng"], t["lat"]): t["town"] for t in towns}
    cells = voronoi_cells(points, outline).sort_values("name").reset_index(drop=True)
    frame = estat_frame(
        "33202", [(f"33202{i:04d}00", n, g) for i, (n, g) in enumerate(zip(cells["name"], cells.geometry))]
    )
    estat_zip(root / ESTAT_PATH.format(pref="33").lstrip("/"), "33", frame, work)
    index = root / GAZETTEER_INDEX_PATH.lstrip("/")
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes((shared / "gazetteer" / "ja.json").read_bytes())
    city = root / GAZETTEER_CITY_PATH.format(pref="岡山県", city="倉敷市").lstrip("/")
    city.parent.mkdir(parents=True, exist_ok=True)
    city.write_bytes((shared / "gazetteer" / "ja" / "岡山県" / "倉敷市.json").read_bytes())


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requested: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).requested.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def download_server(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on 127.0.0.1 (any free port); yields the base URL and the list of paths requested."""
    handler = type("Handler", (_Quiet,), {"requested": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requested
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fixture_server(tmp_path, kurashiki_dir):
    root = tmp_path / "downloads"
    build_fixtures(root, kurashiki_dir, tmp_path / "work")
    with download_server(root) as (url, requested):
        yield url, requested, root


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


def _fill(records: Path, rows: list[dict[str, object]]) -> None:
    book = load_workbook(records)
    ws = book["名簿"]
    headers = [c.value for c in ws[1]]
    for i, values in enumerate(rows, start=2):
        for key, value in values.items():
            ws.cell(row=i, column=headers.index(key) + 1, value=value)
    book.save(records)


@pytest.mark.shared
def test_init_creates_a_project_with_the_citys_real_tiers_that_builds(tmp_path, fixture_server, capsys):
    url, _, _ = fixture_server
    target = tmp_path / "projects" / "kurashiki"
    assert main(["init", "--city", "33202", "--dir", str(target), "--elementary", "--source-url", url]) == 0
    out = capsys.readouterr().out
    assert (
        "岡山県倉敷市" in out and "中学校区 26" in out and "小学校区 63" in out and "町名 / towns: 385" in out
    )

    config = tomllib.loads((target / "takara.toml").read_text(encoding="utf-8"))
    attribution = config["site"]["attribution"]
    for source in ("行政区域データ", "中学校区データ", "小学校区データ", "小地域境界データ", "Geolonia"):
        assert source in attribution
    assert [t["id"] for t in config["tiers"]] == ["city", "junior_high", "elementary", "towns"]
    assert config["tiers"][-1]["level"] == 4 and config["towns"]["path"] == "data/boundaries/towns.geojson"
    towns = json.loads((target / "data/boundaries/towns.geojson").read_text(encoding="utf-8"))["features"]
    names = [f["properties"]["S_NAME"] for f in towns]
    # 381 town names (some towns have two points) make 380 cells: 大畠 lies outside the simplified outline
    assert len(names) == len(set(names)) == 380 and "水面調査区" not in names  # merged; water dropped
    assert f"{url}/japanese-addresses/api/ja/岡山県/倉敷市.json" in (target / "takara.toml").read_text(
        encoding="utf-8"
    )

    city = json.loads((target / "data/boundaries/city.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["N03_007"] for f in city] == ["33202"]  # the decoy city is filtered out
    districts = json.loads((target / "data/boundaries/junior_high.geojson").read_text(encoding="utf-8"))[
        "features"
    ]
    assert len(districts) == 26 and all(f["properties"]["A32_001"] == "33202" for f in districts)
    assert "東陽中学校" in {f["properties"]["A32_004"] for f in districts}  # Shift_JIS read correctly
    elementary = json.loads((target / "data/boundaries/elementary.geojson").read_text(encoding="utf-8"))[
        "features"
    ]
    assert len(elementary) == 63
    assert not shape(city[0]["geometry"]).intersects(DECOY)
    assert json.loads((target / "data/gazetteer/ja.json").read_text(encoding="utf-8")) == {
        "岡山県": ["倉敷市"]
    }
    assert (
        len(json.loads((target / "data/gazetteer/ja/岡山県/倉敷市.json").read_text(encoding="utf-8"))) == 385
    )
    assert not any(p.name.startswith(".kurashiki.init-") for p in target.parent.iterdir())

    # The coordinator fills in the template it made, and the project builds.
    _fill(
        target / "data/records.xlsx",
        [
            {
                "名称": "茶屋町ふれあいサロン",
                "種別": "サロン",
                "所在地": "岡山県倉敷市茶屋町早沖123-4",
                "掲載可否": "可",
                "状況": "活動中",
                "開催日時": "毎週水曜日 10:00～12:00",
            },
            {
                "名称": "駅前ラジオ体操",
                "種別": "ラジオ体操",
                "所在地": "倉敷市阿知二丁目",
                "掲載可否": "可",
                "状況": "活動中",
            },
        ],
    )
    site = tmp_path / "site"
    assert main(["build", str(target), "--out", str(site), "--no-print"]) == 0
    places = {
        f["properties"]["name"]: f["properties"]
        for f in json.loads((site / "data/places.geojson").read_text(encoding="utf-8"))["features"]
    }
    assert set(places) == {"茶屋町ふれあいサロン", "駅前ラジオ体操"}
    assert places["茶屋町ふれあいサロン"]["junior_high_name"] == "東陽中学校"
    assert places["茶屋町ふれあいサロン"]["elementary_name"] == "茶屋町小学校"
    assert places["茶屋町ふれあいサロン"]["towns_name"] == "茶屋町早沖"  # the approximate cell of its town


@pytest.mark.shared
def test_init_reads_the_base_url_from_the_environment_and_skips_a27_unless_asked(
    tmp_path, fixture_server, monkeypatch, capsys
):
    url, requested, _ = fixture_server
    monkeypatch.setenv("TAKARA_DATA_URL", url)
    target = tmp_path / "k2"
    assert main(["init", "--city", "332020", "--dir", str(target)]) == 0  # the 6-digit form with check digit
    config = tomllib.loads((target / "takara.toml").read_text(encoding="utf-8"))
    assert [t["id"] for t in config["tiers"]] == ["city", "junior_high", "towns"]
    assert config["tiers"][-1]["level"] == 3
    assert "小学校区" not in config["site"]["attribution"]
    assert not any("A27" in r for r in requested)
    assert any(r.endswith("_33_GML.zip") and "N03" in r for r in requested)


def test_init_offline_fails_cleanly_and_leaves_nothing(tmp_path, capsys):
    target = tmp_path / "city"
    code = main(["init", "--city", "33202", "--dir", str(target), "--source-url", _closed_port_url()])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "ダウンロードできません" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no project, no staging folder


def test_init_without_network_into_new_parents_leaves_no_parents(tmp_path, capsys):
    target = tmp_path / "a" / "b" / "city"
    assert main(["init", "--city", "33202", "--dir", str(target), "--source-url", _closed_port_url()]) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.shared
def test_init_unknown_code_and_missing_download_fail_cleanly(tmp_path, fixture_server, capsys):
    url, _, root = fixture_server
    assert main(["init", "--city", "33299", "--dir", str(tmp_path / "x"), "--source-url", url]) == 2
    assert "33299" in capsys.readouterr().err
    (root / A32_PATH.format(pref="33").lstrip("/")).unlink()  # the server no longer has the A32 zip
    assert main(["init", "--city", "33202", "--dir", str(tmp_path / "y"), "--source-url", url]) == 2
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "A32-21_33_GML.zip" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "work"]


def test_init_refuses_a_bad_code_or_a_folder_with_files(tmp_path, capsys):
    assert main(["init", "--city", "abc"]) == 2
    assert "5 桁" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["init", "--city", "33202", "--dir", str(busy), "--source-url", _closed_port_url()]) == 2
    assert "空ではありません" in capsys.readouterr().err
    assert [p.name for p in busy.iterdir()] == ["mine.txt"]
