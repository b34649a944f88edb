"""Reading a terms file: TOML text to validated ``Terms``; every problem with file, line and key.

``check_terms`` finds every problem of a file in one pass (``pipedeal terms check``):
TOML syntax, then the language's types and ranges (Pydantic), then what the models
alone cannot say: a key required because a feature is on (``TERMS-MISSING``, with the
kind of clause that needs it), exclusive pairs, a cap of a base the deal lacks, a
schedule whose last step has periods, and ``[[ambiguities]]`` that name an unknown
field or a value that field cannot take.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from pipedeal.base.diagnostics import Diagnostic, InputError, pydantic_field
from pipedeal.deal.terms import Terms

BUNDLED_DEALS = Path(__file__).parent.parent / "deals"
DEFAULT_DEAL = "focus-1999"

Loc = tuple[str | int, ...]

# What kind of clause each part of the language comes from, for TERMS-MISSING.
CLAUSE_KINDS: tuple[tuple[Loc, str], ...] = (
    (("pricing", "market_price"), "the Market Price clause (SPA 1.10 kind: which Trading Days, which figure)"),
    (("pricing",), "the pricing clause (SPA 1.15 kind: the Purchase Price and the warrant coverage)"),
    (("warrants", "anti_dilution_exempt"), "the anti-dilution clause (which issues never adjust)"),
    (("warrants", "adjust_shares_on_price_adjustment"), "the anti-dilution clause (whether shares adjust too)"),
    (("warrants", "cashless_price"), "the cashless exercise clause (W 3 kind: the price A)"),
    (("warrants",), "the Warrant (its price, window, exercise and adjustments)"),
    (("registration", "grace"), "the blackout clause (RRA 3(g) kind)"),
    (("registration", "effectiveness_period"), "the Effectiveness Period clause (RRA 3(b) kind)"),
    (("registration", "additional"), "the additional registration statement clause (RRA 3(a) kind)"),
    (("registration",), "the registration clause (RRA 3(a) kind: filing and effectiveness deadlines)"),
    (("liquidated_damages", "repurchase"), "the repurchase clause (RRA 3(e)(A) kind)"),
    (("liquidated_damages", "payment"), "the liquidated damages payment clause (RRA 3(e) kind)"),
    (("liquidated_damages",), "the liquidated damages clause (RRA 3(e)(B) kind)"),
    (("notices",), "the notices clause (SPA 12.1 kind)"),
    (("covenants", "discounted_financing"), "the financing limit (SPA 6.9 kind: window, exemptions, cap)"),
    (("covenants",), "the covenants (RULES §5: each dated duty's days, unit, before or after, clause)"),
    (("capitalization",), "the capitalization representation (SPA 4.3 kind)"),
    (("calendars",), "the calendars the deal counts in (Trading Days, Business Days)"),
    (("deal", "fiscal_year_end"), "the financial statements exception (RRA 3(e) kind: the fiscal year end)"),
    (("deal",), "the deal's identity"),
    (("investors",), "the signature pages (each investor and what it buys)"),
    (("closing", "finder"), "the brokerage clause (SPA 13.9 kind: the finder, its fee, whom it introduced)"),
    (("closing",), "the Closing's conditions and deliverables (SPA 2.1 kind)"),
)


def clause_kind(loc: Loc) -> str:
    names = tuple(part for part in loc if isinstance(part, str))
    for prefix, kind in CLAUSE_KINDS:
        if names[: len(prefix)] == prefix:
            return kind
    return "the deal's terms"


def parse_terms(text: str, filename: str) -> Terms:
    """Validate terms text; raise ``InputError`` naming file, line and key of every problem."""
    terms, problems = check_terms(text, filename)
    if problems:
        raise InputError(problems)
    assert terms is not None
    return terms


def check_terms(text: str, filename: str) -> tuple[Terms | None, list[Diagnostic]]:
    """Every problem of a terms file, in the order of its lines; the terms when there is none."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [Diagnostic("TERMS-SYNTAX", f"not valid TOML: {exc}", filename, _decode_error_line(str(exc)))]
    lines = KeyLines(text)  # built on first use: a file with no problem never needs it
    try:
        terms = Terms.model_validate(data)
    except ValidationError as exc:
        found = (_pydantic_problem(error, loc, filename, lines) for loc, error in _one_per_key(exc.errors()))
        return None, sorted(found, key=lambda p: p.line or 0)
    problems = [Diagnostic(code, message, filename, lines.line(loc), pydantic_field(loc))
                for code, loc, message in language_problems(terms, data)]
    if problems:
        return None, sorted(problems, key=lambda p: p.line or 0)
    terms._source = (filename, text)
    return terms, []


def _is_type_mismatch(error: Any) -> bool:
    return error["type"] == "literal_error" or error["type"].endswith("_type")


def _one_per_key(errors: list[Any]) -> list[tuple[Loc, Any]]:
    """One error per key. A union (``30`` or ``"none"``, a date or ``{ years_after_closing }``)
    fails once per member: keep the member the value's type chose (its error says what is
    wrong), drop the members of the wrong type; when every member is of the wrong type, name
    them all in one message."""
    by_loc: dict[Loc, list[Any]] = {}
    for error in errors:
        by_loc.setdefault(_clean_loc(tuple(error["loc"])), []).append(error)
    kept = []
    for loc, found in by_loc.items():
        deeper = any(other[:len(loc)] == loc and len(other) > len(loc) for other in by_loc)
        chosen = [error for error in found if not _is_type_mismatch(error)]
        if chosen:
            error = dict(chosen[0])
            others = [other["msg"] for other in found if other["type"] == "literal_error"]
            if others:
                error["msg"] = f"{error['msg']} (or: {'; '.join(others)})"
            kept.append((loc, error))
        elif not deeper:
            merged = dict(found[0])
            merged["msg"] = "; or ".join(dict.fromkeys(error["msg"] for error in found))
            kept.append((loc, merged))
    return kept


def _pydantic_problem(error: Any, loc: Loc, filename: str, lines: KeyLines) -> Diagnostic:
    kind = error["type"]
    if kind == "missing":
        return Diagnostic("TERMS-MISSING", f"required: {clause_kind(loc)} needs this key", filename, lines.line(loc),
                          pydantic_field(loc))
    if kind == "extra_forbidden":
        return Diagnostic("TERMS-UNKNOWN-KEY", "unknown key (pipedeal schema terms lists the language)", filename,
                          lines.line(loc), pydantic_field(loc))
    return Diagnostic("TERMS-INVALID", error["msg"], filename, lines.line(loc), pydantic_field(loc))


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    """A Pydantic location without the union-member tags it adds (``'function-after[...]'``,
    ``'literal['none']'``, model names), and with ``from_`` spelled as in the file."""
    cleaned: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part[:1].isupper() or "[" in part or part.startswith("function")
                                      or part.startswith("constrained-")):
            continue
        cleaned.append("from" if part == "from_" else part)
    return tuple(cleaned)


# --- what the models alone cannot say ---------------------------------------------------------------

Problem = tuple[str, Loc, str]


def language_problems(terms: Terms, data: dict[str, Any]) -> list[Problem]:
    """PIPE-TERMS "Precise readings": keys required by the features that are on, exclusive
    pairs, the schedule's shape, the cap's base, the calendars, the investors, the ambiguities."""
    problems: list[Problem] = []
    problems += _required(terms)
    problems += _exclusive(terms)
    problems += _shapes(terms)
    problems += _ambiguity_problems(terms, data)
    problems += _closing_problems(terms)
    return problems


def _missing(loc: Loc) -> Problem:
    return ("TERMS-MISSING", loc, f"required: {clause_kind(loc)} needs this key")


def _required(terms: Terms) -> Iterator[Problem]:
    p, w, r, ld = terms.pricing, terms.warrants, terms.registration, terms.liquidated_damages
    if p.discount is not None and p.price_rounding is None:
        yield _missing(("pricing", "price_rounding"))
    uses_market_price = (p.discount is not None or w.exercise_price_multiple is not None
                         or (ld.base == "market_value_held" and ld.market_value == "closing_date"))
    if uses_market_price and p.market_price is None:
        yield _missing(("pricing", "market_price"))
    # The Exercise Price is computed, and so rounded, from a Market Price or by a weighted average
    # ("Kept to 10 decimals, half-up, then the deal's rounding").
    computes_a_price = w.exercise_price_multiple is not None or w.anti_dilution.startswith("weighted_average")
    if computes_a_price and w.exercise_price_rounding is None:
        yield _missing(("warrants", "exercise_price_rounding"))
    if w.cashless != "never" and w.cashless_price is None:
        yield _missing(("warrants", "cashless_price"))
    if w.anti_dilution != "structural":
        if w.anti_dilution_exempt is None:
            yield _missing(("warrants", "anti_dilution_exempt"))
        if w.adjust_shares_on_price_adjustment is None:
            yield _missing(("warrants", "adjust_shares_on_price_adjustment"))
    effectiveness = [(("registration", "effectiveness"), r.effectiveness)]
    if r.additional != "none":
        effectiveness.append((("registration", "additional", "effectiveness"), r.additional.effectiveness))
    for loc, block in effectiveness:
        if block.clearance_days != "none" and block.clearance_unit is None:
            yield _missing((*loc, "clearance_unit"))
    if r.grace.notice_days != "none" and r.grace.notice_unit is None:
        yield _missing(("registration", "grace", "notice_unit"))
    if r.financial_statements_window != "none" and terms.deal.fiscal_year_end is None:
        yield _missing(("deal", "fiscal_year_end"))
    if ld.base == "fixed" and ld.fixed_amount is None:
        yield _missing(("liquidated_damages", "fixed_amount"))
    if ld.base == "market_value_held" and ld.market_value is None:
        yield _missing(("liquidated_damages", "market_value"))
    for index, investor in enumerate(terms.investors):
        if investor.subscription is None and investor.shares is None:
            yield ("TERMS-MISSING", ("investors", index, "subscription"),
                   "required: the signature pages state what each investor buys: a subscription, shares, or both")


def _exclusive(terms: Terms) -> Iterator[Problem]:
    for block, first, second in (("pricing", "purchase_price", "discount"),
                                 ("warrants", "exercise_price", "exercise_price_multiple")):
        values = getattr(terms, block)
        given = [name for name in (first, second) if getattr(values, name) is not None]
        if len(given) == 2:
            yield ("TERMS-EXCLUSIVE", (block, second), f"give {first} or {second}, not both")
        elif not given:
            yield ("TERMS-MISSING", (block, first),
                   f"required: {clause_kind((block,))} needs {first} or {second}")


def _shapes(terms: Terms) -> Iterator[Problem]:
    ld, r = terms.liquidated_damages, terms.registration
    schedule = ld.schedule
    if schedule[-1].periods is not None:
        yield ("TERMS-INVALID", ("liquidated_damages", "schedule", len(schedule) - 1, "periods"),
               "the last step of the schedule runs on: it has no periods")
    for index, step in enumerate(schedule[:-1]):
        if step.periods is None:
            yield ("TERMS-INVALID", ("liquidated_damages", "schedule", index, "periods"),
                   "every step of the schedule but the last says for how many periods it lasts")
    if ld.cap != "none" and ld.cap.of not in ("amount_invested", ld.base):
        yield ("TERMS-INVALID", ("liquidated_damages", "cap", "of"),
               f"the cap is of {ld.cap.of}, a base this deal's damages lack (its base is {ld.base}; "
               "a cap may be of amount_invested or of the base)")
    for loc, block in ((("registration", "filing"), r.filing), (("registration", "effectiveness"), r.effectiveness)):
        if block.from_ == "notice":
            yield ("TERMS-INVALID", (*loc, "from"), "the registration statement's periods run from the closing "
                   "or the agreement; 'notice' is for an additional statement")
    if r.additional != "none":
        for name in ("filing", "effectiveness"):
            if getattr(r.additional, name).from_ != "notice":
                yield ("TERMS-INVALID", ("registration", "additional", name, "from"),
                       "an additional statement's periods run from the investor's notice: write from = \"notice\"")
    market = terms.deal.principal_market
    if market is not None and market != terms.calendars.trading:
        yield ("TERMS-INVALID", ("deal", "principal_market"),
               f"the Principal Market {market} is not calendars.trading {terms.calendars.trading}")
    w = terms.warrants
    if not isinstance(w.initial_exercise, BaseModel) and not isinstance(w.termination, BaseModel) and (
            w.termination < w.initial_exercise):
        yield ("TERMS-INVALID", ("warrants", "termination"), "the Termination Date is before the first exercise day")


def _closing_problems(terms: Terms) -> Iterator[Problem]:
    """The Closing block's references: unique ids, deliverables that exist, parties that exist, a delivery
    condition with its deliverables (and no other kind with any), funds from each investor to the Company,
    introduced investors of the deal."""
    closing = terms.closing
    if closing is None:
        return
    for table, entries in (("conditions", closing.conditions), ("deliverables", closing.deliverables)):
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.id in seen:
                yield ("TERMS-INVALID", ("closing", table, index, "id"), f"the id {entry.id!r} is used twice")
            seen.add(entry.id)
    known = {item.id for item in closing.deliverables}
    for index, condition in enumerate(closing.conditions):
        loc: Loc = ("closing", "conditions", index)
        if condition.satisfied_by == "delivery" and not condition.deliverables:
            yield ("TERMS-MISSING", (*loc, "deliverables"),
                   "required: a delivery condition lists the deliverables that satisfy it")
        if condition.satisfied_by != "delivery" and condition.deliverables:
            yield ("TERMS-INVALID", (*loc, "deliverables"),
                   f"a {condition.satisfied_by} condition is satisfied by a condition_satisfied event, not by "
                   "deliverables (write satisfied_by = \"delivery\")")
        for position, wanted in enumerate(condition.deliverables):
            if wanted not in known:
                yield ("TERMS-INVALID", (*loc, "deliverables", position),
                       f"no deliverable {wanted!r} in [[closing.deliverables]] (ids: {', '.join(sorted(known))})")
    sides = {"company", "each_investor"}
    for index, item in enumerate(closing.deliverables):
        loc = ("closing", "deliverables", index)
        for name, value, allowed in (("from", item.from_, sides), ("to", item.to, sides | {"investors"})):
            if value not in allowed and terms.party(value) is None:
                yield ("TERMS-INVALID", (*loc, name), f"{value!r} is not {', '.join(sorted(allowed))} nor a party "
                       "id of the terms")
        if item.kind == "funds" and (item.from_, item.to) != ("each_investor", "company"):
            yield ("TERMS-INVALID", (*loc, "kind"), "funds are delivered from each_investor to company "
                   "(each investor's subscription, SPA 2.1(a)(i) kind)")
    if sum(item.kind == "funds" for item in closing.deliverables) > 1:
        yield ("TERMS-INVALID", ("closing", "deliverables"), "one funds deliverable at most: the subscriptions")
    if closing.finder != "none":
        for position, investor in enumerate(closing.finder.introduced):
            if terms.investor(investor) is None:
                yield ("TERMS-INVALID", ("closing", "finder", "introduced", position),
                       f"no investor {investor!r} (investors: {', '.join(i.id for i in terms.investors)})")


# --- ambiguities ---------------------------------------------------------------------------------------

def _ambiguity_problems(terms: Terms, data: dict[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, entry in enumerate(terms.ambiguities):
        loc: Loc = ("ambiguities", index)
        if entry.key in seen:
            yield ("TERMS-AMBIGUITY", (*loc, "key"), f"the key {entry.key!r} is declared twice")
        seen.add(entry.key)
        adapter = field_adapter(entry.field)
        if adapter is None:
            yield ("TERMS-AMBIGUITY", (*loc, "field"), f"{entry.field!r} is not a field of the terms language")
            continue
        stated = _stated(data, entry.field)
        if stated is _ABSENT:
            yield ("TERMS-AMBIGUITY", (*loc, "field"), f"{entry.field} is not stated in this file: an ambiguity "
                   "decides a term the file writes down")
            continue
        if not _same(entry.value, stated):
            yield ("TERMS-AMBIGUITY", (*loc, "value"),
                   f"the value in force {entry.value!r} is not the value the file states at {entry.field} "
                   f"({stated!r})")
        for position, alternative in enumerate(entry.alternatives):
            try:
                adapter.validate_python(alternative)
            except ValidationError:
                yield ("TERMS-AMBIGUITY", (*loc, "alternatives", position),
                       f"{alternative!r} is not a value {entry.field} can take")
            if _same(alternative, stated):
                yield ("TERMS-AMBIGUITY", (*loc, "alternatives", position),
                       f"{alternative!r} is the value in force, not an alternative")


_ABSENT = object()


def _stated(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _same(left: Any, right: Any) -> bool:
    """Equal as a terms file means them (``"0.10"`` and ``0.10`` name the same rate)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    try:
        from decimal import Decimal

        return Decimal(str(left)) == Decimal(str(right))
    except ArithmeticError:
        return left == right


@functools.cache
def field_adapter(path: str) -> TypeAdapter | None:
    """A validator for the values of the field at a dotted path of the language (cached)."""
    model: Any = Terms
    annotation: Any = None
    for part in path.split("."):
        name = "from_" if part == "from" else part
        fields = _model_fields(model)
        if fields is None or name not in fields:
            return None
        annotation = fields[name].annotation
        model = annotation
    return TypeAdapter(annotation)


def _model_fields(annotation: Any) -> dict[str, Any] | None:
    """The fields of a model, or of the one model in a union (``Cap | "none"``)."""
    import types
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [arg for arg in typing.get_args(annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if len(models) == 1:
            return models[0].model_fields
    return None


# --- lines -------------------------------------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[(\[)?\s*(.+?)\s*\]?\]\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:"[^"]*"|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|[A-Za-z0-9_\-]+))*)\s*=')
_PART = re.compile(r'"([^"]*)"|([A-Za-z0-9_\-]+)')


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(quoted if quoted or not bare else bare for quoted, bare in _PART.findall(dotted))


class KeyLines:
    """The line of each key path of a TOML text (tomllib keeps no positions)."""

    def __init__(self, text: str):
        self.text = text
        self._entries: list[tuple[Loc, int]] | None = None

    @property
    def entries(self) -> list[tuple[Loc, int]]:
        if self._entries is None:
            self._entries = self._read(self.text)
        return self._entries

    @staticmethod
    def _read(text: str) -> list[tuple[Loc, int]]:
        entries: list[tuple[Loc, int]] = []
        header: Loc = ()
        counts: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            table = _TABLE.match(line)
            if table and not _KEY.match(line):
                names = _parts(table.group(2))
                if table.group(1):
                    counts[names] = counts.get(names, -1) + 1
                    header = (*names, counts[names])
                else:
                    header = names
                entries.append((header, number))
                continue
            key = _KEY.match(line)
            if key:
                entries.append(((*header, *_parts(key.group(1))), number))
        return entries

    def line(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest stated ancestor (a missing key: its table)."""
        best, best_length = None, 0
        for candidate, number in self.entries:
            length = _common_prefix(candidate, loc)
            if length == len(candidate) and length > best_length:
                best, best_length = number, length
        return best


def locate_key(text: str, loc: tuple[object, ...]) -> int | None:
    return KeyLines(text).line(tuple(loc))  # type: ignore[arg-type]


def _decode_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


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
