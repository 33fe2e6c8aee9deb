"""The static website (gis.site, gis.photos): pages, data files, escaping, determinism, photos.

Most tests build a small synthetic edition in code (`make_edition`), so they do not depend on the demo
records; the browser tests (test_browser_site.py) reuse it and also build the demo and a tiny project
through the real pipeline."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import types
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from PIL import Image
from shapely.geometry import box
from test_geojson import published_polygons_follow_rfc7946

from gis import site as site_mod
from gis.config import BuildOptions, Category, Contact, Overlay, Project, SiteMeta, Tier
from gis.edition import Edition
from gis.photos import publish_photo
from gis.pipeline import edition_date
from gis.place import STATUS_ACTIVE, STATUS_PAUSED, PublicPlace
from gis.report import Report
from gis.schedule_parse import parse_schedule
from gis.site import render_site
from gis.tiers import link_parents

HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__pwned = 1</script>"
BREAKOUT = '"><img src=x onerror="window.__pwned=2">`${alert(3)}`'

# A 2 × 1 km town split into two districts (west/east), each into two neighbourhoods (south/north).
LON0, LAT0 = 133.70, 34.60
DX, DY = 0.02, 0.01


def _tiers(root: Path) -> list[Tier]:
    return [
        Tier(
            id="city",
            level=1,
            name="第1層（市全域）",
            path=root / "city.geojson",
            id_field="id",
            name_field="name",
            label="市",
        ),
        Tier(
            id="district",
            level=2,
            name="第2層（中学校区）",
            path=root / "d.geojson",
            id_field="id",
            name_field="name",
            label="中学校区",
        ),
        Tier(
            id="town",
            level=3,
            name="第3層（自治会）",
            path=root / "t.geojson",
            id_field="id",
            name_field="name",
            label="自治会",
        ),
    ]


def _boundaries(tiers: list[Tier], district_names: tuple[str, str]) -> dict[str, gpd.GeoDataFrame]:
    def gdf(rows):
        return gpd.GeoDataFrame(
            {"area_id": [r[0] for r in rows], "area_name": [r[1] for r in rows]},
            geometry=[r[2] for r in rows],
            crs="EPSG:4326",
        )

    west, east = box(LON0, LAT0, LON0 + DX / 2, LAT0 + DY), box(LON0 + DX / 2, LAT0, LON0 + DX, LAT0 + DY)
    towns = []
    for did, (x0, x1) in (("W", (LON0, LON0 + DX / 2)), ("E", (LON0 + DX / 2, LON0 + DX))):
        towns.append((f"{did}-S", f"{did}南町", box(x0, LAT0, x1, LAT0 + DY / 2)))
        towns.append((f"{did}-N", f"{did}北町", box(x0, LAT0 + DY / 2, x1, LAT0 + DY)))
    b = {
        "city": gdf([("C", "たから市", box(LON0, LAT0, LON0 + DX, LAT0 + DY))]),
        "district": gdf([("W", district_names[0], west), ("E", district_names[1], east)]),
        "town": gdf(towns),
    }
    link_parents(b, tiers)
    return b


def _areas_of(lon: float, lat: float, b: dict) -> dict[str, tuple[str, str]]:
    from shapely.geometry import Point

    pt = Point(lon, lat)
    out = {}
    for tier_id, g in b.items():
        for aid, name, geom in zip(g["area_id"], g["area_name"], g.geometry):
            if geom.contains(pt):
                out[tier_id] = (aid, name)
                break
    return out


def make_place(number: int, lon: float, lat: float, b: dict, **fields) -> PublicPlace:
    base = {
        "id": str(number),
        "number": number,
        "name": f"サロン{number}",
        "category": "salon",
        "organiser": "住民主体",
        "venue": "集会所",
        "venue_kind": "集会所",
        "address": "岡山県たから市本町1-2",
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "location_precision": "exact",
        "schedule_text": "毎週水曜日 10:00～12:00",
        "target": "どなたでも",
        "fee": "100円",
        "activities": "体操・おしゃべり",
        "participants": "約15人",
        "phone": "",
        "photo": "",
        "story": "",
        "status": STATUS_ACTIVE,
        "confirmed": date(2025, 1, 10),
        "stale": False,
        "areas": _areas_of(lon, lat, b),
    }
    base.update(fields)
    base["schedule"] = parse_schedule(base["schedule_text"])
    return PublicPlace(**base)


def make_edition(
    root: Path,
    count: int = 12,
    extra: list[dict] | None = None,
    district_names: tuple[str, str] = ("西中学校区", "東中学校区"),
    overlays: bool = False,
) -> Edition:
    """A synthetic edition: `count` places spread over both districts, plus `extra` places given as
    PublicPlace fields (each may set lon/lat)."""
    root.mkdir(parents=True, exist_ok=True)
    tiers = _tiers(root)
    b = _boundaries(tiers, district_names)
    categories = [
        Category("salon", "サロン", "#e6194b", "☕"),
        Category("exercise", "体操・運動", "#ffe119", "🤸"),
        Category("cafe", "カフェ", "#3cb44b", "🍵"),
    ]
    overlay_list = []
    if overlays:
        path = root / "shelters.geojson"
        path.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"名称": "避難所<b>A</b>", "種別": "指定避難所", "secret": "x"},
                            "geometry": {"type": "Point", "coordinates": [LON0 + 0.004, LAT0 + 0.004]},
                        }
                    ],
                }
            ),
            encoding="utf-8",
        )
        overlay_list.append(
            Overlay(
                id="shelters",
                name="避難所",
                path=path,
                kind="points",
                color="#0055aa",
                popup_fields=("名称", "種別"),
                show=True,
                attribution="たから市防災課",
            )
        )
    project = Project(
        root=root,
        config_path=root / "takara.toml",
        site=SiteMeta(
            title="たから市 宝物マップ",
            lead="近くの通いの場をさがせます。",
            attribution="たから市社会福祉協議会",
            edition="2025-04-01",
            fictional=True,
            contacts=[
                Contact(
                    name="生活支援コーディネーター", role="社協", phone="086-000-0000", hours="平日 9時～17時"
                )
            ],
        ),
        build=BuildOptions(precision=6),
        records=[],
        tiers=tiers,
        categories=categories,
        overlays=overlay_list,
    )
    places = []
    cats = ["salon", "exercise", "cafe"]
    for k in range(count):
        lon = LON0 + DX * ((k * 7919) % 97 + 1) / 99
        lat = LAT0 + DY * ((k * 104729) % 89 + 1) / 91
        places.append(
            make_place(
                k + 1,
                lon,
                lat,
                b,
                category=cats[k % 3],
                status=STATUS_PAUSED if k % 5 == 4 else STATUS_ACTIVE,
                stale=k % 7 == 6,
                story="毎回みんなで歌を歌います。" if k % 4 == 0 else "",
            )
        )
    for e in extra or []:
        e = dict(e)
        lon, lat = e.pop("lon", LON0 + DX * 0.3), e.pop("lat", LAT0 + DY * 0.3)
        places.append(make_place(e.pop("number"), lon, lat, b, **e))
    report = Report()
    for p in places:
        report.publish("records.csv", p.number + 1, p.name, p.number, p.id)
    places.sort(key=lambda p: p.number)
    return Edition(project=project, boundaries=b, places=places, report=report, date=edition_date(project))


def numbers_in(html: str, selector_class: str = "place") -> list[int]:
    """Numbers of the 一覧表 entries in a page (data-n of li.place)."""
    return [int(n) for n in re.findall(r'<li class="place[^"]*" id="place-(\d+)"', html)]


@pytest.fixture(autouse=True)
def only_the_site(monkeypatch):
    """These tests are about gis.site: the print, export and insight stages (tested in their own files)
    are hidden here, as if those modules did not exist."""
    for name in ("gis.printing", "gis.insight", "gis.export"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Edition, Path]:
    edition = make_edition(
        tmp_path / "project",
        extra=[
            {
                "number": 101,
                "name": HOSTILE,
                "story": SCRIPT,
                "activities": BREAKOUT,
                "target": "`backtick` ${x}",
            }
        ],
    )
    out = tmp_path / "site"
    render_site(edition, out, with_print=False)
    return edition, out


# ---------------------------------------------------------------- pages


def test_every_place_gets_a_page_and_an_entry_in_the_index_list(built):
    edition, out = built
    index = (out / "index.html").read_text(encoding="utf-8")
    assert numbers_in(index) == [p.number for p in edition.places]
    for p in edition.places:
        page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
        assert f"No.{p.number}" in page
        assert 'aria-label="現在の場所"' in page  # breadcrumbs
    # every district-tier area has a page listing exactly its own places
    for area_id, name in (("W", "西中学校区"), ("E", "東中学校区")):
        page = (out / "districts" / area_id / "index.html").read_text(encoding="utf-8")
        expected = [p.number for p in edition.places if p.areas["district"][0] == area_id]
        assert expected and numbers_in(page) == expected
        assert f"{name}の宝物マップ" in page


def test_place_page_breadcrumbs_follow_the_tiers(built):
    edition, out = built
    p = edition.places[0]
    page = (out / "places" / str(p.number) / "index.html").read_text(encoding="utf-8")
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.DOTALL).group(0)
    names = re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", crumbs)
    assert names == ["たから市", p.areas["district"][1], p.areas["town"][1], f"No.{p.number} {p.name}"]
    assert f'href="../../districts/{p.areas["district"][0]}/"' in crumbs
    assert f'href="../../areas/town-{p.areas["town"][0]}/"' in crumbs


def test_finer_tier_pages_are_linked_from_their_district(built):
    edition, out = built
    page = (out / "districts" / "W" / "index.html").read_text(encoding="utf-8")
    for town in ("W-S", "W-N"):
        if any(p.areas.get("town", ("",))[0] == town for p in edition.places):
            assert f'href="../../areas/town-{town}/"' in page
            town_page = (out / "areas" / f"town-{town}" / "index.html").read_text(encoding="utf-8")
            assert numbers_in(town_page) == [p.number for p in edition.places if p.areas["town"][0] == town]
    assert "E南町" not in page  # the other district's neighbourhoods are not listed


def test_paused_places_are_shown_marked_not_hidden(built):
    edition, out = built
    paused = [p for p in edition.places if p.status == STATUS_PAUSED]
    assert paused
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in paused:
        entry = re.search(
            rf'<li class="place is-paused" id="place-{p.number}".*?</li>', index, re.DOTALL
        ).group(0)
        assert "休止中" in entry


def test_record_text_is_escaped_everywhere(built):
    out = built[1]
    for page in [
        out / "index.html",
        out / "places" / "101" / "index.html",
        *(out / "districts").glob("*/index.html"),
    ]:
        html = page.read_text(encoding="utf-8")
        assert "<img src=x" not in html and "<script>window" not in html and 'onerror="window' not in html
    place = (out / "places" / "101" / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in place
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in place
    # data files carry the text as data (the JS sets it with textContent)
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    assert HOSTILE in index["name"]


def test_hostile_area_names_cannot_break_out_of_the_embedded_outline(tmp_path):
    edition = make_edition(
        tmp_path / "p", count=4, district_names=("</script><script>alert(1)</script>", "東")
    )
    render_site(edition, tmp_path / "site", with_print=False)
    page = (tmp_path / "site" / "districts" / "W" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    data = re.search(r'<script type="application/json" id="area-data">(.*?)</script>', page, re.DOTALL).group(
        1
    )
    assert json.loads(data)["outline"]["properties"]["name"] == "</script><script>alert(1)</script>"


def test_pages_carry_a_content_security_policy_without_inline_script(built):
    out = built[1]
    for page in (
        out / "index.html",
        out / "places" / "1" / "index.html",
        out / "districts" / "W" / "index.html",
    ):
        html = page.read_text(encoding="utf-8")
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "https://cyberjapandata.gsi.go.jp" in csp
        # every script is a file of our own, or a JSON data block
        for attrs in re.findall(r"<script([^>]*)>", html):
            assert 'type="application/json"' in attrs or re.search(r'src="(\.\./)*assets/', attrs), attrs
        assert " style=" not in html  # style attributes would need 'unsafe-inline'


def test_no_cdn_or_remote_asset_is_referenced(built):
    _, out = built
    for path in [*out.glob("*.html"), *out.rglob("assets/*.css"), out / "assets" / "takara.js"]:
        text = path.read_text(encoding="utf-8")
        remote = set(re.findall(r"(?:src|href)=\"(https?://[^\"]+)", text))
        allowed = ("https://creativecommons.org/",)
        assert all(u.startswith(allowed) for u in remote), remote
    assert (out / "assets" / "vendor" / "leaflet" / "LICENSE").is_file()
    assert (out / "assets" / "vendor" / "supercluster" / "LICENSE").is_file()
    assert not (out / "assets" / "vendor" / "axe-core").exists()  # test-only


def test_without_javascript_the_lists_are_readable(built):
    edition, out = built
    index = (out / "index.html").read_text(encoding="utf-8")
    first = edition.places[0]
    entry = re.search(rf'id="place-{first.number}".*?</li>', index, re.DOTALL).group(0)
    for text in (first.name, "毎週 水曜日 10:00〜12:00", first.target, first.fee, first.activities, "サロン"):
        assert text in entry
    assert "<noscript>" in index


def test_optional_stages_are_called_and_linked_only_when_present(tmp_path, monkeypatch):
    edition = make_edition(tmp_path / "p", count=3)
    render_site(edition, tmp_path / "plain", with_print=True)
    plain = (tmp_path / "plain" / "index.html").read_text(encoding="utf-8")
    assert "print/index.html" not in plain and "stats/index.html" not in plain

    calls = []

    def fake(name: str, func: str, page: str | None):
        module = types.ModuleType(name)
        module.__spec__ = types.SimpleNamespace(name=name)

        def write(ed, target):
            calls.append((name, target.name))
            target.mkdir(parents=True, exist_ok=True)
            if page:
                (target / page).write_text("ok", encoding="utf-8")

        setattr(module, func, write)
        monkeypatch.setitem(sys.modules, name, module)

    fake("gis.printing", "write_prints", "index.html")
    fake("gis.insight", "write_stats", "index.html")
    fake("gis.export", "write_exports", None)
    render_site(edition, tmp_path / "full", with_print=True)
    assert sorted(calls) == [("gis.export", "data"), ("gis.insight", "stats"), ("gis.printing", "print")]
    full = (tmp_path / "full" / "index.html").read_text(encoding="utf-8")
    assert 'href="print/index.html"' in full and 'href="stats/index.html"' in full
    calls.clear()
    render_site(edition, tmp_path / "noprint", with_print=False)
    assert ("gis.printing", "print") not in calls


# ---------------------------------------------------------------- data files


def test_index_json_is_columnar_and_matches_the_places(built):
    edition, out = built
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


def test_district_detail_files_hold_each_place_once(built):
    edition, out = built
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


def test_geojson_is_rfc7946_with_tier_columns(built):
    edition, out = built
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
    render_site(edition, tmp_path / "site", with_print=False)
    raw = (tmp_path / "site" / "data" / "places.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["一覧表No.", "名称", "種類"]
    assert "第2層（中学校区）" in rows[0]
    assert rows[-1][1] == '\'=HYPERLINK("http://x")'


def test_overlays_keep_only_their_popup_fields(tmp_path):
    edition = make_edition(tmp_path / "p", count=2, overlays=True)
    render_site(edition, tmp_path / "site", with_print=False)
    gj = json.loads(
        (tmp_path / "site" / "data" / "overlays" / "shelters.geojson").read_text(encoding="utf-8")
    )
    assert gj["features"][0]["properties"] == {"名称": "避難所<b>A</b>", "種別": "指定避難所"}
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'value="shelters"' in index and "たから市防災課" in index


def test_two_builds_are_byte_identical(tmp_path):
    photo = tmp_path / "p" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    _camera_photo(photo)
    outs = []
    for k in range(2):
        edition = make_edition(
            tmp_path / "p", extra=[{"number": 77, "photo": "photo.jpg", "story": "写真つき"}]
        )
        out = tmp_path / f"site{k}"
        render_site(edition, out, with_print=False)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert Path("photos/77-l.jpg") in files
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_large_projects_get_a_district_index_instead_of_a_full_list(tmp_path, monkeypatch):
    monkeypatch.setattr(site_mod, "FULL_LIST_LIMIT", 5)
    edition = make_edition(tmp_path / "p", count=8)
    render_site(edition, tmp_path / "site", with_print=False)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert numbers_in(index) == []
    assert 'id="place-pages"' in index
    assert 'href="districts/W/"' in index and 'href="districts/E/"' in index


def test_unsafe_area_ids_become_safe_folder_names():
    assert site_mod.slug("W-1") == "W-1"
    for bad in ("../etc", "a/b", "中央", "", ".hidden"):
        s = site_mod.slug(bad)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", s) and ".." not in s and "/" not in s
    assert site_mod.slug("中央") == site_mod.slug("中央") != site_mod.slug("中央2")


def test_catalogues_have_the_same_keys_and_a_missing_key_fails_the_build():
    ja = json.loads((site_mod.TEMPLATE_ROOT / "i18n" / "ja.json").read_text(encoding="utf-8"))
    en = json.loads((site_mod.TEMPLATE_ROOT / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(ja) == set(en)
    t = site_mod.Catalogue("ja")
    with pytest.raises(KeyError):
        t("no.such.key")
    # every t("…") used by a template or the script exists
    used = set()
    for path in (site_mod.TEMPLATE_ROOT / "templates").glob("*"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    js = (site_mod.TEMPLATE_ROOT / "assets" / "takara.js").read_text(encoding="utf-8")
    used |= set(re.findall(r"""\bt\('([a-z_.]+)'""", js))
    assert used and used <= set(ja), used - set(ja)


def test_english_catalogue_renders_the_same_site_in_english(tmp_path):
    edition = make_edition(tmp_path / "p", count=3)
    render_site(edition, tmp_path / "en", with_print=False, lang="en")
    html = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "List of places" in html and "一覧表" not in html
    place = (tmp_path / "en" / "places" / "1" / "index.html").read_text(encoding="utf-8")
    assert "Every Wednesday 10:00–12:00" in place


# ---------------------------------------------------------------- photos


def _camera_photo(path: Path, size=(3000, 2000)) -> None:
    """A phone-like JPEG: EXIF GPS (a home's position), camera serial, date, orientation 6 (rotated)."""
    im = Image.new("RGB", size)
    for x in range(0, size[0], 50):  # some structure so the encoding is not trivial
        im.paste((x % 255, 120, 200 - x % 200), (x, 0, x + 25, size[1] // 2))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° CW to view
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = (
        "SERIAL-12345-XYZ"  # BodySerialNumber (in the Exif IFD, but Pillow accepts it at top level)
    )
    exif[0x0132] = "2024:05:01 10:00:00"
    gps = {1: "N", 2: (34.0, 35.0, 12.5), 3: "E", 4: (133.0, 46.0, 1.25)}
    exif[0x8825] = gps
    im.save(path, "JPEG", exif=exif.tobytes(), comment=b"taken at Mrs Tanaka's home")


def test_photos_are_upright_resized_and_stripped_of_all_metadata(tmp_path):
    src = tmp_path / "phone.jpg"
    _camera_photo(src)
    assert b"SERIAL-12345" in src.read_bytes() and b"Tanaka" in src.read_bytes()
    out = tmp_path / "photos"
    out.mkdir()
    result = publish_photo(src, out, "7")
    assert result["thumb"] == "photos/7-s.jpg" and result["large"] == "photos/7-l.jpg"
    for name, side in (("7-s.jpg", 400), ("7-l.jpg", 1200)):
        data = (out / name).read_bytes()
        for secret in (
            b"SERIAL-12345",
            b"PhoneMaker",
            b"Tanaka",
            b"2024:05:01",
            b"Exif",
            b"GPS",
            b"ICC_PROFILE",
        ):
            assert secret not in data, (name, secret)
        with Image.open(out / name) as im:
            assert max(im.size) == side
            assert im.size[1] > im.size[0]  # orientation 6 applied: portrait now
            assert not im.getexif() and "comment" not in im.info and "exif" not in im.info
            assert im.format == "JPEG"


def test_photo_published_only_when_the_place_has_one_and_missing_files_are_reported(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    _camera_photo(root / "ok.jpg", size=(800, 600))
    edition = make_edition(
        root,
        count=2,
        extra=[
            {"number": 60, "photo": "ok.jpg"},
            {"number": 61, "photo": "missing.jpg"},
            {"number": 62, "photo": ""},
        ],
    )
    render_site(edition, tmp_path / "site", with_print=False)
    photos = sorted(p.name for p in (tmp_path / "site" / "photos").iterdir())
    assert photos == ["60-l.jpg", "60-s.jpg"]
    warnings = [i for i in edition.report.issues if i.field == "写真"]
    assert len(warnings) == 1 and warnings[0].row == 62 and "missing.jpg" in warnings[0].message
    page = (tmp_path / "site" / "places" / "60" / "index.html").read_text(encoding="utf-8")
    assert 'src="../../photos/60-l.jpg"' in page


def test_place_pages_written_by_several_processes_are_the_same_bytes(tmp_path, monkeypatch):
    import subprocess
    import sys
    import threading

    if threading.active_count() > 1:
        # Another test's threads (the shared browser) rightly rule out forking in this process: run alone.
        name = f"{__file__}::test_place_pages_written_by_several_processes_are_the_same_bytes"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent.parent,
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
        return
    edition = make_edition(tmp_path / "p", count=40)
    render_site(edition, tmp_path / "serial", with_print=False)
    monkeypatch.setattr(site_mod, "PARALLEL_MIN", 10)
    monkeypatch.setattr(site_mod.os, "cpu_count", lambda: 2)
    assert threading.active_count() == 1  # otherwise the fork path is (rightly) not taken
    started = []
    real_pool = site_mod.multiprocessing.get_context("fork").Pool

    class CountingContext:
        def Pool(self, n):
            started.append(n)
            return real_pool(n)

    monkeypatch.setattr(site_mod.multiprocessing, "get_context", lambda method: CountingContext())
    render_site(edition, tmp_path / "forked", with_print=False)
    assert started == [1] * len(site_mod.SITE_LANGS)  # one pool per language build
    pages = sorted((tmp_path / "serial" / "places").glob("*/index.html"))
    assert len(pages) == 40
    for page in pages:
        assert page.read_bytes() == (tmp_path / "forked" / page.relative_to(tmp_path / "serial")).read_bytes()
