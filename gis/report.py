"""The accounting: every input row ends as published, withheld (with why), rejected (file, row, field,
why) or skipped (a note under the table, such as ※ or 備考 lines, with its row and text).

The report names withheld records, so it is written outside the published folder and never rendered
into the site. rows_read = published + withheld + rejected + skipped, always.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gis.textsafe import one_line

PUBLISHED, WITHHELD, REJECTED, SKIPPED = "published", "withheld", "rejected", "skipped"
OUTCOME_JA = {
    PUBLISHED: "掲載",
    WITHHELD: "非掲載（意図的）",
    REJECTED: "エラーで除外",
    SKIPPED: "注記として読み飛ばし",
}


@dataclass
class Issue:
    severity: str  # error / warning / info
    source: str
    row: int | None
    field: str
    message: str  # plain Japanese
    message_en: str
    name: str = ""

    def line(self) -> str:
        where = (
            self.source
            + (f" {self.row}行目" if self.row else "")
            + (f"「{self.field}」" if self.field else "")
        )
        who = f" [{self.name}]" if self.name else ""
        return one_line(f"{self.severity.upper():7} {where}{who}: {self.message} / {self.message_en}")


@dataclass
class RowOutcome:
    source: str
    row: int
    name: str
    outcome: str
    reason: str = ""
    field: str = ""
    number: int | None = None
    id: str = ""


@dataclass
class Report:
    rows: list[RowOutcome] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)  # coordinators-only figures (e.g. withheld counts)
    columns: list[dict] = field(default_factory=list)  # per record file: mapping, unused columns, proposals
    decisions: list[dict] = field(default_factory=list)  # per published place: exact or area level, and why

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def reject(self, source: str, row: int, name: str, fieldname: str, ja: str, en: str) -> None:
        self.rows.append(RowOutcome(source, row, name, REJECTED, f"{ja} / {en}", fieldname))
        self.issues.append(Issue("error", source, row, fieldname, ja, en, name))

    def withhold(self, source: str, row: int, name: str, ja: str, en: str, number: int | None = None) -> None:
        self.rows.append(RowOutcome(source, row, name, WITHHELD, f"{ja} / {en}", number=number))

    def skip(self, source: str, row: int, text: str) -> None:
        """A row read as a note (※, 注, 備考 …): not a record, but listed so that nothing vanishes unseen."""
        self.rows.append(
            RowOutcome(
                source,
                row,
                text,
                SKIPPED,
                "注記の行として読み飛ばしました。場所の記録なら、名称以外の列も入れてください / "
                "read as a note, not a record: if it is a place, fill in its other columns",
            )
        )
        self.issues.append(
            Issue(
                "info",
                source,
                row,
                "",
                "注記の行として読み飛ばしました（場所の記録なら名称以外の列も入れてください）",
                "read as a note, not a record (if it is a place, fill in its other columns)",
                text,
            )
        )

    def publish(self, source: str, row: int, name: str, number: int, place_id: str) -> None:
        self.rows.append(RowOutcome(source, row, name, PUBLISHED, number=number, id=place_id))

    def counts(self) -> Counter:
        return Counter(r.outcome for r in self.rows)

    def severities(self) -> Counter:
        return Counter(i.severity for i in self.issues)

    def to_dict(self) -> dict:
        counts = self.counts()
        rows = sorted(self.rows, key=lambda r: (r.source, r.row))
        return {
            "rows_read": len(self.rows),
            "published": counts[PUBLISHED],
            "withheld": counts[WITHHELD],
            "rejected": counts[REJECTED],
            "skipped": counts[SKIPPED],
            "errors": self.severities()["error"],
            "warnings": self.severities()["warning"],
            "rows": [asdict(r) for r in rows],
            "issues": [asdict(i) for i in self.issues],
            "notes": self.notes,
            "stats": self.stats,
            "columns": self.columns,
            "decisions": self.decisions,
        }

    def write(self, path: Path) -> None:
        from gis.output import write_atomic

        write_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")

    def summary(self, verbose: bool = False) -> str:
        """What the CLI prints: totals, then every error and warning line (info only when verbose)."""
        c = self.counts()
        sev = self.severities()
        lines = [
            (
                f"読み込んだ行 {len(self.rows)} = 掲載 {c[PUBLISHED]} + 非掲載 {c[WITHHELD]} + エラー {c[REJECTED]}"
                + (f" + 注記 {c[SKIPPED]}" if c[SKIPPED] else "")
                + f"   (rows read {len(self.rows)} = published {c[PUBLISHED]} + withheld {c[WITHHELD]} + "
                f"rejected {c[REJECTED]}" + (f" + skipped {c[SKIPPED]}" if c[SKIPPED] else "") + ")"
            ),
            f"エラー {sev['error']} 件・注意 {sev['warning']} 件 (errors {sev['error']}, warnings {sev['warning']})",
        ]
        shown = [i for i in self.issues if verbose or i.severity != "info"]
        lines += ["  " + i.line() for i in sorted(shown, key=lambda i: (i.source, i.row or 0))]
        withheld = [r for r in self.rows if r.outcome == WITHHELD]
        if withheld:
            reasons = Counter(r.reason for r in withheld)
            lines.append(
                "非掲載の理由 (withheld, by reason): "
                + "; ".join(f"{k} ×{v}" for k, v in reasons.most_common())
            )
        lines += [f"  note: {one_line(n)}" for n in self.notes]
        return "\n".join(lines)


COORDINATOR_TEMPLATE = Path(__file__).resolve().parent.parent / "site_template" / "coordinator"


def render_coordinator_page(report: Report | None, host: str) -> str:
    """The report as a page for the coordinator (`serve` shows it at a local-only address; it is never
    written into the site): each row's outcome, each privacy decision, each masked text, the columns."""
    import jinja2

    from gis.privacy import MASK_WORDS

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(COORDINATOR_TEMPLATE)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html").render(
        report=report.to_dict() if report is not None else None,
        host=host,
        outcome_ja=OUTCOME_JA,
        mask_ja={k: v[0] for k, v in MASK_WORDS.items()},
    )
