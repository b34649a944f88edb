"""The deal on one page (``pipedeal report --format html|pdf``): pricing, allocations, the fully diluted
capitalization, the registration deadlines, the Registration Defaults on a timeline and each investor's
damages accruing by month, as of the evaluation date.

Everything is read from the report JSON and the LD explanations (``outputs.report``, ``outputs.explain``)
and drawn by ``outputs.charts`` and ``outputs.tables``: the same figures as every other output, spelled
by ``base.formats``. The charts are inline SVG, so the page needs no network and no script.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup

from pipedeal.base.formats import money, price, share_count
from pipedeal.engine.evaluate import Evaluation

TEMPLATE = "deal_summary.html.j2"


def summary_context(evaluation: Evaluation, data_note: str | None = None,
                    ledger_anchor: str | None = None) -> dict[str, Any]:
    from pipedeal.outputs.charts import damages_by_month_svg, defaults_timeline_svg
    from pipedeal.outputs.explain import explain_json
    from pipedeal.outputs.report import to_json
    from pipedeal.outputs.tables import capitalization

    terms = evaluation.terms
    report = to_json(evaluation)
    investors = [inv.id for inv in terms.investors]
    names = {party.id: party.name for party in (*terms.investors, *terms.parties)}
    explained = explain_json(evaluation, investors, True)["explanations"] if evaluation.damages else {}
    pricing = report["pricing"] or {}
    cap = capitalization(report, names)
    return {
        "title": terms.deal.title,
        "deal": terms.deal.name,
        "company": terms.company.name,
        "as_of": report["as_of"],
        "closing_date": report["closing_date"],
        "illustrative": terms.deal.illustrative,
        "data_note": data_note,
        "ledger_anchor": ledger_anchor,
        "pricing": [(label, price(Decimal(pricing[key])) if pricing.get(key) else "—") for label, key in (
            ("Market Price", "market_price"), ("Purchase Price", "purchase_price"),
            ("Exercise Price", "exercise_price"))],
        "allocations": [{"name": row["name"], "shares": share_count(row["shares"]),
                         "warrant_shares": share_count(row["warrant_shares"]),
                         "paid": money(Decimal(row["aggregate_purchase_price"]))}
                        for row in report["allocations"]],
        "capitalization": [{"name": row[1], "common": share_count(row[2]), "warrants": share_count(row[3]),
                            "diluted": share_count(row[4]),
                            "percent": "—" if row[6] is None else f"{row[6]}%"} for row in cap.rows],
        "deadlines": [{"duty": row["duty"], "clause": row["clause"], "due": row["due"], "status": row["status"],
                       "met_on": row.get("met_on")} for row in report["deadlines"]],
        "defaults": [{"kind": run["kind"].replace("_", " "), "clause": run["clause"], "start": run["start"],
                      "end": run["end"] or "running", "days": run["days"]}
                     for run in report["registration_defaults"]],
        "damages": [{"name": names.get(investor, investor), "accrued": money(Decimal(figures["accrued"])),
                     "paid": money(Decimal(figures["paid"])), "balance": money(Decimal(figures["balance"]))}
                    for investor, figures in report["liquidated_damages"].items()],
        "timeline_chart": Markup(defaults_timeline_svg(report)),
        "damages_chart": Markup(damages_by_month_svg(report, explained, investors)) if explained else None,
    }


def render_summary_html(evaluation: Evaluation, data_note: str | None = None,
                        ledger_anchor: str | None = None) -> str:
    from pipedeal.outputs.documents.ld_statement import environment

    return environment().get_template(TEMPLATE).render(**summary_context(evaluation, data_note, ledger_anchor))
