"""Where `init` gets its public data, how it is fetched safely, and the `mirror` command.

The mirror layout (a folder, or the same tree on any web server) — paths below its root:

    ksj/gml/data/N03/N03-2024/N03-20240101_<PP>_GML.zip      行政区域 (国土数値情報 N03)
    ksj/gml/data/A32/A32-21/A32-21_<PP>_GML.zip              中学校区 (A32)
    ksj/gml/data/A27/A27-21/A27-21_<PP>_GML.zip              小学校区 (A27)
    e-stat/A002005212020/A002005212020DDSWC<PP>.zip         町丁・字等 (e-Stat 小地域, 国勢調査2020, Shapefile)
    japanese-addresses/api/ja.json                          町名 index (Geolonia 住所データ)
    japanese-addresses/api/ja/<都道府県>/<市区町村>.json       町名 per city
    takara-mirror.json                                      what `mirror` wrote, with SHA-256 sums

<PP> is the 2-digit prefecture code: every file holds one prefecture. The official hosts serve the same
paths (e-Stat's download address is built from the prefecture code), so `--source-url` may name such a folder, a `file://` URL or an `http(s)://` mirror.

Everything fetched is checked before it is used: sizes are capped, zips may not hold paths that leave
their folder, JSON must have the shape of the gazetteer, a file listed in takara-mirror.json must match
its SHA-256, and names that come from the data (city names) must be plain names before they become a
file name. Nothing is written outside the folder it belongs in.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import TakaraError
from gis.progress import Progress, quiet

KSJ_HOST = "https://nlftp.mlit.go.jp"
GEOLONIA_HOST = "https://geolonia.github.io"
ESTAT_DOWNLOAD = (
    "https://www.e-stat.go.jp/gis/statmap-search/data?dlserveyId=A002005212020&code={code}"
    "&coordSys=1&format=shape&downloadType=5&datum=2011"
)
N03_PATH = "/ksj/gml/data/N03/N03-2024/N03-20240101_{pref}_GML.zip"
A32_PATH = "/ksj/gml/data/A32/A32-21/A32-21_{pref}_GML.zip"
A27_PATH = "/ksj/gml/data/A27/A27-21/A27-21_{pref}_GML.zip"
ESTAT_PATH = "/e-stat/A002005212020/A002005212020DDSWC{pref}.zip"
GAZETTEER_INDEX_PATH = "/japanese-addresses/api/ja.json"
GAZETTEER_CITY_PATH = "/japanese-addresses/api/ja/{pref}/{city}.json"
MANIFEST = "takara-mirror.json"
ENV_URL = "TAKARA_DATA_URL"
TIMEOUT = 60.0  # seconds per request
CHUNK = 1 << 16
MAX_DOWNLOAD = 1 << 31  # 2 GiB: far above any prefecture's file, far below filling a disk
MAX_UNZIPPED = 4 << 30  # a zip may not unpack to more than this (a "zip bomb" is refused)


class DownloadError(TakaraError):
    """A source could not be fetched (offline, moved, not published for this prefecture) or is not
    what it should be (damaged, too large, or a hostile mirror's)."""


def plain_name(text: str, what: str) -> str:
    """A name from the data (a city, a prefecture) that becomes one file name: no folder separators,
    no `..`, no control characters. Anything else is refused: a mirror must not choose our paths."""
    name = unicodedata.normalize("NFC", str(text))
    bad = (
        not name
        or name in (".", "..")
        or any(c in name for c in '/\\:*?"<>|')
        or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name)
        or len(name.encode("utf-8")) > 200
    )
    if bad:
        raise DownloadError(
            f"データの{what}「{name[:40]!r}」はファイル名に使えません（不正なデータの可能性があります） / "
            f"the {what} in the data is not a plain name: refused"
        )
    return name


def inside(root: Path, *parts: str) -> Path:
    """root/parts, resolved, and refused unless it stays inside root."""
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise DownloadError(f"{'/'.join(parts)} はフォルダの外を指しています / path leaves {root}: refused")
    return path


def is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


@dataclass
class Fetcher:
    """Fetches layout paths from the official hosts, an http(s) mirror, or a mirror folder."""

    base: str | None = None
    progress: Progress = quiet
    folder: Path | None = field(default=None, init=False)
    sums: dict[str, str] = field(default_factory=dict, init=False)  # layout path -> SHA-256 (mirror's)

    def __post_init__(self) -> None:
        base = (self.base or "").strip()
        self.base = base or None
        if base.startswith("file://"):
            self.folder = Path(urllib.request.url2pathname(urllib.parse.urlparse(base).path))
        elif base and not is_url(base):
            self.folder = Path(base).expanduser()
        elif base and not base.startswith(("http://", "https://")):
            raise DownloadError(
                f"--source-url「{base}」は http(s):// の URL かフォルダにしてください / give an http(s) URL "
                "or a folder"
            )
        if self.folder is not None and not self.folder.is_dir():
            raise DownloadError(
                f"ミラーのフォルダ {self.folder} が見つかりません。USB メモリなどをつないで、"
                f"フォルダの場所を確かめてください / mirror folder not found"
            )

    def url(self, path: str) -> str:
        """Where a layout path is fetched from (for messages and the config's list of sources)."""
        if self.folder is not None:
            return str(self.folder / path.lstrip("/"))
        if self.base:
            return self.base.rstrip("/") + urllib.parse.quote(path)
        if path.startswith("/ksj/"):
            return KSJ_HOST + path
        if path.startswith("/e-stat/"):
            return ESTAT_DOWNLOAD.format(code=re.findall(r"(\d{2})\.zip$", path)[0])
        return GEOLONIA_HOST + urllib.parse.quote(path)

    def load_manifest(self) -> None:
        """A mirror's takara-mirror.json, when it has one: every file it lists is checked against it.
        The official hosts have none (and are not asked)."""
        if self.base is None:
            return
        with tempfile.TemporaryDirectory(prefix="takara-manifest-") as tmp:
            try:
                got = self.fetch("/" + MANIFEST, Path(tmp) / MANIFEST, quiet_missing=True)
            except DownloadError:
                return
            if got is None:
                return
            try:
                data = json.loads(got.read_text(encoding="utf-8"))
                files = data["files"]
                self.sums = {str(k): str(v["sha256"]) for k, v in files.items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                raise DownloadError(
                    f"{self.url('/' + MANIFEST)} を読めません（ミラーの目録が壊れています） / the mirror's "
                    "manifest is damaged"
                ) from None

    def fetch(self, path: str, target: Path, quiet_missing: bool = False) -> Path | None:
        """The file at a layout path, copied to target (a scratch file, never inside the project)."""
        where = self.url(path)
        if self.folder is not None:
            source = inside(self.folder, path.lstrip("/"))
            if not source.is_file():
                if quiet_missing:
                    return None
                raise DownloadError(
                    f"ミラーのフォルダに {path.lstrip('/')} がありません。`takara mirror` で作ったフォルダか"
                    f"確かめてください / not in the mirror folder: {where}"
                )
            if source.stat().st_size > MAX_DOWNLOAD:
                raise DownloadError(f"{where} が大きすぎます / too large: refused")
            shutil.copyfile(source, target)
        else:
            try:
                _download(where, target, self.progress)
            except DownloadError:
                if quiet_missing:
                    return None
                raise
        self._check_sum(path, target, where)
        return target

    def _check_sum(self, path: str, target: Path, where: str) -> None:
        want = self.sums.get(path.lstrip("/"))
        if want and sha256(target) != want:
            raise DownloadError(
                f"{where} が目録（{MANIFEST}）と一致しません。コピーの途中で壊れたかもしれません。"
                f"もう一度コピーしてください / checksum mismatch: the file is damaged"
            )


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, target: Path, progress: Progress) -> None:
    """Fetch url into target, or raise DownloadError with one plain line."""
    request = urllib.request.Request(url, headers={"User-Agent": "takara-map (init --city)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp, target.open("wb") as fh:
            total = int(resp.headers.get("Content-Length") or 0)
            if total > MAX_DOWNLOAD:
                raise DownloadError(f"{url} が大きすぎます（{total} バイト） / too large: refused")
            done = 0
            while chunk := resp.read(CHUNK):
                done += len(chunk)
                if done > MAX_DOWNLOAD:
                    raise DownloadError(f"{url} が大きすぎます / too large: refused")
                fh.write(chunk)
                progress("download", done, total)
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"{url} を取得できません（HTTP {exc.code}）。このデータが公開されていないか、"
            f"場所が変わりました / cannot download: HTTP {exc.code}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url} をダウンロードできません。インターネットに接続されているか確かめてください"
            f"（何も作成していません） / cannot download ({reason}); nothing was created"
        ) from None


def extract_zip(archive: Path, folder: Path) -> Path:
    """Unpack a downloaded zip into folder, refusing members that would land outside it (absolute
    paths, `..`, links) and archives that unpack to more than MAX_UNZIPPED."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED:
                raise DownloadError(f"{archive.name} は展開すると大きすぎます / unpacks too large: refused")
            for m in members:
                name = m.filename.replace("\\", "/")
                if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
                    raise DownloadError(
                        f"{archive.name} にフォルダの外を指すファイル名があります（{name[:60]}） / "
                        "a zip member leaves its folder: refused"
                    )
                if (m.external_attr >> 16) & 0o170000 == 0o120000:
                    raise DownloadError(
                        f"{archive.name} にリンクがあります / a zip member is a link: refused"
                    )
            for m in members:
                target = inside(folder, m.filename.replace("\\", "/"))
                if m.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        if isinstance(exc, DownloadError):
            raise
        raise DownloadError(
            f"{archive.name} が壊れています（zip として読めません） / the download is not a valid zip"
        ) from None
    return folder


def gazetteer_towns(path: Path, where: str) -> list[dict[str, Any]]:
    """A Geolonia city file, checked: a list of {town, lat, lng …} records."""
    try:
        towns = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DownloadError(f"{where} を読めません（JSON ではありません） / not JSON") from None
    ok = isinstance(towns, list) and all(
        isinstance(t, dict)
        and isinstance(t.get("town"), str)
        and isinstance(t.get("lat"), int | float | None)  # Geolonia leaves some towns without a point
        and isinstance(t.get("lng"), int | float | None)
        for t in towns
    )
    if not ok:
        raise DownloadError(f"{where} は町名データの形をしていません / not a town list (town, lat, lng)")
    return towns


def gazetteer_index(path: Path, where: str) -> dict[str, list[str]]:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DownloadError(f"{where} を読めません（JSON ではありません） / not JSON") from None
    if not isinstance(index, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in index.values()
    ):
        raise DownloadError(f"{where} は町名データの目次の形をしていません / not the gazetteer index")
    return index


# --- the `mirror` command ----------------------------------------------------------------------------


@dataclass
class MirrorResult:
    folder: Path
    pref: str
    files: list[str]
    skipped: list[str]


def mirror_prefecture(
    pref_code: str, folder: Path, source_url: str | None = None, progress: Progress = quiet
) -> MirrorResult:
    """Download one prefecture's files (N03, A32, A27, the e-Stat towns, the gazetteer) into folder, in the mirror layout, with takara-mirror.json. Run it on a connected PC;
    carry the folder; `takara init --city CODE --source-url FOLDER` then needs nothing else."""
    from gis.geocode import PREFECTURES

    pref = re.sub(r"\s", "", str(pref_code))[:2].zfill(2)
    if not pref.isdigit() or not 1 <= int(pref) <= 47:
        raise DownloadError(
            f"都道府県コード「{pref_code}」は 01〜47 で指定してください（例: 宮城県 04） / give a prefecture code 01-47"
        )
    pref_name = PREFECTURES[int(pref) - 1]
    folder = Path(folder).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    import os

    fetcher = Fetcher(source_url or os.environ.get(ENV_URL) or None, progress)
    fetcher.load_manifest()
    written: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="takara-mirror-") as tmp:
        work = Path(tmp)

        def take(path: str, required: bool = True) -> Path | None:
            scratch = work / f"dl-{len(written) + len(skipped)}"
            got = fetcher.fetch(path, scratch, quiet_missing=not required)
            if got is None:
                skipped.append(path.lstrip("/"))
                return None
            dest = inside(folder, path.lstrip("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(got, dest)
            written[path.lstrip("/")] = {"sha256": sha256(dest), "bytes": dest.stat().st_size}
            return dest

        take(N03_PATH.format(pref=pref))
        take(A32_PATH.format(pref=pref))
        take(A27_PATH.format(pref=pref), required=False)
        take(ESTAT_PATH.format(pref=pref), required=False)  # init works without it (no town layer)
        index_file = take(GAZETTEER_INDEX_PATH)
        assert index_file is not None
        cities = gazetteer_index(index_file, fetcher.url(GAZETTEER_INDEX_PATH)).get(pref_name, [])
        for city in cities:
            path = GAZETTEER_CITY_PATH.format(pref=pref_name, city=plain_name(city, "市区町村名"))
            got = take(path, required=False)  # listed but missing: reported, the rest still mirrored
            if got is not None:
                gazetteer_towns(got, fetcher.url(path))
    manifest = {"pref": pref, "pref_name": pref_name, "files": dict(sorted(written.items()))}
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return MirrorResult(folder, pref_name, sorted(written), skipped)
