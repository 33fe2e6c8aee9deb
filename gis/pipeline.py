"""The pipeline, top to bottom: read → validate → geocode → assign tiers → privacy → numbers → edition.

Nothing here writes the site; gis.cli wires this to the output stages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import gis.kml  # noqa: F401  (registers the KML/KMZ/uMap record readers)
from gis.config import Project
from gis.edition import Edition
from gis.geocode import Geocoder, distance_m, looks_swapped
from gis.numbering import assign_numbers
from gis.place import Place, PublicPlace, normalise_header
from gis.privacy import to_public, withhold_reason
from gis.records import RawRow, read_source
from gis.report import Issue, Report
from gis.schedule import parse_schedule
from gis.tiers import assign_areas, link_parents, load_boundaries, representative_points
from gis.validate import validate_rows

Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


def edition_date(project: Project) -> date:
    """The date the edition speaks for: the config's edition date (so builds are reproducible)."""
    if project.site.edition:
        return date.fromisoformat(project.site.edition)
    return date.today()


def read_all(project: Project, report: Report) -> list[RawRow]:
    rows: list[RawRow] = []
    for source in project.records:
        result = read_source(source)
        rows += result.rows
        report.notes += result.notes
    return rows


def load_all_boundaries(project: Project, report: Report) -> dict:
    notes: list[str] = []
    boundaries = {tier.id: load_boundaries(tier, notes) for tier in project.tiers}
    link_parents(boundaries, project.tiers)
    report.notes += notes
    return boundaries


def geocode(
    places: list[Place], project: Project, boundaries: dict, report: Report, progress: Progress = _quiet
) -> list[Place]:
    """Locate places without coordinates; check given ones (swapped, far from their address)."""
    geocoder = Geocoder(
        project.build.gazetteer, online=project.build.online_geocoder, cache_path=project.build.geocode_cache
    )
    bbox = tuple(boundaries[project.top_tier.id].total_bounds)  # minx, miny, maxx, maxy
    located: list[Place] = []
    for i, p in enumerate(places):
        progress("geocode", i + 1, len(places))
        if p.lat is not None and p.lon is not None:
            if looks_swapped(p.lat, p.lon, bbox):
                p.lat, p.lon = p.lon, p.lat
                report.add(
                    Issue(
                        "warning",
                        p.source,
                        p.row,
                        "緯度・経度",
                        "緯度と経度が入れ替わっていたため、入れ替えて使いました。シートを直してください",
                        "latitude and longitude were swapped; used swapped back — please fix the sheet",
                        p.name,
                    )
                )
            p.geocode_level = "座標"
            if p.address and (project.build.gazetteer or project.build.online_geocoder):
                hit = geocoder.locate(p.address)
                p.town = hit.town
                if hit.lat is not None:
                    d = distance_m(p.lat, p.lon, hit.lat, hit.lon)
                    if d > project.build.suspicious_distance_m:
                        report.add(
                            Issue(
                                "warning",
                                p.source,
                                p.row,
                                "緯度・経度",
                                f"緯度・経度が所在地（{hit.town or hit.city}）から {d / 1000:.1f} km 離れています。"
                                "どちらかが間違っていませんか",
                                f"the given point is {d / 1000:.1f} km from its address: check both",
                                p.name,
                            )
                        )
            located.append(p)
            continue
        hit = geocoder.locate(p.address)
        if hit.lat is None:
            report.reject(
                p.source,
                p.row,
                p.name,
                "所在地",
                f"所在地「{p.address[:40]}」から場所を特定できません。町名を確かめるか、緯度・経度を入れてください"
                + (f"（{hit.reason}）" if hit.reason else ""),
                "the address could not be located: check the town name or give coordinates",
            )
            continue
        p.lat, p.lon, p.geocode_level, p.town = hit.lat, hit.lon, hit.level, hit.town
        located.append(p)
    geocoder.save()
    return located


def assign_tiers(places: list[Place], project: Project, boundaries: dict, report: Report) -> list[Place]:
    """Every place gets its area in every tier; one outside the 第1層 area is rejected."""
    lons = [p.lon for p in places]
    lats = [p.lat for p in places]
    per_tier = {t.id: assign_areas(lons, lats, boundaries[t.id]) for t in project.tiers}
    inside: list[Place] = []
    for i, p in enumerate(places):
        top = per_tier[project.top_tier.id][i]
        if top is None:
            report.reject(
                p.source,
                p.row,
                p.name,
                "緯度・経度" if p.geocode_level == "座標" else "所在地",
                f"場所が{project.top_tier.name}の区域の外です（緯度・経度か所在地を確かめてください）",
                "the place lies outside the municipality",
            )
            continue
        for tier in project.tiers:
            hit = per_tier[tier.id][i]
            if hit is None:
                report.add(
                    Issue(
                        "warning",
                        p.source,
                        p.row,
                        "緯度・経度",
                        f"{tier.name}のどの区域にも入りません",
                        f"the place is in no area of tier {tier.id}",
                        p.name,
                    )
                )
            else:
                p.areas[tier.id] = hit
        if p.district_hint and not _hint_agrees(p.district_hint, [name for _, name in p.areas.values()]):
            where = " / ".join(name for _, name in p.areas.values())
            report.add(
                Issue(
                    "warning",
                    p.source,
                    p.row,
                    "地区",
                    f"地区「{p.district_hint}」と地図上の位置（{where}）が合いません",
                    "the district written in the sheet contradicts the place's position",
                    p.name,
                )
            )
        inside.append(p)
    return inside


_AREA_WORDS = re.compile(
    r"(中学校区|小学校区|中学校|小学校|学区|校区|日常生活圏域|圏域|地区社協|地区|自治会|町内会|区域)$"
)
_WHOLE_CITY = {"全域", "市全域", "町全域", "村全域", "全市", "市内全域"}


def _hint_agrees(hint: str, area_names: list[str]) -> bool:
    """Does a district written in the sheet (東地区, 東中学校区, 全域 …) agree with the areas the point fell in?"""
    core = _AREA_WORDS.sub("", normalise_header(hint))
    if not core or normalise_header(hint) in _WHOLE_CITY:
        return True
    for name in area_names:
        area = _AREA_WORDS.sub("", normalise_header(name))
        if area and (core in area or area in core):
            return True
    return False


def run(
    project: Project, report: Report | None = None, progress: Progress = _quiet, keep_private: bool = False
) -> Edition:
    """With keep_private, every validated Place (private fields included) is kept on
    edition.extras["private_places"] for the leak scanner (gis.leaks); never hand it to an output stage."""
    report = report or Report()
    today = edition_date(project)
    rows = read_all(project, report)
    boundaries = load_all_boundaries(project, report)
    check_district_contacts(project, boundaries, report)
    places = validate_rows(rows, project, report)
    validated = list(places)
    places = geocode(places, project, boundaries, report, progress)
    places = assign_tiers(places, project, boundaries, report)

    publishable: list[Place] = []
    for p in places:
        reason = withhold_reason(p)
        if reason:
            report.withhold(p.source, p.row, p.name, *reason, number=p.number)
        else:
            publishable.append(p)
    assign_numbers(publishable, project.build.numbers_file, report)
    rep_points = representative_points(boundaries[project.finest_tier.id])
    published: list[PublicPlace] = []
    schedules: dict[str, object] = {}
    for p in publishable:
        if p.schedule_text not in schedules:  # many places share a schedule text: parse each once
            schedules[p.schedule_text] = parse_schedule(p.schedule_text)
        p.schedule = schedules[p.schedule_text]
        public = to_public(p, p.number, rep_points, project, today)
        if public.stale:
            report.add(
                Issue(
                    "info",
                    p.source,
                    p.row,
                    "最終確認日",
                    f"{project.build.stale_months} か月以上確認されていません（最終確認 {p.confirmed}）",
                    f"not confirmed for over {project.build.stale_months} months",
                    p.name,
                )
            )
        report.publish(p.source, p.row, p.name, public.number, public.id)
        published.append(public)
    published.sort(key=lambda q: q.number)
    report.stats["withheld_by_area"] = _withheld_counts(report, places, project)
    edition = Edition(project=project, boundaries=boundaries, places=published, report=report)
    if keep_private:
        edition.extras["private_places"] = validated
    return edition


def check_district_contacts(project: Project, boundaries: dict, report: Report) -> None:
    """A district coordinator in the config must name districts the boundary file has: a misspelt id
    would silently leave that district's places without a contact to show."""
    gdf = boundaries.get(project.district_tier.id)
    if gdf is None or not project.site.district_contacts:
        return
    known = {str(v) for v in gdf["area_id"]} if "area_id" in gdf.columns else set()
    for i, c in enumerate(project.site.district_contacts):
        for d in c.districts:
            if known and d not in known:
                report.add(
                    Issue(
                        "warning",
                        project.config_path.name,
                        None,
                        f"site.district_contacts[{i}].districts",
                        f"「{d}」という{project.district_tier.label or '地区'}のIDは境界データにありません"
                        f"（{c.name}）。ある ID: {'、'.join(sorted(known))}",
                        f"no district with id {d!r} in the boundaries ({c.name})",
                    )
                )


def _withheld_counts(report: Report, places: list[Place], project: Project) -> dict:
    """Coordinators-only: how many withheld places each district has (never on the public site)."""
    withheld = {(r.source, r.row) for r in report.rows if r.outcome == "withheld"}
    counts: dict[str, int] = {}
    tier = project.district_tier
    for p in places:
        if (p.source, p.row) in withheld and tier.id in p.areas:
            name = p.areas[tier.id][1]
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
