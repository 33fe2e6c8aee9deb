"""Docs that are tested: the README's config reference names every key the config reads, and its
example parses as TOML with only known keys."""

from __future__ import annotations

import re
import tomllib

from gis.config import KEYS
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _config_example() -> str:
    section = README.split("## Config reference", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)


def test_every_config_key_is_documented_in_the_readme_example():
    example = tomllib.loads(_config_example())
    documented = {
        "": set(example),
        "site": set(example["site"]),
        "build": set(example["build"]),
        "print": set(example["print"]),
        "insight": set(example["insight"]),
        "privacy": set(example["privacy"]),
        "records": set(example["records"][0]),
        "tiers": set().union(*example["tiers"]),  # a boundary tier and the town-list kinds
        "towns": set(example["towns"]),
        "categories": set(example["categories"][0]),
        "overlays": set(example["overlays"][0]),
    }
    for table, keys in KEYS.items():
        if table == "layers":
            continue
        assert keys == documented[table], f"README config reference for [{table}] is out of date"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "make demo" in README and "make test" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert [line for line in ci if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]
