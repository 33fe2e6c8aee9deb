"""Atomic publish: the site is built in a folder beside --out and swapped in only when complete.

A build that fails or is interrupted (SIGINT, SIGTERM) leaves the previous site byte-identical."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gis.errors import OutputError


def check_out_dir(out: Path, project_root: Path) -> Path:
    """--out may not be the project folder, inside it, or contain it (a swap would destroy the data)."""
    out = out.resolve()
    root = project_root.resolve()
    if out == root or root in out.parents or out in root.parents:
        raise OutputError(f"--out {out} は地図プロジェクトのフォルダ（{root}）と重なっています。別の場所を指定してください / "
                          "--out may not be the project folder, inside it, or contain it")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} はフォルダではありません / --out exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / ".takara-site").exists():
        raise OutputError(f"--out {out} は Takara Map が作ったフォルダではなく空でもないため、上書きしません / "
                          "--out is a non-empty folder not made by Takara Map: refusing to replace it")
    return out


class _Interrupted(Exception):
    pass


@contextmanager
def staged_site(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `out`; on success swap it in, on any failure remove it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted(signal.Signals(signum).name)

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, interrupt)
    try:
        yield stage
        (stage / ".takara-site").write_text("This folder is written by Takara Map; a build replaces it whole.\n",
                                            encoding="utf-8")
        _swap(stage, out)
    except _Interrupted as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise KeyboardInterrupt(str(exc)) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
