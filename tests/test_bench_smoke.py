"""A small run of the benchmark script (300 places, one cold run each of Takara Map and the naive folium
page, and the demo / validate / preview rows on a two-place town without prints), so `python -m
bench.run` cannot rot. The real benchmark is `make bench`, not part of the tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from projects import make_project, row

from bench.report import Figures, breakdown_table, targets_table
from tests.conftest import REPO

ISSUE_TARGETS = (
    "whole build, 100,000 places",
    "whole build, 150,000 places",
    "time linear in the places",
    "peak memory linear in the places",
    "the demo with every print",
    "Kurashiki (293 places, 28 PDFs)",
    "one edited row: preview updated, the demo",
    "one edited row: preview updated, 10,000 places",
    "`validate --site` on the demo",
    "map page: first markers, 10,000 places",
    "map page: first markers, 100,000 places",
)


def test_benchmark_writes_a_table_with_figures(tmp_path):
    cache, results, sites = tmp_path / "cache", tmp_path / "results", tmp_path / "sites"
    town = make_project(
        tmp_path / "town",
        [row(名称="西のサロン"), row(名称="東の体操", 種別="体操", 所在地="和歌山県ミニ町東南町1-2")],
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--sizes",
            "300",
            "--runs",
            "1",
            "--build-runs",
            "1",
            "--quick",
            "--cache",
            str(cache),
            "--results",
            str(results),
            "--sites",
            str(sites),
            "--ext4",
            str(tmp_path / "disk"),
            "--demo",
            str(town),
            "--no-scenario-prints",
            "--kurashiki",
            str(tmp_path / "no-shared-data"),
            "--preview-sizes",
            "",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    table = (results / "results.md").read_text(encoding="utf-8")
    data = json.loads((results / "results.json").read_text(encoding="utf-8"))
    assert data["machine"]["nproc"] >= 1 and data["machine"]["chromium"]
    size = data["results"][0]
    assert size["places"] == 300
    # Both approaches built the same published places and drew them in the browser.
    for variant in ("takara", "naive"):
        build = size["builds"][variant]
        assert build["ok"] and build["build_s"] > 0 and build["peak_mb"] > 0 and build["site"]["gz"] > 0
        assert build["disk"]["here"]["bytes"] > 0 and build["disk"]["there"]["bytes"] > 0
        page = size["browser"][variant]
        assert page["ok"] == 1, page["failures"]
        assert page["first_markers_ms"] > 0 and page["load_ms"] > 0 and page["heap_mb"] > 0
        assert page["before_markers_gz"] > 0
        assert page["unexpected"] == [], "a request tried to leave the machine"
    assert size["browser"]["takara"]["errors"] == []
    assert sum(size["builds"]["takara"]["categories_s"].values()) > 0  # the build's time, per stage

    # The other rows ran on the town: built, validated (no leak), and one edited row reached its page.
    rows = data["rows"]
    assert rows["demo"]["ok"] and rows["demo"]["places"] == 2
    assert rows["validate"]["ok"] and " 0 件" in rows["validate"]["leak_scan"]
    assert rows["preview-demo"]["ok"] and rows["preview-demo"]["updated"]
    assert "not found" in rows["kurashiki"]["skipped"]

    # Every target of issue 15 has its row in the table, with a limit and a verdict or a reason.
    targets = table.split("## Targets", 1)[1].split("\n## ", 1)[0]
    for target in ISSUE_TARGETS:
        line = next((t for t in targets.splitlines() if t.startswith(f"| {target}")), None)
        assert line, target
        assert re.search(r"\| (met|\*\*missed|— \(.+\))", line), line
    demo = next(t for t in targets.splitlines() if t.startswith("| the demo with every print"))
    assert re.search(r"\| [\d.]+ s \(one run\) \[2 places, without prints\] \|", demo), demo
    assert re.search(r"MB \w+ / [\d.]+ MB ext4 \| [\d.]+× \(naive [\d.]+ s at 300\) \|", demo), demo

    # The Markdown table holds a row of numbers for each approach, and the ratio between them.
    for heading in ("## Takara Map", "## folium naive"):
        section = table.split(heading, 1)[1]
        line = next(t for t in section.splitlines() if t.startswith("| 300 |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert re.fullmatch(r"[\d,]+", cells[6]), line  # first markers, ms
        assert re.fullmatch(r"[\d.,]+", cells[1]), line  # build s
    assert re.search(r"\| 300 \| naive folium \| [\d.,]+× \|", table)
    # Nothing of the benchmark is written into the repository.
    assert not (REPO / "bench" / "sites").exists()


def test_a_missed_target_says_by_how_much_and_where_the_time_goes():
    stages = {"pipeline": 40.0, "exports": 300.0, "pages": 250.0, "other": 26.0}
    build = {"ok": True, "build_s": 616.0, "peak_mb": 2090.0, "n": 1, "categories_s": stages}
    naive = {"ok": True, "build_s": 189.0, "peak_mb": 2400.0}
    size = {
        "places": 100_000,
        "builds": {"takara": build, "naive": naive},
        "browser": {},
        "browser_throttled": {},
    }
    figures = Figures([size])

    lines = targets_table(figures)
    time = next(t for t in lines if "100,000 places" in t and ": time" in t)
    assert "616.0 s (one run)" in time and "**missed by 586.0 s** (20.5× the limit)" in time
    assert "3.26× (naive 189.0 s)" in time
    memory = next(t for t in lines if "100,000 places" in t and "peak memory" in t)
    assert "**missed by 1,066 MB** (2.0× the limit)" in memory
    row = next(t for t in breakdown_table(figures) if t.startswith("| 100,000 |"))
    assert row == "| 100,000 | 40.0 | 300.0 | 250.0 | 26.0 | 616.0 | — | **missed** |"
