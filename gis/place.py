"""The place model: one record of a gathering place or resource, and its normalisation.

A `Place` is what the readers and the pipeline work on (it may hold private fields).
A `PublicPlace` is what `gis.privacy` lets through: everything downstream of privacy
(site, print, export, insight) reads only `PublicPlace`, so a withheld field cannot leak.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Takara Map's own field names, and the headers coordinators write for them (matched after
# normalise_header). Japanese and English out of the box; a project can add its own mapping.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("no", "no.", "番号", "一覧表no", "一覧表no.", "一覧表番号", "通し番号", "number", "num"),
    "record_id": ("id", "記録id", "レコードid", "管理番号", "record id", "record_id"),
    "name": ("名称", "団体名", "活動名", "通いの場名", "サロン名", "グループ名", "name", "title"),
    "category": ("種別", "種類", "分類", "カテゴリ", "カテゴリー", "活動種別", "category", "type"),
    "organiser": ("運営主体", "主催", "主催者", "主催団体", "実施主体", "運営", "organiser", "organizer"),
    # A person's name: recognised so that it is never published (and masked where free text repeats it).
    "representative": (
        "代表者",
        "代表者名",
        "代表",
        "世話人",
        "世話役",
        "責任者",
        "担当者",
        "representative",
    ),
    "venue": (
        "会場",
        "会場名",
        "開催場所",
        "活動場所",
        "実施場所",
        "場所",
        "集会場所",
        "活動会場",
        "開催会場",
        "会場・場所",
        "venue",
        "venue name",
    ),
    "venue_kind": (
        "会場種別",
        "会場の種類",
        "場所の種類",
        "会場区分",
        "場所の区分",
        "venue kind",
        "venue_kind",
    ),
    "address": ("所在地", "住所", "会場住所", "会場所在地", "活動場所の住所", "開催場所の住所", "address"),
    "lat": ("緯度", "lat", "latitude", "y"),
    "lon": ("経度", "lon", "lng", "long", "longitude", "x"),
    "schedule_text": (
        "開催日時",
        "開催日",
        "日時",
        "開催日・時間",
        "開催日時間",
        "活動日",
        "活動日時",
        "実施日",
        "実施日時",
        "schedule",
        "when",
    ),
    "target": ("対象", "参加対象", "対象者", "target", "who"),
    "fee": ("参加費", "費用", "会費", "fee", "cost"),
    "activities": ("活動内容", "主な活動", "内容", "activities", "description"),
    "participants": ("参加人数", "参加者数", "人数", "participants"),
    "contact": (
        "連絡先",
        "電話",
        "電話番号",
        "連絡先電話番号",
        "問い合わせ",
        "問合せ先",
        "問い合わせ先",
        "contact",
        "phone",
        "tel",
    ),
    "contact_consent": (
        "連絡先掲載",
        "連絡先の掲載",
        "電話掲載",
        "電話番号の掲載",
        "電話番号掲載",
        "電話番号の公開",
        "連絡先公開",
        "連絡先の公開",
        "連絡先掲載可否",
        "連絡先の掲載可否",
        "contact consent",
        "contact_consent",
    ),
    "consent": (
        "掲載可否",
        "掲載",
        "公開",
        "掲載同意",
        "公開可否",
        "公開の可否",
        "掲載の可否",
        "hp掲載",
        "hp公開",
        "ホームページ掲載",
        "ホームページへの掲載",
        "web掲載",
        "マップ掲載",
        "地図掲載",
        "掲載希望",
        "consent",
        "publish",
    ),
    "photo": ("写真", "画像", "photo", "image"),
    "photo_consent": (
        "写真掲載",
        "写真の掲載",
        "写真公開",
        "写真の公開",
        "写真掲載可否",
        "photo consent",
        "photo_consent",
    ),
    "story": ("紹介文", "紹介", "ひとこと", "エピソード", "story"),
    "status": ("状況", "活動状況", "状態", "status"),
    "confirmed": ("確認日", "最終確認日", "更新日", "確認年月日", "confirmed", "last confirmed"),
    "district_hint": ("地区", "圏域", "中学校区", "日常生活圏域", "district"),
}

ORGANISER_TYPES = ("住民主体", "社協", "NPO", "企業", "医療・介護機関", "行政", "その他")

# Venue kinds. HOME is the one privacy cares about: its exact place is never published.
VENUE_PUBLIC = "公共施設"
VENUE_HALL = "集会所"
VENUE_HOME = "自宅"
VENUE_SHOP = "店舗"
VENUE_OUTDOOR = "屋外"
VENUE_ONLINE = "オンライン"
VENUE_OTHER = "その他"
VENUE_KINDS = (VENUE_PUBLIC, VENUE_HALL, VENUE_HOME, VENUE_SHOP, VENUE_OUTDOOR, VENUE_ONLINE, VENUE_OTHER)
VENUE_KIND_ALIASES = {
    "公共施設": VENUE_PUBLIC,
    "公民館": VENUE_PUBLIC,
    "市民センター": VENUE_PUBLIC,
    "public": VENUE_PUBLIC,
    "public facility": VENUE_PUBLIC,
    "集会所": VENUE_HALL,
    "集会場": VENUE_HALL,
    "公会堂": VENUE_HALL,
    "hall": VENUE_HALL,
    "自宅": VENUE_HOME,
    "個人宅": VENUE_HOME,
    "民家": VENUE_HOME,
    "private home": VENUE_HOME,
    "home": VENUE_HOME,
    "店舗": VENUE_SHOP,
    "商業施設": VENUE_SHOP,
    "shop": VENUE_SHOP,
    "屋外": VENUE_OUTDOOR,
    "公園": VENUE_OUTDOOR,
    "outdoor": VENUE_OUTDOOR,
    "park": VENUE_OUTDOOR,
    "オンライン": VENUE_ONLINE,
    "online": VENUE_ONLINE,
    "その他": VENUE_OTHER,
    "other": VENUE_OTHER,
}

STATUS_ACTIVE = "活動中"
STATUS_PAUSED = "休止中"
STATUS_ENDED = "終了"
STATUS_ALIASES = {
    "活動中": STATUS_ACTIVE,
    "実施中": STATUS_ACTIVE,
    "開催中": STATUS_ACTIVE,
    "active": STATUS_ACTIVE,
    "": STATUS_ACTIVE,
    "休止中": STATUS_PAUSED,
    "休止": STATUS_PAUSED,
    "中止中": STATUS_PAUSED,
    "paused": STATUS_PAUSED,
    "終了": STATUS_ENDED,
    "廃止": STATUS_ENDED,
    "解散": STATUS_ENDED,
    "ended": STATUS_ENDED,
}

YES_WORDS = {
    "可",
    "○",
    "〇",
    "◯",
    "はい",
    "有",
    "あり",
    "同意",
    "掲載可",
    "公開",
    "公開可",
    "yes",
    "y",
    "true",
    "1",
    "ok",
}
NO_WORDS = {
    "不可",
    "×",
    "✕",
    "いいえ",
    "無",
    "なし",
    "不同意",
    "掲載不可",
    "非公開",
    "公開不可",
    "no",
    "n",
    "false",
    "0",
    "ng",
}


def normalise_text(value: Any) -> str:
    """NFKC (full-width digits, letters and punctuation to half-width; half-width kana to full-width),
    unify the many dashes and tildes coordinators type, and trim. Control characters are dropped."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"[‐‑‒–—―−ｰ]", "-", text)  # dashes → hyphen-minus (not ー, the long vowel)
    text = text.replace("〜", "～").replace("~", "～")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def normalise_header(value: Any) -> str:
    """A header as it is matched against FIELD_ALIASES: normalised, lower case, no spaces or brackets."""
    text = normalise_text(value).lower()
    text = re.sub(r"[\s\u3000]+", "", text)
    return re.sub(r"[（）()【】\[\]「」※*:：]", "", text)


def parse_yes_no(value: Any) -> bool | None:
    """掲載可否-style answers. None when blank or not understood (the caller decides what that means)."""
    text = normalise_header(value)
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    return None


@dataclass
class Place:
    """One input row, as read and normalised. May contain private fields."""

    source: str  # file name as the coordinator knows it (relative to the project)
    row: int  # 1-based row number as Excel shows it (or feature index + 1 for GeoJSON)
    name: str = ""
    number: int | None = None
    record_id: str = ""
    category: str = ""  # category id from the config
    organiser: str = ""
    venue: str = ""
    venue_kind: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    schedule_text: str = ""
    target: str = ""
    fee: str = ""
    activities: str = ""
    participants: str = ""
    contact: str = ""
    contact_consent: bool = False
    consent: bool | None = None
    photo: str = ""
    photo_consent: bool = False
    story: str = ""
    status: str = STATUS_ACTIVE
    confirmed: date | None = None
    district_hint: str = ""
    representative: str = ""  # a person's name: never published
    extra: dict[str, str] = field(default_factory=dict)
    # filled in by the pipeline
    id: str = ""
    geocode_level: str = ""  # 座標 (given) / 番地 / 町丁目 / 大字 / 市区町村
    town: str = ""  # the gazetteer town the address matched, if any
    areas: dict[str, tuple[str, str]] = field(default_factory=dict)  # tier id -> (area id, area name)
    schedule: Any = None  # gis.schedule.Schedule, once parsed

    @property
    def is_home(self) -> bool:
        return self.venue_kind == VENUE_HOME


@dataclass(frozen=True)
class PublicPlace:
    """A place as it may be published. Built only by gis.privacy.publish()."""

    id: str
    number: int
    name: str
    category: str
    organiser: str
    venue: str
    venue_kind: str
    address: str  # cut to the town for home venues
    lat: float
    lon: float
    location_precision: str  # "exact" or "area" (home venues: the area's representative point)
    schedule_text: str
    target: str
    fee: str
    activities: str
    participants: str
    phone: str  # only when consented
    photo: str  # source path of a consented photo, or ""
    story: str
    status: str
    confirmed: date | None
    stale: bool
    areas: dict[str, tuple[str, str]]  # tier id -> (area id, area name)
    schedule: Any = None  # gis.schedule.Schedule or None

    @property
    def is_active(self) -> bool:
        return self.status == STATUS_ACTIVE

    @property
    def is_free(self) -> bool:
        fee = normalise_text(self.fee)
        return fee in {"無料", "なし", "0円", "0", "無", "free"}
