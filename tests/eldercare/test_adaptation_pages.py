"""Home adaptation pages: scope, sensitive eligibility, the queue, the forms."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from eldercare.models import Adaptation, AdaptationStage, Eligibility
from eldercare.services import adaptations as services
from eldercare.views.adaptations import contractors_near
from housing.models import Relation, Residence
from housing.services import registry
from portal.models import Case, PersonalDataAccess
from portal.roles import AreaLevel, OrganisationType, Role
from portal.services.cases import case_comment
from tests.eldercare.test_adaptation_services import (
    adaptation_at,
    apply,
    contractor,
    elder_at_home,
    eldercare_officer,
    photo,
)
from tests.factories import OrganisationFactory, UserFactory, area, member
from tests.housing.helpers import estate_with_households, id_number
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

Stage = AdaptationStage


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def detail(adaptation):
    return reverse("eldercare:adaptation_detail", args=[adaptation.pk])


def openings(adaptation):
    return PersonalDataAccess.objects.filter(
        target=f"eldercare.adaptation:{adaptation.pk}", field="eligibility"
    )


# --- Scope -------------------------------------------------------------------------------


def test_scope_of_the_queue_the_case_page_and_the_apply_form(client, world):
    elder, household = elder_at_home(world)
    adaptation = apply(world, elder, household, actor=world.users["own_staff"])
    # The resident filed nothing and is not the elder: it sees no case.
    check_scope(
        client,
        world,
        detail(adaptation),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 404,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:adaptation_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 403,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:adaptation_apply"),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 403,
            "org_member": 403,
        },
    )


def test_the_elder_sees_their_own_case_and_the_contractor_the_homes_it_works_on(client, world):
    adaptation = adaptation_at(world, Stage.WORKS, user=world.users["resident"])
    builder = UserFactory()
    member(builder, Role.ORGANISATION_MEMBER, organisation=adaptation.contractor)
    for user in (world.users["resident"], builder):
        client.force_login(user)
        assert client.get(detail(adaptation)).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "adaptation_assess",
        "adaptation_plan",
        "adaptation_approve",
        "adaptation_works",
        "adaptation_accept",
        "adaptation_pay",
        "adaptation_reject",
    ],
)
def test_stage_actions_answer_404_outside_scope_and_403_to_those_who_only_see(client, world, name):
    adaptation = adaptation_at(world, Stage.APPLIED, user=world.users["resident"])
    url = reverse(f"eldercare:{name}", args=[adaptation.pk])
    expected = {
        "anonymous": 302,
        "resident": 404,
        "other_staff": 404,
        "own_staff": 200,
        "programme_officer": 404,
        "official": 404,
        "org_member": 404,
    }
    # A POST with nothing in it: staff get the page back with the form's errors.
    responses = check_scope(client, world, url, expected, method="post")
    assert responses["own_staff"].context[name.replace("adaptation_", "") + "_form"].errors
    client.force_login(world.users["own_staff"])
    assert client.get(url).status_code == 405


# --- Sensitive eligibility ----------------------------------------------------------------


def test_eligibility_is_shown_and_logged_for_the_communitys_staff_and_eldercare_officers(
    client, world
):
    elder, household = elder_at_home(world)
    adaptation = apply(world, elder, household, eligibility=Eligibility.DISPERSED_EXTREME_POVERTY)
    label = str(Eligibility.DISPERSED_EXTREME_POVERTY.label)

    for user in (world.users["own_staff"], eldercare_officer(world)):
        client.force_login(user)
        page = client.get(detail(adaptation)).content.decode()
        assert label in page
        assert openings(adaptation).filter(user=user).count() == 1


def test_eligibility_is_never_shown_outside_the_owning_community(client, world):
    elder, household = elder_at_home(world, user=world.users["resident"])
    adaptation = apply(world, elder, household, eligibility=Eligibility.DISPERSED_EXTREME_POVERTY)
    subdistrict = UserFactory()
    member(subdistrict, Role.SUBDISTRICT_STAFF, area=world.areas["subdistrict"])
    label = str(Eligibility.DISPERSED_EXTREME_POVERTY.label)

    for user in (world.users["official"], subdistrict, world.users["resident"]):
        client.force_login(user)
        response = client.get(detail(adaptation))
        assert response.status_code == 200
        assert label not in response.content.decode()
        assert response.context["eligibility_label"] == ""
    client.force_login(world.users["other_staff"])
    assert client.get(detail(adaptation)).status_code == 404
    assert not openings(adaptation).exists()


def test_the_eligibility_filter_is_offered_only_to_those_who_may_see_it(client, world):
    elder, household = elder_at_home(world)
    low_income = apply(world, elder, household, eligibility=Eligibility.LOW_INCOME)
    other, other_home = elder_at_home(world, name="王大爷", estate="Other", sequence="579")
    apply(world, other, other_home, eligibility=Eligibility.DISABLED)
    url = reverse("eldercare:adaptation_list")

    client.force_login(world.users["official"])
    response = client.get(url, {"eligibility": Eligibility.LOW_INCOME})
    assert "eligibility" not in response.context["filter"].form.fields
    assert len(response.context["rows"]) == 2  # the parameter is ignored, not obeyed
    assert not PersonalDataAccess.objects.exists()

    client.force_login(world.users["own_staff"])
    response = client.get(url, {"eligibility": Eligibility.LOW_INCOME})
    assert "eligibility" in response.context["filter"].form.fields
    assert [a for a, _overdue in response.context["rows"]] == [low_income]
    assert openings(low_income).filter(user=world.users["own_staff"]).count() == 1


# --- The queue ------------------------------------------------------------------------------


def make_queue(world, size):
    builder = contractor(world)
    _estate, flats = estate_with_households(
        world.areas["community_a"], name=f"Queue {size}", households=size
    )
    staff = world.users["own_staff"]
    for n, flat in enumerate(flats):
        elder = registry.person_create(
            actor=None,
            check_scope=False,
            community=world.areas["community_a"],
            name=f"老人{n}",
            id_number=id_number(birth="19480101", sequence=f"{n:03d}"),
            household=flat,
        )
        adaptation = apply(world, elder, flat)
        if n % 3 == 0:
            Adaptation.objects.filter(pk=adaptation.pk).update(
                contractor=builder, stage=Stage.WORKS, total_cost=Decimal("3200.00")
            )
    return staff, builder


# Session, user, memberships (cached), the navigation's checks, the contractor filter's
# choices (and the chosen one), one query per keyset segment the page reaches (three at
# most); no count.
QUEUE_QUERIES = 9


@pytest.mark.parametrize("size", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    staff, builder = make_queue(world, size)
    client.force_login(staff)

    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("eldercare:adaptation_list"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(size, 25)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(
            reverse("eldercare:adaptation_list"),
            {"stage": Stage.WORKS, "contractor": builder.pk, "overdue": "false"},
        )
    assert len(response.context["rows"]) == min((size + 2) // 3, 25)
    # A later page costs what the first does.
    cursor = client.get(reverse("eldercare:adaptation_list")).context["keyset"].next_cursor
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("eldercare:adaptation_list"), {"after": cursor})
    assert len(response.context["rows"]) == max(size - 25, 0)


def queue_key(adaptation):
    """Where a row belongs in the queue: open with a due date soonest first, open
    without one newest first, then closed, most recently closed first."""
    case = adaptation.case
    if case.closed_at:
        return (2, -case.closed_at.timestamp(), -adaptation.pk)
    if case.due_at is None:
        return (1, -case.created_at.timestamp(), -adaptation.pk)
    return (0, case.due_at.timestamp(), adaptation.pk)


def spread_over_segments(adaptations):
    """Give the queue rows in each segment: some open without a due date, some closed,
    the rest open with due dates out of filing order."""
    start = timezone.now()
    for n, adaptation in enumerate(adaptations):
        if n % 4 == 1:
            Case.objects.filter(pk=adaptation.case_id).update(due_at=None)
        elif n % 4 == 2:
            closed = start - timezone.timedelta(days=n % 5)
            Case.objects.filter(pk=adaptation.case_id).update(closed_at=closed)
        else:
            due = start + timezone.timedelta(days=(7 * n) % 11)
            Case.objects.filter(pk=adaptation.case_id).update(due_at=due)


def test_the_queue_pages_by_cursor_in_queue_order_keeping_the_filter(client, world):
    staff, _builder = make_queue(world, 45)
    applied = Adaptation.objects.filter(stage=Stage.APPLIED)
    assert applied.count() == 30
    spread_over_segments(applied.order_by("pk"))
    client.force_login(staff)
    url = reverse("eldercare:adaptation_list")

    first = client.get(url, {"stage": Stage.APPLIED})
    keyset = first.context["keyset"]
    assert keyset.has_next and not keyset.has_previous
    assert "paginator" not in first.context or first.context["paginator"] is None
    second = client.get(url, {"stage": Stage.APPLIED, "after": keyset.next_cursor})

    shown = [a for a, _overdue in first.context["rows"] + second.context["rows"]]
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 5
    assert sorted(a.pk for a in shown) == sorted(applied.values_list("pk", flat=True))
    assert [a.pk for a in shown] == [a.pk for a in sorted(applied, key=queue_key)]
    assert second.context["keyset"].has_previous and not second.context["keyset"].has_next
    # The filter stays on the next link, and "previous" leads back to the first page.
    next_link = first.content.decode().split('rel="next"')[0].rsplit("href", 1)[1]
    assert f"stage={Stage.APPLIED}" in next_link and "after=" in next_link
    back = client.get(
        url, {"stage": Stage.APPLIED, "after": second.context["keyset"].previous_cursor}
    )
    assert [a.pk for a, _overdue in back.context["rows"]] == [a.pk for a in shown[:25]]


def test_a_tampered_cursor_gives_the_first_page(client, world):
    staff, _builder = make_queue(world, 30)
    client.force_login(staff)
    url = reverse("eldercare:adaptation_list")

    first = client.get(url)
    tampered = client.get(url, {"after": "not-a-cursor"})

    assert tampered.status_code == 200
    assert [a.pk for a, _ in tampered.context["rows"]] == [a.pk for a, _ in first.context["rows"]]


def test_filtering_by_eligibility_logs_an_opening_for_each_row_shown_only(client, world):
    staff, _builder = make_queue(world, 30)  # every household applied as low income
    client.force_login(staff)
    url = reverse("eldercare:adaptation_list")

    first = client.get(url, {"eligibility": Eligibility.LOW_INCOME})
    shown = {f"eldercare.adaptation:{a.pk}" for a, _overdue in first.context["rows"]}
    logged = PersonalDataAccess.objects.filter(user=staff, field="eligibility")
    assert len(shown) == 25
    assert set(logged.values_list("target", flat=True)) == shown
    assert logged.count() == 25

    cursor = first.context["keyset"].next_cursor
    second = client.get(url, {"eligibility": Eligibility.LOW_INCOME, "after": cursor})
    assert len(second.context["rows"]) == 5
    assert logged.count() == 30


# --- The contractor filter's choices ---------------------------------------------------------


def contractor_choices(client, user) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("eldercare:adaptation_list"))
    return {o.name for o in response.context["filter"].filters["contractor"].queryset}


def test_the_contractor_filter_offers_the_builders_placed_at_or_above_or_below_ones_areas(
    client, world
):
    a = world.areas
    other_district = area("Other district", AreaLevel.DISTRICT, a["city"])
    placed = {
        "at province": a["province"],
        "at city": a["city"],
        "at district": a["district"],
        "at subdistrict": a["subdistrict"],
        "at A": a["community_a"],
        "at B": a["community_b"],
        "at other district": other_district,
    }
    for name, where in placed.items():
        OrganisationFactory(name=name, type=OrganisationType.CONTRACTOR, area=where)
    OrganisationFactory(name="a committee at A", area=a["community_a"])
    above = {"at province", "at city", "at district", "at subdistrict"}

    # Staff are offered what the works form offers for their community.
    own = contractor_choices(client, world.users["own_staff"])
    assert own == above | {"at A"}
    assert own == {o.name for o in contractors_near(a["community_a"])}
    assert contractor_choices(client, world.users["other_staff"]) == above | {"at B"}
    # A district's official and eldercare officer: the district's and those above it.
    for user in (world.users["official"], eldercare_officer(world)):
        assert contractor_choices(client, user) == above | {"at A", "at B"}


def test_the_contractor_filter_still_finds_the_homes_a_county_builder_works_on(client, world):
    staff, builder = make_queue(world, 6)
    assert builder.area == world.areas["district"]  # above the staff's community
    client.force_login(staff)

    response = client.get(reverse("eldercare:adaptation_list"), {"contractor": builder.pk})

    assert response.status_code == 200
    assert {a.pk for a, _overdue in response.context["rows"]} == set(
        Adaptation.objects.filter(contractor=builder).values_list("pk", flat=True)
    )


def test_the_queue_filters_overdue_cases(client, world):
    staff, _builder = make_queue(world, 3)
    late = Adaptation.objects.order_by("pk").first()
    late.case.due_at = timezone.now() - timezone.timedelta(days=1)
    late.case.save()
    client.force_login(staff)

    response = client.get(reverse("eldercare:adaptation_list"), {"overdue": "true"})

    assert [a for a, overdue in response.context["rows"]] == [late]
    assert "overdue" in response.content.decode() or "逾期" in response.content.decode()

    closed = Adaptation.objects.exclude(pk=late.pk).order_by("pk").first()
    closed.case.due_at = timezone.now() - timezone.timedelta(days=2)
    closed.case.closed_at = timezone.now()
    closed.case.save()
    response = client.get(reverse("eldercare:adaptation_list"), {"overdue": "false"})

    # Not overdue: open and not yet due, without a due date, or closed (late or not).
    shown = {a.pk for a, _overdue in response.context["rows"]}
    assert shown == set(Adaptation.objects.exclude(pk=late.pk).values_list("pk", flat=True))
    assert closed.pk in shown


# --- The case page ------------------------------------------------------------------------


def test_the_resident_follows_plan_costs_stage_and_due_date_without_internal_notes(client, world):
    adaptation = adaptation_at(world, Stage.PLANNED, user=world.users["resident"])
    case_comment(
        case=adaptation.case,
        actor=world.users["own_staff"],
        comment="内部：家属情绪激动",
        public=False,
    )
    client.force_login(world.users["resident"])

    response = client.get(detail(adaptation))
    page = response.content.decode()

    assert response.status_code == 200
    assert "4430.00" in page and "3000.00" in page and "1430.00" in page
    assert "卫生间扶手" in page
    assert (
        adaptation.case.due_at
        and timezone.localtime(adaptation.case.due_at).strftime("%Y-%m-%d") in page
    )
    assert "内部：家属情绪激动" not in page
    assert "卫生间无扶手，地面湿滑。" not in page  # the home assessment is the staff's
    assert response.context.get("plan_form") is None


def test_the_plan_builder_saves_and_keeps_bad_input(client, world):
    adaptation = adaptation_at(world, Stage.ASSESSED)
    client.force_login(world.users["own_staff"])
    page = client.get(detail(adaptation))
    assert page.context["plan_form"] is not None
    catalogue = services.catalogue_items(adaptation)
    index = {item["code"]: n for n, item in enumerate(catalogue)}
    url = reverse("eldercare:adaptation_plan", args=[adaptation.pk])

    response = client.post(url, {f"qty_{index['T01']}": "-2", f"price_{index['T01']}": "abc"})
    assert response.status_code == 200
    form = response.context["plan_form"]
    assert form.errors and form[f"price_{index['T01']}"].value() == "abc"

    response = client.post(url, {f"qty_{index['T01']}": "0"})
    assert response.status_code == 200 and response.context["plan_form"].non_field_errors()

    response = client.post(
        url,
        {
            f"qty_{index['T01']}": "2",
            f"price_{index['T01']}": "",
            f"qty_{index['D03']}": "1",
            f"price_{index['D03']}": "2500.50",
        },
    )
    assert response.status_code == 302
    adaptation.refresh_from_db()
    assert adaptation.stage == Stage.PLANNED
    assert (adaptation.total_cost, adaptation.subsidy, adaptation.self_pay) == (
        Decimal("3260.50"),
        Decimal("760.00"),
        Decimal("2500.50"),
    )


def test_a_move_out_of_order_from_the_page_is_a_form_error(client, world):
    adaptation = adaptation_at(world, Stage.PLANNED)
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("eldercare:adaptation_pay", args=[adaptation.pk]),
        {"paid_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 200
    assert response.context["pay_form"].non_field_errors()
    adaptation.refresh_from_db()
    assert adaptation.stage == Stage.PLANNED


def test_staff_walk_a_case_through_the_page_to_payment(client, world):
    adaptation = adaptation_at(world, Stage.APPLIED, user=world.users["resident"])
    builder = contractor(world)
    client.force_login(world.users["own_staff"])
    today = timezone.localdate().isoformat()

    def post(name, data):
        response = client.post(reverse(f"eldercare:{name}", args=[adaptation.pk]), data)
        assert response.status_code == 302, response.context and [
            (k, v.errors) for k, v in response.context.flatten().items() if k.endswith("_form")
        ]

    post(
        "adaptation_assess",
        {"capacity_level": "2", "home_assessment": "浴室湿滑", "photos": [photo()]},
    )
    post("adaptation_plan", {"qty_0": "1"})
    post("adaptation_approve", {"note": ""})
    post("adaptation_works", {"contractor": builder.pk, "started_on": today})
    response = client.post(
        reverse("eldercare:adaptation_accept", args=[adaptation.pk]),
        {"accepted_on": today, "record": "合格"},
    )
    assert response.status_code == 200 and response.context["accept_form"].errors["photos"]
    post("adaptation_accept", {"accepted_on": today, "record": "合格", "photos": [photo()]})
    post("adaptation_pay", {"paid_on": today})
    adaptation.refresh_from_db()
    assert adaptation.stage == Stage.PAID and adaptation.case.closed_at

    client.force_login(world.users["resident"])
    page = client.get(detail(adaptation))
    assert page.context["survey_form"] is not None
    response = client.post(
        reverse("eldercare:adaptation_survey", args=[adaptation.pk]),
        {"satisfaction": "5", "comment": "好"},
    )
    assert response.status_code == 302
    adaptation.refresh_from_db()
    assert adaptation.satisfaction == 5


def test_strangers_cannot_post_the_survey(client, world):
    adaptation = adaptation_at(world, Stage.ACCEPTED)
    client.force_login(world.users["official"])
    response = client.post(
        reverse("eldercare:adaptation_survey", args=[adaptation.pk]), {"satisfaction": "1"}
    )
    assert response.status_code == 403


# --- Applying ---------------------------------------------------------------------------------


def test_a_resident_without_a_linked_record_is_told_to_ask_community_staff(client, world):
    client.force_login(world.users["resident"])

    response = client.get(reverse("eldercare:adaptation_apply"))

    assert response.status_code == 200 and response.context["no_record"]
    assert 'id="apply-no-record"' in response.content.decode()
    response = client.post(reverse("eldercare:adaptation_apply"), {"eligibility": "other"})
    assert response.status_code == 200 and not Adaptation.objects.exists()


def test_a_resident_applies_for_a_family_member_from_the_form(client, world):
    me, home = elder_at_home(world, user=world.users["resident"], born=date(1990, 1, 1))
    father = registry.person_create(
        actor=None,
        check_scope=False,
        community=world.areas["community_a"],
        name="胡父",
        id_number=id_number(birth="19450505", sequence="135"),
        household=home,
        relation=Relation.FAMILY,
    )
    client.force_login(world.users["resident"])
    url = reverse("eldercare:adaptation_apply")

    response = client.post(url, {"elder_home": f"{me.pk}:{home.pk}", "eligibility": "other"})
    assert response.status_code == 200
    assert response.context["form"].errors["elder_home"]  # 35, too young

    response = client.post(
        url,
        {
            "elder_home": f"{father.pk}:{home.pk}",
            "eligibility": "aged_80_plus",
            "exclusions": ["dangerous"],
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["exclusions"]
    assert response.context["form"]["exclusions"].value() == ["dangerous"]

    response = client.post(url, {"elder_home": f"{father.pk}:{home.pk}", "eligibility": "other"})
    adaptation = Adaptation.objects.get()
    assert response["Location"] == detail(adaptation)
    assert adaptation.elder == father and adaptation.applicant == "family"


def test_staff_apply_by_id_number_and_a_live_adaptation_is_a_form_error(client, world):
    number = id_number(birth="19500312", sequence="123")
    elder, household = elder_at_home(world, born=date(1950, 3, 12))
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:adaptation_apply")
    data = {"id_number": number, "applicant": "family", "eligibility": "low_income"}

    response = client.post(url, data)
    adaptation = Adaptation.objects.get()
    assert response["Location"] == detail(adaptation)
    assert adaptation.applicant == "family" and adaptation.elder == elder

    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert response.context["form"]["id_number"].value() == number
    assert Adaptation.objects.count() == 1


def test_staff_cannot_look_up_people_outside_their_area(client, world):
    number = id_number(birth="19500312", sequence="123")
    elder_at_home(world, born=date(1950, 3, 12))
    client.force_login(world.users["other_staff"])

    response = client.post(
        reverse("eldercare:adaptation_apply"),
        {"id_number": number, "applicant": "staff", "eligibility": "low_income"},
    )

    assert response.status_code == 200 and response.context["form"].errors["id_number"]
    assert not Adaptation.objects.exists()


def test_bad_input_on_the_staff_form_is_a_form_error(client, world):
    client.force_login(world.users["own_staff"])
    response = client.post(
        reverse("eldercare:adaptation_apply"),
        {"id_number": "12345", "applicant": "nobody", "eligibility": "rich", "exclusions": "x"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"id_number", "eligibility", "exclusions"}
    assert response.context["form"]["id_number"].value() == "12345"


def test_staff_choose_the_home_when_the_elder_lives_in_two(client, world):
    number = id_number(birth="19500312", sequence="123")
    elder, first = elder_at_home(world, born=date(1950, 3, 12))
    _estate, flats = estate_with_households(world.areas["community_a"], name="Second")
    Residence.objects.create(person=elder, household=flats[1], relation=Relation.OWNER)
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:adaptation_apply")
    data = {"id_number": number, "applicant": "staff", "eligibility": "disabled"}

    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors["household"]
    assert not response.context["form"].fields["household"].widget.is_hidden

    response = client.post(url, {**data, "household": flats[1].pk})
    assert response.status_code == 302
    assert Adaptation.objects.get().household == flats[1]
