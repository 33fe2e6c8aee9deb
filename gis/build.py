"""The `build` and `validate` commands: run the pipeline, write the site atomically, write the report.

`serve` rebuilds through the same `build_site`, so a preview is exactly what `build` publishes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gis.config import Project, load_project
from gis.edition import Edition
from gis.progress import Progress, quiet
from gis.report import Report


@dataclass
class BuildResult:
    project: Project
    edition: Edition
    report: Report
    report_path: Path
    out: Path | None
    seconds: float


def default_report_path(project_root: Path, given: Path | None) -> Path:
    """The JSON report names withheld records, so by default it stays inside the project (.takara/)."""
    return given if given is not None else project_root / ".takara" / "report.json"


def run_pipeline(
    project_dir: str | Path, progress: Progress = quiet, save_numbers: bool = True, keep_private: bool = False
) -> tuple[Project, Edition]:
    from gis import pipeline

    project = load_project(project_dir)
    edition = pipeline.run(project, Report(), progress, keep_private=keep_private, save_numbers=save_numbers)
    return project, edition


def validate_project(
    project_dir: str | Path,
    report_path: Path | None = None,
    progress: Progress = quiet,
    keep_private: bool = False,
) -> BuildResult:
    """Read, check, geocode and place every record; write only the JSON report. keep_private keeps what
    the leak scanner needs on the edition (`validate --site`), so the records are read once."""
    started = time.perf_counter()
    project, edition = run_pipeline(project_dir, progress, save_numbers=False, keep_private=keep_private)
    path = default_report_path(project.root, report_path)
    edition.report.write(path)
    return BuildResult(project, edition, edition.report, path, None, time.perf_counter() - started)


def build_site(
    project_dir: str | Path,
    out: Path,
    report_path: Path | None = None,
    with_print: bool = True,
    progress: Progress = quiet,
) -> BuildResult:
    """Run the pipeline and swap the finished site into `out`; on any failure `out` is left as it was."""
    from gis.output import check_out_dir, check_report_path, staged_site
    from gis.publish import publish_site

    started = time.perf_counter()
    project = load_project(project_dir)
    out = check_out_dir(Path(out), project.root)
    path = default_report_path(project.root, report_path)
    check_report_path(path, out)  # the report names withheld records: never inside the published folder
    from gis import pipeline

    edition = pipeline.run(project, Report(), progress)
    previous = out if (out / ".takara-site").is_file() else None  # the site being replaced: pages kept
    with staged_site(out) as stage:
        publish_site(edition, stage, with_print=with_print, progress=progress, previous=previous)
        edition.report.write(path)  # every write that can fail happens before the swap
    return BuildResult(project, edition, edition.report, path, out, time.perf_counter() - started)


def stale_section(edition: Edition) -> str:
    """「長く確認されていない場所」: published places whose last confirmation is older than stale_months,
    with No., name, date and where the row is, so the coordinator can go and ask. '' when there are none."""
    stale = [p for p in edition.places if p.stale]
    if not stale:
        return ""
    months = edition.project.build.stale_months
    where = {number: f"{source} {row}行目" for number, (source, row) in edition.sources.items()}
    lines = [
        (
            f"長く確認されていない場所 (not confirmed for over {months} months): {len(stale)} 件 — "
            "活動が続いているか確かめて、最終確認日を更新してください / check they still meet and update the date"
        )
    ]
    for p in sorted(stale, key=lambda q: (str(q.confirmed), q.number)):
        confirmed = p.confirmed.isoformat() if p.confirmed else "?"
        lines.append(
            f"  No.{p.number} {p.name}（最終確認 {confirmed}、{p.status}） — {where.get(p.number, '')}"
        )
    return "\n".join(lines)


def exit_code(report: Report, strict: bool) -> int:
    """Errors reject rows but still build; --strict turns errors and warnings into a failed run."""
    sev = report.severities()
    return 1 if strict and (sev["error"] or sev["warning"]) else 0


def validate_exit_code(report: Report, strict: bool) -> int:
    sev = report.severities()
    return 1 if sev["error"] or (strict and sev["warning"]) else 0
