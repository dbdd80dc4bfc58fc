"""The mobile office desk and estate issues: visits and their reminders, problems recorded
on the day, the issue queue, the public report form and turning an issue into a dispute."""

import io
import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from housing.models import (
    Building,
    DeskVisit,
    Estate,
    EstateIssue,
    Household,
    Person,
    Relation,
    Residence,
    Unit,
)
from housing.services import desk
from housing.views.desk import desk_context
from portal.models import Attachment, Case, FollowUp, Notification, TimelineEntry
from portal.registry import HandOverTarget, registry
from portal.roles import OrganisationType, Role
from portal.services import cases, followups
from tests.factories import OrganisationFactory, UserFactory, member
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
NETWORKS = itertools.count(1)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def estate(world):
    """Qingyi courtyard in community A: building 1, unit 1, flat 101 where the resident lives."""
    estate = Estate.objects.create(community=world.areas["community_a"], name="Qingyi")
    building = Building.objects.create(estate=estate, number="1", floors=6)
    unit = Unit.objects.create(building=building, number="1", floors=6)
    flat = Household.objects.create(unit=unit, floor=1, room_number="101", area_m2="72.50")
    person = Person.objects.create(
        community=world.areas["community_a"], name="王鹏", user=world.users["resident"]
    )
    Residence.objects.create(person=person, household=flat, relation=Relation.OWNER)
    return estate


@pytest.fixture
def other_estate(world):
    return Estate.objects.create(community=world.areas["community_b"], name="Shengze")


@pytest.fixture
def colleague(world):
    user = UserFactory(username="colleague")
    member(user, Role.COMMUNITY_STAFF, area=world.areas["community_a"])
    return user


@pytest.fixture
def subdistrict_office(world):
    return OrganisationFactory(
        name="Subdistrict office",
        type=OrganisationType.SUBDISTRICT_OFFICE,
        area=world.areas["subdistrict"],
    )


@pytest.fixture
def subdistrict_staff(world):
    user = UserFactory(username="subdistrict_staff")
    member(user, Role.SUBDISTRICT_STAFF, area=world.areas["subdistrict"])
    return user


def schedule(world, estate, when, *, staff=None, now=None):
    return desk.desk_visit_schedule(
        actor=world.users["own_staff"],
        estate=estate,
        scheduled_at=when,
        staff=staff or [world.users["own_staff"]],
        now=now or when - timedelta(days=3),
    )


def held_visit(world, estate, **kwargs):
    """A visit that took place an hour ago, by the real clock (pages read the clock)."""
    when = timezone.now() - timedelta(hours=1)
    return schedule(world, estate, when, **kwargs)


def open_issue(world, estate, description="Cars block the door of building 1", **kwargs):
    return desk.estate_issue_open(
        actor=world.users["own_staff"],
        estate=estate,
        category="parking",
        description=description,
        **kwargs,
    )


def photo(name="door.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# --- Desk visits and their reminders ------------------------------------------------


class TestDeskVisitReminders:
    def test_each_person_going_is_reminded_the_day_before_at_nine(self, world, estate, colleague):
        staff = [world.users["own_staff"], colleague]
        visit = schedule(
            world, estate, at(2026, 11, 5, 14, 30), staff=staff, now=at(2026, 11, 1, 10)
        )

        reminders = FollowUp.objects.filter(reason__contains="Qingyi")
        assert sorted(f.assignee_id for f in reminders) == sorted(u.pk for u in staff)
        assert {f.due_at for f in reminders} == {at(2026, 11, 4, 9, 0)}
        assert followups.followups_deliver_due(now=at(2026, 11, 4, 8, 59)) == 0
        assert followups.followups_deliver_due(now=at(2026, 11, 4, 9, 0)) == 2
        notes = Notification.objects.filter(user__in=staff)
        assert notes.count() == 2
        assert all("Qingyi" in n.message and "2026-11-05 14:30" in n.message for n in notes)
        assert list(visit.staff.order_by("pk")) == sorted(staff, key=lambda u: u.pk)

    def test_a_reminder_whose_time_has_passed_is_due_at_once(self, world, estate):
        now = at(2026, 11, 4, 15, 0)

        schedule(world, estate, at(2026, 11, 5, 8, 30), now=now)

        assert FollowUp.objects.get().due_at == now

    def test_only_people_who_may_work_at_the_estate_can_go(self, world, estate):
        with pytest.raises(ValidationError) as refused:
            schedule(world, estate, at(2026, 11, 5, 9), staff=[world.users["other_staff"]])

        assert refused.value.error_dict["staff"][0].code == "staff_scope"
        assert not DeskVisit.objects.exists() and not FollowUp.objects.exists()

    def test_staff_of_another_community_or_an_official_cannot_schedule(self, world, estate):
        for persona in ("other_staff", "official"):
            with pytest.raises(PermissionDenied):
                desk.desk_visit_schedule(
                    actor=world.users[persona],
                    estate=estate,
                    scheduled_at=at(2026, 11, 5, 9),
                    staff=[world.users["own_staff"]],
                    now=at(2026, 11, 1, 9),
                )

    def test_a_visit_cannot_be_scheduled_in_the_past(self, world, estate):
        with pytest.raises(ValidationError) as refused:
            schedule(world, estate, at(2026, 11, 5, 9), now=at(2026, 11, 5, 10))

        assert refused.value.error_dict["scheduled_at"][0].code == "past"

    def test_rescheduling_moves_the_reminders_and_one_already_sent_reminds_again(
        self, world, estate, colleague
    ):
        staff = [world.users["own_staff"], colleague]
        visit = schedule(
            world, estate, at(2026, 11, 5, 14, 30), staff=staff, now=at(2026, 11, 1, 10)
        )
        followups.followups_deliver_due(now=at(2026, 11, 4, 9, 0))

        desk.desk_visit_reschedule(
            actor=world.users["own_staff"],
            visit=visit,
            scheduled_at=at(2026, 11, 12, 10, 0),
            now=at(2026, 11, 4, 9, 30),
        )

        reminders = FollowUp.objects.all()
        assert reminders.count() == 2
        assert {(f.state, f.due_at, f.round) for f in reminders} == {
            (FollowUp.State.SCHEDULED, at(2026, 11, 11, 9, 0), 2)
        }
        assert all("2026-11-12 10:00" in f.reason for f in reminders)
        assert followups.followups_deliver_due(now=at(2026, 11, 11, 9, 0)) == 2

    def test_another_visits_reminders_stay_where_they_are(self, world, estate):
        first = schedule(world, estate, at(2026, 11, 5, 9), now=at(2026, 11, 1, 9))
        schedule(world, estate, at(2026, 11, 5, 15), now=at(2026, 11, 1, 9))

        desk.desk_visit_reschedule(
            actor=world.users["own_staff"],
            visit=first,
            scheduled_at=at(2026, 11, 20, 9),
            now=at(2026, 11, 1, 10),
        )

        due = sorted(FollowUp.objects.values_list("due_at", flat=True))
        assert due == [at(2026, 11, 4, 9), at(2026, 11, 19, 9)]


# --- Problems recorded at a visit ---------------------------------------------------


class TestRecordingProblems:
    def record(self, world, visit, resolution, description, now):
        return desk.desk_visit_record_issue(
            actor=world.users["own_staff"],
            visit=visit,
            category="facilities",
            description=description,
            filer_name="赵花",
            filer_phone=PHONE,
            resolution=resolution,
            now=now,
        )

    def test_three_problems_solved_studied_and_escalated(self, world, estate, subdistrict_office):
        visit = schedule(world, estate, at(2026, 11, 5, 9, 30), now=at(2026, 11, 1, 9))
        on_the_day = at(2026, 11, 5, 10, 0)

        solved = self.record(world, visit, "solved_on_spot", "Gate lamp out", on_the_day)
        studied = self.record(world, visit, "collective_study", "Parking rule", on_the_day)
        escalated = self.record(world, visit, "escalated", "Sewer blocked", on_the_day)

        visit.refresh_from_db()
        assert visit.held
        assert {i.desk_visit_id for i in (solved, studied, escalated)} == {visit.pk}

        solved_case = Case.objects.get(pk=solved.pk)
        assert solved_case.closed_at == on_the_day
        assert solved_case.status == EstateIssue.Status.SOLVED_ON_SPOT
        assert list(solved_case.timeline.values_list("verb", flat=True)) == [
            TimelineEntry.Verb.REPORTED,
            TimelineEntry.Verb.CLOSED,
        ]

        studied_case = Case.objects.get(pk=studied.pk)
        assert studied_case.status == EstateIssue.Status.COLLECTIVE_STUDY
        assert studied_case.closed_at is None
        assert studied_case.timeline.filter(is_public=True, status_after="collective_study")

        escalated_case = Case.objects.get(pk=escalated.pk)
        assert escalated_case.level == Case.Level.SUBDISTRICT
        assert escalated_case.escalated_at == on_the_day
        assert escalated_case.status == EstateIssue.Status.ESCALATED
        entry = escalated_case.timeline.get(verb=TimelineEntry.Verb.ESCALATED)
        assert entry.to_organisation == subdistrict_office and entry.is_public
        notice = FollowUp.objects.get(case=escalated_case, purpose=FollowUp.Purpose.ESCALATION)
        assert notice.assignee_role == Role.SUBDISTRICT_STAFF
        assert notice.assignee_area == world.areas["subdistrict"]

    def test_the_subdistrict_staff_are_told_of_an_escalated_problem(
        self, world, estate, subdistrict_staff
    ):
        visit = schedule(world, estate, at(2026, 11, 5, 9, 30), now=at(2026, 11, 1, 9))
        issue = self.record(world, visit, "escalated", "Sewer blocked", at(2026, 11, 5, 10))

        followups.followups_deliver_due(now=at(2026, 11, 5, 10, 1))

        note = Notification.objects.get(user=subdistrict_staff)
        assert issue.case.reference in note.message

    def test_an_open_problem_stays_reported(self, world, estate):
        visit = schedule(world, estate, at(2026, 11, 5, 9, 30), now=at(2026, 11, 1, 9))

        issue = self.record(world, visit, "open", "Bins overflow", at(2026, 11, 5, 11))

        assert Case.objects.get(pk=issue.pk).status == EstateIssue.Status.REPORTED

    def test_problems_are_not_recorded_before_the_day(self, world, estate):
        visit = schedule(world, estate, at(2026, 11, 5, 9, 30), now=at(2026, 11, 1, 9))

        with pytest.raises(ValidationError) as refused:
            self.record(world, visit, "open", "Bins overflow", at(2026, 11, 4, 23, 59))

        assert refused.value.code == "not_yet"
        assert not EstateIssue.objects.exists()

    def test_an_overdue_issue_is_escalated_by_the_kits_scan(
        self, world, estate, subdistrict_office
    ):
        issue = open_issue(world, estate, now=at(2026, 11, 2, 9))
        due = Case.objects.get(pk=issue.pk).due_at

        assert cases.cases_escalate_overdue(now=due + timedelta(minutes=1)) == 1

        case = Case.objects.get(pk=issue.pk)
        assert case.level == Case.Level.SUBDISTRICT and case.mark == "yellow"
        entry = case.timeline.get(verb=TimelineEntry.Verb.ESCALATED)
        assert entry.to_organisation == subdistrict_office
        assert FollowUp.objects.filter(
            case=case, assignee_role=Role.SUBDISTRICT_STAFF, purpose=FollowUp.Purpose.ESCALATION
        ).exists()

    def test_a_reporter_with_an_account_follows_the_issue(self, world, estate):
        person = Person.objects.get(user=world.users["resident"])

        issue = open_issue(world, estate, reporter=person)

        case = Case.objects.get(pk=issue.pk)
        assert case.filer_name == "王鹏"
        assert case in Case.objects.visible_to(world.users["resident"])


class TestDeskPages:
    def test_staff_record_a_problem_on_the_visit_page(self, client, world, estate):
        visit = held_visit(world, estate)
        client.force_login(world.users["own_staff"])
        page = client.get(reverse("housing:desk_visit_detail", args=[visit.pk]))
        assert page.context["may_record"] and "form" in page.context

        response = client.post(
            reverse("housing:desk_visit_record", args=[visit.pk]),
            {
                "category": "sanitation",
                "description": "Rubbish left by the gate",
                "resolution": "solved_on_spot",
                "building": estate.buildings.get().pk,
            },
        )

        assert response.status_code == 302
        issue = EstateIssue.objects.get()
        assert issue.desk_visit == visit and issue.case.status == "solved_on_spot"

    def test_a_bad_record_keeps_the_page_and_the_input(self, client, world, estate):
        visit = held_visit(world, estate)
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("housing:desk_visit_record", args=[visit.pk]),
            {"category": "parking", "description": "kept text", "filer_phone": "12345"},
        )

        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"filer_phone", "resolution"}
        assert "kept text" in response.content.decode()
        assert not EstateIssue.objects.exists()

    def test_the_record_form_waits_for_the_day(self, client, world, estate):
        visit = schedule(world, estate, timezone.now() + timedelta(days=3))
        client.force_login(world.users["own_staff"])

        page = client.get(reverse("housing:desk_visit_detail", args=[visit.pk]))
        early = client.post(
            reverse("housing:desk_visit_record", args=[visit.pk]),
            {"category": "parking", "description": "too early", "resolution": "open"},
        )

        assert not page.context["may_record"]
        assert early.status_code == 200 and early.context["form"].non_field_errors()

    def test_staff_schedule_a_visit_from_the_estate(self, client, world, estate, colleague):
        client.force_login(world.users["own_staff"])
        when = timezone.localtime() + timedelta(days=7)

        response = client.post(
            reverse("housing:desk_visit_new", args=[estate.pk]),
            {
                "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"),
                "staff": [world.users["own_staff"].pk, colleague.pk],
                "note": "bring the parking plan",
            },
        )

        visit = DeskVisit.objects.get()
        assert response.url == reverse("housing:desk_visit_detail", args=[visit.pk])
        assert visit.staff.count() == 2 and FollowUp.objects.count() == 2

    def test_the_visit_form_offers_only_people_who_may_work_there(
        self, client, world, estate, colleague
    ):
        client.force_login(world.users["own_staff"])

        form = client.get(reverse("housing:desk_visit_new", args=[estate.pk])).context["form"]
        offered = set(form.fields["staff"].queryset)

        assert {world.users["own_staff"], colleague, world.users["programme_officer"]} == offered
        past = client.post(
            reverse("housing:desk_visit_new", args=[estate.pk]),
            {"scheduled_at": "2020-01-01T09:00", "staff": [colleague.pk], "note": "kept"},
        )
        assert past.status_code == 200 and past.context["form"].errors["scheduled_at"]
        assert "kept" in past.content.decode()

    def test_the_calendar_groups_a_months_visits_by_day(self, client, world, estate):
        schedule(world, estate, at(2026, 11, 5, 9), now=at(2026, 10, 1, 9))
        schedule(world, estate, at(2026, 11, 5, 15), now=at(2026, 10, 1, 9))
        schedule(world, estate, at(2026, 11, 30, 23, 30), now=at(2026, 10, 1, 9))
        schedule(world, estate, at(2026, 12, 1, 0, 30), now=at(2026, 10, 1, 9))
        client.force_login(world.users["own_staff"])

        page = client.get(reverse("housing:desk_calendar"), {"month": "2026-11"})

        days = [(day.isoformat(), len(visits)) for day, visits in page.context["days"]]
        assert days == [("2026-11-05", 2), ("2026-11-30", 1)]
        assert page.context["previous_month"] == "2026-10"
        assert page.context["next_month"] == "2026-12"

    def test_a_nonsense_month_shows_this_month(self, client, world):
        client.force_login(world.users["own_staff"])

        page = client.get(reverse("housing:desk_calendar"), {"month": "2026-13"})

        assert page.status_code == 200
        assert page.context["month"] == timezone.localdate().replace(day=1)

    def test_the_estate_block_lists_visits_and_open_issues(self, world, estate):
        upcoming = schedule(world, estate, timezone.now() + timedelta(days=2))
        held = held_visit(world, estate)
        issue = open_issue(world, estate)

        context = desk_context(estate, world.users["own_staff"])

        assert context["desk_upcoming_visits"] == [upcoming]
        assert context["desk_recent_visits"] == [held]
        assert context["desk_open_issues"] == [issue] and context["desk_open_issue_count"] == 1
        assert context["desk_may_schedule"]
        assert not desk_context(estate, world.users["official"])["desk_may_schedule"]

    def test_the_queue_filters_by_mark_and_status(self, client, world, estate, other_estate):
        staff = world.users["own_staff"]
        late = open_issue(world, estate, description="late", now=timezone.now() - timedelta(60))
        handed_up = open_issue(world, estate, description="handed up")
        cases.case_escalate(case=handed_up.case, actor=staff)
        fresh = open_issue(world, estate, description="fresh", building=estate.buildings.get())
        done = open_issue(world, estate, description="done")
        cases.case_close(case=done.case, actor=staff, status="solved")
        client.force_login(staff)
        url = reverse("housing:issue_queue")

        def listed(**query):
            return {i.pk for i in client.get(url, query).context["object_list"]}

        assert listed() == {late.pk, handed_up.pk, fresh.pk, done.pk}
        assert listed(mark="escalated") == {handed_up.pk}
        assert listed(mark="overdue") == {late.pk}
        assert listed(status="solved") == {done.pk}
        assert done.pk not in listed(state="open") and listed(state="closed") == {done.pk}
        html = client.get(url, **ENGLISH).content.decode()
        assert "yellow: overdue or escalated" in html
        assert reverse("portal:case_detail", args=[fresh.pk]) in html


# --- The public report form ---------------------------------------------------------


class TestReporting:
    url = reverse("housing:issue_report")

    def post(self, client, data, ip=None, **extra):
        # A fresh address for each post unless given: the throttle counts per address.
        ip = ip or f"10.4.1.{next(NETWORKS)}"
        return client.post(self.url, data, REMOTE_ADDR=ip, **extra)

    def test_a_bound_resident_reports_for_their_estate_and_sees_it_in_my_requests(
        self, client, world, estate, other_estate
    ):
        client.force_login(world.users["resident"])
        form = client.get(self.url).context["form"]
        assert form.fields["estate"].initial == estate.pk
        assert [pk for pk, _ in form.fields["estate"].choices] == [estate.pk]
        assert "filer_phone" not in form.fields

        response = self.post(
            client,
            {
                "estate": estate.pk,
                "category": "parking",
                "description": "Cars on the fire lane every night",
                "photo": photo(),
            },
        )

        issue = EstateIssue.objects.get()
        html = response.content.decode()
        assert issue.case.reference in html and response.context["case"] == issue.case
        assert issue.case.filed_by == world.users["resident"]
        assert issue.case.title == "Cars on the fire lane every night"
        assert Attachment.objects.get(case=issue.case).is_public
        listed = client.get(reverse("portal:my_requests")).context["object_list"]
        assert [c.pk for c in listed] == [issue.pk]

    def test_a_visitor_reports_with_a_phone_and_checks_progress_on_the_status_page(
        self, client, world, estate, other_estate
    ):
        form = client.get(self.url).context["form"]
        groups = dict(form.fields["estate"].choices[1:])
        assert sorted(len(g) for g in groups.values()) == [1, 1]

        response = self.post(
            client,
            {
                "estate": other_estate.pk,
                "category": "sanitation",
                "description": "Rubbish not collected for a week " + "x" * 80,
                "filer_name": "赵花",
                "filer_phone": "138 1234 5678",
                "photo": photo(),
            },
            **ENGLISH,
        )

        case = response.context["case"]
        assert "Keep this number" in response.content.decode()
        assert case.filed_by is None and case.filer_phone == PHONE and len(case.title) == 60
        assert case.community == world.areas["community_b"]
        attachment = Attachment.objects.get(case=case)
        assert attachment.is_public and attachment.uploaded_by is None and attachment.thumbnail
        status = client.post(
            reverse("portal:status"),
            {"reference": case.reference, "phone": PHONE},
            REMOTE_ADDR="10.4.0.2",
        )
        assert status.context["case"] == case

    def test_a_bad_report_is_a_form_error_that_keeps_the_input(self, client, world, estate):
        empty = self.post(client, {})
        bad_phone = self.post(
            client,
            {
                "estate": estate.pk,
                "category": "parking",
                "description": "kept description",
                "filer_name": "赵花",
                "filer_phone": "12345",
            },
        )

        assert empty.status_code == 200
        assert {"estate", "description", "filer_name", "filer_phone"} <= set(
            empty.context["form"].errors
        )
        assert bad_phone.status_code == 200
        assert list(bad_phone.context["form"].errors) == ["filer_phone"]
        assert "kept description" in bad_phone.content.decode()
        assert not EstateIssue.objects.exists()

    def test_a_file_that_is_not_a_photo_is_a_form_error(self, client, world, estate):
        response = self.post(
            client,
            {
                "estate": estate.pk,
                "category": "parking",
                "description": "kept",
                "filer_name": "赵花",
                "filer_phone": PHONE,
                "photo": SimpleUploadedFile("x.png", b"MZ\x90\x00" * 20, "image/png"),
            },
        )

        assert response.status_code == 200 and response.context["form"].errors["photo"]
        assert not EstateIssue.objects.exists() and not Case.objects.exists()

    def test_an_account_that_may_not_file_there_gets_a_form_error(self, client, world, estate):
        client.force_login(world.users["official"])

        response = self.post(
            client, {"estate": estate.pk, "category": "parking", "description": "kept text"}
        )

        assert response.status_code == 200 and response.context["form"].non_field_errors()
        assert "kept text" in response.content.decode()
        assert not EstateIssue.objects.exists()

    def test_reports_are_throttled_per_network(self, client, world, estate):
        for _ in range(10):
            self.post(client, {}, ip="10.4.0.9")

        response = self.post(
            client,
            {
                "estate": estate.pk,
                "category": "parking",
                "description": "one too many",
                "filer_name": "赵花",
                "filer_phone": PHONE,
            },
            ip="10.4.0.9",
        )

        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert not EstateIssue.objects.exists()

    def test_the_kit_refuses_a_public_filing_without_a_phone(self, world, estate):
        with pytest.raises(PermissionDenied):
            cases.case_open(
                kind="housing.issue",
                actor=None,
                community=estate.community,
                title="no phone",
                public_filing=True,
            )
        with pytest.raises(PermissionDenied):
            cases.case_open(
                kind="housing.issue",
                actor=None,
                community=estate.community,
                title="not public",
                filer_phone=PHONE,
            )


# --- Turning an issue into a dispute ------------------------------------------------


@pytest.fixture
def dispute_target(monkeypatch):
    """Stands in for the disputes app: the "dispute" is a real case of the kit's test app."""

    def create(*, actor, case):
        return ticket_open(actor=actor, community=case.community, title=case.title).case

    target = HandOverTarget(name="dispute_from", label="Dispute", create=create)
    monkeypatch.setitem(registry.hand_over_targets, "dispute_from", target)
    return target


class TestTurningIntoADispute:
    def test_without_the_disputes_app_it_is_refused_and_not_offered(
        self, client, world, estate, monkeypatch
    ):
        monkeypatch.delitem(registry.hand_over_targets, "dispute_from", raising=False)
        issue = open_issue(world, estate)

        with pytest.raises(ValidationError) as refused:
            desk.estate_issue_to_dispute(actor=world.users["own_staff"], issue=issue)

        assert refused.value.code == "no_disputes"
        client.force_login(world.users["own_staff"])
        page = client.get(reverse("housing:issue_queue"))
        assert page.context["dispute_ids"] == set()
        assert reverse("housing:issue_to_dispute", args=[issue.pk]) not in page.content.decode()
        response = client.post(reverse("housing:issue_to_dispute", args=[issue.pk]))
        assert response.url == reverse("housing:issue_queue")
        assert Case.objects.get(pk=issue.pk).closed_at is None

    def test_with_the_disputes_app_the_issue_closes_naming_the_dispute(
        self, client, world, estate, dispute_target
    ):
        issue = open_issue(world, estate)
        client.force_login(world.users["own_staff"])
        page = client.get(reverse("housing:issue_queue"))
        assert reverse("housing:issue_to_dispute", args=[issue.pk]) in page.content.decode()

        response = client.post(reverse("housing:issue_to_dispute", args=[issue.pk]))

        issue.refresh_from_db()
        dispute = issue.dispute_case
        assert dispute.kind == "kitapp.ticket"
        assert response.url == reverse("portal:case_detail", args=[dispute.pk])
        case = Case.objects.get(pk=issue.pk)
        assert case.status == EstateIssue.Status.TURNED_INTO_DISPUTE and case.closed_at
        closing = case.timeline.get(verb=TimelineEntry.Verb.CLOSED)
        assert closing.is_public and dispute.reference in closing.comment
        again = desk.estate_issue_to_dispute(actor=world.users["own_staff"], issue=issue)
        assert again == dispute and Case.objects.filter(kind="kitapp.ticket").count() == 1

    def test_an_official_may_not_turn_an_issue_into_a_dispute(self, world, estate, dispute_target):
        issue = open_issue(world, estate)

        with pytest.raises(PermissionDenied):
            desk.estate_issue_to_dispute(actor=world.users["official"], issue=issue)


# --- Query counts -------------------------------------------------------------------


def fill_issues(world, estate, rows):
    staff = world.users["own_staff"]
    for n in range(rows):
        issue = open_issue(world, estate, description=f"Problem {n}")
        if n % 3 == 1:
            cases.case_escalate(case=issue.case, actor=staff)
        elif n % 3 == 2:
            cases.case_close(case=issue.case, actor=staff, status="solved")


def fill_visits(world, estate, rows, colleague):
    for n in range(rows):
        visit = schedule(
            world,
            estate,
            at(2026, 11, 1 + n % 28, 9 + n % 8),
            staff=[world.users["own_staff"], colleague],
            now=at(2026, 10, 1, 9),
        )
        if n % 2:
            desk.estate_issue_open(
                actor=world.users["own_staff"],
                estate=estate,
                category="other",
                description=f"at visit {n}",
                desk_visit=visit,
            )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_issue_queue_runs_a_fixed_number_of_queries(
    client, world, estate, rows, dispute_target, django_assert_max_num_queries
):
    fill_issues(world, estate, rows)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(10):
        response = client.get(reverse("housing:issue_queue"), {"estate": estate.pk})
    assert len(response.context["object_list"]) == min(rows, 25)


def test_the_issue_queue_pages_by_cursor_newest_first(client, world, estate):
    fill_issues(world, estate, 30)
    client.force_login(world.users["own_staff"])
    url = reverse("housing:issue_queue")

    first = client.get(url, {"estate": estate.pk})
    keyset = first.context["keyset"]
    assert keyset.has_next and not keyset.has_previous
    second = client.get(url, {"estate": estate.pk, "after": keyset.next_cursor})

    rows = list(first.context["object_list"]) + list(second.context["object_list"])
    assert len(second.context["object_list"]) == 5
    assert {issue.pk for issue in rows} == set(
        EstateIssue.objects.filter(estate=estate).values_list("pk", flat=True)
    )
    keys = [(issue.case.created_at, issue.pk) for issue in rows]
    assert keys == sorted(keys, reverse=True)
    assert second.context["keyset"].has_previous and not second.context["keyset"].has_next
    # The filter stays on the next link.
    assert (
        f"estate={estate.pk}" in first.content.decode().split('rel="next"')[0].rsplit("href", 1)[1]
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_desk_calendar_runs_a_fixed_number_of_queries(
    client, world, estate, colleague, rows, django_assert_max_num_queries
):
    fill_visits(world, estate, rows, colleague)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(7):
        response = client.get(reverse("housing:desk_calendar"), {"month": "2026-11"})
    assert sum(len(v) for _, v in response.context["days"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_the_estate_desk_block_runs_a_fixed_number_of_queries(world, estate, colleague, rows):
    fill_visits(world, estate, rows, colleague)
    fill_issues(world, estate, rows)
    user = world.users["own_staff"]

    with CaptureQueriesContext(connection) as queries:
        desk_context(estate, user)
    assert len(queries) <= 8


# --- Scope --------------------------------------------------------------------------


def test_scope_of_the_desk_calendar(client, world, estate):
    held_visit(world, estate)
    check_scope(
        client,
        world,
        reverse("housing:desk_calendar"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 403,
        },
    )


def test_scope_of_scheduling_a_desk_visit(client, world, estate):
    # The resident lives there (sees the estate) but may not change it: 403, not 404.
    check_scope(
        client,
        world,
        reverse("housing:desk_visit_new", args=[estate.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 404,
        },
    )


def test_scope_of_a_desk_visit(client, world, estate):
    visit = held_visit(world, estate)
    check_scope(
        client,
        world,
        reverse("housing:desk_visit_detail", args=[visit.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 404,
        },
    )


def test_scope_of_recording_a_problem(client, world, estate):
    # Empty posts: a form error (200) for those who may record, 403 or 404 for the rest.
    visit = held_visit(world, estate)
    check_scope(
        client,
        world,
        reverse("housing:desk_visit_record", args=[visit.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 403,
            "org_member": 404,
        },
        method="post",
    )
    assert not EstateIssue.objects.exists()


def test_scope_of_the_issue_queue(client, world, estate):
    open_issue(world, estate)
    responses = check_scope(
        client,
        world,
        reverse("housing:issue_queue"),
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
    assert len(responses["own_staff"].context["object_list"]) == 1
    assert len(responses["other_staff"].context["object_list"]) == 0
    assert len(responses["org_member"].context["object_list"]) == 0


def test_scope_of_the_report_form(client, world, estate):
    check_scope(
        client,
        world,
        reverse("housing:issue_report"),
        {
            "anonymous": 200,
            "resident": 200,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


def test_scope_of_turning_an_issue_into_a_dispute(client, world, estate, monkeypatch):
    # Without the disputes app those who may close are sent back with a message.
    monkeypatch.delitem(registry.hand_over_targets, "dispute_from", raising=False)
    issue = open_issue(world, estate)
    check_scope(
        client,
        world,
        reverse("housing:issue_to_dispute", args=[issue.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 302,
            "official": 403,
            "org_member": 404,
        },
        method="post",
    )
    assert Case.objects.get(pk=issue.pk).closed_at is None
