"""Medical-care integration: agreements and their renewal reminder, family-doctor teams,
contracts and the visit follow-ups, each delivered exactly once."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from eldercare.models import CareAgreement, DoctorContract, DoctorVisit
from eldercare.services import medical
from housing.models import Person
from portal.models import FollowUp, Notification, Organisation
from portal.roles import OrganisationType, Programme, Role
from portal.services.followups import followups_deliver_due, recipients
from tests.factories import UserFactory, member
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 10, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def world(db):
    """The scope world with an eldercare programme officer at the district; the world's
    organisation is the care institution, and a township hospital serves the town."""
    w = build_world(Programme.ELDERCARE)
    w.organisation.type = OrganisationType.CARE_INSTITUTION
    w.organisation.name = "府城镇敬老院"
    w.organisation.save()
    w.hospital = Organisation.objects.create(
        name="府城镇卫生院",
        type=OrganisationType.MEDICAL_INSTITUTION,
        area=w.areas["subdistrict"],
    )
    w.doctor = UserFactory(username="doctor")
    member(w.doctor, Role.ORGANISATION_MEMBER, organisation=w.hospital)
    return w


def make_agreement(world, *, area=None, expires_on=TODAY + timedelta(days=365), actor=None):
    return medical.agreement_create(
        actor=actor or world.users["programme_officer"],
        area=area or world.areas["district"],
        care_institution=world.organisation,
        medical_institution=world.hospital,
        services=["health_assessment", "green_channel"],
        signed_on=TODAY - timedelta(days=10),
        expires_on=expires_on,
        now=NOW,
    )


def make_team(world, n=0, area=None):
    return medical.team_create(
        actor=world.users["programme_officer"],
        area=area or world.areas["district"],
        name=f"府城镇家庭医生团队 {n}",
        medical_institution=world.hospital,
        members="张医生 (family doctor)\n李护士 (nurse)",
        phone="0550-5123456",
    )


def elder(world, n=0, **fields):
    values = {
        "community": world.areas["community_a"],
        "name": f"王秀英{n}",
        "phone": f"1391234{n:04d}",
        "birth_date": date(1940, 5, 1),
        **fields,
    }
    return Person.objects.create(**values)


def sign(world, team, person, *, every=30, actor=None, signed_on=TODAY):
    return medical.contract_sign(
        actor=actor or world.users["programme_officer"],
        team=team,
        person=person,
        signed_on=signed_on,
        visit_every_days=every,
        now=NOW,
    )


# --- agreements -------------------------------------------------------------------


def test_an_agreement_schedules_its_renewal_60_days_before_expiry(world):
    agreement = make_agreement(world)

    follow_up = agreement.renewal_follow_up
    assert follow_up.assignee_role == Role.PROGRAMME_OFFICER
    assert follow_up.assignee_area == world.areas["district"]
    assert timezone.localtime(follow_up.due_at, SHANGHAI) == datetime(
        2026, 4, 11, 9, 0, tzinfo=SHANGHAI
    )


def test_without_officers_at_the_area_the_recorder_is_reminded(world):
    agreement = make_agreement(
        world, area=world.areas["community_a"], actor=world.users["own_staff"]
    )

    assert agreement.renewal_follow_up.assignee == world.users["own_staff"]


def test_the_renewal_reminder_is_delivered_exactly_once(world):
    agreement = make_agreement(world)
    due = agreement.renewal_follow_up.due_at

    assert followups_deliver_due(now=due - timedelta(minutes=1)) == 0
    first = followups_deliver_due(now=due + timedelta(minutes=1))
    second = followups_deliver_due(now=due + timedelta(minutes=2))

    assert (first, second) == (1, 0)
    notes = Notification.objects.filter(follow_up=agreement.renewal_follow_up)
    assert [n.user for n in notes] == [world.users["programme_officer"]]


def test_the_renewal_reminder_is_delivered_once_by_the_beat_task(world, monkeypatch):
    from portal import tasks

    agreement = make_agreement(world, expires_on=TODAY + timedelta(days=30))
    monkeypatch.setattr(timezone, "now", lambda: NOW + timedelta(minutes=1))

    tasks.scan_due_follow_ups()
    tasks.scan_due_follow_ups()

    assert Notification.objects.filter(follow_up=agreement.renewal_follow_up).count() == 1


def test_a_new_expiry_date_reschedules_the_renewal(world):
    agreement = make_agreement(world)
    old = agreement.renewal_follow_up
    followups_deliver_due(now=old.due_at + timedelta(minutes=1))

    agreement = medical.agreement_update(
        actor=world.users["programme_officer"],
        agreement=agreement,
        care_institution=world.organisation,
        medical_institution=world.hospital,
        services=agreement.services,
        signed_on=agreement.signed_on,
        expires_on=agreement.expires_on + timedelta(days=365 * 3),
        now=NOW,
    )

    old.refresh_from_db()
    new = agreement.renewal_follow_up
    assert old.state == FollowUp.State.CANCELLED
    assert new.state == FollowUp.State.SCHEDULED
    assert timezone.localdate(new.due_at) == agreement.expires_on - timedelta(days=60)
    assert followups_deliver_due(now=new.due_at + timedelta(minutes=1)) == 1
    assert Notification.objects.count() == 2


def test_an_unchanged_edit_keeps_the_reminder(world):
    agreement = make_agreement(world)
    before = agreement.renewal_follow_up_id

    agreement = medical.agreement_update(
        actor=world.users["programme_officer"],
        agreement=agreement,
        care_institution=world.organisation,
        medical_institution=world.hospital,
        services=agreement.services,
        signed_on=agreement.signed_on,
        expires_on=agreement.expires_on,
        now=NOW,
    )

    assert agreement.renewal_follow_up_id == before
    assert FollowUp.objects.count() == 1


def test_an_agreement_must_expire_after_signing(world):
    with pytest.raises(ValidationError) as error:
        make_agreement(world, expires_on=TODAY - timedelta(days=10))

    assert error.value.error_dict["expires_on"][0].code == "expires_before_signed"


def test_institutions_must_be_of_the_right_type(world):
    with pytest.raises(ValidationError) as error:
        medical.agreement_create(
            actor=world.users["programme_officer"],
            area=world.areas["district"],
            care_institution=world.hospital,
            medical_institution=world.organisation,
            services=[],
            signed_on=TODAY,
            expires_on=TODAY + timedelta(days=1),
        )

    assert set(error.value.error_dict) == {"care_institution", "medical_institution", "services"}


@pytest.mark.parametrize("persona", ["official", "org_member", "resident", "other_staff"])
def test_outsiders_do_not_record_agreements(world, persona):
    with pytest.raises(PermissionDenied):
        make_agreement(world, area=world.areas["community_a"], actor=world.users[persona])


def test_an_expired_agreement_shows_as_expired(client, world):
    agreement = make_agreement(world, expires_on=TODAY + timedelta(days=400))
    CareAgreement.objects.filter(pk=agreement.pk).update(
        signed_on=date(2020, 1, 1), expires_on=date(2023, 1, 1)
    )
    client.force_login(world.users["programme_officer"])

    detail = client.get(reverse("eldercare:agreement_detail", args=[agreement.pk]))
    listed = client.get(reverse("eldercare:agreement_list"), {"state": "expired"})

    assert detail.context["state"] == "expired"
    assert [a.pk for a, _s, _l in listed.context["rows"]] == [agreement.pk]


def test_recording_an_agreement_from_the_page_keeps_bad_input(client, world):
    client.force_login(world.users["programme_officer"])
    data = {
        "area": world.areas["district"].pk,
        "care_institution": world.organisation.pk,
        "medical_institution": world.hospital.pk,
        "services": ["health_assessment"],
        "signed_on": "2025-06-01",
        "expires_on": "2025-05-01",
        "note": "首次签约",
    }

    response = client.post(reverse("eldercare:agreement_create"), data)
    assert response.status_code == 200
    assert "expires_on" in response.context["form"].errors
    assert "首次签约" in response.content.decode()

    data["expires_on"] = "2028-05-31"
    response = client.post(reverse("eldercare:agreement_create"), data)
    agreement = CareAgreement.objects.get()
    assert response["Location"] == reverse("eldercare:agreement_detail", args=[agreement.pk])
    assert agreement.renewal_follow_up is not None


def test_the_edit_page_moves_the_reminder(client, world):
    agreement = make_agreement(world)
    client.force_login(world.users["programme_officer"])

    response = client.post(
        reverse("eldercare:agreement_edit", args=[agreement.pk]),
        {
            "care_institution": world.organisation.pk,
            "medical_institution": world.hospital.pk,
            "services": ["checkup_advice"],
            "signed_on": agreement.signed_on.isoformat(),
            "expires_on": "2030-01-31",
        },
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert timezone.localdate(agreement.renewal_follow_up.due_at) == date(2029, 12, 2)


def test_scope_of_the_agreement_pages(client, world):
    agreement = make_agreement(
        world, area=world.areas["community_a"], actor=world.users["own_staff"]
    )
    check_scope(
        client,
        world,
        reverse("eldercare:agreement_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:agreement_detail", args=[agreement.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:agreement_edit", args=[agreement.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:agreement_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )


@pytest.mark.parametrize("agreements", [3, 30])
def test_the_agreement_list_runs_a_fixed_number_of_queries(
    client, world, agreements, django_assert_max_num_queries
):
    for n in range(agreements):
        make_agreement(world, expires_on=TODAY + timedelta(days=30 + n))
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(10):
        response = client.get(reverse("eldercare:agreement_list"))
    assert response.status_code == 200


# --- teams, contracts and visits ----------------------------------------------------


def test_signing_schedules_the_first_visit_for_the_hospitals_doctors(world):
    team = make_team(world)
    contract = sign(world, team, elder(world), every=14)

    follow_up = contract.next_visit_follow_up
    assert follow_up.assignee_role == Role.ORGANISATION_MEMBER
    assert follow_up.assignee_organisation == world.hospital
    assert timezone.localdate(follow_up.due_at) == TODAY + timedelta(days=14)
    assert list(recipients(follow_up)) == [world.doctor]


def test_a_hospital_without_accounts_leaves_visits_to_the_areas_eldercare_officers(world):
    world.doctor.memberships.update(ended_at=NOW)
    housing_officer = UserFactory(username="housing_officer_at_district")
    member(
        housing_officer,
        Role.PROGRAMME_OFFICER,
        area=world.areas["district"],
        programme=Programme.HOUSING,
    )
    contract = sign(world, make_team(world), elder(world))

    follow_up = contract.next_visit_follow_up
    assert follow_up.assignee_role == Role.PROGRAMME_OFFICER
    assert follow_up.assignee_area == world.areas["district"]
    # Officers of other programmes at the same area are not asked.
    assert list(recipients(follow_up)) == [world.users["programme_officer"]]


def test_a_team_of_an_area_without_officers_reminds_the_recorder(world):
    world.doctor.memberships.update(ended_at=NOW)
    team = make_team(world, area=world.areas["community_a"])
    contract = sign(world, team, elder(world), actor=world.users["own_staff"])

    assert contract.next_visit_follow_up.assignee == world.users["own_staff"]


def test_the_visit_follow_up_is_delivered_exactly_once(world):
    contract = sign(world, make_team(world), elder(world))
    due = contract.next_visit_follow_up.due_at

    first = followups_deliver_due(now=due + timedelta(minutes=1))
    second = followups_deliver_due(now=due + timedelta(hours=1))

    assert (first, second) == (1, 0)
    assert Notification.objects.filter(follow_up=contract.next_visit_follow_up).count() == 1


def test_a_visit_completes_the_follow_up_and_schedules_the_next(world):
    contract = sign(world, make_team(world), elder(world), signed_on=TODAY - timedelta(days=40))
    first = contract.next_visit_follow_up
    followups_deliver_due(now=NOW)  # overdue: reminded once

    medical.visit_record(
        actor=world.doctor,
        contract=contract,
        visited_on=TODAY - timedelta(days=2),
        note="血压正常",
        now=NOW,
    )

    first.refresh_from_db()
    contract.refresh_from_db()
    assert first.state == FollowUp.State.DONE
    nxt = contract.next_visit_follow_up
    assert nxt.state == FollowUp.State.SCHEDULED
    assert timezone.localdate(nxt.due_at) == TODAY + timedelta(days=28)
    assert followups_deliver_due(now=NOW + timedelta(days=1)) == 0
    assert followups_deliver_due(now=nxt.due_at) == 1
    assert followups_deliver_due(now=nxt.due_at + timedelta(days=1)) == 0
    assert Notification.objects.count() == 2


def test_an_earlier_visit_recorded_late_does_not_pull_the_next_one_back(world):
    contract = sign(world, make_team(world), elder(world), signed_on=TODAY - timedelta(days=60))
    medical.visit_record(actor=world.doctor, contract=contract, visited_on=TODAY, now=NOW)
    medical.visit_record(
        actor=world.doctor, contract=contract, visited_on=TODAY - timedelta(days=20), now=NOW
    )

    contract.refresh_from_db()
    assert timezone.localdate(contract.next_visit_follow_up.due_at) == TODAY + timedelta(days=30)
    assert FollowUp.objects.filter(state=FollowUp.State.SCHEDULED).count() == 1


def test_ending_a_contract_cancels_its_visit(world):
    contract = sign(world, make_team(world), elder(world))
    follow_up = contract.next_visit_follow_up

    medical.contract_end(actor=world.users["own_staff"], contract=contract, ended_on=TODAY, now=NOW)

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.CANCELLED
    assert followups_deliver_due(now=follow_up.due_at + timedelta(minutes=1)) == 0
    with pytest.raises(ValidationError) as error:
        medical.visit_record(actor=world.doctor, contract=contract, visited_on=TODAY, now=NOW)
    assert error.value.code == "ended"


def test_one_live_contract_per_team_and_resident(world):
    team, person = make_team(world), elder(world)
    sign(world, team, person)

    with pytest.raises(ValidationError) as error:
        sign(world, team, person)
    assert error.value.error_dict["person"][0].code == "exists"


def test_contracts_are_for_the_elderly(world):
    with pytest.raises(ValidationError) as error:
        sign(world, make_team(world), elder(world, birth_date=date(1966, 6, 11)))
    assert error.value.error_dict["person"][0].code == "not_elderly"
    assert sign(world, make_team(world, 1), elder(world, 1, birth_date=date(1965, 6, 10)))


def test_visits_cannot_be_in_the_future_or_before_signing(world):
    contract = sign(world, make_team(world), elder(world))
    for day, code in [
        (TODAY + timedelta(days=1), "future"),
        (TODAY - timedelta(days=1), "before_signing"),
    ]:
        with pytest.raises(ValidationError) as error:
            medical.visit_record(actor=world.doctor, contract=contract, visited_on=day, now=NOW)
        assert error.value.error_dict["visited_on"][0].code == code
    assert not DoctorVisit.objects.exists()


def test_other_communities_staff_cannot_sign_or_record(world):
    team, person = make_team(world, area=world.areas["subdistrict"]), elder(world)
    with pytest.raises(PermissionDenied):
        sign(world, team, person, actor=world.users["other_staff"])
    contract = sign(world, team, person)
    with pytest.raises(PermissionDenied):
        medical.visit_record(
            actor=world.users["official"], contract=contract, visited_on=TODAY, now=NOW
        )


def test_the_team_phone_is_validated(world):
    with pytest.raises(ValidationError) as error:
        medical.team_create(
            actor=world.users["programme_officer"],
            area=world.areas["district"],
            name="x",
            medical_institution=world.hospital,
            members="x",
            phone="12345",
        )
    assert error.value.error_dict["phone"][0].code == "invalid_phone"


def test_recording_a_visit_from_the_page(client, world):
    contract = sign(world, make_team(world), elder(world))
    client.force_login(world.doctor)
    url = reverse("eldercare:visit_record", args=[contract.pk])

    bad = client.post(url, {"visited_on": "soon", "note": "复诊"})
    assert bad.status_code == 200 and bad.context["visit_form"].errors
    assert "复诊" in bad.content.decode()

    good = client.post(url, {"visited_on": timezone.localdate().isoformat(), "note": "复诊"})
    assert good["Location"] == reverse("eldercare:contract_detail", args=[contract.pk])
    assert contract.visits.get().note == "复诊"


def test_signing_from_the_page(client, world):
    team, person = make_team(world, area=world.areas["community_a"]), elder(world)
    young = elder(world, 9, birth_date=timezone.localdate() - timedelta(days=365 * 30))
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:team_contract_add", args=[team.pk])

    page = client.get(url)
    assert list(page.context["form"].fields["person"].queryset) == [person]
    bad = client.post(url, {"person": young.pk, "signed_on": "x", "visit_every_days": "0"})
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"person", "signed_on", "visit_every_days"}

    client.post(
        url,
        {
            "person": person.pk,
            "signed_on": timezone.localdate().isoformat(),
            "visit_every_days": "30",
        },
    )
    assert DoctorContract.objects.get().person == person


def test_scope_of_the_team_and_contract_pages(client, world):
    team = make_team(world, area=world.areas["community_a"])
    resident_person = elder(world, user=world.users["resident"])
    contract = sign(world, team, resident_person)
    outside = medical.team_create(
        actor=world.users["other_staff"],
        area=world.areas["community_b"],
        name="Team B",
        medical_institution=world.hospital,
        members="x",
    )
    everyone = {
        "anonymous": 302,
        "resident": 403,
        "other_staff": 200,
        "own_staff": 200,
        "programme_officer": 200,
        "official": 200,
        "org_member": 200,
    }
    check_scope(client, world, reverse("eldercare:team_list"), everyone)
    check_scope(
        client,
        world,
        reverse("eldercare:team_create"),
        {**everyone, "official": 403, "org_member": 403},
    )
    check_scope(
        client,
        world,
        reverse("eldercare:team_detail", args=[team.pk]),
        {**everyone, "resident": 404, "other_staff": 404, "org_member": 404},
    )
    check_scope(
        client,
        world,
        reverse("eldercare:team_detail", args=[outside.pk]),
        {**everyone, "resident": 404, "own_staff": 404, "official": 200, "org_member": 404},
    )
    check_scope(
        client,
        world,
        reverse("eldercare:contract_detail", args=[contract.pk]),
        {**everyone, "resident": 200, "other_staff": 404, "org_member": 404},
    )
    check_scope(
        client,
        world,
        reverse("eldercare:team_contract_add", args=[team.pk]),
        {**everyone, "resident": 404, "other_staff": 404, "official": 403, "org_member": 404},
    )


@pytest.mark.parametrize("teams", [3, 30])
def test_the_team_list_runs_a_fixed_number_of_queries(
    client, world, teams, django_assert_max_num_queries
):
    for n in range(teams):
        team = make_team(world, n)
        sign(world, team, elder(world, n))
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(10):
        response = client.get(reverse("eldercare:team_list"))
    assert response.status_code == 200
    assert sum(t.live_contracts for t in response.context["object_list"]) == min(teams, 25)


@pytest.mark.parametrize("contracts", [3, 30])
def test_the_team_page_runs_a_fixed_number_of_queries(
    client, world, contracts, django_assert_max_num_queries
):
    team = make_team(world, area=world.areas["community_a"])
    for n in range(contracts):
        sign(world, team, elder(world, n))
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(12):
        response = client.get(reverse("eldercare:team_detail", args=[team.pk]))
    assert response.status_code == 200


def test_the_navigation_tests_show_teams_to_their_institutions_members(world):
    from eldercare.views.medical import agreements_in_nav, teams_in_nav

    # Decided by the kind of organisation, from the memberships (no query).
    assert teams_in_nav(world.doctor) and agreements_in_nav(world.doctor)
    assert agreements_in_nav(world.users["org_member"]) and not teams_in_nav(
        world.users["org_member"]
    )
    assert not teams_in_nav(world.users["resident"])
