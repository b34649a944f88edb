"""Documents typeset from an evaluation: the per-investor LD statement and demand letter.

They present figures the engine has already computed; nothing here computes a
figure. HTML comes from Jinja2 templates shipped as package data; PDF from
WeasyPrint (imported only when a PDF is asked for).
"""

from pipedeal.outputs.documents.ld_statement import render_pdf, render_statement_html, statement_context

__all__ = ["render_pdf", "render_statement_html", "render_summary_html", "statement_context"]


def render_summary_html(evaluation, data_note=None, ledger_anchor=None) -> str:
    """The deal on one page (``deal_summary``), imported only when asked for."""
    from pipedeal.outputs.documents.deal_summary import render_summary_html as render

    return render(evaluation, data_note, ledger_anchor)
