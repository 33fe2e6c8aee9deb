"""The progress bar: drawn for a person at a terminal, with the step's name and done/total; nothing in CI,
in a log or in a pipe."""

from __future__ import annotations

import io
import os
import sys
import threading

import pytest

from gis.build import run_pipeline
from gis.progress import STEP_LABELS, ProgressBar, make_progress, quiet
from tests.projects import make_project, row


class _Terminal(io.StringIO):
    """What tqdm writes to, standing in for a terminal's stderr."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "env"),
    [(_Terminal(), {"CI": "true"}), (io.StringIO(), {}), (io.StringIO(), {"CI": "1"})],
    ids=["CI on a terminal", "a log file", "CI into a log"],
)
def test_nothing_is_drawn_in_ci_or_into_a_file(stream, env):
    progress = make_progress(stream, env) or quiet  # as the CLI does
    for i in range(1, 5):
        progress("geocode", i, 4)
    assert stream.getvalue() == ""


def test_a_bar_shows_each_step_by_name_with_done_and_total_one_line_each():
    screen = _Terminal()
    bar = make_progress(screen, {})
    assert bar is not None
    with bar:
        for i in range(1, 5):
            bar("geocode", i, 4)
        bar("pdf", 1, 2)
    lines = screen.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 3  # each step ends its own line, the last one at close
    assert lines[0].rsplit("\r", 1)[-1].startswith("住所から位置 / geocoding")
    assert "4/4" in lines[0].rsplit("\r", 1)[-1]
    assert lines[1].rsplit("\r", 1)[-1].startswith("印刷用PDF / PDFs") and "1/2" in lines[1]


def test_downloads_of_unknown_size_count_bytes_and_each_file_gets_its_own_line():
    screen = _Terminal()
    with ProgressBar(screen) as bar:
        for done in (100_000, 2_000_000):
            bar("download", done, 0)
        bar("download", 5_000, 0)  # the next file starts from zero
    first, second, _ = screen.getvalue().split("\n")
    assert first.rsplit("\r", 1)[-1].startswith("ダウンロード / downloading") and "1.91MB" in first
    assert "4.88kB" in second


def test_the_bar_does_not_redraw_for_every_item_nor_leave_a_thread_behind():
    threads = threading.active_count()
    screen = _Terminal()
    with ProgressBar(screen) as bar:
        for i in range(1, 20_001):
            bar("pages", i, 20_000)
        assert threading.active_count() == threads  # the build forks workers while a bar is open
    assert screen.getvalue().count("\r") < 100
    assert "20000/20000" in screen.getvalue()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_a_terminal_that_reports_no_width_still_shows_the_bar(monkeypatch):
    screen, terminal = os.openpty()  # never sized: 0 columns, as `script` or a container's exec may leave it
    with open(terminal, "w", encoding="utf-8") as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)  # tqdm asks only stderr or stdout for their width
        with ProgressBar() as bar:
            bar("geocode", 1, 2)
    shown = os.read(screen, 65536).decode("utf-8")
    os.close(screen)
    assert STEP_LABELS["geocode"] in shown and "1/2" in shown


def test_the_pipeline_reports_its_steps_to_the_bar(tmp_path):
    screen = _Terminal()
    rows = [row(名称=f"サロン{i}") for i in range(3)]
    with ProgressBar(screen) as bar:
        run_pipeline(make_project(tmp_path / "project", rows), bar, save_numbers=False)
    assert STEP_LABELS["geocode"] in screen.getvalue() and "3/3" in screen.getvalue()
