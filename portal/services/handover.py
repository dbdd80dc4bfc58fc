"""Staff hand-over: a leaving worker's open work moves to a colleague in one transaction.

What counts as work is registered per app (`registry.user_assignments`): the kit's open
cases and pending follow-ups here, each app's own per-person assignments in its
AppConfig. History (who filed, recorded or decided something) is never moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Case, FollowUp, Membership, TimelineEntry
from ..registry import registry
from ..roles import Action, Role
from ..scope import account_manageable, audit_visible, forget_memberships
from .accounts import account_set_active

Verb = TimelineEntry.Verb


def _counts(queryset, user_field: str) -> dict[int, int]:
    rows = queryset.values(user_field).annotate(n=Count("pk")).values_list(user_field, "n")
    return dict(rows)


# --- The kit's own work: open cases and pending follow-ups -----------------------------


def open_case_counts(users) -> dict[int, int]:
    """Open cases handled by each of `users`."""
    return _counts(Case.objects.open().filter(handler__in=users), "handler")


def open_cases_move(*, leaving, successor, actor, now) -> int:
    """Every open case `leaving` handles goes to `successor`, each with a timeline entry."""
    cases = Case.objects.open().filter(handler=leaving)
    workable = Case.objects.visible_to(successor, Action.CHANGE).values("pk")
    blocked = list(cases.exclude(pk__in=workable).values_list("reference", flat=True)[:3])
    if blocked:
        raise ValidationError(
            _("%(name)s cannot work on some of the open cases: %(references)s.")
            % {"name": successor, "references": ", ".join(blocked)},
            code="successor_scope",
        )
    rows = list(cases.select_for_update().values_list("pk", "status"))
    if not rows:
        return 0
    Case.objects.filter(pk__in=[pk for pk, _status in rows]).update(
        handler=successor, updated_at=now
    )
    comment = _("Staff hand-over: %(leaving)s → %(successor)s.") % {
        "leaving": leaving,
        "successor": successor,
    }
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            case_id=pk,
            verb=Verb.ASSIGNED,
            actor=actor,
            comment=comment,
            is_public=False,
            status_after=status,
            at=now,
        )
        for pk, status in rows
    )
    return len(rows)


def pending_follow_up_counts(users) -> dict[int, int]:
    """Follow-ups still to be done by each of `users` personally."""
    return _counts(FollowUp.objects.pending().filter(assignee__in=users), "assignee")


def pending_follow_ups_move(*, leaving, successor, actor, now) -> int:
    """Personal follow-ups go to `successor`; those already sent remind the successor anew."""
    follow_ups = FollowUp.objects.pending().filter(assignee=leaving)
    visible = Case.objects.visible_to(successor).values("pk")
    if follow_ups.filter(case__isnull=False).exclude(case__in=visible).exists():
        raise ValidationError(
            _("%(name)s cannot see the cases of some of the follow-ups.") % {"name": successor},
            code="successor_scope",
        )
    # A sent reminder reached the leaving worker only: a new round reminds the successor.
    renewed = follow_ups.filter(state=FollowUp.State.SENT).update(
        assignee=successor, state=FollowUp.State.SCHEDULED, sent_at=None, round=F("round") + 1
    )
    return renewed + follow_ups.update(assignee=successor)


# --- Declared by the apps: people on the open rows of a many-to-many --------------------


def m2m_assignments(name: str, label, model, field: str, open_q: Q, order: int = 100):
    """A UserAssignments for "these users are on this open row" (desk visit staff,
    inspectors of an unfinished inspection): the app names the model, its many-to-many
    field to users and what makes a row open; scope comes from the model's `visible_to`."""
    from ..registry import UserAssignments

    m2m = model._meta.get_field(field)
    through = m2m.remote_field.through
    row, person = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()

    def open_links():
        return through.objects.filter(**{f"{row}__in": model._default_manager.filter(open_q)})

    def counts(users) -> dict[int, int]:
        return _counts(open_links().filter(**{f"{person}__in": users}), person)

    def move(*, leaving, successor, actor, now) -> int:
        links = open_links().filter(**{person: leaving})
        row_ids = set(links.values_list(f"{row}_id", flat=True))
        if not row_ids:
            return 0
        workable = model._default_manager.visible_to(successor, Action.CHANGE)
        if workable.filter(pk__in=row_ids).count() < len(row_ids):
            raise ValidationError(
                _("%(name)s cannot work on some of the %(work)s.")
                % {"name": successor, "work": label},
                code="successor_scope",
            )
        already = set(
            through.objects.filter(**{f"{row}_id__in": row_ids, person: successor}).values_list(
                f"{row}_id", flat=True
            )
        )
        links.delete()
        through.objects.bulk_create(
            through(**{f"{row}_id": pk, f"{person}_id": successor.pk})
            for pk in sorted(row_ids - already)
        )
        return len(row_ids)

    return UserAssignments(name, label, counts=counts, move=move, order=order)


# --- Hand-over ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkCount:
    """One kind of open work and how many items of it someone holds."""

    name: str
    label: str
    count: int


def open_work(user) -> list[WorkCount]:
    """What `user` holds, per registered kind of work (kinds with nothing included)."""
    users = get_user_model().objects.filter(pk=user.pk)
    return [
        WorkCount(a.name, a.label, a.counts(users).get(user.pk, 0))
        for a in registry.assignments_in_order()
    ]


def holds_open_work(user) -> bool:
    return any(w.count for w in open_work(user))


def successor_choices(*, actor, leaving):
    """Colleagues `actor` may hand `leaving`'s work to: active accounts the actor manages
    or sees, with a working (non-resident) role, never the leaving account itself."""
    staff = Membership.objects.active().exclude(role=Role.RESIDENT).values("user_id")
    return (
        get_user_model()
        .objects.visible_to(actor)
        .filter(is_active=True, pk__in=staff)
        .exclude(pk=leaving.pk)
        .order_by("display_name", "username")
    )


@transaction.atomic
def hand_over_work(
    *, actor, leaving, successor, deactivate: bool = False, now=None
) -> list[WorkCount]:
    """Move all of `leaving`'s open work to `successor`, then deactivate `leaving` if
    asked; returns what moved, per kind.

    All or nothing: if the successor may not work on any one item, nothing moves.
    """
    if not account_manageable(actor, leaving):
        raise PermissionDenied
    if successor is None or successor.pk == leaving.pk:
        raise ValidationError({"successor": _("Choose a colleague.")}, code="successor")
    if not successor.is_active:
        raise ValidationError(
            {"successor": _("This account is deactivated; choose an active colleague.")},
            code="successor_inactive",
        )
    if not successor_choices(actor=actor, leaving=leaving).filter(pk=successor.pk).exists():
        raise ValidationError(
            {"successor": _("You cannot hand work to this account.")}, code="successor_scope"
        )
    forget_memberships(successor)
    now = now or timezone.now()
    moved = []
    for assignments in registry.assignments_in_order():
        try:
            count = assignments.move(leaving=leaving, successor=successor, actor=actor, now=now)
        except ValidationError as error:
            raise ValidationError({"successor": error.messages}, code="successor_scope") from None
        moved.append(WorkCount(assignments.name, assignments.label, count))
    if deactivate:
        account_set_active(actor=actor, account=leaving, active=False)
    return moved


# --- Leftovers: open work still pointing at deactivated accounts -------------------------


@dataclass(frozen=True)
class Leftover:
    """A deactivated account that still holds open work of one kind."""

    user: object
    name: str
    label: str
    count: int


def leftovers(*, viewer=None) -> list[Leftover]:
    """Open work held by deactivated accounts; with `viewer`, only accounts they audit."""
    inactive = get_user_model().objects.filter(is_active=False)
    if viewer is not None:
        inactive = audit_visible(inactive, viewer, user_field="pk")
    found = []
    for assignments in registry.assignments_in_order():
        for user_id, count in assignments.counts(inactive).items():
            if count:
                found.append((user_id, assignments, count))
    users = get_user_model().objects.in_bulk({user_id for user_id, _a, _c in found})
    return [
        Leftover(users[user_id], a.name, a.label, count)
        for user_id, a, count in sorted(found, key=lambda f: (f[0], f[1].order))
    ]
