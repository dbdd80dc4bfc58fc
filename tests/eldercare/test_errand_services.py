"""Red-vest errands: requesting, assigning to the roster, done, cancel, rating."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from eldercare.models import Errand, ErrandGroup, ErrandService, ErrandStatus
from eldercare.services import errands as services
from housing.services.registry import person_create, person_link_user
from portal.models import Case, CaseParty, Notification
from portal.personal import id_check_character
from portal.roles import Role
from tests.eldercare.test_errand_helpers import assigned_errand, red_vest_teams, resident_errand
from tests.factories import UserFactory, area, member

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_FIRST17 = "63010219400101001"
ID_NUMBER = ID_FIRST17 + id_check_character(ID_FIRST17)


@pytest.fixture
def teams(world):
    return red_vest_teams(world)


def errand_for(world, actor=None, **overrides):
    values = {
        "actor": actor or world.users["own_staff"],
        "community": world.areas["community_a"],
        "name": "李奶奶",
        "phone": "138 0013 8000",
        "service": ErrandService.MEDICAL_INSURANCE,
        "group": ErrandGroup.ELDERLY_ALONE,
        "details": "医保报销材料代交",
        "address": "团结社区 5号楼 101",
        **overrides,
    }
    return services.errand_request_for(**values)


# --- Requests ---------------------------------------------------------------------------


def test_a_resident_requests_an_errand_for_themselves(world):
    errand = resident_errand(world)
    case = errand.case

    assert case.kind == "eldercare.errand" and case.reference.startswith("BB-")
    assert case.status == ErrandStatus.REQUESTED and case.community == world.areas["community_a"]
    assert case.filed_by == world.users["resident"]
    assert case.filer_phone == world.users["resident"].phone
    assert case in Case.objects.visible_to(world.users["resident"]).filed_or_joined_by(
        world.users["resident"]
    )


def test_the_title_names_the_service_never_the_circumstances(world):
    errand = resident_errand(world, group=ErrandGroup.ORPHANED)

    assert str(ErrandService.PENSION_CERTIFICATION.label) in errand.case.title
    assert str(ErrandGroup.ORPHANED.label) not in errand.case.title
    assert not errand.case.timeline.filter(comment__icontains=ErrandGroup.ORPHANED).exists()


def test_a_resident_may_tie_the_errand_to_their_record(world):
    person = person_create(
        actor=None,
        community=world.areas["community_a"],
        name="王鹏",
        check_scope=False,
    )
    person.user = world.users["resident"]
    person.save(update_fields=["user"])

    errand = resident_errand(world, on_record=True)

    assert errand.person == person


def test_a_resident_without_a_record_cannot_tie_one(world):
    with pytest.raises(ValidationError) as caught:
        resident_errand(world, on_record=True)
    assert caught.value.error_dict["on_record"][0].code == "no_record"


def test_only_residents_use_the_resident_request(world):
    with pytest.raises(PermissionDenied):
        services.errand_request(
            actor=world.users["own_staff"],
            service=ErrandService.SHOPPING,
            group=ErrandGroup.WIDOWED,
            details="买菜",
            address="某处",
            phone="13800138000",
        )


def test_bad_request_values_are_refused_field_by_field(world):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        resident_errand(
            world,
            service="nope",
            group="",
            details=" ",
            address="",
            phone="123",
            wanted_by=yesterday,
        )
    codes = {field: errors[0].code for field, errors in caught.value.error_dict.items()}
    assert codes == {
        "service": "service",
        "group": "group",
        "details": "empty",
        "address": "empty",
        "wanted_by": "past",
        "phone": "invalid_phone",
    }
    assert not Errand.objects.exists()


def test_wanted_sooner_than_the_time_limit_makes_it_due_that_day(world):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
    errand = resident_errand(world, wanted_by=date(2026, 3, 3), now=now)

    assert timezone.localtime(errand.case.due_at).date() == date(2026, 3, 3)


def test_wanted_later_than_the_time_limit_keeps_the_time_limit(world):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    errand = resident_errand(world, wanted_by=date(2026, 4, 30), now=now)

    assert timezone.localtime(errand.case.due_at).date() < date(2026, 3, 20)


def test_staff_request_on_behalf_with_the_persons_phone(world):
    errand = errand_for(world)
    case = errand.case

    assert case.filed_by is None and case.filer_name == "李奶奶"
    assert case.filer_phone == "13800138000"
    assert errand in Errand.objects.visible_to(world.users["own_staff"])


def test_staff_of_another_community_cannot_request_here(world):
    with pytest.raises(PermissionDenied):
        errand_for(world, actor=world.users["other_staff"])
    with pytest.raises(PermissionDenied):
        errand_for(world, actor=world.users["official"])


def test_a_grid_worker_requests_on_behalf_on_their_grid(world):
    grid_worker = UserFactory(username="grid")
    member(grid_worker, Role.GRID_WORKER, area=world.areas["grid_a1"])

    errand = errand_for(world, actor=grid_worker)

    assert errand.case.grid == world.areas["grid_a1"]
    assert list(services.communities_for_requests(grid_worker)) == [world.areas["community_a"]]


def test_the_resident_on_record_follows_an_errand_filed_for_them(world):
    person = person_create(
        actor=None,
        community=world.areas["community_a"],
        name="李奶奶",
        id_number=ID_NUMBER,
        check_scope=False,
    )
    errand = errand_for(world, person=person)
    assert not CaseParty.objects.exists()

    person_link_user(actor=world.users["own_staff"], person=person, user=world.users["resident"])

    assert CaseParty.objects.filter(case=errand.case, user=world.users["resident"]).exists()
    assert errand.case in Case.objects.filed_or_joined_by(world.users["resident"])


def test_a_person_of_another_community_is_refused(world):
    person = person_create(
        actor=None, community=world.areas["community_b"], name="张三", check_scope=False
    )
    with pytest.raises(PermissionDenied):
        errand_for(world, person=person)
    with pytest.raises(ValidationError) as caught:
        errand_for(world, actor=UserFactory(is_superuser=True), person=person)
    assert caught.value.error_dict["person"][0].code == "person_community"


# --- Assigning ----------------------------------------------------------------------------


def test_staff_assign_a_volunteer_of_the_roster_who_is_told(world, teams):
    errand = assigned_errand(world, teams)
    case = Case.objects.get(pk=errand.pk)

    assert case.status == ErrandStatus.ASSIGNED
    assert case.organisation == teams.team and case.handler == teams.volunteer
    assert Notification.objects.filter(user=teams.volunteer, case=case).count() == 1
    assert errand in Errand.objects.visible_to(teams.volunteer)


def test_assigning_the_same_volunteer_again_changes_nothing(world, teams):
    errand = assigned_errand(world, teams)
    entries = errand.case.timeline.count()

    services.errand_assign(
        actor=world.users["own_staff"], errand=errand, volunteer=teams.volunteer, team=teams.team
    )

    assert errand.case.timeline.count() == entries
    assert Notification.objects.filter(user=teams.volunteer).count() == 1


def test_only_roster_members_can_be_assigned(world, teams):
    errand = resident_errand(world)
    staff = world.users["own_staff"]
    ended = UserFactory(username="ended")
    membership = member(ended, Role.ORGANISATION_MEMBER, organisation=teams.team)
    membership.ended_at = timezone.now()
    membership.save()
    police = world.users["org_member"]
    refused = [
        (teams.outsider, teams.other_team),  # a team that does not serve community A
        (teams.outsider, teams.team),  # not a member of this team
        (ended, teams.team),  # left the team
        (police, world.organisation),  # not a volunteer team
        (world.users["own_staff"], teams.team),  # staff, not on the roster
    ]
    for volunteer, team in refused:
        with pytest.raises(ValidationError) as caught:
            services.errand_assign(actor=staff, errand=errand, volunteer=volunteer, team=team)
        assert caught.value.error_dict["volunteer"][0].code == "not_on_roster", volunteer

    case = Case.objects.get(pk=errand.pk)
    assert case.handler is None and case.organisation is None
    assert list(services.volunteer_roster(case.community).values_list("user", flat=True)) == [
        teams.volunteer.pk
    ]


def test_a_team_placed_at_the_community_serves_it_and_no_other(world, teams):
    assert services.volunteer_roster(world.areas["community_b"]).count() == 2
    assert services.volunteer_roster(world.areas["community_a"]).count() == 1


def test_volunteers_and_officials_cannot_assign(world, teams):
    errand = assigned_errand(world, teams)
    for actor in (teams.volunteer, world.users["official"], world.users["resident"]):
        with pytest.raises(PermissionDenied):
            services.errand_assign(
                actor=actor, errand=errand, volunteer=teams.volunteer, team=teams.team
            )


# --- Done, cancel, rate ---------------------------------------------------------------------


def test_the_volunteer_marks_it_done_with_notes(world, teams):
    errand = assigned_errand(world, teams)

    services.errand_done(actor=teams.volunteer, errand=errand, note="已代办养老金认证")

    errand.refresh_from_db()
    case = Case.objects.get(pk=errand.pk)
    assert case.status == ErrandStatus.DONE and case.closed_at is not None
    assert errand.done_note == "已代办养老金认证" and errand.done_at is not None


def test_done_needs_a_note_and_the_right_person(world, teams):
    errand = assigned_errand(world, teams)
    with pytest.raises(ValidationError):
        services.errand_done(actor=teams.volunteer, errand=errand, note="  ")
    for actor in (teams.outsider, world.users["official"], world.users["resident"]):
        with pytest.raises(PermissionDenied):
            services.errand_done(actor=actor, errand=errand, note="done")


def test_staff_may_mark_it_done_too(world, teams):
    errand = resident_errand(world)

    services.errand_done(actor=world.users["own_staff"], errand=errand, note="社区干部已代办")

    assert Case.objects.get(pk=errand.pk).status == ErrandStatus.DONE


def test_staff_cancel_with_a_reason_and_the_volunteer_is_told(world, teams):
    errand = assigned_errand(world, teams)
    with pytest.raises(ValidationError):
        services.errand_cancel(actor=world.users["own_staff"], errand=errand, reason="")
    with pytest.raises(PermissionDenied):
        services.errand_cancel(actor=teams.volunteer, errand=errand, reason="不去了")

    services.errand_cancel(actor=world.users["own_staff"], errand=errand, reason="家属已办好")

    case = Case.objects.get(pk=errand.pk)
    assert case.status == ErrandStatus.CANCELLED and case.closed_at is not None
    assert Notification.objects.filter(user=teams.volunteer).count() == 2
    with pytest.raises(ValidationError):
        services.errand_done(actor=world.users["own_staff"], errand=errand, note="x")


def test_the_resident_rates_a_done_errand_once(world, teams):
    errand = assigned_errand(world, teams)
    resident = world.users["resident"]
    with pytest.raises(PermissionDenied):
        services.errand_rate(actor=resident, errand=errand, rating=5)
    services.errand_done(actor=teams.volunteer, errand=errand, note="已办好")

    with pytest.raises(PermissionDenied):
        services.errand_rate(actor=world.users["own_staff"], errand=errand, rating=1)
    services.errand_rate(actor=resident, errand=errand, rating=5, comment="谢谢红马甲")

    case = Case.objects.get(pk=errand.pk)
    assert case.rating == 5 and case.rating_comment == "谢谢红马甲"
    with pytest.raises(PermissionDenied):
        services.errand_rate(actor=resident, errand=errand, rating=4)


def test_a_cancelled_errand_is_not_rated(world, teams):
    errand = resident_errand(world)
    services.errand_cancel(actor=world.users["own_staff"], errand=errand, reason="重复申请")

    assert not services.may_rate(world.users["resident"], Errand.objects.get(pk=errand.pk))


def test_a_volunteer_team_elsewhere_does_not_reach_community_a(world, teams):
    area("Community C", "community", world.areas["subdistrict"])
    errand = resident_errand(world)

    assert errand not in Errand.objects.visible_to(teams.outsider)
    assert not services.is_volunteer(world.users["org_member"])
    assert services.is_volunteer(teams.outsider)
