"""`build.py` with a stopwatch: runs Takara Map's own command line (gis.cli.main, exactly what build.py
runs) in this process and writes how long each stage took, so the benchmark can say where the time
goes. `--skip MODULE` leaves out an output stage (gis.export, gis.insight or gis.printing)
(gis.insight, gis.export, gis.printing): the benchmark uses it only as a fallback, when the whole
build does not finish in time, to still measure the website — and says so in the results.

Usage: python -m bench.takara_build --stages-json FILE [--skip gis.insight,gis.export] -- PROJECT --out DIR --no-print
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.util
import io
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (module, function): the stages of a build, top to bottom.
STAGES = [
    ("gis.config", "load_project"),
    ("gis.pipeline", "read_all"),
    ("gis.pipeline", "load_all_boundaries"),
    ("gis.pipeline", "validate_rows"),
    ("gis.pipeline", "geocode"),
    ("gis.pipeline", "assign_tiers"),
    ("gis.pipeline", "assign_numbers"),
    ("gis.pipeline", "parse_schedule"),
    ("gis.pipeline", "to_public"),
    ("gis.publish", "SiteModel"),
    ("gis.publish", "copy_assets"),
    ("gis.publish", "write_photos"),
    ("gis.publish", "write_data"),
    ("gis.publish", "write_pages"),
    ("gis.publish", "write_exports"),
    ("gis.publish", "write_stats"),
    ("gis.publish", "write_prints"),
    ("gis.output", "staged_site"),
    ("gis.report", "Report.write"),
]


def _wrap(times: dict[str, float], module: str, name: str) -> None:
    if importlib.util.find_spec(module) is None:
        return
    mod = importlib.import_module(module)
    owner: Any = mod
    attr = name
    if "." in name:
        cls, attr = name.split(".")
        owner = getattr(mod, cls, None)
    if owner is None or not hasattr(owner, attr):
        return
    original = getattr(owner, attr)
    label = f"{module}.{name}"
    if isinstance(original, type) or not callable(original):
        if isinstance(original, type):  # a class: time its construction

            def make(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return original(*a, **k)
                finally:
                    times[label] = times.get(label, 0.0) + time.perf_counter() - t

            setattr(owner, attr, make)
        return
    if name == "staged_site":  # a context manager: time entering and leaving (the swap into --out)

        @contextlib.contextmanager
        def staged(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            cm = original(*a, **k)
            stage = cm.__enter__()
            times[label] = times.get(label, 0.0) + time.perf_counter() - t
            try:
                yield stage
            except BaseException:
                if not cm.__exit__(*sys.exc_info()):
                    raise
            else:
                t = time.perf_counter()
                cm.__exit__(None, None, None)
                times[label] += time.perf_counter() - t

        setattr(owner, attr, staged)
        return

    @functools.wraps(original)
    def timed(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            times[label] = times.get(label, 0.0) + time.perf_counter() - t

    setattr(owner, attr, timed)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    rest: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(description="build.py with per-stage timings")
    ap.add_argument("--stages-json", type=Path, required=True)
    ap.add_argument("--skip", default="", help="optional stage modules to leave out, comma-separated")
    args = ap.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # missing-font chatter, once per glyph
    started = time.perf_counter()
    times: dict[str, float] = {}
    skip = [m for m in args.skip.split(",") if m]
    from gis import cli, publish
    from gis.export import ExportResult

    # a stage left out returns what it returns when it wrote nothing, so the pages link none of it
    nothing: dict[str, Callable[..., Any]] = {
        "gis.export": lambda *a, **k: ExportResult(),
        "gis.insight": lambda *a, **k: False,
        "gis.printing": lambda *a, **k: [],
    }
    stage_of = {"gis.export": "write_exports", "gis.insight": "write_stats", "gis.printing": "write_prints"}
    for module in skip:
        setattr(publish, stage_of[module], nothing[module])

    times["import"] = time.perf_counter() - started
    for module, name in STAGES:
        if not (module == "gis.publish" and name in {stage_of[m] for m in skip}):
            _wrap(times, module, name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(rest)
    total = time.perf_counter() - started
    summary = out.getvalue().strip().splitlines()
    args.stages_json.parent.mkdir(parents=True, exist_ok=True)
    args.stages_json.write_text(
        json.dumps(
            {
                "total_s": round(total, 3),
                "skipped": skip,
                "exit": code,
                "stages_s": {k: round(v, 3) for k, v in times.items()},
                "summary": summary[-3:],
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print("\n".join(summary[-3:]))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
