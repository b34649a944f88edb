"""The PIPE terms language described from its models: the JSON Schema (``pipedeal schema
terms``) and the reference of every key (``pipedeal terms keys``, docs/terms.md, the
README's terms section), each key with its values, meaning and the bundled deals' examples.

The models in ``deal/terms.py`` are the one description: each field's docstring is its
meaning, its type its values; nothing here restates them.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from typing import Any

from pipedeal.deal.terms import Terms

REQUIRED_NOTE = (
    "Every key is required unless its feature is off (PIPE-TERMS 'Which keys are required'): "
    "market_value only with base market_value_held; fixed_amount only with base fixed; cashless_price "
    "not with cashless never; clearance_unit and notice_unit only when their days are a number; "
    "pricing.market_price only when something uses the Market Price; purchase_price or discount, and "
    "exercise_price or exercise_price_multiple, exactly one of each. pipedeal terms check FILE lists "
    "every problem of a file with its line.")


def _models() -> dict[str, type]:
    """Every model of the terms language by name (the schema's ``$defs`` keys)."""
    from pipedeal.deal.terms import Strict

    found: dict[str, type] = {}
    pending = [Strict]
    while pending:
        model = pending.pop()
        found[model.__name__] = model
        pending.extend(model.__subclasses__())
    return found


def _describe(schema: dict[str, Any]) -> None:
    """Each property's description from its field's docstring (the models' one description of the
    language), read from the source only here, when a schema is asked for."""
    import inspect

    models = _models()
    docstrings = _field_docstrings()
    for name, node in [(Terms.__name__, schema), *schema.get("$defs", {}).items()]:
        model = models.get(name)
        if model is None or "properties" not in node:
            continue
        docs: dict[str, str] = {}
        for base in reversed([k for k in model.__mro__ if k.__name__ in models]):
            docs.update(docstrings.get((base.__module__, base.__qualname__), {}))
        for field_name, info in model.model_fields.items():
            key = info.alias or field_name
            if field_name in docs and key in node["properties"] and "description" not in node["properties"][key]:
                node["properties"][key]["description"] = inspect.cleandoc(docs[field_name])


@functools.cache
def _field_docstrings() -> dict[tuple[str, str], dict[str, str]]:
    """Each model's own field docstrings, by (module, class name), from one parse of each module that
    defines a model. ``inspect.getsource`` of a class parses its whole module again: once per model and
    base, that was a hundred parses of terms.py, ~0.5 s, for every schema."""
    import ast
    import inspect
    import sys

    from pydantic._internal._docs_extraction import DocstringVisitor

    found: dict[tuple[str, str], dict[str, str]] = {}
    for module in sorted({model.__module__ for model in _models().values()}):
        for node in ast.parse(inspect.getsource(sys.modules[module])).body:
            if isinstance(node, ast.ClassDef):
                visitor = DocstringVisitor()
                visitor.generic_visit(node)
                found[(module, node.name)] = visitor.attrs
    return found


def terms_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a terms file, read as the TOML it is written in."""
    schema = Terms.model_json_schema(by_alias=True, mode="validation")
    _describe(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pipedeal terms file (the PIPE terms language, written in TOML)"
    schema["description"] = REQUIRED_NOTE
    return schema


@dataclass(frozen=True)
class KeyDoc:
    """One key of the language: its dotted path, its values, its meaning, and its value in
    each bundled deal that states it."""

    key: str
    values: str
    meaning: str
    examples: tuple[tuple[str, str], ...]


def key_reference(deals: dict[str, str]) -> list[KeyDoc]:
    """Every key of the language in the order of the models; ``deals`` maps a deal name to its
    terms text, whose values become the examples."""
    schema = terms_json_schema()
    data = {name: tomllib.loads(text) for name, text in deals.items()}
    rows: list[KeyDoc] = [KeyDoc("<any table>.clause", "text", "The clause a block comes from (\"RRA 3(e)\"): "
                                 "outputs cite it.", ()),
                          KeyDoc("<any table>.quote", "text", "That clause's words, verbatim: outputs quote them; "
                                 "a block without them is cited as having no quoted words.", ())]
    _walk(schema, schema["$defs"], "", data, rows)
    return rows


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return defs[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node


def _members(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("anyOf", [node])


def _walk(node: dict[str, Any], defs: dict[str, Any], prefix: str, data: dict[str, Any],
          rows: list[KeyDoc]) -> None:
    properties = node.get("properties", {})
    carries_words = "clause" in properties and "quote" in properties
    for name, prop in properties.items():
        if name in ("clause", "quote") and carries_words:
            continue  # any block may carry them: documented once (WORDS_ROWS)
        path = f"{prefix}{name}"
        tables = [_resolve(member, defs) for member in _members(prop) if "$ref" in member]
        items = prop.get("items", {})
        if prop.get("type") == "array" and "$ref" in items:
            rows.append(KeyDoc(path, "a list of tables", prop.get("description", ""), ()))
            _walk(_resolve(items, defs), defs, f"{path}[].", data, rows)
            continue
        if prop.get("type") == "object" and "additionalProperties" in prop:
            rows.append(KeyDoc(path, "a table of keys", prop.get("description", ""), ()))
            continue
        examples = _examples(path, data) if not tables else tuple(
            (deal, value) for deal, value in _examples(path, data) if not value.startswith("{"))
        if not examples and prop.get("examples"):  # a key no bundled deal writes: the model's example
            examples = tuple(("example", _toml(value)) for value in prop["examples"])
        rows.append(KeyDoc(path, _values(prop, defs), prop.get("description", ""), examples))
        for table in tables:
            if table.get("properties") and len(table["properties"]) > 1:
                _walk(table, defs, f"{path}.", data, rows)


def _values(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    shown = []
    members = [member for member in _members(prop) if member.get("type") != "null"]
    if {member.get("type") for member in members} == {"number", "string"}:
        return _scalar({**members[0], "type": "decimal"})  # Pydantic's Decimal: a number or its text
    for member in members:
        if "$ref" in member:
            properties = _resolve(member, defs).get("properties", {})
            words = ("clause", "quote") if "clause" in properties and "quote" in properties else ()
            shown.append(f"{{ {', '.join(k for k in properties if k not in words)} }}")
        elif "enum" in member:
            shown.extend(f'"{value}"' for value in member["enum"])
        elif "const" in member:
            shown.append(f'"{member["const"]}"')
        elif member.get("format") == "date":
            shown.append("a date")
        elif member.get("type") == "array":
            inner = member.get("items") or member.get("prefixItems")
            first = inner[0] if isinstance(inner, list) else inner
            shown.append(f"[{_values(first, defs)}]" if first else "a list")
        else:
            shown.append(_scalar(member))
    return " or ".join(dict.fromkeys(shown))


def _scalar(member: dict[str, Any]) -> str:
    kind = {"integer": "an integer", "string": "text", "number": "a number", "boolean": "true or false",
            "decimal": 'a decimal, written in quotes ("0.10")'}.get(member.get("type", ""), "any value")
    bounds = [f"≥ {_number(member['minimum'])}" if "minimum" in member else "",
              f"> {_number(member['exclusiveMinimum'])}" if "exclusiveMinimum" in member else "",
              f"≤ {_number(member['maximum'])}" if "maximum" in member else ""]
    limits = ", ".join(bound for bound in bounds if bound)
    return f"{kind} ({limits})" if limits else kind


def _number(value: float | int) -> str:
    # A JSON Schema bound (a count or a rate), never money: whole ones get thousands separators.
    return f"{int(value):,}" if value == int(value) else str(value)


def _examples(path: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    found = []
    for deal, tree in data.items():
        node: Any = tree
        for part in path.split("."):
            if part.endswith("[]"):
                node = node.get(part[:-2]) if isinstance(node, dict) else None
                node = node[0] if node else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node not in (None, {}, []):
            found.append((deal, _toml(node)))
    return tuple(found)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date | int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()
                                if key not in ("clause", "quote")) + " }"
    return str(value)


def reference_document(deals: dict[str, str]) -> str:
    """docs/terms.md: the language's rules, then the table of its keys."""
    return ("# The PIPE terms language, key by key\n\n"
            "Generated by `pipedeal terms keys --markdown` from the terms models (a test keeps it true); "
            "`pipedeal schema terms` prints the JSON Schema and `pipedeal terms check FILE` checks a file. "
            "The product decision behind each key is ../shared/PIPE-TERMS.md.\n\n"
            f"{REQUIRED_NOTE}\n\n" + reference_markdown(deals))


def reference_markdown(deals: dict[str, str]) -> str:
    """One row per key, with an example from the first bundled deal that states it."""
    lines = ["| key | values | meaning | example |", "|---|---|---|---|"]
    for row in key_reference(deals):
        example = "; ".join(f"`{value}` ({deal})" for deal, value in row.examples[:1]) if row.examples else ""
        lines.append(f"| `{row.key}` | {_cell(row.values)} | {_cell(row.meaning)} | {_cell(example)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
