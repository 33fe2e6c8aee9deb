#!/usr/bin/env python3
"""Take the screenshots in docs/img/ for the coordinator's guide (docs/guide.md), from the bundled demo.

    python docs/tools/screenshots.py            # everything
    python docs/tools/screenshots.py --phone    # only the site on a phone (390×844)
    python docs/tools/screenshots.py --prints   # only the printed pages (no browser)

Builds a copy of the demo (so the repository is not touched), serves it on 127.0.0.1 and photographs
it with Playwright and the system Chromium; renders the Excel template and the validate output through
the small templates beside this script; turns a printed district map (PDF) into a PNG with pdftoppm.
Re-run after changing the site's look, then review the images' diff."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gis.cli import main  # noqa: E402  (after the sys.path line above)
from gis.template import COLUMNS, EXAMPLE_SHEET, build_template  # noqa: E402

IMG = ROOT / "docs" / "img"
TOOLS = Path(__file__).resolve().parent
CHROMIUM = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}
DROPDOWNS = {
    "category",
    "organiser",
    "venue_kind",
    "schedule_text",
    "contact_consent",
    "consent",
    "photo_consent",
    "status",
}


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TOOLS)), autoescape=True, undefined=jinja2.StrictUndefined
    )


def copy_demo(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("takara.toml", "layers", "data"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst / name)
    return dst


@contextlib.contextmanager
def serving(folder: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def run_cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(list(args))
    return out.getvalue()


def template_html(project_dir: Path) -> str:
    from openpyxl.utils import get_column_letter

    from gis.config import load_project

    project = load_project(project_dir)
    book = build_template(project)
    example = book[EXAMPLE_SHEET]
    columns = []
    for i, (fieldname, width, required, _) in enumerate(COLUMNS[:12], start=1):
        columns.append(
            {
                "letter": get_column_letter(i),
                "width": int(width * 7.5),
                "header": example.cell(1, i).value,
                "example": example.cell(2, i).value or "",
                "dropdown": fieldname in DROPDOWNS,
                "fill": "#B3261E" if required else "#1F4E78",
            }
        )
    return (
        _env()
        .get_template("sheet.html")
        .render(
            title=f"{project.site.title} — 記入シート（記入例）",
            columns=columns,
            sheets=book.sheetnames[:3],
            active=EXAMPLE_SHEET,
        )
    )


def terminal_html(command: str, output: str, limit: int = 24) -> str:
    lines = []
    for text in output.splitlines()[:limit]:
        kind = (
            "error"
            if "ERROR" in text
            else "warning"
            if "WARNING" in text
            else "stale"
            if "長く確認されていない" in text
            else ""
        )
        lines.append({"text": text, "kind": kind})
    return _env().get_template("terminal.html").render(command=command, lines=lines)


def change_demo(project: Path) -> None:
    """A second edition: one place changes its day, one moves, one new place (for the diff screenshot)."""
    from openpyxl import load_workbook

    path = project / "data" / "records" / "kayoinoba.xlsx"
    book = load_workbook(path)
    ws = book["通いの場一覧"]
    col = {c.value: c.column for c in ws[3]}
    ws.cell(4, col["開催日時"]).value = "毎週金曜日 13:30～15:30"
    for r in range(5, ws.max_row):
        if ws.cell(r, col["緯度"]).value not in (None, "") and ws.cell(r, col["会場種別"]).value != "自宅":
            ws.cell(r, col["緯度"]).value = float(ws.cell(r, col["緯度"]).value) + 0.003
            break
    ws.insert_rows(5)
    for header, value in {
        "名称": "新町ふれあい喫茶",
        "種別": "地域カフェ・食事会",
        "会場種別": "集会所",
        "所在地": ws.cell(6, col["所在地"]).value,
        "開催日時": "第1土曜日 10:00～12:00",
        "掲載可否": "可",
        "状況": "活動中",
    }.items():
        ws.cell(5, col[header]).value = value
    book.save(path)


def pdf_page(pdf: Path, page: int, dpi: int, name: str) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(IMG / name),
        ],
        check=True,
    )


def print_pages(folder: Path) -> None:
    """The printed district map of the demo's most crowded district: its first page (the overview) at
    60 dpi for the guide, and its first part's map, an A4 page at 100 dpi, for the README."""
    sheets = sorted(p for p in folder.glob("district-*.pdf") if not p.stem.endswith("-a3"))
    if not sheets:
        return
    crowded = max(sheets, key=lambda p: p.stat().st_size)
    pdf_page(crowded, 1, 60, "print-district")
    pdf_page(crowded, 2, 100, "print-a4-page")


def shoot_prints() -> None:
    """Only the print pages (no browser): build the demo's PDFs and render them."""
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="takara-shots-") as tmp:
        work = Path(tmp)
        demo = copy_demo(work / "demo")
        run_cli("build", str(demo), "--out", str(work / "site"))
        print_pages(work / "site" / "print")


def shoot() -> None:
    from playwright.sync_api import sync_playwright

    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="takara-shots-") as tmp:
        work = Path(tmp)
        demo = copy_demo(work / "demo")
        site = work / "site"
        run_cli("build", str(demo), "--out", str(site))
        validate = run_cli("validate", str(demo))
        (work / "template.html").write_text(template_html(demo), encoding="utf-8")
        (work / "validate.html").write_text(terminal_html("takara validate .", validate), encoding="utf-8")

        change_demo(demo)
        site2 = work / "site2"
        run_cli("build", str(demo), "--out", str(site2), "--no-print")
        run_cli("diff", str(site), str(site2), "--out", str(work / "diff.html"))

        with sync_playwright() as pw, serving(work) as base:
            browser = pw.chromium.launch(**CHROMIUM)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(base + "site/index.html")
            page.wait_for_timeout(1500)  # markers are drawn after data/index.json arrives
            page.screenshot(path=str(IMG / "site-top.png"))
            district = min((site / "districts").iterdir()).name
            page.goto(base + f"site/districts/{district}/index.html")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(IMG / "site-district.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            phone.goto(base + "site/places/1/index.html")
            phone.wait_for_timeout(800)
            phone.screenshot(path=str(IMG / "site-place-phone.png"))
            for name, size in (("template", (1280, 420)), ("validate", (1280, 560)), ("diff", (1000, 900))):
                shot = browser.new_page(viewport={"width": size[0], "height": size[1]})
                shot.goto(base + f"{name}.html")
                shot.screenshot(path=str(IMG / f"{name}.png"))
            browser.close()

        print_pages(site / "print")
    for png in sorted(IMG.glob("*.png")):
        print(f"{png.relative_to(ROOT)}  {png.stat().st_size // 1024} KB")


PHONE_SHOTS = ("phone-map.png", "phone-place-sheet.png", "phone-large-text.png")


def shoot_phone() -> None:
    """The site on a phone (390×844, as a resident holds it): the first screen with the map, a place opened
    as a sheet, and the first screen in 大きな文字. Builds the demo without PDFs."""
    from playwright.sync_api import sync_playwright

    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="takara-shots-") as tmp:
        work = Path(tmp)
        demo = copy_demo(work / "demo")
        run_cli("build", str(demo), "--out", str(work / "site"), "--no-print")
        with sync_playwright() as pw, serving(work) as base:
            browser = pw.chromium.launch(**CHROMIUM)
            for name, large in (
                ("phone-map.png", False),
                ("phone-place-sheet.png", False),
                ("phone-large-text.png", True),
            ):
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
                if large:
                    ctx.add_init_script("window.localStorage.setItem('takara.largeText', '1')")
                page = ctx.new_page()
                page.goto(base + "site/index.html")
                page.wait_for_function("() => window.takara && window.takara.loaded === true")
                if name == "phone-place-sheet.png":
                    # a place with no phone of its own: the sheet offers the district's coordinator
                    page.evaluate(
                        """async () => { const P = takara.index; const flags = P.flags;
                        for (let i = 0; i < P.n.length; i++) {
                          if (P.f[i] & flags.online) { continue; }
                          const box = await takara.layer.openPlace(P.n[i], false);
                          if (box.querySelector('.contact-fallback') && box.querySelector('[data-field="field.fee"]')) { return P.n[i]; }
                        } }"""
                    )
                    page.wait_for_timeout(300)
                page.screenshot(path=str(IMG / name))
                ctx.close()
            browser.close()
    for name in PHONE_SHOTS:
        print(f"docs/img/{name}  {(IMG / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    if "--phone" in sys.argv[1:]:
        shoot_phone()  # only the phone views of the site (no PDFs are built)
    elif "--prints" in sys.argv[1:]:
        shoot_prints()  # only the printed pages (no browser)
    else:
        shoot()
        shoot_phone()
