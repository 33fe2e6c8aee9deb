"""The photos stage (gis.photos): re-encoded, upright, without metadata; missing files reported by row."""

from __future__ import annotations

import pytest
from PIL import Image
from sites import camera_photo, make_edition

from gis.photos import publish_photo
from gis.publish import publish_site

# The print, export and statistics stages (tested in their own files) write nothing here.
pytestmark = pytest.mark.usefixtures("site_only_stages")


def test_photos_are_upright_resized_and_stripped_of_all_metadata(tmp_path):
    src = tmp_path / "phone.jpg"
    camera_photo(src)
    assert b"SERIAL-12345" in src.read_bytes() and b"Tanaka" in src.read_bytes()
    out = tmp_path / "photos"
    out.mkdir()
    result = publish_photo(src, out, "7")
    assert result["thumb"] == "photos/7-s.jpg" and result["large"] == "photos/7-l.jpg"
    for name, side in (("7-s.jpg", 400), ("7-l.jpg", 1200)):
        data = (out / name).read_bytes()
        for secret in (
            b"SERIAL-12345",
            b"PhoneMaker",
            b"Tanaka",
            b"2024:05:01",
            b"Exif",
            b"GPS",
            b"ICC_PROFILE",
        ):
            assert secret not in data, (name, secret)
        with Image.open(out / name) as im:
            assert max(im.size) == side
            assert im.size[1] > im.size[0]  # orientation 6 applied: portrait now
            assert not im.getexif() and "comment" not in im.info and "exif" not in im.info
            assert im.format == "JPEG"


def test_photo_published_only_when_the_place_has_one_and_missing_files_are_reported(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    camera_photo(root / "ok.jpg", size=(800, 600))
    edition = make_edition(
        root,
        count=2,
        extra=[
            {"number": 60, "photo": "ok.jpg"},
            {"number": 61, "photo": "missing.jpg"},
            {"number": 62, "photo": ""},
        ],
    )
    publish_site(edition, tmp_path / "site", with_print=False)
    photos = sorted(p.name for p in (tmp_path / "site" / "photos").iterdir())
    assert photos == ["60-l.jpg", "60-s.jpg"]
    warnings = [i for i in edition.report.issues if i.field == "写真"]
    assert len(warnings) == 1 and warnings[0].row == 62 and "missing.jpg" in warnings[0].message
    page = (tmp_path / "site" / "places" / "60" / "index.html").read_text(encoding="utf-8")
    assert 'src="../../photos/60-l.jpg"' in page
