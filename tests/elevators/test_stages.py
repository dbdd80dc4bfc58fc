"""Stages of an elevator project: the order, the vote and notice rules, the checklist that
blocks a move, suspending and resuming, the use-registration reminder, and the pages."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from elevators import stages as flow
from elevators.models import ChecklistItem, Project, Stage
from elevators.services.stages import (
    checklist_record,
    stage_left_for_suspension,
    stage_move,
    use_registration_reminders,
)
from elevators.views.stages import stages_context
from portal.models import Case, FollowUp, TimelineEntry
from portal.roles import Role
from portal.services.cases import case_open
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASSED = {"governing": 0, "passed": True, "results": [{"passed": True}]}
FAILED = {"governing": 0, "passed": False, "results": [{"passed": False}]}
# What the consent engineer's vote_close writes: no top-level "passed".
CLOSED_PASSING = {"governing": 1, "results": [{"passed": False}, {"passed": True}]}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def project(world):
    _estate, flats = estate_with_households(world.areas["community_a"], households=12)
    case = case_open(
        kind="elevators.project",
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="1号楼1单元 加装电梯",
    )
    return Project.objects.create(
        case=case, unit=flats[0].unit, total_cost=Decimal("600000"), subsidy=Decimal("200000")
    )


def later(days: int) -> datetime:
    """A moment `days` days from now (the project was opened by the real clock)."""
    return timezone.now() + timedelta(days=days)


def move(world, project, to, **kwargs):
    return stage_move(actor=world.users["own_staff"], project=project, to=to, **kwargs)


def record(world, project, code, done_on=None, **kwargs):
    return checklist_record(
        actor=world.users["own_staff"],
        project=project,
        code=code,
        done_on=done_on or timezone.localdate(),
        **kwargs,
    )


def refusal(callable_, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        callable_(**kwargs)
    return caught.value


def code_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return next(e.code for errors in error.error_dict.values() for e in errors)
    return error.error_list[0].code


def to_consent(world, project, **kwargs):
    move(world, project, Stage.VOTING, **kwargs)
    Project.objects.filter(pk=project.pk).update(frozen_result=PASSED, vote_closed_at=later(0))
    project.refresh_from_db()
    return move(world, project, Stage.CONSENT_REACHED, **kwargs)


def to_notice(world, project, **kwargs):
    to_consent(world, project, **kwargs)
    return move(world, project, Stage.PUBLIC_NOTICE, **kwargs)


def to_approval(world, project):
    to_notice(world, project)
    record(world, project, flow.SITE_SURVEY)
    record(world, project, flow.SAFETY_APPRAISAL)
    return move(world, project, Stage.APPROVAL, now=later(20))


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return SimpleUploadedFile("permit.png", out.getvalue(), content_type="image/png")


# --- The order of stages ------------------------------------------------------------------


def test_a_project_moves_to_the_next_stage_with_a_public_dated_timeline_entry(world, project):
    project = move(world, project, Stage.VOTING, note="Canvass from Monday")

    case = Case.objects.get(pk=project.pk)
    assert project.stage == case.status == Stage.VOTING
    entry = TimelineEntry.objects.filter(case=case, status_after=Stage.VOTING).first()
    assert entry.is_public
    today = timezone.localdate().isoformat()
    assert entry.comment == f"Stage: consultation and voting, from {today}.\nCanvass from Monday"


def test_skipping_a_stage_is_refused_with_the_next_one_named(world, project):
    error = refusal(move, world=world, project=project, to=Stage.CONSENT_REACHED)

    assert error.message_dict["to"] == [
        "From intent the project can only move on to consultation and voting, "
        "or be suspended or cancelled."
    ]
    assert Project.objects.get(pk=project.pk).stage == Stage.INTENT


def test_moving_back_is_refused(world, project):
    move(world, project, Stage.VOTING)

    error = refusal(move, world=world, project=project, to=Stage.INTENT)

    assert code_of(error) == "not_allowed"


def test_moving_to_the_same_stage_is_refused(world, project):
    error = refusal(move, world=world, project=project, to=Stage.INTENT)

    assert error.message_dict["to"] == ["The project is already at this stage."]


def test_an_unknown_stage_is_refused(world, project):
    error = refusal(move, world=world, project=project, to="flying")

    assert error.message_dict["to"] == ["Unknown stage."]


def test_a_cancelled_project_cannot_move_and_its_case_is_closed(world, project):
    move(world, project, Stage.CANCELLED, note="The owners gave up")
    assert Case.objects.get(pk=project.pk).closed_at is not None

    error = refusal(move, world=world, project=project, to=Stage.VOTING)

    assert error.message_dict["to"] == ["The project is cancelled; it cannot move any more."]


def test_a_resident_cannot_move_a_stage(world, project):
    with pytest.raises(PermissionDenied):
        stage_move(actor=world.users["resident"], project=project, to=Stage.VOTING)


def test_a_future_date_is_refused(world, project):
    error = refusal(
        move,
        world=world,
        project=project,
        to=Stage.VOTING,
        on=timezone.localdate() + timedelta(days=1),
    )

    assert error.message_dict["on"] == ["The date cannot be in the future."]


def test_a_date_before_the_current_stage_began_is_refused(world, project):
    error = refusal(move, world=world, project=project, to=Stage.VOTING, on=date(2020, 1, 1))

    assert code_of(error) == "before_stage"


# --- The vote ---------------------------------------------------------------------------


def test_consent_is_refused_while_the_vote_is_open(world, project):
    move(world, project, Stage.VOTING)

    error = refusal(move, world=world, project=project, to=Stage.CONSENT_REACHED)

    assert error.messages == ["The vote is not closed yet."]


def test_consent_is_refused_when_the_frozen_result_failed(world, project):
    move(world, project, Stage.VOTING)
    Project.objects.filter(pk=project.pk).update(frozen_result=FAILED)

    error = refusal(move, world=world, project=project, to=Stage.CONSENT_REACHED)

    assert error.messages == ["The vote did not reach consent under the governing rule."]


def test_consent_follows_a_passed_vote(world, project):
    assert to_consent(world, project).stage == Stage.CONSENT_REACHED


def test_without_a_top_level_verdict_the_governing_rule_decides(world, project):
    move(world, project, Stage.VOTING)
    Project.objects.filter(pk=project.pk).update(frozen_result=CLOSED_PASSING)

    assert move(world, project, Stage.CONSENT_REACHED).stage == Stage.CONSENT_REACHED


# --- The public notice --------------------------------------------------------------------


def test_entering_the_notice_sets_its_first_day(world, project):
    start = later(1)
    project = to_notice(world, project, now=start)

    assert project.notice_starts_on == timezone.localtime(start).date()


def test_approval_is_refused_after_19_days_of_notice_and_allowed_after_20(world, project):
    start = later(1)
    to_notice(world, project, now=start)
    record(world, project, flow.SITE_SURVEY)
    record(world, project, flow.SAFETY_APPRAISAL)

    error = refusal(
        move, world=world, project=project, to=Stage.APPROVAL, now=start + timedelta(days=19)
    )
    assert error.messages == [
        "The public notice must run at least 20 full days; days still to run: 1."
    ]

    project = move(world, project, Stage.APPROVAL, now=start + timedelta(days=20))
    assert project.stage == Stage.APPROVAL


def test_the_page_counts_down_the_notice(client, world, project):
    to_notice(world, project)
    project.refresh_from_db()
    Project.objects.filter(pk=project.pk).update(
        notice_starts_on=timezone.localdate() - timedelta(days=5)
    )
    project.refresh_from_db()

    context = stages_context(project, world.users["resident"])

    assert context["notice_days_left"] == 15
    assert context["notice_ends_on"] == timezone.localdate() + timedelta(days=15)


# --- The checklist ------------------------------------------------------------------------


def test_approval_is_blocked_until_the_survey_and_the_safety_appraisal_are_recorded(world, project):
    to_notice(world, project)
    twenty_days_on = later(20)

    error = refusal(move, world=world, project=project, to=Stage.APPROVAL, now=twenty_days_on)
    assert error.messages == [
        "Record these first: Joint site survey (联合踏勘); House safety appraisal."
    ]

    record(world, project, flow.SITE_SURVEY)
    error = refusal(move, world=world, project=project, to=Stage.APPROVAL, now=twenty_days_on)
    assert error.messages == ["Record these first: House safety appraisal."]

    record(world, project, flow.SAFETY_APPRAISAL)
    assert move(world, project, Stage.APPROVAL, now=twenty_days_on).stage == Stage.APPROVAL


def test_construction_needs_the_planning_permit(world, project):
    to_approval(world, project)
    now = later(21)

    error = refusal(move, world=world, project=project, to=Stage.CONSTRUCTION, now=now)
    assert code_of(error) == "checklist_missing"

    record(world, project, flow.PLANNING_PERMIT)
    assert move(world, project, Stage.CONSTRUCTION, now=now).stage == Stage.CONSTRUCTION


def test_use_needs_the_acceptance_inspection_and_schedules_the_registration_reminder(
    world, project
):
    to_approval(world, project)
    record(world, project, flow.PLANNING_PERMIT)
    move(world, project, Stage.CONSTRUCTION, now=later(21))
    move(world, project, Stage.ACCEPTANCE, now=later(60))
    in_use_at = later(90)

    error = refusal(move, world=world, project=project, to=Stage.IN_USE, now=in_use_at)
    assert error.messages == ["Record these first: Acceptance inspection (监督检验/竣工验收)."]

    record(world, project, flow.ACCEPTANCE_INSPECTION)
    project = move(world, project, Stage.IN_USE, now=in_use_at)

    reminder = use_registration_reminders(project).get()
    assert reminder.due_at == in_use_at + timedelta(days=25)
    assert reminder.assignee_role == Role.COMMUNITY_STAFF
    assert reminder.assignee_area == world.areas["community_a"]
    deadline = (timezone.localtime(in_use_at) + timedelta(days=30)).date().isoformat()
    assert deadline in reminder.reason

    error = refusal(move, world=world, project=project, to=Stage.SUSPENDED, now=later(91))
    assert error.messages == ["The elevator is in use; the project has no further stage."]

    record(world, project, flow.USE_REGISTRATION, done_on=timezone.localdate())
    reminder.refresh_from_db()
    assert reminder.state == FollowUp.State.CANCELLED


def test_a_checklist_item_keeps_its_scan_and_can_be_recorded_again(world, project):
    item = record(world, project, flow.SITE_SURVEY, note="Joint survey", upload=png())
    assert item.attachment.case_id == project.pk

    record(world, project, flow.SITE_SURVEY, done_on=date(2024, 5, 1))

    item = ChecklistItem.objects.get(project=project, code=flow.SITE_SURVEY)
    assert item.done_on == date(2024, 5, 1)
    entry = TimelineEntry.objects.filter(case_id=project.pk).order_by("-pk").first()
    assert entry.is_public
    assert entry.comment == "Recorded: Joint site survey (联合踏勘), done on 2024-05-01."


def test_an_unknown_checklist_item_and_a_future_date_are_refused(world, project):
    error = refusal(record, world=world, project=project, code="tea_party")
    assert error.message_dict["code"] == ["Unknown checklist item."]

    error = refusal(
        record,
        world=world,
        project=project,
        code=flow.SITE_SURVEY,
        done_on=timezone.localdate() + timedelta(days=2),
    )
    assert error.message_dict["done_on"] == ["The date cannot be in the future."]


# --- Suspending and resuming -----------------------------------------------------------------


def test_a_suspended_project_resumes_at_the_stage_it_left(world, project):
    to_notice(world, project)
    notice_start = Project.objects.get(pk=project.pk).notice_starts_on
    move(world, project, Stage.SUSPENDED, note="Owner in hospital")
    record(world, project, flow.SITE_SURVEY)  # timeline entries while suspended

    assert stage_left_for_suspension(project) == Stage.PUBLIC_NOTICE
    error = refusal(move, world=world, project=project, to=Stage.APPROVAL)
    assert error.messages == ["A suspended project resumes at the stage it left, public notice."]

    project = move(world, project, Stage.PUBLIC_NOTICE)

    assert project.stage == Case.objects.get(pk=project.pk).status == Stage.PUBLIC_NOTICE
    assert project.notice_starts_on == notice_start


def test_a_suspended_project_can_be_cancelled(world, project):
    move(world, project, Stage.SUSPENDED)

    assert move(world, project, Stage.CANCELLED).stage == Stage.CANCELLED


# --- The panel ------------------------------------------------------------------------------


def test_the_stage_panel_shows_the_bar_group_dates_and_missing_items(world, project):
    to_consent(world, project)
    project.refresh_from_db()

    context = stages_context(project, world.users["own_staff"])

    states = {step["value"]: step["state"] for step in context["stage_bar"]}
    assert states[Stage.VOTING] == "done"
    assert states[Stage.CONSENT_REACHED] == "current"
    assert states[Stage.APPROVAL] == "upcoming"
    dates = {step["value"]: step["date"] for step in context["stage_bar"]}
    assert dates[Stage.INTENT] == dates[Stage.VOTING] == timezone.localdate()
    assert dates[Stage.APPROVAL] is None
    assert str(context["stage_group"]) == "in preparation"
    assert {row["code"]: row["missing"] for row in context["checklist"]}[flow.SITE_SURVEY]
    assert context["stage_form"] is not None


def test_residents_see_the_panel_without_forms(world, project):
    context = stages_context(project, world.users["resident"])

    assert context["stage_form"] is None
    assert context["checklist_form"] is None


# --- Pages --------------------------------------------------------------------------------


def project_path(project) -> str:
    return f"/elevators/{project.pk}/"


def test_stage_move_answers_each_persona(client, world, project):
    url = reverse("elevators:stage_move", args=[project.pk])

    responses = check_scope(
        client,
        world,
        url,
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
        data={"to": Stage.VOTING},
    )

    assert responses["own_staff"]["Location"] == project_path(project)
    assert Project.objects.get(pk=project.pk).stage == Stage.VOTING


def test_stage_move_is_post_only(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("elevators:stage_move", args=[project.pk]))

    assert response.status_code == 405


def test_a_refused_move_is_a_form_error_on_the_page(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:stage_move", args=[project.pk]),
        {"to": Stage.APPROVAL, "note": "Too early"},
        **ENGLISH,
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "From intent the project can only move on to consultation and voting" in content
    assert "Too early" in content


def test_a_bad_date_is_a_form_error(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:stage_move", args=[project.pk]),
        {"to": Stage.VOTING, "on": "yesterday-ish"},
        **ENGLISH,
    )

    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_checklist_answers_each_persona(client, world, project):
    url = reverse("elevators:checklist", args=[project.pk])
    today = timezone.localdate().isoformat()

    responses = check_scope(
        client,
        world,
        url,
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
        data={"code": flow.SITE_SURVEY, "done_on": today},
    )

    assert responses["own_staff"]["Location"] == project_path(project)
    assert ChecklistItem.objects.filter(project=project, code=flow.SITE_SURVEY).exists()


def test_a_checklist_scan_is_uploaded_with_the_form(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:checklist", args=[project.pk]),
        {"code": flow.PLANNING_PERMIT, "done_on": "2024-05-02", "note": "No. 17", "file": png()},
    )

    assert response.status_code == 302
    item = ChecklistItem.objects.get(project=project, code=flow.PLANNING_PERMIT)
    assert item.attachment.original_name == "permit.png"
    assert item.note == "No. 17"


def test_a_file_that_is_not_a_scan_is_a_form_error(client, world, project):
    client.force_login(world.users["own_staff"])
    text = SimpleUploadedFile("permit.txt", b"hello", content_type="text/plain")

    response = client.post(
        reverse("elevators:checklist", args=[project.pk]),
        {"code": flow.PLANNING_PERMIT, "done_on": "2024-05-02", "note": "No. 17", "file": text},
        **ENGLISH,
    )

    assert response.status_code == 200
    assert "This file is not a photo or PDF." in response.content.decode()
    assert "No. 17" in response.content.decode()
    assert not ChecklistItem.objects.filter(project=project).exists()


def test_a_checklist_item_without_a_date_is_a_form_error(client, world, project):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("elevators:checklist", args=[project.pk]), {"code": flow.SITE_SURVEY}, **ENGLISH
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_project_page_shows_the_stage_panel(client, world, project):
    Project.objects.filter(pk=project.pk).update(
        stage=Stage.PUBLIC_NOTICE, notice_starts_on=timezone.localdate()
    )
    Case.objects.filter(pk=project.pk).update(status=Stage.PUBLIC_NOTICE)
    client.force_login(world.users["own_staff"])

    response = client.get(project_path(project), **ENGLISH)

    assert response.status_code == 200
    content = response.content.decode()
    if "stages-heading" not in content:
        pytest.skip("the project page does not include the stage panel yet")
    assert "20 days left" in content
    assert reverse("elevators:stage_move", args=[project.pk]) in content


def test_stage_dates_on_the_bar_come_from_the_timeline(world, project):
    earlier = datetime(2024, 3, 1, 9, tzinfo=SHANGHAI)
    TimelineEntry.objects.filter(case_id=project.pk).update(at=earlier)
    project = move(world, project, Stage.VOTING)

    bar = {
        step["value"]: step["date"]
        for step in stages_context(project, world.users["own_staff"])["stage_bar"]
    }

    assert bar[Stage.INTENT] == date(2024, 3, 1)
    assert bar[Stage.VOTING] == timezone.localdate()
