"""Atomic publish: the site is built beside --out and swapped in only when complete. A build that fails
or is interrupted (SIGINT, SIGTERM) leaves the previous site byte-identical and no staging folder behind;
--out may not be the project folder, inside it, or contain it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gis.errors import OutputError
from gis.output import check_report_path, staged_site
from tests.hostile import build_cli
from tests.projects import make_project, row

REPO = Path(__file__).resolve().parent.parent
OVERLAY = """
[[overlays]]
id = "shops"
name = "お店"
path = "data/shops.geojson"
popup_fields = ["name"]
"""


def folder_hash(folder: Path) -> str:
    """Every file's path and bytes, in order: equal hashes mean byte-identical folders."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def leftovers(out: Path) -> list[str]:
    """Staging or set-aside folders beside --out."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture
def published(tmp_path) -> tuple[Path, Path, str]:
    """A project with an overlay, built once into site/: (project, site, hash of the site)."""
    project = make_project(tmp_path / "p", [row(), row(名称="体操の会", 種別="体操")], extra_toml=OVERLAY)
    (project / "data" / "shops.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "八百屋"},
                        "geometry": {"type": "Point", "coordinates": [135.004, 35.004]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    site = tmp_path / "site"
    code, _, err = build_cli(project, site, "--no-print")
    assert code == 0, err
    return project, site, folder_hash(site)


def test_a_file_made_unreadable_mid_build_leaves_the_previous_site(published, monkeypatch):
    project, site, before = published
    from gis import pipeline

    real_run = pipeline.run

    def run_then_break_the_overlay(*args, **kwargs):
        edition = real_run(*args, **kwargs)
        (project / "data" / "shops.geojson").write_bytes(
            b"\x00\x01 not a map any more"
        )  # read while rendering
        return edition

    monkeypatch.setattr(pipeline, "run", run_then_break_the_overlay)
    (project / "data" / "records.csv").write_text(
        (project / "data" / "records.csv")
        .read_text(encoding="utf-8-sig")
        .replace("テストサロン", "新しい名前"),
        encoding="utf-8-sig",
    )
    code, _, err = build_cli(project, site, "--no-print")
    assert code == 2 and "shops.geojson" in err, err
    assert folder_hash(site) == before and leftovers(site) == []


def test_a_render_error_leaves_the_previous_site(published, monkeypatch):
    project, site, before = published
    from gis import publish

    real_write_data = publish.write_data

    def half_then_fail(model, out, **kwargs):
        real_write_data(model, out, **kwargs)  # some files are already written in the staging folder
        raise RuntimeError("injected render failure")

    monkeypatch.setattr(publish, "write_data", half_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        build_cli(project, site, "--no-print")
    assert folder_hash(site) == before and leftovers(site) == []


def test_a_disk_error_while_writing_is_one_line_and_leaves_the_previous_site(published, monkeypatch):
    project, site, before = published
    from gis import publish

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", "index.html")

    monkeypatch.setattr(publish, "write_pages", disk_full)
    code, _, err = build_cli(project, site, "--no-print")
    assert code == 2 and err.count("\n") == 1 and "No space left" in err, err
    assert folder_hash(site) == before and leftovers(site) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_build_leaves_the_previous_site(published, sig):
    project, site, before = published
    (project / "data" / "records.csv").write_text(
        (project / "data" / "records.csv")
        .read_text(encoding="utf-8-sig")
        .replace("テストサロン", "書き換え中"),
        encoding="utf-8-sig",
    )
    # With the prints, writing takes seconds: long enough to be caught in the middle.
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), str(project), "--out", str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not any(name.startswith(f".{site.name}.building-") for name in leftovers(site)):
        assert proc.poll() is None and time.monotonic() < deadline, (
            "the build ended before it started writing"
        )
        time.sleep(0.02)
    time.sleep(0.3)  # let it write some files
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err[-1500:]  # 128 + signal number
    assert "Traceback" not in err and "interrupted" in err
    assert folder_hash(site) == before and leftovers(site) == []


def test_a_signal_during_the_swap_cannot_lose_both_sites(tmp_path, monkeypatch):
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.txt").write_text("old")
    real_rename = os.rename
    calls = []

    def rename_with_a_signal_between(src, dst):
        real_rename(src, dst)
        calls.append(dst)
        if len(calls) == 1:  # the old site is aside, the new one not yet in
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "rename", rename_with_a_signal_between)
    with staged_site(out) as stage:
        (stage / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [".takara-site", "new.txt"]
    assert leftovers(out) == []


@pytest.mark.parametrize(
    "where", ["the project folder", "inside the project", "a folder holding the project"]
)
def test_out_may_not_overlap_the_project(tmp_path, where):
    project = make_project(tmp_path / "city" / "p", [row()])
    before = folder_hash(tmp_path)
    out = {
        "the project folder": project,
        "inside the project": project / "public",
        "a folder holding the project": tmp_path / "city",
    }[where]
    code, _, err = build_cli(project, out, "--no-print")
    assert code == 2 and err.count("\n") == 1, err
    assert (
        "--out may not be the project folder, inside it, or contain it" in err and str(out.resolve()) in err
    )
    assert folder_hash(tmp_path) == before  # nothing written, nothing removed


def test_out_refuses_a_folder_it_did_not_make(tmp_path):
    project = make_project(tmp_path / "p", [row()])
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "letter.txt").write_text("keep me")
    code, _, err = build_cli(project, precious, "--no-print")
    assert code == 2 and "not made by Takara Map" in err
    assert (precious / "letter.txt").read_text() == "keep me"


def test_the_report_may_not_be_written_into_the_published_folder(tmp_path):
    with pytest.raises(OutputError, match="--report may not be inside --out"):
        check_report_path(tmp_path / "site" / "report.json", tmp_path / "site")
    check_report_path(tmp_path / "report.json", tmp_path / "site")  # beside it is fine


def test_an_unwritable_report_fails_before_the_swap(published, tmp_path):
    """The report is written before the new site steps in: a failure there leaves the previous site."""
    project, site, before = published
    (project / "data" / "records.csv").write_text(
        (project / "data" / "records.csv")
        .read_text(encoding="utf-8-sig")
        .replace("テストサロン", "新しい名前"),
        encoding="utf-8-sig",
    )
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report's folder should be")
    code, _, err = build_cli(project, site, "--no-print", "--report", str(blocker / "report.json"))
    assert code == 2 and err.count("\n") == 1 and "not-a-folder" in err, err
    assert folder_hash(site) == before and leftovers(site) == []


# Run in a child process: the build kills itself with SIGKILL at one point (no handler, no cleanup runs).
KILLER = """
import os, shutil, signal, sys
from pathlib import Path

point = sys.argv[1]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
real_rename, real_rmtree = os.rename, shutil.rmtree

def rename(src, dst):
    real_rename(src, dst)
    if (point == "old set aside" and ".old-" in str(dst)) or (point == "new swapped in" and ".building-" in str(src)):
        die()

def rmtree(path, *args, **kwargs):
    if point == "removing the old site" and ".old-" in str(path):
        for f in sorted(Path(path).rglob("*.html"))[::2]:
            f.unlink()
        die()
    return real_rmtree(path, *args, **kwargs)

os.rename, shutil.rmtree = rename, rmtree
if point in ("rendering", "writing the report"):
    import gis.report, gis.publish
    if point == "rendering":
        real_write_data = gis.publish.write_data
        gis.publish.write_data = lambda *a, **k: (real_write_data(*a, **k), die())
    else:
        gis.report.Report.write = lambda self, path: (path.write_text('{"rows_read": '), die())
from gis.cli import main
sys.exit(main(sys.argv[2:]))
"""
KILL_POINTS = ["rendering", "writing the report", "old set aside", "new swapped in", "removing the old site"]


def _killed_build(project: Path, site: Path, point: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(project), "--out", str(site), "--no-print"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_at_any_point_then_a_normal_build_leaves_exactly_one_complete_site(published, tmp_path, point):
    project, site, before = published
    (project / "data" / "records.csv").write_text(
        (project / "data" / "records.csv")
        .read_text(encoding="utf-8-sig")
        .replace("テストサロン", "新しい名前"),
        encoding="utf-8-sig",
    )
    _killed_build(project, site, point)
    left = leftovers(site)
    if point in ("rendering", "writing the report"):  # killed before the swap: the old site is untouched
        assert folder_hash(site) == before and any(".building-" in n for n in left), left
    elif point == "old set aside":  # between the two renames: no site at --out for now
        assert not site.exists() and any(".old-" in n for n in left), left
    else:
        assert site.exists() and any(".old-" in n for n in left), left

    code, _, err = build_cli(project, site, "--no-print")  # a normal build afterwards
    assert code == 0, err[-1500:]
    assert leftovers(site) == []  # no stale staging or set-aside folder
    reference = tmp_path / "reference"
    assert build_cli(project, reference, "--no-print")[0] == 0
    assert folder_hash(site) == folder_hash(reference)  # exactly one complete site: the new one


def test_a_killed_swap_is_undone_by_putting_the_previous_site_back(published):
    """Killed between the two renames, --out is missing: recovery restores the set-aside previous site."""
    from gis.output import recover_interrupted

    project, site, before = published
    (project / "data" / "records.csv").write_text(
        (project / "data" / "records.csv")
        .read_text(encoding="utf-8-sig")
        .replace("テストサロン", "別の名前"),
        encoding="utf-8-sig",
    )
    _killed_build(project, site, "old set aside")
    assert not site.exists()
    done = recover_interrupted(site)
    assert folder_hash(site) == before and leftovers(site) == [], done
    assert any("restored the previous site" in line for line in done)


def test_recovery_leaves_the_folders_of_a_build_still_running(tmp_path):
    from gis.output import recover_interrupted

    site = tmp_path / "site"
    site.mkdir()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        running = tmp_path / f".site.building-{alive.pid}-abc"
        running.mkdir()
        dead = tmp_path / ".site.building-999999999-abc"  # no such process
        dead.mkdir()
        recover_interrupted(site)
        assert running.is_dir() and not dead.exists()
    finally:
        alive.kill()
        alive.wait()


def test_a_build_killed_at_random_moments_never_leaves_two_sites_or_none(published, tmp_path):
    """kill -9 from outside at several moments of a real build, then a normal build."""
    project, site, _ = published
    for k, delay in enumerate((0.5, 1.5, 2.5, 3.5)):
        (project / "data" / "records.csv").write_text(
            (project / "data" / "records.csv").read_text(encoding="utf-8-sig").replace("テスト", f"版{k}"),
            encoding="utf-8-sig",
        )
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), str(project), "--out", str(site), "--no-print"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.kill()
        proc.wait()
        code, _, err = build_cli(project, site, "--no-print")
        assert code == 0, err[-1500:]
        assert leftovers(site) == [] and (site / "index.html").is_file() and (site / ".takara-site").is_file()
