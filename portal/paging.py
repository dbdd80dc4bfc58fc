"""Keyset (cursor) pagination for long case lists.

An offset page (`LIMIT 25 OFFSET 100000`) makes the database walk past every earlier
row, so page 4,000 of a district's queue costs 4,000 times page 1. A keyset page
instead asks for "the 25 rows after this one", which an index answers directly,
however deep the page. The price: no page numbers, only first / previous / next.

A list is ordered by one or more *segments* (for example open cases by due date, then
closed ones, latest first), each a filter and a uniform sort on (field, pk) over rows
where the field is set, so a plain index on (field, pk) serves it in either direction.
The cursor names the segment and the last row's key; it is opaque to users and
checked on the way in: a tampered cursor gives the first page, never an error.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, prefetch_related_objects
from django.urls import reverse
from django.utils.dateparse import parse_datetime


@dataclass(frozen=True)
class Segment:
    """Rows matching `where` whose `field` (a datetime, may span relations) is set,
    ordered by `field` then pk, both ascending or both descending."""

    where: Q
    field: str
    descending: bool = False


# A case queue's usual order, for a kind's rows (fields through `case__`): open with a due
# date, soonest first; open without one, newest first; then closed, most recently closed
# first. Each segment is served by one of the case table's per-kind indexes when the
# queryset names the kind.
CASE_QUEUE_SEGMENTS = [
    Segment(Q(case__closed_at__isnull=True), "case__due_at"),
    Segment(Q(case__closed_at__isnull=True, case__due_at__isnull=True), "case__created_at", True),
    Segment(Q(case__closed_at__isnull=False), "case__closed_at", True),
]


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _encode(segment: int, value, pk: int, backwards: bool = False) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([segment, value, pk, int(backwards)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, segments: int):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        segment, value, pk, backwards = json.loads(base64.urlsafe_b64decode(padded))
        if not (isinstance(segment, int) and 0 <= segment < segments and isinstance(pk, int)):
            return None
        value = parse_datetime(value) if isinstance(value, str) else None
        if value is None:
            return None
        return segment, value, pk, bool(backwards)
    except (ValueError, TypeError):
        return None


# A pk no row has, to find where a reversed address puts the pk.
_PK_MARK = 987654321987


def pk_url(name: str) -> Callable[[int], str]:
    """`pk -> reverse(name, args=[pk])` for a list's rows, reversing once: a page of 25
    rows would otherwise pay for 25 reverses."""
    head, _mark, tail = reverse(name, args=[_PK_MARK]).rpartition(str(_PK_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


def cursor_at(segments: list[Segment], index: int, row) -> str:
    """The cursor of the page that starts after `row`, a row of segment `index`: for
    links into a list (the benchmark's deep page)."""
    return _encode(index, _value(row, segments[index].field), row.pk)


def _beyond(segment: Segment, value, pk: int, forwards: bool) -> Q:
    """Rows of `segment` that come after (forwards) or before the row (value, pk)."""
    op = "gt" if forwards != segment.descending else "lt"
    field = segment.field
    # The redundant `>=` / `<=` lets the database start an index range at the cursor.
    return Q(**{f"{field}__{op}e": value}) & (
        Q(**{f"{field}__{op}": value}) | Q(**{f"pk__{op}": pk})
    )


def _ordered(queryset, segment: Segment, forwards: bool):
    if segment.descending == forwards:
        return queryset.order_by(f"-{segment.field}", "-pk")
    return queryset.order_by(segment.field, "pk")


def _value(row, field: str):
    for part in field.split("__"):
        row = getattr(row, part)
    return row


def keyset_page(queryset, segments: list[Segment], cursor: str | None, per_page: int = 25):
    """One page of `queryset` in the order of `segments`, after or before `cursor`.

    Reads at most per_page + 1 rows from each segment it touches (one query each, plus
    one per prefetch for the whole page): a fixed number of queries and index steps
    whatever the depth.
    """
    state = _decode(cursor, len(segments)) if cursor else None
    forwards = not (state and state[3])
    if state is None:
        start, value, pk, resume = 0, None, None, False
    else:
        start, value, pk, _backwards = state
        resume = True

    # Related rows are fetched once for the whole page, not once per segment touched.
    lookups = queryset._prefetch_related_lookups
    queryset = queryset.prefetch_related(None)
    rows, order = [], range(start, len(segments)) if forwards else range(start, -1, -1)
    more = False
    for index in order:
        segment = segments[index]
        qs = queryset.filter(segment.where, **{f"{segment.field}__isnull": False})
        if resume and index == start:
            qs = qs.filter(_beyond(segment, value, pk, forwards))
        need = per_page + 1 - len(rows)
        found = [(index, row) for row in _ordered(qs, segment, forwards)[:need]]
        rows.extend(found)
        if len(rows) > per_page:
            more = True
            rows = rows[:per_page]
            break
    if not forwards:
        rows.reverse()
    if lookups:
        prefetch_related_objects([row for _index, row in rows], *lookups)

    def key(item, backwards=False):
        index, row = item
        return _encode(index, _value(row, segments[index].field), row.pk, backwards)

    if forwards:
        has_next, has_previous = more, resume
    else:
        has_next, has_previous = True, more
    return KeysetPage(
        object_list=[row for _index, row in rows],
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=key(rows[-1]) if rows else "",
        previous_cursor=key(rows[0], backwards=True) if rows else "",
    )
