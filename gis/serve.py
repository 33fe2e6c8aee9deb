"""The `serve` command: build, serve the site on 127.0.0.1, and rebuild when the inputs change.

Watched: takara.toml, layers/, data/, every record, boundary, overlay and gazetteer path the config
names, and site_template/. Not watched: what a build itself writes into the project (numbers.json,
.takara/), or it would rebuild forever. A failed rebuild prints its one-line error and the last good
site stays up (the build is atomic). Without --out the site goes to a temporary folder, removed on exit.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from gis.build import build_site, stale_section
from gis.config import Project, load_project
from gis.errors import TakaraError
from gis.progress import Progress, quiet
from gis.report import Report, render_coordinator_page
from gis.view import TEMPLATE_ROOT

HOST = "127.0.0.1"  # a preview holds unpublished work: never listen on other interfaces
REPORT_PATH = "/_takara/report"  # the coordinators' report page: served from memory, never a file of the site

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

Say = Callable[[str], None]  # one line to the preview's console


def host_name(header: str | None) -> str:
    """The name in a Host header without its port: `127.0.0.1:8000` → `127.0.0.1`, `[::1]:80` → `[::1]`."""
    value = (header or "").strip().lower()
    m = re.fullmatch(r"(\[[0-9a-f:.]*\]|[^:\[\]]*)(:\d{1,5})?", value)
    return m.group(1) if m else value


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with caching off (a preview must show the latest build) and a quiet log. Answers only
    requests addressed to this machine by name (DNS rebinding: a web page whose name is made to point at
    127.0.0.1 sends its own name as Host, and is refused)."""

    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if host_name(self.headers.get("Host")) not in self.allowed_hosts:
            self.send_error(421, "Misdirected Request: this preview answers only localhost")
            return False
        return True

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass

    report_page: Callable[[], str] | None = None

    def do_GET(self) -> None:
        if self.report_page is not None and self.path.split("?")[0] == REPORT_PATH:
            body = self.report_page().encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def make_server(
    site: Path, port: int, host: str | None = None, *, report_page: Callable[[], str] | None = None
) -> http.server.ThreadingHTTPServer:
    """Serve `site` by path, so the folder swapped in by each rebuild is what is served; and the
    coordinators' report page at REPORT_PATH (from memory: it names withheld records). `host` is one
    more name accepted in the Host header (the loopback names always are)."""
    allowed = LOOPBACK_NAMES + ((host_name(host),) if host else ())
    handler = functools.partial(
        type(
            "_PreviewHandler",
            (_Handler,),
            {"report_page": staticmethod(report_page) if report_page else None, "allowed_hosts": allowed},
        ),
        directory=str(site),
    )
    server = http.server.ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    return server


def inputs(project: Project) -> list[Path]:
    """What a build reads: a change under any of these is an edit worth a rebuild."""
    paths: list[Path] = [project.config_path, project.root / "layers", project.root / "data", TEMPLATE_ROOT]
    paths += [s.path for s in project.records]
    paths += [t.path for t in project.tiers]
    paths += [o.path for o in project.overlays]
    paths += [p for p in (project.build.gazetteer, project.population, project.needs) if p is not None]
    return sorted({p.resolve() for p in paths})


def watch_roots(project: Project) -> list[Path]:
    """Folders to watch: the project folder (so takara.toml survives editors that save by renaming) and
    every input outside it, outermost only."""
    candidates = [project.root.resolve()] + [p if p.is_dir() else p.parent for p in inputs(project)]
    roots: list[Path] = []
    for p in sorted({c for c in candidates if c.exists()}, key=lambda x: len(x.parts)):
        if not any(q == p or q in p.parents for q in roots):
            roots.append(p)
    return roots


def build_outputs(project: Project) -> set[Path]:
    """Files a build writes into the project: changes to these are not edits."""
    outs = {project.root.resolve() / ".takara"}
    for p in (project.build.numbers_file, project.build.geocode_cache):
        if p is not None:
            outs.add(p.resolve())
    return outs


def input_stamp(project_dir: str | Path, accept: ChangeFilter) -> tuple:
    """Size and time of every input file: lets the watch loop catch an edit saved while a build ran or
    before the watcher was up (inotify only reports what happens while it watches)."""
    seen = []
    for root in accept.relevant:
        files = (
            [root]
            if root.is_file()
            else sorted(f for f in root.rglob("*") if f.is_file())
            if root.is_dir()
            else []
        )
        for f in files:
            if accept("modified", str(f)):
                try:
                    st = f.stat()
                except OSError:
                    continue
                seen.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(seen)


class ChangeFilter:
    """A watchfiles filter: a change counts when it is under an input, is not a build output, and is not
    an editor's swap file or Excel's lock file (~$…). Refreshed after each build (the config may change)."""

    def __init__(self, project_dir: str | Path):
        self.project_dir = project_dir
        self.relevant: list[Path] = []
        self.ignored: set[Path] = set()
        self.refresh()

    def refresh(self) -> None:
        try:
            project = load_project(self.project_dir)
        except TakaraError:
            return  # keep the last good lists: the broken config itself is still watched
        self.relevant = inputs(project)
        self.ignored = build_outputs(project)

    def __call__(self, change: object, path: str) -> bool:
        p = Path(path)
        if (
            p.name.startswith(("~$", ".~lock", ".#"))
            or p.name.endswith(("~", ".swp", ".tmp"))
            or ".tmp-" in p.name
        ):
            return False
        if "__pycache__" in p.parts or ".git" in p.parts:
            return False
        if any(p == q or q in p.parents for q in self.ignored):
            return False
        return any(p == q or q in p.parents for q in self.relevant)


def serve(
    project_dir: str | Path,
    out: Path | None = None,
    port: int = 8000,
    with_print: bool = False,
    report_path: Path | None = None,
    stream: TextIO | None = None,
    progress: Progress = quiet,
    stop_event: threading.Event | None = None,
    host: str | None = None,
) -> int:
    """Build, serve, rebuild on change until Ctrl-C, SIGTERM (or stop_event). Returns the exit code."""
    from gis.output import check_out_dir

    say: Say = functools.partial(print, file=stream or sys.stdout, flush=True)  # flushed: the console is live
    project = load_project(project_dir)  # a broken config stops here, before anything is served
    temporary = out is None
    if out is not None:  # only a folder the build accepts is ever served (never the project, never /)
        out = check_out_dir(Path(out), project.root)
    site = Path(tempfile.mkdtemp(prefix="takara-preview-")) if out is None else Path(out)
    rebuild = _Rebuild(project_dir, site, report_path, with_print, progress, say)
    server: http.server.ThreadingHTTPServer | None = None
    previous_term = _stop_on_sigterm()
    try:
        rebuild(first=True)
        server = _start_server(site, port, host, rebuild.report_page)
        _announce(say, server, site, with_print)
        _rebuild_on_change(project, rebuild, stop_event, say)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if temporary:
            shutil.rmtree(site, ignore_errors=True)
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    say("プレビューを止めました / preview stopped")
    return 0


@dataclass
class _Rebuild:
    """One build of the preview into `site`, saying how it went; keeps the last good report for the
    report page. A failed build leaves the last good site (and report) in place."""

    project_dir: str | Path
    site: Path
    report_path: Path | None
    with_print: bool
    progress: Progress
    say: Say
    last: Report | None = None  # the last good build's, for the report page

    def report_page(self) -> str:
        return render_coordinator_page(self.last, HOST)

    def __call__(self, first: bool) -> None:
        say = self.say
        try:
            result = build_site(
                self.project_dir,
                self.site,
                self.report_path,
                with_print=self.with_print,
                progress=self.progress,
            )
        except TakaraError as exc:
            line = str(exc).replace("\n", " / ")
            say(f"エラー / error: {line}")
            say(
                "  前のサイトをそのまま表示しています / the last good site is still served"
                if not first
                else "  直してから保存すると、もう一度作ります / fix it and save: the site is rebuilt"
            )
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not take the preview down; show it
            traceback.print_exc(file=sys.stderr)
            say(f"内部エラー（不具合） / internal error (a bug): {type(exc).__name__}: {exc}")
            return
        self.last = result.report
        sev = result.report.severities()
        counts = result.report.counts()
        say(
            f"{'作りました' if first else '作り直しました'} / {'built' if first else 'rebuilt'}: "
            f"掲載 {counts['published']}・非掲載 {counts['withheld']}・エラー {counts['rejected']} "
            f"（エラー {sev['error']} 件・注意 {sev['warning']} 件、{result.seconds:.1f} 秒）"
        )
        stale = stale_section(result.edition)
        if first and stale:
            say(stale.splitlines()[0])


def _start_server(
    site: Path, port: int, host: str | None, report_page: Callable[[], str]
) -> http.server.ThreadingHTTPServer:
    """The preview server, answering on its own thread; a port in use is the user's problem, said so."""
    try:
        server = make_server(site, port, host, report_page=report_page)
    except OSError as exc:
        raise TakaraError(
            f"ポート {port} を使えません（別のプレビューが動いていませんか） / "
            f"cannot listen on {HOST}:{port}: {exc.strerror or exc}"
        ) from None
    threading.Thread(target=server.serve_forever, name="takara-preview", daemon=True).start()
    return server


def _announce(say: Say, server: http.server.ThreadingHTTPServer, site: Path, with_print: bool) -> None:
    """Where to look: the preview's address, its folder and the report page."""
    url = f"http://{HOST}:{server.server_address[1]}/"
    say(f"プレビュー / preview: {url}  （止めるには Ctrl-C / press Ctrl-C to stop）")
    say(f"  サイトのフォルダ / site folder: {site}")
    say(f"  報告（この PC だけで見られます） / report, local only: {url.rstrip('/')}{REPORT_PATH}")
    if not with_print:
        say("  印刷用PDFは作りません（--print で作ります） / printed maps are skipped: use --print")


def _rebuild_on_change(
    project: Project, rebuild: _Rebuild, stop_event: threading.Event | None, say: Say
) -> None:
    """Rebuild whenever an input changes, until Ctrl-C, SIGTERM or stop_event. Besides the watcher's
    events, the inputs' sizes and times are compared every second, so an edit saved during a build is
    not missed."""
    import watchfiles

    project_dir = rebuild.project_dir
    accept = ChangeFilter(project_dir)
    built = input_stamp(project_dir, accept)
    for changes in watchfiles.watch(
        *watch_roots(project),
        watch_filter=accept,
        stop_event=stop_event,
        debounce=400,
        step=100,
        raise_interrupt=True,
        yield_on_timeout=True,
        rust_timeout=1000,
        force_polling=True,
        poll_delay_ms=300,
    ):
        now = input_stamp(project_dir, accept)
        if not changes and now == built:
            continue  # a quiet second: nothing was saved
        names = sorted({Path(p).name for _, p in changes}) or ["…"]
        say(f"変更 / changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
        rebuild(first=False)
        accept.refresh()
        built = input_stamp(project_dir, accept)


def _stop_on_sigterm() -> Any:
    """SIGTERM stops the preview like Ctrl-C (so its temporary folder is removed). Returns the handler to
    put back, or None off the main thread (where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    return signal.signal(signal.SIGTERM, stop)
