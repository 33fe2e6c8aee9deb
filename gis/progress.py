"""Progress on long steps (geocoding, downloads, PDFs, many pages): a tqdm bar on a terminal, silence in CI.

`pipeline.run(..., progress=...)` and the output stages call `progress(step, done, total)`. The bar is
drawn only when stderr is a terminal and the environment variable CI is not set, so logs of CI runs
and of `make test` stay clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Self, TextIO

from tqdm import tqdm

Progress = Callable[[str, int, int], None]

# What each step is called on screen (Japanese / English); an unknown step is shown as it is.
STEP_LABELS = {
    "read": "読み込み / reading",
    "geocode": "住所から位置 / geocoding",
    "download": "ダウンロード / downloading",
    "pages": "ページ / pages",
    "pdf": "印刷用PDF / PDFs",
    "print": "印刷用PDF / PDFs",
    "export": "オープンデータ / exports",
}
BYTE_STEPS = {"download"}  # counted in bytes: shown as 1.2M/27.1M
MIN_INTERVAL = 0.1  # seconds between redraws: a bar must not slow down the step it measures
UNSIZED_SHAPE = {"ncols": 80, "nrows": 24}  # for a terminal that reports 0 by 0


def quiet(step: str, done: int, total: int) -> None:
    """The progress callback that says nothing."""


def wants_bar(stream: TextIO | None = None, env: dict[str, str] | None = None) -> bool:
    """A bar only for a person watching a terminal: not in CI, not into a file or pipe."""
    stream = stream if stream is not None else sys.stderr
    env = env if env is not None else dict(os.environ)
    if env.get("CI"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _StepBar(tqdm):
    # No monitor thread: place pages are rendered in forked processes only while one thread runs.
    monitor_interval = 0


class ProgressBar:
    """Callable as progress(step, done, total): one bar per run of a step, left on screen when it ends.
    Call close() (or use as a context manager) at the end."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.step = ""
        self.bar: _StepBar | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.bar is None or step != self.step or done < self.bar.n:  # a new step, or the next file
            self.close()
            self.step = step
            self.bar = self._open(step, total)
        if total > 0 and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)  # tqdm redraws at most every MIN_INTERVAL
        if total > 0 and done >= total:
            self.close()

    def _open(self, step: str, total: int) -> _StepBar:
        in_bytes = step in BYTE_STEPS
        return _StepBar(
            desc=STEP_LABELS.get(step, step),
            total=total if total > 0 else None,  # unknown size: a count without a bar
            file=self.stream,
            mininterval=MIN_INTERVAL,
            **(UNSIZED_SHAPE if _unsized_terminal(self.stream) else {}),  # else the terminal's own size
            unit="B" if in_bytes else "",
            unit_scale=in_bytes,
            unit_divisor=1024,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unsized_terminal(stream: TextIO) -> bool:
    """A terminal reporting 0 columns (a pseudo-terminal nobody sized, as `script` or a container's exec
    may make): tqdm would clip the bar to nothing and hide it as "below the screen"."""
    try:
        return os.get_terminal_size(stream.fileno()).columns == 0
    except (AttributeError, OSError, ValueError):
        return False


def make_progress(stream: TextIO | None = None, env: dict[str, str] | None = None) -> ProgressBar | None:
    """A ProgressBar when a person is watching (see wants_bar), else None (use `quiet`)."""
    return ProgressBar(stream) if wants_bar(stream, env) else None
