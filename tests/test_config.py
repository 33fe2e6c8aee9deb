"""The map project's config: typed, every problem reported at once as file:line: key: message."""

from __future__ import annotations

import pytest

from gis.config import load_project
from gis.errors import ConfigError
from tests.projects import make_project


def test_tiny_project_loads_with_tiers_sorted_and_categories(tmp_path):
    project = load_project(make_project(tmp_path, []))
    assert [t.id for t in project.tiers] == ["city", "district", "nb"]
    assert project.district_tier.id == "district" and project.finest_tier.id == "nb"
    assert project.category("salon").label == "サロン"
    assert project.warnings == []


def test_all_errors_at_once_with_file_and_line(tmp_path):
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    text = text.replace('color = "#b3261e"', 'color = "red"').replace(
        'path = "data/records.csv"', 'path = "nope.csv"'
    )
    text = text.replace('edition = "2026-11-01"', 'edition = "令和8年"\ncolour_scheme = "dark"')
    (root / "takara.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(root)
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert any(
        line.startswith("takara.toml:") and "records[0].path" in line and "nope.csv" in line for line in lines
    )
    assert any("color" in line and "#RRGGBB" in line for line in lines)
    assert any("site.edition" in line and "YYYY-MM-DD" in line for line in lines)
    edition_line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("edition"))
    assert f"takara.toml:{edition_line}: site.edition" in str(err.value)


def test_unknown_keys_warn_but_load(tmp_path):
    root = make_project(tmp_path, [], extra_toml="")
    text = (root / "takara.toml").read_text(encoding="utf-8").replace("[build]", "[build]\nspeed = 3")
    (root / "takara.toml").write_text(text, encoding="utf-8")
    project = load_project(root)
    assert any("build.speed" in w and "unknown" in w for w in project.warnings)


def test_layers_folder_adds_categories_and_overlays(tmp_path):
    root = make_project(tmp_path, [])
    (root / "layers").mkdir()
    (root / "layers" / "bus.geojson").write_text(
        '{"type":"FeatureCollection","features":[]}', encoding="utf-8"
    )
    (root / "layers" / "more.toml").write_text(
        """
[[categories]]
id = "mobile"
label = "移動販売"
color = "#00695c"
icon = "🚚"

[[overlays]]
id = "bus"
name = "コミュニティバス"
path = "layers/bus.geojson"
kind = "lines"
popup_fields = ["路線名"]
""",
        encoding="utf-8",
    )
    project = load_project(root)
    assert [c.id for c in project.categories] == ["salon", "exercise", "mobile"]
    assert project.overlays[0].name == "コミュニティバス" and project.overlays[0].popup_fields == ("路線名",)


def test_missing_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="takara.toml"):
        load_project(tmp_path)


def test_each_error_is_reported_at_its_own_tables_line(tmp_path):
    """records[1].path and tiers[0].path each at the line of their own table, not where `path` first appears."""
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    text = text.replace(
        '[[tiers]]\nid = "city"',
        '[[records]]\npath = "second-missing.csv"\nsheet = 3\n\n[[tiers]]\nid = "city"',
        1,
    )
    text = text.replace('path = "data/boundaries/city.geojson"', 'path = "no-city.geojson"')
    (root / "takara.toml").write_text(text, encoding="utf-8")
    lines = text.splitlines()
    with pytest.raises(ConfigError) as err:
        load_project(root)
    errors = str(err.value).splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, t in enumerate(lines, 1) if needle in t)

    assert f"takara.toml:{line_of('second-missing.csv')}: records[1].path" in str(err.value), errors
    assert f"takara.toml:{line_of('sheet = 3')}: records[1].sheet" in str(err.value), errors
    assert f"takara.toml:{line_of('no-city.geojson')}: tiers[0].path" in str(err.value), errors
    assert len(errors) == 3


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('edition = "2026-11-01"', 'edition = "2026-02-30"', "'2026-02-30' is not a date"),
        ('edition = "2026-11-01"', 'edition = "2026-13-01"', "is not a date"),
        ('numbers_file = "data/numbers.json"', "stale_months = 0", "build.stale_months"),
        ('numbers_file = "data/numbers.json"', "suspicious_distance_m = -5", "build.suspicious_distance_m"),
        ('numbers_file = "data/numbers.json"', 'walk_distances_m = ["500"]', "build.walk_distances_m"),
        ('numbers_file = "data/numbers.json"', "walk_distances_m = []", "build.walk_distances_m"),
        ('numbers_file = "data/numbers.json"', "precision = 12", "build.precision"),
    ],
)
def test_impossible_values_are_refused_at_load_at_their_line(tmp_path, old, new, words):
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    (root / "takara.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(root)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == new)
    assert str(err.value).startswith(f"takara.toml:{line}: ") and words in str(err.value), str(err.value)


def test_every_config_problem_is_listed_at_once_with_dates_and_values(tmp_path):
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    text = text.replace('edition = "2026-11-01"', 'edition = "2026-02-30"')
    text = text.replace('numbers_file = "data/numbers.json"', "stale_months = 0\nprecision = 1")
    (root / "takara.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(root)
    assert len(str(err.value).splitlines()) == 3


def test_district_contacts_name_each_districts_coordinator(tmp_path):
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    text += (
        '\n[[site.district_contacts]]\ndistricts = ["d1", "d2"]\nname = "東地域包括支援センター"\nphone = "000-1"\n'
        '\n[[site.district_contacts]]\ndistricts = ["d3"]\nname = "西地域包括支援センター"\n'
    )
    (root / "takara.toml").write_text(text, encoding="utf-8")
    site = load_project(root).site
    assert site.contact_for("d2").name == "東地域包括支援センター"
    assert site.contact_for("d3").name == "西地域包括支援センター"
    general = site.contacts[0].name if site.contacts else None
    assert (site.contact_for("elsewhere").name if site.contact_for("elsewhere") else None) == general


@pytest.mark.parametrize(
    "entry",
    [
        'name = "包括"',
        'districts = []\nname = "包括"',
        'districts = "d1"\nname = "包括"',
        'districts = ["d1"]',
    ],
    ids=["no-districts", "empty", "not-a-list", "no-name"],
)
def test_a_district_contact_without_districts_or_name_is_an_error_naming_the_line(tmp_path, entry):
    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8") + f"\n[[site.district_contacts]]\n{entry}\n"
    (root / "takara.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(root)
    message = str(err.value)
    assert "site.district_contacts[0]" in message and message.startswith("takara.toml:")
    assert "地区" in message or "name" in message


def test_a_district_contact_for_an_unknown_district_is_reported(tmp_path):
    from gis.pipeline import run

    root = make_project(tmp_path, [])
    text = (root / "takara.toml").read_text(encoding="utf-8")
    text += '\n[[site.district_contacts]]\ndistricts = ["nowhere"]\nname = "包括"\n'
    (root / "takara.toml").write_text(text, encoding="utf-8")
    edition = run(load_project(root))
    lines = [i.line() for i in edition.report.issues if "district_contacts" in i.field]
    assert len(lines) == 1 and "nowhere" in lines[0] and "境界データにありません" in lines[0]
