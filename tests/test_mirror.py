"""`init` offline: from a mirror folder, a file:// URL and a loopback HTTP mirror (fixtures in the
official layouts, tests/mirrorfixtures.py), the `mirror` command, and hostile mirrors that must not
write outside the project. Needs nothing from ../shared."""

from __future__ import annotations

import functools
import http.server
import json
import tempfile
import threading
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from mirrorfixtures import CODE, PREF, PREF_NAME, tiny_mirror
from openpyxl import load_workbook
from test_init import download_server

from gis.cli import main
from gis.mirror import A32_PATH, ESTAT_PATH, GAZETTEER_CITY_PATH, MANIFEST


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    return tiny_mirror(tmp_path / "mirror", tmp_path / "work")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach a server fails the test: init from a folder needs nothing else."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args[0] if args else kwargs}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def test_init_from_a_mirror_folder_builds_the_city_with_its_town_layer(tmp_path, mirror, no_network, capsys):
    target = tmp_path / "project"
    assert main(["init", "--city", CODE, "--dir", str(target), "--source-url", str(mirror)]) == 0
    out = capsys.readouterr().out
    assert "ミニ市" in out and "町丁・字 4" in out

    towns = _features(target / "data/boundaries/towns.geojson")
    by_name = {f["properties"]["S_NAME"]: f["properties"]["KEY_CODE"] for f in towns}
    # the duplicated KEY_CODE (KIGO_E E1/E2) and the town in two pieces are one town each; no water
    assert by_name == {
        "西南町": f"{CODE}000100",
        "西北町": f"{CODE}000200",
        "東南町": f"{CODE}000300",
        "東北町一丁目": f"{CODE}000400",
    }
    config = tomllib.loads((target / "takara.toml").read_text(encoding="utf-8"))
    assert [t["id"] for t in config["tiers"]] == ["city", "junior_high", "towns"]
    assert config["towns"] == {
        "path": "data/boundaries/towns.geojson",
        "id_field": "KEY_CODE",
        "name_field": "S_NAME",
    }
    assert "小地域境界データ" in config["site"]["attribution"] and "e-Stat" in config["site"]["attribution"]
    assert str(mirror / ESTAT_PATH.format(pref=PREF).lstrip("/")) in (target / "takara.toml").read_text(
        "utf-8"
    )
    assert [
        f["properties"]["A32_004"] for f in _features(target / "data/boundaries/junior_high.geojson")
    ] == [
        "西中学校",
        "東中学校",
    ]  # Shift_JIS read, the decoy city's school filtered out


def test_a_new_city_groups_its_towns_into_areas_from_the_sheet_and_builds(tmp_path, mirror, no_network):
    """The coordinator's path end to end, offline: init, the town sheet, areas filled in, a build."""
    target = tmp_path / "project"
    assert main(["init", "--city", CODE, "--dir", str(target), "--source-url", f"file://{mirror}"]) == 0
    sheet = target / "data" / "tiers" / "chikushakyo.xlsx"
    assert main(["template", str(target), "--tier-towns", "--out", str(sheet)]) == 0
    book = load_workbook(sheet)
    ws = book["町名と区域"]
    assert [c.value for c in ws[1]] == ["No.", "町名", "町丁字コード", "区域名", "備考"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["西南町", "西北町", "東南町", "東北町一丁目"] and all(
        r[3] is None for r in rows
    )
    assert ws.data_validations.dataValidation[0].formula1 == "'区域の一覧'!$A$2:$A$501"
    book["区域の一覧"].append(["西地区社協"])
    book["区域の一覧"].append(["東地区社協"])
    for i, row in enumerate(rows, start=2):
        ws.cell(row=i, column=4, value="西地区社協" if row[1].startswith("西") else "東地区社協")
    book.save(sheet)
    text = (target / "takara.toml").read_text(encoding="utf-8")
    text = text.replace('id = "junior_high"\nlevel = 2', 'id = "junior_high"\nlevel = 4')
    text += '\n[[tiers]]\nid = "chikushakyo"\nlevel = 2\nname = "第2層（地区社協）"\nlabel = "地区社協"\n'
    text += 'towns = "data/tiers/chikushakyo.xlsx"\n'
    (target / "takara.toml").write_text(text, encoding="utf-8")
    records = target / "data" / "records.xlsx"
    book = load_workbook(records)
    ws = book["名簿"]
    headers = [c.value for c in ws[1]]
    for col, value in {
        "名称": "西南サロン",
        "種別": "サロン",
        "所在地": f"{PREF_NAME}ミニ市西南町1-2",
        "掲載可否": "可",
        "状況": "活動中",
    }.items():
        ws.cell(row=2, column=headers.index(col) + 1, value=value)
    book.save(records)

    site = tmp_path / "site"
    assert main(["build", str(target), "--out", str(site), "--no-print"]) == 0
    place = _features(site / "data/places.geojson")[0]["properties"]
    assert place["chikushakyo_name"] == "西地区社協" and place["towns_name"] == "西南町"
    pages = {p.parent.name for p in (site / "districts").glob("*/index.html")}
    assert len(pages) == 2  # one district page per 地区社協 area
    assert "東地区社協" in "".join((site / "districts" / p / "index.html").read_text("utf-8") for p in pages)
    # the 町丁・字 tier is listed on the map; only small tiers are switched on at first
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'value="towns"' in index


def test_init_from_a_loopback_http_mirror(tmp_path, mirror):
    with download_server(mirror) as (url, requested):
        assert main(["init", "--city", CODE, "--dir", str(tmp_path / "p"), "--source-url", url]) == 0
    assert any(r.endswith(f"DDSWC{PREF}.zip") for r in requested)
    assert any(r.startswith("/japanese-addresses/api/ja/") for r in requested)
    assert len(_features(tmp_path / "p" / "data/boundaries/towns.geojson")) == 4


def test_mirror_downloads_a_prefecture_once_and_init_needs_nothing_else(
    tmp_path, mirror, monkeypatch, capsys
):
    carried = tmp_path / "usb" / "takara-mirror"
    with download_server(mirror) as (url, _):
        assert main(["mirror", "--pref", PREF, "--dir", str(carried), "--source-url", url]) == 0
    assert "--source-url" in capsys.readouterr().out
    manifest = json.loads((carried / MANIFEST).read_text(encoding="utf-8"))
    files = set(manifest["files"])
    assert files == _files(mirror) - {p for p in _files(mirror) if (mirror / p).is_dir()}

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    assert main(["init", "--city", CODE, "--dir", str(tmp_path / "p"), "--source-url", str(carried)]) == 0

    # a file damaged on the way (a USB stick pulled too early) is caught by its checksum
    damaged = carried / A32_PATH.format(pref=PREF).lstrip("/")
    damaged.write_bytes(damaged.read_bytes()[:-10])
    assert main(["init", "--city", CODE, "--dir", str(tmp_path / "q"), "--source-url", str(carried)]) == 2
    err = capsys.readouterr().err
    assert "一致しません" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "q").exists()


def test_a_plain_folder_that_is_missing_is_one_line_not_a_traceback(tmp_path, capsys):
    code = main(
        ["init", "--city", CODE, "--dir", str(tmp_path / "p"), "--source-url", str(tmp_path / "nowhere")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "見つかりません" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()
    code = main(["init", "--city", CODE, "--dir", str(tmp_path / "p"), "--source-url", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "ミラーのフォルダに" in err and "N03-20240101_30_GML.zip" in err


def _new_files_outside_the_project(tmp_path: Path, before: set[str], project: Path) -> set[str]:
    inner = project.relative_to(tmp_path).as_posix() + "/"
    return {p for p in _files(tmp_path) - before if not p.startswith(inner) and not (tmp_path / p).is_dir()}


class _HostileHandler(http.server.SimpleHTTPRequestHandler):
    """A mirror that answers any gazetteer path with a valid town list (a hostile server can)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/japanese-addresses/api/ja/") and self.path.count("/") > 5:
            body = json.dumps([{"town": "西南町", "koaza": "", "lat": 34.005, "lng": 135.005}]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@pytest.mark.parametrize(
    "name", ["../../../../../evil", "ミニ市/../../../../../evil", "ミニ市\n[build]\ngazetteer = '/etc'"]
)
def test_a_hostile_city_name_cannot_write_outside_the_project(tmp_path, name, capsys):
    mirror = tiny_mirror(tmp_path / "mirror", tmp_path / "work", city_name=name)
    project = tmp_path / "a" / "b" / "project"
    before = _files(tmp_path)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_HostileHandler, directory=str(mirror))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code = main(["init", "--city", CODE, "--dir", str(project), "--source-url", url])
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert code == 2 and "ファイル名に使えません" in err
    assert not project.exists()
    assert _new_files_outside_the_project(tmp_path, before, project) == set()


def test_a_zip_reaching_outside_its_folder_is_refused(tmp_path, mirror, monkeypatch, capsys):
    scratch = tmp_path / "scratch"  # where init unpacks downloads: the member would land in tmp_path
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    evil = mirror / A32_PATH.format(pref=PREF).lstrip("/")
    with zipfile.ZipFile(evil, "a") as zf:
        zf.writestr("../../../escaped.txt", "gotcha")
    project = tmp_path / "a" / "b" / "project"
    before = _files(tmp_path)
    assert main(["init", "--city", CODE, "--dir", str(project), "--source-url", str(mirror)]) == 2
    assert "フォルダの外" in capsys.readouterr().err
    assert _new_files_outside_the_project(tmp_path, before, project) == set()


def test_a_gazetteer_that_is_not_a_town_list_is_refused(tmp_path, capsys):
    mirror = tiny_mirror(tmp_path / "mirror", tmp_path / "work", gazetteer=b'{"../../x": "<script>"}')
    assert (
        main(["init", "--city", CODE, "--dir", str(tmp_path / "project"), "--source-url", str(mirror)]) == 2
    )
    assert "町名データの形をしていません" in capsys.readouterr().err
    assert not (tmp_path / "project").exists()


def test_a_mirror_path_cannot_leave_the_mirror_folder(tmp_path, mirror):
    from gis.mirror import DownloadError, Fetcher

    with pytest.raises(DownloadError, match="外を指して"):
        Fetcher(str(mirror)).fetch("/../work/A32/A32-21_30.shp", tmp_path / "x")
    city = GAZETTEER_CITY_PATH.format(pref=PREF_NAME, city="../../../../etc/passwd")
    with pytest.raises(DownloadError):
        Fetcher(str(mirror)).fetch(city, tmp_path / "y")


def test_without_the_town_file_init_still_makes_the_project_and_says_so(tmp_path, mirror, capsys):
    (mirror / ESTAT_PATH.format(pref=PREF).lstrip("/")).unlink()
    target = tmp_path / "project"
    assert main(["init", "--city", CODE, "--dir", str(target), "--source-url", str(mirror)]) == 0
    out = capsys.readouterr().out
    assert "注意 / note: 町丁・字の境界（e-Stat）を取得できませんでした" in out
    config = tomllib.loads((target / "takara.toml").read_text(encoding="utf-8"))
    assert "towns" not in config and [t["id"] for t in config["tiers"]] == ["city", "junior_high"]
    assert "小地域" not in config["site"]["attribution"]
