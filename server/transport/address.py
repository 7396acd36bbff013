"""Which address the hall's devices use to reach this server: one rule for ``run``'s printout, the
audience's join QR code on air and the pads' QR codes in the controller.

- ``--public-url`` (or ``SHOWCALLER_PUBLIC_URL``) wins: a proxy, a tunnel or a name the operator chose.
  In a cluster it is the edges' address, which serves no desk page: the pads and the controller use
  ``--desk-url`` there (``desk_url``), or else this machine's own address.
- A page loaded from a non-loopback host was reached there, so devices can reach it there too.
- Otherwise (the printout, or a page opened on this machine at 127.0.0.1): listening on every
  interface (the default), devices use this machine's network address; listening on one address,
  that address, even a loopback one: a QR code never points where the server does not listen, and
  the printout and the controller say that the hall cannot reach it.
"""

from __future__ import annotations

import io
import ipaddress
import socket
from urllib.parse import urlsplit

import segno
from aiohttp import web
from msgspec import Struct

ANY_IPV4, ANY_IPV6 = "0.0.0.0", "::"
DEFAULT_HOST = ANY_IPV4  # the hall's phones and tablets must reach the server out of the box
PUBLIC_URL: web.AppKey[str | None] = web.AppKey("public_url")
DESK_URL: web.AppKey[str | None] = web.AppKey("desk_url")  # the pads' way to the show's owner
LISTEN_HOST: web.AppKey[str] = web.AppKey("listen_host")


class Reach(Struct, frozen=True):
    """Where devices reach the server, and whether the hall's network can."""

    base: str  # scheme://host[:port], no trailing slash
    hall: bool  # devices on the hall's network can reach ``base``
    why: str | None = None  # when not: "loopback" (listening on this machine only) | "offline" (no network address)


def is_loopback(host: str) -> bool:
    """An address (or ``localhost``) only this machine can reach."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Listening on every interface of a family."""
    return host in ("", ANY_IPV4, ANY_IPV6, "[::]")


def lan_address(ipv6: bool = False) -> str:
    """This machine's address on its default route (a UDP "connect" sends no packet); loopback if it has none."""
    family, probe_to, none = (
        (socket.AF_INET6, "2001:db8::1", "::1") if ipv6 else (socket.AF_INET, "10.254.254.254", "127.0.0.1")
    )
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((probe_to, 1))
            return probe.getsockname()[0]
    except OSError:
        return none


def check_public_url(url: str, option: str = "--public-url / SHOWCALLER_PUBLIC_URL") -> str:
    """The public URL without a trailing slash; ValueError saying what is wrong with it (and naming
    ``option``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{option}: expected http(s)://host[:port], e.g. https://vote.example.vn; got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{option}: no query or fragment, please; got {url!r}")
    return url.strip().rstrip("/")


def url_base(host: str, port: int | None, scheme: str = "http") -> str:
    """``scheme://host[:port]`` with IPv6 in brackets and the scheme's default port left out."""
    host = host.strip("[]")
    netloc = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{netloc}{'' if port in (None, default) else f':{port}'}"


def reach(
    listen: str,
    port: int,
    public_url: str | None = None,
    seen: tuple[str, int | None] | None = None,
    scheme: str = "http",
) -> Reach:
    """Where devices reach a server listening on ``listen``:``port``; ``seen`` is the host and port a page
    was loaded from (None for ``run``'s printout)."""
    if public_url:
        return Reach(public_url.rstrip("/"), True)
    if seen is not None:
        host, seen_port = seen
        port = seen_port if seen_port is not None else port
        if host and not is_loopback(host):
            return Reach(url_base(host, port, scheme), True)
    if is_wildcard(listen):
        address = lan_address(ipv6=":" in listen)
        if is_loopback(address):
            return Reach(url_base(address, port, scheme), False, "offline")
        return Reach(url_base(address, port, scheme), True)
    if is_loopback(listen):
        return Reach(url_base(listen, port, scheme), False, "loopback")
    return Reach(url_base(listen, port, scheme), True)


def local_base(listen: str, port: int) -> str:
    """Where this machine itself (OBS beside the server) reaches it, independent of the hall's Wi-Fi."""
    if is_wildcard(listen):
        return url_base("::1" if ":" in listen else "127.0.0.1", port)
    return url_base(listen, port)


def request_reach(request: web.Request, desk: bool = False) -> Reach:
    """Where devices reach the server that answered ``request``: phones, or with ``desk`` the pads."""
    app = request.app
    return reach(
        app.get(LISTEN_HOST, DEFAULT_HOST),
        request.url.port or 80,
        app.get(DESK_URL if desk else PUBLIC_URL),
        seen=(request.url.host or "", request.url.port),
        scheme=request.scheme,
    )


def qr_svg(url: str, scale: int = 10, border: int = 2, sized: bool = True) -> web.Response:
    """A QR code of ``url`` as an SVG response: black on white, never cached (the address may change);
    without ``sized``, the SVG has no width and height and fills its box."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=scale, border=border, dark="#000", light="#fff", omitsize=not sized
    )
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def join_boot(url: str) -> dict[str, str]:
    """What a page that shows the join QR code needs: the address, its short form, the code's own URL."""
    return {"url": url, "short": url.split("://", 1)[-1], "qr": "/join.svg"}


def network_text(listen: str, port: int, where: Reach) -> list[str]:
    """``run``'s lines on where it listens and who can reach it."""
    at = f"{url_base(listen, port).split('://', 1)[1]}"
    if is_wildcard(listen):
        lines = [f"listening on {at} (every network interface{'' if ':' not in listen else ' of IPv6'})"]
    else:
        lines = [f"listening on {at} only"]
    if where.why == "loopback":
        lines.append(
            "WARNING: this address is this machine's own (loopback): phones, tablets and judges' pads on the "
            "hall's network CANNOT reach it, and the QR codes point at it too. Start without --host (listens on "
            f"{DEFAULT_HOST}) or with --host set to this machine's network address to let them in."
        )
    elif where.why == "offline":
        lines.append(
            "WARNING: this machine has no network address (is it on the hall's Wi-Fi?): devices cannot reach it yet; "
            "the URLs below work on this machine only. Connect it to the network and restart, or pass --public-url."
        )
    else:
        lines.append(f"devices on the hall's network (pads, phones, the QR codes) use {where.base}")
    return lines
