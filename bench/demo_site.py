"""Website figures for the bundled demo (issue 3): build time, bytes of index.html plus the data it loads
before the first markers (raw and gzip -6), and time from navigation to first markers in headless Chromium
(median of 3 cold runs, a new browser each time, served from 127.0.0.1, tiles aborted).

Usage: python -m bench.demo_site"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST_PAINT_FILES = ("index.html", "data/overview.json", "data/index.json")


def main() -> int:
    sys.path.insert(0, str(REPO / "tests"))
    from browser import CHROMIUM, CHROMIUM_ARGS, serve  # the tests' loopback server and Chromium flags
    from playwright.sync_api import sync_playwright

    from gis.cli import DEMO
    from gis.cli import main as takara

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        started = time.perf_counter()
        assert (
            takara([str(DEMO), "--out", str(out), "--no-print", "--report", str(Path(tmp) / "r.json")]) == 0
        )
        build_s = time.perf_counter() - started
        raw = {name: (out / name).read_bytes() for name in FIRST_PAINT_FILES if (out / name).exists()}
        times = []
        with serve(out) as base, sync_playwright() as pw:
            for _ in range(3):
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route("**/*", lambda r: r.abort() if "127.0.0.1" not in r.request.url else r.continue_())
                page.goto(base + "index.html")
                page.wait_for_function(
                    "() => window.takara && window.takara.firstMarkersAt > 0", timeout=30000
                )
                times.append(page.evaluate("window.takara.firstMarkersAt"))
                browser.close()
    size = sum(len(b) for b in raw.values())
    gz = sum(len(gzip.compress(b, 6, mtime=0)) for b in raw.values())
    print(
        f"demo: build {build_s:.1f} s (no PDFs); {' + '.join(raw)} = {size / 1024:.0f} KB raw / {gz / 1024:.0f} KB gzip; "
        f"first markers {statistics.median(times):.0f} ms (median of {len(times)}: {', '.join(f'{t:.0f}' for t in times)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
