"""Writes of the mobile office desk (流动办公桌) and of estate issues (a case kind).

Staff go to an estate on a schedule (`desk_visit_schedule`), each one reminded the day
before at 09:00; on the day they record every problem raised (`desk_visit_record_issue`):
solved on the spot, taken to the community's collective study, handed up to the
subdistrict office, or left open. Residents report problems through a public form
(`estate_issue_report`). Every issue is a case of the kit (kind "housing.issue").
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error as _field_error
from portal.models import Case, CaseParty, FollowUp, Membership, User
from portal.personal import normalise_phone, validate_mobile
from portal.registry import registry
from portal.roles import Action, Programme, Role
from portal.rules import ancestor_paths
from portal.scope import AREA_ROLES, allows, can, may_at
from portal.scope import require as _require
from portal.services import attachments as kit_attachments
from portal.services import cases as kit
from portal.services import followups

from ..models import Building, DeskVisit, Estate, EstateIssue, IssueCategory, Person

ISSUE = "housing.issue"
ESTATE = "housing.estate"
REMINDER_TIME = time(9, 0)
TITLE_LENGTH = 60


class Resolution:
    """What staff did with a problem raised at a desk visit."""

    SOLVED_ON_SPOT = "solved_on_spot"
    COLLECTIVE_STUDY = "collective_study"
    ESCALATED = "escalated"
    OPEN = "open"

    values = (SOLVED_ON_SPOT, COLLECTIVE_STUDY, ESCALATED, OPEN)


# --- Desk visits --------------------------------------------------------------------


def reminder_due_at(scheduled_at: datetime, now: datetime) -> datetime:
    """09:00 local time (Asia/Shanghai) the day before the visit; now if that has passed."""
    local_day = timezone.localdate(scheduled_at)
    remind_at = timezone.make_aware(
        datetime.combine(local_day - timedelta(days=1), REMINDER_TIME),
        timezone.get_default_timezone(),
    )
    return max(remind_at, now)


def _reminder_tag(visit: DeskVisit) -> str:
    # FollowUp has no link to a desk visit: this tag at the end of the reason finds the
    # visit's reminders again when it moves. It reads as a number, in every language.
    return f"(#{visit.pk})"


def _reminder_reason(visit: DeskVisit) -> str:
    text = _("Mobile office desk at %(estate)s on %(when)s.") % {
        "estate": visit.estate.name,
        "when": timezone.localtime(visit.scheduled_at).strftime("%Y-%m-%d %H:%M"),
    }
    return f"{text} {_reminder_tag(visit)}"


def _visit_reminders(visit: DeskVisit):
    return FollowUp.objects.filter(
        case__isnull=True,
        assignee__in=visit.staff.all(),
        purpose=FollowUp.Purpose.MANUAL,
        state__in=[FollowUp.State.SCHEDULED, FollowUp.State.SENT],
        reason__endswith=_reminder_tag(visit),
    )


def desk_staff_candidates(estate: Estate):
    """Active users whose role lets them work at the estate (change it), as `can` decides:
    area roles held at its community or above, and housing programme officers."""
    roles = Q(pk__in=[])
    for role in AREA_ROLES:
        if role != Role.PROGRAMME_OFFICER and allows(role, ESTATE, Action.CHANGE):
            roles |= Q(role=role)
    roles |= Q(role=Role.PROGRAMME_OFFICER, programme=Programme.HOUSING)
    members = Membership.objects.active().filter(
        roles, area__path__in=ancestor_paths(estate.community)
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


def _check_visit(*, estate: Estate, scheduled_at: datetime, staff, now: datetime) -> None:
    if timezone.is_naive(scheduled_at):
        raise ValueError("scheduled_at must be aware")
    if scheduled_at < now:
        raise _field_error("scheduled_at", _("Choose a time that has not passed."), "past")
    if not staff:
        raise _field_error("staff", _("Choose who goes."), "no_staff")
    for user in staff:
        if not can(user, Action.CHANGE, estate):
            raise _field_error(
                "staff", _("%(name)s cannot work at this estate.") % {"name": user}, "staff_scope"
            )


@transaction.atomic
def desk_visit_schedule(
    *, actor, estate: Estate, scheduled_at: datetime, staff: list[User], note: str = "", now=None
) -> DeskVisit:
    """A desk visit at an estate; each staff member is reminded the day before at 09:00."""
    _require(actor, Action.CHANGE, estate)
    now = now or timezone.now()
    staff = list(dict.fromkeys(staff))
    _check_visit(estate=estate, scheduled_at=scheduled_at, staff=staff, now=now)
    visit = DeskVisit.objects.create(
        estate=estate, scheduled_at=scheduled_at, note=note.strip(), created_by=actor
    )
    visit.staff.set(staff)
    due_at = reminder_due_at(scheduled_at, now)
    reason = _reminder_reason(visit)
    for user in staff:
        followups.followup_schedule(assignee=user, reason=reason, due_at=due_at, created_by=actor)
    return visit


@transaction.atomic
def desk_visit_reschedule(
    *, actor, visit: DeskVisit, scheduled_at: datetime, now=None
) -> DeskVisit:
    """Move a visit that has not been held; its staff's reminders move with it."""
    visit = DeskVisit.objects.select_for_update().select_related("estate").get(pk=visit.pk)
    _require(actor, Action.CHANGE, visit.estate)
    if visit.held:
        raise ValidationError(_("This desk visit has been held."), code="held")
    if visit.scheduled_at == scheduled_at:
        return visit
    now = now or timezone.now()
    staff = list(visit.staff.all())
    _check_visit(estate=visit.estate, scheduled_at=scheduled_at, staff=staff, now=now)
    visit.scheduled_at = scheduled_at
    visit.save(update_fields=["scheduled_at"])
    due_at = reminder_due_at(scheduled_at, now)
    reason = _reminder_reason(visit)
    reminded = set()
    for follow_up in _visit_reminders(visit):
        followups.followup_reschedule(follow_up=follow_up, due_at=due_at)
        reminded.add(follow_up.assignee_id)
    # followup_reschedule keeps the text, which names the old time.
    _visit_reminders(visit).update(reason=reason)
    for user in staff:
        if user.pk not in reminded:  # theirs was already marked done
            followups.followup_schedule(
                assignee=user, reason=reason, due_at=due_at, created_by=actor
            )
    return visit


def may_record_at(user, visit: DeskVisit, now=None) -> bool:
    """Staff who may open issues at the visit's community, on or after the day."""
    return desk_visit_started(visit, now) and may_open_issue(user, visit.estate)


def desk_visit_started(visit: DeskVisit, now=None) -> bool:
    return timezone.localdate(now or timezone.now()) >= timezone.localdate(visit.scheduled_at)


def may_open_issue(user, estate: Estate) -> bool:
    """Staff who may open estate issues at the estate's community."""
    return may_at(user, Action.CREATE, ISSUE, estate.community)


@transaction.atomic
def desk_visit_record_issue(
    *,
    actor,
    visit: DeskVisit,
    category: str,
    description: str,
    building: Building | None = None,
    reporter: Person | None = None,
    filer_name: str = "",
    filer_phone: str = "",
    resolution: str,
    now=None,
) -> EstateIssue:
    """A problem raised at a desk visit, with what was done about it there and then.

    "solved_on_spot" opens and closes it; "collective_study" takes it to the community's
    collective study; "escalated" hands it to the subdistrict office at once; "open"
    leaves it reported. The visit counts as held.
    """
    visit = DeskVisit.objects.select_for_update().select_related("estate").get(pk=visit.pk)
    _require(actor, Action.CHANGE, visit)
    now = now or timezone.now()
    if resolution not in Resolution.values:
        raise _field_error("resolution", _("Choose what was done."), "resolution")
    if not desk_visit_started(visit, now):
        raise ValidationError(_("This desk visit has not taken place yet."), code="not_yet")
    issue = estate_issue_open(
        actor=actor,
        estate=visit.estate,
        category=category,
        description=description,
        building=building,
        reporter=reporter,
        filer_name=filer_name,
        filer_phone=filer_phone,
        desk_visit=visit,
        now=now,
    )
    case, Status = issue.case, EstateIssue.Status
    if resolution == Resolution.SOLVED_ON_SPOT:
        kit.case_close(
            case=case,
            actor=actor,
            status=Status.SOLVED_ON_SPOT,
            comment=_("Solved on the spot at the mobile office desk."),
            now=now,
        )
    elif resolution == Resolution.COLLECTIVE_STUDY:
        kit.case_transition(
            case=case,
            actor=actor,
            status=Status.COLLECTIVE_STUDY,
            comment=_("Taken to the community's collective study."),
            public=True,
            now=now,
        )
    elif resolution == Resolution.ESCALATED:
        kit.case_escalate(
            case=case,
            actor=actor,
            status=Status.ESCALATED,
            comment=_("Raised at the mobile office desk; handed to the subdistrict office."),
            now=now,
        )
    if not visit.held:
        visit.held = True
        visit.save(update_fields=["held"])
    return issue


# --- Estate issues ------------------------------------------------------------------


def issue_title(description: str) -> str:
    """The case's subject: the first 60 characters of the description, on one line."""
    return " ".join(description.split())[:TITLE_LENGTH]


def _check_issue(*, estate, category, description, building, reporter, desk_visit, filer_phone):
    errors = {}
    if category not in IssueCategory.values:
        errors["category"] = ValidationError(_("Choose a category."), code="category")
    if not description.strip():
        errors["description"] = ValidationError(_("Describe the problem."), code="empty")
    if building is not None and building.estate_id != estate.pk:
        errors["building"] = ValidationError(
            _("The building is not in this estate."), code="building"
        )
    if reporter is not None and reporter.community_id != estate.community_id:
        errors["reporter"] = ValidationError(
            _("This person does not live in this community."), code="reporter"
        )
    if desk_visit is not None and desk_visit.estate_id != estate.pk:
        errors["desk_visit"] = ValidationError(
            _("The desk visit was at another estate."), code="desk_visit"
        )
    if filer_phone:
        try:
            validate_mobile(filer_phone)
        except ValidationError as error:
            errors["filer_phone"] = error
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def estate_issue_open(
    *,
    actor,
    estate: Estate,
    category: str,
    description: str,
    building: Building | None = None,
    reporter: Person | None = None,
    filed_by=None,
    filer_name: str = "",
    filer_phone: str = "",
    desk_visit: DeskVisit | None = None,
    public: bool = False,
    now=None,
) -> EstateIssue:
    """A problem at an estate, opened as a case of the kit and then the issue's own row.

    `public=True` is the public report form's path for a visitor without an account:
    `actor` is None and a valid `filer_phone` is required (see the kit's `case_open`).
    A reporter whose record is linked to an account becomes a party and follows it.
    """
    _check_issue(
        estate=estate,
        category=category,
        description=description,
        building=building,
        reporter=reporter,
        desk_visit=desk_visit,
        filer_phone=filer_phone,
    )
    if reporter is not None and not (filer_name or filer_phone):
        filer_name, filer_phone = reporter.name, reporter.phone
    grid = (building and building.grid) or estate.grid
    case = kit.case_open(
        kind=ISSUE,
        actor=actor,
        community=estate.community,
        title=issue_title(description),
        filed_by=filed_by,
        filer_name=filer_name,
        filer_phone=filer_phone,
        grid=grid,
        public_filing=public,
        now=now,
    )
    issue = EstateIssue.objects.create(
        case=case,
        estate=estate,
        building=building,
        category=category,
        description=description.strip(),
        reporter=reporter,
        desk_visit=desk_visit,
    )
    if (
        reporter is not None
        and reporter.user_id
        and reporter.user_id != getattr(filed_by, "pk", None)
    ):
        CaseParty.objects.get_or_create(case=case, user_id=reporter.user_id)
    return issue


def reportable_estates(user):
    """The estates a resident reports for: those of their bound households, or, when they
    have none (or are a visitor), every estate — names are not secret."""
    from ..models import Household

    bound = Estate.objects.filter(
        pk__in=Household.objects.bound_to(user).values("unit__building__estate_id")
    )
    if getattr(user, "is_authenticated", False) and bound.exists():
        return bound
    return Estate.objects.all()


@transaction.atomic
def estate_issue_report(
    *,
    user,
    estate: Estate,
    category: str,
    description: str,
    filer_name: str = "",
    filer_phone: str = "",
    photo=None,
    now=None,
) -> EstateIssue:
    """A resident's report from the web form, with one optional photo shown back to them.

    Logged in: filed by the account (it appears in "My requests"), for an estate among
    `reportable_estates`. A visitor gives a name and a mobile phone: with the reference
    number, the phone opens the status page.
    """
    logged_in = getattr(user, "is_authenticated", False)
    if not reportable_estates(user).filter(pk=estate.pk).exists():
        raise _field_error("estate", _("Choose one of your estates."), "estate")
    if logged_in:
        filer_name = filer_name.strip() or user.display_name
        filer_phone = normalise_phone(filer_phone) or user.phone
    else:
        errors = {}
        if not filer_name.strip():
            errors["filer_name"] = ValidationError(_("Give your name."), code="required")
        if not filer_phone.strip():
            errors["filer_phone"] = ValidationError(
                _("Give your mobile phone: with it you can check progress."), code="required"
            )
        if errors:
            raise ValidationError(errors)
    issue = estate_issue_open(
        actor=user if logged_in else None,
        estate=estate,
        category=category,
        description=description,
        filed_by=user if logged_in else None,
        filer_name=filer_name,
        filer_phone=filer_phone,
        public=not logged_in,
        now=now,
    )
    if photo is not None:
        try:
            if logged_in:
                kit_attachments.attachment_add(
                    case=issue.case, actor=user, upload=photo, is_public=True
                )
            else:
                kit_attachments.attachment_add_to_public_filing(case=issue.case, upload=photo)
        except ValidationError as error:
            # The kit words its errors for a field called "file"; the form's is "photo".
            raise ValidationError({"photo": _error_list(error)}) from None
    return issue


def _error_list(error: ValidationError) -> list[ValidationError]:
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return error.error_list


@transaction.atomic
def estate_issue_to_dispute(*, actor, issue: EstateIssue, now=None) -> Case:
    """Hand an issue to dispute mediation: the disputes app opens a dispute from it and
    the issue closes as "turned into a dispute", naming the dispute's reference."""
    target = registry.hand_over_target("dispute_from")
    if target is None:
        raise ValidationError(_("Disputes are not available yet."), code="no_disputes")
    issue = EstateIssue.objects.select_for_update().select_related("case").get(pk=issue.pk)
    _require(actor, Action.CLOSE, issue.case)
    if issue.dispute_case_id:
        return issue.dispute_case
    if issue.case.closed_at:
        raise ValidationError(_("The issue is closed."), code="closed")
    dispute = target.create(actor=actor, case=issue.case)
    issue.dispute_case = dispute
    issue.save(update_fields=["dispute_case"])
    kit.case_close(
        case=issue.case,
        actor=actor,
        status=EstateIssue.Status.TURNED_INTO_DISPUTE,
        comment=_("Turned into dispute %(reference)s.") % {"reference": dispute.reference},
        now=now,
    )
    return dispute


def may_turn_into_dispute(user, issue: EstateIssue) -> bool:
    """Offer the button only when the disputes app is there and the user may close the
    issue and open a dispute in its community."""
    return (
        registry.hand_over_target("dispute_from") is not None
        and issue.case.closed_at is None
        and can(user, Action.CLOSE, issue.case)
        and may_at(user, Action.CREATE, "disputes.dispute", issue.case.community)
    )


__all__ = [
    "Resolution",
    "desk_staff_candidates",
    "desk_visit_record_issue",
    "desk_visit_reschedule",
    "desk_visit_schedule",
    "estate_issue_open",
    "estate_issue_report",
    "estate_issue_to_dispute",
    "issue_title",
    "may_open_issue",
    "may_record_at",
    "may_turn_into_dispute",
    "reminder_due_at",
    "reportable_estates",
]
