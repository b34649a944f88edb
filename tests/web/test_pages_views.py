"""The deal pages over HTTP (no browser): every page of every deal renders for the company with money
spelled with thousands separators and no inline style or script (CSP), an investor's pages never name
another investor, a write without the form's CSRF token is refused, and a ledger that does not verify
shows its banner, disables the forms and refuses the write with nothing recorded."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

DEAL = "focus-1999"
AS_OF = "2000-06-30"
HTML = {"accept": "text/html"}


def pages_of(web, deal: str, investors: list[str], as_of: str = AS_OF) -> list[str]:
    return [f"/deals/{deal}?as_of={as_of}", f"/deals/{deal}/warrants?as_of={as_of}", f"/deals/{deal}/events",
            f"/deals/{deal}/closing?as_of={as_of}",
            *(f"/deals/{deal}/damages/{investor}?as_of={as_of}" for investor in investors)]


def event_rows(text: str) -> int:
    return len(re.findall(r'<tr id="event-\d+">', text))


def break_a_quote(url: str, deal: str) -> None:
    """Edit one stored quote behind the ledger's back: ``verify`` then finds the chain broken."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            deal_id = connection.execute(sa.text("SELECT id FROM deals WHERE name = :name"), {"name": deal}).scalar()
            day = connection.execute(sa.text("SELECT MIN(date) FROM quotes WHERE deal_id = :deal"),
                                     {"deal": deal_id}).scalar()
            edited = connection.execute(
                sa.text("UPDATE quotes SET close = '9.5' WHERE deal_id = :deal AND date = :day"),
                {"deal": deal_id, "day": day})
            assert edited.rowcount == 1
    finally:
        engine.dispose()


def test_a_ledger_that_does_not_verify_shows_its_banner_disables_the_forms_and_refuses_writes(web):
    deal = "meridian-2006"  # no page of it has been read yet in this server: its state is not cached
    break_a_quote(web.db_url, deal)
    company = web.client(f"company:{deal}")
    page = company.get(f"/deals/{deal}/events", headers=HTML)
    assert page.status_code == 200
    assert "does not verify" in page.text and 'role="alert"' in page.text
    forms = page.text.count("<fieldset")
    assert forms > 20 and page.text.count("<fieldset disabled>") == forms
    count = event_rows(page.text)
    refused = company.post(f"/deals/{deal}/events", headers=HTML,
                           data={"csrf_token": company.csrf, "type": "closing", "date": "2006-01-02"})
    assert refused.status_code == 400 and "does not verify" in refused.text
    assert event_rows(company.get(f"/deals/{deal}/events", headers=HTML).text) == count


def test_every_page_of_every_deal_renders_for_the_company_with_the_figures_spelled_once(web):
    for deal, terms in web.terms.items():
        company = web.client(f"company:{deal}")
        signed = terms.deal.agreement_date
        investors = [entry.id for entry in terms.investors]
        # before the agreement (no damages account yet), a year after it, and today
        days = [str(signed.replace(day=1) - dt.timedelta(days=1)), str(signed.replace(year=signed.year + 1)), ""]
        for path in [path for day in days for path in pages_of(web, deal, investors, day)]:
            answer = company.get(path, headers=HTML)
            assert answer.status_code == 200, (path, answer.text[:300])
            assert "content-security-policy" in answer.headers
            assert not re.search(r"\sstyle=|<style|<script", answer.text), path
    overview = web.client(f"company:{DEAL}").get(f"/deals/{DEAL}?as_of={AS_OF}", headers=HTML).text
    assert "$1,394,400.00" in overview and "871,500" in overview  # base.formats: thousands separators
    assert "$6,193.62" in overview  # raptor's damages as of 2000-06-30 (the smoke test's API figure)


def test_an_investors_pages_and_downloads_never_name_another_investor(web):
    every = web.terms[DEAL].investors
    for entry in every:
        client = web.client(f"investor:{DEAL}:{entry.id}")
        others = [text for other in every if other.id != entry.id for text in (other.id, other.name)]
        for path in [*pages_of(web, DEAL, [entry.id]), "/"]:
            answer = client.get(path, headers=HTML)
            assert answer.status_code == 200, path
            for text in others:
                assert not re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", answer.text), (entry.id, path, text)
            assert entry.name in answer.text or path in ("/", f"/deals/{DEAL}/events"), path
        for other in every:
            if other.id != entry.id:
                assert client.get(f"/deals/{DEAL}/damages/{other.id}", headers=HTML).status_code == 404
                assert client.get(f"/deals/{DEAL}/damages/{other.id}/demand.pdf").status_code == 404


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(web):
    client = web.client(f"investor:{DEAL}:raptor")
    count = event_rows(client.get(f"/deals/{DEAL}/events", headers=HTML).text)
    sale = {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": "10"}
    assert client.post(f"/deals/{DEAL}/events", headers=HTML, data=sale).status_code == 403
    assert client.post(f"/deals/{DEAL}/events", headers=HTML, data={**sale, "csrf_token": "forged"}).status_code == 403
    assert event_rows(client.get(f"/deals/{DEAL}/events", headers=HTML).text) == count
    # an investor has no form for a type it may not record, whatever it posts
    other = client.post(f"/deals/{DEAL}/events", headers=HTML,
                        data={"csrf_token": client.csrf, "type": "rs_effective", "date": "2000-03-01"})
    assert other.status_code == 400 and "no form for the event type" in other.text
    assert event_rows(client.get(f"/deals/{DEAL}/events", headers=HTML).text) == count


def test_an_investor_previews_an_exercise_both_ways_and_downloads_the_notice_as_pdf_and_docx(web):
    import html
    import io
    import zipfile

    from pypdf import PdfReader

    from pipedeal.base.formats import money
    from pipedeal.interfaces.shared import exercise_outcomes
    from pipedeal.storage.workspace import calendars_for, load_inputs

    day = "2000-12-01"
    inputs = load_inputs(DEAL, db_url=web.db_url)
    outcomes = exercise_outcomes(inputs, calendars_for(inputs.terms), "W-1", "1000", day)
    cash = outcomes["cash"][1]
    client = web.client(f"investor:{DEAL}:raptor")
    preview = client.get(f"/deals/{DEAL}/warrants", headers=HTML,
                         params={"warrant": "W-1", "shares": "1000", "exercise_date": day})
    assert preview.status_code == 200
    assert money(cash.aggregate_price) in preview.text  # the cash price, computed here by the engine
    cashless = preview.text.split('class="outcome cashless"', 1)[1].split("</section>", 1)[0]
    _, result, problems = outcomes["cashless"]  # side by side: its figures, or why it is not allowed
    if result is not None:
        assert f"{result.shares_issued:,}" in cashless
    else:
        assert problems and html.escape(problems[0].message, quote=True) in cashless
    query = {"warrant": "W-1", "shares": "1000", "exercise_date": day, "method": "cash"}
    pdf = client.get(f"/deals/{DEAL}/warrants/exercise.pdf", params=query)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    text = " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(pdf.content)).pages)
    assert money(cash.aggregate_price) in text
    docx = client.get(f"/deals/{DEAL}/warrants/exercise.docx", params=query)
    assert docx.status_code == 200
    document = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    assert money(cash.aggregate_price) in document
    # another investor's certificate is not in its register: no form for it
    assert client.get(f"/deals/{DEAL}/warrants/exercise.pdf", params={**query, "warrant": "W-3"}).status_code == 404


def test_the_closing_checklist_page_shows_the_company_the_funds_flow_and_each_investor_only_its_own_wire(web):
    from pypdf import PdfReader

    company = web.client(f"company:{DEAL}")
    page = company.get(f"/deals/{DEAL}/closing?as_of={AS_OF}", headers=HTML)
    assert page.status_code == 200
    assert page.text.count('class="status-satisfied"') == 9 and page.text.count('class="status-delivered"') == 5
    for figure in ("$1,394,400.00", "$5,600.00", "$600,000.00", "$2,000,000.00", "$30,000.00", "$1,970,000.00"):
        assert figure in page.text, figure
    pdf = company.get(f"/deals/{DEAL}/closing/statement.pdf?as_of={AS_OF}")
    assert pdf.status_code == 200
    import io

    assert "$1,970,000.00" in " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(pdf.content)).pages)
    raptor = web.client(f"investor:{DEAL}:raptor")
    own = raptor.get(f"/deals/{DEAL}/closing?as_of={AS_OF}", headers=HTML)
    assert own.status_code == 200 and "$1,394,400.00" in own.text
    assert "$600,000.00" not in own.text and "$1,970,000.00" not in own.text and "$30,000.00" not in own.text
    assert own.text.count('class="status-delivered"') == 3  # its certificates, the instructions, the RRA
    own_pdf = raptor.get(f"/deals/{DEAL}/closing/statement.pdf?as_of={AS_OF}")
    assert own_pdf.status_code == 200
    text = " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(own_pdf.content)).pages)
    assert "$1,394,400.00" in text and "Roseworth" not in text and "$1,970,000.00" not in text
