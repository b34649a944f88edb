"""Exhibit A's warrant documents: Notice of Exercise (W 3, 4), Assignment Form (W 1, 7) and
Notice of Adjustment (W 13), each as HTML, as a real PDF (WeasyPrint, read back with
pypdf) and as a real DOCX (python-docx, read back with python-docx).

The figures are FOCUS's: W-1 is Raptor's Warrant for 87,150 Warrant Shares at $1.80125
(110% of the $1.6375 Market Price). The ``ExerciseResult`` and ``AdjustmentNotice``
values are built here, as the engine would fill them: a cash exercise of 50,000 shares
(50,000 × $1.80125 = $90,062.50); a cashless exercise of 10,000 with A = $3.00:
(3.00 − 1.80125) × 10,000 / 3.00 = 3,995 5/6 → 3,995 shares and 5/6 share in cash
($1.50 = 5/6 × $1.80125 to the cent, or $1.80 on the literal reading of W 4); a 3-for-2
split: 130,725 shares at $1.80125 × 2/3 = $1.2008333333 (10 places, half-up).
"""

from __future__ import annotations

import importlib.resources
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html.parser import HTMLParser

import docx
import pypdf
import pytest
from scenario import CLOSING, D, evaluate_focus, focus_terms, log

from pipedeal.engine.warrants import AdjustmentNotice, AdjustmentRow, ExerciseResult
from pipedeal.outputs.documents.ld_statement import render_pdf
from pipedeal.outputs.documents.warrant_forms import (
    adjustment_notice_docx,
    adjustment_notice_html,
    assignment_form_docx,
    assignment_form_html,
    exercise_notice_docx,
    exercise_notice_html,
)

B = Decimal("1.80125")
NOTE = "Prices: bundled focus-1999/quotes.csv (ILLUSTRATIVE quotes, not market data)."


# --- reading the three formats back ---------------------------------------------------------------

INLINE = frozenset({"span", "strong", "em", "b", "i", "q", "a"})


class _Text(HTMLParser):
    """The text a reader sees: tags, <style> and <title> dropped, entities decoded; a block
    tag separates words, an inline one (a filled-in blank) does not."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title")
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title")
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return squash("".join(parser.parts))


def pdf_text(html: str) -> str:
    data = render_pdf(html)
    assert data.startswith(b"%PDF")
    return squash(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def docx_text(data: bytes) -> str:
    assert data.startswith(b"PK")  # a zip package
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return squash(" ".join(parts))


def assert_all(text: str, wanted: tuple[str, ...], where: str) -> None:
    missing = [item for item in wanted if item not in text]
    assert not missing, f"{where} lacks {missing}"


# --- the FOCUS register and the engine's values -----------------------------------------------------

@pytest.fixture(scope="module")
def focus():
    """The register after the Closing: W-1 Raptor 87,150, W-2 Altar Rock 350, W-3 Roseworth 37,500."""
    evaluation = evaluate_focus(log(CLOSING), "2000-03-01")
    assert evaluation.pricing.exercise_price == B
    return evaluation


@pytest.fixture(scope="module")
def a_year_on():
    """2000-12-01, more than a year after issue and with no registration in effect: cashless allowed."""
    return evaluate_focus(log(CLOSING), "2000-12-01")


def cash_result(**changes) -> ExerciseResult:
    values = dict(
        warrant="W-1", holder="raptor", date=D("2000-03-01"), method="cash",
        shares_exercised=Fraction(50_000), exercise_price=B, aggregate_price=Decimal("90062.50"),
        average_price=None, average_price_day=None, shares_due=Fraction(50_000), shares_issued=50_000,
        fraction=Fraction(0), fraction_cash=Decimal("0.00"), other_property=(), remainder_certificate="W-4",
        delivery_due=D("2000-03-06"), holding_period_start=D("2000-03-01"),
        computation=("W 3: aggregate Exercise Price = 50,000 × $1.80125 = $90,062.50",
                     "W 3: a new Warrant W-4 for the 37,150 unpurchased shares"),
    )
    return ExerciseResult(**{**values, **changes})


def cashless_result(fraction_cash: str = "1.50") -> ExerciseResult:
    shares_due = (Fraction(3) - Fraction(B)) * 10_000 / 3  # (A - B) x X / A
    assert shares_due == Fraction(23_975, 6) and shares_due - 3_995 == Fraction(5, 6)
    # W 4, fraction x Exercise Price: 5/6 x $1.80125 = $1.5010416... -> $1.50 (the literal reading: $1.80)
    assert round(Fraction(5, 6) * Fraction(B), 2) == Fraction(150, 100)
    return ExerciseResult(
        warrant="W-1", holder="raptor", date=D("2000-12-01"), method="cashless",
        shares_exercised=Fraction(10_000), exercise_price=B, aggregate_price=Decimal("0"),
        average_price=Decimal("3.00"), average_price_day=D("2000-11-30"), shares_due=shares_due,
        shares_issued=3_995, fraction=Fraction(5, 6), fraction_cash=Decimal(fraction_cash), other_property=(),
        remainder_certificate="W-4", delivery_due=D("2000-12-06"), holding_period_start=D("1999-11-24"),
        computation=("W 3: A = ($3.00 high + $3.00 low) / 2 on 2000-11-30 = $3.00",
                     "W 3: (A − B) × X / A = ($3.00 − $1.80125) × 10,000 / $3.00 = 23,975/6",
                     "W 4: 3,995 whole shares; 5/6 share paid in cash"),
    )


def split_notice() -> AdjustmentNotice:
    after = (B * 2 / 3).quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP)
    assert after == Decimal("1.2008333333")
    rows = tuple(AdjustmentRow(warrant, holder, Fraction(before), Fraction(before) * Fraction(3, 2), B, after)
                 for warrant, holder, before in (("W-1", "raptor", 87_150), ("W-2", "altar-rock", 350),
                                                 ("W-3", "roseworth", 37_500)))
    return AdjustmentNotice(
        kind="stock_split", clause="W 11(a)(ii)", date=D("2000-06-01"), record_date=D("2000-05-15"),
        effective_from=D("2000-05-15"),
        facts="The Company subdivided its outstanding shares of Common Stock into a greater number of shares: "
              "a 3-for-2 stock split, effective 2000-06-01, to holders of record on 2000-05-15.",
        computation=("Warrant Shares × 3/2: 87,150 × 3/2 = 130,725",
                     "Exercise Price × 87,150 / 130,725 = $1.80125 × 2/3 = $1.2008333333 (10 places, half-up)"),
        rows=rows,
    )


# --- 1. Notice of Exercise ------------------------------------------------------------------------

CASH_STRINGS = (
    "NOTICE OF EXERCISE",
    "To: FOCUS ENHANCEMENTS, INC.",
    "600 Research Drive, Wilmington, MA 01887",
    "The undersigned hereby elects to purchase 50,000 shares of Common Stock",
    "pursuant to the terms of the attached Warrant (Warrant W-1)",
    "tenders herewith payment of the exercise price in full, together with all applicable transfer taxes, if any.",
    "$90,062.50 (50,000 × $1.80125)",
    "wire transfer or cashier's check drawn on a United States bank",
    "Please issue a certificate or certificates representing said shares of Common Stock",
    "Raptor Global Portfolio Ltd.",
    "c/o Tudor Investment Corporation, 40 Rowes Wharf, 2nd Floor, Boston, MA 02110",
    "March 1, 2000",
    "Signature",
    "87,150 Warrant Shares",
    "2000-03-06",
    "W-4 for 37,150 Warrant Shares",
    "W 3",
)


def test_cash_exercise_notice_in_three_formats(focus):
    html = exercise_notice_html(focus, cash_result())
    text = html_text(html)
    assert_all(text, CASH_STRINGS, "HTML")
    assert "Dated: March 1, 2000" in text
    assert "(1) The undersigned hereby elects" in text
    assert "Aggregate Exercise Price tendered $90,062.50 (50,000 × $1.80125) W 3, W 8" in text
    assert "Certificates due 2000-03-06 (within three (3) Trading Days) W 3" in text
    assert "W 3: aggregate Exercise Price = 50,000 × $1.80125 = $90,062.50" in text  # the engine's steps
    assert "cashless" not in text.lower().replace("cash exercise", "")  # no cashless wording
    assert "W 4" not in text  # no fraction: no W 4 row
    assert_all(pdf_text(html), CASH_STRINGS, "PDF")
    assert_all(docx_text(exercise_notice_docx(focus, cash_result())), CASH_STRINGS, "DOCX")


CASHLESS_STRINGS = (
    "NOTICE OF EXERCISE",
    "Cashless exercise — Warrant Section 3 (W 3), Section 4 (W 4)",
    "pursuant to the terms of the attached Warrant (Warrant W-1)",
    "\"cashless exercise\" under Section 3 of the Warrant as to 10,000 Warrant Shares",
    "the quotient obtained by dividing [(A-B) (X)] by (A)",
    "the average of the high and low trading prices per share of Common Stock on the Trading Day preceding "
    "the date of such election",
    "$3.00 (Trading Day 2000-11-30)",
    "the Exercise Price of the Warrant",
    "$1.80125",
    "($3.00 − $1.80125) × 10,000 ÷ $3.00",
    "3,995.8333333333… shares (= 23,975/6)",
    "Shares of Common Stock to be issued 3,995",
    "0.8333333333… share: $1.50 (the fraction × the Exercise Price of $1.80125, to the cent",
    "fraction_cash = fraction_times_exercise_price",
    "W 4",
    "none: cashless exercise",
    "1999-11-24 (cashless: tacks to the issue date)",
    "December 1, 2000",
    "Raptor Global Portfolio Ltd.",
)


def test_cashless_exercise_notice_shows_the_formula_and_the_fraction(a_year_on):
    result = cashless_result()
    html = exercise_notice_html(a_year_on, result, data_note=NOTE)
    text = html_text(html)
    assert_all(text, CASHLESS_STRINGS, "HTML")
    assert "tenders herewith" not in text  # nothing is tendered
    assert "cashless_test" in text and "at_election" in text
    assert '"No fractional shares or scrip representing fractional shares shall be issued' in text
    pdf = pdf_text(html)
    assert_all(pdf, (*CASHLESS_STRINGS, "ILLUSTRATIVE quotes"), "PDF")
    words = docx_text(exercise_notice_docx(a_year_on, result, data_note=NOTE))
    assert_all(words, (*CASHLESS_STRINGS, "ILLUSTRATIVE quotes"), "DOCX")


def test_cashless_fraction_on_the_literal_reading(a_year_on):
    """W 4 "an amount equal to the Exercise Price": the form prints what the result carries."""
    literal = evaluate_focus(log(CLOSING), "2000-12-01", fraction_cash="literal_exercise_price")
    result = cashless_result("1.80")
    wanted = ("0.8333333333… share: $1.80", "\"an amount equal to the Exercise Price\"",
              "fraction_cash = literal_exercise_price")
    assert_all(html_text(exercise_notice_html(literal, result)), wanted, "HTML")
    assert_all(docx_text(exercise_notice_docx(literal, result)), wanted, "DOCX")


def test_a_recorded_exercise_reads_the_remainder_from_the_register():
    """The ledger already holds the exercise: W-1 is closed that day and W-4 is on the register."""
    evaluation = evaluate_focus(log(CLOSING, {"type": "warrant_exercise", "date": "2000-03-01", "warrant": "W-1",
                                              "shares": 50_000, "method": "cash"}), "2000-03-01")
    assert evaluation.state.certificates["W-1"].status == "exercised"
    assert evaluation.state.certificates["W-4"].shares == 37_150
    text = html_text(exercise_notice_html(evaluation, cash_result()))
    assert "W-4 for 37,150 Warrant Shares" in text
    assert "W-1, issued 1999-11-24, for 87,150 Warrant Shares" in text


def test_exercise_notice_refuses_what_the_register_contradicts(focus):
    with pytest.raises(ValueError, match="no warrant 'W-9'"):
        exercise_notice_html(focus, cash_result(warrant="W-9"))
    with pytest.raises(ValueError, match="registered to 'raptor', not 'roseworth'"):
        exercise_notice_html(focus, cash_result(holder="roseworth"))
    with pytest.raises(ValueError, match="unknown exercise method"):
        exercise_notice_docx(focus, cash_result(method="barter"))
    exercised = evaluate_focus(log(CLOSING, {"type": "warrant_exercise", "date": "2000-02-01", "warrant": "W-1",
                                             "shares": 87_150, "method": "cash"}), "2000-03-01")
    with pytest.raises(ValueError, match="W-1 was exercised on 2000-02-01"):
        exercise_notice_html(exercised, cash_result())
    with pytest.raises(ValueError, match="a cashless exercise needs A"):
        exercise_notice_html(focus, cash_result(method="cashless"))


# --- 2. Assignment Form ---------------------------------------------------------------------------

ASSIGNMENT_STRINGS = (
    "ASSIGNMENT FORM",
    "(To assign the foregoing warrant, execute this form and supply required information. "
    "Do not use this form to exercise the warrant.)",
    "FOR VALUE RECEIVED, the foregoing Warrant and all rights evidenced thereby are hereby assigned to",
    "Roseworth Group, Ltd. whose address is",
    "c/o Dr. Dr. Batliner & Partner, Aeulestrasse 74, Postfach 86, FL-9490 Vaduz, Liechtenstein",
    "in part: as to 40,000 of the 87,150 Warrant Shares of Warrant W-1",
    "47,150 Warrant Shares",
    "Dated: April 3, 2000",
    "Holder's Signature:",
    "Raptor Global Portfolio Ltd.",
    "Holder's Address:",
    "c/o Tudor Investment Corporation, 40 Rowes Wharf, 2nd Floor, Boston, MA 02110",
    "Signature Guaranteed:",
    "NOTE: The signature to this Assignment Form must correspond with the name as it appears on the face of the "
    "Warrant, without alteration or enlargement or any change whatsoever, and must be guaranteed by a bank or "
    "trust company.",
    "W 1",
    "W 7(a)",
    "W 7(d)",
)


def test_assignment_form_in_part_in_three_formats(focus):
    html = assignment_form_html(focus, "W-1", "roseworth", 40_000, D("2000-04-03"))
    text = html_text(html)
    assert_all(text, ASSIGNMENT_STRINGS, "HTML")
    assert "New Warrant to Roseworth Group, Ltd. 40,000 Warrant Shares W 7(a)" in text
    assert "New Warrant to Raptor Global Portfolio Ltd. (the portion not assigned) 47,150 Warrant Shares" in text
    assert '"Prior to the Termination Date and subject to compliance with applicable laws' in text
    assert_all(pdf_text(html), ASSIGNMENT_STRINGS, "PDF")
    data = assignment_form_docx(focus, "W-1", "roseworth", 40_000, D("2000-04-03"))
    assert_all(docx_text(data), ASSIGNMENT_STRINGS, "DOCX")


def test_assignment_of_the_whole_warrant(focus):
    text = html_text(assignment_form_html(focus, "W-3", "raptor", Fraction(37_500), D("2000-04-03")))
    assert "in whole: as to all 37,500 Warrant Shares of Warrant W-3" in text
    assert "Roseworth Group, Ltd." in text and "portion not assigned" not in text


def test_assignment_refusals(focus):
    with pytest.raises(ValueError, match="cannot assign 90,000"):
        assignment_form_html(focus, "W-1", "roseworth", 90_000, D("2000-04-03"))
    with pytest.raises(ValueError, match="must be positive"):
        assignment_form_docx(focus, "W-1", "roseworth", 0, D("2000-04-03"))
    with pytest.raises(ValueError, match="no party 'nobody'"):
        assignment_form_html(focus, "W-1", "nobody", 1_000, D("2000-04-03"))
    with pytest.raises(ValueError, match="already holds W-1"):
        assignment_form_html(focus, "W-1", "raptor", 1_000, D("2000-04-03"))
    with pytest.raises(ValueError, match="prior to the Termination Date"):
        assignment_form_html(focus, "W-1", "roseworth", 1_000, D("2004-12-02"))
    with pytest.raises(ValueError, match="before warrant W-1 was issued"):
        assignment_form_html(focus, "W-1", "roseworth", 1_000, D("1999-11-01"))


# --- 3. Notice of Adjustment ------------------------------------------------------------------------

ADJUSTMENT_STRINGS = (
    "NOTICE OF ADJUSTMENT",
    "FOCUS Enhancements, Inc.",
    "600 Research Drive, Wilmington, MA 01887",
    "Raptor Global Portfolio Ltd.",
    "c/o Tudor Investment Corporation, 40 Rowes Wharf, 2nd Floor, Boston, MA 02110",
    "BY REGISTERED OR CERTIFIED MAIL, RETURN RECEIPT REQUESTED",
    "Sent by registered or certified mail, return receipt requested (W 13)",
    "Stock split: subdivision of the outstanding Common Stock (W 11(a)(ii))",
    "a 3-for-2 stock split, effective 2000-06-01, to holders of record on 2000-05-15",
    "Exercise Price × 87,150 / 130,725 = $1.80125 × 2/3 = $1.2008333333",
    "W-1",
    "87,150",
    "130,725",
    "$1.80125",
    "$1.2008333333",
    "retroactive to its record date, May 15, 2000: it applies from 2000-05-15",
    "Such notice, in the absence of manifest error, shall be conclusive evidence of the correctness of such "
    "adjustment.",
    "W 13",
    "Date: June 5, 2000",
)


def test_adjustment_notice_to_one_holder_in_three_formats():
    evaluation = evaluate_focus(log(CLOSING, {"type": "stock_split", "date": "2000-06-01",
                                              "record_date": "2000-05-15", "ratio": "3:2"}), "2000-06-30")
    assert evaluation.state.certificates["W-1"].shares == 130_725  # the register agrees with the notice
    notice = split_notice()
    html = adjustment_notice_html(evaluation, notice, "raptor", today=D("2000-06-05"))
    text = html_text(html)
    assert_all(text, ADJUSTMENT_STRINGS, "HTML")
    assert "W-1 Raptor Global Portfolio Ltd. 87,150 130,725 $1.80125 $1.2008333333" in text  # the row
    assert "Roseworth" not in text and "W-3" not in text  # one holder's notice: its rows only
    assert '"An adjustment made pursuant to this paragraph shall become effective immediately after' in text
    assert_all(pdf_text(html), ADJUSTMENT_STRINGS, "PDF")
    data = adjustment_notice_docx(evaluation, notice, "raptor", today=D("2000-06-05"))
    words = docx_text(data)
    assert_all(words, ADJUSTMENT_STRINGS, "DOCX")
    assert "W-1 Raptor Global Portfolio Ltd. 87,150 130,725 $1.80125 $1.2008333333" in words
    assert "Roseworth" not in words


def test_adjustment_notice_to_all_holders(focus):
    notice = split_notice()
    text = html_text(adjustment_notice_html(focus, notice))
    for row in ("W-1 Raptor Global Portfolio Ltd. 87,150 130,725 $1.80125 $1.2008333333",
                "W-2 Altar Rock Fund L.P. 350 525 $1.80125 $1.2008333333",
                "W-3 Roseworth Group, Ltd. 37,500 56,250 $1.80125 $1.2008333333"):
        assert row in text, row
    assert "To the holder of each Warrant listed below" in text
    assert "Date: ____" in text  # no clock: undated unless today= is given
    words = docx_text(adjustment_notice_docx(focus, notice))
    assert "W-3 Roseworth Group, Ltd. 37,500 56,250 $1.80125 $1.2008333333" in words


def test_merger_notice_lists_the_other_property(focus):
    rows = (AdjustmentRow("W-1", "raptor", Fraction(87_150), Fraction(87_150), B, B),)
    notice = AdjustmentNotice(
        kind="merger", clause="W 11 (reorganization)", date=D("2001-03-01"), record_date=None,
        effective_from=D("2001-03-01"),
        facts="The Company merged into Acme Video Corp.; each share of Common Stock became 0.25 share of Acme "
              "common stock and $1.10 in cash.",
        computation=("Other Property per Warrant Share: 0.25 Acme share and $1.10 cash",),
        rows=rows, other_property=(("shares of Acme Video Corp. common stock", Decimal("0.25")),
                                   ("US dollars in cash", Decimal("1.10"))))
    wanted = ("Reorganization, merger or consolidation: Other Property",
              "21,787.5 shares of Acme Video Corp. common stock; 95,865 US dollars in cash",
              "Other Property per Warrant Share: 0.25 shares of Acme Video Corp. common stock; 1.1 US dollars",
              "Other Property after", "conclusive evidence of the correctness of such adjustment")
    html = adjustment_notice_html(focus, notice, "raptor")
    assert_all(html_text(html), wanted, "HTML")
    assert_all(docx_text(adjustment_notice_docx(focus, notice, "raptor")), wanted, "DOCX")


def test_price_reduction_notice_states_the_period(focus):
    rows = (AdjustmentRow("W-3", "roseworth", Fraction(37_500), Fraction(37_500), B, Decimal("1.25")),)
    notice = AdjustmentNotice(
        kind="price_reduction", clause="W 12", date=D("2000-09-01"), record_date=None,
        effective_from=D("2000-09-01"), until=D("2000-09-30"),
        facts="The Board of Directors reduced the Exercise Price to $1.25 for September 2000.",
        computation=("W 12: $1.80125 reduced to $1.25 from 2000-09-01 through 2000-09-30",), rows=rows)
    wanted = ("Reduced Exercise Price (2000-09-01 to 2000-09-30)", "W-3 Roseworth Group, Ltd. 37,500 37,500 "
              "$1.80125 $1.25", "through September 30, 2000", "reduce the then current Exercise Price to any amount",
              "Section 12 of the Warrant (W 12)")
    assert_all(html_text(adjustment_notice_html(focus, notice)), wanted, "HTML")
    assert_all(docx_text(adjustment_notice_docx(focus, notice)), wanted, "DOCX")


def test_adjustment_refusals(focus):
    notice = split_notice()
    with pytest.raises(ValueError, match="no party 'tudor'"):
        adjustment_notice_html(focus, notice, "tudor")
    with pytest.raises(ValueError, match="lists no warrant of 'sullivan-worcester'"):
        adjustment_notice_docx(focus, notice, "sullivan-worcester")
    with pytest.raises(ValueError, match="before the adjustment's effective date"):
        adjustment_notice_html(focus, notice, today=D("2000-05-31"))


# --- escaping, package data, formatting ------------------------------------------------------------

def test_hostile_names_are_escaped_in_html_and_kept_in_pdf_and_docx():
    terms = focus_terms()
    hostile = "<script>alert('x')</script> & <b>Co</b>"
    investors = tuple(inv.model_copy(update={"name": hostile}) if inv.id == "raptor" else inv
                      for inv in terms.investors)
    company = terms.company.model_copy(update={"address": '1 "Main" St <img src=x onerror=alert(1)>'})
    evaluation = evaluate_focus(log(CLOSING), "2000-03-01",
                                terms=terms.model_copy(update={"investors": investors, "company": company}))
    documents = (
        (exercise_notice_html(evaluation, cash_result(), data_note="<i>note</i>"),
         exercise_notice_docx(evaluation, cash_result())),
        (assignment_form_html(evaluation, "W-1", "roseworth", 1_000, D("2000-04-03")),
         assignment_form_docx(evaluation, "W-1", "roseworth", 1_000, D("2000-04-03"))),
        (adjustment_notice_html(evaluation, split_notice(), "raptor"),
         adjustment_notice_docx(evaluation, split_notice(), "raptor")),
    )
    for html, data in documents:
        assert "<script>" not in html and "<img" not in html and "<b>Co" not in html and "<i>note" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
        assert hostile in html_text(html)
        assert hostile in docx_text(data)
    assert '1 "Main" St <img src=x onerror=alert(1)>' in html_text(documents[0][0])
    assert "<script>alert('x')</script>" in pdf_text(documents[2][0])


def test_the_templates_are_package_data(focus, tmp_path, monkeypatch):
    templates = importlib.resources.files("pipedeal.outputs.documents").joinpath("templates")
    for name in ("warrant_exercise_notice.html.j2", "warrant_assignment_form.html.j2",
                 "warrant_adjustment_notice.html.j2", "warrant_forms_macros.html.j2", "warrant_forms.css"):
        assert templates.joinpath(name).is_file(), name
    monkeypatch.chdir(tmp_path)
    assert "ASSIGNMENT FORM" in assignment_form_html(focus, "W-2", "raptor", 350, D("2000-04-03"))


def test_docx_is_a_real_word_document(focus):
    document = docx.Document(io.BytesIO(exercise_notice_docx(focus, cash_result(), data_note=NOTE)))
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == "NOTICE OF EXERCISE"
    assert document.core_properties.title == "Notice of Exercise — W-1 — Raptor Global Portfolio Ltd."
    assert any(p.style.name.startswith("Heading") for p in document.paragraphs)
    assert len(document.tables) >= 2
    header = [cell.text for cell in document.tables[0].rows[0].cells]
    assert header == ["Payment", "Amount", "Clause"]
    assert document.sections[0].page_width == docx.shared.Inches(8.5)
    assert "ILLUSTRATIVE" in document.sections[0].footer.paragraphs[0].text
    # the filled blanks are marked: underlined runs
    filled = [run.text for p in document.paragraphs for run in p.runs if run.underline]
    assert "50,000" in filled and "Warrant W-1" in filled
