"""The `init --city CODE` command: a new map project with a real city's tiers, from public open data.

Downloaded (per prefecture, then filtered to the city's code):

- 第1層, the city boundary: 国土数値情報 行政区域 N03 (令和6年), CC BY 4.0 (MLIT)
  https://nlftp.mlit.go.jp/ksj/gml/data/N03/N03-2024/N03-20240101_<PP>_GML.zip
  (https://nlftp.mlit.go.jp/ksj/gml/datalist/KsjTmplt-N03-2024.html)
- 第2層, junior-high-school districts: 国土数値情報 中学校区 A32 (令和3年度), CC BY 4.0 (一部制限)
  https://nlftp.mlit.go.jp/ksj/gml/data/A32/A32-21/A32-21_<PP>_GML.zip
- 第3層 (with --elementary), elementary-school districts: 国土数値情報 小学校区 A27 (令和3年度)
  https://nlftp.mlit.go.jp/ksj/gml/data/A27/A27-21/A27-21_<PP>_GML.zip
- the town gazetteer for offline geocoding: Geolonia 住所データ (geolonia/japanese-addresses), CC BY 4.0,
  the layout normalize-japanese-addresses reads:
  https://geolonia.github.io/japanese-addresses/api/ja.json and …/api/ja/<都道府県>/<市区町村>.json

`--source-url URL` (or the environment variable TAKARA_DATA_URL) replaces the hosts: every file is then
fetched from URL + the same path (/ksj/gml/data/…, /japanese-addresses/api/…), e.g. a mirror or the
tests' local server.

Nothing half-written: everything is downloaded and prepared in a temporary folder beside the target,
checked by loading the config, and moved into place in one rename; any failure removes it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gis.errors import TakaraError
from gis.geocode import PREFECTURES
from gis.progress import Progress, quiet

KSJ_HOST = "https://nlftp.mlit.go.jp"
GEOLONIA_HOST = "https://geolonia.github.io"
N03_PATH = "/ksj/gml/data/N03/N03-2024/N03-20240101_{pref}_GML.zip"
A32_PATH = "/ksj/gml/data/A32/A32-21/A32-21_{pref}_GML.zip"
A27_PATH = "/ksj/gml/data/A27/A27-21/A27-21_{pref}_GML.zip"
GAZETTEER_INDEX_PATH = "/japanese-addresses/api/ja.json"
GAZETTEER_CITY_PATH = "/japanese-addresses/api/ja/{pref}/{city}.json"
ENV_URL = "TAKARA_DATA_URL"
TIMEOUT = 60.0  # seconds per request
CHUNK = 1 << 16

ATTRIBUTION_N03 = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
ATTRIBUTION_A32 = "「国土数値情報（中学校区データ）」（国土交通省）を加工して作成"
ATTRIBUTION_A27 = "「国土数値情報（小学校区データ）」（国土交通省）を加工して作成"
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


class DownloadError(TakaraError):
    """A source could not be fetched (offline, moved, or not published for this prefecture)."""


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
    towns: int = 0
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


def source_urls(code: str, base: str | None) -> dict[str, str]:
    pref = code[:2]
    ksj = (base or KSJ_HOST).rstrip("/")
    return {
        "N03": ksj + N03_PATH.format(pref=pref),
        "A32": ksj + A32_PATH.format(pref=pref),
        "A27": ksj + A27_PATH.format(pref=pref),
    }


def _gazetteer_url(base: str | None, path: str) -> str:
    return (base or GEOLONIA_HOST).rstrip("/") + urllib.parse.quote(path)


def download(url: str, target: Path, progress: Progress = quiet) -> Path:
    """Fetch url into target, or raise DownloadError with one plain line."""
    request = urllib.request.Request(url, headers={"User-Agent": "takara-map (init --city)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp, target.open("wb") as fh:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            while chunk := resp.read(CHUNK):
                fh.write(chunk)
                done += len(chunk)
                progress("download", done, total)
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"{url} を取得できません（HTTP {exc.code}）。このデータが公開されていないか、"
            f"場所が変わりました / cannot download: HTTP {exc.code}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url} をダウンロードできません。インターネットに接続されているか確かめてください"
            f"（何も作成していません） / cannot download ({reason}); nothing was created"
        ) from None
    return target


def _read_layer(archive: Path, prefix: str, work: Path) -> Any:
    """The polygon layer of a 国土数値情報 zip: `<prefix>….geojson` when the zip has one, else the
    shapefile (Shift_JIS attributes unless a .cpg says otherwise). Point layers (A32P-…) are skipped."""
    import geopandas as gpd

    folder = work / archive.stem
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(folder)
    except zipfile.BadZipFile:
        raise DownloadError(
            f"{archive.name} が壊れています（zip ではありません） / the download is not a zip"
        ) from None
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.startswith(prefix + "-"))
    chosen = [p for p in files if p.suffix.lower() == ".geojson"] or [
        p for p in files if p.suffix.lower() == ".shp"
    ]
    if not chosen:
        raise DownloadError(
            f"{archive.name} に {prefix} のデータ（.geojson / .shp）がありません / no {prefix} layer in the zip"
        )
    path = chosen[0]
    options: dict[str, Any] = {}
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        options["encoding"] = "cp932"  # 国土数値情報 shapefiles are Shift_JIS without saying so
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = gpd.read_file(path, **options)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:6668")  # JGD2011, what 国土数値情報 uses
    return gdf.to_crs("EPSG:4326")


def _code_column(values: Any) -> Any:
    return values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True).str.zfill(5)


def _city_features(gdf: Any, code: str) -> Any:
    """The city's features in N03: its own code, or the wards of a designated city (code+1 … code+49)."""
    codes = _code_column(gdf["N03_007"])
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
        mine = gdf[_code_column(gdf[column]).isin(codes)]
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


def config_text(info: CityInfo, urls: dict[str, str], gazetteer_urls: list[str], elementary: bool) -> str:
    attribution = " / ".join(
        [ATTRIBUTION_N03, ATTRIBUTION_A32, *([ATTRIBUTION_A27] if elementary else []), ATTRIBUTION_GEOLONIA]
    )
    sources = [f"#   {k}: {v}" for k, v in urls.items() if k != "A27" or elementary]
    sources += [f"#   町名: {urllib.parse.unquote(u)}" for u in gazetteer_urls]
    tiers = [
        ("city", 1, f"第1層（{info.name}）", info.name, "data/boundaries/city.geojson", "N03_007", "N03_004"),
        (
            "junior_high",
            2,
            "第2層（中学校区）",
            "中学校区",
            "data/boundaries/junior_high.geojson",
            "A32_003",
            "A32_004",
        ),
    ]
    if elementary:
        tiers.append(
            (
                "elementary",
                3,
                "第3層（小学校区）",
                "小学校区",
                "data/boundaries/elementary.geojson",
                "A27_003",
                "A27_004",
            )
        )
    lines = [
        f"# {info.pref}{info.name}（市区町村コード {info.code}）の宝物マップ。",
        f"# `takara init --city {info.code}` が {date.today().isoformat()} に作りました。",
        "# 境界と町名データのダウンロード元 / sources:",
        *sources,
        "",
        "[site]",
        f"title = {_toml_string(info.name + ' 宝物マップ')}",
        f"lead = {_toml_string(info.name + 'の通いの場・サロン・体操など、地域の「宝物」の地図です。')}",
        f"attribution = {_toml_string(attribution)}",
        f'edition = "{date.today().isoformat()}"',
        "",
        "[build]",
        'gazetteer = "data/gazetteer/ja"',
        "stale_months = 12",
        "",
        "[[records]]",
        'path = "data/records.xlsx"',
        "",
    ]
    for tid, level, name, label, path, id_field, name_field in tiers:
        lines += [
            "[[tiers]]",
            f'id = "{tid}"',
            f"level = {level}",
            f"name = {_toml_string(name)}",
            f"label = {_toml_string(label)}",
            f'path = "{path}"',
            f'id_field = "{id_field}"',
            f'name_field = "{name_field}"',
            "",
        ]
    for cid, label, colour, icon, aliases in DEFAULT_CATEGORIES:
        lines += [
            "[[categories]]",
            f'id = "{cid}"',
            f"label = {_toml_string(label)}",
            f'color = "{colour}"',
            f"icon = {_toml_string(icon)}",
        ]
        if aliases:
            lines.append("aliases = [" + ", ".join(_toml_string(a) for a in aliases) + "]")
        lines.append("")
    return "\n".join(lines)


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
    base = source_url or os.environ.get(ENV_URL) or None
    target = Path(target) if target else Path.cwd() / f"takara-{code}"
    target = target.absolute()
    _prepare_target(target)
    urls = source_urls(code, base)
    made_parents = [p for p in reversed(target.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="takara-download-") as tmp:
            work = Path(tmp)
            info, gazetteer_urls = _assemble(code, stage, work, urls, base, elementary, progress)
        (stage / "takara.toml").write_text(
            config_text(info, urls, gazetteer_urls, elementary), encoding="utf-8"
        )
        records = stage / "data" / "records.xlsx"
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


def _assemble(
    code: str,
    stage: Path,
    work: Path,
    urls: dict[str, str],
    base: str | None,
    elementary: bool,
    progress: Progress,
) -> tuple[CityInfo, list[str]]:
    """Download, filter to the city and write boundaries and gazetteer into `stage`."""
    pref_name = PREFECTURES[int(code[:2]) - 1]
    n03 = _read_layer(download(urls["N03"], work / "N03.zip", progress), "N03", work)
    city = _city_features(n03, code)
    if city.empty:
        raise CityError(
            f"市区町村コード {code} は{pref_name}の行政区域データにありません。コードを確かめてください / "
            f"no municipality with code {code} in {pref_name}"
        )
    shown, _ = _names(city.iloc[0])
    gazetteer_cities = list(dict.fromkeys(_names(row)[1] for _, row in city.iterrows()))
    ward_codes = set(_code_column(city["N03_007"])) | {code}
    shape = city.union_all()
    import geopandas as gpd

    outline = gpd.GeoDataFrame(
        {"N03_001": [pref_name], "N03_004": [shown], "N03_007": [code]}, geometry=[shape], crs="EPSG:4326"
    )
    boundaries = stage / "data" / "boundaries"
    _write_geojson(outline, boundaries / "city.geojson", ["N03_001", "N03_004", "N03_007"])
    info = CityInfo(code=code, pref=pref_name, name=shown, gazetteer_cities=gazetteer_cities)

    layers = [("A32", "junior_high", "中学校区")] + (
        [("A27", "elementary", "小学校区")] if elementary else []
    )
    for prefix, name, label in layers:
        gdf = _read_layer(download(urls[prefix], work / f"{prefix}.zip", progress), prefix, work)
        gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        mine = _district_features(gdf, prefix, ward_codes, shape)
        if mine.empty:
            raise CityError(
                f"{info.name}の{label}が{prefix}データにありません / no {label} for {code} in {prefix}"
            )
        _write_geojson(mine, boundaries / f"{name}.geojson", [f"{prefix}_00{i}" for i in range(1, 6)])
        if prefix == "A32":
            info.districts = len(mine)
        else:
            info.elementary = len(mine)

    index_url = _gazetteer_url(base, GAZETTEER_INDEX_PATH)
    index_file = download(index_url, work / "ja.json", progress)
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DownloadError(f"{index_url} を読めません（JSON ではありません） / not JSON") from None
    known = index.get(pref_name, []) if isinstance(index, dict) else []
    missing = [c for c in gazetteer_cities if c not in known]
    if missing:
        raise CityError(
            f"町名データに {pref_name}{'・'.join(missing)} がありません / the gazetteer has no "
            f"{pref_name}{', '.join(missing)}"
        )
    gazetteer = stage / "data" / "gazetteer"
    city_urls = []
    for name in gazetteer_cities:
        url = _gazetteer_url(base, GAZETTEER_CITY_PATH.format(pref=pref_name, city=name))
        city_urls.append(url)
        folder = gazetteer / "ja" / pref_name
        folder.mkdir(parents=True, exist_ok=True)
        path = download(url, folder / f"{name}.json", progress)
        try:
            towns = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DownloadError(f"{url} を読めません（JSON ではありません） / not JSON") from None
        info.towns += len(towns) if isinstance(towns, list) else 0
    (gazetteer / "ja.json").write_text(
        json.dumps({pref_name: gazetteer_cities}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return info, [index_url, *city_urls]
