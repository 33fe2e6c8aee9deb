"""Measurements: a build's wall time and peak memory, a site's bytes, and a page in headless Chromium.

Browser runs follow one recipe for every approach: Debian's chromium, a new browser process and
context for every run (nothing cached), the site served from 127.0.0.1 by bench.serve (gzip -6),
tile requests aborted, CDN requests (folium's Leaflet, Leaflet.markercluster, jQuery …) answered
from local copies so that no request leaves the machine, and bench/templates/observe.js injected
before any page script to time the first markers painted.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench.serve import COMPRESSIBLE, gzip_file

REPO = Path(__file__).resolve().parent.parent
OBSERVE_JS = Path(__file__).resolve().parent / "templates" / "observe.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Belt and braces: any host name the routes below do not answer fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 800}
THROTTLE = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 10_000_000 / 8,
    "uploadThroughput": 10_000_000 / 8,
}  # 10 Mbit/s, 40 ms

NPM_PACKAGES = {"leaflet.markercluster": "1.5.3", "jquery": "3.7.1", "leaflet": "1.9.4"}
TILE_HOSTS = re.compile(
    r"^https?://([a-z0-9-]+\.)?(tile\.openstreetmap\.org|cyberjapandata\.gsi\.go\.jp|"
    r"tile\.thunderforest\.com|basemaps\.cartocdn\.com)/"
)
CDN_HOSTS = re.compile(
    r"^https?://(cdn\.jsdelivr\.net|code\.jquery\.com|cdnjs\.cloudflare\.com|"
    r"netdna\.bootstrapcdn\.com|unpkg\.com|maxcdn\.bootstrapcdn\.com)/"
)
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".json": "application/json",
}


# ---------------------------------------------------------------- builds


@dataclass
class BuildResult:
    ok: bool
    wall_s: float
    # The larger of the build's largest process (ru_maxrss, from os.wait4: exact, but one process only)
    # and the whole process tree's proportional set size (forked workers included, shared pages counted
    # once), sampled every TREE_SAMPLE_S: a build that renders on every core is measured whole.
    peak_mb: float
    returncode: int
    log: str = ""  # tail of stdout+stderr
    maxrss_mb: float = 0.0
    tree_pss_mb: float = 0.0
    cpu_s: float = 0.0  # user + system time of the process and the children it waited for


TREE_SAMPLE_S = 0.2


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc/*/stat: no psutil needed)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()  # after "(command name)": state, ppid, …
        parent[int(entry)] = int(fields[1])
    tree, frontier = [], [pid]
    while frontier:
        here = frontier.pop()
        kids = [p for p, pp in parent.items() if pp == here]
        tree += kids
        frontier += kids
    return tree


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of `pid` and its descendants, MB (0 when /proc says nothing)."""
    total_kb = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def timed_run(
    cmd: list[str],
    log_path: Path,
    cwd: Path = REPO,
    timeout_s: float = 3600,
    env: dict[str, str] | None = None,
) -> BuildResult:
    """Run `cmd` and measure its wall time and peak memory (os.wait4's rusage for the largest process,
    and the process tree's PSS sampled while it runs)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tree_peak = 0.0
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        deadline = started + timeout_s
        next_sample = started + TREE_SAMPLE_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if now > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            if now >= next_sample:
                tree_peak = max(tree_peak, tree_pss_mb(proc.pid))
                next_sample = now + TREE_SAMPLE_S
            time.sleep(0.02)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = log_path.read_bytes()[-3000:].decode("utf-8", "replace")
    maxrss = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    return BuildResult(
        proc.returncode == 0, wall, max(maxrss, tree_peak), proc.returncode, tail, maxrss, tree_peak, cpu
    )


# ---------------------------------------------------------------- bytes


def gz_size(path: Path, gz_cache: Path) -> int:
    if path.suffix.lower() not in COMPRESSIBLE:
        return path.stat().st_size
    return gzip_file(path, gz_cache).stat().st_size


def site_bytes(root: Path) -> dict:
    """Files, raw bytes and gzip -6 bytes of a whole site (text files compressed, images as they are)."""
    files = raw = gz = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            data = path.read_bytes()
            files += 1
            raw += len(data)
            if path.suffix.lower() in COMPRESSIBLE:
                comp = zlib.compressobj(6, zlib.DEFLATED, 31)
                gz += len(comp.compress(data) + comp.flush())
            else:
                gz += len(data)
    return {"files": files, "raw": raw, "gz": gz}


def disk_usage(root: Path) -> int:
    """Bytes the folder takes on its file system: allocated blocks of every file and folder (du), not
    the files' lengths, so a site of many small files costs what it costs on that disk."""
    total = root.stat().st_blocks * 512
    for dirpath, dirs, names in os.walk(root):
        for name in dirs + names:
            total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def disk_on(root: Path, scratch: Path) -> dict:
    """The folder's disk usage where it is, and on the file system of `scratch` (copied there with
    `cp -a`, measured, removed); with the seconds the copy took (writing the site to that disk)."""
    here = {"fs": filesystem(root), "bytes": disk_usage(root)}
    copy = scratch / f".disk-{os.getpid()}-{root.name}"
    shutil.rmtree(copy, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    done = subprocess.run(["cp", "-a", str(root), str(copy)], capture_output=True, check=False)
    seconds = time.perf_counter() - t
    there = {"fs": filesystem(scratch), "bytes": disk_usage(copy) if done.returncode == 0 else None}
    there["copy_s"] = round(seconds, 1)
    shutil.rmtree(copy, ignore_errors=True)
    return {"here": here, "there": there}


def prewarm_gzip(root: Path, gz_cache: Path) -> None:
    """Compress the files a first visit fetches before the timed runs, so no run pays for compressing."""
    for path in (
        sorted(root.glob("*"))
        + sorted(root.glob("data/*"))
        + sorted(root.glob("data/boundaries/*"))
        + sorted(root.glob("assets/**/*"))
        + sorted(root.glob("vendor/**/*"))
    ):
        if path.is_file() and path.suffix.lower() in COMPRESSIBLE:
            gzip_file(path, gz_cache)


def filesystem(path: Path) -> str:
    """The file system type holding `path` (from /proc/mounts), e.g. "ext4" or "tmpfs"."""
    best, kind = "", "?"
    try:
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if (
                len(parts) > 2
                and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/"))
                and len(parts[1]) >= len(best)
            ):
                best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def small_files_speed(folder: Path, count: int = 1000) -> dict:
    """Seconds to write and to remove 10,000 small files (a folder and a 5 kB page each, as a site's
    place pages are), extrapolated from `count`: the machine's disk matters for a site of 100,000 pages."""
    base = folder / f".small-files-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    data = b"x" * 5000
    t0 = time.perf_counter()
    for i in range(count):
        (base / str(i)).mkdir()
        with open(base / str(i) / "index.html", "wb") as fh:
            fh.write(data)
    t1 = time.perf_counter()
    shutil.rmtree(base)
    t2 = time.perf_counter()
    scale = 10_000 / count
    return {
        "path": str(folder),
        "fs": filesystem(folder),
        "write_10k_s": round((t1 - t0) * scale, 1),
        "remove_10k_s": round((t2 - t1) * scale, 1),
    }


# ---------------------------------------------------------------- local copies of CDN files


@dataclass
class Vendor:
    leaflet: Path  # folder with leaflet.js, leaflet.css (the project's vendored copy)
    leaflet_images: Path  # Leaflet's marker images (npm leaflet dist/images)
    markercluster: Path  # npm leaflet.markercluster dist/
    jquery: Path  # npm jquery dist/jquery.min.js


def ensure_vendor(npm: Path) -> Vendor:
    """`npm pack` the packages folium's pages need into `npm` (a cache folder, never the repository)."""
    npm.mkdir(parents=True, exist_ok=True)
    for name, version in NPM_PACKAGES.items():
        unpacked = npm / f"{name}-{version}"
        if (unpacked / "package" / "package.json").is_file():
            continue
        tarball = npm / f"{name}-{version}.tgz"
        if not tarball.is_file():
            subprocess.run(
                ["npm", "pack", f"{name}@{version}", "--silent"],
                cwd=npm,
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=300,
            )
        with tarfile.open(tarball) as tf:
            tf.extractall(unpacked, filter="data")
    return Vendor(
        leaflet=REPO / "site_template" / "vendor" / "leaflet",
        leaflet_images=npm / f"leaflet-{NPM_PACKAGES['leaflet']}" / "package" / "dist" / "images",
        markercluster=npm
        / f"leaflet.markercluster-{NPM_PACKAGES['leaflet.markercluster']}"
        / "package"
        / "dist",
        jquery=npm / f"jquery-{NPM_PACKAGES['jquery']}" / "package" / "dist" / "jquery.min.js",
    )


def cdn_answer(url: str, vendor: Vendor) -> tuple[str, Path | None]:
    """How a request leaving localhost is answered: ("tile", None) aborted; ("file", path) from a local
    copy; ("stub", None) an empty file of the right type (CSS/JS the map does not need: Bootstrap,
    Font Awesome, awesome-markers); ("abort", None) anything else."""
    if TILE_HOSTS.match(url):
        return "tile", None
    if not CDN_HOSTS.match(url):
        return "abort", None
    path = urlsplit(url).path
    m = re.search(r"/leaflet(?:@[\d.]+)?/(?:dist/)?(leaflet\.(?:js|css))$", path)
    if m:
        return "file", vendor.leaflet / m[1]
    m = re.search(r"/leaflet(?:@[\d.]+)?/(?:dist/)?images/([\w.-]+\.png)$", path)
    if m and (vendor.leaflet_images / m[1]).is_file():
        return "file", vendor.leaflet_images / m[1]
    m = re.search(
        r"leaflet\.markercluster(?:@[\d.]+)?/(?:[\d.]+/|dist/)?((?:leaflet\.markercluster(?:-src)?\.js)|"
        r"MarkerCluster(?:\.Default)?\.css)$",
        path,
    )
    if m:
        return "file", vendor.markercluster / m[1]
    if re.search(r"/jquery-[\d.]+(?:\.min)?\.js$", path):
        return "file", vendor.jquery
    return "stub", None


# ---------------------------------------------------------------- the browser


@dataclass
class PageRun:
    first_markers_ms: float | None  # painted (two frames after the first marker entered the page)
    marker_dom_ms: float | None
    hook_ms: float | None  # the page's own "first markers drawn" time, when it gives one
    load_ms: float | None
    heap_mb: float | None  # live JS heap after load (after a garbage collection)
    longest_task_ms: float  # longest task until the measurement ended
    longest_task_before_markers_ms: float
    dom_nodes: int | None  # all DOM nodes the renderer holds (Memory.getDOMCounters; detached too)
    dom_elements: int | None  # elements in the document
    before_markers: dict = field(default_factory=dict)  # {"raw", "gz", "transfer", "requests"}
    requests: int = 0
    stubbed: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # requests that wanted to leave the machine
    errors: list[str] = field(default_factory=list)
    throttled: bool = False
    error: str = ""


class Browser:
    """One Playwright driver for the whole benchmark; a fresh Chromium process for every run."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw_cm = sync_playwright()
        self.pw = self._pw_cm.start()
        self.version = ""

    def close(self) -> None:
        self._pw_cm.__exit__(None, None, None)

    def run(
        self,
        url: str,
        site_root: Path,
        url_root: str,
        vendor: Vendor,
        gz_cache: Path,
        *,
        throttled: bool = False,
        timeout_s: float = 300,
        screenshot: Path | None = None,
    ) -> PageRun:
        browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        self.version = browser.version
        stubbed: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        try:
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            context.add_init_script(path=str(OBSERVE_JS))
            page = context.new_page()

            def handle(route: Any) -> None:
                kind, path = cdn_answer(route.request.url, vendor)
                if kind == "file" and path is not None and path.is_file():
                    route.fulfill(
                        status=200,
                        path=str(path),
                        headers={
                            "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                            "Access-Control-Allow-Origin": "*",
                            "Timing-Allow-Origin": "*",
                        },
                    )
                elif kind == "stub":
                    stubbed.append(route.request.url)
                    ext = Path(urlsplit(route.request.url).path).suffix
                    route.fulfill(
                        status=200,
                        body="",
                        headers={
                            "Content-Type": CONTENT_TYPES.get(ext, "text/plain"),
                            "Access-Control-Allow-Origin": "*",
                        },
                    )
                else:
                    if kind != "tile":
                        unexpected.append(route.request.url)
                    route.abort()

            page.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/])"), handle)
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.on(
                "console",
                lambda msg: (
                    errors.append(f"console: {msg.text}")
                    if msg.type == "error" and "Failed to load resource" not in msg.text
                    else None
                ),
            )
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            if throttled:
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", THROTTLE)
            timeout_ms = timeout_s * 1000
            page.goto(url, wait_until="commit", timeout=timeout_ms)
            # Polled from here with evaluate(): wait_for_function would need eval, which the site's CSP forbids.
            failed_at: list[float] = []

            def gave_up() -> None:  # a script error and still no markers 15 s later: the page is broken
                if any(e.startswith("pageerror") for e in errors):
                    failed_at.append(failed_at[0] if failed_at else time.monotonic())
                    if time.monotonic() - failed_at[0] > 15:
                        raise RuntimeError(
                            "no markers after a script error: "
                            + next(e for e in errors if e.startswith("pageerror"))[:200]
                        )

            _wait_for(page, "() => window.__bench && window.__bench.paint !== null", timeout_s, check=gave_up)
            _wait_for(
                page,
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return !!n && n.loadEventEnd > 0; }",
                timeout_s,
            )
            page.wait_for_timeout(500)
            data = page.evaluate("""() => {
                const nav = performance.getEntriesByType('navigation')[0];
                const res = performance.getEntriesByType('resource').map(e => [e.name, e.responseEnd, e.transferSize]);
                return {bench: {dom: window.__bench.dom, hook: window.__bench.hook, paint: window.__bench.paint,
                                longtasks: window.__bench.longtasks},
                        nav: [nav.name, nav.responseEnd, nav.transferSize, nav.loadEventEnd],
                        res: res, elements: document.getElementsByTagName('*').length};
            }""")
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
            cdp.send("HeapProfiler.enable")
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            counters = cdp.send("Memory.getDOMCounters")
        except Exception as exc:  # noqa: BLE001 - a failed run is reported in the table, not fatal
            return PageRun(
                None,
                None,
                None,
                None,
                None,
                0,
                0,
                None,
                None,
                throttled=throttled,
                stubbed=stubbed,
                unexpected=unexpected,
                errors=errors,
                error=f"{type(exc).__name__}: {str(exc)[:300]}",
            )
        finally:
            browser.close()

        b = data["bench"]
        paint = b["paint"]
        tasks = b["longtasks"]
        entries = [data["nav"][:3]] + data["res"]
        before = [e for e in entries if e[1] and e[1] <= paint]
        raw = gz = transfer = 0
        for name, _, size in before:
            transfer += size or 0
            path = self._local_file(name, site_root, url_root, vendor)
            if path is not None:
                raw += path.stat().st_size
                gz += gz_size(path, gz_cache)
        return PageRun(
            first_markers_ms=paint,
            marker_dom_ms=b["dom"],
            hook_ms=b["hook"],
            load_ms=data["nav"][3],
            heap_mb=metrics.get("JSHeapUsedSize", 0) / 2**20,
            dom_nodes=counters.get("nodes"),
            dom_elements=data["elements"],
            longest_task_ms=max((d for _, d in tasks), default=0.0),
            longest_task_before_markers_ms=max((d for s, d in tasks if s < paint), default=0.0),
            before_markers={"raw": raw, "gz": gz, "transfer": transfer, "requests": len(before)},
            requests=len(entries),
            stubbed=sorted(set(stubbed)),
            unexpected=sorted(set(unexpected)),
            errors=errors,
            throttled=throttled,
        )

    @staticmethod
    def _local_file(url: str, site_root: Path, url_root: str, vendor: Vendor) -> Path | None:
        if url.startswith(url_root):
            rel = unquote(urlsplit(url).path)[len(urlsplit(url_root).path) :]
            path = site_root / rel
            if path.is_dir() or rel.endswith("/") or rel == "":
                path = path / "index.html"
            return path if path.is_file() else None
        kind, path = cdn_answer(url, vendor)
        return path if kind == "file" and path is not None and path.is_file() else None


def _wait_for(
    page: Any,
    predicate: str,
    timeout_s: float,
    every_s: float = 0.05,
    check: Callable[[], None] | None = None,
) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s:.0f} s for {predicate[:60]}")
        if check is not None:
            check()
        time.sleep(every_s)


class Server:
    """bench.serve in its own process, serving `root` on 127.0.0.1."""

    def __init__(self, root: Path, gz_cache: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.serve", str(root), "--gz-cache", str(gz_cache)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.origin = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------- summaries


def median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def summarise(runs: list[PageRun]) -> dict:
    ok = [r for r in runs if not r.error]
    return {
        "runs": len(runs),
        "ok": len(ok),
        "first_markers_ms": median([r.first_markers_ms for r in ok]),
        "first_markers_all_ms": [r.first_markers_ms for r in ok],
        "hook_ms": median([r.hook_ms for r in ok]),
        "load_ms": median([r.load_ms for r in ok]),
        "heap_mb": median([r.heap_mb for r in ok]),
        "longest_task_ms": median([r.longest_task_ms for r in ok]),
        "longest_task_before_markers_ms": median([r.longest_task_before_markers_ms for r in ok]),
        "dom_nodes": median([r.dom_nodes for r in ok]),
        "dom_elements": median([r.dom_elements for r in ok]),
        "before_markers_raw": median([r.before_markers.get("raw") for r in ok]),
        "before_markers_gz": median([r.before_markers.get("gz") for r in ok]),
        "before_markers_transfer": median([r.before_markers.get("transfer") for r in ok]),
        "before_markers_requests": median([r.before_markers.get("requests") for r in ok]),
        "stubbed": sorted({u for r in runs for u in r.stubbed}),
        "unexpected": sorted({u for r in runs for u in r.unexpected}),
        "errors": sorted({e for r in runs for e in r.errors})[:10],
        "failures": [r.error for r in runs if r.error][:5],
    }
