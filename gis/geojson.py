"""Geometry as published GeoJSON text: the one place that decides how coordinates are written.

RFC 7946 §3.1.6: polygon exterior rings run counter-clockwise and holes clockwise. Shapely keeps the
rings as the source drew them (most boundary files are clockwise), so every ring is oriented here.
Coordinates are rounded to a fixed number of decimals so the output is small and diffable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely


def geometry_texts(geoms: Sequence[Any], decimals: int) -> list[str]:
    """GeoJSON geometry texts, rounded to `decimals` places, rings oriented as RFC 7946 asks
    (vectorised: a national blank-area layer holds millions of coordinates)."""
    if not len(geoms):
        return []
    array = np.asarray(geoms, dtype=object)
    rounded = shapely.transform(array, lambda xy: np.round(xy, decimals))
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    return list(shapely.to_geojson(oriented))


def geometry_json(geom: Any, decimals: int) -> dict:
    """One geometry as a GeoJSON object (see geometry_texts)."""
    return json.loads(geometry_texts([geom], decimals)[0])
