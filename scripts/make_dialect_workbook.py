#!/usr/bin/env python3
"""A second bundled workbook in another municipal dialect, for たから市 (the demo's FICTIONAL town).

Writes data/records/dialect.xlsx and takara-dialect.toml at the repository root, and keeps the
section about them in data/README.md (between the markers below; re-run this after make_demo.py).

The sheet is written the way a district council's survey often is: a title row and a note above the
table, headers in the council's own words (団体名, 活動場所, 場所の区分, 会場の住所（番地まで）, 活動日,
代表者, 代表者電話, 電話番号を載せてよいか, HP・広報誌への掲載, 確認日, 備考), ○/× answers, 和暦 dates
and full-width digits, and a private home written under 活動場所. Takara Map knows some of these headers;
for the others the build proposes `[records.columns]` lines, and takara-dialect.toml holds those lines
pasted as the build printed them. Everything is invented; the addresses use the demo's towns.

    python scripts/make_dialect_workbook.py          # write (deterministic)
    python scripts/make_dialect_workbook.py --check  # write twice to temporary folders and compare
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK_START = "<!-- dialect workbook: written by scripts/make_dialect_workbook.py -->"
MARK_END = "<!-- end of dialect workbook -->"

TITLE = "令和８年度　東地区　通いの場・サロン調査票（地区社協まとめ）"
NOTE = "※ ○＝よい　×＝だめ。記入：東地区 生活支援コーディネーター"
FOOTNOTE = "※ 令和８年１０月末現在"  # a note under the table: reported as skipped, never a place
HEADERS = [
    "番号",
    "団体名",
    "活動種別",
    "活動場所",
    "場所の区分",
    "会場の住所（番地まで）",
    "活動日",
    "対象者",
    "参加費",
    "主な活動",
    "代表者",
    "代表者電話",
    "電話番号を載せてよいか",
    "HP・広報誌への掲載",
    "確認日",
    "備考",
]
# (団体名, 活動種別, 活動場所, 場所の区分, 住所, 活動日, 対象者, 参加費, 主な活動, 代表者, 代表者電話, 電話可否, 掲載, 確認日,
#  備考, expected outcome, why)
ROWS = [
    (
        "さくら町いきいきサロン",
        "サロン",
        "桜ケ丘集会所",
        "集会所",
        "たから市桜ケ丘１２－３",
        "毎週水曜日　１０時～１２時",
        "どなたでも",
        "１００円",
        "おしゃべり・脳トレ",
        "桜井 春子",
        "０８６６－００－３１０１",
        "○",
        "○",
        "令和６年７月２２日",
        "",
        "published",
        "exact (集会所)",
    ),
    (
        "ひのでラジオ体操会",
        "ラジオ体操",
        "日の出町公園",
        "公園・屋外",
        "たから市日の出町４－１",
        "毎朝６時３０分から",
        "どなたでも",
        "無料",
        "ラジオ体操",
        "日野 一郎",
        "０８６６－００－３１０２",
        "×",
        "○",
        "Ｒ６．５．１",
        "雨天中止",
        "published",
        "exact (公園・屋外); phone withheld (×)",
    ),
    (
        "おしゃべり会 ほっと",
        "サロン",
        "山田様方",
        "",
        "たから市東山２５－７",
        "第２・第４火曜日　１３時半～１５時",
        "近所の方",
        "無料",
        "お茶とおしゃべり",
        "山田 花子",
        "０８６６－００－３１０３",
        "○",
        "○",
        "令和５年１１月３日",
        "連絡は代表者 0866-00-3199 まで",
        "published",
        "area: a home written under 活動場所",
    ),
    (
        "高畑ふれあい体操",
        "通いの場",
        "自宅（はなれ）",
        "自宅",
        "たから市高畑１１８－２",
        "毎週金曜日　１０時～１１時",
        "６５歳以上",
        "無料",
        "いきいき百歳体操",
        "高田 次郎",
        "０８６６－００－３１０４",
        "×",
        "○",
        "令和６年１月１５日",
        "",
        "published",
        "area: 自宅",
    ),
    (
        "東山手芸の会",
        "趣味",
        "東山コミュニティハウス",
        "",
        "たから市東山３－１",
        "毎月１５日　午前１０時から",
        "女性",
        "材料費２００円",
        "手芸・編み物",
        "東 さち",
        "",
        "",
        "○",
        "令和６年３月１日",
        "",
        "published",
        "exact: a blank kind, venue recognised by its words",
    ),
    (
        "朝日台お元気クラブ",
        "老人クラブ",
        "朝日台会館",
        "その他",
        "たから市朝日台７－２",
        "第１月曜日",
        "会員",
        "年会費１０００円",
        "輪投げ・旅行",
        "朝日 太郎",
        "０８６６－００－３１０６",
        "○",
        "○",
        "平成３１年４月１日",
        "",
        "published",
        "area: その他 is not a public kind",
    ),
    (
        "緑が丘みまもり隊",
        "見守り",
        "",
        "",
        "たから市緑が丘一丁目",
        "不定期",
        "",
        "",
        "一人暮らしの方の見守り",
        "緑川 良子",
        "０８６６－００－３１０７",
        "○",
        "○",
        "令和６年９月９日",
        "",
        "published",
        "area: no venue",
    ),
    (
        "高畑カフェ こもれび",
        "地域カフェ",
        "カフェこもれび",
        "店舗",
        "たから市高畑２０－５",
        "毎週土曜日　１４時～１６時",
        "どなたでも",
        "飲み物代",
        "おしゃべり・相談",
        "木村 ゆう",
        "０８６６－００－３１０８",
        "○",
        "×",
        "令和６年６月６日",
        "",
        "withheld",
        "×: no consent",
    ),
    (
        "日の出町ないしょの会",
        "サロン",
        "日の出町集会所",
        "集会所",
        "たから市日の出町２－２",
        "毎週月曜日",
        "会員",
        "無料",
        "",
        "日出 みつ",
        "",
        "",
        "",
        "令和６年２月２日",
        "",
        "withheld",
        "blank: consent not recorded",
    ),
    (
        "東山囲碁クラブ",
        "囲碁",
        "東山公民館",
        "公民館",
        "たから市東山１－１",
        "毎週木曜日",
        "どなたでも",
        "無料",
        "囲碁",
        "碁石 一",
        "",
        "",
        "○",
        "令和６年４月４日",
        "",
        "rejected",
        "活動種別「囲碁」 is not a category",
    ),
]
TOML = """# たから市 (FICTIONAL): the demo town read from a second workbook in a council's own dialect.
# Written by scripts/make_dialect_workbook.py. Build it with:
#   python build.py takara-dialect.toml --out /tmp/dialect-site
# Tiers and categories come from layers/*.toml (the same town as takara.toml).

[site]
title = "たから市 東地区 通いの場（別の様式のシートのデモ）"
lead = "たから市は実在しない架空のまちです。地区社協の調査票（見出しが独自の言葉）から作った地図です。"
attribution = "背景地図: 地理院タイル／境界・住所は架空のデモデータ"
edition = "2026-11-01"
base_url = "https://example.org/takara-dialect/"
fictional = true

[build]
gazetteer = "data/gazetteer/ja"
numbers_file = "data/records/dialect-numbers.json"
geocode_cache = ".takara/dialect-geocode-cache.json"

[[records]]
path = "data/records/dialect.xlsx"
# The lines below were pasted from what the build proposed (the sheet's own headers → Takara Map fields).
[records.columns]
{columns}
"""
# What the build proposes for this sheet (tests/test_dialects.py checks the build prints exactly these).
PROPOSED = {
    "会場の住所(番地まで)": "address",
    "代表者電話": "contact",
    "電話番号を載せてよいか": "contact_consent",
    "HP・広報誌への掲載": "consent",
}


def columns_toml() -> str:
    import json

    return "\n".join(f"{json.dumps(h, ensure_ascii=False)} = {json.dumps(f)}" for h, f in PROPOSED.items())


def write_workbook(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "調査票"
    sheet.append([TITLE])
    sheet.append([NOTE])
    sheet.append([])
    sheet.append(HEADERS)
    for number, row in enumerate(ROWS, 1):
        sheet.append([str(number).translate(str.maketrans("0123456789", "０１２３４５６７８９")), *row[:15]])
    sheet.append([])
    sheet.append([FOOTNOTE])
    book.properties.creator = "takara-map demo"
    book.properties.lastModifiedBy = "takara-map demo"
    from datetime import datetime

    fixed = datetime(2026, 11, 1)
    book.properties.created = book.properties.modified = fixed
    book.save(path)
    _normalise_zip(path)


def _normalise_zip(path: Path) -> None:
    """Rewrite the workbook's zip with fixed member times, so two runs give the same bytes."""
    import zipfile

    members = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-01T00:00:00Z", data
                )
            members.append((info.filename, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def readme_section() -> str:
    counts = {k: sum(1 for r in ROWS if r[15] == k) for k in ("published", "withheld", "rejected")}
    lines = [
        MARK_START,
        "## A second workbook in another dialect (dialect.xlsx)",
        "",
        "`records/dialect.xlsx` (sheet 「調査票」) is the same fictional town's list as a district council might keep it:",
        "a title row and a note above the table (headers in row 4), headers in the council's own words, ○/× answers,",
        "和暦 dates (令和６年７月２２日, Ｒ６．５．１, 平成３１年４月１日), full-width digits, and a private home under",
        "活動場所. Takara Map reads 番号, 団体名, 活動種別, 活動場所, 場所の区分, 活動日, 対象者, 参加費, 主な活動, 代表者 and",
        "確認日 by itself; for the other columns the build proposes a `[records.columns]` line each (below), and stops",
        "until a consent column is named. `takara-dialect.toml` holds the proposed lines, pasted:",
        "",
        "```toml",
        "[records.columns]",
        columns_toml(),
        "```",
        "",
        "`備考` stays unused (never published). Build it with `python build.py takara-dialect.toml --out SITE`.",
        "",
        f"Accounting: {len(ROWS) + 1} rows read = {counts['published']} published + {counts['withheld']} withheld + "
        f"{counts['rejected']} rejected + 1 skipped (the note 「{FOOTNOTE}」 under the table, row {len(ROWS) + 6}).",
        "",
        "| row | 団体名 | outcome | why |",
        "|---|---|---|---|",
    ]
    for k, row in enumerate(ROWS):
        lines.append(f"| {k + 5} | {row[0]} | {row[15]} | {row[16]} |")
    lines += ["", MARK_END, ""]
    return "\n".join(lines)


def write_readme(path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_START in text:
        head, rest = text.split(MARK_START, 1)
        tail = rest.split(MARK_END, 1)[1].lstrip("\n") if MARK_END in rest else ""
        text = head.rstrip("\n") + "\n\n" + readme_section() + tail
    else:
        text = text.rstrip("\n") + "\n\n" + readme_section()
    path.write_text(text, encoding="utf-8")


def make(out: Path) -> None:
    (out / "data" / "records").mkdir(parents=True, exist_ok=True)
    write_workbook(out / "data" / "records" / "dialect.xlsx")
    (out / "takara-dialect.toml").write_text(TOML.format(columns=columns_toml()), encoding="utf-8")
    write_readme(out / "data" / "README.md")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT, help="where to write (default: the repository root)")
    ap.add_argument("--check", action="store_true", help="write twice to temporary folders and compare")
    args = ap.parse_args(argv)
    if args.check:
        digests = []
        for _ in range(2):
            with tempfile.TemporaryDirectory() as tmp:
                make(Path(tmp))
                digests.append(
                    {
                        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(Path(tmp).rglob("*"))
                        if p.is_file()
                    }
                )
        if digests[0] != digests[1]:
            print("not deterministic")
            return 1
        print(f"deterministic: {len(digests[0])} files identical on two runs")
        return 0
    make(args.out)
    print(f"dialect workbook written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
