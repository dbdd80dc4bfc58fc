"""Follow-ups, notifications and e-mail: rows first, delivered by the beat scan.

Business reminders are never `apply_async(eta=...)`: a row is written in the same
transaction as the change that needs it, and `followups_deliver_due` (run every minute
by beat) claims due rows with a conditional update and writes the notifications in the
claiming transaction, so each is delivered exactly once even when scans overlap.
E-mail goes through the outbox: at least once, never twice for one key.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import FollowUp, Membership, Notification, OutboxEmail, User
from ..registry import case_url

log = logging.getLogger(__name__)
State = FollowUp.State
MAX_EMAIL_ATTEMPTS = 5


def followup_build(
    *,
    reason: str,
    due_at,
    case=None,
    assignee=None,
    role: str = "",
    area=None,
    organisation=None,
    programme: str = "",
    purpose: str = FollowUp.Purpose.MANUAL,
    created_by=None,
) -> FollowUp:
    """An unsaved follow-up for one user, or for everyone holding `role` at `area` /
    in `organisation` (programme officers: of `programme` only). Demo loaders bulk-create
    these; everything else calls `followup_schedule`."""
    if assignee is None and not (role and (area or organisation)):
        raise ValidationError(_("A follow-up needs somebody to do it."), code="nobody")
    return FollowUp(
        case=case,
        assignee=assignee,
        assignee_role=role,
        assignee_area=area,
        assignee_organisation=organisation,
        assignee_programme=programme,
        reason=reason[:300],
        due_at=due_at,
        purpose=purpose,
        created_by=created_by,
    )


def followup_schedule(**fields) -> FollowUp:
    """Write a follow-up (arguments as `followup_build`); the beat scan delivers it once."""
    follow_up = followup_build(**fields)
    follow_up.save()
    return follow_up


@transaction.atomic
def followup_reschedule(*, follow_up: FollowUp, due_at) -> FollowUp:
    """A new due time; a follow-up already reminded will remind again then."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.state in (State.DONE, State.CANCELLED):
        raise ValidationError(_("This follow-up is finished."), code="finished")
    if follow_up.state == State.SENT:
        follow_up.round += 1
    follow_up.due_at, follow_up.state, follow_up.sent_at = due_at, State.SCHEDULED, None
    follow_up.save(update_fields=["due_at", "state", "sent_at", "round"])
    return follow_up


@transaction.atomic
def followup_complete(*, follow_up: FollowUp, actor, note: str = "", now=None) -> FollowUp:
    """Done, with a note; only by someone it is for."""
    if not FollowUp.objects.for_user(actor).filter(pk=follow_up.pk).exists():
        raise PermissionDenied
    if follow_up.state in (State.DONE, State.CANCELLED):
        return follow_up
    follow_up.state, follow_up.done_at, follow_up.done_note = (
        State.DONE,
        now or timezone.now(),
        note,
    )
    follow_up.save(update_fields=["state", "done_at", "done_note"])
    return follow_up


PENDING = (State.SCHEDULED, State.SENT)


@transaction.atomic
def followup_cancel(*, follow_up: FollowUp, now=None) -> None:
    """Cancelled follow-ups never remind."""
    FollowUp.objects.filter(pk=follow_up.pk, state=State.SCHEDULED).update(
        state=State.CANCELLED, cancelled_at=now or timezone.now()
    )


def followups_withdraw(*, ids, now=None) -> int:
    """The things these follow-ups asked for are no longer needed (a date moved, a
    contract ended): cancel those still pending, reminded or not. None in `ids` is
    skipped, so a missing follow-up field can be passed as it is."""
    return FollowUp.objects.filter(pk__in=[i for i in ids if i], state__in=PENDING).update(
        state=State.CANCELLED, cancelled_at=now or timezone.now()
    )


def followups_settle(*, ids, note: str = "", now=None) -> int:
    """What these follow-ups asked for has happened (a visit was recorded): mark those
    still pending done, whoever recorded it — the record is the proof."""
    return FollowUp.objects.filter(pk__in=[i for i in ids if i], state__in=PENDING).update(
        state=State.DONE, done_at=now or timezone.now(), done_note=note[:1000]
    )


def recipients(follow_up: FollowUp):
    """The active users a follow-up is for."""
    if follow_up.assignee_id:
        return User.objects.filter(pk=follow_up.assignee_id, is_active=True)
    members = Membership.objects.active().filter(role=follow_up.assignee_role)
    if follow_up.assignee_programme:
        members = members.filter(programme=follow_up.assignee_programme)
    if follow_up.assignee_area_id:
        members = members.filter(area_id=follow_up.assignee_area_id)
    else:
        members = members.filter(organisation_id=follow_up.assignee_organisation_id)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


def _case_url(case) -> str:
    return case_url(case) if case else ""


def notify(*, users, message: str, case=None, follow_up=None, now=None) -> list[Notification]:
    """In-app notifications, and an outbox e-mail for each user with an address."""
    now = now or timezone.now()
    created = []
    for user in users:
        created.append(
            Notification.objects.create(
                user=user,
                case=case,
                follow_up=follow_up,
                follow_up_round=follow_up.round if follow_up else 1,
                message=message[:300],
                url=_case_url(case),
                created_at=now,
            )
        )
        if user.email:
            key = (
                f"followup:{follow_up.pk}:{follow_up.round}:{user.pk}"
                if follow_up
                else f"note:{created[-1].pk}"
            )
            outbox_enqueue(
                key=key,
                to_address=user.email,
                subject=message[:200],
                body=_email_body(message, case),
            )
    return created


def _email_body(message: str, case) -> str:
    link = (
        f"\n{settings.PORTAL_BASE_URL}{_case_url(case)}"
        if case and settings.PORTAL_BASE_URL
        else ""
    )
    return f"{message}{link}\n"


def followups_deliver_due(*, now=None, batch: int = 100) -> int:
    """Remind everyone whose follow-ups are due; returns how many follow-ups were sent."""
    now = now or timezone.now()
    sent = 0
    due_ids = list(
        FollowUp.objects.due(now=now).order_by("due_at").values_list("pk", flat=True)[:batch]
    )
    for pk in due_ids:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(pk=pk, state=State.SCHEDULED).update(
                state=State.SENT, sent_at=now
            )
            if not claimed:
                continue  # another scan got there first
            follow_up = FollowUp.objects.select_related("case").get(pk=pk)
            notify(
                users=recipients(follow_up),
                message=follow_up.reason,
                case=follow_up.case,
                follow_up=follow_up,
                now=now,
            )
            sent += 1
    return sent


def outbox_enqueue(*, key: str, to_address: str, subject: str, body: str) -> OutboxEmail:
    """An e-mail to send once the transaction commits; the same key is never queued twice."""
    email, created = OutboxEmail.objects.get_or_create(
        key=key, defaults={"to_address": to_address, "subject": subject, "body": body}
    )
    if created:
        from ..tasks import remind_by_email

        # robust: a broker outage must not undo the change; the outbox scan sends it later.
        transaction.on_commit(lambda: remind_by_email.delay(outbox_id=email.pk), robust=True)
    return email


def outbox_send(*, outbox_id: int, now=None) -> bool:
    """Send one outbox e-mail if it is still pending; True when it went out."""
    now = now or timezone.now()
    claimed = OutboxEmail.objects.filter(pk=outbox_id, state=OutboxEmail.State.PENDING).update(
        state=OutboxEmail.State.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    email = OutboxEmail.objects.get(pk=outbox_id)
    try:
        send_mail(email.subject, email.body, None, [email.to_address])
    except Exception as error:  # noqa: BLE001 - any transport failure is retried later
        failed = email.attempts >= MAX_EMAIL_ATTEMPTS
        OutboxEmail.objects.filter(pk=outbox_id).update(
            state=OutboxEmail.State.FAILED if failed else OutboxEmail.State.PENDING,
            last_error=str(error)[:300],
        )
        log.warning("e-mail %s failed (attempt %s): %s", email.key, email.attempts, error)
        return False
    OutboxEmail.objects.filter(pk=outbox_id).update(state=OutboxEmail.State.SENT, sent_at=now)
    return True


def outbox_flush(*, now=None, batch: int = 100) -> int:
    """Send what the broker never delivered; called by the periodic scan."""
    pending = OutboxEmail.objects.filter(state=OutboxEmail.State.PENDING).order_by("created_at")
    return sum(
        outbox_send(outbox_id=pk, now=now) for pk in pending.values_list("pk", flat=True)[:batch]
    )


@transaction.atomic
def notifications_mark_read(*, user, pk: int | None = None, now=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=now or timezone.now())
