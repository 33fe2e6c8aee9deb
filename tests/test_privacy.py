"""The privacy rules every output relies on."""

from __future__ import annotations

from datetime import date

import pytest

from gis.config import load_project
from gis.place import Place
from gis.privacy import HOME_VENUE_LABEL, cut_to_town, to_public, withhold_reason
from tests.projects import make_project


@pytest.fixture
def project(tmp_path):
    return load_project(make_project(tmp_path, []))


def _place(**kw) -> Place:
    base = {
        "source": "r.csv",
        "row": 2,
        "name": "山田さん家のお茶会",
        "category": "salon",
        "venue": "山田花子さん宅",
        "venue_kind": "自宅",
        "address": "和歌山県ミニ町西南町12-34",
        "lat": 35.00312,
        "lon": 135.00456,
        "consent": True,
        "contact": "090-0000-1234",
        "areas": {"city": ("T", "ミニ町"), "district": ("A", "西地区"), "nb": ("A1", "西南自治会")},
        "town": "西南町",
    }
    base.update(kw)
    return Place(**base)


@pytest.mark.parametrize(
    "consent, status, withheld",
    [
        (True, "活動中", False),
        (True, "休止中", False),
        (False, "活動中", True),
        (None, "活動中", True),
        (True, "終了", True),
    ],
)
def test_records_without_consent_or_ended_are_withheld(consent, status, withheld):
    assert (withhold_reason(_place(consent=consent, status=status)) is not None) is withheld


def test_home_venue_is_published_only_at_its_area_point(project):
    public = to_public(_place(), 7, {"A1": (35.005, 135.005)}, project, date(2026, 11, 1))
    assert (public.lat, public.lon) == (35.005, 135.005)
    assert public.address == "和歌山県ミニ町西南町"
    assert public.venue == HOME_VENUE_LABEL and "山田花子" not in public.venue
    assert public.location_precision == "area"


def test_public_venue_keeps_its_exact_point_at_config_precision(project):
    public = to_public(
        _place(venue_kind="集会所", venue="西南集会所", lat=35.0031234567), 7, {}, project, date(2026, 11, 1)
    )
    assert public.lat == 35.003123 and public.address.endswith("12-34") and public.venue == "西南集会所"


def test_contact_and_photo_only_with_consent(project):
    today = date(2026, 11, 1)
    assert to_public(_place(), 1, {}, project, today).phone == ""
    assert to_public(_place(contact_consent=True), 1, {}, project, today).phone == "090-0000-1234"
    assert to_public(_place(photo="p.jpg"), 1, {}, project, today).photo == ""
    assert to_public(_place(photo="p.jpg", photo_consent=True), 1, {}, project, today).photo == "p.jpg"


@pytest.mark.parametrize(
    "address, town, expected",
    [
        ("岡山県たから市本町二丁目3-5", "", "岡山県たから市本町二丁目"),
        ("たから市本町2丁目3番5号", "", "たから市本町2丁目"),
        ("和歌山県ミニ町西南町12-34", "西南町", "和歌山県ミニ町西南町"),
        ("たから市大字山田1234番地", "", "たから市大字山田"),
    ],
)
def test_address_cut_to_town(address, town, expected):
    assert cut_to_town(address, town) == expected


def test_stale_flag_uses_months_since_confirmation(project):
    today = date(2026, 11, 1)
    assert to_public(_place(confirmed=date(2025, 10, 1)), 1, {}, project, today).stale
    assert not to_public(_place(confirmed=date(2025, 12, 1)), 1, {}, project, today).stale
