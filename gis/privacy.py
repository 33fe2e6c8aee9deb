"""The only place that decides what may be published. Privacy fails closed:

- A record without consent to publish (掲載可否) is withheld; so is one whose activity has ended.
- A venue's exact point, street address and name are published only when the venue is *known* to be
  public: a public kind in 会場種別 ([privacy] public_kinds), or — with 会場種別 blank — a venue name
  recognised as public by words ([privacy] public_venue_words) or by a list of public facilities
  ([privacy] facilities). Anything else (a private home however it is written, an unknown kind, an
  unrecognised venue, no venue) is shown at an area's representative point, never the venue's own and
  never within 100 m of it, with the address cut to the town.
- Free text (story, activities, schedule …) is masked where it holds a phone, a street number, an
  e-mail address or a private home's name that the record's own consent does not cover.
- Rows naming the same group, or sharing a phone, are linked: the strictest consent wins.
- A contact number is published only with consent; a photo only with consent, from inside the project.
Everything downstream reads PublicPlace, built here, so a withheld field cannot leak. What counts as a
home, a phone, an e-mail address or a street number in text is recognised by gis.privacy_text; the
decisions about them are all here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gis.config import Project
from gis.errors import InputError
from gis.place import (
    STATUS_ENDED,
    VENUE_HOME,
    VENUE_KIND_ALIASES,
    VENUE_OTHER,
    Place,
    PublicPlace,
    normalise_header,
    normalise_text,
)
from gis.privacy_text import (
    Shadow,
    compact,
    contact_phones,
    email_spans,
    find_phones,
    home_name_spans,
    phone_digits,
    street_number_spans,
    suggests_home,
)

HOME_VENUE_LABEL = "個人宅（地区内）"
AREA_VENUE_LABEL = "地区内の会場（場所はお問い合わせください）"
MASK = "〔非公開〕"
HOME_MASK = "〔個人宅〕"
MIN_AREA_DISTANCE_M = 100.0  # an area point this close to the venue would reveal it

DEFAULT_PUBLIC_KINDS = (
    "公民館",
    "集会所",
    "集会場",
    "公会堂",
    "公共施設",
    "市民センター",
    "コミュニティセンター",
    "店舗",
    "商業施設",
    "公園・屋外",
    "公園",
    "屋外",
    "寺社",
    "神社",
    "寺院",
    "教会",
    "学校",
    "福祉施設",
    "医療機関",
    "オンライン",
)
DEFAULT_PUBLIC_VENUE_WORDS = (
    "公民館",
    "集会所",
    "集会場",
    "公会堂",
    "会館",
    "コミュニティセンター",
    "コミュニティハウス",
    "センター",
    "公園",
    "広場",
    "運動場",
    "グラウンド",
    "河川敷",
    "体育館",
    "図書館",
    "小学校",
    "中学校",
    "高校",
    "高等学校",
    "学校",
    "神社",
    "寺",
    "教会",
    "役場",
    "支所",
    "出張所",
    "駅",
    "バス停",
    "駐車場",
    "郵便局跡",
    "直売所",
    "ストア",
    "スーパー",
    "オンライン",
)
# A token ending in a public word may still name a spot beside it: 東公民館前, 神社横.
_BESIDE = re.compile(r"(前|横|内|裏|隣|脇|付近|周辺|跡|前広場)$")

# The free-text fields checked, with the column names messages use.
TEXT_FIELDS = {
    "name": "名称",
    "organiser": "運営主体",
    "schedule_text": "開催日時",
    "target": "対象",
    "fee": "参加費",
    "activities": "活動内容",
    "participants": "参加人数",
    "story": "紹介文",
}


@dataclass
class PublicVenues:
    """What counts as known public: kinds, words, named facilities (from the project's [privacy])."""

    kinds: frozenset[str]
    words: tuple[str, ...]
    facilities: frozenset[str] = frozenset()

    @classmethod
    def of(cls, project: Project) -> PublicVenues:
        options = project.privacy
        kinds = options.public_kinds if options.public_kinds is not None else DEFAULT_PUBLIC_KINDS
        words = (
            options.public_venue_words
            if options.public_venue_words is not None
            else DEFAULT_PUBLIC_VENUE_WORDS
        )
        names: set[str] = set()
        for path in options.facilities:
            names |= facility_names(path)
        return cls(
            frozenset(normalise_header(k) for k in kinds),
            tuple(normalise_header(w) for w in words if w),
            frozenset(names),
        )

    def kind_is_public(self, kind: str) -> bool:
        key = normalise_header(kind)
        canonical = VENUE_KIND_ALIASES.get(key, "")
        return key in self.kinds or (bool(canonical) and normalise_header(canonical) in self.kinds)

    def venue_is_public(self, venue: str) -> bool:
        key = normalise_header(venue)
        if not key:
            return False
        if key in self.facilities or any(key.startswith(f) for f in self.facilities if len(f) >= 4):
            return True
        tokens = [t for t in re.split(r"[\s・,、/（）()「」『』]+", normalise_text(venue).lower()) if t]
        for token in tokens:  # ひだまり（公民館内）: a room inside the hall is at the hall
            if any(token.removesuffix("内").endswith(w) for w in self.words):
                return True
        # 東公民館前 alone is the spot in front of the hall; beside another name (佐藤方（公民館隣）,
        # ひだまり（駅前）) it only says where that other, unknown venue is.
        stem = _BESIDE.sub("", tokens[0]) if len(tokens) == 1 else ""
        return bool(stem) and any(stem.endswith(w) for w in self.words)


FACILITY_NAME_FIELDS = ("施設・場所名", "施設名", "名称", "施設名称", "name", "名前")


def facility_names(path: Path) -> set[str]:
    """Names in a list of public facilities: GeoJSON (the GSI's 指定緊急避難場所 files) or CSV."""
    label = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(label, f"施設の一覧を読めません / cannot read the facility list: {exc}") from None
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            rows = [f.get("properties") or {} for f in json.loads(raw.decode("utf-8-sig"))["features"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InputError(label, "施設の一覧が GeoJSON として読めません / not a GeoJSON list") from None
    else:
        import csv
        import io

        from gis.encoding import decode_csv_bytes

        rows = list(csv.DictReader(io.StringIO(decode_csv_bytes(raw, label))))
    key = next((k for k in FACILITY_NAME_FIELDS if rows and k in rows[0]), None)
    if key is None:
        raise InputError(
            label,
            f"施設の一覧に名前の列（{'・'.join(FACILITY_NAME_FIELDS[:3])}）がありません / no name column",
        )
    return {normalise_header(r.get(key)) for r in rows if normalise_header(r.get(key))}


# ---------------------------------------------------------------- where a place is shown


@dataclass(frozen=True)
class LocationDecision:
    exact: bool
    home: bool  # spoken of as a private home somewhere in its row
    ja: str  # why, in plain Japanese
    en: str

    @property
    def how(self) -> str:
        return "exact" if self.exact else "area"


def _row_texts(place: Place) -> list[str]:
    """Every cell of the place's row: mapped fields and the columns Takara Map does not use."""
    own = [
        place.venue,
        place.venue_kind,
        place.name,
        place.address,
        place.story,
        place.activities,
        place.schedule_text,
        place.target,
        place.fee,
        place.organiser,
        place.participants,
        place.contact,
        place.representative,
        place.district_hint,
        place.photo,
    ]
    return own + list(place.extra.values())


def decide_location(place: Place, venues: PublicVenues) -> LocationDecision:
    """Exact only when known public; everything else at area level, and why."""
    home_cell = next((t for t in _row_texts(place) if suggests_home(t)), "")
    if home_cell:
        return LocationDecision(
            False,
            True,
            f"個人宅とみられる記載（「{home_cell[:20]}」）があるため、地区の代表点と町名までで示します"
            "（個人宅ではない公開の会場なら、その記載を直し、会場種別を「公民館」「集会所」などにしてください）",
            "the row speaks of a private home: shown at its area's point, address cut to the town",
        )
    kind = place.venue_kind
    if kind and venues.kind_is_public(kind):
        return LocationDecision(
            True, False, f"会場種別「{kind}」は公開の会場です", f"public venue kind {kind!r}"
        )
    how_to_mark = (
        "正確な場所を載せてよい公開の会場なら、会場種別を「公民館」「集会所」「公共施設」「店舗」などにするか、"
        "takara.toml の [privacy] public_kinds / public_venue_words に加えてください"
    )
    if kind and normalise_header(kind) not in (normalise_header(VENUE_OTHER), ""):
        ja = f"会場種別「{kind[:20]}」は公開の会場として登録されていないため、地区の代表点で示します。"
    elif kind:
        ja = f"会場種別「{kind}」のため、地区の代表点で示します。"
    elif not place.venue:
        ja = "会場が空欄のため、地区の代表点で示します。"
    elif venues.venue_is_public(place.venue):
        return LocationDecision(
            True, False, f"会場「{place.venue[:30]}」は公開の会場です", "venue name is a public venue"
        )
    else:
        ja = f"会場「{place.venue[:30]}」が公開の会場と確認できないため、地区の代表点で示します。"
    return LocationDecision(
        False,
        False,
        ja + how_to_mark,
        "the venue is not known to be public: shown at its area's point. Mark public venues with a "
        "public 会場種別 or [privacy] public_kinds / public_venue_words",
    )


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from gis.geocode import distance_m

    return distance_m(lat1, lon1, lat2, lon2)


def area_point(
    place: Place, rep_points: dict[str, dict[str, tuple[float, float]]], tier_ids: list[str]
) -> tuple[float, float] | None:
    """The representative point of the place's finest area at least 100 m from the place, going up a
    tier when the area is too small (or the place lies outside the finer tiers). None when every area's
    point is too close (the place is then withheld: its location cannot be shown safely)."""
    for tier_id in reversed(tier_ids):
        area = place.areas.get(tier_id)
        point = rep_points.get(tier_id, {}).get(area[0]) if area else None
        if point is None:
            continue
        if place.lat is None or place.lon is None:
            return point
        if _distance_m(place.lat, place.lon, point[0], point[1]) >= MIN_AREA_DISTANCE_M:
            return point
    return None


_BUILDING = re.compile(
    r"[\s　(（、,]|[ァ-ヶー]*(?:ハイツ|マンション|コーポ|アパート|レジデンス|ビル|ハウス|メゾン|パレス)|[一-龥]*(?:荘|団地|号棟|号室)"
)


def cut_to_town(address: str, town: str = "") -> str:
    """The address up to its town name, without street number or building: 岡山県たから市本町二丁目3-5 →
    岡山県たから市本町二丁目. Uses the geocoder's matched town when known; otherwise keeps up to 丁目, or
    stops before the 番地, a space or a building name."""
    text = normalise_text(address)
    if town and town in text:
        return text[: text.index(town) + len(town)]
    m = re.match(r"^(.*?[0-9一二三四五六七八九十]+丁目)", text)
    if m:
        return m[1]
    m = re.match(r"^(.*?)(?:[0-9]|[一二三四五六七八九十百千]+(?:番|-|の|号))", text)
    head = m[1] if m else text
    b = _BUILDING.search(head)
    return (head[: b.start()] if b else head).rstrip("-　 ")


# ---------------------------------------------------------------- free text


@dataclass(frozen=True)
class Masking:
    field: str  # Takara Map field
    column: str  # its Japanese column name
    kind: str  # phone / email / address / home / person
    found: str  # what was masked (for the coordinators' report only)


def mask_text(text: str, place: Place, exact: bool, fieldname: str = "") -> tuple[str, list[Masking]]:
    """`text` with the private details it holds replaced by 〔非公開〕 / 〔個人宅〕, unless the record's own
    consent covers them (its own phone with 連絡先掲載 可; its own street address when the venue is public)."""
    if not text:
        return text, []
    column = TEXT_FIELDS.get(fieldname, fieldname)
    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, replacement
    own_phones = (
        contact_phones(place.contact) | {phone_digits(place.contact)} if place.contact_consent else set()
    )
    own_phones.discard("")
    for start, end in find_phones(text):
        digits = phone_digits(text[start:end])
        if any(own.endswith(digits) for own in own_phones):  # its own, maybe without the area code
            continue
        spans.append((start, end, "phone", MASK))
    read = Shadow.of(text)
    shadow = read.text
    for start, end in email_spans(shadow):
        if not (place.contact_consent and shadow[start:end] in normalise_text(place.contact)):
            spans.append((*read.original(start, end), "email", MASK))
    own_address = normalise_header(Shadow.of(place.address).text) if exact else ""  # read as the text is
    for start, end in street_number_spans(shadow):
        if own_address and normalise_header(shadow[start:end]) in own_address:
            continue
        spans.append((*read.original(start, end), "address", MASK))
    for start, end in home_name_spans(shadow):
        spans.append((*read.original(start, end), "home", HOME_MASK))
    person = compact(place.representative)
    if len(person) >= 2:  # 山田 花子 is found as 山田花子 and 山田　花子 too
        for m in re.finditer(r"\s*".join(map(re.escape, person)), shadow):
            spans.append((*read.original(m.start(), m.end()), "person", MASK))
    if not spans:
        return text, []
    out, found, last = [], [], 0
    priority = {"phone": 0, "email": 1, "home": 2, "person": 3, "address": 4}
    for start, end, kind, replacement in sorted(spans, key=lambda s: (s[0], priority[s[2]])):
        if start < last:
            last = max(last, end)  # overlapping spans: the first one's mask covers both
            continue
        out += [text[last:start], replacement]
        found.append(Masking(fieldname, column, kind, text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out), found


def masked_texts(place: Place, exact: bool) -> tuple[dict[str, str], list[Masking]]:
    """Every free-text field as it may be published, and what was masked."""
    texts: dict[str, str] = {}
    found: list[Masking] = []
    for fieldname in TEXT_FIELDS:
        texts[fieldname], masked = mask_text(getattr(place, fieldname), place, exact, fieldname)
        found += masked
    if exact:  # published whole only then: what else was typed into these cells is checked too
        for fieldname, column in (("venue", "会場"), ("address", "所在地")):
            texts[fieldname], masked = mask_text(getattr(place, fieldname), place, exact, fieldname)
            found += [Masking(fieldname, column, m.kind, m.found) for m in masked]
    return texts, found


MASK_WORDS = {
    "phone": ("電話番号", "a phone number"),
    "email": ("メールアドレス", "an e-mail address"),
    "address": ("番地", "a street number"),
    "home": ("個人宅の名前", "a private home's name"),
    "person": ("代表者の名前", "the representative's name"),
}


def masking_message(m: Masking) -> tuple[str, str]:
    ja, en = MASK_WORDS[m.kind]
    hint = (
        "載せてよい自分の連絡先なら「連絡先」の列に書き、連絡先掲載を可にしてください"
        if m.kind in ("phone", "email")
        else "個人宅の場所や名前は載せません"
        if m.kind == "home"
        else "会場の住所は「所在地」の列に書いてください"
        if m.kind == "address"
        else "代表者の名前は載せません"
    )
    return (
        f"{m.column}に{ja}（{m.found[:4]}…）が書かれていたため「{MASK if m.kind != 'home' else HOME_MASK}」に"
        f"置き換えて載せます。{hint}",
        f"{en} in {m.field} was masked",
    )


# ---------------------------------------------------------------- rows of one group


_SMALL_KANA = str.maketrans("ヶヵケカゖゕ", "ケカケカケカ")


def group_key(name: str) -> str:
    """A group's name compared after NFKC, in lower case, with ヶ/ケ alike and without spaces,
    zero-width characters, punctuation or symbols (中野・体操 and 中野体操 name one group)."""
    text = normalise_text(name).lower().translate(_SMALL_KANA)
    key = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    return key or text  # a name of symbols only (♪♪) is still its own group, not every blank name's


@dataclass
class Link:
    place: Place
    other: Place
    what: str  # consent / contact_consent / photo_consent
    why: str  # 名称 / 電話番号 / 写真


def _strictest(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def link_rows(places: list[Place], public_phones: set[str] | None = None) -> list[Link]:
    """Rows naming the same group, or sharing a phone (or a photo), share the strictest consent for what
    they share: the record (by name), the contact number (by phone), the photo (by file). A phone the
    project publishes itself (the coordinators' contacts in [site]) links nothing. Changes the places in
    place; returns one Link per value lowered, for the report."""
    public_phones = public_phones or set()
    changes: list[Link] = []

    def lower(groups: dict[str, list[Place]], attr: str, why: str) -> None:
        for members in groups.values():
            if len(members) < 2:
                continue
            strict = _strictest([getattr(p, attr) for p in members])
            source = next(p for p in members if getattr(p, attr) == strict)
            for p in members:
                if getattr(p, attr) != strict and (attr == "consent" or getattr(p, attr)):
                    setattr(p, attr, strict if attr == "consent" else False)
                    changes.append(Link(p, source, attr, why))

    by_name: dict[str, list[Place]] = defaultdict(list)
    by_phone: dict[str, list[Place]] = defaultdict(list)
    by_photo: dict[str, list[Place]] = defaultdict(list)
    for p in places:
        by_name[group_key(p.name)].append(p)
        for digits in contact_phones(p.contact):  # each number of a cell holding two
            if digits not in public_phones:
                by_phone[digits].append(p)
        if p.photo:
            by_photo[normalise_header(p.photo)].append(p)
    lower(by_name, "consent", "名称")
    lower(by_name, "photo_consent", "名称")
    lower(by_phone, "contact_consent", "電話番号")
    lower(by_photo, "photo_consent", "写真")
    return changes


LINK_WORDS = {
    "consent": ("掲載しません", "not published"),
    "contact_consent": ("連絡先を載せません", "contact withheld"),
    "photo_consent": ("写真を載せません", "photo withheld"),
}


def link_message(link: Link) -> tuple[str, str]:
    ja, en = LINK_WORDS[link.what]
    return (
        f"{link.other.source} {link.other.row}行目と{link.why}が同じ（同じ団体・連絡先とみなします）で、"
        f"そちらが不可または空欄のため、この行も{ja}。載せてよいなら両方の行を可にしてください",
        f"linked to {link.other.source} row {link.other.row} by the same {link.why}: the stricter consent "
        f"wins ({en})",
    )


# ---------------------------------------------------------------- the record


def withhold_reason(place: Place) -> tuple[str, str] | None:
    """(Japanese, English) reason to withhold the whole record, or None to publish it."""
    if place.consent is False:
        return "掲載不可（同意なし）", "no consent to publish"
    if place.consent is None:
        return "掲載可否が空欄（同意が確認できない）", "consent not recorded"
    if place.status == STATUS_ENDED:
        return "活動終了", "activity has ended"
    return None


def photo_path_problem(path: str) -> tuple[str, str] | None:
    """(Japanese, English) reason a photo path may not be used, or None. A photo is a file inside the map
    project named by a relative path: never a URL (javascript:, http:, data:, file:), an absolute path or a
    path climbing out with .. (a sheet could otherwise make the build read and publish any file)."""
    text = path.strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text):
        return (
            "写真は URL やドライブ名ではなく、プロジェクト内のファイル名で書いてください",
            "a photo must be a file in the project, not a URL or drive",
        )
    if text.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", text):
        return (
            "写真はプロジェクトのフォルダの中のファイルだけ使えます（外を指す .. や / で始まるパスは使えません）",
            "a photo must be inside the project folder (no absolute path, no ..)",
        )
    return None


def photo_inside_project(path: Path, root: Path) -> bool:
    """The file a photo path resolves to, symbolic links followed, lies inside the project folder."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def public_venue_kind(place: Place, decision: LocationDecision) -> str:
    """The kind as it may be published: a known kind's own word only (a kind written 個人宅（山田）
    would otherwise publish the family name)."""
    if decision.home:
        return VENUE_HOME
    canonical = VENUE_KIND_ALIASES.get(normalise_header(place.venue_kind), "")
    return canonical


def to_public(
    place: Place,
    number: int,
    rep_points: dict[str, dict[str, tuple[float, float]]],
    project: Project,
    today: date,
    venues: PublicVenues | None = None,
) -> PublicPlace:
    """The published form of a place whose record may be published. `rep_points` is tier id → area id →
    (lat, lon). Raises ValueError when an area-level place has no area point far enough from it (the
    pipeline withholds such a place before it gets here)."""
    venues = venues or PublicVenues.of(project)
    decision = decide_location(place, venues)
    precision = project.build.precision
    lat, lon = place.lat, place.lon
    address, venue = place.address, place.venue
    texts, _ = masked_texts(place, decision.exact)
    if not decision.exact:
        point = area_point(place, rep_points, [t.id for t in project.tiers])
        if point is None:
            raise ValueError(f"{place.source} row {place.row}: no safe area point")
        lat, lon = point
        address = cut_to_town(place.address, place.town)
        venue = HOME_VENUE_LABEL if decision.home else AREA_VENUE_LABEL
        precision = min(precision, 4)  # an area's point needs no more; it also keeps home points off any grid
    else:
        venue, address = texts["venue"], texts["address"]
    stale = bool(place.confirmed and months_between(place.confirmed, today) > project.build.stale_months)
    photo_ok = place.photo and place.photo_consent and not photo_path_problem(place.photo)
    return PublicPlace(
        id=str(number),
        number=number,
        name=texts["name"],
        category=place.category,
        organiser=texts["organiser"],
        venue=venue,
        venue_kind=public_venue_kind(place, decision),
        address=address,
        lat=round(float(lat), precision),  # type: ignore[arg-type]
        lon=round(float(lon), precision),  # type: ignore[arg-type]
        location_precision=decision.how,
        schedule_text=texts["schedule_text"],
        target=texts["target"],
        fee=texts["fee"],
        activities=texts["activities"],
        participants=texts["participants"],
        phone=place.contact if place.contact_consent else "",
        photo=place.photo if photo_ok else "",
        story=texts["story"],
        status=place.status,
        confirmed=place.confirmed,
        stale=stale,
        areas=dict(place.areas),
        schedule=place.schedule,
    )
