"""The amendment page in a real browser: Playwright driving Debian's chromium against the real server.

The server runs in this process (uvicorn on a socket bound to 127.0.0.1 and a free port). The tests skip, saying
why, when Playwright or chromium is missing; `.ci/run` installs chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        # a hostile name that resolves to this machine: what DNS rebinding does
        "--host-resolver-rules=MAP evil.example 127.0.0.1"]

try:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a loaded CI machine: the page answers, only later
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="Playwright mangler: pip install -e '.[test]'"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium mangler: apt-get install -y chromium (.ci/run gjør det)"),
]


@pytest.fixture(scope="module")
def server():
    """The real app under uvicorn, in a thread, on 127.0.0.1 and a free port."""
    import uvicorn

    from budsjettkontroll.web.app import create_app
    from budsjettkontroll.web.server import bind, prepare

    workspace, _ = prepare(None, None)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(workspace, "127.0.0.1", port), log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server + "/")
    yield pg
    context.close()
    assert errors == [], errors


def cell(page, table: str, line: str, year: int):
    return page.locator(f'input[data-table="{table}"][data-line="{line}"][data-year="{year}"]')


def balance(page, year: int):
    return page.locator(f'[data-balance-year="{year}"]')


def test_gap_appears_in_its_year_is_covered_and_the_download_passes_amend(page, tmp_path):
    for year in (2024, 2025, 2026, 2027):
        expect(balance(page, year)).to_contain_text("saldert")
    cell(page, "område", "Oppvekst", 2025).fill("5000")
    expect(balance(page, 2025)).to_contain_text("ikke saldert")
    expect(balance(page, 2025)).to_contain_text("5 000")
    expect(balance(page, 2025)).to_contain_text("Oppvekst")
    cell(page, "område", "Oppvekst", 2025).press("Enter")  # recomputes; never presses «tøm» on the line
    expect(cell(page, "område", "Oppvekst", 2025)).to_have_value("5000")
    expect(balance(page, 2025)).to_contain_text("ikke saldert")
    for year in (2024, 2026, 2027):
        expect(balance(page, year)).not_to_contain_text("ikke saldert")
    # covered by setting aside less to the disposisjonsfond that year
    cell(page, "drift", "Avsetninger til disposisjonsfond", 2025).fill("-5000")
    expect(balance(page, 2025)).not_to_contain_text("ikke saldert")
    expect(balance(page, 2025)).to_contain_text("saldert")
    page.fill('input[name="tittel"]', "Flere lærere (test)")
    page.fill('input[name="parti"]', "Testpartiet")
    page.locator('input[data-text-for="område:Oppvekst"]').fill("Flere lærere i grunnskolen")
    with page.expect_download() as info:
        page.click('[data-action="download-proposal"]')
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    text = target.read_text(encoding="utf-8")
    assert "grunnlag: asker-hp-2024-2027" in text and "Flere lærere i grunnskolen" in text
    run = subprocess.run([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", "amend",
                          "asker-hp-2024-2027", str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SALDERT" in run.stdout


def test_loan_financed_project_brings_interest_and_repayment_in_the_following_years(page):
    page.select_option('select[name="ny.tabell"]', "prosjekt")
    page.fill('input[name="ny.linje"]', "Ny svømmehall")
    page.select_option('select[name="ny.del"]', "1")
    page.fill('input[name="ny.2025"]', "80000")
    page.fill('input[name="ny.finansiering"]', "lån 80, momskompensasjon 20")
    page.fill('input[name="ny.tekst"]', "Svømmehall i sentrum")
    page.press('input[name="ny.tekst"]', "Enter")  # adds the line, as the button does
    row = page.locator('tr[data-row]', has_text="Ny svømmehall")
    expect(row).to_be_visible()
    derived = lambda kind, year: page.locator(  # noqa: E731
        f'tr.derived[data-derived-of="{row.get_attribute("data-row")}"] td[data-derived="{kind}"][data-year="{year}"]')
    # 64 000 borrowed in 2025 at 4,0 %, half a year: 1 280; full interest and avdrag (64 000 / 30) from 2026
    expect(derived("renter", 2025)).to_have_text("1 280")
    expect(derived("renter", 2026)).to_have_text("2 560")
    expect(derived("avdrag", 2025)).to_have_text("")
    expect(derived("avdrag", 2026)).to_have_text("2 133")
    expect(derived("avdrag", 2027)).to_have_text("2 133")
    expect(derived("avskrivninger", 2026).first).to_have_text("1 600")
    expect(balance(page, 2026)).to_contain_text("ikke saldert")
    expect(balance(page, 2026)).to_contain_text("Ny svømmehall")
    # the party changes the amount: the consequences follow as it types
    cell(page, "prosjekt", "Ny svømmehall", 2025).fill("40000")
    expect(derived("renter", 2025)).to_have_text("640")
    expect(derived("avdrag", 2026)).to_have_text("1 067")


def test_invalid_amount_is_named_in_the_page(page):
    cell(page, "område", "Velferd", 2026).fill("12.000")
    expect(page.locator(".problems")).to_contain_text("«12.000» har punktum eller komma; skriv 12000 eller 12 000")
    expect(balance(page, 2026)).to_contain_text("ikke beregnet")
    expect(cell(page, "område", "Velferd", 2026)).to_have_class("invalid")
    cell(page, "område", "Velferd", 2026).fill("12 000")
    expect(balance(page, 2026)).to_contain_text("12 000")


def test_upload_continues_a_proposal(page):
    from budsjettkontroll.package import bundled_dir

    page.set_input_files('input[name="fil"]', str(bundled_dir() / "endringsforslag-flerbrukshall.yaml"))
    page.click('[data-action="upload-proposal"]')
    expect(page.locator('input[name="tittel"]')).to_have_value("Ny flerbrukshall (eksempel)")
    expect(balance(page, 2026)).to_contain_text("6 613")
    expect(balance(page, 2027)).to_contain_text("11 648")
    expect(balance(page, 2025)).not_to_contain_text("ikke saldert")


def test_rebound_name_and_cross_site_post_are_refused(browser, server):
    port = server.rsplit(":", 1)[1]
    context = browser.new_context()
    pg = context.new_page()
    # DNS rebinding: a foreign name that resolves to 127.0.0.1
    response = pg.goto(f"http://evil.example:{port}/")
    assert response.status == 403
    # a page on another site posting to the server
    evil = (f'<form id="f" method="post" action="{server}/last-ned"><input name="r.0.tabell" value="område">'
            '<input name="r.0.linje" value="Oppvekst"><input name="r.0.2025" value="1"></form>'
            '<script>document.getElementById("f").submit()</script>')
    pg.route("http://attacker.example/**", lambda route: route.fulfill(status=200, content_type="text/html", body=evil))
    with pg.expect_response(f"{server}/last-ned") as info:
        pg.goto("http://attacker.example/")
    assert info.value.status == 403
    context.close()
