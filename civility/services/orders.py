"""Supervision orders (督办单): an inspector bundles a responsible unit's unsettled
findings into one order with a deadline and a level; the unit replies with text and
photos; the inspector re-checks (回头看) and closes the order, or sends it back with a
new deadline; a closed order is reopened when the problem recurs.

Every status move goes through the case kit, so the timeline records it, the deadline
is the case's due date and an overdue order escalates like any other case
(`cases_escalate_overdue`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Membership, Organisation, TimelineEntry, User
from portal.roles import Action, Programme, Role
from portal.scope import active_memberships, may_at, member_of, reach
from portal.services import cases as kit
from portal.services.attachments import attachment_add
from portal.services.followups import followup_cancel, notify

from ..models import Finding, FindingStatus, OrderLevel, OrderStatus, Resolution, SupervisionOrder
from .sites import RESPONSIBLE_UNIT_TYPES

KIND = "civility.order"
PROGRAMME = Programme.CIVILITY

# The order is with the unit in these statuses; it is with the inspector once replied.
REPLYABLE = (OrderStatus.ISSUED, OrderStatus.REOPENED)


# --- Who may do what ----------------------------------------------------------------------


def may_issue(user) -> bool:
    """Inspectors (civility officers, community staff) who may open orders somewhere."""
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths)


def works_orders(user) -> bool:
    """The order list is for those who reach orders by area (inspectors, officials) or
    as a responsible unit's member; residents have none."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths or r.organisation_ids)


def may_reply(user, order: SupervisionOrder) -> bool:
    """Only members of the order's own responsible unit answer it."""
    return order.responsible_unit_id in reach(user, KIND, Action.CHANGE).organisation_ids


def may_recheck(user, order: SupervisionOrder) -> bool:
    """Inspectors whose area holds the order re-check, close and reopen it; a unit's
    members may change (answer) but never close their own orders."""
    return may_at(user, Action.CLOSE, KIND, order.case.community)


def in_nav(user) -> bool:
    """The "Supervision orders" menu item: civility officers, and members of the kinds
    of organisation orders are sent to; decided from the loaded memberships (no query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return member_of(user, RESPONSIBLE_UNIT_TYPES) or any(
        m.role == Role.PROGRAMME_OFFICER and m.programme == PROGRAMME
        for m in active_memberships(user)
    )


def unit_members(unit: Organisation):
    members = Membership.objects.active().filter(role=Role.ORGANISATION_MEMBER, organisation=unit)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


def issuer_of(order: SupervisionOrder):
    """Who issued the order: the actor of its case's first timeline entry."""
    entry = (
        TimelineEntry.objects.filter(case_id=order.pk, verb=TimelineEntry.Verb.REPORTED)
        .select_related("actor")
        .order_by("at", "pk")
        .first()
    )
    return entry.actor if entry else None


# --- Which findings an order may bundle ---------------------------------------------------

ELIGIBLE_STATUS = Q(case__status__in=[FindingStatus.OPEN, FindingStatus.RECHECK_FAILED]) | Q(
    case__status=FindingStatus.RECTIFYING, resolution=Resolution.DEADLINE
)
NOT_IN_OPEN_ORDER = Q(order__isnull=True) | Q(order__case__closed_at__isnull=False)


def orderable(findings):
    """Findings a new order may take: open, failed at the re-check or under a deadline
    rectification, with an open case, and in no open order."""
    return findings.filter(ELIGIBLE_STATUS, NOT_IN_OPEN_ORDER, case__closed_at__isnull=True)


def _refusal(finding: Finding, unit: Organisation) -> str:
    """Why `finding` cannot go into an order for `unit` ("" when it can)."""
    reference = finding.case.reference
    if finding.site.responsible_unit_id != unit.pk:
        return _("%(reference)s is a finding of %(other)s, not of %(unit)s.") % {
            "reference": reference,
            "other": finding.site.responsible_unit.name,
            "unit": unit.name,
        }
    if finding.order_id and finding.order.case.closed_at is None:
        return _("%(reference)s is already in the open order %(order)s.") % {
            "reference": reference,
            "order": finding.order.case.reference,
        }
    eligible = finding.case.closed_at is None and (
        finding.case.status in (FindingStatus.OPEN, FindingStatus.RECHECK_FAILED)
        or (
            finding.case.status == FindingStatus.RECTIFYING
            and finding.resolution == Resolution.DEADLINE
        )
    )
    if not eligible:
        status = FindingStatus(finding.case.status).label if finding.case.status else "—"
        return _("%(reference)s cannot go into an order: it is “%(status)s”.") % {
            "reference": reference,
            "status": status,
        }
    return ""


def late_q(now=None) -> Q:
    """Orders the unit is late with: open, still with the unit (not replied), and past
    the deadline. The case kit's escalation moves the case's due date, not the order's
    deadline, so lateness is read from the deadline."""
    today = timezone.localdate(now or timezone.now())
    return Q(case__closed_at__isnull=True, case__status__in=REPLYABLE, deadline__lt=today)


def is_late(order: SupervisionOrder, now=None) -> bool:
    today = timezone.localdate(now or timezone.now())
    return (
        order.case.closed_at is None and order.case.status in REPLYABLE and order.deadline < today
    )


def end_of(day: date) -> datetime:
    """The last second of `day`, local time: a deadline counts the whole day."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def _check_deadline(deadline, today: date) -> None:
    if not deadline:
        raise field_error("deadline", _("Give the deadline."), "required")
    if deadline <= today:
        raise field_error("deadline", _("The deadline must be after today."), "deadline_past")


def _order_community(findings: list[Finding]):
    """The community most of the findings' cases lie in (the first such on a tie): the
    case kit places every case in one community."""
    counts = Counter(f.case.community_id for f in findings)
    best = max(counts.values())
    for finding in findings:
        if counts[finding.case.community_id] == best:
            return finding.case.community
    raise AssertionError("no findings")


# --- Issuing ------------------------------------------------------------------------------


@transaction.atomic
def order_issue(
    *,
    actor,
    unit: Organisation,
    findings,
    deadline: date,
    level: str = OrderLevel.NORMAL,
    requirements: str = "",
    now=None,
) -> SupervisionOrder:
    """One order for `unit` bundling its eligible `findings`: opens the case (DB-…) handed
    to the unit, due at the end of the deadline; the findings move to "ordered"."""
    now = now or timezone.now()
    if not may_issue(actor):
        raise PermissionDenied
    if unit is None:
        raise field_error("unit", _("Choose the responsible unit."), "required")
    if level not in OrderLevel.values:
        raise field_error("level", _("Choose the level of the order."), "level")
    _check_deadline(deadline, timezone.localdate(now))
    ids = sorted({f.pk for f in findings})
    if not ids:
        raise field_error("findings", _("Choose at least one finding."), "no_findings")
    # Lock the findings (in pk order, so two inspectors cannot deadlock) before checking
    # that no other order has taken them meanwhile.
    list(Finding.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    rows = list(
        Finding.objects.visible_to(actor, Action.CHANGE)
        .filter(pk__in=ids)
        .select_related("case__community", "site__responsible_unit", "order__case")
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise field_error(
            "findings", _("Some of the chosen findings are not yours to order."), "not_visible"
        )
    refusals = [message for message in (_refusal(f, unit) for f in rows) if message]
    if refusals:
        raise ValidationError(
            {"findings": [ValidationError(m, code="not_orderable") for m in refusals]}
        )
    case = kit.case_open(
        kind=KIND,
        actor=actor,
        community=_order_community(rows),
        title=_("Supervision order: %(unit)s") % {"unit": unit.name},
        comment=_("%(count)s findings, level: %(level)s.")
        % {"count": len(rows), "level": OrderLevel(level).label},
        now=now,
    )
    kit.case_assign(
        case=case,
        actor=actor,
        organisation=unit,
        comment=_("To the responsible unit %(unit)s.") % {"unit": unit.name},
        now=now,
    )
    order = SupervisionOrder.objects.create(
        case=case,
        responsible_unit=unit,
        level=level,
        deadline=deadline,
        requirements=requirements.strip(),
    )
    due_at = end_of(deadline)
    kit.case_set_due(
        case=case,
        due_at=due_at,
        actor=actor,
        reason=_("Deadline of the order: %(date)s.") % {"date": deadline.isoformat()},
        public=True,
        now=now,
    )
    for finding in rows:
        kit.case_transition(
            case=finding.case,
            actor=actor,
            status=FindingStatus.ORDERED,
            comment=_("In the supervision order %(order)s.") % {"order": case.reference},
            now=now,
        )
        _finding_due(finding, order, actor=actor, now=now)
        if finding.recheck_follow_up_id:
            # The order's own re-check takes over from the finding's.
            followup_cancel(follow_up=finding.recheck_follow_up, now=now)
        finding.order = order
        finding.save(update_fields=["order"])
    notify(
        users=unit_members(unit),
        case=case,
        message=_("Supervision order %(reference)s for %(unit)s: reply by %(date)s.")
        % {"reference": case.reference, "unit": unit.name, "date": deadline.isoformat()},
        now=now,
    )
    return order


def _finding_due(finding: Finding, order: SupervisionOrder, *, actor, now) -> None:
    """A finding in an order is due when the order is."""
    kit.case_set_due(
        case=finding.case,
        due_at=end_of(order.deadline),
        actor=actor,
        reason=_("Due with the supervision order %(order)s.") % {"order": order.case.reference},
        now=now,
    )


def _lock(order: SupervisionOrder) -> SupervisionOrder:
    """The order and its case as they are now, the order row locked: two people cannot
    move one order at once."""
    SupervisionOrder.objects.select_for_update().filter(pk=order.pk).exists()
    order.refresh_from_db()
    order.case.refresh_from_db()
    return order


# --- The unit replies ---------------------------------------------------------------------


@transaction.atomic
def order_reply(
    *, actor, order: SupervisionOrder, reply: str, photos=(), now=None
) -> SupervisionOrder:
    """The unit's answer with its evidence photos: issued / reopened → replied."""
    now = now or timezone.now()
    _lock(order)
    if actor is None or not may_reply(actor, order):
        raise PermissionDenied
    if order.case.closed_at:
        raise ValidationError(_("The order is closed."), code="closed")
    if order.case.status not in REPLYABLE:
        raise ValidationError(
            _("The order is answered already; the inspectors will re-check it."),
            code="not_replyable",
        )
    if not (reply or "").strip():
        raise field_error("reply", _("Say what the unit has done."), "required")
    for photo in photos:
        try:
            attachment_add(case=order.case, actor=actor, upload=photo, is_public=True)
        except ValidationError as error:
            raise ValidationError({"photos": error.messages}, code="photo") from error
    order.reply, order.replied_at, order.replied_by = reply.strip(), now, actor
    order.save(update_fields=["reply", "replied_at", "replied_by"])
    kit.case_transition(
        case=order.case,
        actor=actor,
        status=OrderStatus.REPLIED,
        comment=order.reply,
        public=True,
        now=now,
    )
    issuer = issuer_of(order)
    if issuer is not None:
        notify(
            users=[issuer],
            case=order.case,
            message=_("%(unit)s replied to %(reference)s; it awaits the re-check.")
            % {"unit": order.responsible_unit.name, "reference": order.case.reference},
            now=now,
        )
    return order


# --- The inspector re-checks --------------------------------------------------------------


def _open_findings(order: SupervisionOrder) -> list[Finding]:
    return list(
        Finding.objects.filter(order=order)
        .select_related("case", "recheck_follow_up")
        .order_by("pk")
    )


@transaction.atomic
def order_recheck(
    *,
    actor,
    order: SupervisionOrder,
    passed: bool,
    note: str = "",
    deadline: date | None = None,
    now=None,
) -> SupervisionOrder:
    """The re-check (回头看) of a replied order: passed closes the order and resolves its
    findings; failed sends it back to the unit with a new deadline."""
    now = now or timezone.now()
    _lock(order)
    if actor is None or not may_recheck(actor, order):
        raise PermissionDenied
    if order.case.closed_at:
        raise ValidationError(_("The order is closed."), code="closed")
    if order.case.status != OrderStatus.REPLIED:
        raise ValidationError(
            _("Only an order the unit has replied to is re-checked."), code="not_replied"
        )
    note = (note or "").strip()
    if not passed:
        if not note:
            raise field_error("note", _("Say what is still wrong."), "required")
        _check_deadline(deadline, timezone.localdate(now))
    order.rechecked_at = now
    if passed:
        order.save(update_fields=["rechecked_at"])
        for finding in _open_findings(order):
            if finding.case.closed_at:
                continue
            finding.resolved_at = now
            finding.save(update_fields=["resolved_at"])
            kit.case_close(
                case=finding.case,
                actor=actor,
                status=FindingStatus.RESOLVED,
                comment=_("Resolved: the re-check of %(order)s passed.")
                % {"order": order.case.reference},
                now=now,
            )
        kit.case_close(
            case=order.case,
            actor=actor,
            status=OrderStatus.CLOSED,
            comment=note or _("The re-check passed."),
            now=now,
        )
        return order
    order.deadline = deadline
    order.save(update_fields=["rechecked_at", "deadline"])
    kit.case_transition(
        case=order.case,
        actor=actor,
        status=OrderStatus.REOPENED,
        comment=_("The re-check failed: %(note)s") % {"note": note},
        public=True,
        now=now,
    )
    _send_back(order, actor=actor, reason=note, now=now)
    return order


def _send_back(order: SupervisionOrder, *, actor, reason: str, now) -> None:
    """The new deadline on the order and its findings, and the unit told."""
    kit.case_set_due(
        case=order.case,
        due_at=end_of(order.deadline),
        actor=actor,
        reason=_("New deadline of the order: %(date)s.") % {"date": order.deadline.isoformat()},
        public=True,
        now=now,
    )
    for finding in _open_findings(order):
        if not finding.case.closed_at:
            _finding_due(finding, order, actor=actor, now=now)
    notify(
        users=unit_members(order.responsible_unit),
        case=order.case,
        message=_("%(reference)s is back with %(unit)s, due %(date)s: %(reason)s")
        % {
            "reference": order.case.reference,
            "unit": order.responsible_unit.name,
            "date": order.deadline.isoformat(),
            "reason": reason,
        },
        now=now,
    )


@transaction.atomic
def order_reopen(
    *, actor, order: SupervisionOrder, reason: str, deadline: date, now=None
) -> SupervisionOrder:
    """A closed order whose problem recurred: the order and its findings are reopened
    and the unit has a new deadline."""
    now = now or timezone.now()
    _lock(order)
    if actor is None or not may_recheck(actor, order):
        raise PermissionDenied
    if not order.case.closed_at:
        raise ValidationError(_("Only a closed order is reopened."), code="not_closed")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("note", _("Say what recurred."), "required")
    _check_deadline(deadline, timezone.localdate(now))
    kit.case_reopen(case=order.case, actor=actor, reason=reason, now=now)
    kit.case_transition(
        case=order.case,
        actor=actor,
        status=OrderStatus.REOPENED,
        comment=_("Reopened: the problem recurred."),
        public=True,
        now=now,
    )
    order.deadline = deadline
    order.save(update_fields=["deadline"])
    for finding in _open_findings(order):
        if finding.case.closed_at:
            kit.case_reopen(
                case=finding.case,
                actor=actor,
                reason=_("The supervision order %(order)s was reopened.")
                % {"order": order.case.reference},
                now=now,
            )
        kit.case_transition(
            case=finding.case,
            actor=actor,
            status=FindingStatus.ORDERED,
            comment=_("In the supervision order %(order)s.") % {"order": order.case.reference},
            now=now,
        )
        finding.resolved_at = None
        finding.save(update_fields=["resolved_at"])
    _send_back(order, actor=actor, reason=reason, now=now)
    return order


__all__ = [
    "KIND",
    "end_of",
    "issuer_of",
    "in_nav",
    "is_late",
    "late_q",
    "may_issue",
    "may_recheck",
    "may_reply",
    "order_issue",
    "order_recheck",
    "order_reopen",
    "order_reply",
    "orderable",
    "unit_members",
    "works_orders",
]
