"""Domain errors. The CLI turns each into one readable line and an exit code; tracebacks are for bugs."""

from __future__ import annotations


class TakaraError(Exception):
    """A problem the user can fix: bad config, unreadable file, impossible output folder."""

    exit_code = 2


class ConfigError(TakaraError):
    """The map project's config has problems (the message lists all of them)."""


class InputError(TakaraError):
    """A record or boundary file cannot be read at all. Names the file (and row/field when known)."""

    def __init__(self, source: str, message: str, row: int | None = None, field: str | None = None):
        self.source, self.row, self.field = source, row, field
        where = source + (f" {row}行目" if row else "") + (f" 「{field}」列" if field else "")
        super().__init__(f"{where}: {message}")


class OutputError(TakaraError):
    """The output folder cannot be used or written."""
