"""The case kit's services, exercised through the test app's ticket kind."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from portal.models import Case, FollowUp, RuleSet, TimelineEntry
from portal.registry import registry
from portal.roles import Role
from portal.rules import rule_in_force, rules_for
from portal.services import cases
from portal.workdays import add_working_days, due_after
from tests.factories import UserFactory, member
from tests.kitapp.models import Ticket
from tests.kitapp.services import ticket_open

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Verb = TimelineEntry.Verb


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def open_ticket(world, **kwargs):
    fields = {
        "actor": world.users["own_staff"],
        "community": world.areas["community_a"],
        "title": "Broken street lamp",
    }
    return ticket_open(**{**fields, **kwargs}).case


class TestReferences:
    def test_references_carry_prefix_year_and_sequence(self, world):
        first = open_ticket(world, now=at(2026, 3, 1, 9))
        second = open_ticket(world, now=at(2026, 3, 1, 10))

        assert first.reference == "TK-2026-000001"
        assert second.reference == "TK-2026-000002"

    def test_a_new_year_starts_at_one(self, world):
        open_ticket(world, now=at(2026, 12, 31, 9))

        assert open_ticket(world, now=at(2027, 1, 2, 9)).reference == "TK-2027-000001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_references_are_unique_under_concurrent_creation():
    threads, per_thread, made, errors = 8, 5, [], []

    def work():
        try:
            for _ in range(per_thread):
                made.append(cases.next_reference("CC"))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in made)
    assert numbers == list(range(1, threads * per_thread + 1))


class TestOpening:
    def test_a_case_opens_with_status_due_date_rule_version_and_a_public_entry(self, world):
        RuleSet.objects.create(
            kind="kitapp.ticket",
            area=world.areas["district"],
            version=1,
            valid_from=at(2026, 1, 1),
            payload={
                "time_limit_days": 3,
                "working_days": True,
                "subdistrict_time_limit_days": 2,
                "reminder_lead_hours": 24,
            },
        )

        case = open_ticket(world, now=at(2026, 9, 29, 10), comment="by the school gate")

        assert case.status == Ticket.Status.NEW
        assert case.rule_set.version == 1
        # 30 Sep is a working day; 1–7 Oct is the National Day holiday; 8 and 9 Oct work.
        assert case.due_at == at(2026, 10, 9, 23, 59, 59)
        entry = case.timeline.get()
        assert (
            entry.verb == Verb.REPORTED
            and entry.is_public
            and entry.comment == "by the school gate"
        )

    def test_a_due_reminder_is_scheduled_for_the_communitys_staff(self, world):
        case = open_ticket(world, now=at(2026, 3, 2, 9))

        reminder = FollowUp.objects.get(case=case)
        assert reminder.purpose == FollowUp.Purpose.DUE_REMINDER
        assert reminder.assignee_role == Role.COMMUNITY_STAFF
        assert reminder.assignee_area == world.areas["community_a"]
        assert reminder.due_at == case.due_at - timedelta(hours=24)

    def test_staff_cannot_open_cases_outside_their_community(self, world):
        with pytest.raises(PermissionDenied):
            open_ticket(world, community=world.areas["community_b"])

    def test_a_resident_files_for_themselves_only(self, world):
        resident = world.users["resident"]

        case = open_ticket(world, actor=resident, filed_by=resident)
        assert case.filed_by == resident
        with pytest.raises(PermissionDenied):
            open_ticket(world, actor=resident, filed_by=world.users["own_staff"])

    def test_cases_open_only_in_a_community(self, world):
        with pytest.raises(ValidationError):
            open_ticket(world, community=world.areas["subdistrict"])


class TestRules:
    def payload(self, days):
        return {
            "time_limit_days": days,
            "working_days": False,
            "subdistrict_time_limit_days": 1,
            "reminder_lead_hours": 1,
        }

    def test_the_nearest_area_up_the_tree_wins_and_national_rules_come_last(self, world):
        a = world.areas
        RuleSet.objects.create(
            kind="kitapp.ticket",
            area=None,
            version=1,
            valid_from=at(2020, 1, 1),
            payload=self.payload(30),
        )
        RuleSet.objects.create(
            kind="kitapp.ticket",
            area=a["city"],
            version=1,
            valid_from=at(2020, 1, 1),
            payload=self.payload(20),
        )

        assert rule_in_force("kitapp.ticket", a["community_a"]).payload["time_limit_days"] == 20
        assert rule_in_force("kitapp.ticket", None).payload["time_limit_days"] == 30

    def test_a_new_version_applies_from_its_date_and_never_rewrites_a_closed_case(self, world):
        a = world.areas
        RuleSet.objects.create(
            kind="kitapp.ticket",
            area=a["district"],
            version=1,
            valid_from=at(2026, 1, 1),
            payload=self.payload(10),
        )
        old = open_ticket(world, now=at(2026, 2, 1, 9))
        RuleSet.objects.create(
            kind="kitapp.ticket",
            area=a["district"],
            version=2,
            valid_from=at(2026, 3, 1),
            payload=self.payload(5),
        )

        assert rule_in_force("kitapp.ticket", a["community_a"], at(2026, 2, 15)).version == 1
        assert rule_in_force("kitapp.ticket", a["community_a"], at(2026, 3, 15)).version == 2
        old.refresh_from_db()
        assert old.rule_set.version == 1
        assert old.due_at == at(2026, 2, 11, 23, 59, 59)

    def test_without_a_rule_set_the_kinds_default_applies(self, world):
        payload, rule_set = rules_for("kitapp.ticket", world.areas["community_a"])

        assert rule_set is None
        assert payload == registry.rule_kinds["kitapp.ticket"].default

    def test_payloads_are_validated(self):
        validate = registry.rule_kinds["kitapp.ticket"].validate

        with pytest.raises(ValidationError):
            validate({"time_limit_days": 0, "working_days": True})


class TestWorkingDays:
    def test_counting_skips_a_holiday_and_counts_a_make_up_working_day(self):
        # Sat 10 Oct 2026 is a make-up working day after the National Day holiday.
        assert add_working_days(datetime(2026, 9, 30).date(), 1).isoformat() == "2026-10-08"
        assert add_working_days(datetime(2026, 10, 9).date(), 1).isoformat() == "2026-10-10"

    def test_calendar_days_are_plain_days(self):
        assert due_after(at(2026, 9, 30, 8), 2, working_days=False) == at(2026, 10, 2, 23, 59, 59)


class TestWorkflow:
    def test_assigning_records_the_hand_over_and_moves_the_reminder_to_the_handler(self, world):
        case = open_ticket(world)
        staff = world.users["own_staff"]

        cases.case_assign(case=case, actor=staff, handler=staff, organisation=world.organisation)

        entry = case.timeline.last()
        assert entry.verb == Verb.HANDED_OVER and entry.to_organisation == world.organisation
        reminders = FollowUp.objects.filter(case=case, purpose=FollowUp.Purpose.DUE_REMINDER)
        assert reminders.get(state=FollowUp.State.SCHEDULED).assignee == staff
        assert reminders.filter(state=FollowUp.State.CANCELLED).count() == 1

    def test_a_handler_must_be_able_to_work_on_the_case(self, world):
        with pytest.raises(ValidationError):
            cases.case_assign(
                case=open_ticket(world),
                actor=world.users["own_staff"],
                handler=world.users["other_staff"],
            )

    def test_officials_are_read_only(self, world):
        case = open_ticket(world)

        with pytest.raises(PermissionDenied):
            cases.case_comment(case=case, actor=world.users["official"], comment="hello")
        with pytest.raises(PermissionDenied):
            cases.case_close(case=case, actor=world.users["official"], status="solved")

    def test_closing_cancels_follow_ups_and_is_idempotent(self, world):
        case = open_ticket(world)
        staff = world.users["own_staff"]

        cases.case_close(case=case, actor=staff, status="solved", comment="fixed")
        cases.case_close(case=case, actor=staff, status="solved", comment="again")

        assert case.closed_at is not None
        assert case.timeline.filter(verb=Verb.CLOSED).count() == 1
        assert not FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED).exists()

    def test_the_timeline_is_append_only(self, world):
        entry = open_ticket(world).timeline.get()

        with pytest.raises(ValueError):
            entry.save()


class TestSatisfaction:
    def closed(self, world):
        resident = world.users["resident"]
        case = open_ticket(world, actor=resident, filed_by=resident)
        cases.case_assign(
            case=case, actor=world.users["own_staff"], handler=world.users["own_staff"]
        )
        return cases.case_close(case=case, actor=world.users["own_staff"], status="solved")

    def test_a_rating_is_kept_once(self, world):
        case = cases.case_rate(case=self.closed(world), rating=5, comment="quick")

        assert case.rating == 5 and case.rated_at
        with pytest.raises(ValidationError):
            cases.case_rate(case=case, rating=4)

    def test_not_solved_reopens_and_tells_the_handler(self, world):
        case = cases.case_rate(
            case=self.closed(world), rating=1, comment="still dark", solved=False
        )

        assert case.closed_at is None and case.reopened_count == 1
        assert case.timeline.filter(verb=Verb.REOPENED).exists()
        assert world.users["own_staff"].notifications.filter(case=case).exists()

    def test_ratings_are_one_to_five(self, world):
        with pytest.raises(ValidationError):
            cases.case_rate(case=self.closed(world), rating=6)


class TestEscalation:
    def test_overdue_at_the_community_goes_to_the_subdistrict_once(self, world):
        subdistrict_staff = UserFactory()
        member(subdistrict_staff, Role.SUBDISTRICT_STAFF, area=world.areas["subdistrict"])
        case = open_ticket(world, now=at(2026, 3, 2, 9))
        late = case.due_at + timedelta(minutes=1)

        assert cases.cases_escalate_overdue(now=late) == 1
        assert cases.cases_escalate_overdue(now=late) == 0

        case.refresh_from_db()
        assert case.level == Case.Level.SUBDISTRICT and case.escalated_at == late
        assert case.due_at > late
        assert case.timeline.filter(verb=Verb.ESCALATED).count() == 1
        notice = FollowUp.objects.get(case=case, purpose=FollowUp.Purpose.ESCALATION)
        assert notice.assignee_role == Role.SUBDISTRICT_STAFF
        assert case.mark == "yellow"

    def test_overdue_at_the_subdistrict_is_marked_red_and_the_district_told(self, world):
        case = open_ticket(world, now=at(2026, 3, 2, 9))
        cases.cases_escalate_overdue(now=case.due_at + timedelta(minutes=1))
        case.refresh_from_db()
        later = case.due_at + timedelta(minutes=1)

        assert cases.cases_escalate_overdue(now=later) == 1
        assert cases.cases_escalate_overdue(now=later + timedelta(days=3)) == 0

        case.refresh_from_db()
        assert case.supervised_at == later and case.mark == "red"
        assert case.level == Case.Level.SUBDISTRICT  # the subdistrict keeps it
        assert case.timeline.filter(verb=Verb.SUPERVISED).count() == 1
        assert FollowUp.objects.filter(
            case=case, assignee_role=Role.OFFICIAL, assignee_area=world.areas["district"]
        ).exists()

    def test_closed_cases_never_escalate(self, world):
        case = open_ticket(world, now=at(2026, 3, 2, 9))
        cases.case_close(case=case, actor=world.users["own_staff"], status="solved")

        assert cases.cases_escalate_overdue(now=case.due_at + timedelta(days=30)) == 0


class TestPublishingRules:
    def payload(self, days):
        return {
            "time_limit_days": days,
            "working_days": True,
            "subdistrict_time_limit_days": 5,
            "reminder_lead_hours": 12,
        }

    def test_each_publication_is_a_new_version(self, world):
        from portal.services.rules import rule_set_publish

        area = world.areas["district"]
        first = rule_set_publish(
            kind="kitapp.ticket", area=area, payload=self.payload(10), valid_from=at(2026, 1, 1)
        )
        second = rule_set_publish(
            kind="kitapp.ticket", area=area, payload=self.payload(7), valid_from=at(2026, 6, 1)
        )

        assert (first.version, second.version) == (1, 2)
        assert RuleSet.objects.get(pk=first.pk).payload["time_limit_days"] == 10

    def test_a_bad_payload_is_refused_with_the_reason(self, world):
        from portal.services.rules import rule_set_publish

        with pytest.raises(ValidationError) as error:
            rule_set_publish(
                kind="kitapp.ticket",
                area=None,
                valid_from=at(2026, 1, 1),
                payload={"time_limit_days": -1},
            )
        assert "payload" in error.value.message_dict

    def test_the_admin_publishes_a_new_version_instead_of_editing(self, client, world):
        from django.urls import reverse

        from portal.services.rules import rule_set_publish

        rule = rule_set_publish(
            kind="kitapp.ticket", area=None, payload=self.payload(10), valid_from=at(2026, 1, 1)
        )
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        response = client.post(
            reverse("admin:portal_ruleset_change", args=[rule.pk]),
            {
                "kind": "kitapp.ticket",
                "area": "",
                "valid_from_0": "2026-07-01",
                "valid_from_1": "00:00:00",
                "payload": '{"time_limit_days": 3, "working_days": true,'
                ' "subdistrict_time_limit_days": 2, "reminder_lead_hours": 6}',
                "note": "faster",
            },
        )

        assert response.status_code == 302
        assert list(RuleSet.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
        assert RuleSet.objects.get(version=1).payload["time_limit_days"] == 10


def test_the_reminder_text_comes_from_the_rules_when_set(world):
    RuleSet.objects.create(
        kind="kitapp.ticket",
        area=world.areas["community_a"],
        version=1,
        valid_from=at(2026, 1, 1),
        payload={
            "time_limit_days": 5,
            "working_days": False,
            "subdistrict_time_limit_days": 2,
            "reminder_lead_hours": 2,
            "reminder_text": "请跟进 {reference}：{title}",
        },
    )

    case = open_ticket(world, now=at(2026, 3, 2, 9))

    assert FollowUp.objects.get(case=case).reason == f"请跟进 {case.reference}：Broken street lamp"


def test_a_reminder_text_with_unknown_placeholders_is_refused():
    validate = registry.rule_kinds["kitapp.ticket"].validate

    with pytest.raises(ValidationError):
        validate(
            {
                "time_limit_days": 5,
                "working_days": False,
                "subdistrict_time_limit_days": 2,
                "reminder_lead_hours": 2,
                "reminder_text": "{name} is late",
            }
        )
