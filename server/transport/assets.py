"""The pages' own files (scripts, styles, fonts, pictures) and the show's pictures, served from memory.

They are small and fixed while a show runs, and thousands of phones ask for the same few: each is read
once, compressed once if it is text, and answered with its ETag, so a reload costs a 304. Nothing here
holds a file open while it answers, so a page closed mid-load (or a stop) never leaves one behind:
aiohttp's own static files open theirs in a thread, and a cancel in that moment leaked the file.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import mimetypes
from functools import cache, cached_property
from pathlib import Path

from aiohttp import web

TEXT = ("text/", "application/javascript", "image/svg+xml", "application/json")
ANY = "*"  # If-None-Match's "any version" (aiohttp's ETag value for it; no ETag of ours is one)
COMPRESS_MIN = 512  # bytes: below this gzip saves less than its own header costs


class Asset:
    """One file's bytes, and the same gzipped (on first asking) when that is worth it."""

    def __init__(self, body: bytes, name: str) -> None:
        self.body = body
        self.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._tag = hashlib.blake2b(body, digest_size=12).hexdigest()
        self.etag = f'"{self._tag}"'
        self._compress = self.content_type.startswith(TEXT) and len(body) >= COMPRESS_MIN

    @cached_property
    def gzipped(self) -> bytes | None:
        packed = gzip.compress(self.body, mtime=0) if self._compress else self.body
        return packed if len(packed) < len(self.body) else None

    def answer(self, request: web.Request) -> web.Response:
        """The file, or 304 when the browser has this very version."""
        headers = {"ETag": self.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if self._known(request):
            return web.Response(status=304, headers=headers)
        body = self.body
        if self.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = self.gzipped, "gzip"
        return web.Response(body=body, content_type=self.content_type, headers=headers)

    def _known(self, request: web.Request) -> bool:
        """If-None-Match names this version: ``*``, or a list of ETags one of which is this one, weak
        (``W/``) or not, as RFC 9110 compares them for this header; aiohttp parses the list."""
        return any(tag.value in (self._tag, ANY) for tag in request.if_none_match or ())


@cache
def read_tree(folder: Path) -> dict[str, Asset]:
    """Every file under ``folder``, by its path relative to it (``fonts/x.woff2``); read once a process."""
    return {
        path.relative_to(folder).as_posix(): Asset(path.read_bytes(), path.name)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def add_assets(app: web.Application, prefix: str, folder: Path) -> None:
    """``GET {prefix}{path}`` for every file under ``folder`` (``prefix`` ends with ``/``)."""
    files = read_tree(folder)

    async def handler(request: web.Request) -> web.Response:
        asset = files.get(request.match_info["path"])
        if asset is None:
            raise web.HTTPNotFound(text=f"no file {prefix}{request.match_info['path']} here")
        return asset.answer(request)

    app.router.add_get(prefix + "{path:.+}", handler)


class ShowFile:
    """One file the show config names (its logo, a question's picture), read on the first request and
    from memory after; ``missing`` is the 404's words when the file is not there."""

    def __init__(self, path: Path, missing: str) -> None:
        self.path, self.missing = path, missing
        self._asset: Asset | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """The route's handler: a method, as aiohttp takes a callable object for a plain function (deprecated)."""
        if self._asset is None:
            try:
                body = await asyncio.to_thread(self.path.read_bytes)  # opens and closes in the thread
            except OSError:
                raise web.HTTPNotFound(text=self.missing) from None
            self._asset = Asset(body, self.path.name)
        return self._asset.answer(request)
