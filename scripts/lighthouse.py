"""Lighthouse on the demo site, as a phone (Lighthouse's default mobile profile: Moto G Power, slow 4G,
4× CPU slowdown) and optionally as a desktop.

    python scripts/lighthouse.py                 # phone: index, a district, a place, week, stats (median of 3)
    python scripts/lighthouse.py --desktop       # the desktop profile as well
    python scripts/lighthouse.py --site _site    # an already built site instead of a fresh demo build

Installs a pinned Lighthouse from npm into .takara/lighthouse/ once (npm must be installed), builds the
demo without PDFs into a temporary folder, serves it on 127.0.0.1 (text gzipped, as static hosts
serve it), and runs Debian's Chromium
(CHROME_PATH, default `which chromium`). Basemap tiles cannot be reached offline; that is fine: the
pages must work without them. Prints a Markdown table (the README's figures come from it) and writes
every report to test-artifacts/lighthouse/. Not run by the tests: it takes minutes.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE_VERSION = "12.8.2"
TOOL_DIR = REPO / ".takara" / "lighthouse"
OUT_DIR = REPO / "test-artifacts" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
TEXT = {".html", ".css", ".js", ".json", ".geojson", ".svg", ".csv"}


class _Host(SimpleHTTPRequestHandler):
    """Serves the site as a static host does: text compressed with gzip when the browser accepts it."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        compress = (
            path.suffix in TEXT and "gzip" in self.headers.get("Accept-Encoding", "") and path.is_file()
        )
        if not compress:
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def lighthouse_bin() -> Path:
    """The pinned Lighthouse, installed with npm on first use."""
    binary = TOOL_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed to install Lighthouse: apt-get install npm")
        TOOL_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(TOOL_DIR),
                "--no-audit",
                "--no-fund",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )
    return binary


def build_demo(out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", str(REPO), "--out", str(out), "--no-print"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def pages_of(site: Path) -> dict[str, str]:
    """The kinds of page measured: name -> path under the site."""
    district = sorted(p.name for p in (site / "districts").iterdir())[0]
    place = sorted(int(p.name) for p in (site / "places").iterdir())[0]
    return {
        "index": "index.html",
        "district": f"districts/{district}/",
        "place": f"places/{place}/",
        "week": "week/index.html",
        "stats": "stats/index.html",
    }


def run_one(binary: Path, chrome: str, url: str, report: Path, desktop: bool) -> dict:
    cmd = [
        str(binary),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--max-wait-for-load=45000",
    ]
    if desktop:
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env=dict(os.environ, CHROME_PATH=chrome))
    data = json.loads(report.read_text(encoding="utf-8"))
    audits = data["audits"]
    return {
        **{c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES},
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "dom": audits["dom-size"]["numericValue"] if "dom-size" in audits else None,
        "version": data["lighthouseVersion"],
    }


def table(rows: dict[str, dict], profile: str) -> str:
    lines = [
        f"| page ({profile}) | performance | accessibility | best practices | SEO | LCP s | TBT ms | CLS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['performance']} | {r['accessibility']} | {r['best-practices']} | {r['seo']} "
            f"| {r['lcp_s']:.1f} | {r['tbt_ms']:.0f} | {r['cls']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--site", type=Path, help="a built site (default: build the demo into a temporary folder)"
    )
    parser.add_argument("--desktop", action="store_true", help="also measure with the desktop profile")
    parser.add_argument("--min", type=int, default=95, help="exit 1 when a category scores below this")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per page; the median is reported (default 3)"
    )
    parser.add_argument(
        "--only", action="append", help="measure only this page (index, district, place, week, stats)"
    )
    args = parser.parse_args(argv)
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    binary = lighthouse_bin()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            build_demo(site)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Host, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        worst = 100
        try:
            for profile, desktop in [("phone", False)] + ([("desktop", True)] if args.desktop else []):
                rows = {}
                for name, path in pages_of(site).items():
                    if args.only and name not in args.only:
                        continue
                    # the median run by performance (Lighthouse's advice: scores vary from run to run,
                    # more so on a shared machine)
                    runs = [
                        run_one(binary, chrome, base + path, OUT_DIR / f"{profile}-{name}-{k}.json", desktop)
                        for k in range(args.runs)
                    ]
                    rows[name] = sorted(runs, key=lambda r: r["performance"])[len(runs) // 2]
                    worst = min(worst, *(rows[name][c] for c in CATEGORIES))
                version = next(iter(rows.values()))["version"]
                print(f"\nLighthouse {version}, {profile} profile\n")
                print(table(rows, profile))
                (OUT_DIR / f"{profile}.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
        finally:
            server.shutdown()
    return 0 if worst >= args.min else 1


if __name__ == "__main__":
    raise SystemExit(main())
