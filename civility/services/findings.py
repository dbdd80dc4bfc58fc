"""Findings (case kind "civility.finding"): how each failed criterion is settled.

- fixed on the spot (现场整改): only with a photo after the fix, attached to the case;
- handed over verbally (口头交办): settled in the visit, not sent to the district platform;
- fixed by the unit's own inspection: settled in the visit;
- rectification by a deadline: the case's due date, sent to the district platform, and a
  re-check (回头看) follow-up for the inspector on that date. The re-check closes the
  finding (passed) or marks it "failed the re-check", open, for a supervision order.
The first three close the case as resolved at once; the last keeps it open until the
re-check.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.roles import Action
from portal.scope import reach, require
from portal.services import cases as kit
from portal.services import followups
from portal.services.attachments import attachment_add

from ..models import Finding, FindingStatus, Resolution, Severity

KIND = "civility.finding"
# The working day's end: the deadline and the re-check reminder fall then.
DEADLINE_TIME = time(18, 0)
LONGEST_DEADLINE_DAYS = 366
SETTLED_IN_THE_VISIT = (Resolution.FIXED_ON_SPOT, Resolution.VERBAL, Resolution.SELF_FIX)


def withdrawn_q(prefix: str = "") -> Q:
    """Findings withdrawn during their inspection: measures that count problems found
    leave these out."""
    return Q(**{f"{prefix}case__status": FindingStatus.WITHDRAWN})


def sees_findings(user) -> bool:
    """The finding list is for staff and officers by area and for responsible units."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths or r.organisation_ids)


def may_work_on(user, finding: Finding) -> bool:
    from portal.scope import can

    return can(user, Action.CHANGE, finding)


def resolvable(finding: Finding) -> bool:
    case = finding.case
    return (
        not case.closed_at
        and not finding.resolution
        and not finding.order_id
        and case.status == FindingStatus.OPEN
    )


def rechecking(finding: Finding) -> bool:
    return (
        not finding.case.closed_at
        and finding.resolution == Resolution.DEADLINE
        and finding.case.status == FindingStatus.RECTIFYING
        and not finding.order_id
    )


def deadline_at(day: date):
    return timezone.make_aware(datetime.combine(day, DEADLINE_TIME))


def _lock(finding: Finding) -> Finding:
    """Re-read under a lock so two inspectors cannot settle one finding twice."""
    locked = Finding.objects.select_for_update().select_related("case").get(pk=finding.pk)
    finding.resolution, finding.order_id = locked.resolution, locked.order_id
    finding.case = locked.case
    return finding


def _attach(finding: Finding, actor, upload, field: str):
    try:
        attachment = attachment_add(case=finding.case, actor=actor, upload=upload, is_public=False)
    except ValidationError as error:
        messages = [m for errors in getattr(error, "error_dict", {}).values() for m in errors]
        raise ValidationError({field: messages or error.messages}) from error
    if not attachment.content_type.startswith("image/"):
        raise field_error(field, _("Upload a photo, not a document."), "not_photo")
    return attachment


@transaction.atomic
def finding_resolve(
    *,
    actor,
    finding: Finding,
    resolution: str,
    severity: str = "",
    after_photo=None,
    rectify_by: date | None = None,
    note: str = "",
    now=None,
) -> Finding:
    """Settle an open finding one of the four ways (see the module's docstring)."""
    require(actor, Action.CHANGE, finding)
    now = now or timezone.now()
    _lock(finding)
    if not resolvable(finding):
        raise ValidationError(
            _("This finding is already settled or in a supervision order."), code="settled"
        )
    if resolution not in Resolution.values:
        raise field_error("resolution", _("Choose how the problem is settled."), "resolution")
    if severity and severity not in Severity.values:
        raise field_error("severity", _("Choose a severity."), "severity")
    note = (note or "").strip()
    fields = ["resolution", "sent_to_platform"]
    if severity:
        finding.severity = severity
        fields.append("severity")
    finding.resolution = resolution
    case = finding.case
    if resolution == Resolution.FIXED_ON_SPOT:
        if not after_photo:
            raise field_error(
                "after_photo",
                _("A problem fixed on the spot needs a photo taken after the fix."),
                "photo_required",
            )
        finding.after_photo = _attach(finding, actor, after_photo, "after_photo")
        fields.append("after_photo")
    if resolution == Resolution.DEADLINE:
        today = timezone.localdate(now)
        if rectify_by is None:
            raise field_error("rectify_by", _("Give the date to rectify by."), "required")
        if rectify_by <= today:
            raise field_error("rectify_by", _("The deadline must be after today."), "past")
        if rectify_by > today + timedelta(days=LONGEST_DEADLINE_DAYS):
            raise field_error("rectify_by", _("The deadline must be within a year."), "too_far")
        finding.rectify_by = rectify_by
        # Only deadline rectifications go to the district platform (数智平台).
        finding.sent_to_platform = True
        fields.append("rectify_by")
    else:
        finding.sent_to_platform = False
    label = Resolution(resolution).label
    comment = f"{label}: {note}" if note else str(label)
    if resolution in SETTLED_IN_THE_VISIT:
        finding.resolved_at = now
        finding.save(update_fields=[*fields, "resolved_at"])
        kit.case_close(
            case=case, actor=actor, status=FindingStatus.RESOLVED, comment=comment, now=now
        )
        return finding
    due = deadline_at(rectify_by)
    kit.case_transition(
        case=case, actor=actor, status=FindingStatus.RECTIFYING, comment=comment, now=now
    )
    kit.case_set_due(
        case=case,
        due_at=due,
        actor=actor,
        reason=_("To be rectified by %(date)s.") % {"date": rectify_by.isoformat()},
        now=now,
    )
    finding.recheck_follow_up = followups.followup_schedule(
        case=case,
        assignee=actor,
        due_at=due,
        reason=_("Re-check %(reference)s at %(site)s: %(criterion)s")
        % {
            "reference": case.reference,
            "site": finding.site.name,
            "criterion": finding.criterion.code,
        },
        created_by=actor,
    )
    finding.save(update_fields=[*fields, "recheck_follow_up"])
    return finding


def _follow_up_done(finding: Finding, actor, note: str, now) -> None:
    follow_up = finding.recheck_follow_up
    if follow_up is None:
        return
    try:
        followups.followup_complete(follow_up=follow_up, actor=actor, note=note, now=now)
    except PermissionDenied:
        # Another inspector re-checked: the reminder is no longer needed.
        followups.followup_cancel(follow_up=follow_up, now=now)


@transaction.atomic
def finding_recheck(
    *, actor, finding: Finding, passed: bool, note: str = "", photo=None, now=None
) -> Finding:
    """The re-check (回头看) of a deadline rectification: passed → resolved and closed;
    failed → "failed the re-check", left open for a supervision order."""
    require(actor, Action.CHANGE, finding)
    now = now or timezone.now()
    _lock(finding)
    if not rechecking(finding):
        raise ValidationError(
            _("Only a finding being rectified by a deadline is re-checked here."),
            code="not_rechecking",
        )
    note = (note or "").strip()
    if not passed and not note:
        raise field_error("note", _("Say what is still wrong."), "required")
    if photo:
        _attach(finding, actor, photo, "photo")
    case = finding.case
    _follow_up_done(finding, actor, note, now)
    if passed:
        finding.resolved_at = now
        finding.save(update_fields=["resolved_at"])
        kit.case_close(
            case=case,
            actor=actor,
            status=FindingStatus.RESOLVED,
            comment=_("Re-check passed.") + (f" {note}" if note else ""),
            now=now,
        )
    else:
        kit.case_transition(
            case=case,
            actor=actor,
            status=FindingStatus.RECHECK_FAILED,
            comment=_("Re-check failed: %(note)s") % {"note": note},
            now=now,
        )
    return finding


__all__ = [
    "finding_recheck",
    "finding_resolve",
    "withdrawn_q",
]
