"""`pipedeal clauses` must tell the truth: every rule and test it names exists."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re

import pytest
from scenario import REPO

from pipedeal.deal.clauses import CLAUSES


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise AssertionError(f"cannot import {dotted}")


@functools.cache  # one parse per test file, not one per clause naming it
def _test_names(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("clause", [c for c in CLAUSES if c.rule], ids=lambda c: c.id)
def test_each_implemented_clause_names_a_rule_whose_docstring_cites_it(clause):
    rule = _resolve(clause.rule)
    doc = inspect.getdoc(rule.fget if isinstance(rule, property) else rule) or ""
    # The first reference of the id ("RRA 3(a)" of "RRA 3(a) (filing)") is in the docstring.
    first = re.split(r"[,;]", clause.id)[0]
    first = re.sub(r"\s*\([a-z ]+\)$", "", first).strip()
    assert first in doc, (clause.rule, first, doc[:120])


@pytest.mark.parametrize("clause", [c for c in CLAUSES if c.rule], ids=lambda c: c.id)
def test_each_implemented_clause_has_tests_that_exist(clause):
    assert clause.tests, f"{clause.id} names a rule but no test"
    for node in clause.tests:
        path, _, name = node.partition("::")
        assert name in _test_names(path), f"{clause.id}: {node} does not exist"


def test_clause_ids_are_unique():
    ids = [clause.id for clause in CLAUSES]
    assert len(ids) == len(set(ids))
