"""Objections to an elevator project, the coordination meetings that settle them, and
handing an objection to the mediation clinic as a dispute."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from disputes.models import Dispute
from elevators.models import Meeting, Objection, Project, Stage
from elevators.services.objections import (
    meeting_record,
    objection_raise,
    objection_resolve,
    objection_to_dispute,
)
from elevators.services.stages import stage_move
from elevators.views.stages import objections_context
from housing.models import HouseholdClaim, Person, Relation, Residence
from portal.models import Case, FollowUp, TimelineEntry
from portal.registry import registry
from portal.roles import Role
from portal.services.cases import case_open
from tests.factories import UserFactory, member
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def dispute_categories(db):
    from disputes.categories import seed

    seed()


@pytest.fixture
def flats(world):
    _estate, flats = estate_with_households(world.areas["community_a"], households=12)
    return flats


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
def ground_floor(world, flats):
    """Flat 101, owned by the resident persona (Master Jing, 荆师傅)."""
    person = Person.objects.create(
        community=world.areas["community_a"], name="荆师傅", user=world.users["resident"]
    )
    Residence.objects.create(person=person, household=flats[0], relation=Relation.OWNER)
    return flats[0]


@pytest.fixture
def tenant(world, flats):
    """A resident who rents flat 501: bound to the unit, but not an owner."""
    user = UserFactory(username="tenant")
    member(user, Role.RESIDENT, area=world.areas["community_a"])
    person = Person.objects.create(community=world.areas["community_a"], name="李租", user=user)
    Residence.objects.create(person=person, household=flats[8], relation=Relation.TENANT)
    return user


def raise_objection(world, project, household, *, user=None, reason="light", **kwargs):
    return objection_raise(
        user=user or world.users["resident"],
        project=project,
        household=household,
        reason=reason,
        description=kwargs.pop("description", "The shaft blocks my kitchen window."),
        **kwargs,
    )


def hold_meeting(world, project, objections=(), **kwargs):
    return meeting_record(
        actor=world.users["own_staff"],
        project=project,
        kind=kwargs.pop("kind", Meeting.Kind.THREE_PARTY),
        held_at=kwargs.pop("held_at", timezone.now() - timedelta(hours=2)),
        attendees=kwargs.pop("attendees", "康玲蔚, 荆师傅, 胡桃兰"),
        resolved_objections=list(objections),
        **kwargs,
    )


def project_path(project) -> str:
    return f"/elevators/{project.pk}/"


# --- Raising an objection --------------------------------------------------------------------


def test_a_verified_owner_on_the_ground_floor_objects_flagged_as_low_floor(
    world, project, ground_floor
):
    objection = raise_objection(world, project, ground_floor)

    assert objection.low_floor
    assert objection.status == Objection.Status.OPEN
    assert objection.raised_by == world.users["resident"]
    told = FollowUp.objects.get(case_id=project.pk, purpose=FollowUp.Purpose.MANUAL)
    assert told.assignee_role == Role.COMMUNITY_STAFF
    assert "an objection (light)" in told.reason


def test_an_objection_from_the_third_floor_is_not_low_floor(world, project, flats):
    owner = UserFactory(username="third_floor_owner")
    member(owner, Role.RESIDENT, area=world.areas["community_a"])
    HouseholdClaim.objects.create(
        user=owner,
        household=flats[4],
        relation=Relation.OWNER,
        state=HouseholdClaim.State.APPROVED,
    )

    objection = raise_objection(world, project, flats[4], user=owner, reason="noise")

    assert flats[4].floor == 3
    assert not objection.low_floor


def test_a_tenant_cannot_object(world, project, flats, tenant):
    with pytest.raises(PermissionDenied):
        raise_objection(world, project, flats[8], user=tenant)


def test_an_owner_cannot_object_for_a_neighbour(world, project, flats, ground_floor):
    with pytest.raises(PermissionDenied):
        raise_objection(world, project, flats[1])


def test_staff_record_an_objection_for_any_household_of_the_unit(world, project, flats):
    objection = raise_objection(world, project, flats[2], user=world.users["own_staff"])

    assert objection.household == flats[2]
    assert objection.low_floor  # floor 2


def test_a_household_of_another_unit_is_refused(world, project):
    _estate, elsewhere = estate_with_households(
        world.areas["community_a"], name="Shengze", households=2
    )

    with pytest.raises(ValidationError) as caught:
        raise_objection(world, project, elsewhere[0], user=world.users["own_staff"])

    assert caught.value.message_dict["household"] == ["Choose a household of this unit."]


def test_the_same_open_objection_twice_is_refused(world, project, ground_floor):
    raise_objection(world, project, ground_floor)

    with pytest.raises(ValidationError) as caught:
        raise_objection(world, project, ground_floor)

    assert caught.value.messages == [
        "This household already has an open objection for this reason."
    ]


def test_an_empty_description_is_refused(world, project, ground_floor):
    with pytest.raises(ValidationError) as caught:
        raise_objection(world, project, ground_floor, description="  ")

    assert caught.value.message_dict["description"] == ["Say what the objection is about."]


# --- Resolving and meetings -------------------------------------------------------------------


def test_a_meeting_resolves_the_chosen_objections_with_a_public_timeline_entry(
    world, project, flats, ground_floor
):
    light = raise_objection(world, project, ground_floor)
    cost = raise_objection(world, project, flats[2], user=world.users["own_staff"], reason="cost")
    later = raise_objection(world, project, flats[3], user=world.users["own_staff"])

    meeting = hold_meeting(world, project, [light, cost], outcome="Compensation agreed")

    assert set(meeting.resolved_objections.all()) == {light, cost}
    statuses = dict(Objection.objects.values_list("pk", "status"))
    assert statuses[light.pk] == statuses[cost.pk] == Objection.Status.RESOLVED
    assert statuses[later.pk] == Objection.Status.OPEN
    entry = TimelineEntry.objects.filter(case_id=project.pk).order_by("-pk").first()
    assert entry.is_public
    assert entry.comment.startswith("three-party meeting (有事来商量) held on ")
    assert entry.comment.endswith("Objections resolved: 2.")


def test_a_meeting_cannot_resolve_an_objection_already_resolved(world, project, ground_floor):
    light = raise_objection(world, project, ground_floor)
    hold_meeting(world, project, [light])

    with pytest.raises(ValidationError) as caught:
        hold_meeting(world, project, [light])

    assert caught.value.message_dict["resolved_objections"] == [
        "Choose open objections to this project."
    ]


def test_a_meeting_in_the_future_is_refused(world, project):
    with pytest.raises(ValidationError) as caught:
        hold_meeting(world, project, held_at=timezone.now() + timedelta(days=1))

    assert caught.value.message_dict["held_at"] == ["Record a meeting once it has taken place."]


def test_a_resident_cannot_record_a_meeting(world, project):
    with pytest.raises(PermissionDenied):
        meeting_record(
            actor=world.users["resident"],
            project=project,
            kind=Meeting.Kind.NEIGHBOUR_TALK,
            held_at=timezone.now(),
            attendees="us",
        )


def test_staff_resolve_an_objection_without_a_meeting(world, project, ground_floor):
    objection = raise_objection(world, project, ground_floor)

    objection = objection_resolve(actor=world.users["own_staff"], objection=objection)

    assert objection.status == Objection.Status.RESOLVED
    entry = TimelineEntry.objects.filter(case_id=project.pk).order_by("-pk").first()
    assert entry.comment == "An objection (light) was resolved."


# --- Handing over to the clinic ---------------------------------------------------------------


def test_an_objection_handed_over_becomes_a_dispute_linked_on_the_objection(
    world, project, ground_floor
):
    objection = raise_objection(world, project, ground_floor)

    dispute_case = objection_to_dispute(actor=world.users["own_staff"], objection=objection)

    objection.refresh_from_db()
    assert objection.status == Objection.Status.HANDED_OVER
    assert objection.dispute_case == dispute_case
    assert Dispute.objects.get(pk=dispute_case.pk).source_case_id == project.pk
    note = TimelineEntry.objects.filter(case=dispute_case).order_by("-pk").first()
    assert note.comment == ("Objection from 101 (light): The shaft blocks my kitchen window.")
    # Handing it over again returns the same dispute.
    assert objection_to_dispute(actor=world.users["own_staff"], objection=objection) == dispute_case


def test_a_handed_over_objection_is_settled_at_the_clinic(world, project, ground_floor):
    objection = raise_objection(world, project, ground_floor)
    objection_to_dispute(actor=world.users["own_staff"], objection=objection)

    with pytest.raises(ValidationError) as caught:
        objection_resolve(actor=world.users["own_staff"], objection=objection)

    assert caught.value.code == "handed_over"


def test_hand_over_is_refused_when_disputes_are_not_installed(
    world, project, ground_floor, monkeypatch
):
    monkeypatch.delitem(registry.hand_over_targets, "dispute_from")
    objection = raise_objection(world, project, ground_floor)

    with pytest.raises(ValidationError) as caught:
        objection_to_dispute(actor=world.users["own_staff"], objection=objection)

    assert caught.value.messages == [
        "Disputes are not available, so the objection cannot be handed over."
    ]
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_hand_over_from_the_page_without_disputes_shows_the_message(
    client, world, project, ground_floor, monkeypatch
):
    monkeypatch.delitem(registry.hand_over_targets, "dispute_from")
    objection = raise_objection(world, project, ground_floor)
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:objection_dispute", args=[objection.pk]), follow=True, **ENGLISH
    )

    assert "Disputes are not available" in response.content.decode()
    context = objections_context(project, world.users["own_staff"])
    assert not context["objection_may_hand_over"]


# --- The panel ------------------------------------------------------------------------------


def test_residents_see_other_households_masked_and_their_own_in_full(
    world, project, flats, ground_floor
):
    raise_objection(world, project, ground_floor)
    raise_objection(
        world,
        project,
        flats[5],
        user=world.users["own_staff"],
        reason="privacy",
        description="Private worry",
    )

    rows = objections_context(project, world.users["resident"])["objections"]

    assert [(row["household"], row["details"]) for row in rows] == [
        ("101", True),
        ("another household", False),
    ]
    assert rows[0]["objection"].low_floor


def test_a_verified_owner_gets_the_form_and_a_tenant_does_not(world, project, tenant, ground_floor):
    assert objections_context(project, world.users["resident"])["objection_form"] is not None
    assert objections_context(project, tenant)["objection_form"] is None


def test_staff_get_the_hand_over_button_when_disputes_are_installed(world, project):
    context = objections_context(project, world.users["own_staff"])

    assert context["objection_may_hand_over"]
    assert context["objection_form"] is None
    assert context["objection_staff_form"]


def test_no_objections_once_the_project_is_cancelled(world, project, ground_floor):
    stage_move(actor=world.users["own_staff"], project=project, to=Stage.CANCELLED)
    project.refresh_from_db()

    with pytest.raises(ValidationError):
        raise_objection(world, project, ground_floor)
    assert objections_context(project, world.users["resident"])["objection_form"] is None


# --- Pages ---------------------------------------------------------------------------------


def test_the_objection_page_answers_each_persona(client, world, project, ground_floor):
    check_scope(
        client,
        world,
        reverse("elevators:object", args=[project.pk]),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 403,
            "org_member": 404,
        },
    )


def test_a_tenant_gets_403_on_the_objection_page(client, project, tenant):
    client.force_login(tenant)

    response = client.get(reverse("elevators:object", args=[project.pk]))

    assert response.status_code == 403


def test_an_owner_objects_through_the_page(client, world, project, ground_floor):
    client.force_login(world.users["resident"])

    response = client.post(
        reverse("elevators:object", args=[project.pk]),
        {"household": ground_floor.pk, "reason": "ventilation", "description": "Less air"},
    )

    assert response.status_code == 302
    assert response["Location"] == project_path(project)
    objection = Objection.objects.get(project=project)
    assert (objection.reason, objection.low_floor) == ("ventilation", True)


def test_an_objection_without_a_description_is_a_form_error(client, world, project, ground_floor):
    client.force_login(world.users["resident"])

    response = client.post(
        reverse("elevators:object", args=[project.pk]),
        {"household": ground_floor.pk, "reason": "noise", "description": ""},
        **ENGLISH,
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Objection.objects.exists()


def test_a_neighbours_household_is_not_a_choice_on_the_page(
    client, world, project, flats, ground_floor
):
    client.force_login(world.users["resident"])

    response = client.post(
        reverse("elevators:object", args=[project.pk]),
        {"household": flats[1].pk, "reason": "noise", "description": "Noise"},
        **ENGLISH,
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_objection_resolve_answers_each_persona(client, world, project, ground_floor):
    objection = raise_objection(world, project, ground_floor)

    responses = check_scope(
        client,
        world,
        reverse("elevators:objection_resolve", args=[objection.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 403,
            "official": 403,
            "org_member": 404,
        },
        method="post",
    )

    assert responses["own_staff"]["Location"] == project_path(project)
    objection.refresh_from_db()
    assert objection.status == Objection.Status.RESOLVED


def test_objection_dispute_answers_each_persona(client, world, project, ground_floor):
    objection = raise_objection(world, project, ground_floor)

    responses = check_scope(
        client,
        world,
        reverse("elevators:objection_dispute", args=[objection.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 403,
            "official": 403,
            "org_member": 404,
        },
        method="post",
    )

    assert responses["own_staff"]["Location"] == project_path(project)
    objection.refresh_from_db()
    assert objection.dispute_case is not None


def test_the_meeting_page_answers_each_persona(client, world, project):
    check_scope(
        client,
        world,
        reverse("elevators:meeting_new", args=[project.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 403,
            "org_member": 404,
        },
    )


def test_a_meeting_is_recorded_through_the_page(client, world, project, ground_floor):
    objection = raise_objection(world, project, ground_floor)
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:meeting_new", args=[project.pk]),
        {
            "kind": Meeting.Kind.LEGAL_AID,
            "held_at": "2024-05-02T15:30",
            "attendees": "Lawyer Wang, 荆师傅",
            "outcome": "Compensation of 8,000 yuan",
            "resolved_objections": [objection.pk],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == project_path(project)
    meeting = Meeting.objects.get(project=project)
    assert timezone.localtime(meeting.held_at).strftime("%Y-%m-%d %H:%M") == "2024-05-02 15:30"
    assert list(meeting.resolved_objections.all()) == [objection]


def test_a_meeting_without_attendees_or_with_a_bad_time_is_a_form_error(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:meeting_new", args=[project.pk]),
        {"kind": Meeting.Kind.SITE_SURVEY, "held_at": "soon", "minutes": "Kept"},
        **ENGLISH,
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter a valid date/time." in content
    assert "This field is required." in content
    assert "Kept" in content
    assert not Meeting.objects.exists()


def test_the_project_page_shows_objections_with_the_low_floor_flag(
    client, world, project, ground_floor
):
    raise_objection(world, project, ground_floor)
    client.force_login(world.users["own_staff"])

    response = client.get(project_path(project), **ENGLISH)

    content = response.content.decode()
    assert response.status_code == 200
    assert "low floor" in content
    assert reverse("elevators:objection_dispute", args=[Objection.objects.get().pk]) in content
    assert Case.objects.get(pk=project.pk).closed_at is None


def render_panels(project, user) -> int:
    """Queries to build and render both panels for `user`."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    from elevators.views.stages import stages_context

    with CaptureQueriesContext(connection) as queries:
        context = {"project": project, "user": user}
        context.update(stages_context(project, user))
        context.update(objections_context(project, user))
        render_to_string("elevators/_stages.html", context)
        render_to_string("elevators/_objections.html", context)
    return len(queries)


@pytest.mark.parametrize("persona", ["own_staff", "resident"])
def test_the_panels_run_a_fixed_number_of_queries(world, project, flats, ground_floor, persona):
    staff = world.users["own_staff"]
    first = raise_objection(world, project, flats[2], user=staff)
    hold_meeting(world, project, [first])
    user = world.users[persona]
    render_panels(project, user)  # the user's memberships are cached after the first
    few = render_panels(project, user)

    for n, flat in enumerate(flats[3:9]):
        objection = raise_objection(world, project, flat, user=staff, reason="noise")
        if n % 2:
            hold_meeting(world, project, [objection])

    assert render_panels(project, user) == few
