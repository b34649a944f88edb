"""The PIPE terms language (../shared/PIPE-TERMS.md): a deal's terms as data.

A terms file is TOML validated by these Pydantic models; ``pipedeal schema terms``
prints their JSON Schema and ``pipedeal terms check FILE`` lists every problem.
Three principles:

1. **Nothing silent.** A term that moves a figure has no default here: a file that
   leaves one out is refused (``TERMS-MISSING``, naming the key and the kind of
   clause that needs it). A feature the agreement lacks is written as such
   (``cap = "none"``). A key is required unless its feature is off
   (``missing_keys``).
2. **The deal's own words.** A block may carry ``clause`` and ``quote`` (verbatim
   text), and ``[quotes]`` holds the finer quotations outputs cite, by key; an
   output quotes the deal's own words, or says it has none, never FOCUS's.
3. **Ambiguities are data.** ``[[ambiguities]]`` names each reading the text leaves
   open: a key, the field it decides, the value in force and the alternatives;
   ``--set KEY=VALUE`` and ``pipedeal ambiguities`` work from these entries.

Beyond PIPE-TERMS.md the language has four optional keys, each a reading of the
FOCUS text (RULES.md) that PIPE-TERMS.md leaves to its general meaning:
``warrants.cashless_test`` (absent: the test is made at the election),
``registration.effectiveness_period.end`` (absent: each lot's end when it can be
sold under Rule 144, PIPE-TERMS' meaning), ``notices.before_hours`` (absent: a
notice before opening on a business day takes effect at that day's opening, "the
next recipient's business day at opening") and ``registration.additional =
"none"`` (an agreement with no additional statement).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

PartyId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]

# Every date of a deal (terms and events) lies in these years: the calendars cover
# no more, and a date of 1900 or 2999 is a typo.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2100, 12, 31)
MAX_DAYS = 3650  # ten years: longer than any period of a PIPE's agreements, short of a typo
MAX_PRICE = Decimal("9999999999.9999999999")  # ten digits before the point, ten after (as quotes)


def within_years(value: dt.date) -> dt.date:
    """A date (or the day of an instant) from 1970-01-01 to 2100-12-31."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", "{value} is outside {first} to {last}",
                                  {"value": value.isoformat(), "first": FIRST_DAY.isoformat(),
                                   "last": LAST_DAY.isoformat()})
    return value


def _ten_places(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -10:  # type: ignore[operator]
        raise PydanticCustomError("too_many_places", "{value} has more than 10 decimal places",
                                  {"value": str(value)})
    return value


Day = Annotated[dt.date, AfterValidator(within_years)]
# Counts of days. Where 0 would mean "no time at all" and the rule has no sense
# (a filing due at the Closing; "within 0 Trading Days", which RULES §1's
# arithmetic cannot count) the least is 1; where 0 is a real choice (no notice
# required, no blackout allowed, payment due on demand) it is allowed.
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
DaysOrZero = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Price = Annotated[Decimal, Field(gt=0, le=MAX_PRICE, allow_inf_nan=False), AfterValidator(_ten_places)]
Rate = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False), AfterValidator(_ten_places)]
Multiple = Annotated[Decimal, Field(gt=0, le=10, allow_inf_nan=False), AfterValidator(_ten_places)]
Count = Annotated[int, Field(ge=0, le=10**15)]
Shares = Annotated[int, Field(gt=0, le=10**15)]
NoLimit = Literal["none"]
Unit = Literal["calendar", "business", "trading"]
Rounding = Literal["none", "cent", "tenth_cent"]
Exemption = Literal["employee_plan", "compensatory", "existing_warrants", "investor_approval", "strategic"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(Strict):
    """A block of terms may carry the clause it comes from and that clause's words, verbatim."""

    clause: str | None = None
    quote: str | None = None


# --- the deal and its parties -----------------------------------------------------------------

class Party(Strict):
    """A party to the agreement and where its notices land (SPA 12.1, RRA 8)."""

    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=400)]
    role: Literal["company", "investor", "counsel", "transfer_agent", "other"]
    address: str
    fax: str | None = None
    email: str | None = None
    attention: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    subdivision: str | None = None
    timezone: str

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        """ISO 3166-1 alpha-2, as ``holidays`` knows it (its list is the whole standard):
        the party's local business days (SPA 12.1, RRA 8) come from its calendar."""
        from pipedeal.base.calendars import supported_places

        if value not in supported_places():
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code with a holiday calendar")
        return value

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        from pipedeal.base.calendars import supported_places

        country = info.data.get("country")
        if value is None or country is None:
            return value
        known = supported_places().get(country, ())
        if value not in known:
            listed = f"known: {', '.join(known)}" if known else "it has none in the holidays package"
            raise ValueError(f"{value!r} is not a subdivision of {country} ({listed})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value


class Investor(Party):
    """An Investor and what it buys (the signature pages): its subscription in dollars, or
    the shares it buys, or both (they must then agree, PIPE-TERMS "Pricing and allocation")."""

    role: Literal["investor"] = "investor"
    subscription: Price | None = None
    shares: Shares | None = None


class Deal(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=120)]
    title: Annotated[str, Field(min_length=1)]
    agreement_date: Day
    issuer_ticker: str | None = None
    principal_market: Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")] | None = None
    principal_market_name: str | None = None
    fiscal_year_end: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] | None = None
    security: str | None = None
    illustrative: str | None = None  # what in the bundled files is made up, in words

    @field_validator("fiscal_year_end")
    @classmethod
    def _real_month_day(cls, value: str | None) -> str | None:
        if value is not None:
            month, day = (int(part) for part in value.split("-"))
            dt.date(2001, month, day)  # raises ValueError for 02-30 and the like
        return value


class Calendars(Strict):
    """PIPE-TERMS "Calendars": the Trading Days' exchange and what the agreement calls a
    Business Day (SEC days are always U.S. federal)."""

    trading: Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")]
    business: Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


# --- pricing and allocation -------------------------------------------------------------------

class MarketPrice(Strict):
    """SPA 1.10 style: the Market Price from a window of Trading Days. (This table's ``quote``
    names the daily figure, so its clause's words go on ``pricing``.)"""

    quote: Literal["bid", "close", "vwap", "high_low_mean"]
    days: Annotated[int, Field(ge=1, le=250)]
    statistic: Literal["mean", "lowest", "volume_weighted"]
    window_ends: Literal["before_closing", "before_agreement", "on_agreement"]


class Pricing(Words):
    """SPA 1.10 Market Price, SPA 1.15 Purchase Price, the warrant coverage and unit price."""

    purchase_price: Price | None = None
    discount: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False), AfterValidator(_ten_places)] | None = None
    price_rounding: Rounding | None = None
    market_price: MarketPrice | None = None
    warrant_coverage: Annotated[Decimal, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_ten_places)]
    warrant_rounding: Literal["exact", "down", "half_up"]
    warrant_purchase_price: Price | NoLimit


# --- warrants -------------------------------------------------------------------------------

class MonthsAfterClosing(Strict):
    months_after_closing: Annotated[int, Field(ge=0, le=120)]


class YearsAfterClosing(Strict):
    years_after_closing: Annotated[int, Field(ge=1, le=20)]


class Period(Strict):
    """A count of days in a unit (PIPE-TERMS: ``calendar``, ``business``, ``trading``)."""

    days: Days
    unit: Unit


class Warrants(Words):
    """The Warrant: its price, window, exercise, fractions, adjustments and notices."""

    exercise_price: Price | None = None
    exercise_price_multiple: Multiple | None = None
    exercise_price_rounding: Rounding | None = None
    initial_exercise: Day | MonthsAfterClosing
    termination: Day | YearsAfterClosing
    cashless: Literal["never", "anytime", "no_effective_registration", "after_one_year_no_effective_registration"]
    cashless_price: Literal["prior_day_high_low_mean", "prior_day_close", "prior_day_vwap",
                            "mean_close_5"] | None = None
    cashless_test: Literal["at_election", "ever_after_one_year"] | None = None
    fraction_cash: Literal["fraction_times_exercise_price", "literal_exercise_price", "fraction_times_market"]
    anti_dilution: Literal["structural", "full_ratchet", "weighted_average_broad", "weighted_average_narrow"]
    anti_dilution_exempt: tuple[Exemption, ...] | None = None
    adjust_shares_on_price_adjustment: bool | None = None
    delivery: Period
    corporate_action_notice_days: DaysOrZero


# --- registration ---------------------------------------------------------------------------

class Filing(Words):
    days: Days
    unit: Unit
    # "notice" only for an additional statement (RRA 3(a): "within thirty (30) days of notice").
    from_: Literal["closing", "agreement", "notice"] = Field(alias="from")


class Effectiveness(Words):
    days: Days
    full_review_days: Days
    unit: Unit
    from_: Literal["closing", "agreement", "notice"] = Field(alias="from")
    clearance_days: DaysOrZero | NoLimit
    clearance_unit: Unit | None = None


class Additional(Words):
    filing: Filing
    effectiveness: Effectiveness


class Grace(Words):
    """Allowed blackouts (RRA 3(g) style) and the delay they give a filing."""

    max_consecutive_days: DaysOrZero | NoLimit
    max_days_per_year: DaysOrZero | NoLimit
    year: Literal["rolling_12_months", "calendar_year"]
    notice_days: DaysOrZero | NoLimit
    notice_unit: Unit | None = None
    filing_extension_max_days: DaysOrZero | NoLimit


class EffectivenessPeriod(Words):
    """RRA 3(b) style: when the statement need no longer be kept effective."""

    rule144: Literal["by_date", "2y", "1y", "6m"]
    max_years: Annotated[int, Field(ge=1, le=20)] | NoLimit
    end: Literal["as_written", "all_securities_rule144", "per_lot_rule144"] | None = None


class Registration(Words):
    """RRA 3: what is registered, by when, and what excuses a failure."""

    registrable: Annotated[tuple[Literal["shares", "warrant_shares"], ...], Field(min_length=1)]
    filing: Filing
    effectiveness: Effectiveness
    additional: Additional | NoLimit
    roll: Literal["next_business_day", "none"]
    grace: Grace
    financial_statements_window: tuple[DaysOrZero, DaysOrZero] | NoLimit
    underwriter_request: Literal["excuses_failure", "excludes_days"]
    effectiveness_period: EffectivenessPeriod

    @field_validator("financial_statements_window")
    @classmethod
    def _window_ordered(cls, value):
        if value != "none" and value[1] <= value[0]:
            raise ValueError(f"the window ({value[0]}, {value[1]}] ends before it begins")
        return value

    @field_validator("registrable")
    @classmethod
    def _no_repeats(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("a kind of security is listed twice")
        return value


# --- liquidated damages ---------------------------------------------------------------------

class RateStep(Strict):
    periods: Annotated[int, Field(ge=1, le=240)] | None = None
    rate: Rate


class Cap(Words):
    rate: Rate
    of: Literal["amount_invested", "purchase_price_held", "market_value_held"]


class Payment(Words):
    due: Literal["on_demand", "period_end", "period_start"]
    days: DaysOrZero
    unit: Unit


class LateInterest(Words):
    rate: Annotated[Decimal, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_ten_places)]
    per: Literal["year", "month"]


class Repurchase(Words):
    election_days: Days
    payment_days: Days
    unit: Unit
    price: Literal["purchase_price"]


class LiquidatedDamages(Words):
    """RRA 3(e) style: what the damages are a rate of, the schedule, the cap and payment."""

    base: Literal["market_value_held", "purchase_price_held", "amount_invested", "fixed"]
    fixed_amount: Price | None = None
    market_value: Literal["daily_close", "closing_date"] | None = None
    schedule: Annotated[tuple[RateStep, ...], Field(min_length=1)]
    period: Literal["month", "thirty_days", "calendar_month"]
    proration: Literal["actual_days_in_period", "thirty", "actual_365"]
    first_period: Literal["prorated", "full"]
    clock: Literal["per_default_period", "cumulative"]
    cap: Cap | NoLimit
    payment: Payment
    late_interest: LateInterest | NoLimit
    repurchase: Repurchase | NoLimit


# --- notices, capitalization, ambiguities, quotations ----------------------------------------------

class Notices(Words):
    """SPA 12.1 style: when a notice takes effect where it is received."""

    business_hours: tuple[Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")],
                          Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]]
    courier_business_days: Annotated[int, Field(ge=0, le=30)]
    mail: Literal["on_receipt"] | MailDays
    email: Literal["as_fax"] | None = None
    before_hours: Literal["next_business_day", "same_day_opening"] | None = None

    @field_validator("business_hours")
    @classmethod
    def _opens_before_it_closes(cls, value):
        if value[1] <= value[0]:
            raise ValueError(f"business hours {value[0]}-{value[1]} close before they open")
        return value


class MailDays(Strict):
    business_days: Annotated[int, Field(ge=0, le=30)]


Notices.model_rebuild()


class Capitalization(Strict):
    """SPA 4.3 style: authorized and outstanding capital before the Closing."""

    as_of: Day
    common_authorized: Count
    common_outstanding: Count
    preferred_authorized: Count
    preferred_outstanding: Count
    par_value: Annotated[Decimal, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
    reserved_for_warrants: Count | None = None  # absent: exactly the warrant shares the Closing issues

    @model_validator(mode="after")
    def _outstanding_within_authorized(self) -> Capitalization:
        if self.common_outstanding > self.common_authorized:
            raise ValueError("common_outstanding exceeds common_authorized")
        if self.preferred_outstanding > self.preferred_authorized:
            raise ValueError("preferred_outstanding exceeds preferred_authorized")
        return self


class Ambiguity(Strict):
    """A reading the deal's text leaves open: the term ``field`` decides it, ``value`` is in force."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    field: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")]
    value: Any
    alternatives: Annotated[tuple[Any, ...], Field(min_length=1)]
    clause: str
    why: str
    question: str | None = None


class Quotation(Strict):
    """A deal's own words for one key of the outputs (``"RRA 3(e)(B) rate"``)."""

    clause: str
    text: Annotated[str, Field(min_length=1)]


class Terms(Strict):
    """A whole deal: the parties and every term the engine reads."""

    deal: Deal
    calendars: Calendars
    company: Party
    investors: Annotated[tuple[Investor, ...], Field(min_length=1)]
    parties: tuple[Party, ...] = ()
    pricing: Pricing
    warrants: Warrants
    registration: Registration
    liquidated_damages: LiquidatedDamages
    notices: Notices
    capitalization: Capitalization
    ambiguities: tuple[Ambiguity, ...] = ()
    quotes: dict[str, Quotation] = {}
    # Where the terms were read from: (file name, text), set by ``parse_terms`` so a
    # later check (an unknown Principal Market) can still name the file and line.
    _source: tuple[str, str] | None = PrivateAttr(default=None)
    _words: dict | None = PrivateAttr(default=None)  # deal_words(), built once

    def located(self, *loc: object) -> tuple[str | None, int | None]:
        """The terms file and the line of key ``loc``, when the terms were read from a file."""
        if self._source is None:
            return None, None
        from pipedeal.deal.terms_file import locate_key

        filename, text = self._source
        return filename, locate_key(text, loc)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Terms:
        seen: set[str] = set()
        for party in (self.company, *self.investors, *self.parties):
            if party.id in seen:
                raise ValueError(f"party id {party.id!r} is used twice")
            seen.add(party.id)
        if self.company.role != "company":
            raise ValueError("company.role must be 'company'")
        return self

    def party(self, party_id: str) -> Party | None:
        for party in (self.company, *self.investors, *self.parties):
            if party.id == party_id:
                return party
        return None

    def investor(self, investor_id: str) -> Investor | None:
        return next((inv for inv in self.investors if inv.id == investor_id), None)

    def ambiguity(self, key: str) -> Ambiguity | None:
        return next((entry for entry in self.ambiguities if entry.key == key), None)

    def value_at(self, path: str) -> Any:
        """The value the terms state at a dotted path (``liquidated_damages.clock``)."""
        node: Any = self
        for part in path.split("."):
            name = "from_" if part == "from" else part
            if isinstance(node, BaseModel) and name in type(node).model_fields:
                node = getattr(node, name)
            else:
                raise KeyError(path)
        return node

    def with_readings(self, readings: dict[str, Any]) -> Terms:
        """These terms with ambiguity ``key -> value`` readings in force (``--set``)."""
        if not readings:
            return self
        data = self.model_dump(by_alias=True, mode="json")
        for key, value in readings.items():
            entry = self.ambiguity(key)
            if entry is None:
                raise KeyError(key)
            node = data
            *parents, leaf = entry.field.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value
        data["ambiguities"] = [_reading_in_force(a, readings[a.key]) if a.key in readings else a.model_dump(mode="json")
                               for a in self.ambiguities]
        changed = Terms.model_validate(data)
        changed._source = self._source
        return changed


def _reading_in_force(entry: Ambiguity, value: Any) -> dict[str, Any]:
    """An ambiguity with ``value`` in force: the value the file states joins the alternatives."""
    readings = [entry.value, *entry.alternatives]
    return {**entry.model_dump(mode="json"), "value": value,
            "alternatives": [reading for reading in readings if reading != value]}
