"""Command line: `takara [build] [PROJECT] --out DIR`, `takara validate`, … (see --help).

Errors the user can fix become one line and a non-zero exit code; tracebacks are for bugs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gis.config import load_project
from gis.errors import TakaraError
from gis.report import Report

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO  # the repository root is the bundled demo map project

COMMANDS = ("build", "validate")


def _project_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default=str(DEMO),
                   help="map project folder (holding takara.toml); default: the bundled demo")


def _report_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--report", type=Path, default=None,
                   help="where to write the JSON report (names withheld rows: keep it private); "
                        "default: PROJECT/.takara/report.json")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="takara",
        description="Takara Map (宝物マップ): build a treasure-map website, printed maps and open data from a "
                    "coordinator's records. Without a command, `build` is run.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("build", help="build the static site into --out (atomically)")
    _project_arg(b)
    b.add_argument("--out", type=Path, required=True, help="output folder for the site (replaced whole)")
    _report_arg(b)
    b.add_argument("--strict", action="store_true", help="fail (exit 1) when there are errors or warnings")
    b.add_argument("--no-print", action="store_true", help="skip the PDFs (faster previews)")
    b.add_argument("--verbose", "-v", action="store_true", help="also list info messages")

    v = sub.add_parser("validate", help="check the records and print the report; writes nothing but the report")
    _project_arg(v)
    _report_arg(v)
    v.add_argument("--strict", action="store_true", help="also fail on warnings")
    v.add_argument("--verbose", "-v", action="store_true", help="also list info messages")
    return parser


def _default_report(project_root: Path, given: Path | None) -> Path:
    return given if given is not None else project_root / ".takara" / "report.json"


def cmd_build(args: argparse.Namespace) -> int:
    from gis import pipeline
    from gis.output import check_out_dir, staged_site
    from gis.site import render_site

    started = time.perf_counter()
    project = load_project(args.project)
    out = check_out_dir(args.out, project.root)
    report = Report()
    for warning in project.warnings:
        print(f"config: {warning}", file=sys.stderr)
    edition = pipeline.run(project, report)
    with staged_site(out) as stage:
        render_site(edition, stage, with_print=not args.no_print)
    report_path = _default_report(project.root, args.report)
    report.write(report_path)
    print(report.summary(verbose=args.verbose))
    print(f"サイトを書き出しました / site written: {out}  ({len(edition.places)} places, "
          f"{time.perf_counter() - started:.1f} s); 報告 / report: {report_path}")
    return _exit_code(report, args.strict)


def cmd_validate(args: argparse.Namespace) -> int:
    from gis import pipeline

    project = load_project(args.project)
    report = Report()
    for warning in project.warnings:
        print(f"config: {warning}", file=sys.stderr)
    pipeline.run(project, report)
    report.write(_default_report(project.root, args.report))
    print(report.summary(verbose=args.verbose))
    sev = report.severities()
    if sev["error"] or (args.strict and sev["warning"]):
        return 1
    return 0


def _exit_code(report: Report, strict: bool) -> int:
    sev = report.severities()
    return 1 if strict and (sev["error"] or sev["warning"]) else 0


HANDLERS = {"build": cmd_build, "validate": cmd_validate}


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
    except KeyboardInterrupt as exc:
        print(f"中断しました。前のサイトはそのままです / interrupted ({exc}); the previous site is untouched",
              file=sys.stderr)
        return 130
