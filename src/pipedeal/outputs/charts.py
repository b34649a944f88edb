"""Two charts of a deal as server-side SVG, drawn from the report JSON: the Registration
Defaults on a timeline, and the liquidated damages each investor has accrued by month.

Pure: the figures come in as the dicts ``report.to_json`` and ``explain.explain_json``
return; nothing is read, nothing depends on the clock, and the same input gives the same
bytes. Each SVG stands alone (no script, no stylesheet, no external reference), carries
``role="img"``, a ``<title>`` and a ``<desc>`` that says every figure in words, so a page
shows it without JavaScript and a screen reader reads it. Colors are presentation
attributes from a small fixed palette, and every element has a CSS class, so a page's
stylesheet may restyle them (CSS wins over presentation attributes).

Money stays Decimal (RULES.md §2): the sums are exact and spelled by ``base.formats``;
only the drawing coordinates are floats.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Any

from pipedeal.base.formats import exact_money, money
from pipedeal.base.money import EXACT, plain

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 960
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

# One palette for every chart: the series of the damages chart, by position in the list of
# investors passed in, and the kinds of Registration Default.
PALETTE = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16808a", "#7f6a00", "#b03a78")
INK = "#222222"
MUTED = "#6b6b6b"
GRID = "#d9d9d9"
KIND_COLORS = {"filing": PALETTE[0], "effectiveness": PALETTE[1], "lapse": PALETTE[4], "blackout": PALETTE[3],
               "additional_filing": PALETTE[5], "additional_effectiveness": PALETTE[6]}
STATUS_COLORS = {"met": PALETTE[2], "missed": PALETTE[1], "pending": MUTED, "waived": PALETTE[0],
                 "not_applicable": MUTED, "unconfirmed": PALETTE[4]}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Month = str  # the year and month, ISO: 2000-01


# --- SVG plumbing ----------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate, to the hundredth: fixed digits so the same input gives the same bytes."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _el(parent: ET.Element, tag: str, text: str | None = None, **attributes: Any) -> ET.Element:
    """A child element; ``class_`` stands for ``class``, ``_`` in other names for ``-``.
    ElementTree escapes every text and attribute it writes."""
    attrs = {}
    for key, value in attributes.items():
        if value is None:
            continue
        name = "class" if key == "class_" else key.replace("_", "-")
        attrs[name] = _n(value) if isinstance(value, float) else str(value)
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _svg(height: float, chart_id: str, css_class: str, title: str, desc: str) -> ET.Element:
    root = ET.Element("svg", {
        "xmlns": SVG_NS, "viewBox": f"0 0 {WIDTH} {_n(height)}", "width": "100%",
        "role": "img", "aria-labelledby": f"{chart_id}-title", "aria-describedby": f"{chart_id}-desc",
        "class": f"pipedeal-chart {css_class}", "font-family": FONT, "font-size": "12", "fill": INK,
    })
    # The title and the description first: what a screen reader, and an image viewer, reads.
    _el(root, "title", title, id=f"{chart_id}-title")
    _el(root, "desc", desc, id=f"{chart_id}-desc")
    return root


def _serialize(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _days(count: int) -> str:
    return f"{count} day{'s' * (count != 1)}"


def _month_label(month: dt.date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every calendar month from ``first``'s to ``last``'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


# --- the Registration Defaults on a timeline -----------------------------------------------------


def _deadline_words(deadline: Mapping[str, Any], as_of: dt.date) -> str:
    due = deadline["due"]
    met_on = deadline.get("met_on")
    status = deadline["status"]
    if met_on:
        done = f"done {met_on}" + (", after the due date" if met_on > due else "")
    elif status == "missed":
        done = f"not done by the as-of date {as_of}"
    else:
        done = "not done yet"
    return f"{deadline['clause']}: {deadline['duty']}: due {due}; {done} ({status.replace('_', ' ')})"


def _default_words(run: Mapping[str, Any], as_of: dt.date) -> str:
    kind = run["kind"].replace("_", " ")
    if run.get("end") is None:
        span = f"from {run['start']}, still running on the as-of date {as_of}"
    else:
        span = f"{run['start']} to {run['end']}"
    days = f" ({_days(run['days'])})" if run.get("days") is not None else ""
    return f"{run['clause']} {kind} default: {span}{days}"


def defaults_timeline_svg(report: Mapping[str, Any], chart_id: str = "defaults-timeline") -> str:
    """The registration deadlines (``report["deadlines"]``) and each Registration Default
    (``report["registration_defaults"]``) on one horizontal timeline, from the Closing to the
    as-of date, with a tick at the start of each month.

    A deadline is a row: a diamond at its due date, a circle where it was met, a line from the
    due date to the day it was met late (or to the as-of date while it is missed and not done).
    A Registration Default is a bar over its days, both ends included; one with no ``end``
    runs to the as-of date and is drawn open (class ``running``). The axis reaches past the
    as-of date when a deadline falls after it, so no marker is clipped. ``chart_id`` prefixes
    the ids of the title and the description (two charts on one page need two prefixes).
    """
    as_of = dt.date.fromisoformat(report["as_of"])
    closing = _day(report.get("closing_date"))
    deadlines = list(report.get("deadlines") or ())
    runs = list(report.get("registration_defaults") or ())
    deal = report.get("deal", "")

    days = [as_of] + ([closing] if closing else [])
    for deadline in deadlines:
        days += [d for d in (_day(deadline["due"]), _day(deadline.get("met_on"))) if d]
    for run in runs:
        days += [d for d in (_day(run["start"]), _day(run.get("end"))) if d]
    first, last = min(days), max(days)
    # Each day is a span [day, next day): a one-day chart, or a one-day default, has a width.
    stop = last + dt.timedelta(days=1)

    # The text alternative: every date and count the chart shows.
    if closing is None:
        head = f"Registration timeline of {deal}: no Closing by the as-of date {as_of}."
    elif closing > as_of:
        head = f"Registration timeline of {deal}: the Closing {closing} is after the as-of date {as_of}."
    else:
        head = f"Registration timeline of {deal} from the Closing {closing} to the as-of date {as_of}."
    words = [head]
    if deadlines:
        words.append("Deadlines: " + "; ".join(f"{_deadline_words(d, as_of)}" for d in deadlines) + ".")
    else:
        words.append("No registration deadline.")
    if runs:
        total = sum(run.get("days") or 0 for run in runs)
        words.append(f"{len(runs)} Registration Default{'s' * (len(runs) != 1)} "
                     f"({_days(total)} in all, counted per default): "
                     + "; ".join(f"{i}. {_default_words(run, as_of)}" for i, run in enumerate(runs, 1)) + ".")
    else:
        words.append(f"No Registration Default by the as-of date {as_of}.")
    desc = " ".join(words)
    title = f"Registration deadlines and Registration Defaults, {deal}, as of {as_of}"

    left, right, top, row = 24.0, 24.0, 70.0, 40.0
    plot = WIDTH - left - right
    rows = len(deadlines) + len(runs) + (1 if not runs else 0)
    axis_y = top + row * rows + 8
    height = axis_y + 44
    span_days = (stop - first).days

    def x(day: dt.date) -> float:
        return left + plot * (day - first).days / span_days

    root = _svg(height, chart_id, "defaults-timeline", title, desc)
    _el(root, "text", title, x=left, y=22.0, class_="chart-title", font_size="15", font_weight="600")

    # Month ticks and grid: one per month start in the domain, labelled sparsely enough to stay legible.
    months = [m for m in _months_between(first, last) if m >= first]
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if len(months) / s <= 10)
    axis = _el(root, "g", class_="axis axis-time")
    _el(axis, "line", x1=left, y1=axis_y, x2=left + plot, y2=axis_y, stroke=INK, class_="axis-line")
    for month in months:
        mx = x(month)
        _el(axis, "line", x1=mx, y1=top - 6, x2=mx, y2=axis_y, stroke=GRID, class_="grid")
        _el(axis, "line", x1=mx, y1=axis_y, x2=mx, y2=axis_y + 5, stroke=INK, class_="tick")
        if (month.year * 12 + month.month - 1) % step == 0:
            # A label at an edge of the axis leans inward so that it stays on the canvas.
            anchor = "start" if mx - left < 30 else "end" if left + plot - mx < 30 else "middle"
            _el(axis, "text", _month_label(month), x=mx, y=axis_y + 18, text_anchor=anchor, font_size="11",
                class_="tick-label")
    _el(axis, "text", str(first), x=left, y=axis_y + 34, font_size="11", fill=MUTED, class_="axis-start")
    _el(axis, "text", str(last), x=left + plot, y=axis_y + 34, font_size="11", fill=MUTED, text_anchor="end",
        class_="axis-end")

    # The Closing and the as-of date as vertical rules over every row.
    marks = _el(root, "g", class_="reference-dates")
    for day, name, css, label_y in ((closing, "Closing", "closing", top - 24), (as_of, "as of", "as-of", top - 10)):
        if day is None:
            continue
        # The Closing's rule at the start of its day, the as-of date's at the end of its day.
        rx = x(day) if css == "closing" else x(day + dt.timedelta(days=1))
        anchor = "end" if rx > left + plot / 2 else "start"
        _el(marks, "line", x1=rx, y1=label_y + 4, x2=rx, y2=axis_y, stroke=INK, stroke_dasharray="4 3", class_=css)
        _el(marks, "text", f"{name} {day}", x=rx + (-4 if anchor == "end" else 4), y=label_y, font_size="11",
            text_anchor=anchor, class_=f"{css}-label")

    y = top
    for deadline in deadlines:
        status = deadline["status"]
        color = STATUS_COLORS.get(status, MUTED)
        g = _el(root, "g", class_=f"deadline status-{status}")
        _el(g, "title", _deadline_words(deadline, as_of))
        _el(g, "text", _deadline_words(deadline, as_of), x=left + 6, y=y + 12, font_size="11", class_="row-label")
        cy = y + 26
        due = dt.date.fromisoformat(deadline["due"])
        met_on = _day(deadline.get("met_on"))
        half = plot / span_days / 2
        until = met_on if met_on and met_on > due else (as_of if not met_on and status == "missed" else None)
        if until is not None:
            _el(g, "line", x1=x(due) + half, y1=cy, x2=x(until) + half, y2=cy, stroke=color, stroke_width="2",
                stroke_dasharray=None if met_on else "4 3", class_="late" if met_on else "overdue")
        dx = x(due) + half
        _el(g, "polygon", points=" ".join(_n(v) for v in (dx, cy - 6, dx + 6, cy, dx, cy + 6, dx - 6, cy)),
            fill="#ffffff", stroke=color, stroke_width="2", class_="due")
        if met_on is not None:
            _el(g, "circle", cx=x(met_on) + half, cy=float(cy), r="5", fill=color, class_="met")
        y += row

    for run in runs:
        kind = run["kind"]
        color = KIND_COLORS.get(kind, PALETTE[7])
        end = _day(run.get("end"))
        running = end is None
        g = _el(root, "g", class_=f"registration-default kind-{kind}" + (" running" if running else ""))
        _el(g, "title", _default_words(run, as_of))
        _el(g, "text", _default_words(run, as_of), x=left + 6, y=y + 12, font_size="11", class_="row-label")
        start = dt.date.fromisoformat(run["start"])
        bar_end = (end or max(as_of, start)) + dt.timedelta(days=1)
        x0, x1 = x(start), x(bar_end)
        _el(g, "rect", x=x0, y=y + 18, width=max(x1 - x0, 1.5), height="16", fill=color, rx="2", class_="bar")
        if running:
            # An open end: an arrow past the as-of date says the default had not ended.
            _el(g, "polygon", points=" ".join(_n(v) for v in (x1, y + 16, x1 + 9, y + 26, x1, y + 36)),
                fill=color, class_="running-arrow")
        y += row
    if not runs:
        _el(root, "text", f"No Registration Default by the as-of date {as_of}", x=left, y=y + 22,
            fill=MUTED, class_="empty-note")
    return _serialize(root)


# --- the liquidated damages by month ----------------------------------------------------------------


def damages_by_month(explanations: Mapping[str, Any],
                     investors: Sequence[str]) -> list[tuple[Month, dict[str, Decimal]]]:
    """RRA 3(e)(B): each listed investor's liquidated damages accrued by the end of each calendar
    month (ISO, 2000-01), cumulative: the exact Decimal sum of the amounts of its segments (as
    ``explain_json`` gives them, ``explanations[investor]["segments"]``) that end in that month
    or before.

    A segment's amount is counted in the calendar month in which the segment ends (its last
    default day), whole, even when it spans two calendar months (a default month runs from the
    first default day, not from the 1st) or is charged on its first day (first_period = full):
    the figure is what had accrued once the segment closed. The rows run from the first month
    in which any listed investor accrues to the last, every month in between included; only
    the investors listed appear, in their order. No segment: no row.

    A segment's amount that does not terminate is given to 10 places, so the sums are exact
    sums of those amounts; they equal the report's ``accrued_exact`` to its 10 places when
    the cut digits cancel, as in the bundled deals.
    """
    missing = [investor for investor in investors if investor not in explanations]
    if missing:
        raise ValueError(f"no explanation for the investor(s) {', '.join(missing)}")
    by_month: dict[str, dict[dt.date, Decimal]] = {}
    ends: list[dt.date] = []
    for investor in investors:
        sums: dict[dt.date, Decimal] = {}
        for segment in explanations[investor].get("segments") or ():
            month = dt.date.fromisoformat(segment["end"]).replace(day=1)
            with localcontext(EXACT):
                sums[month] = sums.get(month, Decimal(0)) + Decimal(segment["amount"])
            ends.append(month)
        by_month[investor] = sums
    if not ends:
        return []
    rows: list[tuple[Month, dict[str, Decimal]]] = []
    totals = {investor: Decimal(0) for investor in investors}
    for month in _months_between(min(ends), max(ends)):
        for investor in investors:
            with localcontext(EXACT):
                totals[investor] += by_month[investor].get(month, Decimal(0))
        # The digits the sum has, less trailing zeros: 780000.000000000 is written 780000.
        rows.append((f"{month.year:04d}-{month.month:02d}",
                     {investor: Decimal(plain(total)) for investor, total in totals.items()}))
    return rows


def _nice_top(largest: Decimal) -> tuple[Decimal, Decimal]:
    """The top of the dollar axis and its step: 1, 2, 2.5 or 5 times a power of ten, at most 5 steps."""
    if largest <= 0:
        return Decimal(1), Decimal(1)
    power = Decimal(1).scaleb(largest.adjusted() - 1)
    for factor in (1, 2, Decimal("2.5"), 5, 10, 20, 25, 50, 100):
        step = power * factor
        count = (largest / step).to_integral_value(rounding=ROUND_CEILING)
        if count <= 5:
            with localcontext(EXACT):
                return step * count, step
    raise AssertionError("unreachable: 100 x 10^(k-1) >= any value of exponent k")  # pragma: no cover


def _names(report: Mapping[str, Any], investors: Iterable[str]) -> dict[str, str]:
    """Each listed investor's name from the report's allocations (its id when it has none): only
    the listed ones are looked up, so no other investor's name is ever at hand."""
    wanted = set(investors)
    found = {row["investor"]: row["name"] for row in report.get("allocations") or () if row["investor"] in wanted}
    return {investor: found.get(investor, investor) for investor in investors}


def damages_by_month_svg(report: Mapping[str, Any], explanations: Mapping[str, Any], investors: Sequence[str],
                         chart_id: str = "damages-by-month") -> str:
    """RRA 3(e)(B): each listed investor's liquidated damages accrued by calendar month, cumulative,
    as grouped bars (one series per investor, in the order given) on a dollar axis.

    The figures are ``damages_by_month``'s: exact Decimal sums of the segment amounts, a segment
    counted in the calendar month in which it ends (the text alternative says so). Only the
    investors passed in are drawn, named or counted: the months, the axis and the words come from
    their segments alone, so nothing about another investor reaches the markup. ``explanations``
    is ``explain_json(evaluation, investors, with_steps=True)["explanations"]``.
    """
    investors = list(dict.fromkeys(investors))
    table = damages_by_month(explanations, investors)
    names = _names(report, investors)
    as_of = report.get("as_of", "")
    deal = report.get("deal", "")
    who = ", ".join(names[i] for i in investors) if investors else "no investor"
    title = f"Liquidated damages accrued by month, {deal}, as of {as_of}: {who}"

    rule = ("Cumulative liquidated damages by calendar month: exact sums of the segment amounts, each "
            "segment counted in the calendar month in which it ends.")
    words = [title.rstrip(".") + ".", rule]
    if not table:
        words.append(f"No liquidated damages accrued by the as-of date {as_of}.")
    for investor in investors if table else ():
        changes, before = [], Decimal(0)
        for month, values in table:
            if values[investor] != before:
                changes.append(f"by the end of {month} {exact_money(values[investor])}")
                before = values[investor]
        total = table[-1][1][investor]
        if changes:
            words.append(f"{names[investor]}: " + "; ".join(changes) +
                         f"; in all {exact_money(total)} ({money(total)} to the cent).")
        else:
            words.append(f"{names[investor]}: nothing accrued.")
    desc = " ".join(words)

    left, right, top, bottom = 110.0, 24.0, 48.0 + 20.0 * ((len(investors) + 2) // 3), 56.0
    plot_h = 240.0
    height = top + plot_h + bottom
    plot_w = WIDTH - left - right
    largest = max((v for _, values in table for v in values.values()), default=Decimal(0))
    axis_top, step = _nice_top(largest)

    def y(value: Decimal) -> float:
        return top + plot_h - plot_h * float(value / axis_top)

    root = _svg(height, chart_id, "damages-by-month", title, desc)
    _el(root, "text", f"Liquidated damages accrued by month, as of {as_of}", x=left, y=22.0,
        class_="chart-title", font_size="15", font_weight="600")

    legend = _el(root, "g", class_="legend")
    for index, investor in enumerate(investors):
        lx, ly = left + (index % 3) * 280.0, 40.0 + 20.0 * (index // 3)
        item = _el(legend, "g", class_=f"legend-item series-{index}")
        _el(item, "rect", x=lx, y=ly - 10, width="12", height="12", fill=PALETTE[index % len(PALETTE)],
            class_="swatch")
        _el(item, "text", names[investor], x=lx + 18, y=ly, font_size="12", class_="legend-label")

    axis = _el(root, "g", class_="axis axis-money")
    tick = Decimal(0)
    # With nothing accrued the axis is its baseline alone: no dollar scale is invented.
    while tick <= (axis_top if table else 0):
        ty = y(tick)
        _el(axis, "line", x1=left, y1=ty, x2=left + plot_w, y2=ty, stroke=GRID if tick else INK,
            class_="grid" if tick else "axis-line")
        _el(axis, "text", exact_money(tick).removesuffix(".00"), x=left - 8, y=ty + 4, text_anchor="end",
            font_size="11", class_="tick-label")
        with localcontext(EXACT):
            tick += step

    if not table:
        _el(root, "text", f"No liquidated damages accrued by the as-of date {as_of}", x=left + 12,
            y=top + plot_h / 2, fill=MUTED, class_="empty-note")
        return _serialize(root)

    group = plot_w / len(table)
    # Bars no wider than 48 units, the group centred in its month: a one-month chart stays a bar chart.
    bar = min(group * 0.8 / max(len(investors), 1), 48.0)
    pad = (group - bar * len(investors)) / 2
    label_step = next(s for s in (1, 2, 3, 4, 6, 12, 24, 60) if len(table) / s <= 12)
    months = _el(root, "g", class_="axis axis-months")
    series = [_el(root, "g", class_=f"series series-{i}", fill=PALETTE[i % len(PALETTE)])
              for i in range(len(investors))]
    for position, (month, values) in enumerate(table):
        gx = left + group * position
        if position % label_step == 0:
            first = dt.date.fromisoformat(month + "-01")
            _el(months, "text", _month_label(first), x=gx + group / 2, y=top + plot_h + 18, text_anchor="middle",
                font_size="11", class_="tick-label")
        for index, investor in enumerate(investors):
            value = values[investor]
            if value <= 0:
                continue
            by = y(value)
            rect = _el(series[index], "rect", x=gx + pad + bar * index, y=by, width=bar,
                       height=top + plot_h - by, class_="bar")
            _el(rect, "title", f"{names[investor]}: {exact_money(value)} accrued by the end of {month}")
    _el(months, "text", "calendar month in which each segment ends; bars are cumulative", x=left + plot_w,
        y=top + plot_h + 40, text_anchor="end", font_size="11", fill=MUTED, class_="axis-note")
    return _serialize(root)
