"""The eldercare dashboard tiles, on a small world built with the demo's bulk helpers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from eldercare import dashboards, demo
from eldercare.models import (
    AdaptationStage,
    CareAgreement,
    DoctorContract,
    DoctorTeam,
    DoctorVisit,
    Eligibility,
    Facility,
    FacilityType,
    ServiceLog,
)
from housing.models import Household, Person
from portal.models import Organisation
from portal.registry import registry
from portal.roles import OrganisationType, Programme, Role
from portal.scope import active_memberships
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db

Stage = AdaptationStage
TODAY = timezone.localdate()
# Two handrails (basic) and a nursing bed (optional): 3,400 yuan, 800 of it subsidised.
PLAN = [
    (demo.CATALOGUE["T01"], 2, Decimal("400.00")),
    (demo.CATALOGUE["D03"], 1, Decimal("2600.00")),
]


def adaptations_in(community, stages, *, name="E", other_funding=Decimal("100.00")):
    """One household, elder and adaptation per (stage, days in that stage)."""
    homes = demo.bulk_homes(community, [name], buildings=1, units=1, floors=len(stages))
    homes = list(
        Household.objects.filter(pk__in=[h.pk for h in homes])
        .select_related("unit__building__estate")
        .order_by("pk")[: len(stages)]
    )
    elders = demo.bulk_elders(community, homes, [date(1950, 5, 1)] * len(homes))
    specs = [
        demo.AdaptationSpec(
            household=home,
            elder=elder,
            community=community,
            title=demo.home_title(home),
            stage=stage,
            applied_on=TODAY - timedelta(days=demo.STAGE_OFFSETS[stage] + days),
            eligibility=Eligibility.LOW_INCOME,
            plan=PLAN if stage not in (Stage.APPLIED, Stage.REJECTED) else [],
            other_funding=other_funding if stage in (Stage.ACCEPTED, Stage.PAID) else Decimal(0),
        )
        for home, elder, (stage, days) in zip(homes, elders, stages, strict=True)
    ]
    return demo.bulk_adaptations(specs, handler=None, subsidy_rule_set=None, cap=Decimal(3000))


def build(world, paid: int = 2):
    """Community A: `paid` paid, one accepted past its payment date, works overdue and on
    time, one applied, one rejected; agreements, teams, visits and meal points in A and B."""
    a, b = world.areas["community_a"], world.areas["community_b"]
    adaptations_in(
        a,
        [(Stage.PAID, 100)] * paid
        + [
            (Stage.ACCEPTED, 40),
            (Stage.WORKS, 60),
            (Stage.WORKS, 5),
            (Stage.APPLIED, 1),
            (Stage.REJECTED, 3),
        ],
    )
    adaptations_in(b, [(Stage.PAID, 100)], name="F")

    def organisation(name, type_, area):
        return Organisation.objects.create(name=name, type=type_, area=area)

    care = [organisation(f"Care {n}", OrganisationType.CARE_INSTITUTION, a) for n in range(3)]
    hospital = organisation("Hospital", OrganisationType.MEDICAL_INSTITUTION, a)
    year_ago, year_on = TODAY - timedelta(days=365), TODAY + timedelta(days=365)
    for institution, area, signed, expires in [
        (care[0], a, year_ago, year_on),
        (care[0], a, year_ago, TODAY + timedelta(days=20)),  # the same institution again
        (care[1], a, year_ago - timedelta(days=400), TODAY - timedelta(days=1)),  # expired
        (care[2], b, year_ago, year_on),
    ]:
        CareAgreement.objects.create(
            area=area,
            care_institution=institution,
            medical_institution=hospital,
            signed_on=signed,
            expires_on=expires,
        )
    teams = [
        DoctorTeam.objects.create(area=area, name=f"Team {n}", medical_institution=hospital)
        for n, area in enumerate([a, a, b])
    ]
    person = Person.objects.create(community=a, name="甲某", birth_date=date(1940, 1, 1))
    contract = DoctorContract.objects.create(team=teams[0], person=person, signed_on=year_ago)
    for days in (3, 20, 60):  # the last one before the period
        DoctorVisit.objects.create(contract=contract, visited_on=TODAY - timedelta(days=days))

    def facility(name, type_, community, **fields):
        return Facility.objects.create(
            community=community, name=name, type=type_, address=name, **fields
        )

    meal_point = facility("Meal point", FacilityType.MEAL_POINT, a)
    facility("Closed canteen", FacilityType.CANTEEN, a, is_open=False)
    facility("Station", FacilityType.SERVICE_STATION, a)
    other_point = facility("Meal point B", FacilityType.MEAL_POINT, b)
    for days in (1, 2, 3, 45):
        ServiceLog.objects.create(
            facility=meal_point,
            date=TODAY - timedelta(days=days),
            meals_dine_in=10,
            meals_delivered=2,
        )
    ServiceLog.objects.create(facility=other_point, date=TODAY, meals_dine_in=7)


def figures(user, area) -> dict:
    with translation.override("en"):
        found = dashboards.tiles(
            user=user, area=area, start=timezone.now() - timedelta(days=30), end=timezone.now()
        )
        return {t.code: (str(t.label), t.value) for t in found}


def values(user, area) -> dict:
    return {code: value for code, (_label, value) in figures(user, area).items()}


def eldercare_officer(world):
    officer = UserFactory(username="eldercare_officer")
    member(
        officer, Role.PROGRAMME_OFFICER, area=world.areas["district"], programme=Programme.ELDERCARE
    )
    return officer


def test_community_staff_see_their_communitys_stages_money_agreements_teams_and_meals(world):
    build(world)

    shown = figures(world.users["own_staff"], world.areas["community_a"])

    assert shown["adaptations_paid"] == ("Home adaptations: subsidy paid", 2)
    assert shown["adaptations_accepted"][1] == 1
    assert shown["adaptations_works"][1] == 2
    assert shown["adaptations_applied"][1] == 1
    assert shown["adaptations_rejected"][1] == 1
    assert shown["adaptations_planned"][1] == 0
    assert shown["completed_households"] == ("Households with completed home adaptations", 3)
    # Three households at 3,400 yuan plus 100 yuan of other funding each.
    assert shown["investment"] == (
        "Investment in completed home adaptations (yuan)",
        Decimal("10500.00"),
    )
    assert shown["average_cost"][1] == Decimal("3500.00")
    assert shown["overdue_acceptance"] == (
        "Home adaptations overdue for acceptance or payment",
        2,
    )
    assert shown["institutions_with_agreements"] == (
        "Care institutions with a medical agreement in force",
        1,
    )
    assert shown["doctor_teams"][1] == 2
    assert shown["doctor_visits"] == ("Family-doctor visits in the period", 2)
    assert shown["meal_points"] == ("Meal points and elderly canteens in service", 1)
    assert shown["meals_served"] == ("Meals served in the period (eaten in and delivered)", 36)


def test_an_official_and_an_eldercare_officer_see_the_whole_district(world):
    build(world)

    for user in (world.users["official"], eldercare_officer(world)):
        shown = values(user, world.areas["district"])
        assert shown["completed_households"] == 4
        assert shown["investment"] == Decimal("14000.00")
        assert shown["institutions_with_agreements"] == 2
        assert shown["doctor_teams"] == 3
        assert shown["meal_points"] == 2
        assert shown["meals_served"] == 43


def test_the_area_narrows_what_an_official_sees(world):
    build(world)

    shown = values(world.users["official"], world.areas["community_b"])

    assert shown["completed_households"] == 1
    assert shown["overdue_acceptance"] == 0
    assert shown["institutions_with_agreements"] == 1
    assert shown["doctor_teams"] == 1


def test_people_without_reach_see_zeros_and_no_average(world):
    build(world)

    for persona in ("programme_officer", "org_member", "other_staff", "resident"):
        shown = values(world.users[persona], world.areas["community_a"])
        assert shown["average_cost"] == "—", persona
        assert {v for code, v in shown.items() if code != "average_cost"} <= {0, Decimal("0.00")}


def test_tiles_hold_figures_only_never_a_name(world):
    build(world)

    shown = figures(world.users["official"], world.areas["district"])

    for _label, value in shown.values():
        assert isinstance(value, int | Decimal) or value == "—"
    assert "甲某" not in str(shown)


@pytest.mark.parametrize("paid", [2, 40])
def test_the_tiles_take_a_fixed_number_of_queries(world, paid, django_assert_max_num_queries):
    build(world, paid=paid)
    official = world.users["official"]
    active_memberships(official)  # read once per request, before any page's queries

    with django_assert_max_num_queries(6):
        shown = values(official, world.areas["district"])

    assert shown["completed_households"] == paid + 2


def test_the_query_count_does_not_grow_with_the_rows(world):
    official = world.users["official"]
    active_memberships(official)
    build(world, paid=1)
    with CaptureQueriesContext(connection) as small:
        values(official, world.areas["district"])
    adaptations_in(world.areas["community_a"], [(Stage.PAID, 10)] * 30, name="More")
    with CaptureQueriesContext(connection) as large:
        values(official, world.areas["district"])

    assert len(small) == len(large)


def test_the_dashboard_provider_is_registered():
    provider = registry.dashboard_providers["eldercare"]
    assert provider.tiles is dashboards.tiles
    assert provider.order == 40
