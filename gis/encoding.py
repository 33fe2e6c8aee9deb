"""How a text file's bytes become text: UTF-8 (with or without BOM) or CP932, detected, never mojibake.
Used by every reader of a coordinator's CSV (records, town lists, facility lists, statistics inputs)."""

from __future__ import annotations

from gis.errors import InputError


def decode_csv_bytes(data: bytes, label: str) -> str:
    """UTF-8 (with or without BOM) or CP932, detected; anything else is an error, never mojibake.
    A file mixing the two (rows pasted from another file) is refused at the first line in the other
    encoding: decoding it all as CP932 would quietly turn the UTF-8 rows into mojibake."""
    if b"\x00" in data[:4096]:
        raise InputError(
            label, "CSV ではなくバイナリのファイルのようです / this looks like a binary file, not CSV"
        )
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    odd = _mixed_encoding_line(body)
    if odd:
        raise InputError(
            label,
            "文字コードが混ざっています（UTF-8 と Shift_JIS）。どちらかに揃えて保存し直してください / "
            "the file mixes encodings (UTF-8 and Shift_JIS): save it in one",
            row=odd,
        )
    try:
        return body.decode("cp932")
    except UnicodeDecodeError:
        pass
    raise InputError(
        label,
        "文字コードを判別できません。UTF-8 か Shift_JIS で保存し直してください / "
        "cannot decode: save as UTF-8 or Shift_JIS (the file may mix encodings)",
        row=_first_bad_utf8_line(data),
    )


def _mixed_encoding_line(body: bytes) -> int | None:
    """The first line in the minority encoding when some lines are UTF-8 text and others are not UTF-8
    (Japanese text in CP932 is practically never valid UTF-8, so a UTF-8 line with kana or kanji is UTF-8)."""
    first_utf8 = first_other = None
    for n, line in enumerate(body.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            first_utf8 = first_utf8 or n
        except UnicodeDecodeError:
            first_other = first_other or n
        if first_utf8 and first_other:
            return max(first_utf8, first_other)  # the line that breaks the pattern set by the first
    return None


def _first_bad_utf8_line(data: bytes) -> int | None:
    """The line where UTF-8 first fails, when the file starts as UTF-8 (a sheet pasted from another file)."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return body[: exc.start].count(b"\n") + 1 if exc.start > 0 else None
    return None
