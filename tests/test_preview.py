"""The preview (`serve`) holds unpublished work: it serves only a folder the build accepts, answers only
requests addressed to this machine (no DNS rebinding), and removes its temporary folder however it is
stopped (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gis.cli import main
from gis.serve import host_name, make_server
from tests.projects import make_project, row

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "where", ["the project folder", "the root of the disk", "a folder holding the project"]
)
def test_serve_refuses_a_folder_the_build_refuses_and_serves_nothing(tmp_path, capsys, where):
    project = make_project(tmp_path / "city" / "p", [row()])
    out = {
        "the project folder": project,
        "the root of the disk": Path("/"),
        "a folder holding the project": tmp_path,
    }[where]
    code = main(["serve", str(project), "--out", str(out), "--port", "0"])
    captured = capsys.readouterr()
    assert code == 2 and ("--out may not be" in captured.err or "not made by Takara Map" in captured.err)
    assert "preview:" not in captured.out and captured.err.count("\n") == 1, captured


def _get(port: int, host: str, path: str = "/") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    return response.status, response.read()


@pytest.fixture
def preview(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>プレビュー</p>", encoding="utf-8")
    servers = []

    def start(host: str | None = None) -> int:
        server = make_server(site, 0, host)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_preview_answers_requests_addressed_to_this_machine(preview, host):
    port = preview()
    for value in (host, f"{host}:{port}"):
        status, body = _get(port, value)
        assert status == 200 and "プレビュー" in body.decode(), value


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "", "[::1].x"]
)
def test_a_request_for_another_host_name_is_refused_dns_rebinding(preview, host):
    port = preview()
    status, body = _get(port, host)
    assert status == 421 and "プレビュー" not in body.decode(errors="replace")


def test_an_explicit_host_is_also_accepted(preview):
    port = preview("mybox.local")
    assert _get(port, "mybox.local:1234")[0] == 200
    assert _get(port, "otherbox.local")[0] == 421


def test_host_names_are_read_without_their_port():
    assert host_name("127.0.0.1:8000") == "127.0.0.1"
    assert host_name("[::1]:80") == "[::1]"
    assert host_name("Example.ORG") == "example.org"
    assert host_name(None) == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_preview_removes_its_temporary_folder_when_stopped(tmp_path, sig):
    project = make_project(tmp_path / "p", [row()])
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)},
    )
    folder = None
    deadline = time.monotonic() + 120
    lines = []
    while folder is None:
        line = proc.stdout.readline()
        assert line and time.monotonic() < deadline, "".join(lines) + proc.stderr.read()
        lines.append(line)
        if "site folder:" in line:
            folder = Path(line.split("site folder:", 1)[1].strip())
    assert folder.is_dir() and (folder / "index.html").is_file()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err[-1500:]
    assert "preview stopped" in out
    assert not folder.exists()
    assert not [
        p.name for p in tmp_path.iterdir() if p.name.startswith((".takara-preview", "takara-preview"))
    ]
