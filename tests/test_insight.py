"""District insight (gis.insight, gis.reach): counts, per-capita figures, walking-distance coverage, blank
areas, needs matching and one district's figures — checked against figures computed by hand. The files the
statistics stage writes from them: tests/test_stats.py; the metric CRS: tests/test_crs.py."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Polygon, box, mapping
from test_geojson import published_polygons_follow_rfc7946

from gis import insight, stats
from gis.config import BuildOptions, Category, Project, SiteMeta, Tier, load_project
from gis.crs import crs_label
from gis.edition import Edition
from gis.errors import InputError
from gis.pipeline import edition_date, run
from gis.place import PublicPlace
from gis.reach import QUAD_SEGS, disc_radius
from gis.report import Report
from gis.tiers import assign_areas, link_parents
from tests.projects import DISTRICTS, NEIGHBOURHOODS, X0, X1, Y0, Y1

CATS = [
    Category("salon", "サロン", "#b3261e", "☕", answers=("居場所", "見守り")),
    Category("exercise", "体操", "#1b5e20", "🤸"),
    Category("ride", "移動支援", "#0d47a1", "🚐", answers=("移動支援",)),
]
MINI_TIERS = [
    ("city", "第1層（町全域）", "町", {"T": ("ミニ町", box(X0, Y0, X1, Y1))}),
    ("district", "第2層（地区）", "地区", DISTRICTS),
    ("nb", "第3層（自治会）", "自治会", NEIGHBOURHOODS),
]
# Centres of the test town's four neighbourhoods (lon, lat)
A1, A2, B1, B2 = (135.005, 35.005), (135.005, 35.015), (135.015, 35.005), (135.015, 35.015)


def edition_of(root: Path, tiers: list, places: list[dict], **project_fields) -> Edition:
    """An edition built directly from areas and published places (no records, no pipeline)."""
    root.mkdir(parents=True, exist_ok=True)
    tier_objs = [
        Tier(tid, i + 1, name, root / f"{tid}.geojson", "id", "name", label)
        for i, (tid, name, label, _) in enumerate(tiers)
    ]
    boundaries = {}
    for tid, _, _, items in tiers:
        boundaries[tid] = gpd.GeoDataFrame(
            {"area_id": list(items), "area_name": [n for n, _ in items.values()]},
            geometry=[g for _, g in items.values()],
            crs="EPSG:4326",
        )
    link_parents(boundaries, tier_objs)
    project = Project(
        root=root,
        config_path=root / "takara.toml",
        site=SiteMeta(title="テスト町", edition="2026-11-01"),
        build=BuildOptions(),
        records=[],
        tiers=tier_objs,
        categories=project_fields.pop("categories", CATS),
        **project_fields,
    )
    public = []
    for n, p in enumerate(places, 1):
        lon, lat = p["at"]
        areas = {t.id: hit for t in tier_objs if (hit := assign_areas([lon], [lat], boundaries[t.id])[0])}
        public.append(
            PublicPlace(
                id=f"p{n}",
                number=n,
                name=p.get("name", f"場所{n}"),
                category=p.get("category", "salon"),
                organiser=p.get("organiser", ""),
                venue="",
                venue_kind="公共施設",
                address="",
                lat=lat,
                lon=lon,
                location_precision="exact",
                schedule_text="",
                target="",
                fee="",
                activities="",
                participants="",
                phone="",
                photo="",
                story="",
                status=p.get("status", "活動中"),
                confirmed=None,
                stale=False,
                areas=areas,
            )
        )
    return Edition(
        project=project, boundaries=boundaries, places=public, report=Report(), date=edition_date(project)
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} must start with a UTF-8 BOM (Excel)"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


# ---------------------------------------------------------------- the square district

TO_M = Transformer.from_crs("EPSG:4326", "EPSG:6673", always_xy=True)
TO_LL = Transformer.from_crs("EPSG:6673", "EPSG:4326", always_xy=True)
CX, CY = TO_M.transform(133.77, 34.60)  # in Kurashiki: Plane Rectangular CS zone V


def ll_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A rectangle drawn in metres (zone V), as lon/lat: its corners are what the boundary file holds."""
    return Polygon([TO_LL.transform(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])


def ll(x: float, y: float) -> tuple[float, float]:
    return TO_LL.transform(CX + x, CY + y)


SQUARE_TIERS = [
    (
        "city",
        "第1層（市全域）",
        "市",
        {"33202": ("四角市", ll_box(CX - 1000, CY - 1000, CX + 1000, CY + 1000))},
    ),
    (
        "district",
        "第2層（地区）",
        "地区",
        {"D": ("四角地区", ll_box(CX - 1000, CY - 1000, CX + 1000, CY + 1000))},
    ),
    (
        "block",
        "第3層（区画）",
        "区画",
        {
            "SW": ("南西", ll_box(CX - 1000, CY - 1000, CX, CY)),
            "SE": ("南東", ll_box(CX, CY - 1000, CX + 1000, CY)),
            "NW": ("北西", ll_box(CX - 1000, CY, CX, CY + 1000)),
            "NE": ("北東", ll_box(CX, CY, CX + 1000, CY + 1000)),
        },
    ),
]
# One active place at the centre; a paused one near a corner must not count.
SQUARE_PLACES = [
    {"at": ll(0, 0), "name": "真ん中のサロン"},
    {"at": ll(900, -900), "name": "休んでいる体操", "category": "exercise", "status": "休止中"},
]


def test_square_district_covered_share_is_exact(tmp_path):
    ed = edition_of(tmp_path, SQUARE_TIERS, SQUARE_PLACES)
    ins = insight.analyse(ed)
    assert ins.crs.to_epsg() == 6673
    cov = {(c.tier_id, c.area_id): c for c in ins.coverage}
    quarter_500 = math.pi * 0.5**2 / 4  # a quarter disc of 500 m in a 1 km² block: 19.63 %
    for block in ("SW", "SE", "NW", "NE"):
        c = cov[("block", block)]
        assert c.area_km2 == pytest.approx(1.0, abs=1e-6)
        assert c.shares[500] == pytest.approx(quarter_500, abs=5e-4)
        assert c.shares[1000] == pytest.approx(math.pi / 4, abs=5e-4)  # 78.54 %
        assert c.uncovered_km2 == pytest.approx(1 - math.pi / 4, abs=5e-4)
    district = cov[("district", "D")]
    assert district.shares[500] == pytest.approx(math.pi * 0.25 / 4, abs=5e-4)  # 19.63 % of 4 km²
    assert district.shares[1000] == pytest.approx(math.pi / 4, abs=5e-4)


def square_with_people(tmp_path: Path) -> Edition:
    """The square district with population points: 10 people 112 m from the place, 20 people 671 m away,
    30 people 1.2 km away (all in the NE block)."""
    pts = tmp_path / "people.csv"
    lines = ["lon,lat,population"] + [
        f"{ll(x, y)[0]:.9f},{ll(x, y)[1]:.9f},{w}"
        for x, y, w in ((100, 50, 10), (600, 300, 20), (900, 800, 30))
    ]
    pts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ed = edition_of(tmp_path, SQUARE_TIERS, SQUARE_PLACES)
    ed.project.population_points = pts  # type: ignore[attr-defined]  # [insight] population_points
    return ed


def test_population_points_give_the_share_of_people_within_reach(tmp_path):
    ed = square_with_people(tmp_path)
    cov = {(c.tier_id, c.area_id): c for c in insight.analyse(ed).coverage}
    ne = cov[("block", "NE")]
    assert ne.population == 60
    assert ne.population_shares == pytest.approx({500: 10 / 60, 1000: 30 / 60})
    assert cov[("block", "SW")].population == 0
    assert cov[("district", "D")].population_shares == pytest.approx({500: 10 / 60, 1000: 30 / 60})


def test_road_distance_is_longer_than_straight_line(tmp_path):
    pytest.importorskip("networkx", reason="road-network distance needs networkx")
    # An L-shaped road from the place: 800 m east, then 800 m north.
    road = LineString([ll(0, 0), ll(800, 0), ll(800, 800)])
    roads = tmp_path / "roads.geojson"
    roads.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": mapping(road)}],
            }
        ),
        encoding="utf-8",
    )
    pts = tmp_path / "people.csv"
    # 894 m from the place as the crow flies, but 1.2 km along the road
    pts.write_text(f"lon,lat,population\n{ll(800, 400)[0]:.9f},{ll(800, 400)[1]:.9f},5\n", encoding="utf-8")

    straight = edition_of(tmp_path / "a", SQUARE_TIERS, SQUARE_PLACES)
    straight.project.population_points = pts  # type: ignore[attr-defined]
    by_road = edition_of(tmp_path / "b", SQUARE_TIERS, SQUARE_PLACES)
    by_road.project.population_points = pts  # type: ignore[attr-defined]
    by_road.project.roads = roads  # type: ignore[attr-defined]
    s = next(c for c in insight.analyse(straight).coverage if c.area_id == "NE")
    r = next(c for c in insight.analyse(by_road).coverage if c.area_id == "NE")
    assert s.population_shares[1000] == 1.0
    assert r.population_shares[1000] == 0.0
    assert insight.analyse(by_road).method == "roads"
    # 500 m along the road, 100 m either side: 500 × 200 m plus two half discs of 100 m, in a 4 km² district
    d = next(c for c in insight.analyse(by_road).coverage if c.area_id == "D")
    assert d.shares[500] == pytest.approx((500 * 200 + math.pi * 100**2) / 4e6, rel=0.01)


# ---------------------------------------------------------------- counts and per capita


def mini_places() -> list[dict]:
    return [
        {"at": A1, "category": "salon", "organiser": "住民主体"},
        {"at": A1, "category": "salon", "organiser": "社協", "status": "休止中"},
        {"at": A2, "category": "exercise", "organiser": "住民主体"},
        {"at": B2, "category": "salon", "organiser": "NPO"},
        {"at": B2, "category": "ride", "organiser": ""},
    ]


def test_counts_per_area_of_every_tier(tmp_path):
    ed = edition_of(tmp_path, MINI_TIERS, mini_places())
    by = {(c.tier_id, c.area_id): c for c in insight.counts(ed)}
    assert set(by) == {
        ("city", "T"),
        ("district", "A"),
        ("district", "B"),
        ("nb", "A1"),
        ("nb", "A2"),
        ("nb", "B1"),
        ("nb", "B2"),
    }  # empty areas are listed too
    city, a, b, b1 = by[("city", "T")], by[("district", "A")], by[("district", "B")], by[("nb", "B1")]
    assert (city.total, city.active, city.paused) == (5, 4, 1)
    assert (a.total, a.active, a.paused) == (3, 2, 1)
    assert a.by_category == {"salon": 2, "exercise": 1, "ride": 0}
    assert a.active_by_category == {"salon": 1, "exercise": 1, "ride": 0}
    assert {k: v for k, v in a.by_organiser.items() if v} == {"住民主体": 2, "社協": 1}
    assert {k: v for k, v in b.by_organiser.items() if v} == {"NPO": 1, "未記入": 1}
    assert (b1.total, b1.parent) == (0, "東地区")

    figures = insight.district_figures(insight.analyse(ed), "A")
    assert (figures["total"], figures["active"], figures["paused"]) == (3, 2, 1)
    assert {c["label"]: c["count"] for c in figures["by_category"]} == {"サロン": 2, "体操": 1, "移動支援": 0}


def test_per_capita_figures_and_choropleth(tmp_path):
    pop = tmp_path / "population.csv"
    # Japanese headers and thousands separators, as a city's table has them; B2 has no row.
    pop.write_text('区域ID,人口,65歳以上人口\nA1,"1,000",400\nA2,600,200\nB1,900,300\n', encoding="utf-8")
    ed = edition_of(tmp_path, MINI_TIERS, mini_places(), population=pop)
    by = {(p.tier_id, p.area_id): p for p in insight.per_capita(ed)[0]}
    assert insight.per_capita(ed)[1] == "nb"
    assert by[("nb", "A1")].per_1000 == 2.5  # 1 active place (the paused one does not count) / 400 × 1000
    assert by[("nb", "A2")].per_1000 == 5.0
    assert by[("nb", "B1")].per_1000 == 0.0
    assert by[("nb", "B2")].per_1000 is None and by[("nb", "B2")].aged_65 is None
    assert (by[("district", "A")].aged_65, by[("district", "A")].population) == (600, 1600)
    assert by[("district", "A")].per_1000 == pytest.approx(3.33)  # 2 / 600 × 1000
    assert by[("district", "B")].per_1000 is None  # B2 has no figure, so B is not summed

    layer = insight.per_capita_layer(ed, insight.analyse(ed))
    props = {f["properties"]["area_id"]: f["properties"] for f in layer["features"]}
    assert set(props) == {"A1", "A2", "B1", "B2"}
    assert props["A2"]["per_1000"] == 5.0 and "5.0" in props["A2"]["label"]
    assert props["B2"]["fill"] == "" and "数字なし" in props["B2"]["label"]
    fills = [props[a]["fill"] for a in ("B1", "A1", "A2")]  # 0.0 < 2.5 < 5.0: three different classes
    assert len(set(fills)) == 3


def test_population_table_errors_name_file_row_and_column(tmp_path):
    pop = tmp_path / "population.csv"
    pop.write_text("area_id,population,aged_65\nA1,1000,400\nA2,600,たくさん\n", encoding="utf-8")
    ed = edition_of(tmp_path, MINI_TIERS, mini_places(), population=pop)
    with pytest.raises(InputError) as err:
        insight.per_capita(ed)
    assert "population.csv" in str(err.value) and "3行目" in str(err.value) and "aged_65" in str(err.value)


# ---------------------------------------------------------------- needs against resources


def town_with_needs(tmp_path: Path) -> Edition:
    """The test town with a needs table: some needs answered by an active place in their district, some
    not, one for the whole town and one for an area that does not exist."""
    needs = tmp_path / "needs.csv"
    needs.write_text(
        "区域ID,種類,内容\n"
        "A,居場所,お茶を飲める場所がほしい\n"
        "B,居場所,男性が集まれる所\n"  # B's salon is paused: no answer
        "B2,移動支援,病院までの足がない\n"  # the ride service is in A: no answer in B
        "A1,移動支援,スーパーへの買い物\n"  # a finer area: matched within district A
        "T,見守り,一人暮らしの見守り\n"  # the whole town: any district
        "ZZ,見守り,どこか\n",
        encoding="utf-8",
    )  # no such area
    places = [
        {"at": A1, "category": "salon", "name": "西南サロン"},
        {"at": B1, "category": "salon", "name": "東南サロン", "status": "休止中"},
        {"at": B2, "category": "exercise", "name": "東北体操"},
        {"at": A2, "category": "ride", "name": "西北おでかけ便"},
    ]
    return edition_of(tmp_path, MINI_TIERS, places, needs=needs)


def test_needs_are_matched_with_active_places_in_the_same_district(tmp_path):
    ed = town_with_needs(tmp_path)
    matched = {(n.area_id, n.kind): [name for _, name, _ in n.places] for n in insight.match_needs(ed)}
    assert matched == {
        ("A", "居場所"): ["西南サロン"],
        ("B", "居場所"): [],
        ("B2", "移動支援"): [],
        ("A1", "移動支援"): ["西北おでかけ便"],
        ("T", "見守り"): ["西南サロン"],
        ("ZZ", "見守り"): [],
    }
    warning = next(i for i in ed.report.issues if "ZZ" in i.message)
    assert (warning.source, warning.row, warning.field) == ("needs.csv", 7, "区域ID")

    figures = insight.district_figures(insight.analyse(ed), "B")
    assert [(n["area"], n["kind"]) for n in figures["needs_unmatched"]] == [
        ("東地区", "居場所"),
        ("東北自治会", "移動支援"),
    ]


# ---------------------------------------------------------------- Kurashiki, real boundaries


def test_kurashiki_coverage(tmp_path, kurashiki_dir, artifacts):
    from tests.kurashiki import make_kurashiki_project

    root = make_kurashiki_project(tmp_path / "kurashiki", kurashiki_dir, n=300)
    ed = run(load_project(root))
    ins = insight.analyse(ed)
    assert ins.crs.to_epsg() == 6673
    finest = [c for c in ins.coverage if c.tier_id == "elementary"]
    districts = [c for c in ins.coverage if c.tier_id == "junior_high"]
    assert len(finest) == 63 and len(districts) == 26
    assert all(0 <= c.shares[500] <= c.shares[1000] <= 1 for c in finest)

    # An independent check: random points in three areas, geodesic distance to the nearest active place.
    geod = Geod(ellps="GRS80")
    active = np.array([(p.lon, p.lat) for p in ed.places if p.is_active])
    rng = np.random.default_rng(7)
    areas = ed.boundaries["elementary"].set_index("area_id")
    picked = sorted(finest, key=lambda c: c.shares[1000])[::21][:3]
    for c in picked:
        poly = areas.loc[c.area_id, "geometry"]
        minx, miny, maxx, maxy = poly.bounds
        xs, ys = rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000)
        inside = gpd.GeoSeries(gpd.points_from_xy(xs, ys)).within(poly).values
        xs, ys = xs[inside][:3000], ys[inside][:3000]
        nearest = np.full(len(xs), np.inf)
        for lon, lat in active:
            _, _, dist = geod.inv(np.full(len(xs), lon), np.full(len(xs), lat), xs, ys)
            nearest = np.minimum(nearest, dist)
        for d in (500, 1000):
            assert (nearest <= d).mean() == pytest.approx(c.shares[d], abs=0.04), (c.area_name, d)

    site = tmp_path / "site"
    stats.write_stats(ed, site)
    blank = json.loads((site / "data" / "layers" / "blank_areas.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["area_id"] for f in blank["features"]} == {
        c.area_id for c in finest if c.uncovered_km2 > 1e-6
    }
    assert published_polygons_follow_rfc7946(site) == []  # blank areas and per-capita layers too

    lines = [
        "# 倉敷市: 活動中の場所から歩いて行ける範囲（テスト用の 300 件、活動は架空）",
        "",
        f"- 掲載 {len(ed.places)} か所、うち活動中 {len(active)} か所。距離は直線、{crs_label(ins.crs)} で計算。",
        "",
        "## 第2層（中学校区）",
        "",
        "| 中学校区 | 面積 km² | 500 m 以内 | 1 km 以内 | 1 km より遠い km² |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.area_name} | {c.area_km2:.2f} | {c.shares[500] * 100:.1f}% | {c.shares[1000] * 100:.1f}% | "
        f"{c.uncovered_km2:.2f} |"
        for c in districts
    ]
    lines += [
        "",
        "## 第3層（小学校区）",
        "",
        "| 小学校区 | 中学校区 | 面積 km² | 500 m 以内 | 1 km 以内 | 1 km より遠い km² |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.area_name} | {c.parent} | {c.area_km2:.2f} | {c.shares[500] * 100:.1f}% | "
        f"{c.shares[1000] * 100:.1f}% | {c.uncovered_km2:.2f} |"
        for c in finest
    ]
    (artifacts / "kurashiki_coverage.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    draw_blank_areas(ed, blank, artifacts / "kurashiki_blank_areas.png")
    print("\n".join(lines[: 8 + len(districts)]))


def draw_blank_areas(ed: Edition, blank: dict, path: Path) -> None:
    """A picture of the blank-area layer for review and the README (not part of the site)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 7), dpi=110)
    ax = fig.add_subplot()
    ed.boundaries["elementary"].boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.4)
    ed.boundaries["junior_high"].boundary.plot(ax=ax, color="#17324d", linewidth=1.0)
    gpd.GeoDataFrame.from_features(blank["features"], crs="EPSG:4326").plot(
        ax=ax, color=insight.BLANK_COLOUR, alpha=0.55, edgecolor="#7f2704", linewidth=0.4
    )
    active = [(p.lon, p.lat) for p in ed.places if p.is_active]
    ax.scatter([x for x, _ in active], [y for _, y in active], s=4, color="#08519c")
    ax.set_axis_off()
    ax.set_aspect(1 / math.cos(math.radians(34.6)))
    fig.savefig(path, bbox_inches="tight")


# ---------------------------------------------------------------- many areas: local coverage, readable charts


def grid_tiers(n: int = 7) -> list:
    """An n × n grid of 400 m blocks (zone V), each its own district and neighbourhood."""
    blocks = {
        f"G{i:02d}": (
            f"区画{i:02d}",
            ll_box(CX + 400 * (i % n), CY + 400 * (i // n), CX + 400 * (i % n + 1), CY + 400 * (i // n + 1)),
        )
        for i in range(n * n)
    }
    whole = ll_box(CX, CY, CX + 400 * n, CY + 400 * n)
    return [
        ("city", "第1層（市全域）", "市", {"33202": ("格子市", whole)}),
        ("district", "第2層（地区）", "地区", blocks),
        ("block", "第3層（区画）", "区画", blocks),
    ]


def test_coverage_of_many_areas_matches_one_union_of_all_reach(tmp_path):
    # Places clustered in the south-west, so some blocks are fully, some partly and some not covered.
    rng = np.random.default_rng(3)
    spots = [ll(x, y) for x, y in rng.uniform(0, 800, (40, 2))] + [ll(2700, 2700)]
    ed = edition_of(tmp_path, grid_tiers(), [{"at": p} for p in spots])
    ins = insight.analyse(ed)
    areas = ed.boundaries["block"].to_crs(ins.crs)
    pts = gpd.GeoSeries(
        gpd.points_from_xy([p.lon for p in ed.places], [p.lat for p in ed.places]), crs="EPSG:4326"
    ).to_crs(ins.crs)
    for d in (500, 1000):
        whole = pts.buffer(disc_radius(d), quad_segs=QUAD_SEGS).union_all()  # the slow way
        expected = areas.geometry.intersection(whole).area / areas.geometry.area
        got = {c.area_id: c.shares[d] for c in ins.coverage if c.tier_id == "block"}
        for aid, share in zip(areas["area_id"], expected):
            assert got[aid] == pytest.approx(share, abs=1e-5), (aid, d)  # places are merged to the mm
    shares = [c.shares[1000] for c in ins.coverage if c.tier_id == "block"]
    assert min(shares) == 0.0 and max(shares) == 1.0 and any(0.05 < s < 0.95 for s in shares)
    blank = {aid: g for aid, _, _, g in ins.blank}
    far = areas.set_index("area_id").geometry.difference(
        pts.buffer(disc_radius(1000), quad_segs=16).union_all()
    )
    for aid, g in far.items():
        if g.area >= 1:
            assert blank[aid].symmetric_difference(g).area < 1.0, aid  # m², of a 160,000 m² block
        else:
            assert aid not in blank
