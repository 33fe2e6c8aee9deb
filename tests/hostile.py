"""Hostile map projects for the trust tests (leaks, injection, broken input).

`make_hostile_project(root)` writes a tiny project (tests/projects.py's town) whose records put attack
strings in every field, hold secrets the build must keep (withheld records, unconsented phones, homes
with exact points and street numbers) and photos that carry EXIF GPS tags, XMP and text chunks. Its
site title, category label and area names are hostile too. `SECRETS` lists what must never appear."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image, PngImagePlugin

from tests.projects import make_project, row

PWN = "window.__pwned=1"
PAYLOADS = (
    f"<script>{PWN}</script>",
    f'"><img src=x onerror="{PWN}">',
    f"'><svg onload={PWN}>",
    f"javascript:{PWN}",
    f"`${{{PWN}}}`",
    f"</script><script>{PWN}</script>",
    "{{ 7*7 }}{% raw %}${7*7}",
    "\u202e右から左\u202c\u200f",
    "😀👨‍👩‍👧🇯🇵",
    '=HYPERLINK("http://example.invalid/","x")',
    "<!-- ]]> \\u003cscript\\u003e",
)
URLISH = f"javascript:{PWN}"

# Secrets: withheld records, unconsented phones, homes. Values are distinctive so a hit is never chance.
WITHHELD = [  # (name, address, phone, consent, status)
    ("秘密のお茶会みどり", "和歌山県ミニ町西北町8-13-2", "0739-55-8812", "不可", "活動中"),
    ("同意欄が空のつどい", "和歌山県ミニ町東南町4-44", "０７３９－２２－４４６６", "", "活動中"),
    ("もう終わった体操会", "和歌山県ミニ町東北町一丁目9-9", "(0739)31-7070", "可", "終了"),
]
UNCONSENTED_PHONES = ["090-4411-2233", "０８０ ９９８８ ７７６６"]
HOMES = [  # (name, venue, address, lat, lon) — lat/lon far from every area's representative point
    ("田中さんちのサロン", "田中花子さん宅", "和歌山県ミニ町西南町3-21-7", 35.003217, 135.007654),
    ("ひだまりの家", "鈴木様宅", "和歌山県ミニ町東北町一丁目12-5", 35.017341, 135.012268),
]
GPS = {1: "N", 2: (35.0, 0.0, 11.58), 3: "E", 4: (135.0, 0.0, 27.55)}  # = the first home


def gps_jpeg(path: Path, description: str = "") -> None:
    """A phone-like JPEG: EXIF with a GPS IFD (0x8825) and a description, plus an XMP packet with GPS."""
    im = Image.new("RGB", (640, 480), (200, 160, 90))
    for x in range(0, 640, 40):
        im.paste((x % 255, 90, 180), (x, 0, x + 20, 240))
    exif = Image.Exif()
    exif[0x010E] = description  # ImageDescription
    exif[0x8825] = GPS
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="35,0.193N" '
        b'exif:GPSLongitude="135,0.459E"/></rdf:RDF></x:xmpmeta>'
    )
    im.save(path, "JPEG", exif=exif.tobytes(), xmp=xmp, comment=description.encode("utf-8"))


def text_png(path: Path, text: str) -> None:
    """A PNG whose tEXt and iTXt chunks hold `text` (a home address, say)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    info.add_itxt("Description", text)
    Image.new("RGB", (300, 200), (40, 120, 60)).save(path, "PNG", pnginfo=info)


def hostile_rows() -> list[dict]:
    rows: list[dict] = []
    for k, payload in enumerate(PAYLOADS):
        rows.append(
            row(
                名称=f"危険{k}{payload}",
                会場=payload,
                所在地=f"和歌山県ミニ町西南町1-{k + 1}{payload}",
                緯度=f"{35.0010 + 0.0007 * k:.6f}",
                経度=f"{135.0010 + 0.0011 * k:.6f}",
                開催日時=payload,
                対象=payload,
                参加費=payload,
                活動内容=payload,
                連絡先=f"0739-{k:02d}-{payload}",
                連絡先掲載="可",
                地区=payload,
                運営主体=payload,
                参加人数=payload,
                紹介文=payload,
                写真=(URLISH, "../../etc/passwd", "../../passwd-bait.jpg")[k % 3],
                写真掲載="可",
            )
        )
    for name, address, phone, consent, status in WITHHELD:
        rows.append(
            row(名称=name, 所在地=address, 連絡先=phone, 連絡先掲載="可", 掲載可否=consent, 状況=status)
        )
    for k, phone in enumerate(UNCONSENTED_PHONES):
        rows.append(row(名称=f"電話は載せない会{k}", 連絡先=phone, 連絡先掲載="不可" if k else ""))
    for k, (name, venue, address, lat, lon) in enumerate(HOMES):
        rows.append(
            row(
                名称=name,
                会場=venue,
                会場種別="自宅",
                所在地=address,
                緯度=f"{lat:.6f}",
                経度=f"{lon:.6f}",
                連絡先="0739-66-1234",
                連絡先掲載="可",
                写真=f"photos/home{k}.{'jpg' if k == 0 else 'png'}",
                写真掲載="可",
                紹介文="縁側でお茶を飲みます。",
            )
        )
    rows.append(
        row(
            名称="公民館の体操",
            種別="exercise",
            会場="西北公民館",
            所在地="和歌山県ミニ町西北町2-1",
            写真="photos/hall.jpg",
            写真掲載="可",
            連絡先="0739-20-0000",
            連絡先掲載="可",
        )
    )
    return rows


HEADER = [
    "No.",
    "名称",
    "種別",
    "会場",
    "会場種別",
    "所在地",
    "緯度",
    "経度",
    "開催日時",
    "対象",
    "参加費",
    "活動内容",
    "連絡先",
    "連絡先掲載",
    "掲載可否",
    "状況",
    "最終確認日",
    "地区",
    "運営主体",
    "参加人数",
    "紹介文",
    "写真",
    "写真掲載",
]


def make_hostile_project(root: Path, hostile_config: bool = True) -> Path:
    """Write the hostile project into `root` (records as CSV with every column) and return it."""
    rows = hostile_rows()
    make_project(root, rows)
    with (root / "data" / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in HEADER})
    photos = root / "data" / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    gps_jpeg(photos / "home0.jpg", description=HOMES[0][2])
    text_png(photos / "home1.png", HOMES[1][2] + " " + WITHHELD[0][0])
    gps_jpeg(photos / "hall.jpg", description="西北公民館")
    gps_jpeg(root.parent / "passwd-bait.jpg", description="outside the project")
    if hostile_config:
        toml = (root / "takara.toml").read_text(encoding="utf-8")
        toml = toml.replace(
            'title = "ミニ町 宝物マップ（テスト）"', f"title = {json.dumps('ミニ町' + PAYLOADS[1])}"
        )
        toml = toml.replace('lead = "テスト用の小さな町です。"', f"lead = {json.dumps(PAYLOADS[0])}")
        toml = toml.replace('label = "体操"', f"label = {json.dumps('体操' + PAYLOADS[2])}")
        (root / "takara.toml").write_text(toml, encoding="utf-8")
        for name in ("districts", "neighbourhoods"):
            path = root / "data" / "boundaries" / f"{name}.geojson"
            fc = json.loads(path.read_text(encoding="utf-8"))
            for k, feature in enumerate(fc["features"]):
                feature["properties"]["name"] += PAYLOADS[k % 3]
            path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return root


# ---------------------------------------------------------------- one build per session

_BUILDS: dict[tuple[str, bool], tuple[Path, Path]] = {}
_TMP: list[Path] = []


def build_cli(project: Path, out: Path, *args: str) -> tuple[int, str, str]:
    """`takara build PROJECT --out OUT ARGS` in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    from gis.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(project), "--out", str(out), *args])
    return code, stdout.getvalue(), stderr.getvalue()


def hostile_site(with_print: bool = True) -> tuple[Path, Path]:
    """(project, site) of the hostile project, built once per test session (the PDFs take a while)."""
    key = ("hostile", with_print)
    if key not in _BUILDS:
        import atexit
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="takara-hostile-"))
        atexit.register(shutil.rmtree, tmp, True)
        project = make_hostile_project(tmp / "project")
        site = tmp / "site"
        code, _, err = build_cli(project, site, *(() if with_print else ("--no-print",)))
        assert code == 0, err[-2000:]
        _BUILDS[key] = (project, site)
    return _BUILDS[key]


# ---------------------------------------------------------------- files that attack the machine, not the page


def kmz_bomb(unpacked_mb: int = 20) -> bytes:
    """A small KMZ whose doc.kml unpacks to `unpacked_mb` MB (a valid KML padded with spaces)."""
    import io
    import zipfile

    head = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    body = head + b" " * (unpacked_mb * 1024 * 1024) + b"</Document></kml>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", body)
    return buf.getvalue()


def kmz_many_members(count: int = 1_500) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("doc.kml", deep_kml(1))
        for i in range(count):
            z.writestr(f"icons/{i}.png", b"")
    return buf.getvalue()


def deep_kml(depth: int) -> bytes:
    """A KML whose placemark sits inside `depth` nested folders (and a MultiGeometry as deep)."""
    placemark = (
        "<Placemark><name>深いサロン</name>"
        + "<MultiGeometry>" * depth
        + "<Point><coordinates>135.005,35.005</coordinates></Point>"
        + "</MultiGeometry>" * depth
        + "</Placemark>"
    )
    folders = "<Folder><name>層</name>" * depth + placemark + "</Folder>" * depth
    return (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + folders
        + "</Document></kml>"
    ).encode()


def deep_geojson(depth: int, umap: bool = False) -> bytes:
    """A FeatureCollection whose one feature's geometry is nested `depth` GeometryCollections deep."""
    geometry: dict = {"type": "Point", "coordinates": [135.005, 35.005]}
    text = '{"type": "GeometryCollection", "geometries": [' * depth + json.dumps(geometry) + "]}" * depth
    props = '{"名称": "深いサロン", "掲載可否": "可"' + (', "_umap_options": {}' if umap else "") + "}"
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        + props
        + ', "geometry": '
        + text
        + "}]}"
    ).encode()


def xlsx_declaring(dimension: str, far_row: int | None = None) -> bytes:
    """A few-KB workbook whose sheet declares `dimension` (e.g. A1:XFD1048576) and, with far_row, holds
    one cell that far down. The header and one record are real."""
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["名称", "所在地", "掲載可否"])
    wb.active.append(["宣言だけ大きいサロン", "和歌山県ミニ町西南町1-2", "可"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index("<dimension ref=")
                end = text.index("/>", start) + 2
                text = text[:start] + f'<dimension ref="{dimension}"/>' + text[end:]
                if far_row:
                    text = text.replace(
                        "</sheetData>",
                        f'<row r="{far_row}"><c r="A{far_row}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
                    )
                data = text.encode()
            dst.writestr(name, data)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width × height pixels (a decompression bomb is read from its header)."""
    import io
    import struct
    import zlib

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (10, 20, 30)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # after the signature: length (4), b"IHDR" (4), width, height …
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 8 + 13]))
    data[ihdr + 8 + 13 : ihdr + 8 + 17] = struct.pack(">I", crc)
    return bytes(data)


LINE_BREAKS = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f", "\x9b"]


def broken_line_text(base: str) -> str:
    """`base` cut by every kind of line break and control character (Alt+Enter, pasted terminal text …)."""
    controls = CONTROLS[1:]  # not NUL: a NUL makes a CSV a binary file, refused whole (tested elsewhere)
    return base[:2] + "".join(b + c for b, c in zip(LINE_BREAKS, controls * 2)) + base[2:] + "\r\n"


# ---------------------------------------------------------------- the previous site


def folder_hash(folder: Path) -> str:
    """Every file's path and bytes, in order: equal hashes mean byte-identical folders."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def leftovers(out: Path) -> list[str]:
    """Staging or set-aside folders beside --out."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def previous_site(out: Path) -> Path:
    """A small stand-in for an earlier edition at `out` (marked as Takara Map's), to compare after a failure."""
    (out / "data").mkdir(parents=True)
    (out / ".takara-site").write_text("previous\n", encoding="utf-8")
    (out / "index.html").write_text("<!doctype html><title>前の版</title>\n", encoding="utf-8")
    (out / "data" / "places.geojson").write_text('{"type": "FeatureCollection", "features": []}\n')
    return out
