"""An edition: what one run of the pipeline produces and every output stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

    from gis.config import Project
    from gis.place import Place, PublicPlace
    from gis.records import RawRow
    from gis.report import Report


@dataclass(frozen=True)
class PrivateInputs:
    """Every validated record (private fields included) and every raw row: only for the leak scanner
    (gis.leaks), kept when pipeline.run(keep_private=True). Never handed to an output stage."""

    places: list[Place]
    raw_rows: list[RawRow]


@dataclass
class Edition:
    project: Project
    # tier id -> GeoDataFrame in EPSG:4326 with columns area_id (str), area_name (str), geometry,
    # and parent_<tier id> (str) for every coarser tier (the coarser area holding its representative point)
    boundaries: dict[str, gpd.GeoDataFrame]
    places: list[PublicPlace]  # published places only, sorted by number
    report: Report  # the coordinators' accounting; names withheld rows: never render it into the site
    # The day the edition speaks for (pipeline.edition_date): the only date any output may show or use
    date: date
    # Coordinators only: place number -> (source file label, row). Never rendered into the site.
    sources: dict[int, tuple[str, int]] = field(default_factory=dict)
    private: PrivateInputs | None = None
    extras: dict[str, object] = field(default_factory=dict)
    _by_area: dict[str, dict[str, list[PublicPlace]]] = field(default_factory=dict, repr=False, compare=False)

    def places_in(self, tier_id: str, area_id: str) -> list[PublicPlace]:
        """The published places in one area, in number order (an index per tier, made on first use: the
        stages ask for every area of thousands)."""
        index = self._by_area.get(tier_id)
        if index is None:
            index = self._by_area[tier_id] = {}
            for p in self.places:
                hit = p.areas.get(tier_id)
                if hit is not None:
                    index.setdefault(hit[0], []).append(p)
        return list(index.get(area_id, ()))
