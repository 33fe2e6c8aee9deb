"""The privacy rules every output relies on."""

from __future__ import annotations

from datetime import date

import pytest

from gis.config import load_project
from gis.place import Place
from gis.privacy import HOME_VENUE_LABEL, cut_to_town, to_public, withhold_reason
from tests.projects import make_project

REP = {"nb": {"A1": (35.005, 135.005)}, "district": {"A": (35.01, 135.005)}, "city": {"T": (35.01, 135.01)}}


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
    public = to_public(_place(), 7, {"nb": {"A1": (35.005, 135.005)}}, project, date(2026, 11, 1))
    assert (public.lat, public.lon) == (35.005, 135.005)
    assert public.address == "和歌山県ミニ町西南町"
    assert public.venue == HOME_VENUE_LABEL and "山田花子" not in public.venue
    assert public.location_precision == "area"


def test_public_venue_keeps_its_exact_point_at_config_precision(project):
    public = to_public(
        _place(name="お茶会", venue_kind="集会所", venue="西南集会所", lat=35.0031234567),
        7,
        REP,
        project,
        date(2026, 11, 1),
    )
    assert public.lat == 35.003123 and public.address.endswith("12-34") and public.venue == "西南集会所"
    assert public.location_precision == "exact"


def test_contact_and_photo_only_with_consent(project):
    today = date(2026, 11, 1)
    assert to_public(_place(), 1, REP, project, today).phone == ""
    assert to_public(_place(contact_consent=True), 1, REP, project, today).phone == "090-0000-1234"
    assert to_public(_place(photo="p.jpg"), 1, REP, project, today).photo == ""
    assert to_public(_place(photo="p.jpg", photo_consent=True), 1, REP, project, today).photo == "p.jpg"


@pytest.mark.parametrize(
    "address, town, expected",
    [
        ("岡山県たから市本町二丁目3-5", "", "岡山県たから市本町二丁目"),
        ("たから市本町2丁目3番5号", "", "たから市本町2丁目"),
        ("和歌山県ミニ町西南町12-34", "西南町", "和歌山県ミニ町西南町"),
        ("たから市大字山田1234番地", "", "たから市大字山田"),
        ("たから市本町 コーポ山田", "", "たから市本町"),
        ("たから市栄町グリーンハイツ", "", "たから市栄町"),
        ("たから市北町（山田方）", "", "たから市北町"),
    ],
)
def test_address_cut_to_town(address, town, expected):
    assert cut_to_town(address, town) == expected


def test_stale_flag_uses_months_since_confirmation(project):
    today = date(2026, 11, 1)
    assert to_public(_place(confirmed=date(2025, 10, 1)), 1, REP, project, today).stale
    assert not to_public(_place(confirmed=date(2025, 12, 1)), 1, REP, project, today).stale


# ---------------------------------------------------------------- exact only when known public

HOME_WORDINGS = [  # (会場種別, 会場): every one is someone's home, however it is written
    ("自宅", "山田さん宅"),
    ("自宅（離れ）", "山田家の離れ"),
    ("個人宅（山田）", "山田"),
    ("自宅兼店舗", "やまだ商店"),
    ("個人宅", "公民館の向かい"),
    ("民家", "古い民家"),
    ("私宅", "田中"),
    ("居宅", "佐藤"),
    ("会員宅", "会員の家"),
    ("持ち回り", "会員宅の持ち回り"),
    ("private home", "Yamada's house"),
    ("home", "someone's home"),
    ("", "山田様方"),
    ("", "山田邸"),
    ("", "山田宅にて"),
    ("", "山田宅"),
    ("", "山田さんの家"),
    ("", "鈴木さんち"),
    ("", "田中花子様宅"),
    ("", "佐藤さま方"),
    ("", "高橋氏宅"),
    ("", "代表者宅"),
    ("", "世話人宅（月替わり）"),
    ("", "各家庭を回ります"),
    ("", "公民館長宅"),
    ("", "集会所隣の山田宅"),
    ("", "山田さん方 1階"),
    ("", "ＹＡＭＡＤＡさん宅"),
    ("", "山田ちゃんち"),
    ("公民館", "山田さん宅"),
    ("集会所", "山田様方"),
    ("公共施設", "自宅"),
    ("店舗", "自宅兼店舗（山田）"),
    ("その他", "個人の家"),
]


@pytest.mark.parametrize("kind, venue", HOME_WORDINGS)
def test_every_wording_of_a_private_home_is_published_at_area_level(project, kind, venue):
    place = _place(venue_kind=kind, venue=venue, name="お茶のみ会")
    public = to_public(place, 7, REP, project, date(2026, 11, 1))
    assert public.location_precision == "area"
    assert (public.lat, public.lon) == (35.005, 135.005)
    assert public.address == "和歌山県ミニ町西南町"
    assert "山田" not in public.venue + public.venue_kind and public.venue == HOME_VENUE_LABEL


def test_there_are_at_least_thirty_home_wordings():
    assert len(HOME_WORDINGS) >= 30


@pytest.mark.parametrize(
    "kind, venue, exact",
    [
        ("公民館", "西南公民館", True),
        ("集会所", "西南集会所", True),
        ("公共施設", "ミニ町役場", True),
        ("店舗", "やまだ商店", True),
        ("公園・屋外", "西南公園", True),
        ("寺社", "西南神社", True),
        ("学校", "西南小学校", True),
        ("福祉施設", "デイサービスひなた", True),
        ("オンライン", "Zoom", True),
        ("", "西南公民館 2階和室", True),  # blank kind, venue recognised by its words
        ("", "西南神社前 広場", True),
        ("", "ひだまり", False),  # blank kind, venue not recognised as public
        ("", "", False),  # no venue at all
        ("その他", "西南公民館", False),  # a kind that is not a public kind
        ("倉庫", "西南倉庫", False),  # an unknown kind
        ("", "グリーンハイツ101", False),
    ],
)
def test_exact_only_when_the_venue_is_known_public(project, kind, venue, exact):
    place = _place(venue_kind=kind, venue=venue, name="体操の会")
    public = to_public(place, 7, REP, project, date(2026, 11, 1))
    assert public.location_precision == ("exact" if exact else "area")
    if exact:
        assert (public.lat, public.address, public.venue) == (35.00312, place.address, venue)
    else:
        assert public.lat == 35.005 and public.address == "和歌山県ミニ町西南町"
        assert venue not in public.venue or not venue


def test_public_kinds_words_and_a_facility_list_come_from_the_config(tmp_path):
    from tests.projects import make_project

    facilities = tmp_path / "p" / "facilities.geojson"
    root = make_project(
        tmp_path / "p",
        [],
        extra_toml="""
[privacy]
public_kinds = ["公民館", "防災倉庫"]
public_venue_words = ["ふれあい館"]
facilities = ["facilities.geojson"]
""",
    )
    facilities.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"施設・場所名":"ミニ町立ひまわり園"},'
        '"geometry":{"type":"Point","coordinates":[135.005,35.005]}}]}',
        encoding="utf-8",
    )
    configured = load_project(root)
    today = date(2026, 11, 1)

    def how(kind: str, venue: str) -> str:
        place = _place(name="お茶会", venue_kind=kind, venue=venue)  # the default name reads as a home
        return to_public(place, 1, REP, configured, today).location_precision

    assert how("防災倉庫", "西南防災倉庫") == "exact"
    assert how("店舗", "やまだ商店") == "area"  # 店舗 is no longer in the project's list
    assert how("", "西南ふれあい館") == "exact"
    assert how("", "西南公民館") == "area"  # the project's own words replace the defaults
    assert how("", "ミニ町立ひまわり園") == "exact"  # named in the facility file
    assert how("", "ミニ町立ひまわり園 2階") == "exact"


# ---------------------------------------------------------------- area level never reveals the home


def test_an_area_point_is_never_within_100_m_of_the_home(project):
    from gis.geocode import distance_m

    near = _place(lat=35.0052, lon=135.0051)  # 25 m from its neighbourhood's point: go up a tier
    public = to_public(near, 1, REP, project, date(2026, 11, 1))
    assert (public.lat, public.lon) == (35.01, 135.005)
    assert distance_m(near.lat, near.lon, public.lat, public.lon) >= 100


def test_a_home_outside_the_finest_tier_gets_the_next_tier_point(project):
    outside = _place(areas={"city": ("T", "ミニ町"), "district": ("A", "西地区")})
    public = to_public(outside, 1, REP, project, date(2026, 11, 1))
    assert (public.lat, public.lon) == (35.01, 135.005) and public.location_precision == "area"


def test_a_home_with_no_safe_area_point_is_withheld(tmp_path, monkeypatch):
    from gis import pipeline
    from gis.privacy import area_point
    from gis.report import Report
    from gis.tiers import representative_points
    from tests.projects import make_project, row

    home = _place(lat=35.0031, lon=135.0046)
    assert area_point(home, {"nb": {"A1": (35.0035, 135.0046)}}, ["city", "district", "nb"]) is None
    # Every area's point within 100 m of the home (tiny areas): the build withholds it, saying why.
    monkeypatch.setattr(
        pipeline,
        "representative_points",
        lambda gdf: dict.fromkeys(representative_points(gdf), (35.0035, 135.0046)),
    )
    root = make_project(
        tmp_path / "p",
        [row(名称="小さな町の会", 会場="山田さん宅", 会場種別="自宅", 緯度="35.0031", 経度="135.0046")],
    )
    edition = pipeline.run(load_project(root), Report())
    assert edition.places == []
    [outcome] = edition.report.rows
    assert outcome.outcome == "withheld" and "100 m" in outcome.reason


# ---------------------------------------------------------------- free text


def _build(tmp_path, rows, **kw):
    from gis import pipeline
    from gis.report import Report
    from tests.projects import make_project

    root = make_project(tmp_path / "p", rows, **kw)
    return pipeline.run(load_project(root), Report())


def _warnings(edition, column=None):
    return [i for i in edition.report.issues if i.severity == "warning" and column in (None, i.field)]


@pytest.mark.parametrize(
    "text",
    [
        "連絡は090-1234-5678まで",
        "電話 ０９０－１２３４－５６７８ へ",
        "TEL(0739)22-4466",
        "0739 22 4466 山田",
        "〇九〇一二三四五六七八に電話",
        "+81-90-1234-5678",
        "０７３９ー２２ー４４６６",
    ],
)
def test_phones_in_free_text_are_masked_however_written(project, text):
    public = to_public(
        _place(story=text, venue_kind="集会所", venue="西南集会所"), 1, REP, project, date(2026, 11, 1)
    )
    assert "〔非公開〕" in public.story
    digits = "".join(ch for ch in public.story if ch.isdigit())
    assert len(digits) < 8, public.story


def test_free_text_masks_addresses_emails_and_home_names_in_every_field(tmp_path):
    from tests.projects import row

    edition = _build(
        tmp_path,
        [
            row(
                名称="山田さん宅サロン",
                活動内容="会場は西南町3-21-7の山田様方です",
                開催日時="毎週水曜 10:00～12:00（鈴木さんちで）",
                対象="本町1234番地の方",
                参加費="100円（振込は yamada@example.jp へ）",
            )
        ],
    )
    [p] = edition.places
    published = " ".join((p.name, p.activities, p.schedule_text, p.target, p.fee))
    for secret in ("山田さん宅", "3-21-7", "山田様方", "鈴木さんち", "1234番地", "yamada@example.jp"):
        assert secret not in published, published
    assert p.schedule is not None and "鈴木" not in p.schedule.text  # calendars read the masked text
    columns = {i.field for i in _warnings(edition) if "置き換えて" in i.message}
    assert columns == {"名称", "活動内容", "開催日時", "対象", "参加費"}
    assert all(
        i.source == "data/records.csv" and i.row == 2 for i in _warnings(edition) if "置き換えて" in i.message
    )


def test_the_records_own_consented_phone_and_public_address_stay(tmp_path):
    from tests.projects import row

    edition = _build(
        tmp_path,
        [
            row(
                連絡先="0739-20-0000",
                連絡先掲載="可",
                活動内容="お問い合わせは 0739-20-0000 へ。会場は西南町1-2の集会所です。",
            ),
            row(
                名称="電話は載せない会",
                連絡先="0739-20-1111",
                連絡先掲載="不可",
                活動内容="電話 0739-20-1111",
            ),
        ],
    )
    first, second = edition.places
    assert "0739-20-0000" in first.activities and "西南町1-2" in first.activities
    assert second.activities == "電話 〔非公開〕" and second.phone == ""


# ---------------------------------------------------------------- one group, several rows


def test_rows_of_the_same_group_share_the_strictest_consent(tmp_path):
    from tests.projects import row

    edition = _build(
        tmp_path,
        [
            row(名称="ひまわりサロン", 連絡先="0739-55-1000", 連絡先掲載="可"),
            row(名称="ひまわり\u200bサロン", 掲載可否="不可"),  # a zero-width space
            row(名称="ｈｉｍａｗａｒｉ 体操", 連絡先="0739-55-2000", 連絡先掲載="可"),
            row(名称="himawari体操", 連絡先="0739-55-2000", 連絡先掲載="可"),
            row(名称="朝の体操", 連絡先="0739 55 3000", 連絡先掲載="可"),
            row(名称="夕方の体操", 連絡先="０７３９-５５-３０００", 連絡先掲載="不可"),
        ],
    )
    names = {p.name: p for p in edition.places}
    assert "ひまわりサロン" not in names  # the group said 不可 in one of its rows
    assert names["ｈｉｍａｗａｒｉ 体操".replace("ｈｉｍａｗａｒｉ", "himawari")].phone == "0739-55-2000"
    assert names["朝の体操"].phone == ""  # the same phone withheld by another row
    linked = [i for i in _warnings(edition) if "同じ" in i.message]
    assert {(i.row, i.field) for i in linked} == {(2, "名称"), (6, "電話番号")}


# ---------------------------------------------------------------- photos


def test_a_photo_symlinked_to_a_file_outside_the_project_is_refused(tmp_path):
    from PIL import Image

    from gis.build import build_site
    from tests.projects import make_project, row

    outside = tmp_path / "outside.jpg"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(outside)
    root = make_project(tmp_path / "p", [row(写真="photos/link.jpg", 写真掲載="可")])
    (root / "photos").mkdir()
    (root / "photos" / "link.jpg").symlink_to(outside)
    from tests.projects import HEADER

    records = root / "data" / "records.csv"
    text = records.read_text(encoding="utf-8-sig").splitlines()
    text[0] += ",写真,写真掲載"
    text[1] += ",photos/link.jpg,可"
    records.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    assert "写真" not in HEADER
    result = build_site(root, tmp_path / "site", tmp_path / "report.json", with_print=False)
    assert (
        not list((tmp_path / "site" / "photos").glob("*"))
        if (tmp_path / "site" / "photos").exists()
        else True
    )
    assert any("プロジェクトの外" in i.message and i.row == 2 for i in result.report.issues)
