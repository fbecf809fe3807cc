"""Amounts as Norwegian finance departments write them, parsed strictly (a wrong number is worse than none)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Thousands separators seen in real exports: space, no-break space, narrow no-break space, thin space.
_SEPARATORS = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\u2007"), None)
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})
_INTEGER = re.compile(r"[-+]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[-+]?\d+([.,]\d+)?", re.ASCII)
MAX_DIGITS = 15  # 10^15 × 1000 kr is far beyond any budget; longer numbers are typing or export errors
PLAIN_AMOUNT = re.compile(r"-?[0-9]{1,15}")  # a cell as most exports write it: what parse_amount would give is int(text)


class AmountError(ValueError):
    """A cell that is not a whole amount; the message says why in Norwegian."""


def _clean(text: str) -> str:
    return str(text).strip().translate(_MINUSES).translate(_SEPARATORS)


def is_blank(text: object) -> bool:
    return text is None or (isinstance(text, str) and text.strip() == "")


def parse_amount(text: object, *, dash_is_zero: bool = False) -> int | None:
    """Whole 1000 kr; None for an empty cell (not given, never 0)."""
    if text.__class__ is str and PLAIN_AMOUNT.fullmatch(text):
        return int(text)  # nothing to strip, no separator or other minus, at most MAX_DIGITS digits: int(cleaned)
    if is_blank(text):
        return None
    if isinstance(text, bool):
        raise AmountError(f"«{text}» er ikke et beløp")
    if isinstance(text, int):
        return _bounded(text, text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise AmountError(f"«{text}» er ikke et tall")
        if text.is_integer():
            return _bounded(int(text), text)
        raise AmountError(f"«{text}» har desimaler; beløp skal være hele tusen kroner")
    raw = str(text)
    cleaned = _clean(raw)
    if cleaned == "-":
        if dash_is_zero:
            return 0
        raise AmountError("«-» uten tall; skriv 0 (eller la cellen stå tom når tallet ikke er gitt), eller sett "
                          "`dash_is_zero = true` i budsjett.toml når «-» i tabellene betyr 0")
    if _INTEGER.fullmatch(cleaned):
        if len(cleaned.lstrip("+-")) > MAX_DIGITS:
            raise AmountError(f"«{raw.strip()}» har mer enn {MAX_DIGITS} sifre; beløp er i hele tusen kroner")
        return int(cleaned)
    if _DECIMAL.fullmatch(cleaned):
        raise AmountError(f"«{raw.strip()}» har desimaler; beløp skal være hele tusen kroner")
    raise AmountError(f"«{raw.strip()}» er ikke et tall")


def parse_decimal(text: object) -> Decimal | None:
    """A premise such as a percentage or kr per m2: decimals allowed (comma or point)."""
    if is_blank(text):
        return None
    if isinstance(text, bool):
        raise AmountError(f"«{text}» er ikke et tall")
    if isinstance(text, float) and (text != text or text in (float("inf"), float("-inf"))):
        raise AmountError(f"«{text}» er ikke et tall")
    if isinstance(text, (int, float)):
        return _bounded(Decimal(str(text)), text)
    cleaned = _clean(str(text)).rstrip("%")
    if not _DECIMAL.fullmatch(cleaned):
        raise AmountError(f"«{str(text).strip()}» er ikke et tall")
    if len(cleaned) > 2 * MAX_DIGITS:
        raise AmountError(f"«{str(text).strip()}» har for mange sifre")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise AmountError(f"«{text}» er ikke et tall") from exc


def _bounded(value, shown: object):
    if abs(value) >= 10 ** MAX_DIGITS:
        raise AmountError(f"«{shown}» har mer enn {MAX_DIGITS} sifre; beløp er i hele tusen kroner")
    return value


def format_amount(value: int | Decimal | None) -> str:
    """1 174 170 with a no-break-free plain space, as the schedules print it; '–' for not given."""
    if value.__class__ is int:
        return f"{value:,}".replace(",", " ")
    if value is None:
        return "–"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    return f"{int(value):,}".replace(",", " ")
