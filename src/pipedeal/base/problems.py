"""Errors as data: every problem carries where it came from.

Like beancount's errors, a problem is a value with its source location (file,
line, field) so the CLI can print it plainly and the web can point at it; a
user's mistake is never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    severity: Severity = "error"

    def where(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "field": self.field,
        }


class InputError(Exception):
    """One or more problems with a user's input; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def pydantic_field(loc: tuple[object, ...]) -> str:
    """A Pydantic error location as a dotted field name (``investors[1].subscription``)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text
