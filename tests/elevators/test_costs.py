"""Cost sharing: the arithmetic (with properties), the services, the project page's cost
panel, the schedule and compensation forms and the printable schedule."""

import math
import random
import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from elevators import costs
from elevators.models import Compensation, CostSchedule, Project
from elevators.rules import default_coefficients
from elevators.services import costs as services
from elevators.views.costs import costs_context
from housing.models import Person, Relation, Residence
from portal.models import RuleSet
from portal.services.cases import case_open
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
DEFAULTS = {int(k): Decimal(v) for k, v in default_coefficients(7).items()}
CONSTRUCTION = CostSchedule.Kind.CONSTRUCTION
ELECTRICITY = CostSchedule.Kind.ELECTRICITY


# --- The arithmetic: properties -----------------------------------------------------------

areas = st.decimals(min_value=Decimal("30.00"), max_value=Decimal("150.00"), places=2)
amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("2000000.00"), places=2)
households_st = st.lists(
    st.tuples(st.integers(min_value=1, max_value=7), areas), min_size=1, max_size=30
).map(lambda rows: [(n + 1, floor, area) for n, (floor, area) in enumerate(rows)])
random_coefficients = st.dictionaries(
    st.integers(min_value=1, max_value=7),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("3"), places=2),
    min_size=7,
    max_size=7,
)
coefficients_st = st.one_of(st.just(DEFAULTS), random_coefficients)


def has_a_payer(households, coefficients) -> bool:
    return any(coefficients[floor] > 0 for _id, floor, _area in households)


@given(households=households_st, coefficients=coefficients_st, amount=amounts)
@settings(max_examples=300, deadline=None)
def test_shares_always_sum_exactly_to_the_amount(households, coefficients, amount):
    assume(has_a_payer(households, coefficients))
    lines = costs.shares(households, amount, coefficients)
    assert sum(line.amount for line in lines) == amount
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in lines)


@given(households=households_st, coefficients=coefficients_st, amount=amounts)
@settings(max_examples=200, deadline=None)
def test_every_share_is_its_exact_share_rounded_down_or_up_by_one_fen(
    households, coefficients, amount
):
    assume(has_a_payer(households, coefficients))
    for line in costs.shares(households, amount, coefficients):
        rounded_down = math.floor(line.share * 100)
        assert Fraction(line.amount) * 100 in (rounded_down, rounded_down + 1)


@given(households=households_st, coefficients=coefficients_st, amount=amounts)
@settings(max_examples=200, deadline=None)
def test_households_with_a_zero_coefficient_pay_nothing(households, coefficients, amount):
    assume(has_a_payer(households, coefficients))
    for line in costs.shares(households, amount, coefficients):
        if coefficients[line.floor] == 0:
            assert line.amount == Decimal("0.00")
            assert line.share == 0


@given(
    households=households_st,
    coefficients=coefficients_st,
    amount=amounts,
    seed=st.integers(min_value=0, max_value=2**32),
)
@settings(max_examples=200, deadline=None)
def test_the_same_households_give_the_same_lines_in_any_order(
    households, coefficients, amount, seed
):
    assume(has_a_payer(households, coefficients))
    shuffled = list(households)
    random.Random(seed).shuffle(shuffled)
    assert costs.shares(households, amount, coefficients) == costs.shares(
        shuffled, amount, coefficients
    )


@given(
    households=households_st,
    cost=amounts,
    subsidy_share=st.fractions(min_value=0, max_value=1),
    compensations=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2),
        max_size=4,
    ),
)
@settings(max_examples=200, deadline=None)
def test_the_paying_households_share_cost_less_subsidy_plus_compensation(
    households, cost, subsidy_share, compensations
):
    assume(has_a_payer(households, DEFAULTS))
    subsidy = (cost * Decimal(subsidy_share.numerator) / subsidy_share.denominator).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )
    to_share = costs.amount_to_share(cost, subsidy, compensations)
    assert to_share == cost - subsidy + sum(compensations, Decimal(0))
    lines = costs.shares(households, to_share, DEFAULTS)
    assert sum(line.amount for line in lines if DEFAULTS[line.floor] > 0) == to_share


def test_a_subsidy_larger_than_cost_and_compensation_is_refused_clearly():
    with pytest.raises(ValueError, match="nothing to share"):
        costs.amount_to_share(Decimal("100000"), Decimal("150000"), [Decimal("20000")])


def test_shares_refuse_when_nobody_would_pay():
    with pytest.raises(ValueError, match="positive weight"):
        costs.shares([(1, 1, Decimal("60")), (2, 2, Decimal("70"))], Decimal("100"), DEFAULTS)


def test_shares_refuse_a_floor_without_coefficient_and_fractions_of_a_fen():
    with pytest.raises(ValueError, match="Floor 9"):
        costs.shares([(1, 9, Decimal("60"))], Decimal("100"), DEFAULTS)
    with pytest.raises(ValueError, match="fen"):
        costs.shares([(1, 3, Decimal("60"))], Decimal("100.001"), DEFAULTS)


def test_floors_one_and_two_are_exempt_and_the_third_floor_pays_point_seven_by_default():
    assert DEFAULTS[1] == DEFAULTS[2] == 0
    assert DEFAULTS[3] == Decimal("0.7")
    assert DEFAULTS[4] == Decimal("0.8")
    lines = costs.shares(
        [(1, 1, Decimal("80")), (2, 2, Decimal("80")), (3, 3, Decimal("80"))],
        Decimal("1000.00"),
        DEFAULTS,
    )
    assert [line.amount for line in lines] == [Decimal("0.00"), Decimal("0.00"), Decimal("1000.00")]


def test_the_formula_shows_coefficient_area_total_weight_and_amount():
    lines = costs.shares(
        [(1, 5, Decimal("88.50")), (2, 6, Decimal("532.70"))], Decimal("400000"), DEFAULTS
    )
    # 0.9 × 88.50 + 1.0 × 532.70 = 612.35
    assert lines[0].formula == "0.9 × 88.50 ÷ 612.35 × 400,000.00"
    assert lines[0].weight == Decimal("79.650")
    assert lines[0].share == Fraction("79.65") / Fraction("612.35") * 400000


def test_a_left_over_fen_goes_to_the_higher_floor_then_the_lower_household_id():
    equal = {3: Decimal("1"), 4: Decimal("1")}
    lines = costs.shares([(7, 3, Decimal("50")), (8, 4, Decimal("50"))], Decimal("0.01"), equal)
    assert {line.household_id: line.amount for line in lines} == {
        7: Decimal("0.00"),
        8: Decimal("0.01"),
    }
    lines = costs.shares([(9, 3, Decimal("50")), (4, 3, Decimal("50"))], Decimal("0.01"), equal)
    assert {line.household_id: line.amount for line in lines} == {
        4: Decimal("0.01"),
        9: Decimal("0.00"),
    }


def test_the_largest_remainder_wins_the_left_over_fen_before_the_floor():
    coefficients = {3: Decimal("1"), 4: Decimal("1")}
    # Exact shares 0.02 × 60/100 = 1.2 fen and 0.8 fen: the 0.8 remainder wins.
    lines = costs.shares(
        [(1, 4, Decimal("60")), (2, 3, Decimal("40"))], Decimal("0.02"), coefficients
    )
    assert {line.household_id: line.amount for line in lines} == {
        1: Decimal("0.01"),
        2: Decimal("0.01"),
    }


# --- The services -----------------------------------------------------------------------


@pytest.fixture
def estate(world):
    """One unit of six floors, two flats a floor (60.50–71.50 m²), in community A."""
    return estate_with_households(world.areas["community_a"], name="Shengzeyuan", households=12)


@pytest.fixture
def flats(estate):
    return estate[1]


@pytest.fixture
def project(world, flats):
    case = case_open(
        kind="elevators.project",
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="1号楼1单元 加装电梯",
    )
    return Project.objects.create(
        case=case, unit=flats[0].unit, total_cost=Decimal("600000"), subsidy=Decimal("200000")
    )


@pytest.fixture
def resident_home(world, flats):
    """The resident owns flat 501 (floor 5)."""
    person = Person.objects.create(
        community=world.areas["community_a"], name="胡桃兰", user=world.users["resident"]
    )
    Residence.objects.create(person=person, household=flats[8], relation=Relation.OWNER)
    return flats[8]


def set_schedule(world, project, kind=CONSTRUCTION, amount=Decimal("600000"), **kwargs):
    return services.schedule_set(
        actor=world.users["own_staff"], project=project, kind=kind, amount=amount, **kwargs
    )


def test_a_schedule_takes_the_area_coefficients_for_every_floor_of_the_unit(world, project):
    schedule = set_schedule(world, project)
    assert schedule.coefficients == {
        "1": "0",
        "2": "0",
        "3": "0.7",
        "4": "0.8",
        "5": "0.9",
        "6": "1.0",
    }
    assert schedule.agreed_on is None


def test_a_community_rule_set_changes_the_default_coefficients(world, project):
    RuleSet.objects.create(
        kind="elevators.cost",
        area=world.areas["community_a"],
        version=1,
        valid_from=timezone.now() - timedelta(days=1),
        payload={"coefficients": {str(f): "0" if f == 1 else "1" for f in range(1, 8)}},
    )
    schedule = set_schedule(world, project)
    assert schedule.coefficients["2"] == "1"


def test_construction_shares_the_cost_less_the_subsidy_to_the_fen(world, project, flats):
    set_schedule(world, project)
    lines = services.project_shares(project, CONSTRUCTION)
    assert sum(line.amount for line in lines) == Decimal("400000.00")
    assert all(line.amount == 0 for line in lines if line.floor <= 2)
    assert all(line.amount > 0 for line in lines if line.floor >= 3)


def test_annual_schedules_share_their_amount_as_it_is(world, project):
    set_schedule(world, project, kind=ELECTRICITY, amount=Decimal("3600.00"))
    lines = services.project_shares(project, ELECTRICITY)
    assert sum(line.amount for line in lines) == Decimal("3600.00")


def test_compensation_is_added_to_the_construction_amount_to_share(world, project, flats):
    schedule = set_schedule(world, project)
    services.schedule_agree(
        actor=world.users["own_staff"], schedule=schedule, agreed_on=timezone.localdate()
    )
    services.compensation_set(
        actor=world.users["own_staff"],
        project=project,
        household=flats[0],
        amount=Decimal("8000.00"),
        note="采光",
    )
    services.compensation_set(
        actor=world.users["own_staff"], project=project, household=flats[2], amount="2000"
    )
    lines = services.project_shares(project, CONSTRUCTION)
    assert sum(line.amount for line in lines) == Decimal("410000.00")
    assert sum(line.amount for line in lines if line.floor >= 3) == Decimal("410000.00")
    schedule.refresh_from_db()
    assert schedule.agreed_on is None, "a changed amount to share needs agreeing again"


def test_compensation_must_be_positive_and_for_a_household_of_the_unit(world, project, flats):
    _other_estate, other_flats = estate_with_households(world.areas["community_a"], name="Other")
    with pytest.raises(ValidationError) as error:
        services.compensation_set(
            actor=world.users["own_staff"], project=project, household=other_flats[0], amount=100
        )
    assert error.value.error_dict["household"][0].code == "household"
    with pytest.raises(ValidationError) as error:
        services.compensation_set(
            actor=world.users["own_staff"], project=project, household=flats[0], amount=0
        )
    assert error.value.error_dict["amount"][0].code == "not_positive"
    assert not Compensation.objects.exists()


def test_a_missing_or_negative_coefficient_is_refused(world, project):
    coefficients = {1: 0, 2: 0, 3: "0.7", 4: "0.8", 5: "0.9"}
    with pytest.raises(ValidationError) as error:
        set_schedule(world, project, coefficients=coefficients)
    assert error.value.error_dict["coefficients"][0].code == "missing"
    with pytest.raises(ValidationError) as error:
        set_schedule(world, project, coefficients={**coefficients, 6: "-1"})
    assert error.value.error_dict["coefficients"][0].code == "negative"
    assert not CostSchedule.objects.exists()


def test_coefficients_that_leave_nobody_paying_are_refused(world, project):
    with pytest.raises(ValidationError) as error:
        set_schedule(world, project, coefficients={f: 0 for f in range(1, 7)})
    assert error.value.error_dict["coefficients"][0].code == "nobody_pays"


def test_a_construction_cost_below_the_subsidy_is_refused(world, project):
    with pytest.raises(ValidationError) as error:
        set_schedule(world, project, amount=Decimal("150000"))
    assert error.value.error_dict["amount"][0].code == "negative_share"


def test_setting_the_same_schedule_again_changes_nothing_and_a_change_needs_agreeing(
    world, project
):
    schedule = set_schedule(world, project)
    services.schedule_agree(
        actor=world.users["own_staff"], schedule=schedule, agreed_on=timezone.localdate()
    )
    assert set_schedule(world, project).agreed_on == timezone.localdate()
    assert set_schedule(world, project, amount=Decimal("610000")).agreed_on is None


def test_an_agreement_cannot_be_dated_in_the_future(world, project):
    schedule = set_schedule(world, project)
    with pytest.raises(ValidationError):
        services.schedule_agree(
            actor=world.users["own_staff"],
            schedule=schedule,
            agreed_on=timezone.localdate() + timedelta(days=1),
        )


@pytest.mark.parametrize("persona", ["resident", "other_staff", "official"])
def test_only_those_who_may_change_the_project_set_costs(world, project, flats, persona):
    with pytest.raises(PermissionDenied):
        services.schedule_set(
            actor=world.users[persona], project=project, kind=CONSTRUCTION, amount=600000
        )
    with pytest.raises(PermissionDenied):
        services.compensation_set(
            actor=world.users[persona], project=project, household=flats[0], amount=1000
        )


def test_reading_the_shares_takes_the_same_queries_for_a_small_and_a_large_unit(world):
    counts = []
    for name, size in (("Small", 6), ("Large", 14)):
        _estate, flats = estate_with_households(
            world.areas["community_a"], name=name, households=size, floors=7
        )
        case = case_open(
            kind="elevators.project",
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            title=name,
        )
        project = Project.objects.create(case=case, unit=flats[0].unit, total_cost=500000)
        set_schedule(world, project, amount=Decimal("500000"))
        services.compensation_set(
            actor=world.users["own_staff"], project=project, household=flats[0], amount=1000
        )
        with CaptureQueriesContext(connection) as queries:
            services.project_shares(project, CONSTRUCTION)
            services.project_schedules(project)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 6


# --- The cost panel of the project page ------------------------------------------------------


def render_panel(project, user):
    context = costs_context(project, user)
    with translation.override("en"):
        return context, render_to_string("elevators/_costs.html", {**context, "project": project})


def test_staff_see_every_line_and_the_total(world, project, flats):
    set_schedule(world, project)
    context, html = render_panel(project, world.users["own_staff"])
    panel = context["cost_schedules"][0]
    assert context["cost_sees_all"] and context["may_edit_costs"]
    assert len(panel["lines"]) == 12
    assert panel["total"] == panel["amount_to_share"] == Decimal("400000.00")
    for flat in flats:
        assert f"<td>{flat.room_number}</td>" in html
    assert reverse("elevators:compensation_set", args=[project.pk]) in html


def test_a_resident_sees_only_their_own_line_with_its_formula(world, project, flats, resident_home):
    set_schedule(world, project)
    context, html = render_panel(project, world.users["resident"])
    panel = context["cost_schedules"][0]
    assert not context["cost_sees_all"] and not context["may_edit_costs"]
    assert [household for _line, household in panel["lines"]] == [resident_home]
    line = panel["lines"][0][0]
    assert line.formula in html
    assert "Your household 501 pays" in html
    assert "400,000.00" in html
    for flat in flats:
        if flat != resident_home:
            assert flat.room_number not in html
    assert "compensation_set" not in html and "Record the compensation" not in html


def test_a_resident_without_a_household_here_sees_no_line(world, project):
    set_schedule(world, project)
    context, html = render_panel(project, world.users["resident"])
    assert context["cost_schedules"][0]["lines"] == []
    assert "No household of yours is on this schedule." in html


def test_an_official_sees_the_lines_but_no_forms(world, project):
    set_schedule(world, project)
    context, html = render_panel(project, world.users["official"])
    assert context["cost_sees_all"] and not context["may_edit_costs"]
    assert "Change the schedule" not in html


# --- The pages --------------------------------------------------------------------------


def schedule_url(project, kind=CONSTRUCTION, suffix=""):
    return reverse(f"elevators:schedule_{suffix or 'set'}", args=[project.pk, kind])


CHANGE_MATRIX = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 404,
    "own_staff": 200,
    "programme_officer": 403,
    "official": 403,
    "org_member": 404,
}


def test_the_schedule_form_is_for_staff_of_the_project(client, world, project, resident_home):
    check_scope(client, world, schedule_url(project), CHANGE_MATRIX)


def test_the_compensation_form_is_for_staff_of_the_project(client, world, project, resident_home):
    url = reverse("elevators:compensation_set", args=[project.pk])
    check_scope(client, world, url, CHANGE_MATRIX)


def test_recording_an_agreement_is_for_staff_of_the_project(client, world, project, resident_home):
    set_schedule(world, project)
    check_scope(
        client,
        world,
        schedule_url(project, suffix="agree"),
        {**CHANGE_MATRIX, "own_staff": 302},
        method="post",
        data={"agreed_on": timezone.localdate().isoformat()},
    )
    assert CostSchedule.objects.get().agreed_on == timezone.localdate()


def test_the_printable_schedule_is_for_staff_and_officials(client, world, project, resident_home):
    set_schedule(world, project)
    check_scope(
        client,
        world,
        schedule_url(project, suffix="print"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 404,
        },
    )


def test_an_unknown_schedule_kind_answers_404(client, world, project):
    client.force_login(world.users["own_staff"])
    assert client.get(schedule_url(project, kind="gas")).status_code == 404
    assert client.get(schedule_url(project, kind="gas", suffix="print")).status_code == 404
    set_schedule(world, project)
    assert client.get(schedule_url(project, kind=ELECTRICITY, suffix="print")).status_code == 404


def test_the_schedule_form_starts_from_the_project_cost_and_the_area_coefficients(
    client, world, project
):
    client.force_login(world.users["own_staff"])
    response = client.get(schedule_url(project), **ENGLISH)
    form = response.context["form"]
    assert form.initial["amount"] == Decimal("600000")
    assert form.initial["floor_3"] == Decimal("0.7")
    assert [f.name for f in form.coefficient_fields()] == [f"floor_{f}" for f in range(1, 7)]
    assert re.search(r'<label[^>]*for="id_floor_3"', response.content.decode())


def schedule_data(amount="600000", **coefficients):
    data = {"amount": amount, **{f"floor_{f}": c for f, c in DEFAULTS.items() if f <= 6}}
    data.update(coefficients)
    return data


def test_saving_a_schedule_returns_to_the_project_page(client, world, project):
    client.force_login(world.users["own_staff"])
    response = client.post(schedule_url(project), schedule_data(floor_2="0.2"))
    assert response.status_code == 302
    assert response["Location"] == f"/elevators/{project.pk}/"
    assert CostSchedule.objects.get().coefficients["2"] == "0.2"


def test_a_negative_coefficient_is_a_form_error_keeping_what_was_typed(client, world, project):
    client.force_login(world.users["own_staff"])
    response = client.post(
        schedule_url(project), schedule_data(amount="612345.67", floor_4="-0.8"), **ENGLISH
    )
    assert response.status_code == 200
    assert response.context["form"].errors["floor_4"]
    assert 'value="612345.67"' in response.content.decode()
    assert not CostSchedule.objects.exists()


def test_coefficients_leaving_nobody_paying_are_a_form_error(client, world, project):
    client.force_login(world.users["own_staff"])
    zeros = {f"floor_{f}": "0" for f in range(1, 7)}
    response = client.post(schedule_url(project), schedule_data(**zeros), **ENGLISH)
    assert response.status_code == 200
    assert "Every household would pay nothing" in response.content.decode()
    assert not CostSchedule.objects.exists()


def test_a_cost_below_the_subsidy_is_a_form_error_on_the_amount(client, world, project):
    client.force_login(world.users["own_staff"])
    response = client.post(schedule_url(project), schedule_data(amount="1000"), **ENGLISH)
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]


def test_recording_compensation_returns_to_the_project_page(client, world, project, flats):
    client.force_login(world.users["own_staff"])
    url = reverse("elevators:compensation_set", args=[project.pk])
    response = client.post(url, {"household": flats[1].pk, "amount": "5000", "note": "采光"})
    assert response.status_code == 302
    assert response["Location"] == f"/elevators/{project.pk}/"
    assert Compensation.objects.get().amount == Decimal("5000.00")


def test_bad_compensation_is_a_form_error(client, world, project, flats):
    _estate, other_flats = estate_with_households(world.areas["community_a"], name="Other")
    client.force_login(world.users["own_staff"])
    url = reverse("elevators:compensation_set", args=[project.pk])
    response = client.post(url, {"household": flats[1].pk, "amount": "0"}, **ENGLISH)
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    response = client.post(url, {"household": other_flats[0].pk, "amount": "100"}, **ENGLISH)
    assert response.status_code == 200 and response.context["form"].errors["household"]
    assert not Compensation.objects.exists()


def test_an_agreement_dated_in_the_future_is_a_form_error(client, world, project):
    set_schedule(world, project)
    client.force_login(world.users["own_staff"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        schedule_url(project, suffix="agree"), {"agreed_on": tomorrow.isoformat()}, **ENGLISH
    )
    assert response.status_code == 200
    assert response.context["form"].errors["agreed_on"]
    assert CostSchedule.objects.get().agreed_on is None


def test_the_printable_schedule_sums_exactly_and_states_the_rounding_rule(
    client, world, project, flats
):
    set_schedule(world, project, amount=Decimal("612345.67"))
    services.compensation_set(
        actor=world.users["own_staff"], project=project, household=flats[0], amount="3333.33"
    )
    client.force_login(world.users["own_staff"])
    response = client.get(schedule_url(project, suffix="print"))
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    shares = [
        Decimal(s) for s in re.findall(r"<td class=\"text-end\" data-share>([\d.]+)</td>", html)
    ]
    total = Decimal(re.search(r"data-total>([\d.]+)</td>", html).group(1))
    assert len(shares) == 12
    assert sum(shares) == total == Decimal("612345.67") - Decimal("200000") + Decimal("3333.33")
    english = client.get(schedule_url(project, suffix="print") + "?lang=en").content.decode()
    assert "rounded down to the fen" in english
    assert "ties to the higher floor" in english


def test_the_cost_panel_takes_the_same_queries_for_a_small_and_a_large_unit(world):
    counts = []
    user = world.users["own_staff"]
    for name, size in (("Small", 6), ("Large", 14)):
        _estate, flats = estate_with_households(
            world.areas["community_a"], name=name, households=size, floors=7
        )
        case = case_open(
            kind="elevators.project", actor=user, community=world.areas["community_a"], title=name
        )
        project = Project.objects.create(case=case, unit=flats[0].unit, total_cost=500000)
        set_schedule(world, project, amount=Decimal("500000"))
        set_schedule(world, project, kind=ELECTRICITY, amount=Decimal("2400"))
        services.compensation_set(actor=user, project=project, household=flats[0], amount=1000)
        project = Project.objects.select_related("case__community").get(pk=project.pk)
        with CaptureQueriesContext(connection) as queries:
            render_panel(project, user)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6
