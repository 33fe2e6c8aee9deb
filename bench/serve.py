"""A static file server for the benchmark, on 127.0.0.1, that sends text files gzip-compressed (level 6)
when the browser accepts it — as any static host or CDN does — so the bytes a browser receives are
the ones a resident's phone would receive. Compressed copies are cached on disk by path, size and
modification time, so a 200 MB page is compressed once, not on every run.

Run as `python -m bench.serve ROOT --gz-cache DIR` (prints the port on its first line); the benchmark
runs it in its own process so that serving does not compete with the measuring process."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import zlib
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMPRESSIBLE = {".html", ".js", ".css", ".json", ".geojson", ".csv", ".svg", ".txt", ".md", ".xml", ".ics"}


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: gzip container, like `gzip -6`
    return comp.compress(data) + comp.flush()


def gzip_file(path: Path, cache: Path) -> Path:
    """The gzip -6 copy of `path`, made once and kept in `cache`."""
    st = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    target = cache / f"{key}.gz"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(comp.compress(chunk))
            dst.write(comp.flush())
        os.replace(tmp, target)
    return target


class Handler(SimpleHTTPRequestHandler):
    gz_cache: Path

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the redirect to the slash form
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.suffix.lower() in COMPRESSIBLE and path.is_file()):
            return super().send_head()
        gz = gzip_file(path, self.gz_cache)
        fh = open(gz, "rb")  # noqa: SIM115 - http.server's send_head returns the open file; the caller closes it
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(gz.stat().st_size))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return fh


Handler.extensions_map = {
    **SimpleHTTPRequestHandler.extensions_map,
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Serve ROOT on 127.0.0.1 with gzip, for the benchmark.")
    ap.add_argument("root", type=Path)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--gz-cache", type=Path, required=True)
    args = ap.parse_args(argv)
    Handler.gz_cache = args.gz_cache
    server = ThreadingHTTPServer(("127.0.0.1", args.port), partial(Handler, directory=str(args.root)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
