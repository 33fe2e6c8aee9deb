"""Published geometry follows RFC 7946: exterior rings counter-clockwise, holes clockwise, fixed decimals."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import LinearRing, Polygon, shape

from gis.geojson import geometry_json


def rings_follow_rfc7946(geometry: dict) -> bool:
    """True when every polygon's exterior runs counter-clockwise and every hole clockwise."""
    geom = shape(geometry)
    polygons = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
    for poly in polygons:
        if poly.geom_type != "Polygon":
            continue
        if not LinearRing(poly.exterior.coords).is_ccw:
            return False
        if any(LinearRing(hole.coords).is_ccw for hole in poly.interiors):
            return False
    return True


def published_polygons_follow_rfc7946(site: Path) -> list[str]:
    """The files under site/data whose polygons break the winding rule (empty when all follow it)."""
    bad = []
    for path in sorted((site / "data").rglob("*.geojson")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for feature in data.get("features", []):
            if feature.get("geometry") and not rings_follow_rfc7946(feature["geometry"]):
                bad.append(f"{path.relative_to(site)}: {feature.get('properties')}")
                break
    return bad


def test_clockwise_polygon_with_a_clockwise_hole_is_written_counter_clockwise_with_a_clockwise_hole():
    outer_cw = [(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)]
    hole_ccw = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]
    source = Polygon(outer_cw, [hole_ccw])
    assert not LinearRing(outer_cw).is_ccw  # the source is drawn the way most boundary files are
    written = geometry_json(source, 6)
    assert rings_follow_rfc7946(written)
    assert shape(written).equals(source)  # same area, only the winding changed


def test_coordinates_are_rounded_to_the_given_decimals():
    written = geometry_json(shapely.Point(133.123456789, 34.987654321), 4)
    assert written["coordinates"] == [133.1235, 34.9877]


def test_multipolygons_are_oriented_part_by_part():
    a = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    b = Polygon([(5, 5), (6, 5), (6, 6), (5, 6)])
    written = geometry_json(shapely.MultiPolygon([a, b]), 6)
    assert written["type"] == "MultiPolygon" and rings_follow_rfc7946(written)
