"""Stable numbers (一覧表No.): a place keeps its number across rebuilds and editions.

Taken from the sheet's No. column when there is one; otherwise assigned once and persisted in the map
project (numbers.json). Numbers only ever grow, so a retired number is never reused."""

from __future__ import annotations

import json
from pathlib import Path

from gis.output import write_atomic
from gis.place import Place, normalise_header
from gis.report import Issue, Report


def place_key(place: Place) -> str:
    """What identifies a place between editions when the sheet gives no number."""
    if place.record_id:
        return "id:" + normalise_header(place.record_id)
    return normalise_header(place.name) + "|" + normalise_header(place.address or place.venue)


def load_state(path: Path | None) -> dict:
    if path and path.is_file():
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            return {"next": int(state.get("next", 1)), "places": dict(state.get("places", {}))}
        except (ValueError, TypeError, AttributeError):
            pass
    return {"next": 1, "places": {}}


def assign_numbers(places: list[Place], path: Path | None, report: Report) -> None:
    """Give every place a number; remember new ones in `path` (written only when something changed)."""
    state = load_state(path)
    known: dict[str, int] = state["places"]
    owner = {n: k for k, n in known.items()}
    used = {p.number for p in places if p.number is not None}
    highest = max([state["next"] - 1, *known.values(), *used], default=0)
    changed = False
    for p in places:
        key = place_key(p)
        if p.number is not None:
            previous = owner.get(p.number)
            if previous is not None and previous != key and previous not in {place_key(q) for q in places}:
                report.add(
                    Issue(
                        "warning",
                        p.source,
                        p.row,
                        "No.",
                        f"No.{p.number} は以前は別の場所の番号でした（番号の使い回しは避けてください）",
                        f"No. {p.number} used to belong to another place: avoid reusing numbers",
                        p.name,
                    )
                )
            if known.get(key) != p.number:
                known[key] = p.number
                changed = True
    for p in places:
        if p.number is not None:
            continue
        key = place_key(p)
        number = known.get(key)
        if number is None or number in used:
            highest += 1
            number = highest
            known[key] = number
            changed = True
            report.add(
                Issue(
                    "info",
                    p.source,
                    p.row,
                    "No.",
                    f"No.{number} を新しく付けました",
                    f"assigned new No. {number}",
                    p.name,
                )
            )
        p.number = number
        used.add(number)
    new_next = max(highest, *used, 0) + 1 if used else highest + 1
    if new_next != state["next"]:
        changed = True
    if changed and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"next": new_next, "places": dict(sorted(known.items(), key=lambda kv: kv[1]))}
        write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
