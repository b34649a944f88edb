"""Calendars and deadline arithmetic (RULES.md §1).

Four calendars serve the agreement, and each clause names the one it uses:

- Trading Day: a session of the Principal Market (``TradingCalendar``, from
  ``exchange_calendars`` through a session cache, see ``load_trading_calendar``);
- SEC business day: a weekday that is not a U.S. federal holiday, observed
  dates included (``sec_calendar``);
- local business day: a weekday that is not a legal holiday where the recipient
  is (``local_calendar``), for SPA 12.1 / RRA 8 notices and W 10;
- calendar day: every day (``days_after``).

Everything here is pure except the session cache, whose only effect is a file
under the user's cache directory.  Importing this module stays cheap: pandas,
``exchange_calendars`` and ``holidays`` are imported only by the code that
needs them, because the CLI runs on every invocation and a cache hit must not
pay ~0.5 s for pandas.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import logging
import os
import re
import sys
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from holidays import HolidayBase

__all__ = [
    "BusinessCalendar",
    "CalendarRangeError",
    "Calendars",
    "HolidayCalendar",
    "TradingCalendar",
    "add_months",
    "add_years",
    "clear_trading_calendar_memo",
    "days_after",
    "load_trading_calendar",
    "local_calendar",
    "open_days_after",
    "roll_forward",
    "sec_calendar",
    "session_cache_path",
    "warrant_roll",
]

logger = logging.getLogger(__name__)

DEFAULT_MIC = "XNAS"
DEFAULT_START = date(1990, 1, 1)
DEFAULT_END = date(2040, 12, 31)
CACHE_DIR_ENV = "PIPEDEAL_CACHE_DIR"

_SATURDAY = 5  # date.weekday(): Monday is 0


class CalendarRangeError(ValueError):
    """A date, or the answer to a query, lies outside the range a calendar covers.

    A calendar never guesses beyond its data: a Trading Day past the end of
    the loaded sessions is unknown, not "open" or "closed".
    """

    def __init__(self, name: str, day: date, first: date, last: date, what: str = "") -> None:
        self.name = name
        self.day = day
        self.first = first
        self.last = last
        detail = what or f"{day.isoformat()} is outside it"
        super().__init__(
            f"the {name} calendar covers {first.isoformat()} to {last.isoformat()}; {detail}"
        )


@runtime_checkable
class BusinessCalendar(Protocol):
    """What a deadline needs from a calendar (RULES §1): which days are open.

    Satisfied by ``TradingCalendar`` (Trading Days) and ``HolidayCalendar``
    (SEC and local business days).  ``first``/``last`` bound the covered range;
    every method raises ``CalendarRangeError`` rather than answer outside it.
    """

    name: str
    first: date
    last: date

    def is_open(self, day: date) -> bool: ...

    def next_open(self, day: date, inclusive: bool = True) -> date: ...

    def previous_open(self, day: date, inclusive: bool = True) -> date: ...

    def add_open_days(self, day: date, n: int) -> date: ...

    def open_days(self, start: date, end: date) -> list[date]: ...

    def count_open_days(self, after: date, through: date) -> int: ...

    def holiday_name(self, day: date) -> str | None: ...


def _require_nonzero(n: int) -> None:
    if n == 0:
        raise ValueError("add_open_days needs n != 0: the 0th open day after a day is undefined")


class _RangeBound:
    """Range checks shared by both calendars."""

    __slots__ = ("first", "last", "name")

    def __init__(self, name: str, first: date, last: date) -> None:
        if first > last:
            raise ValueError(
                f"{name} calendar: covered range is empty ({first.isoformat()} after "
                f"{last.isoformat()})"
            )
        self.name = name
        self.first = first
        self.last = last

    def _check(self, day: date) -> None:
        if not self.first <= day <= self.last:
            raise CalendarRangeError(self.name, day, self.first, self.last)

    def _beyond(self, day: date, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            self.name, day, self.first, self.last, f"{what} {day.isoformat()} lies outside it"
        )

    def __repr__(self) -> str:
        span = f"{self.first.isoformat()}..{self.last.isoformat()}"
        return f"{type(self).__name__}({self.name!r}, {span})"


class TradingCalendar(_RangeBound):
    """RULES §1 Trading Days: the sessions of one Principal Market (a MIC such as "XNAS").

    Holds the sessions as day offsets from ``first`` in a compact ``array`` and
    answers every query by ``bisect``, so a 50-year calendar costs ~25 KB and no
    pandas.  Days in ``[first, last]`` without a session are closed; days
    outside raise ``CalendarRangeError``.
    """

    __slots__ = ("_base", "_offsets", "_ordinals")

    def __init__(self, mic: str, sessions: Iterable[date], first: date, last: date) -> None:
        super().__init__(mic, first, last)
        base = first.toordinal()
        ordinals = [d.toordinal() for d in sessions]
        for previous, current in itertools.pairwise(ordinals):
            if current <= previous:
                raise ValueError(
                    f"{mic} sessions must be strictly increasing; "
                    f"{date.fromordinal(current).isoformat()} follows "
                    f"{date.fromordinal(previous).isoformat()}"
                )
        if ordinals and not (base <= ordinals[0] and ordinals[-1] <= last.toordinal()):
            raise ValueError(
                f"{mic} sessions run {date.fromordinal(ordinals[0]).isoformat()} to "
                f"{date.fromordinal(ordinals[-1]).isoformat()}, outside the covered range "
                f"{first.isoformat()} to {last.isoformat()}"
            )
        offsets = array("I", [o - base for o in ordinals])
        self._base = base
        self._offsets = offsets
        self._ordinals: frozenset[int] | None = None

    @classmethod
    def _from_offsets(
        cls, mic: str, offsets: array[int], first: date, last: date
    ) -> TradingCalendar:
        """Adopt already-validated offsets (the session cache's fast path: no per-day objects)."""
        calendar = cls.__new__(cls)
        _RangeBound.__init__(calendar, mic, first, last)
        calendar._base = first.toordinal()
        calendar._offsets = offsets
        calendar._ordinals = None
        return calendar

    @property
    def session_count(self) -> int:
        return len(self._offsets)

    def session_ordinals(self) -> frozenset[int]:
        """Every session as a day ordinal, for filtering many dates at once (built once)."""
        if self._ordinals is None:
            self._ordinals = frozenset(self._base + offset for offset in self._offsets)
        return self._ordinals

    def _key(self, day: date) -> int:
        self._check(day)
        return day.toordinal() - self._base

    def _day(self, index: int) -> date:
        return date.fromordinal(self._base + self._offsets[index])

    def is_open(self, day: date) -> bool:
        key = self._key(day)
        i = bisect.bisect_left(self._offsets, key)
        return i < len(self._offsets) and self._offsets[i] == key

    def next_open(self, day: date, inclusive: bool = True) -> date:
        key = self._key(day)
        bisector = bisect.bisect_left if inclusive else bisect.bisect_right
        i = bisector(self._offsets, key)
        if i == len(self._offsets):
            raise self._beyond(day, "the next session after")
        return self._day(i)

    def previous_open(self, day: date, inclusive: bool = True) -> date:
        key = self._key(day)
        bisector = bisect.bisect_right if inclusive else bisect.bisect_left
        i = bisector(self._offsets, key) - 1
        if i < 0:
            raise self._beyond(day, "the last session before")
        return self._day(i)

    def add_open_days(self, day: date, n: int) -> date:
        """The n-th session after ``day`` (n >= 1), or the |n|-th before it (n <= -1)."""
        _require_nonzero(n)
        key = self._key(day)
        if n > 0:
            i = bisect.bisect_right(self._offsets, key) + n - 1
        else:
            i = bisect.bisect_left(self._offsets, key) + n
        if not 0 <= i < len(self._offsets):
            raise self._beyond(day, f"the session {n:+d} from")
        return self._day(i)

    def open_days(self, start: date, end: date) -> list[date]:
        lo = bisect.bisect_left(self._offsets, self._key(start))
        hi = bisect.bisect_right(self._offsets, self._key(end))
        base = self._base
        return [date.fromordinal(base + offset) for offset in self._offsets[lo:hi]]

    def count_open_days(self, after: date, through: date) -> int:
        lo = bisect.bisect_right(self._offsets, self._key(after))
        hi = bisect.bisect_right(self._offsets, self._key(through))
        return max(0, hi - lo)

    def holiday_name(self, day: date) -> str | None:
        """A label for a weekday without a session; the session data carries no holiday names."""
        if day.weekday() >= _SATURDAY or self.is_open(day):
            return None
        return f"no {self.name} session"


class HolidayCalendar(_RangeBound):
    """RULES §1 SEC / local business days: weekdays that are not holidays of one place.

    Built by ``sec_calendar()`` or ``local_calendar()``.  Holidays come from the
    ``holidays`` package, observed dates included, loaded a year at a time.
    """

    __slots__ = ("_closed", "_country", "_government", "_loaded_years", "_subdivision")

    def __init__(
        self,
        name: str,
        country: str,
        subdivision: str | None,
        preloaded: HolidayClosings | None = None,
        government: bool = False,
    ) -> None:
        self._government = government
        if preloaded is None:
            source = _holiday_source(country, subdivision, years=())
            first_year, last_year = source.start_year, source.end_year
        else:
            first_year, last_year = preloaded.first_year, preloaded.last_year
        # The package only knows holidays between these years; outside them every
        # weekday would look open, so refuse instead.
        super().__init__(name, date(first_year, 1, 1), date(last_year, 12, 31))
        self._country = country
        self._subdivision = subdivision
        self._closed: dict[int, str] = dict(preloaded.closed) if preloaded else {}
        self._loaded_years: set[int] = set(preloaded.years) if preloaded else set()

    def _load_year(self, year: int) -> None:
        # An observed date can fall in the year before its holiday (New Year's Day
        # 2000 was observed on Fri 1999-12-31), so build year-1..year+1 and keep
        # whatever lands in ``year``.
        source = _holiday_source(self._country, self._subdivision, years=range(year - 1, year + 2),
                                 government=self._government)
        for day, name in source.items():
            # A half-day closing leaves the office open in the morning: not a closed day.
            if day.year == year and "half-day" not in name:
                self._closed[day.toordinal()] = name
        self._loaded_years.add(year)

    def _is_open_unchecked(self, day: date) -> bool:
        if day.weekday() >= _SATURDAY:
            return False
        if day.year not in self._loaded_years:
            self._load_year(day.year)
        return day.toordinal() not in self._closed

    def holiday_name(self, day: date) -> str | None:
        """The holiday closing ``day`` (e.g. "Christmas Day (observed)"), for explanations."""
        self._check(day)
        if day.year not in self._loaded_years:
            self._load_year(day.year)
        return self._closed.get(day.toordinal())

    def is_open(self, day: date) -> bool:
        self._check(day)
        return self._is_open_unchecked(day)

    def _step_to_open(self, day: date, step: int, what: str) -> date:
        # Any calendar has an open day within a couple of weeks, so stepping is
        # cheaper than building an index of the whole covered range.
        one = timedelta(days=step)
        current = day
        while not self._is_open_unchecked(current):
            current += one
            if not self.first <= current <= self.last:
                raise self._beyond(day, what)
        return current

    def next_open(self, day: date, inclusive: bool = True) -> date:
        self._check(day)
        if inclusive:
            return self._step_to_open(day, 1, "the next business day after")
        if day == self.last:
            raise self._beyond(day, "the next business day after")
        return self._step_to_open(day + timedelta(days=1), 1, "the next business day after")

    def previous_open(self, day: date, inclusive: bool = True) -> date:
        self._check(day)
        if inclusive:
            return self._step_to_open(day, -1, "the last business day before")
        if day == self.first:
            raise self._beyond(day, "the last business day before")
        return self._step_to_open(day - timedelta(days=1), -1, "the last business day before")

    def add_open_days(self, day: date, n: int) -> date:
        """The n-th business day after ``day`` (n >= 1), or the |n|-th before it (n <= -1)."""
        _require_nonzero(n)
        self._check(day)
        step = 1 if n > 0 else -1
        current = day
        try:
            for _ in range(abs(n)):
                current = (self.next_open if step > 0 else self.previous_open)(
                    current, inclusive=False
                )
        except CalendarRangeError:
            raise self._beyond(day, f"the business day {n:+d} from") from None
        return current

    def open_days(self, start: date, end: date) -> list[date]:
        self._check(start)
        self._check(end)
        days = []
        current = start
        one = timedelta(days=1)
        while current <= end:
            if self._is_open_unchecked(current):
                days.append(current)
            current += one
        return days

    def count_open_days(self, after: date, through: date) -> int:
        self._check(after)
        self._check(through)
        if through <= after:
            return 0
        return len(self.open_days(after + timedelta(days=1), through))


def _holiday_source(country: str, subdivision: str | None, years: Iterable[int],
                    government: bool = False) -> HolidayBase:
    # Imported here: ``holidays`` costs ~25-75 ms and the CLI often needs only Trading Days.
    import holidays

    categories = ("public", "government") if government else ("public",)
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=years, observed=True,
                                         categories=categories)
    except NotImplementedError:
        supported = holidays.list_supported_countries()
        if country not in supported:
            raise ValueError(
                f"unknown holiday country {country!r}: use an ISO 3166-1 alpha-2 code "
                f"that the holidays package supports, e.g. US, LI, GB, CH, DE"
            ) from None
        subdivisions = supported[country]
        listed = ", ".join(subdivisions) if subdivisions else "none (pass subdivision=None)"
        raise ValueError(
            f"unknown subdivision {subdivision!r} of {country}: valid subdivisions are {listed}"
        ) from None


def sec_calendar() -> HolidayCalendar:
    """RULES §1 / Securities Act Rule 0-3: SEC business days.

    A weekday that is not a U.S. federal holiday, observed dates included: the
    SEC was closed Fri 1999-12-24 (Christmas observed) and Fri 1999-12-31
    (New Year's Day 2000 observed). Days the federal government was closed by
    executive order (2004-06-11, the national day of mourning for President
    Reagan; Christmas Eve 2001, 2007, 2012, ...) closed the SEC too; half-day
    closings did not.
    """
    return _cached_holiday_calendar("SEC", "US", None, government=True)


def local_calendar(country: str, subdivision: str | None = None) -> HolidayCalendar:
    """RULES §1 / SPA 12.1, RRA 8, W 10: local business days where a party is.

    ``("US", "MA")`` for Wilmington or Boston (Patriots' Day closed; no
    Saturday-to-Friday shift, so Fri 1999-12-24 is a business day);
    ``("LI", None)`` for Vaduz.  Unknown places raise ``ValueError``.
    """
    name = country if subdivision is None else f"{country}-{subdivision}"
    return _cached_holiday_calendar(name, country, subdivision)


@dataclass(frozen=True)
class Calendars:
    """RULES §1: the calendar each clause counts in, for one deal."""

    trading: TradingCalendar  # the Principal Market's sessions
    sec: HolidayCalendar  # SEC business days (U.S. federal)
    business: HolidayCalendar  # what the agreement calls a Business Day (PIPE-TERMS [calendars].business)
    company: HolidayCalendar  # the Company's own business days, where notices to it land


# --- Deadline arithmetic (RULES §1) -------------------------------------------------


def days_after(start: date, n: int) -> date:
    """RULES §1 "within N days after X": the deadline is the end of calendar day X + N.

    A negative ``n`` counts back (W 14's "30 days before").
    """
    return start + timedelta(days=n)


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; February 29 becomes February 28 in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(anchor: date, months: int) -> date:
    """``anchor`` plus whole months, keeping its day of the month, clamped to the
    month's last day (January 31 + 1 month = February 28 or 29)."""
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    for day in (anchor.day, 30, 29, 28):
        try:
            return date(year, month, min(anchor.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def open_days_after(calendar: BusinessCalendar, start: date, n: int) -> date:
    """RULES §1 "within N Trading Days after X": the N-th open day of ``calendar`` after X.

    X itself never counts, open or not; ``n`` must be at least 1.
    """
    if n < 1:
        raise ValueError(f"open_days_after counts at least one open day; got n={n}")
    return calendar.add_open_days(start, n)


def roll_forward(day: date, calendar: BusinessCalendar) -> date:
    """RULES §1 / Securities Act Rule 0-3 (``roll_deadlines``): a deadline on a closed day
    moves to the next open day of ``calendar``; an open day stays put.

    E.g. a filing deadline of Fri 1999-12-24 rolls on ``sec_calendar()`` to Mon 1999-12-27.
    """
    return calendar.next_open(day, inclusive=True)


def warrant_roll(day: date, calendar: HolidayCalendar) -> date:
    """RULES §1 / W 10: an action due on a Saturday, Sunday or legal holiday may be taken
    on the next succeeding day that is none of those.

    ``calendar`` is the local calendar of the place the warrant names (RULES: MA,
    ``local_calendar("US", "MA")``), never a Trading-Day calendar: W 10 speaks of
    legal holidays, not market closures.
    """
    return roll_forward(day, calendar)


# --- Session cache -------------------------------------------------------------------
#
# File format (version 1), little-endian:
#   line 1, ASCII: "pipedeal-sessions 1 <mic> <first YYYYMMDD> <last YYYYMMDD>
#                   <ecal version> <typecode> <count> <crc32 hex>\n"
#   then <count> unsigned integers of array typecode "H" (or "I" when the range
#   exceeds 65535 days): each session's offset in days from <first>, ascending.
# The header repeats what the file name says so that a renamed or mixed-up file
# is detected, and the CRC catches a torn or damaged payload.

_MAGIC = b"pipedeal-sessions"
_FORMAT_VERSION = b"1"
_MEMO: dict[tuple[str, date, date, Path], TradingCalendar] = {}
_ECAL_VERSION: str | None = None


def _ecal_version() -> str:
    global _ECAL_VERSION
    if _ECAL_VERSION is None:
        _ECAL_VERSION = _installed_version("exchange_calendars")
    return _ECAL_VERSION


def _installed_version(package: str) -> str:
    """The installed version of ``package`` without importing it.

    Reads the ``<name>-<version>.dist-info`` folder beside the package, which
    costs a directory listing; ``importlib.metadata`` costs 10-35 ms to import,
    and importing the package itself (pandas, for exchange_calendars) is what
    the caches exist to avoid.
    """
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return "none"
    site = Path(spec.origin).parent.parent
    for info in site.glob(f"{package}-*.dist-info"):
        return info.name[len(package) + 1 : -len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


def _cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    from_env = os.environ.get(CACHE_DIR_ENV)
    if from_env:
        return Path(from_env)
    # platformdirs costs ~50 us a call, and a ledger of many deals asks for every holiday
    # calendar of every deal: kept per value of the variables it reads.
    key = (os.environ.get("XDG_CACHE_HOME"), os.environ.get("HOME"), os.environ.get("LOCALAPPDATA"))
    found = _USER_CACHE_DIRS.get(key)
    if found is None:
        import platformdirs

        found = _USER_CACHE_DIRS[key] = Path(platformdirs.user_cache_dir("pipedeal"))
    return found


_USER_CACHE_DIRS: dict[tuple[str | None, ...], Path] = {}


def session_cache_path(
    mic: str = DEFAULT_MIC,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Where ``load_trading_calendar`` keeps the sessions of ``mic`` over ``[start, end]``.

    The name carries the exchange_calendars version, so an upgrade (which may
    add or correct closures) never reads sessions built by an older one.
    """
    # Calendar names such as "24/7" are not file-name safe; the header check
    # guards against two names mapping to one file.
    safe_mic = re.sub(r"[^A-Za-z0-9_-]", "_", mic)
    name = f"sessions-{safe_mic}-{start:%Y%m%d}-{end:%Y%m%d}-ecal{_ecal_version()}.bin"
    return _cache_dir(cache_dir) / name


def _encode(calendar: TradingCalendar, version: str) -> bytes:
    offsets = calendar._offsets
    typecode = "H" if calendar.last.toordinal() - calendar.first.toordinal() <= 0xFFFF else "I"
    packed = array(typecode, offsets)
    if sys.byteorder == "big":
        packed.byteswap()
    payload = packed.tobytes()
    header = b" ".join(
        [
            _MAGIC,
            _FORMAT_VERSION,
            calendar.name.encode("utf-8"),
            f"{calendar.first:%Y%m%d}".encode(),
            f"{calendar.last:%Y%m%d}".encode(),
            version.encode("utf-8"),
            typecode.encode(),
            str(len(packed)).encode(),
            f"{zlib.crc32(payload):08x}".encode(),
        ]
    )
    return header + b"\n" + payload


def _decode(data: bytes, mic: str, start: date, end: date, version: str) -> TradingCalendar | None:
    """The calendar stored in ``data``, or None if it is not exactly what was asked for."""
    header, newline, payload = data.partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 9:
        return None
    magic, fmt, f_mic, f_first, f_last, f_version, typecode, f_count, f_crc = fields
    expected = (
        _MAGIC,
        _FORMAT_VERSION,
        mic.encode("utf-8"),
        f"{start:%Y%m%d}".encode(),
        f"{end:%Y%m%d}".encode(),
        version.encode("utf-8"),
    )
    if (magic, fmt, f_mic, f_first, f_last, f_version) != expected or typecode not in (b"H", b"I"):
        return None
    try:
        count = int(f_count)
        crc = int(f_crc, 16)
    except ValueError:
        return None
    offsets = array(typecode.decode())
    if len(payload) != count * offsets.itemsize or zlib.crc32(payload) != crc:
        return None
    offsets.frombytes(payload)
    if sys.byteorder == "big":
        offsets.byteswap()
    span = end.toordinal() - start.toordinal()
    # The CRC proves the bytes are the ones written; this proves the writer was sane.
    # A sorted check over ~13k sessions costs well under a millisecond.
    if offsets and (offsets[-1] > span or not all(a < b for a, b in itertools.pairwise(offsets))):
        return None
    return TradingCalendar._from_offsets(mic, offsets, start, end)


def _read_cache(
    path: Path, mic: str, start: date, end: date, version: str
) -> TradingCalendar | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read session cache %s (%s); rebuilding in memory", path, exc)
        return None
    calendar = _decode(data, mic, start, end, version)
    if calendar is None:
        logger.warning("session cache %s is damaged or stale; rebuilding it", path)
    return calendar


def _write_cache(path: Path, data: bytes) -> None:
    # Imported here: only a cache miss writes, and every CLI start imports this module.
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    # Temp file in the same directory + os.replace: a concurrent reader sees the old
    # file or the whole new one, never half of it.  No fsync: a file lost to a crash
    # is only rebuilt, and the CRC rejects a torn one.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _build_from_exchange_calendars(mic: str, start: date, end: date) -> TradingCalendar:
    # Imported here, on a cache miss only: this import is the ~0.5 s the cache saves.
    import exchange_calendars
    from exchange_calendars.errors import InvalidCalendarName

    try:
        source = exchange_calendars.get_calendar(mic, start=start.isoformat(), end=end.isoformat())
    except InvalidCalendarName:
        # Aliases included: XNAS itself is one (of XNYS) in exchange_calendars 4.x.
        names = exchange_calendars.get_calendar_names(include_aliases=True)
        import difflib

        close = difflib.get_close_matches(mic, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        common = [n for n in ("XNAS", "XNYS", "XASE", "XTSE", "XLON", "XSWX") if n in names]
        raise ValueError(
            f"unknown Principal Market {mic!r}: exchange_calendars has no calendar of that name."
            f"{hint} Valid MICs include {', '.join(common)} ({len(names)} in all; see "
            f"exchange_calendars.get_calendar_names())."
        ) from None
    except ValueError as exc:
        # exchange_calendars (or pandas under it) refuses ranges it cannot represent.
        raise ValueError(
            f"exchange_calendars cannot build {mic} sessions for "
            f"{start.isoformat()}..{end.isoformat()}: {exc}"
        ) from None
    return TradingCalendar(mic, (ts.date() for ts in source.sessions), start, end)


def load_trading_calendar(
    mic: str = DEFAULT_MIC,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    cache_dir: str | os.PathLike[str] | None = None,
) -> TradingCalendar:
    """SPA 1.25, RULES §1: Trading Days of the Principal Market ``mic`` over ``[start, end]``, cached.

    Looks in ``cache_dir``, else ``$PIPEDEAL_CACHE_DIR``, else
    ``platformdirs.user_cache_dir("pipedeal")``.  A hit reads a ~25 KB file
    without importing pandas or exchange_calendars; a miss (or a damaged file)
    builds from exchange_calendars and rewrites the file atomically.  A cache
    directory that cannot be written only costs speed.  Results are memoized
    for the life of the process.  Sessions after today are exchange_calendars'
    projection from the regular holiday rules, not history.

    Raises ``ValueError`` for an unknown MIC, naming it and some valid ones.
    """
    directory = _cache_dir(cache_dir)
    key = (mic, start, end, directory)
    calendar = _MEMO.get(key)
    if calendar is not None:
        return calendar
    version = _ecal_version()
    path = session_cache_path(mic, start, end, directory)
    calendar = _read_cache(path, mic, start, end, version)
    if calendar is None:
        calendar = _build_from_exchange_calendars(mic, start, end)
        try:
            _write_cache(path, _encode(calendar, version))
        except OSError as exc:
            logger.warning(
                "cannot write session cache %s (%s); each run will rebuild %s from "
                "exchange_calendars (~0.5 s). Set %s to a writable directory.",
                path,
                exc,
                mic,
                CACHE_DIR_ENV,
            )
    _MEMO[key] = calendar
    return calendar


def clear_trading_calendar_memo() -> None:
    """Forget the calendars loaded in this process (the files on disk stay)."""
    _MEMO.clear()
    _HOLIDAY_MEMO.clear()


# --- Holiday cache -------------------------------------------------------------------
#
# Importing ``holidays`` and building a country's rules costs ~100 ms, most of a
# CLI run. The closings of a place for the usual years are small (about 600
# dates for the U.S. over 1990-2040), so they are kept as JSON beside the
# session cache, keyed by place, years and the holidays version. Years outside
# the cached range still load lazily from the package.

HOLIDAY_YEARS = (DEFAULT_START.year, DEFAULT_END.year)


@functools.cache
def supported_places() -> dict[str, tuple[str, ...]]:
    """Every ISO 3166-1 alpha-2 country ``holidays`` has a calendar for, with the codes of the
    subdivisions it knows there; cached as JSON per holidays version (the package costs
    ~100 ms to import, and a terms file is checked against this on every run)."""
    import json

    path = _cache_dir(None) / f"holidays-places-hol{_installed_version('holidays')}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(country): tuple(str(code) for code in codes) for country, codes in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        pass  # missing or damaged: rebuild below
    import holidays

    places = {country: tuple(codes) for country, codes in
              holidays.list_supported_countries(include_aliases=False).items()}
    try:
        _write_cache(path, json.dumps(places).encode("utf-8"))
    except OSError as exc:
        logger.warning("cannot write holiday cache %s (%s)", path, exc)
    return places


class HolidayClosings:
    """The closings of one place for a range of years, as read from the cache."""

    __slots__ = ("closed", "first_year", "last_year", "years")

    def __init__(self, closed: dict[int, str], years: range, first_year: int, last_year: int):
        self.closed = closed
        self.years = years
        self.first_year = first_year
        self.last_year = last_year


def _holiday_cache_path(country: str, subdivision: str | None, government: bool = False) -> Path:
    place = re.sub(r"[^A-Za-z0-9_-]", "_", f"{country}-{subdivision or 'all'}{'-government' if government else ''}")
    first, last = HOLIDAY_YEARS
    name = f"holidays-{place}-{first}-{last}-hol{_installed_version('holidays')}.json"
    return _cache_dir(None) / name


_HOLIDAY_MEMO: dict[tuple[str, str, str | None, bool, Path], HolidayCalendar] = {}


def _cached_holiday_calendar(name: str, country: str, subdivision: str | None,
                             government: bool = False) -> HolidayCalendar:
    # Memoized for the life of the process, as the trading calendars are: a command reading a
    # thousand deals asks for the same few places thousands of times, and each read of the file
    # (and of the holidays version behind its name) costs ~0.5 ms.
    directory = _cache_dir(None)
    key = (name, country, subdivision, government, directory)
    calendar = _HOLIDAY_MEMO.get(key)
    if calendar is None:
        calendar = _HOLIDAY_MEMO[key] = _load_holiday_calendar(name, country, subdivision, government)
    return calendar


def _load_holiday_calendar(name: str, country: str, subdivision: str | None,
                           government: bool = False) -> HolidayCalendar:
    import json

    path = _holiday_cache_path(country, subdivision, government)
    years = range(HOLIDAY_YEARS[0], HOLIDAY_YEARS[1] + 1)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        closings = HolidayClosings(
            {date.fromisoformat(day).toordinal(): label for day, label in data["closed"].items()},
            years, int(data["first_year"]), int(data["last_year"]))
        if (data["country"], data["subdivision"], data.get("government", False)) != (
                country, subdivision, government):
            raise ValueError("cache is for another place")
        return HolidayCalendar(name, country, subdivision, closings, government)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or damaged: rebuild below
    calendar = HolidayCalendar(name, country, subdivision, government=government)
    for year in years:
        if calendar.first.year <= year <= calendar.last.year:
            calendar._load_year(year)
    payload = {
        "country": country,
        "subdivision": subdivision,
        "government": government,
        "first_year": calendar.first.year,
        "last_year": calendar.last.year,
        "closed": {date.fromordinal(o).isoformat(): label
                   for o, label in sorted(calendar._closed.items())},
    }
    try:
        _write_cache(path, json.dumps(payload, indent=0).encode("utf-8"))
    except OSError as exc:
        logger.warning("cannot write holiday cache %s (%s)", path, exc)
    return calendar
