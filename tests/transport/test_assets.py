"""The pages' files from memory: every file of every folder, ETags and 304s, gzip for text, and
nothing left open when a browser goes away mid-load."""

from __future__ import annotations

import asyncio
import gc
import gzip
import pathlib
import threading
import time
import warnings
import weakref
from collections.abc import Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.transport.assets import Asset, ShowFile, read_tree
from server.transport.pages import ROOT
from tests.transport.conftest import LiveShow

FOLDERS = {
    "/static/": ROOT / "static",
    "/controller/": ROOT / "controller" / "static",
    "/audience/static/": ROOT / "audience" / "static",
    "/overlays/": ROOT / "overlays" / "static",
    "/screen/static/": ROOT / "screen" / "static",
}


async def test_every_file_is_served_as_it_is_on_disk(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    for prefix, folder in FOLDERS.items():
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files, folder
        for path in files:
            response = await client.get(prefix + path.relative_to(folder).as_posix())
            assert response.status == 200, path
            assert await response.read() == path.read_bytes(), path  # the client undoes any gzip
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    types = {
        "/controller/control.js": "javascript",
        "/static/fonts/fonts.css": "text/css",
        "/overlays/overlay.css": "text/css",
    }
    for url, kind in types.items():
        response = await client.get(url)
        assert kind in response.headers["Content-Type"], url


async def test_a_reload_costs_a_304_and_text_goes_gzipped(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    first = await client.get("/controller/control.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    raw = await first.read()
    assert first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw) == (ROOT / "controller" / "static" / "control.js").read_bytes()
    again = await client.get("/controller/control.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and await again.read() == b""
    plain = await client.get("/controller/control.js", headers={"Accept-Encoding": "identity"}, auto_decompress=False)
    assert "Content-Encoding" not in plain.headers and await plain.read() == gzip.decompress(raw)
    font = await client.get("/static/fonts/" + _a_font(), headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in font.headers  # already compressed


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('"{tag}"', 304),
        ('"older", W/"{tag}"', 304),  # a list, this version weak: If-None-Match compares weakly (RFC 9110)
        ('"older" ,"{tag}" , "oldest"', 304),
        ("*", 304),
        ('"{near}"', 200),  # a substring of this version's ETag is another version
        ('"{tag}0", W/"0{tag}"', 200),  # and so is an ETag holding this one
        ('"older"', 200),
        ("", 200),
    ],
)
def test_a_304_needs_this_very_etag_in_the_list(if_none_match: str, status: int) -> None:
    asset = Asset(b"console.log(1)", "a.js")
    tag = asset.etag.strip('"')
    header = if_none_match.format(tag=tag, near=tag[2:-2])
    response = asset.answer(make_mocked_request("GET", "/a.js", headers={"If-None-Match": header}))
    assert response.status == status, header
    assert response.headers["ETag"] == asset.etag


async def test_only_files_of_the_folder_are_served(live: LiveShow, aiohttp_client) -> None:
    client = await aiohttp_client(live.server)
    for url in ("/static/nope.js", "/static/../pyproject.toml", "/controller/%2e%2e/templates/control.html"):
        response = await client.get(url)
        assert response.status == 404, url
    missing = await client.get("/controller/nope.js")
    assert "no file /controller/nope.js here" in await missing.text()


async def test_a_file_the_show_names_is_read_once_and_a_missing_one_is_said_in_words(tmp_path: pathlib.Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(b"<svg/>")
    handler = ShowFile(logo, "this show has no logo").handle
    assert (await handler(make_mocked_request("GET", "/show/logo"))).body == b"<svg/>"
    logo.unlink()
    assert (await handler(make_mocked_request("GET", "/show/logo"))).body == b"<svg/>"  # from memory
    with pytest.raises(web.HTTPNotFound) as missing:
        await ShowFile(logo, "this show has no logo").handle(make_mocked_request("GET", "/show/logo"))
    assert missing.value.text == "this show has no logo"


@pytest.mark.parametrize("url", ["/static/fonts/fonts.css", "/show/logo"])
async def test_a_page_closed_mid_load_leaves_no_file_open(live: LiveShow, aiohttp_client, monkeypatch, url) -> None:
    """The test server cancels a handler when its client goes away (as a browser closing a page
    does). aiohttp's static files opened the file in a thread, and a cancel while the thread was in
    ``open`` dropped the open file (a ResourceWarning, an error in the suite). Here the server's open
    is held until the client has gone and the server has seen it."""
    opening, release = threading.Event(), threading.Event()
    files: list[weakref.ref] = []  # what the server opened: each must end closed, by the server
    real_open = pathlib.Path.open

    def held_open(path: pathlib.Path, *args, **kwargs):
        if path.suffix not in (".css", ".svg"):
            return real_open(path, *args, **kwargs)
        opening.set()
        release.wait(10)
        file = real_open(path, *args, **kwargs)
        files.append(weakref.ref(file))
        return file

    monkeypatch.setattr(pathlib.Path, "open", held_open)
    client = await aiohttp_client(live.server)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        request = asyncio.ensure_future(client.get(url))
        await _until(lambda: opening.is_set() or request.done(), "the server neither opened the file nor answered")
        if request.done():  # answered from memory: no file was opened
            assert (await request).status == 200 and not opening.is_set()
        else:
            request.cancel()
            try:  # until the server has seen the client go
                await _until(lambda: not any(map(_handling, asyncio.all_tasks())), "the server never saw the client go")
            finally:
                release.set()
            await _until(lambda: _all_closed(files), "a file the server opened was never closed")
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)]
    assert (await client.get(url)).status == 200


async def _until(done: Callable[[], object], failure: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{failure} (waited {timeout:g} s)"
        await asyncio.sleep(0.005)


def _handling(task: asyncio.Task) -> bool:
    return "RequestHandler.start" in repr(task.get_coro())


def _all_closed(files: list[weakref.ref]) -> bool:
    gc.collect()  # a file dropped unclosed is closed when collected, and warns
    return bool(files) and all(_closed(ref) for ref in files)


def _closed(ref: weakref.ref) -> bool:
    file = ref()
    return file is None or file.closed


def _a_font() -> str:
    return next(name for name in read_tree(ROOT / "static") if name.endswith(".woff2")).removeprefix("fonts/")
