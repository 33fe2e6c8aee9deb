"""The privacy promise as a hostile tester and a hurried coordinator would break it (review of issue #13).

Each case here was published exactly, unmasked or unlinked before the fix it holds."""

from __future__ import annotations

import http.client
import json
import threading
from datetime import date

import pytest

from gis.config import load_project
from gis.place import Place
from gis.privacy import HOME_VENUE_LABEL, to_public
from tests.projects import make_project, row

REP = {"nb": {"A1": (35.005, 135.005)}, "district": {"A": (35.01, 135.005)}, "city": {"T": (35.01, 135.01)}}
TODAY = date(2026, 11, 1)


@pytest.fixture
def project(tmp_path):
    return load_project(make_project(tmp_path, []))


def _place(**kw) -> Place:
    base = {
        "source": "r.csv",
        "row": 2,
        "name": "お茶のみ会",
        "category": "salon",
        "venue": "西南公民館",
        "venue_kind": "公民館",
        "address": "和歌山県ミニ町西南町12-34",
        "lat": 35.00312,
        "lon": 135.00456,
        "consent": True,
        "areas": {"city": ("T", "ミニ町"), "district": ("A", "西地区"), "nb": ("A1", "西南自治会")},
        "town": "西南町",
    }
    base.update(kw)
    return Place(**base)


# ---------------------------------------------------------------- homes the first table missed

MORE_HOME_WORDINGS = [  # (会場種別, 会場): a public kind copied down a column must not publish a home
    ("集会所", "山田家"),
    ("公民館", "佐藤家にて"),
    ("集会所", "山田方"),
    ("", "鈴木さん家"),
    ("公民館", "鈴木さん家（駅前）"),
    ("公民館", "my house"),
    ("店舗", "our home"),
    ("集会所", "Tanaka's place"),
    ("公民館", "山田 様方"),
    ("集会所", "山田さんの\nお宅"),
    ("公民館", "私の家"),
    ("公民館", "我が家"),
    ("集会所", "自分の家"),
    ("公民館", "住居"),
    ("集会所", "ジタク"),
    ("公民館", "コーポ山田 203号室"),
    ("集会所", "さくらマンション 一室"),
    ("公民館", "実家"),
    ("", "山田家の裏の広場"),
]


@pytest.mark.parametrize("kind, venue", MORE_HOME_WORDINGS)
def test_more_wordings_of_a_private_home_are_shown_at_area_level(project, kind, venue):
    public = to_public(_place(venue_kind=kind, venue=venue), 7, REP, project, TODAY)
    assert public.location_precision == "area"
    assert (public.lat, public.lon) == (35.005, 135.005)
    assert public.address == "和歌山県ミニ町西南町" and public.venue == HOME_VENUE_LABEL


@pytest.mark.parametrize(
    "venue",
    ["佐藤方（公民館隣）", "ひだまり（駅前）", "田中（神社横）", "小さな家 公園の裏"],
)
def test_a_venue_only_beside_a_public_one_is_not_known_public(project, venue):
    """「公民館隣」 says where the venue is, not what it is: the venue itself is not known public."""
    public = to_public(_place(venue_kind="", venue=venue), 7, REP, project, TODAY)
    assert public.location_precision == "area" and public.address == "和歌山県ミニ町西南町"
    assert venue not in public.venue


@pytest.mark.parametrize(
    "kind, venue, story",
    [
        ("公民館", "西南公民館", "専門家による講話。夕方から。町内にお住まいの方ならどなたでも"),
        ("公民館", "老人憩の家", "農家の方も来ます"),
        ("集会所", "さくらマンション集会室", "一方で、両方の会に出る方も"),
        ("", "西南公民館前", ""),
        ("", "西南神社前 広場", ""),
        ("", "西南公民館 2階和室", ""),
        ("", "ひだまり（西南公民館内）", ""),
    ],
)
def test_public_venues_and_ordinary_words_stay_exact(project, kind, venue, story):
    """Guards the other way: the wider home wording must not turn ordinary text into a home."""
    public = to_public(_place(venue_kind=kind, venue=venue, story=story), 7, REP, project, TODAY)
    assert public.location_precision == "exact", public
    assert public.story == story


# ---------------------------------------------------------------- free text


@pytest.mark.parametrize(
    "text, secret",
    [
        ("会場は本町千二百三十四番地です", "千二百三十"),
        ("本町十二番地の三で", "十"),
        ("本町二十三番五号", "二十"),
        ("山田 さん宅で開きます", "山田"),
        ("鈴木さん家で開きます", "鈴木"),
    ],
)
def test_kanji_street_numbers_and_spaced_home_names_are_masked_whole(project, text, secret):
    public = to_public(_place(story=text), 7, REP, project, TODAY)
    assert secret not in public.story, public.story
    assert "〔" in public.story


# ---------------------------------------------------------------- one group, several rows


def test_rows_naming_a_group_with_small_ke_or_punctuation_are_linked(tmp_path):
    from gis import pipeline
    from gis.report import Report

    rows = [
        row(名称="緑ケ丘サロン", 掲載可否="不可"),
        row(名称="緑ヶ丘サロン", 掲載可否="可"),
        row(名称="中野・体操クラブ", 掲載可否="不可"),
        row(名称="中野体操クラブ", 掲載可否="可"),
        row(名称="いきいき〜百歳体操", 掲載可否="不可"),
        row(名称="いきいき 百歳体操", 掲載可否="可"),
        row(名称="別の会", 掲載可否="可"),
    ]
    edition = pipeline.run(load_project(make_project(tmp_path / "p", rows)), Report())
    assert [p.name for p in edition.places] == ["別の会"]


# ---------------------------------------------------------------- the whole build, grepped


def test_a_hurried_sheet_publishes_no_home_anywhere(tmp_path):
    """Homes written in words the first table missed, under a copied-down public kind: no file of the
    site holds their names, street numbers or points, and the scanner agrees."""
    from gis.leaks import check_site
    from tests.hostile import build_cli

    homes = [
        ("家サロン", "山田家", "集会所", "西南町8-9", "35.0031", "135.0042"),
        ("方サロン", "佐藤方（公民館隣）", "", "西北町5-6", "35.0161", "135.0071"),
        ("駅サロン", "鈴木さん家（駅前）", "", "東南町3-4", "35.0061", "135.0161"),
        ("英語サロン", "my house", "公民館", "東南町7-7", "35.0071", "135.0171"),
    ]
    rows = [
        row(名称=n, 会場=v, 会場種別=k, 所在地="和歌山県ミニ町" + a, 緯度=lat, 経度=lon)
        for n, v, k, a, lat, lon in homes
    ]
    rows.append(row(名称="公民館の体操", 会場="西南公民館", 会場種別="公民館"))
    project = make_project(tmp_path / "p", rows)
    site = tmp_path / "site"
    code, _, err = build_cli(project, site, "--no-print")
    assert code == 0, err
    texts = {
        f: f.read_text(encoding="utf-8", errors="ignore")
        for f in site.rglob("*")
        if f.is_file() and f.suffix in (".html", ".json", ".geojson", ".csv", ".ics", ".js", ".xml")
    }
    assert texts
    for _, venue, _, address, lat, lon in homes:
        for secret in (venue, address, lat):
            hits = [str(f) for f, t in texts.items() if secret in t]
            assert not hits, (secret, hits)
        assert not any(lon in t for t in texts.values())
    assert check_site(project, site) == []


# ---------------------------------------------------------------- the preview server


def _request(port: int, path: str, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers={"Host": host})
    status = conn.getresponse().status
    conn.close()
    return status


def test_the_report_page_refuses_a_foreign_host_name(tmp_path):
    """A web page whose name is re-pointed at 127.0.0.1 (DNS rebinding) must not read the preview or the
    coordinators' report: only a local Host is served."""
    from gis.serve import REPORT_PATH, make_server

    (tmp_path / "index.html").write_text("ok", encoding="utf-8")
    server = make_server(tmp_path, 0, report_page=lambda: json.dumps({"withheld": "ないしょの会"}))
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert _request(port, REPORT_PATH, f"127.0.0.1:{port}") == 200
        assert _request(port, REPORT_PATH, f"localhost:{port}") == 200
        assert _request(port, "/index.html", f"localhost:{port}") == 200
        assert _request(port, REPORT_PATH, f"evil.example:{port}") == 421  # Misdirected Request
        assert _request(port, "/index.html", f"evil.example:{port}") == 421  # Misdirected Request
        assert _request(port, REPORT_PATH, f"127.0.0.1.evil.example:{port}") == 421  # Misdirected Request
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- two columns for one consent


def _sheet(tmp_path, header: list[str], rows: list[dict]):
    import csv

    from gis import pipeline
    from gis.report import Report

    root = make_project(tmp_path / "p", [])
    with (root / "data" / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(h, "") for h in header])
    return pipeline.run(load_project(root), Report())


def test_a_no_in_a_second_consent_column_is_never_overruled(tmp_path):
    """Two columns that both read as consent (公開 and 掲載, or 連絡先掲載 and 電話番号の公開): the tool
    maps one; a 不可 in the other still withholds, with a warning naming it."""
    from tests.projects import HEADER

    header = [h for h in HEADER if h not in ("掲載可否", "連絡先掲載")]
    header += ["公開", "掲載", "連絡先掲載", "電話番号の公開"]
    rows = [
        {**row(名称="載せないでの会"), "公開": "可", "掲載": "不可"},
        {
            **row(名称="電話は載せないでの会", 連絡先="090-3333-4444"),
            **{"公開": "可", "掲載": "可", "連絡先掲載": "可", "電話番号の公開": "×"},
        },
        {**row(名称="ふつうの会", 連絡先="090-5555-6666"), "公開": "可", "連絡先掲載": "可"},
    ]
    edition = _sheet(tmp_path, header, rows)
    published = {p.name: p for p in edition.places}
    assert set(published) == {"電話は載せないでの会", "ふつうの会"}
    assert published["電話は載せないでの会"].phone == ""
    assert published["ふつうの会"].phone == "090-5555-6666"  # a blank in the second column is no 不可
    warned = {(i.row, i.field) for i in edition.report.issues if i.severity == "warning"}
    assert (2, "掲載") in warned and (3, "電話番号の公開") in warned


@pytest.mark.parametrize(
    "text, secret",
    [
        ("申込は TEL 22-1234 まで", "1234"),
        ("電話:22-1234（山田）", "1234"),
        ("☎２２－１２３４", "１２３４"),
        ("問い合わせ先 (22)1234", "1234"),
        ("携帯 〇九〇‐一二三四‐五六七八", "五六七八"),
        ("メールは yamada(at)example.com へ", "yamada"),
        ("mail: hanako [at] example.jp", "hanako"),
    ],
)
def test_local_numbers_after_a_phone_label_and_spelled_out_mail_are_masked(project, text, secret):
    """A rural sheet writes the local number without its area code; a careful one spells @ out."""
    public = to_public(_place(story=text), 7, REP, project, TODAY)
    assert secret not in public.story and "〔非公開〕" in public.story, public.story


@pytest.mark.parametrize(
    "text", ["電話受付 10:00～12:00", "連絡網で 2人ずつ", "問い合わせは平日9-17時", "TEL予約 3日前まで"]
)
def test_times_and_counts_after_a_phone_word_stay(project, text):
    assert to_public(_place(story=text), 7, REP, project, TODAY).story == text


@pytest.mark.parametrize(
    "text, secret",
    [
        ("会場は本町 7-8 です", "7-8"),
        ("本町7の8で開きます", "7の8"),
        ("代表の山田花子です", "花子"),
        ("代表の山田　花子です", "花子"),
        ("連絡は 0739\u200b-22-4466 へ", "4466"),
        ("マリーさん宅で", "マリー"),
        ("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ まで", "ｙａｍａｄａ"),
    ],
)
def test_free_text_is_read_through_spaces_widths_and_invisible_characters(project, text, secret):
    public = to_public(_place(story=text, representative="山田 花子"), 7, REP, project, TODAY)
    assert secret not in public.story and "〔" in public.story, public.story


@pytest.mark.parametrize(
    "header", ["掲載不可", "非公開", "掲載しない", "公開NG", "掲載辞退", "掲載を希望しない"]
)
def test_a_column_that_marks_refusals_is_never_proposed_as_consent(header):
    """○ under 掲載不可 means "do not publish": proposing it as 掲載可否 would publish exactly the refusals."""
    from gis.columns import look_at_column

    proposal = look_at_column(header, ["○", "", "○", "×"] * 3, set())
    assert proposal is not None and proposal.field == "" and proposal.also == "consent"
    assert (
        look_at_column("掲載（可・不可）", ["○", "×"] * 3, set()).field == "consent"
    )  # not a refusal column


def test_a_circle_in_a_refusal_column_withholds_the_record(tmp_path):
    from tests.projects import HEADER

    header = [*HEADER, "掲載不可"]
    rows = [{**row(名称="断った会"), "掲載不可": "○"}, {**row(名称="載せる会"), "掲載不可": ""}]
    edition = _sheet(tmp_path, header, rows)
    assert [p.name for p in edition.places] == ["載せる会"]
    assert any(i.row == 2 and i.field == "掲載不可" for i in edition.report.issues)


def test_a_refusal_column_mapped_as_consent_stops_the_build(tmp_path):
    from gis.errors import InputError
    from gis.records import map_headers

    with pytest.raises(InputError, match="掲載不可"):
        from gis.records import check_consent_headers

        headers = ["名称", "掲載不可"]
        mapped, _ = map_headers(headers, {"掲載不可": "consent"})
        check_consent_headers(headers, mapped, "records.csv")


@pytest.mark.parametrize(
    "address, secret",
    [
        ("和歌山県ミニ町西南町1-2 TEL0739-22-4466", "4466"),
        ("和歌山県ミニ町西南町1-2（連絡 yamada@example.jp）", "yamada"),
        ("和歌山県ミニ町西南町1-2 代表 山田花子", "花子"),
    ],
)
def test_a_public_venues_address_cell_is_checked_like_free_text(project, address, secret):
    """The address of a public venue is published whole: what else was typed into the cell is not."""
    public = to_public(_place(address=address, representative="山田花子"), 7, REP, project, TODAY)
    assert public.location_precision == "exact" and public.address.startswith("和歌山県ミニ町西南町1-2")
    assert secret not in public.address, public.address


def test_a_public_venues_own_address_in_kanji_numerals_stays(project):
    address = "和歌山県ミニ町西南町一丁目十四番七号"
    public = to_public(
        _place(address=address, story="会場は西南町一丁目十四番七号です"), 7, REP, project, TODAY
    )
    assert public.address == address and public.story == "会場は西南町一丁目十四番七号です"


@pytest.mark.parametrize(
    "story",
    [
        "皆さん方のご参加をお待ちしています",
        "皆様方にお願いです",
        "お子さん家族で参加できます",
        "みなさん方もどうぞ",
    ],
)
def test_you_all_and_families_are_not_homes(project, story):
    public = to_public(_place(story=story), 7, REP, project, TODAY)
    assert public.location_precision == "exact" and public.story == story


def test_a_phone_shared_inside_a_cell_of_two_numbers_links_the_rows(tmp_path):
    from gis import pipeline
    from gis.report import Report

    rows = [
        row(名称="朝の会", 連絡先="0739-55-3000、090-1111-2222", 連絡先掲載="不可"),
        row(名称="夜の会", 連絡先="090-1111-2222", 連絡先掲載="可"),
    ]
    edition = pipeline.run(load_project(make_project(tmp_path / "p", rows)), Report())
    assert {p.name: p.phone for p in edition.places} == {"朝の会": "", "夜の会": ""}


def test_the_records_own_consented_local_number_stays_in_its_text(project):
    place = _place(contact="22-1234", contact_consent=True, story="お問い合わせは TEL 22-1234 まで")
    assert to_public(place, 7, REP, project, TODAY).story == "お問い合わせは TEL 22-1234 まで"
