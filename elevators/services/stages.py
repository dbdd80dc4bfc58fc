"""Moving a project through its stages, and recording the checklist each stage needs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Case, FollowUp, TimelineEntry
from portal.roles import Action, Role
from portal.rules import rules_for
from portal.scope import require
from portal.services import cases as kit
from portal.services import followups
from portal.services.attachments import attachment_add
from portal.workdays import due_after

from .. import stages as flow
from ..models import ChecklistItem, Project, Stage

NOON = time(12, 0)


def _require_change(actor, project: Project) -> None:
    require(actor, Action.CHANGE, project.case)


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def stage_entered_on(project: Project) -> dict[str, date]:
    """The date each stage was (last) entered, read from the case timeline."""
    entered: dict[str, date] = {}
    previous = None
    entries = (
        TimelineEntry.objects.filter(case_id=project.pk)
        .exclude(status_after="")
        .order_by("at", "pk")
        .values_list("status_after", "at")
    )
    for status, at in entries:
        if status != previous:
            entered[status] = _local_date(at)
        previous = status
    return entered


def stage_left_for_suspension(project: Project) -> str | None:
    """The stage a suspended project left: the last status on its timeline before it was
    suspended; a resume returns there."""
    return (
        TimelineEntry.objects.filter(case_id=project.pk)
        .exclude(status_after__in=["", Stage.SUSPENDED, Stage.CANCELLED])
        .order_by("-at", "-pk")
        .values_list("status_after", flat=True)
        .first()
    )


def missing_for(project: Project, stage: str, recorded: set[str] | None = None):
    """The checklist items `stage` needs that the project has not recorded."""
    if recorded is None:
        recorded = set(project.checklist.values_list("code", flat=True))
    return [item for item in flow.required_to_enter(stage) if item.code not in recorded]


def notice_days_left(project: Project, today: date) -> int | None:
    """Full days of public notice still to run; None when the notice has not started."""
    if not project.notice_starts_on:
        return None
    return max(0, flow.NOTICE_DAYS - (today - project.notice_starts_on).days)


def vote_passed(frozen_result: dict) -> bool:
    """Did the closed vote reach consent? The top-level "passed" when the result carries
    it, else the governing rule's result."""
    if "passed" in frozen_result:
        return bool(frozen_result["passed"])
    try:
        return bool(frozen_result["results"][frozen_result.get("governing", 0)]["passed"])
    except (KeyError, IndexError, TypeError):
        return False


def _effective_moment(project: Project, on: date | None, now: datetime) -> tuple[date, datetime]:
    """The date the move took effect and the moment recorded for it: now, or noon of an
    earlier `on` (never before the current stage began, never in the future)."""
    today = _local_date(now)
    if on is None or on == today:
        return today, now
    if on > today:
        raise field_error("on", _("The date cannot be in the future."), "future")
    began = _local_date(project.stage_changed_at)
    if on < began:
        raise field_error(
            "on",
            _("The current stage began on %(date)s; choose that day or later.")
            % {"date": began.isoformat()},
            "before_stage",
        )
    moment = datetime.combine(on, NOON, tzinfo=timezone.get_current_timezone())
    return on, max(moment, project.stage_changed_at)


def _check_move(project: Project, to: str, on: date) -> str | None:
    """Refuse a move the rules do not allow; returns the stage resumed to, if any."""
    current = project.stage
    if to not in Stage.values:
        raise field_error("to", _("Unknown stage."), "unknown_stage")
    if to == current:
        raise field_error("to", _("The project is already at this stage."), "same_stage")
    resume_to = stage_left_for_suspension(project) if current == Stage.SUSPENDED else None
    if to not in flow.allowed_moves(current, resume_to):
        if current == Stage.CANCELLED:
            message = _("The project is cancelled; it cannot move any more.")
        elif current == Stage.IN_USE:
            message = _("The elevator is in use; the project has no further stage.")
        elif current == Stage.SUSPENDED:
            message = _("A suspended project resumes at the stage it left, %(stage)s.") % {
                "stage": Stage(resume_to).label if resume_to else "—"
            }
        else:
            message = _(
                "From %(current)s the project can only move on to %(next)s, "
                "or be suspended or cancelled."
            ) % {
                "current": Stage(current).label,
                "next": Stage(flow.next_stage(current)).label,
            }
        raise field_error("to", message, "not_allowed")
    if current == Stage.SUSPENDED:
        return resume_to
    if current == Stage.VOTING and to == Stage.CONSENT_REACHED:
        result = project.frozen_result
        if result is None:
            raise ValidationError(_("The vote is not closed yet."), code="vote_open")
        if not vote_passed(result):
            raise ValidationError(
                _("The vote did not reach consent under the governing rule."), code="vote_failed"
            )
    if current == Stage.PUBLIC_NOTICE and to == Stage.APPROVAL:
        left = notice_days_left(project, on)
        if left is None or left > 0:
            raise ValidationError(
                _(
                    "The public notice must run at least %(days)s full days; "
                    "days still to run: %(left)s."
                )
                % {"days": flow.NOTICE_DAYS, "left": flow.NOTICE_DAYS if left is None else left},
                code="notice_running",
            )
    missing = missing_for(project, to)
    if missing:
        raise ValidationError(
            _("Record these first: %(items)s.")
            % {"items": _("; ").join(str(item.label) for item in missing)},
            code="checklist_missing",
        )
    return None


def _move_comment(to: str, on: date, note: str) -> str:
    comment = _("Stage: %(stage)s, from %(date)s.") % {
        "stage": Stage(to).label,
        "date": on.isoformat(),
    }
    return f"{comment}\n{note.strip()}" if note.strip() else comment


def _schedule_use_registration_reminder(case: Case, actor, entered: datetime) -> None:
    deadline = _local_date(entered) + timedelta(days=flow.USE_REGISTRATION_DAYS)
    followups.followup_schedule(
        case=case,
        role=Role.COMMUNITY_STAFF,
        area=case.community,
        due_at=entered + timedelta(days=flow.USE_REGISTRATION_REMINDER_DAYS),
        reason=_("%(reference)s: register the elevator's use by %(date)s (%(title)s)")
        % {"reference": case.reference, "date": deadline.isoformat(), "title": case.title},
        created_by=actor,
    )


@transaction.atomic
def stage_move(
    *,
    actor,
    project: Project,
    to: str,
    note: str = "",
    on: date | None = None,
    now: datetime | None = None,
) -> Project:
    """Move the project to `to`: the next stage in order, suspended or cancelled, or back
    from a suspension to the stage it left; each with a public timeline entry."""
    now = now or timezone.now()
    project = (
        Project.objects.select_for_update().select_related("case__community").get(pk=project.pk)
    )
    _require_change(actor, project)
    on, at = _effective_moment(project, on, now)
    resumed_from = project.stage if project.stage == Stage.SUSPENDED else None
    _check_move(project, to, on)
    case = project.case
    comment = _move_comment(to, on, note)
    if to == Stage.CANCELLED:
        kit.case_close(case=case, actor=actor, status=to, comment=comment, now=at)
    else:
        kit.case_transition(case=case, actor=actor, status=to, comment=comment, public=True, now=at)
        payload, _rule_set = rules_for("elevators.project", case.community, at)
        kit.case_set_due(
            case=case,
            actor=actor,
            due_at=due_after(at, payload["time_limit_days"], working_days=payload["working_days"]),
            reason=_("New stage: the community looks at it again by the due date."),
            now=at,
        )
    project.stage, project.stage_changed_at = to, at
    fields = ["stage", "stage_changed_at"]
    if to == Stage.PUBLIC_NOTICE and not resumed_from:
        project.notice_starts_on = on
        fields.append("notice_starts_on")
    project.save(update_fields=fields)
    if to == Stage.IN_USE:
        _schedule_use_registration_reminder(case, actor, at)
    return project


@transaction.atomic
def checklist_record(
    *,
    actor,
    project: Project,
    code: str,
    done_on: date,
    note: str = "",
    upload=None,
    now: datetime | None = None,
) -> ChecklistItem:
    """Record a checklist item (a survey, permit or inspection), with an optional scan;
    recording it again replaces the date and note."""
    now = now or timezone.now()
    _require_change(actor, project)
    requirement = flow.CHECKLIST_BY_CODE.get(code)
    if requirement is None:
        raise field_error("code", _("Unknown checklist item."), "unknown_item")
    if project.stage == Stage.CANCELLED:
        raise ValidationError(_("The project is cancelled."), code="cancelled")
    if done_on > _local_date(now):
        raise field_error("done_on", _("The date cannot be in the future."), "future")
    defaults = {"done_on": done_on, "note": note.strip(), "recorded_by": actor}
    if upload is not None:
        defaults["attachment"] = attachment_add(case=project.case, actor=actor, upload=upload)
    item, _created = ChecklistItem.objects.update_or_create(
        project=project, code=code, defaults=defaults
    )
    if code == flow.USE_REGISTRATION:
        for reminder in use_registration_reminders(project).filter(state=FollowUp.State.SCHEDULED):
            followups.followup_cancel(follow_up=reminder, now=now)
    kit.case_comment(
        case=project.case,
        actor=actor,
        comment=_("Recorded: %(item)s, done on %(date)s.")
        % {"item": requirement.label, "date": done_on.isoformat()},
        public=True,
        now=now,
    )
    return item


def use_registration_reminders(project: Project):
    """The reminder to register the elevator's use, scheduled when it entered use."""
    if project.stage != Stage.IN_USE:
        return FollowUp.objects.none()
    return FollowUp.objects.filter(
        case_id=project.pk,
        purpose=FollowUp.Purpose.MANUAL,
        assignee_role=Role.COMMUNITY_STAFF,
        due_at=project.stage_changed_at + timedelta(days=flow.USE_REGISTRATION_REMINDER_DAYS),
    )


__all__ = [
    "checklist_record",
    "missing_for",
    "notice_days_left",
    "stage_entered_on",
    "stage_left_for_suspension",
    "stage_move",
    "use_registration_reminders",
]
