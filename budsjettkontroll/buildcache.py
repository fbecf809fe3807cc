"""What a cold start can reuse from the last run: objects built from a file (a compiled rule pack, a validated
parameter file, the catalogue's aliases), stored between runs so that the next `check` unpickles them instead of
parsing YAML, validating it with pydantic and compiling every condition with rule-engine again.

An entry is keyed by everything the object is a function of: the kind of object, the file's path and exact bytes,
and the code that builds it (size and modification time of every module of this package, the versions of Python,
rule-engine, pydantic and PyYAML). A new or changed YAML file, or a new version of the tool, simply misses and is
built as before. Only what was built without error is stored, so a broken pack is reported the same way every time.

The cache is an optimisation and never a source of truth: when its folder cannot be made or written (read-only
home, full disk), or an entry cannot be read (truncated, from another version), the object is built from the file
as if there were no cache. Entries are pickles, so the folder is made private (0700) and an entry is only read from
a folder owned by the user that no one else can write to.

The same folder keeps the compiled methods @dataclass generates (DataclassCode, below), keyed by their source text.

Where: $BUDSJETTKONTROLL_CACHE_DIR, else $XDG_CACHE_HOME/budsjettkontroll, else ~/.cache/budsjettkontroll.
BUDSJETTKONTROLL_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import types
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")
FORMAT = "1"  # bump when what is stored changes shape in a way the code digest would not notice
_LIBRARIES = ("rule_engine", "pydantic", "pydantic_core", "yaml")
_state: dict[str, Any] = {}


def folder() -> Path | None:
    """The cache folder, or None when caching is off."""
    if os.environ.get("BUDSJETTKONTROLL_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("BUDSJETTKONTROLL_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    except (RuntimeError, KeyError, OSError):  # no home directory
        return None
    return root / "budsjettkontroll"


def code_digest() -> str:
    """The version of the code that builds cached objects: every module of this package (path, size, mtime) and
    the versions of the libraries whose objects are stored. Computed once per process."""
    digest = _state.get("code")
    if digest is None:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{FORMAT}|{sys.version}|{sys.implementation.cache_tag}".encode())
        root = str(Path(__file__).resolve().parent)
        for path in sorted(_modules(root)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            h.update(f"|{path[len(root):]}:{st.st_size}:{st.st_mtime_ns}".encode())
        for name in _LIBRARIES:
            h.update(f"|{name}={_library_stamp(name)}".encode())
        digest = _state["code"] = h.hexdigest()
    return digest


def _modules(root: str) -> list[str]:
    out, stack = [], [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in ("__pycache__", "budgets", "static", "templates"):
                        stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    out.append(entry.path)
    return out


def _library_stamp(name: str) -> str:
    """The installed library's version, read without importing it: its distribution folder's name (which carries
    the version) or, failing that, its __init__'s size and mtime."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "-"
    if spec is None or not spec.origin:
        return "-"
    try:
        st = os.stat(spec.origin)
    except OSError:
        return "-"
    return f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}"


def built(kind: str, path: Path, build: Callable[[], T], data: bytes | None = None, context: str = "",
          expect: type | tuple[type, ...] = object) -> T:
    """`build()` for the file at `path` (whose bytes are `data`, read here when not given), or the object stored by
    an earlier run for exactly these bytes, this code and this `context` (anything else the object depends on, as
    text). `build` must be a function of those only; a stored object that is not an `expect` is built again."""
    where = folder()
    if where is None:
        return build()
    try:
        if data is None:
            data = path.read_bytes()
    except OSError:
        return build()
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{kind}\0{path}\0{code_digest()}\0{context}\0".encode("utf-8", "surrogateescape"))
    h.update(data)
    entry = where / f"{kind}-{h.hexdigest()}.pickle"
    found = _read(where, entry)
    if found is not _MISSING and isinstance(found, expect):
        return found
    value = build()
    _write(where, entry, value)
    return value


_MISSING = object()


def _read(where: Path, entry: Path, load: Callable[[Any], Any] = pickle.load) -> Any:
    try:
        with open(entry, "rb") as stream:
            if not _private(where, os.fstat(stream.fileno())):
                return _MISSING
            return load(stream)
    except FileNotFoundError:
        return _MISSING
    except Exception:  # noqa: BLE001 - a truncated or foreign entry is a miss, never an error
        return _MISSING


def _private(where: Path, entry_stat: os.stat_result) -> bool:
    """The entry and its folder belong to this user and nobody else can write to them."""
    if not hasattr(os, "geteuid"):
        return True
    try:
        folder_stat = os.stat(where)
    except OSError:
        return False
    uid = os.geteuid()
    return all(st.st_uid == uid and not st.st_mode & 0o022 for st in (folder_stat, entry_stat))


def _write(where: Path, entry: Path, value: Any, dump: Callable[[Any], bytes] | None = None) -> None:
    import io
    import tempfile

    try:
        if dump is None:
            buffer = io.BytesIO()
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
            data = buffer.getvalue()
        else:
            data = dump(value)
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-", suffix=entry.suffix)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
            os.replace(tmp, entry)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except Exception:  # noqa: BLE001 - unwritable, full or unpicklable: the next run builds it again
        return


def _function_type() -> type:
    return types.FunctionType


def _rule(text: str, context: Any, statement: Any) -> Any:
    """A rule-engine Rule as it was compiled (its own pickling parses the text again, which is what is saved here,
    and would lose the comparison sides the loader put into the tree)."""
    from rule_engine import Rule

    rule = object.__new__(Rule)
    rule.text, rule.context, rule.statement = text, context, statement
    return rule


class _Pickler(pickle.Pickler):
    """Pickles compiled rule-engine rules: the Rule with its tree, the `function` type some data types name, and
    bound methods whose names are mangled (`__op_arithmetic`), which plain pickle looks up unmangled."""

    def reducer_override(self, obj: Any) -> Any:
        if obj is types.FunctionType:
            return _function_type, ()
        cls = type(obj)
        if cls.__name__ == "Rule" and cls.__module__.startswith("rule_engine"):
            return _rule, (obj.text, obj.context, obj.statement)
        if cls is types.MethodType:
            name = obj.__func__.__name__
            if name.startswith("__") and not name.endswith("__"):
                for owner in type(obj.__self__).__mro__:
                    mangled = f"_{owner.__name__.lstrip('_')}{name}"
                    if owner.__dict__.get(mangled) is obj.__func__:
                        return getattr, (obj.__self__, mangled)
        return NotImplemented


# --- the methods dataclasses generate ---------------------------------------------------------------------------

class DataclassCode:
    """The compiled code of the methods @dataclass generates (__init__, __repr__, __eq__ …), kept between runs.

    dataclasses writes each method as source text and compiles it with exec(); for the few hundred dataclasses a
    `check` creates (ours, typer's, rich's, pandera's) that compiling is a tenth of what the tool adds to the
    import of pandera. The text is the key, so a stored code object is exactly what compiling that text gives (same
    file name «<string>», no inherited __future__ flags, as exec() in dataclasses compiles it); only the compiling is
    skipped. install() makes dataclasses' own exec() look the text up first; save() stores what was compiled anew.
    Only the command line installs it; an unreadable table is simply compiled again.

    A text the table lacks — on a first run (no cache yet, or BUDSJETTKONTROLL_NO_CACHE=1) all of them — is looked up
    in the package itself: budsjettkontroll/_dataclass_code.py holds the texts a cold `check` or `amend` compiles
    (ours and those of typer, rich, pandera, pydantic …) as Python, so installing the package compiles them to
    bytecode like any module (scripts/gen_dataclass_code.py writes it). The lookup is by the text's digest, and the
    function made from the shipped code is the one exec() of the text makes (equal code, file name «<string>», the
    text's own line numbers; tests/test_buildcache.py compares every entry). A text it lacks too (another version of
    the code, a library or Python) is compiled as before."""

    # Texts kept: a `check` asks for about 500, and reading the table costs about 4 µs per entry, so texts of old
    # code versions and other commands are dropped beyond this (those this run used are always kept).
    LIMIT = 800

    def __init__(self) -> None:
        self.table: dict[str, Any] = {}
        self.used: set[str] = set()
        self.added = 0
        self.entry: Path | None = None
        self.shipped: dict[str, types.CodeType] | None = None  # read on the first text the table lacks

    def install(self) -> None:
        import dataclasses
        import marshal

        if getattr(dataclasses, "exec", None) is not None:
            return
        where = folder()
        if where is not None:
            tag = f"{sys.implementation.cache_tag}-{sys.hexversion:x}"
            self.entry = where / f"dataclass-code-2-{tag}.marshal"  # 2: entries may be a function's code
            found = _read(where, self.entry, lambda stream: marshal.loads(stream.read()))
            if isinstance(found, dict) and all(isinstance(code, types.CodeType) for code in found.values()):
                self.table = found
        dataclasses.exec = self._exec  # a module global shadows the builtin for dataclasses only

    def _exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        import builtins

        if globals is None:  # as exec() called inside dataclasses would have it
            import dataclasses

            globals = vars(dataclasses)
        if isinstance(source, str):
            code = self.table.get(source)
            if code is None and type(locals) is dict:
                if self.shipped is None:
                    self.shipped = shipped_dataclass_code()
                shipped = self.shipped.get(text_digest(source)) if self.shipped else None
                if shipped is not None:
                    code = self.table[source] = _as_compiled(shipped, shipped.co_firstlineno - 1)
                    self.added += 1  # kept in the cache's table, which is read faster than the package's
            if code is None:
                code = compile(source, "<string>", "exec", dont_inherit=True)
                self.table[source] = code
                self.added += 1
            self.used.add(source)
            if code.co_name == "__create_fn__":  # the function's own code (from the package)
                if type(locals) is dict:  # what exec() of the text does: make the function and bind it
                    globals.setdefault("__builtins__", builtins.__dict__)
                    locals[code.co_name] = types.FunctionType(code, globals)
                    return
                code = compile(source, "<string>", "exec", dont_inherit=True)
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        import marshal

        if not self.added or self.entry is None:
            return
        table = {text: code for text, code in self.table.items() if text in self.used}
        for text, code in self.table.items():
            if len(table) >= self.LIMIT:
                break
            table.setdefault(text, code)
        _write(self.entry.parent, self.entry, table, dump=marshal.dumps)
        self.added = 0


dataclass_code = DataclassCode()


def text_digest(text: str) -> str:
    """The key of a dataclass method text in the shipped table."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def shipped_dataclass_code() -> dict[str, types.CodeType]:
    """Digest of a text → the code of the `__create_fn__` it defines, from budsjettkontroll/_dataclass_code.py
    (where its lines are counted from the top of that file: see _as_compiled); empty when the file is missing or
    was written for another Python."""
    try:
        from . import _dataclass_code as shipped
    except Exception:  # noqa: BLE001 - missing or broken: every text is compiled as before
        return {}
    if getattr(shipped, "PYTHON", None) != sys.version_info[:2] or len(shipped.KEYS) != len(shipped.CODES):
        return {}
    return dict(zip(shipped.KEYS, shipped.CODES))


def _as_compiled(code: types.CodeType, shift: int) -> types.CodeType:
    """`code` as compiling its text alone gives it: file «<string>», lines counted from the text's first line."""
    consts = tuple(_as_compiled(c, shift) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename="<string>", co_firstlineno=code.co_firstlineno - shift, co_consts=consts)
