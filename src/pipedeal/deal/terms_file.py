"""Reading a terms file: TOML text to validated ``Terms``, errors with file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from pipedeal.base.diagnostics import Diagnostic, InputError, pydantic_field
from pipedeal.deal.terms import Terms

BUNDLED_DEALS = Path(__file__).parent.parent / "deals"
DEFAULT_DEAL = "focus-1999"

_TABLE = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.\-\" ]+?)\s*\]?\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"]+)\s*=")


def parse_terms(text: str, filename: str) -> Terms:
    """Validate terms text; raise ``InputError`` naming file, line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(str(exc))
        raise InputError(
            [Diagnostic("TERMS-SYNTAX", f"not valid TOML: {exc}", filename, line)]
        ) from None
    try:
        terms = Terms.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            field = pydantic_field(loc)
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "required key is missing"
            problems.append(
                Diagnostic("TERMS-INVALID", message, filename, locate_key(text, loc), field)
            )
        raise InputError(problems) from None
    terms._source = (filename, text)
    return terms


def _decode_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def locate_key(text: str, loc: tuple[object, ...]) -> int | None:
    """The line of a TOML key path such as ``("investors", 1, "subscription")``.

    tomllib keeps no positions, so walk the table headers: the longest path
    prefix that names a line wins (a missing key points at its table).
    """
    best_line: int | None = None
    best_length = 0
    header: tuple[object, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        table = _TABLE.match(line)
        if table:
            names = tuple(part.strip().strip('"') for part in table.group(2).split("."))
            if table.group(1):
                index = array_counts.get(names, -1) + 1
                array_counts[names] = index
                header = (*names, index)
            else:
                header = names
            candidate = header
        else:
            key = _KEY.match(line)
            if not key:
                continue
            candidate = (*header, *(p.strip('"') for p in key.group(1).split(".")))
        length = _common_prefix(candidate, loc)
        if length == len(candidate) and length > best_length:
            best_line, best_length = number, length
    return best_line


def _common_prefix(a: tuple[object, ...], b: tuple[object, ...]) -> int:
    length = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        length += 1
    return length


def bundled_deal_dir(name: str) -> Path | None:
    path = BUNDLED_DEALS / name
    return path if (path / "terms.toml").is_file() else None


def bundled_deal_names() -> list[str]:
    return sorted(p.name for p in BUNDLED_DEALS.iterdir() if (p / "terms.toml").is_file())


def read_terms(path: Path) -> Terms:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Diagnostic("TERMS-UNREADABLE", exc.strerror or str(exc), str(path))]) from None
    return parse_terms(text, str(path))
