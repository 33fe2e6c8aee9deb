"""A small synthetic edition built in code (`make_edition`), so the site's tests do not depend on the demo
records: test_pages.py, test_datafiles.py, test_photos.py, test_publish.py and the browser tests use it."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
from PIL import Image
from shapely.geometry import box

from gis.config import BuildOptions, Category, Contact, Overlay, Project, SiteMeta, Tier
from gis.edition import Edition
from gis.pipeline import edition_date
from gis.place import STATUS_ACTIVE, STATUS_PAUSED, PublicPlace
from gis.publish import publish_site
from gis.report import Report
from gis.schedule_parse import parse_schedule
from gis.tiers import link_parents

HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__pwned = 1</script>"
BREAKOUT = '"><img src=x onerror="window.__pwned=2">`${alert(3)}`'

# A 2 × 1 km town split into two districts (west/east), each into two neighbourhoods (south/north).
LON0, LAT0 = 133.70, 34.60
DX, DY = 0.02, 0.01


def _tiers(root: Path) -> list[Tier]:
    levels = [
        ("city", "第1層（市全域）", "city.geojson", "市"),
        ("district", "第2層（中学校区）", "d.geojson", "中学校区"),
        ("town", "第3層（自治会）", "t.geojson", "自治会"),
    ]
    return [
        Tier(id=tid, level=k, name=name, path=root / file, id_field="id", name_field="name", label=label)
        for k, (tid, name, file, label) in enumerate(levels, 1)
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
    return Edition(
        project=project,
        boundaries=b,
        places=places,
        report=report,
        date=edition_date(project),
        sources={p.number: ("records.csv", p.number + 1) for p in places},
    )


def numbers_in(html: str, selector_class: str = "place") -> list[int]:
    """Numbers of the 一覧表 entries in a page (data-n of li.place)."""
    return [int(n) for n in re.findall(r'<li class="place[^"]*" id="place-(\d+)"', html)]


def build_small_site(tmp_path: Path) -> tuple[Edition, Path]:
    """The small edition with one hostile record, published without prints, exports or statistics."""
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
    publish_site(edition, out, with_print=False)
    return edition, out


def camera_photo(path: Path, size=(3000, 2000)) -> None:
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
