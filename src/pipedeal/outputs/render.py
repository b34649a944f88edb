"""Terminal rendering of the report JSON with Rich (the JSON stays the source of truth)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from pipedeal.base.formats import money, percent, price, share_count
from pipedeal.base.money import plain
from pipedeal.deal.clauses import cite, cite_all
from pipedeal.deal.readings import affects_damages
from pipedeal.deal.terms import Terms
from pipedeal.engine.pricing import RESERVE_SLOTS
from pipedeal.outputs.terminal import Table
from pipedeal.storage.workspace import DealInputs

STATUS_STYLE = {"met": "green", "missed": "bold red", "pending": "yellow", "waived": "cyan"}


def render_report(console: Console, data: dict[str, Any], inputs: DealInputs) -> None:
    terms = inputs.terms
    console.print(f"[bold]{escape(terms.deal.title)}[/]  ({escape(data['deal'])}, as of {data['as_of']})")
    console.print(f"[dim]terms: {escape(inputs.terms_source)}; events: {escape(inputs.events_source)}; "
                  f"quotes: {escape(inputs.quotes_source)}[/]")
    if data["closing_date"] is None:
        console.print("[yellow]No Closing recorded by this date: nothing is priced or due yet.[/]")
    else:
        console.print(f"Closing Date: [bold]{data['closing_date']}[/]")
    pricing = data["pricing"]
    rule = terms.pricing.market_price
    clause = f"{terms.pricing.clause} " if terms.pricing.clause else ""
    if pricing and pricing["market_price"] is not None and rule is not None:
        figure = pricing["market_price_figure"]
        quotes = Table(title=f"{clause}Market Price: the {rule.statistic.replace('_', ' ')} of the {figure} on "
                             f"{rule.days} Trading Days ({rule.window_ends.replace('_', ' ')})")
        quotes.add_column("Trading Day")
        quotes.add_column(figure, justify="right")
        for quote in pricing["quotes_used"]:
            quotes.add_row(quote["date"], price(quote[figure]))
        quotes.add_row("[bold]Market Price[/]", f"[bold]{price(pricing['market_price'])}[/]")
        console.print(quotes)
    if pricing:
        multiple = terms.warrants.exercise_price_multiple
        basis = f"{percent(multiple)} of the Market Price" if multiple is not None else "fixed by the terms"
        warrant_clause = f"{terms.warrants.clause}: " if terms.warrants.clause else ""
        rounding = pricing["exercise_price_rounding"]
        console.print(
            f"Exercise Price ({warrant_clause}{basis}): [bold]{price(pricing['exercise_price'])}[/]"
            f"  [dim](exact {price(pricing['exercise_price_exact'])}; exercise_price_rounding = {rounding})[/]")
        if terms.pricing.discount is not None:
            console.print(f"Purchase Price ({plain(terms.pricing.discount * 100)}% below the Market Price): "
                          f"[bold]{price(pricing['purchase_price'])}[/]  [dim](exact "
                          f"{price(pricing['purchase_price_exact'])})[/]")
    unit = "" if terms.pricing.warrant_purchase_price == "none" else (
        f" and {price(terms.pricing.warrant_purchase_price)} a warrant share")
    per_share = price(pricing["purchase_price"]) if pricing else price(terms.pricing.purchase_price or 0)
    allocations = Table(title=f"Allocations at {per_share} a share{unit}, warrants "
                              f"{percent(terms.pricing.warrant_coverage)} of the shares")
    for column, justify in (("investor", "left"), ("subscription", "right"), ("shares", "right"),
                            ("warrant shares", "right")):
        allocations.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in data["allocations"]:
        allocations.add_row(escape(row["name"]), money(row["subscription"]), share_count(row["shares"]),
                            share_count(row["warrant_shares"]))
    console.print(allocations)
    cap = data["capitalization"]
    capitalization = Table(title=f"Capitalization as of {cap['as_of']}; the warrant reserve")
    capitalization.add_column("item")
    capitalization.add_column("shares", justify="right")
    for label, key in (("Common authorized", "common_authorized"),
                       (f"Common outstanding on {cap['outstanding_before_closing_as_of']}",
                        "common_outstanding_before_closing"),
                       ("Shares issued at the Closing", "shares_issued_at_closing"),
                       ("Common outstanding after the Closing", "common_outstanding_after_closing"),
                       (f"Common outstanding on {cap['as_of']}", "common_outstanding"),
                       ("Warrant shares outstanding", "warrant_shares_outstanding"),
                       ("Reserved for the Warrants", "reserved_for_warrants"),
                       ("Authorized, unissued and unreserved", "unreserved_authorized"),
                       ("Preferred authorized / outstanding", None)):
        value = (f"{share_count(cap['preferred_authorized'])} / {share_count(cap['preferred_outstanding'])}"
                 if key is None else share_count(cap[key]))
        capitalization.add_row(label, value)
    console.print(capitalization)
    if data["deadlines"]:
        deadlines = Table(title="Registration deadlines")
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
    render_registration(console, data, terms.liquidated_damages.clause)
    if data["interpretations"]:
        keys = ", ".join(f"{key} = {_show(value)}" for key, value in data["interpretations"].items())
        console.print(f"[dim]Readings in force (the deal's {escape('[[ambiguities]]')}): {escape(keys)}[/]")
    for problem in data["problems"]:
        console.print(f"[bold red]{escape(problem['code'])}[/]: {escape(problem['message'])}")


def _show(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def render_registration(console: Console, data: dict[str, Any], clause: str | None = None) -> None:
    """Registration Defaults and damages in the report (RRA 3(e)); ``clause``: the deal's damages clause."""
    cited = f" ({clause})" if clause else ""
    if data["registration_defaults"]:
        defaults = Table(title="Registration Defaults: days after the deadline, cure day excluded")
        for column in ("kind", "clause", "first day", "last day", "days"):
            defaults.add_column(column, justify="right" if column == "days" else "left")
        for run in data["registration_defaults"]:
            defaults.add_row(run["kind"], run["clause"], run["start"], run["end"], str(run["days"]))
        console.print(defaults)
    if data["liquidated_damages"]:
        damages = Table(title=f"Liquidated damages per investor{cited}; `pipedeal ld --explain` shows each step")
        for column in ("investor", "default days", "accrued", "demanded", "paid", "balance", "due"):
            damages.add_column(column, justify="left" if column == "investor" else "right")
        for investor, row in data["liquidated_damages"].items():
            flag = " [bold red]overdue[/]" if row["overdue"] else ""
            damages.add_row(escape(investor), str(row["default_days"]), money(row["accrued"]),
                            money(row["demanded"]), money(row["paid"]), money(row["balance"]),
                            (row["due"] or "") + flag)
        console.print(damages)
    repurchase = data.get("repurchase")
    if repurchase:
        console.print(f"Repurchase election of {repurchase['elected_on']}: "
                      f"[bold]{repurchase['status']}[/] ({escape(repurchase['reason'])})")
    for breach in data.get("breaches", []):
        console.print(f"[bold red]breach[/] {breach['clause']}: {escape(breach['message'])}")


def render_damages(console: Console, evaluation, investors: list[str], explain: bool) -> None:
    from pipedeal.outputs.explain import explain_damages
    from pipedeal.outputs.report import to_json

    data = to_json(evaluation)
    clause = evaluation.terms.liquidated_damages.clause
    console.print(f"[bold]Liquidated damages[/] of {escape(data['deal'])} as of {data['as_of']}"
                  + (f" ({escape(clause)})" if clause else ""))
    names = {inv.id: inv.name for inv in evaluation.terms.investors}
    if evaluation.closing_date is None:
        # No Closing in the history read (an empty ledger, or one read as known before it): nothing accrues.
        console.print("No Closing in the events read: no Registration Default, no damages.")
        return
    for investor in investors:
        row = data["liquidated_damages"][investor]
        _heading(console, f"{escape(names[investor])} ({investor})")
        if not explain:
            console.print(f"accrued {money(row['accrued'])} over {row['default_days']} default day(s); "
                          f"demanded {money(row['demanded'])}, paid {money(row['paid'])}, "
                          f"balance {money(row['balance'])}" + (f", due {row['due']}" if row["due"] else ""))
            extra = []
            if row["cap"] and row["cap"]["reached_on"]:
                extra.append(f"cap reached on {row['cap']['reached_on']}")
            if row["payment_due"] != "on_demand":
                extra.append(f"fallen due {money(row['fallen_due'])} ({row['payment_due']})")
            if row["credit"] != "0.00":
                extra.append(f"credit {money(row['credit'])}")
            if row["late_interest_rate"]:
                extra.append(f"late interest {money(row['late_interest'])}")
            if extra:
                console.print("; ".join(extra))
            continue
        section = None
        for line in explain_damages(evaluation, investor):
            if line.section != section:
                section = line.section
                console.print(f"[bold underline]{section}[/]")
            amount = f"  [bold]= {line.amount_shown}[/]" if line.amount is not None else ""
            console.print(f"  [cyan]{escape(line.clause)}[/] {escape(line.text)}{amount}")
            if line.quote:
                console.print(f"      [dim]{escape(line.quote)}[/]")
    readings = [entry for entry in evaluation.terms.ambiguities if affects_damages(entry)]
    if readings:
        keys = ", ".join(f"{entry.key} = {_show(entry.value)}" for entry in readings)
        console.print(f"[dim]Readings in force: {keys}. `pipedeal ambiguities` shows what each is worth.[/]")


def render_ambiguities(console: Console, table: dict[str, Any]) -> None:
    if not table["keys"]:
        console.print(f"{escape(table['deal'])} declares no {escape('[[ambiguities]]')}: no reading of its text is "
                      "left open.")
        return
    console.print(f"[bold]The readings {escape(table['deal'])}'s text leaves open[/] and what each is worth "
                  f"as of {table['as_of']}")
    for entry in table["keys"]:
        chosen = "[yellow]set on the command line[/]" if entry["set_on_command_line"] else "as the terms file states"
        grid = Table(title=f"{entry['key']} ({entry['clause']}): in force {_show(entry['in_force'])}, {chosen}",
                     caption=escape(entry["text"]), title_justify="left")
        grid.add_column("value")
        investors = list(entry["values"][0]["liquidated_damages"])
        for investor in investors:
            grid.add_column(investor, justify="right")
        grid.add_column("total damages", justify="right")
        if not entry["affects_damages"]:
            grid.add_column("exercise price", justify="right")
        for row in entry["values"]:
            label = f"[bold]{_show(row['value'])}[/] (in force)" if row["in_force"] else str(_show(row["value"]))
            cells = [label, *(money(row["liquidated_damages"][i]) for i in investors), money(row["total"])]
            if not entry["affects_damages"]:
                cells.append(price(row["exercise_price"]) if row["exercise_price"] else "")
            grid.add_row(*cells)
        console.print(grid)


def render_warrants(console: Console, data: dict[str, Any], terms: Terms) -> None:
    """W 7(d): the register, the reserve, and what happened to it, each under the deal's clause."""
    register = Table(title=f"Warrant register ({cite(terms, 'W 7(d)')}) as of {data['as_of']}")
    for column in ("warrant", "holder", "shares", "exercise price", "issued", "status", "from"):
        register.add_column(column, justify="right" if column in ("shares", "exercise price") else "left")
    for w in data["warrants"]:
        shares = share_count(w["shares"])
        exercise_price = price(w["exercise_price"]) if w["exercise_price"] else ""
        came_from = ", ".join(w["parents"]) + (f" ({w['origin']})" if w["parents"] else "")
        register.add_row(w["id"], escape(w["holder"]), shares, exercise_price, w["issue_date"], w["status"], came_from)
    console.print(register)
    reservation = data.get("reservation")
    if reservation:
        console.print(f"Reserve ({cite_all(terms, *RESERVE_SLOTS)}): {share_count(reservation['reserved'])} "
                      "reserved for "
                      f"{share_count(reservation['required'])} outstanding warrant shares; authorized "
                      f"{share_count(reservation['authorized'])}, outstanding "
                      f"{share_count(reservation['outstanding'])}, "
                      f"headroom {share_count(reservation['headroom'])}")
    for exercise in data["exercises"]:
        console.print(f"[bold]{exercise['warrant']}[/] {exercise['method']} exercise {exercise['date']}:")
        for step in exercise["computation"]:
            console.print(f"  {escape(step)}")
    for notice in data["adjustments"]:
        console.print(f"[bold]Notice of Adjustment ({notice['clause']})[/], {notice['date']}: "
                      f"{escape(notice['facts'])}")
        for step in notice["computation"]:
            console.print(f"  {escape(step)}")
    for breach in data.get("breaches", []):
        console.print(f"[bold red]breach[/] {breach['clause']}: {escape(breach['message'])}")


def render_lineage(console: Console, data: dict[str, Any], warrant: str) -> None:
    """Where a certificate came from, back to the Closing (W 1, 3, 7, 9)."""
    known = {w["id"]: w for w in data["warrants"]}
    chain, todo = [], [warrant]
    while todo:
        current = known[todo.pop(0)]
        chain.append(current)
        todo.extend(current["parents"])
    for w in chain:
        origin = "issued at the Closing" if w["origin"] == "closing" else f"{w['origin']} of {', '.join(w['parents'])}"
        console.print(f"{w['id']}: {share_count(w['shares'])} shares held by {escape(w['holder'])}, {origin} on "
                      f"{w['issue_date']}; {w['status']}" + (f" {w['closed_on']}" if w["closed_on"] else ""))


def render_exercise_choices(console: Console, outcomes: dict, chosen: str) -> None:
    """W 3, W 4: what each way of exercising pays and delivers."""
    for way, (_event, result, problems) in outcomes.items():
        marker = " [bold](requested)[/]" if way == chosen else ""
        _heading(console, f"{way} exercise{marker}")
        if problems:
            for problem in problems:
                console.print(f"[red]not allowed[/]: {escape(problem.message)}")
            continue
        if result is None:
            console.print("[yellow]no figures: the Exercise Price is unknown (quotes before the Closing?)[/]")
            continue
        pays = money(result.aggregate_price) if way == "cash" else "nothing (shares are withheld instead)"
        console.print(f"holder pays {pays}; receives {share_count(result.shares_issued)} shares"
                      + (f" and {money(result.fraction_cash)} for the fraction" if result.fraction else "")
                      + (f"; remainder certificate {result.remainder_certificate}" if result.remainder_certificate
                         else ""))
        for step in result.computation:
            console.print(f"  [dim]{escape(step)}[/]")



def render_changes(console: Console, data: dict) -> None:
    """``pipedeal changes``: each section's figures at the first point and at the second."""
    def point(told: dict) -> str:
        return f"as of {told['as_of']}" + (f", as known on {told['known_on']}" if told["known_on"] else "")

    console.print(f"[bold]Changes[/] in {escape(data['deal'])} from {escape(point(data['from']))} "
                  f"to {escape(point(data['to']))}")
    for section in ("figures", "deadlines", "obligations"):
        rows = data[section]
        if not rows:
            console.print(f"{section}: no change")
            continue
        table = Table(title=f"{section}: {len(rows)} change(s)")
        for column in ("what", "first point", "second point"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(escape(row["path"]), escape(_shown(row["before"])), escape(_shown(row["after"])))
        console.print(table)


def _shown(value) -> str:
    """A figure at one point: "—" when not there; an item as its non-empty fields."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_shown(item)}" for key, item in value.items() if item not in (None, [], {}))
    return str(value)


def render_obligations(console: Console, rows: list[dict[str, Any]], as_of: str) -> None:
    """``pipedeal obligations``: one row per obligation by due date, then each one's id, trigger, words and
    computation."""
    deals = {row["deal"] for row in rows}
    table = Table(title=f"Obligations as of {as_of} (RULES §5)")
    for column in (*(("deal",) if len(deals) > 1 else ()), "due", "status", "clause", "who owes what", "met on"):
        table.add_column(column)
    for row in rows:
        style = STATUS_STYLE.get(row["status"], "")
        status = f"[{style}]{row['status']}[/]" if style else row["status"]
        if row["waived_by"]:
            status += f" {row['waived_on']}"
        duty = f"{row['party']}: {row['duty']}"
        table.add_row(*((escape(row["deal"]),) if len(deals) > 1 else ()), row["due"], status,
                      escape(row["clause"]), escape(duty), row["met_on"] or "")
    console.print(table)
    if not rows:
        console.print("[dim]No obligation matches.[/]")
    for row in rows:
        console.print(f"\n[bold]{escape(row['id'])}[/] ({escape(row['deal'])}) {escape(row['clause'])} "
                      f"{escape(row['quote'] or '')}", soft_wrap=True)
        console.print(f"  owed by {escape(row['party'])} to {escape(', '.join(row['owed_to']))}; trigger: "
                      f"{escape(row['trigger'] or '')}" + (f"; waived {row['waived_on']} by "
                                                           f"{escape(', '.join(row['waived_by']))}"
                                                           if row["waived_by"] else ""), soft_wrap=True)
        for step in row["computation"]:
            console.print(f"  {escape(step['clause'])}: {escape(step['text'])}", soft_wrap=True)


def render_covenants(console: Console, rows: list[dict[str, Any]], day: str) -> None:
    """``pipedeal covenants --on DATE``: each covenant live that day with its window and clause."""
    many = len({row["deal"] for row in rows}) > 1
    table = Table(title=f"Covenants live on {day} (RULES §5)")
    for column in (*(("deal",) if many else ()), "covenant", "clause", "from", "to", "what it requires"):
        table.add_column(column)
    for row in rows:
        table.add_row(*((escape(row["deal"]),) if many else ()), escape(row["covenant"].replace("_", " ")),
                      escape(row["clause"]), row["start"] or "", row["end"] or "runs on", escape(row["detail"]))
    console.print(table)
    if not rows:
        console.print("[dim]No covenant is live that day.[/]")


def render_notices(console: Console, terms: Terms, as_of: str, notices: list[dict[str, Any]]) -> None:
    """``pipedeal notices``: every notice in the order sent, when it took effect for each recipient
    (the moment, calendar and rule) and what it started (SPA 12.1, RRA 8)."""
    clause = cite(terms, "SPA 12.1", "notices")
    console.print(f"[bold]{escape(terms.deal.title)}[/]  ({escape(terms.deal.name)}): notices as of {as_of} "
                  f"[dim]({escape(clause)})[/]")
    if not notices:
        console.print("[dim]No notice recorded by this date.[/]")
        return
    for number, row in enumerate(notices, start=1):
        console.print(f"\n[bold]{number}. {escape(row['type'])}[/] {escape(row['from'])} → "
                      f"{escape(', '.join(row['to']))}: {escape(row['subject'])}", soft_wrap=True)
        if row["method"] is None:
            console.print(f"   dated {row['date']}, no delivery recorded: taken as effective that day", soft_wrap=True)
        else:
            received = f", received {row['received_at']}" if row["received_at"] else ""
            console.print(f"   sent {escape(row['sent_at'])} by {escape(row['method'])}{escape(received)}",
                          soft_wrap=True)
            style = {"never": "bold red", "not_yet_in_effect": "yellow"}.get(row["status"], "bold")
            effective = row["effective"] or "never"
            console.print(f"   deemed effective: [{style}]{effective}[/]"
                          f"{' (not yet on ' + as_of + ')' if row['status'] == 'not_yet_in_effect' else ''}")
            for receipt in row["recipients"]:
                moment = receipt["effective_at"] or receipt["effective"] or "never"
                console.print(f"     {escape(receipt['party'])}: {escape(moment)} [dim]({escape(receipt['calendar'])}, "
                              f"{escape(receipt['timezone'])})[/]: {escape(receipt['reason'])}", soft_wrap=True)
        for started in row["started"]:
            style = STATUS_STYLE.get(started["status"] or "", "default")
            console.print(f"   started: [{style}]{escape(started['text'])}[/]", soft_wrap=True)
        if not row["started"]:
            console.print("   [dim]started: no clock pipedeal counts[/]")


HEADING_WIDTH = 100


def _heading(console: Console, title: str) -> None:
    """A titled rule, at most ``HEADING_WIDTH`` wide: piped output has no width to fill."""
    from rich.rule import Rule

    console.print(Rule(title), width=min(console.width, HEADING_WIDTH))


CHECK_STYLE = {"satisfied": "green", "waived": "cyan", "delivered": "green", "received": "green", "open": "yellow",
               "short": "yellow"}


def render_closing(console: Console, data: dict[str, Any], terms: Terms) -> None:
    """SPA 2.1(b), 13.9: the Closing's checklist, deliveries and funds flow (the report's ``closing`` section)."""
    closing = data["closing"]
    if closing["checklist"] == "none":
        console.print("The terms have no [closing] block: the Closing is recorded as a bare fact"
                      + (f" (on {closing['closing_date']})." if closing["closing_date"] else "; none yet."))
        return
    state = {"closed": f"closed on {closing['closing_date']}", "ready": "every condition met: ready to close",
             "open": "open"}[closing["status"]]
    console.print(f"[bold]The Closing ({escape(closing['clause'] or 'terms')})[/]: {state}")
    conditions = Table(title="Conditions")
    for column in ("condition", "whose", "satisfied by", "status", "date", "by", "evidence"):
        conditions.add_column(column)
    for c in closing["conditions"]:
        style = CHECK_STYLE.get(c["status"], "")
        who = c["by"] or ", ".join(c["sides"]) or ""
        conditions.add_row(escape(f"{c['clause'] or c['id']}: {c['title']}"), c["protects"],
                           c["satisfied_by"].replace("_", " "), f"[{style}]{c['status']}[/]", c["date"] or "",
                           escape(who), escape(c["evidence"] or ""))
    console.print(conditions)
    deliveries = Table(title="Deliveries")
    for column in ("deliverable", "from", "to", "status", "date", "evidence"):
        deliveries.add_column(column)
    for d in closing["deliverables"]:
        to = d.get("investor") or d["to"]
        deliveries.add_row(escape(d["what"]), escape(d["investor"] if d["from"] == "each_investor" else d["from"]),
                           escape(to), f"[{CHECK_STYLE.get(d['status'], '')}]{d['status']}[/]", d["date"] or "",
                           escape(d["evidence"] or ""))
    console.print(deliveries)
    flow = Table(title="Funds flow")
    for column in ("investor", "subscription", "received", "wires", "status", "finder's fee"):
        flow.add_column(column, justify="right" if column in ("subscription", "received", "finder's fee") else "left")
    for f in closing["funds"]:
        wires = "; ".join(f"{w['date']} {money(w['amount'])}" for w in f["wires"])
        flow.add_row(escape(f["name"]), money(f["subscription"]), money(f["received"]), wires,
                     f"[{CHECK_STYLE.get(f['status'], '')}]{f['status']}[/]",
                     money(f["finder_fee"]) if f["finder_fee"] else "")
    console.print(flow)
    finder, totals = closing["finder"], closing["totals"]
    if finder:
        inputs = f" (input, not stated in the agreement: {', '.join(finder['inputs'])})" if finder["inputs"] else ""
        console.print(f"Finder ({escape(finder['clause'] or 'terms')}): {escape(finder['name'])}, "
                      f"{percent(finder['fee_rate'])} of each introduced investor's subscription"
                      f"{escape(inputs)}")
    else:
        console.print("Finder: none (the agreement names no finder).")
    console.print(f"Received {money(totals['received'])} of {money(totals['subscriptions'])}; finder's fee "
                  f"{money(totals['finder_fee'])}; net proceeds to the Company "
                  f"[bold]{money(totals['net_proceeds'])}[/]")
    for item in closing["open"]:
        console.print(f"[yellow]open[/] {escape(item)}")
