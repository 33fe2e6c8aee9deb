"""The benchmark's answers: every target of issue 15 with its limit, the measured median, met or missed by
how much, the output folder's disk usage (tmpfs and ext4) and the ratio to naive folium in the same run;
where the time goes, per stage; then the detailed tables. Reads only the figures (results.json), so
`python -m bench.run --rewrite` can re-render an earlier run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.takara_build import CATEGORY_ORDER

VARIANTS = ("takara", "naive", "fast", "geojson")
LABELS = {
    "takara": "Takara Map",
    "naive": "folium naive (Marker + popup in MarkerCluster)",
    "fast": "folium FastMarkerCluster",
    "geojson": "one GeoJSON + Leaflet.markercluster (chunkedLoading)",
}
SHORT = {"takara": "Takara", "naive": "naive folium", "fast": "FastMarkerCluster", "geojson": "one GeoJSON"}
STAT_STAGES = ("gis.insight", "gis.export")  # optional stages a site-only build leaves out
LINEAR_SLACK = 1.1  # "linear": the figure may grow up to 10 % faster than the places (noise)


@dataclass
class Target:
    target: str
    limit: str
    measured: str
    verdict: str
    disk: str = "—"
    vs_naive: str = "—"
    row: str = ""  # the row of the stage breakdown that explains it


@dataclass
class Figures:
    """Everything one run measured: the synthetic sizes, the other rows, naive folium yardsticks."""

    sizes: list[dict]
    rows: dict[str, dict] = field(default_factory=dict)
    yardsticks: dict[str, dict] = field(default_factory=dict)  # str(places) -> naive folium build
    not_run: dict[str, str] = field(default_factory=dict)  # str(places) -> why the size was not run

    def size(self, n: int) -> dict:
        return next((r for r in self.sizes if r["places"] == n), {})


# ---------------------------------------------------------------- formatting


def fmt(v: Any, digits: int = 0, scale: float = 1.0) -> str:
    if v is None or v == "":
        return "—"
    return f"{v / scale:,.{digits}f}"


def get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def ratio(a: Any, b: Any) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:,.1f}×"


def size_of(n: float) -> str:
    return f"{n / 1e9:,.2f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def disk_cell(disk: dict | None) -> str:
    """'3.52 GB tmpfs / 3.61 GB ext4' from bench.measure.disk_on's answer."""
    if not disk:
        return "—"
    parts = [
        f"{size_of(d['bytes'])} {d['fs']}"
        for d in (disk.get("here"), disk.get("there"))
        if d and d.get("bytes")
    ]
    return " / ".join(parts) or "—"


def verdict(value: float, limit: float, unit: str, digits: int = 1) -> str:
    if value <= limit:
        return "met"
    return f"**missed by {value - limit:,.{digits}f} {unit}** ({value / limit:,.{1 if value >= 2 * limit else 2}f}× the limit)"


def _n(entry: dict) -> str:
    n = entry.get("n")
    return f" (median of {n})" if n and n > 1 else " (one run)" if n == 1 else ""


# ---------------------------------------------------------------- issue 15's targets


def targets(f: Figures) -> list[Target]:
    out = _size_targets(f, 100_000, 30, 1024) + _size_targets(f, 150_000, 45, 1536)
    out += _growth_targets(f)
    out.append(_row_target(f, "demo", "the demo with every print (`build.py --out DIR`)", 10))
    out.append(_row_target(f, "kurashiki", "Kurashiki (293 places, 28 PDFs) with every print", 20))
    out.append(_row_target(f, "preview-demo", "one edited row: preview updated, the demo", 1))
    out.append(_row_target(f, "preview-10000", "one edited row: preview updated, 10,000 places", 3))
    out.append(_row_target(f, "validate", "`validate --site` on the demo", 5))
    out += [_markers_target(f, 10_000, 400), _markers_target(f, 100_000, 1000)]
    return out


def _takara(res: dict) -> tuple[dict | None, dict | None]:
    """(the whole build, the build whose site was measured): they differ when the whole build failed."""
    whole = get(res, "builds", "takara_whole")
    b = get(res, "builds", "takara")
    return (whole if whole is not None else b), b


def _size_targets(f: Figures, n: int, seconds: float, mb: float) -> list[Target]:
    what = f"whole build, {n:,} places"
    labels = (f"{what}: time", f"{what}: peak memory")
    limits = (f"≤ {seconds} s", f"≤ {mb / 1024:g} GB")
    res = f.size(n)
    if not res:
        why = f.not_run.get(str(n), "not in --sizes")
        return [
            Target(label, limit, "not measured", f"— ({why})")
            for label, limit in zip(labels, limits, strict=True)
        ]
    whole, site = _takara(res)
    naive = get(res, "builds", "naive")
    disk = disk_cell(get(site, "disk"))
    if whole is None or not whole["ok"]:
        state = "not run" if whole is None else ("timed out" if whole.get("timed_out") else "failed")
        after = "" if whole is None else f" after {whole['build_s']:,.0f} s"
        return [
            Target(label, limit, f"whole build {state}{after}", "**missed**", disk, row=f"{n:,}")
            for label, limit in zip(labels, limits, strict=True)
        ]
    return [
        Target(
            labels[0],
            limits[0],
            f"{whole['build_s']:,.1f} s{_n(whole)}",
            verdict(whole["build_s"], seconds, "s"),
            disk,
            _vs(whole["build_s"], get(naive, "build_s"), "s"),
            f"{n:,}",
        ),
        Target(
            labels[1],
            limits[1],
            f"{whole['peak_mb']:,.0f} MB",
            verdict(whole["peak_mb"], mb, "MB", 0),
            disk,
            _vs(whole["peak_mb"], get(naive, "peak_mb"), "MB"),
            f"{n:,}",
        ),
    ]


def _vs(value: float | None, naive: float | None, unit: str) -> str:
    if not value or not naive:
        return "—"
    return (
        f"{value / naive:,.2f}× (naive {naive:,.1f} {unit})"
        if unit == "s"
        else f"{value / naive:,.2f}× (naive {naive:,.0f} {unit})"
    )


def _growth_targets(f: Figures) -> list[Target]:
    ok = sorted(
        r["places"]
        for r in f.sizes
        if r["places"] >= 3000
        and get(r, "builds", "takara", "ok")
        and not get(r, "builds", "takara", "skipped_stages")
    )
    out = []
    for what, key in (("time", "build_s"), ("peak memory", "peak_mb")):
        label = f"{what} linear in the places, 3,000 → 150,000"
        if len(ok) < 2:
            out.append(
                Target(
                    label, f"≤ {LINEAR_SLACK}× per ×places", "not measured", "— (fewer than two whole builds)"
                )
            )
            continue
        lo, hi = ok[0], ok[-1]
        a, z = f.size(lo)["builds"]["takara"][key], f.size(hi)["builds"]["takara"][key]
        per = (z / a) / (hi / lo)
        na, nz = get(f.size(lo), "builds", "naive", key), get(f.size(hi), "builds", "naive", key)
        naive = f"naive folium: ×{nz / na:,.1f}" if na and nz else "—"
        out.append(
            Target(
                f"{label} (measured {lo:,} → {hi:,})",
                f"≤ {LINEAR_SLACK}× per ×places",
                f"×{z / a:,.1f} for ×{hi / lo:,.1f} places = {per:,.2f} per ×places",
                "met"
                if per <= LINEAR_SLACK
                else f"**missed by {per - LINEAR_SLACK:,.2f}** (grows faster than the places)",
                vs_naive=naive,
            )
        )
    return out


def _row_target(f: Figures, key: str, label: str, seconds: float) -> Target:
    row = f.rows.get(key)
    limit = f"≤ {seconds:g} s"
    if row is None:
        return Target(label, limit, "not measured", "— (not run: see --rows, --preview-sizes)")
    if row.get("skipped"):
        return Target(label, limit, "not measured", f"— ({row['skipped']})")
    what = []
    if row.get("places") is not None:
        what.append(f"{row['places']:,} places")
    if row.get("pdfs"):
        what.append(f"{row['pdfs']} PDFs")
    if row.get("prints") is False:
        what.append("without prints")
    if row.get("first_s") is not None:
        what.append(f"first build {row['first_s']:,.1f} s")
    if row.get("leaks"):
        what.append(f"the leak scan reported {row['leaks']} leaks: see results.md")
    detail = f" [{', '.join(what)}]" if what else ""
    if not row.get("ok"):
        return Target(label, limit, f"failed{detail}", "**missed**", row=row.get("label", key))
    yard = f.yardsticks.get(str(row.get("yardstick_places")))
    vs = "—"
    if yard and yard.get("ok"):
        vs = f"{row['build_s'] / yard['build_s']:,.2f}× (naive {yard['build_s']:,.1f} s at {row['yardstick_places']:,})"
    return Target(
        label,
        limit,
        f"{row['build_s']:,.2f} s{_n(row)}{detail}",
        # the targets count the prints: a build without them answers only part of the question
        verdict(row["build_s"], seconds, "s", 2)
        + (" (without prints)" if row.get("prints") is False else ""),
        disk_cell(row.get("disk")),
        vs,
        row.get("label", key),
    )


def _markers_target(f: Figures, n: int, ms: float) -> Target:
    label, limit = f"map page: first markers, {n:,} places", f"≤ {ms:,.0f} ms"
    res = f.size(n)
    value = get(res, "browser", "takara", "first_markers_ms")
    if value is None:
        return Target(label, limit, "not measured", "— (size not run, or no browser)")
    runs = get(res, "browser", "takara", "ok")
    naive = get(res, "browser", "naive", "first_markers_ms")
    _, site = _takara(res)
    return Target(
        label,
        limit,
        f"{value:,.0f} ms (median of {runs})",
        verdict(value, ms, "ms", 0),
        disk_cell(get(site, "disk")),
        _vs_ms(value, naive),
    )


def _vs_ms(value: float, naive: float | None) -> str:
    return f"{value / naive:,.2f}× (naive {naive:,.0f} ms)" if naive else "—"


def targets_table(f: Figures) -> list[str]:
    lines = [
        "| target | limit | measured | met? | output on disk (tmpfs / ext4) | ÷ naive folium, same run |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets(f):
        lines.append(f"| {t.target} | {t.limit} | {t.measured} | {t.verdict} | {t.disk} | {t.vs_naive} |")
    return lines


# ---------------------------------------------------------------- where the time goes


def breakdown_rows(f: Figures) -> list[tuple[str, dict, bool]]:
    """(row name, Takara Map build entry, a target missed) for every Takara Map command the run timed."""
    missed = {t.row for t in targets(f) if "missed" in t.verdict}
    out = []
    for res in f.sizes:
        for key in ("takara_whole", "takara"):
            b = get(res, "builds", key)
            if b and b.get("categories_s"):
                name = f"{res['places']:,}" + (" (site only)" if b.get("skipped_stages") else "")
                out.append((name, b, f"{res['places']:,}" in missed))
    for row in f.rows.values():
        if row.get("categories_s"):
            out.append((row["label"], row, row["label"] in missed))
    return out


def breakdown_table(f: Figures, missed_only: bool = False) -> list[str]:
    rows = [r for r in breakdown_rows(f) if r[2] or not missed_only]
    if not rows:
        return []
    used = [c for c in CATEGORY_ORDER if any(b["categories_s"].get(c) for _, b, _ in rows)]
    lines = [
        "| build | " + " | ".join(used) + " | total | CPU s | target |",
        "|---|" + "---:|" * (len(used) + 2) + "---|",
    ]
    for name, b, missed in rows:
        cats = b["categories_s"]
        cells = [fmt(cats.get(c), 1) if cats.get(c) else "—" for c in used]
        state = "" if b["ok"] else (" (timed out)" if b.get("timed_out") else " (failed)")
        lines.append(
            f"| {name}{state} | "
            + " | ".join(cells)
            + f" | {b['build_s']:,.1f} | {fmt(b.get('cpu_s'), 1)} | {'**missed**' if missed else ''} |"
        )
    return lines


# ---------------------------------------------------------------- the detailed tables


HEAD = (
    "| places | build s | peak MB | site MB raw / gz | on disk (tmpfs / ext4) | before first markers MB raw / gz | "
    "first markers ms | load ms | throttled first markers ms | JS heap MB | longest task ms | DOM nodes |\n"
    "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
)


def variant_rows(sizes: list[dict], variant: str) -> list[str]:
    rows = []
    blank = " |" * 11
    for res in sizes:
        b = res["builds"].get(variant)
        if b is None:
            if variant in res.get("skipped", []):
                rows.append(f"| {res['places']:,} | not run (over the size cap) |" + blank[2:])
            continue
        if not b["ok"]:
            rows.append(f"| {res['places']:,} | build failed (exit {b['returncode']}) |" + blank[2:])
            continue
        p = res["browser"].get(variant, {})
        t = res["browser_throttled"].get(variant, {})
        mark = " ‡" if b.get("skipped_stages") else ""
        cells = [
            f"{res['places']:,}",
            fmt(b["build_s"], 1) + mark,
            fmt(b["peak_mb"]) + mark,
            f"{fmt(b['site']['raw'], 1, 1e6)} / {fmt(b['site']['gz'], 1, 1e6)}",
            disk_cell(b.get("disk")),
            f"{fmt(p.get('before_markers_raw'), 2, 1e6)} / {fmt(p.get('before_markers_gz'), 2, 1e6)}",
            fmt(p.get("first_markers_ms")),
            fmt(p.get("load_ms")),
            fmt(t.get("first_markers_ms")) + (f" (n={t['ok']})" if t and t.get("ok", 0) < 3 else ""),
            fmt(p.get("heap_mb"), 1),
            fmt(p.get("longest_task_ms")),
            fmt(p.get("dom_nodes")),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def rows_table(f: Figures) -> list[str]:
    lines = [
        "| row | command | places | runs s | median s | peak MB | on disk (tmpfs / ext4) | notes |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for row in f.rows.values():
        if row.get("skipped"):
            lines.append(f"| {row['label']} | — | — | — | — | — | — | not run: {row['skipped']} |")
            continue
        notes = []
        if row.get("pdfs"):
            notes.append(f"{row['pdfs']} PDFs")
        if row.get("prints") is False:
            notes.append("without prints")
        if "first_s" in row:
            notes.append(f"first build {row['first_s']:,.1f} s; pages updated: {row.get('updated')}")
        if row.get("leak_scan"):
            notes.append(row["leak_scan"].replace("|", "/"))
        runs = ", ".join(f"{s:,.1f}" for s in row.get("runs_s", []))
        lines.append(
            f"| {row['label']} | `{row.get('command', '')}` | {fmt(row.get('places'))} | {runs} | "
            f"{fmt(row.get('build_s'), 2)} | {fmt(row.get('peak_mb'))} | {disk_cell(row.get('disk'))} | "
            f"{'; '.join(notes)} |"
        )
    return lines


def ratio_rows(sizes: list[dict]) -> list[str]:
    lines = [
        "| places | vs | build time | peak memory | bytes before first markers (gz) | first markers | "
        "throttled first markers | JS heap | DOM nodes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in sizes:
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
            cells = [
                f"{res['places']:,}",
                SHORT[v],
                ratio(b["build_s"], tb["build_s"]),
                ratio(b["peak_mb"], tb["peak_mb"]),
                ratio(p.get("before_markers_gz"), tp.get("before_markers_gz")),
                ratio(p.get("first_markers_ms"), tp.get("first_markers_ms")),
                ratio(t.get("first_markers_ms"), tt.get("first_markers_ms")),
                ratio(p.get("heap_mb"), tp.get("heap_mb")),
                ratio(p.get("dom_nodes"), tp.get("dom_nodes")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def earlier_targets(f: Figures) -> list[str]:
    """The map page's earlier targets (issue 3), still measured."""
    lines = ["| target | measured | |", "|---|---|---|"]
    t100 = get(f.size(100_000), "browser", "takara", "first_markers_ms")
    for v, factor in (("naive", 10), ("geojson", 2)):
        b = get(f.size(100_000), "browser", v, "first_markers_ms")
        value = f"{b / t100:,.1f}×" if t100 and b else "not measured"
        met = "—" if not (t100 and b) else "met" if b / t100 >= factor else "**missed**"
        lines.append(f"| first markers ≥ {factor}× sooner than {SHORT[v]} at 100,000 | {value} | {met} |")
    gz = get(f.size(100_000), "browser", "takara", "before_markers_gz")
    lines.append(
        "| bytes before first markers, 100,000 places ≤ 5 MB gzipped | "
        + (f"{gz / 1e6:,.2f} MB | {'met' if gz <= 5e6 else '**missed**'} |" if gz else "not measured | — |")
    )
    slow = get(f.size(100_000), "browser_throttled", "takara", "first_markers_ms")
    lines.append(
        "| first markers at 10 Mbit/s + 40 ms, 100,000 places ≤ 5 s | "
        + (f"{slow:,.0f} ms | {'met' if slow <= 5000 else '**missed**'} |" if slow else "not measured | — |")
    )
    return lines


# ---------------------------------------------------------------- the whole page


def markdown(f: Figures, meta: dict, settings: dict) -> str:
    """bench/results.md from the figures (also used by --rewrite, to re-render an earlier results.json)."""
    lines = intro(meta, settings)
    lines += ["", "## Targets (issue 15)", "", *targets_table(f)]
    lines += [
        "",
        "Medians of --build-runs fresh-process runs (the count is given; sizes above --repeat-max once). "
        "Peak memory is the larger of the largest process (ru_maxrss) and the whole process tree's "
        "proportional set size sampled every 0.2 s (forked workers included). On disk: the output folder's "
        "allocated blocks where it was built (tmpfs) and after `cp -a` to ext4. ÷ naive folium: the same "
        "figure for the naive folium page of the same number of places, built in this run (the machine's "
        "speed varies by 3× from day to day; the ratio does not).",
        "",
        "## Where the time goes",
        "",
        "Seconds per stage (exclusive; bench/takara_build.py times the stage functions of gis/ as they run; "
        "'other' is start-up, imports and code between stages; CPU s = user + system time of the build and the "
        "workers it forked, steadier than wall time when other work shares the machine):",
        "",
        *breakdown_table(f),
        "",
        "## The demo, Kurashiki, preview and validate rows",
        "",
        *rows_table(f),
        "",
        "## Map page: earlier targets",
        "",
        *earlier_targets(f),
        "",
        "## Projects",
        "",
        "| places | municipalities (第1層) | districts (第2層) | neighbourhoods (第3層) | published | home venues | without consent |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in f.sizes:
        p = res["project"]
        lines.append(
            f"| {res['places']:,} | {p['municipalities']:,} | {p['districts_made']:,} | {p['neighbourhoods']:,} | "
            f"{p['rows'] - p['without_consent']:,} | {p['home_venues']:,} | {p['without_consent']:,} |"
        )
    for v in VARIANTS:
        rows = variant_rows(f.sizes, v)
        if rows:
            lines += ["", f"## {LABELS[v]}", "", HEAD, *rows]
        if v == "takara" and any(get(r, "builds", "takara", "skipped_stages") for r in f.sizes):
            lines += [
                "",
                "‡ the site without " + ", ".join(STAT_STAGES) + ": the whole build did not finish.",
            ]
    lines += ["", "## Ratios (the other approach ÷ Takara Map, same run)", "", *ratio_rows(f.sizes)]
    notes = _notes(f, settings)
    if notes:
        lines += ["", "## Notes", "", *notes]
    lines.append("")
    return "\n".join(lines)


def intro(meta: dict, settings: dict) -> list[str]:
    disks = meta.get("disks", [])
    return [
        "# Takara Map benchmark",
        "",
        f"Measured {meta['started'] + ' to ' if meta.get('started') else ''}{meta.get('date', '?')} on {meta.get('nproc', '?')} CPU cores ({meta.get('cpu', '?')}), "
        f"{meta.get('memory_gb', '?')} GB memory, Chromium {meta.get('chromium') or '—'}, Python "
        f"{meta.get('python', '?')}, folium {meta.get('folium', '?')}"
        + (f", commit {meta['commit']}" if meta.get("commit") else "")
        + ".",
        f"Command: `{settings.get('command', 'python -m bench.run')}`.",
        "",
        "How it is measured: every Takara Map figure is its command line (`build.py PROJECT --out DIR "
        "[--no-print]`, `build.py validate PROJECT --site DIR`) as a fresh process, run through "
        "bench/takara_build.py, which times each stage; the synthetic sizes are built with `--no-print` "
        "(pipeline, every page in Japanese and English, data files, exports, statistics), the demo and "
        "Kurashiki with every print (drawn without a street basemap: TAKARA_BASEMAP=none, no network). "
        "Browser figures: medians of "
        f"{settings.get('runs', '?')} cold runs in headless Chromium (a new browser each time, approaches "
        "interleaved), pages served from 127.0.0.1 with gzip, tiles aborted, folium's CDN files from local "
        "copies; first markers = two animation frames after the first marker or cluster icon appeared.",
        "",
        "Disks: sites are built in "
        + "; ".join(
            f"{d['path']} ({d['fs']}: 10,000 small files written in {d['write_10k_s']} s, removed in {d['remove_10k_s']} s)"
            for d in disks
        )
        + ".",
        "",
        "Data: synthetic projects from `bench/generate.py` (deterministic): about 86 places per municipality "
        "(150,000 places → 1,741 municipalities, all of Japan), a 第2層 district per 15 places, a 第3層 "
        "neighbourhood per 6; ~5 % home venues, ~3 % without consent, coordinates given.",
    ]


def _loads(f: Figures) -> list[float]:
    entries = [b for r in f.sizes for b in r["builds"].values()] + list(f.rows.values())
    return [e["load_before"] for e in entries if isinstance(e.get("load_before"), int | float)]


def _notes(f: Figures, settings: dict) -> list[str]:
    notes = [f"- {int(n):,} places: not run — {why}" for n, why in f.not_run.items()]
    stamps = {
        (e["measured"]["commit"], e["measured"]["date"][:16])
        for e in [*f.sizes, *f.rows.values()]
        if e.get("measured")
    }
    if len(stamps) > 1:
        for e in [*f.sizes, *f.rows.values()]:
            if e.get("measured"):
                name = e.get("label") or f"{e.get('places', 0):,} places"
                notes.append(
                    f"- {name}: measured {e['measured']['date'][:16]} at commit {e['measured']['commit']} (merged runs)"
                )
    loads = _loads(f)
    if loads:
        notes.append(
            f"- Load average (1 min) when each build started: {min(loads):,.1f} to {max(loads):,.1f} (above "
            "about 1, other work shared the machine's cores: the ratios to naive folium, measured beside the "
            "figures, are the steadier ones)."
        )
    for res in f.sizes:
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
                f"- {res['places']:,}: not run: {', '.join(SHORT[v] for v in res['skipped'])} (size cap)"
            )
    for row in f.rows.values():
        for line in row.get("leak_lines", []):
            notes.append(f"- {row['label']}: {line}")
        if row.get("ok") is False and row.get("log_tail"):
            notes.append(f"- {row['label']}: failed: " + row["log_tail"].strip().splitlines()[-1][:300])
    return sorted(set(notes), key=notes.index)


def payload(f: Figures, meta: dict, settings: dict) -> dict:
    return {
        "machine": meta,
        "settings": settings,
        "targets": [asdict(t) for t in targets(f)],
        "results": f.sizes,
        "rows": f.rows,
        "yardsticks": f.yardsticks,
        "not_run": f.not_run,
    }


def figures_from(saved: dict) -> Figures:
    return Figures(
        saved.get("results", []), saved.get("rows", {}), saved.get("yardsticks", {}), saved.get("not_run", {})
    )


def readme_block(f: Figures, meta: dict, settings: dict) -> str:
    """The table README shows, with the command that made it, and where the time of each missed
    target goes."""
    lines = [
        f"Measured {str(meta.get('date', '?'))[:10]} at commit {meta.get('commit') or '?'} on "
        f"{meta.get('nproc', '?')} cores with `{settings.get('command', 'make bench')}` (medians; full tables "
        "and the method: [bench/results.md](bench/results.md)). Whole builds: pipeline, every page in Japanese "
        "and English, data files, exports, statistics, no prints.",
        "",
        *targets_table(f),
    ]
    missed = breakdown_table(f, missed_only=True)
    if missed:
        lines += [
            "",
            "Where the time goes in the builds behind the missed targets (seconds per stage):",
            "",
            *missed,
        ]
    return "\n".join(lines)
