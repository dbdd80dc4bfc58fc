"""Working days in China: weekends, public holidays and make-up working days (调休).

The calendar comes from the `chinese-calendar` package, updated yearly. For a year it
does not know yet, only weekends count as days off, and a warning is logged so the
operator upgrades the package.
"""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
# Dated reminders (renewals, visits, checks) fall due at the start of the working day.
REMINDER_TIME = time(9, 0)


def reminder_at(day: date) -> datetime:
    """The moment a reminder for `day` falls due, in Asia/Shanghai."""
    return datetime.combine(day, REMINDER_TIME, tzinfo=SHANGHAI)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in Asia/Shanghai: where "from this day" begins."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def local_day(value) -> date:
    """The Shanghai date of an aware datetime (a naive one's own date; a date as it is):
    dashboards take periods as datetimes and count by day."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    return value


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; counting weekdays only", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def due_after(start: datetime, days: int, *, working_days: bool) -> datetime:
    """The end (Shanghai time) of the `days`-th (working) day after `start`."""
    local_start = start.astimezone(SHANGHAI).date()
    if working_days:
        end = add_working_days(local_start, days)
    else:
        end = local_start + timedelta(days=days)
    return datetime.combine(end, END_OF_DAY, tzinfo=SHANGHAI)
