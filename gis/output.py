"""Writing the site: atomic publish, the render cache that makes rebuilds incremental, and the CPUs.

Atomic publish: the site is built in a folder beside --out and swapped in only when complete.
A build that fails or is interrupted (SIGINT, SIGTERM) leaves the previous site byte-identical. A build
killed outright (kill -9, power cut) leaves its folders behind: the next build first puts the previous
site back when the kill came between the two renames, and removes what the dead build left.

Incremental: RenderCache keeps each output file made last time with the key of what made it, outside
the site (PROJECT/.takara/cache/); a rebuild whose key is unchanged takes the kept file instead of
rendering it again, so the result is the same bytes as a clean build, only sooner."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from gis.errors import OutputError

T = TypeVar("T")


def check_report_path(report: Path, out: Path) -> None:
    """The report names withheld records: it may never be written into the published folder."""
    report, out = report.resolve(), out.resolve()
    if report == out or out in report.parents:
        raise OutputError(
            f"--report {report} が公開するフォルダ（{out}）の中にあります。報告には非掲載の記録の名前が"
            "載るため、別の場所を指定してください / --report may not be inside --out: it names withheld "
            "records"
        )


def check_out_dir(out: Path, project_root: Path) -> Path:
    """--out may not be the project folder, inside it, or contain it (a swap would destroy the data)."""
    out = out.resolve()
    root = project_root.resolve()
    if out == root or root in out.parents or out in root.parents:
        raise OutputError(
            f"--out {out} は地図プロジェクトのフォルダ（{root}）と重なっています。別の場所を指定してください / "
            "--out may not be the project folder, inside it, or contain it"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} はフォルダではありません / --out exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / ".takara-site").exists():
        raise OutputError(
            f"--out {out} は Takara Map が作ったフォルダではなく空でもないため、上書きしません / "
            "--out is a non-empty folder not made by Takara Map: refusing to replace it"
        )
    return out


class _Interrupted(BaseException):
    """A signal during the build. Not an Exception: a stage's `except Exception` must not swallow it."""


@contextmanager
def staged_site(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `out`; on success swap it in, on any failure remove it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    swapping = cleaning = False
    received: list[str] = []

    def interrupt(signum: int, frame: object) -> None:
        if swapping or cleaning:
            return  # mid-swap: finish the two renames; while cleaning up: a second Ctrl-C must not stop that
        received.append(signal.Signals(signum).name)
        # Raised wherever the interpreter is; inside a finaliser or weakref callback Python swallows it, so
        # `received` is checked again before the swap.
        raise _Interrupted(received[0])

    # Handlers can only be set from the main thread; elsewhere (a preview server's worker) the default stays.
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    for s in previous:
        signal.signal(s, interrupt)
    previous_hook = sys.unraisablehook

    def quiet_interrupts(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, _Interrupted):  # a swallowed interrupt is acted on below
            previous_hook(unraisable)

    sys.unraisablehook = quiet_interrupts
    stage: Path | None = None
    try:
        recover_interrupted(out)
        # Made after the handlers are in place, so a signal can never leave it behind.
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-{os.getpid()}-", dir=out.parent))
        yield stage
        if received:
            raise _Interrupted(received[0])
        (stage / ".takara-site").write_text(
            "This folder is written by Takara Map; a build replaces it whole.\n", encoding="utf-8"
        )
        swapping = True
        _swap(stage, out)
    except _Interrupted as exc:
        cleaning = True
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise KeyboardInterrupt(str(exc)) from None
    except BaseException:
        cleaning = True
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        sys.unraisablehook = previous_hook


def _owner_alive(name: str) -> bool:
    """Whether the build that made a `.SITE.building-PID-…` or `.SITE.old-PID` folder is still running."""
    digits = name.rsplit(".", 1)[-1].split("-")[1:2]
    if not digits or not digits[0].isdigit():
        return False
    pid = int(digits[0])
    if pid == os.getpid():
        return False  # ours from an earlier build in this process: finished or failed, not running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted(out: Path) -> list[str]:
    """Undo what a killed build left beside `out`: when `out` is missing and a set-aside previous site
    is there, it is put back; then every staging and set-aside folder of a build no longer running is
    removed. Returns what was done, one line each."""
    if not out.parent.is_dir():
        return []
    done: list[str] = []
    stale = [
        p
        for p in sorted(out.parent.iterdir())
        if p.is_dir()
        and p.name.startswith((f".{out.name}.building-", f".{out.name}.old-"))
        and not _owner_alive(p.name)
    ]
    olds = [p for p in stale if ".old-" in p.name and (p / ".takara-site").exists()]
    if not out.exists() and olds:
        restored = max(olds, key=lambda p: p.stat().st_mtime)
        os.rename(restored, out)
        stale.remove(restored)
        done.append(
            f"中断された作成の前のサイトを戻しました / restored the previous site from {restored.name}"
        )
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"中断された作成の残りを消しました / removed {p.name}")
    return done


def _swap(stage: Path, out: Path) -> None:
    """Two renames: the old site steps aside, the new one steps in, the old one is removed."""
    os.chmod(stage, 0o755)
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
    try:
        os.rename(stage, out)
    except OSError:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write a small file so that an interrupted write never leaves it half-written (numbers.json, the report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- the CPUs


WORKERS_ENV = "TAKARA_WORKERS"  # e.g. TAKARA_WORKERS=1: one process, on a machine shared with others


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. a container's share), not the machine's;
    TAKARA_WORKERS, when set to a whole number, instead."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    if hasattr(os, "process_cpu_count"):  # Python ≥ 3.13
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def can_fork_workers() -> bool:
    """Whether worker processes may be forked from here: fork exists, and no other thread is running (a
    fork copies another thread's held locks but not the thread, so the child can hang). The preview
    serves from a thread, so its rebuilds run in one process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


_FORKED_JOBS: list[Callable[[], Any]] = []  # what forked workers run, inherited from the parent process


def _run_forked_job(i: int) -> Any:
    return _FORKED_JOBS[i]()


def _worker_init() -> None:
    # Ctrl-C is the parent's to handle (it stops the pool, and the staged site is thrown away).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_jobs(
    jobs: Sequence[Callable[[], T]],
    workers: int | None = None,
    done: Callable[[int, int], None] | None = None,
) -> list[T]:
    """Run the jobs and return their results in the jobs' order: in up to `workers` forked processes
    (None: every usable CPU) when more than one job and can_fork_workers(), else one after another here.
    Workers inherit the jobs (closures over the model: nothing is pickled but a job's index and its
    result), and start them in the order given, so put the longest first. `done(finished, total)` is
    called in this process as each job ends. Each job must make its output on its own, so the files are
    the same bytes however many processes ran them."""
    global _FORKED_JOBS
    workers = usable_cpus() if workers is None else workers
    total = len(jobs)
    report = done or (lambda finished, total: None)
    if workers <= 1 or total < 2 or not can_fork_workers():
        results = []
        for i, job in enumerate(jobs):
            results.append(job())
            report(i + 1, total)
        return results
    _FORKED_JOBS = list(jobs)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, total), mp_context=context, initializer=_worker_init) as pool:
            futures = {pool.submit(_run_forked_job, i): i for i in range(total)}
            by_index: dict[int, T] = {}
            for finished, future in enumerate(as_completed(futures), 1):
                by_index[futures[future]] = future.result()
                report(finished, total)
        return [by_index[i] for i in range(total)]
    finally:
        _FORKED_JOBS = []


# ---------------------------------------------------------------- the render cache


def content_key(*parts: bytes | str) -> str:
    """sha256 over the parts, each length-prefixed (so ("ab", "c") and ("a", "bc") differ)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class RenderCache:
    """Output files kept from the last build, each with the key of everything that decided its bytes.

    A stage that renders a file `name` (a path relative to the stage's folder) computes `key` with
    content_key() from every input of the file: the template sources, the context or the rendered text,
    the embedded assets' bytes, the renderer's version and options. Then

        cache = RenderCache(project.root / ".takara" / "cache" / "pages")   # never inside --out
        made = cache.make(name, key, out / name, render)   # render(path) writes the file
        # made is True when it was rendered, False when last build's file was reused

    or, to decide in two steps, `if not cache.reuse(name, key, target): render(target);
    cache.keep(name, key, target)`. The cache holds, per name, the last file made and a small JSON
    (key and the file's sha256) beside it; one name per file, so worker processes rendering different
    names can use one cache at once. A kept file is only reused when its key matches and its bytes still
    hash to what was recorded; a missing, changed or half-written entry is a miss, never an error. The
    key must cover every input, or a rebuild would publish a stale file: when in doubt, put it in.
    Keys are hashes and the files are what the site publishes anyway; the cache still stays outside the
    site, beside the report, so no build ever publishes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.rendered: list[str] = []  # what this build made anew, and what it took from the cache
        self.reused: list[str] = []

    def tally(self, name: str, rendered: bool) -> None:
        """Note what make() did (a stage calls it in the main process, as workers' lists are lost)."""
        (self.rendered if rendered else self.reused).append(name)

    def _entry(self, name: str) -> tuple[Path, Path]:
        path = self.folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise ValueError(f"not a relative output name: {name}")
        return path, path.with_name(path.name + ".key.json")

    def reuse(self, name: str, key: str, target: Path) -> bool:
        """Put the kept file for `name` at `target` when it was made from `key` and is intact."""
        kept, meta = self._entry(name)
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            if recorded.get("key") != key:
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            _place(kept, target)
            # checked after placing: another build may replace the kept file at any moment
            if _file_sha256(target) == recorded.get("sha256"):
                return True
        except (OSError, ValueError, AttributeError):
            pass
        target.unlink(missing_ok=True)
        return False

    def keep(self, name: str, key: str, made: Path) -> None:
        """Record `made` (just rendered from `key`) as the file for `name`. Best effort: a cache that
        cannot be written only makes the next build slower."""
        kept, meta = self._entry(name)
        suffix = f".tmp-{os.getpid()}"
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            tmp_file, tmp_meta = kept.with_name(kept.name + suffix), meta.with_name(meta.name + suffix)
            _place(made, tmp_file)
            tmp_meta.write_text(json.dumps({"key": key, "sha256": _file_sha256(tmp_file)}), encoding="utf-8")
            os.replace(tmp_file, kept)
            os.replace(tmp_meta, meta)
        except OSError:
            return

    def fetch(self, name: str, key: str) -> bytes | None:
        """The kept bytes for `name` when made from `key` and intact (for what a stage holds in memory,
        such as a map drawn into several PDFs), else None."""
        kept, meta = self._entry(name)
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            data = kept.read_bytes()
            if recorded.get("key") == key and hashlib.sha256(data).hexdigest() == recorded.get("sha256"):
                return data
        except (OSError, ValueError, AttributeError):
            pass
        return None

    def store(self, name: str, key: str, data: bytes) -> None:
        """Keep `data` as what `key` made for `name` (best effort, like keep())."""
        kept, _ = self._entry(name)
        tmp = kept.with_name(f"{kept.name}.made-{os.getpid()}")
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        except OSError:
            return
        self.keep(name, key, tmp)
        tmp.unlink(missing_ok=True)

    def make(self, name: str, key: str, target: Path, render: Callable[[Path], Any]) -> bool:
        """Reuse the kept file or render a new one (and keep it). True when rendered."""
        if self.reuse(name, key, target):
            return False
        render(target)
        self.keep(name, key, target)
        return True


def _place(source: Path, target: Path) -> None:
    """A hard link when the cache and the site share a file system (no copy of the bytes), else a copy;
    either way the file keeps its time, so a reused file shows when it was really made."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class PageReuse:
    """Pages kept from the previous build of the same site: a page whose key (everything that decides
    its bytes) is what made the previous build's file, and whose file there is intact, is hard-linked
    (or copied) from it instead of rendered. One manifest per site folder, kept OUTSIDE the site (under
    the project's .takara/), maps each page to its key and its bytes' sha256; a page not in it, changed,
    or gone is rendered. With no previous site every page is rendered and the manifest written."""

    def __init__(self, manifest: Path | None, previous: Path | None, renderer: str = "") -> None:
        self.manifest, self.previous = manifest, previous
        self.renderer = renderer  # the key of what renders every page (templates, code, libraries)
        self.kept: dict[str, list[str]] = {}
        if manifest is not None and previous is not None and manifest.is_file():
            try:
                self.kept = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.kept = {}  # a garbled manifest only costs a full render
        self.made: dict[str, list[str]] = {}

    def write(self, root: Path, name: str, key: str, render: Callable[[], bytes]) -> bool:
        """Write page `name` (relative to the site folder `root`); True when it had to be rendered."""
        target = root / name
        entry = self.kept.get(name)
        if entry is not None and entry[0] == key and self.previous is not None:
            source = self.previous / name
            try:
                if source.is_file() and _file_sha256(source) == entry[1]:
                    try:
                        os.link(source, target)
                    except OSError:
                        shutil.copyfile(source, target)
                    self.made[name] = entry
                    return False
            except OSError:
                pass
        data = render()
        target.write_bytes(data)
        self.made[name] = [key, hashlib.sha256(data).hexdigest()]
        return True

    def merge(self, made: dict[str, list[str]]) -> None:
        """Entries made in a worker process (its own copy of this object is lost with it)."""
        self.made.update(made)

    def save(self) -> None:
        if self.manifest is None:
            return
        try:
            self.manifest.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.manifest, json.dumps(self.made, sort_keys=True, separators=(",", ":")))
        except OSError:
            pass  # best effort: the next build renders every page
