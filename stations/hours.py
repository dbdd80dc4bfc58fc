"""Is a station open at a moment? Hours are kept per weekday in Asia/Shanghai time; a
closing time earlier than the opening time runs past midnight into the next day."""

from __future__ import annotations

from datetime import datetime

from portal.workdays import SHANGHAI


def temporarily_closed(station, day) -> bool:
    """Marked closed, and not past the day it was said to reopen."""
    return bool(station.closed_reason) and (
        station.closed_until is None or day <= station.closed_until
    )


def is_open(station, hours, at: datetime) -> bool:
    """`hours`: the station's OpeningHours rows (prefetched: no query here)."""
    local = at.astimezone(SHANGHAI)
    if temporarily_closed(station, local.date()):
        return False
    if station.open_24_hours:
        return True
    today, yesterday, now = local.weekday(), (local.weekday() - 1) % 7, local.time()
    for h in hours:
        overnight = h.closes < h.opens
        if h.weekday == today and (h.opens <= now < h.closes or (overnight and now >= h.opens)):
            return True
        if h.weekday == yesterday and overnight and now < h.closes:
            return True
    return False
