"""Columns read in the coordinators' own words: every column the header aliases did not map is looked at
by its values, and what it seems to hold is said plainly, with a ready `[records.columns]` line.

- 可/不可/○/×/はい/いいえ under a header speaking of 掲載 or 公開 → a consent column (the record, its
  contact or its photo, by the header's other words);
- phone numbers → the contact column; street addresses → the address; venue names → the venue.
A sheet without a consent column stops the build (gis.pipeline) naming the likely column."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gis.place import normalise_header, normalise_text, parse_yes_no

FIELD_JA = {
    "consent": "掲載可否",
    "contact_consent": "連絡先掲載",
    "photo_consent": "写真掲載",
    "contact": "連絡先",
    "address": "所在地",
    "venue": "会場",
    "venue_kind": "会場種別",
}
_CONSENT_WORDS = re.compile(r"掲載|公開|同意|載せ|hp|ホームページ|web|ウェブ|publish|consent")
# A header that names the refusal (○ under 掲載不可 means "do not publish"), once its list of answers
# (可・不可, 可否, ○/×) is set aside.
_ANSWER_LIST = re.compile(r"可[・/／,、]?不可|可否|○[・/／]?×|有[・/／]?無|はい[・/／]?いいえ|yes[・/／]?no")
_REFUSAL = re.compile(
    r"不可|非公開|非掲載|不掲載|しない|拒否|辞退|ng|不同意|不要|禁止|見合わせ|控え|ダメ|だめ|no$"
)
_CONTACT_WORDS = re.compile(r"電話|連絡|tel|問い?合|contact|phone")
_PHOTO_WORDS = re.compile(r"写真|画像|photo|image")
_ADDRESS = re.compile(r"(?:[都道府県市区町村]|丁目).*?[0-9０-９一二三四五六七八九十]+(?:番|-|－|の|号|丁目)")
_VENUE_WORDS = re.compile(
    r"公民館|集会所|集会場|公会堂|会館|センター|コミュニティ|公園|広場|神社|寺|教会|学校|体育館|図書館|"
    r"宅|様方|さん方|邸|自宅|店|ホール|施設"
)


@dataclass(frozen=True)
class Proposal:
    header: str  # as written in the sheet
    field: str  # the Takara Map field it seems to hold, "" when only described
    ja: str  # what was seen, in plain Japanese
    also: str = ""  # a further yes/no column for this consent field: its 不可 still counts
    refusal: bool = False  # the header names the refusal (掲載不可): its ○ is the 不可

    def toml_line(self) -> str:
        return (
            f"{json.dumps(self.header, ensure_ascii=False)} = {json.dumps(self.field)}" if self.field else ""
        )

    def note(self, label: str) -> str:
        if not self.field:
            return f"{label}: 列「{self.header}」: {self.ja}"
        return (
            f"{label}: 列「{self.header}」は{self.ja}ため、{FIELD_JA.get(self.field, self.field)}の列と思われます。"
            f"そうなら takara.toml のこのファイルの [records.columns] に次の1行を加えてください / "
            f"column {self.header!r} looks like {self.field}; add to [records.columns]:  {self.toml_line()}"
        )


def names_refusal(header: str) -> bool:
    """Does this (normalised) header name the refusal — 掲載不可, 非公開, 掲載しない — rather than ask the
    question (掲載可否, 掲載（可・不可）)?"""
    return bool(_REFUSAL.search(_ANSWER_LIST.sub("", normalise_header(header))))


def _share(values: list[str], test: Any) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _consent_field(key: str) -> str:
    if _PHOTO_WORDS.search(key):
        return "photo_consent"
    if _CONTACT_WORDS.search(key):
        return "contact_consent"
    return "consent"


def look_at_column(header: str, values: list[str], taken: set[str]) -> Proposal | None:
    """What an unused column seems to hold, judged by its header and its values."""
    from gis.privacy_text import find_phones, suggests_home

    key = normalise_header(header)
    values = [v for v in (normalise_text(x) for x in values) if v]
    if not values:
        return None
    if _share(values, lambda v: parse_yes_no(v) is not None) >= 0.8:
        if _CONSENT_WORDS.search(key):
            fieldname = _consent_field(key)
            if names_refusal(key):
                return Proposal(
                    header,
                    "",
                    f"「載せない」ことを示す列のようです（○・可の行は{FIELD_JA[fieldname]}を不可として扱います。"
                    f"載せてよいかを可/不可で書く{FIELD_JA[fieldname]}の列を作ってください）",
                    also=fieldname,
                    refusal=True,
                )
            if fieldname in taken:
                return Proposal(
                    header,
                    "",
                    f"可/不可の列ですが、{FIELD_JA[fieldname]}の列はもうあります"
                    f"（この列の「不可」も{FIELD_JA[fieldname]}の不可として扱います）",
                    also=fieldname,
                )
            return Proposal(
                header,
                fieldname,
                "可/不可（○/×・はい/いいえ）が入っていて、見出しが掲載・公開のことを言っている",
            )
        return Proposal(
            header, "", "可/不可（○/×・はい/いいえ）が入っていますが、何の可否かが見出しからわかりません"
        )
    candidates = (
        ("contact", lambda v: bool(find_phones(v)), 0.5, "電話番号が入っている"),
        ("address", lambda v: bool(_ADDRESS.search(v)), 0.5, "番地つきの住所が入っている"),
        (
            "venue",
            lambda v: bool(_VENUE_WORDS.search(v)) or suggests_home(v),
            0.3,
            "会場名（公民館・〇〇さん宅など）が入っている",
        ),
    )
    for fieldname, test, share, ja in candidates:
        if _share(values, test) >= share:
            if fieldname in taken:
                return Proposal(header, "", f"{ja}列です（{FIELD_JA[fieldname]}の列は別にあります）")
            return Proposal(header, fieldname, ja)
    return None


def propose(
    headers: dict[int, str], table: list[list[Any]], first_data: int, taken: set[str]
) -> list[Proposal]:
    """Proposals for the unused columns `headers` (index → header) of `table`, data from row `first_data`."""
    out: list[Proposal] = []
    fields = set(taken)
    for j, header in headers.items():
        values = [str(r[j]) for r in table[first_data:] if j < len(r) and r[j] not in (None, "")]
        proposal = look_at_column(header, values, fields)
        if proposal:
            out.append(proposal)
            if proposal.field:
                fields.add(proposal.field)
    return out


def likely_consent(proposals: list[Proposal], headers: dict[int, str]) -> str:
    """The header most likely to be the consent column, for the error when none is mapped."""
    for p in proposals:
        if p.field == "consent":
            return p.header
    for p in proposals:
        if "可/不可" in p.ja and not p.field:
            return p.header
    return next((h for h in headers.values() if _CONSENT_WORDS.search(normalise_header(h))), "")
