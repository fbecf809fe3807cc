"""Sign conventions: declared or detected from each table's own identities, normalised when the package is read.

The Asker package is rewritten in each convention found in real documents (tests/realworld/, SOURCES.md) and must
give the same findings; a declaration the identities contradict gives one message naming the convention that
holds, not a list of arithmetic errors."""

from __future__ import annotations

import csv
import re

import pytest

from budsjettkontroll import signs
from budsjettkontroll.catalogue import TABLES
from budsjettkontroll.check import run_check
from budsjettkontroll.errors import InputError
from budsjettkontroll.package import load_package


def _findings(budget) -> list[tuple]:
    return [(f.rule, f.year, f.status, f.severity, f.subject) for f in run_check(budget).findings]


def _rewrite(package, stem: str, convention: str) -> None:
    """Print one table of the package in `convention` (from the inside convention it is printed in now)."""
    path = package / f"{stem}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    table = TABLES[stem]
    out = [header]
    for cells in body:
        line = table.resolve(cells[0])[0]
        turn = signs.factor(convention, stem, line.key if line else None)
        out.append([cells[0], *[c if not c.strip() else str(int(c) * turn) for c in cells[1:]]])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(out)


def _declare(package, text: str) -> None:
    toml = package / "budsjett.toml"
    body = re.sub(r'^sign = "[a-z_]+"\n', "", toml.read_text(encoding="utf-8"), flags=re.M)
    top, _, tables = body.partition("\n[")
    toml.write_text(f"{top}\n{text}\n[{tables}" if text.startswith("sign") else f"{top}\n\n{text}\n[{tables}",
                    encoding="utf-8")


@pytest.mark.parametrize("convention", ["unsigned", "unsigned_disposals_signed", "unsigned_disposals_opposite",
                                        "incomes_positive"])
def test_a_convention_is_detected_from_the_identities_when_not_declared(asker, asker_copy, convention):
    for stem in ("drift", "drift_art", "investering"):
        _rewrite(asker_copy, stem, convention)
    _declare(asker_copy, "")
    budget = load_package(asker_copy)
    assert _findings(budget) == _findings(asker)
    notes = [n for n in budget.notes if "ser ut til å følge" in n]
    assert len(notes) == 3 and all(f"«{convention}»" in n and "summer stemmer da" in n for n in notes), notes


@pytest.mark.parametrize("convention", ["unsigned", "unsigned_disposals_opposite", "incomes_positive"])
def test_a_declared_convention_per_table_is_read_as_declared(asker, asker_copy, convention):
    _rewrite(asker_copy, "drift", convention)
    _declare(asker_copy, f'[sign]\ndefault = "incomes_negative"\ndrift = "{convention}"\n')
    budget = load_package(asker_copy)
    assert _findings(budget) == _findings(asker)
    assert not [n for n in budget.notes if "følge" in n]
    assert budget.meta.sign_for("drift") == (convention, True)


def test_a_declared_convention_the_identities_contradict_is_one_clear_message(asker_copy):
    """Stavanger's § 5-4 as printed (unsigned) declared incomes_positive: 9-16 arithmetic errors before; now one line
    that says which convention holds, with the evidence, and how to declare it."""
    _rewrite(asker_copy, "drift", "unsigned")
    _declare(asker_copy, 'sign = "incomes_positive"')
    for stem in ("drift_art", "investering", "drift_fordeling"):
        _rewrite(asker_copy, stem, "incomes_positive")
    with pytest.raises(InputError) as caught:
        load_package(asker_copy)
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    message = str(problems[0])
    assert message.startswith(f"{asker_copy / 'drift.csv'}: drift: fortegnene i {asker_copy / 'drift.csv'} ser ut til å "
                              "følge «unsigned» (beløp uten fortegn")
    assert re.search(r"(\d+) av \1 summer stemmer da, mot \d+ av \d+ med «incomes_positive»", message)
    assert 'sett `sign = "unsigned"` i budsjett.toml' in message


def test_turning_every_amount_is_told_apart_by_lines_whose_sign_is_never_in_doubt(asker_copy):
    """Every sum holds whether all amounts are turned or not; rammetilskudd as a cost decides it."""
    _rewrite(asker_copy, "drift", "incomes_positive")
    with pytest.raises(InputError) as caught:
        load_package(asker_copy)  # Asker declares sign = "incomes_negative"
    message = str(caught.value)
    assert "ser ut til å følge «incomes_positive»" in message and "feil fortegn på «Rammetilskudd» 2022" in message


def test_the_bundled_budget_is_read_in_its_declared_convention_without_notes(asker):
    assert not [n for n in asker.notes if "fortegn" in n]
    decision = signs.detect([asker.tables["drift"]], asker.meta.years.all, "incomes_negative", True)
    assert decision.chosen == "incomes_negative" and decision.tried["incomes_negative"].holds
    assert set(decision.tried) == {"incomes_negative"}  # it holds and nothing has the wrong sign: none other tried
    assert not signs.evidence(asker.tables["drift"], asker.meta.years.all, "incomes_negative", "unsigned").holds


def test_an_unknown_table_under_sign_is_refused(asker_copy):
    _declare(asker_copy, '[sign]\ndrifts = "unsigned"\n')
    with pytest.raises(InputError, match="ukjent tabell drifts under \\[sign\\]"):
        load_package(asker_copy)


def test_a_written_package_declares_the_flat_convention_its_amounts_are_in(asker_copy):
    from budsjettkontroll.writer import meta_toml

    _rewrite(asker_copy, "drift", "unsigned")
    _declare(asker_copy, '[sign]\ndrift = "unsigned"\n')
    assert 'sign = "incomes_negative"' in meta_toml(load_package(asker_copy).meta)
