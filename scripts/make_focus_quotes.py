"""Write the ILLUSTRATIVE FOCUS (FCSE) daily quotes shipped with the package.

We have no real 1999-2004 FCSE quotes. This script makes a deterministic,
seeded random walk on the XNAS sessions, in integer ticks (1/32 of a dollar
before Nasdaq's decimalization completed on 2001-04-09, one cent after), so
every price is exact. The five closing bids before the 1999-11-24 Closing are
pinned so the Market Price is a round figure to check by hand.

    python scripts/make_focus_quotes.py > src/pipedeal/deals/focus-1999/quotes.csv
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
from decimal import Decimal

from pipedeal.base.calendars import load_trading_calendar

DECIMALIZATION = dt.date(2001, 4, 9)
# From February 2000 the walk drifts toward an illustrative path (the dot-com run-up
# and fall), so that a warrant is sometimes in the money; before it, a plain walk.
DRIFT_FROM = dt.date(2000, 2, 1)
TARGETS = [  # (day, price in dollars)
    (dt.date(2000, 2, 1), 1.6), (dt.date(2000, 3, 10), 4.5), (dt.date(2000, 6, 1), 3.0),
    (dt.date(2000, 12, 1), 2.5), (dt.date(2001, 6, 1), 1.5), (dt.date(2002, 6, 1), 0.9),
    (dt.date(2004, 12, 31), 1.2),
]


def target_ticks(day: dt.date, decimal_mode: bool) -> int:
    """The illustrative path on ``day``, in the walk's ticks (linear between targets)."""
    for (start, low), (end, high) in itertools.pairwise(TARGETS):
        if start <= day <= end:
            dollars = low + (high - low) * (day - start).days / (end - start).days
            return round(dollars * (100 if decimal_mode else 32))
    return round(TARGETS[-1][1] * (100 if decimal_mode else 32))
PINNED_BIDS_32NDS = {  # SPA 1.10: the five closing bids before the Closing Date
    dt.date(1999, 11, 17): 53,  # 1 21/32
    dt.date(1999, 11, 18): 54,  # 1 11/16
    dt.date(1999, 11, 19): 52,  # 1 5/8
    dt.date(1999, 11, 22): 51,  # 1 19/32
    dt.date(1999, 11, 23): 52,  # 1 5/8
}


def fraction_text(ticks: int) -> str:
    whole, rest = divmod(ticks, 32)
    if rest == 0:
        return str(whole)
    numerator, denominator = rest, 32
    while numerator % 2 == 0:
        numerator //= 2
        denominator //= 2
    return f"{whole} {numerator}/{denominator}" if whole else f"{numerator}/{denominator}"


def cents_text(cents: int) -> str:
    return str(Decimal(cents) / 100)


def main() -> None:
    trading = load_trading_calendar("XNAS")
    rng = random.Random(19991124)
    days = trading.open_days(dt.date(1999, 11, 1), dt.date(2004, 12, 31))
    ticks = 52  # in 32nds until decimalization, then in cents
    out = sys.stdout
    out.write("date,open,high,low,close,bid,ask,volume\n")
    decimal_mode = False
    for day in days:
        if not decimal_mode and day >= DECIMALIZATION:
            decimal_mode = True
            ticks = ticks * 100 // 32
        unit_max = 320 * (100 // 32 if decimal_mode else 1)
        step = 3 if decimal_mode else 1
        move = rng.randint(-2, 2) * step
        if day >= DRIFT_FROM:
            move += (target_ticks(day, decimal_mode) - ticks) // 8
        ticks = max(16 * (3 if decimal_mode else 1), min(unit_max, ticks + move))
        bid = PINNED_BIDS_32NDS.get(day, ticks - step)
        close = bid + step
        high = close + rng.randint(0, 3) * step
        low = max(1, bid - rng.randint(0, 3) * step)
        open_ = rng.randint(low, high)
        ask = close + step
        volume = rng.randint(20, 400) * 100
        text = cents_text if decimal_mode else fraction_text
        out.write(",".join([day.isoformat(), text(open_), text(high), text(low), text(close),
                            text(bid), text(ask), str(volume)]) + "\n")
        if day in PINNED_BIDS_32NDS:
            ticks = close


if __name__ == "__main__":
    main()
