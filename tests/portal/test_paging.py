"""Keyset pagination: every row exactly once, both ways, in the list's order; a bad
cursor gives the first page; a deep page costs the queries the first one does."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from portal.models import Case
from portal.paging import Segment, _encode, keyset_page, pk_url
from portal.roles import AreaLevel
from tests.factories import area

SEGMENTS = [
    Segment(Q(closed_at__isnull=True), "due_at"),
    Segment(Q(closed_at__isnull=True, due_at__isnull=True), "created_at", descending=True),
    Segment(Q(closed_at__isnull=False), "closed_at", descending=True),
]


@pytest.fixture
def cases(db):
    community = area("C", AreaLevel.COMMUNITY, area("S", AreaLevel.SUBDISTRICT))
    now = timezone.now()
    rows = []
    for n in range(23):
        # Repeated due and closing times: the pk must break ties.
        closed = now - timedelta(days=n % 4) if n % 3 == 0 else None
        due = None if (closed or n % 5 == 1) else now + timedelta(days=n % 4)
        rows.append(
            Case(
                kind="test.case",
                reference=f"TC-{n}",
                title=str(n),
                status="open",
                community=community,
                created_at=now - timedelta(days=n % 6),
                closed_at=closed,
                due_at=due,
            )
        )
    Case.objects.bulk_create(rows)
    return Case.objects.all()


def expected(cases):
    open_due = cases.filter(closed_at__isnull=True, due_at__isnull=False).order_by("due_at", "pk")
    open_undated = cases.filter(closed_at__isnull=True, due_at__isnull=True).order_by(
        F("created_at").desc(), "-pk"
    )
    closed = cases.filter(closed_at__isnull=False).order_by(F("closed_at").desc(), "-pk")
    return [c.pk for c in [*open_due, *open_undated, *closed]]


@pytest.mark.parametrize("per_page", [1, 4, 7, 23, 30])
def test_forwards_then_backwards_visits_every_row_once_in_order(cases, per_page):
    order, cursor, pages = [], None, []
    while True:
        page = keyset_page(cases, SEGMENTS, cursor, per_page)
        pages.append([c.pk for c in page])
        order.extend(c.pk for c in page)
        assert page.has_previous == (cursor is not None)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert order == expected(cases)

    back = []
    cursor = page.previous_cursor
    while page.has_previous:
        page = keyset_page(cases, SEGMENTS, cursor, per_page)
        back.insert(0, [c.pk for c in page])
        cursor = page.previous_cursor
    assert back == pages[:-1]


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", _encode(9, datetime(2026, 1, 1, tzinfo=UTC), 1), "e30"],
    ids=["empty", "garbage", "no-such-segment", "not-a-list"],
)
def test_a_bad_cursor_gives_the_first_page(cases, cursor):
    page = keyset_page(cases, SEGMENTS, cursor, 5)
    assert [c.pk for c in page] == expected(cases)[:5] and not page.has_previous


def test_a_deep_page_runs_the_queries_of_the_first(cases, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        keyset_page(cases, SEGMENTS, None, 3)
    last_closed = keyset_page(cases, SEGMENTS, None, 20)
    # From inside the last segment: still one query per segment touched.
    with django_assert_max_num_queries(1):
        page = keyset_page(cases, SEGMENTS, last_closed.next_cursor, 2)
    assert len(page) == 2


@pytest.mark.parametrize("pk", [1, 7, 987654, 987654321987])
def test_a_rows_address_is_the_one_reverse_gives(pk):
    address = pk_url("disputes:dispute_detail")

    assert address(pk) == reverse("disputes:dispute_detail", args=[pk])
    assert pk_url("portal:case_detail")(pk) == reverse("portal:case_detail", args=[pk])
