"""`build.py` with a stopwatch: runs Takara Map's own command line (gis.cli.main, exactly what build.py
runs: `build`, `validate --site` …) in this process and writes how long each stage took, so the
benchmark can say where the time goes.

The stages are found, not listed: whenever one of the output or input modules below is imported, its
stage functions are wrapped (module-level functions named write_…, render_…, copy_…, make_…, build_…,
scan_…, publish…, and every function of gis.pipeline and gis.publish, and the gis functions gis.publish imports). Times are exclusive (a stage's
own time, without the wrapped stages it calls), so they add up to the wall time; what no stage claims
is "other". The same code therefore times gis/site.py today and gis/publish.py + gis/pages.py … after the
restructure, and a renamed function only moves seconds between labels, never breaks the build.
Work done in forked workers is counted in the parent's stage that waits for them.

`--skip MODULE` leaves out an output stage (gis.export, gis.insight or gis.printing): gis.publish then
gets a stand-in that returns what the stage returns when it wrote nothing, so the pages link none of
it. The benchmark uses it only as a fallback, when the whole build does not finish in time, to still
measure the website — and says so in the results.

Usage: python -m bench.takara_build --stages-json FILE [--skip gis.insight,gis.export] -- PROJECT --out DIR
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

# Modules whose stage functions are timed, and the functions of each that are always stages.
WATCHED = {
    "gis.config": ("load_project",),
    "gis.pipeline": (),  # every function: the input stages
    "gis.build": (),
    "gis.site": ("SiteModel.__init__",),
    "gis.publish": (),  # every function: the output stages, top to bottom
    "gis.view": ("SiteModel.__init__", "SiteModel.contexts"),
    "gis.pages": (),
    "gis.datafiles": (),
    "gis.photos": (),
    "gis.export": (),
    "gis.insight": ("insight_layers", "district_figures"),
    "gis.stats": (),
    "gis.printing": (),
    "gis.output": ("staged_site",),
    "gis.report": ("Report.write",),
    "gis.leaks": (),
}
EVERY_FUNCTION = {"gis.pipeline", "gis.publish"}
# gis.publish calls stages that live in their own modules (from gis.pages import …): time those too.
# gis.pipeline's imported helpers run once per row, so they count as the pipeline's own time.
IMPORTED_STAGES = {"gis.publish"}
STAGE_NAME = re.compile(r"^(write|render|copy|make|build|scan|publish|run)(_|$)")
CONTEXT_MANAGERS = {"staged_site"}  # timed on entering and leaving, not while the body runs

# Categories for the tables, first match wins: (category, modules, words in the label).
CATEGORIES = (
    ("pipeline", ("gis.config", "gis.pipeline"), ()),
    ("leak scan", ("gis.leaks",), ()),
    ("swap & report", (), ("staged_site", "report.write")),
    ("prints", ("gis.printing",), ("print",)),
    ("exports", ("gis.export", "gis.ical"), ("export", "calendar", "ics")),
    ("statistics", ("gis.insight", "gis.stats"), ("stat", "insight", "figures")),
    ("photos", ("gis.photos",), ("photo",)),
    ("place views", ("gis.view",), ("sitemodel", "contexts")),
    ("data files", ("gis.datafiles",), ("data", "geojson", "csv", "asset", "boundar")),
    ("pages", ("gis.pages",), ("page", "render")),
)
CATEGORY_ORDER = [c[0] for c in CATEGORIES] + ["other"]


def category(label: str) -> str:
    """The table column a timed label belongs to ("other" when no rule names it)."""
    module = label.rpartition(".")[0] if label.count(".") >= 2 else ""
    if "." in module and module.rsplit(".", 1)[1][:1].isupper():  # gis.report.Report.write
        module = module.rsplit(".", 1)[0]
    low = label.lower()
    for cat, modules, words in CATEGORIES:
        if module in modules or any(w in low for w in words):
            return cat
    return "other"


def by_category(stages_s: dict[str, float], total_s: float) -> dict[str, float]:
    """Seconds per category; what no stage claims (start-up, imports, umbrella code) is "other"."""
    out = dict.fromkeys(CATEGORY_ORDER, 0.0)
    for label, seconds in stages_s.items():
        if label not in ("import",):
            out[category(label)] += seconds
    out["other"] += max(0.0, total_s - sum(out.values()))
    return {k: round(v, 3) for k, v in out.items() if v > 0.0005}


class Stopwatch:
    """Exclusive time per label: a stage's time without the timed stages it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._local = threading.local()
        self._wrapped: dict[int, Callable] = {}  # id(original) -> its timed wrapper

    def _stack(self) -> list[list[float]]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    @contextlib.contextmanager
    def timing(self, label: str) -> Iterator[None]:
        stack = self._stack()
        frame = [time.perf_counter(), 0.0]  # start, time spent in timed callees
        stack.append(frame)
        try:
            yield
        finally:
            stack.pop()
            elapsed = time.perf_counter() - frame[0]
            self.seconds[label] = self.seconds.get(label, 0.0) + elapsed - frame[1]
            self.calls[label] = self.calls.get(label, 0) + 1
            if stack:
                stack[-1][1] += elapsed

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds
        if self._stack():
            self._stack()[-1][1] += seconds

    def timed(self, original: Callable, label: str) -> Callable:
        """`original` wrapped once (the same wrapper wherever the function is imported)."""
        if getattr(original, "__bench_label__", None):
            return original
        if id(original) in self._wrapped:
            return self._wrapped[id(original)]
        if original.__name__ in CONTEXT_MANAGERS:
            wrapper = self._timed_context(original, label)
        else:

            @functools.wraps(original)
            def wrapper(*a: Any, **k: Any) -> Any:
                with self.timing(label):
                    return original(*a, **k)

        wrapper.__bench_label__ = label  # type: ignore[attr-defined]
        self._wrapped[id(original)] = wrapper
        return wrapper

    def _timed_context(self, original: Callable, label: str) -> Callable:
        @contextlib.contextmanager
        def staged(*a: Any, **k: Any) -> Iterator[Any]:
            t = time.perf_counter()
            cm = original(*a, **k)
            stage = cm.__enter__()
            self.add(label, time.perf_counter() - t)
            try:
                yield stage
            except BaseException:
                if not cm.__exit__(*sys.exc_info()):
                    raise
            else:
                t = time.perf_counter()
                cm.__exit__(None, None, None)
                self.add(label, time.perf_counter() - t)

        return staged

    def wrap_module(self, module: ModuleType) -> None:
        name = module.__name__
        every = name in EVERY_FUNCTION
        for attr, value in list(vars(module).items()):
            if not callable(value) or attr.startswith("__"):
                continue
            own = getattr(value, "__module__", None) == name
            from_gis = str(getattr(value, "__module__", "")).startswith("gis.")
            if (
                attr in WATCHED[name]
                or (every and (own or (from_gis and name in IMPORTED_STAGES)) and inspect.isfunction(value))
                or (own and inspect.isfunction(value) and STAGE_NAME.match(attr))
            ):
                origin = getattr(value, "__module__", name)
                setattr(module, attr, self.timed(value, f"{origin}.{value.__qualname__}"))
        for dotted in WATCHED[name]:
            if "." in dotted:  # a method: Report.write, SiteModel.__init__ (the class itself stays as it is)
                cls_name, method = dotted.split(".")
                cls = getattr(module, cls_name, None)
                value = vars(cls).get(method) if cls is not None else None
                if isinstance(value, property) and value.fget is not None:  # SiteModel.contexts
                    timed = self.timed(value.fget, f"{name}.{dotted}")
                    setattr(cls, method, property(timed, value.fset, value.fdel, value.__doc__))
                elif value is not None:
                    setattr(cls, method, self.timed(value, f"{name}.{dotted}"))


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Wraps a watched module's stages as soon as it is imported (and only if it is: a --no-print build
    must not pay for importing the print modules)."""

    def __init__(self, watch: Stopwatch, skip: list[str]) -> None:
        self.watch = watch
        self.skip = skip

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in WATCHED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if fullname == "gis.publish":
                leave_out(module, self.skip)
            self.watch.wrap_module(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


# The output stages --skip can leave out: gis.publish's name for each, and what it returns having written nothing.
LEAVE_OUT = {
    "gis.export": ("write_exports", lambda: importlib.import_module("gis.export").ExportResult()),
    "gis.insight": ("write_stats", lambda: False),
    "gis.printing": ("write_prints", lambda: []),
}


def leave_out(module: ModuleType, skip: list[str]) -> None:
    """Replace the skipped stages in gis.publish by stand-ins that write nothing."""
    for name in skip:
        attr, nothing = LEAVE_OUT[name]
        if hasattr(module, attr):
            setattr(module, attr, lambda *a, _nothing=nothing, **k: _nothing())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    rest: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(description="build.py with per-stage timings")
    ap.add_argument("--stages-json", type=Path, required=True)
    ap.add_argument("--skip", default="", help="output stages to leave out: " + ", ".join(LEAVE_OUT))
    args = ap.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # missing-font chatter, once per glyph
    started = time.perf_counter()
    watch = Stopwatch()
    skip = [m for m in args.skip.split(",") if m]
    unknown = set(skip) - set(LEAVE_OUT)
    if unknown:
        ap.error(f"--skip: not an output stage: {', '.join(sorted(unknown))}")
    sys.meta_path.insert(0, _WrapOnImport(watch, skip))
    for name in [m for m in WATCHED if m in sys.modules]:
        watch.wrap_module(sys.modules[name])
    from gis import cli

    watch.seconds["import"] = time.perf_counter() - started
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(rest)
    total = time.perf_counter() - started
    summary = out.getvalue().strip().splitlines()
    stages = {k: round(v, 3) for k, v in watch.seconds.items() if v >= 0.0005}
    args.stages_json.parent.mkdir(parents=True, exist_ok=True)
    args.stages_json.write_text(
        json.dumps(
            {
                "total_s": round(total, 3),
                "skipped": skip,
                "exit": code,
                "stages_s": stages,
                "calls": {k: watch.calls[k] for k in stages if k in watch.calls},
                "categories_s": by_category(stages, total),
                "summary": summary[-3:],
                "leak_lines": [line for line in summary if line.startswith("漏えい / leak:")][:10],
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print("\n".join(summary))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
