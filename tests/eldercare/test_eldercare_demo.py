"""The eldercare demo: Fengyang's figures on the county dashboard, Tuanjie's errands,
and a loader that can run twice."""

import io
import re
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from eldercare import demo
from eldercare.models import (
    COMPLETED,
    SPECIAL_HARDSHIP,
    Adaptation,
    AdaptationStage,
    CareAgreement,
    DoctorContract,
    DoctorTeam,
    DoctorVisit,
    Errand,
    ErrandStatus,
    Facility,
    PlanItem,
    ServiceLog,
)
from housing.models import Household, Person
from portal.demo import DEMO_PASSWORD
from portal.models import Area, Case, FollowUp, Organisation, ReferenceCounter, RuleSet
from portal.registry import registry
from portal.rules import rules_for
from portal.services.cases import case_open

pytestmark = pytest.mark.django_db

Stage = AdaptationStage


def user(username):
    return get_user_model().objects.get(username=username)


def county_dashboard(username) -> dict:
    """Every provider's tiles for the user over 凤阳县, this year, by code."""
    now = timezone.now()
    with translation.override("en"):
        return {
            tile.code: tile.value
            for provider in registry.dashboard_for()
            if provider.name == "eldercare"
            for tile in provider.tiles(
                user=user(username),
                area=Area.objects.get(name=demo.FENGYANG),
                start=now - timedelta(days=30),
                end=now,
            )
        }


def test_the_fengyang_county_dashboard_shows_the_sources_figures(demo_data):
    for username in ("official.fengyang", "staff.fengyang"):
        shown = county_dashboard(username)

        assert shown["completed_households"] == 760, username
        assert shown["investment"] > Decimal("3400000"), username
        assert Decimal("4400") < shown["average_cost"] < Decimal("4600"), username
        assert shown["institutions_with_agreements"] == 18, username
        assert shown["doctor_teams"] == 225, username
        assert shown["meal_points"] == 2, username  # the meal point and the canteen
        assert shown["meals_served"] > 0 and shown["doctor_visits"] > 0, username
        # The overdue works and the two accepted households past their payment date.
        assert shown["overdue_acceptance"] == 3, username
        for stage in (Stage.APPLIED, Stage.ASSESSED, Stage.PLANNED, Stage.APPROVED, Stage.WORKS):
            assert 2 <= shown[f"adaptations_{stage}"] <= 3, (username, stage)


def test_officials_and_volunteers_log_in_with_the_demo_password(client, demo_data):
    for username in ("official.fengyang", "staff.fengyang", *(a[0] for a in demo.ACCOUNTS)):
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get(reverse("portal:home")).status_code == 200, username
        assert username in demo_data  # load_demo prints the accounts
        client.logout()


def test_completed_households_have_plans_that_add_up_under_the_fengyang_cap(demo_data):
    county = Area.objects.get(name=demo.FENGYANG)
    payload, rule_set = rules_for(
        "eldercare.subsidy", Area.objects.get(name=demo.FUDONG), timezone.now()
    )
    assert rule_set.area == county and payload["subsidy_cap"] == "5000.00"
    completed = Adaptation.objects.filter(stage__in=COMPLETED)
    assert completed.count() == 760
    assert not completed.exclude(eligibility__in=SPECIAL_HARDSHIP).exists()
    assert not completed.filter(subsidy__gt=Decimal("5000")).exists()

    line_totals = Counter()
    for adaptation_id, quantity, price in PlanItem.objects.values_list(
        "adaptation", "quantity", "unit_price"
    ):
        line_totals[adaptation_id] += quantity * price
    for adaptation in completed.select_related("case", "elder"):
        assert adaptation.total_cost == line_totals[adaptation.pk] > 0
        assert adaptation.subsidy + adaptation.self_pay == adaptation.total_cost
        assert adaptation.subsidy_rule_set_id == rule_set.pk
        applied = timezone.localdate(adaptation.case.created_at)
        assert adaptation.elder.birth_date.replace(year=adaptation.elder.birth_date.year + 60) <= (
            applied
        )
        assert adaptation.accepted_on is not None
        assert 2020 <= applied.year <= timezone.localdate().year
    paid = completed.filter(stage=Stage.PAID)
    assert paid.filter(case__closed_at__isnull=False).count() == paid.count() == 740


def test_demo_references_take_numbers_from_the_counter_so_new_cases_follow_on(demo_data):
    references = list(Case.objects.filter(kind="eldercare.adaptation").values_list("reference"))
    assert len(references) == len(set(references)) == 773
    by_year = Counter()
    for (reference,) in references:
        assert re.fullmatch(r"SL-20\d\d-\d{6}", reference), reference
        by_year[int(reference[3:7])] += 1
    for year, count in by_year.items():
        assert ReferenceCounter.objects.get(prefix="SL", year=year).last == count

    case = case_open(
        kind="eldercare.adaptation",
        actor=user("staff.fengyang"),
        community=Area.objects.get(name=demo.FUDONG),
        title="新申请",
    )
    assert case.reference not in {r for (r,) in references}


def test_the_fudong_meal_point_and_the_tuanjie_errands(demo_data):
    meal_point = Facility.objects.get(name=demo.MEAL_POINT)
    assert meal_point.origin == "donated" and meal_point.donor == demo.DONOR
    assert set(meal_point.services) == {"meals", "mobility", "day_care", "education"}
    assert meal_point.ground_floor and meal_point.community.name == demo.FUDONG
    assert ServiceLog.objects.filter(facility=meal_point).count() == 30
    assert Facility.objects.visible_to(user("mealpoint.fudong")).get() == meal_point

    team = Organisation.objects.get(name=demo.RED_VEST_TEAM, type="volunteer_team")
    errands = Errand.objects.filter(case__community__name=demo.TUANJIE)
    assert {e.case.status for e in errands} == set(ErrandStatus.values)
    volunteer = user("volunteer.tuanjie")
    assert volunteer.memberships.get().organisation == team
    mine = Errand.objects.visible_to(volunteer)
    assert mine.exists() and not mine.exclude(case__organisation=team).exists()
    assert not Adaptation.objects.visible_to(volunteer).exists()
    assert Adaptation.objects.visible_to(user("contractor.fengyang")).exists()
    assert DoctorTeam.objects.visible_to(user("doctor.fengyang")).exists()


def test_agreements_teams_contracts_and_reminders(demo_data):
    today = timezone.localdate()
    agreements = CareAgreement.objects.filter(area__name=demo.FENGYANG)
    live = agreements.filter(expires_on__gte=today)
    assert live.values("care_institution").distinct().count() == 18
    assert live.filter(expires_on__lte=today + timedelta(days=30)).count() == 3
    assert agreements.filter(expires_on__lt=today).count() == 2
    assert not live.filter(renewal_follow_up__isnull=True).exists()
    assert DoctorTeam.objects.count() == 225
    contracts = DoctorContract.objects.all()
    assert contracts.count() == 120
    assert not contracts.filter(next_visit_follow_up__isnull=True).exists()
    assert DoctorVisit.objects.count() == 360
    open_cases = Case.objects.filter(kind="eldercare.adaptation", closed_at__isnull=True)
    reminders = FollowUp.objects.filter(case__in=open_cases, purpose="due_reminder")
    assert reminders.count() == open_cases.count() > 0


def test_load_demo_twice_changes_nothing(demo_data):
    models = [
        Adaptation,
        PlanItem,
        Case,
        Person,
        Household,
        Facility,
        ServiceLog,
        CareAgreement,
        DoctorTeam,
        DoctorContract,
        DoctorVisit,
        Errand,
        Organisation,
        FollowUp,
        RuleSet,
        get_user_model(),
    ]
    before = {m.__name__: m.objects.count() for m in models}
    counters = list(ReferenceCounter.objects.values_list("prefix", "year", "last"))

    started = time.monotonic()
    call_command("load_demo", stdout=io.StringIO())

    assert {m.__name__: m.objects.count() for m in models} == before
    assert list(ReferenceCounter.objects.values_list("prefix", "year", "last")) == counters
    assert time.monotonic() - started < 5


def test_the_eldercare_demo_loads_in_a_few_seconds(db):
    from portal.registry import run_steps

    today = timezone.localdate()
    others = {k: v for k, v in registry.demo_loaders.items() if k != "eldercare.care"}
    list(run_steps(others, today=today))

    started = time.monotonic()
    demo.load(today=today)

    assert time.monotonic() - started < 5
    assert Adaptation.objects.count() == 773


def test_the_load_generator_fills_generated_communities_once(db):
    from eldercare import load
    from housing import load as housing_load
    from portal.models import User

    User.objects.create_superuser("admin", password="x")
    today = timezone.localdate()
    housing_load.generate(communities=2, today=today)

    started = time.monotonic()
    result = load.generate(communities=5, today=today)

    assert time.monotonic() - started < 10
    assert result == "2 communities, 400 home adaptations, 200 errands"
    assert Facility.objects.count() == 4 and ServiceLog.objects.count() == 120
    assert DoctorTeam.objects.count() == 6 and CareAgreement.objects.count() == 2
    assert Adaptation.objects.filter(stage__in=COMPLETED).count() > 250
    assert load.generate(communities=5, today=today) == "0 communities"
