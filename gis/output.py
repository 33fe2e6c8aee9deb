"""Atomic publish: the site is built in a folder beside --out and swapped in only when complete.

A build that fails or is interrupted (SIGINT, SIGTERM) leaves the previous site byte-identical. A build
killed outright (kill -9, power cut) leaves its folders behind: the next build first puts the previous
site back when the kill came between the two renames, and removes what the dead build left."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gis.errors import OutputError


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
