"""Settings for `check` from three places, strongest first: the command line, the environment
(BUDSJETTKONTROLL_*), and a configuration file found from the working directory upward — a
`budsjettkontroll.toml`, or `[tool.budsjettkontroll]` in a `pyproject.toml` (the convention ruff made familiar).

A bad value is bad input: it is reported naming the file (or variable) and key, and the run exits 2.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem

CONFIG_FILE = "budsjettkontroll.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "BUDSJETTKONTROLL_"
ENV_CONFIG = ENV_PREFIX + "CONFIG"  # an explicit configuration file, like --config
FAIL_ON = ("error", "warning", "info")
FORMATS = ("rich", "text", "json", "markdown", "html", "junit", "sarif", "github")
LIST_KEYS = ("paths", "select", "ignore")
KEYS = ("paths", "policy", "fail_on", "tolerance", "select", "ignore", "waivers", "format")
PATH_KEYS = ("paths", "waivers")  # relative to the configuration file's folder
MAX_CONFIG_BYTES = 1024 * 1024
MAX_TOLERANCE = 1_000_000  # 1000 kr per ledd: a billion kroner of rounding is no rounding
META_FILE = "budsjett.toml"  # as package.META_FILE; not imported, so reading settings does not load pandas


@dataclass
class Settings:
    """The settings `check` runs with, and where each one came from (for messages and --show-settings)."""

    paths: list[str] = field(default_factory=list)
    policy: str | None = None
    fail_on: str = "error"
    tolerance: float | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    waivers: str | None = None
    format: str | None = None
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"konfigurasjonsfil: {self.config_file or '(ingen)'}"]
        for key in KEYS:
            value = getattr(self, key)
            shown = ", ".join(value) if isinstance(value, list) else ("–" if value is None else str(value))
            lines.append(f"{key} = {shown}  ({self.sources.get(key, 'standard')})")
        return "\n".join(lines) + "\n"


def find_config(start: Path | None = None) -> Path | None:
    """The nearest budsjettkontroll.toml, or pyproject.toml with [tool.budsjettkontroll], from `start` upward.

    In one folder budsjettkontroll.toml wins over pyproject.toml; a pyproject.toml without the section is passed by.
    """
    try:
        start = (start or Path.cwd()).resolve()
    except OSError:  # the working directory was deleted under us: there is no configuration to find, run anyway
        return None
    for folder in (start, *start.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _mentions_tool(pyproject):
            return pyproject
    return None


def _mentions_tool(path: Path) -> bool:
    """Has a [tool.budsjettkontroll] table. An unrelated (even broken) pyproject.toml is not our business."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    if "budsjettkontroll" not in text:
        return False
    try:
        tool = tomllib.loads(text).get("tool")
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return "tool.budsjettkontroll" in text  # ours but broken: read_config reports it
    return isinstance(tool, dict) and "budsjettkontroll" in tool


def read_config(path: Path) -> dict[str, Any]:
    """The settings table of one configuration file, keys normalised (fail-on → fail_on), paths resolved."""
    display = str(path)
    if not path.is_file():
        raise InputError(Problem("konfigurasjonsfilen finnes ikke", file=display))
    from .readers import check_size, read_limited
    from .safeload import load_toml

    check_size(path, display)
    try:
        data = load_toml(read_limited(path, display, MAX_CONFIG_BYTES).decode("utf-8-sig"), display)
    except UnicodeDecodeError:
        raise InputError(Problem("er ikke UTF-8", file=display)) from None
    table = data.get("tool", {}).get("budsjettkontroll") if isinstance(data.get("tool"), dict) else None
    if table is None:
        if path.name == PYPROJECT:
            return {}
        table = data
    if not isinstance(table, dict):
        raise InputError(Problem("[tool.budsjettkontroll] må være en tabell", file=display))
    values = {}
    problems = []
    for raw_key, value in table.items():
        key = str(raw_key).replace("-", "_")
        if key not in KEYS:
            problems.append(Problem(f"ukjent nøkkel «{raw_key}» (kjente: {', '.join(KEYS)})", file=display))
            continue
        try:
            values[key] = _check(key, value)
        except ValueError as exc:
            problems.append(Problem(f"nøkkelen «{raw_key}»: {exc}", file=display))
    if problems:
        raise InputError(problems)
    base = path.parent
    for key in PATH_KEYS:
        if key in values:
            values[key] = ([str(base / p) for p in values[key]] if isinstance(values[key], list)
                           else str(base / values[key]))
    if "policy" in values and _looks_like_path(values["policy"]):
        values["policy"] = str(base / values["policy"])
    return values


def _looks_like_path(value: str) -> bool:
    """A policy is a bundled pack's name (asker, nasjonal) or a path to a YAML file."""
    return "/" in value or "\\" in value or value.lower().endswith((".yaml", ".yml"))


def _check(key: str, value: Any) -> Any:
    """One value, checked and converted; ValueError says what is wrong in Norwegian."""
    if key in LIST_KEYS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError("må være en liste med tekster")
        return [v.strip() for v in value]
    if key == "tolerance":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"må være et tall, ikke «{value}»")
        if not math.isfinite(value):
            raise ValueError(f"må være et endelig tall, ikke «{value}»")
        if value < 0:
            raise ValueError("kan ikke være negativ")
        if value > MAX_TOLERANCE:
            raise ValueError(f"er urimelig stor (grensen er {MAX_TOLERANCE} i 1000 kr)")
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("må være en tekst")
    value = value.strip()
    if key == "fail_on" and value not in FAIL_ON:
        raise ValueError(f"må være en av {', '.join(FAIL_ON)}, ikke «{value}»")
    if key == "format" and value not in FORMATS:
        raise ValueError(f"må være en av {', '.join(FORMATS)}, ikke «{value}»")
    return value


def read_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """BUDSJETTKONTROLL_<KEY>; lists separated by commas (paths by the platform's path separator). Empty = unset."""
    environ = dict(os.environ if environ is None else environ)
    values, problems = {}, []
    for key in KEYS:
        name = ENV_PREFIX + key.upper()
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        try:
            if key in LIST_KEYS:
                sep = os.pathsep if key == "paths" else ","
                values[key] = _check(key, [p.strip() for p in raw.split(sep) if p.strip()])
            elif key == "tolerance":
                try:
                    number = float(raw.replace(",", "."))
                except ValueError:
                    raise ValueError(f"må være et tall, ikke «{raw}»") from None
                values[key] = _check(key, number)
            else:
                values[key] = _check(key, raw)
        except ValueError as exc:
            problems.append(Problem(f"miljøvariabelen {name}: {exc}"))
    if problems:
        raise InputError(problems)
    return values


def resolve_settings(cli: dict[str, Any], config: Path | None = None, environ: dict[str, str] | None = None,
                     cwd: Path | None = None, use_config: bool = True) -> Settings:
    """Merge: command line > environment > configuration file > defaults. `cli` holds None for options not given."""
    env_source = os.environ if environ is None else environ
    explicit = config or (Path(env_source[ENV_CONFIG]) if env_source.get(ENV_CONFIG, "").strip() else None)
    if explicit is not None and cwd is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    path = explicit if explicit is not None else (find_config(cwd) if use_config else None)
    layers = [
        (read_config(path) if path else {}, str(path) if path else ""),
        (read_environment(env_source), "miljøvariabel"),
        (_checked_cli(cli), "kommandolinjen"),
    ]
    from .safeload import clean

    settings = Settings(config_file=path)
    for values, source in layers:
        values = clean(values)  # an ESC typed into --select or an environment variable is shown, never sent
        for key, value in values.items():
            setattr(settings, key, value)
            settings.sources[key] = source if source != "miljøvariabel" else ENV_PREFIX + key.upper()
    return settings


def _checked_cli(cli: dict[str, Any]) -> dict[str, Any]:
    """The command line's values, checked like the others (--tolerance nan is as wrong as tolerance = nan)."""
    values = {k: v for k, v in cli.items() if k in KEYS and v not in (None, [], ())}
    problems = []
    if "tolerance" in values:
        try:
            values["tolerance"] = _check("tolerance", values["tolerance"])
        except ValueError as exc:
            problems.append(Problem(f"--tolerance {exc}"))
    if problems:
        raise InputError(problems)
    return values


def packages_of(files: list[Path]) -> list[Path]:
    """The budget packages that changed files belong to (pre-commit passes files, not packages).

    A file inside a folder with budsjett.toml (at any depth) names that folder; an .xlsx names itself; other
    files (a README, an unrelated CSV) name nothing. Each package once, in the order first named.
    """
    found: dict[Path, None] = {}
    for file in files:
        path = Path(file)
        if path.suffix.lower() == ".xlsx" and path.is_file():
            found.setdefault(path, None)
            continue
        if path.is_dir() and (path / META_FILE).is_file():
            found.setdefault(path, None)
            continue
        for folder in path.parents:
            if (folder / META_FILE).is_file():
                found.setdefault(folder, None)
                break
    return list(found)
