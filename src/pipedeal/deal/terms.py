"""The deal's terms as data: parties, subscriptions, prices, periods, keys.

A terms file is TOML validated by these Pydantic models. The models describe
what the agreement fixes (SPA 1.15 Purchase Price, SPA 4.3 capitalization,
W preamble dates, RRA 3 periods); the numbers themselves live in the file, so
another deal on the same paper is a new file, not new code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

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

from pipedeal.deal.interpretations import BY_KEY

PartyId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]
Money = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]

# Every date of a deal (terms and events) lies in these years: the calendars cover
# no more, and a date of 1900 or 2999 is a typo.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2100, 12, 31)
MAX_DAYS = 3650  # ten years: longer than any period of a PIPE's agreements, short of a typo


def within_years(value: dt.date) -> dt.date:
    """A date (or the day of an instant) from 1970-01-01 to 2100-12-31."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", "{value} is outside {first} to {last}",
                                  {"value": value.isoformat(), "first": FIRST_DAY.isoformat(),
                                   "last": LAST_DAY.isoformat()})
    return value


Day = Annotated[dt.date, AfterValidator(within_years)]
# Counts of days. Where 0 would mean "no time at all" and the rule has no sense
# (a filing due at the Closing; "within 0 Trading Days", which RULES §1's
# arithmetic cannot count) the least is 1; where 0 is a real choice (no notice
# required, no blackout allowed, payment due on demand) it is allowed.
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
DaysOrNone = Annotated[int, Field(ge=0, le=MAX_DAYS)]
TradingDays = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(Strict):
    """A party to the agreement and where its notices land (SPA 12.1, RRA 8)."""

    id: PartyId
    name: str
    role: Literal["company", "investor", "counsel", "transfer_agent", "other"]
    address: str
    fax: str | None = None
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
    """An Investor and its subscription (SPA 2.1(a)(i), signature pages)."""

    role: Literal["investor"] = "investor"
    subscription: Money


class Deal(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    title: str
    agreement_date: Day
    issuer_ticker: str | None = None
    principal_market: Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")] = "XNAS"
    principal_market_name: str | None = None
    fiscal_year_end: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] = "12-31"
    security: str = "Common Stock"

    @field_validator("fiscal_year_end")
    @classmethod
    def _real_month_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        dt.date(2001, month, day)  # raises ValueError for 02-30 and the like
        return value


class Pricing(Strict):
    """SPA 1.10 Market Price, SPA 1.15 Purchase Price, W preamble Exercise Price."""

    purchase_price: Money
    market_price_days: Annotated[int, Field(ge=1, le=60)] = 5
    market_price_quote: Literal["bid", "close"] = "bid"
    # W preamble: 110%. A multiple is a fraction of the Market Price above 0 and at most 10 (1,000%).
    exercise_price_multiple: Annotated[Decimal, Field(gt=0, le=10, allow_inf_nan=False)] = Decimal("1.10")
    warrant_coverage: Annotated[Decimal, Field(ge=0, le=10)] = Decimal("0.10")


class Warrants(Strict):
    """W preamble: the exercise window; W 3 cashless and certificate delivery."""

    initial_exercise_date: Day
    termination_date: Day
    certificate_delivery_trading_days: TradingDays = 3  # W 3 "within three (3) Trading Days"
    cashless_after_years: Annotated[int, Field(ge=0, le=10)] = 1  # 0: cashless from issue
    corporate_action_notice_days: DaysOrNone = 30  # W 14; 0: no notice required

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Warrants:
        if self.termination_date < self.initial_exercise_date:
            raise ValueError("termination_date is before initial_exercise_date")
        return self


class Registration(Strict):
    """RRA 3(a), 3(e), 3(g): the registration periods in days."""

    filing_days: Days = 30  # a filing due on the Closing Date itself is no period
    full_review_effectiveness_days: Days = 150
    clearance_effectiveness_days: DaysOrNone = 5  # 0: effective by the day of clearance
    additional_filing_days: Days = 30
    additional_full_review_days: Days = 150
    blackout_filing_extension_max_days: DaysOrNone = 20  # 0: a blackout never extends the filing
    blackout_cap_days: DaysOrNone = 30  # 0: every blackout day is a default day
    blackout_notice_trading_days: TradingDays = 2
    effective_notice_trading_days: TradingDays = 1
    # RRA 3(e): after the fiscal year end, the window (first, last] in which a lapse to
    # update financial statements is no default; 0 is the year end itself.
    financial_statements_window_days: tuple[DaysOrNone, DaysOrNone] = (45, 90)

    @field_validator("financial_statements_window_days")
    @classmethod
    def _window_ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[1] <= value[0]:
            raise ValueError(f"the window ({value[0]}, {value[1]}] ends before it begins")
        return value


class RateStep(Strict):
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    rate: Annotated[Decimal, Field(ge=0, le=1)]


class LiquidatedDamages(Strict):
    """RRA 3(e)(A)-(B): the LD schedule, payment and repurchase windows."""

    schedule: tuple[RateStep, ...] = (
        RateStep(months=2, rate=Decimal("0.01")),
        RateStep(rate=Decimal("0.02")),
    )
    payment_days: DaysOrNone = 5  # RRA 3(e) "within five (5) calendar days of demand"; 0: on demand
    repurchase_election_trading_days: TradingDays = 5
    repurchase_payment_trading_days: TradingDays = 5

    @model_validator(mode="after")
    def _open_ended_last_step(self) -> LiquidatedDamages:
        if not self.schedule or self.schedule[-1].months is not None:
            raise ValueError("the last schedule step must have no 'months' (it runs on)")
        if any(step.months is None for step in self.schedule[:-1]):
            raise ValueError("every schedule step but the last needs 'months'")
        return self


class Capitalization(Strict):
    """SPA 4.3: authorized and outstanding capital before the Closing."""

    as_of: Day
    common_authorized: Annotated[int, Field(ge=0)]
    common_outstanding: Annotated[int, Field(ge=0)]
    preferred_authorized: Annotated[int, Field(ge=0)] = 0
    preferred_outstanding: Annotated[int, Field(ge=0)] = 0
    par_value: Annotated[Decimal, Field(ge=0)] = Decimal("0.01")
    reserved_for_warrants: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _outstanding_within_authorized(self) -> Capitalization:
        if self.common_outstanding > self.common_authorized:
            raise ValueError("common_outstanding exceeds common_authorized")
        if self.preferred_outstanding > self.preferred_authorized:
            raise ValueError("preferred_outstanding exceeds preferred_authorized")
        return self


class Interpretations(Strict):
    """Every interpretation key of RULES.md with its default (see interpretations.py)."""

    effectiveness_days: Literal[120, 150] = 120
    additional_effectiveness_days: Literal[120, 90] = 120
    roll_deadlines: bool = True
    exercise_price_rounding: Literal["none", "cent", "tenth_cent"] = "none"
    ld_market_value: Literal["daily_close", "closing_date"] = "daily_close"
    ld_schedule_clock: Literal["per_default_period", "cumulative"] = "per_default_period"
    ld_day_count: Literal["actual_month", "thirty", "actual_365"] = "actual_month"
    cashless_test: Literal["at_election", "ever_after_one_year"] = "at_election"
    fraction_cash: Literal["fraction_times_exercise_price", "literal_exercise_price"] = (
        "fraction_times_exercise_price"
    )
    underwriter_request: Literal["excuses_failure", "excludes_days"] = "excuses_failure"
    effectiveness_period_end: Literal["as_written", "all_securities_rule144", "per_lot_rule144"] = "as_written"
    notice_before_hours: Literal["next_business_day", "same_day_opening"] = "next_business_day"
    rule144k_years: Literal[2, 1] = 2

    def as_dict(self) -> dict[str, object]:
        return {key: getattr(self, key) for key in BY_KEY}

    def unset_keys(self) -> list[str]:
        """Keys the terms file leaves to the default (``--strict`` refuses these)."""
        return [key for key in BY_KEY if key not in self.model_fields_set]


class Terms(Strict):
    """A whole deal: the parties and every number the engine reads."""

    deal: Deal
    company: Party
    investors: Annotated[tuple[Investor, ...], Field(min_length=1)]
    parties: tuple[Party, ...] = ()
    pricing: Pricing
    warrants: Warrants
    registration: Registration = Registration()
    liquidated_damages: LiquidatedDamages = LiquidatedDamages()
    capitalization: Capitalization
    interpretations: Interpretations = Interpretations()
    # Where the terms were read from: (file name, text), set by ``parse_terms`` so a
    # later check (an unknown Principal Market) can still name the file and line.
    _source: tuple[str, str] | None = PrivateAttr(default=None)

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

    def with_interpretations(self, overrides: dict[str, object]) -> Terms:
        if not overrides:
            return self
        merged = self.interpretations.model_dump(exclude_unset=True) | overrides
        return self.model_copy(update={"interpretations": Interpretations(**merged)})
