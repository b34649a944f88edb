"""RULES.md §1 calendars and deadline arithmetic, against real exchange_calendars and holidays."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

SRC = Path(__file__).resolve().parents[1] / "src"
# Until the package is installed into the venv, import it from the source tree.
if importlib.util.find_spec("pipedeal") is None:
    sys.path.insert(0, str(SRC))

from pipedeal.base.calendars import (  # noqa: E402
    BusinessCalendar,
    CalendarRangeError,
    HolidayCalendar,
    TradingCalendar,
    days_after,
    load_trading_calendar,
    local_calendar,
    open_days_after,
    roll_forward,
    sec_calendar,
    session_cache_path,
    warrant_roll,
)

CLOSING = date(1999, 11, 24)
# Leaves room inside the 1990-2040 cache for an open day before and 60 after any drawn date.
PROPERTY_DATES = st.dates(min_value=date(1990, 2, 1), max_value=date(2040, 9, 30))
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
CALENDAR_NAMES = ["XNAS", "SEC", "US-MA", "LI"]


@pytest.fixture(scope="module")
def session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sessions")


@pytest.fixture(scope="module")
def xnas(session_cache_dir: Path) -> TradingCalendar:
    # The one cold build of the module; the cache tests reuse the file it writes.
    return load_trading_calendar("XNAS", cache_dir=session_cache_dir)


@pytest.fixture(scope="module")
def sec() -> HolidayCalendar:
    return sec_calendar()


@pytest.fixture(scope="module")
def massachusetts() -> HolidayCalendar:
    return local_calendar("US", "MA")


@pytest.fixture(scope="module")
def calendars(
    xnas: TradingCalendar, sec: HolidayCalendar, massachusetts: HolidayCalendar
) -> dict[str, BusinessCalendar]:
    return {"XNAS": xnas, "SEC": sec, "US-MA": massachusetts, "LI": local_calendar("LI")}


# --- Trading Days --------------------------------------------------------------------


def test_nasdaq_closed_from_september_11_through_14_2001_and_reopens_monday_17(
    xnas: TradingCalendar,
) -> None:
    assert xnas.is_open(date(2001, 9, 10))
    for day in range(11, 15):
        assert not xnas.is_open(date(2001, 9, day)), day
    assert xnas.is_open(date(2001, 9, 17))
    assert xnas.next_open(date(2001, 9, 11)) == date(2001, 9, 17)
    assert xnas.count_open_days(date(2001, 9, 10), date(2001, 9, 17)) == 1


def test_nasdaq_closed_for_the_reagan_funeral_on_2004_06_11(xnas: TradingCalendar) -> None:
    assert not xnas.is_open(date(2004, 6, 11))
    assert xnas.holiday_name(date(2004, 6, 11)) == "no XNAS session"
    assert xnas.previous_open(date(2004, 6, 11)) == date(2004, 6, 10)
    assert xnas.next_open(date(2004, 6, 11)) == date(2004, 6, 14)


def test_exercise_certificates_due_3_trading_days_after_2001_09_10_skip_the_closure(
    xnas: TradingCalendar,
) -> None:
    # W 3: certificates within 3 Trading Days; the market did not trade 9/11-9/14.
    assert open_days_after(xnas, date(2001, 9, 10), 3) == date(2001, 9, 19)


def test_market_price_window_is_the_5_trading_days_ending_the_day_before_closing(
    xnas: TradingCalendar,
) -> None:
    # SPA 1.10 via RULES §2: 5 Trading Days ending on the Trading Day before the Closing.
    window = [
        date(1999, 11, 17),
        date(1999, 11, 18),
        date(1999, 11, 19),
        date(1999, 11, 22),
        date(1999, 11, 23),
    ]
    last = xnas.previous_open(CLOSING, inclusive=False)
    first = xnas.add_open_days(CLOSING, -5)
    assert (first, last) == (window[0], window[-1])
    assert xnas.open_days(first, last) == window
    assert xnas.add_open_days(last, -4) == first


def test_zero_open_days_after_a_day_is_refused(xnas: TradingCalendar, sec: HolidayCalendar) -> None:
    for calendar in (xnas, sec):
        with pytest.raises(ValueError, match="n != 0"):
            calendar.add_open_days(CLOSING, 0)
    with pytest.raises(ValueError, match="at least one"):
        open_days_after(xnas, CLOSING, 0)


def test_trading_day_query_before_the_loaded_sessions_names_mic_date_and_range(
    xnas: TradingCalendar,
) -> None:
    with pytest.raises(CalendarRangeError) as caught:
        xnas.is_open(date(1989, 12, 29))
    message = str(caught.value)
    for part in ("XNAS", "1989-12-29", "1990-01-01", "2040-12-31"):
        assert part in message
    assert isinstance(caught.value, ValueError)


def test_next_session_past_the_covered_range_is_an_error_not_a_guess() -> None:
    week = TradingCalendar(
        "XTST",
        [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 5)],
        date(2024, 1, 1),
        date(2024, 1, 7),
    )
    assert week.next_open(date(2024, 1, 4)) == date(2024, 1, 5)
    assert week.add_open_days(date(2024, 1, 1), 3) == date(2024, 1, 5)
    with pytest.raises(CalendarRangeError, match="XTST"):
        week.next_open(date(2024, 1, 6))
    with pytest.raises(CalendarRangeError):
        week.add_open_days(date(2024, 1, 3), 2)
    with pytest.raises(CalendarRangeError):
        week.previous_open(date(2024, 1, 2), inclusive=False)
    with pytest.raises(CalendarRangeError):
        week.count_open_days(date(2024, 1, 1), date(2024, 1, 8))


def test_sessions_out_of_order_or_outside_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        TradingCalendar(
            "XTST", [date(2024, 1, 3), date(2024, 1, 2)], date(2024, 1, 1), date(2024, 1, 7)
        )
    with pytest.raises(ValueError, match="outside the covered range"):
        TradingCalendar("XTST", [date(2023, 12, 29)], date(2024, 1, 1), date(2024, 1, 7))


# --- SEC and local business days -----------------------------------------------------


def test_christmas_eve_1999_is_an_sec_holiday_but_a_massachusetts_business_day(
    sec: HolidayCalendar, massachusetts: HolidayCalendar
) -> None:
    assert not sec.is_open(date(1999, 12, 24))
    assert sec.holiday_name(date(1999, 12, 24)) == "Christmas Day (observed)"
    # Massachusetts moves a Sunday holiday to Monday but never a Saturday one to Friday.
    assert massachusetts.is_open(date(1999, 12, 24))
    assert massachusetts.holiday_name(date(1999, 12, 24)) is None


def test_new_years_day_2000_observed_closes_the_sec_on_friday_1999_12_31_but_not_nasdaq(
    xnas: TradingCalendar,
) -> None:
    # A fresh calendar whose first lookup is in 1999: the closure belongs to 2000's holiday.
    fresh = sec_calendar()
    assert not fresh.is_open(date(1999, 12, 31))
    assert fresh.holiday_name(date(1999, 12, 31)) == "New Year's Day (observed)"
    assert xnas.is_open(date(1999, 12, 31))


def test_patriots_day_1999_closes_massachusetts_but_not_the_sec(
    sec: HolidayCalendar, massachusetts: HolidayCalendar
) -> None:
    assert not massachusetts.is_open(date(1999, 4, 19))
    assert massachusetts.holiday_name(date(1999, 4, 19)) == "Patriots' Day"
    assert sec.is_open(date(1999, 4, 19))


def test_vaduz_closes_for_immaculate_conception_and_st_stephens_day_1999(
    sec: HolidayCalendar,
) -> None:
    vaduz = local_calendar("LI")
    assert not vaduz.is_open(date(1999, 12, 8))
    assert vaduz.holiday_name(date(1999, 12, 8)) == "Immaculate Conception"
    assert vaduz.holiday_name(date(1999, 12, 26)) == "Saint Stephen's Day"
    assert sec.is_open(date(1999, 12, 8))
    # A notice received in Vaduz on Tue 1999-12-07 after hours takes effect Thu 12-09.
    assert vaduz.next_open(date(1999, 12, 7), inclusive=False) == date(1999, 12, 9)


def test_unknown_place_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'ZZ' of US: valid subdivisions are .*MA"):
        local_calendar("US", "ZZ")
    with pytest.raises(ValueError, match="'XX'"):
        local_calendar("XX")


def test_holiday_calendar_refuses_dates_before_the_holiday_data_begins() -> None:
    with pytest.raises(CalendarRangeError, match="LI calendar covers 1901-01-01"):
        local_calendar("LI").is_open(date(1900, 1, 2))


# --- Deadline arithmetic -------------------------------------------------------------


def test_filing_deadline_due_on_christmas_eve_1999_rolls_to_monday(sec: HolidayCalendar) -> None:
    # RULES §1 example: Closing 1999-11-24 + 30 days = Fri 1999-12-24, SEC closed.
    unrolled = days_after(CLOSING, 30)
    assert unrolled == date(1999, 12, 24)
    assert roll_forward(unrolled, sec) == date(1999, 12, 27)
    # roll_deadlines = false keeps the calendar-day deadline as it is.
    assert unrolled == date(1999, 12, 24)


def test_deadline_on_an_open_day_does_not_roll(sec: HolidayCalendar) -> None:
    assert roll_forward(date(1999, 12, 23), sec) == date(1999, 12, 23)


def test_warrant_action_due_saturday_before_patriots_day_2004_moves_to_tuesday(
    massachusetts: HolidayCalendar,
) -> None:
    # W 10: next day not a Saturday, Sunday or (Massachusetts) legal holiday.
    assert warrant_roll(date(2004, 4, 17), massachusetts) == date(2004, 4, 20)
    # The Termination Date 2004-12-01 is a Wednesday and stays.
    assert warrant_roll(date(2004, 12, 1), massachusetts) == date(2004, 12, 1)


# --- Session cache -------------------------------------------------------------------


def _run_fresh_python(code: str, *args: str) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_second_load_reads_the_cache_file_without_importing_exchange_calendars(
    xnas: TradingCalendar, session_cache_dir: Path
) -> None:
    path = session_cache_path("XNAS", cache_dir=session_cache_dir)
    assert path.is_file()
    written = path.stat().st_mtime_ns
    code = """
import json, sys
from datetime import date
from pipedeal.base.calendars import load_trading_calendar
cal = load_trading_calendar("XNAS", cache_dir=sys.argv[1])
print(json.dumps({
    "imported": sorted(m for m in ("exchange_calendars", "pandas") if m in sys.modules),
    "sessions": cal.session_count,
    "open_0911": cal.is_open(date(2001, 9, 11)),
    "open_0917": cal.is_open(date(2001, 9, 17)),
}))
"""
    seen = json.loads(_run_fresh_python(code, str(session_cache_dir)))
    assert seen == {
        "imported": [],
        "sessions": xnas.session_count,
        "open_0911": False,
        "open_0917": True,
    }
    assert path.stat().st_mtime_ns == written


def test_cache_file_is_named_by_mic_range_and_exchange_calendars_version(
    session_cache_dir: Path,
) -> None:
    from importlib.metadata import version

    path = session_cache_path("XNAS", date(1990, 1, 1), date(2040, 12, 31), session_cache_dir)
    expected = f"sessions-XNAS-19900101-20401231-ecal{version('exchange_calendars')}.bin"
    assert path == session_cache_dir / expected


def test_repeated_loads_in_one_process_reuse_the_memoized_calendar(
    xnas: TradingCalendar, session_cache_dir: Path
) -> None:
    assert load_trading_calendar("XNAS", cache_dir=session_cache_dir) is xnas


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-7], id="truncated"),
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]), id="flipped-byte"),
        pytest.param(lambda data: b"not a session cache\n" + data, id="foreign-header"),
        pytest.param(lambda data: data.replace(b" XNAS ", b" XNYS ", 1), id="other-mic"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_damaged_cache_file_is_rebuilt_not_trusted(
    damage, xnas: TradingCalendar, session_cache_dir: Path, tmp_path: Path
) -> None:
    good = session_cache_path("XNAS", cache_dir=session_cache_dir).read_bytes()
    path = session_cache_path("XNAS", cache_dir=tmp_path)
    path.write_bytes(damage(good))
    rebuilt = load_trading_calendar("XNAS", cache_dir=tmp_path)
    assert rebuilt.session_count == xnas.session_count
    assert not rebuilt.is_open(date(2001, 9, 11))
    assert path.read_bytes() == good


def test_unwritable_cache_dir_still_returns_the_calendar(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A regular file where a directory should be: unwritable even for root.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="pipedeal.base.calendars"):
        calendar = load_trading_calendar("XNAS", cache_dir=blocker / "cache")
    assert not calendar.is_open(date(2004, 6, 11))
    assert "cannot write session cache" in caplog.text
    assert list(tmp_path.iterdir()) == [blocker]


def test_cache_dir_comes_from_pipedeal_cache_dir_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEDEAL_CACHE_DIR", str(tmp_path))
    load_trading_calendar("XNAS", start=date(1999, 1, 1), end=date(2000, 12, 31))
    assert [p.name for p in tmp_path.iterdir()] == [
        session_cache_path("XNAS", date(1999, 1, 1), date(2000, 12, 31), tmp_path).name
    ]


def test_unknown_principal_market_is_refused_naming_it_and_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'XNSA'.*XNAS"):
        load_trading_calendar("XNSA", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- Properties ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CALENDAR_NAMES)
@PROPERTY_SETTINGS
@given(start=PROPERTY_DATES, n=st.integers(min_value=1, max_value=60))
def test_nth_open_day_after_is_open_with_exactly_n_open_days_up_to_it(
    calendars: dict[str, BusinessCalendar], name: str, start: date, n: int
) -> None:
    calendar = calendars[name]
    result = open_days_after(calendar, start, n)
    assert calendar.is_open(result)
    assert calendar.count_open_days(start, result) == n
    assert calendar.add_open_days(result, -n) == calendar.previous_open(start)


@pytest.mark.parametrize("name", CALENDAR_NAMES)
@PROPERTY_SETTINGS
@given(day=PROPERTY_DATES)
def test_rolled_day_is_the_first_open_day_on_or_after_it(
    calendars: dict[str, BusinessCalendar], name: str, day: date
) -> None:
    calendar = calendars[name]
    rolled = roll_forward(day, calendar)
    assert calendar.is_open(rolled)
    assert rolled >= day
    assert calendar.open_days(day, rolled) == [rolled]


@pytest.mark.parametrize("name", CALENDAR_NAMES)
@PROPERTY_SETTINGS
# Up to RRA 3(a)'s 150-day effectiveness deadline, kept inside the cached range.
@given(
    start=st.dates(min_value=date(1990, 2, 1), max_value=date(2040, 6, 30)),
    n=st.integers(min_value=0, max_value=150),
)
def test_rolled_deadline_is_never_earlier_than_the_unrolled_one(
    calendars: dict[str, BusinessCalendar], name: str, start: date, n: int
) -> None:
    unrolled = days_after(start, n)
    assert roll_forward(unrolled, calendars[name]) >= unrolled


@pytest.mark.parametrize("name", CALENDAR_NAMES)
@PROPERTY_SETTINGS
@given(start=PROPERTY_DATES, length=st.integers(min_value=0, max_value=40))
def test_open_days_in_a_window_are_exactly_the_days_reported_open(
    calendars: dict[str, BusinessCalendar], name: str, start: date, length: int
) -> None:
    calendar = calendars[name]
    end = start + timedelta(days=length)
    expected = [
        start + timedelta(days=i)
        for i in range(length + 1)
        if calendar.is_open(start + timedelta(days=i))
    ]
    assert calendar.open_days(start, end) == expected
    assert calendar.count_open_days(start, end) == len(expected) - (start in expected)


def test_the_sec_was_closed_for_the_reagan_day_of_mourning_and_christmas_eve_2001_by_executive_order() -> None:
    sec = sec_calendar()
    assert not sec.is_open(date(2004, 6, 11))
    assert "Reagan" in (sec.holiday_name(date(2004, 6, 11)) or "")
    assert not sec.is_open(date(2001, 12, 24))
    # A half-day closing (Christmas Eve 2002) leaves the SEC open that morning: a business day.
    assert sec.is_open(date(2002, 12, 24))
    # Massachusetts law closes nothing on those days.
    assert local_calendar("US", "MA").is_open(date(2004, 6, 11))
