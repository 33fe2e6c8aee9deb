"""Stable numbers (一覧表No.) across rebuilds and editions; a retired number is never reused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.errors import InputError
from gis.numbering import assign_numbers, load_state
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


# ---------------------------------------------------------------- damaged numbers files

GOOD = {"next": 4, "places": {"あ|あ町1": 1, "い|い町1": 2, "う|う町1": 3}}


def _mutations() -> st.SearchStrategy[str]:
    text = json.dumps(GOOD, ensure_ascii=False, indent=1)
    cut = st.integers(0, len(text) - 1).map(lambda k: text[:k])
    conflict = st.integers(0, len(text)).map(
        lambda k: text[:k] + "\n<<<<<<< HEAD\n" + text[k:] + "\n=======\n" + text + "\n>>>>>>> other\n"
    )
    odd = st.recursive(
        st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=6,
    )
    replaced = st.tuples(st.sampled_from(["next", "places", "あ|あ町1"]), odd).map(
        lambda kv: json.dumps(
            {**GOOD, kv[0]: kv[1]}
            if kv[0] != "あ|あ町1"
            else {**GOOD, "places": {**GOOD["places"], kv[0]: kv[1]}}
        )
    )
    return st.one_of(cut, conflict, replaced, st.binary(max_size=40).map(lambda b: b.decode("latin-1")))


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(_mutations())
def test_a_damaged_numbers_file_stops_with_one_line_or_keeps_every_number(tmp_path_factory, text):
    """Never silently reset: either a one-line error that says how to recover, or the numbers as they were
    (and a new place then gets a number above every number ever given)."""
    path = tmp_path_factory.mktemp("n") / "numbers.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    before = path.read_bytes()
    places = [_p("あ"), _p("え")]
    try:
        assign_numbers(places, path, Report())
    except InputError as exc:
        message = str(exc)
        assert message.startswith("numbers.json: ") and "\n" not in message
        assert "previous edition's data/places.csv" in message
        assert path.read_bytes() == before  # the damaged file is left for the coordinator to see
        return
    state = load_state(path)
    kept = json.loads(before) if before.strip() else {}
    old_numbers = set((kept.get("places") or {}).values()) if isinstance(kept, dict) else set()
    if isinstance(kept, dict) and kept.get("places", {}).get("あ|あ町1"):
        assert places[0].number == kept["places"]["あ|あ町1"]
    assert places[1].number not in old_numbers - {places[1].number} or places[1].number > max(old_numbers)
    assert places[1].number >= max([0, *old_numbers]) + 1 and state["next"] > places[1].number


def test_merge_conflict_markers_stop_the_build_instead_of_renumbering(tmp_path):
    path = tmp_path / "numbers.json"
    assign_numbers([_p("あ"), _p("い"), _p("う")], path, Report())
    good = path.read_text(encoding="utf-8")
    path.write_text("<<<<<<< HEAD\n" + good + "=======\n" + good + ">>>>>>> branch\n", encoding="utf-8")
    with pytest.raises(InputError, match="merge-conflict markers"):
        assign_numbers([_p("え")], path, Report())


def test_a_retired_number_is_never_given_again_even_when_next_is_low(tmp_path):
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps({"next": 1, "places": {"い|い町1": 7}}), encoding="utf-8")
    places = [_p("え")]
    assign_numbers(places, path, Report())
    assert places[0].number == 8


def test_validate_writes_nothing_but_the_report(tmp_path):
    from gis.cli import main
    from tests.projects import make_project, row

    project = make_project(tmp_path / "p", [row(), row(名称="体操の会", 種別="体操")])
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    report = tmp_path / "report.json"
    assert main(["validate", str(project), "--report", str(report)]) == 0
    assert report.is_file()
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # no numbers.json, no cache
