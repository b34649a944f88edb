"""The workspace in a real browser (Debian's Chromium driven by Playwright), on SQLite and PostgreSQL:
the company and each investor of focus-1999 sign in through the form, read the dashboard and the
deal's pages, an investor records a sale through the events form and sees its damages move by exactly
what the engine computes, a bad date comes back beside its field with nothing written, a statement
downloads as a PDF holding the investor's figure, and another investor's pages and another deal are
not found. A screenshot of each page is written under the run's ``screenshots/`` folder."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipedeal.base.formats import money
from pipedeal.storage.workspace import load_inputs
from web.conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
DEAL = "focus-1999"
AS_OF = "2000-06-30"

if not Path(CHROMIUM).exists():  # scripts/setup installs it (apt-get install chromium)
    pytest.skip(f"{CHROMIUM} is not installed: run scripts/setup", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots(request, web, tmp_path_factory) -> Path | None:
    """The run's ``screenshots/`` folder, in pytest's cache folder (kept after the run, where the numbered
    temporary folders of later runs would be removed; in a temporary folder when the cache is off, ``-p
    no:cacheprovider``). Taken on SQLite only, the ledger ``pipedeal serve`` opens by default: the pages
    are the same on PostgreSQL, and a full-page screenshot costs a fifth of this module's time."""
    if not web.db_url.startswith("sqlite"):
        return None
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("screenshots") if cache is not None else tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


def snap(page, folder: Path | None, name: str, full_page: bool = True) -> None:
    """A screenshot of ``page`` as ``folder/name`` (none when the run takes none)."""
    if folder is not None:
        page.screenshot(path=folder / name, full_page=full_page)


def signed_in(browser, web, key: str, screenshot: Path | None = None):
    """A fresh browser context signed in as ``web.users[key]`` through the sign-in form."""
    context = browser.new_context(base_url=web.base_url, accept_downloads=True)
    page = context.new_page()
    page.goto("/login")
    if screenshot is not None:
        page.screenshot(path=screenshot)
    page.fill("#email", web.users[key].email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def others(web, investor: str) -> list[str]:
    """The ids and names of focus-1999's investors but ``investor``: what its pages must never show."""
    return [text for entry in web.terms[DEAL].investors if entry.id != investor for text in (entry.id, entry.name)]


def expected_accrued(web, investor: str, extra_event=None) -> str:
    """The investor's damages as of AS_OF, computed in this process by the engine from the ledger the server
    reads (with ``extra_event`` added, as if recorded), spelled as the pages spell money."""
    from pipedeal.engine.evaluate import evaluate
    from pipedeal.engine.timeline import Located
    from pipedeal.outputs.report import to_json
    from pipedeal.storage.workspace import calendars_for

    inputs = load_inputs(DEAL, db_url=web.db_url)
    events = [*inputs.events, *([Located(extra_event, "test", None)] if extra_event else [])]
    evaluation = evaluate(inputs.terms, events, inputs.quotes, calendars_for(inputs.terms),
                          dt.date.fromisoformat(AS_OF))
    return money(to_json(evaluation)["liquidated_damages"][investor]["accrued"])


def ledger_rows(page) -> int:
    return page.locator("tr[id^='event-']").count()


def test_the_company_and_each_investor_sign_in_and_read_the_dashboard_and_the_deal(browser, web, screenshots):
    investors = [entry.id for entry in web.terms[DEAL].investors]
    for key in [f"company:{DEAL}", *(f"investor:{DEAL}:{investor}" for investor in investors)]:
        who = key.rsplit(":", 1)[1]
        page = signed_in(browser, web, key, screenshots / "login.png" if screenshots and key.startswith("company:")
                         else None)
        assert page.locator("h1").inner_text() == "Obligations"
        assert page.locator("table.obligations tbody tr").count() >= 1
        assert web.users[key].email in page.locator(".who").inner_text()
        snap(page, screenshots, f"dashboard-{who}.png")
        # the dashboard's row links to the obligation's computation on the deal page
        page.click("table.obligations tbody tr td:nth-child(4) a >> nth=0")
        anchor = page.url.rsplit("#", 1)[1]
        assert page.locator(f"[id='{anchor}'] ol li").count() >= 1
        page.goto(f"/deals/{DEAL}?as_of={AS_OF}")
        body = page.locator("main").inner_text()
        assert "FOCUS Enhancements, Inc." in body  # the company is a party every viewer sees
        assert page.locator("figure.chart svg").count() == 2  # the timeline and the damages by month
        assert page.locator("svg[style], svg [style]").count() == 0  # CSP: no inline style
        seen = sorted(page.locator("table.by-month thead th").all_inner_texts()[1:])
        if key.startswith("investor:"):
            own = next(entry for entry in web.terms[DEAL].investors if entry.id == who)
            assert seen == [own.name]
            assert page.locator("td.ld-accrued").inner_text() == expected_accrued(web, who)
            html = page.content()
            for text in others(web, who):
                assert not re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", html), text
        else:
            assert seen == sorted(entry.name for entry in web.terms[DEAL].investors)
        # the as-of date is kept in the links between the deal's pages
        page.click("nav.deal-nav >> text=Warrants")
        assert f"as_of={AS_OF}" in page.url
        snap(page, screenshots, f"warrants-{who}.png")
        page.goto(f"/deals/{DEAL}?as_of={AS_OF}")
        snap(page, screenshots, f"deal-{who}.png")
        if key.startswith("company:"):
            page.click("nav.deal-nav >> text=Events")
            assert page.locator("details.event-form").count() > 20  # every type for the company
            snap(page, screenshots, "events-company.png")
        page.context.close()


def test_an_investor_records_a_sale_through_the_form_and_sees_its_damages_change(browser, web, screenshots):
    from pipedeal.engine.events import parse_event

    investor = "roseworth"
    before = expected_accrued(web, investor)
    sale = {"type": "shares_sold", "date": "1999-12-30", "investor": investor, "shares": 100000}
    after = expected_accrued(web, investor, parse_event(sale))
    assert after != before  # a sale inside the filing default must lower the damages

    page = signed_in(browser, web, f"investor:{DEAL}:{investor}")
    page.goto(f"/deals/{DEAL}/damages/{investor}?as_of={AS_OF}")
    assert page.locator("#accrued").inner_text() == before
    page.click("nav.deal-nav >> text=Events")
    count = ledger_rows(page)
    page.click("#form-shares_sold summary")
    form = page.locator("#form-shares_sold form")
    assert form.locator("[name=investor]").input_value() == investor  # fixed to itself
    form.locator("[name=date]").fill(sale["date"])
    form.locator("[name=shares]").fill(str(sale["shares"]))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"recorded=\d+"))
    assert ledger_rows(page) == count + 1
    row = page.locator("tr[id^='event-']").last
    assert "shares_sold" in row.inner_text() and web.users[f"investor:{DEAL}:{investor}"].email in row.inner_text()
    snap(page, screenshots, "events-after-sale.png")

    page.click(f"nav.deal-nav >> text=Damages: {investor}")
    assert page.locator("#accrued").inner_text() == after
    snap(page, screenshots, "damages-after-sale.png")
    page.goto(f"/deals/{DEAL}?as_of={AS_OF}")
    assert page.locator("td.ld-accrued").inner_text() == after
    page.context.close()


def test_a_bad_date_is_shown_beside_its_field_and_nothing_is_written(browser, web, screenshots):
    page = signed_in(browser, web, f"investor:{DEAL}:raptor")
    page.goto(f"/deals/{DEAL}/events")
    count = ledger_rows(page)
    page.click("#form-ld_demand summary")
    form = page.locator("#form-ld_demand form")
    date = form.locator("[name=date]")
    date.evaluate("input => { input.type = 'text'; }")  # as a browser without a date picker sends it
    date.fill("2000-02-30")
    form.locator("[name=method]").select_option("fax")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    error = page.locator("#ld_demand-date-error")
    assert "not a valid date" in error.inner_text()
    assert page.locator("#form-ld_demand").get_attribute("open") is not None
    assert page.locator("#form-ld_demand [name=date]").input_value() == "2000-02-30"  # the values are kept
    assert page.locator("#form-ld_demand [name=method]").input_value() == "fax"
    assert ledger_rows(page) == count
    snap(page, screenshots, "events-field-error.png")
    page.goto(f"/deals/{DEAL}/events")
    assert ledger_rows(page) == count
    page.context.close()


def test_an_investor_downloads_its_statement_as_a_pdf_with_its_figure(browser, web, screenshots):
    from pypdf import PdfReader

    investor = "altar-rock"
    page = signed_in(browser, web, f"investor:{DEAL}:{investor}")
    page.goto(f"/deals/{DEAL}/damages/{investor}?as_of={AS_OF}")
    figure = expected_accrued(web, investor)
    assert page.locator("#accrued").inner_text() == figure
    assert page.locator("table.steps tbody tr").count() >= 3
    assert page.locator("table.ambiguities tbody tr").count() >= 2
    snap(page, screenshots, "damages.png")
    with page.expect_download() as waiting:
        page.click("text=the statement (PDF)")
    download = waiting.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(data)).pages)
    assert figure in text
    for other in others(web, investor):
        assert other not in text
    page.context.close()


def test_an_investor_cannot_reach_another_investors_pages_nor_another_deal(browser, web, screenshots):
    page = signed_in(browser, web, f"investor:{DEAL}:raptor")
    for path in (f"/deals/{DEAL}/damages/roseworth", f"/deals/{DEAL}/damages/roseworth/statement.pdf",
                 f"/deals/{DEAL}/damages/altar-rock?as_of={AS_OF}", "/deals/lumen-2023",
                 "/deals/lumen-2023/events", "/deals/meridian-2006/warrants"):
        answer = page.goto(path)
        assert answer.status == 404, path
        assert "Roseworth" not in page.content() and "Altar Rock" not in page.content()
    snap(page, screenshots, "not-found.png")
    # a warrant of another investor is not in the register it sees, so no preview either
    page.goto(f"/deals/{DEAL}/warrants?warrant=W-3&shares=10&exercise_date={AS_OF}")
    assert "no warrant 'W-3' in the register you see" in page.locator("main").inner_text()
    page.goto(f"/deals/{DEAL}/warrants?warrant=W-1&shares=1000&exercise_date={AS_OF}#exercise")
    assert page.locator("section.outcome.cash").count() == 1 and page.locator("section.outcome.cashless").count() == 1
    snap(page, screenshots, "warrants-preview.png")
    page.context.close()
