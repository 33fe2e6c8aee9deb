"""The view (gis.view): area slugs, search folding, the interface catalogues."""

from __future__ import annotations

import json
import re

import pytest

from gis import view as site_mod

# The print, export and statistics stages (tested in their own files) write nothing here.
pytestmark = pytest.mark.usefixtures("site_only_stages")


def test_unsafe_area_ids_become_safe_folder_names():
    assert site_mod.slug("W-1") == "W-1"
    for bad in ("../etc", "a/b", "中央", "", ".hidden"):
        s = site_mod.slug(bad)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", s) and ".." not in s and "/" not in s
    assert site_mod.slug("中央") == site_mod.slug("中央") != site_mod.slug("中央2")


def test_catalogues_have_the_same_keys_and_a_missing_key_fails_the_build():
    ja = json.loads((site_mod.TEMPLATE_ROOT / "i18n" / "ja.json").read_text(encoding="utf-8"))
    en = json.loads((site_mod.TEMPLATE_ROOT / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(ja) == set(en)
    t = site_mod.Catalogue("ja")
    with pytest.raises(KeyError):
        t("no.such.key")
    # every t("…") used by a template or the script exists
    used = set()
    for path in (site_mod.TEMPLATE_ROOT / "templates").glob("*"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    js = (site_mod.TEMPLATE_ROOT / "assets" / "takara.js").read_text(encoding="utf-8")
    used |= set(re.findall(r"""\bt\('([a-z_.]+)'""", js))
    assert used and used <= set(ja), used - set(ja)
