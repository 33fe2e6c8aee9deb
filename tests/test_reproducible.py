"""Reproducible builds: the same project gives byte-identical output (hash of the whole folder), across
runs, processes, working folders, hash seeds, time zones and locales — PDFs, photos and spreadsheets
included. When a build differs, the failure names the files that differ."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.hostile import hostile_site

REPO = Path(__file__).resolve().parent.parent
# Two machines that disagree on everything they can. ja_JP.UTF-8 may not be installed; Python then falls
# back to the C locale, which still differs from the first machine's C.UTF-8 setting.
ENVS = (
    {"TZ": "America/New_York", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "1"},
    {"TZ": "Asia/Tokyo", "LANG": "ja_JP.UTF-8", "LC_ALL": "", "PYTHONHASHSEED": "2"},
)


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def differences(a: Path, b: Path) -> list[str]:
    da, db = digests(a), digests(b)
    return sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))


def _copy_project(src: Path, dest: Path) -> Path:
    # the photo cache stays behind, so every build encodes its photos itself
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".takara"))
    return dest


def _start(project: Path, out: Path, env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen:
    full = {**os.environ, **env}
    full = {k: v for k, v in full.items() if v != ""}
    return subprocess.Popen(
        [
            sys.executable,
            str(REPO / "build.py"),
            str(project),
            "--out",
            str(out),
            "--report",
            str(out.parent / f"{out.name}-report.json"),
            *args,
        ],
        cwd=cwd,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]


def test_hostile_project_with_prints_and_photos_is_byte_identical_everywhere(tmp_path):
    project, first = hostile_site(with_print=True)  # built in this process
    builds = []
    for k, env in enumerate(ENVS):  # two more, in parallel, each in its own process, folder and setting
        copy = _copy_project(project, tmp_path / f"machine{k}" / "somewhere" / "p")
        (tmp_path / f"cwd{k}").mkdir()
        builds.append((copy, tmp_path / f"machine{k}" / f"site-{k}", env, tmp_path / f"cwd{k}"))
    _finish([_start(p, out, env, cwd) for p, out, env, cwd in builds])
    for _, out, env, _ in builds:
        differ = differences(first, out)
        assert differ == [], f"{', '.join(differ)} differ under {env}"
    assert any(Path(k).suffix == ".pdf" for k in digests(first)) and (first / "photos").is_dir()


def test_demo_is_byte_identical_across_time_zones_and_locales(tmp_path):
    procs = []
    for k, env in enumerate(ENVS):
        copy = tmp_path / f"demo{k}"
        shutil.copytree(
            REPO,
            copy,
            ignore=shutil.ignore_patterns(
                ".git",
                ".takara",
                "test-artifacts",
                "_site",
                "__pycache__",
                ".pytest_cache",
                ".hypothesis",
                "tests",
                "bench",
                ".ruff_cache",
                "gis",
                "site_template",
                "docs",
                "scripts",
            ),
        )
        procs.append(_start(copy, tmp_path / f"site{k}", env, tmp_path, "--no-print"))
    _finish(procs)
    differ = differences(tmp_path / "site0", tmp_path / "site1")
    assert differ == [], ", ".join(differ)
