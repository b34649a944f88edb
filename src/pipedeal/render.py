"""Terminal rendering of the report JSON with Rich (the JSON stays the source of truth)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .workspace import DealInputs

STATUS_STYLE = {"met": "green", "missed": "bold red", "pending": "yellow"}


def render_report(console: Console, data: dict[str, Any], inputs: DealInputs) -> None:
    terms = inputs.terms
    console.print(f"[bold]{escape(terms.deal.title)}[/]  ({escape(data['deal'])}, as of {data['as_of']})")
    console.print(f"[dim]terms: {escape(inputs.terms_source)}; events: {escape(inputs.events_source)}; "
                  f"quotes: {escape(inputs.quotes_source)}[/]")
    if data["closing_date"] is None:
        console.print("[yellow]No Closing recorded by this date: nothing is priced or due yet.[/]")
    else:
        console.print(f"Closing Date: [bold]{data['closing_date']}[/] (SPA 1.4, 2.1(a)(i))")
    pricing = data["pricing"]
    if pricing:
        quotes = Table(title="SPA 1.10 Market Price: closing bids of the 5 Trading Days before the Closing")
        quotes.add_column("Trading Day")
        quotes.add_column("closing bid", justify="right")
        for quote in pricing["quotes_used"]:
            quotes.add_row(quote["date"], quote["bid"])
        quotes.add_row("[bold]average = Market Price[/]", f"[bold]{pricing['market_price']}[/]")
        console.print(quotes)
        rounding = pricing["exercise_price_rounding"]
        console.print(
            f"Exercise Price (W preamble: 110% of the Market Price): [bold]${pricing['exercise_price']}[/]"
            f"  [dim](exact {pricing['exercise_price_exact']}; exercise_price_rounding={rounding})[/]")
    allocations = Table(title=f"SPA 2.1 allocations at ${terms.pricing.purchase_price} a share "
                        "(SPA 1.15), warrants 10%")
    for column, justify in (("investor", "left"), ("subscription", "right"), ("shares", "right"),
                            ("warrant shares", "right")):
        allocations.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in data["allocations"]:
        allocations.add_row(escape(row["name"]), f"${Decimal(row['subscription']):,}", f"{row['shares']:,}",
                            f"{row['warrant_shares']:,}")
    console.print(allocations)
    cap = data["capitalization"]
    capitalization = Table(title="SPA 4.3 capitalization after the Closing; SPA 6.2 / W 15 reserve")
    capitalization.add_column("item")
    capitalization.add_column("shares", justify="right")
    for label, key in (("Common authorized", "common_authorized"),
                       (f"Common outstanding on {cap['as_of']}", "common_outstanding_before_closing"),
                       ("Shares issued at the Closing", "shares_issued_at_closing"),
                       ("Common outstanding after the Closing", "common_outstanding_after_closing"),
                       ("Warrant shares outstanding", "warrant_shares_outstanding"),
                       ("Reserved for the Warrants", "reserved_for_warrants"),
                       ("Authorized, unissued and unreserved", "unreserved_authorized"),
                       ("Preferred authorized / outstanding", None)):
        value = (f"{cap['preferred_authorized']:,} / {cap['preferred_outstanding']:,}" if key is None
                 else f"{cap[key]:,}")
        capitalization.add_row(label, value)
    console.print(capitalization)
    if data["deadlines"]:
        deadlines = Table(title="Registration deadlines (RRA 3)")
        for column in ("deadline", "clause", "due", "status", "met on"):
            deadlines.add_column(column)
        for row in data["deadlines"]:
            style = STATUS_STYLE.get(row["status"], "")
            deadlines.add_row(row["id"], row["clause"], row["due"], f"[{style}]{row['status']}[/]",
                              row["met_on"] or "")
        console.print(deadlines)
        for row in data["deadlines"]:
            console.print(f"[bold]{row['id']}[/] ({escape(row['duty'])}):")
            for step in row["computation"]:
                console.print(f"  [dim]{escape(step['clause'])}[/]  {escape(step['text'])}")
    keys = ", ".join(f"{key}={_show(value)}" for key, value in data["interpretations"].items())
    console.print(f"[dim]Interpretations in force: {keys}[/]")
    for problem in data["problems"]:
        console.print(f"[bold red]{escape(problem['code'])}[/]: {escape(problem['message'])}")


def _show(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
