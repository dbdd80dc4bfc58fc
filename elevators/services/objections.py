"""Objections to a project, the coordination meetings that settle them ("有事来商量",
legal aid, site survey, neighbour talks), and handing an objection to the clinic."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Household
from housing.services.registry import is_verified_owner
from portal.models import Case
from portal.registry import registry
from portal.roles import Action, Role
from portal.scope import can, may_at, require
from portal.services import cases as kit
from portal.services import followups

from ..models import Meeting, Objection, Project, Stage
from .stages import field_error

LOW_FLOOR_UP_TO = 2
DISPUTE_KIND = "disputes.dispute"


def may_object_for(user, project: Project, household: Household) -> bool:
    """A household's verified owner objects for it; staff who may change the project
    record an objection for any household of the unit on its behalf."""
    if household.unit_id != project.unit_id:
        return False
    return is_verified_owner(user, household) or can(user, Action.CHANGE, project.case)


def _require_change(actor, project: Project) -> None:
    require(actor, Action.CHANGE, project.case)


@transaction.atomic
def objection_raise(
    *,
    user,
    project: Project,
    household: Household,
    reason: str,
    description: str,
    now: datetime | None = None,
) -> Objection:
    """An objection for a household of the project's unit; the community's staff are told."""
    now = now or timezone.now()
    if household.unit_id != project.unit_id:
        raise field_error("household", _("Choose a household of this unit."), "other_unit")
    if not may_object_for(user, project, household):
        raise PermissionDenied
    if project.stage in (Stage.CANCELLED, Stage.IN_USE):
        raise ValidationError(
            _("Objections are taken while the project is being prepared or built."),
            code="closed_stage",
        )
    if reason not in Objection.Reason.values:
        raise field_error("reason", _("Choose a reason."), "reason")
    if not description.strip():
        raise field_error("description", _("Say what the objection is about."), "empty")
    if Objection.objects.filter(
        project=project, household=household, reason=reason, status=Objection.Status.OPEN
    ).exists():
        raise ValidationError(
            _("This household already has an open objection for this reason."),
            code="duplicate",
        )
    objection = Objection.objects.create(
        project=project,
        household=household,
        reason=reason,
        description=description.strip(),
        low_floor=household.floor <= LOW_FLOOR_UP_TO,
        raised_by=user,
        raised_at=now,
    )
    case = project.case
    followups.followup_schedule(
        case=case,
        role=Role.COMMUNITY_STAFF,
        area=case.community,
        due_at=now,
        reason=_("%(reference)s: an objection (%(reason)s) was raised by %(room)s")
        % {
            "reference": case.reference,
            "reason": objection.get_reason_display(),
            "room": household.room_number,
        },
        created_by=user,
    )
    return objection


def _resolve(objection: Objection, meeting: Meeting | None) -> bool:
    """Mark an open objection resolved; False when it was not open."""
    updated = Objection.objects.filter(pk=objection.pk, status=Objection.Status.OPEN).update(
        status=Objection.Status.RESOLVED
    )
    if updated and meeting is not None:
        meeting.resolved_objections.add(objection)
    objection.status = Objection.Status.RESOLVED if updated else objection.status
    return bool(updated)


@transaction.atomic
def objection_resolve(
    *, actor, objection: Objection, meeting: Meeting | None = None, now: datetime | None = None
) -> Objection:
    """Settle an open objection, with the meeting where it was settled if there was one."""
    objection = (
        Objection.objects.select_for_update().select_related("project__case").get(pk=objection.pk)
    )
    project = objection.project
    _require_change(actor, project)
    if meeting is not None and meeting.project_id != project.pk:
        raise field_error("meeting", _("The meeting is not about this project."), "other_project")
    if objection.status == Objection.Status.RESOLVED:
        return objection
    if objection.status == Objection.Status.HANDED_OVER:
        raise ValidationError(
            _("This objection was handed to the clinic; it is settled there."),
            code="handed_over",
        )
    _resolve(objection, meeting)
    kit.case_comment(
        case=project.case,
        actor=actor,
        comment=_("An objection (%(reason)s) was resolved.")
        % {"reason": objection.get_reason_display()},
        public=True,
        now=now,
    )
    return objection


def dispute_target():
    """The disputes app's "dispute_from" hand-over, or None when it is not installed."""
    return registry.hand_over_target("dispute_from")


def may_hand_over(user, project: Project) -> bool:
    """Offer the hand-over only when the disputes app is there and the user may change
    the project and open a dispute in its community."""
    return (
        dispute_target() is not None
        and project.case.closed_at is None
        and can(user, Action.CHANGE, project.case)
        and may_at(user, Action.CREATE, DISPUTE_KIND, project.case.community)
    )


@transaction.atomic
def objection_to_dispute(*, actor, objection: Objection, now: datetime | None = None) -> Case:
    """Hand an open objection to the mediation clinic: the disputes app opens (or finds)
    the dispute about the project, and the objection is linked to it."""
    target = dispute_target()
    if target is None:
        raise ValidationError(
            _("Disputes are not available, so the objection cannot be handed over."),
            code="no_disputes",
        )
    objection = (
        Objection.objects.select_for_update()
        .select_related("project__case", "household")
        .get(pk=objection.pk)
    )
    project = objection.project
    _require_change(actor, project)
    if objection.status == Objection.Status.HANDED_OVER and objection.dispute_case_id:
        return objection.dispute_case
    if objection.status != Objection.Status.OPEN:
        raise ValidationError(
            _("Only an open objection can be handed to the clinic."), code="not_open"
        )
    dispute = target.create(actor=actor, case=project.case)
    objection.dispute_case = dispute
    objection.status = Objection.Status.HANDED_OVER
    objection.save(update_fields=["dispute_case", "status"])
    if can(actor, Action.CHANGE, dispute):
        # The dispute is about the project; this says which household objects and why.
        kit.case_comment(
            case=dispute,
            actor=actor,
            comment=_("Objection from %(room)s (%(reason)s): %(description)s")
            % {
                "room": objection.household.room_number,
                "reason": objection.get_reason_display(),
                "description": objection.description,
            },
            now=now,
        )
    return dispute


@transaction.atomic
def meeting_record(
    *,
    actor,
    project: Project,
    kind: str,
    held_at: datetime,
    attendees: str,
    minutes: str = "",
    outcome: str = "",
    resolved_objections=(),
    now: datetime | None = None,
) -> Meeting:
    """A coordination meeting held about the project, settling the objections chosen."""
    now = now or timezone.now()
    _require_change(actor, project)
    if kind not in Meeting.Kind.values:
        raise field_error("kind", _("Choose the kind of meeting."), "kind")
    if timezone.is_naive(held_at):
        raise ValueError("held_at must be aware")
    if held_at > now:
        raise field_error("held_at", _("Record a meeting once it has taken place."), "future")
    if not attendees.strip():
        raise field_error("attendees", _("Say who attended."), "attendees")
    chosen = list(
        Objection.objects.select_for_update().filter(pk__in=[o.pk for o in resolved_objections])
    )
    if any(o.project_id != project.pk or o.status != Objection.Status.OPEN for o in chosen):
        raise field_error(
            "resolved_objections", _("Choose open objections to this project."), "objections"
        )
    meeting = Meeting.objects.create(
        project=project,
        kind=kind,
        held_at=held_at,
        attendees=attendees.strip(),
        minutes=minutes.strip(),
        outcome=outcome.strip(),
        recorded_by=actor,
    )
    for objection in chosen:
        _resolve(objection, meeting)
    comment = _("%(kind)s held on %(date)s.") % {
        "kind": meeting.get_kind_display(),
        "date": timezone.localtime(held_at).date().isoformat(),
    }
    if chosen:
        comment += " " + _("Objections resolved: %(count)s.") % {"count": len(chosen)}
    kit.case_comment(case=project.case, actor=actor, comment=comment, public=True, now=now)
    return meeting


__all__ = [
    "may_hand_over",
    "may_object_for",
    "meeting_record",
    "objection_raise",
    "objection_resolve",
    "objection_to_dispute",
]
