"""RRA 3(e): the per-investor LD statement and demand letter, as HTML and as a real PDF.

The FOCUS filing default (statement filed 2000-01-13, due 1999-12-27) gives
Raptor 16 default days, 1999-12-28 to 2000-01-12, at 1% of the daily market
value of 871,500 shares over a 31-day month period: $6,193.62. The PDFs are
typeset by WeasyPrint and read back with pypdf, so what a lawyer would see is
what is checked.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import re
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser

import pypdf
import pytest
from scenario import CLOSING, D, evaluate_focus, flat_quotes, focus_quotes, focus_terms, log

from pipedeal.base.formats import money
from pipedeal.engine.damages import cents
from pipedeal.outputs.documents import render_pdf, render_statement_html

FILED = {"type": "rs_filed", "date": "2000-01-13"}
NOTE = "Prices: bundled focus-1999/quotes.csv (ILLUSTRATIVE quotes, not market data)."
TODAY = D("2000-03-02")


class _Text(HTMLParser):
    """The text a reader sees: tags, <style> and <title> dropped, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return squash(" ".join(parser.parts))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pdf_pages(data: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def focus():
    return evaluate_focus(log(CLOSING, FILED), "2000-03-01")


@pytest.fixture(scope="module")
def statement(focus):
    return render_statement_html(focus, "raptor", data_note=NOTE)


@pytest.fixture(scope="module")
def statement_pdf(statement):
    return render_pdf(statement)


@pytest.fixture(scope="module")
def letter(focus):
    return render_statement_html(focus, "raptor", letter=True, today=TODAY, data_note=NOTE)


@pytest.fixture(scope="module")
def letter_pdf(letter):
    return render_pdf(letter)


def independent_total() -> Decimal:
    """871,500 shares x Σ closes of the 16 days (a closed day takes the last close before
    it) x 1% / 31, computed here from the quotes, not by the engine."""
    closes = {day: quote.close for day, quote in focus_quotes().as_mapping().items() if quote.close is not None}
    total = Fraction(0)
    day = D("1999-12-28")
    while day <= D("2000-01-12"):
        quoted = max(d for d in closes if d <= day)
        total += Fraction(closes[quoted])
        day += dt.timedelta(days=1)
    return cents(Fraction(871_500) * total * Fraction(1, 100) / 31)


KEY_STRINGS = (
    "Raptor Global Portfolio Ltd.",
    "RRA 3(e)",
    "1999-12-28",
    "2000-01-12",
    "$6,193.62",
    "rounded half-up once to the cent",
    "FOCUS Enhancements, Inc.",
    "600 Research Drive, Wilmington, MA 01887",
    "ILLUSTRATIVE quotes",
)


def test_statement_states_the_filing_default_and_the_total(focus, statement):
    text = text_of(statement)
    assert money(focus.damages["raptor"].accrued) == "$6,193.62" == f"${independent_total():,}"
    for wanted in KEY_STRINGS:
        assert wanted in text, wanted
    # the heading: the Company, the investor's notice address and fax, the agreement, the as-of date
    assert "c/o Tudor Investment Corporation, 40 Rowes Wharf" in text
    assert "Fax: (617) 737-1169" in text
    assert ("FOCUS Enhancements, Inc. Common Stock and Warrants Purchase Agreement, dated as of "
            "November 24, 1999") in text
    assert "as of 2000-03-01" in text
    # the default period table row: kind, first day, last day, days, clause
    assert "Filing 1999-12-28 2000-01-12 16 RRA 3(e)(i)" in text
    assert "1999-12-28 to 2000-01-12 (16 days)" in text
    # the computation row: from, to, days, month, month period, rate, shares, Σ prices, divisor, exact amount
    assert ("1999-12-28 2000-01-12 16 1 1999-12-28 to 2000-01-27 1% 871,500 $22.03125 31 "
            "days in the period $6,193.6239919355…") in text
    assert "Exact total of the rows (= 6,144,075/992) $6,193.6239919355…" in text
    assert "Rounded half-up once to the cent (the only rounding) $6,193.62" in text
    assert "Balance $6,193.62" in text
    assert "No demand recorded as of 2000-03-01" in text


def test_statement_quotes_the_clause_of_each_step(statement):
    text = text_of(statement)
    for quote in (
        '"the Registration Statement ... is not filed with the Commission within thirty (30) days',
        '"(regardless of whether one or more such Registration Defaults are then in existence)"',
        '"one percent (1%) of the aggregate market value ... for the first two months',
        '"The market value of the Common Stock for this purpose shall be the closing price',
        '"pay Investor (pro rated on a daily basis), as liquidated damages"',
        '"Payment of the liquidated damages shall be made to the Investors in cash, within five (5) calendar',
        '"until the earlier of ... (v) all Securities may be sold',
    ):
        assert quote in text, quote


def test_statement_names_the_interpretations_in_force(statement):
    text = text_of(statement)
    for key, value in (("ld_market_value", "daily_close"), ("ld_schedule_clock", "per_default_period"),
                       ("ld_day_count", "actual_days_in_period"), ("effectiveness_days", "120"),
                       ("roll_deadlines", "next_business_day"), ("rule144k_years", "2y")):
        assert re.search(rf"{key} .*? {value} terms file", text), key
    assert "A different reading of any of these keys changes the figure." in text


def test_statement_pdf_has_the_same_figures(statement_pdf):
    assert statement_pdf.startswith(b"%PDF")
    pages = pdf_pages(statement_pdf)
    text = " ".join(pages)
    for wanted in (*KEY_STRINGS, "16", "changes the figure", "Page 1 of"):
        assert wanted in text, wanted
    # the data note is a running footer: on every page
    assert len(pages) >= 2 and all("ILLUSTRATIVE quotes" in page for page in pages)


def test_demand_letter(letter, letter_pdf):
    text = text_of(letter)
    for wanted in (
        "March 2, 2000",
        "FOCUS Enhancements, Inc. Attention: Chris Ricci 600 Research Drive, Wilmington, MA 01887 "
        "Fax: (978) 661-0160",
        "Raptor Global Portfolio Ltd. hereby demands that the Company pay it the balance of $6,193.62 in cash "
        "within five (5) calendar days of this demand, that is, on or before March 7, 2000",
        "reasonable costs of collection",
        "December 28, 1999 through January 12, 2000",
        "Very truly yours, Raptor Global Portfolio Ltd.",
        # the statement follows as the enclosure
        "STATEMENT OF LIQUIDATED DAMAGES",
        "Rounded half-up once to the cent (the only rounding) $6,193.62",
    ):
        assert wanted in text, wanted
    assert letter_pdf.startswith(b"%PDF")
    pdf_text = " ".join(pdf_pages(letter_pdf))
    for wanted in ("$6,193.62", "five (5) calendar days", "600 Research Drive, Wilmington, MA 01887",
                   "March 7, 2000", "RRA 3(e)", "Raptor Global Portfolio Ltd."):
        assert wanted in pdf_text, wanted


def test_a_plain_statement_is_not_a_letter(statement):
    assert "hereby demands" not in statement
    assert "Ladies and Gentlemen" not in statement


def test_letter_needs_a_date_on_or_after_the_as_of_date_and_a_balance(focus):
    with pytest.raises(ValueError, match="today="):
        render_statement_html(focus, "raptor", letter=True)
    with pytest.raises(ValueError, match="before the figures' as-of date"):
        render_statement_html(focus, "raptor", letter=True, today=D("2000-02-29"))
    before_default = evaluate_focus(log(CLOSING, FILED), "1999-12-20")
    with pytest.raises(ValueError, match=r"nothing to demand.*\$0\.00"):
        render_statement_html(before_default, "raptor", letter=True, today=D("1999-12-20"))
    # ... while the statement itself says so
    text = text_of(render_statement_html(before_default, "raptor"))
    assert "No Registration Default days for this investor as of 1999-12-20." in text
    assert "Liquidated damages accrued through 1999-12-20 $0.00" in text


def test_unknown_investor_and_no_closing(focus):
    with pytest.raises(ValueError, match="no investor 'tudor'"):
        render_statement_html(focus, "tudor")
    with pytest.raises(ValueError, match="Closing is not recorded"):
        render_statement_html(evaluate_focus(log(), "2000-03-01"), "raptor")


def test_hostile_names_are_escaped():
    terms = focus_terms()
    hostile = "<script>alert('x')</script> & <b>Co</b>"
    investors = tuple(inv.model_copy(update={"name": hostile}) if inv.id == "raptor" else inv
                      for inv in terms.investors)
    company = terms.company.model_copy(update={"address": '1 "Main" St <img src=x onerror=alert(1)>'})
    evaluation = evaluate_focus(log(CLOSING, FILED), "2000-03-01",
                                terms=terms.model_copy(update={"investors": investors, "company": company}))
    html = render_statement_html(evaluation, "raptor", letter=True, today=TODAY, data_note="<i>note</i>")
    assert "<script>" not in html and "<img" not in html and "<b>Co" not in html and "<i>note" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    text = text_of(html)
    assert f"{hostile} hereby demands" in text
    assert '1 "Main" St <img src=x onerror=alert(1)>' in text
    pdf_text = " ".join(pdf_pages(render_pdf(html)))
    assert "<script>alert('x')</script>" in pdf_text


def test_demand_and_partial_payment_show_balance_and_due_date():
    evaluation = evaluate_focus(log(
        CLOSING, FILED,
        {"type": "ld_demand", "date": "2000-02-01", "investor": "raptor"},
        {"type": "ld_paid", "date": "2000-02-04", "investor": "raptor", "amount": "1000.00"},
    ), "2000-03-01")
    result = evaluation.damages["raptor"]
    assert (result.balance, result.due, result.overdue) == (Decimal("5193.62"), D("2000-02-06"), True)
    text = text_of(render_statement_html(evaluation, "raptor", today=TODAY))
    assert "Payment due 2000-02-06 overdue" in text
    assert "2000-02-01 $6,193.62 2000-02-06 $1,000.00 missed" in text  # demand, amount, due, paid by due
    assert "Demanded (latest demand) $6,193.62 Paid $1,000.00 Balance $5,193.62 Latest demand due 2000-02-06" in text
    assert "The latest demand was due 2000-02-06 and is not paid in full" in text
    assert '"If the Company does not remit the payment ... the Company will pay the Investors reasonable costs' in text
    letter = text_of(render_statement_html(evaluation, "raptor", letter=True, today=TODAY))
    assert "of which the Company has paid $1,000.00, leaving a balance of $5,193.62" in letter
    assert "the balance of $5,193.62 in cash within five (5) calendar days" in letter


def test_segments_across_month_periods_and_the_rate_step():
    """A filing default still running on 2000-04-15, at a flat $2.00 close: one row per
    month period, 1% in months 1-2 and 2% from month 3, each whole month = rate x shares x 2."""
    evaluation = evaluate_focus(log(CLOSING), "2000-04-15", quotes=flat_quotes("2.00"))
    segments = evaluation.damages["raptor"].segments
    assert [(s.first, s.rate) for s in segments] == [
        (D("1999-12-28"), Decimal("0.01")), (D("2000-01-28"), Decimal("0.01")),
        (D("2000-02-28"), Decimal("0.02")), (D("2000-03-28"), Decimal("0.02"))]
    html = render_statement_html(evaluation, "raptor")
    text = text_of(html)
    computation = html.split('class="computation"')[1].split("</table>")[0]
    assert computation.count("<tr>") == 1 + len(segments)
    assert "2000-02-28 2000-03-27 29 3 2000-02-28 to 2000-03-27 2% 871,500 $58.00 29" in text
    assert "$34,860.00" in text  # 2% x 871,500 x $2.00, a whole month
    assert "2000-03-28 2000-04-15 19 4" in text
    assert money(evaluation.damages["raptor"].accrued) in text
    assert "The default continues on the as-of date." in text
    assert "liquidated damages continue to accrue" in text_of(
        render_statement_html(evaluation, "raptor", letter=True, today=D("2000-04-15")))


def test_excluded_days_split_the_period_and_cite_their_clause():
    """RRA 4: Raptor's own delay 2000-01-02 to 2000-01-05 is not a default day for Raptor."""
    evaluation = evaluate_focus(log(
        CLOSING, {"type": "investor_delay", "date": "2000-01-02", "start": "2000-01-02", "end": "2000-01-05",
                  "investor": "raptor"}, FILED), "2000-03-01")
    text = text_of(render_statement_html(evaluation, "raptor"))
    assert "Filing 1999-12-28 2000-01-01 5 RRA 3(e)(i) Filing 2000-01-06 2000-01-12 7 RRA 3(e)(i)" in text
    assert "1999-12-28 to 2000-01-01 (5 days); 2000-01-06 to 2000-01-12 (7 days). Total 12 days." in text
    assert ('investor delay RRA 4 : "Any delay or delays caused by the Investors by failure to cooperate as '
            'required hereunder shall not constitute a Registration Default" 2000-01-02 2000-01-05 4') in text
    assert money(evaluation.damages["raptor"].accrued) in text
    # Roseworth did not delay: its 16 days stand and nothing is excluded
    other = text_of(render_statement_html(evaluation, "roseworth"))
    assert "1999-12-28 to 2000-01-12 (16 days)" in other and "None: no day" in other


def test_a_valid_repurchase_is_stated():
    """RRA 3(e)(A): elected and paid within five Trading Days of the first default day."""
    evaluation = evaluate_focus(log(CLOSING, {"type": "repurchase_elected", "date": "1999-12-29"},
                                    {"type": "repurchase_paid", "date": "1999-12-30"}), "2000-03-01")
    assert evaluation.repurchase.status == "valid"
    text = text_of(render_statement_html(evaluation, "raptor"))
    assert "The election is valid" in text
    assert "the repurchase price for this investor is $1,394,400.00" in text  # 871,500 x $1.60
    assert "Liquidated damages accrued through 2000-03-01 $0.00" in text
    assert '"The election to repurchase ... shall be made' in text


def test_other_readings_are_shown_with_their_divisor():
    evaluation = evaluate_focus(log(CLOSING, FILED), "2000-03-01", ld_day_count="thirty")
    text = text_of(render_statement_html(evaluation, "raptor"))
    assert "$22.03125 30 proration = thirty" in text
    assert re.search(r"ld_day_count .*? thirty command line actual_days_in_period, actual_365", text)
    assert money(evaluation.damages["raptor"].accrued) in text
    assert money(evaluation.damages["raptor"].accrued) != "$6,193.62"


def test_the_template_is_package_data(focus, tmp_path, monkeypatch):
    templates = importlib.resources.files("pipedeal.outputs.documents").joinpath("templates")
    assert templates.joinpath("ld_statement.html.j2").is_file()
    monkeypatch.chdir(tmp_path)
    assert "STATEMENT OF LIQUIDATED DAMAGES" in render_statement_html(focus, "raptor")


def test_no_data_note_no_footer(focus):
    html = render_statement_html(focus, "raptor")
    assert 'class="datanote"' not in html
