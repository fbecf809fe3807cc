"""The build cache (budsjettkontroll/buildcache.py): a rule pack, a policy pack or a parameter file taken from the
cache gives exactly what building it from the file gives; a changed file is built again; an unwritable, corrupt or
foreign cache is never an error and never trusted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from budsjettkontroll import buildcache
from budsjettkontroll.check import run_check
from budsjettkontroll.errors import InputError
from budsjettkontroll.package import load_package
from budsjettkontroll.report import renderer
from budsjettkontroll.rules import loader
from budsjettkontroll.rules.loader import bundled_pack, rules_dir

from .conftest import ASKER_DIR


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BUDSJETTKONTROLL_CACHE_DIR", str(folder))
    monkeypatch.delenv("BUDSJETTKONTROLL_NO_CACHE", raising=False)
    return folder


def _fresh(monkeypatch):
    """Forget what this process loaded, so the next load reads the cache or the file."""
    loader._load_cached.cache_clear()
    from budsjettkontroll import policy, selvkost

    policy._load_cached.cache_clear()
    selvkost._load_parameters.cache_clear()


def _report(fmt: str) -> str:
    result = run_check(load_package(ASKER_DIR))
    return renderer(fmt).render([result], {"fail_on": "error", "verbose": True, "color": False})


def test_packs_from_the_cache_give_the_report_a_fresh_build_gives(cache, monkeypatch):
    monkeypatch.setenv("BUDSJETTKONTROLL_NO_CACHE", "1")
    _fresh(monkeypatch)
    fresh = (_report("json"), _report("text"))
    monkeypatch.delenv("BUDSJETTKONTROLL_NO_CACHE")
    _fresh(monkeypatch)
    assert (_report("json"), _report("text")) == fresh  # built and stored
    kinds = {p.name.split("-")[0] for p in cache.glob("*.pickle")}
    assert {"rulepack", "policy", "selvkost"} <= kinds
    _fresh(monkeypatch)

    def no_build(*args, **kwargs):
        raise AssertionError("built again although the cache holds it")

    monkeypatch.setattr(loader, "_build", no_build)
    from budsjettkontroll import policy

    monkeypatch.setattr(policy, "_build", no_build)
    assert (_report("json"), _report("text")) == fresh  # every pack from the cache


def test_a_changed_pack_is_built_again(cache, monkeypatch, tmp_path):
    pack = tmp_path / "egen.yaml"
    text = bundled_pack("selvkost").read_text(encoding="utf-8")
    pack.write_text(text, encoding="utf-8")
    first = loader.load_pack(pack)
    assert list(cache.glob("rulepack-*.pickle"))
    rule = first.rules[0].spec
    pack.write_text(text.replace(f"title: {rule.title}", "title: En annen tittel", 1), encoding="utf-8")
    os.utime(pack, ns=(1, 1))  # even with the old modification time the bytes decide
    _fresh(monkeypatch)
    again = loader.load_pack(pack)
    assert again.rules[0].spec.title == "En annen tittel"
    assert len(list(cache.glob("rulepack-*.pickle"))) == 2


def test_a_broken_pack_is_refused_the_same_way_every_time_and_never_stored(cache, monkeypatch, tmp_path):
    pack = tmp_path / "brutt.yaml"
    pack.write_text(bundled_pack("selvkost").read_text(encoding="utf-8").replace("condition: ", "condition: ukjent_tall + ", 1),
                    encoding="utf-8")
    messages = []
    for _ in range(2):
        _fresh(monkeypatch)
        with pytest.raises(InputError) as err:
            loader.load_pack(pack)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "ukjent størrelse «ukjent_tall»" in messages[0]
    assert not list(cache.glob("rulepack-*.pickle"))


def test_a_compiled_rule_from_the_cache_evaluates_like_a_fresh_one(cache, monkeypatch):
    fresh = loader._build(bundled_pack("lov"), bundled_pack("lov").read_bytes())
    loader.load_pack("lov")
    _fresh(monkeypatch)
    cached = loader.load_pack("lov")
    assert [c.spec for c in cached.rules] == [c.spec for c in fresh.rules]
    assert [c.names for c in cached.rules] == [c.names for c in fresh.rules]
    for a, b in zip(cached.rules, fresh.rules):
        assert a.rule.text == b.rule.text
        assert type(a.rule.statement.expression) is type(b.rule.statement.expression)
        assert (a.sides is None) == (b.sides is None)
        if a.sides:  # the comparison's sides are remembered through the cache too
            assert a.rule.statement.expression.left is a.sides[0]


@pytest.mark.parametrize("breakage", ["file-in-the-way", "disk-full", "corrupt", "wrong-kind", "others-can-write"])
def test_an_unusable_cache_is_never_an_error(cache, monkeypatch, breakage):
    expected = _report("json")
    _fresh(monkeypatch)
    if breakage == "file-in-the-way":
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(cache, ignore_errors=True)
        cache.write_text("ikke en mappe", encoding="utf-8")
    else:
        _report("json")  # fills it
        _fresh(monkeypatch)
        entries = list(cache.glob("*.pickle"))
        assert entries
        if breakage == "disk-full":
            for entry in entries:
                entry.unlink()

            def full(*args, **kwargs):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(buildcache.os, "replace", full)
        elif breakage == "corrupt":
            for entry in entries:
                entry.write_bytes(entry.read_bytes()[:40])
        elif breakage == "wrong-kind":
            import pickle

            for entry in entries:
                entry.write_bytes(pickle.dumps("ikke en regelpakke"))
            monkeypatch.setattr(loader, "_build", _counting(loader._build, calls := []))
        else:
            cache.chmod(0o777)
            monkeypatch.setattr(loader, "_build", _counting(loader._build, calls := []))
    try:
        assert _report("json") == expected
        if breakage == "others-can-write":
            assert calls, "an entry in a folder others can write to was trusted"
        if breakage == "wrong-kind":
            assert calls, "a stored object of another kind was used"
        if breakage == "disk-full":
            assert not list(cache.iterdir()), "a half-written entry was left behind"
    finally:
        if cache.is_dir():
            cache.chmod(0o700)


def _counting(function, calls: list):
    def wrapper(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)
    return wrapper


def test_no_cache_writes_nothing(cache, monkeypatch):
    monkeypatch.setenv("BUDSJETTKONTROLL_NO_CACHE", "1")
    _fresh(monkeypatch)
    _report("json")
    assert not cache.exists()


def test_the_code_digest_changes_with_the_code(monkeypatch, tmp_path):
    before = buildcache.code_digest()
    module = Path(buildcache.__file__).with_name("labels.py")
    stat = module.stat()
    try:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        buildcache._state.clear()
        assert buildcache.code_digest() != before
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        buildcache._state.clear()
    assert buildcache.code_digest() == before


def test_a_cold_check_from_the_cache_prints_what_a_check_without_it_prints(tmp_path):
    """Two fresh processes fill and then use the cache; a third runs without it. Same bytes, same exit code."""
    env = {**os.environ, "BUDSJETTKONTROLL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("BUDSJETTKONTROLL_NO_CACHE", None)
    command = [sys.executable, "-m", "budsjettkontroll.cli", "check", "--format", "json"]
    runs = [subprocess.run(command, capture_output=True, text=True, env=env) for _ in range(2)]
    runs.append(subprocess.run(command, capture_output=True, text=True, env={**env, "BUDSJETTKONTROLL_NO_CACHE": "1"}))
    assert {r.returncode for r in runs} == {0}
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert json.loads(runs[0].stdout)["summary"]["total"] > 0
    assert list((tmp_path / "cache").glob("rulepack-*.pickle"))


# --- the compiled methods of dataclasses ---------------------------------------------------------------------------

_DATACLASSES = '''
import dataclasses, json, os, sys
from dataclasses import dataclass, field
from budsjettkontroll.buildcache import dataclass_code
if not os.environ.get("PLAIN_DATACLASSES"):
    dataclass_code.install()

@dataclass(frozen=True)
class Line:
    key: str
    parts: tuple[str, ...] = ()
    amounts: list[int] = field(default_factory=list, compare=False)

@dataclass(order=True)
class Year:
    year: int
    kind: str = "plan"

a, b = Line("x", ("y",)), Line("x", ("y",), [1])
out = {
    "eq": a == b, "hash": hash(a) == hash(b), "repr": repr(b), "order": Year(2024) < Year(2025, "regnskap"),
    "fields": [f.name for f in dataclasses.fields(Line)], "replace": repr(dataclasses.replace(a, key="z")),
    "annotations": {k: repr(v) for k, v in Line.__init__.__annotations__.items()},
    "qualname": Line.__init__.__qualname__, "frozen": False, "added": dataclass_code.added,
    "patched": dataclasses.exec is not None if hasattr(dataclasses, "exec") else False,
}
try:
    a.key = "y"
except dataclasses.FrozenInstanceError:
    out["frozen"] = True
dataclass_code.save()
print(json.dumps(out))
'''


def _dataclass_run(env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", _DATACLASSES], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def test_dataclasses_from_stored_code_behave_as_freshly_compiled_ones(tmp_path):
    env = {**os.environ, "BUDSJETTKONTROLL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("BUDSJETTKONTROLL_NO_CACHE", None)
    plain = _dataclass_run({**env, "BUDSJETTKONTROLL_NO_CACHE": "1", "PLAIN_DATACLASSES": "1"})
    uncached = _dataclass_run({**env, "BUDSJETTKONTROLL_NO_CACHE": "1"})
    first, second = _dataclass_run(env), _dataclass_run(env)
    assert plain["patched"] is False and first["patched"] is True
    assert uncached["added"] > 0  # these texts are in no table: compiled as before
    assert first["added"] > 0 and second["added"] == 0  # the second process compiled nothing
    off = plain
    for result in (uncached, first, second):
        assert {k: v for k, v in result.items() if k not in ("added", "patched")} == \
            {k: v for k, v in off.items() if k not in ("added", "patched")}
    assert off["annotations"]["key"] == "<class 'str'>"  # evaluated, as dataclasses itself compiles them
    entry, = (tmp_path / "cache").glob("dataclass-code-*.marshal")
    entry.write_bytes(b"\x00garbage")
    assert _dataclass_run(env)["repr"] == off["repr"]  # an unreadable table is compiled again
    import marshal

    entry.write_bytes(marshal.dumps({text: 42 for text in marshal.loads(entry.read_bytes())}))
    assert _dataclass_run(env)["repr"] == off["repr"]  # a table of something else than code is not used


# --- what a cold check loads ------------------------------------------------------------------------------------

_LOADED = '''
import io, os, sys
sys.argv = ["budsjettkontroll", "check", "--format", "text"]
from budsjettkontroll.cli import main
out, sys.stdout = sys.stdout, io.StringIO()
try:
    main()
except SystemExit:
    pass
sys.stdout = out
print(sorted(m for m in ("yaml", "budsjettkontroll.waivers", "budsjettkontroll.batch", "importlib.resources.readers",
                         "rich._emoji_codes") if m in sys.modules), os.environ.get("OPENBLAS_NUM_THREADS"))
'''


def test_a_cold_check_from_the_cache_loads_no_yaml_waivers_or_batch_and_one_blas_thread(tmp_path):
    env = {**os.environ, "BUDSJETTKONTROLL_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("BUDSJETTKONTROLL_NO_CACHE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS"):
        env.pop(name, None)
    runs = [subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    assert runs[0].stdout.split()[-1] == "1"
    assert runs[1].stdout.strip() == "[] 1", runs[1].stdout  # the second run reads its packs from the cache
    chosen = subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True,
                            env={**env, "OMP_NUM_THREADS": "4"})
    assert chosen.stdout.split()[-1] == "None"  # the user's own thread setting is left alone


def _shipped_texts() -> list[str]:
    """The texts in budsjettkontroll/_dataclass_code.py, in order: each runs from «def __create_fn__(» to the line
    before the «CODES.append» that follows it."""
    from budsjettkontroll import _dataclass_code

    texts, current = [], None
    for line in Path(_dataclass_code.__file__).read_text(encoding="utf-8").split("\n"):
        if line.startswith("def __create_fn__("):
            current = [line]
        elif line == "CODES.append(__create_fn__.__code__)":
            texts.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return texts


def _same_code(a, b) -> bool:
    import types

    return a == b and (a.co_filename, a.co_qualname, a.co_firstlineno) == (b.co_filename, b.co_qualname,
                                                                          b.co_firstlineno) \
        and all(_same_code(x, y) for x, y in zip(a.co_consts, b.co_consts) if isinstance(x, types.CodeType))


def test_shipped_dataclass_code_is_what_compiling_each_text_gives():
    """Every entry of the shipped table: its key is its text's digest, and the function the command line makes from
    it has the code exec() of the text would make (same file name, qualified names and line numbers)."""
    import types

    from budsjettkontroll import _dataclass_code
    from budsjettkontroll.buildcache import DataclassCode, shipped_dataclass_code, text_digest

    texts = _shipped_texts()
    assert len(texts) == len(_dataclass_code.KEYS) == len(_dataclass_code.CODES) > 100
    assert [text_digest(t) for t in texts] == list(_dataclass_code.KEYS)
    assert shipped_dataclass_code()  # written for this Python
    table = DataclassCode()
    for text in texts:
        fresh: dict = {}
        exec(compile(text, "<string>", "exec", dont_inherit=True), {}, fresh)  # noqa: S102 - as dataclasses does
        made: dict = {}
        table._exec(text, {}, made)
        assert _same_code(made["__create_fn__"].__code__, fresh["__create_fn__"].__code__)
        assert made["__create_fn__"].__qualname__ == fresh["__create_fn__"].__qualname__
        assert isinstance(made["__create_fn__"], types.FunctionType)
    # nothing was compiled: every text came from the shipped table (a compiled text is a module's code)
    assert {code.co_name for code in table.table.values()} == {"__create_fn__"}


def test_a_first_run_takes_the_dataclass_methods_from_the_package(tmp_path):
    """Without any cache, a cold check compiles (almost) none of the methods @dataclass generates, and its report is
    the one a run that compiles them all gives."""
    probe = ("import os, sys, json\n"
             "class NoHypothesis:  # as a user's install: pandera loads hypothesis only when it is installed\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name.split('.')[0] == 'hypothesis':\n"
             "            raise ModuleNotFoundError(name, name=name)\n"
             "sys.meta_path.insert(0, NoHypothesis())\n"
             "from budsjettkontroll.buildcache import dataclass_code as d\n"
             "sys.argv = ['budsjettkontroll', 'check', '--format', 'json']\n"
             "import budsjettkontroll.cli as cli\n"
             "import contextlib, io\n"
             "out = io.StringIO()\n"
             "with contextlib.redirect_stdout(out):\n"
             "    try:\n"
             "        cli.main()\n"
             "    except SystemExit:\n"
             "        pass\n"
             "compiled = sum(code.co_name == '<module>' for code in d.table.values())\n"
             "print(json.dumps({'compiled': compiled, 'shipped': len(d.shipped or {}), 'report': out.getvalue()}))\n")
    env = {**os.environ, "BUDSJETTKONTROLL_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    first = json.loads(done.stdout.splitlines()[-1])
    plain = subprocess.run([sys.executable, "-c", "import dataclasses, builtins; dataclasses.exec = builtins.exec\n"
                            + probe], capture_output=True, text=True, env=env, check=True)
    reference = json.loads(plain.stdout.splitlines()[-1])
    assert first["shipped"] > 100 and first["compiled"] < first["shipped"] // 10
    assert reference["shipped"] == 0
    assert first["report"] == reference["report"] and json.loads(first["report"])["summary"]["total"] > 0
