"""Input limits: one set, checked before the expensive work, each a one-line error naming the file and
the limit. They are far above any coordinator's list (a whole prefecture fits) and far below what would
exhaust a laptop; README's security section lists them.

A file past a limit raises InputError (the build stops, nothing is published, the previous site stays);
a photo past the pixel limit is left out with a warning (gis.photos)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from gis.errors import InputError

MAX_FILE_BYTES = 100 * 1024 * 1024  # any one input file (records, boundaries, overlays, photos)
MAX_ROWS = 200_000  # rows of one record file (sheet rows, features, placemarks)
MAX_COLUMNS = 300  # columns of one sheet
MAX_CELLS = 10_000_000  # cells of one sheet, blank ones included
MAX_DEPTH = 64  # nesting of JSON arrays/objects and of KML elements
MAX_ZIP_MEMBERS = 1_000  # files inside one XLSX or KMZ
MAX_ZIP_RATIO = 200  # how many times larger a zip member may be once unpacked
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024  # all members of one XLSX or KMZ, unpacked
MAX_IMAGE_PIXELS = 60_000_000  # one photo (60 megapixels; a phone takes 12 to 50)

MB = 1024 * 1024


def check_file_size(path: Path, label: str) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            label,
            f"ファイルが大きすぎます（{size / MB:.0f} MB、上限 {MAX_FILE_BYTES // MB} MB） / "
            f"file too large: {size / MB:.0f} MB, the limit is {MAX_FILE_BYTES // MB} MB",
        )


def check_zip(archive: zipfile.ZipFile, label: str) -> None:
    """Member count, unpacked size and expansion ratio from the zip's directory, before unpacking."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(
            label,
            f"zip の中のファイルが多すぎます（{len(members)} 個、上限 {MAX_ZIP_MEMBERS} 個） / "
            f"too many files inside: {len(members)}, the limit is {MAX_ZIP_MEMBERS}",
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(
            label,
            f"展開すると大きすぎます（{total / MB:.0f} MB、上限 {MAX_UNZIPPED_BYTES // MB} MB） / "
            f"too large once unpacked: {total / MB:.0f} MB, the limit is {MAX_UNZIPPED_BYTES // MB} MB",
        )
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise InputError(
                label,
                f"圧縮率が異常です（{m.filename} が {m.file_size // max(m.compress_size, 1)} 倍に展開、"
                f"上限 {MAX_ZIP_RATIO} 倍）。zip 爆弾の可能性があります / expansion ratio "
                f"{m.file_size // max(m.compress_size, 1)}x for {m.filename}, the limit is {MAX_ZIP_RATIO}x",
            )


def read_zip_member(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    """A member's bytes, never more than its declared size allows (a forged directory cannot lie past it)."""
    limit = min(archive.getinfo(name).file_size, MAX_UNZIPPED_BYTES)
    with archive.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            label, f"zip の中の {name} が申告より大きく展開されます / {name} unpacks larger than declared"
        )
    return data


def check_table(rows: int, columns: int, cells: int, label: str) -> None:
    for what_ja, what_en, value, limit in (
        ("行", "rows", rows, MAX_ROWS),
        ("列", "columns", columns, MAX_COLUMNS),
        ("セル", "cells", cells, MAX_CELLS),
    ):
        if value > limit:
            raise InputError(
                label,
                f"{what_ja}が多すぎます（{value:,}、上限 {limit:,}）。ファイルを分けてください / "
                f"too many {what_en}: {value:,}, the limit is {limit:,}",
            )


def depth_error(label: str) -> InputError:
    return InputError(
        label,
        f"入れ子が深すぎます（上限 {MAX_DEPTH} 段） / nested too deeply: the limit is {MAX_DEPTH} levels",
    )


def check_json_depth(data: Any, label: str) -> None:
    """Without recursion: a file nested deeper than MAX_DEPTH is refused before anything walks it."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise depth_error(label)
        if isinstance(value, dict):
            stack += [(v, depth + 1) for v in value.values() if isinstance(v, (dict, list))]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value if isinstance(v, (dict, list))]


def check_xml_depth(parser: Any, label: str) -> None:
    """Count element depth in an expat parser, around the handlers it already has (the tree builder's):
    a document nested deeper than MAX_DEPTH is refused while it is parsed."""
    depth = 0
    start_element, end_element = parser.StartElementHandler, parser.EndElementHandler

    def start(*args: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise depth_error(label)
        if start_element is not None:
            start_element(*args)

    def end(*args: Any) -> None:
        nonlocal depth
        depth -= 1
        if end_element is not None:
            end_element(*args)

    parser.StartElementHandler = start
    parser.EndElementHandler = end


def check_pixels(width: int, height: int, label: str) -> str | None:
    """Why an image is refused, or None (read from its header, before any pixel is decoded)."""
    if width * height > MAX_IMAGE_PIXELS:
        return (
            f"{label}: 画像が大きすぎます（{width}×{height} 画素、上限 {MAX_IMAGE_PIXELS // 1_000_000} 百万画素） / "
            f"image too large: {width}x{height} pixels, the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
        )
    return None


def pixels_error(label: str) -> str:
    """The same refusal when Pillow's own decompression-bomb guard fired first (far larger images)."""
    return (
        f"{label}: 画像が大きすぎます（上限 {MAX_IMAGE_PIXELS // 1_000_000} 百万画素） / "
        f"image too large: the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
    )
