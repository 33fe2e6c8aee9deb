"""A small run of the benchmark script (300 places, one cold run each of Takara Map and the naive folium
page), so `python -m bench.run` cannot rot. The real benchmark is `make bench`, not part of the tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import REPO


def test_benchmark_writes_a_table_with_figures(tmp_path):
    cache, results, sites = tmp_path / "cache", tmp_path / "results", tmp_path / "sites"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--sizes",
            "300",
            "--runs",
            "1",
            "--quick",
            "--cache",
            str(cache),
            "--results",
            str(results),
            "--sites",
            str(sites),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
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
        page = size["browser"][variant]
        assert page["ok"] == 1, page["failures"]
        assert page["first_markers_ms"] > 0 and page["load_ms"] > 0 and page["heap_mb"] > 0
        assert page["before_markers_gz"] > 0
        assert page["unexpected"] == [], "a request tried to leave the machine"
    assert size["browser"]["takara"]["errors"] == []

    # The Markdown table holds a row of numbers for each approach, and the ratio between them.
    for heading in ("## Takara Map", "## folium naive"):
        section = table.split(heading, 1)[1]
        row = next(line for line in section.splitlines() if line.startswith("| 300 |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        first_markers = cells[5]
        assert re.fullmatch(r"[\d,]+", first_markers), row
        assert re.fullmatch(r"[\d.,]+ ‡?", cells[1] + " ") or re.fullmatch(r"[\d.,]+", cells[1]), row
    assert re.search(r"\| 300 \| naive folium \| [\d.,]+× \|", table)
    # Nothing of the benchmark is written into the repository.
    assert not (REPO / "bench" / "sites").exists()
