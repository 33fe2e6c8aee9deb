"""Stable numbers (一覧表No.) across rebuilds and editions; a retired number is never reused."""

from __future__ import annotations

from gis.numbering import assign_numbers
from gis.place import Place
from gis.report import Report


def _p(name: str, number: int | None = None) -> Place:
    return Place(source="r.csv", row=2, name=name, address=f"{name}町1", number=number)


def test_sheet_numbers_are_kept_and_new_ones_follow(tmp_path):
    path = tmp_path / "numbers.json"
    places = [_p("あ", 3), _p("い"), _p("う", 1)]
    assign_numbers(places, path, Report())
    assert [p.number for p in places] == [3, 4, 1]


def test_assigned_numbers_persist_and_retired_ones_are_not_reused(tmp_path):
    path = tmp_path / "numbers.json"
    first = [_p("あ"), _p("い"), _p("う")]
    assign_numbers(first, path, Report())
    assert [p.number for p in first] == [1, 2, 3]
    # next edition: い has ended, え is new, order changed
    second = [_p("え"), _p("う"), _p("あ")]
    assign_numbers(second, path, Report())
    assert {p.name: p.number for p in second} == {"あ": 1, "う": 3, "え": 4}
    third = [_p("い"), _p("お")]  # い comes back: it gets its old number again
    assign_numbers(third, path, Report())
    assert {p.name: p.number for p in third} == {"い": 2, "お": 5}


def test_rebuild_without_changes_does_not_touch_the_file(tmp_path):
    path = tmp_path / "numbers.json"
    assign_numbers([_p("あ"), _p("い")], path, Report())
    before = path.stat().st_mtime_ns, path.read_bytes()
    assign_numbers([_p("あ"), _p("い")], path, Report())
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
