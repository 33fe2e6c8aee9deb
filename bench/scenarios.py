"""The benchmark's rows beyond the synthetic sizes: the bundled demo with every print, Kurashiki (293
places, 28 PDFs), the preview after one edited row, and `validate --site` on the demo.

Every figure is Takara Map's own command line (`build.py …`, through bench.takara_build for the
per-stage times) as a fresh process, on a copy of the project in the benchmark's cache (a build writes
numbers.json and .takara/ into its project: the repository is never touched). Each row is run
--build-runs times and the median reported; every run starts from a fresh copy (no photo cache, a new
--out), except the preview, which is by definition a second build into the same --out.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import measure

REPO = measure.REPO
SHARED_KURASHIKI = REPO.parent / "shared" / "data" / "kurashiki"
# No build of the benchmark fetches map tiles: prints are drawn without a street basemap (the demo's
# own setting; Kurashiki would otherwise fetch 地理院タイル over the network, measuring the network).
ENV = {"TAKARA_BASEMAP": "none"}
EDIT_MARK = "・ベンチマーク編集{n}"  # survives the site's text normalisation (NFKC, typography)


@dataclass
class Settings:
    cache: Path  # projects, logs, reports
    sites: Path  # built sites (tmpfs when there is one)
    ext4: Path | None  # where a site is copied to measure its disk usage on a second file system
    runs: int
    timeout_s: float
    log: Callable[[str], None]


# ---------------------------------------------------------------- one Takara Map command, timed


def run_takara(args: list[str], name: str, s: Settings, skip: tuple[str, ...] = ()) -> dict:
    """`build.py ARGS` as a fresh process through bench.takara_build: wall time, peak memory, stages."""
    stages = s.cache / "logs" / f"{name}-stages.json"
    stages.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.takara_build", "--stages-json", str(stages)]
    cmd += ["--skip", ",".join(skip), "--", *args]
    load = os.getloadavg()[0]  # other work on the machine: said beside the figures
    result = measure.timed_run(cmd, s.cache / "logs" / f"{name}.log", timeout_s=s.timeout_s, env=ENV)
    entry: dict[str, Any] = {
        "ok": result.ok,
        "build_s": round(result.wall_s, 2),
        "cpu_s": round(result.cpu_s, 1),
        "peak_mb": round(result.peak_mb, 1),
        "maxrss_mb": round(result.maxrss_mb, 1),
        "tree_pss_mb": round(result.tree_pss_mb, 1),
        "returncode": result.returncode,
        "skipped_stages": list(skip),
        "timed_out": result.wall_s >= s.timeout_s,
        "load_before": round(load, 2),
    }
    if stages.is_file():
        timed = json.loads(stages.read_text(encoding="utf-8"))
        entry["stages_s"] = timed["stages_s"]
        entry["categories_s"] = timed.get("categories_s", {})
        entry["summary"] = timed.get("summary", [])
        entry["leak_lines"] = timed.get("leak_lines", [])
    if not result.ok:
        entry["log_tail"] = result.log[-1500:]
    return entry


def median_entry(runs: list[dict]) -> dict:
    """The run with the median wall time, carrying every run's seconds and the median peak memory."""
    ok = [r for r in runs if r["ok"]]
    counted = ok or runs  # when every run failed, the failure is what the row reports
    ordered = sorted(counted, key=lambda r: r["build_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["runs_s"] = [r["build_s"] for r in runs]
    chosen["n"] = len(ok)
    chosen["peak_mb"] = round(statistics.median(r["peak_mb"] for r in counted), 1)
    chosen["ok"] = len(ok) == len(runs)
    return chosen


def published(report: Path) -> int | None:
    try:
        return int(json.loads(report.read_text(encoding="utf-8"))["published"])
    except (OSError, ValueError, KeyError):
        return None


def disk(out: Path, s: Settings) -> dict:
    """The output folder's disk usage where it was built, and on the second file system."""
    if not out.is_dir():
        return {}
    if s.ext4 is None:
        return {"here": {"fs": measure.filesystem(out), "bytes": measure.disk_usage(out)}}
    return measure.disk_on(out, s.ext4)


# ---------------------------------------------------------------- projects


def copy_demo(dest: Path, source: Path = REPO) -> Path:
    """The bundled demo (the repository's takara.toml, layers/, data/), copied so builds leave the
    repository alone; `source` may be another project (the smoke test's tiny one)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name in ("takara.toml", "layers", "data"):
        src = source / name
        if src.exists():
            (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def make_kurashiki(dest: Path, shared: Path) -> Path:
    """倉敷市 from ../shared/data/kurashiki, records written by the tests' own helper (tests/kurashiki.py)."""
    sys.path.insert(0, str(REPO))
    from tests.kurashiki import make_kurashiki_project

    shutil.rmtree(dest, ignore_errors=True)
    return make_kurashiki_project(dest, shared)


def copy_project(src: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".takara", "numbers.json"))
    return dest


# ---------------------------------------------------------------- rows


def whole_build(name: str, label: str, make: Callable[[Path], Path], s: Settings, prints: bool) -> dict:
    """A first build of a project (fresh copy, new --out), --build-runs times; the median."""
    work, out = s.cache / "scenarios" / name, s.sites / f"scenario-{name}"
    report = work / "report.json"
    runs = []
    for r in range(s.runs):
        project = make(work / "project")
        shutil.rmtree(out, ignore_errors=True)
        args = [str(project), "--out", str(out), "--report", str(report)] + ([] if prints else ["--no-print"])
        runs.append(run_takara(args, f"{name}-{r + 1}", s))
        s.log(f"{label} run {r + 1}: {_said(runs[-1])}")
    entry = median_entry(runs)
    entry.update(
        label=label,
        places=published(report),
        prints=prints,
        pdfs=len(list((out / "print").glob("*.pdf"))) if out.is_dir() else 0,
        disk=disk(out, s),
        command=f"build.py PROJECT --out DIR{'' if prints else ' --no-print'}",
        out=str(out),
        project=str(work / "project"),
        report=str(report),
    )
    return entry


def validate_site(name: str, label: str, project: Path, site: Path, s: Settings, prints: bool = True) -> dict:
    """`build.py validate PROJECT --site DIR` on a built site: the pipeline again plus the leak scan."""
    report = s.cache / "scenarios" / name / "report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    runs = []
    for r in range(s.runs):
        entry = run_takara(
            ["validate", str(project), "--site", str(site), "--report", str(report)], f"{name}-{r + 1}", s
        )
        # validate exits 1 when the records hold errors (the demo keeps five broken rows on purpose) or
        # the scan finds a leak: the run counts when the scan finished; what it found is reported beside.
        scan = [line for line in entry.get("summary", []) if "leak scan" in line]
        entry["leak_scan"] = scan[-1] if scan else ""
        found = re.search(r": (\d+) 件 / found", entry["leak_scan"])
        entry["leaks"] = int(found[1]) if found else None
        entry["ok"] = entry["returncode"] in (0, 1) and found is not None
        runs.append(entry)
        s.log(f"{label} run {r + 1}: {_said(entry)}")
    entry = median_entry(runs)
    entry.update(
        label=label,
        places=published(report),
        disk=disk(site, s),
        command="build.py validate PROJECT --site DIR",
        prints=prints,  # the site scanned holds the PDFs or not
    )
    return entry


def first_build(name: str, label: str, make: Callable[[Path], Path], s: Settings, prints: bool) -> dict:
    """A project's first build, for a preview to start from (its project, --out and report)."""
    work, out = s.cache / "scenarios" / name, s.sites / f"scenario-{name}"
    report = work / "report.json"
    project = make(work / "project")
    shutil.rmtree(out, ignore_errors=True)
    args = [str(project), "--out", str(out), "--report", str(report)] + ([] if prints else ["--no-print"])
    entry = run_takara(args, f"{name}-first", s)
    s.log(f"{label}: first build {_said(entry)}")
    return {**entry, "project": str(project), "out": str(out), "report": str(report), "prints": prints}


def preview_edit(name: str, label: str, base: dict, s: Settings, runs: int) -> dict:
    """One edited row, then a second `build.py` into the same --out (what `serve` runs on a change):
    starting from the first build `base`, `runs` times: edit one published row's activities in a CSV
    source, rebuild, and check that the edited text reached that place's page."""
    if not base["ok"]:
        return {"label": label, "skipped": "the first build failed"}
    project, out, report, prints = (
        Path(base["project"]),
        Path(base["out"]),
        Path(base["report"]),
        base["prints"],
    )
    args = [str(project), "--out", str(out), "--report", str(report)] + ([] if prints else ["--no-print"])
    timed = []
    for r in range(runs):
        number = edit_one_row(project, report, r)
        entry = run_takara(args, f"{name}-{r + 1}", s)
        entry["edited_place"] = number
        entry["updated"] = number is not None and _page_shows(out, number, EDIT_MARK.format(n=r + 1))
        entry["ok"] = entry["ok"] and entry["updated"]
        timed.append(entry)
        s.log(f"{label} run {r + 1} (No.{number}): {_said(entry)}; page updated: {entry['updated']}")
    entry = median_entry(timed)
    entry.update(
        label=label,
        places=published(report),
        prints=prints,
        first_s=base["build_s"],
        disk=disk(out, s),
        command="edit one row; build.py PROJECT --out DIR"
        + ("" if prints else " --no-print")
        + " (same DIR)",
    )
    return entry


def _said(entry: dict) -> str:
    if entry["ok"]:
        return f"{entry['build_s']} s, {entry['peak_mb']} MB peak"
    return f"FAILED (exit {entry['returncode']})\n{entry.get('log_tail', '')}"


def _page_shows(out: Path, number: int, text: str) -> bool:
    page = out / "places" / str(number) / "index.html"
    return page.is_file() and text in page.read_text(encoding="utf-8")


# ---------------------------------------------------------------- editing one row


def edit_one_row(project: Path, report: Path, k: int) -> int | None:
    """Append EDIT_MARK to the activities of a published row of a CSV source (the k-th such row, spread
    over the file), keeping the file's encoding and line ends; returns the place's number."""
    data = json.loads(report.read_text(encoding="utf-8"))
    columns = {c["source"]: c["mapping"] for c in data.get("columns", [])}
    rows = [
        r
        for r in data["rows"]
        if r["outcome"] == "published" and r["source"].lower().endswith(".csv") and r.get("number")
    ]
    if not rows:
        return None
    row = rows[(k * 7919) % len(rows)]
    header = next((h for h, field in columns.get(row["source"], {}).items() if field == "activities"), None)
    path = project / row["source"]
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "cp932", raw.decode("cp932")
    records = list(csv.reader(io.StringIO(text, newline="")))
    index = row["row"] - 1  # the report counts the header as row 1
    if header is None or header not in records[0] or not 0 < index < len(records):
        return None
    column = records[0].index(header)
    records[index][column] += EDIT_MARK.format(n=k + 1)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(records)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return int(row["number"])


# ---------------------------------------------------------------- every row, in order


def run_all(args: Any, s: Settings, generate: Callable[[int], Path]) -> dict[str, dict]:
    """The rows asked for in args.rows (demo, validate, preview, kurashiki), keyed for bench.report.
    validate --site and the demo's preview start from the demo row's last build (its project and
    --out), so the demo is built once for all three."""
    rows: dict[str, dict] = {}
    prints = not args.no_scenario_prints
    demo_src: Path = args.demo

    def save(key: str, entry: dict) -> None:
        rows[key] = entry
        args.on_row(rows)  # results are written after every row, so a long run can be read as it goes

    if {"demo", "validate", "preview"} & set(args.rows):
        demo = whole_build("demo", "the demo with every print", lambda d: copy_demo(d, demo_src), s, prints)
        save("demo", demo)
        if "validate" in args.rows:
            label = "validate --site, the demo"
            save(
                "validate",
                validate_site("validate-demo", label, Path(demo["project"]), Path(demo["out"]), s, prints)
                if demo["ok"]
                else {"label": label, "skipped": "the demo did not build"},
            )
        if "preview" in args.rows:
            save("preview-demo", preview_edit("preview-demo", "one edited row, the demo", demo, s, s.runs))
    if "kurashiki" in args.rows:
        label = "Kurashiki with every print"
        if (args.kurashiki / "municipality_N03-21.geojson").is_file():
            save(
                "kurashiki",
                whole_build("kurashiki", label, lambda d: make_kurashiki(d, args.kurashiki), s, prints),
            )
        else:
            save(
                "kurashiki",
                {
                    "label": label,
                    "skipped": f"{args.kurashiki} not found (the real-city data in "
                    "../shared is not beside this checkout)",
                },
            )
    for n in args.preview_sizes if "preview" in args.rows else []:
        label = f"one edited row, {n:,} places"
        make = lambda d, n=n: copy_project(generate(n), d)  # noqa: E731
        base = first_build(f"preview-{n}", label, make, s, prints and n <= args.preview_print_max)
        # naive folium of the same synthetic project (its size), not of a project of the published count
        save(f"preview-{n}", {**preview_edit(f"preview-{n}", label, base, s, s.runs), "yardstick_places": n})
    return rows
