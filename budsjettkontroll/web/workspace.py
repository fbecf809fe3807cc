"""The base budgets the server offers, each loaded and checked once, and the one call that evaluates a draft.

A keystroke in the page costs one `amend.run_amend` against the already loaded base and its already run check:
no file is read again, and the engine is the one `budsjettkontroll amend` uses.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..amend import AmendResult, run_amend
from ..budget import Budget
from ..check import CheckResult, run_check
from ..errors import InputError, Problem
from .draft import Draft, DraftRow, base_rows, to_amendment


@dataclass
class Base:
    """One loaded base budget: the package, its check, and the grid lines a party can change."""

    name: str  # the package as the page names it (a folder name, or the bundled package's name)
    grunnlag: str  # what a downloaded proposal writes as `grunnlag`
    budget: Budget
    result: CheckResult
    rows: list[DraftRow]


@dataclass
class Evaluation:
    """What the page shows after a change: the amend result, or the problems that stop it."""

    result: AmendResult | None
    problems: list[Problem]
    numbers: dict[int, str]  # change number → grid row id
    seconds: float
    base: Base
    draft: Draft
    empty: bool = False  # no change typed yet: the base as it is

    @property
    def plan(self) -> list[int]:
        return self.base.budget.meta.plan_years


@dataclass
class Workspace:
    """PATH of `serve`: one package, or a folder of packages to choose from."""

    packages: dict[str, Path | None]  # name → package path (None: the bundled default)
    policy: str | None = None
    _bases: dict[str, Base] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: Path | None, policy: str | None = None) -> "Workspace":
        """Raises InputError when PATH is neither a package nor a folder holding some."""
        from ..batch import discover, is_batch_dir
        from ..package import resolve

        if path is not None and is_batch_dir(Path(path)):
            root = Path(path)
            found = discover(root)
            packages: dict[str, Path | None] = {}
            for p in found:
                packages[str(p.relative_to(root)) if p != root else p.name] = p
            workspace = cls(packages, policy)
        else:
            source = resolve(path)
            workspace = cls({source.name: source if path is not None else None}, policy)
        workspace.base(workspace.default)  # a broken base is exit 2 before the server starts
        return workspace

    @property
    def default(self) -> str:
        return next(iter(self.packages))

    def package_for(self, grunnlag: str | None) -> str | None:
        """The offered package a proposal's `grunnlag` names: by its name here, by path, or by a folder name only
        one offered package has."""
        if not grunnlag or not grunnlag.strip():
            return None
        text = grunnlag.strip().rstrip("/")
        if text in self.packages:
            return text
        wanted = Path(text)
        for name, path in self.packages.items():
            try:
                if path is not None and wanted.exists() and wanted.resolve() == path.resolve():
                    return name
            except OSError:
                continue
        leaf = [name for name, path in self.packages.items() if (path.name if path else name) == wanted.name]
        return leaf[0] if len(leaf) == 1 else None

    def base(self, name: str | None) -> Base:
        """The named package (loaded and checked at first use), or InputError for a name the server does not offer."""
        name = name or self.default
        if name not in self.packages:
            raise InputError(Problem(f"ukjent pakke «{name}»; velg en av: {', '.join(self.packages)}"))
        with self._lock:
            if name not in self._bases:
                from ..package import load_package

                path = self.packages[name]
                budget = load_package(path)
                grunnlag = budget.source.name if path is None and budget.source else str(path or name)
                self._bases[name] = Base(name, grunnlag, budget, run_check(budget, None, self.policy),
                                         base_rows(budget))
            return self._bases[name]

    def evaluate(self, base: Base, draft: Draft) -> Evaluation:
        """The draft validated as a proposal file and applied with amend's engine to the loaded base."""
        started = time.perf_counter()
        numbers: dict[int, str] = {}
        if not any(row.has_amounts for row in draft.rows):
            return Evaluation(None, [], {}, time.perf_counter() - started, base, draft, empty=True)
        try:
            amendment, numbers = to_amendment(draft)
            with self._lock:  # one evaluation at a time: the base's figures are shared
                result = run_amend(base.budget, amendment, self.policy, base_result=base.result)
        except InputError as exc:
            return Evaluation(None, exc.problems, numbers, time.perf_counter() - started, base, draft)
        return Evaluation(result, [], numbers, time.perf_counter() - started, base, draft)
