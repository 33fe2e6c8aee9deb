"""gis.output's render cache and worker processes: what lets a rebuild take last build's files instead of
rendering them again, and spread the rest over the CPUs, without ever changing a byte of the output."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from gis.output import RenderCache, can_fork_workers, content_key, run_jobs, usable_cpus


class Renderer:
    """Writes `text` into the file it is given, and counts how often it was asked to."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def __call__(self, path: Path) -> None:
        self.calls += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text, encoding="utf-8")


def test_an_unchanged_key_reuses_the_file_and_a_changed_one_renders(tmp_path):
    cache = RenderCache(tmp_path / "cache")
    first = Renderer("第1版")
    assert cache.make("print/a.pdf", content_key("第1版"), tmp_path / "out1" / "a.pdf", first) is True
    again = Renderer("第1版")
    assert cache.make("print/a.pdf", content_key("第1版"), tmp_path / "out2" / "a.pdf", again) is False
    assert again.calls == 0
    assert (tmp_path / "out2" / "a.pdf").read_text(encoding="utf-8") == "第1版"
    edited = Renderer("第2版")
    assert cache.make("print/a.pdf", content_key("第2版"), tmp_path / "out3" / "a.pdf", edited) is True
    assert (tmp_path / "out3" / "a.pdf").read_text(encoding="utf-8") == "第2版"
    # the earlier site keeps its own bytes: the cache never writes into a file it handed out
    assert (tmp_path / "out2" / "a.pdf").read_text(encoding="utf-8") == "第1版"


@pytest.mark.parametrize("damage", ["missing", "changed", "truncated", "record garbled", "record missing"])
def test_a_missing_or_changed_entry_is_never_trusted(tmp_path, damage):
    cache = RenderCache(tmp_path / "cache")
    key = content_key("地図")
    cache.make("a.pdf", key, tmp_path / "out1" / "a.pdf", Renderer("正しい地図"))
    kept, record = tmp_path / "cache" / "a.pdf", tmp_path / "cache" / "a.pdf.key.json"
    if damage == "missing":
        kept.unlink()
    elif damage == "changed":
        (tmp_path / "out1" / "a.pdf").write_text("書き換えた地図", encoding="utf-8")  # in place, maybe linked
        kept.write_text("書き換えた地図", encoding="utf-8")
    elif damage == "truncated":
        kept.write_bytes(kept.read_bytes()[:3])
    elif damage == "record garbled":
        record.write_text("{not json", encoding="utf-8")
    else:
        record.unlink()
    again = Renderer("正しい地図")
    target = tmp_path / "out2" / "a.pdf"
    assert cache.make("a.pdf", key, target, again) is True
    assert again.calls == 1 and target.read_text(encoding="utf-8") == "正しい地図"
    # and the entry is whole again for the next build
    assert cache.make("a.pdf", key, tmp_path / "out3" / "a.pdf", Renderer("x")) is False


def test_a_failed_reuse_leaves_no_file_behind(tmp_path):
    cache = RenderCache(tmp_path / "cache")
    cache.make("a.pdf", content_key("1"), tmp_path / "out1" / "a.pdf", Renderer("1"))
    (tmp_path / "cache" / "a.pdf").write_text("2", encoding="utf-8")
    target = tmp_path / "out2" / "a.pdf"
    assert cache.reuse("a.pdf", content_key("1"), target) is False
    assert not target.exists()


def test_names_stay_inside_the_cache(tmp_path):
    cache = RenderCache(tmp_path / "cache")
    for name in ("../escape.pdf", "/etc/passwd"):
        with pytest.raises(ValueError):
            cache.reuse(name, content_key("x"), tmp_path / "t")


def test_keys_separate_their_parts():
    assert content_key("ab", "c") != content_key("a", "bc")
    assert content_key("地図") == content_key("地図".encode())
    assert len(content_key()) == 64


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


def test_jobs_run_in_worker_processes_and_come_back_in_order():
    jobs = [lambda v=v: _pid_and(v) for v in range(6)]
    serial = run_jobs(jobs, workers=1)
    assert [r[1] for r in serial] == [v * v for v in range(6)]
    assert {r[0] for r in serial} == {os.getpid()}
    if usable_cpus() < 2 or not can_fork_workers():
        pytest.skip("one CPU (or no fork) here: nothing runs in parallel")
    finished = []
    parallel = run_jobs(jobs, workers=2, done=lambda n, total: finished.append((n, total)))
    assert [r[1] for r in parallel] == [r[1] for r in serial]
    assert os.getpid() not in {r[0] for r in parallel}
    assert finished == [(n, 6) for n in range(1, 7)]


def test_no_fork_while_another_thread_runs():
    """The preview serves from a thread: forking then could copy a held lock, so its builds stay in one
    process."""
    stop = threading.Event()
    server = threading.Thread(target=stop.wait, daemon=True)
    server.start()
    try:
        assert not can_fork_workers()
        results = run_jobs([lambda v=v: _pid_and(v) for v in range(3)], workers=2)
        assert {r[0] for r in results} == {os.getpid()}
    finally:
        stop.set()
        server.join()
