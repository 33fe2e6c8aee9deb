"""Pipeline figures for the README (issue 2): time and peak memory of read → validate → geocode → tiers →
privacy → numbers, without writing a site, for the demo and for synthetic projects.

Usage: python -m bench.pipeline [--sizes 100000] [--cache /tmp/takara-bench]
Each measurement runs in a fresh process; peak memory is that process's ru_maxrss."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from gis.config import load_project
from gis.pipeline import run
from gis.report import Report
t = time.perf_counter()
report = Report()
edition = run(load_project(sys.argv[1]), report)
seconds = time.perf_counter() - t
d = report.to_dict()
print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "rows_read": d["rows_read"], "published": d["published"], "withheld": d["withheld"],
                  "rejected": d["rejected"]}))
"""


def measure(project: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(project)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="synthetic project sizes, comma-separated")
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/takara-bench"), help="where projects are generated"
    )
    args = parser.parse_args(argv)
    from bench.generate import generate, reset_state

    rows = [("demo (たから市)", measure(REPO))]
    for size in [int(s) for s in args.sizes.split(",") if s]:
        project = generate(size, args.cache)
        reset_state(project)
        rows.append((f"synthetic {size:,}", measure(project)))
    print(
        f"Pipeline only (no site), {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}:\n"
    )
    print("| project | rows read | published | withheld | rejected | time s | peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in rows:
        print(
            f"| {name} | {m['rows_read']:,} | {m['published']:,} | {m['withheld']:,} | {m['rejected']:,} | "
            f"{m['seconds']} | {m['peak_mb']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
