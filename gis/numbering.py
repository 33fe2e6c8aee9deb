"""Stable numbers (一覧表No.): a place keeps its number across rebuilds and editions.

Taken from the sheet's No. column when there is one; otherwise assigned once and persisted in the map
project (numbers.json). Numbers only ever grow, so a retired number is never reused."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gis.errors import InputError
from gis.output import write_atomic
from gis.place import Place, normalise_header
from gis.report import Issue, Report


def place_key(place: Place) -> str:
    """What identifies a place between editions when the sheet gives no number."""
    if place.record_id:
        return "id:" + normalise_header(place.record_id)
    return normalise_header(place.name) + "|" + normalise_header(place.address or place.venue)


def _damaged(path: Path, why: str) -> InputError:
    """`why` is "日本語 / English"; each half goes into its own language's sentence."""
    ja, _, en = why.partition(" / ")
    return InputError(
        path.name,
        f"番号の記録が壊れています（{ja}）。git などで前の版に戻すか、前回公開したサイトの data/places.csv の"
        "「No.」列を記録の「No.」列に写してから、このファイルを消してください。番号が変わるのを防ぐため作成を止めました / "
        f"the numbers file is damaged ({en or ja}): restore it from version control, or copy the No. column of "
        "the previous edition's data/places.csv into the records' No. column and delete this file; the "
        "build stopped so that no place is renumbered",
    )


_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)


def load_state(path: Path | None) -> dict:
    """The numbers given so far. A damaged file stops the build: starting afresh would renumber every
    place and hand retired numbers to new ones."""
    if not path or not path.exists():
        return {"next": 1, "places": {}}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"読めません / unreadable: {type(exc).__name__}") from None
    if _CONFLICT.search(text):
        raise _damaged(path, "マージの衝突の印 <<<<<<< があります / merge-conflict markers")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError):
        raise _damaged(path, "JSON として読めません / not JSON") from None
    if not isinstance(state, dict) or not isinstance(state.get("places", {}), dict):
        raise _damaged(path, "形式が違います / not the numbers layout")
    places = state.get("places", {})
    for key, number in places.items():
        if not _is_number(number):
            raise _damaged(
                path, f"「{str(key)[:30]}」の番号 {str(number)[:20]} が正の整数ではありません / bad number"
            )
    next_number = state.get("next", 1)
    if not _is_number(next_number):
        raise _damaged(path, f"next {str(next_number)[:20]} が正の整数ではありません / bad next number")
    return {"next": next_number, "places": dict(places)}


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 10**9


def assign_numbers(places: list[Place], path: Path | None, report: Report, save: bool = True) -> None:
    """Give every place a number; remember new ones in `path` (written only when something changed, and
    never with save=False: `validate` writes nothing but its report)."""
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
    if changed and save and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"next": new_next, "places": dict(sorted(known.items(), key=lambda kv: kv[1]))}
        write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
