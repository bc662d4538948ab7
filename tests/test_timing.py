"""Local time: zones as people write them, and daily times across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import InvalidInput
from storage.timing import next_time, parse_clock, parse_weekday, parse_when, parse_zone, zone

NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("America/Lima", "America/Lima"),
        ("america/lima", "America/Lima"),
        ("UTC", "UTC"),
        ("-05:00", "-05:00"),
        ("-5", "-05:00"),
        ("UTC+2", "+02:00"),
        ("+0530", "+05:30"),
    ],
)
def test_zones_as_people_write_them(written: str, stored: str) -> None:
    assert parse_zone(written) == stored


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("Mars/Base", "is not a time zone"),
        ("Europe/Lima", "did you mean America/Lima?"),
        ("+15:00", "between -12:00 and +14:00"),
        ("../../etc/passwd", "is not a time zone"),
        ("", "is not a time zone"),
    ],
)
def test_what_is_not_a_zone_says_what_is(written: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says.replace("?", r"\?").replace("+", r"\+")):
        parse_zone(written)


def test_clock_and_weekday() -> None:
    assert (parse_clock("08:00"), parse_clock("8"), parse_clock("23:59")) == (480, 480, 1439)
    assert (parse_weekday("mon"), parse_weekday("Sunday")) == (0, 6)
    for bad in ("25:00", "8:60", "eight", "-1"):
        with pytest.raises(InvalidInput, match="not a time of day"):
            parse_clock(bad)
    for bad in ("funday", "mo", "monkey"):
        with pytest.raises(InvalidInput, match="not a day"):
            parse_weekday(bad)


def local(moment: datetime, zone_name: str) -> str:
    return moment.astimezone(zone(zone_name)).strftime("%Y-%m-%d %H:%M")


def test_a_daily_time_comes_once_a_day_across_daylight_saving_changes() -> None:
    # 2026-03-08 has no 02:30 in New York (02:00 → 03:00): that day's comes once, after
    # the gap; 2026-11-01 has 01:30 twice: it comes once, the first time.
    moment = datetime(2026, 3, 7, 12, tzinfo=UTC)
    spring = []
    for _ in range(3):
        moment = next_time(moment, 150, NEW_YORK)
        spring.append(local(moment, NEW_YORK))
    assert spring == ["2026-03-08 03:30", "2026-03-09 02:30", "2026-03-10 02:30"]
    moment = datetime(2026, 10, 31, 12, tzinfo=UTC)
    autumn = []
    for _ in range(3):
        moment = next_time(moment, 90, NEW_YORK)
        autumn.append(moment)
    assert [local(m, NEW_YORK) for m in autumn] == [
        "2026-11-01 01:30",
        "2026-11-02 01:30",
        "2026-11-03 01:30",
    ]
    assert autumn[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30 (EDT)


def test_a_weekly_time_and_an_offset_zone() -> None:
    friday = datetime(2026, 11, 27, 12, tzinfo=UTC)  # a Friday
    monday = next_time(friday, 480, "-05:00", weekday=0)
    assert monday == datetime(2026, 11, 30, 13, tzinfo=UTC)
    assert next_time(monday, 480, "-05:00", weekday=0) == datetime(2026, 12, 7, 13, tzinfo=UTC)


def test_when_is_local_and_in_the_future() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)  # 07:00 in Lima
    assert parse_when("2026-12-01 08:00", "America/Lima", now) == datetime(
        2026, 12, 1, 13, tzinfo=UTC
    )
    assert parse_when("08:00", "America/Lima", now) == datetime(2026, 11, 29, 13, tzinfo=UTC)
    assert parse_when("06:00", "America/Lima", now) == datetime(2026, 11, 30, 11, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="has already passed"):
        parse_when("2026-11-29 06:59", "America/Lima", now)
    for bad in ("soon", "2026-13-01 08:00", "2026-12-01 25:00", "tomorrow"):
        with pytest.raises(InvalidInput, match="is not a date and time"):
            parse_when(bad, "UTC", now)
