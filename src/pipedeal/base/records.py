"""Frozen records made quickly.

A frozen dataclass's generated ``__init__`` sets each field through
``object.__setattr__`` (the class's own ``__setattr__`` refuses), which costs
about three times what filling the instance dict at once does. The engine
makes a record for every segment, installment, late part and obligation of
every investor, so for a deal with a payment schedule this is a visible share
of an evaluation. ``quick_init`` gives a frozen dataclass an ``__init__`` that
fills the dict at once: the same signature, the same object (still frozen,
same ``__eq__``, ``__hash__``, ``__repr__``, ``dataclasses.replace``).
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Apply above ``@dataclass(frozen=True)``. A class it cannot serve as is (slots, keyword-only
    fields, a default factory, ``__post_init__``) keeps the generated ``__init__``."""
    if not dataclasses.is_dataclass(cls) or "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__"):
        return cls
    fields = dataclasses.fields(cls)
    defaults: dict[str, object] = {}
    params = []
    for field in fields:
        if field.kw_only or field.default_factory is not dataclasses.MISSING or not field.init:
            return cls
        if field.default is dataclasses.MISSING:
            params.append(field.name)
        else:
            defaults[f"_default_{field.name}"] = field.default
            params.append(f"{field.name}=_default_{field.name}")
    body = ", ".join(f"{field.name}={field.name}" for field in fields)
    source = f"def __init__(self, {', '.join(params)}):\n    self.__dict__.update({body})\n"
    namespace: dict[str, object] = {}
    exec(source, defaults, namespace)  # code made from the field names, as dataclasses makes its own
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]
    return cls
