"""Geocoding: a record without coordinates is located from its Japanese address.

Offline first, from a gazetteer of town (町丁・字) representative points laid out as
normalize-japanese-addresses reads it: `ja.json` (prefecture -> city names) beside a folder
`ja/<都道府県>/<市区町村>.json` of `{town, koaza, lat, lng}` entries. An optional finer file
`ja/<都道府県>/<市区町村>/<town>.json` of `{addr | gaiku[, jyukyo], lat, lng}` entries gives 番地 points.

We match with our own longest-prefix matcher over normalised town names instead of calling
normalize-japanese-addresses: that library takes ~0.2 s per call, raises on a city outside the
folder and cannot read an address without its prefecture and city. Ours answers in microseconds
and says why it missed.

The online geocoder (GSI address search) is off unless asked for. Its answers are kept in a JSON
cache file so a rebuild never asks twice; a network failure is a miss with a reason, never a crash.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import InputError, OutputError
from gis.place import normalise_text

LEVEL_BANCHI = "番地"
LEVEL_CHOME = "町丁目"
LEVEL_OAZA = "大字"
LEVEL_CITY = "市区町村"
LEVEL_MISS = ""
# finest first; a result is "better" when its level comes earlier
LEVELS = (LEVEL_BANCHI, LEVEL_CHOME, LEVEL_OAZA, LEVEL_CITY, LEVEL_MISS)

GSI_URL = "https://msearch.gsi.go.jp/address-search/AddressSearch?q="
SOURCE_GAZETTEER = "gazetteer"
SOURCE_ONLINE = "gsi"
# An online answer further than this from the gazetteer's town point is taken for a wrong hit
# (GSI returns its best fuzzy guess, sometimes in another town with a similar name).
ONLINE_AGREEMENT_M = 3000.0

PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)


@dataclass(frozen=True)
class GeocodeResult:
    lat: float | None
    lon: float | None
    level: str  # one of LEVELS; '' for a miss
    town: str  # gazetteer town name as written there (e.g. 阿知二丁目), '' when not matched
    pref: str
    city: str
    koaza: str = ""  # 小字 when the gazetteer has a point for it
    source: str = ""  # "gazetteer", "gsi" or "" for a miss
    reason: str = ""  # why it missed (Japanese / English), '' when located at town level or finer

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


# --------------------------------------------------------------------------- helpers for the pipeline


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius): good to ~0.5 % at town scale."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def looks_swapped(lat: float, lon: float, bbox: tuple[float, float, float, float]) -> bool:
    """True when (lat, lon) lies outside bbox = (min_lon, min_lat, max_lon, max_lat) but the two
    values swapped lie inside: a coordinator typed 経度 in the 緯度 column and the other way round."""
    min_lon, min_lat, max_lon, max_lat = bbox

    def inside(la: float, lo: float) -> bool:
        return min_lat <= la <= max_lat and min_lon <= lo <= max_lon

    return not inside(lat, lon) and inside(lon, lat)


# --------------------------------------------------------------------------- text normalisation

_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUM = "〇零一二三四五六七八九十百千"
# Old and variant characters seen in addresses, mapped the same way on both sides of a match.
_VARIANTS = str.maketrans(
    {
        "ヶ": "ケ",
        "ヵ": "ケ",
        "が": "ケ",
        "ガ": "ケ",
        "ノ": "の",
        "之": "の",
        "澤": "沢",
        "濱": "浜",
        "邊": "辺",
        "邉": "辺",
        "櫻": "桜",
        "嶋": "島",
        "嶌": "島",
        "國": "国",
        "龍": "竜",
        "舘": "館",
        "瀨": "瀬",
        "冨": "富",
        "槇": "槙",
        "髙": "高",
        "﨑": "崎",
        "圓": "円",
        "與": "与",
        "齋": "斎",
        "齊": "斉",
    }
)


def _kanji_to_int(text: str) -> int:
    if not any(ch in _KANJI_UNITS for ch in text):  # 一二三 written digit by digit
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, 0
    for ch in text:
        if ch in _KANJI_UNITS:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
        else:
            digit = _KANJI_DIGITS[ch]
    return total + digit


_KANJI_BEFORE_UNIT = re.compile(f"([{_KANJI_NUM}]+)(?=丁目|丁|番地|番|号)")
# 五番地の一, 二丁目五-一: numerals after a unit (python's look-behind wants one width per branch)
_KANJI_AFTER_UNIT = re.compile(
    f"(?:(?<=丁目)|(?<=番地)|(?<=[番-])|(?<=番地の)|(?<=番の)|(?<=\\dの))([{_KANJI_NUM}]+)"
)


def canonical(text: str) -> str:
    """The form towns and addresses are compared in: NFKC, no spaces, one kind of dash,
    丁目/番地 numbers in Arabic digits, 字 markers dropped, variant kana and kanji unified.
    Applied to both the gazetteer and the address, so it only has to be consistent."""
    s = normalise_text(text)
    s = re.sub(r"\s+", "", s)
    s = _KANJI_BEFORE_UNIT.sub(lambda m: str(_kanji_to_int(m.group(1))), s)
    s = _KANJI_AFTER_UNIT.sub(lambda m: str(_kanji_to_int(m.group(1))), s)
    s = re.sub(r"(?<=\d)[ー－‐―〜～](?=\d)", "-", s)  # 2ー5ー1: the long-vowel mark used as a dash
    s = re.sub(r"(?<=\d)の(?=\d)", "-", s)  # 123の4
    s = re.sub(r"(?<=\d)丁(?!目)", "丁目", s)  # 2丁5-1
    s = s.replace("小字", "").replace("大字", "").replace("字", "")
    return s.translate(_VARIANTS)


def _house_number(rest: str) -> str:
    """'5番1号', '5番地の1', '5-1' -> '5-1' (the leading 番地 part of what follows the town)."""
    s = re.sub(r"番地|番|丁目|の", "-", rest)
    s = s.replace("号", "")
    m = re.match(r"\d+(?:-+\d+)*", s)
    return re.sub(r"-+", "-", m.group(0)) if m else ""


def _strip_postcode(text: str) -> str:
    return re.sub(r"^〒?\d{3}-?\d{4}", "", text).removeprefix("日本")


def _level_of(name: str) -> str:
    return LEVEL_CHOME if canonical(name).endswith("丁目") else LEVEL_OAZA


# --------------------------------------------------------------------------- gazetteer


@dataclass
class _Town:
    town: str  # as written in the gazetteer
    lat: float | None  # None: the gazetteer names the town but has no point for it (new towns do this)
    lng: float | None
    koaza: dict[str, tuple[str, float, float]]  # canonical koaza -> (koaza, lat, lng)


@dataclass
class _City:
    pref: str
    city: str
    folder: Path  # ja/<pref>/<city>/ for optional 番地 files
    towns: dict[str, _Town]  # canonical town name -> town
    chome: dict[str, dict[int, str]]  # canonical base name -> 丁目 number -> canonical town key
    bases: dict[
        str, tuple[str, float, float]
    ]  # base with 丁目 towns only (阿知) -> (name, central 丁目 point)
    max_len: int
    aliases: tuple[str, ...] = ()  # canonical ways the city is written
    banchi: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)  # town -> 番地 -> point


def _find_gazetteer(path: Path) -> tuple[Path, Path | None]:
    """(the `ja` folder, ja.json or None). Accepts the `ja` folder itself or the folder holding it."""
    path = Path(path)
    if (path / "ja").is_dir() and not any(p.is_dir() and p.name in PREFECTURES for p in path.iterdir()):
        path = path / "ja"
    if not path.is_dir():
        raise InputError(
            str(path), "町名データ（gazetteer）のフォルダがありません / gazetteer folder not found"
        )
    index = path.parent / (path.name + ".json")
    return path, index if index.is_file() else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(path), f"町名データを読めません / cannot read gazetteer file: {exc}") from exc


def _central(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The given point nearest the mean: a real place inside the area, unlike a mean that may fall in the sea."""
    mlat = sum(p[0] for p in points) / len(points)
    mlng = sum(p[1] for p in points) / len(points)
    return min(points, key=lambda p: (p[0] - mlat) ** 2 + (p[1] - mlng) ** 2)


def _load_city(pref: str, file: Path) -> _City:
    entries = _read_json(file)
    if not isinstance(entries, list):
        raise InputError(
            str(file), "町名データの形式が違います（配列ではありません） / gazetteer file is not a JSON list"
        )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for i, e in enumerate(entries, start=1):
        try:
            town = str(e["town"])
            # Real gazetteers name some new towns before they have a point (石巻市湊西 has lat null).
            lat = None if e.get("lat") is None else float(e["lat"])
            lng = None if e.get("lng") is None else float(e["lng"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(
                str(file), f"{i}件目に town/lat/lng がありません / entry {i} lacks town, lat or lng"
            ) from exc
        grouped.setdefault(town, []).append({"koaza": str(e.get("koaza") or ""), "lat": lat, "lng": lng})
    towns: dict[str, _Town] = {}
    for town, items in grouped.items():
        placed = [x for x in items if x["lat"] is not None and x["lng"] is not None]
        plain = [(x["lat"], x["lng"]) for x in placed if not x["koaza"]]
        lat, lng = (
            plain[0]
            if plain
            else _central([(x["lat"], x["lng"]) for x in placed])
            if placed
            else (None, None)
        )
        koaza = {canonical(x["koaza"]): (x["koaza"], x["lat"], x["lng"]) for x in placed if x["koaza"]}
        key = canonical(town)
        if key and key not in towns:
            towns[key] = _Town(town, lat, lng, koaza)
    chome: dict[str, dict[int, str]] = {}
    for key in towns:
        m = re.fullmatch(r"(.+?)(\d+)丁目", key)
        if m:
            chome.setdefault(m.group(1), {})[int(m.group(2))] = key
    bases = {}
    for base, numbers in chome.items():
        points = [
            (t.lat, t.lng)
            for t in (towns[k] for k in numbers.values())
            if t.lat is not None and t.lng is not None
        ]
        if base not in towns and points:
            lat, lng = _central(points)
            name = re.sub(f"[{_KANJI_NUM}\\d]+丁目$", "", towns[min(numbers.items())[1]].town)
            bases[base] = (name, lat, lng)
    return _City(
        pref,
        file.stem,
        file.with_suffix(""),
        towns,
        chome,
        bases,
        max((len(k) for k in list(towns) + list(bases)), default=0),
        tuple(canonical(a) for a in _city_aliases(file.stem)),
    )


def towns(gazetteer: Path) -> list[dict[str, Any]]:
    """Every town of the gazetteer once, in file order: {pref, city, town, level, lat, lng}."""
    folder, _ = _find_gazetteer(gazetteer)
    out: list[dict[str, Any]] = []
    for file in sorted(folder.glob("*/*.json")):
        city = _load_city(file.parent.name, file)
        for t in city.towns.values():
            if t.lat is None:
                continue
            out.append(
                {
                    "pref": city.pref,
                    "city": city.city,
                    "town": t.town,
                    "level": _level_of(t.town),
                    "lat": t.lat,
                    "lng": t.lng,
                }
            )
    return out


def _city_aliases(city: str) -> list[str]:
    """'都窪郡早島町' is often written '早島町'."""
    names = [city]
    m = re.fullmatch(r".+?郡(.+)", city)
    if m:
        names.append(m.group(1))
    return names


# --------------------------------------------------------------------------- the geocoder


class Geocoder:
    """Locate Japanese addresses. `locate()` is memoised per address, so repeated towns cost nothing.

    default_city / default_pref: the city assumed when an address names none. Derived from the
    gazetteer when it holds a single city (or a single prefecture); may be given explicitly.
    """

    def __init__(
        self,
        gazetteer: Path | None,
        online: bool = False,
        cache_path: Path | None = None,
        *,
        default_city: str | None = None,
        default_pref: str | None = None,
        timeout: float = 10.0,
        min_interval: float = 0.5,
    ) -> None:
        self.online = online
        self.cache_path = Path(cache_path) if cache_path else None
        self.timeout = timeout
        self.min_interval = min_interval  # seconds between requests: be gentle with a free public service
        self._memo: dict[str, GeocodeResult] = {}
        self._cache: dict[str, Any] = self._load_cache() if online else {}
        self._online_down = ""  # set after a connection failure so one outage does not cost a timeout per row
        self._last_request = 0.0
        self._unsaved = False
        self.requests_made = 0

        self._cities: list[_City] = []
        self._known: dict[str, list[str]] = {}  # every pref -> city names (ja.json), to name misses
        if gazetteer is not None:
            folder, index = _find_gazetteer(gazetteer)
            for file in sorted(folder.glob("*/*.json")):
                self._cities.append(_load_city(file.parent.name, file))
            if index is not None:
                raw = _read_json(index)
                if isinstance(raw, dict):
                    self._known = {
                        str(p): [str(c) for c in cs] for p, cs in raw.items() if isinstance(cs, list)
                    }
        for c in self._cities:
            self._known.setdefault(c.pref, [])
            if c.city not in self._known[c.pref]:
                self._known[c.pref].append(c.city)
        ours = {(c.pref, c.city) for c in self._cities}
        self._other_cities = sorted(
            (
                (p, city, canonical(alias))
                for p, cities in self._known.items()
                for city in cities
                if (p, city) not in ours
                for alias in _city_aliases(city)
                if len(alias) >= 2
            ),
            key=lambda x: -len(x[2]),
        )

        prefs = sorted({c.pref for c in self._cities})
        self.default_pref = default_pref or (prefs[0] if len(prefs) == 1 else None)
        self.default_city = default_city or (self._cities[0].city if len(self._cities) == 1 else None)
        if self.default_city and not self.default_pref:
            self.default_pref = next((c.pref for c in self._cities if c.city == self.default_city), None)

    # ---- public

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        """(min_lon, min_lat, max_lon, max_lat) of the gazetteer's points, for looks_swapped()."""
        pts = [
            (t.lng, t.lat)
            for c in self._cities
            for t in c.towns.values()
            if t.lat is not None and t.lng is not None
        ]
        if not pts:
            return None
        return (
            min(p[0] for p in pts),
            min(p[1] for p in pts),
            max(p[0] for p in pts),
            max(p[1] for p in pts),
        )

    def save(self) -> None:
        """Write any online answers not yet in the cache file (each is also written as it arrives)."""
        if self._unsaved:
            self._save_cache()

    def locate(self, address: str) -> GeocodeResult:
        key = address or ""
        hit = self._memo.get(key)
        if hit is None:
            hit = self._locate(key)
            self._memo[key] = hit
        return hit

    # ---- offline

    def _locate(self, address: str) -> GeocodeResult:
        text = _strip_postcode(canonical(address))
        if not text:
            return GeocodeResult(
                None, None, LEVEL_MISS, "", "", "", reason="住所が空です / the address is empty"
            )
        result = self._offline(text)
        if self.online and result.level != LEVEL_BANCHI:
            result = self._better_online(result, self._query(address, result))
        return result

    @staticmethod
    def _query(address: str, offline: GeocodeResult) -> str:
        """What to ask GSI (and the cache key): the address as written, with the prefecture and
        city the gazetteer assumed put in front, so 茶屋町早沖1 is not looked for all over Japan."""
        text = _strip_postcode(re.sub(r"\s+", "", normalise_text(address)))
        if offline.pref and not text.startswith(offline.pref):
            named = not offline.city or any(text.startswith(a) for a in _city_aliases(offline.city))
            text = offline.pref + ("" if named else offline.city) + text
        return text

    def _offline(self, text: str) -> GeocodeResult:
        """The gazetteer's answer for a canonical address."""
        pref = next((p for p in PREFECTURES if text.startswith(p)), "")
        rest = text[len(pref) :]
        candidates = [c for c in self._cities if c.pref == (pref or self.default_pref)] or (
            [] if pref else self._cities
        )

        # a city the gazetteer holds, named in the address
        for c in (c for c in self._cities if not pref or c.pref == pref):
            for alias in c.aliases:
                if rest.startswith(alias):
                    return self._in_city(c, rest[len(alias) :])

        # After a prefecture a city is expected, so look for one outside the gazetteer first;
        # without one, the address more likely starts with a town of the default city.
        other = self._other_city(pref, rest) if pref else None
        if other is not None:
            return other
        default = [c for c in candidates if c.city == self.default_city] if self.default_city else []
        for c in default or candidates:
            found = self._in_city(c, rest)
            if found.located:
                return found
        other = self._other_city(pref, rest)
        if other is not None:
            return other

        if not self._cities:
            return GeocodeResult(
                None,
                None,
                LEVEL_MISS,
                "",
                pref,
                "",
                reason="町名データ（gazetteer）が設定されていません / no gazetteer configured",
            )
        if pref and not candidates:
            return GeocodeResult(
                None,
                None,
                LEVEL_MISS,
                "",
                pref,
                "",
                reason=f"町名データに{pref}がありません / the gazetteer has no towns in {pref}",
            )
        lone = default[0] if default else (candidates[0] if len(candidates) == 1 else None)
        if lone is not None:  # city assumed, town unknown
            return self._in_city(lone, rest)
        return GeocodeResult(
            None,
            None,
            LEVEL_MISS,
            "",
            pref,
            "",
            reason="市区町村が分かりません / no known city in the address",
        )

    def _other_city(self, pref: str, rest: str) -> GeocodeResult | None:
        """A miss naming a city that the gazetteer does not cover (e.g. 東京都千代田区)."""
        for p, city, alias in self._other_cities:
            if (not pref or p == pref) and rest.startswith(alias):
                return GeocodeResult(
                    None,
                    None,
                    LEVEL_MISS,
                    "",
                    p,
                    city,
                    reason=f"町名データに{p}{city}がありません / the gazetteer has no towns for {p}{city}",
                )
        return None

    def _in_city(self, c: _City, rest: str) -> GeocodeResult:
        key, after, base_point = self._match_town(c, rest)
        if key is None and base_point is None:
            return GeocodeResult(
                None,
                None,
                LEVEL_CITY,
                "",
                c.pref,
                c.city,
                reason=f"町名が見つかりません / no gazetteer town matches: {rest[:30]}",
            )
        if key is None:  # 丁目 towns of this name exist, but not the number given: their central one
            assert base_point is not None
            name, lat, lng = base_point
            return GeocodeResult(lat, lng, LEVEL_OAZA, name, c.pref, c.city, source=SOURCE_GAZETTEER)
        t = c.towns[key]
        fine = self._banchi(c, t, after)
        if fine is not None:
            return GeocodeResult(
                fine[0], fine[1], LEVEL_BANCHI, t.town, c.pref, c.city, source=SOURCE_GAZETTEER
            )
        for kkey in sorted(t.koaza, key=len, reverse=True):
            if after.startswith(kkey):
                name, lat, lng = t.koaza[kkey]
                return GeocodeResult(
                    lat, lng, _level_of(name), t.town, c.pref, c.city, koaza=name, source=SOURCE_GAZETTEER
                )
        if t.lat is None or t.lng is None:
            return GeocodeResult(
                None,
                None,
                LEVEL_CITY,
                t.town,
                c.pref,
                c.city,
                reason=f"町名データに{t.town}の代表点がありません / the gazetteer has no point for {t.town}",
            )
        return GeocodeResult(t.lat, t.lng, _level_of(t.town), t.town, c.pref, c.city, source=SOURCE_GAZETTEER)

    @staticmethod
    def _match_town(c: _City, rest: str) -> tuple[str | None, str, tuple[str, float, float] | None]:
        """Longest town name at the start of rest: (town key, what follows it, None).
        '阿知2-5-1' is read as 阿知二丁目 when that 丁目 exists (the usual short form).
        When only the 丁目 base matches (阿知9丁目 does not exist): (None, base name, its central point)."""
        for n in range(min(len(rest), c.max_len), 0, -1):
            head = rest[:n]
            numbers = c.chome.get(head)
            if numbers:
                m = re.match(r"(\d+)(?:丁目|-|$)", rest[n:])
                if m and int(m.group(1)) in numbers:
                    return numbers[int(m.group(1))], rest[n + m.end() :], None
            if head in c.towns:
                return head, rest[n:], None
            if head in c.bases:
                return None, head, c.bases[head]
        return None, "", None

    def _banchi(self, c: _City, t: _Town, after: str) -> tuple[float, float] | None:
        """A 番地 point, when the gazetteer has a file for the town (it usually does not)."""
        number = _house_number(after.lstrip("-"))
        if not number:
            return None
        table = self._banchi_table(c, t)
        parts = number.split("-")
        for i in range(len(parts), 0, -1):  # 5-1-3, then 5-1, then 5
            hit = table.get("-".join(parts[:i]))
            if hit:
                return hit
        return None

    def _banchi_table(self, c: _City, t: _Town) -> dict[str, tuple[float, float]]:
        cache = c.banchi
        if t.town not in cache:
            table: dict[str, tuple[float, float]] = {}
            file = c.folder / f"{t.town}.json"
            if file.is_file():
                for e in _read_json(file) or []:
                    try:
                        addr = e.get("addr") or "-".join(str(e[k]) for k in ("gaiku", "jyukyo") if e.get(k))
                        table.setdefault(
                            _house_number(canonical(str(addr))), (float(e["lat"]), float(e["lng"]))
                        )
                    except (AttributeError, KeyError, TypeError, ValueError):
                        continue  # a malformed 番地 row only costs that 番地; the town point still works
            cache[t.town] = table
        return cache[t.town]

    # ---- online

    def _load_cache(self) -> dict[str, Any]:
        if not self.cache_path or not self.cache_path.exists():
            return {}
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                str(self.cache_path),
                "ジオコーディングのキャッシュが壊れています。削除してから再実行してください / "
                f"the geocode cache is damaged; delete it and build again ({exc})",
            ) from exc
        return data if isinstance(data, dict) else {}

    def _save_cache(self) -> None:
        if not self.cache_path:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_name(self.cache_path.name + ".tmp")
        tmp.write_text(
            json.dumps(self._cache, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8"
        )
        os.replace(tmp, self.cache_path)  # never leave a half-written cache behind
        self._unsaved = False

    def _ask_gsi(self, query: str) -> tuple[list[Any] | None, str]:
        """GSI's features for query (from the cache when asked before), or None and why."""
        if query in self._cache:
            return self._cache[query], ""
        if self._online_down:
            return None, self._online_down
        wait = self.min_interval - (time.monotonic() - self._last_request)
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        self.requests_made += 1
        try:
            req = urllib.request.Request(
                GSI_URL + urllib.parse.quote(query),
                headers={"User-Agent": "takara-map (geocoding with cache)"},
            )
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                features = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:  # the service answered: only this address failed
            return None, f"オンライン検索に失敗しました / online geocoder answered HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            self._online_down = f"オンライン検索に接続できません / online geocoder unreachable: {exc}"
            return None, self._online_down
        except (ValueError, UnicodeDecodeError) as exc:
            return (
                None,
                f"オンライン検索の応答を読めません / online geocoder sent an unreadable answer: {exc}",
            )
        if not isinstance(features, list):
            return None, "オンライン検索の応答を読めません / online geocoder sent an unexpected answer"
        self._cache[query] = features
        self._unsaved = True
        try:
            self._save_cache()
        except OSError as exc:
            raise OutputError(
                f"{self.cache_path}: ジオコーディングのキャッシュを書けません / "
                f"cannot write the geocode cache: {exc}"
            ) from exc
        return features, ""

    def _better_online(self, offline: GeocodeResult, query: str) -> GeocodeResult:
        """GSI's answer when it is finer than the gazetteer's and agrees with it; else the offline one."""
        features, why = self._ask_gsi(query)
        if features is None:
            return (
                offline if offline.located else _with_reason(offline, f"{offline.reason}; {why}".strip("; "))
            )
        online = self._from_gsi(features)
        refused = ""
        if online is None or online.level in (LEVEL_CITY, LEVEL_MISS):
            refused = "オンラインでも町名まで見つかりません / the online geocoder found no town either"
        elif offline.city and online.city and (offline.pref, offline.city) != (online.pref, online.city):
            refused = f"オンラインの結果が別の市区町村です / online match is in {online.pref}{online.city}"
        if refused:
            return (
                offline
                if offline.located
                else _with_reason(offline, f"{offline.reason}; {refused}".strip("; "))
            )
        assert online is not None and online.lat is not None and online.lon is not None
        if offline.located:
            assert offline.lat is not None and offline.lon is not None
            far = distance_m(offline.lat, offline.lon, online.lat, online.lon) > ONLINE_AGREEMENT_M
            if far or LEVELS.index(online.level) >= LEVELS.index(offline.level):
                return offline
        return online

    def _from_gsi(self, features: list[Any]) -> GeocodeResult | None:
        try:
            f = features[0]
            lon, lat = (float(v) for v in f["geometry"]["coordinates"][:2])
            title = re.sub(r"\s+", "", normalise_text(f["properties"]["title"]))
        except (IndexError, KeyError, TypeError, ValueError):
            return None
        pref = next((p for p in PREFECTURES if title.startswith(p)), "")
        rest = title[len(pref) :]
        city = next(
            (c for c in sorted(self._known.get(pref, []), key=len, reverse=True) if rest.startswith(c)), ""
        )
        rest = rest[len(city) :]
        town = re.sub(r"[\d-]+$", "", rest)  # GSI ends the title with the 番地 it matched, if any
        if not rest:
            level = LEVEL_CITY
        elif town != rest:
            level = LEVEL_BANCHI
        else:
            level = _level_of(town)
        return GeocodeResult(lat, lon, level, town, pref, city, source=SOURCE_ONLINE)


def _with_reason(r: GeocodeResult, reason: str) -> GeocodeResult:
    return GeocodeResult(r.lat, r.lon, r.level, r.town, r.pref, r.city, r.koaza, r.source, reason)
