"""Write the ILLUSTRATIVE daily quotes of the bundled deals other than FOCUS.

The meridian-2006 and lumen-2023 deals are invented; so are their quotes: a
deterministic, seeded random walk in cents on the exchange's sessions, drifting
toward an illustrative path (so warrants are sometimes in the money), with the
closes of the pricing window pinned to round figures so the Market Price can be
checked by hand. The VWAP is the mean of high, low and close, to the cent
(illustrative, like everything else here).

    python scripts/make_illustrative_quotes.py meridian-2006 > src/pipedeal/deals/meridian-2006/quotes.csv
    python scripts/make_illustrative_quotes.py lumen-2023 > src/pipedeal/deals/lumen-2023/quotes.csv
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pipedeal.base.calendars import load_trading_calendar

D = dt.date.fromisoformat


@dataclass(frozen=True)
class Walk:
    mic: str
    first: dt.date
    last: dt.date
    seed: int
    start_cents: int
    targets: tuple[tuple[dt.date, int], ...]  # (day, cents) the walk drifts toward
    pinned_closes: dict[dt.date, int] = field(default_factory=dict)  # exact closes, in cents


WALKS = {
    # Agreement 2006-03-14: the five closes before it (03-07 .. 03-13) average $2.40.
    "meridian-2006": Walk("XNAS", D("2006-01-03"), D("2012-06-29"), 20060314, 250, (
        (D("2006-01-03"), 250), (D("2006-03-14"), 240), (D("2006-09-01"), 260), (D("2007-02-01"), 190),
        (D("2007-06-01"), 310), (D("2008-10-01"), 120), (D("2010-06-01"), 160), (D("2012-06-29"), 140)),
        {D("2006-03-07"): 238, D("2006-03-08"): 242, D("2006-03-09"): 241, D("2006-03-10"): 239,
         D("2006-03-13"): 240}),
    # Agreement 2023-06-12, fixed prices: the path only has to put the warrants in and out of the money.
    "lumen-2023": Walk("XNAS", D("2023-01-03"), D("2026-11-30"), 20230612, 300, (
        (D("2023-01-03"), 300), (D("2023-06-12"), 320), (D("2024-01-02"), 410), (D("2024-06-03"), 450),
        (D("2025-01-02"), 280), (D("2026-11-30"), 360))),
}


def target(walk: Walk, day: dt.date) -> int:
    for (start, low), (end, high) in itertools.pairwise(walk.targets):
        if start <= day <= end:
            return round(low + (high - low) * (day - start).days / (end - start).days)
    return walk.targets[-1][1]


def dollars(cents: int | Decimal) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def main(name: str) -> None:
    walk = WALKS[name]
    trading = load_trading_calendar(walk.mic)
    rng = random.Random(walk.seed)
    cents = walk.start_cents
    out = sys.stdout
    out.write("date,open,high,low,close,bid,ask,volume,vwap\n")
    for day in trading.open_days(walk.first, walk.last):
        cents += rng.randint(-4, 4) + (target(walk, day) - cents) // 8
        cents = max(25, cents)
        close = walk.pinned_closes.get(day, cents)
        high = close + rng.randint(0, 6)
        low = max(1, close - rng.randint(0, 6))
        open_ = rng.randint(low, high)
        vwap = (Decimal(high + low + close) / 3).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        volume = rng.randint(50, 2000) * 100
        out.write(",".join([day.isoformat(), dollars(open_), dollars(high), dollars(low), dollars(close),
                            dollars(close - 1), dollars(close + 1), str(volume), dollars(vwap)]) + "\n")
        if day in walk.pinned_closes:
            cents = close


if __name__ == "__main__":
    main(sys.argv[1])
