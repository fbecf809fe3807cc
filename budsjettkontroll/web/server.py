"""Start the page: bind the socket first (so the printed address is the real one, also with a free port), then
hand it to uvicorn."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host == "localhost" else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def prepare(path: Path | None, proposal: Path | None, policy: str | None = None):
    """The workspace and the proposal laid into the page (InputError for a bad package or proposal file)."""
    from ..amendment import load_amendment
    from .draft import draft_from_amendment
    from .workspace import Workspace

    workspace = Workspace.open(path, policy)
    initial = None
    if proposal is not None:
        amendment = load_amendment(proposal)
        base = workspace.base(workspace.package_for(amendment.spec.grunnlag) or workspace.default)
        initial = draft_from_amendment(amendment, base.budget, base.name, base.grunnlag)
    return workspace, initial


def serve(path: Path | None, host: str, port: int, proposal: Path | None, open_browser: bool,
          policy: str | None = None) -> None:
    import uvicorn

    from .app import create_app

    workspace, initial = prepare(path, proposal, policy)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    url = url_of(host, actual)
    if host not in LOOPBACK:
        print(f"advarsel: siden er tilgjengelig for andre maskiner på nettet via {host}:{actual}. Den har ingen "
              "innlogging; bruk bare --host på et nett du stoler på.", file=sys.stderr, flush=True)
    print(f"Endringsforslag i nettleseren: {url}", flush=True)
    print("Stopp med Ctrl+C.", flush=True)
    app = create_app(workspace, host, actual, initial)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                            date_header=False)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])
