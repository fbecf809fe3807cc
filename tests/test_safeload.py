"""Issue 17 items 2, 3 and 7, issue 14 item 1: every YAML and TOML file is read safely (safeload.py).

Property tests: a key given twice anywhere is refused naming both lines; a number with a decimal point is never
a proposal amount; «12 000» and «12000» are; no control character survives reading; nan, inf, huge integers,
invalid dates and deep nesting are one Norwegian line, never a traceback.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from budsjettkontroll.errors import InputError
from budsjettkontroll.numbers import AmountError
from budsjettkontroll.safeload import (MAX_DEPTH, MAX_INT_DIGITS, amount, clean, clean_text, load_toml, load_yaml,
                                       load_yaml_document, pydantic_message)

KEYS = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
SCALARS = st.one_of(st.integers(-10**9, 10**9), st.text("abcæøå ", min_size=1, max_size=8).map(str.strip).filter(bool))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def refused(func, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        func(*args, **kwargs)
    (problem,) = caught.value.problems
    text = str(problem)
    assert "\n" not in text and "Traceback" not in text
    return text


# --- duplicate keys ------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(KEYS, min_size=1, max_size=6, unique=True), st.data())
def test_a_yaml_key_given_twice_is_refused_naming_both_lines(keys, data):
    twice = data.draw(st.sampled_from(keys))
    nested = data.draw(st.booleans())
    lines = [f"{k}: {i}" for i, k in enumerate(keys)]
    at = data.draw(st.integers(0, len(lines)))
    lines.insert(at, f"{twice}: 99")
    text = "\n".join(lines) + "\n"
    if nested:
        text = "øverst:\n" + "".join("  " + line + "\n" for line in lines)
    first, second = [i + 1 + nested for i, line in enumerate(lines) if line.split(":")[0] == twice]
    message = refused(load_yaml, text, "f.yaml")
    assert message.startswith(f"f.yaml:{second}: ") and f"«{twice}»" in message
    assert f"linje {first} og {second}" in message


@settings(max_examples=60, deadline=None)
@given(st.lists(KEYS, min_size=1, max_size=6, unique=True), st.data())
def test_a_toml_key_given_twice_is_refused_naming_both_lines(keys, data):
    twice = data.draw(st.sampled_from(keys))
    table = data.draw(st.sampled_from(["", "[tabell]\n", "[[liste]]\n"]))
    lines = [f"{k} = {i}" for i, k in enumerate(keys)]
    lines.insert(data.draw(st.integers(0, len(lines))), f'{twice} = "igjen"')
    text = table + "\n".join(lines) + "\n"
    offset = 1 if table else 0
    first, second = [i + 1 + offset for i, line in enumerate(lines) if line.split(" =")[0] == twice]
    message = refused(load_toml, text, "b.toml")
    assert message.startswith(f"b.toml:{second}: ugyldig TOML") and f"linje {first} og {second}" in message


def test_duplicate_tables_and_dotted_keys_in_toml():
    assert "linje 1 og 5" in refused(load_toml, "[x]\na = 1\n[y]\nb = 2\n[x]\nc = 3\n", "b.toml")
    assert "linje 1 og 2" in refused(load_toml, "a.b = 1\na.b = 2\n", "b.toml")
    assert "to ganger" in refused(load_toml, "x = {a = 1, a = 2}\n", "b.toml")
    assert load_toml("[[e]]\na = 1\n[[e]]\na = 2\n", "b.toml") == {"e": [{"a": 1}, {"a": 2}]}


def test_yaml_and_toml_that_hold_keep_their_values():
    assert load_yaml("a: 1\nb: [1, 2]\nc: {d: 2023-11-30}\n", "f.yaml")["c"]["d"].isoformat() == "2023-11-30"
    assert load_toml('a = 1\n[b]\nc = "x"\n', "b.toml") == {"a": 1, "b": {"c": "x"}}
    doc = load_yaml_document("a:\n  b: 12.000\n", "f.yaml")
    assert doc.raw[("a", "b")] == "12.000" and doc.lines[("a", "b")] == 2


# --- values that overflow or are not numbers --------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("d: 2023-11-31\n", "«2023-11-31» er ikke en gyldig dato"),
    ("d: 2025-02-30\n", "«2025-02-30» er ikke en gyldig dato"),
    ("n: " + "9" * 5000 + "\n", f"grensen er {MAX_INT_DIGITS}"),
    ("n: .nan\n", "ikke et endelig tall"),
    ("n: -.inf\n", "ikke et endelig tall"),
    ("n: 1.0e+400\n", "ikke et endelig tall"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "for dypt nøstet"),
    ("x: " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "\n", "for dypt nøstet"),
])
def test_yaml_values_that_are_not_numbers_or_dates(text, words):
    assert words in refused(load_yaml, text, "f.yaml")


@pytest.mark.parametrize("text, words", [
    ("d = 2023-11-31\n", "ugyldig dato"),
    ("n = " + "9" * 5000 + "\n", "sifre"),
    ("n = 99999999999999999999\n", "sifre"),
    ("[t]\nn = nan\n", "«t.n»: «nan» er ikke et endelig tall"),
    ("n = -inf\n", "ikke et endelig tall"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nøstet"),
    ("x = " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "\n", "for dypt nøstet"),
])
def test_toml_values_that_are_not_numbers_or_dates(text, words):
    message = refused(load_toml, text, "b.toml")
    assert words in message and "Traceback" not in message


def test_an_alias_bomb_and_a_tag_are_refused_and_aliases_can_be_forbidden():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    assert "aliasene" in refused(load_yaml, bomb, "f.yaml")
    assert "ugyldig YAML" in refused(load_yaml, "a: !!python/object/apply:os.system [ls]\n", "f.yaml")
    assert "ikke tillatt" in refused(load_yaml_document, "a: &x [1]\nb: *x\n", "f.yaml", aliases=False)
    assert load_yaml("a: &x [1]\nb: *x\n", "f.yaml") == {"a": [1], "b": [1]}


# --- proposal amounts (issue 14 item 1) ------------------------------------------------------------------------

@given(st.integers(1, 999), st.integers(0, 999))
def test_a_thousands_point_is_refused_with_what_was_meant(high, low):
    written = f"{high}.{low:03d}"
    value = yaml.safe_load(f"x: {written}")["x"]  # what YAML makes of it: a float
    with pytest.raises(AmountError) as caught:
        amount(value, written)
    meant = high * 1000 + low
    assert f"«{written}» ble lest som" in str(caught.value)
    assert f"skriv {meant} eller {meant:,}".replace(",", " ") in str(caught.value)


@given(st.integers(-10**12, 10**12))
def test_whole_amounts_as_numbers_and_as_text_are_accepted(value):
    spaced = f"{value:,}".replace(",", " ")
    assert amount(value, str(value)) == value
    assert amount(str(value)) == value
    assert amount(spaced, spaced) == value


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_an_amount(value):
    with pytest.raises(AmountError):
        amount(value)


@pytest.mark.parametrize("written", ["12,000", "12,5", "1.500.000", "0x10", "1_000", "12.5"])
def test_comma_point_and_odd_literals_are_refused(written):
    value = yaml.safe_load(f"x: {written}")["x"]
    with pytest.raises(AmountError):
        amount(value, written)


# --- control characters (issue 17 item 7) ----------------------------------------------------------------------

@given(st.text())
def test_no_control_character_survives_cleaning(text):
    cleaned = clean_text(text)
    assert not CONTROL.search(cleaned)
    assert clean_text(cleaned) == cleaned


def test_escapes_in_yaml_and_toml_strings_are_made_visible():
    data = load_yaml('tittel: "\\e[2J\\a\\x9b hei"\nliste: ["\\e]0;tittel\\a"]\n', "f.yaml")
    assert data == {"tittel": "␛[2J␇� hei", "liste": ["␛]0;tittel␇"]}
    assert load_toml('[a]\n"\\u001b" = "\\u0007x"\n', "b.toml") == {"a": {"␛": "␇x"}}
    deep = {"a": [{"b": "\x1b"}] * 3}
    assert clean(deep) == {"a": [{"b": "␛"}] * 3} and deep["a"][0]["b"] == "\x1b"


def test_validation_messages_are_norwegian():
    from pydantic import BaseModel, ValidationError
    import datetime as dt

    class Model(BaseModel):
        dato: dt.date
        n: int

    with pytest.raises(ValidationError) as caught:
        Model.model_validate({"dato": "2025-02-30", "n": "x"})
    messages = [pydantic_message(e) for e in caught.value.errors()]
    assert messages == ["«2025-02-30» skal være en gyldig dato (ÅÅÅÅ-MM-DD)", "«x» skal være et heltall"]
