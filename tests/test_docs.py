"""Docs that are tested: the CLI reference is generated from the parser, every command in the
coordinator's guide runs as written, and the guide lists the messages the report can actually show."""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.test_init import build_fixtures, download_server

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "guide.md"
MESSAGE_MODULES = (
    "validate.py",
    "pipeline.py",
    "records.py",
    "tiers.py",
    "numbering.py",
    "towns.py",
    "photos.py",
    "encoding.py",
    "datafiles.py",
    "limits.py",
    "report.py",
)
# run where `init` made a project (they need its town layer), not in the demo
IN_A_NEW_PROJECT = ("takara init", "takara mirror", "takara template . --tier-towns")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_cli_reference_is_generated_from_the_parser():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_cli_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr + " (run: python scripts/make_cli_docs.py)"


# ------------------------------------------------------------------ the guide's commands


def guide_commands(text: str) -> list[str]:
    """The commands of every ```sh block, in order (comments and blank lines skipped)."""
    commands = []
    for block in re.findall(r"^[ \t]*```sh\n(.*?)^[ \t]*```", text, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _shim(folder: Path) -> dict[str, str]:
    """`takara` on PATH, running this checkout (what `pip install -e .` installs)."""
    folder.mkdir()
    script = folder / "takara"
    script.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(REPO / "build.py"))} "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "CI": "1", "COLUMNS": "100"}


def _copy_demo(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("takara.toml", "layers", "data"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst / name)
    return dst


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _run_serve(command: str, cwd: Path, env: dict[str, str]) -> None:
    """A preview runs until Ctrl-C: start it, wait for its address, press Ctrl-C, expect a clean stop."""
    if "--port" not in command and not _port_free(8000):
        command += (
            " --port 0"  # something else holds 8000 on this machine; the command is otherwise as written
        )
    proc = subprocess.Popen(
        ["/bin/sh", "-c", f"exec {command}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 600
    seen = ""
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
            if "http://127.0.0.1:" in line:
                break
        assert "http://127.0.0.1:" in seen, f"{command}: no address printed; got {seen}"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, (
        f"{command}: exit {proc.returncode}\n{err[-2000:]}"
    )


def _run(command: str, cwd: Path, env: dict[str, str]) -> None:
    if command.startswith("takara serve"):
        _run_serve(command, cwd, env)
        return
    result = subprocess.run(
        ["/bin/sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    # validate exits 1 when it finds errors: the demo has a few broken rows on purpose
    allowed = {0, 1} if command.startswith("takara validate") else {0}
    assert result.returncode in allowed, f"{command}: exit {result.returncode}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, f"{command}:\n{result.stderr[-2000:]}"


def test_every_command_in_the_guide_runs_as_written(tmp_path):
    commands = [
        c for c in guide_commands(GUIDE.read_text(encoding="utf-8")) if not c.startswith(IN_A_NEW_PROJECT)
    ]
    assert len(commands) >= 8
    work = tmp_path / "work"
    demo = _copy_demo(work / "demo")
    env = _shim(tmp_path / "bin")
    for command in commands:
        _run(command, demo, env)
    # what the guide says these commands write
    assert (demo / "記入シート.xlsx").is_file()
    assert (demo / "data" / "records" / "kayoinoba-geocoded.xlsx").is_file()
    assert (work / "宝物マップ_2026年11月版" / "index.html").is_file()
    assert (work / "宝物マップ_2026年11月版" / "print" / "guidebook.pdf").is_file()
    assert (work / "変更点_2027年5月.html").is_file() and (work / "変更点_2027年5月.xlsx").is_file()
    assert (work / "宝物マップ_2026年11月版.zip").is_file()


@pytest.mark.shared
def test_the_guides_init_command_runs_as_written(tmp_path):
    commands = [
        c for c in guide_commands(GUIDE.read_text(encoding="utf-8")) if c.startswith(IN_A_NEW_PROJECT)
    ]
    assert any(c.startswith("takara mirror") for c in commands) and any("--tier-towns" in c for c in commands)
    build_fixtures(tmp_path / "downloads", shared_path("data", "kurashiki"), tmp_path / "fixture-work")
    cwd = tmp_path / "here"
    cwd.mkdir()
    env = _shim(tmp_path / "bin")
    with download_server(tmp_path / "downloads") as (url, requested):
        env["TAKARA_DATA_URL"] = url  # the official hosts, mirrored locally (tests run offline)
        served = 0
        for command in commands:
            in_project = command.startswith("takara template")  # the guide runs it in the new project
            _run(command, cwd / "倉敷市の宝物マップ" if in_project else cwd, env)
            if command.startswith("takara mirror"):
                served = len(requested)
        assert served and len(requested) == served  # init from the carried folder asked no server
    assert (cwd / "倉敷市の宝物マップ" / "takara.toml").is_file()
    assert (cwd / "倉敷市" / "data" / "boundaries" / "towns.geojson").is_file()
    assert (cwd / "倉敷市の宝物マップ" / "data" / "tiers" / "地区社協.xlsx").is_file()


# ------------------------------------------------------------------ the guide's messages


def _text_of(node: ast.AST) -> str | None:
    """A string argument as a message pattern: f-string fields become …"""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return (_text_of(node.left) or "…") + (_text_of(node.right) or "…")
    return None


def report_messages() -> set[str]:
    """The Japanese part of every message the report can show (Issue, RowError, reject, InputError),
    and the reasons a row is withheld (gis.privacy.withhold_reason)."""
    found: set[str] = set()
    for name in MESSAGE_MODULES:
        tree = ast.parse((REPO / "gis" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {
                "Issue": 4,
                "reject": 4,
                "withhold": 3,
                "RowError": 1,
                "InputError": 1,
                "photo_warning": 0,  # gis.photos: an Issue about the row's photo
            }.get(func or "")
            if position is None or len(node.args) <= position:
                continue
            text = _text_of(node.args[position])
            if text and JAPANESE.search(text):
                found.add(text.split(" / ")[0])
    for module, functions in MESSAGE_FUNCTIONS.items():
        tree = ast.parse((REPO / "gis" / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in functions:
                found |= _messages_made_in(node)
    return found


# Functions that compose a report message (the call site passes it on as a value): what they return,
# and the Japanese text they assign to `ja` or hand to LocationDecision.
MESSAGE_FUNCTIONS = {
    "privacy.py": {"withhold_reason", "decide_location", "masking_message", "link_message"},
    "pipeline.py": {"_no_consent_message"},
}


def _messages_made_in(function: ast.FunctionDef) -> set[str]:
    texts: list[ast.AST] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            texts.append(node.value.elts[0] if isinstance(node.value, ast.Tuple) else node.value)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ja" for t in node.targets):
            texts.append(node.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "LocationDecision":
            exact = node.args[0] if node.args else None
            if isinstance(exact, ast.Constant) and exact.value is False:  # area level: a warning
                texts += node.args[2:3]
    out = set()
    for node in texts:
        if isinstance(node, ast.IfExp):
            node = node.body
        text = _text_of(node)
        if text and JAPANESE.search(text):
            out.add(text.split(" / ")[0])
    return out


def _fragments(message: str) -> list[str]:
    return [f.strip() for f in message.split("…") if len(f.strip()) >= 2]


def test_the_guide_explains_every_message_the_report_can_show():
    guide = GUIDE.read_text(encoding="utf-8")
    messages = report_messages()
    assert len(messages) > 30
    missing = sorted(m for m in messages if not all(f in guide for f in _fragments(m)))
    assert not missing, "docs/guide.md (section 13) does not explain: " + "; ".join(missing)


def test_every_message_in_the_guide_still_exists():
    guide = GUIDE.read_text(encoding="utf-8")
    section = guide[guide.index("## 13.") : guide.index("## 14.")]
    listed = re.findall(r"^\| `([^`]+)`", section, flags=re.MULTILINE)
    listed += re.findall(r"^\| `[^`]+` / `([^`]+)`", section, flags=re.MULTILINE)
    messages = report_messages()
    assert len(listed) > 30
    stale = [m for m in listed if not any(all(f in code for f in _fragments(m)) for code in messages)]
    assert not stale, "docs/guide.md lists messages the code no longer has: " + "; ".join(stale)


def test_the_guides_images_exist_and_are_all_used():
    guide = GUIDE.read_text(encoding="utf-8")
    referenced = set(re.findall(r"!\[[^\]]+\]\((img/[^)]+)\)", guide))
    assert referenced, "the guide has screenshots"
    for image in referenced:
        data = (REPO / "docs" / image).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, image
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    in_readme = {m.removeprefix("docs/") for m in re.findall(r"\((docs/img/[^)]+\.png)\)", readme)}
    on_disk = {f"img/{p.name}" for p in (REPO / "docs" / "img").glob("*.png")}
    assert on_disk == referenced | in_readme  # every image is shown somewhere; none is missing
