"""The live amendment page (`budsjettkontroll serve`) over HTTP: same engine as `amend`, safe, writes nothing.

The browser itself is driven in test_web_browser.py; here the page is exercised as its JavaScript does (posting
the form), through Starlette's test client against the real application.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

pytest.importorskip("starlette", reason="serve trenger starlette (pip install -e '.[test]')")
pytest.importorskip("httpx2", reason="Starlettes testklient trenger httpx2 (pip install -e '.[test]')")

from starlette.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from budsjettkontroll.amendment import bundled_amendments  # noqa: E402
from budsjettkontroll.cli import app as cli_app  # noqa: E402
from budsjettkontroll.numbers import format_amount  # noqa: E402
from budsjettkontroll.package import bundled_dir  # noqa: E402
from budsjettkontroll.web.app import MAX_BODY, create_app  # noqa: E402
from budsjettkontroll.web.server import prepare  # noqa: E402

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
PROPOSALS = bundled_amendments()


# --- reading the page as the browser does ----------------------------------------------------------------------

class FormReader(HTMLParser):
    """The fields the page's form posts (inputs, selects' chosen option, textareas), and every element's data-*."""

    def __init__(self, form_id: str = "forslag"):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.cells: dict[tuple[str, str, str], str] = {}  # (table, line, year) → field name
        self.balance: dict[int, dict[str, str]] = {}
        self.derived: dict[tuple[str, str, int], str] = {}  # (row id, kind, year) → amount text
        self._select: str | None = None
        self._textarea: str | None = None
        self._balance: int | None = None
        self._derived: tuple[str, str, int] | None = None
        self._derived_of: str | None = None
        self._text: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if tag == "div" and self._balance is not None:
            self._depth += 1
        if a.get("data-balance-year"):
            self._balance, self._depth = int(a["data-balance-year"]), 1
            self.balance[self._balance] = {"drift": a.get("data-drift", ""), "investering": a.get("data-investering", ""),
                                           "text": ""}
            self._text = []
        if tag == "tr" and a.get("data-derived-of"):
            self._derived_of = a["data-derived-of"]
        if tag == "td" and a.get("data-derived") and self._derived_of:
            self._derived = (self._derived_of, a["data-derived"], int(a["data-year"]))
            self._text = []
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            self.fields[name] = a.get("value", "")
            if a.get("data-table"):
                self.cells[(a["data-table"], a["data-line"], a["data-year"])] = name
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and (self._select not in self.fields or "selected" in a):
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "div" and self._balance is not None:
            self._depth -= 1
            if self._depth == 0:
                text = self.balance[self._balance]["text"]
                self.balance[self._balance]["text"] = " ".join(text.split())
                self._balance = None
        elif tag == "td" and self._derived is not None:
            self.derived[self._derived] = "".join(self._text).strip()
            self._derived = None
        elif tag == "tr":
            self._derived_of = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data
        if self._balance is not None:
            self.balance[self._balance]["text"] += " " + data
        if self._derived is not None:
            self._text.append(data)


def read(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def fields_without_new(reader: FormReader) -> dict[str, str]:
    return {k: v for k, v in reader.fields.items() if not k.startswith("ny.")}


# --- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace():
    return prepare(None, None)[0]


@pytest.fixture
def client(workspace):
    app = create_app(workspace, "127.0.0.1", PORT)
    with TestClient(app, base_url=ORIGIN) as c:
        yield c


def post(client, path: str, fields: dict[str, str], **kw):
    return client.post(path, data=fields, headers={"Origin": ORIGIN, **kw.pop("headers", {})}, **kw)


def amend_json(path: Path) -> dict:
    result = CliRunner().invoke(cli_app, ["amend", "asker-hp-2024-2027", str(path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["proposals"][0]


def upload(client, path: Path) -> FormReader:
    response = client.post("/last-opp", files={"fil": (path.name, path.read_bytes(), "application/x-yaml")},
                           data={"pakke": "asker-hp-2024-2027"}, headers={"Origin": ORIGIN})
    assert response.status_code == 200, response.text
    return read(response.text)


def by_hand(client, proposal: dict) -> FormReader:
    """Type a proposal into the page as a person would: amounts in the cells of existing lines, a new area or
    project through «legg til»."""
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    fields.update({"tittel": proposal["tittel"], "parti": proposal["parti"]})
    tables = {"område": "område", "drift": "drift", "prosjekt": "prosjekt"}
    for change in proposal["endringer"]:
        table = tables[change["tabell"]]
        if change.get("ny"):
            new = {"handling": "legg-til", "ny.tabell": table, "ny.linje": change["linje"], "ny.tekst": change["tekst"],
                   "ny.del": str(change.get("del", 1))}
            new.update({f"ny.{y}": str(a) for y, a in change["beløp"].items()})
            fin = change.get("finansiering")
            if fin:
                new["ny.finansiering"] = fin if isinstance(fin, str) else ", ".join(f"{k} {v}" for k, v in fin.items())
            page = read(post(client, "/", {**fields, **new}).text)
            fields = fields_without_new(page)
            continue
        for year, amount in change["beløp"].items():
            fields[page.cells[(table, change["linje"], str(year))]] = str(amount)
        name = page.cells[(table, change["linje"], str(next(iter(change["beløp"]))))]
        fields[name.rsplit(".", 1)[0] + ".tekst"] = change["tekst"]
    return read(post(client, "/beregn", fields).text) if fields else page, fields


def assert_same_balance(reader: FormReader, expected: dict) -> None:
    assert set(reader.balance) == {b["year"] for b in expected["balance"]}
    for b in expected["balance"]:
        shown = reader.balance[b["year"]]
        assert shown["drift"] == str(b["drift"]["after"]), (b["year"], shown)
        assert shown["investering"] == str(b["investering"]["after"]), (b["year"], shown)
        if b["saldert"]:
            assert "saldert" in shown["text"] and "ikke saldert" not in shown["text"], shown
        else:
            assert "ikke saldert" in shown["text"], shown
            gap = b["drift"]["after"] or b["investering"]["after"]
            assert format_amount(abs(gap)) in shown["text"], shown


# --- one engine ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("proposal", PROPOSALS, ids=lambda p: p.stem)
def test_uploaded_proposal_balances_as_amend_says(client, proposal):
    """Upload → the page's form → recompute: the balance per year is `amend --format json`'s, to the 1000 kr."""
    expected = amend_json(proposal)
    page = upload(client, proposal)
    assert_same_balance(page, expected)  # the page as rendered after the upload
    again = read(post(client, "/beregn", fields_without_new(page)).text)
    assert_same_balance(again, expected)  # and as the live recompute returns it


@pytest.mark.parametrize("proposal", PROPOSALS, ids=lambda p: p.stem)
def test_proposal_typed_by_hand_balances_as_amend_says(client, proposal, tmp_path):
    """The bundled examples built cell by cell in the page give amend's result, and the YAML the page
    downloads gives it again when `amend` reads it."""
    spec = yaml.safe_load(proposal.read_text(encoding="utf-8"))
    expected = amend_json(proposal)
    result, fields = by_hand(client, spec)
    assert_same_balance(result, expected)
    response = post(client, "/last-ned", fields)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment; filename=\"endringsforslag-")
    written = tmp_path / "forslag.yaml"
    written.write_bytes(response.content)
    data = yaml.safe_load(response.text)
    assert data["grunnlag"] == "asker-hp-2024-2027" and data["tittel"] == spec["tittel"]
    assert all(isinstance(a, int) for c in data["endringer"] for a in c["beløp"].values())
    again = amend_json(written)
    assert [b["drift"]["after"] for b in again["balance"]] == [b["drift"]["after"] for b in expected["balance"]]
    assert again["saldert"] == expected["saldert"]


def test_downloaded_balanced_proposal_passes_amend(client, tmp_path):
    page = upload(client, bundled_dir() / "endringsforslag-omfordeling.yaml")
    response = post(client, "/last-ned", fields_without_new(page))
    assert response.status_code == 200
    written = tmp_path / "forslag.yaml"
    written.write_bytes(response.content)
    result = CliRunner().invoke(cli_app, ["amend", "asker-hp-2024-2027", str(written), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "SALDERT" in result.stdout


def test_loan_financed_project_shows_capital_costs_under_it(client):
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    new = {"handling": "legg-til", "ny.tabell": "prosjekt", "ny.linje": "Ny svømmehall", "ny.del": "1",
           "ny.2025": "80000", "ny.finansiering": "lån", "ny.tekst": "Svømmehall i Asker sentrum"}
    page = read(post(client, "/", {**fields, **new}).text)
    row = next(name for (table, line, _), name in page.cells.items() if line == "Ny svømmehall").split(".")[1]
    row_id = f"r{row}"
    assert page.fields[f"r.{row}.ny"] == "true" and page.fields[f"r.{row}.del"] == "1"
    # 4,0 % in 2025 (budsjett.toml), half a year in the year the loan is taken up: 80 000 × 4 % × 0,5 = 1 600
    assert page.derived[(row_id, "renter", 2025)] == "1 600"
    assert page.derived[(row_id, "renter", 2026)] and page.derived[(row_id, "renter", 2027)]
    assert page.derived[(row_id, "avdrag", 2025)] == ""
    assert page.derived[(row_id, "avdrag", 2026)] == format_amount(round(80000 / 30))
    assert "ikke saldert" in page.balance[2026]["text"] and "Ny svømmehall" in page.balance[2026]["text"]


# --- validation as in proposal files ------------------------------------------------------------------------------

def test_amount_with_a_point_is_refused_with_the_parsers_message(client):
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    fields[page.cells[("område", "Oppvekst", "2025")]] = "12.000"
    html = post(client, "/beregn", fields).text
    result = read(html)
    assert "«12.000» har punktum eller komma; skriv 12000 eller 12 000" in html
    assert "ikke beregnet" in result.balance[2025]["text"]
    assert 'data-problem-line="Oppvekst"' in html and 'data-problem-year="2025"' in html
    fields[page.cells[("område", "Oppvekst", "2025")]] = "12 000"
    result = read(post(client, "/beregn", fields).text)
    assert result.balance[2025]["drift"] == "12000"


def test_unknown_names_are_listed_with_candidates(client, tmp_path):
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    name = page.cells[("område", "Oppvekst", "2025")]
    fields[name] = "100"
    fields[name.replace(".2025", ".linje")] = "Opvekst"  # a tampered (or stale) line name
    html = post(client, "/beregn", fields).text
    assert "ukjent område «Opvekst»" in html and "mente du «Oppvekst»" in html
    bad = tmp_path / "forslag.yaml"
    bad.write_text("tittel: T\nparti: P\nendringer:\n  - tekst: x\n    tabell: område\n    linje: Velferdd\n"
                   "    beløp: {2025: 10}\n  - tekst: y\n    tabell: prosjekt\n    linje: Hall\n    ny: true\n    del: 1\n"
                   "    beløp: {2025: 10}\n    finansiering: lånn\n", encoding="utf-8")
    html = client.post("/last-opp", files={"fil": ("forslag.yaml", bad.read_bytes())}, data={"pakke": ""},
                       headers={"Origin": ORIGIN}).text
    assert "mente du «Velferd»" in html and "ukjent finansiering «lånn»" in html


def test_broken_upload_names_file_and_line(client):
    response = client.post("/last-opp", files={"fil": ("x.yaml", b"tittel: [\n")}, headers={"Origin": ORIGIN})
    assert response.status_code == 400
    assert "Kunne ikke lese x.yaml" in response.text and "ugyldig YAML" in response.text


def test_download_refuses_an_invalid_proposal(client):
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    response = post(client, "/last-ned", fields)
    assert response.status_code == 422 and "ingen endringer" in response.text
    fields[page.cells[("område", "Oppvekst", "2025")]] = "1,5"
    response = post(client, "/last-ned", fields)
    assert response.status_code == 422 and "desimaler" in response.text


# --- safety -------------------------------------------------------------------------------------------------------

def test_foreign_host_is_refused(client):
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200
    rebound = client.get("/", headers={"Host": f"evil.example:{PORT}"})
    assert rebound.status_code == 403 and "Host" in rebound.text
    assert client.get("/static/app.js", headers={"Host": "127.0.0.1:9"}).status_code == 403


def test_cross_site_posts_are_refused(client):
    fields = fields_without_new(read(client.get("/").text))
    assert post(client, "/beregn", fields).status_code == 200
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": f"http://127.0.0.1:{PORT + 1}"}):
        response = client.post("/beregn", data=fields, headers=headers)
        assert response.status_code == 403, headers
    no_origin = client.post("/last-ned", data=fields, headers={"Sec-Fetch-Site": "cross-site"})
    assert no_origin.status_code == 403


def test_payload_is_bounded(client):
    big = {"tittel": "x" * (MAX_BODY + 10)}
    assert post(client, "/beregn", big).status_code == 413
    response = client.post("/last-opp", files={"fil": ("stor.yaml", b"# " + b"x" * (1024 * 1024 + 10))},
                           headers={"Origin": ORIGIN})
    assert response.status_code == 400 and "større enn" in response.text
    page = read(client.get("/").text)
    fields = fields_without_new(page)
    fields["tittel"] = "x" * 3000
    response = post(client, "/beregn", fields)
    assert response.status_code == 400 and 'id="resultater"' in response.text
    assert "feltet «tittel» er lengre enn 2000 tegn" in response.text


def test_nothing_is_written(client, tmp_path, monkeypatch):
    """Recompute, download, upload and print read the loaded base and write no file anywhere."""
    monkeypatch.chdir(tmp_path)
    package = bundled_dir() / "asker-hp-2024-2027"
    before = {p: p.stat().st_mtime_ns for p in package.iterdir()}
    page = upload(client, bundled_dir() / "endringsforslag-flerbrukshall.yaml")
    fields = fields_without_new(page)
    for path in ("/beregn", "/last-ned", "/utskrift", "/"):
        assert post(client, path, fields).status_code == 200, path
    assert list(tmp_path.iterdir()) == []
    assert {p: p.stat().st_mtime_ns for p in package.iterdir()} == before


def test_print_view_is_the_amend_html_report(client):
    page = upload(client, bundled_dir() / "endringsforslag-udekket.yaml")
    response = post(client, "/utskrift", fields_without_new(page))
    assert response.status_code == 200
    assert response.text.lstrip().lower().startswith("<!doctype html")
    assert "Gratis SFO og flere sykehjemsplasser (eksempel)" in response.text
    assert "Eksempelpartiet B" in response.text and "Gratis SFO for alle trinn" in response.text  # party, changes


def test_page_has_the_hooks_and_ships_its_assets(client):
    html = client.get("/").text
    assert 'data-action="download-proposal"' in html
    for year in (2024, 2025, 2026, 2027):
        assert f'data-balance-year="{year}"' in html
    reader = read(html)
    tables = {t for t, _, _ in reader.cells}
    assert tables == {"område", "drift", "prosjekt"}
    lines = {line for t, line, _ in reader.cells if t == "drift"}
    assert lines == {"Inntekts- og formuesskatt", "Rammetilskudd", "Avsetninger til disposisjonsfond",
                     "Bruk av disposisjonsfond", "Overføring til investering"}
    assert ("prosjekt", "Forskuttering av spillemidler", "2026") in reader.cells
    # nothing from another host: every script and style sheet is served by the page itself
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200
    assert "Content-Security-Policy" in client.get("/").headers


def test_a_folder_of_packages_offers_each(tmp_path):
    import shutil

    for name in ("a", "b"):
        shutil.copytree(bundled_dir() / "asker-hp-2024-2027", tmp_path / name)
    workspace = prepare(tmp_path, None)[0]
    with TestClient(create_app(workspace, "127.0.0.1", PORT), base_url=ORIGIN) as c:
        html = c.get("/").text
        assert '<option value="a" selected>' in html and '<option value="b">' in html
        assert c.get("/?pakke=b").status_code == 200
        assert c.get("/?pakke=../etc").status_code == 404
        # a proposal for package b is laid into b (its grunnlag names it)
        proposal = tmp_path / "forslag.yaml"
        proposal.write_text(f"tittel: T\nparti: P\ngrunnlag: {tmp_path / 'b'}\nendringer:\n  - tekst: x\n"
                            "    tabell: område\n    linje: Velferd\n    beløp: {2025: 10}\n", encoding="utf-8")
        html = c.post("/last-opp", files={"fil": ("forslag.yaml", proposal.read_bytes())}, data={"pakke": "a"},
                      headers={"Origin": ORIGIN}).text
        assert '<option value="b" selected>' in html and "10 i 2025" in html
    workspace, initial = prepare(tmp_path, proposal)
    assert initial.package == "b"
    with TestClient(create_app(workspace, "127.0.0.1", PORT, initial), base_url=ORIGIN) as c:
        assert '<option value="b" selected>' in c.get("/").text


def test_serve_prints_its_address_and_answers(tmp_path):
    """The command as a user starts it: a free port on 127.0.0.1, the address printed, the page served."""
    import urllib.request

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", "serve",
                             "--no-browser", "--proposal", "endringsforslag-omfordeling"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + proc.stderr.read()
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(match.group(0), timeout=5) as response:
                    html = response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "Styrket skole og hjemmetjeneste (eksempel)" in html
        assert list(tmp_path.iterdir()) == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_warns_when_not_on_loopback_only(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", "serve",
                             "--no-browser", "--host", "127.0.0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert "127.0.0.2" in proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "advarsel" in err


def test_serve_refuses_a_bad_package(tmp_path):
    result = CliRunner().invoke(cli_app, ["serve", str(tmp_path / "finnes-ikke"), "--no-browser"])
    assert result.exit_code == 2
    assert "feil:" in result.output


def test_a_package_printing_incomes_positive_is_shown_and_changed_as_printed(tmp_path):
    """Base amounts and changes follow the package's own sign convention, as in a proposal file for it."""
    from budsjettkontroll.package import load_package
    from budsjettkontroll.writer import write_folder

    flipped = load_package(bundled_dir() / "asker-hp-2024-2027")
    flipped.meta = flipped.meta.model_copy(update={"sign": type(flipped.meta.sign)("incomes_positive")})
    flipped.source = None
    folder = write_folder(flipped, tmp_path / "positiv")
    workspace = prepare(folder, None)[0]
    with TestClient(create_app(workspace, "127.0.0.1", PORT), base_url=ORIGIN) as c:
        html = c.get("/").text
        page = read(html)
        assert re.search(r"Inntekts- og formuesskatt.*?<td class=\"num base\">5 329 672</td>", html, re.S)
        fields = fields_without_new(page)
        fields[page.cells[("område", "Oppvekst", "2024")]] = "-15000"  # costs print negative here: more cost
        result = read(post(c, "/beregn", fields).text)
    assert result.balance[2024]["drift"] == "15000" and "ikke saldert" in result.balance[2024]["text"]


def test_a_package_without_projects_offers_its_investment_lines(tmp_path):
    """No § 5-5 andre ledd: the § 5-5 første ledd investment line is the cell (data-table «investering»), and a
    loan-financed amount there brings its interest like a project does."""
    workspace = prepare(bundled_dir() / "eksempel-selvkost", None)[0]
    with TestClient(create_app(workspace, "127.0.0.1", PORT), base_url=ORIGIN) as c:
        page = read(c.get("/").text)
        name = page.cells[("investering", "Investeringer i varige driftsmidler", "2025")]
        fields = fields_without_new(page)
        fields[name] = "10000"
        fields[name.rsplit(".", 1)[0] + ".finansiering"] = "lån"
        html = post(c, "/beregn", fields).text
        assert "mangler rentepremiss for 2025, 2026, 2027" in html  # the package states no interest rate
        fields.update({f"rente.{y}": "4,5" if y == 2025 else "4" for y in (2024, 2025, 2026, 2027)})
        assert "skal være et tall" in post(c, "/beregn", fields).text  # as in a file: 4.5, not 4,5
        fields["rente.2025"] = "4.5"
        result = read(post(c, "/beregn", fields).text)
    row = "r" + name.split(".")[1]
    assert result.derived[(row, "renter", 2025)] == "225"  # 10 000 × 4,5 % × ½ year
    assert result.derived[(row, "renter", 2025)] and result.derived[(row, "avdrag", 2026)]
    assert result.balance[2026]["drift"] not in ("", "0")


def test_new_area_is_added_removed_and_written_with_ny(client):
    page = read(client.get("/").text)
    new = {"handling": "legg-til", "ny.tabell": "område", "ny.linje": "Klima og miljø", "ny.2025": "2 500",
           "ny.tekst": "Eget område for klimatiltak"}
    page = read(post(client, "/", {**fields_without_new(page), **new}).text)
    name = page.cells[("område", "Klima og miljø", "2025")]
    row = name.split(".")[1]
    assert page.fields[f"r.{row}.ny"] == "true" and f"r.{row}.del" not in page.fields
    assert "ikke saldert" in page.balance[2025]["text"] and "2 500" in page.balance[2025]["text"]
    text = post(client, "/last-ned", fields_without_new(page)).text
    change = yaml.safe_load(text)["endringer"][0]
    assert change == {"tekst": "Eget område for klimatiltak", "tabell": "område", "linje": "Klima og miljø",
                      "ny": True, "beløp": {2025: 2500}}
    page = read(post(client, "/", {**fields_without_new(page), "handling": f"fjern:r{row}"}).text)
    assert not any(line == "Klima og miljø" for _, line, _ in page.cells)
    assert "ikke saldert" not in page.balance[2025]["text"]


def test_a_change_rereads_no_file(client, monkeypatch):
    """Every keystroke reuses the loaded base: no package file, proposal or rule pack is opened again."""
    import builtins
    import io

    page = upload(client, bundled_dir() / "endringsforslag-flerbrukshall.yaml")
    fields = fields_without_new(page)
    post(client, "/beregn", fields)  # templates compiled, caches warm
    opened: list[str] = []
    real_open, real_io_open = builtins.open, io.open

    def spy(real):
        def wrapped(file, *args, **kwargs):
            opened.append(str(file))
            return real(file, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(builtins, "open", spy(real_open))
    monkeypatch.setattr(io, "open", spy(real_io_open))
    for amount in ("1000", "2000", "3 000"):
        fields[page.cells[("område", "Oppvekst", "2026")]] = amount
        assert "ikke saldert" in read(post(client, "/beregn", fields).text).balance[2026]["text"]
    assert [f for f in opened if f.endswith((".csv", ".toml", ".yaml", ".xlsx", ".html"))] == [], opened


def test_allowed_hosts_follow_the_served_address():
    from budsjettkontroll.web.guard import LocalOnly, allowed_hosts

    assert allowed_hosts("127.0.0.1", 8000) == {"127.0.0.1:8000", "localhost:8000"}
    assert "127.0.0.1" in allowed_hosts("127.0.0.1", 80)  # the default port is left out of Host
    lan = LocalOnly(None, "0.0.0.0", 8000, 1)
    assert lan.host_ok("192.168.1.20:8000") and lan.host_ok("[fe80::1]:8000")
    assert not lan.host_ok("evil.example:8000") and not lan.host_ok("192.168.1.20:8001")
    loopback = LocalOnly(None, "127.0.0.1", 8000, 1)
    assert not loopback.host_ok("192.168.1.20:8000") and not loopback.host_ok(None)


def test_eiendomsskatt_is_offered_where_the_package_has_it():
    from budsjettkontroll.budget import Row
    from budsjettkontroll.package import load_package
    from budsjettkontroll.web.draft import base_rows

    budget = load_package(bundled_dir() / "asker-hp-2024-2027")
    assert not any(r.linje == "Eiendomsskatt" for r in base_rows(budget))  # Asker prints none
    drift = budget.tables["drift"]
    drift.rows.insert(2, Row("Eiendomsskatt", "eiendomsskatt", 4, {y: -150000 for y in budget.meta.years.all}))
    rows = [r for r in base_rows(budget) if r.tabell == "drift"]
    assert [r.linje for r in rows][:3] == ["Inntekts- og formuesskatt", "Eiendomsskatt", "Rammetilskudd"]
    assert rows[1].base[2025] == -150000
