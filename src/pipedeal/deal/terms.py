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
   output quotes the deal's own words, or says it has none, never FOCUS's, and
   names the deal's own clause for each step (``clauses.cite``: the clause of the
   ``[quotes]`` entry keyed by FOCUS's slot for the duty, else the governing
   block's).
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

It also has the optional ``[closing]`` block (issue 12): ``[[closing.conditions]]``
(SPA 2.1(b) kind: whose condition, what satisfies it), ``[[closing.deliverables]]``
(what, from whom, to whom) and ``[closing.finder]`` (SPA 13.9 kind: name, fee rate, the
investors introduced, or ``"none"``). With it the Closing is a checked process
(``engine/closing.py``); a fee rate or an introduction the agreement does not state is
an input, listed in ``finder.inputs`` and shown as such.
"""

# No ``from __future__ import annotations`` here: pydantic would then read every annotation back from
# its text as each model is built, at import: ~4 ms of every command's start (issue 11).
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

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
    # Each field's docstring is its meaning, read only when the schema is asked for
    # (``terms_schema``): pydantic's use_attribute_docstrings reads every class's source at import,
    # ~170 ms of every command's start (issue 11). The validators are built when a terms text is first
    # validated (defer_build), not at import: a command that reads its terms back from the cache
    # (``workspace.cached_terms``) never builds them, ~15 ms.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Words(Strict):
    """A block of terms may carry the clause it comes from and that clause's words, verbatim."""

    clause: str | None = None
    """The clause this block comes from ("RRA 3(e)"): outputs cite it."""
    quote: str | None = None
    """That clause's words, verbatim: outputs quote them."""


# --- the deal and its parties -----------------------------------------------------------------

class Party(Strict):
    """A party to the agreement and where its notices land (SPA 12.1, RRA 8)."""

    id: PartyId
    """A short id events and outputs use ("raptor")."""
    name: Annotated[str, Field(min_length=1, max_length=400)]
    """The legal name, as on the signature page."""
    role: Literal["company", "investor", "counsel", "transfer_agent", "other"]
    """company, investor, counsel, transfer_agent or other."""
    address: str
    """The notice address (SPA 12.1 kind)."""
    fax: str | None = None
    """The notice fax number."""
    email: str | None = None
    """The notice email address (only where the notices clause allows email)."""
    attention: str | None = None
    """The person notices are addressed to."""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    """ISO 3166-1 alpha-2: its legal holidays make the party's local business days."""
    subdivision: str | None = None
    """The state or province whose holidays also count (US-MA: Patriots' Day)."""
    timezone: str
    """IANA time zone of the notice address: business hours are local time."""

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
    """Always investor (may be left out)."""
    subscription: Price | None = None
    """Dollars paid at the Closing (warrant purchase price included); shares = subscription / price must be whole."""
    shares: Shares | None = None
    """Shares bought, instead of or beside the subscription (they must then agree to the cent)."""


class Deal(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=120)]
    """The deal's id: lower case, digits, dots and dashes ("focus-1999")."""
    title: Annotated[str, Field(min_length=1)]
    """The agreement's title, as outputs name it."""
    agreement_date: Day
    """The agreement's date: periods and pricing windows may count from it."""
    issuer_ticker: str | None = None
    """The Common Stock's ticker."""
    principal_market: Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")] | None = None
    """The Principal Market's MIC; when given it must equal calendars.trading."""
    principal_market_name: str | None = None
    """The Principal Market's name, in words."""
    fiscal_year_end: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] | None = None
    """MM-DD: the financial statements window counts from it."""
    security: str | None = None
    """The security sold, in words ("Common Stock, $0.01 par value")."""
    illustrative: str | None = None  # what in the bundled files is made up, in words
    """What in the bundled files is made up, in words (shown on every output)."""

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
    """The exchange (MIC: XNAS, XNYS, XASE) whose sessions are Trading Days; OTC deals use XNYS."""
    business: Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
    """What the agreement calls a Business Day: US (federal, as SEC days), US-NY, US-MA or an ISO country."""


# --- pricing and allocation -------------------------------------------------------------------

class MarketPrice(Strict):
    """SPA 1.10 style: the Market Price from a window of Trading Days. (This table's ``quote``
    names the daily figure, so its clause's words go on ``pricing``.)"""

    quote: Literal["bid", "close", "vwap", "high_low_mean"]
    """The daily figure: bid, close, vwap or high_low_mean (quotes CSV columns)."""
    days: Annotated[int, Field(ge=1, le=250)]
    """Trading Days in the window."""
    statistic: Literal["mean", "lowest", "volume_weighted"]
    """mean of the daily figures, the lowest, or volume_weighted (sum of figure x volume / sum of volume)."""
    window_ends: Literal["before_closing", "before_agreement", "on_agreement"]
    """The window's last day: the Trading Day before the Closing, before the agreement date, or the agreement date
    itself."""


class Pricing(Words):
    """SPA 1.10 Market Price, SPA 1.15 Purchase Price, the warrant coverage and unit price."""

    purchase_price: Price | None = None
    """Fixed price per share (exclusive with discount)."""
    discount: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False), AfterValidator(_ten_places)] | None = None
    """Instead of a fixed price: price = (1 - discount) x Market Price."""
    price_rounding: Rounding | None = None
    """Rounding of a computed price, half-up: none, cent, tenth_cent (with discount)."""
    market_price: MarketPrice | None = None
    """The Market Price window, when something uses it (discount, exercise_price_multiple, closing_date market
    value)."""
    warrant_coverage: Annotated[Decimal, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_ten_places)]
    """Warrant shares per share bought."""
    warrant_rounding: Literal["exact", "down", "half_up"]
    """Per investor: exact refuses a fractional warrant count; down; half_up."""
    warrant_purchase_price: Price | NoLimit
    """A unit deal: each warrant share also costs this; "none" otherwise."""


# --- warrants -------------------------------------------------------------------------------

class MonthsAfterClosing(Strict):
    months_after_closing: Annotated[int, Field(ge=0, le=120)]
    """Months after the Closing, clamped to the month's end."""


class YearsAfterClosing(Strict):
    years_after_closing: Annotated[int, Field(ge=1, le=20)]
    """Years after the Closing."""


class Period(Strict):
    """A count of days in a unit (PIPE-TERMS: ``calendar``, ``business``, ``trading``)."""

    days: Days
    """How many days."""
    unit: Unit
    """calendar, business or trading days."""


class Warrants(Words):
    """The Warrant: its price, window, exercise, fractions, adjustments and notices."""

    exercise_price: Price | None = None
    """Fixed Exercise Price (exclusive with exercise_price_multiple)."""
    exercise_price_multiple: Multiple | None = None
    """Instead: multiple x Market Price (FOCUS 1.10)."""
    exercise_price_rounding: Rounding | None = None
    """Rounding of a computed or adjusted Exercise Price: none, cent, tenth_cent."""
    initial_exercise: Day | MonthsAfterClosing
    """The first exercise day: a date, or { months_after_closing = N }."""
    termination: Day | YearsAfterClosing
    """The last exercise day (close of business): a date, or { years_after_closing = N }; moved to the next business
    day when not one."""
    cashless: Literal["never", "anytime", "no_effective_registration", "after_one_year_no_effective_registration"]
    """When net exercise is allowed: never, anytime, no_effective_registration,
    after_one_year_no_effective_registration."""
    cashless_price: Literal["prior_day_high_low_mean", "prior_day_close", "prior_day_vwap",
                            "mean_close_5"] | None = None
    """A in (A - B) x X / A: prior_day_high_low_mean, prior_day_close, prior_day_vwap, mean_close_5."""
    cashless_test: Literal["at_election", "ever_after_one_year"] | None = None
    """Extension (FOCUS W 3): at_election, or ever_after_one_year (no registration in effect at any time since the
    first year)."""
    fraction_cash: Literal["fraction_times_exercise_price", "literal_exercise_price", "fraction_times_market"]
    """Cash for a fractional share: fraction_times_exercise_price, literal_exercise_price, fraction_times_market."""
    anti_dilution: Literal["structural", "full_ratchet", "weighted_average_broad", "weighted_average_narrow"]
    """structural (splits, dividends, reclassifications, mergers only), full_ratchet, weighted_average_broad,
    weighted_average_narrow."""
    anti_dilution_exempt: tuple[Exemption, ...] | None = None
    """financing events of these kinds never adjust: employee_plan, compensatory, existing_warrants,
    investor_approval, strategic."""
    adjust_shares_on_price_adjustment: bool | None = None
    """A price-based adjustment also scales the warrant shares so the aggregate exercise price is unchanged."""
    delivery: Period
    """Certificate delivery after exercise: { days = 3, unit = "trading" }."""
    corporate_action_notice_days: DaysOrZero
    """Days of notice before a record date of a corporate action (W 14 kind)."""


# --- covenants ----------------------------------------------------------------------------

class Duty(Words):
    """A dated duty (RULES §5): done within ``days`` ``unit`` before or after the event that
    triggers it (the duty names its trigger: "within one Trading Day of such event")."""

    days: Days
    """How many days."""
    unit: Unit
    """calendar, business or trading days."""
    when: Literal["before", "after"]
    """before the trigger (a draft at least N days before filing) or after it (a copy within N days of receipt)."""
    clause: str  # type: ignore[assignment]  # required here: the deal names the clause of each duty
    """The deal's clause for the duty ("RRA 3(a)"): outputs cite it."""


class FinancingLimit(Words):
    """SPA 6.9 kind: no sale of securities for cash below the then-current bid from the agreement
    date until ``days`` after the Registration Statement's effective date, except the exempt kinds."""

    days: Days
    """Days after the effective date on which the limit ends (its last day)."""
    unit: Unit
    """calendar, business or trading days."""
    exemptions: tuple[Exemption, ...]
    """The financing kinds the limit does not reach: employee_plan, compensatory, existing_warrants,
    investor_approval, strategic."""
    existing_warrants_cap: Shares | NoLimit
    """The most shares exempt as existing_warrants, summed over every such financing (FOCUS: 300,000); shares
    beyond are not exempt; "none" when the text has no cap."""
    clause: str  # type: ignore[assignment]  # required here: the deal names the clause of the limit
    """The deal's clause for the limit ("SPA 6.9"): outputs cite it."""


class Covenants(Words):
    """The dated duties of RULES §5 the engine tracks as obligations; a duty the agreement lacks is "none"."""

    effectiveness_notice: Duty | NoLimit
    """RRA 3(a) kind: the Company tells the Investors the statement is effective (after rs_effective)."""
    draft_review: Duty | NoLimit
    """RRA 3(c) kind: the Investors' review of a draft statement or amendment (before rs_filed, rs_amended)."""
    comment_letters: Duty | NoLimit
    """RRA 3(c) kind: the Company copies SEC comment letters to the Investors (after comment_letter_received)."""
    transfer_agent: Duty | NoLimit
    """RRA 5(g) kind: the instruction (and opinion) to the transfer agent (after rs_effective)."""
    delisting_correspondence: Duty | NoLimit
    """SPA 6.3 kind: the Company copies the Principal Market's delisting correspondence (after
    delisting_notice_received)."""
    press_release: Duty | NoLimit
    """SPA 13.10 kind: each Investor answers a proposed press release (after press_release_draft)."""
    discounted_financing: FinancingLimit | NoLimit
    """SPA 6.9 kind: no discounted sale for cash until N days after effectiveness, unless exempt."""


# --- registration ---------------------------------------------------------------------------

class Filing(Words):
    days: Days
    """Days to file."""
    unit: Unit
    """calendar, business or trading days."""
    # "notice" only for an additional statement (RRA 3(a): "within thirty (30) days of notice").
    from_: Literal["closing", "agreement", "notice"] = Field(alias="from")
    """What the days count from: closing or agreement (notice for an additional statement)."""


class Effectiveness(Words):
    days: Days
    """Days to effectiveness."""
    full_review_days: Days
    """Days instead, once the SEC gives the statement a full review."""
    unit: Unit
    """calendar, business or trading days."""
    from_: Literal["closing", "agreement", "notice"] = Field(alias="from")
    """What the days count from: closing or agreement (notice for an additional statement)."""
    clearance_days: DaysOrZero | NoLimit
    """Days after SEC clearance to request acceleration, when earlier; "none" when the text has no such limb."""
    clearance_unit: Unit | None = Field(default=None, examples=["trading"])
    """The unit of clearance_days."""


class Additional(Words):
    filing: Filing
    """The additional statement's filing deadline (from = "notice")."""
    effectiveness: Effectiveness
    """The additional statement's effectiveness deadline (from = "notice")."""


class Grace(Words):
    """Allowed blackouts (RRA 3(g) style) and the delay they give a filing."""

    max_consecutive_days: DaysOrZero | NoLimit
    """The longest allowed run of blackout days; "none" when the text sets none."""
    max_days_per_year: DaysOrZero | NoLimit
    """Blackout days allowed a year; "none" when the text sets none."""
    year: Literal["rolling_12_months", "calendar_year"]
    """rolling_12_months (the window (d - 1 year, d]) or calendar_year (1 January to d)."""
    notice_days: DaysOrZero | NoLimit
    """Notice the Company gives before a blackout; "none" when none is required."""
    notice_unit: Unit | None = None
    """The unit of notice_days."""
    filing_extension_max_days: DaysOrZero | NoLimit
    """A blackout before a filing deadline extends it by its length, at most this (0: never; "none": no limit)."""


class EffectivenessPeriod(Words):
    """RRA 3(b) style: when the statement need no longer be kept effective."""

    rule144: Literal["by_date", "2y", "1y", "6m"]
    """When a lot is sellable under Rule 144: by_date (the holding period in force when acquired), 2y, 1y, 6m."""
    max_years: Annotated[int, Field(ge=1, le=20)] | NoLimit
    """The period ends at the latest this many years after effectiveness; "none"."""
    end: Literal["as_written", "all_securities_rule144", "per_lot_rule144"] | None = None
    """Extension (FOCUS RRA 3(b)): as_written, all_securities_rule144, per_lot_rule144."""


class Registration(Words):
    """RRA 3: what is registered, by when, and what excuses a failure."""

    registrable: Annotated[tuple[Literal["shares", "warrant_shares"], ...], Field(min_length=1)]
    """What must be registered and bears damages: shares, warrant_shares."""
    filing: Filing
    """The registration statement's filing deadline: { days, unit, from }."""
    effectiveness: Effectiveness
    """Its effectiveness deadline: { days, full_review_days, unit, from, clearance_days, clearance_unit }."""
    additional: Additional | NoLimit
    """An additional statement on an investor's notice (the same two tables), or "none"."""
    roll: Literal["next_business_day", "none"]
    """A due day on which the SEC is closed: next_business_day, or none."""
    grace: Grace
    """Allowed blackouts."""
    financial_statements_window: tuple[DaysOrZero, DaysOrZero] | NoLimit
    """[a, b]: lapses solely to update financials in (FYE + a, FYE + b] are no default; "none"."""
    underwriter_request: Literal["excuses_failure", "excludes_days"]
    """An SEC request to name investors as underwriters: excuses_failure (the whole failure) or excludes_days (only
    its days)."""
    effectiveness_period: EffectivenessPeriod
    """How long the statement must be kept effective."""

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
    """How many periods this rate lasts; the last step has none and runs on."""
    rate: Rate
    """The rate per period (0.01 = 1%)."""


class Cap(Words):
    rate: Rate
    """The cap as a fraction (0.10 = 10%)."""
    of: Literal["amount_invested", "purchase_price_held", "market_value_held"]
    """What the cap is a fraction of: amount_invested, or the damages' own base."""


class Payment(Words):
    due: Literal["on_demand", "period_end", "period_start"]
    """on_demand (after a demand takes effect as a notice), period_end or period_start."""
    days: DaysOrZero
    """Days after the demand, the period's end or its start."""
    unit: Unit
    """calendar, business or trading days."""


class LateInterest(Words):
    rate: Annotated[Decimal, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_ten_places)]
    """Simple interest rate on an unpaid amount."""
    per: Literal["year", "month"]
    """year (rate / 365 a day) or month (rate x 12 / 365 a day)."""


class Repurchase(Words):
    election_days: Days
    """Days after damages would begin to accrue to elect repurchase."""
    payment_days: Days
    """Days after the election to pay."""
    unit: Unit
    """calendar, business or trading days."""
    price: Literal["purchase_price"]
    """purchase_price: the original purchase price."""


class LiquidatedDamages(Words):
    """RRA 3(e) style: what the damages are a rate of, the schedule, the cap and payment."""

    base: Literal["market_value_held", "purchase_price_held", "amount_invested", "fixed"]
    """What a rate applies to, per investor per day: market_value_held, purchase_price_held, amount_invested, fixed."""
    fixed_amount: Price | None = Field(default=None, examples=["25000.00"])
    """Dollars per period per investor, with base fixed."""
    market_value: Literal["daily_close", "closing_date"] | None = None
    """For market_value_held: daily_close, or closing_date."""
    schedule: Annotated[tuple[RateStep, ...], Field(min_length=1)]
    """Rate per period: [{ periods = 2, rate = "0.01" }, { rate = "0.02" }]; the last step runs on."""
    period: Literal["month", "thirty_days", "calendar_month"]
    """month (from the first default day), thirty_days, calendar_month."""
    proration: Literal["actual_days_in_period", "thirty", "actual_365"]
    """A day's share of a period's rate: actual_days_in_period, thirty, actual_365."""
    first_period: Literal["prorated", "full"]
    """prorated, or full (the whole first period is owed on its first day)."""
    clock: Literal["per_default_period", "cumulative"]
    """per_default_period (the schedule restarts with each run) or cumulative."""
    cap: Cap | NoLimit
    """"none", or { rate, of }: per investor over all defaults; accrual stops at the cap, to the cent."""
    payment: Payment
    """When damages are due: { due, days, unit }."""
    late_interest: LateInterest | NoLimit
    """"none", or { rate, per }: simple interest from the day after an amount is due to the day paid."""
    repurchase: Repurchase | NoLimit
    """"none", or { election_days, payment_days, unit, price }: the Company may repurchase instead of paying."""


# --- notices, capitalization, ambiguities, quotations ----------------------------------------------

class MailDays(Strict):
    business_days: Annotated[int, Field(ge=0, le=30)]
    """Business days after mailing."""


class Notices(Words):
    """SPA 12.1 style: when a notice takes effect where it is received."""

    business_hours: tuple[Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")],
                          Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]]
    """[opening, closing], recipient's local time: a notice after closing takes effect the next business day."""
    courier_business_days: Annotated[int, Field(ge=0, le=30)]
    """A courier notice takes effect this many business days after sending."""
    mail: Literal["on_receipt"] | MailDays
    """on_receipt, or { business_days = N } after mailing."""
    email: Literal["as_fax"] | None = None
    """as_fax where the agreement allows email; absent: email is no notice."""
    before_hours: Literal["next_business_day", "same_day_opening"] | None = None
    """Extension: a notice before opening takes effect at that day's opening (same_day_opening) or the next business
    day."""

    @field_validator("business_hours")
    @classmethod
    def _opens_before_it_closes(cls, value):
        if value[1] <= value[0]:
            raise ValueError(f"business hours {value[0]}-{value[1]} close before they open")
        return value


class Capitalization(Words):
    """SPA 4.3 style: authorized and outstanding capital before the Closing."""

    as_of: Day
    """The date of the capitalization representation."""
    common_authorized: Count
    """Common shares authorized."""
    common_outstanding: Count
    """Common shares outstanding before the Closing."""
    preferred_authorized: Count
    """Preferred shares authorized."""
    preferred_outstanding: Count
    """Preferred shares outstanding."""
    par_value: Annotated[Decimal, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
    """Par value per share: no Exercise Price may fall below it."""
    reserved_for_warrants: Count | None = None  # absent: exactly the warrant shares the Closing issues
    """Shares reserved for the Warrants; absent: exactly the warrant shares the Closing issues."""

    @model_validator(mode="after")
    def _outstanding_within_authorized(self) -> Self:
        if self.common_outstanding > self.common_authorized:
            raise ValueError("common_outstanding exceeds common_authorized")
        if self.preferred_outstanding > self.preferred_authorized:
            raise ValueError("preferred_outstanding exceeds preferred_authorized")
        return self


class Ambiguity(Strict):
    """A reading the deal's text leaves open: the term ``field`` decides it, ``value`` is in force."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    """The reading's name, for --set KEY=VALUE ("ld_day_count")."""
    field: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")]
    """The dotted path of the term it decides ("liquidated_damages.proration")."""
    value: Any
    """The value in force: must equal what the file states at field."""
    alternatives: Annotated[tuple[Any, ...], Field(min_length=1)]
    """The other readings, each a value field can take."""
    clause: str
    """Where the text is ambiguous."""
    why: str
    """Why, in the text's own words."""
    question: str | None = None
    """The question the reading answers."""


class Quotation(Strict):
    """A deal's own clause and words for one key of the outputs: FOCUS's slot for the duty
    (``"RRA 3(e)(B) rate"``, ``"W 3"``)."""

    clause: str
    """The clause the words come from."""
    text: Annotated[str, Field(min_length=1)]
    """The words, verbatim."""


# --- the Closing: conditions, deliverables, the finder --------------------------------------------

ChecklistId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.()-]*$", max_length=60)]
Side = Literal["company", "investors", "both"]


class Condition(Words):
    """SPA 2.1(b) kind: one condition to the Closing, whose it is (the side it protects, the only
    side that may waive it) and what satisfies it. A ``delivery`` condition is satisfied once each
    deliverable it lists is delivered (funds: each investor's wires equal its subscription); any
    other kind by a ``condition_satisfied`` event."""

    id: ChecklistId
    """A short id events name ("2.1(b)(iv)")."""
    title: Annotated[str, Field(min_length=1, max_length=200)]
    """The condition in a few words, as the checklist shows it."""
    protects: Side
    """Whose condition it is: company, investors or both; only that side may waive it (both: both sides sign)."""
    satisfied_by: Literal["delivery", "signature", "bring_down", "legal_permission"]
    """What satisfies it: delivery (of the deliverables listed), signature, bring_down (of representations) or
    legal_permission."""
    deliverables: tuple[ChecklistId, ...] = Field(default=(), examples=[["certificates"]])
    """For satisfied_by = "delivery": the ids of the [[closing.deliverables]] that satisfy it (none otherwise)."""


class Deliverable(Words):
    """A delivery at the Closing: what, from whom, to whom. ``each_investor`` means one delivery per
    investor (each investor sees only its own); a ``funds`` deliverable is delivered by ``funds_received``
    events summing to each investor's subscription, a ``document`` by ``deliverable_delivered`` events."""

    id: ChecklistId
    """A short id events name ("certificates")."""
    what: Annotated[str, Field(min_length=1, max_length=300)]
    """What is delivered, in words."""
    kind: Literal["funds", "document"]
    """funds (the Purchase Price, by wire) or document (certificates, instructions, agreements)."""
    from_: Annotated[str, Field(min_length=1, max_length=40)] = Field(alias="from")
    """Who delivers it: company, each_investor, or a party id of the terms."""
    to: Annotated[str, Field(min_length=1, max_length=40)]
    """Who receives it: company, each_investor, investors (all at once), or a party id of the terms."""


class Finder(Words):
    """SPA 13.9 kind: the finder or placement agent, its fee rate and the investors it introduced; the
    fee is the rate times each introduced investor's subscription, each rounded half-up to the cent,
    paid by the Company out of the proceeds."""

    name: Annotated[str, Field(min_length=1, max_length=400)]
    """The finder's name ("JWGenesis Securities, Inc.")."""
    fee_rate: Rate
    """The fee as a fraction of an introduced investor's subscription (0.05 = 5%)."""
    introduced: tuple[PartyId, ...]
    """The ids of the investors the finder introduced: only their subscriptions bear the fee."""
    inputs: tuple[Literal["fee_rate", "introduced"], ...] = ()
    """The keys of this block the agreement does not state: inputs, shown as such on every output."""


class ClosingTerms(Words):
    """The Closing as a checked process (SPA 2.1 kind): a ``closing`` event is refused while a condition is
    neither satisfied nor waived, or an investor's funds received differ from its subscription. A deal with no
    ``[closing]`` records the Closing as a bare fact."""

    conditions: Annotated[tuple[Condition, ...], Field(min_length=1)]
    """Each condition to the Closing."""
    deliverables: tuple[Deliverable, ...] = ()
    """Each delivery at the Closing (funds, certificates, instructions, agreements)."""
    finder: Finder | NoLimit
    """The finder (SPA 13.9 kind) and its fee, or "none" when the agreement has no finder."""


class Terms(Strict):
    """A whole deal: the parties and every term the engine reads."""

    deal: Deal
    """The deal's identity."""
    calendars: Calendars
    """The calendars the deal counts in."""
    company: Party
    """The Company (the issuer) and its notice address."""
    investors: Annotated[tuple[Investor, ...], Field(min_length=1)]
    """Each investor and what it buys."""
    parties: tuple[Party, ...] = ()
    """Other parties (counsel, transfer agent) who receive copies."""
    pricing: Pricing
    """Market Price, Purchase Price, warrant coverage."""
    warrants: Warrants
    """The Warrant."""
    registration: Registration
    """The registration rights."""
    liquidated_damages: LiquidatedDamages
    """Liquidated damages for Registration Defaults."""
    notices: Notices
    """When a notice takes effect."""
    capitalization: Capitalization
    """Capital before the Closing."""
    covenants: Covenants
    """The dated duties and the financing limit (RULES §5); each names its `clause` (required) and may `quote` it."""
    ambiguities: tuple[Ambiguity, ...] = ()
    """The readings the text leaves open."""
    quotes: dict[str, Quotation] = {}
    """The deal's own clause and words by key (FOCUS's slot for the duty), for every output."""
    closing: ClosingTerms | None = None
    """Extension: the Closing's conditions, deliverables and finder (SPA 2.1, 13.9 kind); absent: the Closing is
    recorded as a bare fact."""
    # Where the terms were read from: (file name, text), set by ``parse_terms`` so a
    # later check (an unknown Principal Market) can still name the file and line.
    _source: tuple[str, str] | None = PrivateAttr(default=None)
    _words: dict | None = PrivateAttr(default=None)  # deal_words(), built once
    _cites: dict | None = PrivateAttr(default=None)  # cite(), by (slot, block)

    def located(self, *loc: object) -> tuple[str | None, int | None]:
        """The terms file and the line of key ``loc``, when the terms were read from a file."""
        if self._source is None:
            return None, None
        from pipedeal.deal.terms_file import locate_key

        filename, text = self._source
        return filename, locate_key(text, loc)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Self:
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

    def with_readings(self, readings: dict[str, Any]) -> Self:
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
