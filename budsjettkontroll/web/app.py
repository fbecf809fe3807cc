"""The Starlette application behind `budsjettkontroll serve`.

Routes (all on the one served address, see guard.py):
  GET  /            the page for a package (?pakke=…), empty or with the proposal given to `serve --proposal`
  POST /            the page again from the form (after «legg til» / «fjern» / choosing another package)
  POST /beregn      the balance strip and the consequences for the form as it stands (one per change, live)
  POST /last-ned    the proposal as a YAML file in the `amend` format, or the problems that stop it (422)
  POST /last-opp    a proposal file to continue with, laid into the page
  POST /utskrift    the proposal report (`amend --format html`) for printing
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import InputError, Problem
from . import view
from .draft import DEL_WORDS, Draft, add_row, draft_from_amendment, draft_from_form, file_name, new_draft, \
    proposal_yaml, remove_row, to_amendment
from .guard import LocalOnly
from .workspace import Base, Workspace

HERE = Path(__file__).parent
MAX_BODY = 2 * 1024 * 1024  # a form for a budget with thousands of projects fits; a stray upload does not
MAX_FIELDS = 50_000
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY"}


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(amount=view.amount, del_words=DEL_WORDS)
    return env


def create_app(workspace: Workspace, host: str = "127.0.0.1", port: int = 0,
               initial: Draft | None = None) -> Any:
    """The ASGI app; `port` is the served port (Host and Origin must name it)."""
    env = templates()

    def page(base: Base, draft: Draft, message: list[str] | None = None, status: int = 200) -> HTMLResponse:
        ev = workspace.evaluate(base, draft)
        html = env.get_template("page.html").render(
            **view.context(ev), draft=draft, base=base, packages=list(workspace.packages), messages=message or [],
            sections=draft.sections(), budget=base.budget)
        return HTMLResponse(html, status_code=status, headers={**HEADERS, "Content-Security-Policy": CSP})

    def error_page(problems: list[Problem], status: int = 400) -> HTMLResponse:
        html = env.get_template("error.html").render(problems=[view.problem_text(p) for p in problems])
        return HTMLResponse(html, status_code=status, headers={**HEADERS, "Content-Security-Policy": CSP})

    async def read_form(request: Request) -> Any:
        return await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_BODY)

    def form_draft(form: Any) -> tuple[Base, Draft]:
        base = workspace.base(str(form.get("pakke") or "") or None)
        return base, draft_from_form({k: v for k, v in form.items() if isinstance(v, str)}, base.budget, base.name,
                                     base.grunnlag, base.rows)

    async def index(request: Request) -> Response:
        name = request.query_params.get("pakke")
        first = name is None and initial is not None
        if first:
            name = initial.package  # `serve --proposal`: the package the proposal is for
        try:
            base = await run_in_threadpool(workspace.base, name)
        except InputError as exc:
            return error_page(exc.problems, 404)
        if first and initial.package == base.name:
            draft = initial
        else:
            draft = new_draft(base.budget, base.name, base.grunnlag)
        return await run_in_threadpool(page, base, draft)

    async def edit(request: Request) -> Response:
        form = await read_form(request)
        try:
            base, draft = await run_in_threadpool(form_draft, form)
        except InputError as exc:
            return error_page(exc.problems)
        action = str(form.get("handling") or "")
        messages = []
        if action == "legg-til":
            messages = _add(form, base, draft)
        elif action.startswith("fjern:"):
            remove_row(draft, action.removeprefix("fjern:"))
        return await run_in_threadpool(page, base, draft, messages)

    def results(form: Any) -> tuple[str, int]:
        """The strip, the consequences and the figures for the form as it stands (one thread hop per keystroke)."""
        try:
            base, draft = form_draft(form)
        except InputError as exc:  # shown where the results go
            return env.get_template("problems.html").render(problems=[view.problem_text(p) for p in exc.problems],
                                                            title="Rett dette før forslaget kan beregnes"), 400
        ev = workspace.evaluate(base, draft)
        return env.get_template("results.html").render(**view.context(ev), draft=draft, base=base), 200

    async def recompute(request: Request) -> Response:
        started, cpu = time.perf_counter(), time.process_time()
        form = await read_form(request)
        html, status = await run_in_threadpool(results, form)
        ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        return HTMLResponse(html, status_code=status,
                            headers={**HEADERS, "Server-Timing": f"beregn;dur={ms:.1f}, cpu;dur={cpu_ms:.1f}"})

    async def download(request: Request) -> Response:
        form = await read_form(request)
        try:
            base, draft = await run_in_threadpool(form_draft, form)
            if not any(r.has_amounts for r in draft.rows):
                raise InputError(Problem("forslaget har ingen endringer ennå: skriv et beløp i minst én celle"))
            amendment, _ = to_amendment(draft)
            if amendment.problems:
                raise InputError(amendment.problems)
            ev = await run_in_threadpool(workspace.evaluate, base, draft)
            if ev.problems:
                raise InputError(ev.problems)
        except InputError as exc:
            html = env.get_template("problems.html").render(problems=[view.problem_text(p) for p in exc.problems],
                                                           title="Forslaget kan ikke lastes ned ennå")
            return HTMLResponse(html, status_code=422, headers=HEADERS)
        text = proposal_yaml(draft, amendment)
        return Response(text.encode("utf-8"), media_type="application/x-yaml; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{file_name(draft)}"'})

    async def upload(request: Request) -> Response:
        from ..amendment import MAX_AMENDMENT_BYTES, amendment_from_text

        form = await read_form(request)
        try:
            base = await run_in_threadpool(workspace.base, str(form.get("pakke") or "") or None)
        except InputError as exc:
            return error_page(exc.problems)
        upload = form.get("fil")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await run_in_threadpool(page, base, new_draft(base.budget, base.name, base.grunnlag),
                                           ["Velg en forslagsfil (.yaml eller .toml) å laste opp."], 400)
        data = await upload.read(MAX_AMENDMENT_BYTES + 1)
        name = Path(upload.filename).name
        try:
            if len(data) > MAX_AMENDMENT_BYTES:
                raise InputError(Problem(f"filen er større enn {MAX_AMENDMENT_BYTES // 1024} kB", file=name))
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InputError(Problem("er ikke UTF-8", file=name)) from None
            amendment = amendment_from_text(text, name, Path(name))
            named = workspace.package_for(amendment.spec.grunnlag)  # a folder of packages: the one it is for
            if named is not None and named != base.name:
                base = await run_in_threadpool(workspace.base, named)
            draft = draft_from_amendment(amendment, base.budget, base.name, base.grunnlag)
        except InputError as exc:
            return await run_in_threadpool(page, base, new_draft(base.budget, base.name, base.grunnlag),
                                           [f"Kunne ikke lese {name}:"] + [str(p) for p in exc.problems], 400)
        return await run_in_threadpool(page, base, draft, [f"Lastet inn {name}."])

    async def print_view(request: Request) -> Response:
        form = await read_form(request)
        try:
            base, draft = await run_in_threadpool(form_draft, form)
        except InputError as exc:
            return error_page(exc.problems)
        ev = await run_in_threadpool(workspace.evaluate, base, draft)
        if ev.result is None:
            return error_page(ev.problems or [Problem("forslaget har ingen endringer ennå")], 422)
        html = await run_in_threadpool(proposal_report, ev.result)
        return HTMLResponse(html, headers=HEADERS)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/", edit, methods=["POST"]),
        Route("/beregn", recompute, methods=["POST"]),
        Route("/last-ned", download, methods=["POST"]),
        Route("/last-opp", upload, methods=["POST"]),
        Route("/utskrift", print_view, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    return LocalOnly(app, host, port, MAX_BODY)


def _add(form: Any, base: Base, draft: Draft) -> list[str]:
    """A new area or project from the «legg til» fields; it is checked with the rest at the next evaluation."""
    tabell = str(form.get("ny.tabell") or "område")
    if tabell not in ("område", "prosjekt"):
        return [f"kan bare legge til område eller prosjekt, ikke «{tabell}»"]
    linje = str(form.get("ny.linje") or "").strip()
    if not linje:
        return ["Gi det nye området eller prosjektet et navn."]
    try:
        del_ = int(str(form.get("ny.del") or "1")) if tabell == "prosjekt" else None
    except ValueError:
        del_ = None
    amounts = {y: str(form.get(f"ny.{y}") or "").strip() for y in base.budget.meta.plan_years}
    add_row(draft, tabell, linje, del_, amounts, str(form.get("ny.finansiering") or "").strip() if tabell ==
            "prosjekt" else "", str(form.get("ny.tekst") or "").strip()[:2000])
    return [f"La til {'prosjektet' if tabell == 'prosjekt' else 'området'} «{linje}»."]


def proposal_report(result) -> str:
    """The report `amend --format html` prints for one proposal (the same renderer, whatever it shows)."""
    from ..report import renderer

    module = renderer("html")
    options = {"fail_on": "error", "color": False}
    if hasattr(module, "render_amendments"):
        return module.render_amendments([result], options)
    return module.render([result.amended], options)
