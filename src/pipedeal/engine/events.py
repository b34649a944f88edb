"""The closed set of primitive events (RULES.md §6) and the JSON Lines reader.

Every fact of a deal's life is one immutable event. Like FINOS CDM's primitive
events, the set is closed: a type or field the vocabulary does not name is
refused, never guessed at. Parties and warrants are referred to by the ids of
the terms file and of the warrant register.
"""

# No ``from __future__ import annotations`` here: pydantic would then read every annotation back from
# its text as each model is built, at import: ~3 ms of every command's start (issue 11).
import datetime as dt
import functools
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Literal, Self, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipedeal.base.diagnostics import Diagnostic, InputError, pydantic_field
from pipedeal.deal.terms import within_years

Statement = Literal["primary", "additional"]

MAX_DEPTH = 32  # JSON nesting of one event line; the deepest event (a merger's basket) needs 3


def _not_a_flag_or_text(value: Any) -> Any:
    """A share count is a JSON number: ``true`` and ``"10"`` are refused, not read as 1 and 10."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("whole_shares", "shares must be a whole number such as 1000, not {value}",
                                  {"value": json.dumps(value)})
    return value


def _not_a_flag(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("whole_shares", "shares must be a number or \"all\", not {value}",
                                  {"value": json.dumps(value)})
    return value


def _a_seq(value: Any) -> Any:
    """A ledger sequence number is a JSON whole number: ``true`` and ``"3"`` are refused."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("ledger_seq", "supersedes must be a ledger sequence number such as 3, not {value}",
                                  {"value": json.dumps(value)})
    return value


# Every date an event carries lies in 1970-2100, as the terms' dates do.
Day = Annotated[dt.date, AfterValidator(within_years)]
Instant = Annotated[AwareDatetime, AfterValidator(within_years)]
PositiveShares = Annotated[int, Field(gt=0), BeforeValidator(_not_a_flag_or_text)]
Ref = Annotated[str, Field(min_length=1, max_length=40)]


class EventBase(BaseModel):
    """Fields every event has: RULES.md §6 "type, date ... recorded_at, source, note"."""

    # Each event type's validator is built on its first use, not at import: a command reading a
    # handful of event types pays for those only (issue 11: start fast).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    date: Day
    recorded_at: Annotated[AwareDatetime | dt.datetime, AfterValidator(within_years)] | None = None
    source: str | None = None
    note: str | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        """Ids of parties this event names (checked against the terms)."""
        return ()

    @property
    def applies_on(self) -> dt.date:
        """The day the event takes effect in the fold (W 11: an adjustment is
        "retroactive to the record date")."""
        return self.date


class _Span(EventBase):
    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


NoticeMethod = Literal["hand", "fax", "courier", "mail", "email"]


def _sent_on_date(value: dt.datetime | None, info: Any) -> dt.datetime | None:
    """A notice's ``sent_at`` falls on its ``date`` (the sender's own day, as written), when both are given."""
    day = info.data.get("date")
    if value is not None and day is not None and value.date() != day:
        raise PydanticCustomError("sent_day", "sent_at is on {sent}, not on the event's date {date}: one notice "
                                  "has one day (leave date out to take sent_at's)",
                                  {"sent": value.date().isoformat(), "date": day.isoformat()})
    return value


class SentAsNotice(EventBase):
    """SPA 12.1, RRA 8: a fact that is itself a notice (a demand, a blackout notice, a W 14 notice,
    an insufficient-shares notice, a repurchase election) may say how it was sent: with
    ``sent_at`` and ``method`` (``received_at`` for mail, ``confirmed: false`` for a fax without
    its confirmation) it takes effect when a notice so sent would, where its recipient is, and
    a clause that counts from the notice counts from that day; without them it takes effect on
    its ``date``. ``date`` may be left out beside ``sent_at``: it is then the day ``sent_at``
    names (the sender's own day); given, it must be that day."""

    sent_at: Instant | None = None
    method: NoticeMethod | None = None
    received_at: Instant | None = None
    # SPA 12.1(a) "with accurate confirmation": a fax is confirmed unless this says false
    # (None, not True, by default: an event that says nothing stores nothing).
    confirmed: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _date_from_sent_at(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("date") is None and isinstance(data.get("sent_at"), str):
            try:
                sent = dt.datetime.fromisoformat(data["sent_at"])
            except ValueError:
                return data  # the field's own validation names the problem
            return {**data, "date": sent.date().isoformat()}
        return data

    @field_validator("sent_at")
    @classmethod
    def _same_day(cls, value: dt.datetime | None, info: Any) -> dt.datetime | None:
        return _sent_on_date(value, info)

    @model_validator(mode="after")
    def _delivery(self) -> Self:
        if (self.sent_at is None) != (self.method is None):
            raise ValueError(f"a {self.notice_word} sent as a notice needs both sent_at and method")
        # Whether a mailed notice needs received_at is the deal's [notices] mail rule: the fold checks it.
        return self

    notice_word: ClassVar[str] = "notice"

    @property
    def delivered(self) -> bool:
        """Whether the event records how it was sent (else it takes effect on its ``date``)."""
        return self.sent_at is not None


class Closing(EventBase):
    """SPA 2.1(a)(i): the Shares and Warrants are bought and delivered."""

    type: Literal["closing"]


class RsFiled(EventBase):
    """RRA 3(a): the Registration Statement is filed with the Commission."""

    type: Literal["rs_filed"]
    statement: Statement = "primary"
    form: str | None = None
    file_number: str | None = None


class RsAmended(EventBase):
    """RRA 3(c), 5(a): a (pre-effective) amendment to a Registration Statement is filed.

    Not in RULES.md §6; recorded because the real FOCUS docket has an S-3/A.
    It computes nothing: an amendment neither meets nor misses a deadline.
    """

    type: Literal["rs_amended"]
    statement: Statement = "primary"
    form: str | None = None
    file_number: str | None = None


class FullReview(EventBase):
    """RRA 3(a): the Commission gives the statement a "full review" (150 days)."""

    type: Literal["full_review"]
    statement: Statement = "primary"


class SecClearance(EventBase):
    """RRA 3(a): SEC clearance to request acceleration of effectiveness."""

    type: Literal["sec_clearance"]
    statement: Statement = "primary"


class RsEffective(EventBase):
    """RRA 3(a), SPA 1.7: the Commission declares the statement effective."""

    type: Literal["rs_effective"]
    statement: Statement = "primary"


class EffectivenessLapsed(EventBase):
    """RRA 3(b), 3(e)(iii): effectiveness is not maintained."""

    type: Literal["effectiveness_lapsed"]
    reason: Literal["stop_order", "financial_statements", "other"]
    statement: Statement = "primary"


class EffectivenessRestored(EventBase):
    type: Literal["effectiveness_restored"]
    statement: Statement = "primary"


class Blackout(_Span, SentAsNotice):
    """RRA 3(g): notice of a Potential Material Event; ``date`` is the notice."""

    notice_word: ClassVar[str] = "blackout notice"

    type: Literal["blackout"]


class InvestorDelay(_Span):
    """RRA 4: a delay caused by the Investors is not a Registration Default."""

    type: Literal["investor_delay"]
    investor: Ref | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.investor,) if self.investor else ()


class UnderwriterRequest(_Span):
    """RRA 3(e)(ii): the Commission asks that the Investors be named as underwriters."""

    type: Literal["underwriter_request"]
    investor: Ref | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.investor,) if self.investor else ()


class _InvestorEvent(EventBase):
    investor: Ref

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.investor,)


class InsufficientSharesNotice(_InvestorEvent, SentAsNotice):
    """RRA 3(a): an Investor's notice that the registered shares are insufficient."""

    notice_word: ClassVar[str] = "insufficient-shares notice"

    type: Literal["insufficient_shares_notice"]


class SharesSold(_InvestorEvent):
    """RRA 3(e)(B): shares sold are no longer "still held"."""

    type: Literal["shares_sold"]
    shares: PositiveShares


class RepurchaseElected(SentAsNotice):
    """RRA 3(e)(A): the Company elects in writing to repurchase instead of paying LDs."""

    notice_word: ClassVar[str] = "repurchase election"

    type: Literal["repurchase_elected"]


class RepurchasePaid(EventBase):
    type: Literal["repurchase_paid"]


class LdDemand(_InvestorEvent, SentAsNotice):
    """RRA 3(e): liquidated damages are payable "within five (5) calendar days of demand".

    A demand is a notice (SPA 12.1, RRA 8): with ``sent_at`` and ``method`` it takes
    effect when a notice so sent would; without them, on its ``date``."""

    type: Literal["ld_demand"]
    notice_word: ClassVar[str] = "demand"


class LdPaid(_InvestorEvent):
    type: Literal["ld_paid"]
    amount: Annotated[Decimal, Field(gt=0, allow_inf_nan=False, decimal_places=2)]


class WarrantExercise(EventBase):
    """W 3: exercise for cash or, when allowed, cashless. ``shares`` are warrant
    shares surrendered; a balance left fractional by a split may be exercised
    whole ("56251.5"), the fraction settled in cash under W 4."""

    type: Literal["warrant_exercise"]
    warrant: Ref
    shares: Annotated[Annotated[int, Field(gt=0)] | Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
                      | Literal["all"], BeforeValidator(_not_a_flag)]
    method: Literal["cash", "cashless"]


class WarrantTransfer(EventBase):
    """W 1, 7(a): transfer of all or part of a Warrant with the Assignment Form."""

    type: Literal["warrant_transfer"]
    warrant: Ref
    to: Ref
    shares: PositiveShares

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.to,)


class WarrantDivide(EventBase):
    """W 7(b): a Warrant divided into new Warrants of the stated denominations."""

    type: Literal["warrant_divide"]
    warrant: Ref
    into: Annotated[list[PositiveShares], Field(min_length=2)]


class WarrantCombine(EventBase):
    """W 7(b): Warrants of one holder combined into one new Warrant."""

    type: Literal["warrant_combine"]
    warrants: Annotated[list[Ref], Field(min_length=2)]


class WarrantReplace(EventBase):
    """W 9: a new Warrant "of like tenor" for one lost, stolen, destroyed or mutilated."""

    type: Literal["warrant_replace"]
    warrant: Ref
    reason: Literal["lost", "stolen", "destroyed", "mutilated"]


_RATIO = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


class _Recapitalization(EventBase):
    """W 11(a): shares × new/old, Exercise Price × old/new, retroactive to the record date."""

    record_date: Day | None = None
    ratio: str
    # The authorized Common after the action, when the charter changes with it.
    authorized: PositiveShares | None = None

    @property
    def applies_on(self) -> dt.date:
        return self.record_date or self.date

    @field_validator("ratio")
    @classmethod
    def _ratio_form(cls, value: str) -> str:
        match = _RATIO.match(value)
        if not match or int(match.group(1)) == 0 or int(match.group(2)) == 0:
            raise ValueError(f'ratio {value!r} must be "new:old" with whole numbers, e.g. "3:2"')
        return f"{int(match.group(1))}:{int(match.group(2))}"

    @property
    def factor(self) -> Fraction:
        new, old = (int(part) for part in self.ratio.split(":"))
        return Fraction(new, old)

    # Which way the count must move, if the kind of event fixes it.
    direction: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _moves_the_right_way(self) -> Self:
        if self.record_date is not None and self.record_date > self.date:
            raise ValueError(f"record_date {self.record_date} is after the effective date {self.date}")
        if self.direction is None:
            return self  # a reclassification may keep the count (1:1) and change the kind
        moves_right = self.factor < 1 if "reduce" in self.direction else self.factor > 1
        if not moves_right:
            raise ValueError(f"{self.direction}; {self.ratio} does not")
        return self


class StockSplit(_Recapitalization):
    type: Literal["stock_split"]
    direction: ClassVar[str] = "a stock split must increase the share count"


class StockDividend(_Recapitalization):
    type: Literal["stock_dividend"]
    direction: ClassVar[str] = "a stock dividend must add shares"


class ReverseSplit(_Recapitalization):
    type: Literal["reverse_split"]
    direction: ClassVar[str] = "a reverse split must reduce the share count"


class Reclassification(_Recapitalization):
    type: Literal["reclassification"]


class Asset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    asset: str
    quantity: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class Merger(EventBase):
    """W 11 (second (a)): the Warrant then buys the Other Property per share."""

    type: Literal["merger"]
    per_share: Annotated[list[Asset], Field(min_length=1)]
    record_date: Day | None = None  # W 14: the record date for the vote on it


class PriceReduction(_Span):
    """W 12: the Board reduces the Exercise Price for a period."""

    type: Literal["price_reduction"]
    price: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class CorporateActionNotice(SentAsNotice):
    """W 14: notice of a record date and of a corporate action, 30 days ahead."""

    notice_word: ClassVar[str] = "corporate-action notice"

    type: Literal["corporate_action_notice"]
    action: str
    record_date: Day
    effective_date: Day


class Financing(EventBase):
    """An issue of ``shares`` of Common Stock at ``price`` a share: SPA 6.9 checks a sale for
    cash against the bid; PIPE-TERMS' price-based anti-dilution adjusts the Warrants when
    ``price`` is below the Exercise Price in force, unless the ``exemption`` is one of the
    deal's ``anti_dilution_exempt`` kinds. ``bid`` is SPA 6.9's figure only (RULES §5: "the
    event's ``bid``, else the quote file's closing bid that day"), so it may be left out."""

    type: Literal["financing"]
    shares: PositiveShares
    price: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    bid: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    exemption: Literal[
        "none", "employee_plan", "compensatory", "existing_warrants", "investor_approval", "strategic"
    ] = "none"


class Notice(EventBase):
    """SPA 12.1, RRA 8: a notice and when it is deemed effective."""

    type: Literal["notice"]
    date: Day | None = None  # type: ignore[assignment]  # defaults to the day sent
    sent_at: Instant
    method: NoticeMethod
    sender: Ref = Field(alias="from")
    to: Ref
    subject: str
    received_at: Instant | None = None
    confirmed: bool = True  # SPA 12.1(a): a fax "with accurate confirmation"

    @field_validator("sent_at")
    @classmethod
    def _same_day(cls, value: dt.datetime, info: Any) -> dt.datetime:
        return _sent_on_date(value, info)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _dates(self) -> Self:
        # Whether a mailed notice needs received_at is the deal's [notices] mail rule: the fold checks it.
        if self.date is None:
            object.__setattr__(self, "date", self.sent_at.date())
        return self

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.sender, self.to)


class EffectivenessPeriodEnd(EventBase):
    """RRA 3(b): the Effectiveness Period ends (all sold, counsel's opinion, ...)."""

    type: Literal["effectiveness_period_end"]
    reason: Literal[
        "none_outstanding", "all_sold", "rule144_opinion", "all_transferred_unlegended", "rule144k"
    ]


# --- covenants and the obligations' lifecycle (RULES §5) --------------------------------------

ObligationId = Annotated[str, Field(min_length=1, max_length=120)]


class ObligationMet(EventBase):
    """RULES §5: an obligation performed, named by its id (``pipedeal obligations`` lists the ids).
    For a duty the ledger records by its own event (a filing, a payment), that event meets it."""

    type: Literal["obligation_met"]
    obligation: ObligationId = Field(description="the obligation's id, as pipedeal obligations lists it "
                                                 "(effectiveness_notice:primary:2000-02-16)")


class Waiver(EventBase):
    """A written waiver of one obligation, signed by every party the duty is owed to."""

    type: Literal["waiver"]
    obligation: ObligationId = Field(description="the id of the obligation waived")
    signed_by: Annotated[list[Ref], Field(min_length=1)] = Field(
        description="the ids of the parties who signed: exactly those the duty is owed to")

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(self.signed_by)


class _StatementFact(EventBase):
    statement: Statement = "primary"


class RsEffectiveNotice(_StatementFact):
    """RRA 3(a): the Company notifies the Investors that the statement is effective."""

    type: Literal["rs_effective_notice"]


class TransferAgentInstruction(_StatementFact):
    """RRA 5(g): the instruction (and counsel's opinion) delivered to the transfer agent."""

    type: Literal["transfer_agent_instruction"]


class DraftRsDelivered(_StatementFact):
    """RRA 3(c): the proposed statement (or amendment) delivered to the Investors for review; it
    serves the next filing of that statement."""

    type: Literal["draft_rs_delivered"]


class CommentLetterReceived(_StatementFact):
    """RRA 3(c): the Company receives an SEC comment letter on the statement."""

    type: Literal["comment_letter_received"]


class CommentLetterForwarded(_StatementFact):
    """RRA 3(c): the Company sends the Investors copies of a comment letter (the oldest not yet sent)."""

    type: Literal["comment_letter_forwarded"]


class DelistingNoticeReceived(EventBase):
    """SPA 6.3: the Company receives correspondence of the Principal Market threatening delisting."""

    type: Literal["delisting_notice_received"]


class DelistingNoticeForwarded(EventBase):
    """SPA 6.3: the Company sends the Investors copies of that correspondence (the oldest not yet sent)."""

    type: Literal["delisting_notice_forwarded"]


class PressReleaseDraft(EventBase):
    """SPA 13.10: the Investors receive a proposed press release (``date``: their receipt)."""

    type: Literal["press_release_draft"]


class PressReleaseAnswer(_InvestorEvent):
    """SPA 13.10: an Investor consents to or objects to the proposed release."""

    type: Literal["press_release_answer"]
    answer: Literal["consent", "objection"] = "consent"


# --- the Closing's checklist (SPA 2.1(b), 13.9; issue 12) -------------------------------------------------

ChecklistRef = Annotated[str, Field(min_length=1, max_length=60)]
Cents = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999999.99"), allow_inf_nan=False, decimal_places=2)]


class ConditionSatisfied(EventBase):
    """SPA 2.1(b): a condition to the Closing is satisfied (a signature, a bring-down of the
    representations, a legal permission); a delivery condition is satisfied by its deliverables instead.
    Dated on or before the Closing (same-day checklist events apply before the ``closing``)."""

    type: Literal["condition_satisfied"]
    condition: ChecklistRef = Field(description="the condition's id in [[closing.conditions]]")
    by: Ref | None = Field(default=None, description="the party id who ticked it (the Company, a counsel)")
    evidence: str | None = Field(default=None, description="what shows it: an officer's certificate, a filing")


class ConditionWaived(EventBase):
    """SPA 2.1(b): a condition waived, in writing, by the side it protects (``company``,
    ``investors``; a condition for ``both`` needs both)."""

    type: Literal["condition_waived"]
    condition: ChecklistRef = Field(description="the condition's id in [[closing.conditions]]")
    sides: Annotated[list[Literal["company", "investors"]], Field(min_length=1, max_length=2)] = Field(
        description="the sides that signed the waiver: company, investors")
    evidence: str | None = None


class FundsReceived(_InvestorEvent):
    """SPA 2.1(a)(i), (b)(ii): a wire of immediately available funds from an investor, in dollars and
    cents; by the Closing each investor's wires must add up to its subscription to the cent."""

    type: Literal["funds_received"]
    amount: Cents
    reference: str | None = Field(default=None, description="the wire's reference (Fed reference number)")


class DeliverableDelivered(EventBase):
    """SPA 2.1(b)(vii)-(ix): a deliverable of [[closing.deliverables]] delivered; one to or from
    ``each_investor`` names the ``investor``."""

    type: Literal["deliverable_delivered"]
    deliverable: ChecklistRef = Field(description="the deliverable's id in [[closing.deliverables]]")
    investor: Ref | None = Field(default=None, description="for a delivery to or from each investor: which one")
    evidence: str | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        return (self.investor,) if self.investor else ()


CHECKLIST_EVENTS = (ConditionSatisfied, ConditionWaived, FundsReceived, DeliverableDelivered)


Fact = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads better spelled out
        Closing,
        RsFiled,
        RsAmended,
        FullReview,
        SecClearance,
        RsEffective,
        EffectivenessLapsed,
        EffectivenessRestored,
        Blackout,
        InvestorDelay,
        UnderwriterRequest,
        InsufficientSharesNotice,
        SharesSold,
        RepurchaseElected,
        RepurchasePaid,
        LdDemand,
        LdPaid,
        WarrantExercise,
        WarrantTransfer,
        WarrantDivide,
        WarrantCombine,
        WarrantReplace,
        StockSplit,
        StockDividend,
        ReverseSplit,
        Reclassification,
        Merger,
        PriceReduction,
        CorporateActionNotice,
        Financing,
        Notice,
        EffectivenessPeriodEnd,
        ObligationMet,
        Waiver,
        RsEffectiveNotice,
        TransferAgentInstruction,
        DraftRsDelivered,
        CommentLetterReceived,
        CommentLetterForwarded,
        DelistingNoticeReceived,
        DelistingNoticeForwarded,
        PressReleaseDraft,
        PressReleaseAnswer,
        ConditionSatisfied,
        ConditionWaived,
        FundsReceived,
        DeliverableDelivered,
    ],
    Field(discriminator="type"),
]
"""Every event that states a fact of the deal (all but a correction)."""


class Correction(EventBase):
    """A corrected fact: ``event`` replaces ledger event ``supersedes`` from the correction's
    recording on, without editing the chain (``engine/history.py`` applies it before the fold).

    ``date`` is the corrected fact's date. The corrected event is a plain fact: it carries no
    ``recorded_at`` of its own (the correction's recording is when it became known), and it is
    not itself a correction (to correct a correction, supersede the correction's own seq)."""

    type: Literal["correction"]
    supersedes: Annotated[int, Field(gt=0), BeforeValidator(_a_seq)]
    event: Fact

    @model_validator(mode="after")
    def _the_fact_s_date(self) -> Self:
        if self.event.recorded_at is not None:
            raise PydanticCustomError(
                "correction_recorded_at", "the corrected event takes the correction's recording: "
                "give recorded_at (if any) on the correction, not inside event")
        if self.date != self.event.date:
            raise PydanticCustomError(
                "correction_date", "date {date} is not the corrected event's date {fact} (a correction's "
                "date is the date of the fact it corrects)", {"date": str(self.date), "fact": str(self.event.date)})
        return self

    @property
    def applies_on(self) -> dt.date:
        return self.event.applies_on


Event = Annotated[
    Union[Fact, Correction],  # noqa: UP007
    Field(discriminator="type"),
]

EVENT_MODELS: dict[str, type[EventBase]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in (*Fact.__origin__.__args__, Correction)  # type: ignore[attr-defined]
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_MODELS)
CHECKLIST_TYPES = frozenset(name for name, model in EVENT_MODELS.items() if model in CHECKLIST_EVENTS)


@functools.cache
def event_adapter() -> TypeAdapter[Event]:
    """Every event type at once (the JSON Schema, a correction's inner event): built on first use."""
    return TypeAdapter(Event)


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of one line of an event file."""
    schema = event_adapter().json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pipedeal event (one JSON object per line)"
    return schema


def event_to_json(event: EventBase) -> dict[str, Any]:
    """The event as the JSON object of its file line (canonical, aliases applied)."""
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_event(data: Any) -> EventBase:
    """One event from decoded JSON: validated by its own type's model (the union only for what has no
    plain type: a correction carries any event), so the errors are the same either way."""
    model = EVENT_MODELS.get(data.get("type")) if isinstance(data, dict) else None
    if model is None or model is Correction:
        return event_adapter().validate_python(data)
    return model.model_validate(data)


def shape_problem(data: Any) -> tuple[str, str | None] | None:
    """Why decoded JSON cannot be an event whatever its type: (message, field), or None.

    JSON may escape a lone surrogate (``"\\ud800"``), which is no Unicode
    text and which no database can store; and it may nest deeper than any
    event does. Walked without recursion, so depth itself cannot crash it.
    """
    stack: list[tuple[Any, tuple[object, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep", None
        if isinstance(value, str):
            if not _is_text(value):
                return "not valid Unicode text (a lone surrogate such as \\ud800)", pydantic_field(path) or None
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _is_text(key):
                    return "a field name is not valid Unicode text", pydantic_field(path) or None
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_events(text: str, filename: str) -> list[tuple[int, EventBase]]:
    """Read a JSON Lines event file; every bad line is a problem naming line and field.

    Returns ``(line number, event)`` pairs; raises ``InputError`` listing all
    problems (not just the first) so a user fixes a file in one pass.
    """
    events: list[tuple[int, EventBase]] = []
    problems: list[Diagnostic] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            problems.append(Diagnostic("EVENT-JSON", f"not JSON: {exc.msg}", filename, number))
            continue
        except RecursionError:
            problems.append(Diagnostic("EVENT-JSON", f"nested more than {MAX_DEPTH} levels deep: no event is",
                                       filename, number))
            continue
        shape = shape_problem(data)
        if shape is not None:
            problems.append(Diagnostic("EVENT-INVALID", shape[0], filename, number, shape[1]))
            continue
        try:
            events.append((number, parse_event(data)))
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, data, filename, number))
    if problems:
        raise InputError(problems)
    return events


def _validation_problems(
    exc: ValidationError, data: Any, filename: str, line: int
) -> list[Diagnostic]:
    if not isinstance(data, dict):
        return [Diagnostic("EVENT-NOT-OBJECT", "each line must be a JSON object", filename, line)]
    kind = data.get("type")
    if kind is None:
        return [Diagnostic("EVENT-NO-TYPE", "the event has no type", filename, line, "type")]
    if kind not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        return [
            Diagnostic("EVENT-UNKNOWN-TYPE", f"unknown event type {kind!r} (known: {known})",
                    filename, line, "type")
        ]
    problems = []
    inner = data.get("event") if kind == "correction" else None
    inner_kind = inner.get("type") if isinstance(inner, dict) else None
    for error in exc.errors():
        loc = tuple(error["loc"])
        # The discriminated union prefixes every location with the type tag.
        if loc and loc[0] == kind:
            loc = loc[1:]
        named = kind
        if kind == "correction" and loc[:1] == ("event",):
            # A correction's inner event: name its field as event.FIELD, its type as the inner one.
            if len(loc) > 1 and loc[1] == inner_kind:
                loc, named = ("event", *loc[2:]), str(inner_kind)
            elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                problems.append(Diagnostic(
                    "EVENT-UNKNOWN-TYPE" if inner_kind is not None else "EVENT-NO-TYPE",
                    f"the corrected event's type {inner_kind!r} is not one a correction can carry (known: "
                    f"{', '.join(t for t in EVENT_TYPES if t != 'correction')})" if inner_kind is not None
                    else "the corrected event has no type", filename, line, "event.type"))
                continue
        elif error["type"] == "correction_date":
            loc = ("date",)
        elif error["type"] == "correction_recorded_at":
            loc = ("event", "recorded_at")
        message = error["msg"]
        code = "EVENT-INVALID"
        if error["type"] == "extra_forbidden":
            message, code = f"unknown field for a {named} event", "EVENT-UNKNOWN-FIELD"
        elif error["type"] == "missing":
            message, code = f"a {named} event needs this field", "EVENT-MISSING-FIELD"
        elif error["type"] == "timezone_aware":
            message, code = ("needs its time zone offset, e.g. 2000-01-07T18:30:00-05:00: a notice takes effect "
                             "in the recipient's local time, so the instant must be exact"), "EVENT-NO-OFFSET"
        elif error["type"].startswith("date") or error["type"].startswith("datetime"):
            message, code = f"not a valid date: {error['msg']}", "EVENT-BAD-DATE"
        problems.append(
            Diagnostic(code, message, filename, line, pydantic_field(loc) or None)
        )
    return problems
