"""Local time: a chat's time zone, times of day, weekdays, and when a daily or weekly time
comes next.

A zone is stored as an IANA name (`Europe/Lima`, read with zoneinfo and the tzdata
package) or as a fixed offset (`-05:00`). Times of day are minutes after local midnight.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from storage.errors import N_, InvalidInput

DEFAULT_ZONE = "UTC"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")


def parse_zone(text: str) -> str:
    """`Europe/Lima`, `europe/lima`, `-05:00`, `UTC+2` → how the zone is stored."""
    text = text.strip()
    offset = _OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset[1], int(offset[2]), int(offset[3] or 0)
        if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
            raise InvalidInput(N_("an offset is between -12:00 and +14:00, like -05:00"))
        return f"{sign}{hours:02}:{minutes:02}"
    name = _zone_names().get(text.lower()) if _NAME.match(text) else None
    city = _zone_cities().get(text.rpartition("/")[2].lower()) if _NAME.match(text) else None
    if name is None and city is not None:  # Europe/Lima: the city is known, the region not
        raise InvalidInput(
            N_("{zone} is not a time zone; did you mean {suggestion}?"),
            zone=text[:40],
            suggestion=city,
        )
    if name is None:
        raise InvalidInput(
            N_(
                "{zone} is not a time zone: write a name like America/Lima or an offset "
                "like -05:00"
            ),
            zone=text[:40],
        )
    return name


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name, by its lower case (zoneinfo is case-sensitive on Linux)."""
    return {name.lower(): name for name in zoneinfo.available_timezones() | {"UTC"}}


@functools.cache
def _zone_cities() -> dict[str, str]:
    """Zone names by their last part (`lima` → `America/Lima`), for suggestions."""
    return {name.rpartition("/")[2].lower(): name for name in sorted(_zone_names().values())}


@functools.lru_cache(maxsize=1024)
def zone(stored: str) -> tzinfo:
    offset = _OFFSET.match(stored)
    if offset:
        delta = timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0))
        return timezone(-delta if offset[1] == "-" else delta)
    return zoneinfo.ZoneInfo(stored)


def parse_clock(text: str) -> int:
    """`08:00`, `8:30`, `8` → minutes after midnight."""
    found = _CLOCK.match(text.strip())
    hours, minutes = (int(found[1]), int(found[2] or 0)) if found else (99, 0)
    if hours > 23 or minutes > 59:
        raise InvalidInput(
            N_("{value} is not a time of day: write it like 08:00"), value=text[:20]
        )
    return hours * 60 + minutes


def parse_weekday(text: str) -> int:
    """`mon`, `Monday` → 0 … 6."""
    word = text.strip().lower()
    key = word[:3]
    if key not in WEEKDAYS or word not in (key, DAY_NAMES[WEEKDAYS.index(key)]):
        raise InvalidInput(
            N_("{value} is not a day: write mon, tue, wed, thu, fri, sat or sun"), value=text[:20]
        )
    return WEEKDAYS.index(key)


def clock(minute: int) -> str:
    return f"{minute // 60:02}:{minute % 60:02}"


def next_time(
    after: datetime, minute: int, zone_name: str, weekday: int | None = None
) -> datetime:
    """The first moment strictly after `after` when the local clock of `zone_name` shows
    `minute` (on `weekday`, if given), in UTC. Once a day at most: a time a
    daylight-saving change skips is taken as the moment just after the gap, and a time it
    repeats counts once (its first occurrence)."""
    tz = zone(zone_name)
    local_day = after.astimezone(tz).date()
    for days in range(-1, 9):
        day = local_day + timedelta(days=days)
        if weekday is not None and day.weekday() != weekday:
            continue
        moment = local_moment(day, minute, tz)
        if moment > after:
            return moment
    raise AssertionError("a day and time always come within 8 days")


def local_moment(day: date, minute: int, tz: tzinfo) -> datetime:
    """`day` at `minute` local time, in UTC. A time in a spring-forward gap is read with
    the offset before the change (02:30 becomes 03:30); a repeated one is its first."""
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return wall.astimezone(UTC)


_WHEN = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})$")


def parse_when(text: str, zone_name: str, now: datetime) -> datetime:
    """`2026-12-01 08:00` (or just `08:00`: the next time the clock shows it), local time
    in `zone_name` → UTC. `InvalidInput` for anything else, or a moment already past."""
    text = " ".join(text.split())
    dated = _WHEN.match(text)
    try:
        if dated:
            day = date.fromisoformat(dated[1])
            moment = local_moment(day, parse_clock(dated[2]), zone(zone_name))
        else:
            moment = next_time(now, parse_clock(text), zone_name)
    except (InvalidInput, ValueError):
        raise InvalidInput(
            N_("{value} is not a date and time: write it like 2026-12-01 08:00"), value=text[:40]
        ) from None
    if moment <= now:
        raise InvalidInput(N_("{value} has already passed"), value=text[:40])
    return moment
