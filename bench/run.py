"""Takara Map's benchmark: `python -m bench.run [--sizes 300,3000,30000,100000,150000] [--runs 3] [--quick]`.

For every size it generates a synthetic map project (bench.generate), builds it with Takara Map
(`python build.py PROJECT --out DIR --no-print`) and with the usual folium approaches (bench.naive_folium)
in the same run, measures each build (wall time, peak memory, bytes raw and gzip), then opens each
page in headless Chromium (bench.measure), cold, several times, with and without a 10 Mbit/s / 40 ms
network, and writes the medians and the ratios to bench/results.md and bench/results.json.

Everything generated goes to --cache (default /tmp/takara-bench), never into the repository.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generate as gen
from bench import measure

REPO = measure.REPO
DEFAULT_SIZES = (300, 3000, 30000, 100000, 150000)
# Built sites go to memory when there is a tmpfs: this VM's disk (ext4 mounted with discard) writes 10,000
# small files in ~6 s and removes them in ~30 s, which would measure the disk, not the software.
DEFAULT_SITES = (
    Path("/dev/shm/takara-bench-sites") if Path("/dev/shm").is_dir() else gen.DEFAULT_CACHE / "sites"
)
VARIANTS = ("takara", "naive", "fast", "geojson")
LABELS = {
    "takara": "Takara Map",
    "naive": "folium naive (Marker + popup in MarkerCluster)",
    "fast": "folium FastMarkerCluster",
    "geojson": "one GeoJSON + Leaflet.markercluster (chunkedLoading)",
}
SHORT = {"takara": "Takara", "naive": "naive folium", "fast": "FastMarkerCluster", "geojson": "one GeoJSON"}


def machine(browser_version: str, args: argparse.Namespace) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    import folium

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "nproc": len(__import__("os").sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 2**20, 1),
        "chromium": browser_version,
        "python": platform.python_version(),
        "folium": folium.__version__,
        "os": platform.platform(),
        "commit": commit,
        "disks": args.disks,
        "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------- builds

STAT_STAGES = ("gis.insight", "gis.export")  # optional stages a site-only build leaves out


def build(
    variant: str,
    project: Path,
    out: Path,
    cache: Path,
    vendor: measure.Vendor,
    timeout_s: float,
    skip: tuple[str, ...] = (),
) -> dict:
    """Build one approach's site as a fresh process; wall time, peak memory, bytes (and, for Takara Map,
    the time of each stage, from bench.takara_build, which runs build.py's own gis.cli.main)."""
    name = f"{out.parent.name}-{variant}" + ("-site-only" if skip else "")
    log = cache / "logs" / f"{name}.log"
    stages = cache / "logs" / f"{name}-stages.json"
    if variant == "takara":
        gen.reset_state(project)
        stages.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "bench.takara_build",
            "--stages-json",
            str(stages),
            "--skip",
            ",".join(skip),
            "--",
            str(project),
            "--out",
            str(out),
            "--no-print",
            "--report",
            str(cache / "reports" / f"{name}.json"),
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "bench.naive_folium",
            variant,
            str(project),
            str(out),
            "--leaflet",
            str(vendor.leaflet),
            "--leaflet-images",
            str(vendor.leaflet_images),
            "--markercluster",
            str(vendor.markercluster),
        ]
    if out.exists():
        shutil.rmtree(out)
    result = measure.timed_run(cmd, log, timeout_s=timeout_s)
    entry: dict[str, Any] = {
        "ok": result.ok,
        "build_s": round(result.wall_s, 2),
        "peak_mb": round(result.peak_mb, 1),
        "returncode": result.returncode,
        "skipped_stages": list(skip),
        "timed_out": result.wall_s >= timeout_s,
    }
    if stages.is_file():
        entry["stages_s"] = json.loads(stages.read_text(encoding="utf-8"))["stages_s"]
    if not result.ok:
        entry["log_tail"] = result.log[-1500:]
        return entry
    entry["site"] = measure.site_bytes(out)
    index = out / "index.html"
    entry["index_html"] = (
        {"raw": index.stat().st_size, "gz": measure.gz_size(index, cache / "gz")} if index.is_file() else {}
    )
    return entry


# ---------------------------------------------------------------- one size


def run_size(
    n: int, args: argparse.Namespace, browser: measure.Browser | None, vendor: measure.Vendor, log: Any
) -> dict:
    cache: Path = args.cache
    t0 = time.perf_counter()
    project = gen.generate(n, cache, args.seed)
    manifest = json.loads((project / "manifest.json").read_text(encoding="utf-8"))
    log(f"[{n:,}] project {project} ready in {time.perf_counter() - t0:.1f} s")
    variants = [
        v
        for v in args.variants
        if not (v == "naive" and n > args.naive_max)
        and not (v in ("fast", "geojson") and n > args.baseline_max)
    ]
    skipped = [v for v in args.variants if v not in variants]
    sites = args.sites / f"p{n}"
    result: dict[str, Any] = {
        "places": n,
        "project": {
            k: manifest[k]
            for k in (
                "municipalities",
                "districts_made",
                "neighbourhoods",
                "rows",
                "home_venues",
                "without_consent",
            )
        },
        "skipped": skipped,
        "builds": {},
        "browser": {},
        "browser_throttled": {},
    }
    for v in variants:
        full = v != "takara" or n <= args.full_build_max
        log(f"[{n:,}] building {v}{'' if full else ' (site only: without ' + ', '.join(STAT_STAGES) + ')'} …")
        entry = build(v, project, sites / v, cache, vendor, args.build_timeout, () if full else STAT_STAGES)
        if v == "takara" and not entry["ok"] and full:
            # The whole build failed or ran out of time: still measure the website, and say so.
            log(
                f"[{n:,}] takara: whole build {'timed out' if entry['timed_out'] else 'failed'} after "
                f"{entry['build_s']} s; building the site without {', '.join(STAT_STAGES)} …"
            )
            result["builds"]["takara_whole"] = entry
            entry = build(v, project, sites / v, cache, vendor, args.build_timeout, STAT_STAGES)
        result["builds"][v] = entry
        log(
            f"[{n:,}] {v}: {'ok' if entry['ok'] else 'FAILED'} {entry['build_s']} s, {entry['peak_mb']} MB peak"
            + (
                f", site {entry['site']['raw'] / 1e6:.1f} MB raw / {entry['site']['gz'] / 1e6:.1f} MB gz"
                if entry["ok"]
                else f"\n{entry.get('log_tail', '')}"
            )
        )
    if browser is None:
        return result
    ready = [v for v in variants if result["builds"][v]["ok"]]
    server = measure.Server(sites, cache / "gz")
    try:
        for v in ready:
            measure.prewarm_gzip(sites / v, cache / "gz")
        url = {v: f"{server.origin}/{v}/" for v in ready}
        plain: dict[str, list] = {v: [] for v in ready}
        slow: dict[str, list] = {v: [] for v in ready}
        # Interleaved (Takara, naive, …, Takara, naive, …) so a noisy minute hurts every approach alike.
        for r in range(args.runs):
            for v in ready:
                shot = cache / "screens" / f"p{n}-{v}.png" if r == 0 else None
                run = browser.run(
                    url[v],
                    sites / v,
                    url[v],
                    vendor,
                    cache / "gz",
                    timeout_s=args.page_timeout,
                    screenshot=shot,
                )
                plain[v].append(run)
                log(
                    f"[{n:,}] {v} run {r + 1}: first markers {_ms(run.first_markers_ms)}, load {_ms(run.load_ms)}"
                    + (f" — {run.error}" if run.error else "")
                )
        throttled_runs = 0 if args.quick else args.throttled_runs
        for r in range(throttled_runs):
            for v in ready:
                if v != "takara" and r >= args.baseline_throttled_runs:
                    continue
                run = browser.run(
                    url[v],
                    sites / v,
                    url[v],
                    vendor,
                    cache / "gz",
                    throttled=True,
                    timeout_s=args.page_timeout * 3,
                )
                slow[v].append(run)
                log(
                    f"[{n:,}] {v} throttled run {r + 1}: first markers {_ms(run.first_markers_ms)}"
                    + (f" — {run.error}" if run.error else "")
                )
    finally:
        server.close()
    result["browser"] = {v: measure.summarise(plain[v]) for v in ready}
    result["browser_throttled"] = {v: measure.summarise(slow[v]) for v in ready if slow[v]}
    if not args.keep_sites:
        shutil.rmtree(sites, ignore_errors=True)
    return result


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f} ms"


# ---------------------------------------------------------------- reporting


def _fmt(v: Any, digits: int = 0, scale: float = 1.0) -> str:
    if v is None or v == "":
        return "—"
    return f"{v / scale:,.{digits}f}"


def _get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _ratio(a: Any, b: Any) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:,.1f}×"


def table_rows(results: list[dict], variant: str) -> list[str]:
    rows = []
    for res in results:
        b = res["builds"].get(variant)
        if b is None:
            if variant in res.get("skipped", []):
                rows.append(f"| {res['places']:,} | not run (over the size cap) |" + " |" * 10)
            continue
        if not b["ok"]:
            rows.append(f"| {res['places']:,} | build failed (exit {b['returncode']}) |" + " |" * 10)
            continue
        p = res["browser"].get(variant, {})
        t = res["browser_throttled"].get(variant, {})
        mark = " ‡" if b.get("skipped_stages") else ""
        rows.append(
            "| "
            + " | ".join(
                [
                    f"{res['places']:,}",
                    _fmt(b["build_s"], 1) + mark,
                    _fmt(b["peak_mb"]) + mark,
                    f"{_fmt(b['site']['raw'], 1, 1e6)} / {_fmt(b['site']['gz'], 1, 1e6)}",
                    f"{_fmt(p.get('before_markers_raw'), 2, 1e6)} / {_fmt(p.get('before_markers_gz'), 2, 1e6)}",
                    _fmt(p.get("first_markers_ms")),
                    _fmt(p.get("load_ms")),
                    _fmt(t.get("first_markers_ms")) + (f" (n={t['ok']})" if t and t.get("ok", 0) < 3 else ""),
                    _fmt(p.get("heap_mb"), 1),
                    _fmt(p.get("longest_task_ms")),
                    _fmt(p.get("dom_nodes")),
                ]
            )
            + " |"
        )
    return rows


HEAD = (
    "| places | build s | peak MB | site MB raw / gz | before first markers MB raw / gz | first markers ms | "
    "load ms | throttled first markers ms | JS heap MB | longest task ms | DOM nodes |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def stage_row(places: int, b: dict) -> str:
    st = b["stages_s"]
    pipeline = sum(
        v for k, v in st.items() if k.startswith("gis.pipeline.") or k == "gis.config.load_project"
    )
    data = (
        st.get("gis.publish.write_data", 0)
        + st.get("gis.publish.copy_assets", 0)
        + st.get("gis.publish.SiteModel", 0)
        + st.get("gis.publish.write_photos", 0)
    )
    pages = st.get("gis.publish.write_pages", 0)
    exports = st.get("gis.publish.write_exports")
    stats = st.get("gis.publish.write_stats")
    total = b["build_s"]
    other = total - pipeline - data - pages - (exports or 0) - (stats or 0)
    status = "" if b["ok"] else (" (timed out)" if b.get("timed_out") else " (failed)")
    skipped = "skipped" if b.get("skipped_stages") else "—"
    return (
        f"| {places:,}{status} | {pipeline:,.1f} | {data:,.1f} | {pages:,.1f} | "
        f"{skipped if exports is None else f'{exports:,.1f}'} | {skipped if stats is None else f'{stats:,.1f}'} | "
        f"{other:,.1f} | {total:,.1f} |"
    )


def targets(results: list[dict]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for the issue's targets that the table can answer."""
    by_n = {r["places"]: r for r in results}
    return _browser_targets(by_n) + _build_targets(by_n)


def _browser_targets(by_n: dict[int, dict]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []

    def fm(n: int, v: str = "takara", key: str = "browser") -> float | None:
        return _get(by_n.get(n, {}), key, v, "first_markers_ms")

    def check(label: str, value: float | None, limit: float, unit: str, fmt: str = "{:,.0f}") -> None:
        if value is None:
            out.append((label, "not measured", "—"))
        else:
            out.append((label, fmt.format(value) + f" {unit}", "met" if value <= limit else "**missed**"))

    ten_k = min(by_n, key=lambda n: abs(n - 10_000)) if by_n else None
    if ten_k is not None and ten_k <= 30_000:
        check(f"first markers, {ten_k:,} places ≤ 400 ms (target is for 10,000)", fm(ten_k), 400, "ms")
    check("first markers, 100,000 places ≤ 1,000 ms", fm(100_000), 1000, "ms")
    for v, factor in (("naive", 10), ("geojson", 2)):
        t, b = fm(100_000), fm(100_000, v)
        if t and b:
            out.append(
                (
                    f"≥ {factor}× faster than {SHORT[v]} at 100,000",
                    f"{b / t:,.1f}×",
                    "met" if b / t >= factor else "**missed**",
                )
            )
        else:
            out.append((f"≥ {factor}× faster than {SHORT[v]} at 100,000", "not measured", "—"))
    gz = _get(by_n.get(100_000, {}), "browser", "takara", "before_markers_gz")
    check(
        "bytes before first markers, 100,000 places ≤ 5 MB gzipped",
        gz / 1e6 if gz else None,
        5,
        "MB",
        "{:,.2f}",
    )
    check(
        "first markers at 10 Mbit/s + 40 ms, 100,000 places ≤ 5 s",
        fm(100_000, key="browser_throttled"),
        5000,
        "ms",
    )
    return out


def _build_targets(by_n: dict[int, dict]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []

    def build_check(label: str, n: int, key: str, limit: float, unit: str, fmt: str) -> None:
        res = by_n.get(n, {})
        whole, b = _get(res, "builds", "takara_whole"), _get(res, "builds", "takara")
        if whole is not None:  # the whole build did not finish: that is the answer
            verdict = "timed out" if whole.get("timed_out") else "failed"
            out.append((label, f"whole build {verdict} after {whole['build_s']:,.0f} s", "**missed**"))
        elif b is None or not b["ok"]:
            out.append(
                (label, "not measured" if b is None else "build failed", "—" if b is None else "**missed**")
            )
        elif b.get("skipped_stages"):
            value = b[key]
            out.append(
                (
                    label,
                    fmt.format(value) + f" {unit} for the site alone (whole build not run)",
                    "**missed**" if value > limit else "not shown (site alone within)",
                )
            )
        else:
            out.append((label, fmt.format(b[key]) + f" {unit}", "met" if b[key] <= limit else "**missed**"))

    build_check("whole-site build, 100,000 places ≤ 30 s", 100_000, "build_s", 30, "s", "{:,.1f}")
    build_check("whole-site build, 100,000 places ≤ 1 GB peak", 100_000, "peak_mb", 1024, "MB", "{:,.0f}")
    build_check("300-place build ≤ 3 s", 300, "build_s", 3, "s", "{:,.1f}")
    if 150_000 in by_n:
        build_check(
            "national project (150,000 places, 1,741 municipalities) builds ≤ 30 s",
            150_000,
            "build_s",
            30,
            "s",
            "{:,.1f}",
        )
    # Linear growth from 3,000 up: time per place must not rise (10 % slack for noise). Time is compared
    # without the exports and statistics stages (not run at every size); memory only between builds of
    # the same kind (whole, or site alone).
    sizes = sorted(n for n in by_n if n >= 3000 and _get(by_n[n], "builds", "takara", "ok"))

    def site_time(b: dict) -> float:
        st = b.get("stages_s", {})
        return b["build_s"] - st.get("gis.publish.write_exports", 0) - st.get("gis.publish.write_stats", 0)

    def growth(label: str, ns: list[int], value: Callable[[dict], float], unit: str) -> None:
        if len(ns) < 2:
            out.append((label, "not measured (fewer than two comparable sizes)", "—"))
            return
        lo, hi = ns[0], ns[-1]
        a, z = value(by_n[lo]["builds"]["takara"]), value(by_n[hi]["builds"]["takara"])
        ok = (z / a) / (hi / lo) <= 1.1
        out.append(
            (
                label + f" ({lo:,} → {hi:,})",
                f"×{z / a:,.1f} {unit} for ×{hi / lo:,.0f} places",
                "met" if ok else "**missed**",
            )
        )

    growth(
        "build time (without exports and statistics) grows no faster than linearly", sizes, site_time, "time"
    )
    kinds: dict[bool, list[int]] = {}
    for n in sizes:
        kinds.setdefault(bool(by_n[n]["builds"]["takara"].get("skipped_stages")), []).append(n)
    same = max(kinds.values(), key=len, default=[])
    growth("build memory grows no faster than linearly", same, lambda b: b["peak_mb"], "memory")
    return out


def write_results(results: list[dict], meta: dict, args: argparse.Namespace) -> None:
    settings = {
        "runs": args.runs,
        "throttled_runs": 0 if args.quick else args.throttled_runs,
        "baseline_throttled_runs": args.baseline_throttled_runs,
        "naive_max": args.naive_max,
        "baseline_max": args.baseline_max,
        "full_build_max": args.full_build_max,
        "seed": args.seed,
        "quick": args.quick,
    }
    payload = {
        "machine": meta,
        "settings": settings,
        "targets": [{"target": a, "measured": b, "verdict": c} for a, b, c in targets(results)],
        "results": results,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    (args.results / "results.md").write_text(markdown(results, meta, settings), encoding="utf-8")


def markdown(results: list[dict], meta: dict, settings: dict) -> str:
    """bench/results.md from the figures (also used by --rewrite, to re-render an earlier results.json)."""
    lines = _markdown_intro(results, meta, settings)
    lines += _markdown_projects(results)
    lines += _markdown_builds(results)
    lines += _markdown_ratios(results)
    notes = _markdown_notes(results, settings)
    if notes:
        lines += ["", "## Notes", "", *sorted(set(notes), key=notes.index)]
    lines.append("")
    return "\n".join(lines)


def _markdown_intro(results: list[dict], meta: dict, settings: dict) -> list[str]:
    runs, quick = settings["runs"], settings["quick"]
    throttled, baseline_throttled = settings["throttled_runs"], settings["baseline_throttled_runs"]
    lines = [
        "# Takara Map benchmark",
        "",
        f"Measured {meta['date']} on {meta['nproc']} CPU cores ({meta['cpu']}), {meta['memory_gb']} GB memory, "
        f"Chromium {meta['chromium']}, Python {meta['python']}, folium {meta['folium']}"
        + (f", commit {meta['commit']}" if meta.get("commit") else "")
        + ".",
        f"Command: `python -m bench.run --sizes {','.join(str(r['places']) for r in results)} --runs {runs}"
        + (" --quick" if quick else "")
        + (
            f" --full-build-max {settings['full_build_max']}"
            if settings.get("full_build_max", 150_000) < 150_000
            else ""
        )
        + (f" --naive-max {settings['naive_max']}" if settings["naive_max"] < 150_000 else "")
        + "`. Medians of "
        f"{runs} cold runs (a new Chromium process and context each time, runs of the approaches "
        f"interleaved); throttled: 10 Mbit/s and 40 ms latency, "
        f"{throttled} runs for Takara Map, "
        f"{min(baseline_throttled, throttled)} for the others (n= shows fewer than 3).",
        "",
        (
            "How it is measured: build = Takara Map's command line `build.py PROJECT --out DIR --no-print` (pipeline, "
            "map, every district, area and place page, data files, exports, statistics; run through "
            "bench/takara_build.py, which times each stage) or the comparison builder, as a fresh process; wall time, "
            "and peak "
            'memory = ru_maxrss from `os.wait4`. Site bytes: every file, raw and gzip -6. "Before first markers": '
            "the files the browser had fetched when the first markers were painted (index.html, scripts, styles, map "
            "data), raw and gzip -6. First markers = two animation frames after the first marker or cluster icon "
            "entered the page, from navigation start. The pages are served from 127.0.0.1 with gzip; tile requests "
            "are aborted; folium's CDN files come from local copies (Leaflet 1.9.4, Leaflet.markercluster 1.5.3, "
            "jQuery 3.7.1; Bootstrap, Font Awesome and awesome-markers, which the map does not need, as empty files — "
            "this favours folium, as do the unthrottled local copies in the throttled runs). JS heap = used heap after "
            "load and a garbage collection; DOM nodes = all nodes the renderer holds (Memory.getDOMCounters), "
            "detached ones included."
        ),
        "",
        "Disks: the sites are written to "
        + ", ".join(
            f"{d['path']} ({d['fs']}: 10,000 small files written in {d['write_10k_s']} s, removed in "
            f"{d['remove_10k_s']} s)"
            for d in meta.get("disks", [])[:1]
        )
        + (
            (
                "; for comparison "
                + ", ".join(
                    f"{d['path']} ({d['fs']}: {d['write_10k_s']} s / {d['remove_10k_s']} s)"
                    for d in meta["disks"][1:]
                )
            )
            if len(meta.get("disks", [])) > 1
            else ""
        )
        + ". A site of 100,000 place pages is 100,000 folders and files, so a slow disk adds to Takara Map's "
        "build time (not to the one-file folium pages).",
        "",
        (
            "Data: synthetic projects from `bench/generate.py` (deterministic): about 86 places per municipality "
            "(150,000 places → 1,741 municipalities, all of Japan), a 第2層 district per 15 places, a 第3層 "
            "neighbourhood per 6; ~5 % home venues, ~3 % without consent (withheld), coordinates given."
        ),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    return lines


def _markdown_projects(results: list[dict]) -> list[str]:
    lines: list[str] = []
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets(results)]
    lines += [
        "",
        "## Projects",
        "",
        (
            "| places | municipalities (第1層) | districts (第2層) | neighbourhoods (第3層) | "
            "published | home venues | without consent |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        p = res["project"]
        lines.append(
            f"| {res['places']:,} | {p['municipalities']:,} | {p['districts_made']:,} | {p['neighbourhoods']:,} | "
            f"{p['rows'] - p['without_consent']:,} | {p['home_venues']:,} | {p['without_consent']:,} |"
        )
    return lines


def _markdown_builds(results: list[dict]) -> list[str]:
    lines: list[str] = []
    for v in VARIANTS:
        rows = table_rows(results, v)
        if rows:
            lines += ["", f"## {LABELS[v]}", "", HEAD, *rows]
        if v == "takara" and rows:
            lines += [
                "",
                "‡ the site without the statistics and export stages (" + ", ".join(STAT_STAGES) + "): "
                "the whole build was not run at this size (--full-build-max) or did not finish; see below.",
                "",
                "Where Takara Map's build time goes (seconds, from bench/takara_build.py):",
                "",
                "| places | pipeline | site data files | pages | exports | statistics | other | total |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for res in results:
                for key in ("takara_whole", "takara"):
                    b = res["builds"].get(key)
                    if b and b.get("stages_s"):
                        lines.append(stage_row(res["places"], b))
    return lines


def _markdown_ratios(results: list[dict]) -> list[str]:
    lines: list[str] = []
    lines += [
        "",
        "## Ratios (the other approach ÷ Takara Map, same run)",
        "",
        (
            "| places | vs | build time | peak memory | bytes before first markers (gz) | first markers | "
            "throttled first markers | JS heap | DOM nodes |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        tb, tp, tt = (
            res["builds"].get("takara"),
            res["browser"].get("takara", {}),
            res["browser_throttled"].get("takara", {}),
        )
        if not tb or not tb["ok"]:
            continue
        for v in VARIANTS[1:]:
            b = res["builds"].get(v)
            if not b or not b["ok"]:
                continue
            p, t = res["browser"].get(v, {}), res["browser_throttled"].get(v, {})
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{res['places']:,}",
                        SHORT[v],
                        _ratio(b["build_s"], tb["build_s"]),
                        _ratio(b["peak_mb"], tb["peak_mb"]),
                        _ratio(p.get("before_markers_gz"), tp.get("before_markers_gz")),
                        _ratio(p.get("first_markers_ms"), tp.get("first_markers_ms")),
                        _ratio(t.get("first_markers_ms"), tt.get("first_markers_ms")),
                        _ratio(p.get("heap_mb"), tp.get("heap_mb")),
                        _ratio(p.get("dom_nodes"), tp.get("dom_nodes")),
                    ]
                )
                + " |"
            )
    return lines


def _markdown_notes(results: list[dict], settings: dict) -> list[str]:
    notes = []
    for res in results:
        for v, s in list(res["browser"].items()) + list(res["browser_throttled"].items()):
            if s.get("failures"):
                notes.append(
                    f"- {res['places']:,} {SHORT[v]}: {s['ok']}/{s['runs']} runs succeeded; {s['failures'][0]}"
                )
            if s.get("unexpected"):
                notes.append(
                    f"- {res['places']:,} {SHORT[v]}: requests that tried to leave the machine (aborted): "
                    + ", ".join(s["unexpected"][:3])
                )
            if s.get("errors"):
                notes.append(f"- {res['places']:,} {SHORT[v]}: console errors: {s['errors'][0][:200]}")
        if res.get("skipped"):
            notes.append(
                f"- {res['places']:,}: not run: {', '.join(SHORT[v] for v in res['skipped'])} "
                f"(size cap; --naive-max {settings['naive_max']}, --baseline-max {settings['baseline_max']})"
            )
    return notes


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated numbers of places (default: %(default)s)",
    )
    ap.add_argument(
        "--runs", type=int, default=3, help="cold browser runs per page (default: 3; medians are reported)"
    )
    ap.add_argument(
        "--throttled-runs", type=int, default=3, help="throttled runs per page for Takara Map (default: 3)"
    )
    ap.add_argument(
        "--baseline-throttled-runs",
        type=int,
        default=1,
        help="throttled runs for the comparison pages (default: 1; the naive page takes minutes)",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="Takara Map and naive folium only, no throttled runs (for the smoke test)",
    )
    ap.add_argument("--variants", default=",".join(VARIANTS), help="approaches to run (default: %(default)s)")
    ap.add_argument("--naive-max", type=int, default=150_000, help="largest size for the naive folium page")
    ap.add_argument(
        "--baseline-max", type=int, default=150_000, help="largest size for FastMarkerCluster and one-GeoJSON"
    )
    ap.add_argument("--no-browser", action="store_true", help="builds only")
    ap.add_argument(
        "--rewrite",
        action="store_true",
        help="only re-render results.md from the results.json in --results (no measuring)",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=gen.DEFAULT_CACHE,
        help="where projects, logs and npm packages go (default: %(default)s)",
    )
    ap.add_argument(
        "--sites",
        type=Path,
        default=DEFAULT_SITES,
        help="where the built sites go, removed after each size unless --keep-sites (default: %(default)s,"
        " memory-backed: see the note on disks in results.md)",
    )
    ap.add_argument("--keep-sites", action="store_true")
    ap.add_argument(
        "--npm",
        type=Path,
        default=gen.DEFAULT_CACHE / "npm",
        help="where `npm pack` puts Leaflet.markercluster, jQuery and Leaflet for the folium pages "
        "(default: %(default)s)",
    )
    ap.add_argument(
        "--full-build-max",
        type=int,
        default=150_000,
        help="largest size for Takara Map's whole build; above it, the site without stats and exports",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder for results.md and results.json (default: bench/)",
    )
    ap.add_argument("--seed", type=int, default=gen.DEFAULT_SEED)
    ap.add_argument("--page-timeout", type=float, default=300, help="seconds a page may take (throttled: ×3)")
    ap.add_argument("--build-timeout", type=float, default=1800)
    args = ap.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if args.quick:
        args.variants = [v for v in args.variants if v in ("takara", "naive")]
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {', '.join(sorted(unknown))}")
    for key in ("cache", "sites", "npm"):
        folder = getattr(args, key).resolve()
        if folder == REPO or REPO in folder.parents:
            ap.error(f"--{key} must be outside the repository")
        setattr(args, key, folder)
    return args


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so that `finally` closes the server and the browser


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rewrite:
        saved = json.loads((args.results / "results.json").read_text(encoding="utf-8"))
        settings = {"full_build_max": 150_000, **saved["settings"]}
        saved["targets"] = [
            {"target": a, "measured": b, "verdict": c} for a, b, c in targets(saved["results"])
        ]
        (args.results / "results.json").write_text(
            json.dumps(saved, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
        )
        (args.results / "results.md").write_text(
            markdown(saved["results"], saved["machine"], settings), encoding="utf-8"
        )
        return 0
    signal.signal(signal.SIGTERM, _stop)
    args.cache.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    vendor = measure.ensure_vendor(args.npm)
    args.sites.mkdir(parents=True, exist_ok=True)
    args.disks = [measure.small_files_speed(args.sites), measure.small_files_speed(args.cache)]
    if args.sites.resolve() == args.cache.resolve():
        args.disks = args.disks[:1]
    browser = None if args.no_browser else measure.Browser()
    results: list[dict] = []
    meta: dict = {}
    try:
        for n in args.sizes:
            results.append(run_size(n, args, browser, vendor, log))
            meta = machine(browser.version if browser else "", args)
            write_results(results, meta, args)
    finally:
        if browser is not None:
            browser.close()
    log(f"written {args.results / 'results.md'}")
    failed = any(not b["ok"] for r in results for b in r["builds"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
