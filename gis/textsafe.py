"""The two gates text passes on its way out: one for spreadsheets, one for line-based formats.

Record text, config text (title, tier and category names) and diff text are typed by people and may hold
anything: a line break from Alt+Enter in an Excel cell, a control character pasted from another program,
or a formula. Every cell a spreadsheet (CSV, XLSX) receives passes `spreadsheet_cell`; every value a
calendar (ICS) or any other line-based output (the CLI's report lines) receives passes `one_line`."""

from __future__ import annotations

import re
from typing import Any

# Line breaks of every kind (CR, LF, VT, FF, the file/group/record separators, NEL, LS, PS) and the other
# C0/C1 control characters except TAB: none of them belongs inside one line of output.
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
# What Excel, LibreOffice and Google Sheets read as the start of a formula (or a DDE call), also after
# leading spaces; a leading TAB or CR is a known trick to hide one.
_FORMULA_START = re.compile(r"^[ \u3000]*[=+\-@]|^[\t\r\n]")
_ODD_BREAKS = re.compile(r"[\v\f\x1c-\x1e\x85\u2028\u2029]")  # XLSX cannot hold them: a plain line break


def one_line(value: Any) -> str:
    """The text on one line: every line break becomes a space, other control characters are dropped."""
    text = "" if value is None else str(value)
    text = _CONTROLS.sub("", text)
    return _BREAKS.sub(" ", text.replace("\t", " "))


def spreadsheet_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs: text that would start a formula gets a leading
    apostrophe (the OWASP rule), control characters other than line breaks and TAB are dropped (XLSX
    cannot hold them). Numbers, dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    text = _ODD_BREAKS.sub("\n", _CONTROLS.sub("", value))
    if _FORMULA_START.match(text):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """A cell of a published CSV file, which is both a spreadsheet and a line-based file: one line
    (each record on its own line for line-based tools), then the spreadsheet gate."""
    return spreadsheet_cell(one_line(value)) if isinstance(value, str) else value
