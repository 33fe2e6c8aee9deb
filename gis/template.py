"""The `template` command: an Excel sheet a coordinator fills in, which Takara Map then reads as it is.

Japanese headers (the labels gis.validate uses in its messages, which the readers recognise), drop-down
lists for the closed choices (category from the project, weekday suggestions, consent, status, venue kind,
organiser), an example row on its own sheet (so it is never published), instructions in plain Japanese,
a frozen header and readable column widths.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from gis.config import CONFIG_NAME, BuildOptions, Category, Project, SiteMeta, Tier, load_project
from gis.errors import ConfigError, OutputError
from gis.place import (
    ORGANISER_TYPES,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PAUSED,
    VENUE_HALL,
    VENUE_HOME,
    VENUE_KINDS,
)
from gis.textsafe import spreadsheet_cell
from gis.validate import FIELD_LABELS

DATA_SHEET = "名簿"
EXAMPLE_SHEET = "記入例"
HELP_SHEET = "記入のしかた"
LISTS_SHEET = "選択肢"
ROWS = 1000  # rows prepared with drop-down lists and formats
CONSENT = ("可", "不可")
STATUSES = (STATUS_ACTIVE, STATUS_PAUSED, STATUS_ENDED)
WEEKDAYS = (
    "毎週月曜日",
    "毎週火曜日",
    "毎週水曜日",
    "毎週木曜日",
    "毎週金曜日",
    "毎週土曜日",
    "毎週日曜日",
    "毎日",
    "毎朝",
    "第1・第3水曜日",
    "第2・第4火曜日",
    "毎月1回",
    "不定期",
)

# (field, column width, required, how to fill it in). Order = the sheet's column order.
COLUMNS: tuple[tuple[str, int, bool, str], ...] = (
    ("number", 7, False, "一覧表の番号。空欄なら自動で付きます。一度付いた番号は変えないでください。"),
    ("name", 28, True, "活動や団体の名前。必ず書いてください。"),
    ("category", 18, True, "一覧から選びます（▼を押す）。"),
    ("organiser", 14, False, "一覧から選びます（住民主体・社協・NPO など）。"),
    ("venue", 22, False, "会場の名前（例: 〇〇公民館）。個人のお宅なら「〇〇さん宅」。"),
    (
        "venue_kind",
        12,
        False,
        (
            "一覧から選びます。正確な場所を出すのは公開の会場（公共施設・集会所・店舗・屋外・オンライン）だけです。"
            f"「{VENUE_HOME}」「その他」や空欄の行は、地図には正確な場所を出さず、地区の中心あたりに表示します。"
        ),
    ),
    (
        "address",
        34,
        True,
        (
            "会場の住所。町名まで正確に（例: 〇〇市本町二丁目3-5）。緯度・経度が空欄なら、"
            "住所から位置を探します。"
        ),
    ),
    ("lat", 11, False, "わかるときだけ（例: 34.5886）。緯度と経度は両方書くか、両方空欄に。"),
    ("lon", 11, False, "わかるときだけ（例: 133.8356）。"),
    (
        "schedule_text",
        28,
        False,
        "例: 毎週水曜日 10:00～12:00。一覧から曜日を選び、あとから時間を書き足せます。",
    ),
    ("target", 16, False, "例: どなたでも、65歳以上の方。"),
    ("fee", 10, False, "例: 無料、100円。"),
    ("activities", 28, False, "例: 体操・おしゃべり・お茶。"),
    ("participants", 10, False, "例: 約15人。"),
    ("contact", 16, False, "電話番号など。「連絡先掲載」が「可」のときだけ公開します。"),
    ("contact_consent", 10, False, "連絡先を公開してよいか。可・不可 から選びます。"),
    (
        "consent",
        10,
        True,
        "この活動を地図に載せてよいか。「可」の行だけ公開します。空欄・不可は公開しません。",
    ),
    ("photo", 16, False, "写真のファイル名（例: sakura.jpg）。"),
    ("photo_consent", 10, False, "写真を公開してよいか（写っている方の同意）。可・不可 から選びます。"),
    ("story", 40, False, "宝物マップに載せる短い紹介文。話してくれた方の同意を得てから書きます。"),
    (
        "status",
        10,
        True,
        (
            f"{STATUS_ACTIVE}・{STATUS_PAUSED}・{STATUS_ENDED} から選びます。"
            f"{STATUS_PAUSED}は「休止中」と表示し、{STATUS_ENDED}は載せません。"
        ),
    ),
    ("confirmed", 12, False, "最後に活動を確かめた日（例: 2024/7/22、令和6年7月22日）。"),
    ("district_hint", 14, False, "地区名（書かなくてよい）。書くと、地図上の位置と合うか確かめます。"),
)
HEADERS = tuple(FIELD_LABELS[f] for f, *_ in COLUMNS)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
REQUIRED_FILL = PatternFill("solid", fgColor="B3261E")
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF4CE")
THIN = Side(style="thin", color="BFBFBF")


def example_row(project: Project) -> dict[str, object]:
    """One plausible, fictional record (shown on its own sheet, so it is never read as data)."""
    category = project.categories[0].label if project.categories else ""
    return {
        "number": 1,
        "name": "ふれあいサロン さくら",
        "category": category,
        "organiser": ORGANISER_TYPES[0],
        "venue": "さくら町集会所",
        "venue_kind": VENUE_HALL,
        "address": "〇〇市さくら町一丁目2-3",
        "lat": "",
        "lon": "",
        "schedule_text": "毎週水曜日 10:00～12:00",
        "target": "どなたでも",
        "fee": "100円（お茶代）",
        "activities": "体操・おしゃべり・お茶",
        "participants": "約15人",
        "contact": "086-000-0000",
        "contact_consent": "可",
        "consent": "可",
        "photo": "",
        "photo_consent": "不可",
        "story": "手作りのお菓子を囲んで、毎週にぎやかにおしゃべりしています。",
        "status": STATUS_ACTIVE,
        "confirmed": "2026/4/1",
        "district_hint": "",
    }


def _header(ws: Worksheet) -> None:
    for col, (fieldname, width, required, how) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=FIELD_LABELS[fieldname])
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = REQUIRED_FILL if required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=THIN, right=THIN)
        cell.comment = Comment(("【必須】" if required else "") + how, "Takara Map", width=260, height=110)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "C2"  # header, No. and 名称 stay in view while scrolling


def _column(fieldname: str) -> str:
    return get_column_letter(1 + [f for f, *_ in COLUMNS].index(fieldname))


def _lists(book: Workbook, project: Project) -> dict[str, str]:
    """Choices live on a hidden sheet (an inline list is limited to 255 characters); returns the ranges."""
    ws = book.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    lists = {
        "category": [c.label for c in project.categories],
        "weekday": list(WEEKDAYS),
        "consent": list(CONSENT),
        "status": list(STATUSES),
        "venue_kind": list(VENUE_KINDS),
        "organiser": list(ORGANISER_TYPES),
    }
    ranges = {}
    for col, (key, values) in enumerate(lists.items(), start=1):
        ws.cell(row=1, column=col, value=key)
        for i, value in enumerate(values, start=2):
            ws.cell(row=i, column=col, value=spreadsheet_cell(value))
        letter = get_column_letter(col)
        ranges[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _validations(ws: Worksheet, ranges: dict[str, str]) -> None:
    def add(fieldname: str, list_key: str, strict: bool, prompt: str) -> None:
        dv = DataValidation(
            type="list",
            formula1=ranges[list_key],
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle="一覧にない値です",
            error="▼を押して一覧から選んでください。",
            showInputMessage=True,
            promptTitle=FIELD_LABELS[fieldname],
            prompt=prompt,
        )
        if list_key == "weekday":
            dv.showErrorMessage = False  # suggestions only: 「毎週水曜日 10:00～12:00」 must stay possible
        dv.add(f"{_column(fieldname)}2:{_column(fieldname)}{ROWS + 1}")
        ws.add_data_validation(dv)

    add("category", "category", True, "一覧から選んでください")
    add("organiser", "organiser", False, "一覧から選んでください")
    add(
        "venue_kind",
        "venue_kind",
        False,
        "正確な場所を出すのは公開の会場だけです（自宅・その他・空欄は地区まで）",
    )
    add("schedule_text", "weekday", False, "曜日を選んでから、時間を書き足せます")
    for fieldname in ("contact_consent", "consent", "photo_consent"):
        add(fieldname, "consent", True, "可 か 不可")
    add("status", "status", True, "活動中・休止中・終了")
    for fieldname, low, high in (("lat", 20, 46), ("lon", 122, 154)):  # Japan's extent
        dv = DataValidation(
            type="decimal",
            operator="between",
            formula1=str(low),
            formula2=str(high),
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="日本の範囲外です",
            error="緯度と経度が逆になっていませんか。",
        )
        dv.add(f"{_column(fieldname)}2:{_column(fieldname)}{ROWS + 1}")
        ws.add_data_validation(dv)
    for row in range(2, ROWS + 2):
        ws[f"{_column('confirmed')}{row}"].number_format = "yyyy/m/d"


def _help_sheet(book: Workbook, project: Project) -> None:
    ws = book.create_sheet(HELP_SHEET)
    categories = "、".join(c.label for c in project.categories)
    intro = [
        f"{project.site.title} — 記入のしかた",
        "",
        f"1. 「{DATA_SHEET}」シートの2行目から、1行に1つの活動を書きます。1行目（見出し）は変えないでください。",
        f"2. 赤い見出しの列（{'・'.join(FIELD_LABELS[f] for f, _, req, _ in COLUMNS if req)}）は必ず書きます。",
        "3. ▼の出る列は、一覧から選びます。見出しにマウスを乗せると説明が出ます。",
        "4. 「掲載可否」が「可」の行だけがホームページと印刷物に載ります。空欄や「不可」の行は載りません。",
        f"5. 正確な場所や番地を出すのは、会場種別が公開の会場（公共施設・集会所・店舗・屋外・オンライン）の行だけです。"
        f"「{VENUE_HOME}」「その他」や空欄の行は、地区の中心あたりに表示します。",
        "6. 電話番号は「連絡先掲載」が「可」のときだけ、写真は「写真掲載」が「可」のときだけ公開します。",
        f"7. 書き方の例は「{EXAMPLE_SHEET}」シートにあります（このシートの行は地図に載りません）。",
        f"8. 使える種別: {categories}",
        f"9. 最終確認日が {project.build.stale_months} か月より前の活動は「長く確認されていない場所」として報告します。",
        "",
        "列ごとの書き方",
    ]
    for i, text in enumerate(intro, start=1):
        ws.cell(row=i, column=1, value=spreadsheet_cell(text))
    ws["A1"].font = Font(bold=True, size=14)
    ws.cell(row=len(intro), column=1).font = Font(bold=True)
    top = len(intro) + 1
    for col, title in enumerate(("列", "必須", "書き方"), start=1):
        cell = ws.cell(row=top, column=col, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    for i, (fieldname, _, required, how) in enumerate(COLUMNS, start=top + 1):
        ws.cell(row=i, column=1, value=FIELD_LABELS[fieldname])
        ws.cell(row=i, column=2, value="必須" if required else "")
        ws.cell(row=i, column=3, value=how).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 6
    ws.column_dimensions["C"].width = 90


def build_template(project: Project) -> Workbook:
    book = Workbook()
    ws = book.active
    ws.title = DATA_SHEET
    _header(ws)
    example = book.create_sheet(EXAMPLE_SHEET)
    _header(example)
    values = example_row(project)
    for col, (fieldname, *_rest) in enumerate(COLUMNS, start=1):
        cell = example.cell(row=2, column=col, value=spreadsheet_cell(values.get(fieldname, "")))
        cell.fill = EXAMPLE_FILL
    _help_sheet(book, project)
    _validations(ws, _lists(book, project))
    book.active = 0
    return book


def project_for_template(project_dir: str | Path) -> Project:
    """The project's categories and title. A new project may not have its record file yet (the template
    is how it gets one), so when the full config does not load, its [[categories]] are read on their own."""
    try:
        return load_project(project_dir)
    except ConfigError as exc:
        root = Path(project_dir)
        config = root if root.suffix == ".toml" else root / CONFIG_NAME
        if not config.is_file():
            raise
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
            layers = [
                tomllib.loads(p.read_text(encoding="utf-8"))
                for p in sorted((config.parent / "layers").glob("*.toml"))
            ]
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            raise exc from None
        entries = [c for d in (data, *layers) for c in d.get("categories", []) if isinstance(c, dict)]
        categories = [
            Category(id=str(c.get("id", "")), label=str(c["label"]), color="#555555", icon="")
            for c in entries
            if c.get("label")
        ]
        if not categories:
            raise exc from None
        site = data.get("site", {}) if isinstance(data.get("site"), dict) else {}
        build = data.get("build", {}) if isinstance(data.get("build"), dict) else {}
        months = build.get("stale_months", 12)
        return Project(
            root=config.parent,
            config_path=config,
            site=SiteMeta(title=str(site.get("title", ""))),
            build=BuildOptions(stale_months=months if isinstance(months, int) else 12),
            records=[],
            tiers=[],
            categories=categories,
        )


def write_template(path: Path, project: Project, overwrite: bool = False) -> Path:
    """Write the template to `path` (.xlsx). Refuses to replace an existing file unless `overwrite`:
    it may be a sheet someone has already filled in."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: テンプレートは .xlsx で書き出します / the template is written as .xlsx")
    if path.exists() and not overwrite:
        raise OutputError(
            f"{path} はすでにあります。上書きするなら --force を付けてください / "
            "file exists (it may hold records): use --force to replace it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    build_template(project).save(tmp)
    tmp.replace(path)  # never leave a half-written workbook where a coordinator will open it
    return path


# --- the town list sheet (`template --tier-towns`) ---------------------------------------------------

TOWN_SHEET_NAME = "町名と区域.xlsx"
TOWN_DATA_SHEET = "町名と区域"
AREA_LIST_SHEET = "区域の一覧"
AREA_ROWS = 500  # area names the drop-down reads (a city has a few dozen 自治会 … a few hundred 班)
TOWN_HELP = (
    "この表は、町丁・字（町名）ごとに、どの区域（地区社協・自治会など）に入るかを書く表です。",
    "1. 「区域の一覧」シートに、区域の名前を1行に1つずつ書きます（例: 松岩地区社協）。",
    "2. 「町名と区域」シートの区域の列で、町ごとに区域を選びます（▼を押すと一覧から選べます）。",
    "3. すべての町に区域を入れます。どの区域にも入らない町、二つの区域に入っている町は、"
    "確かめるときに行番号つきで知らせます。",
    "4. 表を data/tiers/ に保存し、takara.toml に [[tiers]] を書き足します（docs/guide.md）。",
    "町丁字コードは町を確実に見分けるための番号です。消さないでください。",
)


def _prefilled_areas(project: Project, tier_id: str, towns: Any) -> tuple[Tier | None, dict[str, str]]:
    """town code -> area for a tier that already exists: from its town list, or — for a tier drawn from
    a boundary file — the area holding each town's representative point (a starting point to adjust)."""
    if not tier_id:
        return None, {}
    tier = next((t for t in project.tiers if t.id == tier_id), None)
    if tier is None:
        raise ConfigError(
            f"層「{tier_id}」がありません。ある層: {', '.join(t.id for t in project.tiers)} / no such tier"
        )
    from gis.towns import assign_towns, read_town_list

    if tier.from_towns:
        assigned, _ = assign_towns(read_town_list(tier), towns, tier)
        return tier, assigned
    from gis.tiers import assign_areas
    from gis.towns import load_tier

    points = towns.geometry.representative_point()
    hits = assign_areas(list(points.x), list(points.y), load_tier(tier))
    return tier, {str(code): hit[1] for code, hit in zip(towns["area_id"], hits) if hit}


def write_town_sheet(
    path: Path, project: Project, tier_id: str = "", overwrite: bool = False
) -> tuple[Path, int]:
    """Every town of the city with an empty area column (filled in for an existing tier), a drop-down of
    the areas named on the 区域の一覧 sheet, and instructions. Returns (path, number of towns)."""
    from gis.towns import load_town_layer, town_names

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: 町名の表は .xlsx で書き出します / the sheet is written as .xlsx")
    if path.exists() and not overwrite:
        raise OutputError(
            f"{path} はすでにあります。上書きするなら --force を付けてください / file exists: use --force"
        )
    towns = town_names(project)
    assert project.towns is not None  # town_names refuses a project without one
    tier, assigned = _prefilled_areas(project, tier_id, load_town_layer(project.towns))
    area_header = tier.label if tier else "区域名"
    book = Workbook()
    ws = book.active
    ws.title = TOWN_DATA_SHEET
    headers = (("No.", 6), ("町名", 24), ("町丁字コード", 14), (area_header, 24), ("備考", 30))
    for col, (text, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, (code, name) in enumerate(zip(towns["code"], towns["name"]), start=2):
        ws.cell(row=i, column=1, value=i - 1)
        ws.cell(row=i, column=2, value=name)
        ws.cell(row=i, column=3, value=str(code))
        ws.cell(row=i, column=4, value=assigned.get(str(code)) or None)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:E{len(towns) + 1}"
    areas = book.create_sheet(AREA_LIST_SHEET)
    areas.cell(row=1, column=1, value=area_header).font = Font(bold=True)
    areas.column_dimensions["A"].width = 28
    for i, name in enumerate(dict.fromkeys(a for a in assigned.values() if a), start=2):
        areas.cell(row=i, column=1, value=name)
    dv = DataValidation(
        type="list",
        formula1=f"'{AREA_LIST_SHEET}'!$A$2:$A${AREA_ROWS + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="区域の一覧にない名前です",
        error="「区域の一覧」シートに書いた名前から選んでください（新しい区域なら一覧に書き足します）。",
        showInputMessage=True,
        promptTitle=area_header,
        prompt="この町が入る区域を選びます。",
    )
    dv.add(f"D2:D{len(towns) + 1}")
    ws.add_data_validation(dv)
    help_ws = book.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 110
    for i, line in enumerate(TOWN_HELP, start=1):
        help_ws.cell(row=i, column=1, value=line).alignment = Alignment(wrap_text=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    book.save(tmp)
    tmp.replace(path)
    return path, len(towns)
