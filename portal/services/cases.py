"""Writes on cases of any kind: open, assign, transition, close, reopen, rate, escalate.

An app's own service opens its case with `case_open` and then creates its model row
with `case=case`, in the same transaction. Every change writes its timeline entry in
the transaction that changes the status, and reschedules the due-date reminder.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Area, Case, FollowUp, Membership, Organisation, ReferenceCounter, TimelineEntry
from ..personal import normalise_phone
from ..registry import registry
from ..roles import Action, AreaLevel, OrganisationType, Role
from ..rules import rules_for
from ..scope import can, may_at, reach
from ..scope import require as _require
from ..workdays import due_after
from . import followups

Verb = TimelineEntry.Verb


def _reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def _take_numbers(prefix: str, year: int, count: int) -> int:
    """Advance the year's counter by `count`; the first number taken. One UPDATE, which
    holds the row lock until the surrounding transaction ends."""
    with transaction.atomic():
        ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
        counter = ReferenceCounter.objects.filter(prefix=prefix, year=year)
        counter.update(last=F("last") + count)
        return counter.values_list("last", flat=True).get() - count + 1


def next_reference(prefix: str, *, now=None) -> str:
    """`PREFIX-YYYY-000123`: the next number of the year, unique under concurrency."""
    year = timezone.localtime(now or timezone.now()).year
    return _reference(prefix, year, _take_numbers(prefix, year, 1))


def references_reserve(prefix: str, moments: list) -> list[str]:
    """One reference per moment (for cases written in bulk, e.g. by demo loaders),
    numbered in the order given within each year, with one counter update per year."""
    years = [timezone.localtime(m).year for m in moments]
    following = {year: _take_numbers(prefix, year, n) for year, n in sorted(Counter(years).items())}
    references = []
    for year in years:
        references.append(_reference(prefix, year, following[year]))
        following[year] += 1
    return references


def _may_create(actor, kind: str, community: Area, filed_by, grid: Area | None = None) -> bool:
    if actor is None:
        return False
    if may_at(actor, Action.CREATE, kind, community):
        return True
    # A grid worker's area is its grid: it opens cases placed on that grid.
    if grid is not None and may_at(actor, Action.CREATE, kind, grid):
        return True
    # A resident files for themselves.
    own = reach(actor, kind, Action.CREATE).own
    return own and filed_by is not None and filed_by.pk == actor.pk


def _entry(case, *, verb, actor=None, comment="", public=False, now=None, **orgs):
    return TimelineEntry.objects.create(
        case=case,
        verb=verb,
        actor=actor,
        comment=comment,
        is_public=public,
        status_after=case.status,
        at=now or timezone.now(),
        **orgs,
    )


def _schedule_due_reminder(case: Case, payload: dict) -> None:
    """One due-date reminder per open case, for its handler or else the community's staff."""
    FollowUp.objects.filter(
        case=case, purpose=FollowUp.Purpose.DUE_REMINDER, state=FollowUp.State.SCHEDULED
    ).update(state=FollowUp.State.CANCELLED, cancelled_at=timezone.now())
    if case.closed_at or not case.due_at:
        return
    remind_at = case.due_at - timedelta(hours=payload.get("reminder_lead_hours", 24))
    target = (
        {"assignee": case.handler}
        if case.handler_id
        else {"role": Role.COMMUNITY_STAFF, "area": case.community}
    )
    values = {
        "reference": case.reference,
        "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M"),
        "title": case.title,
    }
    text = payload.get("reminder_text") or ""
    followups.followup_schedule(
        case=case,
        purpose=FollowUp.Purpose.DUE_REMINDER,
        reason=text.format(**values)
        if text
        else _("%(reference)s is due %(due)s: %(title)s") % values,
        due_at=remind_at,
        **target,
    )


def _payload(case: Case) -> dict:
    if case.rule_set_id:
        return case.rule_set.payload
    kind = registry.case_kinds[case.kind]
    return dict(registry.rule_kinds[kind.rule_kind].default)


@transaction.atomic
def case_open(
    *,
    kind: str,
    actor,
    community: Area,
    title: str,
    filed_by=None,
    filer_name: str = "",
    filer_phone: str = "",
    grid: Area | None = None,
    comment: str = "",
    public_filing: bool = False,
    now=None,
) -> Case:
    """A new case of `kind` in `community`, due by the rule in force; returns the Case.

    `public_filing=True` is for a member of the public filing through a public form
    without an account: `actor` and `filed_by` are then None, and `filer_phone` is
    required, because the reference number and that phone are the filer's only way
    back to the case (the status page); only kinds residents follow accept it. The
    calling view throttles such filings. Without it, `actor` must be allowed to create.
    """
    now = now or timezone.now()
    case_kind = registry.case_kinds[kind]
    if community.level != AreaLevel.COMMUNITY:
        raise ValidationError({"community": _("Choose a community.")}, code="not_community")
    if grid is not None and not grid.path.startswith(community.path):
        raise ValidationError({"grid": _("The grid is not in this community.")}, code="grid")
    by_the_public = (
        public_filing
        and actor is None
        and filed_by is None
        and bool(filer_phone.strip())
        and case_kind.resident_visible
    )
    if not by_the_public and not _may_create(actor, kind, community, filed_by, grid):
        raise PermissionDenied
    payload, rule_set = rules_for(case_kind.rule_kind, community, now)
    case = Case.objects.create(
        kind=kind,
        reference=next_reference(case_kind.prefix, now=now),
        title=title.strip(),
        status=case_kind.initial_status,
        community=community,
        grid=grid,
        filed_by=filed_by,
        filer_name=filer_name.strip(),
        filer_phone=normalise_phone(filer_phone),
        rule_set=rule_set,
        due_at=due_after(now, payload["time_limit_days"], working_days=payload["working_days"]),
        created_at=now,
    )
    _entry(case, verb=Verb.REPORTED, actor=actor, comment=comment, public=True, now=now)
    _schedule_due_reminder(case, payload)
    return case


@transaction.atomic
def case_transition(
    *, case: Case, actor, status: str, comment: str = "", public: bool = False, now=None
) -> Case:
    """Move the case to `status` (one of its kind's), with a timeline entry."""
    _require(actor, Action.CHANGE, case)
    kind = registry.case_kinds[case.kind]
    if status not in kind.statuses.values:
        raise ValidationError(_("Unknown status."), code="status")
    if case.closed_at:
        raise ValidationError(_("The case is closed."), code="closed")
    if case.status == status and not comment:
        return case
    case.status = status
    case.save(update_fields=["status", "updated_at"])
    _entry(
        case,
        verb=Verb.REPLIED if public else Verb.COMMENTED,
        actor=actor,
        comment=comment,
        public=public,
        now=now,
    )
    return case


@transaction.atomic
def case_set_due(*, case: Case, due_at, actor, reason: str, public: bool = False, now=None) -> Case:
    """A new due date for an open case, with a timeline entry saying why; the due-date
    reminder moves with it. `actor=None` is a rule setting the date while the case is
    opened (e.g. an urgent risk level): the caller has checked who opens it."""
    if actor is not None:
        _require(actor, Action.CHANGE, case)
    if timezone.is_naive(due_at):
        raise ValueError("due_at must be aware")
    if case.closed_at:
        raise ValidationError(_("The case is closed."), code="closed")
    if case.due_at == due_at:
        return case
    case.due_at = due_at
    case.save(update_fields=["due_at", "updated_at"])
    _entry(case, verb=Verb.COMMENTED, actor=actor, comment=reason, public=public, now=now)
    _schedule_due_reminder(case, _payload(case))
    return case


@transaction.atomic
def case_comment(*, case: Case, actor, comment: str, public: bool = False, now=None) -> None:
    """A note on the timeline; public notes are what the resident reads as replies."""
    _require(actor, Action.CHANGE, case)
    if not comment.strip():
        raise ValidationError({"comment": _("Write something.")}, code="empty")
    _entry(
        case,
        verb=Verb.REPLIED if public else Verb.COMMENTED,
        actor=actor,
        comment=comment.strip(),
        public=public,
        now=now,
    )


@transaction.atomic
def case_assign(
    *,
    case: Case,
    actor,
    handler=None,
    organisation: Organisation | None = None,
    comment: str = "",
    now=None,
) -> Case:
    """Give the case a handler and/or hand it to an organisation."""
    _require(actor, Action.ASSIGN, case)
    if handler is None and organisation is None:
        raise ValidationError(_("Choose a handler or an organisation."), code="nobody")
    if handler is not None and not can(handler, Action.CHANGE, case):
        raise ValidationError(
            {"handler": _("This person cannot work on this case.")}, code="handler_scope"
        )
    previous_org = case.organisation
    if handler is not None:
        case.handler = handler
    if organisation is not None:
        case.organisation = organisation
    case.save(update_fields=["handler", "organisation", "updated_at"])
    verb = Verb.HANDED_OVER if organisation is not None else Verb.ASSIGNED
    _entry(
        case,
        verb=verb,
        actor=actor,
        comment=comment,
        public=True,
        now=now,
        from_organisation=previous_org,
        to_organisation=organisation,
    )
    _schedule_due_reminder(case, _payload(case))
    return case


@transaction.atomic
def case_close(*, case: Case, actor, status: str, comment: str = "", now=None) -> Case:
    """Close the case with a final status; its pending follow-ups are cancelled."""
    _require(actor, Action.CLOSE, case)
    if case.closed_at:
        return case
    kind = registry.case_kinds[case.kind]
    if status not in kind.statuses.values:
        raise ValidationError(_("Unknown status."), code="status")
    now = now or timezone.now()
    case.status = status
    case.closed_at = now
    case.save(update_fields=["status", "closed_at", "updated_at"])
    FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED).update(
        state=FollowUp.State.CANCELLED, cancelled_at=now
    )
    _entry(case, verb=Verb.CLOSED, actor=actor, comment=comment, public=True, now=now)
    return case


@transaction.atomic
def case_reopen(*, case: Case, actor=None, reason: str, now=None) -> Case:
    """Reopen a closed case: back to its first status, a new due date, the handler told."""
    if not case.closed_at:
        return case
    now = now or timezone.now()
    kind = registry.case_kinds[case.kind]
    payload = _payload(case)
    case.closed_at = None
    case.status = kind.initial_status
    case.reopened_count = F("reopened_count") + 1
    case.due_at = due_after(now, payload["time_limit_days"], working_days=payload["working_days"])
    case.escalated_at = case.supervised_at = None
    case.level = Case.Level.COMMUNITY
    case.save()
    case.refresh_from_db()
    _entry(case, verb=Verb.REOPENED, actor=actor, comment=reason, public=True, now=now)
    _schedule_due_reminder(case, payload)
    if case.handler_id:
        followups.notify(
            users=[case.handler],
            case=case,
            message=_("%(reference)s was reopened: %(reason)s")
            % {"reference": case.reference, "reason": reason},
        )
    return case


def may_rate(user, case: Case) -> bool:
    """Only the resident who filed it rates a case, once, after it is closed."""
    return bool(case.closed_at and case.rated_at is None and user and case.filed_by_id == user.pk)


@transaction.atomic
def case_rate(*, case: Case, rating: int, comment: str = "", solved: bool = True, now=None) -> Case:
    """The filer's satisfaction (1–5); "not solved" reopens the case.

    The caller has established who is rating: the logged-in filer, or the holder of
    the reference number and the phone it was filed with.
    """
    if not case.closed_at or case.rated_at is not None:
        raise ValidationError(_("This case cannot be rated now."), code="not_rateable")
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5.")}, code="rating")
    now = now or timezone.now()
    case.rating, case.rating_comment, case.rated_at = int(rating), comment.strip(), now
    case.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    _entry(case, verb=Verb.RATED, comment=f"{rating}/5 {comment}".strip(), public=True, now=now)
    if not solved:
        case_reopen(
            case=case, reason=comment.strip() or _("The resident says it is not solved."), now=now
        )
        case.rating = case.rated_at = None
        case.rating_comment = ""
        case.save(update_fields=["rating", "rated_at", "rating_comment", "updated_at"])
    return case


def _organisation_at(area: Area, type_: str) -> Organisation | None:
    return Organisation.objects.filter(area=area, type=type_).first()


def _ancestor(area: Area, level: str) -> Area | None:
    return Area.objects.filter(
        path__in=[area.path[:e] for e in range(Area.steplen, len(area.path), Area.steplen)],
        level=level,
    ).first()


def cases_escalate_overdue(*, now=None) -> int:
    """Overdue at the community → to the subdistrict with a new due date; overdue at the
    subdistrict → a red supervision mark and a notice to the district's officials.

    Each step is claimed with a conditional update, so concurrent scans act once.
    """
    now = now or timezone.now()
    acted = 0
    for case in Case.objects.overdue(now=now).filter(level=Case.Level.COMMUNITY):
        acted += _escalate(case, now)
    for case in Case.objects.overdue(now=now).filter(
        level=Case.Level.SUBDISTRICT, supervised_at__isnull=True
    ):
        acted += _supervise(case, now)
    return acted


@transaction.atomic
def _escalate(case: Case, now) -> int:
    payload = _payload(case)
    claimed = Case.objects.filter(
        pk=case.pk, level=Case.Level.COMMUNITY, closed_at__isnull=True, due_at__lt=now
    ).update(**_subdistrict_fields(payload, now))
    if not claimed:
        return 0
    case.refresh_from_db()
    _hand_to_subdistrict(
        case,
        payload,
        now,
        comment=_("Overdue at the community; handed to the subdistrict."),
        reason=_("%(reference)s is overdue at the community and now yours: %(title)s"),
    )
    return 1


@transaction.atomic
def case_escalate(*, case: Case, actor, comment: str = "", status: str = "", now=None) -> Case:
    """Hand an open community-level case to the subdistrict at once, before it is overdue
    (e.g. a problem the mobile office desk cannot solve): the same due date, timeline
    entry and notice to the subdistrict's staff as the overdue scan gives. `status`
    optionally moves the case to its kind's "escalated" status in the same step.
    `actor=None` is a rule escalating a case as it is opened (e.g. a red-risk dispute
    referred by a grid worker): the caller has checked who opens it.
    """
    if actor is not None:
        _require(actor, Action.ASSIGN, case)
    kind = registry.case_kinds[case.kind]
    if status and status not in kind.statuses.values:
        raise ValidationError(_("Unknown status."), code="status")
    if case.closed_at:
        raise ValidationError(_("The case is closed."), code="closed")
    now = now or timezone.now()
    payload = _payload(case)
    fields = _subdistrict_fields(payload, now)
    if status:
        fields["status"] = status
    claimed = Case.objects.filter(
        pk=case.pk, level=Case.Level.COMMUNITY, closed_at__isnull=True
    ).update(**fields)
    case.refresh_from_db()
    if not claimed:
        return case  # already with the subdistrict
    _hand_to_subdistrict(
        case,
        payload,
        now,
        actor=actor,
        comment=comment or _("Handed to the subdistrict."),
        reason=_("%(reference)s was handed up by the community and is now yours: %(title)s"),
    )
    return case


def _subdistrict_fields(payload: dict, now) -> dict:
    """What changes on a case when the subdistrict takes it over, with its new due date."""
    new_due = due_after(
        now, payload["subdistrict_time_limit_days"], working_days=payload["working_days"]
    )
    return {
        "level": Case.Level.SUBDISTRICT,
        "escalated_at": now,
        "due_at": new_due,
        "updated_at": now,
    }


def _hand_to_subdistrict(case: Case, payload: dict, now, *, comment, reason, actor=None):
    """The timeline entry, due reminder and notice of a case the subdistrict took over;
    `reason` is the notice's text with %(reference)s and %(title)s."""
    subdistrict = _ancestor(case.community, AreaLevel.SUBDISTRICT)
    _entry(
        case,
        verb=Verb.ESCALATED,
        actor=actor,
        now=now,
        public=True,
        comment=comment,
        from_organisation=_organisation_at(case.community, OrganisationType.COMMUNITY_COMMITTEE),
        to_organisation=subdistrict
        and _organisation_at(subdistrict, OrganisationType.SUBDISTRICT_OFFICE),
    )
    _schedule_due_reminder(case, payload)
    if subdistrict is not None:
        followups.followup_schedule(
            case=case,
            role=Role.SUBDISTRICT_STAFF,
            area=subdistrict,
            due_at=now,
            purpose=FollowUp.Purpose.ESCALATION,
            reason=reason % {"reference": case.reference, "title": case.title},
        )


@transaction.atomic
def _supervise(case: Case, now) -> int:
    claimed = Case.objects.filter(
        pk=case.pk,
        level=Case.Level.SUBDISTRICT,
        supervised_at__isnull=True,
        closed_at__isnull=True,
        due_at__lt=now,
    ).update(supervised_at=now, updated_at=now)
    if not claimed:
        return 0
    case.refresh_from_db()
    _entry(
        case,
        verb=Verb.SUPERVISED,
        now=now,
        comment=_("Overdue at the subdistrict: under supervision."),
    )
    district = _ancestor(case.community, AreaLevel.DISTRICT)
    if district is not None:
        followups.followup_schedule(
            case=case,
            role=Role.OFFICIAL,
            area=district,
            due_at=now,
            purpose=FollowUp.Purpose.ESCALATION,
            reason=_("%(reference)s is overdue at the subdistrict (red mark): %(title)s")
            % {"reference": case.reference, "title": case.title},
        )
    return 1


def staff_who_may_handle(case: Case):
    """Users with an active area role whose area contains the case's community."""
    from ..models import User

    paths = [
        case.community.path[:e]
        for e in range(Area.steplen, len(case.community.path) + 1, Area.steplen)
    ]
    members = Membership.objects.active().filter(
        area__path__in=paths,
        role__in=[
            Role.COMMUNITY_STAFF,
            Role.PARTY_SECRETARY,
            Role.GRID_WORKER,
            Role.SUBDISTRICT_STAFF,
        ],
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


__all__ = [
    "case_assign",
    "case_close",
    "case_comment",
    "case_escalate",
    "case_open",
    "case_rate",
    "case_reopen",
    "case_set_due",
    "case_transition",
    "cases_escalate_overdue",
    "may_rate",
    "next_reference",
]
