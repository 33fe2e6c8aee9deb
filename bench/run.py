"""Takara Map's benchmark: `make bench` = `python -m bench.run` (about 40 minutes on 2 cores).

It answers every target of issue 15 in one table (bench/results.md, bench/results.json, and README's
"Speed and scale" block): for every synthetic size (bench.generate) Takara Map's whole build
(`python build.py PROJECT --out DIR --no-print`) and, in the same run, the usual folium approaches
(bench.naive_folium); each map page in headless Chromium (bench.measure), cold, several times, with and
without a 10 Mbit/s / 40 ms network; then the other rows (bench.scenarios): the bundled demo with every
print, Kurashiki (from ../shared), one edited row in the preview (the demo and 10,000 places) and
`validate --site` on the demo. Each figure sits beside the output folder's disk usage (tmpfs and ext4)
and its ratio to naive folium's build of as many places in the same run. bench.report writes the tables.

Sizes above 100,000 are run only when the 100,000-place build took at most --big-budget seconds, so a
slow build does not turn the benchmark into an afternoon. `--quick` is the smoke test's mode.
Everything generated goes to --cache (default /tmp/takara-bench), never into the repository.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shlex
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
from bench import measure, scenarios
from bench.report import STAT_STAGES, VARIANTS, Figures, figures_from, markdown, payload, readme_block

REPO = measure.REPO
DEFAULT_SIZES = (3000, 10000, 100000, 150000)
DEFAULT_ROWS = ("demo", "validate", "preview", "kurashiki")
# Built sites go to memory when there is a tmpfs: this VM's disk (ext4 mounted with discard) writes 10,000
# small files in ~6 s and removes them in ~30 s, which would measure the disk, not the software. Each
# site is then copied once to --ext4 to say what it takes on a disk.
DEFAULT_SITES = (
    Path("/dev/shm/takara-bench-sites") if Path("/dev/shm").is_dir() else gen.DEFAULT_CACHE / "sites"
)
README = REPO / "README.md"
README_START, README_END = "<!-- bench:targets -->", "<!-- /bench:targets -->"
Log = Callable[[str], None]


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
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "gis", "site_template", "build.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 2**20, 1),
        "chromium": browser_version,
        "python": platform.python_version(),
        "folium": folium.__version__,
        "os": platform.platform(),
        "commit": commit + (" (with uncommitted changes to gis/)" if dirty else ""),
        "disks": args.disks,
        "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
    }


# ---------------------------------------------------------------- builds


def settings_for(args: argparse.Namespace, runs: int, sites: Path) -> scenarios.Settings:
    return scenarios.Settings(args.cache, sites, args.ext4, runs, args.build_timeout, args.log)


def build(
    variant: str,
    project: Path,
    out: Path,
    args: argparse.Namespace,
    vendor: measure.Vendor,
    runs: int,
    places: int,
    skip: tuple[str, ...] = (),
) -> dict:
    """Build one approach's site (`places` places) `runs` times as a fresh process (each into a new folder); the median run,
    with its site's bytes and disk usage (Takara Map: through bench.takara_build, which times stages)."""
    name = f"{out.parent.name}-{variant}" + ("-site-only" if skip else "")
    entries = []
    for r in range(runs):
        if out.exists():
            shutil.rmtree(out)
        if variant == "takara":
            gen.reset_state(project)
            report = args.cache / "reports" / f"{name}.json"
            cmd = [str(project), "--out", str(out), "--no-print", "--report", str(report)]
            entries.append(
                scenarios.run_takara(cmd, f"{name}-{r + 1}", settings_for(args, 1, out.parent), skip)
            )
        else:
            entries.append(naive_build(variant, project, out, args, vendor, f"{name}-{r + 1}"))
    entry = scenarios.median_entry(entries)
    if entry["ok"]:
        entry["site"] = measure.site_bytes(out)
        index = out / "index.html"
        gz = args.cache / "gz"
        entry["index_html"] = (
            {"raw": index.stat().st_size, "gz": measure.gz_size(index, gz)} if index.is_file() else {}
        )
        disk_settings = settings_for(args, 1, out.parent)
        if places > args.ext4_max:
            disk_settings = dataclasses.replace(disk_settings, ext4=None)
        entry["disk"] = scenarios.disk(out, disk_settings)
    return entry


def naive_build(
    variant: str, project: Path, out: Path, args: argparse.Namespace, vendor: measure.Vendor, name: str
) -> dict:
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
    load = os.getloadavg()[0]
    result = measure.timed_run(cmd, args.cache / "logs" / f"{name}.log", timeout_s=args.build_timeout)
    entry: dict[str, Any] = {
        "load_before": round(load, 2),
        "ok": result.ok,
        "build_s": round(result.wall_s, 2),
        "cpu_s": round(result.cpu_s, 1),
        "peak_mb": round(result.peak_mb, 1),
        "returncode": result.returncode,
        "timed_out": result.wall_s >= args.build_timeout,
    }
    if not result.ok:
        entry["log_tail"] = result.log[-1500:]
    return entry


# ---------------------------------------------------------------- one size


def run_size(
    n: int, args: argparse.Namespace, browser: measure.Browser | None, vendor: measure.Vendor
) -> dict:
    log = args.log
    t0 = time.perf_counter()
    project = gen.generate(n, args.cache, args.seed)
    manifest = json.loads((project / "manifest.json").read_text(encoding="utf-8"))
    log(f"[{n:,}] project {project} ready in {time.perf_counter() - t0:.1f} s")
    variants = [
        v
        for v in args.variants
        if not (v == "naive" and n > args.naive_max)
        and not (v in ("fast", "geojson") and n > args.baseline_max)
    ]
    keys = ("municipalities", "districts_made", "neighbourhoods", "rows", "home_venues", "without_consent")
    result: dict[str, Any] = {
        "places": n,
        "project": {k: manifest[k] for k in keys},
        "skipped": [v for v in args.variants if v not in variants],
        "builds": {},
        "browser": {},
        "browser_throttled": {},
    }
    sites = args.sites / f"p{n}"
    runs = args.build_runs if n <= args.repeat_max else 1
    for v in variants:
        full = v != "takara" or n <= args.full_build_max
        log(
            f"[{n:,}] building {v} ×{runs}{'' if full else ' (site only: without ' + ', '.join(STAT_STAGES) + ')'} …"
        )
        entry = build(v, project, sites / v, args, vendor, runs, n, () if full else STAT_STAGES)
        if v == "takara" and not entry["ok"] and full:
            # The whole build failed or ran out of time: still measure the website, and say so.
            log(
                f"[{n:,}] takara: whole build {'timed out' if entry['timed_out'] else 'failed'} after "
                f"{entry['build_s']} s; building the site without {', '.join(STAT_STAGES)} …"
            )
            result["builds"]["takara_whole"] = entry
            entry = build(v, project, sites / v, args, vendor, 1, n, STAT_STAGES)
        result["builds"][v] = entry
        log(
            f"[{n:,}] {v}: {'ok' if entry['ok'] else 'FAILED'} {entry['build_s']} s, {entry['peak_mb']} MB peak"
            + (
                f", site {entry['site']['raw'] / 1e6:.1f} MB raw, disk {entry.get('disk')}"
                if entry["ok"]
                else f"\n{entry.get('log_tail', '')}"
            )
        )
    if browser is not None:
        browse(n, result, sites, args, browser, vendor)
    if not args.keep_sites:
        shutil.rmtree(sites, ignore_errors=True)
    return result


def browse(
    n: int,
    result: dict,
    sites: Path,
    args: argparse.Namespace,
    browser: measure.Browser,
    vendor: measure.Vendor,
) -> None:
    """Open every approach's page in Chromium, cold, --runs times (and throttled); medians into `result`."""
    log, cache = args.log, args.cache
    ready = [v for v in result["builds"] if v in VARIANTS and result["builds"][v]["ok"]]
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


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f} ms"


# ---------------------------------------------------------------- naive folium yardsticks for the other rows


def yardsticks(fig: Figures, args: argparse.Namespace, vendor: measure.Vendor) -> None:
    """Each row's figure is divided by naive folium's build of as many places, in this run: the size's own
    naive build when the run has that size, else one made now (--quick: the nearest size's instead)."""
    naive = {r["places"]: r["builds"]["naive"] for r in fig.sizes if get_ok(r, "naive")}
    for row in fig.rows.values():
        n = row.get("yardstick_places") or row.get("places")
        if not n or row.get("skipped"):
            continue
        if n not in naive and args.quick and naive:
            n = min(naive, key=lambda m: abs(m - n))
        if n not in naive and str(n) not in fig.yardsticks:
            project = gen.generate(n, args.cache, args.seed)
            args.log(f"naive folium yardstick for {n:,} places …")
            runs = args.build_runs if n <= args.repeat_max else 1
            fig.yardsticks[str(n)] = build(
                "naive", project, args.sites / f"yard{n}" / "naive", args, vendor, runs, n
            )
            shutil.rmtree(args.sites / f"yard{n}", ignore_errors=True)
        if n in naive:
            fig.yardsticks[str(n)] = naive[n]
        row["yardstick_places"] = n


def get_ok(res: dict, variant: str) -> bool:
    return bool(res["builds"].get(variant, {}).get("ok"))


# ---------------------------------------------------------------- results


def write_results(fig: Figures, meta: dict, args: argparse.Namespace) -> None:
    settings = {
        "command": args.command,
        "runs": args.runs,
        "build_runs": args.build_runs,
        "repeat_max": args.repeat_max,
        "throttled_runs": 0 if args.quick else args.throttled_runs,
        "baseline_throttled_runs": args.baseline_throttled_runs,
        "naive_max": args.naive_max,
        "baseline_max": args.baseline_max,
        "full_build_max": args.full_build_max,
        "seed": args.seed,
        "quick": args.quick,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(
        json.dumps(payload(fig, meta, settings), ensure_ascii=False, indent=1, default=str) + "\n",
        encoding="utf-8",
    )
    (args.results / "results.md").write_text(markdown(fig, meta, settings), encoding="utf-8")
    if args.readme:
        update_readme(readme_block(fig, meta, settings))


def update_readme(block: str, readme: Path = README) -> bool:
    """Replace README's benchmark table (between the bench:targets markers) with `block`."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{block}\n{README_END}{tail}", encoding="utf-8")
    return True


def rewrite(args: argparse.Namespace) -> int:
    saved = json.loads((args.results / "results.json").read_text(encoding="utf-8"))
    fig = figures_from(saved)
    (args.results / "results.json").write_text(
        json.dumps(
            payload(fig, saved["machine"], saved["settings"]), ensure_ascii=False, indent=1, default=str
        )
        + "\n",
        encoding="utf-8",
    )
    (args.results / "results.md").write_text(
        markdown(fig, saved["machine"], saved["settings"]), encoding="utf-8"
    )
    if args.readme:
        update_readme(readme_block(fig, saved["machine"], saved["settings"]))
    return 0


# ---------------------------------------------------------------- main


def _sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def _size_options(add: Callable[..., Any]) -> None:
    """The synthetic sizes."""
    add(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="numbers of places, comma-separated (default: %(default)s)",
    )
    add(
        "--big-budget",
        type=float,
        default=180,
        help="run sizes above 100,000 only if the 100,000-place Takara Map build took at most this many seconds "
        "(default: %(default)s)",
    )
    add(
        "--rows",
        default=",".join(DEFAULT_ROWS),
        help="the other rows: demo, validate, preview, kurashiki ('' for none)",
    )


def _row_options(add: Callable[..., Any]) -> None:
    """The demo, Kurashiki, preview and validate rows."""
    add("--demo", type=Path, default=REPO, help="the demo project (default: the repository's bundled demo)")
    add(
        "--kurashiki",
        type=Path,
        default=scenarios.SHARED_KURASHIKI,
        help="../shared/data/kurashiki (row skipped if absent)",
    )
    add(
        "--preview-sizes",
        default="10000",
        help="synthetic sizes for the edited-row preview (default: %(default)s)",
    )
    add(
        "--preview-print-max",
        type=int,
        default=0,
        help="largest synthetic size whose preview builds the prints too (default: %(default)s: a first build with "
        "every print of 10,000 places takes far longer than the benchmark; the demo's preview always prints)",
    )
    add("--rows-first", action="store_true", help="measure these rows before the sizes (default: after)")
    add(
        "--no-scenario-prints",
        action="store_true",
        help="build the demo and Kurashiki rows without prints (smoke test)",
    )


def _run_options(add: Callable[..., Any]) -> None:
    """Runs, approaches and their caps."""
    add("--runs", type=int, default=3, help="cold browser runs per page (default: 3; medians are reported)")
    add("--build-runs", type=int, default=3, help="runs of each build up to --repeat-max places (medians)")
    add("--repeat-max", type=int, default=10_000, help="larger builds run once (default: %(default)s)")
    add("--throttled-runs", type=int, default=3, help="throttled runs per page for Takara Map (default: 3)")
    add(
        "--baseline-throttled-runs",
        type=int,
        default=1,
        help="throttled runs for the comparison pages (default: 1)",
    )
    add(
        "--quick",
        action="store_true",
        help="Takara Map and naive folium only, no throttled runs (the smoke test)",
    )
    add("--variants", default=",".join(VARIANTS), help="approaches to run (default: %(default)s)")
    add("--naive-max", type=int, default=150_000, help="largest size for the naive folium page")
    add(
        "--baseline-max", type=int, default=150_000, help="largest size for FastMarkerCluster and one-GeoJSON"
    )


def _io_options(add: Callable[..., Any]) -> None:
    """Folders, outputs and time limits."""
    add("--no-browser", action="store_true", help="builds only")
    add(
        "--merge",
        action="store_true",
        help="keep the figures of --results/results.json that this run does not measure again (each says "
        "when and at which commit it was measured)",
    )
    add(
        "--rewrite",
        action="store_true",
        help="only re-render results.md (and README with --readme) from results.json",
    )
    add(
        "--cache",
        type=Path,
        default=gen.DEFAULT_CACHE,
        help="projects, logs, npm packages (default: %(default)s)",
    )
    add(
        "--sites",
        type=Path,
        default=DEFAULT_SITES,
        help="where sites are built (default: %(default)s, memory-backed)",
    )
    add(
        "--ext4",
        type=Path,
        default=gen.DEFAULT_CACHE / "disk",
        help="where each site is copied to measure its disk usage on a disk (default: %(default)s)",
    )
    add("--ext4-max", type=int, default=100_000, help="largest size copied to --ext4 (default: %(default)s)")
    add("--keep-sites", action="store_true")
    add(
        "--npm", type=Path, default=gen.DEFAULT_CACHE / "npm", help="where `npm pack` puts folium's CDN files"
    )
    add(
        "--full-build-max",
        type=int,
        default=150_000,
        help="largest size for Takara Map's whole build; above it, the site without stats and exports",
    )
    add(
        "--results",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder for results.md and results.json",
    )
    add(
        "--readme",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="update README's table (default: when writing to bench/ and not --quick)",
    )
    add("--seed", type=int, default=gen.DEFAULT_SEED)
    add("--page-timeout", type=float, default=300, help="seconds a page may take (throttled: ×3)")
    add("--build-timeout", type=float, default=1800)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    _size_options(ap.add_argument)
    _row_options(ap.add_argument)
    _run_options(ap.add_argument)
    _io_options(ap.add_argument)
    args = ap.parse_args(argv)
    args.command = "python -m bench.run" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:]) if (argv or sys.argv[1:]) else ""
    )
    args.sizes, args.preview_sizes = _sizes(args.sizes), _sizes(args.preview_sizes)
    args.rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if args.quick:
        args.variants = [v for v in args.variants if v in ("takara", "naive")]
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {', '.join(sorted(unknown))}")
    if set(args.rows) - set(DEFAULT_ROWS):
        ap.error(f"unknown rows: {', '.join(sorted(set(args.rows) - set(DEFAULT_ROWS)))}")
    for key in ("cache", "sites", "npm", "ext4"):
        folder = getattr(args, key).resolve()
        if folder == REPO or REPO in folder.parents:
            ap.error(f"--{key} must be outside the repository")
        setattr(args, key, folder)
    if args.readme is None:
        args.readme = not args.quick and args.results.resolve() == Path(__file__).resolve().parent
    return args


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so that `finally` closes the server and the browser


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rewrite:
        return rewrite(args)
    signal.signal(signal.SIGTERM, _stop)
    args.cache.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    args.log = log
    vendor = measure.ensure_vendor(args.npm)
    args.sites.mkdir(parents=True, exist_ok=True)
    args.disks = [measure.small_files_speed(args.sites), measure.small_files_speed(args.ext4)]
    browser = None if args.no_browser else measure.Browser()
    fig = merged(args) if args.merge else Figures([])
    meta: dict = {}

    # the code measured is what was checked out when the run started (later commits do not count)
    started = machine(browser.version if browser else "", args)
    stamp = {"commit": started["commit"], "date": started["date"]}

    def save(_: object = None) -> None:
        nonlocal meta
        meta = {**machine(browser.version if browser else "", args), "commit": stamp["commit"]}
        meta["started"] = stamp["date"]
        for entry in [*fig.sizes, *fig.rows.values()]:
            entry.setdefault("measured", stamp)
        write_results(fig, meta, args)

    try:
        args.on_row = lambda rows: (fig.rows.update(rows), save())
        if args.rows_first:
            run_rows(fig, args, vendor)
            save()
        for n in args.sizes:
            slow = _too_slow(fig, n, args.big_budget)
            if slow:
                fig.not_run[str(n)] = slow
                log(f"[{n:,}] not run: {slow}")
                continue
            fig.sizes = [r for r in fig.sizes if r["places"] != n]
            fig.not_run.pop(str(n), None)
            fig.sizes.append(run_size(n, args, browser, vendor))
            fig.sizes.sort(key=lambda r: r["places"])
            save()
        if not args.rows_first:
            run_rows(fig, args, vendor)
        yardsticks(fig, args, vendor)
        save()
    finally:
        if browser is not None:
            browser.close()
    log(f"written {args.results / 'results.md'}")
    failed = any(not b["ok"] for r in fig.sizes for b in r["builds"].values())
    failed = failed or any(row.get("ok") is False for row in fig.rows.values())
    return 1 if failed else 0


def run_rows(fig: Figures, args: argparse.Namespace, vendor: measure.Vendor) -> None:
    """The demo, validate, preview and Kurashiki rows, then naive folium of as many places for each."""
    fig.rows.update(
        scenarios.run_all(args, settings_for(args, args.build_runs, args.sites), _generator(args))
    )
    yardsticks(fig, args, vendor)


def merged(args: argparse.Namespace) -> Figures:
    """The figures of the earlier run in --results, each stamped with its commit and date, for this run
    to replace only what it measures again (every ratio stays within the run that measured it)."""
    path = args.results / "results.json"
    if not path.is_file():
        return Figures([])
    saved = json.loads(path.read_text(encoding="utf-8"))
    fig = figures_from(saved)
    stamp = {"commit": saved["machine"].get("commit", ""), "date": saved["machine"].get("date", "")}
    for entry in [*fig.sizes, *fig.rows.values()]:
        entry.setdefault("measured", stamp)
    return fig


def _generator(args: argparse.Namespace) -> Callable[[int], Path]:
    return lambda n: gen.generate(n, args.cache, args.seed)


def _too_slow(fig: Figures, n: int, budget: float) -> str:
    """Why a size above 100,000 is not worth running, or ''."""
    if n <= 100_000:
        return ""
    b = fig.size(100_000).get("builds", {}).get("takara_whole") or fig.size(100_000).get("builds", {}).get(
        "takara"
    )
    if not b:
        return ""
    if not b["ok"] or b["build_s"] > budget:
        return (
            f"the 100,000-place build took {b['build_s']:,.0f} s (over the --big-budget of {budget:,.0f} s)"
            if b["ok"]
            else "the 100,000-place build did not finish"
        )
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
