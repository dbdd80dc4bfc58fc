"""Mediation, from convening the panel to the return visit: the panel and who it lets see
the dispute, sessions and their reminders, the outcome and its guards, the agreement's
number and printable form, the return visit, judicial confirmation with its 30-day
window and warning, extensions with consent, referrals; and every page through the scope
matrix."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from disputes.models import (
    Affiliation,
    Agreement,
    Category,
    Dispute,
    Extension,
    JudicialConfirmation,
    Mediator,
    PanelMember,
    Party,
    Referral,
    ReturnVisit,
    Session,
)
from disputes.services import mediation
from disputes.views.mediation import mediation_context
from housing.models import Estate, Person
from portal.models import Case, FollowUp, Notification, TimelineEntry
from portal.roles import OrganisationType, Role
from portal.services import cases, followups
from tests.factories import OrganisationFactory, UserFactory, member
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
APPLICANT_PHONE = "13812345678"
RESPONDENT_PHONE = "13987654321"
Status = Dispute.Status


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


OPENED = at(2026, 5, 4, 9, 0)
AGREED_ON = date(2026, 5, 20)
AGREED_AT = at(2026, 5, 20, 10, 0)


def fresh(dispute: Dispute) -> Case:
    return Case.objects.get(pk=dispute.pk)


def open_dispute(
    world, *, community="community_a", title="Parking in front of building 1", now=OPENED
) -> Dispute:
    """A dispute opened through the kit (as the intake does) with its two parties: Wang
    Peng, the resident with an account, and Zhao Hua, without one."""
    actor = world.users["own_staff" if community == "community_a" else "other_staff"]
    case = cases.case_open(
        kind="disputes.dispute",
        actor=actor,
        community=world.areas[community],
        title=title,
        now=now,
    )
    dispute = Dispute.objects.create(
        case=case,
        category=Category.objects.get(code="neighbours"),
        channel="walk_in",
        facts="Cars park in front of the door of building 1.",
    )
    Party.objects.create(
        dispute=dispute,
        role=Party.Role.APPLICANT,
        name="王鹏",
        phone=APPLICANT_PHONE,
        user=world.users["resident"],
    )
    Party.objects.create(
        dispute=dispute, role=Party.Role.RESPONDENT, name="赵花", phone=RESPONDENT_PHONE
    )
    return dispute


def move(world, dispute, *statuses, now=OPENED):
    for status in statuses:
        cases.case_transition(
            case=dispute.case, actor=world.users["own_staff"], status=status, now=now
        )
    return dispute


def mediating(world, dispute, now=OPENED):
    return move(world, dispute, Status.ACCEPTED, Status.MEDIATING, now=now)


def agree(world, dispute, *, effective_on=AGREED_ON, now=AGREED_AT, **fields) -> Agreement:
    values = {
        "form": Agreement.Form.WRITTEN,
        "facts": "Cars block the door of building 1.",
        "responsibilities": "Both parked where no space is marked.",
        "terms": "Parking spaces are marked; the door stays clear.",
        "performance_deadline": effective_on + timedelta(days=10),
        **fields,
    }
    return mediation.agreement_record(
        actor=world.users["own_staff"],
        dispute=dispute,
        effective_on=effective_on,
        now=now,
        **values,
    )


@pytest.fixture
def dispute(world):
    return open_dispute(world)


@pytest.fixture
def secretary(world):
    user = UserFactory(username="secretary")
    member(user, Role.PARTY_SECRETARY, area=world.areas["community_a"])
    return user


@pytest.fixture
def pool(world):
    """Community A's pool: a cadre (own staff), a property manager without an account, an
    inactive judicial officer; a police officer (org member) from community B's pool whose
    station, at the subdistrict, contains community A; and B's own cadre."""
    a, b = world.areas["community_a"], world.areas["community_b"]
    return {
        "cadre": Mediator.objects.create(
            community=a,
            user=world.users["own_staff"],
            name="马燕",
            affiliation=Affiliation.COMMUNITY_CADRE,
        ),
        "property": Mediator.objects.create(
            community=a, name="李经理", affiliation=Affiliation.PROPERTY_COMPANY
        ),
        "judicial": Mediator.objects.create(
            community=a, name="周所长", affiliation=Affiliation.JUDICIAL_OFFICE, is_active=False
        ),
        "police": Mediator.objects.create(
            community=b,
            user=world.users["org_member"],
            organisation=world.organisation,
            name="张警官",
            affiliation=Affiliation.POLICE_STATION,
        ),
        "other_cadre": Mediator.objects.create(
            community=b,
            user=world.users["other_staff"],
            name="刘主任",
            affiliation=Affiliation.COMMUNITY_CADRE,
        ),
    }


@pytest.fixture
def court(world):
    return OrganisationFactory(
        name="District court", type=OrganisationType.COURT, area=world.areas["district"]
    )


def confirm_panel(world, dispute, pool, *names, lead="cadre", now=OPENED):
    return mediation.panel_confirm(
        actor=world.users["own_staff"],
        dispute=dispute,
        mediators=[pool[n] for n in names or ("cadre", "police")],
        lead=pool[lead],
        now=now,
    )


def error_codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


# --- The panel --------------------------------------------------------------------------


class TestPanel:
    def test_the_suggestion_is_one_active_mediator_per_affiliation_of_the_category(
        self, dispute, pool
    ):
        # Neighbours: a community cadre, the property company, the police station.
        suggested = mediation.panel_suggest(dispute)

        assert suggested == [pool["cadre"], pool["property"], pool["police"]]

    def test_the_suggestion_prefers_the_communitys_own_pool(self, world, dispute, pool):
        own_police = Mediator.objects.create(
            community=world.areas["community_a"],
            name="赵警官",
            affiliation=Affiliation.POLICE_STATION,
            organisation=world.organisation,
        )

        assert mediation.panel_suggest(dispute)[-1] == own_police

    def test_confirming_replaces_the_panel_and_hands_the_case_to_the_lead(
        self, world, dispute, pool
    ):
        confirm_panel(world, dispute, pool, "cadre", "police")
        confirm_panel(world, dispute, pool, "property")

        panel = PanelMember.objects.filter(dispute=dispute)
        assert {(m.mediator_id, m.is_lead) for m in panel} == {
            (pool["property"].pk, False),
            (pool["cadre"].pk, True),
        }
        assert fresh(dispute).handler == world.users["own_staff"]
        assert (
            TimelineEntry.objects.filter(
                case_id=dispute.pk, verb=TimelineEntry.Verb.ASSIGNED
            ).count()
            == 1
        )

    def test_confirming_the_same_panel_again_changes_nothing(self, world, dispute, pool):
        confirm_panel(world, dispute, pool)
        entries = TimelineEntry.objects.filter(case_id=dispute.pk).count()

        confirm_panel(world, dispute, pool)

        assert TimelineEntry.objects.filter(case_id=dispute.pk).count() == entries

    def test_the_lead_is_a_community_cadre_or_the_party_secretary(
        self, world, dispute, pool, secretary
    ):
        with pytest.raises(ValidationError) as refused:
            confirm_panel(world, dispute, pool, "cadre", "police", lead="police")
        assert error_codes(refused.value) == {"lead_affiliation"}

        pool["secretary"] = Mediator.objects.create(
            community=world.areas["community_a"],
            user=secretary,
            name="马书记",
            affiliation=Affiliation.REPRESENTATIVE,
        )
        confirm_panel(world, dispute, pool, "secretary", "police", lead="secretary")
        assert fresh(dispute).handler == secretary

    def test_a_mediator_from_another_communitys_pool_is_refused(self, world, dispute, pool):
        with pytest.raises(ValidationError) as refused:
            confirm_panel(world, dispute, pool, "cadre", "other_cadre")
        assert error_codes(refused.value) == {"not_in_pool"}

    def test_an_inactive_mediator_is_refused(self, world, dispute, pool):
        with pytest.raises(ValidationError) as refused:
            confirm_panel(world, dispute, pool, "cadre", "judicial")
        assert error_codes(refused.value) == {"not_in_pool"}

    @pytest.mark.parametrize("persona", ["other_staff", "official", "org_member", "resident"])
    def test_only_those_who_assign_the_case_confirm_the_panel(self, world, dispute, pool, persona):
        with pytest.raises(PermissionDenied):
            mediation.panel_confirm(
                actor=world.users[persona],
                dispute=dispute,
                mediators=[pool["cadre"]],
                lead=pool["cadre"],
            )

    def test_a_police_station_member_on_the_panel_sees_the_dispute(
        self, client, world, dispute, pool
    ):
        colleague = UserFactory(username="colleague_at_the_station")
        member(colleague, Role.ORGANISATION_MEMBER, organisation=world.organisation)
        stranger = UserFactory(username="other_station")
        member(
            stranger,
            Role.ORGANISATION_MEMBER,
            organisation=OrganisationFactory(
                name="Another police station", area=world.areas["subdistrict"]
            ),
        )
        visible = Dispute.objects.visible_to
        assert not visible(world.users["org_member"]).filter(pk=dispute.pk).exists()

        confirm_panel(world, dispute, pool, "cadre", "police")
        mediating(world, dispute, now=AGREED_AT)
        agree(world, dispute)

        assert visible(world.users["org_member"]).filter(pk=dispute.pk).exists()
        assert visible(colleague).filter(pk=dispute.pk).exists()
        url = reverse("disputes:agreement_print", args=[dispute.pk])
        client.force_login(world.users["org_member"])
        assert client.get(url).status_code == 200
        client.force_login(stranger)
        assert client.get(url).status_code == 404


class TestMediatorPool:
    def test_community_staff_add_a_police_officer_to_their_pool(self, world):
        mediator = mediation.mediator_add(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            name="",
            affiliation=Affiliation.POLICE_STATION,
            user=world.users["org_member"],
            organisation=world.organisation,
        )

        assert mediator.community == world.areas["community_a"]
        assert mediator.name == str(world.users["org_member"])

    def test_staff_of_another_community_may_not(self, world):
        with pytest.raises(PermissionDenied):
            mediation.mediator_add(
                actor=world.users["other_staff"],
                community=world.areas["community_a"],
                name="王五",
                affiliation=Affiliation.COMMUNITY_CADRE,
            )

    def test_a_police_mediator_names_their_station(self, world):
        property_company = OrganisationFactory(
            type=OrganisationType.PROPERTY_COMPANY, area=world.areas["community_a"]
        )
        for organisation, code in (
            (None, "organisation_required"),
            (property_company, "organisation_type"),
        ):
            with pytest.raises(ValidationError) as refused:
                mediation.mediator_add(
                    actor=world.users["own_staff"],
                    community=world.areas["community_a"],
                    name="张警官",
                    affiliation=Affiliation.POLICE_STATION,
                    organisation=organisation,
                )
            assert error_codes(refused.value) == {code}

    def test_the_account_belongs_to_the_organisation_or_the_communitys_staff(self, world):
        with pytest.raises(ValidationError) as refused:
            mediation.mediator_add(
                actor=world.users["own_staff"],
                community=world.areas["community_a"],
                name="王五",
                affiliation=Affiliation.POLICE_STATION,
                user=world.users["resident"],
                organisation=world.organisation,
            )
        assert error_codes(refused.value) == {"user_scope"}


# --- Sessions --------------------------------------------------------------------------


class TestSessions:
    def schedule(self, world, dispute, pool, *, starts_at, now, **kwargs):
        values = {
            "format": Session.Format.TEA_TALK,
            "place": "Community hall",
            "parties": list(dispute.parties.all()),
            "mediators": [pool["cadre"], pool["police"]],
            **kwargs,
        }
        return mediation.session_schedule(
            actor=world.users["own_staff"],
            dispute=dispute,
            starts_at=starts_at,
            now=now,
            **values,
        )

    def test_the_first_session_starts_the_mediation_with_a_public_entry(self, world, dispute, pool):
        move(world, dispute, Status.ACCEPTED)
        confirm_panel(world, dispute, pool)

        self.schedule(
            world, dispute, pool, starts_at=at(2026, 5, 8, 14, 30), now=at(2026, 5, 5, 10)
        )

        case = fresh(dispute)
        assert case.status == Status.MEDIATING
        entry = TimelineEntry.objects.filter(case=case).last()
        assert entry.is_public and entry.status_after == Status.MEDIATING
        assert "2026-05-08 14:30" in entry.comment and "Community hall" in entry.comment

    def test_those_attending_with_an_account_are_reminded_at_18_the_day_before(
        self, world, dispute, pool
    ):
        move(world, dispute, Status.ACCEPTED)
        confirm_panel(world, dispute, pool, "cadre", "police", "property")
        self.schedule(
            world,
            dispute,
            pool,
            starts_at=at(2026, 5, 8, 14, 30),
            now=at(2026, 5, 5, 10),
            mediators=[pool["cadre"], pool["police"], pool["property"]],
        )

        reminders = FollowUp.objects.filter(case_id=dispute.pk, reason__contains="2026-05-08")
        # The property manager and Zhao Hua have no account.
        assert {f.assignee for f in reminders} == {
            world.users["own_staff"],
            world.users["org_member"],
            world.users["resident"],
        }
        assert {f.due_at for f in reminders} == {at(2026, 5, 7, 18, 0)}
        assert followups.followups_deliver_due(now=at(2026, 5, 7, 17, 59)) == 0
        assert followups.followups_deliver_due(now=at(2026, 5, 7, 18, 0)) == 3
        assert followups.followups_deliver_due(now=at(2026, 5, 7, 18, 1)) == 0

    def test_a_reminder_whose_evening_has_passed_is_due_at_once(self, world, dispute, pool):
        mediating(world, dispute)
        confirm_panel(world, dispute, pool)
        now = at(2026, 5, 7, 20, 0)

        self.schedule(world, dispute, pool, starts_at=at(2026, 5, 8, 9, 0), now=now)

        assert set(
            FollowUp.objects.filter(case_id=dispute.pk, reason__contains="2026-05-08").values_list(
                "due_at", flat=True
            )
        ) == {now}

    def test_a_session_waits_for_the_dispute_to_be_accepted(self, world, dispute, pool):
        confirm_panel(world, dispute, pool)

        with pytest.raises(ValidationError) as refused:
            self.schedule(world, dispute, pool, starts_at=at(2026, 5, 8, 9), now=OPENED)
        assert error_codes(refused.value) == {"not_accepted"}

    def test_mediators_attending_come_from_the_panel(self, world, dispute, pool):
        move(world, dispute, Status.ACCEPTED)
        confirm_panel(world, dispute, pool, "cadre")

        with pytest.raises(ValidationError) as refused:
            self.schedule(world, dispute, pool, starts_at=at(2026, 5, 8, 9), now=OPENED)
        assert error_codes(refused.value) == {"mediator_scope"}

    def test_minutes_are_recorded_once_the_session_has_taken_place(self, world, dispute, pool):
        move(world, dispute, Status.ACCEPTED)
        confirm_panel(world, dispute, pool)
        session = self.schedule(world, dispute, pool, starts_at=at(2026, 5, 8, 9), now=OPENED)
        record = mediation.session_record

        with pytest.raises(ValidationError) as early:
            record(
                actor=world.users["own_staff"], session=session, minutes="x", now=at(2026, 5, 8, 8)
            )
        with pytest.raises(ValidationError) as empty:
            record(
                actor=world.users["own_staff"], session=session, minutes=" ", now=at(2026, 5, 8, 11)
            )
        record(
            actor=world.users["own_staff"],
            session=session,
            minutes="Both agree to mark spaces.",
            now=at(2026, 5, 8, 11),
        )

        assert error_codes(early.value) == {"not_held"}
        assert error_codes(empty.value) == {"empty"}
        assert Session.objects.get(pk=session.pk).minutes.startswith("Both agree")


# --- Outcome ---------------------------------------------------------------------------


class TestOutcome:
    def test_an_agreement_before_mediation_is_refused_with_a_clear_message(self, world, dispute):
        move(world, dispute, Status.ACCEPTED)

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            agree(world, dispute)

        assert error_codes(refused.value) == {"not_mediating"}
        assert "schedule a session first" in refused.value.messages[0]

    def test_an_agreement_after_a_refusal_is_refused(self, world, dispute):
        cases.case_close(case=dispute.case, actor=world.users["own_staff"], status=Status.REFUSED)

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            agree(world, dispute)

        assert error_codes(refused.value) == {"refused"}
        assert "refused mediation" in refused.value.messages[0]

    def test_a_dispute_has_one_agreement(self, world, dispute):
        mediating(world, dispute)
        first = agree(world, dispute)
        cases.case_transition(
            case=fresh(dispute), actor=world.users["own_staff"], status=Status.MEDIATING
        )

        with pytest.raises(ValidationError) as refused:
            agree(world, dispute)

        assert error_codes(refused.value) == {"has_agreement"}
        assert first.number in refused.value.messages[0]

    def test_agreements_are_numbered_per_community_and_year(self, world):
        community = world.areas["community_a"]
        community.name = "团结社区"
        community.save()
        first, second = open_dispute(world), open_dispute(world)
        elsewhere = open_dispute(world, community="community_b")
        next_year = open_dispute(world, now=at(2027, 1, 4, 9))
        for each in (first, second, next_year):
            mediating(world, each, now=each.case.created_at)
        for status in (Status.ACCEPTED, Status.MEDIATING):
            cases.case_transition(
                case=elsewhere.case, actor=world.users["other_staff"], status=status
            )
        numbers = [
            agree(world, first).number,
            agree(world, second).number,
            mediation.agreement_record(
                actor=world.users["other_staff"],
                dispute=elsewhere,
                form=Agreement.Form.ORAL,
                facts="Noise at night.",
                terms="Quiet after 22:00.",
                effective_on=AGREED_ON,
                now=AGREED_AT,
            ).number,
            agree(world, next_year, effective_on=date(2027, 1, 20), now=at(2027, 1, 20, 10)).number,
        ]

        assert numbers == [
            "团调字〔2026〕第0001号",
            "团调字〔2026〕第0002号",
            "C调字〔2026〕第0001号",
            "团调字〔2027〕第0001号",
        ]

    def test_communities_whose_names_start_alike_keep_their_numbers_apart(self, world):
        from tests.factories import area

        tuanjie = area("团结社区", "community", world.areas["subdistrict"])
        tuanshan = area("团山社区", "community", world.areas["subdistrict"])

        assert mediation.committee_abbreviation(tuanjie) == "团结"
        assert mediation.committee_abbreviation(tuanshan) == "团山"

    def test_an_agreement_is_carried_out_and_its_return_visit_scheduled(self, world, dispute):
        mediating(world, dispute)

        agreement = agree(world, dispute)

        case = fresh(dispute)
        assert case.status == Status.PERFORMING
        statuses = list(
            TimelineEntry.objects.filter(case=case, is_public=True).values_list(
                "status_after", flat=True
            )
        )
        assert statuses[-3:-1] == [Status.AGREED, Status.PERFORMING]
        visit = ReturnVisit.objects.get(dispute=dispute)
        assert visit.due_on == AGREED_ON + timedelta(days=15)
        # Nobody handles the case yet: the community's staff visit back.
        assert visit.follow_up.assignee_role == Role.COMMUNITY_STAFF
        assert visit.follow_up.assignee_area == world.areas["community_a"]
        assert visit.follow_up.due_at == at(2026, 6, 4, 9, 0)
        assert agreement.number in visit.follow_up.reason
        # The mediation's time limit is met; the case is due at the return visit.
        assert case.due_at == at(2026, 6, 5, 0, 0)

    def test_the_return_visit_is_for_the_handler_when_there_is_one(self, world, dispute, pool):
        confirm_panel(world, dispute, pool)
        mediating(world, dispute)

        agree(world, dispute)

        assert (
            ReturnVisit.objects.get(dispute=dispute).follow_up.assignee
            == (world.users["own_staff"])
        )

    def test_failed_mediation_refers_the_parties_and_closes_the_case(self, world, dispute):
        mediating(world, dispute)

        referral = mediation.mediation_fail(
            actor=world.users["own_staff"],
            dispute=dispute,
            reason="Zhao Hua will not move her car.",
            referral_kind=Referral.Kind.COURT,
            provider="District court",
            now=AGREED_AT,
        )

        case = fresh(dispute)
        assert (case.status, case.closed_at) == (Status.FAILED, AGREED_AT)
        assert (referral.kind, referral.provider) == (Referral.Kind.COURT, "District court")
        assert not FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED).exists()

    def test_closing_before_an_agreement_or_a_failure_is_refused(self, world, dispute):
        mediating(world, dispute)

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            mediation.dispute_close(actor=world.users["own_staff"], dispute=dispute)

        assert error_codes(refused.value) == {"not_closable"}
        assert refused.value.messages == [
            "A dispute closes after an agreement or a failed mediation."
        ]
        assert fresh(dispute).closed_at is None

    def test_closing_after_an_agreement_settles_the_dispute_once(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)

        mediation.dispute_close(actor=world.users["own_staff"], dispute=dispute)
        entries = TimelineEntry.objects.filter(case_id=dispute.pk).count()
        mediation.dispute_close(actor=world.users["own_staff"], dispute=dispute)

        case = fresh(dispute)
        assert case.status == Status.SETTLED and case.closed_at is not None
        assert TimelineEntry.objects.filter(case_id=dispute.pk).count() == entries

    @pytest.mark.parametrize("persona", ["official", "org_member", "resident", "other_staff"])
    def test_only_those_who_close_cases_end_a_mediation(self, world, dispute, persona):
        mediating(world, dispute)

        with pytest.raises(PermissionDenied):
            mediation.mediation_fail(
                actor=world.users[persona],
                dispute=dispute,
                reason="No agreement.",
                referral_kind=Referral.Kind.COURT,
            )


# --- After the agreement ---------------------------------------------------------------


class TestReturnVisit:
    def test_the_return_visit_reminder_is_delivered_once(self, world, dispute, pool):
        confirm_panel(world, dispute, pool)
        mediating(world, dispute)
        agree(world, dispute)
        visit = ReturnVisit.objects.get(dispute=dispute)
        due = visit.follow_up.due_at

        followups.followups_deliver_due(now=due)
        followups.followups_deliver_due(now=due + timedelta(minutes=1))

        notes = Notification.objects.filter(follow_up=visit.follow_up)
        assert [n.user for n in notes] == [world.users["own_staff"]]
        assert FollowUp.objects.get(pk=visit.follow_up_id).state == FollowUp.State.SENT

    def test_recording_the_visit_completes_its_follow_up(self, world, dispute, pool):
        confirm_panel(world, dispute, pool)
        mediating(world, dispute)
        agree(world, dispute)
        visit = ReturnVisit.objects.get(dispute=dispute)

        mediation.return_visit_record(
            actor=world.users["own_staff"],
            visit=visit,
            visited_on=date(2026, 6, 4),
            kept=True,
            satisfaction=5,
            note="Spaces are marked.",
            now=at(2026, 6, 4, 11),
        )

        visit.refresh_from_db()
        assert (visit.kept, visit.satisfaction, visit.visitor) == (
            True,
            5,
            world.users["own_staff"],
        )
        assert FollowUp.objects.get(pk=visit.follow_up_id).state == FollowUp.State.DONE
        assert fresh(dispute).status == Status.PERFORMING

    def test_an_agreement_not_kept_reopens_the_mediation(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)
        now = at(2026, 6, 4, 11)

        mediation.return_visit_record(
            actor=world.users["own_staff"],
            visit=ReturnVisit.objects.get(dispute=dispute),
            visited_on=date(2026, 6, 4),
            kept=False,
            satisfaction=2,
            note="Cars are back at the door.",
            now=now,
        )

        case = fresh(dispute)
        assert case.status == Status.MEDIATING
        assert TimelineEntry.objects.filter(
            case=case, is_public=True, status_after=Status.MEDIATING, at=now
        ).exists()
        assert case.due_at == at(2026, 7, 4, 23, 59, 59)

    def test_an_agreement_not_kept_may_be_left_as_it_is(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)

        mediation.return_visit_record(
            actor=world.users["own_staff"],
            visit=ReturnVisit.objects.get(dispute=dispute),
            visited_on=date(2026, 6, 4),
            kept=False,
            satisfaction=2,
            note="They go to court.",
            reopen_mediation=False,
            now=at(2026, 6, 4, 11),
        )

        assert fresh(dispute).status == Status.PERFORMING

    def test_a_return_visit_is_recorded_once(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)
        visit = ReturnVisit.objects.get(dispute=dispute)
        values = {
            "actor": world.users["own_staff"],
            "visit": visit,
            "visited_on": date(2026, 6, 4),
            "kept": True,
            "satisfaction": 4,
            "note": "",
            "now": at(2026, 6, 4, 11),
        }
        mediation.return_visit_record(**values)

        with pytest.raises(ValidationError) as refused:
            mediation.return_visit_record(**values)
        assert error_codes(refused.value) == {"recorded"}


class TestJudicialConfirmation:
    def apply(self, world, dispute, court, applied_on, now=None):
        return mediation.confirmation_apply(
            actor=world.users["own_staff"],
            dispute=dispute,
            applied_on=applied_on,
            court=court,
            now=now or at(2026, 6, 25, 10),
        )

    def test_the_thirtieth_day_after_the_agreement_is_the_last_day(self, world, dispute, court):
        mediating(world, dispute)
        agree(world, dispute)

        confirmation = self.apply(world, dispute, court, date(2026, 6, 19))

        assert confirmation.result == JudicialConfirmation.Result.PENDING

    def test_an_application_after_the_window_names_the_last_day(self, world, dispute, court):
        mediating(world, dispute)
        agree(world, dispute)

        with translation.override("en"), pytest.raises(ValidationError) as refused:
            self.apply(world, dispute, court, date(2026, 6, 20))

        assert error_codes(refused.value) == {"window_closed"}
        assert "the last day was 2026-06-19" in refused.value.messages[0]
        assert not JudicialConfirmation.objects.exists()

    def test_the_warning_is_due_five_days_before_the_window_closes(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)

        with translation.override("en"):
            warning = FollowUp.objects.get(
                case_id=dispute.pk, reason__endswith=mediation.CONFIRMATION_TAG
            )

        assert warning.due_at == at(2026, 6, 14, 9, 0)
        assert "2026-06-19" in warning.reason
        assert warning.assignee_role == Role.COMMUNITY_STAFF

    def test_an_application_cancels_the_warning(self, world, dispute, court):
        mediating(world, dispute)
        agree(world, dispute)

        self.apply(world, dispute, court, date(2026, 6, 1), now=at(2026, 6, 1, 10))

        warning = FollowUp.objects.get(
            case_id=dispute.pk, reason__endswith=mediation.CONFIRMATION_TAG
        )
        assert warning.state == FollowUp.State.CANCELLED
        followups.followups_deliver_due(now=at(2026, 6, 14, 9))
        assert not Notification.objects.filter(follow_up=warning).exists()

    def test_only_a_court_confirms(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)

        with pytest.raises(ValidationError) as refused:
            self.apply(world, dispute, world.organisation, date(2026, 6, 1))
        assert error_codes(refused.value) == {"court"}

    def test_the_courts_decision_is_recorded_after_the_application(self, world, dispute, court):
        mediating(world, dispute)
        agree(world, dispute)
        confirmation = self.apply(world, dispute, court, date(2026, 6, 1))
        decide = mediation.confirmation_result

        with pytest.raises(ValidationError) as early:
            decide(
                actor=world.users["own_staff"],
                confirmation=confirmation,
                result="confirmed",
                result_on=date(2026, 5, 30),
                now=at(2026, 6, 25),
            )
        decide(
            actor=world.users["own_staff"],
            confirmation=confirmation,
            result="confirmed",
            result_on=date(2026, 6, 4),
            now=at(2026, 6, 25),
        )

        assert error_codes(early.value) == {"before_application"}
        confirmation.refresh_from_db()
        assert (confirmation.result, confirmation.result_on) == ("confirmed", date(2026, 6, 4))


# --- Time limit and referrals -------------------------------------------------------------


class TestExtension:
    def extend(self, world, dispute, new_due_at, consent="Both agreed at the session."):
        return mediation.dispute_extend(
            actor=world.users["own_staff"],
            dispute=dispute,
            new_due_at=new_due_at,
            consent=consent,
            now=at(2026, 5, 20, 10),
        )

    def test_an_extension_needs_the_parties_consent(self, world, dispute):
        mediating(world, dispute)

        with pytest.raises(ValidationError) as refused:
            self.extend(world, dispute, at(2026, 6, 30, 17), consent="  ")

        assert error_codes(refused.value) == {"consent"}
        assert not Extension.objects.exists()

    def test_an_extension_needs_a_later_time_limit(self, world, dispute):
        mediating(world, dispute)
        due = fresh(dispute).due_at

        with pytest.raises(ValidationError) as refused:
            self.extend(world, dispute, due - timedelta(days=1))

        assert error_codes(refused.value) == {"not_later"}
        assert fresh(dispute).due_at == due

    def test_once_agreed_the_mediations_time_limit_is_not_extended(self, world, dispute):
        mediating(world, dispute)
        agree(world, dispute)

        with pytest.raises(ValidationError) as refused:
            self.extend(world, dispute, at(2026, 7, 30, 17))

        assert error_codes(refused.value) == {"no_time_limit"}

    def test_an_extension_moves_the_time_limit_and_its_reminder(self, world, dispute):
        mediating(world, dispute)
        new_due = at(2026, 6, 30, 17)

        self.extend(world, dispute, new_due)

        case = fresh(dispute)
        assert case.due_at == new_due
        assert Extension.objects.get(dispute=dispute).consent == "Both agreed at the session."
        entry = TimelineEntry.objects.filter(case=case).last()
        assert entry.is_public and "2026-06-30 17:00" in entry.comment
        reminder = FollowUp.objects.get(
            case=case, purpose=FollowUp.Purpose.DUE_REMINDER, state=FollowUp.State.SCHEDULED
        )
        assert reminder.due_at == new_due - timedelta(hours=72)


class TestReferrals:
    def test_legal_aid_needs_the_reason_the_party_qualifies(self, world, dispute):
        party = dispute.parties.get(role=Party.Role.RESPONDENT)

        with pytest.raises(ValidationError) as refused:
            mediation.referral_add(
                actor=world.users["own_staff"], dispute=dispute, kind="legal_aid", party=party
            )
        referral = mediation.referral_add(
            actor=world.users["own_staff"],
            dispute=dispute,
            kind="legal_aid",
            party=party,
            provider="District legal-aid centre",
            reason="Economic hardship: on minimum living allowance.",
        )

        assert error_codes(refused.value) == {"legal_aid_reason"}
        assert referral.party == party

    def test_the_outcome_of_a_referral_is_recorded(self, world, dispute):
        referral = mediation.referral_add(
            actor=world.users["own_staff"], dispute=dispute, kind="counselling"
        )

        mediation.referral_outcome(
            actor=world.users["own_staff"], referral=referral, outcome="Two sessions held."
        )

        assert Referral.objects.get(pk=referral.pk).outcome == "Two sessions held."

    def test_a_party_of_another_dispute_is_refused(self, world, dispute):
        other = open_dispute(world, title="Noise")

        with pytest.raises(ValidationError) as refused:
            mediation.referral_add(
                actor=world.users["own_staff"],
                dispute=dispute,
                kind="counselling",
                party=other.parties.first(),
            )
        assert error_codes(refused.value) == {"party_scope"}


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def full(world, pool, court):
    """A dispute through every step, by the real clock (the pages read it): panel,
    a session tomorrow, an agreement today, an application for confirmation, a referral."""
    dispute = open_dispute(world, now=timezone.now() - timedelta(days=5))
    move(world, dispute, Status.ACCEPTED)
    confirm_panel(world, dispute, pool)
    staff = world.users["own_staff"]
    session = mediation.session_schedule(
        actor=staff,
        dispute=dispute,
        format=Session.Format.CLINIC,
        starts_at=timezone.now() + timedelta(days=1),
        place="Clinic",
        parties=list(dispute.parties.all()),
        mediators=[pool["cadre"]],
    )
    mediation.agreement_record(
        actor=staff,
        dispute=dispute,
        form=Agreement.Form.WRITTEN,
        facts="Cars block the door of building 1.",
        terms="Parking spaces are marked; the door stays clear.",
        effective_on=timezone.localdate(),
    )
    mediation.confirmation_apply(
        actor=staff, dispute=dispute, applied_on=timezone.localdate(), court=court
    )
    referral = mediation.referral_add(actor=staff, dispute=dispute, kind="counselling")
    return {
        "dispute": dispute,
        "session": session,
        "visit": ReturnVisit.objects.get(dispute=dispute),
        "referral": referral,
    }


# The world's organisation member sits on the panel: they see the dispute, and change
# nothing in it.
CHANGE_PAGES = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 404,
    "own_staff": 200,
    "programme_officer": 403,
    "official": 403,
    "org_member": 403,
}
DISPUTE_PAGES = [
    "disputes:panel",
    "disputes:mediator_add",
    "disputes:session_new",
    "disputes:agreement_new",
    "disputes:fail",
    "disputes:close",
    "disputes:extend",
    "disputes:confirmation",
    "disputes:confirmation_result",
    "disputes:referral_new",
]
# Organisation members never assign or close a case.
ASSIGN_OR_CLOSE = {"disputes:panel", "disputes:mediator_add", "disputes:fail", "disputes:close"}
ROW_PAGES = [
    ("disputes:session_minutes", "session"),
    ("disputes:return_visit", "visit"),
    ("disputes:referral_outcome", "referral"),
]


@pytest.mark.parametrize("name", DISPUTE_PAGES)
def test_scope_of_the_dispute_forms(client, world, full, name):
    url = reverse(name, args=[full["dispute"].pk])

    check_scope(client, world, url, CHANGE_PAGES)
    # Closing has nothing to fill in: staff's empty POST closes the settled dispute.
    posted = 302 if name == "disputes:close" else 200
    check_scope(client, world, url, {**CHANGE_PAGES, "own_staff": posted}, method="post")


@pytest.mark.parametrize(("name", "row"), ROW_PAGES, ids=[p[0] for p in ROW_PAGES])
def test_scope_of_the_row_forms(client, world, full, name, row):
    url = reverse(name, args=[full[row].pk])

    check_scope(client, world, url, CHANGE_PAGES)
    check_scope(client, world, url, CHANGE_PAGES, method="post")


def test_scope_of_the_printable_agreement(client, world, full):
    check_scope(
        client,
        world,
        reverse("disputes:agreement_print", args=[full["dispute"].pk]),
        {
            "anonymous": 302,
            "resident": 200,  # a party
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 200,  # on the panel
        },
    )


@pytest.mark.parametrize("name", DISPUTE_PAGES)
def test_an_organisation_member_off_the_panel_does_not_find_the_dispute(client, world, full, name):
    stranger = UserFactory(username="other_station")
    member(
        stranger,
        Role.ORGANISATION_MEMBER,
        organisation=OrganisationFactory(
            name="Another police station", area=world.areas["subdistrict"]
        ),
    )
    client.force_login(stranger)

    response = client.get(reverse(name, args=[full["dispute"].pk]))

    # Assigning and closing are never theirs (403); the rest is out of their scope (404).
    assert response.status_code == (403 if name in ASSIGN_OR_CLOSE else 404)


def test_a_dispute_without_an_agreement_has_nothing_to_print(client, world, dispute):
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("disputes:agreement_print", args=[dispute.pk]))

    assert response.status_code == 404


class TestPrintableAgreement:
    def test_it_shows_the_number_the_parties_with_masked_phones_and_room_to_sign(
        self, client, world, full
    ):
        client.force_login(world.users["own_staff"])
        agreement = Agreement.objects.get(dispute=full["dispute"])

        page = client.get(
            reverse("disputes:agreement_print", args=[full["dispute"].pk]), **ENGLISH
        ).content.decode()

        assert agreement.number in page
        assert "138****5678" in page and "139****4321" in page
        assert APPLICANT_PHONE not in page and RESPONDENT_PHONE not in page
        assert "王鹏" in page and "赵花" in page
        assert "Parking spaces are marked" in page
        # Chinese by default, whatever the browser asks for.
        assert '<html lang="zh-hans"' in page and "打印" in page

    def test_it_is_in_english_when_asked(self, client, world, full):
        client.force_login(world.users["own_staff"])

        page = client.get(
            reverse("disputes:agreement_print", args=[full["dispute"].pk]) + "?lang=en"
        ).content.decode()

        assert "mb-1\">People's mediation agreement</h1>" in page
        assert "Parties (signatures)" in page and "Mediators (signatures)" in page
        assert "(seal)" in page and "马燕" in page

    def test_a_resident_sees_the_other_partys_name_masked(self, client, world, full):
        client.force_login(world.users["resident"])

        page = client.get(
            reverse("disputes:agreement_print", args=[full["dispute"].pk])
        ).content.decode()

        assert "王鹏" in page and "赵*" in page and "赵花" not in page
        assert RESPONDENT_PHONE not in page


# --- Posting the forms ---------------------------------------------------------------------


def detail_path(dispute) -> str:
    return f"/disputes/{dispute.pk}/"


@pytest.fixture
def live(world):
    """A dispute opened just now, by the real clock the pages read."""
    return open_dispute(world, now=timezone.now())


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.users["own_staff"])
    return client


def local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class TestPostingTheForms:
    def test_confirming_the_panel(self, staff_client, world, live, pool):
        response = staff_client.post(
            reverse("disputes:panel", args=[live.pk]),
            {"mediators": [pool["cadre"].pk, pool["police"].pk], "lead": pool["cadre"].pk},
        )

        assert response.status_code == 302 and response["Location"] == detail_path(live)
        assert PanelMember.objects.filter(dispute=live).count() == 2

    def test_the_panel_form_offers_the_suggestion(self, staff_client, live, pool):
        form = staff_client.get(reverse("disputes:panel", args=[live.pk])).context["form"]

        assert form.initial["mediators"] == [
            pool["cadre"].pk,
            pool["property"].pk,
            pool["police"].pk,
        ]
        assert form.initial["lead"] == pool["cadre"].pk

    def test_adding_a_mediator(self, staff_client, world, live):
        response = staff_client.post(
            reverse("disputes:mediator_add", args=[live.pk]),
            {
                "name": "马燕",
                "affiliation": Affiliation.COMMUNITY_CADRE,
                "user": world.users["own_staff"].pk,
            },
        )

        assert response["Location"] == detail_path(live)
        assert Mediator.objects.get(name="马燕").community == world.areas["community_a"]

    def test_scheduling_a_session(self, staff_client, world, live, pool):
        move(world, live, Status.ACCEPTED)
        confirm_panel(world, live, pool)

        response = staff_client.post(
            reverse("disputes:session_new", args=[live.pk]),
            {
                "format": Session.Format.MINI_FORUM,
                "starts_at": local_input(timezone.now() + timedelta(days=2)),
                "place": "Qingyi courtyard",
                "parties": [p.pk for p in live.parties.all()],
                "mediators": [pool["police"].pk],
            },
        )

        assert response["Location"] == detail_path(live)
        assert fresh(live).status == Status.MEDIATING

    def test_recording_minutes(self, staff_client, world, full):
        session = full["session"]
        Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))

        response = staff_client.post(
            reverse("disputes:session_minutes", args=[session.pk]), {"minutes": "Agreed."}
        )

        assert response["Location"] == detail_path(full["dispute"])
        assert Session.objects.get(pk=session.pk).minutes == "Agreed."

    def test_recording_an_agreement(self, staff_client, world, live):
        mediating(world, live)

        response = staff_client.post(
            reverse("disputes:agreement_new", args=[live.pk]),
            {
                "form": "written",
                "facts": "Cars block the door.",
                "terms": "Spaces are marked.",
                "effective_on": timezone.localdate().isoformat(),
            },
        )

        assert response["Location"] == detail_path(live)
        assert fresh(live).status == Status.PERFORMING

    def test_an_agreement_refused_by_the_rules_is_a_form_error_keeping_the_input(
        self, staff_client, world, live
    ):
        move(world, live, Status.ACCEPTED)

        response = staff_client.post(
            reverse("disputes:agreement_new", args=[live.pk]),
            {
                "form": "written",
                "facts": "Cars block the door.",
                "terms": "Spaces are marked by the property company.",
                "effective_on": timezone.localdate().isoformat(),
            },
            **ENGLISH,
        )

        assert response.status_code == 200
        assert "schedule a session first" in str(response.context["form"].non_field_errors())
        assert "Spaces are marked by the property company." in response.content.decode()

    def test_failing_with_a_referral(self, staff_client, world, live):
        mediating(world, live)

        response = staff_client.post(
            reverse("disputes:fail", args=[live.pk]),
            {"reason": "No agreement.", "referral_kind": "court", "provider": "District court"},
        )

        assert response["Location"] == detail_path(live)
        assert fresh(live).status == Status.FAILED

    def test_closing(self, staff_client, world, full):
        response = staff_client.post(reverse("disputes:close", args=[full["dispute"].pk]))

        assert response["Location"] == detail_path(full["dispute"])
        assert fresh(full["dispute"]).status == Status.SETTLED

    def test_closing_too_early_is_a_form_error(self, staff_client, world, live):
        mediating(world, live)

        response = staff_client.post(reverse("disputes:close", args=[live.pk]), **ENGLISH)

        assert response.status_code == 200
        assert "A dispute closes after an agreement or a failed mediation." in (
            response.content.decode()
        )

    def test_extending(self, staff_client, world, live):
        new_due = fresh(live).due_at + timedelta(days=10)

        response = staff_client.post(
            reverse("disputes:extend", args=[live.pk]),
            {"new_due_at": local_input(new_due), "consent": "Both signed the record."},
        )

        assert response["Location"] == detail_path(live)
        assert fresh(live).due_at == new_due.replace(second=0, microsecond=0)

    def test_extending_without_consent_keeps_the_date(self, staff_client, world, live):
        new_due = local_input(fresh(live).due_at + timedelta(days=10))

        response = staff_client.post(
            reverse("disputes:extend", args=[live.pk]), {"new_due_at": new_due, "consent": ""}
        )

        assert response.status_code == 200
        assert "consent" in response.context["form"].errors
        assert f'value="{new_due}"' in response.content.decode()

    def test_recording_the_return_visit(self, staff_client, world, full):
        visit = full["visit"]

        response = staff_client.post(
            reverse("disputes:return_visit", args=[visit.pk]),
            {
                "visited_on": timezone.localdate().isoformat(),
                "kept": "yes",
                "satisfaction": "5",
                "note": "Spaces marked.",
            },
        )

        assert response["Location"] == detail_path(full["dispute"])
        visit.refresh_from_db()
        assert (visit.kept, visit.satisfaction) == (True, 5)

    def test_applying_for_confirmation(self, staff_client, world, live, court):
        mediating(world, live)
        agree(world, live, effective_on=timezone.localdate(), now=timezone.now())

        response = staff_client.post(
            reverse("disputes:confirmation", args=[live.pk]),
            {"applied_on": timezone.localdate().isoformat(), "court": court.pk},
        )

        assert response["Location"] == detail_path(live)
        assert JudicialConfirmation.objects.get(dispute=live).court == court

    def test_recording_the_courts_decision(self, staff_client, world, full):
        response = staff_client.post(
            reverse("disputes:confirmation_result", args=[full["dispute"].pk]),
            {"result": "confirmed", "result_on": timezone.localdate().isoformat()},
        )

        assert response["Location"] == detail_path(full["dispute"])
        assert JudicialConfirmation.objects.get(dispute=full["dispute"]).result == "confirmed"

    def test_referring(self, staff_client, world, live):
        response = staff_client.post(
            reverse("disputes:referral_new", args=[live.pk]),
            {"kind": "legal_aid", "reason": "Domestic violence (Art. 32)."},
        )

        assert response["Location"] == detail_path(live)
        assert Referral.objects.get(dispute=live).kind == "legal_aid"

    def test_recording_a_referrals_outcome(self, staff_client, world, full):
        referral = full["referral"]

        response = staff_client.post(
            reverse("disputes:referral_outcome", args=[referral.pk]), {"outcome": "Helped."}
        )

        assert response["Location"] == detail_path(full["dispute"])
        assert Referral.objects.get(pk=referral.pk).outcome == "Helped."


MALFORMED = [
    ("disputes:panel", "dispute", {"mediators": ["x"], "lead": "nope"}),
    ("disputes:mediator_add", "dispute", {"affiliation": "pope", "user": "0"}),
    ("disputes:session_new", "dispute", {"format": "rave", "starts_at": "tomorrow"}),
    ("disputes:session_minutes", "session", {"minutes": "   "}),
    ("disputes:agreement_new", "dispute", {"form": "sung", "effective_on": "2026-02-30"}),
    ("disputes:fail", "dispute", {"reason": "", "referral_kind": "moon"}),
    ("disputes:extend", "dispute", {"new_due_at": "soon", "consent": "x" * 5000}),
    ("disputes:return_visit", "visit", {"kept": "maybe", "satisfaction": "9"}),
    ("disputes:confirmation", "dispute", {"applied_on": "yesterday", "court": "-1"}),
    ("disputes:confirmation_result", "dispute", {"result": "pending", "result_on": "x"}),
    ("disputes:referral_new", "dispute", {"kind": "legal_aid", "party": "abc"}),
    ("disputes:referral_outcome", "referral", {"outcome": ""}),
]


@pytest.mark.parametrize(("name", "row", "malformed"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_empty_and_malformed_input_is_a_form_error(staff_client, full, name, row, malformed):
    url = reverse(name, args=[full[row].pk])
    for data in ({}, malformed):
        response = staff_client.post(url, data)

        assert response.status_code == 200, (name, data)
        assert response.context["form"].errors, (name, data)


# --- The mediation block of the dispute page ---------------------------------------------


def render_block(dispute, user) -> tuple[str, int]:
    user = type(user).objects.get(pk=user.pk)  # memberships not yet cached, as per request
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        context = mediation_context(dispute, user)
        html = render_to_string("disputes/_mediation.html", context, request=request)
    return html, len(queries)


def grow(world, full, extra: int):
    staff = world.users["own_staff"]
    dispute = full["dispute"]
    for n in range(extra):
        Session.objects.create(
            dispute=dispute,
            format=Session.Format.CLINIC,
            place=f"Room {n}",
            starts_at=timezone.now() - timedelta(days=n + 1),
            minutes="Talked.",
        ).attending_parties.set(dispute.parties.all())
        mediation.referral_add(actor=staff, dispute=dispute, kind="counselling")
        Extension.objects.create(
            dispute=dispute,
            new_due_at=timezone.now() + timedelta(days=40 + n),
            consent="Both agreed.",
            recorded_by=staff,
        )
        ReturnVisit.objects.create(dispute=dispute, due_on=timezone.localdate())


class TestMediationBlock:
    def test_staff_see_everything_and_get_the_forms(self, world, full):
        with translation.override("en"):
            html, _queries = render_block(full["dispute"], world.users["own_staff"])

        assert Agreement.objects.get(dispute=full["dispute"]).number in html
        assert reverse("disputes:referral_new", args=[full["dispute"].pk]) in html
        assert reverse("disputes:close", args=[full["dispute"].pk]) in html
        assert reverse("disputes:return_visit", args=[full["visit"].pk]) in html
        assert "Referrals" in html and "马燕" in html

    def test_a_party_sees_the_agreement_but_not_the_referrals_or_the_forms(self, world, full):
        context = mediation_context(full["dispute"], world.users["resident"])
        with translation.override("en"):
            html, _queries = render_block(full["dispute"], world.users["resident"])

        assert context["mediation_referrals"] == []
        assert context["mediation_return_visits"] == []
        assert not context["mediation_may_change"]
        assert "<form" not in html
        assert "赵*" in html and "赵花" not in html
        assert reverse("disputes:agreement_print", args=[full["dispute"].pk]) in html

    def test_the_confirmation_badge_warns_near_the_last_day(self, world, dispute):
        mediating(world, dispute)
        today = timezone.localdate()
        agree(world, dispute, effective_on=today - timedelta(days=27), now=timezone.now())

        context = mediation_context(dispute, world.users["own_staff"])

        assert context["mediation_confirmation_last_day"] == today + timedelta(days=3)
        assert context["mediation_confirmation_days_left"] == 3
        assert context["mediation_confirmation_warning"] is True
        assert context["mediation_offers"]["confirmation"]

    def test_the_block_takes_a_fixed_number_of_queries(self, world, full):
        staff = world.users["own_staff"]
        _html, small = render_block(full["dispute"], staff)
        grow(world, full, 6)

        html, large = render_block(full["dispute"], staff)

        assert large == small
        assert html.count("Room ") == 6


def test_the_dispute_page_shows_the_mediation_block(client, world, full):
    client.force_login(world.users["own_staff"])

    response = client.get(detail_path(full["dispute"]), **ENGLISH)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="mediation-heading"' in page
    assert Agreement.objects.get(dispute=full["dispute"]).number in page


@pytest.mark.parametrize("persona", ["own_staff", "official", "resident", "org_member"])
def test_the_dispute_page_reads_every_field_it_shows_in_its_own_queries(
    client, world, full, persona, no_lazy_fields
):
    """The page loads only part of some related rows (the handler, the estate, the
    parties' resident records); nothing it shows may be left to a lazy query."""
    dispute = full["dispute"]
    applicant, respondent = dispute.parties.order_by("role", "pk")
    applicant.person = Person.objects.create(
        community=world.areas["community_a"],
        name=applicant.name,
        id_number_hash="hash-applicant",
        id_number_masked="110105********1234",
        user=world.users["resident"],
    )
    applicant.save(update_fields=["person"])
    Party.objects.create(
        dispute=dispute,
        role=Party.Role.REPRESENTATIVE,
        name="钱律师",
        represents=applicant,
    )
    Dispute.objects.filter(pk=dispute.pk).update(
        estate=Estate.objects.create(community=world.areas["community_a"], name="Qingyi")
    )
    staff = world.users["own_staff"]
    Case.objects.filter(pk=dispute.pk).update(handler=staff)
    ReturnVisit.objects.filter(pk=full["visit"].pk).update(
        visitor=staff, visited_on=timezone.localdate()
    )
    Referral.objects.filter(pk=full["referral"].pk).update(party=respondent)
    Extension.objects.create(
        dispute=dispute,
        new_due_at=timezone.now() + timedelta(days=40),
        consent="Both agreed.",
        recorded_by=staff,
    )
    client.force_login(world.users[persona])

    response = client.get(detail_path(dispute), **ENGLISH)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Qingyi" in page
    if persona == "own_staff":  # the visit's and the extension's recorder, by name
        assert page.count(str(staff)) >= 3
    internal = persona in ("own_staff", "official")
    assert ("钱律师" in page) == internal  # others see the name masked
    # The resident reads their own name; a panel's organisation member reads it masked.
    assert ("for 王*" if persona == "org_member" else "for 王鹏") in page


def test_an_official_sees_referrals_but_not_why_a_party_qualifies(world, full):
    mediation.referral_add(
        actor=world.users["own_staff"],
        dispute=full["dispute"],
        kind="legal_aid",
        reason="Domestic violence (Art. 32).",
    )

    official, _queries = render_block(full["dispute"], world.users["official"])
    staff, _queries = render_block(full["dispute"], world.users["own_staff"])

    assert "Domestic violence" not in official and "<form" not in official
    assert "Domestic violence" in staff
