"""Distances, the GCJ-02 conversion, and open-now across midnight and around the clock."""

from datetime import date, datetime, time
from types import SimpleNamespace

import pytest

from portal.workdays import SHANGHAI
from stations.geo import distance_m, gcj02_to_wgs84, in_china, wgs84_to_gcj02
from stations.hours import is_open

# A Monday.
MONDAY = date(2026, 11, 23)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


def station(**fields):
    values = {"open_24_hours": False, "closed_reason": "", "closed_until": None, **fields}
    return SimpleNamespace(**values)


def hours(weekday: int, opens: str, closes: str):
    return SimpleNamespace(
        weekday=weekday, opens=time.fromisoformat(opens), closes=time.fromisoformat(closes)
    )


def test_one_degree_of_latitude_is_about_111_km():
    assert distance_m(40.0, 95.0, 41.0, 95.0) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(40.5, 95.7, 40.5, 95.7) == 0


def test_gcj02_shifts_a_point_in_china_by_a_few_hundred_metres_and_converts_back():
    wgs = (40.516, 95.780)  # Guazhou county town
    gcj = wgs84_to_gcj02(*wgs)

    assert 100 < distance_m(*wgs, *gcj) < 1000
    back = gcj02_to_wgs84(*gcj)
    assert distance_m(*wgs, *back) < 0.01


def test_outside_china_the_datums_agree():
    assert not in_china(48.85, 2.35)
    assert gcj02_to_wgs84(48.85, 2.35) == (48.85, 2.35)


def test_open_within_the_days_hours_and_closed_outside():
    s, h = station(), [hours(0, "08:00", "20:00")]

    assert is_open(s, h, at(MONDAY, 8))
    assert is_open(s, h, at(MONDAY, 19, 59))
    assert not is_open(s, h, at(MONDAY, 20))
    assert not is_open(s, h, at(MONDAY, 7, 59))
    # Tuesday has no hours.
    assert not is_open(s, h, at(date(2026, 11, 24), 12))


def test_hours_across_midnight_run_into_the_next_morning():
    s, h = station(), [hours(6, "22:00", "06:00")]  # Sunday night
    sunday, monday = date(2026, 11, 22), MONDAY

    assert is_open(s, h, at(sunday, 23, 30))
    assert is_open(s, h, at(monday, 5, 59))
    assert not is_open(s, h, at(monday, 6))
    assert not is_open(s, h, at(sunday, 21, 59))
    # Closing at midnight: open until the day ends.
    assert is_open(station(), [hours(0, "18:00", "00:00")], at(MONDAY, 23, 59))


def test_a_24_hour_station_is_open_at_any_time_unless_closed_for_a_while():
    assert is_open(station(open_24_hours=True), [], at(MONDAY, 3))
    closed = station(open_24_hours=True, closed_reason="维修", closed_until=MONDAY)
    assert not is_open(closed, [], at(MONDAY, 3))
    assert is_open(closed, [], at(date(2026, 11, 24), 3))


def test_the_time_is_read_in_shanghai_whatever_the_server_zone():
    from zoneinfo import ZoneInfo

    utc_evening = datetime(2026, 11, 23, 13, 0, tzinfo=ZoneInfo("UTC"))  # 21:00 in Shanghai

    assert is_open(station(), [hours(0, "20:00", "22:00")], utc_evening)
