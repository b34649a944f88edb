"""The contract's own ambiguities, made explicit.

RULES.md: "Where the text is ambiguous or self-contradictory, the engine exposes
an interpretation key with a default and the alternatives; every output that
depends on one says so and can show the figure under each alternative."
Each key here is one such reading, with the clause that forces the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipedeal.deal.clauses import quoted


@dataclass(frozen=True)
class InterpretationKey:
    key: str
    clause: str
    question: str
    default: object
    alternatives: tuple[object, ...]
    text: str  # the words that force the choice, quoted from the clause registry

    @property
    def values(self) -> tuple[object, ...]:
        return (self.default, *self.alternatives)

    def parse(self, raw: str) -> object:
        """Read a value given on the command line (``--set KEY=VALUE``)."""
        for value in self.values:
            if isinstance(value, bool):
                if raw.strip().lower() == str(value).lower():
                    return value
            elif str(value) == raw.strip():
                return value
        choices = ", ".join(_show(v) for v in self.values)
        raise ValueError(f"{self.key} cannot be {raw!r}: choose one of {choices}")


def _show(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


CATALOGUE: tuple[InterpretationKey, ...] = (
    InterpretationKey(
        key="effectiveness_days",
        clause="RRA 3(a), 3(e)",
        question="How many days after the Closing must the Registration Statement be effective?",
        default=120,
        alternatives=(150,),
        text=f'RRA 3(a) says {quoted("RRA 3(a) effectiveness days")}; '
        f'RRA 3(e) says {quoted("RRA 3(e)(ii) effectiveness days")}.',
    ),
    InterpretationKey(
        key="additional_effectiveness_days",
        clause="RRA 3(a), 3(e)(iv)",
        question="How many days after the investor's notice must an additional statement be effective?",
        default=120,
        alternatives=(90,),
        text=f'RRA 3(a) says {quoted("RRA 3(a) additional effectiveness days")}; '
        f'RRA 3(e)(iv) says {quoted("RRA 3(e)(iv) additional effectiveness days")}.',
    ),
    InterpretationKey(
        key="roll_deadlines",
        clause="RULES §1; Securities Act Rule 0-3; W 10",
        question="Does a deadline that lands on a closed day move to the next open day?",
        default=True,
        alternatives=(False,),
        text="The agreement counts calendar days; Rule 0-3 lets an SEC filing due on a "
        "closed day be made on the next business day.",
    ),
    InterpretationKey(
        key="exercise_price_rounding",
        clause="W preamble; SPA 1.10",
        question="Is 110% of the Market Price rounded?",
        default="none",
        alternatives=("cent", "tenth_cent"),
        text=f'The Exercise Price is {quoted("W preamble 110%")}; the text names no rounding.',
    ),
    InterpretationKey(
        key="ld_market_value",
        clause="RRA 3(e)(B)",
        question="Which price values the shares still held for liquidated damages?",
        default="daily_close",
        alternatives=("closing_date",),
        text=f'{quoted("RRA 3(e)(B) aggregate market value")} against {quoted("RRA 3(e) closing price")}.',
    ),
    InterpretationKey(
        key="ld_schedule_clock",
        clause="RRA 3(e)(B)",
        question="Does the 1%-then-2% clock restart with each separate default period?",
        default="per_default_period",
        alternatives=("cumulative",),
        text=f'{quoted("RRA 3(e)(B) rate schedule")}.',
    ),
    InterpretationKey(
        key="ld_day_count",
        clause="RRA 3(e)(B)",
        question="How is a monthly rate pro rated to a day?",
        default="actual_month",
        alternatives=("thirty", "actual_365"),
        text=f'{quoted("RRA 3(e)(B) pro rated")}.',
    ),
    InterpretationKey(
        key="cashless_test",
        clause="W 3",
        question="When must there be no registration in effect for a cashless exercise?",
        default="at_election",
        alternatives=("ever_after_one_year",),
        text=f'{quoted("W 3 cashless condition")}.',
    ),
    InterpretationKey(
        key="fraction_cash",
        clause="W 4",
        question="How much cash is paid for a fractional Warrant Share?",
        default="fraction_times_exercise_price",
        alternatives=("literal_exercise_price",),
        text=f'{quoted("W 4 cash adjustment")}.',
    ),
    InterpretationKey(
        key="underwriter_request",
        clause="RRA 3(e)(ii), (iv)",
        question="Does an SEC request to name the Investors as underwriters excuse the whole failure "
                 "to become effective, or only its own days?",
        default="excuses_failure",
        alternatives=("excludes_days",),
        text=f'{quoted("RRA 3(e)(ii) underwriters request")}.',
    ),
    InterpretationKey(
        key="effectiveness_period_end",
        clause="RRA 3(b)",
        question="When does the Effectiveness Period end without a recorded end?",
        default="as_written",
        alternatives=("all_securities_rule144", "per_lot_rule144"),
        text=f'{quoted("RRA 3(b)(v) opinion")}.',
    ),
    InterpretationKey(
        key="notice_before_hours",
        clause="SPA 12.1; RRA 8",
        question="When does a notice handed over or faxed before business hours on a business day take effect?",
        default="next_business_day",
        alternatives=("same_day_opening",),
        text=f'{quoted("SPA 12.1 business hours")}.',
    ),
    InterpretationKey(
        key="rule144k_years",
        clause="RRA 3(b)(v); Rule 144(k)",
        question="After how many years may the shares be sold under Rule 144(k)?",
        default=2,
        alternatives=(1,),
        text="Rule 144(k) as in force in 1999: two years from acquisition (one year since 2008).",
    ),
)

BY_KEY: dict[str, InterpretationKey] = {entry.key: entry for entry in CATALOGUE}


def parse_overrides(assignments: list[str]) -> dict[str, object]:
    """Read ``KEY=VALUE`` pairs for ``--set``; an unknown key or value is an error."""
    overrides: dict[str, object] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"--set {assignment!r}: write KEY=VALUE")
        if key not in BY_KEY:
            known = ", ".join(BY_KEY)
            raise ValueError(f"--set {assignment!r}: unknown interpretation key (known: {known})")
        overrides[key] = BY_KEY[key].parse(raw)
    return overrides


# The keys a liquidated-damages figure depends on (RRA 3(a), 3(b), 3(e)).
LD_KEYS = ("effectiveness_days", "additional_effectiveness_days", "roll_deadlines", "ld_market_value",
           "ld_schedule_clock", "ld_day_count", "underwriter_request", "effectiveness_period_end",
           "notice_before_hours", "rule144k_years")


def unset_keys(explicit: set[str], overrides: dict[str, object], keys: tuple[str, ...]) -> list[str]:
    """``--strict``: the keys among ``keys`` that neither the terms file nor ``--set`` chose."""
    return [key for key in keys if key not in explicit and key not in overrides]
