"""The map project's config (`takara.toml`), read into typed objects.

Every problem is collected and reported together as `file:line: key: message`; unknown keys warn.
Descriptive metadata ([site]) is kept apart from build behaviour ([build]).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import ConfigError

CONFIG_NAME = "takara.toml"
KEYS: dict[str, set[str]] = {  # every key a table may hold (README documents each: tests/test_readme.py)
    "site": {
        "title",
        "lead",
        "attribution",
        "licence",
        "licence_url",
        "edition",
        "base_url",
        "fictional",
        "contacts",
        "district_contacts",
    },
    "build": {
        "precision",
        "stale_months",
        "gazetteer",
        "online_geocoder",
        "geocode_cache",
        "numbers_file",
        "suspicious_distance_m",
        "walk_distances_m",
    },
    "print": {"basemap", "basemap_attribution", "tile_cache"},
    "": {
        "site",
        "build",
        "print",
        "records",
        "tiers",
        "categories",
        "overlays",
        "insight",
        "towns",
        "privacy",
    },
    "privacy": {"public_kinds", "public_venue_words", "facilities"},
    "layers": {"tiers", "categories", "overlays"},
    "insight": {"population", "needs", "population_points", "roads"},
    "overlays": {"id", "name", "path", "kind", "color", "popup_fields", "show", "attribution", "print_style"},
    "records": {"path", "sheet", "header_row", "columns"},
    "tiers": {
        "id",
        "level",
        "name",
        "path",
        "id_field",
        "name_field",
        "label",
        "towns",
        "areas",
        "town_column",
        "area_column",
    },
    "towns": {"path", "id_field", "name_field", "approximate"},
    "categories": {"id", "label", "color", "icon", "aliases", "answers"},
}
PRINT_STYLES = {"", "street", "line", "landmark", "area", "none"}
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class Contact:
    name: str
    role: str = ""
    phone: str = ""
    hours: str = ""
    districts: tuple[str, ...] = ()  # district-tier area ids this coordinator covers (district_contacts)

    def short(self) -> str:
        """One line for a printed list: the name and the phone."""
        return f"{self.name} {self.phone}".strip()


@dataclass
class SiteMeta:
    title: str
    lead: str = ""
    attribution: str = ""
    licence: str = "CC BY 4.0"
    licence_url: str = "https://creativecommons.org/licenses/by/4.0/deed.ja"
    edition: str = ""  # edition date, YYYY-MM-DD; the only date that may appear in output
    base_url: str = ""
    fictional: bool = False
    contacts: list[Contact] = field(default_factory=list)
    district_contacts: list[Contact] = field(default_factory=list)  # each names the districts it covers

    def contact_for(self, district_id: str) -> Contact | None:
        """Whom a resident asks about a place in this district that publishes no contact: the district's
        coordinator, else the first general contact, else None."""
        for c in self.district_contacts:
            if district_id in c.districts:
                return c
        return self.contacts[0] if self.contacts else None


@dataclass
class BuildOptions:
    precision: int = 6  # decimals of published coordinates
    stale_months: int = 12
    gazetteer: Path | None = None  # folder laid out like normalize-japanese-addresses' `ja`
    online_geocoder: bool = False
    geocode_cache: Path | None = None
    numbers_file: Path | None = None
    suspicious_distance_m: float = 2000.0
    walk_distances_m: tuple[int, ...] = (500, 1000)


@dataclass
class PrivacyOptions:
    """Which venues are known to be public (only those are published at their exact place).
    None = gis.privacy's defaults."""

    public_kinds: tuple[str, ...] | None = None  # 会場種別 values that mean a public venue
    public_venue_words: tuple[str, ...] | None = None  # words in a venue name that mean a public venue
    facilities: tuple[Path, ...] = ()  # lists of public facilities (GeoJSON or CSV with a name column)


@dataclass
class PrintOptions:
    """How the printed maps are drawn ([print])."""

    basemap: str = "gsi-pale"  # gsi-pale / none / an xyzservices name / a tile URL with {z}/{x}/{y}
    basemap_attribution: str = ""  # the tiles' source, printed on every map (required for a URL)
    tile_cache: Path = Path(".takara/tiles")  # fetched tiles are kept here: a rebuild never asks twice


@dataclass
class RecordSource:
    path: Path
    sheet: str | None = None
    header_row: int | None = None  # 1-based; None = detect
    columns: dict[str, str] = field(default_factory=dict)  # sheet header -> Takara Map field
    label: str = ""  # as shown in messages (the path relative to the project)


@dataclass
class Tier:
    id: str
    level: int
    name: str  # display name, e.g. 第2層（中学校区）
    path: Path
    id_field: str
    name_field: str
    label: str = ""  # short word for one area, e.g. 中学校区
    # A tier made from the town layer instead of a boundary file (gis.towns): a town list table
    # (one row per town and its area) or areas written in the config (area name -> town names).
    town_list: Path | None = None
    town_entries: list[tuple[str, str, int]] = field(default_factory=list)  # (area, town, config line)
    town_column: str = ""  # the list's town column (default: detected, e.g. 町名)
    area_column: str = ""  # the list's area column (default: detected, e.g. 自治会名)
    source_label: str = ""  # as shown in messages: the list's path relative to the project, or takara.toml
    town_layer: TownLayer | None = None  # the project's [towns], which such a tier is dissolved from

    @property
    def from_towns(self) -> bool:
        return self.town_list is not None or bool(self.town_entries)


@dataclass
class TownLayer:
    """The city's 町丁・字 polygons that town lists are dissolved from (e-Stat 小地域 via `init`)."""

    path: Path
    id_field: str = "KEY_CODE"
    name_field: str = "S_NAME"
    approximate: bool = False  # e.g. cells around town points: said so on every map and print


@dataclass
class Category:
    id: str
    label: str
    color: str
    icon: str
    aliases: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()  # need kinds this category answers (insight)


@dataclass
class Overlay:
    id: str
    name: str
    path: Path
    kind: str = "auto"  # points / lines / polygons / auto
    color: str = "#555555"
    popup_fields: tuple[str, ...] = ()
    show: bool = False
    attribution: str = ""
    print_style: str = ""  # street / line / landmark / area / none; default from the kind


@dataclass
class Project:
    root: Path
    config_path: Path
    site: SiteMeta
    build: BuildOptions
    records: list[RecordSource]
    tiers: list[Tier]  # sorted by level, coarsest first
    categories: list[Category]
    overlays: list[Overlay] = field(default_factory=list)
    population: Path | None = None
    needs: Path | None = None
    population_points: Path | None = None  # population points or mesh, for coverage by people
    roads: Path | None = None  # road lines, for walking distance along roads
    towns: TownLayer | None = None
    privacy: PrivacyOptions = field(default_factory=PrivacyOptions)
    warnings: list[str] = field(default_factory=list)
    printing: PrintOptions = field(default_factory=PrintOptions)

    def category(self, cid: str) -> Category | None:
        return next((c for c in self.categories if c.id == cid), None)

    @property
    def top_tier(self) -> Tier:
        return self.tiers[0]

    @property
    def district_tier(self) -> Tier:
        """The tier that gets district pages and printed maps: 第2層 when there is one."""
        return self.tiers[1] if len(self.tiers) > 1 else self.tiers[0]

    @property
    def finest_tier(self) -> Tier:
        return self.tiers[-1]


class _Reader:
    """Reads keys out of TOML tables, collecting every problem with its line number."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def line_of(self, key: str) -> int:
        """The line of `key` inside its own table: `records[1].path` is found under the second
        [[records]], `site.edition` under [site] (not the first line where a key of that name appears)."""
        parts = re.findall(r"([^.\[\]]+)(?:\[(\d+)\])?", key.split(".toml:", 1)[-1])
        if not parts:
            return 1
        table, index = parts[0]
        start, end = self._table_range(table, int(index) if index else None)
        last = re.escape(parts[-1][0].strip('"'))
        if len(parts) > 1 or start == 0:
            for pattern in (rf'^\s*"?{last}"?\s*=', rf"^\s*\[+[^\]]*\b{last}\s*\]"):
                for i in range(start, end):
                    if re.search(pattern, self.lines[i]):
                        return i + 1
        return start + 1

    def _table_range(self, table: str, index: int | None) -> tuple[int, int]:
        """0-based [start, end) lines of `[table]`, or of the index-th `[[table]]`, sub-tables included;
        the whole file when there is no such header (keys written inline or at the top)."""
        header = re.compile(r"^\s*(\[\[?)\s*([^\]\s]+)\s*\]")
        count, start = -1, None
        for i, line in enumerate(self.lines):
            m = header.match(line)
            if not m:
                continue
            name, array = m.group(2), m.group(1) == "[["
            if start is not None and not (name.startswith(table + ".") and not (array and name == table)):
                return start, i
            if name == table and (array == (index is not None)):
                count += 1
                if index is None or count == index:
                    start = i
        return (start, len(self.lines)) if start is not None else (0, len(self.lines))

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{self.path.name}:{self.line_of(key)}: {key}: {message}")

    def warn(self, key: str, message: str) -> None:
        self.warnings.append(f"{self.path.name}:{self.line_of(key)}: {key}: {message}")

    def table(self, data: dict, name: str, allowed: set[str]) -> dict:
        for key in data:
            if key not in allowed:
                self.warn(f"{name}.{key}", "unknown key, ignored / 不明な項目のため無視します")
        return data

    def get(
        self, data: dict, name: str, key: str, kind: type, default: Any = None, required: bool = False
    ) -> Any:
        if key not in data:
            if required:
                self.error(f"{name}.{key}", "required / 必須の項目がありません")
            return default
        value = data[key]
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.error(f"{name}.{key}", f"must be {kind.__name__}, got {type(value).__name__}")
            return default
        return value


def _real_date(text: str) -> bool:
    from datetime import date

    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


def _check_build_values(build: BuildOptions, r: _Reader) -> None:
    """Values of the right type can still be impossible; each is reported at load, at its own line."""
    if not 3 <= build.precision <= 8:
        r.error("build.precision", "use between 3 and 8 decimals")
    if build.stale_months < 1:
        r.error("build.stale_months", "use a number of months of at least 1")
    if not build.suspicious_distance_m > 0:
        r.error("build.suspicious_distance_m", "use a distance in metres above 0")
    distances = build.walk_distances_m
    if not distances or not all(
        isinstance(d, (int, float)) and not isinstance(d, bool) and 0 < d <= 50_000 for d in distances
    ):
        r.error("build.walk_distances_m", "list distances in metres, each above 0 (e.g. [500, 1000])")


def _contacts(r: _Reader, entries: Any, key: str, per_district: bool) -> list[Contact]:
    """[[site.contacts]] or [[site.district_contacts]]: each needs a name; a district contact also the
    district ids (of the district tier) it covers."""
    if not isinstance(entries, list):
        r.error(key, "write one [[" + key + "]] table per contact / 連絡先ごとに表を書いてください")
        return []
    out: list[Contact] = []
    for i, c in enumerate(entries):
        if not isinstance(c, dict) or "name" not in c:
            r.error(f"{key}[{i}]", "each contact needs a name / 連絡先には name（名前）が必要です")
            continue
        districts: tuple[str, ...] = ()
        if per_district:
            raw = c.get("districts")
            if not isinstance(raw, list) or not raw or not all(isinstance(d, str) and d for d in raw):
                r.error(
                    f"{key}[{i}].districts",
                    'list the district ids this coordinator covers, e.g. districts = ["higashi"]'
                    " / 担当する地区のIDを書いてください",
                )
                continue
            districts = tuple(raw)
        out.append(
            Contact(
                name=str(c["name"]),
                role=str(c.get("role", "")),
                phone=str(c.get("phone", "")),
                hours=str(c.get("hours", "")),
                districts=districts,
            )
        )
    return out


def _read_toml(path: Path) -> tuple[dict, _Reader]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    return data, _Reader(path, text)


def _privacy_options(r: _Reader, data: dict, path_of: Any) -> PrivacyOptions:
    pv = r.table(data.get("privacy", {}), "privacy", KEYS["privacy"])
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ("public_kinds", "public_venue_words", "facilities"):
        value = r.get(pv, "privacy", key, list)
        if value is not None and not all(isinstance(v, str) and v.strip() for v in value):
            r.error(f"privacy.{key}", "must be a list of words / 文字の並び（リスト）で書いてください")
            value = None
        lists[key] = tuple(value) if value is not None else None
    files = tuple(path_of(f, "privacy.facilities") or Path(f) for f in (lists["facilities"] or ()))
    return PrivacyOptions(lists["public_kinds"], lists["public_venue_words"], files)


def _site_meta(r: _Reader, data: dict) -> SiteMeta:
    """[site]: what the published site says (title, lead, licence, edition, contacts)."""
    s = r.table(data.get("site", {}), "site", KEYS["site"])
    contacts = _contacts(r, s.get("contacts", []), "site.contacts", per_district=False)
    district_contacts = _contacts(
        r, s.get("district_contacts", []), "site.district_contacts", per_district=True
    )
    edition = r.get(s, "site", "edition", str, "")
    if edition and not _real_date(edition):
        r.error(
            "site.edition",
            f"{edition!r} is not a date: write a real date as YYYY-MM-DD / 実在する日付を書いてください",
        )
    site = SiteMeta(
        title=r.get(s, "site", "title", str, "", required=True),
        lead=r.get(s, "site", "lead", str, ""),
        attribution=r.get(s, "site", "attribution", str, ""),
        licence=r.get(s, "site", "licence", str, "CC BY 4.0"),
        licence_url=r.get(s, "site", "licence_url", str, SiteMeta.licence_url),
        edition=edition,
        base_url=r.get(s, "site", "base_url", str, ""),
        fictional=r.get(s, "site", "fictional", bool, False),
        contacts=contacts,
        district_contacts=district_contacts,
    )
    return site


class _Paths:
    """Project-relative paths, resolved; a missing file is an error of the file being read (`reader`:
    takara.toml, or the layers/*.toml file whose entry names the path)."""

    def __init__(self, root: Path, reader: _Reader):
        self.root, self.reader = root, reader

    def __call__(self, value: str | None, key: str, must_exist: bool = True) -> Path | None:
        if not value:
            return None
        p = (self.root / value).resolve()
        if must_exist and not p.exists():
            self.reader.error(key, f"file not found: {value} / ファイルが見つかりません")
        return p


class _Entries:
    """The [[records]], [[tiers]], [[categories]] and [[overlays]] of takara.toml and of every
    layers/*.toml, each with the reader of its file and the key it is reported under."""

    def __init__(self, data: dict, main: _Reader, layer_files: list[tuple[dict, _Reader]]):
        self.data, self.main, self.layer_files = data, main, layer_files

    def __call__(self, name: str) -> list[tuple[dict, _Reader, str]]:
        out = [(e, self.main, f"{name}[{i}]") for i, e in enumerate(self.data.get(name, []))]
        for ldata, lr in self.layer_files:
            out += [(e, lr, f"{lr.path.name}:{name}[{i}]") for i, e in enumerate(ldata.get(name, []))]
        return out


def load_project(root: str | Path) -> Project:
    """Read `<root>/takara.toml` and every `<root>/layers/*.toml` (tiers, categories, overlays may live
    in either). Raises ConfigError listing every problem."""
    root = Path(root)
    config_path = root if root.suffix == ".toml" else root / CONFIG_NAME
    root = config_path.parent.resolve()
    if not config_path.is_file():
        raise ConfigError(
            f"{config_path}: no map project here (expected {CONFIG_NAME}) / 設定ファイルがありません"
        )
    data, r = _read_toml(config_path)
    r.table(data, "", KEYS[""])
    # Layer definitions dropped into layers/: each file may hold [[tiers]], [[categories]], [[overlays]].
    layer_files = [_read_toml(p) for p in sorted((root / "layers").glob("*.toml"))]
    for ldata, lr in layer_files:
        lr.table(ldata, "", KEYS["layers"])
    entries = _Entries(data, r, layer_files)
    paths = _Paths(root, r)

    site = _site_meta(r, data)
    build = _build_options(r, data, paths)
    records = _record_sources(entries, paths, root)
    tiers = _tiers(entries, paths)
    paths.reader = r
    towns = _read_town_layer(data.get("towns"), r, paths, site, entries("tiers"), tiers)
    categories = _categories(entries)
    overlays = []
    for i, (o, rd, key) in enumerate(entries("overlays")):
        paths.reader = rd
        overlays.append(_overlay(o, rd, key, i, paths, root))
    paths.reader = r
    insight = _insight_paths(r, data, paths)
    privacy = _privacy_options(r, data, paths)
    printing = _print_options(r, data)
    readers = [r] + [lr for _, lr in layer_files]
    errors = [e for rd in readers for e in rd.errors]
    if errors:
        raise ConfigError("\n".join(errors))
    return Project(
        root=root,
        config_path=config_path,
        site=site,
        build=build,
        records=records,
        tiers=tiers,
        categories=categories,
        overlays=overlays,
        **insight,
        towns=towns,
        privacy=privacy,
        printing=printing,
        warnings=[w for rd in readers for w in rd.warnings],
    )


def _build_options(r: _Reader, data: dict, path_of: _Paths) -> BuildOptions:
    """[build]: how to build (precision, gazetteer, numbers file …), each value checked."""
    b = r.table(data.get("build", {}), "build", KEYS["build"])
    build = BuildOptions(
        precision=r.get(b, "build", "precision", int, 6),
        stale_months=r.get(b, "build", "stale_months", int, 12),
        gazetteer=path_of(r.get(b, "build", "gazetteer", str), "build.gazetteer"),
        online_geocoder=r.get(b, "build", "online_geocoder", bool, False),
        geocode_cache=path_of(
            r.get(b, "build", "geocode_cache", str, ".takara/geocode-cache.json"),
            "build.geocode_cache",
            must_exist=False,
        ),
        numbers_file=path_of(
            r.get(b, "build", "numbers_file", str, "numbers.json"), "build.numbers_file", must_exist=False
        ),
        suspicious_distance_m=r.get(b, "build", "suspicious_distance_m", float, 2000.0),
        walk_distances_m=tuple(r.get(b, "build", "walk_distances_m", list, [500, 1000])),
    )
    _check_build_values(build, r)
    return build


def _record_sources(entries: _Entries, paths: _Paths, root: Path) -> list[RecordSource]:
    """[[records]]: the record files, each with its sheet, header row and column mapping."""
    from gis.place import FIELD_ALIASES  # the field names a mapping may point at

    records = []
    for rec, r, key in entries("records"):
        paths.reader = r
        r.table(rec, key, KEYS["records"])
        p = r.get(rec, key, "path", str, required=True)
        columns = rec.get("columns", {})
        if not isinstance(columns, dict):
            r.error(f"{key}.columns", "must be a table of sheet header = field")
            columns = {}
        for header, fieldname in columns.items():
            if fieldname not in FIELD_ALIASES:
                r.error(
                    f"{key}.columns.{header}",
                    f"unknown field {fieldname!r}; one of {', '.join(FIELD_ALIASES)}",
                )
        if p:
            records.append(
                RecordSource(
                    path=paths(p, f"{key}.path") or root / p,
                    sheet=r.get(rec, key, "sheet", str),
                    header_row=r.get(rec, key, "header_row", int),
                    columns={str(k): str(v) for k, v in columns.items()},
                    label=p,
                )
            )
    if not entries("records"):
        entries.main.error("records", "name at least one record file ([[records]] path = ...)")
    return records


def _tiers(entries: _Entries, paths: _Paths) -> list[Tier]:
    """[[tiers]], coarsest first; ids unique and plain."""
    tiers = []
    for i, (t, r, key) in enumerate(entries("tiers")):
        paths.reader = r
        r.table(t, key, KEYS["tiers"])
        tiers.append(_read_tier(t, r, key, i, paths))
    r = entries.main
    if not tiers:
        r.error("tiers", "name at least one tier ([[tiers]]), the municipality")
    tiers.sort(key=lambda t: t.level)
    ids = [t.id for t in tiers]
    if len(set(ids)) != len(ids):
        r.error("tiers", "tier ids must be unique")
    if any(not re.fullmatch(r"[A-Za-z0-9_-]+", t.id) for t in tiers):
        r.error("tiers", "tier ids may use only letters, digits, - and _")
    return tiers


def _categories(entries: _Entries) -> list[Category]:
    """[[categories]]: the legend; colours as #RRGGBB, ids plain."""
    categories = []
    for c, r, key in entries("categories"):
        r.table(c, key, KEYS["categories"])
        cat = Category(
            id=r.get(c, key, "id", str, "", required=True),
            label=r.get(c, key, "label", str, "", required=True),
            color=r.get(c, key, "color", str, "#555555"),
            icon=r.get(c, key, "icon", str, "●"),
            aliases=tuple(r.get(c, key, "aliases", list, [])),
            answers=tuple(r.get(c, key, "answers", list, [])),
        )
        if not _COLOUR.match(cat.color):
            r.error(f"{key}.color", "write colours as #RRGGBB")
        if cat.id and not re.fullmatch(r"[A-Za-z0-9_-]+", cat.id):
            r.error(f"{key}.id", "category ids may use only letters, digits, - and _")
        categories.append(cat)
    if not categories:
        entries.main.error("categories", "name at least one category ([[categories]])")
    return categories


def _insight_paths(r: _Reader, data: dict, path_of: _Paths) -> dict[str, Path | None]:
    """[insight]: the optional tables and layers for the council's figures."""
    ins = r.table(data.get("insight", {}), "insight", KEYS["insight"])
    return {
        key: path_of(r.get(ins, "insight", key, str), f"insight.{key}")
        for key in ("population", "needs", "population_points", "roads")
    }


def _read_tier(t: dict, r: _Reader, key: str, i: int, path_of: Any) -> Tier:
    """One [[tiers]] table: a boundary file (path, id_field, name_field), or a town list (towns = a table
    of town and area, or areas = {area = [towns]}) dissolved from the town layer."""
    sources = [k for k in ("path", "towns", "areas") if k in t]
    if len(sources) != 1:
        r.error(
            key,
            "path（境界ファイル）・towns（町名の表）・areas（区域ごとの町名）のどれか一つを書いてください / "
            "give exactly one of path, towns or areas",
        )
    p = r.get(t, key, "path", str)
    town_list = r.get(t, key, "towns", str)
    boundary = "path" in t
    source = path_of(p or town_list, f"{key}.path" if p else f"{key}.towns")
    tier = Tier(
        id=r.get(t, key, "id", str, f"tier{i + 1}"),
        level=r.get(t, key, "level", int, i + 1),
        name=r.get(t, key, "name", str, f"第{i + 1}層"),
        path=source or r.path.parent,
        id_field=r.get(t, key, "id_field", str, "", required=boundary),
        name_field=r.get(t, key, "name_field", str, "", required=boundary),
        label=r.get(t, key, "label", str, ""),
        town_list=(source or r.path.parent / town_list) if town_list else None,
        town_entries=_town_entries(r.get(t, key, "areas", dict, {}), r, key),
        town_column=r.get(t, key, "town_column", str, ""),
        area_column=r.get(t, key, "area_column", str, ""),
        source_label=town_list or r.path.name,
    )
    tier.label = tier.label or tier.name
    return tier


def _town_entries(areas: dict, r: _Reader, key: str) -> list[tuple[str, str, int]]:
    """areas = { "松岩地区社協" = ["松崎", "赤岩"] } → (area, town, line in the config) per town."""
    entries: list[tuple[str, str, int]] = []
    for area, names in areas.items():
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            r.error(
                f"{key}.areas.{area}",
                '町名の配列で書いてください（例: ["松崎", "赤岩"]） / write a list of town names',
            )
            continue
        start = next((n for n, text in enumerate(r.lines, 1) if str(area) in text), 1)
        for name in names:
            line = next((n for n, text in enumerate(r.lines, 1) if n >= start and f'"{name}"' in text), start)
            entries.append((str(area), str(name), line))
    return entries


def _read_town_layer(
    table: Any,
    r: _Reader,
    path_of: Any,
    site: SiteMeta,
    tier_entries: list[tuple[dict, _Reader, str]],
    tiers: list[Tier],
) -> TownLayer | None:
    """[towns]: the town layer. Tiers made from towns need it; an approximate one is said so in the
    attribution, which every map and print shows."""
    if table is None:
        for t, rd, key in tier_entries:
            if "towns" in t or "areas" in t:
                rd.error(
                    f"{key}.towns",
                    "町名の表から区域を作るには [towns]（町丁・字の境界）が必要です / "
                    "a tier made from towns needs the town layer: add [towns] path = ...",
                )
        return None
    if not isinstance(table, dict):
        r.error("towns", "must be a table: [towns] path = ...")
        return None
    r.table(table, "towns", KEYS["towns"])
    p = r.get(table, "towns", "path", str, required=True)
    if not p:
        return None
    layer = TownLayer(
        path=path_of(p, "towns.path") or r.path.parent / p,
        id_field=r.get(table, "towns", "id_field", str, "KEY_CODE"),
        name_field=r.get(table, "towns", "name_field", str, "S_NAME"),
        approximate=r.get(table, "towns", "approximate", bool, False),
    )
    for tier in tiers:
        tier.town_layer = layer if tier.from_towns else None
    if layer.approximate:
        note = "町丁・字の区域は概略（正式な境界ではありません）"
        site.attribution = f"{site.attribution} / {note}" if site.attribution else note
    return layer


def _print_options(r: _Reader, data: dict) -> PrintOptions:
    from gis.basemap import BasemapError, provider_for

    p = r.table(data.get("print", {}), "print", KEYS["print"])
    options = PrintOptions(
        basemap=r.get(p, "print", "basemap", str, PrintOptions.basemap),
        basemap_attribution=r.get(p, "print", "basemap_attribution", str, ""),
        tile_cache=Path(r.get(p, "print", "tile_cache", str, str(PrintOptions.tile_cache))),
    )
    try:
        provider_for(options.basemap, options.basemap_attribution)
    except BasemapError as exc:
        r.error("print.basemap", str(exc))
    return options


def _overlay(o: dict, r: _Reader, key: str, i: int, path_of: Any, root: Path) -> Overlay:
    r.table(o, key, KEYS["overlays"])
    p = r.get(o, key, "path", str, required=True)
    overlay = Overlay(
        id=r.get(o, key, "id", str, f"overlay{i + 1}"),
        name=r.get(o, key, "name", str, ""),
        path=path_of(p, f"{key}.path") or root,
        kind=r.get(o, key, "kind", str, "auto"),
        color=r.get(o, key, "color", str, "#555555"),
        popup_fields=tuple(r.get(o, key, "popup_fields", list, [])),
        show=r.get(o, key, "show", bool, False),
        attribution=r.get(o, key, "attribution", str, ""),
        print_style=r.get(o, key, "print_style", str, ""),
    )
    if overlay.print_style not in PRINT_STYLES:
        r.error(f"{key}.print_style", f"use one of {', '.join(sorted(PRINT_STYLES - {''}))}")
    return overlay
