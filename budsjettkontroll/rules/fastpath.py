"""A rule's condition evaluated over its parsed rule-engine tree with plain Python operators, for the common case.

rule-engine parses and type-checks every condition (the YAML says what must hold); evaluating the tree costs about
18 µs a call in rule-engine (symbol resolution through its context, a type check per value, a decimal context per
call), against one or two µs for the same operations done directly: the sum-line rules alone make some 400 such
calls per package. So the tree rule-engine built is turned once into nested Python functions that do exactly what
its nodes do for exact decimals, text and booleans: the same decimal context (the rule's), the same operators, the
same comparison rules (== between different types is false, an ordered comparison of different types an error).

Only node kinds listed here are turned into functions (names, number/text/boolean literals, + - * /, unary minus,
not, and, or, comparisons, $abs). A rule with any other node keeps rule-engine for every call. At run time a
value of another type than the tree expects (a list, None, a float) or any exception is not handled here at all:
the caller evaluates that call with rule-engine, so its outcome and its error are rule-engine's own.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable

from rule_engine import DataType
from rule_engine.ast import (AddExpression, ArithmeticComparisonExpression, ArithmeticExpression, BooleanExpression,
                             ComparisonExpression, FloatExpression, FunctionCallExpression, LogicExpression,
                             StringExpression, SubtractExpression, SymbolExpression, UnaryExpression)

Fn = Callable[[dict[str, Any]], Any]


class Unsupported(Exception):
    """A node this module does not evaluate: the rule keeps rule-engine."""


class Fallback(Exception):
    """A value this module does not evaluate: this call goes to rule-engine."""


_ORDERED = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_EXPECTED = {DataType.FLOAT: Decimal, DataType.STRING: str, DataType.BOOLEAN: bool}


def compile_condition(rule: Any, sides: tuple[Any, Any] | None) -> Callable[[dict[str, Any]], tuple[bool, Any]] | None:
    """A function of the rule's input values giving (outcome, the two sides of the top-level comparison or None), as
    engine._matches gets them from rule-engine; None when the tree has a node this module does not evaluate, or
    when a side would be evaluated a second time (a side that is not remembered)."""
    from .loader import RememberedSide

    expression = rule.statement.expression
    context = rule.context.decimal_context.copy()  # what rule-engine's decimal.localcontext(...) gives each call
    try:
        if sides is None:
            whole = _compile(expression, context)
            return lambda values: (bool(whole(values)), None)
        if not all(isinstance(side, RememberedSide) for side in sides):  # engine._matches evaluates it again
            return None
        if type(expression) not in (ComparisonExpression, ArithmeticComparisonExpression):
            return None
        left, right = _compile(sides[0].node, context), _compile(sides[1].node, context)
        compare = _comparison(expression.type)
    except Unsupported:
        return None

    def judged(values: dict[str, Any]) -> tuple[bool, Any]:
        a, b = left(values), right(values)
        return bool(compare(a, b)), (a, b)

    return judged


def _comparison(kind: str) -> Callable[[Any, Any], Any]:
    if kind == "eq":
        return lambda a, b: type(a) is type(b) and a == b
    if kind == "ne":
        return lambda a, b: type(a) is not type(b) or a != b
    op = _ORDERED.get(kind)
    if op is None:
        raise Unsupported(kind)

    def ordered(a: Any, b: Any) -> Any:
        if type(a) is not type(b) or a is None or isinstance(a, tuple):
            raise Fallback  # rule-engine: null against null, arrays element by element, else a type error
        return op(a, b)

    return ordered


def _compile(node: Any, context: Any) -> Fn:
    kind = type(node)
    if kind is SymbolExpression:
        return _symbol(node)
    if kind in (FloatExpression, StringExpression, BooleanExpression):
        value = node.value
        if type(value) is not _EXPECTED[node.result_type]:
            raise Unsupported("literal")
        return lambda values: value
    if kind is AddExpression or kind is SubtractExpression or kind is ArithmeticExpression:
        op = {"add": context.add, "sub": context.subtract, "mul": context.multiply, "tdiv": context.divide}.get(node.type)
        if op is None:
            raise Unsupported(node.type)
        left, right = _compile(node.left, context), _compile(node.right, context)

        def arithmetic(values: dict[str, Any]) -> Decimal:
            a, b = left(values), right(values)
            if type(a) is not Decimal or type(b) is not Decimal:
                raise Fallback
            return op(a, b)

        return arithmetic
    if kind is ComparisonExpression or kind is ArithmeticComparisonExpression:
        compare = _comparison(node.type)
        left, right = _compile(node.left, context), _compile(node.right, context)
        return lambda values: compare(left(values), right(values))
    if kind is LogicExpression:
        left, right = _compile(node.left, context), _compile(node.right, context)
        if node.type == "and":
            return lambda values: bool(left(values) and right(values))
        if node.type == "or":
            return lambda values: bool(left(values) or right(values))
        raise Unsupported(node.type)
    if kind is UnaryExpression:
        inner = _compile(node.right, context)
        if node.type == "not":
            return lambda values: not inner(values)
        if node.type == "uminus":
            def minus(values: dict[str, Any]) -> Decimal:
                value = inner(values)
                if type(value) is not Decimal:
                    raise Fallback
                return context.minus(value)

            return minus
        raise Unsupported(node.type)
    if kind is FunctionCallExpression:
        function = node.function
        if type(function) is not SymbolExpression or function.scope != "built-in" or function.name != "abs" \
                or len(node.arguments) != 1 or function.evaluate(None) is not abs:
            raise Unsupported("function")
        argument = _compile(node.arguments[0], context)

        def absolute(values: dict[str, Any]) -> Decimal:
            value = argument(values)
            if type(value) is not Decimal:
                raise Fallback
            return context.abs(value)

        return absolute
    raise Unsupported(kind.__name__)


def _symbol(node: SymbolExpression) -> Fn:
    """A name's value as rule-engine sees it (engine._as_engine_value, then rule-engine's coercion and type check)."""
    if node.scope is not None:
        raise Unsupported("scope")
    expected = _EXPECTED.get(node.result_type)
    if expected is None:
        raise Unsupported("type")
    name = node.name
    if expected is Decimal:
        def number(values: dict[str, Any]) -> Decimal:
            value = values[name]
            kind = value.__class__
            if kind is Decimal:
                return value
            if kind is int:
                return Decimal(value)  # Decimal(str(value)) digit for digit
            raise Fallback

        return number

    def other(values: dict[str, Any]) -> Any:
        value = values[name]
        if value.__class__ is not expected:
            raise Fallback
        return value

    return other
