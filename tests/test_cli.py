"""The command line, as a coordinator meets it: exit codes, messages, files written."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gis.cli import DEMO, HANDLERS, main, make_parser
from gis.place import STATUS_ALIASES, VENUE_KINDS
from gis.records import map_headers
from gis.template import COLUMNS, DATA_SHEET, EXAMPLE_SHEET, HELP_SHEET, WEEKDAYS
from gis.validate import FIELD_LABELS
from tests.projects import HEADER, make_project, row

REPO = Path(__file__).resolve().parent.parent


def _run(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The real entry point in a child process: what a coordinator types."""
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def _places(site: Path) -> dict[str, dict]:
    data = json.loads((site / "data" / "places.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["name"]: f for f in data["features"]}


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})


# ------------------------------------------------------------------ help


def test_help_documents_every_command_and_option(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    top = capsys.readouterr().out
    for command in HANDLERS:
        assert command in top
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        for action in p._actions:
            assert action.help, (name, action.dest)  # every argument and option is explained
            for option in action.option_strings:
                assert option in text, (name, option)


# ------------------------------------------------------------------ build / validate


def test_build_writes_the_site_and_the_report(tmp_path, capsys):
    project = make_project(tmp_path / "p", [row(名称="公民館サロン"), row(名称="同意なし", 掲載可否="不可")])
    out = tmp_path / "site"
    report = tmp_path / "private" / "report.json"
    assert main(["build", str(project), "--out", str(out), "--report", str(report), "--no-print"]) == 0
    printed = capsys.readouterr().out
    assert "掲載 1 + 非掲載 1 + エラー 0" in printed and "サイトを書き出しました" in printed
    assert (out / "index.html").is_file() and set(_places(out)) == {"公民館サロン"}
    assert json.loads(report.read_text(encoding="utf-8"))["withheld"] == 1
    assert not (out / "report.json").exists()


def test_build_is_the_default_command_and_strict_fails_on_warnings(tmp_path, capsys):
    project = make_project(tmp_path / "p", [row(名称="会場の種類が独自", 会場種別="お寺")])  # a warning only
    out = tmp_path / "site"
    assert main([str(project), "--out", str(out), "--no-print"]) == 0  # `takara PROJECT --out DIR`
    assert "WARNING" in capsys.readouterr().out
    assert main([str(project), "--out", str(out), "--no-print", "--strict"]) == 1
    assert (out / "index.html").is_file()


def test_build_refuses_an_out_folder_inside_the_project(tmp_path, capsys):
    project = make_project(tmp_path / "p", [row()])
    assert main(["build", str(project), "--out", str(project / "site")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "重なっています" in err


def test_validate_exit_codes_follow_errors_and_strict(tmp_path, capsys):
    clean = make_project(tmp_path / "clean", [row()])
    warned = make_project(tmp_path / "warned", [row(会場種別="お寺")])
    broken = make_project(tmp_path / "broken", [row(), row(名称="種別なし", 種別="")])
    assert main(["validate", str(clean)]) == 0
    assert main(["validate", str(warned)]) == 0
    assert main(["validate", str(warned), "--strict"]) == 1
    assert main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "records.csv 3行目「種別」" in out and "種別が空欄です" in out
    assert (broken / ".takara" / "report.json").is_file()


def test_validate_site_finds_a_withheld_record_planted_in_the_built_site(tmp_path, capsys):
    project = make_project(
        tmp_path / "p", [row(名称="公民館サロン"), row(名称="ひみつの集い", 掲載可否="不可")]
    )
    out = tmp_path / "site"
    assert main(["build", str(project), "--out", str(out), "--no-print"]) == 0
    assert main(["validate", str(project), "--site", str(out)]) == 0
    assert "漏えい検査" in capsys.readouterr().out
    page = out / "places" / "1" / "index.html"
    page.write_text(page.read_text(encoding="utf-8") + "ひみつの集い", encoding="utf-8")
    assert main(["validate", str(project), "--site", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "places/1/index.html" in printed and "records.csv 3行目" in printed


def test_validate_lists_places_not_confirmed_for_long(tmp_path, capsys):
    project = make_project(
        tmp_path / "p",
        [
            row(名称="最近のサロン", 最終確認日="2026/9/1"),
            row(名称="ずっと前の体操", 種別="体操", 最終確認日="令和5年4月1日"),
        ],
    )
    assert main(["validate", str(project)]) == 0
    out = capsys.readouterr().out
    section = out[out.index("長く確認されていない場所") :]
    assert "ずっと前の体操" in section and "2023-04-01" in section and "records.csv 3行目" in section
    assert "最近のサロン" not in section


def test_a_broken_sheet_is_one_line_naming_the_file_without_traceback(tmp_path):
    project = make_project(tmp_path / "p", [], records_name="records.xlsx")
    (project / "data" / "records.xlsx").write_bytes(b"this is not a workbook")
    result = _run("build", str(project), "--out", str(tmp_path / "site"), "--no-print")
    assert result.returncode == 2
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and "records.xlsx" in err[0] and "Excel" in err[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_missing_project_is_one_line(tmp_path):
    result = _run("validate", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "takara.toml" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------ template


def test_template_has_japanese_headers_drop_downs_instructions_and_example(tmp_path, capsys):
    project = make_project(tmp_path / "p", [])
    out = tmp_path / "名簿.xlsx"
    assert main(["template", str(project), "--out", str(out)]) == 0
    assert "template written" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames[:3] == [DATA_SHEET, EXAMPLE_SHEET, HELP_SHEET]
    ws = book[DATA_SHEET]
    headers = [c.value for c in ws[1]]
    assert headers == [FIELD_LABELS[f] for f, *_ in COLUMNS]
    mapped, unknown = map_headers(headers, {})
    assert not unknown and [mapped[i] for i in range(len(headers))] == [
        f for f, *_ in COLUMNS
    ]  # read back as is
    assert ws.freeze_panes == "C2"
    assert ws.column_dimensions["B"].width >= 20  # 名称 is wide enough to read

    lists = book["選択肢"]

    def choices(header: str) -> list[str]:
        letter = ws.cell(row=1, column=headers.index(header) + 1).column_letter
        dv = next(d for d in ws.data_validations.dataValidation if f"{letter}2:" in str(d.sqref))
        ref = dv.formula1.split("!")[1].replace("$", "")
        return [c.value for r in lists[ref] for c in r]

    assert choices("種別") == ["サロン", "体操"]  # the project's categories
    assert choices("掲載可否") == ["可", "不可"] == choices("連絡先掲載")
    assert choices("状況") == ["活動中", "休止中", "終了"]
    assert all(STATUS_ALIASES[s] == s for s in choices("状況"))
    assert choices("会場種別") == list(VENUE_KINDS)
    assert choices("開催日時") == list(WEEKDAYS)

    example = book[EXAMPLE_SHEET]
    assert [c.value for c in example[1]] == headers and example.cell(row=2, column=2).value
    help_text = "\n".join(str(c.value) for r in book[HELP_SHEET].iter_rows() for c in r if c.value)
    assert "掲載可否" in help_text and "可" in help_text and "自宅" in help_text

    assert main(["template", str(project), "--out", str(out)]) == 2  # a filled-in sheet is never replaced
    assert "--force" in capsys.readouterr().err
    assert main(["template", str(project), "--out", str(out), "--force"]) == 0


def test_a_template_filled_in_builds(tmp_path, capsys):
    project = make_project(tmp_path / "p", [], records_name="records.xlsx")
    sheet = project / "data" / "records.xlsx"  # named in takara.toml, not there yet: the template makes it
    assert main(["template", str(project), "--out", str(sheet)]) == 0
    book = load_workbook(sheet)
    ws = book[DATA_SHEET]
    col = {c.value: c.column for c in ws[1]}
    filled = [
        {
            "名称": "西南ふれあいサロン",
            "種別": "サロン",
            "所在地": "ミニ町西南町1-2",
            "掲載可否": "可",
            "状況": "活動中",
            "開催日時": "毎週水曜日 10:00～12:00",
            "会場種別": "集会所",
        },
        {
            "名称": "東の朝体操",
            "種別": "体操",
            "会場": "東の広場",
            "会場種別": "屋外",  # a public venue: shown at its exact point (a blank one is shown by area)
            "緯度": 35.016,
            "経度": 135.014,
            "掲載可否": "可",
            "状況": "休止中",
        },
        {
            "名称": "内緒のお茶会",
            "種別": "サロン",
            "所在地": "ミニ町東南町3",
            "掲載可否": "不可",
            "状況": "活動中",
        },
    ]
    for i, values in enumerate(filled, start=2):
        for header, value in values.items():
            ws.cell(row=i, column=col[header], value=value)
    book.save(sheet)
    out = tmp_path / "site"
    assert main(["build", str(project), "--out", str(out), "--no-print", "--strict"]) == 0
    assert "掲載 2 + 非掲載 1 + エラー 0" in capsys.readouterr().out
    places = _places(out)
    assert set(places) == {"西南ふれあいサロン", "東の朝体操"}
    assert places["東の朝体操"]["properties"]["status"] == "休止中"


# ------------------------------------------------------------------ geocode


def _sheet_with_addresses(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.append(["名前と住所の一覧"])  # a title row above the header
    ws.append(["名称", "種別", "所在地", "緯度", "経度"])
    ws.append(["住所だけ", "サロン", "和歌山県ミニ町東北町一丁目5-6", None, None])
    ws.append(["座標あり", "体操", "ミニ町西南町1", 35.001, 135.001])
    ws.append(["町がない", "サロン", "ミニ町どこにも町9-9", None, None])
    ws["A1"].font = Font(bold=True)
    book.save(path)


def test_geocode_writes_a_copy_with_coordinates_and_match_level(tmp_path, capsys):
    project = make_project(tmp_path / "p", [])
    sheet = project / "data" / "名簿.xlsx"
    _sheet_with_addresses(sheet)
    before = sheet.read_bytes()
    assert main(["geocode", str(sheet)]) == 0  # the project is found from the sheet's folder
    out = capsys.readouterr().out
    assert "名簿.xlsx 5行目「所在地」" in out and "見つからない 1" in out
    assert sheet.read_bytes() == before  # the original is never changed
    copy = load_workbook(project / "data" / "名簿-geocoded.xlsx").active
    rows = {r[0]: r for r in copy.iter_rows(min_row=3, values_only=True)}
    assert copy["A1"].font.bold and [c.value for c in copy[2]] == [
        "名称",
        "種別",
        "所在地",
        "緯度",
        "経度",
        "一致レベル",
    ]
    assert rows["住所だけ"][3:] == (35.015, 135.015, "町丁目")
    assert rows["座標あり"][3:] == (35.001, 135.001, "入力済み")
    assert rows["町がない"][3] is None and rows["町がない"][5].startswith("見つかりません")


def test_geocode_csv_adds_the_missing_columns(tmp_path, capsys):
    project = make_project(tmp_path / "p", [])
    sheet = tmp_path / "list.csv"
    sheet.write_text("名称,所在地\n西の会,ミニ町西北町2\n", encoding="cp932")
    out = tmp_path / "located.csv"
    assert main(["geocode", str(sheet), "--project", str(project), "--out", str(out)]) == 0
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert table == [
        ["名称", "所在地", "緯度", "経度", "一致レベル"],
        ["西の会", "ミニ町西北町2", "35.015", "135.005", "大字"],
    ]


def test_geocode_writes_the_format_its_out_names(tmp_path, capsys):
    """A CSV sheet with --out x.xlsx gives a real workbook (formulas from the sheet stay text), and an
    XLSX sheet with --out x.csv gives CSV."""
    project = make_project(tmp_path / "p", [])
    sheet = tmp_path / "list.csv"
    sheet.write_text('名称,所在地\n"=HYPERLINK(""http://x"")",ミニ町西北町2\n', encoding="utf-8")
    out = tmp_path / "located.xlsx"
    assert main(["geocode", str(sheet), "--project", str(project), "--out", str(out)]) == 0
    book = load_workbook(out)  # fails on CSV text in an .xlsx file
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    assert rows[0] == ["名称", "所在地", "緯度", "経度", "一致レベル"]
    assert rows[1][0] == '\'=HYPERLINK("http://x")' and book.active["A2"].data_type != "f"
    assert rows[1][2:] == [35.015, 135.005, "大字"]

    xlsx = project / "data" / "名簿.xlsx"
    _sheet_with_addresses(xlsx)
    as_csv = tmp_path / "from-xlsx.csv"
    assert main(["geocode", str(xlsx), "--out", str(as_csv)]) == 0
    table = list(csv.reader(io.StringIO(as_csv.read_text(encoding="utf-8-sig"))))
    assert ["名称", "種別", "所在地", "緯度", "経度", "一致レベル"] in table
    assert next(r for r in table if r[0] == "住所だけ")[3:] == ["35.015", "135.015", "町丁目"]
    assert main(["geocode", str(xlsx), "--out", str(tmp_path / "x.pdf")]) == 2
    assert ".xlsx or .csv" in capsys.readouterr().err


def test_geocode_needs_a_project(tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    sheet.write_text("名称,所在地\n西の会,ミニ町西北町2\n", encoding="utf-8")
    assert main(["geocode", str(sheet)]) == 2
    assert "--project" in capsys.readouterr().err


# ------------------------------------------------------------------ diff


def test_diff_between_two_projects(tmp_path, capsys):
    from gis.build import run_pipeline

    old = make_project(
        tmp_path / "old",
        [row(名称="続くサロン"), row(名称="終わる体操", 種別="体操", 所在地="ミニ町東南町1")],
    )
    new = tmp_path / "new"
    shutil.copytree(old, new)
    run_pipeline(old)  # numbers are given once and kept (numbers.json), as a build does
    shutil.copy(old / "data" / "numbers.json", new / "data" / "numbers.json")
    _write_csv(
        new / "data" / "records.csv",
        [
            row(名称="続くサロン", 開催日時="毎週金曜日 13:00～"),
            row(名称="終わる体操", 種別="体操", 所在地="ミニ町東南町1", 状況="終了"),
            row(名称="新しいカフェ", 所在地="ミニ町西北町5"),
        ],
    )
    report = tmp_path / "diff.html"
    assert main(["diff", str(old), str(new), "--out", str(report)]) == 0
    out = capsys.readouterr().out
    assert "新しい場所 1 件・掲載終了 1 件・内容の変更 1 件" in out
    html = report.read_text(encoding="utf-8")
    assert "新しいカフェ" in html and "終わる体操" in html and "毎週金曜日 13:00～" in html


DEMO_RECORDS = "data/records/kayoinoba.xlsx"


def _copy_demo(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("takara.toml", "layers", "data"):
        src = DEMO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst / name)
    return dst


def test_diff_of_two_demo_editions_lists_exactly_the_changes_made(tmp_path, capsys):
    project = _copy_demo(tmp_path / "demo")
    first = tmp_path / "edition1"
    assert main(["build", str(project), "--out", str(first), "--no-print"]) == 0
    published = {f["properties"]["number"]: f for f in _places(first).values()}

    book = load_workbook(project / DEMO_RECORDS)
    ws = book["通いの場一覧"]
    col = {c.value: c.column for c in ws[3]}
    numbers_in_sheet = [ws.cell(r, col["No."]).value for r in range(4, ws.max_row + 1)]
    rows = [
        r
        for r in range(4, ws.max_row + 1)
        if isinstance(ws.cell(r, col["No."]).value, int)
        and ws.cell(r, col["No."]).value in published  # published, and its No. on no other row
        and numbers_in_sheet.count(ws.cell(r, col["No."]).value) == 1
    ]

    def exact_with_point(r: int) -> bool:
        p = published[ws.cell(r, col["No."]).value]["properties"]
        return p["location_precision"] == "exact" and ws.cell(r, col["緯度"]).value not in (None, "")

    changed_row = rows[0]
    moved_row = next(r for r in rows[1:] if exact_with_point(r))
    removed_row = next(r for r in rows if r not in (changed_row, moved_row))
    changed_no, moved_no, removed_no = (
        ws.cell(r, col["No."]).value for r in (changed_row, moved_row, removed_row)
    )
    ws.cell(changed_row, col["開催日時"], "毎月第5日曜日 14:00～16:00 テストで変更")
    ws.cell(moved_row, col["緯度"], float(ws.cell(moved_row, col["緯度"]).value) + 0.004)  # ~440 m north
    new_values = {h: ws.cell(removed_row, c).value for h, c in col.items()}
    for c in col.values():
        ws.cell(removed_row, c).value = None  # the row is emptied: that place has gone
    new_values.update({"No.": None, "名称": "テストで足した体操教室", "掲載可否": "可", "状況": "活動中"})
    last = max(
        r
        for r in range(4, ws.max_row + 1)
        if ws.cell(r, col["名称"]).value and not str(ws.cell(r, col["No."]).value or "").startswith("※")
    )
    ws.insert_rows(last + 1)
    for h, c in col.items():
        ws.cell(last + 1, c).value = new_values[h]
    book.save(project / DEMO_RECORDS)

    second = tmp_path / "edition2"
    assert main(["build", str(project), "--out", str(second), "--no-print"]) == 0
    capsys.readouterr()
    report = tmp_path / "council" / "changes"
    assert main(["diff", str(first), str(second), "--format", "both", "--out", str(report)]) == 0
    assert (tmp_path / "council" / "changes.html").is_file()

    book = load_workbook(tmp_path / "council" / "changes.xlsx")

    def numbers(sheet: str) -> list:
        return [r[0] for r in book[sheet].iter_rows(min_row=2, values_only=True)]

    new_places = list(book["新しい場所"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in new_places] == ["テストで足した体操教室"]
    assert numbers("掲載終了") == [removed_no]
    assert [(r[0], r[2], r[4]) for r in book["変更"].iter_rows(min_row=2, values_only=True)] == [
        (changed_no, "開催日時", "毎月第5日曜日 14:00～16:00 テストで変更")
    ]
    moves = list(book["移動"].iter_rows(min_row=2, values_only=True))
    assert [m[0] for m in moves] == [moved_no] and 400 < moves[0][2] < 480


# ------------------------------------------------------------------ serve


def _read_until(proc: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed in {timeout} s; got: {''.join(lines)}")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode("utf-8")


def _poll(url: str, predicate, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = _get(url)
        if predicate(text):
            return text
        time.sleep(0.3)
    raise AssertionError(f"{url} did not change in {timeout} s")


def test_serve_rebuilds_after_a_record_file_changes_and_keeps_the_last_good_site(tmp_path):
    import threading

    from gis.serve import serve

    project = make_project(tmp_path / "p", [row(名称="はじめのサロン")])
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
        while "http://127.0.0.1:" not in stream.getvalue():
            assert worker.is_alive() and time.monotonic() < deadline, stream.getvalue()
            time.sleep(0.1)
        url = next(w for w in stream.getvalue().split() if w.startswith("http://127.0.0.1:"))
        data = url + "data/places.geojson"
        assert "はじめのサロン" in _get(data)
        time.sleep(1.5)  # the watcher is up

        _write_csv(project / "data" / "records.csv", [row(名称="書き換えたサロン")])
        _poll(data, lambda t: "書き換えたサロン" in t, 60)

        (project / "data" / "records.csv").write_text("壊れた,表\n", encoding="utf-8")  # no header row
        deadline = time.monotonic() + 60
        while "エラー / error" not in stream.getvalue():
            assert time.monotonic() < deadline, stream.getvalue()
            time.sleep(0.2)
        assert "records.csv" in stream.getvalue().split("エラー / error", 1)[1].splitlines()[0]
        assert "書き換えたサロン" in _get(data)  # the last good site is still served
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive() and "preview stopped" in stream.getvalue()
