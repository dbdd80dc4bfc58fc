"""Cases written in bulk for the load generators: one kit row per case, its history.

Every app's load generator decides what its cases are (kind, status, dates); this
writes the `Case` rows and their timeline in a handful of bulk inserts, whatever
their number, so a million cases take minutes rather than hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .models import Area, Case, TimelineEntry
from .services.cases import references_reserve

# Generated cases are filed over this many days before `today`: several years.
SPREAD_DAYS = 4 * 365
BATCH_SIZE = 2000


def moment(day: date, hour: int = 9) -> datetime:
    """An aware datetime on `day` at `hour`, in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def filed_on(today: date, n: int, *, recent_every: int = 7) -> date:
    """A day within the last `SPREAD_DAYS`, spread evenly by `n`; every
    `recent_every`-th case falls in the last fortnight, so some open cases are not
    yet overdue while most older ones are."""
    if n % recent_every == 0:
        return today - timedelta(days=n % 14)
    return today - timedelta(days=(n * 37) % SPREAD_DAYS)


@dataclass
class CaseSpec:
    """One generated case: where, what, in which status, and when it was filed."""

    community: Area
    title: str
    status: str
    filed_at: datetime
    closed: bool = False
    escalated: bool = False
    due_days: int = 15
    organisation: object = None

    @property
    def closed_at(self) -> datetime | None:
        return self.filed_at + timedelta(days=self.due_days // 2 + 1) if self.closed else None


def bulk_cases(kind: str, prefix: str, specs: list[CaseSpec], *, handler) -> list[Case]:
    """The cases of `specs` with their timeline (reported, escalated, closed, rated):
    closed ones are rated one time in two, open ones are due `due_days` after filing."""
    references = references_reserve(prefix, [s.filed_at for s in specs])
    cases = Case.objects.bulk_create(
        (
            Case(
                kind=kind,
                reference=reference,
                title=s.title[:200],
                status=s.status,
                community=s.community,
                level=Case.Level.SUBDISTRICT if s.escalated else Case.Level.COMMUNITY,
                handler=handler,
                organisation=s.organisation,
                due_at=None if s.closed else s.filed_at + timedelta(days=s.due_days),
                escalated_at=s.filed_at + timedelta(days=2) if s.escalated else None,
                created_at=s.filed_at,
                closed_at=s.closed_at,
                rating=(n % 5 + 1) if s.closed and n % 2 else None,
                rated_at=s.closed_at + timedelta(days=1) if s.closed and n % 2 else None,
            )
            for n, (s, reference) in enumerate(zip(specs, references, strict=True))
        ),
        batch_size=BATCH_SIZE,
    )
    Verb = TimelineEntry.Verb
    entries = []
    for case in cases:
        entries.append(
            TimelineEntry(case=case, verb=Verb.REPORTED, actor=handler, at=case.created_at)
        )
        if case.escalated_at:
            entries.append(
                TimelineEntry(case=case, verb=Verb.ESCALATED, actor=handler, at=case.escalated_at)
            )
        if case.closed_at:
            entries.append(
                TimelineEntry(
                    case=case,
                    verb=Verb.CLOSED,
                    actor=handler,
                    status_after=case.status,
                    is_public=True,
                    at=case.closed_at,
                )
            )
        if case.rated_at:
            entries.append(
                TimelineEntry(case=case, verb=Verb.RATED, is_public=True, at=case.rated_at)
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    return cases
