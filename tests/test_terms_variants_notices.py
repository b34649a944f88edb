"""PIPE-TERMS "Notices": when a demand (``ld_demand``) or a ``notice`` takes effect, on the
recipient's own business days and hours, under ``[notices]`` that are not FOCUS's.

"``hand`` and ``fax`` (and ``email`` where the deal allows it) take effect on delivery within
business hours on a recipient's business day, else the next recipient's business day at opening;
``courier_business_days = 1``: effective on that business day after sending; ``mail =
"on_receipt"`` or ``{ business_days = N }`` after mailing. A recipient's business days are those
of its country and subdivision in the terms file."

The parties: the Company in Wilmington, Massachusetts (a demand's recipient); Raptor in Boston
(US-MA); Roseworth in Vaduz, Liechtenstein (LI), six hours ahead of Boston in April and June
2000 (both on summer time). Massachusetts keeps Patriots' Day (Mon 2000-04-17); Liechtenstein
keeps Whit Monday (Mon 2000-06-12); neither keeps the other's. FOCUS's business hours are
09:00-17:00 local time.
"""

from __future__ import annotations

import pytest
from scenario import CLOSING, D, log
from variants import evaluate_variant, variant

from pipedeal.base.diagnostics import InputError
from pipedeal.engine.events import parse_event
from pipedeal.engine.notices import notice_effect
from pipedeal.outputs.report import to_json

NOT_FILED = [CLOSING]  # the filing default runs from 1999-12-28, so there are damages to demand


def demand(sent_at: str, method: str, investor: str = "roseworth", **more) -> dict:
    return {"type": "ld_demand", "date": sent_at[:10], "investor": investor, "sent_at": sent_at, "method": method,
            **more}


def demanded(terms, event: dict, as_of: str = "2000-06-30"):
    [made] = evaluate_variant(terms, log(*NOT_FILED, event), as_of).damages[event["investor"]].demands
    return made


def notice(sent_at: str, method: str, to: str, **more):
    return parse_event({"type": "notice", "sent_at": sent_at, "method": method, "from": "focus", "to": to,
                        "subject": "blackout", **more})


# --- a demand takes effect where the Company is ------------------------------------------------------

def test_a_demand_faxed_from_vaduz_on_patriots_day_takes_effect_in_massachusetts_the_next_day():
    # 10:00 in Boston on Mon 2000-04-17 (16:00 in Vaduz, an ordinary day there): the recipient is
    # the Company, whose business days are Massachusetts', so Tue 04-18.
    made = demanded(variant(), demand("2000-04-17T16:00:00+02:00", "fax"))
    assert made.effective == D("2000-04-18")
    assert made.effect.startswith("fax delivery 2000-04-17 10:00 EDT: not during business hours on a business day")


def test_a_demand_faxed_at_five_thirty_boston_time_takes_effect_the_next_morning():
    made = demanded(variant(), demand("2000-04-18T17:30:00-04:00", "fax"))
    assert made.effective == D("2000-04-19")


@pytest.mark.parametrize(("days", "effective"), [
    (1, "2000-04-18"),  # sent Fri 04-14; the first Massachusetts business day after: Tue 04-18
    (2, "2000-04-19"),  # the second: Wed 04-19
])
def test_a_demand_by_courier_counts_the_companys_business_days(days, effective):
    terms = variant(("courier_business_days = 1", f"courier_business_days = {days}"))
    assert demanded(terms, demand("2000-04-14T15:00:00-04:00", "courier")).effective == D(effective)


def test_a_mailed_demand_takes_effect_on_receipt():
    made = demanded(variant(), demand("2000-04-13T15:00:00-04:00", "mail", received_at="2000-04-18T11:00:00-04:00"))
    assert made.effective == D("2000-04-18")


MAIL_THREE_DAYS = ('mail = "on_receipt"', "mail = { business_days = 3 }")


def test_mail_effective_three_business_days_after_mailing_needs_no_receipt():
    # Mailed Thu 2000-04-13: Fri 04-14 (1), [Patriots' Day], Tue 04-18 (2), Wed 04-19 (3).
    made = demanded(variant(MAIL_THREE_DAYS), demand("2000-04-13T15:00:00-04:00", "mail"))
    assert made.effective == D("2000-04-19")
    assert made.effect == "mailed 2000-04-13: effective 3 business day(s) after, 2000-04-19"


def test_a_mailed_demand_without_its_receipt_is_refused_where_mail_takes_effect_on_receipt():
    with pytest.raises(InputError) as caught:
        evaluate_variant(variant(), log(*NOT_FILED, demand("2000-04-13T15:00:00-04:00", "mail")), "2000-06-30")
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.field) == ("EVENT-MISSING-FIELD", 2, "received_at")
    assert "on actual receipt" in problem.message


def test_an_emailed_demand_is_no_notice_where_the_agreement_does_not_allow_email():
    # FOCUS (1999) names hand, fax, courier and mail only: the demand never takes effect, so no
    # payment falls due on it, and the statement says why.
    made = demanded(variant(), demand("2000-04-18T11:00:00-04:00", "email"))
    assert (made.effective, made.due, made.status) == (None, None, "not_applicable")
    assert made.effect == "the agreement does not allow notice by email"
    assert to_json(evaluate_variant(variant(), log(*NOT_FILED, demand("2000-04-18T11:00:00-04:00", "email")),
                                    "2000-06-30"))["liquidated_damages"]["roseworth"]["demands"][0]["effect"] == (
        "the agreement does not allow notice by email")


def test_an_emailed_demand_is_a_fax_where_the_agreement_allows_email():
    terms = variant(('mail = "on_receipt"', 'mail = "on_receipt"\nemail = "as_fax"'))
    made = demanded(terms, demand("2000-04-18T11:00:00-04:00", "email"))
    assert made.effective == D("2000-04-18")


@pytest.mark.parametrize(("edits", "drop", "effective"), [
    ((), (), "2000-04-19"),  # FOCUS: before opening is not "during normal business hours": the next day
    # PIPE-TERMS without before_hours: "the next recipient's business day at opening", that morning
    ((('before_hours = "next_business_day"', ""),), ("notice_before_hours",), "2000-04-18"),
])
def test_a_demand_faxed_at_eight_in_the_morning(edits, drop, effective):
    made = demanded(variant(*edits, drop=drop), demand("2000-04-18T08:00:00-04:00", "fax"))
    assert made.effective == D(effective)


def test_longer_business_hours_make_a_five_thirty_fax_effective_that_day():
    terms = variant(('business_hours = ["09:00", "17:00"]', 'business_hours = ["08:00", "18:00"]'))
    assert demanded(terms, demand("2000-04-18T17:30:00-04:00", "fax")).effective == D("2000-04-18")


# --- a notice takes effect where its recipient is -----------------------------------------------------

@pytest.mark.parametrize(("sent_at", "to", "effective"), [
    # Mon 2000-04-17 10:00 Boston = 16:00 Vaduz: Patriots' Day closes Boston, not Vaduz.
    ("2000-04-17T10:00:00-04:00", "raptor", "2000-04-18"),
    ("2000-04-17T10:00:00-04:00", "roseworth", "2000-04-17"),
    # 11:30 Boston = 17:30 Vaduz: after hours there, so Tue 04-18.
    ("2000-04-17T11:30:00-04:00", "roseworth", "2000-04-18"),
    # Whit Monday, 2000-06-12, 09:00 Boston = 15:00 Vaduz: a holiday in Vaduz, an ordinary Monday in Boston.
    ("2000-06-12T09:00:00-04:00", "raptor", "2000-06-12"),
    ("2000-06-12T09:00:00-04:00", "roseworth", "2000-06-13"),
])
def test_a_faxed_notice_takes_effect_on_the_recipients_business_day(sent_at, to, effective):
    assert notice_effect(variant(), notice(sent_at, "fax", to)).day == D(effective)


def test_a_notice_by_courier_to_vaduz_counts_liechtenstein_business_days():
    # Sent Fri 2000-06-09: Mon 06-12 is Whit Monday in Liechtenstein, so Tue 06-13; to Boston, Mon 06-12.
    assert notice_effect(variant(), notice("2000-06-09T12:00:00-04:00", "courier", "roseworth")).day == D(
        "2000-06-13")
    assert notice_effect(variant(), notice("2000-06-09T12:00:00-04:00", "courier", "raptor")).day == D("2000-06-12")


def test_a_notice_mailed_to_vaduz_three_business_days_on_skips_whit_monday():
    # Mailed Thu 2000-06-08: Fri 06-09 (1), [Whit Monday], Tue 06-13 (2), Wed 06-14 (3).
    effect = notice_effect(variant(MAIL_THREE_DAYS), notice("2000-06-08T12:00:00-04:00", "mail", "roseworth"))
    assert effect.day == D("2000-06-14")


def test_an_emailed_notice_is_no_notice_without_the_email_clause():
    effect = notice_effect(variant(), notice("2000-06-13T10:00:00-04:00", "email", "roseworth"))
    assert (effect.day, effect.reason) == (None, "the agreement does not allow notice by email")
