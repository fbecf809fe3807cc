"""Safe reading of every YAML and TOML file the tool reads: proposals, waivers, policy packs, rule packs,
configuration and budsjett.toml.

A file a person wrote must never be read as something else than what they meant, and a hostile file must
never cost more than a small one. So, for YAML and TOML alike:

- a key given twice in one table is refused naming both lines (YAML keeps the last silently; a proposal with
  `endringer:` twice was approved on its second half);
- nesting is bounded (MAX_DEPTH), aliases are bounded (MAX_NODES once expanded) or refused, tags are refused;
- an invalid date (2023-11-31), an integer of more than MAX_INT_DIGITS digits and a non-finite float
  (nan, inf) are refused with the line they are on;
- control characters (ESC, BEL, …) in text are replaced by visible symbols (␛, ␇) at read time, so no report
  format can carry an escape sequence to a terminal.

Proposal amounts are whole 1000 kr (`amount`): `12.000` is refused as «12.000 ble lest som 12; skriv 12000 eller
12 000», «12 000» and «12000» written as text are accepted. `pydantic_message` says a validation error in
Norwegian. Every refusal is an InputError with one Problem naming file and line.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError, Problem
from .numbers import AmountError, parse_amount

MAX_DEPTH = 32  # budsjett.toml has three levels, a rule pack six; 32 is far beyond any real file
MAX_NODES = 100_000  # values once aliases are expanded (lov.yaml has a few thousand; a billion-laughs file 10^9)
MAX_INT_DIGITS = 18  # no figure a budget file holds has more; Python refuses to parse more than 4 300 at all
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_THOUSANDS = re.compile(r"[-+−]?\d{1,3}(?:[.,]\d{3})+")
_PLAIN_INT = re.compile(r"[-+]?\d+")
_YAML_INT = "tag:yaml.org,2002:int"
_YAML_FLOAT = "tag:yaml.org,2002:float"
_YAML_TIMESTAMP = "tag:yaml.org,2002:timestamp"

if TYPE_CHECKING:
    import yaml
# PyYAML is imported by the functions that read YAML: a `check` whose packs come from the build cache reads none


# --- text -----------------------------------------------------------------------------------------------------

def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode «Control Pictures»: ␛ for ESC, ␇ for BEL
    return "␡" if code == 0x7F else "�"


def clean_text(text: str) -> str:
    """Text with every control character but tab and line break replaced by a visible symbol."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(_visible, text) if _CONTROL.search(text) else text


def clean(value: Any) -> Any:
    """clean_text on every string in a loaded document (keys too), iteratively (no recursion limit)."""
    if isinstance(value, str):
        return clean_text(value)
    if not isinstance(value, (dict, list)):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, value)]
    while stack:
        parent, key, node = stack.pop()
        if isinstance(node, dict):
            new: dict[Any, Any] = {}
            for k, v in node.items():
                new[clean_text(k) if isinstance(k, str) else k] = v
            parent[key] = new
            for k, v in new.items():
                if isinstance(v, (dict, list, str)):
                    stack.append((new, k, v))
        elif isinstance(node, list):
            new_list = list(node)
            parent[key] = new_list
            for i, v in enumerate(new_list):
                if isinstance(v, (dict, list, str)):
                    stack.append((new_list, i, v))
        else:
            parent[key] = clean_text(node)
    return root[0]


# --- YAML -----------------------------------------------------------------------------------------------------

@dataclass
class YamlDocument:
    """A loaded YAML document, with the line of every value and the text of every scalar by its path of keys
    (keys as written, as text; list positions as ints)."""

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    raw: dict[tuple, str] = field(default_factory=dict)
    tags: dict[tuple, str] = field(default_factory=dict)


def load_yaml(text: str, display: str, *, aliases: bool = True) -> Any:
    """The document's data; see load_yaml_document."""
    return load_yaml_document(text, display, aliases=aliases, positions=False).data


def load_yaml_document(text: str, display: str, *, aliases: bool = True, positions: bool = True) -> YamlDocument:
    """Parse YAML safely (safe loader only: a tag such as !!python/object is refused), refusing duplicate keys,
    deep nesting, alias bombs (or any alias when aliases=False), invalid dates, huge integers and nan/inf."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:  # libyaml is ten times faster; a refused file is read again for the pure reader's messages
        try:
            return _load_with(fast, text, display, aliases, positions)
        except InputError:
            pass
    return _load_with(yaml.SafeLoader, text, display, aliases, positions)


def _load_with(loader_class, text: str, display: str, aliases: bool, positions: bool) -> YamlDocument:
    import yaml

    loader = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        doc = YamlDocument(None)
        _inspect(node, display, aliases, doc if positions else None)
        doc.data = clean(loader.construct_document(node))
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        col = f", kolonne {mark.column + 1}" if mark else ""
        raise InputError(Problem(f"ugyldig YAML{col}: {clean_text(str(exc.problem or exc.context))}", file=display,
                                 line=mark.line + 1 if mark else None)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"ugyldig YAML: {' '.join(clean_text(str(exc)).split())}", file=display)) from None
    except RecursionError:
        raise InputError(Problem(f"YAML-en er for dypt nøstet (grensen er {MAX_DEPTH} nivåer)", file=display)) from None
    except (ValueError, OverflowError) as exc:  # a value the constructor cannot build; _inspect catches the known ones
        raise InputError(Problem(f"ugyldig verdi i YAML ({clean_text(str(exc))[:80]})", file=display)) from None
    finally:
        if loader is not None:
            loader.dispose()


def _line(node: yaml.Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark is not None else None


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [c for kv in node.value for c in kv]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _inspect(root: yaml.Node, display: str, aliases: bool, doc: YamlDocument | None) -> None:
    """One iterative walk over the node graph before anything is constructed."""
    import yaml

    size: dict[int, int | None] = {}
    stack: list[tuple[yaml.Node, bool, int, tuple]] = [(root, False, 1, ())]
    while stack:
        node, done, depth, path = stack.pop()
        if done:
            total = 1 + sum(size[id(c)] or 0 for c in _children(node))
            if total > MAX_NODES:
                raise InputError(Problem(f"YAML-en blir til mer enn {MAX_NODES} verdier når aliasene (*navn) foldes "
                                         "ut; det er ingen regel-, unntaks- eller endringsfil", file=display,
                                         line=_line(node)))
            size[id(node)] = total
            continue
        if id(node) in size:
            if not aliases and not isinstance(node, yaml.ScalarNode):
                raise InputError(Problem("ankere og aliaser (& og *) er ikke tillatt i denne filen", file=display,
                                         line=_line(node)))
            if size[id(node)] is None:
                raise InputError(Problem("YAML-en refererer til seg selv (et alias inne i sitt eget anker)",
                                         file=display, line=_line(node)))
            continue
        if depth > MAX_DEPTH:
            raise InputError(Problem(f"YAML-en er for dypt nøstet (grensen er {MAX_DEPTH} nivåer)", file=display,
                                     line=_line(node)))
        size[id(node)] = None
        if doc is not None and path not in doc.lines:
            doc.lines[path] = _line(node) or 0
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, display)
            if doc is not None:
                doc.raw.setdefault(path, node.value)
                doc.tags.setdefault(path, node.tag)
            size[id(node)] = 1
            continue
        stack.append((node, True, depth, path))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int | None] = {}
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name != "<<":
                    if name in seen:
                        raise InputError(Problem(
                            f"nøkkelen «{clean_text(name)}» er oppgitt to ganger (linje {seen[name]} og "
                            f"{_line(key)}); YAML ville beholdt bare den siste. Slå dem sammen eller fjern én",
                            file=display, line=_line(key)))
                    seen[name] = _line(key)
                if doc is not None:  # paths only for a document that keeps positions
                    sub = path + ((name if name is not None else "?"),)
                    doc.lines[sub] = _line(key) or 0
                    stack.append((key, False, depth + 1, path + ("<key>",)))
                    stack.append((value, False, depth + 1, sub))
                else:
                    stack.append((key, False, depth + 1, path))
                    stack.append((value, False, depth + 1, path))
        elif doc is not None:
            stack.extend((child, False, depth + 1, path + (i,)) for i, child in enumerate(node.value))
        else:
            stack.extend((child, False, depth + 1, path) for child in node.value)


def _check_scalar(node: yaml.ScalarNode, display: str) -> None:
    import yaml

    value = node.value
    if node.tag == _YAML_INT:
        digits = len(re.sub(r"[^0-9a-fA-F]", "", value))
        if digits > MAX_INT_DIGITS:
            raise InputError(Problem(f"tallet har {digits} sifre; grensen er {MAX_INT_DIGITS}", file=display,
                                     line=_line(node)))
    elif node.tag == _YAML_FLOAT:
        digits = len(re.sub(r"[^0-9]", "", value))
        lowered = value.lower()
        if "nan" in lowered or "inf" in lowered:
            raise InputError(Problem(f"«{value}» er ikke et endelig tall", file=display, line=_line(node)))
        if digits > 2 * MAX_INT_DIGITS:
            raise InputError(Problem(f"tallet har {digits} sifre; grensen er {2 * MAX_INT_DIGITS}", file=display,
                                     line=_line(node)))
        try:
            if not math.isfinite(float(value.replace("_", ""))):
                raise ValueError
        except ValueError:
            raise InputError(Problem(f"«{value}» er ikke et endelig tall", file=display, line=_line(node))) from None
    elif node.tag == _YAML_TIMESTAMP:
        try:
            yaml.SafeLoader.construct_yaml_timestamp(yaml.SafeLoader(""), node)
        except (ValueError, OverflowError):
            raise InputError(Problem(f"«{value}» er ikke en gyldig dato", file=display, line=_line(node))) from None


# --- TOML -----------------------------------------------------------------------------------------------------

# Patterns of the error paths are compiled on first use (re caches them), not at every import.
_AT = r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)"
_TOML_WORDS = [
    (r"Invalid date or datetime", "ugyldig dato eller tidspunkt (f.eks. 2023-11-31)"),
    (r"Expected '=' after a key.*", "venter «=» etter en nøkkel (en nøkkel med æøå skrives i anførselstegn)"),
    (r"Expected '\]' at the end of a table declaration", "venter «]» etter tabellnavnet"),
    (r"Expected '\]\]' at the end of an array declaration", "venter «]]» etter tabellnavnet"),
    (r"Expected newline or end of document after a statement", "venter linjeskift etter verdien"),
    (r"Expected (.*)", r"venter \1"),
    (r"Unclosed array", "listen er ikke avsluttet med ]"),
    (r"Unclosed inline table", "den innebygde tabellen er ikke avsluttet med }"),
    (r"Unterminated string", "teksten er ikke avsluttet med anførselstegn"),
    (r"Unescaped '\\' in a string", "en \\ i teksten uten gyldig tegn etter"),
    (r"Escaped character is not a Unicode scalar value|Invalid hex value", "ugyldig \\u-kode i teksten"),
    (r"Invalid initial character for a key part", "ugyldig tegn i begynnelsen av en nøkkel"),
    (r"Invalid value", "ugyldig verdi"),
    (r"Invalid statement", "ugyldig linje"),
    (r"Illegal character (.*)", r"ulovlig tegn \1 (en tekst som ikke er avsluttet?)"),
    (r"Found invalid character (.*)", r"ugyldig tegn \1"),
    (r"Cannot (mutate|redefine).*", "en tabell er definert på nytt"),
]


def load_toml(text: str, display: str) -> dict[str, Any]:
    """Parse TOML (tomllib), refusing duplicate keys (naming both lines), deep nesting, huge integers and
    nan/inf; every problem is one Norwegian line with the line number when the parser gives one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if message.startswith(("Cannot overwrite a value", "Cannot declare", "Duplicate inline table key")):
            duplicate = _toml_duplicate(text)
            if duplicate is not None:
                key, first, second = duplicate
                raise InputError(Problem(f"ugyldig TOML: nøkkelen «{clean_text(key)}» er oppgitt to ganger (linje "
                                         f"{first} og {second}); slå dem sammen eller fjern én", file=display,
                                         line=second)) from None
        at = re.search(_AT, message)
        line = int(at.group(1)) if at and at.group(1) else None
        reason = re.sub(_AT, "", message)
        for pattern, words in _TOML_WORDS:
            if re.match(pattern, reason):
                reason = re.sub(pattern, words, reason)
                break
        if reason.startswith(("Cannot overwrite", "Cannot declare", "Duplicate")):
            reason = "en nøkkel eller tabell er oppgitt to ganger"
        col = f", kolonne {at.group(2)}" if at and at.group(2) else ""
        raise InputError(Problem(f"ugyldig TOML{col}: {clean_text(reason)}", file=display, line=line)) from None
    except RecursionError:
        raise InputError(Problem(f"ugyldig TOML: for dypt nøstet (grensen er {MAX_DEPTH} nivåer)", file=display)) from None
    except ValueError as exc:  # an integer of thousands of digits
        if "digits" in str(exc):
            raise InputError(Problem(f"ugyldig TOML: et tall har mer enn {MAX_INT_DIGITS} sifre", file=display)) from None
        raise InputError(Problem(f"ugyldig TOML: {clean_text(str(exc))[:80]}", file=display)) from None
    _check_values(data, display, text)
    return clean(data)


def _check_values(data: Any, display: str, text: str) -> None:
    """Depth, integer size and finite floats of a loaded TOML document, iteratively."""
    stack: list[tuple[Any, tuple, int]] = [(data, (), 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(Problem(f"ugyldig TOML: for dypt nøstet (grensen er {MAX_DEPTH} nivåer)", file=display))
        if isinstance(node, dict):
            stack.extend((v, path + (str(k),), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, path + (i,), depth + 1) for i, v in enumerate(node))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int) and abs(node) >= 10 ** MAX_INT_DIGITS:
            raise InputError(Problem(f"feltet «{_dotted(path)}»: tallet har mer enn {MAX_INT_DIGITS} sifre",
                                     file=display, line=_toml_line(text, path)))
        elif isinstance(node, float) and not math.isfinite(node):
            raise InputError(Problem(f"feltet «{_dotted(path)}»: «{node}» er ikke et endelig tall", file=display,
                                     line=_toml_line(text, path)))


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "(rot)"


def _toml_line(text: str, path: tuple) -> int | None:
    """The line a key is on, found by its last name (good enough to point a person at it)."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return None
    pattern = re.compile(r"^\s*(?:[\w\"'.\- ]*\.)?[\"']?" + re.escape(names[-1]) + r"[\"']?\s*=", re.M)
    found = pattern.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None


_HEADER = r"^\s*\[(\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$"
_KEY = r"^\s*((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="


def _toml_key(raw: str) -> str:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", raw)
    return ".".join(next(p for p in part if p) if any(part) else "" for part in parts)


def _toml_duplicate(text: str) -> tuple[str, int, int] | None:
    """The first key (or [table]) given twice, with both lines: tomllib names only the second, or none."""
    headers: dict[str, int] = {}
    keys: dict[str, int] = {}
    prefix = ""
    in_multiline: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if depth > 0:  # inside a multi-line array
            depth += line.count("[") - line.count("]")
            continue
        header = re.match(_HEADER, line)
        if header:
            name = _toml_key(header.group(2))
            if not header.group(1):
                if name in headers:
                    return name, headers[name], number
                headers[name] = number
            else:  # [[array]]: each item has its own keys
                keys = {k: v for k, v in keys.items() if not k.startswith(name + ".")}
            prefix = name + "."
            continue
        match = re.match(_KEY, line)
        if not match:
            continue
        full = prefix + _toml_key(match.group(1))
        if full in keys:
            return full.removeprefix(prefix) if prefix else full, keys[full], number
        if full.rstrip(".") in headers:
            return full, headers[full.rstrip(".")], number
        keys[full] = number
        rest = line[match.end():]
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
        if not in_multiline:
            stripped = re.sub(r"\"(?:\\.|[^\"\\])*\"|'[^']*'", "", rest).split("#")[0]
            depth = max(0, stripped.count("[") - stripped.count("]"))
    return None


# --- numbers a person wrote -------------------------------------------------------------------------------------

def amount(value: Any, raw: str | None = None) -> int | None:
    """A proposal amount: whole 1000 kr. `raw` is the text as written when the format keeps it (YAML).

    A number with a decimal point is refused even when it is whole (12.000 is 12 to YAML, 12 000 to a Norwegian);
    «12 000» and «12000» as text are accepted. Raises AmountError with the message to show.
    """
    if isinstance(value, bool):
        raise AmountError(f"«{raw or value}» er ikke et beløp")
    shown = (raw if raw is not None else _float_text(value) if isinstance(value, float) else str(value)).strip()
    if _THOUSANDS.fullmatch(shown):
        digits = re.sub(r"[.,]", "", shown).replace("−", "-")
        spaced = f"{int(digits):,}".replace(",", " ")
        if isinstance(value, float):
            read_as = f"{value:g}".replace(".", ",")
            raise AmountError(f"«{shown}» ble lest som {read_as}; skriv {int(digits)} eller {spaced} "
                              "(beløp er hele tusen kroner, uten punktum eller komma)")
        raise AmountError(f"«{shown}» har punktum eller komma; skriv {int(digits)} eller {spaced} "
                          "(beløp er hele tusen kroner)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError(f"«{shown}» er ikke et tall")
        if value.is_integer():
            whole = int(value)
            raise AmountError(f"«{shown}» er et desimaltall; beløp er hele tusen kroner: skriv {whole} uten punktum "
                              f"(eller {whole * 1000} om du mente {whole} 000)")
        raise AmountError(f"«{shown}» er ikke et helt tall; beløp er hele tusen kroner (skriv f.eks. 12000 eller "
                          "12 000)")
    if isinstance(value, int) and raw is not None and not _PLAIN_INT.fullmatch(raw.strip()):
        raise AmountError(f"«{raw.strip()}» er ikke et vanlig heltall (YAML leser det som {value}); skriv beløpet "
                          "med sifre, f.eks. 12000")
    if isinstance(value, int) and raw is not None:
        return parse_amount(raw.strip())
    return parse_amount(value)


def _float_text(value: float) -> str:
    return repr(value)


# --- validation messages ---------------------------------------------------------------------------------------

ERROR_WORDS = {
    "missing": "mangler (feltet er påkrevd)",
    "extra_forbidden": "er et ukjent felt",
    "string_type": "skal være tekst",
    "int_type": "skal være et heltall",
    "int_parsing": "skal være et heltall",
    "int_parsing_size": "er et for stort tall",
    "int_from_float": "skal være et heltall",
    "float_type": "skal være et tall",
    "float_parsing": "skal være et tall",
    "finite_number": "skal være et endelig tall (ikke nan eller inf)",
    "bool_type": "skal være true eller false",
    "bool_parsing": "skal være true eller false",
    "date_type": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_parsing": "skal være en gyldig dato (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_parsing": "skal være en gyldig dato (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_inexact": "skal være en dato uten klokkeslett",
    "list_type": "skal være en liste",
    "dict_type": "skal være en tabell med nøkler og verdier",
    "model_type": "skal være en tabell med nøkler og verdier",
    "decimal_parsing": "skal være et tall",
    "decimal_type": "skal være et tall",
    "decimal_max_digits": "har for mange sifre",
    "decimal_max_places": "har for mange desimaler",
    "decimal_whole_digits": "har for mange sifre",
    "too_short": "kan ikke være tom",
    "too_long": "er for lang",
    "string_too_short": "kan ikke være tom",
    "string_too_long": "er for lang",
    "string_pattern_mismatch": "har tegn som ikke er tillatt",
    "greater_than_equal": "er for liten",
    "greater_than": "er for liten",
    "less_than_equal": "er for stor",
    "less_than": "er for stor",
    "literal_error": "har en verdi som ikke er tillatt",
    "enum": "har en verdi som ikke er tillatt",
    "union_tag_invalid": "har en verdi som ikke er tillatt",
    "recursion_loop": "er for dypt nøstet",
}


def pydantic_message(err: dict[str, Any]) -> str:
    """A pydantic error (one item of ValidationError.errors()) in Norwegian, without its field name."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return clean_text(str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, "))
    words = ERROR_WORDS.get(kind)
    if words is None:
        words = "har en ugyldig verdi"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than") and ctx:
        words += f" (grense {next(iter(ctx.values()))})"
    elif kind in ("literal_error", "enum") and "expected" in ctx:
        words += f" (tillatt: {ctx['expected']})"
    shown = err.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(shown, (str, int, float)) and not isinstance(shown, bool):
        text = clean_text(str(shown))
        words = f"«{text[:60]}{'…' if len(text) > 60 else ''}» " + words
    return words


def field_name(loc: tuple | list) -> str:
    return ".".join(str(p) for p in loc) or "(rot)"



_SCHEMA_TYPES = {"object": "en tabell med nøkler og verdier", "array": "en liste", "string": "tekst",
                 "number": "et tall", "integer": "et heltall", "boolean": "true eller false", "null": "tom"}


def schema_message(err: Any) -> str:
    """A JSON-Schema error in Norwegian that never quotes the value (a file named by mistake can hold secrets)."""
    kind, wanted = err.validator, err.validator_value
    if kind == "type":
        kinds = wanted if isinstance(wanted, list) else [wanted]
        return "skal være " + " eller ".join(_SCHEMA_TYPES.get(str(k), str(k)) for k in kinds)
    if kind in ("enum", "const"):
        allowed = wanted if isinstance(wanted, list) else [wanted]
        return "skal være en av " + ", ".join(str(a) for a in allowed[:12])
    if kind in ("minLength", "minItems", "minProperties"):
        return "kan ikke være tom"
    if kind in ("maxLength", "maxItems", "maxProperties"):
        return f"er for lang (grense {wanted})"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"er for liten (grense {wanted})"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"er for stor (grense {wanted})"
    if kind == "pattern":
        return "har tegn som ikke er tillatt"
    if kind == "format":
        return f"har feil format (skal være {wanted})"
    if kind == "required":
        return "mangler påkrevd felt: " + ", ".join(str(w) for w in wanted if w not in (err.instance or {}))
    if kind == "additionalProperties":
        known = (err.schema or {}).get("properties", {})
        extra = [str(k) for k in (err.instance or {}) if k not in known] if isinstance(err.instance, dict) else []
        return (f"ukjent felt «{clean_text(extra[0])}»" if extra else "har et ukjent felt") + (
            f"; kjente felt: {', '.join(known)}" if known else "")
    return "har en ugyldig verdi"
