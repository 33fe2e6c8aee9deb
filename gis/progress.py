"""Progress on long steps (geocoding, PDFs, many pages): a one-line bar on a terminal, silence in CI.

`pipeline.run(..., progress=...)` and the output stages call `progress(step, done, total)`. The bar is
drawn only when stderr is a terminal and the environment variable CI is not set, so logs of CI runs
and of `make test` stay clean. Hand-written (no dependency): one line redrawn with a carriage return.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Self, TextIO

Progress = Callable[[str, int, int], None]

# What each step is called on screen (Japanese / English); an unknown step is shown as it is.
STEP_LABELS = {
    "read": "読み込み / reading",
    "geocode": "住所から位置 / geocoding",
    "pages": "ページ / pages",
    "pdf": "印刷用PDF / PDFs",
    "print": "印刷用PDF / PDFs",
    "export": "オープンデータ / exports",
}
BAR_WIDTH = 24
MIN_INTERVAL = 0.1  # seconds between redraws: a bar must not slow down the step it measures


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


class ProgressBar:
    """Callable as progress(step, done, total). Call close() (or use as a context manager) at the end."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.step = ""
        self.last_draw = 0.0
        self.open_line = False

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self._finish_line()
            self.step = step
            self.last_draw = 0.0
        finished = total > 0 and done >= total
        now = self.clock()
        if not finished and now - self.last_draw < MIN_INTERVAL:
            return
        self.last_draw = now
        self.stream.write("\r" + render_line(step, done, total))
        self.stream.flush()
        self.open_line = True
        if finished:
            self._finish_line()

    def _finish_line(self) -> None:
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False

    def close(self) -> None:
        self._finish_line()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_line(step: str, done: int, total: int) -> str:
    """'住所から位置 / geocoding [#########---------------]  120/320'"""
    label = STEP_LABELS.get(step, step)
    if total <= 0:
        return f"{label} {done}"
    filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
    width = len(str(total))
    return f"{label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:>{width}}/{total}"


def make_progress(stream: TextIO | None = None, env: dict[str, str] | None = None) -> ProgressBar | None:
    """A ProgressBar when a person is watching (see wants_bar), else None (use `quiet`)."""
    return ProgressBar(stream) if wants_bar(stream, env) else None
