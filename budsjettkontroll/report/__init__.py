"""Renderers: each turns a CheckResult into text. They never compute; they only present findings and figures."""

from __future__ import annotations

import importlib

# format name → module in this package with `render(results, options) -> str`
FORMATS = {
    "rich": "terminal",
    "text": "terminal",
    "json": "jsonout",
    "markdown": "markdown",
    "html": "html",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
}


def available() -> list[str]:
    out = []
    for name, module in FORMATS.items():
        try:
            importlib.util.find_spec(f"{__name__}.{module}")
        except ModuleNotFoundError:
            continue
        if importlib.util.find_spec(f"{__name__}.{module}") is not None:
            out.append(name)
    return out


def renderer(name: str):
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")
