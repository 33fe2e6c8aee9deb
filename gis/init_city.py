"""The `init --city CODE` command: a new map project with a real city's tiers, from public open data.

Downloaded (per prefecture, then filtered to the city's code):

- 第1層, the city boundary: 国土数値情報 行政区域 N03 (令和6年), CC BY 4.0 (MLIT)
  https://nlftp.mlit.go.jp/ksj/gml/data/N03/N03-2024/N03-20240101_<PP>_GML.zip
  (https://nlftp.mlit.go.jp/ksj/gml/datalist/KsjTmplt-N03-2024.html)
- 第2層, junior-high-school districts: 国土数値情報 中学校区 A32 (令和3年度), CC BY 4.0 (一部制限)
  https://nlftp.mlit.go.jp/ksj/gml/data/A32/A32-21/A32-21_<PP>_GML.zip
- 第3層 (with --elementary), elementary-school districts: 国土数値情報 小学校区 A27 (令和3年度)
  https://nlftp.mlit.go.jp/ksj/gml/data/A27/A27-21/A27-21_<PP>_GML.zip
- the town layer (町丁・字), the city's 小地域 of the 2020 census: e-Stat 境界データ (Shapefile, 世界測地系
  緯度経度), 政府統計の総合窓口 (e-Stat) terms (CC BY 4.0 compatible), per prefecture, filtered to the city:
  https://www.e-stat.go.jp/gis/statmap-search/data?dlserveyId=A002005212020&code=<PP>&coordSys=1&format=shape&downloadType=5&datum=2011
  Only 町丁・字等 units are kept (HCODE 8101; water areas go), duplicates and pieces of one town merged.
  It is the 町丁・字 tier and what town lists (gis.towns) are dissolved from.
- the town gazetteer for offline geocoding: Geolonia 住所データ (geolonia/japanese-addresses), CC BY 4.0,
  the layout normalize-japanese-addresses reads:
  https://geolonia.github.io/japanese-addresses/api/ja.json and …/api/ja/<都道府県>/<市区町村>.json

`--source-url FOLDER_OR_URL` (or the environment variable TAKARA_DATA_URL) replaces the hosts: every file
is then taken from that folder or URL + the same path (the mirror layout, see gis.mirror), e.g. a folder
made by `takara mirror` on a connected PC, or the tests' local server.

Nothing half-written: everything is downloaded into a scratch folder, checked, prepared in a temporary
folder beside the target (every path resolved inside it), checked by loading the config, and moved into
place in one rename; any failure removes it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import urllib.parse
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gis.errors import TakaraError
from gis.geocode import PREFECTURES
from gis.mirror import (
    A27_PATH,
    A32_PATH,
    ENV_URL,
    ESTAT_PATH,
    GAZETTEER_CITY_PATH,
    GAZETTEER_INDEX_PATH,
    N03_PATH,
    DownloadError,
    Fetcher,
    extract_zip,
    gazetteer_index,
    gazetteer_towns,
    inside,
    plain_name,
)
from gis.progress import Progress, quiet

__all__ = ["ENV_URL", "CityError", "CityInfo", "DownloadError", "init_city", "normalise_code"]

ATTRIBUTION_N03 = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
ATTRIBUTION_A32 = "「国土数値情報（中学校区データ）」（国土交通省）を加工して作成"
ATTRIBUTION_A27 = "「国土数値情報（小学校区データ）」（国土交通省）を加工して作成"
ATTRIBUTION_ESTAT = "「国勢調査 小地域境界データ（令和2年）」（総務省統計局, e-Stat）を加工して作成"
ATTRIBUTION_GEOLONIA = "Geolonia 住所データ（CC BY 4.0）"

# A starting set of categories; the coordinator edits them in takara.toml.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("salon", "サロン", "#b3261e", "☕", ("ふれあいサロン", "いきいきサロン")),
    ("kayoi", "通いの場（体操）", "#1b5e20", "🤸", ("通いの場", "体操", "百歳体操")),
    ("radio", "ラジオ体操", "#0d47a1", "📻", ()),
    ("seniorclub", "老人クラブ", "#6a1b9a", "🌸", ("シニアクラブ",)),
    ("cafe", "地域カフェ・食事会", "#e65100", "🍵", ("地域カフェ", "コミュニティカフェ", "食事会")),
    ("walk", "ウォーキング・散歩", "#00695c", "🚶", ("ウォーキング", "散歩")),
    ("hobby", "趣味・学び", "#5d4037", "📚", ("趣味", "学び")),
    ("support", "見守り・生活支援", "#37474f", "🤝", ("見守り", "生活支援", "移動販売")),
)


class CityError(TakaraError):
    """The code names no municipality in the data, or the target folder cannot be used."""


@dataclass
class CityInfo:
    code: str
    pref: str
    name: str  # as shown, e.g. 倉敷市
    gazetteer_cities: list[str]  # Geolonia city names (wards of a designated city are separate files)
    districts: int = 0
    elementary: int = 0
    towns: int = 0  # gazetteer towns (points)
    town_areas: int = 0  # town polygons (e-Stat 町丁・字)
    notes: list[str] = field(default_factory=list)


def normalise_code(code: str) -> str:
    """'33202' or the 6-digit form with its check digit ('332020') → '33202'."""
    text = re.sub(r"\s", "", str(code))
    if not re.fullmatch(r"\d{5,6}", text) or not 1 <= int(text[:2]) <= 47:
        raise CityError(
            f"市区町村コード「{code}」は 5 桁の数字で指定してください（例: 倉敷市 33202） / "
            "give the 5-digit municipality code, e.g. 33202"
        )
    return text[:5]


def read_layer(archive: Path, prefix: str, work: Path) -> Any:
    """The polygon layer of a downloaded zip: the `<prefix>….geojson` when it has one, else the
    shapefile (Shift_JIS attributes unless a .cpg says otherwise). Other layers (A32P-… school points)
    are skipped. prefix: "N03-", "A32-", "A27-" (国土数値情報) or "r2ka" (e-Stat 小地域)."""
    import geopandas as gpd

    folder = extract_zip(archive, work / archive.stem)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.startswith(prefix))
    chosen = [p for p in files if p.suffix.lower() == ".geojson"] or [
        p for p in files if p.suffix.lower() == ".shp"
    ]
    what = prefix.rstrip("-")
    if not chosen:
        raise DownloadError(
            f"{archive.name} に {what} のデータ（.geojson / .shp）がありません / no {what} layer in the zip"
        )
    path = chosen[0]
    options: dict[str, Any] = {}
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        options["encoding"] = "cp932"  # 国土数値情報 and e-Stat shapefiles are Shift_JIS without saying so
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, **options)
    except Exception:  # noqa: BLE001 - GDAL raises many kinds; all mean "this download is damaged"
        raise DownloadError(f"{archive.name} の {path.name} を読めません / cannot read the layer") from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:6668")  # JGD2011, what 国土数値情報 and e-Stat use
    return gdf.to_crs("EPSG:4326")


def code_column(values: Any) -> Any:
    return values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True).str.zfill(5)


def _city_features(gdf: Any, code: str) -> Any:
    """The city's features in N03: its own code, or the wards of a designated city (code+1 … code+49)."""
    codes = code_column(gdf["N03_007"])
    exact = gdf[codes == code]
    if not exact.empty:
        return exact
    n = int(code)
    wards = gdf[codes.map(lambda c: c.isdigit() and n < int(c) < n + 50 and c[:2] == code[:2])]
    if not wards.empty and code.endswith("0"):
        return wards
    return exact


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _names(row: Any) -> tuple[str, str]:
    """(city name as shown, Geolonia city name) from an N03 row. N03 writes a designated city's ward
    either as 市 in N03_003 + 区 in N03_004 (older) or 市 in N03_004 + 区 in N03_005 (2023 on)."""
    parts = [_text(row.get(k)) for k in ("N03_003", "N03_004", "N03_005")]
    county, city, ward = parts
    shown = city if ward or not county.endswith("市") else county
    pieces: list[str] = []
    for p in parts:
        if p and p not in pieces:
            pieces.append(p)
    return shown, "".join(pieces)


def _district_features(gdf: Any, prefix: str, codes: set[str], city_shape: Any) -> Any:
    """Districts of the city by their administrative code; failing that, those whose representative
    point lies in the city (some data sets code 組合立 schools to the partner town)."""
    column = f"{prefix}_001"
    if column in gdf.columns:
        mine = gdf[code_column(gdf[column]).isin(codes)]
        if not mine.empty:
            return mine
    return gdf[gdf.geometry.representative_point().within(city_shape)]


def _write_geojson(gdf: Any, path: Path, keep: list[str]) -> None:
    gdf = gdf[[c for c in keep if c in gdf.columns] + ["geometry"]]
    features = []
    for _, row in gdf.iterrows():
        props = {c: _text(row[c]) for c in keep if c in gdf.columns}
        features.append({"type": "Feature", "properties": props, "geometry": row.geometry.__geo_interface__})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def config_text(info: CityInfo, sources: list[str], elementary: bool) -> str:
    """takara.toml for the new project: the city, its districts, the town layer and its tier, and a
    starting set of categories; every source named, and the attribution their licences ask for.
    Written line by line rather than by a TOML writer, for its comments."""
    with_towns = info.town_areas > 0
    sections = [
        _heading(info, sources),
        _site_section(info, elementary, with_towns),
        _build_and_records_sections(),
        _towns_section() if with_towns else [],
        *(_tier_section(tier, level) for level, tier in enumerate(_tiers(info, elementary, with_towns), 1)),
        *(_category_section(*category) for category in DEFAULT_CATEGORIES),
    ]
    return "\n".join(line for section in sections for line in section)


def _heading(info: CityInfo, sources: list[str]) -> list[str]:
    return [
        f"# {info.pref}{info.name}（市区町村コード {info.code}）の宝物マップ。",
        f"# `takara init --city {info.code}` が {date.today().isoformat()} に作りました。",
        "# 境界と町名データのダウンロード元 / sources:",
        *(f"#   {s}" for s in sources),
        "",
    ]


def _site_section(info: CityInfo, elementary: bool, with_towns: bool) -> list[str]:
    attribution = " / ".join(
        [
            ATTRIBUTION_N03,
            ATTRIBUTION_A32,
            *([ATTRIBUTION_A27] if elementary else []),
            *([ATTRIBUTION_ESTAT] if with_towns else []),
            ATTRIBUTION_GEOLONIA,
        ]
    )
    return [
        "[site]",
        f"title = {_toml_string(info.name + ' 宝物マップ')}",
        f"lead = {_toml_string(info.name + 'の通いの場・サロン・体操など、地域の「宝物」の地図です。')}",
        f"attribution = {_toml_string(attribution)}",
        f'edition = "{date.today().isoformat()}"',
        "",
    ]


def _build_and_records_sections() -> list[str]:
    return [
        "[build]",
        'gazetteer = "data/gazetteer/ja"',
        "stale_months = 12",
        "",
        "[[records]]",
        'path = "data/records.xlsx"',
        "",
    ]


def _towns_section() -> list[str]:
    return [
        "# 町丁・字の境界: 町名の表から区域（地区社協・自治会など）を作るもとになります（docs/guide.md）",
        "[towns]",
        'path = "data/boundaries/towns.geojson"',
        'id_field = "KEY_CODE"',
        'name_field = "S_NAME"',
        "",
    ]


def _tiers(info: CityInfo, elementary: bool, with_towns: bool) -> list[tuple[str, str, str, str]]:
    """(id, label, id field, name field) of each tier, from the widest; each is data/boundaries/<id>.geojson."""
    return [
        ("city", info.name, "N03_007", "N03_004"),
        ("junior_high", "中学校区", "A32_003", "A32_004"),
        *([("elementary", "小学校区", "A27_003", "A27_004")] if elementary else []),
        *([("towns", "町丁・字", "KEY_CODE", "S_NAME")] if with_towns else []),
    ]


def _tier_section(tier: tuple[str, str, str, str], level: int) -> list[str]:
    tid, label, id_field, name_field = tier
    return [
        "[[tiers]]",
        f'id = "{tid}"',
        f"level = {level}",
        f"name = {_toml_string(f'第{level}層（{label}）')}",
        f"label = {_toml_string(label)}",
        f'path = "data/boundaries/{tid}.geojson"',
        f'id_field = "{id_field}"',
        f'name_field = "{name_field}"',
        "",
    ]


def _category_section(cid: str, label: str, colour: str, icon: str, aliases: tuple[str, ...]) -> list[str]:
    return [
        "[[categories]]",
        f'id = "{cid}"',
        f"label = {_toml_string(label)}",
        f'color = "{colour}"',
        f"icon = {_toml_string(icon)}",
        *(["aliases = [" + ", ".join(_toml_string(a) for a in aliases) + "]"] if aliases else []),
        "",
    ]


def _prepare_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CityError(
            f"{target} はすでにあり、空ではありません。別のフォルダを --dir で指定してください / "
            "the folder exists and is not empty: choose another with --dir"
        )


def init_city(
    code: str,
    target: Path | None = None,
    elementary: bool = False,
    source_url: str | None = None,
    progress: Progress = quiet,
) -> tuple[Path, CityInfo]:
    """Create a map project for the municipality `code` in `target` (default ./takara-<code>)."""
    from gis.config import load_project
    from gis.template import write_template

    code = normalise_code(code)
    fetcher = Fetcher(source_url or os.environ.get(ENV_URL) or None, progress)
    target = Path(target) if target else Path.cwd() / f"takara-{code}"
    target = target.absolute()
    _prepare_target(target)
    made_parents = [p for p in reversed(target.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        fetcher.load_manifest()
        with tempfile.TemporaryDirectory(prefix="takara-download-") as tmp:
            info, sources = _assemble(code, stage, Path(tmp), fetcher, elementary)
        (stage / "takara.toml").write_text(config_text(info, sources, elementary), encoding="utf-8")
        records = inside(stage, "data", "records.xlsx")
        records.parent.mkdir(parents=True, exist_ok=True)
        from openpyxl import Workbook

        Workbook().save(records)  # a placeholder so the config loads; replaced by the template below
        project = load_project(stage)
        write_template(records, project, overwrite=True)
        if target.exists():
            target.rmdir()  # empty (checked above): the rename needs the name free
        os.rename(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for p in made_parents:
            if p.exists():
                shutil.rmtree(p, ignore_errors=True)
                break
        raise
    return target, info


def _fetch(fetcher: Fetcher, path: str, work: Path, sources: list[str]) -> Path:
    got = fetcher.fetch(path, work / Path(path).name)
    assert got is not None
    sources.append(urllib.parse.unquote(fetcher.url(path)))
    return got


def _assemble(
    code: str, stage: Path, work: Path, fetcher: Fetcher, elementary: bool
) -> tuple[CityInfo, list[str]]:
    """Fetch, check, filter to the city and write boundaries, towns and gazetteer into `stage`."""
    import geopandas as gpd

    pref = code[:2]
    pref_name = PREFECTURES[int(pref) - 1]
    sources: list[str] = []
    n03 = read_layer(_fetch(fetcher, N03_PATH.format(pref=pref), work, sources), "N03-", work)
    city = _city_features(n03, code)
    if city.empty:
        raise CityError(
            f"市区町村コード {code} は{pref_name}の行政区域データにありません。コードを確かめてください / "
            f"no municipality with code {code} in {pref_name}"
        )
    shown = plain_name(_names(city.iloc[0])[0], "市区町村名")
    gazetteer_cities = list(
        dict.fromkeys(plain_name(_names(row)[1], "市区町村名") for _, row in city.iterrows())
    )
    city_codes = sorted(set(code_column(city["N03_007"])))
    shape = city.union_all()
    outline = gpd.GeoDataFrame(
        {"N03_001": [pref_name], "N03_004": [shown], "N03_007": [code]}, geometry=[shape], crs="EPSG:4326"
    )
    _write_geojson(
        outline, inside(stage, "data", "boundaries", "city.geojson"), ["N03_001", "N03_004", "N03_007"]
    )
    info = CityInfo(code=code, pref=pref_name, name=shown, gazetteer_cities=gazetteer_cities)
    layers = [("A32", "junior_high", "中学校区")] + (
        [("A27", "elementary", "小学校区")] if elementary else []
    )
    for prefix, name, label in layers:
        path = (A32_PATH if prefix == "A32" else A27_PATH).format(pref=pref)
        gdf = read_layer(_fetch(fetcher, path, work, sources), prefix + "-", work)
        gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        mine = _district_features(gdf, prefix, set(city_codes) | {code}, shape)
        if mine.empty:
            raise CityError(
                f"{info.name}の{label}が{prefix}データにありません / no {label} for {code} in {prefix}"
            )
        keep = [f"{prefix}_00{i}" for i in range(1, 6)]
        _write_geojson(mine, inside(stage, "data", "boundaries", f"{name}.geojson"), keep)
        if prefix == "A32":
            info.districts = len(mine)
        else:
            info.elementary = len(mine)
    _town_layer(info, city_codes, stage, work, fetcher, sources)
    _gazetteer(info, stage, work, fetcher, sources)
    return info, sources


def _town_layer(
    info: CityInfo, codes: list[str], stage: Path, work: Path, fetcher: Fetcher, sources: list[str]
) -> None:
    """The city's 町丁・字 from e-Stat's prefecture file (its own code, or its wards' codes), cleaned
    (gis.towns). A file the source does not have is noted, not fatal: the project works without a
    town layer."""
    from gis.towns import clean_estat_towns

    try:
        archive = _fetch(fetcher, ESTAT_PATH.format(pref=info.code[:2]), work, sources)
    except DownloadError as exc:
        info.notes.append(f"町丁・字の境界（e-Stat）を取得できませんでした: {exc}")
        return
    gdf = read_layer(archive, "r2ka", work)
    try:
        towns = clean_estat_towns(gdf)
    except TakaraError as exc:
        raise DownloadError(f"e-Stat 小地域のデータが正しくありません: {exc}") from None
    towns = towns[towns["KEY_CODE"].str[:5].isin(set(codes) | {info.code})]
    if towns.empty:
        info.notes.append("e-Stat のデータに町丁・字（HCODE 8101）がありませんでした / no town units")
        return
    _write_geojson(towns, inside(stage, "data", "boundaries", "towns.geojson"), ["KEY_CODE", "S_NAME"])
    info.town_areas = len(towns)


def _gazetteer(info: CityInfo, stage: Path, work: Path, fetcher: Fetcher, sources: list[str]) -> None:
    """Geolonia's town points for the city, each file checked before it is written into the project."""
    index_path = GAZETTEER_INDEX_PATH
    index = gazetteer_index(_fetch(fetcher, index_path, work, sources), fetcher.url(index_path))
    known = index.get(info.pref, [])
    missing = [c for c in info.gazetteer_cities if c not in known]
    if missing:
        raise CityError(
            f"町名データに {info.pref}{'・'.join(missing)} がありません / the gazetteer has no "
            f"{info.pref}{', '.join(missing)}"
        )
    for name in info.gazetteer_cities:
        path = GAZETTEER_CITY_PATH.format(pref=info.pref, city=name)
        scratch = fetcher.fetch(path, work / "city.json")
        assert scratch is not None
        sources.append(urllib.parse.unquote(fetcher.url(path)))
        towns = gazetteer_towns(scratch, fetcher.url(path))
        dest = inside(stage, "data", "gazetteer", "ja", info.pref, f"{name}.json")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch, dest)
        info.towns += len(towns)
    inside(stage, "data", "gazetteer", "ja.json").write_text(
        json.dumps({info.pref: info.gazetteer_cities}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
