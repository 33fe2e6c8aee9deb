"""Command line: `takara [build] [PROJECT] --out DIR`, `takara validate`, `serve`, `diff`, `template`,
`geocode`, `init`, `mirror` (see --help). This module only parses arguments and dispatches; each command's logic
lives in its own module (gis.build, gis.serve, gis.diff, gis.template, gis.geocode_sheet, gis.init_city).

Errors the user can fix become one line and a non-zero exit code; tracebacks are for bugs."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.errors import TakaraError

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO  # the repository root is the bundled demo map project
DEFAULT_TEMPLATE = "宝物マップ記入シート.xlsx"

EPILOG = """\
examples / 使い方の例:
  takara build --out _site
      build the bundled demo into _site
  takara build mycity --out public --strict
      build a project; fail on errors or warnings (for CI)
  takara validate mycity
      check the records and print the report
  takara serve mycity
      preview at http://127.0.0.1:8000/, rebuilt on every save
  takara diff old_site new_site --format xlsx --out changes.xlsx
      what changed since the last edition, for the council
  takara template mycity --out 名簿.xlsx
      an Excel sheet to fill in
  takara geocode mycity/data/名簿.xlsx
      a copy with 緯度・経度・一致レベル filled in
  takara init --city 33202 --dir kurashiki
      start a project with 倉敷市's real districts
  takara mirror --pref 04 --dir usb/takara-mirror
      download 宮城県's data once, for PCs without internet
  takara init --city 04205 --source-url usb/takara-mirror
      start 気仙沼市's project from that folder, offline
  takara template mycity --tier-towns --out 町名と区域.xlsx
      every town of the city, to group into 地区社協 or 自治会 areas

`python build.py …` is the same as `takara …`. Exit codes: 0 success; 1 --strict (or validate) found
problems; 2 a problem to fix (the one-line message names the file, row and column); 130 interrupted."""


def _project_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "project",
        nargs="?",
        default=str(DEMO),
        help="map project folder (holding takara.toml); default: the bundled demo",
    )


def _report_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        help="where to write the JSON report (names withheld rows: keep it private); "
        "default: PROJECT/.takara/report.json",
    )


def make_parser() -> argparse.ArgumentParser:
    """The whole command line; each command's arguments are added by its own function below, in the
    order --help lists them."""
    parser = argparse.ArgumentParser(
        prog="takara",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
        description="Takara Map (宝物マップ): build a treasure-map website, printed maps and open data from a "
        "coordinator's records. Without a command, `build` is run.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in (
        _add_build,
        _add_validate,
        _add_serve,
        _add_diff,
        _add_template,
        _add_geocode,
        _add_init,
        _add_mirror,
    ):
        add_command(sub)
    return parser


def _add_build(sub: Subcommands) -> None:
    p = sub.add_parser(
        "build",
        help="build the static site into --out (atomically)",
        description="Read, check, geocode and place every record, then write the site, printed "
        "maps and open data into --out. The folder is replaced only when the build "
        "is complete; a failed build leaves the previous site untouched.",
    )
    _project_arg(p)
    p.add_argument("--out", type=Path, required=True, help="output folder for the site (replaced whole)")
    _report_arg(p)
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when there are errors or warnings")
    p.add_argument("--no-print", action="store_true", help="skip the PDFs (faster previews)")
    p.add_argument("--verbose", "-v", action="store_true", help="also list info messages")


def _add_validate(sub: Subcommands) -> None:
    p = sub.add_parser(
        "validate",
        help="check the records and print the report; writes nothing but the report",
        description="Check every record and print the report: totals, each error and warning "
        "with file, row and column, and the places not confirmed for a long time "
        "(「長く確認されていない場所」). Exit 1 when there are errors.",
    )
    _project_arg(p)
    _report_arg(p)
    p.add_argument("--strict", action="store_true", help="also fail on warnings")
    p.add_argument(
        "--site",
        type=Path,
        default=None,
        metavar="DIR",
        help="also scan a built site for leaks: withheld records, unconsented phones, home addresses "
        "and points, GPS in images (exit 1 on any)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="also list info messages")


def _add_serve(sub: Subcommands) -> None:
    p = sub.add_parser(
        "serve",
        help="preview the site locally; rebuilt whenever data, layers or templates change",
        description="Build the project, serve it at http://127.0.0.1:PORT/ and rebuild when "
        "takara.toml, layers/, data/, a record or boundary file, or site_template/ "
        "changes. A failed rebuild prints its error and keeps the last good site. "
        "The printed maps (PDFs) are made only with --print. Ctrl-C stops.",
    )
    _project_arg(p)
    p.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 = any free port)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the preview site (default: a temporary folder, removed on exit)",
    )
    p.add_argument(
        "--print",
        action="store_true",
        help="also make the printed maps (PDFs) on every rebuild (slower; off by default so a "
        "preview is quick)",
    )
    p.add_argument(
        "--host",
        default=None,
        metavar="NAME",
        help="also answer requests addressed to this host name (the preview still listens on "
        "127.0.0.1 only; localhost, 127.0.0.1 and [::1] are always accepted, any other name is refused)",
    )
    _report_arg(p)


def _add_diff(sub: Subcommands) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two editions (new, ended, changed, moved places)",
        description="Compare two editions: OLD and NEW are each a built site folder (with "
        "data/places.geojson), a places.geojson file, or a map project folder. "
        "Places are matched by their 一覧表No. Lists new places, places no longer "
        "published, changed fields and places moved more than --moved-m metres, as "
        "a printable HTML report and/or an XLSX workbook for the council.",
    )
    p.add_argument("old", help="the earlier edition (site folder, places.geojson or project folder)")
    p.add_argument("new", help="the later edition")
    p.add_argument(
        "--format",
        choices=("html", "xlsx", "both"),
        default="html",
        help="report format (default html; both = .html and .xlsx)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report file (default: takara-diff.html / .xlsx in the current folder)",
    )
    p.add_argument(
        "--moved-m",
        type=float,
        default=100.0,
        help="report places moved more than this (metres, default 100)",
    )


def _add_template(sub: Subcommands) -> None:
    p = sub.add_parser(
        "template",
        help="write an Excel (XLSX) template for the coordinator's records",
        description="Write an XLSX sheet to fill in: Japanese headers that Takara Map reads as "
        "they are, drop-down lists for category (the project's), weekday, consent "
        "(可/不可), status (活動中/休止中/終了) and venue kind, an example row, an "
        "instructions sheet, a frozen header.",
    )
    _project_arg(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_TEMPLATE),
        help=f"where to write the template (default: {DEFAULT_TEMPLATE} in the current folder)",
    )
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.add_argument(
        "--tier-towns",
        nargs="?",
        const="",
        default=None,
        metavar="TIER",
        help="instead: the town list sheet — every town of the city (the project's [towns]) with an empty "
        "area column to fill in (a drop-down of the areas once named); with TIER, that tier's areas are "
        "filled in from its current list (default --out: 町名と区域.xlsx)",
    )


def _add_geocode(sub: Subcommands) -> None:
    p = sub.add_parser(
        "geocode",
        help="write a copy of a sheet with 緯度, 経度 and 一致レベル filled in",
        description="Locate the rows of SHEET (XLSX or CSV) that have an address but no "
        "coordinates, with the project's gazetteer (and GSI with --online), and "
        "write a copy with 緯度, 経度 and 一致レベル (番地/町丁目/大字, or why not "
        "found). Check the points on a map before publishing. SHEET is never changed.",
    )
    p.add_argument("sheet", type=Path, help="the records sheet (.xlsx or .csv)")
    p.add_argument(
        "--project",
        default=None,
        help="map project whose gazetteer to use (default: the project folder holding SHEET)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="where to write the copy (default: SHEET-geocoded.xlsx)"
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="also ask the GSI address search (internet) for what the gazetteer cannot place; "
        "answers are cached",
    )


def _add_init(sub: Subcommands) -> None:
    p = sub.add_parser(
        "init",
        help="start a map project with a real city's boundaries and town list",
        description="Create a map project for a municipality: its boundary (国土数値情報 N03), "
        "junior-high-school districts (A32), optionally elementary districts (A27), "
        "its 町丁・字 (e-Stat 小地域, 2020 census) as the town layer and a tier, and the "
        "town gazetteer (Geolonia 住所データ), filtered to the city, with their "
        "attribution in takara.toml. Downloads from the official hosts, or takes "
        "everything from a mirror (--source-url: a folder made by `takara mirror`, "
        "file:// or http(s)://). Every download is checked and every path kept inside "
        "the project; when anything fails nothing is created.",
    )
    p.add_argument("--city", required=True, help="municipality code, 5 digits (e.g. 33202 for 倉敷市)")
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="folder to create (default: ./takara-CODE); must not exist or be empty",
    )
    p.add_argument("--elementary", action="store_true", help="add elementary-school districts (A27) as 第3層")
    p.add_argument(
        "--source-url",
        default=None,
        metavar="FOLDER_OR_URL",
        help="take every file from this mirror instead of the official hosts: a folder made by "
        "`takara mirror` (e.g. on a USB stick; no internet needed), a file:// URL or an http(s):// "
        "server with the same layout; also settable as the environment variable TAKARA_DATA_URL",
    )


def _add_mirror(sub: Subcommands) -> None:
    p = sub.add_parser(
        "mirror",
        help="download a prefecture's public data once, for init on PCs without internet",
        description="On a PC with internet: download one prefecture's files — 行政区域 N03, 中学校区 "
        "A32, 小学校区 A27, the 町丁・字 boundaries of every municipality (e-Stat 小地域) and the town "
        "gazetteer — into FOLDER, in the mirror layout (docs/guide.md), with SHA-256 sums in "
        "takara-mirror.json. Carry the folder to the office PC and run `takara init --city CODE "
        "--source-url FOLDER` there.",
    )
    p.add_argument("--pref", required=True, help="prefecture code, 2 digits (e.g. 04 for 宮城県)")
    p.add_argument("--dir", type=Path, required=True, help="folder to download into (made if missing)")
    p.add_argument(
        "--source-url",
        default=None,
        metavar="FOLDER_OR_URL",
        help="copy from another mirror instead of the official hosts (also TAKARA_DATA_URL)",
    )


def _progress() -> Any:
    from gis.progress import make_progress

    return make_progress() or nullcontext()


def _callback(bar: Any) -> Any:
    from gis.progress import quiet

    return bar if callable(bar) else quiet


def _print_config_warnings(project_dir: str) -> None:
    from gis.config import load_project

    for warning in load_project(project_dir).warnings:
        print(f"config: {warning}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from gis.build import build_site, exit_code, stale_section

    _print_config_warnings(args.project)
    with _progress() as bar:
        result = build_site(
            args.project, args.out, args.report, with_print=not args.no_print, progress=_callback(bar)
        )
    print(result.report.summary(verbose=args.verbose))
    stale = stale_section(result.edition)
    if stale:
        print(stale)
    print(
        f"サイトを書き出しました / site written: {result.out}  ({len(result.edition.places)} places, "
        f"{result.seconds:.1f} s); 報告 / report: {result.report_path}"
    )
    return exit_code(result.report, args.strict)


def cmd_validate(args: argparse.Namespace) -> int:
    from gis.build import stale_section, validate_exit_code, validate_project

    _print_config_warnings(args.project)
    with _progress() as bar:
        result = validate_project(args.project, args.report, progress=_callback(bar))
    print(result.report.summary(verbose=args.verbose))
    stale = stale_section(result.edition)
    if stale:
        print(stale)
    print(f"報告 / report: {result.report_path}")
    code = validate_exit_code(result.report, args.strict)
    if args.site is not None:
        from gis.leaks import scan_project_site

        scan = scan_project_site(args.project, args.site)
        leaks = scan.lines()
        for line in leaks + scan.note_lines():
            print(line)
        print(
            f"漏えい検査 / leak scan of {args.site}: {len(leaks)} 件 / found"
            + (f"（偶然の一致の注記 {len(scan.notes)} 件 / notes）" if scan.notes else "")
        )
        code = code or (1 if leaks else 0)
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    from gis.serve import serve

    _print_config_warnings(args.project)
    return serve(
        args.project,
        out=args.out,
        port=args.port,
        with_print=args.print,
        report_path=args.report,
        host=args.host,
    )


def cmd_diff(args: argparse.Namespace) -> int:
    from gis.diff import diff_editions, write_html, write_xlsx

    diff = diff_editions(args.old, args.new, moved_m=args.moved_m)
    base = args.out if args.out is not None else Path("takara-diff.html")
    written = []
    if args.format in ("html", "both"):
        written.append(write_html(diff, base if args.format == "html" else base.with_suffix(".html")))
    if args.format in ("xlsx", "both"):
        written.append(
            write_xlsx(diff, base if args.format == "xlsx" and args.out else base.with_suffix(".xlsx"))
        )
    print(diff.summary())
    for path in written:
        print(f"書き出しました / written: {path}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from gis.template import project_for_template, write_template

    if args.tier_towns is not None:
        from gis.config import load_project
        from gis.template import TOWN_SHEET_NAME, write_town_sheet

        out = args.out if args.out != Path(DEFAULT_TEMPLATE) else Path(TOWN_SHEET_NAME)
        path, towns = write_town_sheet(out, load_project(args.project), args.tier_towns, overwrite=args.force)
        print(f"町名と区域の表を書き出しました（{towns} 町） / town list sheet written: {path}")
        return 0
    path = write_template(args.out, project_for_template(args.project), overwrite=args.force)
    print(f"記入用のシートを書き出しました / template written: {path}")
    return 0


def _project_for_sheet(sheet: Path, given: str | None) -> Any:
    from gis.config import CONFIG_NAME, load_project

    if given is not None:
        return load_project(given)
    for folder in sheet.resolve().parents:
        if (folder / CONFIG_NAME).is_file():
            return load_project(folder)
    raise TakaraError(
        f"{sheet}: 地図プロジェクト（takara.toml）が見つかりません。--project で指定してください / "
        "no map project holds this sheet: give --project"
    )


def cmd_geocode(args: argparse.Namespace) -> int:
    from gis.geocode_sheet import geocode_sheet

    project = _project_for_sheet(args.sheet, args.project)
    with _progress() as bar:
        result = geocode_sheet(args.sheet, project, args.out, online=args.online, progress=_callback(bar))
    levels = "・".join(f"{level} {n}" for level, n in result.levels.items())
    print(
        f"{result.rows} 行: 位置を入れた {result.filled}（{levels or 'なし'}）・入力済み {result.given}・"
        f"見つからない {len(result.missed)} (rows {result.rows}: located {result.filled}, already given "
        f"{result.given}, not found {len(result.missed)})"
    )
    for row, reason in result.missed:
        print(f"  {args.sheet.name} {row}行目「所在地」: 場所を特定できません / not located — {reason}")
    print(
        f"書き出しました / written: {result.out}  — 地図で位置を確かめてから使ってください / check the points "
        "on a map before publishing"
    )
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from gis.init_city import init_city

    with _progress() as bar:
        target, info = init_city(
            args.city,
            args.dir,
            elementary=args.elementary,
            source_url=args.source_url,
            progress=_callback(bar),
        )
    tiers = f"中学校区 {info.districts}" + (f"・小学校区 {info.elementary}" if args.elementary else "")
    tiers += f"・町丁・字 {info.town_areas}" if info.town_areas else ""
    print(f"{info.pref}{info.name} の地図プロジェクトを作りました / project created: {target}")
    print(f"  区域 / areas: {tiers}; 町名 / towns: {info.towns}")
    for note in info.notes:
        print(f"  注意 / note: {note}")
    print(
        f"  次に / next: {target / 'data' / 'records.xlsx'} に記入して、"
        f"`python build.py serve {target}` で確かめます / fill in the sheet, then preview"
    )
    return 0


def cmd_mirror(args: argparse.Namespace) -> int:
    from gis.mirror import mirror_prefecture

    with _progress() as bar:
        result = mirror_prefecture(args.pref, args.dir, args.source_url, progress=_callback(bar))
    print(
        f"{result.pref}のデータを {len(result.files)} ファイル保存しました / mirror written: {result.folder}"
    )
    for path in result.skipped:
        print(f"  なし / not available: {path}")
    print(
        f"  次に / next: このフォルダをインターネットのない PC に運び、`takara init --city 市区町村コード "
        f"--source-url {result.folder}` を実行します / carry the folder, then run init with --source-url"
    )
    return 0


HANDLERS = {
    "build": cmd_build,
    "validate": cmd_validate,
    "serve": cmd_serve,
    "diff": cmd_diff,
    "template": cmd_template,
    "geocode": cmd_geocode,
    "init": cmd_init,
    "mirror": cmd_mirror,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `takara PROJECT --out DIR` and `takara --out DIR` mean `takara build …`.
    if not argv or (argv[0] not in HANDLERS and argv[0] not in ("-h", "--help")):
        argv = ["build", *argv]
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except TakaraError as exc:
        print(f"エラー / error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a file the user named cannot be read or written: their problem, not a bug
        where = exc.filename or ""
        print(f"エラー / error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(
            f"中断しました。前のサイトはそのままです / interrupted ({exc}); the previous site is untouched",
            file=sys.stderr,
        )
        return 143 if "SIGTERM" in str(exc) else 130
