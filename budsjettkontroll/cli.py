"""The command line: check, rules, explain, template. Heavy libraries (pandas, pandera) load only for `check`.

Exit codes: 0 no failing finding at or above --fail-on (default error); 1 at least one, or no rule could be
evaluated at all; 2 bad input, bad configuration or a broken rule pack; 3 internal error (a bug in a rule, a figure
or the tool: one line on stderr, the traceback only with BUDSJETTKONTROLL_DEBUG=1).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

from .buildcache import dataclass_code

# Commands that run once and exit: Python's cyclic garbage collector would walk the hundreds of thousands of objects
# pandas, pandera and pydantic create at import again and again (a tenth of a cold `check`), and the process frees
# everything at exit anyway. Off from the first import on; a batch over many packages turns it back on (see
# _check_batch); `serve` keeps it.
ONE_SHOT = ("check", "amend")
if sys.argv[1:2] and sys.argv[1] in ONE_SHOT:
    import gc

    gc.disable()
dataclass_code.install()  # before typer, rich and pandera define theirs (see buildcache.DataclassCode)
# numpy's OpenBLAS starts one thread per core when it is imported (pandas imports numpy); this tool does no linear
# algebra, and on a machine with few cores the pool's start-up costs a cold `check` a tenth of its time. One thread,
# unless the user chose otherwise.
if not any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS")):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import typer  # noqa: E402

EXIT_HELP = (
    "Exit-koder: 0 = ingen brudd på eller over --fail-on (standard: error); 1 = minst ett brudd, eller ingen regel "
    "kunne vurderes; 2 = ugyldig inndata, konfigurasjon eller regelpakke; 3 = intern feil (en feil i en regel eller i "
    "verktøyet; de andre reglene vurderes likevel, og feilen står på én linje i stderr)."
)

app = typer.Typer(
    name="budsjettkontroll",
    help="Kontroll av kommunale budsjetter og økonomiplaner mot kommuneloven, budsjett- og regnskapsforskriften "
    "og kommunens egne handlingsregler. " + EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is text: «[tool.budsjettkontroll]» is shown, not read as rich markup
)


class Format(str, Enum):
    rich = "rich"
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    junit = "junit"
    sarif = "sarif"
    github = "github"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def fail(problems) -> None:
    """Print every input problem on its own line to stderr and exit 2."""
    for problem in problems:
        typer.echo(f"feil: {problem}", err=True)
    raise typer.Exit(2)


def emit(text: str, output: Path | None, force: bool, inputs=()) -> None:
    """The report to standard output, or to --output: never over a file the run read (compared by inode), a pipe
    or device written as a stream, a regular file replaced atomically (see writer.open_output)."""
    if output is None:
        write_stdout(text)
        return
    from .writer import atomic_write

    atomic_write(output, text.encode("utf-8"), force=force, inputs=inputs, report=True)
    typer.echo(f"skrev {output}", err=True)


def write_stdout(text: str) -> None:
    """Text to standard output in whatever encoding it has: a character the encoding lacks (cp1252 has no «−»)
    is replaced, never a UnicodeEncodeError; a closed pipe (| head) ends quietly."""
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))


def read_files(settings=None, results=(), extra=()) -> list:
    """Every file the run read, so that --output can never be one of them: the packages' files, the configuration,
    the waiver file, the policy packs (command line or budsjett.toml) and any extra rule pack or proposal."""
    from .errors import InputError

    files: list = [*extra]
    for result in results:
        budget = getattr(result, "budget", None) or result
        files += list(getattr(budget, "files", {}).values())
        try:
            from .policy import policy_for

            files.append(policy_for(budget, getattr(settings, "policy", None)).path)
        except (InputError, OSError):  # a pack that cannot be loaded was reported already
            pass
    if settings is not None:
        files += [settings.config_file, settings.waivers]
        if settings.policy:
            files.append(settings.policy)
    return [f for f in files if f]


def choose_format(fmt: Format | None, output: Path | None) -> str:
    if fmt is not None:
        return fmt.value
    return "rich" if output is None and sys.stdout.isatty() else "text"


@app.command(help="Kontroller ett eller flere budsjetter. " + EXIT_HELP + " Innstillinger: kommandolinjen går foran "
             "miljøvariabler (BUDSJETTKONTROLL_*), som går foran konfigurasjonsfilen.")
def check(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Budsjettpakker (mappe med budsjett.toml, eller .xlsx). "
                                                               "Uten sti: `paths` fra konfigurasjonen, ellers Asker "
                                                               "kommunes Handlingsprogram 2024-2027. En mappe uten "
                                                               "budsjett.toml: alle pakker under den kontrolleres "
                                                               "(batch), og exit-koden gjelder alle: 2 om én er ugyldig "
                                                               "inndata, ellers 1 om én har brudd, ellers 0.")] = None,
    fmt: Annotated[Optional[Format], typer.Option("--format", "-f", help="Utdataformat.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Skriv rapporten til en fil.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overskriv --output om den finnes.")] = False,
    fail_on: Annotated[Optional[FailOn], typer.Option("--fail-on", help="Laveste alvorlighetsgrad som gir exit-kode 1 "
                                                      "(standard: error).")] = None,
    policy: Annotated[Optional[str], typer.Option("--policy", help="Handlingsregel-pakke (sti eller navn).")] = None,
    tolerance: Annotated[Optional[float], typer.Option("--tolerance", help="Avrundingstoleranse per ledd i sumlinjer (1000 kr).")] = None,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Kjør bare disse reglene (id eller prefiks).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Hopp over disse reglene (id eller prefiks).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Vis hver oppfylt vurdering.")] = False,
    config: Annotated[Optional[Path], typer.Option("--config", help="Konfigurasjonsfil (standard: nærmeste "
                      "budsjettkontroll.toml, eller pyproject.toml med [tool.budsjettkontroll], fra arbeidsmappen og oppover).")] = None,
    isolated: Annotated[bool, typer.Option("--isolated", help="Ikke les noen konfigurasjonsfil.")] = False,
    waivers: Annotated[Optional[Path], typer.Option("--waivers", help="Unntaksfil (YAML): godtatte brudd med begrunnelse.")] = None,
    changed_files: Annotated[bool, typer.Option("--changed-files", help="PATHS er endrede filer (pre-commit): kontroller "
                             "pakkene de hører til; filer utenfor en pakke hoppes over.")] = False,
    show_settings: Annotated[bool, typer.Option("--show-settings", help="Vis innstillingene og hvor de kommer fra, og avslutt.")] = False,
    extra_pack: Annotated[Optional[list[str]], typer.Option("--pack", help="Egen regelpakke (YAML-sti eller navn) i tillegg "
                          "til de medfølgende; kan gis flere ganger.")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Antall parallelle prosesser i batch "
                                                "(mappe med mange pakker); standard: antall kjerner prosessen kan "
                                                "bruke. --jobs 1 kontrollerer alt i én prosess.")] = None,
) -> None:
    from decimal import Decimal

    from .check import run_check
    from .errors import InputError
    from .findings import exit_code
    from .package import load_package
    from .report import renderer
    from .rules.engine import Options

    from .config import packages_of, resolve_settings
    from .rules.engine import _wanted

    try:
        settings = resolve_settings({
            "paths": None if changed_files or not paths else [str(p) for p in paths],
            "policy": policy, "fail_on": fail_on.value if fail_on else None, "tolerance": tolerance,
            "select": select, "ignore": ignore, "waivers": str(waivers) if waivers else None,
            "format": fmt.value if fmt else None}, config=config, use_config=not isolated)
    except InputError as exc:
        fail(exc.problems)
    if show_settings:
        typer.echo(settings.describe(), nl=False)
        raise typer.Exit(0)
    targets: list = list(settings.paths) or [None]
    if changed_files:
        targets = packages_of(list(paths or []))
        if not targets:
            typer.echo("ingen budsjettpakker blant de endrede filene", err=True)
            raise typer.Exit(0)
    options = Options(tolerance=Decimal(str(settings.tolerance)) if settings.tolerance is not None else None,
                      select=settings.select, ignore=settings.ignore)
    if any(p is not None for p in targets):  # the bundled budget (no path) is one package, never a batch
        from .batch import is_batch_dir, usable_cores

        if any(p is not None and is_batch_dir(Path(p)) for p in targets):
            raise typer.Exit(_check_batch([Path(p) for p in targets], settings, options, extra_pack, verbose, output,
                                          force, jobs if jobs is not None else usable_cores()))
    try:
        accepted = None
        if settings.waivers:  # without a waiver file there is nothing to apply (and nothing to import)
            from .waivers import load_waivers

            accepted = load_waivers(settings.waivers)
        results = [run_check(load_package(p), options, settings.policy, extra_packs=extra_pack) for p in targets]
        if accepted is not None:
            from .waivers import apply_waivers

            apply_waivers(results, accepted, wanted=lambda rule: _wanted(rule, options))
        name = settings.format or choose_format(None, output)
        from .report.settings import from_settings

        text = renderer(name).render(results, {"fail_on": settings.fail_on, "verbose": verbose,
                                               "color": name == "rich" and output is None,
                                               "settings": from_settings(settings, extra_pack),
                                               "config_file": settings.config_file})
        emit(text, output, force, read_files(settings, results, extra_pack or []))
    except InputError as exc:
        fail(exc.problems)
    except Exception as exc:  # noqa: BLE001 - a bug outside the rules: one line, exit 3
        raise typer.Exit(internal_error(exc))
    code = max(exit_code(r.findings, settings.fail_on) for r in results)
    raise typer.Exit(code)


def _check_batch(paths: list[Path], settings, options, extra_packs, verbose: bool, output: Path | None, force: bool,
                 jobs: int) -> int:
    """Every package below the folders, streamed (see batch.py); one bad package does not stop the others."""
    import gc

    gc.enable()  # a long run: cycles are collected (batch freezes what the first package loaded, see batch.outcomes)
    from .batch import BatchSettings, package_files, report_file, run
    from .errors import InputError
    from .report.settings import from_settings
    from .waivers import load_waivers

    name = settings.format or choose_format(None, output)
    batch = BatchSettings(fmt=name, fail_on=settings.fail_on, policy=settings.policy, verbose=verbose,
                          tolerance=options.tolerance, select=options.select, ignore=options.ignore,
                          extra_packs=list(extra_packs or []), waivers=settings.waivers,
                          report_settings=from_settings(settings, extra_packs),
                          config_file=str(settings.config_file) if settings.config_file else None)
    try:
        if settings.waivers:
            load_waivers(settings.waivers)  # a broken waiver file is one error, not one per package
        inputs = read_files(settings, (), extra_packs or []) + (package_files(paths) if output is not None else [])
        with report_file(output, force, inputs) as out:
            return run(paths, batch, out, jobs=jobs, color=name == "rich" and output is None)
    except InputError as exc:
        fail(exc.problems)


class RulesFormat(str, Enum):
    table = "table"
    markdown = "markdown"


@app.command("rules")
def list_rules(
    pack: Annotated[Optional[list[str]], typer.Option("--pack", help="Regelpakke (navn eller sti); standard: alle medfølgende.")] = None,
    fmt: Annotated[RulesFormat, typer.Option("--format", "-f", help="table: tabell i terminalen; markdown: listen "
                                             "i README (scripts/gen_rules_doc.py skriver den inn).")] = RulesFormat.table,
) -> None:
    """List reglene: id, alvorlighetsgrad, hjemmel og tittel."""
    from rich.console import Console
    from rich.table import Table

    from .errors import InputError

    try:
        packs = _packs(pack)
    except InputError as exc:
        fail(exc.problems)
    if fmt is RulesFormat.markdown:
        from .rules.markdown import rules_markdown

        sys.stdout.write(rules_markdown(packs))
        return
    table = Table(show_lines=False)
    for column in ("Regel", "Alvor", "Hjemmel", "Tittel"):
        table.add_column(column, overflow="fold")
    for p in packs:
        for compiled in p.rules:
            spec = compiled.spec
            table.add_row(spec.id, spec.severity, spec.references[0].text, spec.title)
    Console(width=140).print(table)


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(help="Regel-id, nøkkeltall eller handlingsregel, f.eks. "
                                                      "KL-14-18-minimumsavdrag, netto-driftsresultat-pst, "
                                                      "ASKER-HR-gjeldsgrad")],
            budget: Annotated[Optional[Path], typer.Option("--budget", help="Vis også tallene i denne pakken, per år "
                                                            "(mappe, .xlsx eller navnet på en medfølgende pakke).")]
            = None) -> None:
    """Vis én regel i sin helhet: formål, hjemmel, betingelse, størrelsene den bruker og et eksempel. Et nøkkeltall
    vises med definisjon, grunnlag og måltallene i de medfølgende handlingsregelpakkene. Med --budget: hva regelen
    fant i pakken hvert år, og tallene den leste."""
    from .derive import FIGURES, describe
    from .errors import InputError
    from .labels import closest

    try:
        packs = _packs(None)
    except InputError as exc:
        fail(exc.problems)
    rules = {c.spec.id: (p, c) for p in packs for c in p.rules}
    if rule_id not in rules:
        from .keyfigures import explain_text  # a key figure, another derived figure, or a handlingsregel

        text = explain_text(rule_id)
        if text is not None:
            from .report.explain_budget import norwegian_explain

            typer.echo(norwegian_explain(text, rule_id))
            _explain_numbers(rule_id, budget)
            return
        hint = closest(rule_id, list(rules))
        fail([f"ukjent regel «{rule_id}»" + (f"; mente du «{hint}»?" if hint else "")])
    pack, compiled = rules[rule_id]
    spec = compiled.spec
    out = [f"{spec.id} — {spec.title}", f"Regelpakke: {pack.name} {pack.spec.version} ({pack.path.name})",
           f"Alvorlighetsgrad: {spec.severity}", f"Gjelder: {', '.join(spec.scopes)}"
           + (f" · dokumenter: {', '.join(spec.documents)}" if spec.documents else "") + f" · i kraft fra {spec.valid_from}"
           + (f" til {spec.valid_to}" if spec.valid_to else ""), "", "Hjemmel:"]
    out += [f"  - {r.text}" + (f" <{r.url}>" if r.url else "") for r in spec.references]
    if spec.purpose:
        out += ["", "Formål:", "  " + " ".join(spec.purpose.split())]
    out += ["", "Betingelse (må være sann):", f"  {spec.condition.strip()}"]
    if spec.for_each:
        out.append(f"  (vurderes for hvert element i samlingen «{spec.for_each}»)")
    if spec.tolerance is not None:
        out.append(f"  toleranse = {spec.tolerance}")
    out += ["", "Størrelser:"]
    from .report.explain_budget import norwegian_doc

    for name in compiled.names:
        out.append(f"  {name}: {norwegian_doc(name)}")
    if spec.notes:
        out += ["", "Merknader:", "  " + " ".join(spec.notes.split())]
    if spec.example:
        out += ["", "Eksempel:", "  " + " ".join(spec.example.split())]
    out += ["", "Melding ved brudd:", "  " + " ".join(spec.message.split())]
    typer.echo("\n".join(out))
    _explain_numbers(rule_id, budget)


def _explain_numbers(name: str, budget: Path | None) -> None:
    if budget is None:
        return
    from .check import run_check
    from .errors import InputError
    from .package import load_package
    from .report.explain_budget import with_numbers

    try:
        result = run_check(load_package(budget))
    except InputError as exc:
        fail(exc.problems)
    typer.echo("\n" + with_numbers(name, result), nl=False)


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Ny mappe, eller en fil som slutter på .xlsx")],
    year: Annotated[Optional[str], typer.Option("--year", help="Første økonomiplanår (årsbudsjettet), "
                                                "1992-2097.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overskriv om den finnes.")] = False,
) -> None:
    """Skriv en tom budsjettpakke (mappe eller arbeidsbok) med forskriftens linjer ferdig utfylt."""
    from .errors import InputError
    from .template import template_budget
    from .writer import write_package

    first = None
    if year is not None:  # the template has two years before and three after: all within 1990-2100
        text = year.strip()
        if not (text.isascii() and text.isdigit() and len(text) == 4 and 1992 <= int(text) <= 2097):
            fail([f"--year «{year[:20]}»: første planår må være et årstall mellom 1992 og 2097"])
        first = int(text)
    try:
        written = write_package(template_budget(first), path, force=force)
    except InputError as exc:
        fail(exc.problems)
    typer.echo(f"skrev mal til {written}")


AmendFormat = Format  # amend offers the same formats as check


@app.command(help="Legg ett eller flere endringsforslag (YAML eller TOML) på et budsjett: er forslaget saldert hvert "
             "planår, hva følger av det (renter, avdrag, finansiering), hva skjer med nøkkeltallene og lovkravene. "
             "Exit-koder: 0 = saldert og ingen brudd på eller over --fail-on; 1 = et forslag er ikke saldert eller "
             "bryter en regel; 2 = ugyldig budsjett eller endringsforslag; 3 = intern feil.")
def amend(
    base: Annotated[Path, typer.Argument(help="Budsjettet forslaget gjelder: pakkemappe, .xlsx eller navnet på en "
                                               "medfølgende pakke (asker-hp-2024-2027). Gis bare ett endringsforslag "
                                               "(amend FORSLAG.yaml), brukes forslagets «grunnlag».")],
    amendments: Annotated[Optional[list[Path]], typer.Argument(help="Endringsforslag (.yaml eller .toml), ett eller "
                                                                    "flere; medfølgende eksempler kan oppgis ved navn "
                                                                    "(endringsforslag-omfordeling).")] = None,
    fmt: Annotated[Optional[AmendFormat], typer.Option("--format", "-f", help="Utdataformat.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Skriv rapporten til en fil.")] = None,
    write_package: Annotated[Optional[Path], typer.Option("--write-package", help="Skriv det endrede budsjettet som "
                             "en ny pakke (mappe, eller .xlsx); med flere forslag én undermappe per forslag. Aldri "
                             "over grunnlaget.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overskriv --output / --write-package om de finnes.")] = False,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Laveste alvorlighetsgrad som gir exit-kode 1.")] = FailOn.error,
    policy: Annotated[Optional[str], typer.Option("--policy", help="Handlingsregel-pakke (sti eller navn).")] = None,
) -> None:
    from .amend import run_all, write_amended
    from .errors import InputError
    from .package import load_package

    try:
        if not amendments:  # `amend FORSLAG.yaml`: the proposal names its base (grunnlag)
            base, amendments = _base_of(base), [base]
        results = run_all(load_package(base), amendments, policy)
        name = fmt.value if fmt else choose_format(None, output)
        opts = {"fail_on": fail_on.value, "color": name == "rich" and output is None}
        if name in ("rich", "text", "json", "html"):
            import importlib

            module = {"json": "amend_json", "html": "amend_html"}.get(name, "amend_terminal")
            text = importlib.import_module(f"budsjettkontroll.report.{module}").render(results, opts)
        else:  # the check formats: markdown shows the proposals; the others report each amended budget
            from .report import renderer as check_renderer

            module = check_renderer(name)
            text = (module.render_amendments(results, opts) if hasattr(module, "render_amendments")
                    else module.render([r.amended for r in results], opts))
        if write_package is not None:
            for path in write_amended(results, write_package, force):
                typer.echo(f"skrev endret budsjett til {path}", err=True)
        emit(text, output, force, read_files(None, [r.base.budget for r in results],
                                             [*(r.amendment.path for r in results), policy]))
    except InputError as exc:
        fail(exc.problems)
    raise typer.Exit(max(r.exit_code(fail_on.value) for r in results))


@app.command(help="Åpne en side i nettleseren der et parti lager et endringsforslag og ser, mens det skriver, om "
             "budsjettet fortsatt er saldert hvert år (samme motor som `amend`). Serveren kjører bare på denne "
             "maskinen (127.0.0.1); forslaget lagres først når du laster det ned.")
def serve(
    path: Annotated[Optional[Path], typer.Argument(help="Budsjettpakken forslaget gjelder, eller en mappe med flere "
                                                        "pakker å velge mellom (standard: det medfølgende "
                                                        "Asker-budsjettet).")] = None,
    proposal: Annotated[Optional[Path], typer.Option("--proposal", help="Et endringsforslag (.yaml/.toml) å "
                                                     "fortsette med.")] = None,
    host: Annotated[str, typer.Option("--host", help="Adressen serveren lytter på. Annet enn 127.0.0.1 gjør siden "
                                      "tilgjengelig for andre maskiner (advarsel).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (standard: en ledig port).")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Ikke åpne nettleseren.")] = False,
    policy: Annotated[Optional[str], typer.Option("--policy", help="Handlingsregel-pakke (sti eller navn).")] = None,
) -> None:
    from .errors import InputError

    try:
        from .web.server import serve as run_server
    except ImportError as exc:  # the web extras are dependencies, but a trimmed install may lack them
        fail([f"serve trenger uvicorn, starlette og jinja2 ({exc.name} mangler): pip install budsjettkontroll"])
    try:
        run_server(path, host, port, proposal, not no_browser, policy)
    except InputError as exc:
        fail(exc.problems)
    except OSError as exc:
        fail([f"kan ikke starte serveren på {host}:{port}: {exc.strerror or exc}"])


def _base_of(proposal: Path) -> Path:
    """The base a proposal names in «grunnlag»: a bundled package's name, or a path (relative to the proposal's
    folder when it exists there)."""
    from .amendment import load_amendment
    from .errors import InputError, Problem

    amendment = load_amendment(proposal)
    named = amendment.spec.grunnlag
    if not named:
        raise InputError(Problem("forslaget oppgir ikke «grunnlag»; skriv grunnlag: <pakke> i forslaget, eller gi "
                                 "budsjettet først: budsjettkontroll amend BUDSJETT FORSLAG.yaml",
                                 file=str(proposal)))
    beside = amendment.path.parent / named
    return beside if beside.exists() else Path(named)


class LinesFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("lines")
def list_lines(
    path: Annotated[Optional[Path], typer.Argument(help="Budsjettpakke (mappe, .xlsx eller navnet på en medfølgende "
                                                        "pakke); standard: Asker kommunes Handlingsprogram 2024-2027.")]
    = None,
    fmt: Annotated[LinesFormat, typer.Option("--format", "-f", help="text eller json.")] = LinesFormat.text,
) -> None:
    """List navnene et endringsforslag kan bruke: områder, prosjekter (med del) og linjene i § 5-4 og § 5-5."""
    from .errors import InputError
    from .package import load_package
    from .report import lines as names

    try:
        budget = load_package(path)
    except InputError as exc:
        fail(exc.problems)
    sys.stdout.write(names.render_json(budget) if fmt is LinesFormat.json else names.render_text(budget))


class DiffFormat(str, Enum):
    rich = "rich"
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command("diff", help="Sammenlign to versjoner av et budsjett (f.eks. kommunedirektørens forslag → vedtatt "
             "budsjett): endrede celler per oversikt, linje og år med summer, regelvurderinger og nøkkeltall som "
             "endret seg, og om begge er saldert. Exit-koder: 0 = B er saldert og uten lovbrudd; 1 = B er ikke "
             "saldert eller bryter en regel; 2 = ugyldig inndata.")
def diff(
    a: Annotated[Path, typer.Argument(help="Første versjon (pakkemappe, .xlsx eller navnet på en medfølgende pakke).")],
    b: Annotated[Path, typer.Argument(help="Andre versjon.")],
    fmt: Annotated[Optional[DiffFormat], typer.Option("--format", "-f", help="Utdataformat.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Skriv rapporten til en fil.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overskriv --output om den finnes.")] = False,
    policy: Annotated[Optional[str], typer.Option("--policy", help="Handlingsregel-pakke (sti eller navn).")] = None,
) -> None:
    from .diff import run_diff
    from .errors import InputError
    from .findings import exit_code

    try:
        result = run_diff(a, b, policy=policy)
        name = fmt.value if fmt else choose_format(None, output)
        from .report.diff_report import render as render_diff

        text = render_diff(result, name, {"color": name == "rich" and output is None})
        emit(text, output, force, [*result.a.budget.files.values(), *result.b.budget.files.values()])
    except InputError as exc:
        fail(exc.problems)
    raise typer.Exit(1 if not result.saldert(1) else exit_code(result.b.findings))


def _packs(names: list[str] | None):
    from .rules.loader import load_pack, rules_dir

    if names:
        return [load_pack(n) for n in names]
    return [load_pack(p) for p in sorted(rules_dir().glob("*.yaml"))]


def degrade_unencodable_output() -> None:
    """A terminal or redirect that is not UTF-8 (PYTHONIOENCODING=cp1252, a Norwegian Windows console) gets «?» for
    a character it cannot show (−, ⏎, ✓) instead of a UnicodeEncodeError that loses the whole report."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if (stream.encoding or "").replace("-", "").lower() not in ("utf8", "utf_8"):
                stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            continue


def survive_deleted_cwd() -> None:
    """A working directory deleted under the shell: libraries that ask for it at import (hypothesis, via pandera)
    would fail. Move to a folder where nothing can be written by accident (/proc on Linux): absolute paths and
    bundled names still work, a relative path is reported as missing instead of landing somewhere unexpected."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        for refuge in ("/proc", "/"):
            try:
                os.chdir(refuge)
                return
            except OSError:
                continue


def main() -> None:
    survive_deleted_cwd()
    degrade_unencodable_output()
    if len(sys.argv) > 1 and sys.argv[1] in ONE_SHOT:
        import gc

        gc.disable()
    from typer._click import exceptions as click_errors  # typer ships its own click

    try:
        code = app_for(sys.argv)(standalone_mode=False)
        dataclass_code.save()
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click_errors.UsageError as exc:
        typer.echo(f"feil: {usage_error_line(exc)}", err=True)
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug anywhere: one line and exit 3, never a traceback
        sys.exit(internal_error(exc))
    leave(code if isinstance(code, int) else 0)


def leave(code: int) -> None:
    """End the installed command after a one-shot `check` or `amend` without the interpreter's teardown.

    At exit Python runs the atexit functions, flushes standard output and error, and then frees every module and runs
    a last full garbage collection over the hundreds of thousands of objects pandas, pandera and pydantic made at
    import: about 0.1 s CPU, a sixth of a cold `check`, for memory the operating system takes back anyway. Here the
    atexit functions run and the streams are flushed as Python would do it, and the process then ends with the same
    exit code. Everything the command wrote is closed by then (the report through writer.atomic_write, the build
    cache through buildcache). Only when this is the installed command (a caller that imports main() and goes on
    after SystemExit gets it as before), the command is one-shot, and no other thread runs; a stream that cannot be
    flushed (a closed pipe) also ends the ordinary way."""
    import threading

    run_exitfuncs = getattr(__import__("atexit"), "_run_exitfuncs", None)
    if not (sys.argv[1:2] and sys.argv[1] in ONE_SHOT and _installed_command() and threading.active_count() == 1
            and run_exitfuncs is not None):
        sys.exit(code)
    run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - as Python itself would report it
        sys.exit(code)
    os._exit(code)


def _installed_command() -> bool:
    """The process is the console script pip installed (its __main__ is a file named budsjettkontroll that imported
    main from here), not `python -c` or a test that calls main()."""
    entry = sys.modules.get("__main__")
    path = getattr(entry, "__file__", None) or ""
    return getattr(entry, "main", None) is main and os.path.splitext(os.path.basename(path))[0] == "budsjettkontroll"


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command that `argv` names: typer reads the signature and type hints of every registered
    command when it builds the command line, a hundredth of a second of a cold `check` for commands that are not run.
    No command, an option or an unknown name first (--help, a typo) get the whole app, so their help and errors are
    unchanged. A hidden no-op command keeps the app a group, as with all commands registered."""
    if len(argv) < 2:
        return app
    chosen = [info for info in app.registered_commands
              if (info.name or typer.main.get_command_name(info.callback.__name__)) == argv[1]]
    if not chosen:
        return app
    import copy

    from typer.models import CommandInfo

    only = copy.copy(app)
    only.registered_commands = [*chosen, CommandInfo(callback=_keep_group, hidden=True)]
    return only


def _keep_group() -> None:
    """Never run: see app_for."""


# click's English wording of a command-line mistake, in Norwegian (issue 17.3: one Norwegian line, exit 2)
_CLICK_WORDS = [("is not one of", "er ikke en av"), ("is not a valid integer", "er ikke et heltall"),
                ("is not a valid float", "er ikke et tall"), ("is not a valid boolean", "er ikke ja/nei"),
                ("is not in the range", "er utenfor området"), ("does not exist", "finnes ikke"),
                ("Value error, ", ""), ("Got unexpected extra arguments", "uventede argumenter"),
                ("Got unexpected extra argument", "uventet argument"), ("Option", "valget"),
                ("requires an argument", "trenger en verdi"), ("requires", "trenger"),
                (", unable to parse string as an integer", ""), (", unable to parse string as a number", ""),
                ("Input should be a valid integer", "må være et heltall"),
                ("Input should be a valid number", "må være et tall"),
                ("Input should be greater than or equal to", "må være minst"),
                ("Input should be less than or equal to", "må være høyst"),
                ("Input should be greater than", "må være større enn"), ("Input should be less than", "må være mindre enn"),
                ("Input should be", "må være"), ("No such command", "ukjent kommando")]


def usage_error_line(exc: BaseException) -> str:
    """A command-line mistake as one Norwegian line that names the option and the value, with where to look."""
    from typer._click import exceptions as click_errors

    command = getattr(getattr(exc, "ctx", None), "command_path", "budsjettkontroll")
    if isinstance(exc, click_errors.NoSuchOption):
        text = f"ukjent valg {exc.option_name}"
        if exc.possibilities:
            text += "; mente du " + " eller ".join(sorted(exc.possibilities)) + "?"
    elif isinstance(exc, click_errors.MissingParameter):
        hint = exc.param_hint or _param_hint(exc.param)
        if not isinstance(hint, str):
            hint = " / ".join(hint)
        text = f"mangler {hint}".strip()
    else:
        message = " ".join(str(exc.message).split())
        for english, norwegian in _CLICK_WORDS:
            message = message.replace(english, norwegian)
        if isinstance(exc, click_errors.BadParameter):
            hint = exc.param_hint or _param_hint(exc.param)
            if not isinstance(hint, str):
                hint = " / ".join(hint)
            text = f"ugyldig verdi for {hint}: {message}" if hint else f"ugyldig verdi: {message}"
        else:
            text = f"ugyldig bruk: {message}"
    return f"{text} (se «{command} --help»)"


def _param_hint(param) -> str:
    """«--format / -f» for an option, the argument's name in capitals for an argument."""
    if param is None:
        return ""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    return " / ".join(opts) if opts else str(getattr(param, "name", "") or "").upper()


def internal_error(exc: BaseException) -> int:
    """Report an unexpected exception as one line on stderr (the traceback with BUDSJETTKONTROLL_DEBUG=1); exit 3."""
    import os
    import traceback

    from .errors import one_line

    if os.environ.get("BUDSJETTKONTROLL_DEBUG"):
        traceback.print_exception(exc)
    text = one_line(f"{type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": "))
    typer.echo(f"intern feil: {text} (en feil i budsjettkontroll, ikke i budsjettet; kjør med "
               "BUDSJETTKONTROLL_DEBUG=1 for detaljer og meld fra)", err=True)
    return 3


if __name__ == "__main__":
    main()
