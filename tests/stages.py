"""Output stages left out of a build, for tests about another stage (each stage has its own test file)."""

from __future__ import annotations

import pytest

from gis import publish
from gis.export import ExportResult


def site_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish without exports, prints and statistics: each stage returns what it returns when it wrote
    nothing, so the pages link none of them."""
    monkeypatch.setattr(publish, "write_exports", lambda *args, **kwargs: ExportResult())
    monkeypatch.setattr(publish, "write_prints", lambda *args, **kwargs: [])
    monkeypatch.setattr(publish, "write_stats", lambda *args, **kwargs: False)
