"""The civility measures: each figure on a small world, the area subtree and the user's
scope respected, and a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civility import measures
from civility.demo import FindingSpec, VisitSpec, bulk_criteria_set, bulk_findings, bulk_inspections
from civility.models import (
    Category,
    Mode,
    OutreachEvent,
    PlaceType,
    Resolution,
    Site,
    SiteType,
    SupervisionOrder,
)
from portal.roles import Programme
from portal.services.cases import case_open
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
START, END = TODAY - timedelta(days=30), TODAY
KITCHEN, GENERAL = Category.CATERING, Category.OTHER


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


@dataclass
class Built:
    new_set: object
    old_set: object


def build(world, sites_in_a: int = 2) -> Built:
    """`sites_in_a` restaurants in community A and one in B, each inspected jointly ten
    days ago: C01 fixed on the spot everywhere; C02 handed over verbally at even sites
    of A and given a deadline (sent to the platform) at odd ones. A year and a half ago
    each site of A was inspected covertly with C03 sent to the platform. One overdue
    open order and one closed order in A; events in A and B."""
    a, b = world.areas["community_a"], world.areas["community_b"]
    district, unit = world.areas["district"], world.organisation
    officer = world.users["programme_officer"]
    old_set, _old = bulk_criteria_set(
        district, "Old", date(2020, 1, 1), [(f"X{n}", KITCHEN, f"old {n}") for n in range(6)]
    )
    new_set, criteria = bulk_criteria_set(
        district,
        "New",
        date(2024, 1, 1),
        [
            ("C01", KITCHEN, "kitchen clean"),
            ("C02", KITCHEN, "tableware"),
            ("C03", KITCHEN, "fire"),
            ("O01", GENERAL, "ads"),
        ],
        previous=old_set,
    )
    # A set not yet in force must not count.
    bulk_criteria_set(district, "Future", TODAY + timedelta(days=30), [("F1", KITCHEN, "f")])
    c01, c02, c03, _o01 = criteria
    sites = Site.objects.bulk_create(
        Site(area=area, type=SiteType.RESTAURANT, name=f"R{n}", address="x", responsible_unit=unit)
        for n, area in enumerate([a] * sites_in_a + [b])
    )
    recent = bulk_inspections(
        [VisitSpec(site, new_set, Mode.JOINT, TODAY - timedelta(days=10)) for site in sites],
        inspector=officer,
        departments=[unit],
    )
    old = bulk_inspections(
        [VisitSpec(s, new_set, Mode.COVERT, TODAY - timedelta(days=540)) for s in sites[:-1]],
        inspector=officer,
    )
    now = timezone.now()
    specs = [FindingSpec(i, c01, Resolution.FIXED_ON_SPOT, now=now) for i in recent]
    specs += [
        FindingSpec(i, c02, Resolution.VERBAL if n % 2 == 0 else Resolution.DEADLINE, now=now)
        for n, i in enumerate(recent[:-1])
    ]
    specs += [FindingSpec(i, c03, Resolution.DEADLINE, now=now) for i in old]
    bulk_findings(specs, handler=officer)
    for deadline, closed in ((TODAY - timedelta(days=3), False), (TODAY - timedelta(days=9), True)):
        case = case_open(kind="civility.order", actor=officer, community=a, title="督办")
        case.organisation = unit
        if closed:
            case.closed_at = now
        case.save()
        SupervisionOrder.objects.create(case=case, responsible_unit=unit, deadline=deadline)
    for area, audience, minors in ((a, 50, 10), (a, 30, 0), (b, 20, 20)):
        OutreachEvent.objects.create(
            area=area,
            type="lecture",
            theme="宣讲",
            held_on=TODAY - timedelta(days=5),
            place_type=PlaceType.COMMUNITY,
            place_name="中心",
            organiser="社区",
            audience=audience,
            minors=minors,
            materials=audience,
        )
    return Built(new_set=new_set, old_set=old_set)


def compute(world, persona="programme_officer", area="district", **kwargs):
    return measures.compute(
        user=world.users[persona], area=world.areas[area], start=START, end=END, **kwargs
    )


def test_every_measure_of_the_district(world):
    build(world, sites_in_a=4)

    m = compute(world)

    assert (m.inspections, m.joint_inspections) == (5, 5)
    assert m.findings == 4 + 1 + 4
    assert (m.fixed_on_spot, m.verbal, m.deadline) == (5, 2, 2)
    assert m.findings_per_inspection == 1.8
    assert m.fixed_on_spot_share == 56
    # The two odd sites of A had a deadline; the even ones and B's were settled.
    assert (m.sites_inspected, m.sites_settled_in_one_visit) == (5, 3)
    assert m.overdue_orders == 1
    # Deadlines ten days ago in the last 12 months; the covert visit 540 days ago before.
    assert (m.platform_last_12_months, m.platform_previous_12_months) == (2, 4)
    assert m.platform_change == -50
    assert (m.criteria_set_name, m.criteria_in_force, m.criteria_previous) == ("New", 4, 6)
    assert [(r.code, r.inspections) for r in m.recurring] == [("C01", 5), ("C02", 4)]
    assert (m.events, m.audience, m.minors, m.materials) == (3, 100, 30, 100)


def test_a_community_counts_its_own_subtree_and_finds_the_set_above_it(world):
    build(world, sites_in_a=2)

    m = compute(world, area="community_b")

    assert (m.inspections, m.findings, m.fixed_on_spot) == (1, 1, 1)
    assert (m.sites_inspected, m.sites_settled_in_one_visit) == (1, 1)
    assert (m.platform_last_12_months, m.platform_previous_12_months) == (0, 0)
    assert m.platform_change is None
    assert (m.criteria_in_force, m.criteria_previous) == (4, 6)
    assert (m.events, m.minors) == (1, 20)


def test_a_recheck_in_the_period_means_the_site_took_more_than_one_visit(world):
    build(world, sites_in_a=2)
    site = Site.objects.get(name="R0")  # settled at its joint visit
    bulk_inspections(
        [VisitSpec(site, build_set(world), Mode.RECHECK, TODAY - timedelta(days=2))],
        inspector=None,
    )

    m = compute(world)

    assert (m.sites_inspected, m.sites_settled_in_one_visit) == (3, 1)


def build_set(world):
    from civility.models import CriteriaSet

    return CriteriaSet.objects.get(name="New")


def test_staff_see_only_their_community_and_outsiders_nothing(world):
    build(world, sites_in_a=2)

    own = compute(world, persona="own_staff", area="community_a")
    other = compute(world, persona="other_staff", area="community_a")

    assert (own.inspections, own.findings, own.overdue_orders, own.events) == (2, 4, 1, 2)
    assert (other.inspections, other.findings, other.overdue_orders, other.events) == (0, 0, 0, 0)


def test_no_set_in_force_shows_none(world):
    m = compute(world)

    assert (m.criteria_in_force, m.criteria_previous, m.findings_per_inspection) == (
        None,
        None,
        None,
    )
    assert m.fixed_on_spot_share is None and m.recurring == []


def test_the_platform_windows_are_the_last_12_months_and_the_12_before():
    previous_from, last_from, until = measures.platform_windows(date(2025, 3, 1))

    assert timezone.localtime(until).date() == date(2025, 3, 2)
    assert timezone.localtime(last_from).date() == date(2024, 3, 2)
    assert timezone.localtime(previous_from).date() == date(2023, 3, 2)


@pytest.mark.parametrize("persona", ["programme_officer", "official"])
def test_the_measures_run_a_fixed_number_of_queries_at_two_sizes(world, persona):
    counts = []
    for size in (2, 12):
        build(world, sites_in_a=size) if size == 2 else build_more(world, size)
        user = world.users[persona]
        measures.compute(user=user, area=world.areas["district"], start=START, end=END)
        with CaptureQueriesContext(connection) as queries:
            m = measures.compute(user=user, area=world.areas["district"], start=START, end=END)
        counts.append(len(queries))
        assert m.inspections >= size
    assert counts[0] == counts[1] <= 7


def build_more(world, size):
    """More sites, inspections and findings under the same sets."""
    new_set = build_set(world)
    criteria = list(new_set.criteria.order_by("code"))
    sites = Site.objects.bulk_create(
        Site(
            area=world.areas["community_a"],
            type=SiteType.RESTAURANT,
            name=f"More {n}",
            address="x",
            responsible_unit=world.organisation,
        )
        for n in range(size)
    )
    inspections = bulk_inspections(
        [VisitSpec(s, new_set, Mode.JOINT, TODAY - timedelta(days=3)) for s in sites],
        inspector=None,
    )
    bulk_findings(
        [FindingSpec(i, c, Resolution.FIXED_ON_SPOT) for i in inspections for c in criteria[:3]],
        handler=None,
    )


def test_the_measures_page_scope(client, world):
    build(world, sites_in_a=2)
    url = reverse("civility:measures")
    everyone = {
        "anonymous": 302,
        "resident": 403,
        "other_staff": 200,
        "own_staff": 200,
        "programme_officer": 200,
        "official": 200,
        "org_member": 403,
    }
    check_scope(client, world, url, everyone)
    community_a = f"{url}?area={world.areas['community_a'].pk}"
    check_scope(client, world, community_a, {**everyone, "other_staff": 404})


def test_the_measures_page_shows_the_figures_for_the_chosen_area_and_period(client, world):
    build(world, sites_in_a=4)
    client.force_login(world.users["programme_officer"])

    response = client.get(
        reverse("civility:measures"),
        {"area": world.areas["district"].pk, "start": START.isoformat(), "end": END.isoformat()},
    )

    assert response.status_code == 200
    m = response.context["m"]
    assert (m.inspections, m.platform_change, m.criteria_in_force) == (5, -50, 4)
    page = response.content.decode()
    assert 'data-measure="criteria_in_force">4<' in page
    assert "kitchen clean" in page  # the recurring failure


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-02-30"},
        {"start": "2025-03-01", "end": "2025-01-01"},
        {"area": "abc"},
        {"area": "999999"},
    ],
)
def test_bad_measures_input_answers_with_the_defaults_or_404_never_500(client, world, params):
    client.force_login(world.users["programme_officer"])

    response = client.get(reverse("civility:measures"), params)

    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.context["start"] == date(TODAY.year, 1, 1)
