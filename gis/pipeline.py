"""The pipeline, top to bottom: read → validate → geocode → assign tiers → privacy → numbers → edition.

Nothing here writes the site; gis.cli wires this to the output stages."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import date

import gis.kml  # noqa: F401  (registers the KML/KMZ/uMap record readers)
from gis.columns import likely_consent
from gis.config import Project
from gis.edition import Edition, PrivateInputs
from gis.errors import InputError
from gis.geocode import Geocoder, distance_m, looks_swapped
from gis.numbering import assign_numbers
from gis.place import VENUE_HOME, Place, PublicPlace, normalise_header
from gis.privacy import (
    Link,
    PublicVenues,
    area_point,
    decide_location,
    link_message,
    link_rows,
    masked_texts,
    masking_message,
    phone_digits,
    to_public,
    withhold_reason,
)
from gis.records import RawRow, ReadResult, read_source
from gis.report import Issue, Report
from gis.schedule_parse import parse_schedule
from gis.tiers import assign_areas, link_parents, load_boundaries, representative_points
from gis.validate import validate_rows

Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


def edition_date(project: Project) -> date:
    """The date the edition speaks for: the config's edition date (so builds are reproducible), else the
    day of the build. Every output reads it from Edition.date; nothing else derives it."""
    if project.site.edition:
        return date.fromisoformat(project.site.edition)
    return date.today()


def read_all(project: Project, report: Report) -> list[RawRow]:
    rows: list[RawRow] = []
    for source in project.records:
        result = read_source(source)
        if result.table and "consent" not in result.columns.values():
            raise InputError(source.label or source.path.name, _no_consent_message(result))
        rows += result.rows
        report.notes += result.notes
        report.columns.append(
            {
                "source": source.label or source.path.name,
                "mapping": result.columns,
                "unused": result.unused,
                "proposals": [
                    {"header": p.header, "field": p.field, "why": p.ja, "toml": p.toml_line()}
                    for p in result.proposals
                ],
            }
        )
        for row, text in result.skipped:
            report.skip(source.label or source.path.name, row, text)
    return rows


def _no_consent_message(result: ReadResult) -> str:
    """Never a silent "0 published": say which column is probably the consent and how to name it, with a
    ready [records.columns] line for every column the build could read (one per line, to paste)."""
    likely = likely_consent(result.proposals, dict(enumerate(result.unused)))
    ask = (
        f"列「{likely}」が掲載可否の列なら、takara.toml のこのファイルの [records.columns] に次の行を加えてください"
        if likely
        else "掲載してよいかを 可・不可 で書いた列（掲載可否）を加えるか、その列を [records.columns] で "
        '"列名" = "consent" と対応づけてください（空欄の行は掲載しません）'
    )
    lines = [p.toml_line() for p in result.proposals if p.field]
    if likely and f'"{likely}" = "consent"' not in "\n".join(lines):
        lines.insert(0, f'{json.dumps(likely, ensure_ascii=False)} = "consent"')
    paste = ("\n[records.columns]\n" + "\n".join(lines)) if lines else ""
    return f"掲載可否（掲載してよいか）の列が見つかりません。{ask} / no consent column found{paste}"


def load_all_boundaries(project: Project, report: Report) -> dict:
    from gis.towns import load_town_tiers

    notes: list[str] = []
    from_towns, issues = load_town_tiers(project, notes)
    boundaries = {
        tier.id: from_towns[tier.id] if tier.from_towns else load_boundaries(tier, notes)
        for tier in project.tiers
    }
    link_parents(boundaries, project.tiers)
    report.notes += notes
    for issue in issues:
        report.add(issue)
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
                if hit.lat is not None and hit.lon is not None:
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
    lons = [float(p.lon) for p in places if p.lon is not None]
    lats = [float(p.lat) for p in places if p.lat is not None]
    assert len(lons) == len(lats) == len(places), "every place is located before tiers are assigned"
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
    project: Project,
    report: Report | None = None,
    progress: Progress = _quiet,
    keep_private: bool = False,
    save_numbers: bool = True,
) -> Edition:
    """save_numbers=False leaves numbers.json as it is (`validate` writes nothing but its report).
    With keep_private, every validated Place (private fields included) is kept on
    edition.private, with every raw row, for the leak
    scanner (gis.leaks); never hand them to an output stage."""
    report = report or Report()
    today = edition_date(project)
    rows = read_all(project, report)
    boundaries = load_all_boundaries(project, report)
    check_district_contacts(project, boundaries, report)
    places = validate_rows(rows, project, report)
    validated = list(places)
    contacts = {phone_digits(c.phone) for c in project.site.contacts}
    report_links(link_rows(validated, contacts), report)
    places = geocode(places, project, boundaries, report, progress)
    places = assign_tiers(places, project, boundaries, report)

    publishable: list[Place] = []
    for p in places:
        reason = withhold_reason(p)
        if reason:
            report.withhold(p.source, p.row, p.name, *reason, number=p.number)
        else:
            publishable.append(p)
    rep_points = {t.id: representative_points(boundaries[t.id]) for t in project.tiers}
    venues = PublicVenues.of(project)
    publishable = _decide_locations(publishable, project, rep_points, venues, report)
    assign_numbers(publishable, project.build.numbers_file, report, save=save_numbers)
    published: list[PublicPlace] = []
    schedules: dict[str, object] = {}
    for p in publishable:
        assert p.number is not None  # assign_numbers numbered every publishable place
        public = to_public(p, p.number, rep_points, project, today, venues)
        if public.schedule_text not in schedules:  # many places share a schedule text: parse each once
            schedules[public.schedule_text] = parse_schedule(public.schedule_text)
        public = dataclasses.replace(public, schedule=schedules[public.schedule_text])
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
    return Edition(
        project=project,
        boundaries=boundaries,
        places=published,
        report=report,
        date=today,
        sources={p.number: (p.source, p.row) for p in publishable if p.number is not None},
        private=PrivateInputs(validated, rows) if keep_private else None,
    )


def report_links(links: list[Link], report: Report) -> None:
    for link in links:
        p = link.place
        report.add(Issue("warning", p.source, p.row, link.why, *link_message(link), p.name))


def _decide_locations(
    places: list[Place],
    project: Project,
    rep_points: dict[str, dict[str, tuple[float, float]]],
    venues: PublicVenues,
    report: Report,
) -> list[Place]:
    """Each place's privacy decision (exact or area level, and why) and each masked text, into the report.
    A place whose area points all lie within 100 m of it is withheld: it cannot be shown safely."""
    tier_ids = [t.id for t in project.tiers]
    kept: list[Place] = []
    for p in places:
        decision = decide_location(p, venues)
        if not decision.exact and area_point(p, rep_points, tier_ids) is None:
            report.withhold(
                p.source,
                p.row,
                p.name,
                "会場が公開の会場と確認できず、100 m 以上離れた地区の代表点もないため",
                "not known public and no area point at least 100 m away",
                number=p.number,
            )
            continue
        kept.append(p)
        maskings = masked_texts(p, decision.exact)[1]
        report.decisions.append(
            {
                "source": p.source,
                "row": p.row,
                "name": p.name,
                "location": decision.how,
                "reason": f"{decision.ja} / {decision.en}",
                "masked": [{"column": m.column, "kind": m.kind, "found": m.found} for m in maskings],
            }
        )
        if not decision.exact:
            # A home written as such in 会場種別 is expected; anything else the coordinator should look at.
            severity = "info" if p.venue_kind == VENUE_HOME and decision.home else "warning"
            report.add(Issue(severity, p.source, p.row, "会場", decision.ja, decision.en, p.name))
        for m in maskings:
            report.add(Issue("warning", p.source, p.row, m.column, *masking_message(m), p.name))
    return kept


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
