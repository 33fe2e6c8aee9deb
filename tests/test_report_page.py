"""`serve` shows the coordinators' report as a page at a local-only address that is never written into the
site: each row's outcome and why, each privacy decision, each masked text, the column mapping."""

from __future__ import annotations

import csv
import io
import threading
import time
import urllib.request

from gis.report import Report, render_coordinator_page
from gis.serve import REPORT_PATH
from tests.projects import HEADER, make_project, row


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode("utf-8")


def test_serve_shows_the_report_page_and_never_writes_it_into_the_site(tmp_path):
    from gis.serve import serve

    rows = [
        row(名称="公民館の体操", 会場="西南公民館", 会場種別="公民館"),
        row(名称="縁側サロン", 会場="山田さん宅", 会場種別="", 所在地="和歌山県ミニ町西北町3-21-7"),
        row(名称="ないしょの茶話会", 掲載可否="不可"),
        row(名称="電話を書いた会", 活動内容="申込は090-1234-5678へ"),
    ]
    project = make_project(tmp_path / "p", rows)
    records = project / "data" / "records.csv"
    with records.open("w", encoding="utf-8-sig", newline="") as fh:  # one column the aliases do not know
        w = csv.DictWriter(fh, fieldnames=[*HEADER, "写真OKか（公開）"], extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**{k: r.get(k, "") for k in HEADER}, "写真OKか（公開）": "○"})
    stream, stop = io.StringIO(), threading.Event()
    site = tmp_path / "preview"
    worker = threading.Thread(
        target=serve,
        kwargs={"project_dir": project, "out": site, "port": 0, "stream": stream, "stop_event": stop},
        daemon=True,
    )
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while REPORT_PATH not in stream.getvalue():
            assert worker.is_alive() and time.monotonic() < deadline, stream.getvalue()
            time.sleep(0.1)
        url = next(w for w in stream.getvalue().split() if w.endswith(REPORT_PATH))
        assert url.startswith("http://127.0.0.1:")
        page = _get(url)
    finally:
        stop.set()
        worker.join(timeout=30)
    # each row's outcome and why
    assert "ないしょの茶話会" in page and "掲載不可（同意なし）" in page
    # each privacy decision
    assert "公民館の体操" in page and "会場種別「公共施設」は公開の会場です" in page
    assert "縁側サロン" in page and "個人宅とみられる記載（「山田さん宅」）" in page
    # each masked text
    assert "電話番号" in page and "090-1234-5678" in page
    # the column mapping, the unused column and its ready line
    assert "写真OKか(公開)" in page and "&#34;写真OKか(公開)&#34; = &#34;photo_consent&#34;" in page
    # never written into the site
    for f in site.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".json", ".csv", ".js"):
            text = f.read_text(encoding="utf-8", errors="ignore")
            assert "ないしょの茶話会" not in text and "_takara" not in text, f


def test_the_report_page_escapes_record_text():
    report = Report()
    report.withhold("r.csv", 2, "<script>alert(1)</script>", "理由", "why")
    page = render_coordinator_page(report, "127.0.0.1")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
