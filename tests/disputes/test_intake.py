"""Intake at the clinic: disputes by risk, parties and their willingness, acceptance, the
walk-in, grid-referral and resident forms, clinic slots, and disputes turned from estate
issues."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from disputes.models import Booking, Category, Channel, ClinicSlot, Dispute, Party, Risk
from disputes.services import intake
from disputes.services.intake import PartyDetails
from disputes.views.intake import intake_context
from housing.models import Estate, EstateIssue, Person
from housing.services import desk
from housing.services.registry import person_create
from portal.models import Case, CaseParty, FollowUp, TimelineEntry
from portal.personal import id_check_character
from portal.roles import OrganisationType, Role
from portal.workdays import due_after
from tests.factories import OrganisationFactory, UserFactory, member
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
ID_FIRST17 = "63010219800101123"
ID_NUMBER = ID_FIRST17 + id_check_character(ID_FIRST17)
Verb = TimelineEntry.Verb
Status = Dispute.Status


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def detail_path(dispute_or_pk) -> str:
    return f"/disputes/{getattr(dispute_or_pk, 'pk', dispute_or_pk)}/"


@pytest.fixture
def neighbours(db):
    return Category.objects.get(code="neighbours")


@pytest.fixture
def resident_person(world):
    """The resident persona's own record, linked to its account."""
    return Person.objects.create(
        community=world.areas["community_a"],
        name="王鹏",
        phone=PHONE,
        user=world.users["resident"],
    )


@pytest.fixture
def estate(world):
    return Estate.objects.create(
        community=world.areas["community_a"], name="Qingyi", grid=world.areas["grid_a1"]
    )


@pytest.fixture
def grid_worker(world):
    user = UserFactory(username="grid_worker")
    member(user, Role.GRID_WORKER, area=world.areas["grid_a1"])
    return user


@pytest.fixture
def neighbour(world):
    """Another resident of community A."""
    user = UserFactory(username="neighbour")
    member(user, Role.RESIDENT, area=world.areas["community_a"])
    return user


@pytest.fixture
def subdistrict_office(world):
    return OrganisationFactory(
        name="Subdistrict office",
        type=OrganisationType.SUBDISTRICT_OFFICE,
        area=world.areas["subdistrict"],
    )


def walk_in(world, category, *, risk=Risk.YELLOW, now=None, **kwargs) -> Dispute:
    values = {
        "applicant": PartyDetails(name="王鹏", phone=PHONE),
        "respondent": PartyDetails(name="赵花", phone=OTHER_PHONE),
        "facts": "Cars parked in front of the door of building 2 block the way every evening.",
        **kwargs,
    }
    return intake.dispute_walk_in(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        category=category,
        risk=risk,
        now=now or MONDAY,
        **values,
    )


def party(dispute, role) -> Party:
    return dispute.parties.get(role=role)


def future_slot(world, *, days=2, capacity=3, community="community_a") -> ClinicSlot:
    starts = timezone.now() + timedelta(days=days)
    return intake.clinic_slot_create(
        actor=world.users["own_staff" if community == "community_a" else "other_staff"],
        community=world.areas[community],
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
    )


# --- Opening by risk ------------------------------------------------------------------


class TestOpeningByRisk:
    def test_a_red_dispute_is_handed_to_the_subdistrict_at_once(
        self, world, neighbours, subdistrict_office
    ):
        dispute = walk_in(world, neighbours, risk=Risk.RED)

        case = Case.objects.get(pk=dispute.pk)
        assert case.level == Case.Level.SUBDISTRICT and case.escalated_at == MONDAY
        assert case.status == Status.RECEIVED and case.closed_at is None
        escalation = case.timeline.get(verb=Verb.ESCALATED)
        assert escalation.is_public and escalation.to_organisation == subdistrict_office
        assert FollowUp.objects.filter(
            case=case, purpose=FollowUp.Purpose.ESCALATION, assignee_role=Role.SUBDISTRICT_STAFF
        ).exists()
        assert timezone.localdate(case.due_at) == date(2026, 3, 17)  # 15 days at the subdistrict

    def test_an_orange_dispute_is_due_the_next_day(self, world, neighbours):
        dispute = walk_in(world, neighbours, risk=Risk.ORANGE)

        case = Case.objects.get(pk=dispute.pk)
        assert timezone.localdate(case.due_at) == date(2026, 3, 3)
        assert case.level == Case.Level.COMMUNITY
        reminders = FollowUp.objects.filter(
            case=case, purpose=FollowUp.Purpose.DUE_REMINDER, state=FollowUp.State.SCHEDULED
        )
        assert [r.due_at for r in reminders] == [case.due_at - timedelta(hours=72)]
        assert case.timeline.filter(is_public=True, comment__contains="2026-03-03").exists()

    def test_a_yellow_dispute_is_due_by_the_rules_default(self, world, neighbours):
        dispute = walk_in(world, neighbours)

        case = Case.objects.get(pk=dispute.pk)
        assert case.due_at == due_after(MONDAY, 30, working_days=False)
        assert not case.timeline.filter(verb=Verb.ESCALATED).exists()

    def test_the_title_is_the_category_and_the_first_words_of_the_facts(self, world, neighbours):
        dispute = walk_in(world, neighbours, facts="  Cars   block\nthe door " + "x" * 80)

        assert dispute.case.title.startswith("邻里纠纷：Cars block the door x")
        assert dispute.case.title.endswith("…") and len(dispute.case.title) < 60
        given = intake.dispute_open(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            category=neighbours,
            channel=Channel.WALK_IN,
            facts="Parking.",
            title="Parking at door 2",
        )
        assert given.case.title == "Parking at door 2"

    def test_a_walk_in_records_both_sides_with_the_applicant_as_filer(self, world, neighbours):
        dispute = walk_in(world, neighbours)

        assert dispute.channel == Channel.WALK_IN
        assert [(p.role, p.name, p.phone) for p in dispute.parties.all()] == [
            (Party.Role.APPLICANT, "王鹏", PHONE),
            (Party.Role.RESPONDENT, "赵花", OTHER_PHONE),
        ]
        assert (dispute.case.filer_name, dispute.case.filer_phone) == ("王鹏", PHONE)

    def test_every_error_is_reported_at_once_and_nothing_is_opened(self, world, neighbours):
        with pytest.raises(ValidationError) as refused:
            walk_in(
                world,
                neighbours,
                facts=" ",
                applicant=PartyDetails(phone="123"),
                respondent=PartyDetails(name="赵花", phone="555"),
            )

        assert set(refused.value.message_dict) == {
            "facts",
            "applicant_name",
            "applicant_phone",
            "respondent_phone",
        }
        assert not Dispute.objects.exists()

    def test_an_official_may_not_open_a_dispute(self, world, neighbours):
        with pytest.raises(PermissionDenied):
            intake.dispute_walk_in(
                actor=world.users["official"],
                community=world.areas["community_a"],
                category=neighbours,
                facts="x",
                applicant=PartyDetails(name="王鹏"),
            )


# --- Parties ------------------------------------------------------------------------


class TestParties:
    def test_a_party_on_file_with_an_account_follows_the_dispute(
        self, client, world, neighbours, resident_person
    ):
        dispute = walk_in(
            world,
            neighbours,
            applicant=PartyDetails(name="赵花", phone=OTHER_PHONE),
            respondent=PartyDetails(person=resident_person),
        )

        respondent = party(dispute, Party.Role.RESPONDENT)
        assert (respondent.name, respondent.phone) == ("王鹏", PHONE)
        assert respondent.user == world.users["resident"]
        assert CaseParty.objects.filter(case=dispute.case, user=world.users["resident"]).exists()
        client.force_login(world.users["resident"])
        listed = client.get(reverse("portal:my_requests")).context["object_list"]
        assert [c.pk for c in listed] == [dispute.pk]

    def test_party_add_puts_an_account_holder_on_the_case(self, world, neighbours, resident_person):
        dispute = walk_in(world, neighbours)

        added = intake.party_add(
            actor=world.users["own_staff"],
            dispute=dispute,
            role=Party.Role.REPRESENTATIVE,
            person=resident_person,
            represents=party(dispute, Party.Role.APPLICANT),
        )

        assert added.user == world.users["resident"] and added.represents.name == "王鹏"
        assert Dispute.objects.visible_to(world.users["resident"]).filter(pk=dispute.pk).exists()
        entry = dispute.case.timeline.filter(verb=Verb.COMMENTED).last()
        assert not entry.is_public

    def test_a_person_the_actor_cannot_see_is_refused(self, world, neighbours, resident_person):
        dispute = intake.dispute_walk_in(
            actor=world.users["other_staff"],
            community=world.areas["community_b"],
            category=neighbours,
            facts="x",
            applicant=PartyDetails(name="赵花"),
        )

        with pytest.raises(ValidationError) as refused:
            intake.party_add(
                actor=world.users["other_staff"],
                dispute=dispute,
                role=Party.Role.RESPONDENT,
                person=resident_person,
            )
        assert refused.value.error_dict["person"][0].code == "person_scope"

    def test_a_representative_must_speak_for_a_party(self, world, neighbours):
        dispute = walk_in(world, neighbours)

        with pytest.raises(ValidationError) as refused:
            intake.party_add(
                actor=world.users["own_staff"],
                dispute=dispute,
                role=Party.Role.REPRESENTATIVE,
                name="Lawyer Li",
            )
        assert "represents" in refused.value.message_dict

    def test_an_account_given_must_live_in_the_community(self, world, neighbours):
        dispute = walk_in(world, neighbours)

        with pytest.raises(ValidationError) as refused:
            intake.party_add(
                actor=world.users["own_staff"],
                dispute=dispute,
                role=Party.Role.RESPONDENT,
                name="Someone",
                user=world.users["other_staff"],
            )
        assert "user" in refused.value.message_dict


# --- Willingness and acceptance -------------------------------------------------------


class TestWillingnessAndAcceptance:
    def test_acceptance_gives_the_notice_and_sets_thirty_days_from_acceptance(
        self, world, neighbours
    ):
        dispute = walk_in(world, neighbours)
        accepted_at = at(2026, 3, 10, 9)

        intake.dispute_accept(actor=world.users["own_staff"], dispute=dispute, now=accepted_at)

        dispute.refresh_from_db()
        case = Case.objects.get(pk=dispute.pk)
        assert case.status == Status.ACCEPTED
        assert dispute.accepted_at == dispute.rights_notice_given_at == accepted_at
        assert timezone.localdate(case.due_at) == date(2026, 4, 9)
        reminder = FollowUp.objects.get(
            case=case, purpose=FollowUp.Purpose.DUE_REMINDER, state=FollowUp.State.SCHEDULED
        )
        assert reminder.due_at == case.due_at - timedelta(hours=72)
        acceptance = case.timeline.get(status_after=Status.ACCEPTED, verb=Verb.REPLIED)
        assert acceptance.is_public and "2026-04-09" in acceptance.comment

    def test_an_orange_dispute_keeps_its_shorter_time_limit(self, world, neighbours):
        dispute = walk_in(world, neighbours, risk=Risk.ORANGE)

        intake.dispute_accept(
            actor=world.users["own_staff"], dispute=dispute, now=MONDAY + timedelta(hours=2)
        )

        assert timezone.localdate(Case.objects.get(pk=dispute.pk).due_at) == date(2026, 3, 3)

    def test_only_a_received_dispute_can_be_accepted(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        intake.dispute_accept(actor=world.users["own_staff"], dispute=dispute, now=MONDAY)

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            intake.dispute_accept(actor=world.users["own_staff"], dispute=dispute, now=MONDAY)

        assert refused.value.code == "not_received"
        assert refused.value.messages == ["Only a received dispute can be accepted."]

    def test_an_official_may_not_accept(self, world, neighbours):
        dispute = walk_in(world, neighbours)

        with pytest.raises(PermissionDenied):
            intake.dispute_accept(actor=world.users["official"], dispute=dispute)

    def test_a_refusal_ends_mediation_and_tells_the_other_routes(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        respondent = party(dispute, Party.Role.RESPONDENT)

        with translation.override("en"):
            intake.party_willingness(
                actor=world.users["own_staff"], party=respondent, willing=False, now=MONDAY
            )

        case = Case.objects.get(pk=dispute.pk)
        assert case.status == Status.REFUSED and case.closed_at == MONDAY
        notice = case.timeline.get(verb=Verb.REPLIED, status_after=Status.REFUSED)
        assert notice.is_public and "respondent" in notice.comment
        for route in ("court", "arbitration", "信访", "legal aid"):
            assert route in notice.comment
        assert case.timeline.filter(verb=Verb.CLOSED, is_public=True).exists()
        assert not FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED).exists()

    def test_acceptance_after_a_refusal_is_refused_with_a_clear_message(
        self, client, world, neighbours
    ):
        dispute = walk_in(world, neighbours)
        intake.party_willingness(
            actor=world.users["own_staff"],
            party=party(dispute, Party.Role.APPLICANT),
            willing=False,
        )

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            intake.dispute_accept(actor=world.users["own_staff"], dispute=dispute)
        assert refused.value.messages == [
            "A party refused mediation, so the dispute cannot be accepted."
        ]
        client.force_login(world.users["own_staff"])
        response = client.post(reverse("disputes:accept", args=[dispute.pk]), **ENGLISH)
        assert response.status_code == 200
        assert "A party refused mediation" in response.content.decode()
        assert Dispute.objects.get(pk=dispute.pk).accepted_at is None

    def test_willingness_cannot_change_after_a_refusal(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        staff = world.users["own_staff"]
        respondent = party(dispute, Party.Role.RESPONDENT)
        intake.party_willingness(actor=staff, party=respondent, willing=False)

        for who, willing in ((respondent, True), (party(dispute, Party.Role.APPLICANT), True)):
            with pytest.raises(ValidationError) as refused:
                intake.party_willingness(actor=staff, party=who, willing=willing)
            assert refused.value.code == "refused"
        assert party(dispute, Party.Role.RESPONDENT).willing is False

    def test_agreeing_twice_writes_one_entry(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        applicant = party(dispute, Party.Role.APPLICANT)
        staff = world.users["own_staff"]

        intake.party_willingness(actor=staff, party=applicant, willing=True, now=MONDAY)
        intake.party_willingness(actor=staff, party=applicant, willing=True, now=MONDAY)

        applicant.refresh_from_db()
        assert applicant.willing is True and applicant.willingness_recorded_at == MONDAY
        assert dispute.case.timeline.filter(verb=Verb.COMMENTED).count() == 1
        assert Case.objects.get(pk=dispute.pk).status == Status.RECEIVED

    def test_a_representative_declining_does_not_end_mediation(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        staff = world.users["own_staff"]
        lawyer = intake.party_add(
            actor=staff,
            dispute=dispute,
            role=Party.Role.REPRESENTATIVE,
            name="Lawyer Li",
            represents=party(dispute, Party.Role.RESPONDENT),
        )

        intake.party_willingness(actor=staff, party=lawyer, willing=False)

        assert Case.objects.get(pk=dispute.pk).closed_at is None

    def test_an_organisation_member_on_the_case_may_not_end_it(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        dispute.case.organisation = world.organisation
        dispute.case.save(update_fields=["organisation"])
        police = world.users["org_member"]
        applicant = party(dispute, Party.Role.APPLICANT)

        intake.party_willingness(actor=police, party=applicant, willing=True)
        with pytest.raises(PermissionDenied):
            intake.party_willingness(actor=police, party=applicant, willing=False)
        assert Case.objects.get(pk=dispute.pk).closed_at is None


# --- Pages on one dispute ----------------------------------------------------------------


class TestDisputePages:
    def test_staff_record_willingness_from_the_dispute_page(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        applicant = party(dispute, Party.Role.APPLICANT)
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("disputes:party_willingness", args=[applicant.pk]), {"willing": "yes"}
        )

        assert response.status_code == 302 and response["Location"] == detail_path(dispute)
        assert Party.objects.get(pk=applicant.pk).willing is True

    def test_bad_willingness_input_is_a_form_error(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        url = reverse("disputes:party_willingness", args=[party(dispute, "applicant").pk])
        client.force_login(world.users["own_staff"])

        for data in ({}, {"willing": "perhaps"}):
            response = client.post(url, data)
            assert response.status_code == 200
            assert response.context["form"].errors

    def test_accepting_from_its_page(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        client.force_login(world.users["own_staff"])

        page = client.get(reverse("disputes:accept", args=[dispute.pk]), **ENGLISH)
        assert "rights and duties" in page.content.decode()
        response = client.post(reverse("disputes:accept", args=[dispute.pk]))

        assert response["Location"] == detail_path(dispute)
        assert Case.objects.get(pk=dispute.pk).status == Status.ACCEPTED

    def test_adding_a_party_from_its_page(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("disputes:party_add", args=[dispute.pk]),
            {
                "role": "representative",
                "name": "Lawyer Li",
                "phone": "138 0013 8000",
                "represents": party(dispute, "respondent").pk,
            },
        )

        assert response["Location"] == detail_path(dispute)
        lawyer = dispute.parties.get(role="representative")
        assert (lawyer.name, lawyer.phone) == ("Lawyer Li", "13800138000")

    def test_bad_party_input_is_a_form_error_that_keeps_the_input(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        client.force_login(world.users["own_staff"])
        url = reverse("disputes:party_add", args=[dispute.pk])

        for data in (
            {},
            {"role": "king", "name": "Li", "phone": "555", "id_number": "123", "represents": "x"},
            {"role": "representative", "name": "Lawyer Li"},
        ):
            response = client.post(url, data)
            assert response.status_code == 200, data
            assert response.context["form"].errors, data
        assert 'value="Lawyer Li"' in response.content.decode()
        assert dispute.parties.count() == 2

    def test_an_id_number_on_file_finds_the_person(self, client, world, neighbours):
        zhao = person_create(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            name="赵花",
            id_number=ID_NUMBER,
            phone=OTHER_PHONE,
        )
        dispute = walk_in(world, neighbours, respondent=None)
        client.force_login(world.users["own_staff"])

        client.post(
            reverse("disputes:party_add", args=[dispute.pk]),
            {"role": "respondent", "id_number": ID_NUMBER},
        )

        assert dispute.parties.get(role="respondent").person == zhao
        client.force_login(world.users["other_staff"])
        other = intake.dispute_walk_in(
            actor=world.users["other_staff"],
            community=world.areas["community_b"],
            category=neighbours,
            facts="x",
            applicant=PartyDetails(name="Li"),
        )
        response = client.post(
            reverse("disputes:party_add", args=[other.pk]),
            {"role": "respondent", "id_number": ID_NUMBER},
        )
        assert response.context["form"].errors["id_number"]


class TestIntakeBlock:
    def test_residents_see_the_other_partys_data_masked_and_no_forms(
        self, world, neighbours, resident_person
    ):
        dispute = walk_in(world, neighbours, applicant=PartyDetails(person=resident_person))

        context = intake_context(dispute, world.users["resident"])

        rows = {row.party.role: row for row in context["intake_parties"]}
        assert (rows["applicant"].name, rows["applicant"].phone) == ("王鹏", PHONE)
        assert (rows["respondent"].name, rows["respondent"].phone) == ("赵*", "139****4321")
        assert not context["intake_may_change"] and not context["intake_may_accept"]
        assert not any(row.may_record for row in context["intake_parties"])

    def test_staff_get_the_forms_until_a_refusal(self, world, neighbours):
        dispute = walk_in(world, neighbours)
        staff = world.users["own_staff"]

        context = intake_context(dispute, staff)
        assert context["intake_may_accept"] and all(r.may_record for r in context["intake_parties"])
        assert context["intake_parties"][1].phone == OTHER_PHONE

        intake.party_willingness(actor=staff, party=party(dispute, "respondent"), willing=False)
        dispute = Dispute.objects.select_related("case").get(pk=dispute.pk)
        context = intake_context(dispute, staff)
        assert context["intake_refused"] and not context["intake_may_accept"]
        assert not any(row.may_record for row in context["intake_parties"])

    def test_the_block_renders_on_the_dispute_page(self, client, world, neighbours):
        dispute = walk_in(world, neighbours)
        client.force_login(world.users["own_staff"])

        page = client.get(detail_path(dispute), **ENGLISH).content.decode()

        assert "Willingness to mediate" in page
        assert reverse("disputes:accept", args=[dispute.pk]) in page
        assert reverse("disputes:party_willingness", args=[party(dispute, "applicant").pk]) in page

    @pytest.mark.parametrize("rows", [2, 20])
    def test_the_block_runs_a_fixed_number_of_queries(self, world, neighbours, rows):
        dispute = walk_in(world, neighbours)
        for n in range(rows):
            intake.party_add(
                actor=world.users["own_staff"],
                dispute=dispute,
                role=Party.Role.REPRESENTATIVE,
                name=f"Helper {n}",
                represents=party(dispute, "applicant"),
            )
        dispute = Dispute.objects.select_related("case__community").get(pk=dispute.pk)

        with CaptureQueriesContext(connection) as queries:
            intake_context(dispute, world.users["own_staff"])
        assert len(queries) <= 6


# --- The resident's form and clinic slots ---------------------------------------------------


class TestResidentForm:
    def test_a_resident_asks_for_mediation_as_the_applicant(
        self, client, world, neighbours, resident_person
    ):
        client.force_login(world.users["resident"])

        response = client.post(
            reverse("disputes:ask"),
            {
                "category": neighbours.pk,
                "facts": "My neighbour parks in front of my door.",
                "other_party_name": "赵花",
            },
        )

        dispute = Dispute.objects.get()
        assert response.status_code == 302 and response["Location"] == detail_path(dispute)
        assert dispute.channel == Channel.WEB_FORM
        assert dispute.case.filed_by == world.users["resident"]
        assert dispute.case.community == world.areas["community_a"]
        applicant, respondent = dispute.parties.all()
        assert (applicant.role, applicant.name, applicant.user) == (
            "applicant",
            "王鹏",
            world.users["resident"],
        )
        assert (respondent.role, respondent.name) == ("respondent", "赵花")
        assert not Booking.objects.exists()

    def test_a_resident_books_a_clinic_slot(self, client, world, neighbours):
        slot = future_slot(world, capacity=1)
        client.force_login(world.users["resident"])

        page = client.get(reverse("disputes:ask"))
        assert slot in page.context["form"].fields["slot"].queryset
        response = client.post(
            reverse("disputes:ask"),
            {
                "category": neighbours.pk,
                "facts": "Parking.",
                "other_party_name": "赵花",
                "slot": slot.pk,
            },
        )

        booking = Booking.objects.get()
        assert response["Location"] == detail_path(booking.dispute_id)
        assert booking.slot == slot and booking.dispute.channel == Channel.CLINIC_BOOKING

    def test_a_full_slot_cannot_be_booked(self, client, world, neighbours, neighbour):
        slot = future_slot(world, capacity=1)
        intake.dispute_ask(
            user=neighbour, category=neighbours, facts="first", other_party_name="x", slot=slot
        )

        with pytest.raises(ValidationError) as refused:
            intake.dispute_ask(
                user=world.users["resident"],
                category=neighbours,
                facts="second",
                other_party_name="y",
                slot=slot,
            )
        assert refused.value.error_dict["slot"][0].code == "slot_full"
        client.force_login(world.users["resident"])
        assert (
            slot not in client.get(reverse("disputes:ask")).context["form"].fields["slot"].queryset
        )
        response = client.post(
            reverse("disputes:ask"),
            {
                "category": neighbours.pk,
                "facts": "second",
                "other_party_name": "y",
                "slot": slot.pk,
            },
        )
        assert response.status_code == 200 and response.context["form"].errors["slot"]
        assert Booking.objects.count() == 1 and Dispute.objects.count() == 1

    def test_slots_of_another_community_or_past_are_not_bookable(self, world, neighbours):
        theirs = future_slot(world, community="community_b")
        past = ClinicSlot.objects.create(
            community=world.areas["community_a"],
            starts_at=timezone.now() - timedelta(days=1),
            ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=1),
        )

        for slot, code in ((theirs, "slot_community"), (past, "slot_past")):
            with pytest.raises(ValidationError) as refused:
                intake.dispute_ask(
                    user=world.users["resident"],
                    category=neighbours,
                    facts="x",
                    other_party_name="y",
                    slot=slot,
                )
            assert refused.value.error_dict["slot"][0].code == code

    def test_bad_input_on_the_resident_form_is_a_form_error_that_keeps_the_input(
        self, client, world
    ):
        client.force_login(world.users["resident"])

        for data in ({}, {"category": "x", "facts": "Parking again", "slot": "nope"}):
            response = client.post(reverse("disputes:ask"), data)
            assert response.status_code == 200
            assert response.context["form"].errors
        assert "Parking again" in response.content.decode()
        assert not Dispute.objects.exists()

    def test_a_resident_sees_their_own_dispute_and_not_anothers(
        self, client, world, neighbours, neighbour
    ):
        mine = intake.dispute_ask(
            user=world.users["resident"], category=neighbours, facts="mine", other_party_name="x"
        )
        theirs = intake.dispute_ask(
            user=neighbour, category=neighbours, facts="theirs", other_party_name="y"
        )
        client.force_login(world.users["resident"])

        page = client.get(reverse("portal:my_requests"))

        assert [c.pk for c in page.context["object_list"]] == [mine.pk]
        assert theirs.case.reference not in page.content.decode()
        assert client.get(detail_path(theirs)).status_code == 404


class TestClinicSlots:
    def test_staff_offer_a_slot_and_see_its_bookings(self, client, world, neighbours):
        client.force_login(world.users["own_staff"])
        starts = timezone.localtime() + timedelta(days=3)

        response = client.post(
            reverse("disputes:slots"),
            {
                "community": world.areas["community_a"].pk,
                "starts_at": starts.strftime("%Y-%m-%dT09:00"),
                "ends_at": starts.strftime("%Y-%m-%dT11:00"),
                "capacity": 2,
            },
        )

        assert response["Location"] == reverse("disputes:slots")
        slot = ClinicSlot.objects.get()
        assert slot.capacity == 2 and slot.community == world.areas["community_a"]
        dispute = intake.dispute_ask(
            user=world.users["resident"],
            category=neighbours,
            facts="x",
            other_party_name="y",
            slot=slot,
        )
        page = client.get(reverse("disputes:slots"), **ENGLISH)
        assert dispute.case.reference in page.content.decode()
        assert "1 of 2 places booked" in page.content.decode()

    def test_bad_slot_input_is_a_form_error(self, client, world):
        client.force_login(world.users["own_staff"])
        yesterday = timezone.localtime() - timedelta(days=1)

        for data in (
            {},
            {"community": "x", "starts_at": "soon", "capacity": "-1"},
            {
                "community": world.areas["community_a"].pk,
                "starts_at": yesterday.strftime("%Y-%m-%dT11:00"),
                "ends_at": yesterday.strftime("%Y-%m-%dT09:00"),
                "capacity": 3,
            },
        ):
            response = client.post(reverse("disputes:slots"), data)
            assert response.status_code == 200, data
            assert response.context["form"].errors, data
        assert not ClinicSlot.objects.exists()

    def test_staff_may_not_offer_slots_in_another_community(self, world):
        starts = timezone.now() + timedelta(days=1)
        with pytest.raises(PermissionDenied):
            intake.clinic_slot_create(
                actor=world.users["other_staff"],
                community=world.areas["community_a"],
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
            )

    @pytest.mark.parametrize("rows", [3, 30])
    def test_the_slot_list_runs_a_fixed_number_of_queries(
        self, client, world, neighbours, rows, django_assert_max_num_queries
    ):
        for n in range(rows):
            slot = future_slot(world, days=1 + n)
            intake.dispute_ask(
                user=world.users["resident"],
                category=neighbours,
                facts=f"x{n}",
                other_party_name="y",
                slot=slot,
            )
        client.force_login(world.users["own_staff"])

        with django_assert_max_num_queries(12):
            response = client.get(reverse("disputes:slots"))
        assert len(response.context["slots"]) == min(rows, 25)


# --- Walk-in and grid referral pages --------------------------------------------------------


class TestWalkInPage:
    def test_staff_record_a_walk_in(self, client, world, neighbours, estate):
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("disputes:walk_in"),
            {
                "community": world.areas["community_a"].pk,
                "category": neighbours.pk,
                "risk": "orange",
                "facts": "Quarrel about parking.",
                "estate": estate.pk,
                "applicant_name": "王鹏",
                "applicant_phone": PHONE,
                "respondent_name": "赵花",
            },
        )

        dispute = Dispute.objects.get()
        assert response["Location"] == detail_path(dispute)
        assert dispute.risk == Risk.ORANGE and dispute.estate == estate
        assert dispute.case.grid == world.areas["grid_a1"]
        assert dispute.parties.count() == 2

    def test_an_id_number_on_file_stands_for_the_applicant(self, client, world, neighbours):
        zhao = person_create(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            name="赵花",
            id_number=ID_NUMBER,
        )
        client.force_login(world.users["own_staff"])

        client.post(
            reverse("disputes:walk_in"),
            {
                "community": world.areas["community_a"].pk,
                "category": neighbours.pk,
                "risk": "yellow",
                "facts": "Noise.",
                "applicant_id_number": ID_NUMBER,
            },
        )

        assert Dispute.objects.get().parties.get().person == zhao

    def test_bad_walk_in_input_is_a_form_error(self, client, world, neighbours):
        client.force_login(world.users["own_staff"])

        for data in (
            {},
            {
                "community": "x",
                "category": neighbours.pk,
                "risk": "purple",
                "facts": "Noise at night",
                "applicant_phone": "12345",
                "applicant_id_number": "123",
            },
            {
                "community": world.areas["community_b"].pk,
                "category": neighbours.pk,
                "risk": "yellow",
                "facts": "Noise at night",
                "applicant_name": "Li",
            },
        ):
            response = client.post(reverse("disputes:walk_in"), data)
            assert response.status_code == 200, data
            assert response.context["form"].errors, data
        assert "Noise at night" in response.content.decode()
        assert not Dispute.objects.exists()


class TestGridReferral:
    def referral(self, neighbours, **overrides):
        return {
            "category": neighbours.pk,
            "risk": "yellow",
            "facts": "Two families quarrel over a shared corridor.",
            "place": "Building 3, unit 2",
            "applicant_name": "王鹏",
            "applicant_phone": PHONE,
            "respondent_name": "赵花",
            "respondent_phone": OTHER_PHONE,
            **overrides,
        }

    def test_a_grid_worker_refers_a_dispute_from_a_phone(
        self, client, world, neighbours, grid_worker
    ):
        client.force_login(grid_worker)

        page = client.get(reverse("disputes:grid_referral"))
        assert page.status_code == 200
        assert page.content.decode().count('inputmode="tel"') == 2
        assert "form-control-lg" in page.content.decode()
        response = client.post(reverse("disputes:grid_referral"), self.referral(neighbours))

        dispute = Dispute.objects.get()
        # A grid worker reaches the cases of their grid: on to the dispute's page.
        assert response["Location"] == reverse("disputes:dispute_detail", args=[dispute.pk])
        assert dispute.channel == Channel.GRID_REFERRAL
        assert dispute.case.grid == world.areas["grid_a1"]
        assert dispute.case.community == world.areas["community_a"]
        assert dispute.place == "Building 3, unit 2" and dispute.parties.count() == 2
        followed = client.get(response["Location"])
        assert dispute.case.reference in followed.content.decode()

    def test_a_red_referral_is_handed_up_at_once(self, client, world, neighbours, grid_worker):
        client.force_login(grid_worker)

        client.post(reverse("disputes:grid_referral"), self.referral(neighbours, risk="red"))

        case = Case.objects.get()
        assert case.level == Case.Level.SUBDISTRICT
        reported, escalated = case.timeline.all()
        assert reported.actor == grid_worker and escalated.verb == Verb.ESCALATED

    def test_staff_of_the_community_go_on_to_the_dispute(self, client, world, neighbours):
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("disputes:grid_referral"),
            self.referral(neighbours, grid=world.areas["grid_a1"].pk),
        )

        assert response["Location"] == detail_path(Dispute.objects.get())

    def test_bad_referral_input_is_a_form_error(self, client, world, neighbours, grid_worker):
        client.force_login(grid_worker)

        for data in (
            {},
            self.referral(neighbours, risk="purple", applicant_phone="555", grid="x"),
            self.referral(neighbours, applicant_name="", applicant_phone=""),
        ):
            response = client.post(reverse("disputes:grid_referral"), data)
            assert response.status_code == 200, data
            assert response.context["form"].errors, data
        assert not Dispute.objects.exists()


# --- Hand-over from another case --------------------------------------------------------------


class TestHandOver:
    def issue(self, world, estate, reporter, category="parking") -> EstateIssue:
        return desk.estate_issue_open(
            actor=world.users["own_staff"],
            estate=estate,
            category=category,
            description="The owners of 301 and 302 quarrel about parking spaces.",
            reporter=reporter,
        )

    def test_an_estate_issue_turned_into_a_dispute_links_both_cases(
        self, client, world, estate, resident_person
    ):
        issue = self.issue(world, estate, resident_person)

        dispute_case = desk.estate_issue_to_dispute(actor=world.users["own_staff"], issue=issue)

        dispute = Dispute.objects.get(pk=dispute_case.pk)
        assert dispute.source_case_id == issue.pk and dispute.channel == Channel.HAND_OVER
        assert dispute.category.code == "neighbours" and dispute.estate == estate
        assert dispute.facts == "The owners of 301 and 302 quarrel about parking spaces."
        applicant = dispute.parties.get()
        assert (applicant.role, applicant.person, applicant.user) == (
            "applicant",
            resident_person,
            world.users["resident"],
        )
        issue_case = Case.objects.get(pk=issue.pk)
        reported = dispute_case.timeline.get(verb=Verb.REPORTED)
        assert reported.is_public and issue_case.reference in reported.comment
        assert issue_case.timeline.filter(
            is_public=True, comment__contains=dispute_case.reference
        ).exists()
        assert issue_case.status == EstateIssue.Status.TURNED_INTO_DISPUTE
        client.force_login(world.users["resident"])
        listed = client.get(reverse("portal:my_requests")).context["object_list"]
        assert dispute_case.pk in [c.pk for c in listed]

    def test_a_property_service_issue_becomes_a_property_management_dispute(
        self, world, estate, resident_person
    ):
        issue = self.issue(world, estate, resident_person, category="property_service")

        dispute_case = intake.dispute_from_case(actor=world.users["own_staff"], case=issue.case)

        assert Dispute.objects.get(pk=dispute_case.pk).category.code == "property_management"
        again = intake.dispute_from_case(actor=world.users["own_staff"], case=issue.case)
        assert again == dispute_case and Dispute.objects.count() == 1

    def test_an_official_may_not_turn_a_case_into_a_dispute(self, world, estate, resident_person):
        issue = self.issue(world, estate, resident_person)

        with pytest.raises(PermissionDenied):
            intake.dispute_from_case(actor=world.users["official"], case=issue.case)
        assert not Dispute.objects.exists()


# --- Scope ------------------------------------------------------------------------------------

STAFF_PAGE = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 200,
    "own_staff": 200,
    "programme_officer": 403,
    "official": 403,
    "org_member": 403,
}
ONE_DISPUTE = {
    "anonymous": 302,
    "resident": 404,
    "other_staff": 404,
    "own_staff": 200,
    "programme_officer": 404,
    "official": 403,
    "org_member": 404,
}


def test_scope_of_the_walk_in_form(client, world):
    check_scope(client, world, reverse("disputes:walk_in"), STAFF_PAGE)


def test_scope_of_the_clinic_slots(client, world):
    check_scope(client, world, reverse("disputes:slots"), STAFF_PAGE)


def test_scope_of_the_grid_referral_form(client, world, grid_worker):
    # Community B has no grids; a grid worker of grid A1 is allowed (tested above).
    check_scope(
        client, world, reverse("disputes:grid_referral"), {**STAFF_PAGE, "other_staff": 403}
    )


def test_scope_of_the_residents_form(client, world):
    everyone_else = dict.fromkeys(STAFF_PAGE, 403)
    check_scope(
        client, world, reverse("disputes:ask"), {**everyone_else, "anonymous": 302, "resident": 200}
    )


@pytest.mark.parametrize("name", ["disputes:party_add", "disputes:accept"])
def test_scope_of_the_pages_on_a_dispute(client, world, neighbours, name):
    dispute = walk_in(world, neighbours)
    check_scope(client, world, reverse(name, args=[dispute.pk]), ONE_DISPUTE)


def test_scope_of_recording_willingness(client, world, neighbours):
    dispute = walk_in(world, neighbours)
    url = reverse("disputes:party_willingness", args=[party(dispute, "applicant").pk])
    check_scope(client, world, url, ONE_DISPUTE)
    posted = {**ONE_DISPUTE, "own_staff": 302}
    check_scope(client, world, url, posted, method="post", data={"willing": "yes"})


def test_a_resident_party_may_not_accept_their_own_dispute(client, world, neighbours):
    dispute = intake.dispute_ask(
        user=world.users["resident"], category=neighbours, facts="x", other_party_name="y"
    )
    client.force_login(world.users["resident"])

    assert client.post(reverse("disputes:accept", args=[dispute.pk])).status_code == 403
    assert Case.objects.get(pk=dispute.pk).status == Status.RECEIVED


def test_a_person_linked_later_follows_the_disputes_they_are_a_party_to(world):
    """Linking a resident record to an account makes the account a party (My requests)."""
    from disputes.models import Category
    from disputes.services import intake
    from housing.services import registry as housing_registry
    from portal.models import Case
    from tests.factories import UserFactory, member
    from tests.housing.helpers import estate_with_households

    staff = world.users["own_staff"]
    _estate, flats = estate_with_households(world.areas["community_a"])
    person = housing_registry.person_create(
        actor=staff, community=world.areas["community_a"], name="Zhao Hua", household=flats[0]
    )
    dispute = intake.dispute_walk_in(
        actor=staff,
        community=world.areas["community_a"],
        category=Category.objects.get(code="neighbours"),
        facts="parking",
        applicant=intake.PartyDetails(name="Wang Peng"),
        respondent=intake.PartyDetails(person=person),
    )
    resident = UserFactory()
    member(resident, "resident", area=world.areas["community_a"])

    housing_registry.person_link_user(actor=staff, person=person, user=resident)

    mine = Case.objects.visible_to(resident).filed_or_joined_by(resident)
    assert list(mine.values_list("pk", flat=True)) == [dispute.pk]
