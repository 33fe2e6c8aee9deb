"""Photos for the web: turned upright, re-encoded at two sizes, every metadata block stripped.

A photo taken at a home salon must not carry the home's coordinates: EXIF (GPS, camera serial, dates),
XMP, IPTC, comments and ICC profiles are all dropped (colours are first converted to sRGB, so a phone's
Display P3 picture still looks right). The bytes written depend only on the source pixels and the
settings here, so two builds are identical. Whether a photo may be published at all is decided by
gis.privacy; this module only sees photos already allowed.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from gis.edition import Edition
from gis.limits import MAX_FILE_BYTES, check_pixels, pixels_error
from gis.report import Issue

THUMB_SIDE = 400
LARGE_SIDE = 1200
QUALITY = 82
SIZES = (("s", THUMB_SIDE), ("l", LARGE_SIDE))
_VERSION = b"takara-photos-1"  # bump when the encoding changes, so cached files are remade


class PhotoError(Exception):
    """The file is not an image Pillow can read."""


def clean_image(src: Path | bytes) -> Image.Image:
    """The picture as plain upright sRGB pixels, with no metadata attached."""
    try:
        with Image.open(io.BytesIO(src) if isinstance(src, bytes) else src) as im:
            too_large = check_pixels(im.width, im.height, "写真 / photo")  # from the header, before decoding
            if too_large:
                raise PhotoError(too_large)
            im.load()
            upright = ImageOps.exif_transpose(im)  # applies the EXIF orientation before EXIF is dropped
            icc = im.info.get("icc_profile")
    except Image.DecompressionBombError:  # Pillow's own guard, should its limit be the lower one
        raise PhotoError(pixels_error("写真 / photo")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{type(exc).__name__}: {exc}") from None
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    elif icc and upright.mode in ("RGB", "CMYK"):
        upright = _to_srgb(upright, icc)
    rgb = upright.convert("RGB")
    # A fresh image from raw pixels carries no info dict (Pillow would re-save comments and XMP from it).
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def _to_srgb(im: Image.Image, icc: bytes) -> Image.Image:
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"), outputMode="RGB") or im
    except Exception:  # noqa: BLE001 - a broken profile: keep the pixels as they are
        return im


def encode(im: Image.Image, side: int) -> bytes:
    """A JPEG no larger than side × side (never enlarged), without any metadata."""
    small = im.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(
        buf,
        "JPEG",
        quality=QUALITY,
        optimize=True,
        progressive=False,
        subsampling="4:2:0",
        exif=b"",
        icc_profile=None,
        comment=b"",
    )
    return buf.getvalue()


def publish_photo(src: Path, dest_dir: Path, stem: str, cache_dir: Path | None = None) -> dict:
    """Write `<stem>-s.jpg` (about 400 px) and `<stem>-l.jpg` (about 1200 px) into dest_dir.

    Returns {"thumb": "photos/<stem>-s.jpg", "large": …, "tw", "th", "w", "h"} (pixel sizes of both; URLs
    are relative to the site root). With cache_dir, encodings are reused while the source bytes are the same."""
    if Path(src).stat().st_size > MAX_FILE_BYTES:
        raise PhotoError(
            f"写真のファイルが大きすぎます（上限 {MAX_FILE_BYTES // 1024 // 1024} MB） / photo file too large"
        )
    data = Path(src).read_bytes()
    key = hashlib.sha256(_VERSION + data).hexdigest()[:24]
    out: dict = {}
    im: Image.Image | None = None
    for suffix, side in SIZES:
        cached = cache_dir / f"{key}-{suffix}.jpg" if cache_dir else None
        if cached is not None and cached.is_file():
            jpeg = cached.read_bytes()
        else:
            if im is None:
                im = clean_image(data)
            jpeg = encode(im, side)
            if cached is not None:
                try:  # the cache only saves time: a read-only project folder must not stop the build
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
                    tmp.write_bytes(jpeg)
                    tmp.replace(cached)
                except OSError:
                    pass
        name = f"{stem}-{suffix}.jpg"
        (dest_dir / name).write_bytes(jpeg)
        out["thumb" if suffix == "s" else "large"] = f"photos/{name}"
        with Image.open(io.BytesIO(jpeg)) as done:  # reads the header only
            out["w" if suffix == "l" else "tw"], out["h" if suffix == "l" else "th"] = done.size
    return out


# ---------------------------------------------------------------- the photos stage


def _photo_sources(edition: Edition) -> dict[int, list[Path]]:
    """Where to look for each place's photo: beside its record file, then the project root and data/."""
    project = edition.project
    by_label = {r.label: r.path.parent for r in project.records}
    out = {}
    for p in edition.places:
        if not p.photo:
            continue
        rel = Path(p.photo)
        bases = [
            by_label.get(edition.sources.get(p.number, ("", 0))[0], project.root),
            project.root,
            project.root / "data",
        ]
        out[p.number] = [rel] if rel.is_absolute() else [b / rel for b in bases]
    return out


def write_photos(edition: Edition, out: Path) -> dict[int, dict[str, str]]:
    """The photos stage: every published place's photo, re-encoded without metadata into out/photos/.
    Returns number -> the files written (site-relative); a missing, unreadable or outside-the-project photo
    is left out with a warning naming the row."""
    from gis.privacy import photo_inside_project

    published: dict[int, dict[str, str]] = {}
    sources = _photo_sources(edition)
    if not sources:
        return published
    (out / "photos").mkdir(exist_ok=True)
    cache = edition.project.root / ".takara" / "photos"
    names = {p.number: p.name for p in edition.places}
    for number, candidates in sorted(sources.items()):
        src = next((c for c in candidates if c.is_file()), None)
        source, row = edition.sources.get(number, ("", None))

        def photo_warning(message: str, message_en: str) -> None:
            edition.report.add(Issue("warning", source, row, "写真", message, message_en, names[number]))  # noqa: B023

        name = candidates[0].name
        if src is not None and not photo_inside_project(src, edition.project.root):
            photo_warning(
                f"写真「{name}」はプロジェクトの外のファイルを指している（リンク）ため、使いません",
                "the photo resolves (symbolic links followed) outside the project: not published",
            )
        elif src is None:
            photo_warning(
                f"写真「{name}」が見つからないため、写真なしで掲載します",
                "photo file not found; published without a photo",
            )
        else:
            try:
                published[number] = publish_photo(src, out / "photos", str(number), cache_dir=cache)
            except PhotoError as exc:
                photo_warning(
                    f"写真を読めないため、写真なしで掲載します（{exc}）",
                    "photo unreadable; published without a photo",
                )
    return published


def large_files(published: dict[int, dict[str, str]], site: Path) -> dict[int, Path]:
    """number -> the large JPEG the photos stage wrote into `site` (what the prints embed)."""
    return {number: site / files["large"] for number, files in published.items()}
