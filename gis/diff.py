"""The `diff` command: what changed between two editions, for the council.

Each side is a built site folder (its data/places.geojson), a places.geojson file, or a map project
(run through the pipeline, nothing written but numbers.json). Places are matched by their stable
number (一覧表No.), so a renamed salon is a change, not an end and a start.

Reported: new places, places no longer published (ended, withheld or removed), changed fields, and
places moved more than `moved_m` metres (100 m by default). Output: a printable HTML report
(site_template/diff/report.html) and/or an XLSX workbook.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gis.errors import InputError, OutputError
from gis.geocode import distance_m
from gis.place import PublicPlace
from gis.textsafe import spreadsheet_cell
from gis.view import DEFAULT_LANG, Catalogue, make_environment

MOVED_M = 100.0

# The published fields compared, as keys of data/places.geojson, with the labels the council reads.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "名称"),
    ("category_label", "種別"),
    ("organiser", "運営主体"),
    ("venue", "会場"),
    ("venue_kind", "会場種別"),
    ("address", "所在地"),
    ("schedule_text", "開催日時"),
    ("target", "対象"),
    ("fee", "参加費"),
    ("activities", "活動内容"),
    ("participants", "参加人数"),
    ("phone", "連絡先（公開）"),
    ("photo", "写真"),
    ("story", "紹介文"),
    ("status", "状況"),
    ("confirmed", "最終確認日"),
    ("location_precision", "位置の示し方"),
)
PRECISION_JA = {"exact": "正確な位置", "area": "地区の代表点（個人宅など）"}


@dataclass
class Snapshot:
    """One edition's published places, keyed by number."""

    label: str  # what the user gave (folder or project name)
    edition: str  # edition date when known, else ''
    places: dict[int, dict[str, Any]]  # number -> comparable fields + lat, lon, areas
    tier_names: dict[str, str] = field(default_factory=dict)  # tier id -> display name, when known


@dataclass
class Change:
    number: int
    name: str
    fields: list[tuple[str, str, str]]  # (label, old, new)


@dataclass
class Move:
    number: int
    name: str
    metres: float
    old: tuple[float, float]
    new: tuple[float, float]
    areas: list[tuple[str, str, str]]  # (tier label, old area, new area) that differ


@dataclass
class EditionDiff:
    old: Snapshot
    new: Snapshot
    moved_m: float
    added: list[dict[str, Any]]
    ended: list[dict[str, Any]]
    changed: list[Change]
    moved: list[Move]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "ended": len(self.ended),
            "changed": len(self.changed),
            "moved": len(self.moved),
        }

    def summary(self) -> str:
        c = self.counts
        return (
            f"新しい場所 {c['added']} 件・掲載終了 {c['ended']} 件・内容の変更 {c['changed']} 件・"
            f"{self.moved_m:g} m 以上の移動 {c['moved']} 件 (new {c['added']}, ended {c['ended']}, "
            f"changed {c['changed']}, moved {c['moved']})"
        )


# ------------------------------------------------------------------ reading an edition


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value).strip()


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    out = {key: _text(props.get(key)) for key, _ in FIELDS}
    out["category_label"] = out["category_label"] or _text(props.get("category"))
    out["photo"] = "あり" if out["photo"] else "なし"
    out["location_precision"] = PRECISION_JA.get(out["location_precision"], out["location_precision"])
    return out


def _from_geojson(path: Path, label: str) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError(
            str(path), f"places.geojson を読めません / cannot read places.geojson: {type(exc).__name__}"
        ) from None
    if not isinstance(features, list):
        raise InputError(str(path), "features が一覧ではありません / features is not a list")
    places: dict[int, dict[str, Any]] = {}
    tiers: list[str] = []
    for i, f in enumerate(features, 1):
        number, lon, lat, props = _feature_point(f, i, path)
        entry = _comparable(props)
        areas = {
            k[:-5]: _text(v) for k, v in props.items() if k.endswith("_name") and k[:-5] + "_id" in props
        }
        tiers = tiers or list(areas)
        entry.update(number=number, lat=lat, lon=lon, areas=areas)
        places[number] = entry
    edition = ""
    meta = path.parent / "metadata.json"  # written beside places.geojson by gis.export
    if meta.is_file():
        try:
            edition = str(json.loads(meta.read_text(encoding="utf-8")).get("edition", ""))
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            edition = ""
    return Snapshot(label=label, edition=edition, places=places, tier_names={t: t for t in tiers})


def _feature_point(f: Any, i: int, path: Path) -> tuple[int, float, float, dict[str, Any]]:
    """(number, lon, lat, properties) of one published place; anything else is a one-line error."""
    props = f.get("properties") if isinstance(f, dict) else None
    props = props if isinstance(props, dict) else {}
    try:
        raw = props.get("number", f.get("id") if isinstance(f, dict) else None)
        if isinstance(raw, bool) or raw is None:
            raise TypeError
        number = int(raw)
        lon, lat = (float(v) for v in f["geometry"]["coordinates"][:2])
        if not (math.isfinite(lon) and math.isfinite(lat) and number >= 1):
            raise ValueError
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        raise InputError(
            str(path), f"{i}件目に番号か座標がありません / feature {i} has no number or point"
        ) from None
    return number, lon, lat, props


def _public_fields(p: PublicPlace, category_label: str) -> dict[str, Any]:
    props = {key: getattr(p, key, "") for key, _ in FIELDS if key != "category_label"}
    props["category_label"] = category_label
    props["confirmed"] = p.confirmed.isoformat() if isinstance(p.confirmed, date) else ""
    return _comparable(props)


def _from_project(path: Path) -> Snapshot:
    from gis.build import run_pipeline

    project, edition = run_pipeline(path)
    places: dict[int, dict[str, Any]] = {}
    for p in edition.places:
        category = project.category(p.category)
        entry = _public_fields(p, category.label if category else p.category)
        entry.update(
            number=p.number,
            lat=p.lat,
            lon=p.lon,
            areas={t.id: p.areas.get(t.id, ("", ""))[1] for t in project.tiers},
        )
        places[p.number] = entry
    return Snapshot(
        label=project.site.title or project.root.name,
        edition=edition.date.isoformat(),
        places=places,
        tier_names={t.id: t.name for t in project.tiers},
    )


def load_snapshot(path: str | Path) -> Snapshot:
    """A built site folder, a places.geojson file, or a map project folder (takara.toml)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".geojson", ".json"):
        return _from_geojson(path, path.name)
    if path.is_file() and path.name == "takara.toml":
        return _from_project(path.parent)
    if (path / "data" / "places.geojson").is_file():
        return _from_geojson(path / "data" / "places.geojson", path.name)
    if (path / "takara.toml").is_file():
        return _from_project(path)
    raise InputError(
        str(path),
        "版が見つかりません。作ったサイトのフォルダ（data/places.geojson がある）か、"
        "地図プロジェクトのフォルダ（takara.toml がある）を指定してください / "
        "not an edition: give a built site folder or a map project folder",
    )


# ------------------------------------------------------------------ comparing


def compare(old: Snapshot, new: Snapshot, moved_m: float = MOVED_M) -> EditionDiff:
    added = [new.places[n] for n in sorted(set(new.places) - set(old.places))]
    ended = [old.places[n] for n in sorted(set(old.places) - set(new.places))]
    changed: list[Change] = []
    moved: list[Move] = []
    labels = dict(FIELDS)
    for n in sorted(set(old.places) & set(new.places)):
        a, b = old.places[n], new.places[n]
        fields = [(labels[k], a[k], b[k]) for k, _ in FIELDS if a[k] != b[k]]
        if fields:
            changed.append(Change(n, b["name"], fields))
        metres = distance_m(a["lat"], a["lon"], b["lat"], b["lon"])
        if metres > moved_m:
            areas = [
                (
                    new.tier_names.get(t, old.tier_names.get(t, t)),
                    a["areas"].get(t, ""),
                    b["areas"].get(t, ""),
                )
                for t in dict.fromkeys([*a["areas"], *b["areas"]])
                if a["areas"].get(t) != b["areas"].get(t)
            ]
            moved.append(Move(n, b["name"], metres, (a["lat"], a["lon"]), (b["lat"], b["lon"]), areas))
    return EditionDiff(old, new, moved_m, added, ended, changed, moved)


def diff_editions(old: str | Path, new: str | Path, moved_m: float = MOVED_M) -> EditionDiff:
    return compare(load_snapshot(old), load_snapshot(new), moved_m)


# ------------------------------------------------------------------ writing


def render_html(diff: EditionDiff) -> str:
    env = make_environment(Catalogue(DEFAULT_LANG))
    return env.get_template("diff/report.html").render(diff=diff, counts=diff.counts, fields=FIELDS)


def _atomic_write(path: Path, write: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: 書き込めません / cannot write: {exc}") from None
    return path


def write_html(diff: EditionDiff, path: Path) -> Path:
    text = render_html(diff)
    return _atomic_write(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def build_workbook(diff: EditionDiff) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    summary = book.active
    summary.title = "概要"
    rows = [
        ("宝物マップ 版の比較", ""),
        ("前の版", f"{diff.old.label} {diff.old.edition}".strip()),
        ("新しい版", f"{diff.new.label} {diff.new.edition}".strip()),
        ("新しい場所", diff.counts["added"]),
        ("掲載終了（終了・非掲載・削除）", diff.counts["ended"]),
        ("内容の変更", diff.counts["changed"]),
        (f"{diff.moved_m:g} m 以上の移動", diff.counts["moved"]),
    ]
    for r in rows:
        summary.append([spreadsheet_cell(v) for v in r])
    summary["A1"].font = Font(bold=True, size=14)
    summary.column_dimensions["A"].width = 32
    summary.column_dimensions["B"].width = 40

    def sheet(title: str, header: list[str], data: list[list[Any]], widths: list[int]) -> None:
        ws = book.create_sheet(title)
        ws.append([spreadsheet_cell(h) for h in header])
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F4E78")
        for row in data:
            ws.append([spreadsheet_cell(v) for v in row])
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
            for cell in ws[chr(ord("A") + i)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"

    def place_rows(places: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [p["number"], p["name"], p["category_label"], p["address"], p["schedule_text"], p["status"]]
            for p in places
        ]

    place_header = ["No.", "名称", "種別", "所在地", "開催日時", "状況"]
    sheet("新しい場所", place_header, place_rows(diff.added), [7, 30, 16, 34, 26, 10])
    sheet("掲載終了", place_header, place_rows(diff.ended), [7, 30, 16, 34, 26, 10])
    sheet(
        "変更",
        ["No.", "名称", "項目", "前の版", "新しい版"],
        [[c.number, c.name, label, old, new] for c in diff.changed for label, old, new in c.fields],
        [7, 30, 16, 40, 40],
    )
    sheet(
        "移動",
        ["No.", "名称", "移動距離（m）", "前の位置（緯度, 経度）", "新しい位置（緯度, 経度）", "区域の変化"],
        [
            [
                m.number,
                m.name,
                round(m.metres),
                f"{m.old[0]}, {m.old[1]}",
                f"{m.new[0]}, {m.new[1]}",
                "; ".join(f"{t}: {a} → {b}" for t, a, b in m.areas),
            ]
            for m in diff.moved
        ],
        [7, 30, 12, 26, 26, 40],
    )
    return book


def write_xlsx(diff: EditionDiff, path: Path) -> Path:
    book = build_workbook(diff)
    return _atomic_write(Path(path), lambda p: book.save(p))
