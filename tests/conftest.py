"""Shared fixtures. Tests that need ../shared skip with a reason when it is absent, but never under CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARTIFACTS = REPO / "test-artifacts"  # screenshots and rendered pages for review
# No test may fetch map tiles from the internet: builds draw no street basemap unless a test serves its
# own tiles from a loopback server (tests/test_printing.py) and says so for that build.
os.environ["TAKARA_BASEMAP"] = "none"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when it is missing (fails under CI instead)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing, and CI is set: tests needing ../shared may not skip in CI")
        pytest.skip(f"{path} not found: the real-city data in ../shared is not beside this checkout")
    return path


@pytest.fixture
def kurashiki_dir() -> Path:
    return shared_path("data", "kurashiki")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def site_only_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish without exports, prints and statistics (tests/stages.py)."""
    from stages import site_only

    site_only(monkeypatch)


@pytest.fixture
def small_site(tmp_path: Path, site_only_stages: None) -> tuple[Any, Path]:
    """The small synthetic edition (tests/sites.py) with one hostile record, published site-only."""
    from sites import build_small_site

    return build_small_site(tmp_path)


# One Chromium for the whole session, shared by every browser test module (a second Playwright start
# in the same process fails), and guarded pages: see tests/browser.py.
from browser import chromium, open_page  # noqa: E402, F401
