"""The closing statement (SPA 2.1, 13.9): the funds-flow memo and the closing checklist, as HTML, PDF
(WeasyPrint) and DOCX (python-docx), for ``pipedeal documents closing-statement``.

Everything is read from the report's ``closing`` section (``engine/closing.closing_json``): the same figures
as ``pipedeal closing``, spelled by ``base.formats``; nothing here computes a figure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipedeal.base.formats import long_date, money, percent
from pipedeal.engine.evaluate import Evaluation

TEMPLATE = "closing_statement.html.j2"
STATUS_WORDS = {"satisfied": "Satisfied", "waived": "Waived", "open": "Open",
                "delivered": "Delivered", "received": "Received", "short": "Short"}


def closing_context(evaluation: Evaluation, data_note: str | None = None,
                    closing: dict[str, Any] | None = None, whole: bool = True) -> dict[str, Any]:
    """What the statement shows, from the report JSON's ``closing`` section; ``closing`` is that section as one
    investor may see it (outputs/visibility.py) and ``whole`` False leaves out the deal's totals and the finder."""
    from pipedeal.outputs.report import to_json

    terms = evaluation.terms
    closing = closing if closing is not None else to_json(evaluation)["closing"]
    if closing["checklist"] == "none":
        return {"title": f"Closing statement: {terms.deal.title}", "deal_title": terms.deal.title,
                "as_of": long_date(evaluation.as_of), "data_note": data_note,
                "illustrative": terms.deal.illustrative,
                "bare": "The terms have no [closing] block: the Closing is recorded as a bare fact"
                        + (f" (on {long_date(evaluation.closing_date)})." if evaluation.closing_date
                           else "; none yet."),
                "state": "", "clause": "", "quote": None, "conditions": [], "deliveries": [],
                "funds": [], "finder": None, "totals": None, "open": [], "whole": whole}
    names = {party.id: party.name for party in (terms.company, *terms.investors, *terms.parties)}
    names.update({"company": terms.company.name, "investors": "the Investors", "each_investor": "each Investor"})
    totals, finder = closing.get("totals"), closing["finder"]  # no totals in what an investor sees
    state = {"closed": f"Closed on {long_date(evaluation.closing_date)}" if evaluation.closing_date else "Closed",
             "ready": "Every condition met: ready to close", "open": "Open"}[closing["status"]]
    return {
        "title": f"Closing statement: {terms.deal.title}",
        "deal_title": terms.deal.title,
        "company": terms.company.name,
        "as_of": long_date(evaluation.as_of),
        "state": state,
        "clause": closing["clause"] or "",
        "quote": closing["quote"],
        "illustrative": terms.deal.illustrative,
        "data_note": data_note,
        "conditions": [{
            "clause": c["clause"] or c["id"], "title": c["title"], "protects": c["protects"],
            "satisfied_by": c["satisfied_by"].replace("_", " "), "status": STATUS_WORDS[c["status"]],
            "date": c["date"] or "", "who": names.get(c["by"], c["by"]) if c["by"] else
            " and ".join(names.get(side, side) for side in c["sides"]), "evidence": c["evidence"] or "",
            "quote": c["quote"]} for c in closing["conditions"]],
        "deliveries": [{
            "what": d["what"], "clause": d["clause"] or "",
            "from": names.get(d["investor"] if d["from"] == "each_investor" else d["from"], d["from"]),
            "to": names.get(d["investor"] if d["to"] == "each_investor" else d["to"], d["to"]),
            "status": STATUS_WORDS[d["status"]], "date": d["date"] or ""} for d in closing["deliverables"]],
        "funds": [{
            "name": f["name"], "subscription": money(Decimal(f["subscription"])),
            "received": money(Decimal(f["received"])), "status": STATUS_WORDS[f["status"]],
            "wires": "; ".join(f"{w['date']}: {money(Decimal(w['amount']))}"
                               + (f" (ref. {w['reference']})" if w["reference"] else "") for w in f["wires"]),
            "fee": money(Decimal(f["finder_fee"])) if f["finder_fee"] else "—"} for f in closing["funds"]],
        "finder": None if finder is None else {
            "name": finder["name"], "rate": percent(Decimal(finder["fee_rate"])), "clause": finder["clause"] or "",
            "quote": finder["quote"], "introduced": ", ".join(names.get(i, i) for i in finder["introduced"]),
            "inputs": ", ".join({"fee_rate": "the fee rate", "introduced": "the investors introduced"}[k]
                                for k in finder["inputs"])},
        "totals": {key: money(Decimal(value)) for key, value in totals.items()} if whole else None,
        "open": closing["open"],
        "bare": None,
        "whole": whole,
    }


def closing_statement_html(evaluation: Evaluation, *, data_note: str | None = None,
                           closing: dict[str, Any] | None = None, whole: bool = True) -> str:
    from pipedeal.outputs.documents.ld_statement import environment

    return environment().get_template(TEMPLATE).render(**closing_context(evaluation, data_note, closing, whole))


def closing_statement_docx(evaluation: Evaluation, *, data_note: str | None = None) -> bytes:
    """The same statement as a Word document."""
    from pipedeal.outputs.documents.warrant_forms import _Docx

    c = closing_context(evaluation, data_note)
    doc = _Docx(c["title"], data_note)
    doc.title_block("CLOSING STATEMENT", c["deal_title"], f"{c['state']} · as of {c['as_of']}")
    if c["bare"]:
        doc.paragraph(c["bare"])
        return doc.save()
    if c["illustrative"]:
        doc.paragraph(f"Illustrative: {c['illustrative']}.", italic=True, size=8.5)
    doc.heading("1. Funds flow")
    doc.table(["Investor", "Subscription", "Received", "Wires", "Status", "Finder's fee"],
              [[f["name"], f["subscription"], f["received"], f["wires"], f["status"], f["fee"]] for f in c["funds"]])
    t = c["totals"]
    doc.table(None, [["Total subscriptions", t["subscriptions"]], ["Funds received", t["received"]],
                     ["Finder's fee", t["finder_fee"]], ["Net proceeds to the Company", t["net_proceeds"]]])
    if c["finder"]:
        f = c["finder"]
        doc.paragraph(f"Finder ({f['clause']}): {f['name']}, {f['rate']} of the subscription of each Investor it "
                      f"introduced ({f['introduced'] or 'none'})."
                      + (f" Input, not stated in the agreement: {f['inputs']}." if f["inputs"] else ""))
        if f["quote"]:
            doc.paragraph(f"{f['clause']}: \"{f['quote']}\"", italic=True, size=8.5)
    else:
        doc.paragraph("Finder: none.")
    doc.heading("2. Conditions to the Closing" + (f" ({c['clause']})" if c["clause"] else ""))
    doc.table(["Condition", "Whose", "Satisfied by", "Status", "Date", "Who", "Evidence"],
              [[f"{x['clause']}: {x['title']}", x["protects"], x["satisfied_by"], x["status"], x["date"], x["who"],
                x["evidence"]] for x in c["conditions"]])
    doc.heading("3. Deliveries")
    doc.table(["Deliverable", "From", "To", "Status", "Date"],
              [[d["what"], d["from"], d["to"], d["status"], d["date"]] for d in c["deliveries"]])
    if c["open"]:
        doc.heading("4. Still open")
        for item in c["open"]:
            doc.paragraph(item)
    return doc.save()
