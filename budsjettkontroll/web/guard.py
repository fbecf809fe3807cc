"""Only the page itself may talk to the server: Host and Origin must be the served address, bodies are bounded.

A page on another site can make the browser send requests to 127.0.0.1 (a cross-site form post), and a
hostile DNS name can be re-pointed to 127.0.0.1 after the page has loaded (DNS rebinding). The first carries
a foreign Origin, the second a foreign Host; both are refused with 403 before any route runs.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from starlette.responses import PlainTextResponse

SAFE_METHODS = ("GET", "HEAD")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host values the server answers to. Loopback: 127.0.0.1 and localhost. Another --host: that address,
    and any IP literal (a name could be rebound; an address cannot)."""
    names = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if host not in ("127.0.0.1", "localhost"):
        names.add(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    if port == 80:  # a browser leaves the default port out of Host and Origin
        names |= {name.rsplit(":", 1)[0] for name in names}
    return names


class LocalOnly:
    """ASGI middleware: 403 for a foreign Host or Origin, 413 for a body over `max_body` bytes, 411 for a body
    without Content-Length."""

    def __init__(self, app: Any, host: str, port: int, max_body: int):
        self.app = app
        self.port = port
        self.hosts = allowed_hosts(host, port)
        self.any_ip = host not in ("127.0.0.1", "localhost", "::1")
        self.max_body = max_body

    def host_ok(self, value: str | None) -> bool:
        if value is None:
            return False
        if value in self.hosts:
            return True
        if self.any_ip:
            name, _, port = value.rpartition(":")
            if self.port == 80 and (not name or name.endswith("]")):  # no port given: «10.0.0.5», «[::1]»
                name, port = value, "80"
            return port == str(self.port) and _is_ip(name)
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        refusal = None
        if not self.host_ok(headers.get("host")):
            refusal = (403, "Avvist: forespørselen gjelder ikke denne serverens adresse (Host).")
        elif "origin" in headers and not (headers["origin"].startswith("http://")
                                          and self.host_ok(headers["origin"][len("http://"):])):
            refusal = (403, "Avvist: forespørselen kommer fra en annen side (Origin).")
        elif method not in SAFE_METHODS and "origin" not in headers and \
                headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            refusal = (403, "Avvist: forespørselen kommer fra en annen side (Sec-Fetch-Site).")
        elif method not in SAFE_METHODS:
            length = headers.get("content-length")
            if length is None:
                refusal = (411, "Avvist: forespørselen mangler Content-Length.")
            elif not length.isdigit() or int(length) > self.max_body:
                refusal = (413, f"Avvist: forespørselen er større enn {self.max_body // 1024} kB.")
        if refusal is not None:
            response = PlainTextResponse(refusal[1], status_code=refusal[0])
            await response(scope, receive, send)
            return
        await self.app(scope, _bounded(receive, self.max_body), send)


def _bounded(receive, limit: int):
    """A body that grows past its declared limit is cut off (the route then sees a disconnected client)."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                return {"type": "http.disconnect"}
        return message

    return wrapped
