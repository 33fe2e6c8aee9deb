"""100,000 rows read and validated: `takara validate` on one CSV of N rows, in a fresh process.

Usage: python -m bench.rows [--rows 100000] [--xlsx] [--folder /tmp/takara-rows]

The project is tests/projects.py's small town; its rows are what a coordinator's sheet holds: addresses
to geocode (mixed forms: 丁目 in kanji, full-width digits), schedules, 和暦 and 西暦 dates, consent mixed,
homes, ended activities, and a few broken rows. Prints the rows read, each outcome and the wall time."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TOWNS = ["西南町", "西北町", "東南町", "東北町一丁目", "東北町１丁目", "東北町1丁目"]
SCHEDULES = [
    "毎週水曜日 10:00～12:00",
    "第2・第4火曜 午前10時から",
    "月1回",
    "毎月15日 13:30～15:00",
    "不定期",
]
DATES = ["2026/4/1", "令和7年7月22日", "R6.2.5", "2025-12-01", ""]
CONSENT = ["可", "可", "可", "不可", "", "○"]


def write_project(folder: Path, rows: int, xlsx: bool = False) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.projects import HEADER, make_project, row

    shutil.rmtree(folder, ignore_errors=True)
    project = make_project(folder, [])
    with (project / "data" / "records.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for k in range(rows):
            town = TOWNS[k % len(TOWNS)]
            record = row(
                名称=f"サロン{k}",
                種別="サロン" if k % 3 else "体操",
                所在地=f"和歌山県ミニ町{town}{k % 40 + 1}-{k % 7 + 1}"
                if k % 997
                else "ミニ町どこにもない町1",
                開催日時=SCHEDULES[k % len(SCHEDULES)],
                掲載可否=CONSENT[k % len(CONSENT)],
                会場種別="自宅" if k % 50 == 0 else "集会所",
                状況="終了" if k % 101 == 0 else "活動中",
                最終確認日=DATES[k % len(DATES)],
                連絡先=f"0739-{k % 100:02d}-{k % 10000:04d}",
                連絡先掲載="可" if k % 2 else "",
            )
            writer.writerow([record.get(h, "") for h in HEADER])
    if xlsx:  # the same rows as an Excel workbook, with shared strings as Excel saves them
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "一覧"
        with (project / "data" / "records.csv").open(encoding="utf-8-sig", newline="") as fh:
            for cells in csv.reader(fh):
                sheet.append(cells)
        book.save(project / "data" / "records.xlsx")
        _share_strings(project / "data" / "records.xlsx")
        (project / "data" / "records.csv").unlink()
        toml = project / "takara.toml"
        toml.write_text(
            toml.read_text(encoding="utf-8").replace("records.csv", "records.xlsx"), encoding="utf-8"
        )
    return project


def _share_strings(path: Path) -> None:
    """openpyxl writes every text as an inline string; Excel writes a shared-string table. Rewrite the
    workbook the way Excel saves it, so the figure is the one a coordinator's file gets."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    strings: dict[str, int] = {}

    def shared(m: re.Match) -> str:
        text = m.group(2)
        index = strings.setdefault(text, len(strings))
        return f'<c r="{m.group(1)}" t="s"><v>{index}</v></c>'

    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(
        r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', shared, parts[sheet].decode()
    ).encode()
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)  # already escaped in the sheet XML
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/takara-rows"))
    parser.add_argument("--xlsx", action="store_true", help="the rows as an XLSX workbook instead of CSV")
    args = parser.parse_args(argv)
    project = write_project(args.folder / "project", args.rows, xlsx=args.xlsx)
    report = args.folder / "report.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "validate", str(project), "--report", str(report)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        print(done.stderr, file=sys.stderr)
        return done.returncode
    d = json.loads(report.read_text(encoding="utf-8"))
    keys = ("rows_read", "published", "withheld", "rejected", "skipped")
    print(json.dumps({**{k: d[k] for k in keys}, "seconds": round(seconds, 1)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
