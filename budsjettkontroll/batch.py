"""Batch mode: check every budget package below a folder in one run, optionally in worker processes.

A data repository may hold every kommune's budget for ten years. Each package is loaded, checked and
rendered on its own (in a worker when --jobs > 1); only a small outcome per package (its summary row and
its part of the report as text) comes back, is written at once, and is dropped, so memory does not grow
with the number of packages. One unreadable package is reported and the others still run.

Exit code over all packages: the highest, so 3 if any had an internal error, else 2 if any package is bad input,
else 1 if any has a failure at or above --fail-on (or no rule could be evaluated), else 0.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import textwrap
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Iterator

META_FILE = "budsjett.toml"
META_SHEET = "budsjett"
TABLE_FILES = ("drift.csv", "investering.csv")  # a folder with these but no budsjett.toml is a broken package
STREAMED = ("rich", "text", "json")
_SHEET_NAME = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"')


# --- finding the packages ---------------------------------------------------------------------------------

def is_batch_dir(path: Path) -> bool:
    """A folder that is not itself a package but holds some: batch mode checks every package below it.
    (A folder with no package at all is read as one package, so the message says what it lacks.)"""
    return path.is_dir() and not (path / META_FILE).is_file() and bool(discover(path))


def _workbook_has_meta_sheet(path: Path) -> bool:
    """Read only the sheet names (xl/workbook.xml); a file that is not a readable zip is kept, to be reported."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/workbook.xml")
            if info.file_size > 10 * 1024 * 1024:
                return True  # let the loader judge (and refuse) it
            data = zf.read(info)
    except KeyError:
        return False  # a zip, but not a workbook
    except (zipfile.BadZipFile, OSError):
        return True
    return any(name.decode("utf-8", "replace").strip().lower() == META_SHEET for name in _SHEET_NAME.findall(data))


MAX_WALK_DEPTH = 32  # kommune/år/versjon/pakke is four levels; a tree deeper than this is not a budget archive


def discover(root: Path, notes: list[str] | None = None) -> list[Path]:
    """Every package below `root`, sorted: folders with budsjett.toml (not searched further), folders that
    hold budget CSV files without one (reported as broken), and .xlsx workbooks with a `budsjett` sheet.
    Hidden folders are skipped; symbolic links to folders are not followed (no loops). The walk is iterative
    and stops MAX_WALK_DEPTH levels down (a note says so); only regular files are opened (a named pipe called
    x.xlsx would block the open forever: it is listed as a package, for the loader to refuse unread)."""
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    too_deep: list[Path] = []
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        dirs, files = [], {}
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.name.startswith(".") and not entry.is_symlink():
                    dirs.append(entry)
            else:
                files[entry.name] = entry
        if META_FILE in files or (here != root and any(f in files for f in TABLE_FILES)):
            found.append(here)
            continue
        for name, entry in files.items():
            if not name.lower().endswith(".xlsx") or name.startswith(("~$", ".")):
                continue
            try:
                regular = entry.is_file()
            except OSError:
                regular = False
            if not regular or _workbook_has_meta_sheet(here / name):
                found.append(here / name)
        if depth + 1 > MAX_WALK_DEPTH:
            if dirs:
                too_deep.append(here)
            continue
        stack.extend((Path(d.path), depth + 1) for d in reversed(dirs))
    if too_deep and notes is not None:
        notes.append(f"{root}: mappetreet er dypere enn {MAX_WALK_DEPTH} nivåer; mappene under "
                     f"{too_deep[0]} er ikke søkt gjennom")
    return sorted(found, key=lambda p: str(p))


def expand(paths: list[Path], notes: list[str] | None = None) -> list[Path]:
    """The packages the command line names: batch folders are expanded, other paths kept as given."""
    out: list[Path] = []
    for path in paths:
        out += discover(path, notes) if path.is_dir() and not (path / META_FILE).is_file() else [path]
    return list(dict.fromkeys(out))


# --- checking one package (in the main process or a worker) ------------------------------------------------

@dataclass
class BatchSettings:
    """What every worker needs to know; plain data so it pickles."""

    fmt: str = "text"
    fail_on: str = "error"
    policy: str | None = None
    verbose: bool = False
    tolerance: Any = None  # Decimal or None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extra_packs: list[str] = field(default_factory=list)
    waivers: str | None = None  # path of the waiver file
    report_settings: list = field(default_factory=list)  # report/settings.py entries: what changed the judging
    config_file: str | None = None


@dataclass
class Outcome:
    """One package's row in the summary and its part of the report; the budget itself stays in the worker."""

    path: str
    kommune: str | None = None
    title: str | None = None
    errors: int = 0
    warnings: int = 0
    handlingsregler: str = "–"
    code: int = 0  # 0, 1, 2 or 3 for this package
    problems: list[str] = field(default_factory=list)  # input problems, one line each
    summary: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # this package's part of the report
    findings_json: str = ""  # --format json: its findings, for the document's top-level list
    used_waivers: list[int] = field(default_factory=list)  # indices into the waiver file's entries


def handlingsregler_met(result) -> str:
    """«met av vurdert» over the key figures' years, from the key-figure section when there is one."""
    section = result.sections.get("key_figures")
    as_json = getattr(section, "as_json", None)
    if as_json is None:
        return "–"
    try:
        levels = [item.get("level") for item in as_json() if isinstance(item, dict)]
    except Exception:  # a section that cannot describe itself must not stop the batch
        return "–"
    judged = [level for level in levels if level and level != "not_evaluated"]
    if not judged:
        return "–"
    return f"{sum(1 for level in judged if level in ('acceptable', 'target'))} av {len(judged)}"


def check_one(path: str, settings: BatchSettings) -> Outcome:
    """Load, check and render one package; bad input becomes an outcome with exit code 2, never an exception."""
    from .check import run_check
    from .errors import InputError
    from .findings import FAIL, exit_code
    from .package import load_package
    from .rules.engine import Options

    outcome = Outcome(path)
    options = Options(tolerance=settings.tolerance, select=list(settings.select), ignore=list(settings.ignore))
    try:
        result = run_check(load_package(Path(path)), options, settings.policy, extra_packs=settings.extra_packs)
        if settings.waivers:
            outcome.used_waivers = _waive(result, _waivers(settings.waivers))
    except InputError as exc:
        outcome.code = 2
        outcome.problems = [str(p) for p in exc.problems]
        return outcome
    except Exception as exc:  # a bug met by one package must not cost the other 3 599 their report
        outcome.code = 3
        outcome.problems = [f"{path}: intern feil under kontrollen ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                            "kjør check på denne pakken alene og meld fra om feilen"]
        return outcome
    meta = result.budget.meta
    outcome.kommune, outcome.title = meta.kommune, meta.title
    failed = [f for f in result.findings if f.status == FAIL]
    outcome.errors = sum(1 for f in failed if f.severity == "error")
    outcome.warnings = sum(1 for f in failed if f.severity == "warning")
    outcome.handlingsregler = handlingsregler_met(result)
    outcome.code = exit_code(result.findings, settings.fail_on)
    outcome.summary = result.summary
    rendered = _render(result, settings, path)
    outcome.text, outcome.findings_json = rendered if isinstance(rendered, tuple) else (rendered, "")
    return outcome


@lru_cache(maxsize=4)
def _waivers(path: str) -> list:
    from .waivers import load_waivers

    return load_waivers(path)


def _live(waivers: list) -> list[tuple[int, Any]]:
    import datetime as dt

    today = dt.date.today()
    return [(i, w) for i, w in enumerate(waivers) if w.spec.expires is None or w.spec.expires >= today]


def _waive(result, waivers: list) -> list[int]:
    """Mark this package's failures that a live waiver covers; return the waivers used."""
    from .findings import FAIL, WAIVED

    used: list[int] = []
    live = _live(waivers)
    for finding in result.findings:
        if finding.status != FAIL:
            continue
        for index, waiver in live:
            if waiver.covers_package(result.budget) and waiver.matches(finding):
                finding.status, finding.justification = WAIVED, waiver.spec.justification
                used.append(index)
                break
    return sorted(set(used))


def waiver_warnings(settings: BatchSettings, rows: list["Outcome"]) -> list[str]:
    """Expired waivers, and waivers that matched no failure in any package, so the list cannot rot."""
    if not settings.waivers:
        return []
    try:
        waivers = _waivers(settings.waivers)
    except Exception:  # already reported per package as bad input
        return []
    used = {i for r in rows for i in r.used_waivers}
    live = {i for i, _ in _live(waivers)}
    out = []
    for i, waiver in enumerate(waivers):
        where = f"{waiver.file}:{waiver.line}" if waiver.line else waiver.file
        if i not in live:
            out.append(f"{where}: unntaket for {waiver.describe()} utløp {waiver.spec.expires.isoformat()} og gjelder "
                       "ikke lenger")
        elif i not in used:
            out.append(f"{where}: unntaket for {waiver.describe()} treffer ikke noe brudd i noen av pakkene")
    return out


_FINDINGS = "\u0000findings\u0000"  # stands in for the findings array while the rest of a result is serialised


def _render(result, settings: BatchSettings, path: str) -> str | tuple[str, str]:
    if settings.fmt == "json":
        return _json_parts(result, settings.fail_on, settings)
    if settings.verbose:
        from .report import terminal

        return terminal.render([result], {"fail_on": settings.fail_on, "verbose": True, "color": False})
    return _failures_text(result, settings, path)


def _json_parts(result, fail_on: str, settings: BatchSettings | None = None) -> tuple[str, str]:
    """The result as in the one-budget JSON report, and its findings alone (each serialised once; the batch
    document lists them in its result and again, like the multi-budget report, in its top-level «findings»)."""
    from .report.jsonout import result_dict

    options = {"settings": settings.report_settings, "config_file": settings.config_file} if settings else {}
    data = result_dict(result, fail_on, options)
    items = ",\n".join(textwrap.indent(json.dumps(f, ensure_ascii=False, indent=2, default=str), "    ")
                        for f in data["findings"])
    data["findings"] = _FINDINGS
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    array = f"[\n{items}\n  ]" if items else "[]"
    return text.replace(json.dumps(_FINDINGS), array, 1), items


def _failures_text(result, settings: BatchSettings, path: str) -> str:
    """Compact: one heading per package, one line per failure at warning level or above (or --fail-on)."""
    from .findings import FAIL, SEVERITY_RANK
    from .report.present import SEVERITY_WORD, result_verdict, sort_findings, verdict

    meta = result.budget.meta
    shown_from = min(SEVERITY_RANK["warning"], SEVERITY_RANK[settings.fail_on])
    failed = [f for f in sort_findings(result.findings)
              if f.status == FAIL and SEVERITY_RANK[f.severity] >= shown_from]
    lines = [f"== {meta.kommune} kommune – {meta.title} ({path}): {result_verdict(result, settings.fail_on)}"]
    for f in failed:
        where = f"{f.year}" if f.year else "hele perioden"
        subject = f" [{f.subject}]" if f.subject else ""
        lines.append(f"   BRUDD {SEVERITY_WORD[f.severity]} {f.rule} {where}{subject}: {f.message}")
    return "\n".join(lines) + "\n"


# --- running many ------------------------------------------------------------------------------------------

def outcomes(paths: list[Path], settings: BatchSettings, jobs: int = 1) -> Iterator[Outcome]:
    """Outcomes in the order of `paths`, computed here or by `jobs` worker processes."""
    import gc

    names = [str(p) for p in paths]
    jobs = min(jobs, max(len(names), 1), usable_cores())  # -j 500 for 4 packages on 2 cores: 2 workers, not 500
    if not names:
        return
    # The first package is checked here: that imports pandas and pandera and loads the rule packs once, and
    # workers forked afterwards start warm instead of each paying the cold start. What it loaded is then frozen out
    # of the garbage collector's way (gc.freeze): every later collection walks only what the packages since made,
    # and forked workers do not copy pages just to update reference counts the collector keeps.
    yield check_one(names[0], settings)
    gc.freeze()
    if jobs <= 1 or len(names) <= 2:
        for name in names[1:]:
            yield check_one(name, settings)
        return
    rest = names[1:]
    chunk = max(1, min(16, len(rest) // (jobs * 8)))
    from concurrent.futures import ProcessPoolExecutor  # here: `check` of one package need not import multiprocessing

    with ProcessPoolExecutor(max_workers=jobs, mp_context=_fork_context()) as pool:
        yield from pool.map(check_one, rest, [settings] * len(rest), chunksize=chunk)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container or `taskset` limits it), else all:
    the default of --jobs, as ruff and pytest-xdist users expect."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _fork_context():
    """Fork on Linux, so workers inherit the warm interpreter (no thread runs then: the progress bar refreshes
    without one); elsewhere the platform's default start method."""
    import multiprocessing

    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def overall_code(codes: list[int]) -> int:
    """The worst package decides: 3 intern feil, then 2 bad input, then 1 a rule broken, else 0."""
    return max(codes, default=0)


class _Stdout:
    """sys.stdout as it is at each write: rich's progress bar redirects it so lines print above the bar."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@contextmanager
def report_file(output: Path | None, force: bool = False, inputs: list | tuple = ()) -> Iterator[IO[str]]:
    """Standard output, or --output: never a file the run reads (any package's file), a pipe written as a stream,
    a regular file written next to its target and renamed into place when complete (writer.open_output)."""
    if output is None:
        yield _Stdout()
        return
    from .writer import open_output

    with open_output(output, inputs, force, report=True) as fh:
        yield fh


def package_files(paths: list[Path]) -> list[Path]:
    """Every file the packages below `paths` consist of: a batch report may not be written over any of them."""
    files: list[Path] = []
    for package in expand(paths):
        if package.is_dir():
            try:
                files += [p for p in package.iterdir() if p.is_file()]
            except OSError:
                continue
        else:
            files.append(package)
    return files


def run(paths: list[Path], settings: BatchSettings, out: IO[str] | None = None, jobs: int = 1,
        progress: bool | None = None, err: IO[str] | None = None, color: bool = False) -> int:
    """Check every package, writing each one's report to `out` as it finishes; return the exit code.

    `progress` None shows the bar when standard error is a terminal and there is more than one package.
    """
    from rich.console import Console

    out = out or _Stdout()
    err = err or sys.stderr
    notes: list[str] = []
    packages = expand(paths, notes)
    for note in notes:
        err.write(f"merk: {note}\n")
    if not packages:
        err.write(f"feil: {', '.join(map(str, paths))}: fant ingen budsjettpakker (mapper med {META_FILE} eller "
                  f".xlsx med arket «{META_SHEET}»)\n")
        return 2
    if settings.fmt not in STREAMED:
        return _run_collected(packages, settings, out, err)
    show_progress = (err.isatty() if progress is None else progress) and len(packages) > 1
    rows: list[Outcome] = []
    writer = _JsonWriter(out, settings.fail_on) if settings.fmt == "json" else None
    bar = _progress(Console(file=err, force_terminal=True if progress else None), len(packages)) \
        if show_progress else None
    shown = time.monotonic()
    try:
        if bar is not None:
            bar[0].start()
        for outcome in outcomes(packages, settings, jobs):
            for problem in outcome.problems:
                err.write(f"feil: {problem}\n")
            if writer is not None:
                writer.result(outcome)
            elif outcome.text:
                out.write(outcome.text)
            outcome.text = outcome.findings_json = ""  # written: keep only the summary row
            rows.append(outcome)
            if bar is not None:
                bar[0].advance(bar[1])
                if time.monotonic() - shown >= 0.1 or len(rows) == len(packages):
                    bar[0].refresh()
                    shown = time.monotonic()
    finally:
        if bar is not None:
            bar[0].stop()
    notes = waiver_warnings(settings, rows)
    code = overall_code([r.code for r in rows] + ([1] if notes and settings.fail_on != "error" else []))
    if writer is not None:
        writer.finish(rows, code, notes)
    else:
        console = Console(file=out, force_terminal=color, no_color=not color, width=160, highlight=False)
        render_summary(console, rows, settings.fail_on, code, notes)
    return code


def _progress(console, total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("Kontrollerer"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=False, auto_refresh=False)  # no refresh thread: workers are forked
    return bar, bar.add_task("budsjetter", total=total)


def render_summary(console, rows: list[Outcome], fail_on: str, code: int, notes: list[str] | None = None) -> None:
    """One row per package: kommune, title, errors, warnings, handlingsregler met; then the totals."""
    from rich.table import Table

    table = Table(title=f"Oppsummering: {len(rows)} budsjettpakker", title_justify="left")
    for column, justify in (("Kommune", "left"), ("Tittel", "left"), ("Feil", "right"), ("Advarsler", "right"),
                            ("Handlingsregler oppfylt", "right"), ("Resultat", "left"), ("Pakke", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for r in rows:
        if r.code == 2 or (r.code == 3 and not r.kommune):
            table.add_row("–", "–", "–", "–", "–", "[red]UGYLDIG INNDATA" if r.code == 2 else "[red]INTERN FEIL", r.path)
            continue
        if r.code == 3:
            table.add_row(r.kommune or "–", r.title or "–", str(r.errors), str(r.warnings), r.handlingsregler,
                          "[red]INTERN FEIL", r.path)
            continue
        result = "[red]BRUDD" if r.code else "[green]OK"
        table.add_row(r.kommune or "–", r.title or "–", str(r.errors), str(r.warnings), r.handlingsregler, result,
                      r.path)
    console.print(table)
    for note in notes or []:
        console.print(f"advarsel: {note}")
    bad = sum(1 for r in rows if r.code == 2)
    failed = sum(1 for r in rows if r.code == 1)
    internal = sum(1 for r in rows if r.code == 3)
    console.print(f"Totalt: {len(rows)} pakker · {len(rows) - bad - failed - internal} uten brudd · {failed} med brudd "
                  f"(--fail-on {fail_on}) · {bad} med ugyldig inndata · "
                  + (f"{internal} med intern feil · " if internal else "") +
                  f"{sum(r.errors for r in rows)} feil · {sum(r.warnings for r in rows)} advarsler · exit-kode {code}")


class _Tally:
    """All findings as counts per status (and severity of the failures): what the verdict reads, not held."""

    def __init__(self, rows: list[Outcome]):
        from .findings import FAIL, NOT_EVALUATED, PASS, SEVERITIES, WAIVED

        self.counts: dict[tuple[str, str], int] = {}
        for r in rows:
            status, failed = r.summary.get("status", {}), r.summary.get("failed_by_severity", {})
            for key, n in [*(((PASS, "info"), status.get(PASS, 0)), ((NOT_EVALUATED, "info"), status.get(NOT_EVALUATED, 0)),
                             ((WAIVED, "info"), status.get(WAIVED, 0))), *(((FAIL, v), failed.get(v, 0)) for v in SEVERITIES)]:
                self.counts[key] = self.counts.get(key, 0) + n

    def __iter__(self):
        import itertools
        from types import SimpleNamespace

        return itertools.chain.from_iterable(itertools.repeat(SimpleNamespace(status=s, severity=v), n)
                                             for (s, v), n in self.counts.items())


class _JsonWriter:
    """The multi-budget JSON document (report.schema.json), written one result at a time; the top-level
    findings wait in a temporary file, not in memory."""

    def __init__(self, out: IO[str], fail_on: str = "error"):
        from . import __version__
        from .report.jsonout import SCHEMA_VERSION

        self.out, self.fail_on = out, fail_on
        self.first = True
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.spooled = False
        head = {"schema_version": SCHEMA_VERSION, "tool": {"name": "budsjettkontroll", "version": __version__}}
        out.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "results": [')

    def result(self, outcome: Outcome) -> None:
        if not outcome.text:
            return
        self.out.write(("\n" if self.first else ",\n") + textwrap.indent(outcome.text, "    "))
        self.first = False
        if outcome.findings_json:
            self.spool.write((",\n" if self.spooled else "") + outcome.findings_json)
            self.spooled = True

    def finish(self, rows: list[Outcome], code: int, notes: list[str] | None = None) -> None:
        from .findings import FAIL, NOT_EVALUATED, PASS, SEVERITIES, WAIVED
        from .report.jsonout import verdict_dict

        status = {s: sum(r.summary.get("status", {}).get(s, 0) for r in rows) for s in (PASS, FAIL, NOT_EVALUATED, WAIVED)}
        failed = {s: sum(r.summary.get("failed_by_severity", {}).get(s, 0) for r in rows) for s in SEVERITIES}
        readable = [r for r in rows if r.summary]  # bad input and a crashed check have no findings
        summary = {"total": sum(r.summary.get("total", 0) for r in rows), "status": status,
                   "failed_by_severity": failed}
        internal = sum(r.summary.get("internal_errors", 0) for r in rows)
        if internal:
            summary["internal_errors"] = internal
        middle = {
            "summary": summary,
            "verdict": verdict_dict(_Tally(readable), self.fail_on),
        }
        tail = {
            "packages": [{"path": r.path, "kommune": r.kommune, "title": r.title, "errors": r.errors,
                          "warnings": r.warnings, "handlingsregler": r.handlingsregler, "exit_code": r.code,
                          "input_problems": r.problems} for r in rows],
            "waiver_warnings": notes or [],
            "exit_code": code,
        }
        self.out.write(("\n  ]," if not self.first else "],") + json.dumps(middle, ensure_ascii=False, indent=2)[1:-2])
        self.out.write(',\n  "findings": [')
        if self.spooled:
            self.out.write("\n")
            self.spool.seek(0)
            while chunk := self.spool.read(1 << 20):
                self.out.write(chunk)
            self.out.write("\n  ")
        self.spool.close()
        self.out.write("],")
        self.out.write(json.dumps(tail, ensure_ascii=False, indent=2)[1:] + "\n")


def _run_collected(packages: list[Path], settings: BatchSettings, out: IO[str], err: IO[str]) -> int:
    """Formats that are one document over all results (markdown, html, junit, sarif …): collected in memory."""
    from .check import run_check
    from .errors import InputError
    from .findings import exit_code
    from .package import load_package
    from .report import renderer
    from .rules.engine import Options

    options = Options(tolerance=settings.tolerance, select=list(settings.select), ignore=list(settings.ignore))
    results, codes = [], []
    for path in packages:
        try:
            results.append(run_check(load_package(path), options, settings.policy, extra_packs=settings.extra_packs))
            if settings.waivers:
                _waive(results[-1], _waivers(settings.waivers))
        except InputError as exc:
            for problem in exc.problems:
                err.write(f"feil: {problem}\n")
            codes.append(2)
            continue
        except Exception as exc:  # noqa: BLE001 - one package's internal error does not stop the others
            err.write(f"intern feil: {path}: {type(exc).__name__}: {' '.join(str(exc).split())}\n")
            codes.append(3)
            continue
        codes.append(exit_code(results[-1].findings, settings.fail_on))
    if results:
        out.write(renderer(settings.fmt).render(results, {"fail_on": settings.fail_on, "verbose": settings.verbose,
                                                          "color": False}))
    return overall_code(codes)
